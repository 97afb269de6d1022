package main

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// realisticNode is an XStellarNode as the API server returns it, about 2.6 KB:
// labels, claim and resource refs, conditions and status.
func realisticNode(i int) *fnv1.Resource {
	ns, name := fmt.Sprintf("team-%03d", i%100), fmt.Sprintf("validator-%05d", i)
	return &fnv1.Resource{Resource: resource.MustStructJSON(fmt.Sprintf(`{
  "apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
  "metadata": {
    "name": "%[2]s-x7k2q", "uid": "6f1c2d8e-3b7a-4c55-9e0f-%012[3]d", "resourceVersion": "%[3]d", "generation": 3,
    "creationTimestamp": "2026-11-20T10:00:00Z", "generateName": "%[2]s-",
    "labels": {"crossplane.io/claim-name": "%[2]s", "crossplane.io/claim-namespace": "%[1]s", "crossplane.io/composite": "%[2]s-x7k2q", "app.kubernetes.io/part-of": "stellar", "team": "%[1]s"},
    "annotations": {"crossplane.io/composition-resource-name": "", "argocd.argoproj.io/tracking-id": "stellar:stellarpeers.io/StellarNode:%[1]s/%[2]s"},
    "finalizers": ["composite.apiextensions.crossplane.io"]
  },
  "spec": {
    "nodeType": "Validator", "network": "Testnet", "version": "22.1.0", "peerPort": 11625, "adminPort": 11626, "suspended": false,
    "validator": {"seedSecretRef": {"name": "%[2]s-seed", "key": "seed"}, "homeDomain": "%[1]s.example.org"},
    "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "16Gi"}},
    "storage": {"size": "100Gi", "storageClassName": "fast-ssd"},
    "claimRef": {"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarNode", "name": "%[2]s", "namespace": "%[1]s"},
    "compositionRef": {"name": "stellar-node"}, "compositionRevisionRef": {"name": "stellar-node-8d2f1c3"}, "compositionUpdatePolicy": "Automatic",
    "resourceRefs": [
      {"apiVersion": "v1", "kind": "Service", "name": "%[2]s", "namespace": "%[1]s"},
      {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "%[2]s", "namespace": "%[1]s"},
      {"apiVersion": "v1", "kind": "ConfigMap", "name": "%[2]s-stellar-core", "namespace": "%[1]s"},
      {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "name": "%[2]s-stellar-core", "namespace": "%[1]s"},
      {"apiVersion": "core.stellarpeers.io/v1alpha1", "kind": "PeerSync", "name": "%[2]s", "namespace": "%[1]s"}
    ]
  },
  "status": {
    "peer": {"host": "%[2]s-0.%[2]s.%[1]s.svc.cluster.local", "ip": "", "port": 11625},
    "core": {"state": "Synced!"},
    "conditions": [
      {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-11-20T10:00:05Z", "observedGeneration": 3},
      {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-11-20T10:03:41Z", "observedGeneration": 3},
      {"type": "Responsive", "status": "True", "reason": "WatchCircuitClosed", "lastTransitionTime": "2026-11-20T10:00:05Z", "observedGeneration": 3, "message": "Watch circuit breaker is closed"}
    ]
  }
}`, ns, name, i))}
}

func BenchmarkRunFunctionDirectory(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			items := make([]*fnv1.Resource, n)
			for i := range items {
				items[i] = realisticNode(i)
			}
			req := &fnv1.RunFunctionRequest{
				Input:             resource.MustStructJSON(directoryInput),
				Observed:          directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementNodes: {Items: items}},
			}
			f := &Function{log: logging.NewNopLogger()}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// A fresh desired state each call, as Crossplane sends.
				req.Desired = nil
				if _, err := f.RunFunction(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(proto.Size(req.GetRequiredResources()[requirementNodes]))/float64(n), "req-B/node")
		})
	}
}
