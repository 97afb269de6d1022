package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// runNodeStep runs the node step with the Testnet directory and its peers
// resolved, plus what the case adds.
func runNodeStep(t *testing.T, xr *fnv1.Resource, observed map[string]*fnv1.Resource, required map[string]*fnv1.Resources) *fnv1.RunFunctionResponse {
	t.Helper()
	req := map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: directoryConfigMapOf()}
	for k, v := range required {
		req[k] = v
	}
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xr, Resources: observed}, RequiredResources: req,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rsp
}

func desiredNames(rsp *fnv1.RunFunctionResponse) []string {
	var names []string
	for n := range rsp.GetDesired().GetResources() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func coreConfigCondition(t *testing.T, rsp *fnv1.RunFunctionResponse) *fnv1.Condition {
	t.Helper()
	for _, c := range rsp.GetConditions() {
		if c.GetType() == conditionCoreConfig {
			if c.GetTarget() != fnv1.Target_TARGET_COMPOSITE_AND_CLAIM {
				t.Errorf("condition %s targets %s, want the composite and the claim", c.GetType(), c.GetTarget())
			}
			return c
		}
	}
	t.Fatalf("no %s condition: %v", conditionCoreConfig, rsp.GetConditions())
	return nil
}

// TestRefusedConfigRunsNothing: a claim whose config core would refuse gets
// a condition and a Warning naming the field, and nothing that would run it:
// no config, no StatefulSet, no PeerSync. Its peer card stays, and the
// composite is not ready.
func TestRefusedConfigRunsNothing(t *testing.T) {
	rsp := runNodeStep(t, xNode("team-a", "alice", "Validator", "Testnet", `"quorum": {"preset": "Testnet"}`, ""), nil, nil)
	if diff := cmp.Diff([]string{resourceNetworkPolicy, resourcePeerCard, resourceService}, desiredNames(rsp)); diff != "" {
		t.Errorf("desired resources: -want, +got:\n%s", diff)
	}
	c := coreConfigCondition(t, rsp)
	if c.GetStatus() != fnv1.Status_STATUS_CONDITION_FALSE || c.GetReason() != "Refused" ||
		!strings.HasPrefix(c.GetMessage(), "spec.quorum.unsafe: stellar-core would refuse to start: UNSAFE_QUORUM is not set") ||
		!strings.HasSuffix(c.GetMessage(), "No StatefulSet is composed until this is fixed.") {
		t.Errorf("condition: %s %s %q", c.GetStatus(), c.GetReason(), c.GetMessage())
	}
	var warnings []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING {
			warnings = append(warnings, r.GetMessage())
			if r.GetTarget() != fnv1.Target_TARGET_COMPOSITE_AND_CLAIM {
				t.Errorf("result %q targets %s, want the composite and the claim", r.GetMessage(), r.GetTarget())
			}
		}
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], `XStellarNode "alice-x7k2" (claim team-a/alice): spec.quorum.unsafe: stellar-core would refuse to start:`) {
		t.Errorf("warnings: %q", warnings)
	}
	if got := rsp.GetDesired().GetComposite().GetReady(); got != fnv1.Ready_READY_FALSE {
		t.Errorf("composite ready = %s, want READY_FALSE", got)
	}
	if got := jsonOf(t, structpath.Field(rsp.GetDesired().GetComposite().GetResource(), "status", "core")); got != `{"state":"ConfigRefused"}` {
		t.Errorf("status.core = %s", got)
	}
}

