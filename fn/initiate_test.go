package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// listing is a directory entry: a validator of ours, or an external peer.
type listing struct {
	namespace, name string
	external        bool
}

// directoryWith is the default directory ConfigMap listing the given peers.
func directoryWith(t *testing.T, ls ...listing) *fnv1.Resources {
	t.Helper()
	entries := make([]map[string]any, 0, len(ls))
	for _, l := range ls {
		host := fmt.Sprintf("%[2]s-0.%[2]s.%[1]s.svc.cluster.local", l.namespace, l.name)
		if l.external {
			host = l.name + ".validators.example.org"
		}
		entries = append(entries, map[string]any{
			"name": l.name, "namespace": l.namespace, "nodeType": peers.NodeTypeValidator, "host": host, "ip": "",
			"port": peers.DefaultPeerPort, "peerString": fmt.Sprintf("%s:%d", host, peers.DefaultPeerPort), "external": l.external,
		})
	}
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"namespace": "stellar-system", "name": "stellar-peers"},
		"data":     map[string]any{peers.KeyPeersJSON: string(b)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: resource.MustStructJSON(string(cm))}}}
}

// initiates runs the node step for the validator namespace/name and returns
// the initiate mark of each desired peer of its PeerSync.
func initiates(t *testing.T, namespace, name string, dir *fnv1.Resources) map[string]bool {
	t.Helper()
	return initiatesWith(t, nodeInput, namespace, name, dir)
}

// initiatesWith is initiates with the given NodeInput.
func initiatesWith(t *testing.T, input, namespace, name string, dir *fnv1.Resources) map[string]bool {
	t.Helper()
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input:             resource.MustStructJSON(input),
		Observed:          &fnv1.State{Composite: xNode(namespace, name, "Validator", "Testnet", "", "")},
		RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: dir},
	})
	if err != nil {
		t.Fatalf("RunFunction: %v", err)
	}
	ps := rsp.GetDesired().GetResources()[resourcePeerSync].GetResource()
	got := map[string]bool{}
	for _, v := range structpath.Field(ps, "spec", "forProvider", "peers").GetListValue().GetValues() {
		p := v.GetStructValue()
		initiate, ok := p.GetFields()["initiate"]
		if !ok {
			t.Fatalf("desired peer %s has no initiate mark", structpath.StringOr(p, "", "name"))
		}
		got[structpath.StringOr(p, "", "name")] = initiate.GetBoolValue()
	}
	return got
}

