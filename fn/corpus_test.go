package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// hostileNode is an XStellarNode of claim team-h/<claim> with the given spec and status JSON.
func hostileNode(claim, spec, status string) string {
	return fmt.Sprintf(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
		"metadata": {"name": "%[1]s-x9", "labels": {"crossplane.io/claim-name": "%[1]s", "crossplane.io/claim-namespace": "team-h"}},
		"spec": %[2]s, "status": %[3]s}`, claim, spec, status)
}

// hostileObject is how warnings name hostileNode(claim, ...).
func hostileObject(claim string) string {
	return fmt.Sprintf(`XStellarNode "%s-x9" (claim team-h/%s)`, claim, claim)
}

const (
	validSpec = `{"nodeType": "Validator", "network": "Testnet"}`
	okStatus  = `{"peer": {"host": "h-0.h.team-h.svc.cluster.local", "port": 11625}}`
)

func specWith(extra string) string {
	return `{"nodeType": "Validator", "network": "Testnet", ` + extra + `}`
}

func peerWith(fields string) string { return `{"peer": {` + fields + `}}` }

// corpusCase is one malformed or hostile node object. Every one gives a Warning naming object and field (or,
// for duplicates that are kept on purpose, the address they share), and never costs a valid peer its place.
type corpusCase struct {
	name string
	obj  string
	// object and field are how the Warning must start: "<object>: <field>: ".
	object, field string
	// kept: the object is a valid peer by itself (a duplicate); it stays listed beside the others.
	kept bool
	// pending: the object is a validator without an address yet, reported as such (a Normal result).
	pending string
}

func hostileCorpus() []corpusCase {
	long := strings.Repeat("a", 1000)
	label64 := strings.Repeat("b", 64)
	return []corpusCase{
		// Missing and wrong-typed fields.
		{name: "NodeTypeMissing", obj: hostileNode("nt-missing", `{"network": "Testnet"}`, okStatus), object: hostileObject("nt-missing"), field: "spec.nodeType"},
		{name: "NodeTypeNumber", obj: hostileNode("nt-number", `{"nodeType": 7, "network": "Testnet"}`, okStatus), object: hostileObject("nt-number"), field: "spec.nodeType"},
		{name: "NodeTypeLowerCase", obj: hostileNode("nt-lower", `{"nodeType": "validator", "network": "Testnet"}`, okStatus), object: hostileObject("nt-lower"), field: "spec.nodeType"},
		{name: "NetworkMissing", obj: hostileNode("net-missing", `{"nodeType": "Validator"}`, okStatus), object: hostileObject("net-missing"), field: "spec.network"},
		{name: "NetworkNumber", obj: hostileNode("net-number", `{"nodeType": "Validator", "network": 1}`, okStatus), object: hostileObject("net-number"), field: "spec.network"},
		{name: "NetworkList", obj: hostileNode("net-list", `{"nodeType": "Validator", "network": ["Testnet"]}`, okStatus), object: hostileObject("net-list"), field: "spec.network"},
		{name: "SpecNull", obj: hostileNode("spec-null", `null`, okStatus), object: hostileObject("spec-null"), field: "spec"},
		{name: "SpecString", obj: hostileNode("spec-string", `"Validator"`, okStatus), object: hostileObject("spec-string"), field: "spec"},
		{name: "SuspendedString", obj: hostileNode("susp-string", specWith(`"suspended": "false"`), okStatus), object: hostileObject("susp-string"), field: "spec.suspended"},
		{name: "StatusList", obj: hostileNode("status-list", validSpec, `[]`), object: hostileObject("status-list"), field: "status"},
		{name: "StatusPeerString", obj: hostileNode("peer-string", validSpec, `{"peer": "10.1.0.1:11625"}`), object: hostileObject("peer-string"), field: "status.peer"},
		{name: "HostObject", obj: hostileNode("host-object", validSpec, peerWith(`"host": {"name": "x"}`)), object: hostileObject("host-object"), field: "status.peer.host"},
		{name: "IPNumber", obj: hostileNode("ip-number", validSpec, peerWith(`"ip": 167772161`)), object: hostileObject("ip-number"), field: "status.peer.ip"},
		{name: "PublicAddressList", obj: hostileNode("pa-list", specWith(`"publicAddress": ["a.example"]`), okStatus), object: hostileObject("pa-list"), field: "spec.publicAddress"},
		// Ports.
		{name: "StatusPortZero", obj: hostileNode("port-zero", validSpec, peerWith(`"host": "h.example", "port": 0`)), object: hostileObject("port-zero"), field: "status.peer.port"},
		{name: "StatusPort65536", obj: hostileNode("port-65536", validSpec, peerWith(`"host": "h.example", "port": 65536`)), object: hostileObject("port-65536"), field: "status.peer.port"},
		{name: "SpecPortNegative", obj: hostileNode("port-neg", specWith(`"peerPort": -1`), peerWith(`"host": "h.example"`)), object: hostileObject("port-neg"), field: "spec.peerPort"},
		{name: "PortFraction", obj: hostileNode("port-frac", validSpec, peerWith(`"host": "h.example", "port": 11625.5`)), object: hostileObject("port-frac"), field: "status.peer.port"},
		{name: "PortHuge", obj: hostileNode("port-huge", validSpec, peerWith(`"host": "h.example", "port": 1e300`)), object: hostileObject("port-huge"), field: "status.peer.port"},
		{name: "PortString", obj: hostileNode("port-string", validSpec, peerWith(`"host": "h.example", "port": "11625"`)), object: hostileObject("port-string"), field: "status.peer.port"},
		{name: "PortBool", obj: hostileNode("port-bool", validSpec, peerWith(`"host": "h.example", "port": true`)), object: hostileObject("port-bool"), field: "status.peer.port"},
		{name: "PublicAddressPortZero", obj: hostileNode("pa-zero", specWith(`"publicAddress": "a.example:0"`), okStatus), object: hostileObject("pa-zero"), field: "spec.publicAddress"},
		{name: "PublicAddressPort65536", obj: hostileNode("pa-65536", specWith(`"publicAddress": "a.example:65536"`), okStatus), object: hostileObject("pa-65536"), field: "spec.publicAddress"},
		// IPs.
		{name: "IPOutOfRange", obj: hostileNode("ip-range", validSpec, peerWith(`"ip": "10.0.0.256"`)), object: hostileObject("ip-range"), field: "status.peer.ip"},
		{name: "IPv6Zone", obj: hostileNode("ip-zone", validSpec, peerWith(`"ip": "fe80::1%eth0"`)), object: hostileObject("ip-zone"), field: "status.peer.ip"},
		{name: "IPv6ZoneInHost", obj: hostileNode("host-zone", validSpec, peerWith(`"host": "fe80::1%25eth0"`)), object: hostileObject("host-zone"), field: "status.peer.host"},
		{name: "IPUnspecified", obj: hostileNode("ip-any", validSpec, peerWith(`"ip": "0.0.0.0"`)), object: hostileObject("ip-any"), field: "status.peer.ip"},
		{name: "IPv6Unspecified", obj: hostileNode("ip6-any", validSpec, peerWith(`"ip": "::"`)), object: hostileObject("ip6-any"), field: "status.peer.ip"},
		{name: "IPWithPort", obj: hostileNode("ip-port", validSpec, peerWith(`"ip": "10.1.0.1:11625"`)), object: hostileObject("ip-port"), field: "status.peer.ip"},
		{name: "PublicAddressIPv6Zone", obj: hostileNode("pa-zone", specWith(`"publicAddress": "[fe80::1%eth0]:11625"`), okStatus), object: hostileObject("pa-zone"), field: "spec.publicAddress"},
		{name: "PublicAddressUnclosedBracket", obj: hostileNode("pa-bracket", specWith(`"publicAddress": "[2001:db8::1"`), okStatus), object: hostileObject("pa-bracket"), field: "spec.publicAddress"},
		{name: "PublicAddressBracketedIPv4", obj: hostileNode("pa-v4br", specWith(`"publicAddress": "[10.1.0.1]:11625"`), okStatus), object: hostileObject("pa-v4br"), field: "spec.publicAddress"},
		{name: "PublicAddressURL", obj: hostileNode("pa-url", specWith(`"publicAddress": "http://169.254.169.254/latest/meta-data"`), okStatus), object: hostileObject("pa-url"), field: "spec.publicAddress"},
		// Host names.
		{name: "HostWithSpace", obj: hostileNode("host-space", validSpec, peerWith(`"host": "bad host"`)), object: hostileObject("host-space"), field: "status.peer.host"},
		{name: "HostUnicode", obj: hostileNode("host-unicode", validSpec, peerWith(`"host": "välidator.example"`)), object: hostileObject("host-unicode"), field: "status.peer.host"},
		{name: "HostHuge", obj: hostileNode("host-huge", validSpec, peerWith(`"host": "`+long+`.example"`)), object: hostileObject("host-huge"), field: "status.peer.host"},
		{name: "HostLabel64", obj: hostileNode("host-label", validSpec, peerWith(`"host": "`+label64+`.example"`)), object: hostileObject("host-label"), field: "status.peer.host"},
		{name: "HostMistypedIP", obj: hostileNode("host-3oct", validSpec, peerWith(`"host": "10.1.0"`)), object: hostileObject("host-3oct"), field: "status.peer.host"},
		{name: "HostTOMLInjection", obj: hostileNode("host-toml", validSpec, peerWith(`"host": "a.example\"]\nPREFERRED_PEERS_ONLY=true\n#"`)), object: hostileObject("host-toml"), field: "status.peer.host"},
		// Names.
		{name: "NameMissing", obj: `{"kind": "XStellarNode", "metadata": {}, "spec": ` + validSpec + `, "status": ` + okStatus + `}`, object: `XStellarNode ""`, field: "metadata.name"},
		{name: "MetadataString", obj: `{"kind": "XStellarNode", "metadata": "x", "spec": ` + validSpec + `, "status": ` + okStatus + `}`, object: `XStellarNode ""`, field: "metadata.name"},
		{
			name: "ClaimNameHuge", obj: hostileNode(long, validSpec, okStatus),
			object: `XStellarNode "` + strings.Repeat("a", 64) + `..." (claim "team-h/` + strings.Repeat("a", 57) + `...")`, field: "metadata.labels[crossplane.io/claim-name]",
		},
		{name: "ClaimNameUnicode", obj: hostileNode("ålice", validSpec, okStatus), object: `XStellarNode "ålice-x9" (claim "team-h/ålice")`, field: "metadata.labels[crossplane.io/claim-name]"},
		{
			name: "ClaimNameNewline", obj: hostileNode(`evil\nWarning: forged`, validSpec, okStatus),
			object: `XStellarNode "evil\nWarning: forged-x9" (claim "team-h/evil\nWarning: forged")`, field: "metadata.labels[crossplane.io/claim-name]",
		},
		{name: "ClaimNameUpperCase", obj: hostileNode("Alice", validSpec, okStatus), object: hostileObject("Alice"), field: "metadata.labels[crossplane.io/claim-name]"},
		{
			name: "ClaimNamespaceBad", obj: strings.Replace(hostileNode("ns-bad", validSpec, okStatus), `"team-h"`, `"Team_H"`, 1),
			object: `XStellarNode "ns-bad-x9" (claim Team_H/ns-bad)`, field: "metadata.labels[crossplane.io/claim-namespace]",
		},
		// Objects of the wrong kind.
		{name: "WrongKindConfigMap", obj: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "peers", "namespace": "team-h"}, "data": {"peers.txt": "6.6.6.6:11625\n"}}`, object: `ConfigMap "team-h/peers"`, field: "spec"},
		{name: "WrongKindPod", obj: `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "team-h"}, "spec": {"containers": []}, "status": {"podIP": "10.1.0.9"}}`, object: `Pod "team-h/p"`, field: "spec.network"},
		{name: "NoKind", obj: `{"metadata": {"name": "anon"}, "spec": ` + validSpec + `, "status": ` + peerWith(`"ip": "10.1.0.300"`) + `}`, object: `object "anon"`, field: "status.peer.ip"},
		// Duplicates: kept, because which of two is wrong is the user's call; the warning names both and the address.
		{
			name: "ClaimsAnotherNodesHost", obj: hostileNode("impostor", validSpec, peerStatus("team-a", "alice")), kept: true,
			object: `peer "team-h/impostor"`, field: `has the same address alice-0.alice.team-a.svc.cluster.local:11625 as peer "team-a/alice"`,
		},
		{
			name: "ClaimsAnotherNodesIdentity", obj: strings.Replace(hostileNode("alice", validSpec, peerWith(`"ip": "10.1.0.66"`)), `"team-h"`, `"team-a"`, 1), kept: true,
			object: `peer "team-a/alice"`, field: "is listed twice",
		},
		{
			name: "DuplicateAddressViaPublicAddress", obj: hostileNode("copycat", specWith(`"publicAddress": "carol-0.carol.team-b.svc.cluster.local:11625"`), `{}`), kept: true,
			object: `peer "team-h/copycat"`, field: `has the same address carol-0.carol.team-b.svc.cluster.local:11625 as peer "team-b/carol"`,
		},
		// A composite without status is a validator still starting: named as pending, never published.
		{name: "CompositeWithoutStatus", obj: `{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode", "metadata": {"name": "fresh-x9", "labels": {"crossplane.io/claim-name": "fresh", "crossplane.io/claim-namespace": "team-h"}}, "spec": ` + validSpec + `}`, pending: "team-h/fresh"},
	}
}

