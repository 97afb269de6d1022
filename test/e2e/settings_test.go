//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// The settings scenario has its own custom network, directory, peers ConfigMap and namespace.
const (
	settingsPassphrase = "Settings Test Network ; 2026"
	settingsDirectory  = "settings"
	settingsNamespace  = "team-s"
	settingsCMName     = "settings-peers"
)

var networkPolicyGVK = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}

// nodeSettingsSeen is what the directory's spec.nodes changes in one node's composed resources.
type nodeSettingsSeen struct {
	image, providerNamespace, providerConfig string
	peers                                    int
}

// TestDirectoryNodeSettings: the directory's spec.nodes settings reach every node of its network, and follow a
// change on the live directory with no Composition edited: the image and maxPeers, then the image, maxPeers and
// the provider's namespace changed at once. A claim that names a namespaced ProviderConfig gets a PeerSync that
// uses it, and that PeerSync connects.
func TestDirectoryNodeSettings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer beginScenario(ctx, t, settingsDirectory)()

	if err := cp.Apply(ctx, harness.Namespace("stellar-system"), harness.Namespace(settingsNamespace),
		// A namespaced ProviderConfig, as a team that runs its own would have: loopback only, like the default.
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "core.stellarpeers.io/v1alpha1", "kind": "ProviderConfig",
			"metadata": map[string]any{"name": "team-s-core", "namespace": settingsNamespace},
			"spec":     map[string]any{"allowedEndpoints": map[string]any{"cidrs": []any{"127.0.0.0/8"}}, "timeout": "2s"},
		}},
		settingsDirectoryWith(map[string]any{"maxPeers": int64(1), "image": "registry.example.org/sim/stellar-core"}),
	); err != nil {
		failWithLogs(t, "%v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = cp.Delete(ctx, directoryGVK, "", settingsDirectory)
	})

	validators, claims := startValidators(t, settingsNamespace, "Custom", settingsPassphrase, "sia", "sol", "sven")
	// sven's team runs its own ProviderConfig.
	_ = unstructured.SetNestedMap(claims[2].Object, map[string]any{"kind": "ProviderConfig", "name": "team-s-core"}, "spec", "providerConfigRef")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		deleteClaims(ctx, t, validators...)
	})
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}

	want := func(image, providerNamespace string, peers int) func(*harness.SimNode) nodeSettingsSeen {
		return func(n *harness.SimNode) nodeSettingsSeen {
			pc := "ClusterProviderConfig/default"
			if n.Name == "sven" {
				pc = "ProviderConfig/team-s-core"
			}
			return nodeSettingsSeen{image: image + ":23.0.1", providerNamespace: providerNamespace, providerConfig: pc, peers: peers}
		}
	}
	waitSettings(ctx, t, validators, want("registry.example.org/sim/stellar-core", "crossplane-system", 1))
	// Every pair either side chose is connected, through the namespaced ProviderConfig too.
	assertPeerSyncsHealthy(ctx, t, validators)

	// Two settings, then three, changed on the live directory: every node follows.
	if err := cp.Apply(ctx, settingsDirectoryWith(map[string]any{"maxPeers": int64(2), "image": "registry.example.org/sim/core-next"})); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitSettings(ctx, t, validators, want("registry.example.org/sim/core-next", "crossplane-system", 2))
	if err := cp.Apply(ctx, settingsDirectoryWith(map[string]any{
		"maxPeers": int64(1), "image": "registry.example.org/sim/stellar-core", "providerNamespace": "stellar-ops",
	})); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitSettings(ctx, t, validators, want("registry.example.org/sim/stellar-core", "stellar-ops", 1))
	assertPeerSyncsHealthy(ctx, t, validators)
}

func settingsDirectoryWith(nodes map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": map[string]any{"name": settingsDirectory},
		"spec": map[string]any{
			"network": "Custom", "networkPassphrase": settingsPassphrase,
			"configMap": map[string]any{"namespace": "stellar-system", "name": settingsCMName},
			"nodes":     nodes,
		},
	}}
}

// waitSettings waits until every node's composed StatefulSet, NetworkPolicy and PeerSync show the settings.
func waitSettings(ctx context.Context, t *testing.T, validators []*harness.SimNode, want func(*harness.SimNode) nodeSettingsSeen) {
	t.Helper()
	for _, n := range validators {
		waitFor(ctx, t, fmt.Sprintf("%s/%s follows the directory's settings", n.Namespace, n.Name), func(ctx context.Context) (bool, string, error) {
			got, err := settingsSeen(ctx, n)
			if err != nil {
				return false, err.Error(), nil
			}
			w := want(n)
			return got == w, fmt.Sprintf("got %+v, want %+v", got, w), nil
		})
	}
}

func settingsSeen(ctx context.Context, n *harness.SimNode) (nodeSettingsSeen, error) {
	var got nodeSettingsSeen
	sts, err := cp.Get(ctx, statefulSetGVK, n.Namespace, n.Name)
	if err != nil {
		return got, err
	}
	containers, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
	if len(containers) > 0 {
		got.image, _, _ = unstructured.NestedString(containers[0].(map[string]any), "image")
	}
	np, err := cp.Get(ctx, networkPolicyGVK, n.Namespace, n.Name+"-stellar-core")
	if err != nil {
		return got, err
	}
	rules, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	for _, r := range rules {
		from, _, _ := unstructured.NestedSlice(r.(map[string]any), "from")
		for _, f := range from {
			got.providerNamespace, _, _ = unstructured.NestedString(f.(map[string]any), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")
		}
	}
	ps, err := cp.Get(ctx, peerSyncGVK, n.Namespace, n.Name)
	if err != nil {
		return got, err
	}
	kind, _, _ := unstructured.NestedString(ps.Object, "spec", "providerConfigRef", "kind")
	name, _, _ := unstructured.NestedString(ps.Object, "spec", "providerConfigRef", "name")
	got.providerConfig = kind + "/" + name
	peers, _, _ := unstructured.NestedSlice(ps.Object, "spec", "forProvider", "peers")
	got.peers = len(peers)
	return got, nil
}