// TestRefusedConfigKeepsLastAccepted: when a running node's claim changes to
// a config core would refuse, the ConfigMap keeps the config core accepted
// and the StatefulSet stays as observed, so a restarting pod never reads the
// refused one; the PeerSync still follows the directory. A config that core
// would refuse itself (as every config was before the check) is not kept.
func TestRefusedConfigKeepsLastAccepted(t *testing.T) {
	good := runNodeStep(t, xNode("team-a", "alice", "Validator", "Testnet", "", ""), nil, nil)
	accepted := good.GetDesired().GetResources()[resourceCoreConfig].GetResource()
	sts := good.GetDesired().GetResources()[resourceStatefulSet].GetResource()
	observedSts := resource.MustStructJSON(`{"apiVersion": "apps/v1", "kind": "StatefulSet", "status": {"readyReplicas": 1}}`)
	observedSts.Fields["spec"] = structpb.NewStructValue(proto.Clone(structpath.Object(sts, "spec")).(*structpb.Struct)) //nolint:forcetypeassert // a clone of a Struct is one.
	// The API server adds a status to volume claim templates.
	structpath.Field(observedSts, "spec", "volumeClaimTemplates").GetListValue().GetValues()[0].GetStructValue().Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(`{"phase": "Pending"}`))

	refusedXR := xNode("team-a", "alice", "Validator", "Testnet", `"quorum": {"preset": "Testnet"}`, "")
	observed := map[string]*fnv1.Resource{resourceCoreConfig: {Resource: accepted}, resourceStatefulSet: {Resource: observedSts}}
	rsp := runNodeStep(t, refusedXR, observed, nil)
	if diff := cmp.Diff([]string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourcePeerSync, resourceService, resourceStatefulSet}, desiredNames(rsp)); diff != "" {
		t.Errorf("kept: desired resources: -want, +got:\n%s", diff)
	}
	if got, want := desiredConfig(rsp), configOf(accepted); got != want {
		t.Errorf("kept: config:\n%s\nwant the accepted one:\n%s", got, want)
	}
	if diff := cmp.Diff(structpath.Object(sts, "spec"), structpath.Object(rsp.GetDesired().GetResources()[resourceStatefulSet].GetResource(), "spec"), protocmp.Transform()); diff != "" {
		t.Errorf("kept: StatefulSet spec: -observed (without status), +desired:\n%s", diff)
	}
	if c := coreConfigCondition(t, rsp); c.GetReason() != "Refused" || !strings.HasSuffix(c.GetMessage(), "The node keeps its last accepted config and StatefulSet until this is fixed.") {
		t.Errorf("kept: condition: %s %q", c.GetReason(), c.GetMessage())
	}
	if got := rsp.GetDesired().GetComposite().GetReady(); got != fnv1.Ready_READY_UNSPECIFIED {
		t.Errorf("kept: composite ready = %s, want it to follow the resources", got)
	}

	// Suspending wins over the kept StatefulSet's replicas.
	suspended := xNode("team-a", "alice", "Validator", "Testnet", `"quorum": {"preset": "Testnet"}, "suspended": true`, "")
	rsp = runNodeStep(t, suspended, observed, nil)
	if got := structpath.Field(rsp.GetDesired().GetResources()[resourceStatefulSet].GetResource(), "spec", "replicas").GetNumberValue(); got != 0 {
		t.Errorf("kept and suspended: replicas = %v, want 0", got)
	}

	// A config from before the check, which core refuses, is not kept.
	old := resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`)
	old.Fields["data"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{configKey: structpb.NewStringValue(
		"NETWORK_PASSPHRASE = \"Test SDF Network ; September 2015\"\nNODE_IS_VALIDATOR = true\nNODE_HOME_DOMAIN = \"alice.example.org\"\nKNOWN_PEERS = []\n")}})
	rsp = runNodeStep(t, refusedXR, map[string]*fnv1.Resource{resourceCoreConfig: {Resource: old}, resourceStatefulSet: {Resource: observedSts}}, nil)
	if diff := cmp.Diff([]string{resourceNetworkPolicy, resourcePeerCard, resourceService}, desiredNames(rsp)); diff != "" {
		t.Errorf("refused before: desired resources: -want, +got:\n%s", diff)
	}
}

// TestCaptiveCore: a Horizon or SorobanRpc node gets its captive-core config,
// peers from the directory as PREFERRED_PEERS, and nothing that runs: their
// own images run stellar-core, and the condition says so.
func TestCaptiveCore(t *testing.T) {
	for _, nodeType := range []string{"Horizon", "SorobanRpc"} {
		t.Run(nodeType, func(t *testing.T) {
			rsp := runNodeStep(t, xNode("team-a", "horace", nodeType, "Testnet", "", ""), nil, nil)
			if diff := cmp.Diff([]string{resourceCaptiveConfig}, desiredNames(rsp)); diff != "" {
				t.Errorf("desired resources: -want, +got:\n%s", diff)
			}
			cm := rsp.GetDesired().GetResources()[resourceCaptiveConfig].GetResource()
			if got := structpath.StringOr(cm, "", "metadata", "name"); got != "horace-captive-core" {
				t.Errorf("ConfigMap name %q", got)
			}
			cfg := parseCfg(t, structpath.StringOr(cm, "", "data", captiveKey))
			for _, k := range []string{"KNOWN_PEERS", "NODE_IS_VALIDATOR", "DATABASE", "BUCKET_DIR_PATH", "HTTP_PORT", "PEER_PORT"} {
				if _, ok := cfg[k]; ok {
					t.Errorf("captive-core config has %s, which Horizon's strict captive-core config refuses or sets itself", k)
				}
			}
			if diff := cmp.Diff([]string{"alice-0.alice.team-a.svc.cluster.local:11625", "bob-0.bob.team-a.svc.cluster.local:11625", "carol-0.carol.team-b.svc.cluster.local:11625"}, cfg.strings("PREFERRED_PEERS")); diff != "" {
				t.Errorf("PREFERRED_PEERS: -want, +got:\n%s", diff)
			}
			c := coreConfigCondition(t, rsp)
			if c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE || !strings.Contains(c.GetMessage(), "not run by this composition") {
				t.Errorf("condition: %s %q", c.GetStatus(), c.GetMessage())
			}
			if got := jsonOf(t, structpath.Field(rsp.GetDesired().GetComposite().GetResource(), "status")); got != `{"core":{"state":"NotRun"}}` {
				t.Errorf("status = %s", got)
			}
		})
	}
}

// TestPublishingNode: a node that publishes history gets a local archive on
// its volume, created at first start, and a sidecar that serves it, reachable
// through the Service and the NetworkPolicy.
func TestPublishingNode(t *testing.T) {
	rsp := runNodeStep(t, xNode("team-a", "alice", "Validator", "Testnet", `"history": {"publish": true, "port": 11700}`, ""), nil, nil)
	cfg := parseCfg(t, desiredConfig(rsp))
	local, _ := cfg["HISTORY"].(map[string]any)["local"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"get": "cp /data/history/{0} {1}", "put": "cp {0} /data/history/{1}", "mkdir": "mkdir -p /data/history/{0}"}, local); diff != "" {
		t.Errorf("[HISTORY.local]: -want, +got:\n%s", diff)
	}
	pod := structpath.Object(rsp.GetDesired().GetResources()[resourceStatefulSet].GetResource(), "spec", "template", "spec")
	initScript := structpath.Field(pod, "initContainers").GetListValue().GetValues()[0].GetStructValue().GetFields()["command"].GetListValue().GetValues()[2].GetStringValue()
	if !strings.Contains(initScript, "[ -e /data/history/.well-known/stellar-history.json ] || stellar-core new-hist local --conf /etc/stellar/stellar-core.cfg") {
		t.Errorf("init script does not create the archive:\n%s", initScript)
	}
	containers := structpath.Field(pod, "containers").GetListValue().GetValues()
	if len(containers) != 2 {
		t.Fatalf("%d containers, want core and the archive sidecar", len(containers))
	}
	want := `{"command":["httpd","-f","-p","11700","-h","/data/history"],"image":"busybox:1.37.0","name":"history","ports":[{"containerPort":11700,"name":"history","protocol":"TCP"}],` +
		`"readinessProbe":{"periodSeconds":10,"tcpSocket":{"port":11700}},"resources":{"requests":{"cpu":"10m","memory":"16Mi"}},` +
		`"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":65534},` +
		`"volumeMounts":[{"mountPath":"/data","name":"data","readOnly":true}]}`
	if got := jsonOf(t, containers[1]); got != want {
		t.Errorf("sidecar:\n got %s\nwant %s", got, want)
	}
	svc := jsonOf(t, structpath.Field(rsp.GetDesired().GetResources()[resourceService].GetResource(), "spec", "ports"))
	if !strings.Contains(svc, `{"name":"history","port":11700,"protocol":"TCP","targetPort":11700}`) {
		t.Errorf("Service ports: %s", svc)
	}
	np := jsonOf(t, structpath.Field(rsp.GetDesired().GetResources()[resourceNetworkPolicy].GetResource(), "spec", "ingress"))
	if !strings.HasPrefix(np, `[{"ports":[{"port":11625,"protocol":"TCP"},{"port":11700,"protocol":"TCP"}]}`) {
		t.Errorf("NetworkPolicy ingress: %s", np)
	}
}

// TestIncludeDirectory: a node whose quorum includes the directory requires
// the directory's peer cards with the very selector the directory uses, and
// takes the validators whose cards give a key and a home domain, never
// itself; a card with a bad key is left out with a Warning.
func TestIncludeDirectory(t *testing.T) {
	xr := xNode("acme", "acme-1", "Validator", "Testnet",
		`"validator": {"seedSecretRef": {"name": "s"}, "homeDomain": "acme.example.com", "quality": "HIGH", "publicKey": "`+aliceKey+`"}, `+
			`"quorum": {"preset": "Testnet", "includeDirectory": true, "unsafe": true}, "history": {"publish": true}`, "")
	cardOf := func(ns, name, key, domain, quality, history string) *fnv1.Resource {
		c := peers.CardOf(peers.Peer{Name: name, Namespace: ns, NodeType: peers.NodeTypeValidator, Host: name + "-0." + name + "." + ns + ".svc.cluster.local", Port: 11625}, key, domain)
		c.Quality, c.History = quality, history
		return card(ns, name, "testnet", c.JSON(), map[string]string{"org": "acme"})
	}
	cards := &fnv1.Resources{Items: []*fnv1.Resource{
		cardOf("acme", "acme-1", aliceKey, "acme.example.com", "HIGH", "http://acme-1-0.acme-1.acme.svc.cluster.local:11627"), // itself
		cardOf("acme", "acme-3", docsKeyB, "acme.example.com", "HIGH", "http://acme-3-0.acme-3.acme.svc.cluster.local:11627"),
		cardOf("acme", "acme-2", docsKeyA, "acme.example.com", "HIGH", "http://acme-2-0.acme-2.acme.svc.cluster.local:11627"),
		cardOf("acme", "acme-4", "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYA", "acme.example.com", "HIGH", ""), // a bad checksum
		cardOf("lab", "lab-1", docsKeyC, "lab.example.com", "", "http://lab-1.example/$(id)"),                                // an archive that would reach a shell
		card("team-a", "bob", "testnet", cardJSON("team-a", "bob"), map[string]string{"org": "acme"}),                        // no key, no domain
	}}
	dirs := &fnv1.Resources{Items: []*fnv1.Resource{{Resource: resource.MustStructJSON(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "testnet"}, ` +
		`"spec": {"network": "Testnet", "nodeSelector": {"matchLabels": {"org": "acme"}}}}`)}}}
	rsp := runNodeStep(t, xr, nil, map[string]*fnv1.Resources{requirementDirectories: dirs, requirementPeerCards: cards})

	wantSel := &fnv1.ResourceSelector{ApiVersion: "v1", Kind: "ConfigMap", Match: &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{
		Labels: map[string]string{peers.LabelPeerCard: "v1", peers.LabelNetwork: "testnet", "org": "acme"},
	}}}
	if diff := cmp.Diff(wantSel, rsp.GetRequirements().GetResources()[requirementPeerCards], protocmp.Transform()); diff != "" {
		t.Errorf("peer card requirement: -want, +got:\n%s", diff)
	}
	cfg := parseCfg(t, desiredConfig(rsp))
	var got []string
	validators, _ := cfg["VALIDATORS"].([]any)
	for _, v := range validators {
		v, _ := v.(map[string]any)
		if v["HOME_DOMAIN"] != "testnet.stellar.org" {
			h, _ := v["HISTORY"].(string)
			got = append(got, fmt.Sprint(v["NAME"], " ", v["HOME_DOMAIN"], " ", h))
		}
	}
	want := []string{
		"acme.acme-2 acme.example.com curl -sf http://acme-2-0.acme-2.acme.svc.cluster.local:11627/{0} -o {1}",
		"acme.acme-3 acme.example.com curl -sf http://acme-3-0.acme-3.acme.svc.cluster.local:11627/{0} -o {1}",
		"lab.lab-1 lab.example.com ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the directory's validators: -want, +got:\n%s", diff)
	}
	// A domain whose cards give no quality is MEDIUM.
	if diff := cmp.Diff([]any{
		map[string]any{"HOME_DOMAIN": "acme.example.com", "QUALITY": "HIGH"}, map[string]any{"HOME_DOMAIN": "testnet.stellar.org", "QUALITY": "HIGH"},
		map[string]any{"HOME_DOMAIN": "lab.example.com", "QUALITY": "MEDIUM"},
	}, cfg["HOME_DOMAINS"]); diff != "" {
		t.Errorf("HOME_DOMAINS: -want, +got:\n%s", diff)
	}
	var warnings []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING {
			warnings = append(warnings, r.GetMessage())
		}
	}
	wantWarnings := []string{
		`XStellarNode "acme-1-x7k2" (claim acme/acme-1): spec.quorum.includeDirectory: peer card acme/acme-4-peer-card: publicKey: left out of the quorum: public key "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYA" has a wrong checksum`,
		`XStellarNode "acme-1-x7k2" (claim acme/acme-1): spec.quorum.includeDirectory: peer card lab/lab-1-peer-card: history: its archive is left out: "http://lab-1.example/$(id)" is not an http(s) URL of letters, digits and . _ ~ % / -`,
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings: -want, +got:\n%s", diff)
	}
}