// corpusValid are the valid validators every corpus run carries.
func corpusValid() []*fnv1.Resource {
	return []*fnv1.Resource{
		xNode("team-a", "alice", "Validator", "Testnet", "", peerStatus("team-a", "alice")),
		xNode("team-a", "bob", "Validator", "Testnet", "", peerStatus("team-a", "bob")),
		xNode("team-b", "carol", "Validator", "Testnet", "", peerStatus("team-b", "carol")),
		xNode("team-b", "v6", "Validator", "Testnet", "", `{"peer": {"ip": "2001:db8::6", "port": 11625}}`),
	}
}

func runDirectoryWith(t *testing.T, nodes []*fnv1.Resource) (*fnv1.RunFunctionResponse, []byte) {
	t.Helper()
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
		Meta: &fnv1.RequestMeta{Tag: "corpus"}, Input: resource.MustStructJSON(directoryInput),
		Observed:          directoryXR(""),
		RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: nodes}},
	})
	if err != nil {
		t.Fatalf("RunFunction(...): %v", err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(rsp)
	if err != nil {
		t.Fatalf("cannot marshal response: %v", err)
	}
	return rsp, b
}

func publishedPeers(t *testing.T, rsp *fnv1.RunFunctionResponse) []peers.Peer {
	t.Helper()
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("fatal result: %s", r.GetMessage())
		}
	}
	cm := rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
	js, _ := structpath.String(cm, "data", peers.KeyPeersJSON)
	ps, bad, err := peers.ParsePeersJSON(js)
	if err != nil || len(bad) > 0 {
		t.Fatalf("published peers.json does not parse: %v %v\n%s", err, bad, js)
	}
	return ps
}

