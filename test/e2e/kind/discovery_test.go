//go:build kind

package kind

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var (
	claimGVK     = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "StellarNode"}
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	peerSyncGVK  = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "PeerSync"}
)

// validators are the claims of examples/claims/validators.yaml.
var validators = []struct{ namespace, name string }{{"team-a", "alice"}, {"team-a", "bob"}, {"team-b", "carol"}}

// TestDiscoveryOnKind applies the example claims and the Testnet directory and checks, on the real objects, that
// the peers ConfigMap lists the three validators and the external peer, that each validator's stellar-core.cfg
// lists the other two and not itself, and that each has its PeerSync. Nothing connects: there is no
// ProviderConfig, and the test namespaces deny all egress.
func TestDiscoveryOnKind(t *testing.T) {
	f := features.New("peer discovery").
		Setup(func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Helper()
			if err := cp.ApplyFiles(ctx, repoPath("examples", "claims", "namespaces.yaml"), repoPath("examples", "directories", "testnet.yaml")); err != nil {
				t.Fatal(err)
			}
			for _, ns := range []string{"team-a", "team-b"} {
				if err := cp.Apply(ctx, denyEgress(ns)); err != nil {
					t.Fatal(err)
				}
			}
			if err := cp.ApplyFiles(ctx, repoPath("examples", "claims", "validators.yaml")); err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("the directory lists every validator", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Helper()
			err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
				cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
				if err != nil {
					return false, "", err
				}
				raw, _, _ := unstructured.NestedString(cm.Object, "data", "peers.json")
				var peers []struct{ Name, Namespace string }
				if err := json.Unmarshal([]byte(raw), &peers); err != nil {
					return false, "", fmt.Errorf("cannot parse peers.json: %w", err)
				}
				var got []string
				for _, p := range peers {
					got = append(got, p.Namespace+"/"+p.Name)
				}
				for _, v := range validators {
					if !contains(got, v.namespace+"/"+v.name) {
						return false, fmt.Sprintf("peers.json lists %v, not yet %s/%s", got, v.namespace, v.name), nil
					}
				}
				if len(peers) != len(validators)+1 { // + the directory's external partner-1
					return false, fmt.Sprintf("peers.json lists %v, want the 3 validators and partner-1", got), nil
				}
				return true, "", nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return ctx
		}).
		Assess("each validator's config lists the others", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			t.Helper()
			for _, v := range validators {
				err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
					cm, err := cp.Get(ctx, configMapGVK, v.namespace, v.name+"-stellar-core")
					if err != nil {
						return false, "", err
					}
					cfg, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
					for _, other := range validators {
						host, err := peerHost(ctx, other.namespace, other.name)
						if err != nil {
							return false, "", err
						}
						if listed := strings.Contains(cfg, host); listed != (other != v) {
							return false, fmt.Sprintf("%s/%s config lists %s: %v, want %v", v.namespace, v.name, host, listed, other != v), nil
						}
					}
					if _, err := cp.Get(ctx, peerSyncGVK, v.namespace, v.name); err != nil {
						return false, "", err
					}
					return true, "", nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			return ctx
		}).
		Feature()
	testenv.Test(t, f)
}

// peerHost is the stable host name a validator's claim publishes (status.peer.host).
func peerHost(ctx context.Context, namespace, name string) (string, error) {
	claim, err := cp.Get(ctx, claimGVK, namespace, name)
	if err != nil {
		return "", err
	}
	host, _, _ := unstructured.NestedString(claim.Object, "status", "peer", "host")
	if host == "" {
		return "", fmt.Errorf("%s/%s has no status.peer.host yet", namespace, name)
	}
	return host, nil
}

// denyEgress is a NetworkPolicy that stops every pod of the namespace from opening any connection.
func denyEgress(namespace string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata":   map[string]any{"name": "e2e-deny-egress", "namespace": namespace},
		"spec": map[string]any{
			"podSelector": map[string]any{},
			"policyTypes": []any{"Egress"},
		},
	}}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
