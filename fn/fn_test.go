package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// xNode is an XStellarNode composite made for claim namespace/name. Unless
// extraSpec says otherwise, its config is one core starts with: a validator
// names its seed Secret and home domain, and every node of a public network
// takes the network's preset quorum (with UNSAFE_QUORUM where one
// organization runs the network); a Custom network's validator is its own
// quorum and publishes the archive it reads.
func xNode(namespace, name, nodeType, network, extraSpec, status string) *fnv1.Resource {
	var defaults []string
	if nodeType == peers.NodeTypeValidator && !strings.Contains(extraSpec, `"validator"`) {
		defaults = append(defaults, fmt.Sprintf(`"validator": {"seedSecretRef": {"name": "%s-seed"}, "homeDomain": "%s.example.org"}`, name, name))
	}
	if !strings.Contains(extraSpec, `"quorum"`) {
		switch strings.ToLower(network) {
		case "mainnet":
			defaults = append(defaults, `"quorum": {"preset": "Mainnet"}`)
		case "testnet", "futurenet":
			defaults = append(defaults, `"quorum": {"preset": "`+network+`", "unsafe": true}`)
		case "custom":
			defaults = append(defaults, `"quorum": {"unsafe": true}`)
			if !strings.Contains(extraSpec, `"history"`) {
				defaults = append(defaults, `"history": {"publish": true}`)
			}
		}
	}
	if extraSpec != "" {
		defaults = append(defaults, extraSpec)
	}
	extraSpec = ""
	if len(defaults) > 0 {
		extraSpec = "," + strings.Join(defaults, ",")
	}
	if status == "" {
		status = "{}"
	}
	return &fnv1.Resource{Resource: resource.MustStructJSON(fmt.Sprintf(`{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
		"metadata": {"name": "%[2]s-x7k2", "labels": {"crossplane.io/claim-name": "%[2]s", "crossplane.io/claim-namespace": "%[1]s"}},
		"spec": {"nodeType": "%[3]s", "network": "%[4]s", "version": "22.1.0"%[5]s},
		"status": %[6]s
	}`, namespace, name, nodeType, network, extraSpec, status))}
}

// peerStatus is an XStellarNode status as the node step writes it.
func peerStatus(namespace, name string) string {
	return fmt.Sprintf(`{"peer": {"host": "%[2]s-0.%[2]s.%[1]s.svc.cluster.local", "ip": "", "port": 11625}}`, namespace, name)
}

// directoryInput reads XStellarNodes directly, besides peer cards: most
// directory tests are about extracting peers from node objects.
const directoryInput = `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput",
	"nodes": {"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode"}}`

