package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// exampleComposites are the composites Crossplane makes of examples/claims'
// claims: the claim's spec, named for the claim by the labels it sets.
func exampleComposites(t *testing.T) []*structpb.Struct {
	t.Helper()
	files, err := filepath.Glob("../examples/claims/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example claims: %v", err)
	}
	var out []*structpb.Struct
	for _, file := range files {
		for _, obj := range loadYAML(t, file) {
			if structpath.StringOr(obj, "", "kind") != "StellarNode" {
				continue
			}
			name, ns := structpath.StringOr(obj, "", "metadata", "name"), structpath.StringOr(obj, "", "metadata", "namespace")
			xr, err := structpb.NewStruct(map[string]any{
				"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
				"metadata": map[string]any{"name": name + "-x7k2q", "labels": map[string]any{
					peers.LabelClaimName: name, peers.LabelClaimNamespace: ns,
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			xr.Fields["spec"] = proto.Clone(structpath.Field(obj, "spec")).(*structpb.Value) //nolint:forcetypeassert // a clone of a Value is one.
			out = append(out, xr)
		}
	}
	return out
}

// TestExampleClaimsStart renders every claim of examples/claims as Crossplane
// would in a cluster holding all of them and examples/directories: each
// node's peer card, then each directory from the cards, then each node with
// its directory, its peers and, for includeDirectory, the cards. Every
// validator and watcher must get a StatefulSet and a config stellar-core
// accepts without a single problem, and the organization's validators must
// have each other in their quorum.
func TestExampleClaimsStart(t *testing.T) {
	nodes := exampleComposites(t)
	input := resource.MustStructJSON(nodeInput)
	f := &Function{log: logging.NewNopLogger()}

	// The cards: the node step composes them before it has a directory.
	var available []*structpb.Struct
	for _, xr := range nodes {
		rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{Input: input, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}})
		if err != nil {
			t.Fatal(err)
		}
		if card := rsp.GetDesired().GetResources()[resourcePeerCard].GetResource(); card != nil {
			available = append(available, card)
		}
	}
	// The directories and what they publish from the cards.
	dirFiles, _ := filepath.Glob("../examples/directories/*.yaml")
	for _, file := range dirFiles {
		for _, dir := range loadYAML(t, file) {
			if structpath.StringOr(dir, "", "kind") != "StellarPeerDirectory" {
				continue
			}
			available = append(available, dir)
			req := &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput"}`), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dir}}}
			rsp := resolveLike(t, req, slices.Clone(available))
			cm := rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
			if cm == nil {
				t.Fatalf("directory %s composed no ConfigMap: %v", peers.Describe(dir), rsp.GetResults())
			}
			// The node step reads the ConfigMap as the API server returns it.
			cm.Fields["apiVersion"], cm.Fields["kind"] = structpb.NewStringValue("v1"), structpb.NewStringValue("ConfigMap")
			available = append(available, cm)
		}
	}

	checked := 0
	for _, xr := range nodes {
		name := peers.Describe(xr)
		t.Run(structpath.StringOr(xr, "", "metadata", "labels", peers.LabelClaimName), func(t *testing.T) {
			rsp := resolveLike(t, &fnv1.RunFunctionRequest{Input: input, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}}, available)
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() != fnv1.Severity_SEVERITY_NORMAL {
					t.Errorf("%s: %s", name, r.GetMessage())
				}
			}
			for _, c := range rsp.GetConditions() {
				if c.GetType() == conditionCoreConfig && (c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE || c.GetReason() != "Accepted") {
					t.Errorf("%s: condition %s=%s %s: %s", name, c.GetType(), c.GetStatus(), c.GetReason(), c.GetMessage())
				}
			}
			if rsp.GetDesired().GetResources()[resourceStatefulSet] == nil {
				t.Errorf("%s: no StatefulSet composed", name)
			}
			cfg := desiredConfig(rsp)
			spec := structpath.Object(xr, "spec")
			passphrase, _ := stellarcfg.Passphrase(structpath.StringOr(spec, "", "network"), structpath.StringOr(spec, "", "networkPassphrase"))
			opts := stellarcfg.Options{Passphrase: passphrase, SeedAtStart: true, NodePublicKey: structpath.StringOr(spec, "", "validator", "publicKey")}
			if ps := stellarcfg.Check(cfg, opts); len(ps) != 0 {
				t.Errorf("%s: stellar-core would not take the config as it is: %v\n%s", name, ps, cfg)
			}
			checked++
			// The organization's validators trust each other.
			self := structpath.StringOr(spec, "", "validator", "publicKey")
			if structpath.StringOr(spec, "", "validator", "homeDomain") == "acme.example.com" {
				var acme []string
				for _, v := range parseCfg(t, cfg)["VALIDATORS"].([]any) { //nolint:forcetypeassert // the checker read it as tables.
					v := v.(map[string]any) //nolint:forcetypeassert // as above.
					if v["HOME_DOMAIN"] == "acme.example.com" {
						acme = append(acme, v["NAME"].(string)+" "+strings.Fields(v["HISTORY"].(string))[2]) //nolint:forcetypeassert // as above.
						if v["PUBLIC_KEY"] == self {
							t.Errorf("%s lists itself in its quorum", name)
						}
					}
				}
				if len(acme) != 2 {
					t.Errorf("%s: the organization's other validators in its quorum, with their archives: %v, want 2", name, acme)
				}
			}
		})
	}
	if checked < 8 {
		t.Errorf("checked %d example configs, want every one of the 8 example validators and watchers", checked)
	}
	exampleOrganization(t, nodes, available)
}

