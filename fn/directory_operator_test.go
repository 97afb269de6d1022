package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// TestOperatorNodes: a directory that reads the original operator's
// StellarNodes matches their network in any case and in the operator's serde
// form, and tells Custom networks apart by the passphrase of
// {"custom": "<passphrase>"} when the directory names one.
func TestOperatorNodes(t *testing.T) {
	const input = `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput", "nodes": {"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode"}}`
	operatorNode := func(name, network string) *fnv1.Resource {
		return &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "` + name + `", "namespace": "ops"}, ` +
			`"spec": {"nodeType": "Validator", "network": ` + network + `}}`)}
	}
	nodes := []*fnv1.Resource{
		operatorNode("lower", `"testnet"`),
		operatorNode("upper", `"TESTNET"`),
		operatorNode("mine", `{"custom": "My Net ; 2026"}`),
		operatorNode("mine-pascal", `{"Custom": "My Net ; 2026"}`),
		operatorNode("theirs", `{"custom": "Their Net ; 2026"}`),
		operatorNode("nameless", `"custom"`),
	}
	cases := map[string]struct {
		spec     string
		peers    string
		warnings []string
	}{
		"Testnet": {
			spec:  `"network": "Testnet"`,
			peers: "lower.ops.svc.cluster.local:11625\nupper.ops.svc.cluster.local:11625\n",
		},
		"ClusterDomainOfTheNodes": {
			spec:  `"network": "Testnet", "nodes": {"clusterDomain": "k8s.example.org"}`,
			peers: "lower.ops.svc.k8s.example.org:11625\nupper.ops.svc.k8s.example.org:11625\n",
		},
		"BadClusterDomainOfTheNodes": {
			spec:     `"network": "Testnet", "nodes": {"clusterDomain": "-bad-"}`,
			peers:    "lower.ops.svc.cluster.local:11625\nupper.ops.svc.cluster.local:11625\n",
			warnings: []string{`StellarPeerDirectory "d": spec.nodes.clusterDomain: "-bad-" is not a valid host name; using cluster.local`},
		},
		"CustomOfAPassphrase": {
			spec:     `"network": "Custom", "networkPassphrase": "My Net ; 2026"`,
			peers:    "mine.ops.svc.cluster.local:11625\nmine-pascal.ops.svc.cluster.local:11625\n",
			warnings: []string{`StellarNode "ops/nameless": spec.network: is Custom without a passphrase, so it cannot be matched to this directory's network`},
		},
		"AnyCustom": {
			spec:  `"network": "Custom"`,
			peers: "mine.ops.svc.cluster.local:11625\nmine-pascal.ops.svc.cluster.local:11625\nnameless.ops.svc.cluster.local:11625\ntheirs.ops.svc.cluster.local:11625\n",
			warnings: []string{
				`StellarPeerDirectory "d": spec.networkPassphrase: is not set, so the validators of every Custom network are listed; set it to list only this network's`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(input),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(
					`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "d"}, "spec": {` + tc.spec + `}}`)}},
				RequiredResources: map[string]*fnv1.Resources{requirementNodes: {Items: nodes}, requirementPeerCards: {}},
			})
			if err != nil {
				t.Fatal(err)
			}
			cm := rsp.GetDesired().GetResources()[resourcePeersConfigMap].GetResource()
			if diff := cmp.Diff(tc.peers, structpath.StringOr(cm, "", "data", peers.KeyPeersTxt)); diff != "" {
				t.Errorf("peers.txt: -want, +got:\n%s", diff)
			}
			var warnings []string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING {
					warnings = append(warnings, r.GetMessage())
				}
			}
			if diff := cmp.Diff(tc.warnings, warnings); diff != "" {
				t.Errorf("warnings: -want, +got:\n%s", diff)
			}
		})
	}
}