func directoryXR(extraSpec string) *fnv1.State {
	if extraSpec != "" {
		extraSpec = "," + extraSpec
	}
	return &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": {"name": "testnet"},
		"spec": {"network": "Testnet"` + extraSpec + `}
	}`)}}
}

func nodesSelectorAll() *fnv1.Requirements {
	return &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{
		requirementNodes:     {ApiVersion: "stellarpeers.io/v1alpha1", Kind: "XStellarNode"},
		requirementPeerCards: testnetCards(),
	}}
}

func testnetCards() *fnv1.ResourceSelector {
	return &fnv1.ResourceSelector{ApiVersion: "v1", Kind: "ConfigMap", Match: &fnv1.ResourceSelector_MatchLabels{
		MatchLabels: &fnv1.MatchLabels{Labels: map[string]string{peers.LabelPeerCard: "v1", peers.LabelNetwork: "testnet"}},
	}}
}

// threeValidators: three validators in two claim namespaces, plus nodes the
// directory must leave out.
func threeValidators() []*fnv1.Resource {
	return []*fnv1.Resource{
		xNode("team-b", "carol", "Validator", "Testnet", "", peerStatus("team-b", "carol")),
		xNode("team-a", "bob", "Validator", "Testnet", "", peerStatus("team-a", "bob")),
		xNode("team-a", "alice", "Validator", "Testnet", "", peerStatus("team-a", "alice")),
		xNode("team-a", "watcher", "Watcher", "Testnet", "", peerStatus("team-a", "watcher")),
		xNode("team-b", "sleepy", "Validator", "Testnet", `"suspended": true`, peerStatus("team-b", "sleepy")),
		xNode("team-b", "elsewhere", "Validator", "Mainnet", "", peerStatus("team-b", "elsewhere")),
		xNode("team-b", "fresh", "Validator", "Testnet", "", ""),
	}
}

// threeValidatorsData is what a Testnet directory of alice, bob and carol
// publishes.
func threeValidatorsData() peers.Published {
	return peers.Published{Data: map[string]string{
		peers.KeyPeersJSON: `[
  {"name":"alice","namespace":"team-a","nodeType":"Validator","host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625,"peerString":"alice-0.alice.team-a.svc.cluster.local:11625"},
  {"name":"bob","namespace":"team-a","nodeType":"Validator","host":"bob-0.bob.team-a.svc.cluster.local","ip":"","port":11625,"peerString":"bob-0.bob.team-a.svc.cluster.local:11625"},
  {"name":"carol","namespace":"team-b","nodeType":"Validator","host":"carol-0.carol.team-b.svc.cluster.local","ip":"","port":11625,"peerString":"carol-0.carol.team-b.svc.cluster.local:11625"}
]
`,
		peers.KeyPeersTxt:  "alice-0.alice.team-a.svc.cluster.local:11625\nbob-0.bob.team-a.svc.cluster.local:11625\ncarol-0.carol.team-b.svc.cluster.local:11625\n",
		peers.KeyPeerCount: "3",
		peers.KeyKnownPeers: `KNOWN_PEERS = [
  "alice-0.alice.team-a.svc.cluster.local:11625",
  "bob-0.bob.team-a.svc.cluster.local:11625",
  "carol-0.carol.team-b.svc.cluster.local:11625"
]
`,
	}}
}

func directoryStatus(cmNamespace, cmName string) *fnv1.Resource {
	return &fnv1.Resource{Resource: &structpb.Struct{Fields: map[string]*structpb.Value{
		"status": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"configMap": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
				"namespace": structpb.NewStringValue(cmNamespace), "name": structpb.NewStringValue(cmName),
			}}),
			"preferredPeers": structpb.NewBoolValue(false),
		}}),
	}}}
}

var (
	targetComposite = fnv1.Target_TARGET_COMPOSITE.Enum()
	pendingFresh    = &fnv1.Result{Severity: fnv1.Severity_SEVERITY_NORMAL, Message: "1 validators have not published an address yet: team-b/fresh", Target: targetComposite}
	withinLimit     = &fnv1.Condition{Type: conditionShrinkHeld, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "WithinLimit", Target: targetComposite}
)

func TestRunFunctionDirectory(t *testing.T) {
	type args struct {
		req *fnv1.RunFunctionRequest
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}
	meta := &fnv1.ResponseMeta{Tag: "t", Ttl: durationpb.New(response.DefaultTTL)}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"UnknownInput": {
			reason: "An input of another kind is answered with a Fatal result.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:  &fnv1.RequestMeta{Tag: "t"},
				Input: resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "Other"}`),
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: meta,
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL, Target: targetComposite,
					Message: `cannot run: input kind "Other" is neither DirectoryInput nor NodeInput (fn.stellarpeers.io)`,
				}},
			}},
		},
		"WaitForNodes": {
			reason: "Before Crossplane resolves the nodes, the step requires them and writes nothing at all.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed: directoryXR(""),
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         meta,
				Requirements: nodesSelectorAll(),
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_NORMAL, Target: targetComposite,
					Message: "Waiting for Crossplane to resolve the required peer cards and node objects",
				}},
			}},
		},
		"PublishValidators": {
			reason: "Validators of the directory's network with an address are published sorted; watchers, suspended nodes, other networks and nodes without an address are left out.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed:          directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         meta,
				Requirements: nodesSelectorAll(),
				Desired: &fnv1.State{
					Composite: directoryStatus("stellar-system", "stellar-peers"),
					Resources: map[string]*fnv1.Resource{resourcePeersConfigMap: {
						Resource: peersConfigMap(defaultPeersConfigMap(), threeValidatorsData()),
						Ready:    fnv1.Ready_READY_TRUE,
					}},
				},
				Results:    []*fnv1.Result{pendingFresh},
				Conditions: []*fnv1.Condition{withinLimit},
			}},
		},
		"DeprecatedExtraResources": {
			reason: "Nodes delivered in the deprecated extra_resources field are read as well.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed:       directoryXR(""),
				ExtraResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()}}, //nolint:staticcheck // the deprecated field is what this case tests.
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         meta,
				Requirements: nodesSelectorAll(),
				Desired: &fnv1.State{
					Composite: directoryStatus("stellar-system", "stellar-peers"),
					Resources: map[string]*fnv1.Resource{resourcePeersConfigMap: {
						Resource: peersConfigMap(defaultPeersConfigMap(), threeValidatorsData()),
						Ready:    fnv1.Ready_READY_TRUE,
					}},
				},
				Results:    []*fnv1.Result{pendingFresh},
				Conditions: []*fnv1.Condition{withinLimit},
			}},
		},
		"ShrinkHeld": {
			reason: "Shrinking from 3 peers to 1 (67%) is held: the previous data stays desired, with a Warning and a ShrinkHeld condition.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed: &fnv1.State{
					Composite: directoryXR("").GetComposite(),
					Resources: map[string]*fnv1.Resource{resourcePeersConfigMap: {
						Resource: peersConfigMap(defaultPeersConfigMap(), threeValidatorsData()),
					}},
				},
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()[2:3]}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         meta,
				Requirements: nodesSelectorAll(),
				Desired: &fnv1.State{
					Composite: directoryStatus("stellar-system", "stellar-peers"),
					Resources: map[string]*fnv1.Resource{resourcePeersConfigMap: {
						Resource: peersConfigMap(defaultPeersConfigMap(), threeValidatorsData()),
						Ready:    fnv1.Ready_READY_TRUE,
					}},
				},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_WARNING, Target: targetComposite,
					Message: "refusing to shrink the directory from 3 to 1 peers (66%, more than maxShrinkPercent 50%) in one step; set allowShrink to let it through",
				}},
				Conditions: []*fnv1.Condition{{
					Type: conditionShrinkHeld, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "ShrinkGuard", Target: targetComposite,
					Message: ptr("refusing to shrink the directory from 3 to 1 peers (66%, more than maxShrinkPercent 50%) in one step; set allowShrink to let it through"),
				}},
			}},
		},
		"TooLarge": {
			reason: "Output over the 1 MiB ConfigMap limit even compressed is a Fatal result and nothing is written.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed:          directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: incompressibleValidators(9000)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         meta,
				Requirements: nodesSelectorAll(),
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL, Target: targetComposite,
					Message: "cannot publish 9000 peers: ConfigMap stellar-system/stellar-peers would hold 1280003 bytes even compressed, more than the 1048576 a ConfigMap may hold; nothing was written",
				}},
			}},
		},
		"NoNetwork": {
			reason: "A directory without spec.network is a Fatal result naming the field.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: &fnv1.RequestMeta{Tag: "t"}, Input: resource.MustStructJSON(directoryInput),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"kind": "StellarPeerDirectory", "metadata": {"name": "d"}, "spec": {}}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: meta,
				// No network, no card requirement: it would name no network.
				Requirements: &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{
					requirementNodes: nodesSelectorAll().GetResources()[requirementNodes],
				}},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL, Target: targetComposite,
					Message: `StellarPeerDirectory "d": spec.network: is required`,
				}},
			}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), tc.args.req)
			if err != nil {
				t.Fatalf("%s\nf.RunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

// incompressibleValidators makes n validators with long random-looking names,
// which gzip cannot shrink much.
func incompressibleValidators(n int) []*fnv1.Resource {
	out := make([]*fnv1.Resource, n)
	for i := range n {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		h := hex.EncodeToString(sum[:])
		ns, name := "t"+h[:62], "v"+h[2:62]
		out[i] = xNode(ns, name, "Validator", "Testnet", "", peerStatus(ns, name))
	}
	return out
}

// manyValidators makes n validators of a network, spread over 100 namespaces.
func manyValidators(n int, network string) []*fnv1.Resource {
	out := make([]*fnv1.Resource, n)
	for i := range n {
		ns, name := fmt.Sprintf("team-%03d", i%100), fmt.Sprintf("validator-%05d", i)
		out[i] = xNode(ns, name, "Validator", network, "", peerStatus(ns, name))
	}
	return out
}

func TestDirectoryOutputIsStable(t *testing.T) {
	nodes := threeValidators()
	reversed := make([]*fnv1.Resource, len(nodes))
	for i, n := range nodes {
		reversed[len(nodes)-1-i] = n
	}
	var outputs []string
	for _, items := range [][]*fnv1.Resource{nodes, reversed} {
		f := &Function{log: logging.NewNopLogger()}
		rsp, _ := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
			Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
			RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: items}},
		})
		data := structpath.Object(rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource(), "data")
		var b strings.Builder
		for _, k := range []string{peers.KeyPeersJSON, peers.KeyPeersTxt, peers.KeyPeerCount, peers.KeyKnownPeers} {
			b.WriteString(structpath.StringOr(data, "", k))
		}
		outputs = append(outputs, b.String())
	}
	if outputs[0] != outputs[1] {
		t.Errorf("the order of the required nodes changed the output:\n%s\n---\n%s", outputs[0], outputs[1])
	}
}

// peersConfigMap is the directory ConfigMap at ref publishing pub, as the
// directory step composes it.
func peersConfigMap(ref v1alpha1.ConfigMapRef, pub peers.Published) *structpb.Struct {
	cm, err := configMap(ref, pub)
	if err != nil {
		panic(err)
	}
	return cm
}

// defaultPeersConfigMap is where a directory publishes by default.
func defaultPeersConfigMap() v1alpha1.ConfigMapRef {
	return v1alpha1.ConfigMapRef{Namespace: v1alpha1.DefaultConfigMapNamespace, Name: v1alpha1.DefaultConfigMapName}
}