func TestNodeInitiates(t *testing.T) {
	sdf := listing{name: "sdf-1", external: true}
	cases := map[string]struct {
		reason          string
		namespace, name string
		directory       []listing
		want            map[string]bool
	}{
		"FirstInitiatesToAll": {
			reason:    "The node whose (namespace, name) sorts first initiates to every other validator.",
			namespace: "team-a", name: "alice",
			directory: []listing{{"team-a", "alice", false}, {"team-a", "bob", false}, {"team-b", "carol", false}},
			want:      map[string]bool{"team-a/bob": true, "team-b/carol": true},
		},
		"MiddleInitiatesToLaterOnly": {
			reason:    "A node leaves the validators that sort before it to connect to it, and initiates to those after it.",
			namespace: "team-a", name: "bob",
			directory: []listing{{"team-a", "alice", false}, {"team-a", "bob", false}, {"team-b", "carol", false}},
			want:      map[string]bool{"team-a/alice": false, "team-b/carol": true},
		},
		"LastInitiatesToExternalOnly": {
			reason:    "External peers have no PeerSync, so even the last node initiates to them.",
			namespace: "team-b", name: "carol",
			directory: []listing{sdf, {"team-a", "alice", false}, {"team-a", "bob", false}, {"team-b", "carol", false}},
			want:      map[string]bool{"sdf-1": true, "team-a/alice": false, "team-a/bob": false},
		},
		"NamespaceBeforeName": {
			reason:    "The order is the directory's, namespace first: team-a/zed comes before team-b/alice.",
			namespace: "team-a", name: "zed",
			directory: []listing{{"team-a", "zed", false}, {"team-b", "alice", false}},
			want:      map[string]bool{"team-b/alice": true},
		},
		"NotTheKeyString": {
			reason:    `Namespace "a" sorts before "a-b" although "a-b/x" < "a/y" as strings: both sides must agree with the directory.`,
			namespace: "a-b", name: "x",
			directory: []listing{{"a", "y", false}, {"a-b", "x", false}},
			want:      map[string]bool{"a/y": false},
		},
		"NotYetListedTakesItsTurn": {
			reason: "A validator the directory will list once it reads its card initiates only to those after it, as if listed: " +
				"the others learn of it in a moment, and two sides connecting at once would be one redundant /connect.",
			namespace: "team-a", name: "zoe",
			directory: []listing{{"team-a", "alice", false}, {"team-b", "carol", false}},
			want:      map[string]bool{"team-a/alice": false, "team-b/carol": true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := initiates(t, tc.namespace, tc.name, directoryWith(t, tc.directory...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ninitiate: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestNeverListedInitiatesToAll: a node the directory will never list (its nodeSelector leaves it out) is in no
// other PeerSync, so it initiates to every peer.
func TestNeverListedInitiatesToAll(t *testing.T) {
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input:    resource.MustStructJSON(nodeInput),
		Observed: &fnv1.State{Composite: xNode("team-a", "zoe", "Validator", "Testnet", "", "")},
		RequiredResources: map[string]*fnv1.Resources{
			requirementDirectories:        directories(`, "nodeSelector": {"matchLabels": {"tier": "core"}}`),
			requirementDirectoryConfigMap: directoryWith(t, listing{"team-a", "alice", false}, listing{"team-b", "carol", false}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range structpath.Field(rsp.GetDesired().GetResources()[resourcePeerSync].GetResource(), "spec", "forProvider", "peers").GetListValue().GetValues() {
		got[structpath.StringOr(v.GetStructValue(), "", "name")] = v.GetStructValue().GetFields()["initiate"].GetBoolValue()
	}
	if diff := cmp.Diff(map[string]bool{"team-a/alice": true, "team-b/carol": true}, got); diff != "" {
		t.Errorf("initiate: -want, +got:\n%s", diff)
	}
}

// TestExactlyOneSideInitiates: for every pair of listed validators exactly
// one side initiates, and every validator initiates to every external peer.
func TestExactlyOneSideInitiates(t *testing.T) {
	validators := []listing{{"a", "y", false}, {"a-b", "x", false}, {"team-a", "alice", false}, {"team-a", "bob", false}, {"team-b", "alice", false}, {"team-b", "carol", false}}
	externals := []listing{{"", "sdf-1", true}, {"", "sdf-2", true}}
	dir := directoryWith(t, append(append([]listing(nil), externals...), validators...)...)

	marks := map[string]map[string]bool{}
	for _, v := range validators {
		marks[v.namespace+"/"+v.name] = initiates(t, v.namespace, v.name, dir)
	}
	for a, peersOfA := range marks {
		for _, e := range externals {
			if !peersOfA[e.name] {
				t.Errorf("%s does not initiate to external peer %s", a, e.name)
			}
		}
		for b, peersOfB := range marks {
			if a == b {
				continue
			}
			if peersOfA[b] == peersOfB[a] {
				t.Errorf("%s -> %s initiate=%v and %s -> %s initiate=%v: want exactly one side", a, b, peersOfA[b], b, a, peersOfB[a])
			}
		}
	}
}

// TestFanoutInitiates: in a directory larger than maxPeers, each validator's
// PeerSync lists maxPeers validators (and every external peer), and every
// pair that either side lists is initiated by exactly one side: both when
// both list each other, the listing side when only one does.
func TestFanoutInitiates(t *testing.T) {
	const maxPeers = 3
	input := fmt.Sprintf(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput", "maxPeers": %d}`, maxPeers)
	var validators []listing
	for i := range 12 {
		validators = append(validators, listing{fmt.Sprintf("team-%d", i%3), fmt.Sprintf("v%02d", i), false})
	}
	external := listing{"", "sdf-1", true}
	dir := directoryWith(t, append([]listing{external}, validators...)...)

	marks := map[string]map[string]bool{}
	for _, v := range validators {
		m := initiatesWith(t, input, v.namespace, v.name, dir)
		if !m[external.name] {
			t.Errorf("%s/%s does not initiate to external peer %s", v.namespace, v.name, external.name)
		}
		delete(m, external.name)
		if len(m) != maxPeers {
			t.Errorf("%s/%s lists %d validators, want %d: %v", v.namespace, v.name, len(m), maxPeers, m)
		}
		marks[v.namespace+"/"+v.name] = m
	}
	pairs := 0
	for a, peersOfA := range marks {
		for b, aInitiates := range peersOfA {
			bInitiates, bLists := marks[b][a]
			switch {
			case !bLists && !aInitiates:
				t.Errorf("%s lists %s, which does not list it, but leaves the connect to it", a, b)
			case bLists && aInitiates == bInitiates:
				t.Errorf("%s -> %s initiate=%v and %s -> %s initiate=%v: want exactly one side", a, b, aInitiates, b, a, bInitiates)
			}
			if aInitiates {
				pairs++
			}
		}
	}
	if pairs < len(validators)*maxPeers/2 {
		t.Errorf("%d pairs initiated, want at least %d", pairs, len(validators)*maxPeers/2)
	}
}
