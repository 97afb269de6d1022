//go:build kind

package kind

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var (
	claimGVK    = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "StellarNode"}
	peerSyncGVK = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "PeerSync"}
)

const (
	peerPort  = 11625
	adminPort = 11626
	// coreVersion is the claims' spec.version, the tag the simulated core's image carries.
	coreVersion = "23.0.1"
	// storageClass names the PersistentVolumes the tests create for the validators' data: no provisioner runs.
	storageClass = "stellar-peers-e2e"
	// nodeContainer is kind's container of the cluster's only node.
	nodeContainer = clusterName + "-control-plane"
)

// coresimRepository is the directory's spec.nodes.image: the simulated core's image without its tag.
var coresimRepository = strings.Split(coresimImage, ":")[0]

// node is one StellarNode claim of the scenario, run by the simulated core in a StatefulSet.
type node struct{ namespace, name, nodeType string }

func (n node) String() string { return n.namespace + "/" + n.name }

// pod is the StatefulSet's only pod.
func (n node) pod() string { return n.name + "-0" }

// seed is the validator's seed: sha256("stellar-peers e2e <namespace>/<name>"), stable across runs, never real.
func (n node) seed() []byte {
	sum := sha256.Sum256([]byte("stellar-peers e2e " + n.namespace + "/" + n.name))
	return sum[:]
}

func (n node) publicKey() string {
	pub, _ := ed25519.NewKeyFromSeed(n.seed()).Public().(ed25519.PublicKey)
	return stellarcfg.PublicKeyStrKey(pub)
}

// objects are what the claim needs besides itself: the seed Secret and a PersistentVolume pre-bound to the
// StatefulSet's claim, on a folder of the node that make no provisioner has to create.
func (n node) objects() []*unstructured.Unstructured {
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": n.name + "-seed", "namespace": n.namespace},
		"stringData": map[string]any{"seed": stellarcfg.SeedStrKey(n.seed())},
	}}
	pv := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume",
		"metadata": map[string]any{"name": "e2e-" + n.namespace + "-" + n.name},
		"spec": map[string]any{
			"capacity":                      map[string]any{"storage": "1Gi"},
			"accessModes":                   []any{"ReadWriteOnce"},
			"storageClassName":              storageClass,
			"persistentVolumeReclaimPolicy": "Delete",
			"hostPath":                      map[string]any{"path": n.dataDir(), "type": "Directory"},
			"claimRef":                      map[string]any{"namespace": n.namespace, "name": "data-" + n.pod()},
		},
	}}
	return []*unstructured.Unstructured{secret, pv}
}

// dataDir is the PersistentVolume's folder on the node.
func (n node) dataDir() string { return "/var/local/stellar-peers-e2e/" + n.namespace + "-" + n.name }

// claim is the StellarNode: small requests, so that a few fit on a 2-core node, and the storage class of our
// PersistentVolumes.
func (n node) claim() *unstructured.Unstructured {
	spec := map[string]any{
		"nodeType":  n.nodeType,
		"network":   "Testnet",
		"version":   coreVersion,
		"quorum":    map[string]any{"preset": "Testnet", "unsafe": true},
		"resources": map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}},
		"storage":   map[string]any{"size": "1Gi", "storageClassName": storageClass},
	}
	if n.nodeType == "Validator" {
		spec["validator"] = map[string]any{
			"seedSecretRef": map[string]any{"name": n.name + "-seed"},
			"homeDomain":    n.name + "." + n.namespace + ".example.org",
			"publicKey":     n.publicKey(),
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarNode",
		"metadata": map[string]any{"name": n.name, "namespace": n.namespace},
		"spec":     spec,
	}}
}

// create makes the node's folder on the node (world-writable, as a local-path provisioner makes it: the simulated
// core runs as a non-root user) and applies its Secret, PersistentVolume and claim.
func (n node) create(ctx context.Context) error {
	if _, err := docker(ctx, "exec", nodeContainer, "mkdir", "-p", "-m", "0777", n.dataDir()); err != nil {
		return err
	}
	return cp.Apply(ctx, append(n.objects(), n.claim())...)
}

// host is the stable host name the claim publishes (status.peer.host).
func (n node) host(ctx context.Context) (string, error) {
	claim, err := cp.Get(ctx, claimGVK, n.namespace, n.name)
	if err != nil {
		return "", err
	}
	host, _, _ := unstructured.NestedString(claim.Object, "status", "peer", "host")
	if host == "" {
		return "", fmt.Errorf("%s has no status.peer.host yet", n)
	}
	return host, nil
}

// podIP is the IP of the node's pod, "" while it has none.
func (n node) podIP(ctx context.Context) (string, error) {
	p, err := cp.Get(ctx, podGVK, n.namespace, n.pod())
	if err != nil {
		return "", err
	}
	ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP")
	return ip, nil
}

// simState reads the simulated core's /sim/state through its admin port, by the API server's pod proxy.
func (n node) simState(ctx context.Context) (coresim.SimState, error) {
	var s coresim.SimState
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return s, fmt.Errorf("cannot create clientset: %w", err)
	}
	raw, err := cs.CoreV1().RESTClient().Get().Namespace(n.namespace).Resource("pods").
		Name(fmt.Sprintf("%s:%d", n.pod(), adminPort)).SubResource("proxy").Suffix("sim", "state").DoRaw(ctx)
	if err != nil {
		return s, fmt.Errorf("cannot read %s's /sim/state: %w", n, err)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("cannot parse %s's /sim/state %q: %w", n, raw, err)
	}
	return s, nil
}

// fixtures are the scenario's namespaces, the Testnet directory whose nodes run the simulated core's image, and the
// ClusterProviderConfig that lets the provider reach each PeerSync's own namespace's services only.
func fixtures(namespaces ...string) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, ns := range append([]string{"stellar-system"}, namespaces...) {
		objs = append(objs, harness.Namespace(ns))
	}
	return append(objs,
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
			"metadata": map[string]any{"name": "testnet"},
			"spec": map[string]any{
				"network": "Testnet",
				"nodes":   map[string]any{"image": coresimRepository},
			},
		}},
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "core.stellarpeers.io/v1alpha1", "kind": "ClusterProviderConfig",
			"metadata": map[string]any{"name": "default"},
			"spec": map[string]any{
				"allowedEndpoints": map[string]any{
					"hostSuffixes": []any{".{namespace}.svc.cluster.local"},
					"cidrs":        []any{"10.244.0.0/16"},
				},
				"timeout": "2s",
			},
		}},
	)
}
