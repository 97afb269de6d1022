package peers

import (
	"net/netip"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	fuzzValidA = `{"kind": "XStellarNode", "metadata": {"name": "a-1", "labels": {"crossplane.io/claim-name": "a", "crossplane.io/claim-namespace": "ns"}}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": {"peer": {"host": "a-0.a.ns.svc.cluster.local", "port": 11625}}}`
	fuzzValidB = `{"kind": "XStellarNode", "metadata": {"name": "b-1"}, "spec": {"nodeType": "Validator", "network": "Testnet", "peerPort": 12000}, "status": {"peer": {"ip": "10.0.0.2"}}}`
)

// FuzzExtractArbitraryObject feeds arbitrary JSON objects between two valid
// nodes: extraction must not panic, must keep both valid peers, and must only
// return peers that validate and survive a render/parse round trip.
func FuzzExtractArbitraryObject(f *testing.F) {
	f.Add([]byte(alice))
	f.Add([]byte(`{"spec": {"nodeType": "Validator", "network": "Testnet", "publicAddress": "[::1"}}`))
	f.Add([]byte(`{"metadata": {"name": 5}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": {"peer": {"port": 1e300, "ip": "::"}}}`))
	f.Add([]byte(`{"apiVersion": "stellar.org/v1alpha1", "metadata": {"name": "x", "namespace": "y"}, "spec": {"nodeType": "Validator", "network": "Testnet"}}`))
	f.Add([]byte(`{"metadata": {"labels": {"crossplane.io/claim-name": "a", "crossplane.io/claim-namespace": "ns"}}, "spec": {"nodeType": "Validator", "network": "Testnet", "publicAddress": "10.0.0.2:12000"}}`))
	f.Add([]byte(`{"spec": null, "status": []}`))

	a, b := mustStruct(f, fuzzValidA), mustStruct(f, fuzzValidB)
	wantA, _, _ := Extract(a, Options{})
	wantB, _, _ := Extract(b, Options{})

	f.Fuzz(func(t *testing.T, data []byte) {
		obj := &structpb.Struct{}
		if err := protojson.Unmarshal(data, obj); err != nil {
			t.Skip()
		}
		d := Discover(nil, slices.Values([]*structpb.Struct{a, obj, b}), nil, Options{Network: "Testnet"})
		if !slices.Contains(d.Peers, wantA) || !slices.Contains(d.Peers, wantB) {
			t.Fatalf("a bad object dropped a valid peer: got %+v", d.Peers)
		}
		if !slices.IsSortedFunc(d.Peers, Compare) {
			t.Fatalf("peers are not sorted: %+v", d.Peers)
		}
		for _, p := range d.Peers {
			if err := p.Validate(); err != nil {
				t.Fatalf("extracted an invalid peer %+v: %v", p, err)
			}
		}
		back, bad, err := ParsePeersJSON(Render(d.Peers, true).PeersJSON)
		if err != nil || len(bad) != 0 {
			t.Fatalf("rendered peers.json does not parse back: %v %v", err, bad)
		}
		if diff := cmp.Diff(d.Peers, back); diff != "" {
			t.Fatalf("render/parse round trip: -want, +got:\n%s", diff)
		}
	})
}

var (
	simpleHost   = regexp.MustCompile(`^[a-z][a-z0-9]{0,20}(\.[a-z][a-z0-9]{0,20}){0,4}$`)
	k8sName      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	k8sNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// FuzzExtractFields varies the fields extraction reads. Whatever it gets, a
// kept peer is valid and carries the object's identity, and a node that is
// plainly valid by an independent, simpler rule is never dropped.
func FuzzExtractFields(f *testing.F) {
	f.Add("alice", "team-a", "alice-0.alice.team-a.svc.cluster.local", "10.0.0.1", 11625, "", false)
	f.Add("bob", "", "", "2001:db8::1", 0, "", false)
	f.Add("carol", "x", "", "", 70000, "core.example.org:443", false)
	f.Add("dave", "x", "h.example", "", 1, "", true)
	f.Add("", "x", "h.example", "", 1, "", false)
	f.Add("eve", "x", "h.example", "fe80::1%eth0", 1, "", false)

	f.Fuzz(func(t *testing.T, name, namespace, host, ip string, port int, publicAddress string, suspended bool) {
		status := map[string]any{}
		if host != "" {
			status["host"] = host
		}
		if ip != "" {
			status["ip"] = ip
		}
		if port != 0 {
			status["port"] = port
		}
		obj, err := structpb.NewStruct(map[string]any{
			"apiVersion": "stellarpeers.io/v1alpha1",
			"kind":       "XStellarNode",
			"metadata": map[string]any{"name": name + "-x", "labels": map[string]any{
				LabelClaimName: name, LabelClaimNamespace: namespace,
			}},
			"spec":   map[string]any{"nodeType": "Validator", "network": "Testnet", "suspended": suspended, "publicAddress": publicAddress},
			"status": map[string]any{"peer": status},
		})
		if err != nil {
			t.Skip() // not valid UTF-8: the API server would never send it
		}
		p, outcome, w := Extract(obj, Options{Network: "Testnet"})
		if outcome == SkippedInvalid && w == nil {
			t.Fatalf("skipped as invalid without a warning")
		}
		if outcome == Kept {
			if err := p.Validate(); err != nil {
				t.Fatalf("kept an invalid peer %+v: %v", p, err)
			}
			if !k8sName.MatchString(p.Name) || (p.Namespace != "" && !k8sNamespace.MatchString(p.Namespace)) {
				t.Fatalf("kept a peer whose identity is not a Kubernetes name: %+v", p)
			}
			wantName, wantNamespace := name, namespace
			if name == "" { // no claim label: the composite's own identity
				wantName, wantNamespace = "-x", ""
			}
			if p.Name != wantName || p.Namespace != wantNamespace {
				t.Fatalf("kept peer %+v lost its identity %s/%s", p, wantNamespace, wantName)
			}
		}
		if plainlyValid(name, namespace, host, ip, port, publicAddress, suspended) && outcome != Kept {
			t.Fatalf("dropped a valid node (outcome %d, warning %v)", outcome, w)
		}
	})
}

func plainlyValid(name, namespace, host, ip string, port int, publicAddress string, suspended bool) bool {
	if !k8sName.MatchString(name) || len(name) > 253 || (namespace != "" && (!k8sNamespace.MatchString(namespace) || len(namespace) > 63)) || suspended || publicAddress != "" || port < 0 || port > 65535 {
		return false
	}
	if host == "" && ip == "" {
		return false
	}
	if host != "" && !simpleHost.MatchString(host) {
		return false
	}
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" || a.IsUnspecified() {
			return false
		}
	}
	return true
}