// TestCustomDirectoryByPassphrase: of two Custom directories a node uses the
// one of its own passphrase, and a Custom directory that names none only
// when no directory names the node's.
func TestCustomDirectoryByPassphrase(t *testing.T) {
	dir := func(name, passphrase string) *fnv1.Resource {
		spec := `"network": "Custom"`
		if passphrase != "" {
			spec += `, "networkPassphrase": "` + passphrase + `"`
		}
		return &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "` + name + `"}, ` +
			`"spec": {` + spec + `, "configMap": {"namespace": "stellar-system", "name": "` + name + `-peers"}}}`)}
	}
	xr := xNode("team-a", "alice", "Validator", "Custom", `"networkPassphrase": "Net B ; 2026"`, "")
	cases := map[string]struct {
		dirs []*fnv1.Resource
		want string
	}{
		"OwnPassphrase": {dirs: []*fnv1.Resource{dir("a", "Net A ; 2026"), dir("any", ""), dir("b", "Net B ; 2026")}, want: "b-peers"},
		"AnyCustom":     {dirs: []*fnv1.Resource{dir("a", "Net A ; 2026"), dir("any", "")}, want: "any-peers"},
		"None":          {dirs: []*fnv1.Resource{dir("a", "Net A ; 2026")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := runNodeStep(t, xr, nil, map[string]*fnv1.Resources{requirementDirectories: {Items: tc.dirs}})
			got := rsp.GetRequirements().GetResources()[requirementDirectoryConfigMap].GetMatchName()
			if got != tc.want {
				t.Errorf("requires ConfigMap %q, want %q", got, tc.want)
			}
		})
	}
}