func messages(rsp *fnv1.RunFunctionResponse, sev fnv1.Severity) []string {
	var ms []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == sev {
			ms = append(ms, r.GetMessage())
		}
	}
	return ms
}

// orders returns the hostile object first, last and in the middle of the valid nodes, and the valid nodes reversed.
func orders(valid []*fnv1.Resource, hostile *fnv1.Resource) [][]*fnv1.Resource {
	rev := slices.Clone(valid)
	slices.Reverse(rev)
	mid := len(valid) / 2
	return [][]*fnv1.Resource{
		append([]*fnv1.Resource{hostile}, valid...),
		append(slices.Clone(valid), hostile),
		slices.Concat(valid[:mid], []*fnv1.Resource{hostile}, valid[mid:]),
		append(rev, hostile),
	}
}

// TestDirectoryHostileCorpus runs each malformed or hostile node object through the directory step beside valid
// validators, in several input orders.
func TestDirectoryHostileCorpus(t *testing.T) {
	baseRsp, _ := runDirectoryWith(t, corpusValid())
	baseline := publishedPeers(t, baseRsp)
	if len(baseline) != len(corpusValid()) {
		t.Fatalf("baseline publishes %d peers, want %d", len(baseline), len(corpusValid()))
	}
	cases := hostileCorpus()
	if len(cases) < 30 {
		t.Fatalf("the corpus has %d objects, want at least 30", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hostile := &fnv1.Resource{Resource: resource.MustStructJSON(tc.obj)}
			var first []byte
			for i, nodes := range orders(corpusValid(), hostile) {
				rsp, b := runDirectoryWith(t, nodes)
				if i == 0 {
					first = b
				} else if !proto.Equal(rsp, mustUnmarshal(t, first)) || string(b) != string(first) {
					t.Fatalf("order %d: response differs from order 0", i)
				}
			}
			rsp := mustUnmarshal(t, first)
			got := publishedPeers(t, rsp)

			// Every valid peer is kept; an invalid object adds nothing.
			for _, p := range baseline {
				if !slices.Contains(got, p) {
					t.Errorf("valid peer %s was dropped; published %+v", p.Key(), got)
				}
			}
			if !tc.kept {
				if diff := cmp.Diff(baseline, got); diff != "" {
					t.Errorf("published peers: -want, +got:\n%s", diff)
				}
			}

			warnings := messages(rsp, fnv1.Severity_SEVERITY_WARNING)
			if tc.pending != "" {
				if len(warnings) != 0 {
					t.Errorf("warnings for a validator without an address: %q", warnings)
				}
				normal := messages(rsp, fnv1.Severity_SEVERITY_NORMAL)
				if !slices.ContainsFunc(normal, func(m string) bool { return strings.Contains(m, "not published an address yet: "+tc.pending) }) {
					t.Errorf("no result names pending validator %s: %q", tc.pending, normal)
				}
				return
			}
			prefix := tc.object + ": " + tc.field
			if !slices.ContainsFunc(warnings, func(m string) bool { return strings.HasPrefix(m, prefix) }) {
				t.Errorf("no Warning starts with\n  %q\ngot\n  %q", prefix, warnings)
			}
			if len(warnings) != 1 {
				t.Errorf("want exactly one warning, got %q", warnings)
			}
		})
	}
}

