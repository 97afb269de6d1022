package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// labelledNode is xNode team-a/alice with the claim's own labels, as Crossplane copies them onto the composite.
func labelledNode(network, extraSpec string) *fnv1.Resource {
	n := xNode("team-a", "alice", "Validator", network, extraSpec, "")
	labels := structpath.Object(n.GetResource(), "metadata", "labels")
	labels.Fields["team"] = structpb.NewStringValue("payments")
	labels.Fields["crossplane.io/composite"] = structpb.NewStringValue("alice-x7k2")
	return n
}

func TestPeerCardComposed(t *testing.T) {
	cases := map[string]struct {
		reason string
		xr     *fnv1.Resource
		svc    string
		want   string // the desired card as JSON, "" for none
	}{
		"Validator": {
			reason: "A validator gets a card in its claim's namespace: contract labels, its own labels but Crossplane's, and peer.json with sorted keys and no empty values.",
			xr:     labelledNode("Testnet", `"validator": {"homeDomain": "example.org", "publicKey": "GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y"}`),
			want: `{"apiVersion":"v1","data":{"peer.json":"{\"homeDomain\":\"example.org\",\"host\":\"alice-0.alice.team-a.svc.cluster.local\",\"name\":\"alice\",\"namespace\":\"team-a\",\"nodeType\":\"Validator\",\"port\":11625,\"publicKey\":\"GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y\",\"quality\":\"MEDIUM\"}"},` +
				`"kind":"ConfigMap","metadata":{"labels":{"stellarpeers.io/network":"testnet","stellarpeers.io/peer-card":"v1","team":"payments"},"name":"alice-peer-card","namespace":"team-a"}}`,
		},
		"HighPublicURL": {
			reason: "A HIGH validator publishing to an archive of its own gives that archive's public URL and its quality, for validators that include the directory.",
			xr: labelledNode("Testnet", `"validator": {"homeDomain": "example.org", "quality": "HIGH", "seedSecretRef": {"name": "s"}}, `+
				`"history": {"publish": true, "publicURL": "https://history.example.org/alice"}`),
			want: `{"apiVersion":"v1","data":{"peer.json":"{\"history\":\"https://history.example.org/alice\",\"homeDomain\":\"example.org\",\"host\":\"alice-0.alice.team-a.svc.cluster.local\",\"name\":\"alice\",\"namespace\":\"team-a\",\"nodeType\":\"Validator\",\"port\":11625,\"quality\":\"HIGH\"}"},` +
				`"kind":"ConfigMap","metadata":{"labels":{"stellarpeers.io/network":"testnet","stellarpeers.io/peer-card":"v1","team":"payments"},"name":"alice-peer-card","namespace":"team-a"}}`,
		},
		"PublicAddressAndServiceIP": {
			reason: "spec.publicAddress wins over the stable host and the Service's address, as in status.peer.",
			xr:     labelledNode("Testnet", `"publicAddress": "203.0.113.7:11700"`),
			svc:    `{"spec": {"clusterIP": "10.96.0.9"}}`,
			want: `{"apiVersion":"v1","data":{"peer.json":"{\"homeDomain\":\"alice.example.org\",\"host\":\"alice-0.alice.team-a.svc.cluster.local\",\"ip\":\"203.0.113.7\",\"name\":\"alice\",\"namespace\":\"team-a\",\"nodeType\":\"Validator\",\"port\":11700,\"quality\":\"MEDIUM\"}"},` +
				`"kind":"ConfigMap","metadata":{"labels":{"stellarpeers.io/network":"testnet","stellarpeers.io/peer-card":"v1","team":"payments"},"name":"alice-peer-card","namespace":"team-a"}}`,
		},
		"CustomNetwork": {
			reason: "A Custom network's label is custom- and the first 12 hex digits of the passphrase's SHA-256, so two custom networks never meet; a publishing validator's card says where its archive is.",
			xr:     labelledNode("Custom", `"networkPassphrase": "Standalone Network ; February 2017"`),
			want: `{"apiVersion":"v1","data":{"peer.json":"{\"history\":\"http://alice-0.alice.team-a.svc.cluster.local:11627\",\"homeDomain\":\"alice.example.org\",\"host\":\"alice-0.alice.team-a.svc.cluster.local\",\"name\":\"alice\",\"namespace\":\"team-a\",\"nodeType\":\"Validator\",\"port\":11625,\"quality\":\"MEDIUM\"}"},` +
				`"kind":"ConfigMap","metadata":{"labels":{"stellarpeers.io/network":"` + peers.NetworkLabel("Custom", "Standalone Network ; February 2017") + `","stellarpeers.io/peer-card":"v1","team":"payments"},"name":"alice-peer-card","namespace":"team-a"}}`,
		},
		"LowerCaseNetwork": {
			reason: "The original operator's serde form of a network (lower case) is the same network.",
			xr:     labelledNode("testnet", ""),
			want: `{"apiVersion":"v1","data":{"peer.json":"{\"homeDomain\":\"alice.example.org\",\"host\":\"alice-0.alice.team-a.svc.cluster.local\",\"name\":\"alice\",\"namespace\":\"team-a\",\"nodeType\":\"Validator\",\"port\":11625,\"quality\":\"MEDIUM\"}"},` +
				`"kind":"ConfigMap","metadata":{"labels":{"stellarpeers.io/network":"testnet","stellarpeers.io/peer-card":"v1","team":"payments"},"name":"alice-peer-card","namespace":"team-a"}}`,
		},
		"Suspended": {
			reason: "A suspended validator is no peer: no card, so Crossplane deletes the one it had.",
			xr:     labelledNode("Testnet", `"suspended": true`),
		},
		"Watcher": {
			reason: "Only validators are peers.",
			xr:     xNode("team-a", "walter", "Watcher", "Testnet", "", ""),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			observed := &fnv1.State{Composite: tc.xr}
			if tc.svc != "" {
				observed.Resources = map[string]*fnv1.Resource{resourceService: {Resource: resource.MustStructJSON(tc.svc)}}
			}
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: observed})
			if err != nil {
				t.Fatal(err)
			}
			card := rsp.GetDesired().GetResources()[resourcePeerCard].GetResource()
			got := ""
			if card != nil {
				got = jsonOf(t, structpb.NewStructValue(card))
			}
			if got != tc.want {
				t.Errorf("%s\npeer card:\n got %s\nwant %s", tc.reason, got, tc.want)
			}
		})
	}
}

