// Package bench compares function-stellar-peers with function-go-templating
// running a template that renders the same peers ConfigMap. `make bench` runs
// it (bench/cmd/bench); it is kept out of `make test` because it is slow.
package bench

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// RequirementNodes is the required resources key both functions read.
const RequirementNodes = "nodes"

// ResourceName is the composed resource name of the peers ConfigMap in both
// functions' responses.
const ResourceName = "peers-configmap"

// Node is XStellarNode i as the API server returns it to Crossplane, about
// 2.6 KB in protobuf: labels, annotations, claim and resource refs,
// conditions and status.peer. Claim validator-0042 lives in namespace
// stellar-team-07 (i mod 50). The Service is headless, so status.peer.ip is
// empty, as our node step publishes it.
func Node(i int) *fnv1.Resource {
	ns, name := fmt.Sprintf("stellar-team-%02d", i%50), fmt.Sprintf("validator-%04d", i)
	return &fnv1.Resource{Resource: resource.MustStructJSON(fmt.Sprintf(`{
  "apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode",
  "metadata": {
    "name": "%[2]s-x7k2q", "uid": "6f1c2d8e-3b7a-4c55-9e0f-%012[3]d", "resourceVersion": "%[4]d", "generation": 3,
    "creationTimestamp": "2026-11-20T10:00:00Z", "generateName": "%[2]s-",
    "labels": {"crossplane.io/claim-name": "%[2]s", "crossplane.io/claim-namespace": "%[1]s", "crossplane.io/composite": "%[2]s-x7k2q", "app.kubernetes.io/part-of": "stellar", "team": "%[1]s"},
    "annotations": {"argocd.argoproj.io/tracking-id": "stellar:stellarpeers.io/StellarNode:%[1]s/%[2]s"},
    "finalizers": ["composite.apiextensions.crossplane.io"],
    "managedFields": [{"manager": "crossplane", "operation": "Apply", "apiVersion": "stellarpeers.io/v1alpha1", "time": "2026-11-20T10:03:41Z", "fieldsType": "FieldsV1", "subresource": "status"}]
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
}`, ns, name, i, 1000000+i))}
}

// Nodes returns nodes 0..n-1.
func Nodes(n int) []*fnv1.Resource {
	out := make([]*fnv1.Resource, n)
	for i := range out {
		out[i] = Node(i)
	}
	return out
}

// directoryXR is the observed StellarPeerDirectory.
const directoryXR = `{
  "apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
  "metadata": {"name": "testnet", "uid": "0d6f7a51-96b4-4f57-a1d4-3c1e2f0a9b77", "generation": 1},
  "spec": {"network": "Testnet", "crossplane": {"compositionRef": {"name": "stellar-peer-directory"}}}
}`

// ourInput is function-stellar-peers' directory step input. It names the
// XStellarNodes as a foreign node kind, so that it reads the same node
// objects as the template: by default the directory reads peer cards alone.
const ourInput = `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput", "nodes": {"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode"}}`

// requirementPeerCards is function-stellar-peers' peer card requirement,
// resolved here with none: the nodes carry every peer.
const requirementPeerCards = "peer-cards"

// Request is the RunFunctionRequest Crossplane 2.4 sends once it has
// resolved the requirements: the observed directory, an empty desired
// state, the step's input, the nodes and no peer cards in
// required_resources.
func Request(input *structpb.Struct, nodes []*fnv1.Resource) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "bench"},
		Input:    input,
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(directoryXR)}},
		Desired:  &fnv1.State{Composite: &fnv1.Resource{Resource: &structpb.Struct{Fields: map[string]*structpb.Value{}}}},
		RequiredResources: map[string]*fnv1.Resources{
			RequirementNodes:     {Items: nodes},
			requirementPeerCards: {},
		},
	}
}

// Requests returns the wire bytes of the same request for both functions:
// they differ only in the step input.
func Requests(n int) (ours, theirs []byte, err error) {
	nodes := Nodes(n)
	o := proto.MarshalOptions{Deterministic: true}
	ours, err = o.Marshal(Request(resource.MustStructJSON(ourInput), nodes))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot marshal request: %w", err)
	}
	theirs, err = o.Marshal(Request(TemplateInput(), nodes))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot marshal request: %w", err)
	}
	return ours, theirs, nil
}