// exampleOrganization keeps examples/render/organization in step with
// examples/claims: its xr.yaml is acme-1's composite, its required.yaml what
// acme-1 requires in a cluster holding every example (rewritten with
// -update-examples).
func exampleOrganization(t *testing.T, nodes, available []*structpb.Struct) {
	t.Helper()
	dir := filepath.Join(examples, "organization")
	xr := loadYAML(t, filepath.Join(dir, "xr.yaml"))[0]
	var claim *structpb.Struct
	for _, n := range nodes {
		if structpath.StringOr(n, "", "metadata", "labels", peers.LabelClaimName) == "acme-1" {
			claim = n
		}
	}
	spec := proto.Clone(structpath.Object(xr, "spec")).(*structpb.Struct) //nolint:forcetypeassert // a clone of a Struct is one.
	delete(spec.GetFields(), "claimRef")
	if diff := cmp.Diff(structpath.Object(claim, "spec"), spec, protocmp.Transform()); diff != "" {
		t.Errorf("%s/xr.yaml spec is not acme-1's in examples/claims: -claim, +xr.yaml:\n%s", dir, diff)
	}
	rsp := resolveLike(t, &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}}, available)
	var required []*structpb.Struct
	for _, obj := range available {
		for _, sel := range rsp.GetRequirements().GetResources() {
			if selects(sel, obj) {
				required = append(required, obj)
				break
			}
		}
	}
	file := filepath.Join(dir, "required.yaml")
	if *updateExamples {
		var b bytes.Buffer
		b.WriteString("# What acme-1 requires in a cluster holding every example: the Testnet directory, the ConfigMap it\n" +
			"# publishes, and the Testnet peer cards, for quorum.includeDirectory\n# (go test ./fn -run TestExampleClaimsStart -update-examples).\n")
		for i, obj := range required {
			j, _ := protojson.Marshal(obj)
			y, err := yaml.JSONToYAML(j)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(y)
		}
		if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(required, loadYAML(t, file), protocmp.Transform()); diff != "" {
		t.Errorf("%s is out of date (rerun with -update-examples): -rendered, +file:\n%s", file, diff)
	}
}
