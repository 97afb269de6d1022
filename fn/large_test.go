package main

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// TestLargeDirectory: a directory too large for the plain keys publishes its
// bulk compressed, and a node reads it exactly as it reads a plain one.
func TestLargeDirectory(t *testing.T) {
	const n = 5000
	f := &Function{log: logging.NewNopLogger()}
	dirRsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(`"preferredPeers": true`),
		RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: manyValidators(n, "Testnet")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs := dirRsp.GetResults(); len(rs) > 0 && rs[0].GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
		t.Fatalf("directory of %d: %s", n, rs[0].GetMessage())
	}
	if size := proto.Size(dirRsp); size > 1<<20 {
		t.Errorf("directory of %d: response is %d bytes, want it small (under 1 MiB)", n, size)
	}
	cm := dirRsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
	keys := func(path string) []string {
		var ks []string
		for k := range structpath.Object(cm, path).GetFields() {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	if diff := cmp.Diff([]string{peers.KeyPeerCount}, keys("data")); diff != "" {
		t.Errorf("data keys: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{peers.KeyKnownPeersGzip, peers.KeyPeersJSONGzip, peers.KeyPeersTxtGzip}, keys("binaryData")); diff != "" {
		t.Errorf("binaryData keys: -want, +got:\n%s", diff)
	}

	// Shrinking it to one validator is held: the compressed keys are published
	// again exactly as observed.
	heldRsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input: resource.MustStructJSON(directoryInput),
		Observed: &fnv1.State{
			Composite: directoryXR(`"preferredPeers": true`).GetComposite(),
			Resources: map[string]*fnv1.Resource{resourcePeersConfigMap: {Resource: cm}},
		},
		RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: manyValidators(1, "Testnet")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cm, heldRsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource(), protocmp.Transform()); diff != "" {
		t.Errorf("held: ConfigMap: -observed, +desired:\n%s", diff)
	}

	// The same directory as plain keys, as a smaller one would publish it.
	plain := map[string]string{}
	for _, k := range []string{peers.KeyPeersJSON, peers.KeyPeersTxt, peers.KeyPeerCount, peers.KeyKnownPeers} {
		v, err := directoryValue(cm, k)
		if err != nil {
			t.Fatalf("directoryValue(%s): %v", k, err)
		}
		plain[k] = v
	}
	if got, _, err := peers.ParsePeersJSON(plain[peers.KeyPeersJSON]); err != nil || len(got) != n {
		t.Fatalf("peers.json.gz: %d peers (%v), want %d", len(got), err, n)
	}

	node := func(dirCM *structpb.Struct) *fnv1.RunFunctionResponse {
		t.Helper()
		rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
			Input:    resource.MustStructJSON(nodeInput),
			Observed: &fnv1.State{Composite: xNode("team-000", "validator-00000", "Validator", "Testnet", "", "")},
			RequiredResources: map[string]*fnv1.Resources{
				requirementDirectories:        {Items: []*fnv1.Resource{{Resource: resource.MustStructJSON(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "testnet"}, "spec": {"network": "Testnet"}}`)}}},
				requirementDirectoryConfigMap: {Items: []*fnv1.Resource{{Resource: dirCM}}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}
	fromPlain := node(peersConfigMap(defaultPeersConfigMap(), peers.Published{Data: plain}))
	fromCompressed := node(cm)
	if diff := cmp.Diff(fromPlain, fromCompressed, protocmp.Transform()); diff != "" {
		t.Errorf("node step: -from plain keys, +from compressed keys:\n%s", diff)
	}
	peerSync := fromCompressed.GetDesired().GetResources()[resourcePeerSync].GetResource()
	// Every other validator is a known peer; the PeerSync keeps the default fan-out.
	known := parseCfg(t, desiredConfig(fromCompressed)).strings("KNOWN_PEERS")
	if got := len(known); got != n-1 || slices.Contains(known, "validator-00000-0.validator-00000.team-000.svc.cluster.local:11625") {
		t.Errorf("node step: stellar-core.cfg lists %d known peers, want the %d others", got, n-1)
	}
	if got := len(structpath.Field(peerSync, "spec", "forProvider", "peers").GetListValue().GetValues()); got != v1alpha1.DefaultMaxPeers {
		t.Errorf("node step: PeerSync lists %d peers, want the fan-out %d", got, v1alpha1.DefaultMaxPeers)
	}
}
