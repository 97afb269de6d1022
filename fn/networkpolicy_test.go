package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// TestNodeNetworkPolicyLimitsAdminPort: the NetworkPolicy composed for every node admits the peer port from
// anywhere and the admin port only from the provider's pods (the label Crossplane puts on them) in the provider's
// namespace, both in one peer so that both must match; when the admin port is not exposed, no rule admits it at
// all. No rule opens every port (a rule without ports would).
func TestNodeNetworkPolicyLimitsAdminPort(t *testing.T) {
	tcp := func(p int) networkingv1.NetworkPolicyPort {
		proto := corev1.ProtocolTCP
		port := intstr.FromInt32(int32(p)) //nolint:gosec // test ports are small.
		return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port}
	}
	fromProvider := func(ns string, name ...string) []networkingv1.NetworkPolicyPeer {
		provider := "provider-stellar-core"
		if len(name) > 0 {
			provider = name[0]
		}
		return []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"pkg.crossplane.io/provider": provider}},
		}}
	}
	cases := map[string]struct {
		input string
		want  []networkingv1.NetworkPolicyIngressRule
	}{
		"Default": {
			input: nodeInput,
			want: []networkingv1.NetworkPolicyIngressRule{
				{Ports: []networkingv1.NetworkPolicyPort{tcp(11625)}},
				{From: fromProvider("crossplane-system"), Ports: []networkingv1.NetworkPolicyPort{tcp(11626)}},
			},
		},
		"ProviderNamespace": {
			input: `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput", "providerNamespace": "stellar-providers"}`,
			want: []networkingv1.NetworkPolicyIngressRule{
				{Ports: []networkingv1.NetworkPolicyPort{tcp(11625)}},
				{From: fromProvider("stellar-providers"), Ports: []networkingv1.NetworkPolicyPort{tcp(11626)}},
			},
		},
		"ProviderName": {
			// Installed as a dependency, Crossplane names the Provider after its repository.
			input: `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput", "providerName": "stellarpeers-provider-stellar-core"}`,
			want: []networkingv1.NetworkPolicyIngressRule{
				{Ports: []networkingv1.NetworkPolicyPort{tcp(11625)}},
				{From: fromProvider("crossplane-system", "stellarpeers-provider-stellar-core"), Ports: []networkingv1.NetworkPolicyPort{tcp(11626)}},
			},
		},
		"AdminPortNotExposed": {
			input: `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput", "exposeAdminPort": false}`,
			want:  []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{tcp(11625)}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
				Input:    resource.MustStructJSON(tc.input),
				Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", "", "")},
			})
			if err != nil {
				t.Fatal(err)
			}
			obj := rsp.GetDesired().GetResources()[resourceNetworkPolicy].GetResource()
			if obj == nil {
				t.Fatalf("no NetworkPolicy composed; results: %v", rsp.GetResults())
			}
			j, err := protojson.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			np := &networkingv1.NetworkPolicy{}
			if err := yaml.UnmarshalStrict(j, np); err != nil {
				t.Fatalf("the composed NetworkPolicy does not parse: %v", err)
			}
			if diff := cmp.Diff([]networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, np.Spec.PolicyTypes); diff != "" {
				t.Errorf("policyTypes: -want +got:\n%s", diff)
			}
			if len(np.Spec.PodSelector.MatchLabels) == 0 {
				t.Errorf("the NetworkPolicy selects every pod of the namespace: %+v", np.Spec.PodSelector)
			}
			if diff := cmp.Diff(tc.want, np.Spec.Ingress); diff != "" {
				t.Errorf("ingress: -want +got:\n%s", diff)
			}
		})
	}
}
