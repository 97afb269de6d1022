package peers

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNetworkLabel(t *testing.T) {
	cases := map[string]struct {
		network, passphrase, want string
	}{
		"Testnet":        {network: "Testnet", want: "testnet"},
		"OperatorSerde":  {network: "testnet", want: "testnet"},
		"Mainnet":        {network: "Mainnet", want: "mainnet"},
		"Custom":         {network: "Custom", passphrase: "Standalone Network ; February 2017", want: "custom-baefd734b8d3"}, // sha256sum of the passphrase
		"CustomIsStable": {network: "CUSTOM", passphrase: "Standalone Network ; February 2017", want: "custom-baefd734b8d3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := NetworkLabel(tc.network, tc.passphrase); got != tc.want {
				t.Errorf("NetworkLabel(%q, %q) = %q, want %q", tc.network, tc.passphrase, got, tc.want)
			}
		})
	}
	// A label value is at most 63 characters; two passphrases give two labels.
	a, b := NetworkLabel("Custom", "a"), NetworkLabel("Custom", "b")
	if len(a) != len("custom-")+12 || a == b || !IsCustomNetworkLabel(a) || IsCustomNetworkLabel("testnet") {
		t.Errorf("custom labels %q and %q: want custom- and 12 hex digits, distinct", a, b)
	}
}

func TestCardJSONAndLabels(t *testing.T) {
	c := CardOf(Peer{Name: "alice", Namespace: "team-a", NodeType: NodeTypeValidator, Host: "alice-0.alice.team-a.svc.cluster.local", Port: 11625}, "", "example.org")
	if got, want := c.JSON(), `{"homeDomain":"example.org","host":"alice-0.alice.team-a.svc.cluster.local","name":"alice","namespace":"team-a","nodeType":"Validator","port":11625}`; got != want {
		t.Errorf("Card.JSON():\n got %s\nwant %s", got, want)
	}
	got := CardLabels(map[string]string{"team": "payments", "crossplane.io/claim-name": "alice", "crossplane.io/composite": "alice-x7k2", LabelNetwork: "forged"}, "testnet")
	want := map[string]string{"team": "payments", LabelPeerCard: PeerCardVersion, LabelNetwork: "testnet"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CardLabels: -want, +got:\n%s", diff)
	}
}
