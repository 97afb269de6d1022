package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

var updateExamples = flag.Bool("update-examples", false, "rewrite examples/render/node/required.yaml from the directory example")

const examples = "../examples/render"

// loadYAML reads a multi-document YAML file as protobuf Structs.
func loadYAML(t *testing.T, path string) []*structpb.Struct {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var out []*structpb.Struct
	for _, doc := range strings.Split("\n"+string(b), "\n---\n") {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		s := &structpb.Struct{}
		if err := protojson.Unmarshal(j, s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, s)
	}
	return out
}

// renderLike runs the function's only pipeline step the way `crossplane
// composition render` does: call, resolve the requirements from the
// required-resources file, and call again until they settle.
func renderLike(t *testing.T, dir string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
	t.Helper()
	xr := loadYAML(t, filepath.Join(dir, "xr.yaml"))[0]
	comp := loadYAML(t, filepath.Join(dir, "composition.yaml"))[0]
	input := structpath.Field(comp, "spec", "pipeline").GetListValue().GetValues()[0].GetStructValue().GetFields()["input"].GetStructValue()
	available := loadYAML(t, filepath.Join(dir, "required.yaml"))
	req := &fnv1.RunFunctionRequest{Input: input, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed}}
	return resolveLike(t, req, available)
}

// resolveLike calls the function with req until its requirements settle,
// answering them from available, as Crossplane does.
func resolveLike(t *testing.T, req *fnv1.RunFunctionRequest, available []*structpb.Struct) *fnv1.RunFunctionResponse {
	t.Helper()
	f := &Function{log: logging.NewNopLogger()}
	var last *fnv1.Requirements
	for range 5 {
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if last != nil && cmp.Equal(last, rsp.GetRequirements(), protocmp.Transform()) {
			return rsp
		}
		last = rsp.GetRequirements()
		req.RequiredResources = map[string]*fnv1.Resources{}
		for name, sel := range last.GetResources() {
			rs := &fnv1.Resources{}
			for _, obj := range available {
				if selects(sel, obj) {
					rs.Items = append(rs.Items, &fnv1.Resource{Resource: obj})
				}
			}
			req.RequiredResources[name] = rs
		}
	}
	t.Fatalf("requirements did not settle")
	return nil
}

func selects(sel *fnv1.ResourceSelector, obj *structpb.Struct) bool {
	if structpath.StringOr(obj, "", "apiVersion") != sel.GetApiVersion() || structpath.StringOr(obj, "", "kind") != sel.GetKind() {
		return false
	}
	if sel.Namespace != nil && structpath.StringOr(obj, "", "metadata", "namespace") != sel.GetNamespace() {
		return false
	}
	if n := sel.GetMatchName(); n != "" && structpath.StringOr(obj, "", "metadata", "name") != n {
		return false
	}
	for k, v := range sel.GetMatchLabels().GetLabels() {
		if structpath.StringOr(obj, "", "metadata", "labels", k) != v {
			return false
		}
	}
	return true
}

func TestExampleDirectory(t *testing.T) {
	rsp := renderLike(t, filepath.Join(examples, "directory"), nil)
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() != fnv1.Severity_SEVERITY_NORMAL {
			t.Errorf("unexpected result: %s", r.GetMessage())
		}
	}
	cm := rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
	wantTxt := "alice-0.alice.team-a.svc.cluster.local:11625\n10.96.0.12:11625\ncarol.validators.example.org:11625\n"
	if got := structpath.StringOr(cm, "", "data", peers.KeyPeersTxt); got != wantTxt {
		t.Errorf("peers.txt:\n got %q\nwant %q", got, wantTxt)
	}

	// The node example reads this ConfigMap: keep the two in step.
	dirObj := loadYAML(t, filepath.Join(examples, "directory", "xr.yaml"))[0]
	nodeRequired := filepath.Join(examples, "node", "required.yaml")
	if *updateExamples {
		var b bytes.Buffer
		b.WriteString("# What the node step requires: the Testnet directory, and the ConfigMap the\n# directory example renders (go test ./fn -run TestExampleDirectory -update-examples).\n")
		for i, obj := range []*structpb.Struct{dirObj, cm} {
			j, _ := protojson.Marshal(obj)
			y, err := yaml.JSONToYAML(j)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 { // no separator first: a comment-only document does not load
				b.WriteString("---\n")
			}
			b.Write(y)
		}
		if err := os.WriteFile(nodeRequired, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got *structpb.Struct
	for _, obj := range loadYAML(t, nodeRequired) {
		if structpath.StringOr(obj, "", "kind") == "ConfigMap" {
			got = obj
		}
	}
	if diff := cmp.Diff(structpath.Object(cm, "data"), structpath.Object(got, "data"), protocmp.Transform()); diff != "" {
		t.Errorf("%s is out of date (rerun with -update-examples): -rendered, +file:\n%s", nodeRequired, diff)
	}
}

func TestExampleNode(t *testing.T) {
	dir := filepath.Join(examples, "node")
	observed := map[string]*fnv1.Resource{}
	for _, obj := range loadYAML(t, filepath.Join(dir, "observed.yaml")) {
		observed[structpath.StringOr(obj, "", "metadata", "annotations", "crossplane.io/composition-resource-name")] = &fnv1.Resource{Resource: obj}
	}
	rsp := renderLike(t, dir, observed)
	if len(rsp.GetResults()) != 0 {
		t.Errorf("unexpected results: %v", rsp.GetResults())
	}
	ps := rsp.GetDesired().GetResources()[resourcePeerSync].GetResource()
	want := `[{"address":"bob-0.bob.team-a.svc.cluster.local:11625","initiate":true,"ip":"10.96.0.12","name":"team-a/bob"},{"address":"carol.validators.example.org:11625","initiate":true,"name":"team-b/carol"}]`
	if got := jsonOf(t, structpath.Field(ps, "spec", "forProvider", "peers")); got != want {
		t.Errorf("PeerSync peers:\n got %s\nwant %s", got, want)
	}
	wantStatus := `{"core":{"state":"Synced!"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`
	if got := jsonOf(t, structpath.Field(rsp.GetDesired().GetComposite().GetResource(), "status")); got != wantStatus {
		t.Errorf("status:\n got %s\nwant %s", got, wantStatus)
	}
}
