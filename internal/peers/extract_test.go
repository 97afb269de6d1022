package peers

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/labels"
)

func mustStruct(t testing.TB, j string) *structpb.Struct {
	t.Helper()
	s := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(j), s); err != nil {
		t.Fatalf("bad test object %s: %v", j, err)
	}
	return s
}

const alice = `{
  "apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
  "metadata": {"name": "alice-x7k2", "labels": {"crossplane.io/claim-name": "alice", "crossplane.io/claim-namespace": "team-a", "tier": "one"}},
  "spec": {"nodeType": "Validator", "network": "Testnet", "peerPort": 11625},
  "status": {"peer": {"host": "alice-0.alice.team-a.svc.cluster.local", "ip": "10.0.0.1", "port": 11625}}
}`

func TestExtract(t *testing.T) {
	tier, _ := labels.Parse("tier=one")
	cases := map[string]struct {
		reason  string
		obj     string
		opts    Options
		want    Peer
		outcome Outcome
		warning string
	}{
		"ClaimValidator": {
			obj:  alice,
			opts: Options{Network: "Testnet"},
			want: Peer{Name: "alice", Namespace: "team-a", NodeType: "Validator", Host: "alice-0.alice.team-a.svc.cluster.local", IP: "10.0.0.1", Port: 11625},
		},
		"SelectorMatches": {
			obj:  alice,
			opts: Options{Selector: tier},
			want: Peer{Name: "alice", Namespace: "team-a", NodeType: "Validator", Host: "alice-0.alice.team-a.svc.cluster.local", IP: "10.0.0.1", Port: 11625},
		},
		"SelectorMisses": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator"}}`,
			opts:    Options{Selector: tier},
			outcome: SkippedNotSelected,
		},
		"OtherNetwork": {
			obj:     alice,
			opts:    Options{Network: "Mainnet"},
			outcome: SkippedOtherNetwork,
		},
		"Watcher": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "w"}, "spec": {"nodeType": "Watcher"}, "status": {"peer": {"ip": "10.0.0.9"}}}`,
			outcome: SkippedNotValidator,
		},
		"Suspended": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "s"}, "spec": {"nodeType": "Validator", "suspended": true}, "status": {"peer": {"ip": "10.0.0.9"}}}`,
			outcome: SkippedSuspended,
		},
		"NoAddressYet": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "n"}, "spec": {"nodeType": "Validator"}}`,
			outcome: SkippedNoAddress,
		},
		"IPv6AndDefaultPort": {
			obj:  `{"kind": "XStellarNode", "metadata": {"name": "v6"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "2001:DB8:0::1"}}}`,
			want: Peer{Name: "v6", NodeType: "Validator", IP: "2001:db8::1", Port: 11625},
		},
		"SpecPeerPortWhenStatusHasNone": {
			obj:  `{"kind": "XStellarNode", "metadata": {"name": "p"}, "spec": {"nodeType": "Validator", "peerPort": 12000}, "status": {"peer": {"host": "p.example"}}}`,
			want: Peer{Name: "p", NodeType: "Validator", Host: "p.example", Port: 12000},
		},
		"IPInHostField": {
			obj:  `{"kind": "XStellarNode", "metadata": {"name": "p"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"host": "192.168.1.1"}}}`,
			want: Peer{Name: "p", NodeType: "Validator", IP: "192.168.1.1", Port: 11625},
		},
		"PublicAddressWins": {
			obj:  `{"kind": "XStellarNode", "metadata": {"name": "lb"}, "spec": {"nodeType": "Validator", "publicAddress": "core.example.org:443"}, "status": {"peer": {"host": "lb-0.lb.default.svc.cluster.local", "ip": "10.0.0.5", "port": 11625}}}`,
			want: Peer{Name: "lb", NodeType: "Validator", Host: "core.example.org", Port: 443},
		},
		"PublicAddressIPv6": {
			obj:  `{"kind": "XStellarNode", "metadata": {"name": "lb"}, "spec": {"nodeType": "Validator", "publicAddress": "[2001:db8::7]:11625"}}`,
			want: Peer{Name: "lb", NodeType: "Validator", IP: "2001:db8::7", Port: 11625},
		},
		"OperatorStellarNode": {
			obj:  `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "core", "namespace": "stellar"}, "spec": {"nodeType": "Validator", "network": {"Custom": "My Net"}}}`,
			opts: Options{Network: "Custom"},
			want: Peer{Name: "core", Namespace: "stellar", NodeType: "Validator", Host: "core.stellar.svc.cluster.local", Port: 11625},
		},
		"OperatorSerdeLowerCase": {
			reason: "The operator's serde form of a network is lower case: the same network.",
			obj:    `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "core", "namespace": "stellar"}, "spec": {"nodeType": "Validator", "network": "testnet"}}`,
			opts:   Options{Network: "Testnet"},
			want:   Peer{Name: "core", Namespace: "stellar", NodeType: "Validator", Host: "core.stellar.svc.cluster.local", Port: 11625},
		},
		"OperatorSerdeCustomOfThisNetwork": {
			reason: "The serde form {\"custom\": passphrase} matches a Custom directory of that passphrase.",
			obj:    `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "core", "namespace": "stellar"}, "spec": {"nodeType": "Validator", "network": {"custom": "My Net"}}}`,
			opts:   Options{Network: "Custom", Passphrase: "My Net"},
			want:   Peer{Name: "core", Namespace: "stellar", NodeType: "Validator", Host: "core.stellar.svc.cluster.local", Port: 11625},
		},
		"OperatorSerdeCustomOfAnotherNetwork": {
			obj:     `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "core", "namespace": "stellar"}, "spec": {"nodeType": "Validator", "network": {"custom": "Other Net"}}}`,
			opts:    Options{Network: "Custom", Passphrase: "My Net"},
			outcome: SkippedOtherNetwork,
		},
		"ClaimCustomOfThisNetwork": {
			reason: "Our own claims spell a Custom network's passphrase in spec.networkPassphrase.",
			obj:    `{"kind": "XStellarNode", "metadata": {"name": "c"}, "spec": {"nodeType": "Validator", "network": "Custom", "networkPassphrase": "My Net"}, "status": {"peer": {"host": "c.example"}}}`,
			opts:   Options{Network: "Custom", Passphrase: "My Net"},
			want:   Peer{Name: "c", NodeType: "Validator", Host: "c.example", Port: 11625},
		},
		"CustomWithoutPassphrase": {
			obj:     `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "core", "namespace": "stellar"}, "spec": {"nodeType": "Validator", "network": "custom"}}`,
			opts:    Options{Network: "Custom", Passphrase: "My Net"},
			outcome: SkippedInvalid,
			warning: `StellarNode "stellar/core": spec.network: is Custom without a passphrase, so it cannot be matched to this directory's network`,
		},
		"OperatorHorizon": {
			obj:     `{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "h", "namespace": "stellar"}, "spec": {"nodeType": "Horizon"}}`,
			outcome: SkippedNotValidator,
		},
		"BadPeerPort": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "alice-x7k2", "labels": {"crossplane.io/claim-name": "alice", "crossplane.io/claim-namespace": "team-a"}}, "spec": {"nodeType": "Validator", "peerPort": 70000}, "status": {"peer": {"host": "a.example"}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "alice-x7k2" (claim team-a/alice): spec.peerPort: 70000 is not a valid port`,
		},
		"FractionalPort": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "f"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"host": "a.example", "port": 1.5}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "f": status.peer.port: 1.5 is not a valid port`,
		},
		"StringPort": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "f"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"host": "a.example", "port": "11625"}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "f": status.peer.port: "11625" is not a number`,
		},
		"BadIP": {
			obj:     `{"kind": "StellarNode", "metadata": {"name": "b", "namespace": "ns"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "10.0.0.256"}}}`,
			outcome: SkippedInvalid,
			warning: `StellarNode "ns/b": status.peer.ip: "10.0.0.256" is not an IP address`,
		},
		"BadHost": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"host": "bad host"}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": status.peer.host: "bad host" is not a valid host name`,
		},
		"BadPublicAddress": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator", "publicAddress": "a.example:0"}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.publicAddress: "0" is not a valid port`,
		},
		"UnknownNodeType": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "validator"}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.nodeType: "validator" is not one of Validator, Watcher, Horizon, SorobanRpc`,
		},
		"MissingNodeType": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.nodeType: is missing or not a string`,
		},
		"SuspendedNotBool": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator", "suspended": "yes"}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.suspended: "yes" is not a bool`,
		},
		"NoName": {
			obj:     `{"kind": "XStellarNode", "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "10.0.0.1"}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "": metadata.name: is empty`,
		},
		"SpecNotAnObject": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": 3}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec: is missing or not an object`,
		},
		"WrongKind": {
			obj:     `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}, "data": {"a": "b"}}`,
			opts:    Options{Network: "Testnet"},
			outcome: SkippedInvalid,
			warning: `ConfigMap "x/c": spec: is missing or not an object`,
		},
		"MissingNetwork": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "10.0.0.1"}}}`,
			opts:    Options{Network: "Testnet"},
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.network: is missing`,
		},
		"NetworkNotAString": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator", "network": 7}, "status": {"peer": {"ip": "10.0.0.1"}}}`,
			opts:    Options{Network: "Testnet"},
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": spec.network: 7 is not a network name`,
		},
		"UnicodeClaimName": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b-x", "labels": {"crossplane.io/claim-name": "ålice", "crossplane.io/claim-namespace": "team-a"}}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "10.0.0.1"}}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b-x" (claim "team-a/ålice"): metadata.labels[crossplane.io/claim-name]: "ålice" is not a valid Kubernetes object name`,
		},
		"BadNamespace": {
			obj:     `{"kind": "StellarNode", "metadata": {"name": "b", "namespace": "a.b"}, "spec": {"nodeType": "Validator"}, "status": {"peer": {"ip": "10.0.0.1"}}}`,
			outcome: SkippedInvalid,
			warning: `StellarNode "a.b/b": metadata.namespace: "a.b" is not a valid Kubernetes namespace name`,
		},
		"StatusPeerNotAnObject": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator"}, "status": {"peer": "10.0.0.1:11625"}}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": status.peer: "10.0.0.1:11625" is not an object`,
		},
		"StatusNotAnObject": {
			obj:     `{"kind": "XStellarNode", "metadata": {"name": "b"}, "spec": {"nodeType": "Validator"}, "status": []}`,
			outcome: SkippedInvalid,
			warning: `XStellarNode "b": status: a list is not an object`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, outcome, w := Extract(mustStruct(t, tc.obj), tc.opts)
			if outcome != tc.outcome {
				t.Errorf("%s\nExtract(...): outcome = %d, want %d (warning %v)", tc.reason, outcome, tc.outcome, w)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Extract(...): -want, +got peer:\n%s", diff)
			}
			gotW := ""
			if w != nil {
				gotW = w.Error()
			}
			if gotW != tc.warning {
				t.Errorf("Extract(...): warning\n got %q\nwant %q", gotW, tc.warning)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	nodes := []*structpb.Struct{
		mustStruct(t, `{"kind": "XStellarNode", "metadata": {"name": "zed-1", "labels": {"crossplane.io/claim-name": "zed", "crossplane.io/claim-namespace": "team-b"}}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": {"peer": {"host": "zed-0.zed.team-b.svc.cluster.local"}}}`),
		mustStruct(t, alice),
		mustStruct(t, `{"kind": "XStellarNode", "metadata": {"name": "bad"}, "spec": {"nodeType": "Validator", "network": "Testnet", "peerPort": -1}, "status": {"peer": {"host": "x.example"}}}`),
		mustStruct(t, `{"kind": "XStellarNode", "metadata": {"name": "copy"}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": {"peer": {"ip": "10.0.0.1"}}}`),
		mustStruct(t, `{"kind": "XStellarNode", "metadata": {"name": "new"}, "spec": {"nodeType": "Validator", "network": "Testnet"}}`),
		mustStruct(t, `{"kind": "XStellarNode", "metadata": {"name": "main"}, "spec": {"nodeType": "Validator", "network": "Mainnet"}, "status": {"peer": {"ip": "10.9.9.9"}}}`),
	}
	ext, err := NewExternal("sdf-1", "core-live-a.stellar.org", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := Discover(nil, slices.Values(nodes), []Peer{ext}, Options{Network: "Testnet"})
	want := Discovery{
		Peers: []Peer{
			{Name: "copy", NodeType: "Validator", IP: "10.0.0.1", Port: 11625},
			{Name: "sdf-1", NodeType: "Validator", Host: "core-live-a.stellar.org", Port: 11625, External: true},
			{Name: "alice", Namespace: "team-a", NodeType: "Validator", Host: "alice-0.alice.team-a.svc.cluster.local", IP: "10.0.0.1", Port: 11625},
			{Name: "zed", Namespace: "team-b", NodeType: "Validator", Host: "zed-0.zed.team-b.svc.cluster.local", Port: 11625},
		},
		Warnings: []Warning{
			{Object: `XStellarNode "bad"`, Field: "spec.peerPort", Message: "-1 is not a valid port"},
			{Object: `peer "team-a/alice"`, Message: `has the same address 10.0.0.1:11625 as peer "copy"`},
		},
		Pending: []string{"new"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Discover(...): -want, +got:\n%s", diff)
	}
}