// card is a peer card ConfigMap as the node step composes it, with the given labels and peer.json.
func card(namespace, name, network, peerJSON string, extraLabels map[string]string) *fnv1.Resource {
	labels := map[string]string{peers.LabelPeerCard: peers.PeerCardVersion, peers.LabelNetwork: network}
	for k, v := range extraLabels {
		labels[k] = v
	}
	ls := make(map[string]any, len(labels))
	for k, v := range labels {
		ls[k] = v
	}
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name + peers.PeerCardSuffix, "namespace": namespace, "labels": ls},
		"data":     map[string]any{peers.KeyPeerCard: peerJSON},
	})
	if err != nil {
		panic(err)
	}
	return &fnv1.Resource{Resource: s}
}

func cardJSON(namespace, name string) string {
	return peers.CardOf(peers.Peer{Name: name, Namespace: namespace, NodeType: peers.NodeTypeValidator,
		Host: name + "-0." + name + "." + namespace + ".svc.cluster.local", Port: 11625}, "", "").JSON()
}

func TestDirectoryFromPeerCards(t *testing.T) {
	input := `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput"}`
	threeCards := []*fnv1.Resource{
		card("team-b", "carol", "testnet", cardJSON("team-b", "carol"), nil),
		card("team-a", "bob", "testnet", cardJSON("team-a", "bob"), nil),
		card("team-a", "alice", "testnet", cardJSON("team-a", "alice"), map[string]string{"team": "payments"}),
	}
	cases := map[string]struct {
		reason       string
		spec         string
		cards        []*fnv1.Resource
		requirements *fnv1.Requirements
		peersTxt     string
		results      []string
	}{
		"CardsOnly": {
			reason:       "With the default input the directory requires only its network's cards, in every namespace, and publishes them sorted.",
			cards:        threeCards,
			requirements: &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{requirementPeerCards: testnetCards()}},
			peersTxt:     "alice-0.alice.team-a.svc.cluster.local:11625\nbob-0.bob.team-a.svc.cluster.local:11625\ncarol-0.carol.team-b.svc.cluster.local:11625\n",
		},
		"BadCardsSkipped": {
			reason: "A card that is not JSON, or lacks a name or a valid port, is skipped with a Warning naming it; the others stay listed.",
			cards: append([]*fnv1.Resource{
				card("team-x", "broken", "testnet", "{not json", nil),
				card("team-x", "noname", "testnet", `{"host":"h.example.org","nodeType":"Validator","port":11625}`, nil),
				card("team-x", "badport", "testnet", `{"host":"h.example.org","name":"badport","nodeType":"Validator","port":0}`, nil),
				card("team-x", "watcher", "testnet", `{"host":"w.example.org","name":"watcher","nodeType":"Watcher","port":11625}`, nil),
			}, threeCards...),
			requirements: &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{requirementPeerCards: testnetCards()}},
			peersTxt:     "alice-0.alice.team-a.svc.cluster.local:11625\nbob-0.bob.team-a.svc.cluster.local:11625\ncarol-0.carol.team-b.svc.cluster.local:11625\n",
			results: []string{
				`WARNING: ConfigMap "team-x/badport-peer-card": data[peer.json].port: 0 is not a valid port`,
				`WARNING: ConfigMap "team-x/broken-peer-card": data[peer.json]: is not a peer card: invalid character 'n' looking for beginning of object key string`,
				`WARNING: ConfigMap "team-x/noname-peer-card": data[peer.json].name: "" is not a valid Kubernetes object name`,
			},
		},
		"NodeSelector": {
			reason: "The nodeSelector's matchLabels narrow the requirement, and the whole selector is applied to the cards' labels.",
			spec:   `"nodeSelector": {"matchLabels": {"team": "payments"}}`,
			cards:  threeCards,
			requirements: &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{requirementPeerCards: {ApiVersion: "v1", Kind: "ConfigMap", Match: &fnv1.ResourceSelector_MatchLabels{
				MatchLabels: &fnv1.MatchLabels{Labels: map[string]string{peers.LabelPeerCard: "v1", peers.LabelNetwork: "testnet", "team": "payments"}},
			}}}},
			peersTxt: "alice-0.alice.team-a.svc.cluster.local:11625\n",
		},
		"OtherNetworkCard": {
			reason:       "A card of another network that reaches the step anyway is left out.",
			cards:        append([]*fnv1.Resource{card("team-z", "zed", "mainnet", cardJSON("team-z", "zed"), nil)}, threeCards[2]),
			requirements: &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{requirementPeerCards: testnetCards()}},
			peersTxt:     "alice-0.alice.team-a.svc.cluster.local:11625\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(input), Observed: directoryXR(tc.spec),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {Items: tc.cards}},
			}
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.requirements, rsp.GetRequirements(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nrequirements: -want, +got:\n%s", tc.reason, diff)
			}
			var results []string
			for _, r := range rsp.GetResults() {
				results = append(results, r.GetSeverity().String()[len("SEVERITY_"):]+": "+r.GetMessage())
			}
			if diff := cmp.Diff(tc.results, results); diff != "" {
				t.Errorf("%s\nresults: -want, +got:\n%s", tc.reason, diff)
			}
			cm := rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
			if got := structpath.StringOr(cm, "", "data", peers.KeyPeersTxt); got != tc.peersTxt {
				t.Errorf("%s\npeers.txt:\n got %q\nwant %q", tc.reason, got, tc.peersTxt)
			}
		})
	}
}

func TestDirectoryNodesInputNeedsKind(t *testing.T) {
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Input:    resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput", "nodes": {"kind": "StellarNode"}}`),
		Observed: directoryXR(""),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []*fnv1.Result{{Severity: fnv1.Severity_SEVERITY_FATAL, Target: targetComposite, Message: `input nodes: needs both apiVersion and kind, got "" and "StellarNode"`}}
	if diff := cmp.Diff(want, rsp.GetResults(), protocmp.Transform()); diff != "" {
		t.Errorf("an input naming a kind without its apiVersion is a Fatal result naming the field: -want, +got:\n%s", diff)
	}
}