// TestDirectoryHostileCorpusAtOnce sends the whole corpus at once, in shuffled orders: the valid peers are all
// published, the response is byte-identical whatever the order, and the warnings are capped.
func TestDirectoryHostileCorpusAtOnce(t *testing.T) {
	nodes := corpusValid()
	kept := 0
	for _, tc := range hostileCorpus() {
		nodes = append(nodes, &fnv1.Resource{Resource: resource.MustStructJSON(tc.obj)})
		if tc.kept {
			kept++
		}
	}
	baseRsp, _ := runDirectoryWith(t, corpusValid())
	baseline := publishedPeers(t, baseRsp)

	rsp, want := runDirectoryWith(t, nodes)
	got := publishedPeers(t, rsp)
	for _, p := range baseline {
		if !slices.Contains(got, p) {
			t.Errorf("valid peer %s was dropped", p.Key())
		}
	}
	if len(got) != len(baseline)+kept {
		t.Errorf("published %d peers, want %d valid + %d duplicates", len(got), len(baseline), kept)
	}
	if n := len(messages(rsp, fnv1.Severity_SEVERITY_WARNING)); n != maxWarningResults+1 {
		t.Errorf("%d Warning results, want %d and a count of the rest", n, maxWarningResults+1)
	}

	rng := rand.New(rand.NewPCG(8, 8)) //nolint:gosec // a reproducible shuffle, not a secret.
	for i := range 20 {
		shuffled := slices.Clone(nodes)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if _, b := runDirectoryWith(t, shuffled); string(b) != string(want) {
			t.Fatalf("shuffle %d: response is not byte-identical", i)
		}
	}
}

func mustUnmarshal(t *testing.T, b []byte) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(b, rsp); err != nil {
		t.Fatalf("cannot unmarshal response: %v", err)
	}
	return rsp
}
