package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

const nodeInput = `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput"}`

func directories(extraSpec string) *fnv1.Resources {
	return &fnv1.Resources{Items: []*fnv1.Resource{
		{Resource: resource.MustStructJSON(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "mainnet"}, "spec": {"network": "Mainnet", "configMap": {"namespace": "stellar-system", "name": "mainnet-peers"}}}`)},
		{Resource: resource.MustStructJSON(`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory", "metadata": {"name": "testnet"}, "spec": {"network": "Testnet"` + extraSpec + `}}`)},
	}}
}

// directoryConfigMapOf is the directory ConfigMap holding three validators,
// alice among them.
func directoryConfigMapOf() *fnv1.Resources {
	return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: peersConfigMap(defaultPeersConfigMap(), threeValidatorsData())}}}
}

func nodeRequirements(withConfigMap bool) *fnv1.Requirements {
	r := &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{
		requirementDirectories: {ApiVersion: "stellarpeers.io/v1alpha1", Kind: "StellarPeerDirectory"},
	}}
	if withConfigMap {
		r.Resources[requirementDirectoryConfigMap] = &fnv1.ResourceSelector{
			ApiVersion: "v1", Kind: "ConfigMap",
			Match:     &fnv1.ResourceSelector_MatchName{MatchName: "stellar-peers"},
			Namespace: ptr("stellar-system"),
		}
	}
	return r
}

func TestRunFunctionNode(t *testing.T) {
	alice := xNode("team-a", "alice", "Validator", "Testnet", "", "")
	type want struct {
		requirements *fnv1.Requirements
		results      []string
		resources    []string
		status       string
		peerSync     string
		// cfg are top-level values the stellar-core.cfg must have; cfgLacks
		// keys it must not.
		cfg      coreCfg
		cfgLacks []string
	}
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   want
	}{
		"FirstCall": {
			reason: "Before the directories are resolved the node still gets all its resources, with no peers, and a result says why.",
			req:    &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: alice}},
			want: want{
				requirements: nodeRequirements(false),
				results:      []string{"NORMAL: Waiting for Crossplane to resolve the peer directories; composing the node without peers"},
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourcePeerSync, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Unknown"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
				peerSync:     `{"adminEndpoint":"http://alice.team-a.svc.cluster.local:11626"}`,
				cfg:          coreCfg{"KNOWN_PEERS": []any{}, "PUBLIC_HTTP_PORT": true, "NODE_IS_VALIDATOR": true, "NETWORK_PASSPHRASE": "Test SDF Network ; September 2015"},
			},
		},
		"ConfigMapPending": {
			reason: "Once the directory of the node's network is known, its ConfigMap is required by name.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: alice},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories("")},
			},
			want: want{
				requirements: nodeRequirements(true),
				results:      []string{`NORMAL: Waiting for the peers ConfigMap stellar-system/stellar-peers of StellarPeerDirectory "testnet"; composing the node without peers`},
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourcePeerSync, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Unknown"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
				peerSync:     `{"adminEndpoint":"http://alice.team-a.svc.cluster.local:11626"}`,
			},
		},
		"PeersFromDirectory": {
			reason: "The directory's peers, without the node itself, go into KNOWN_PEERS/PREFERRED_PEERS and the PeerSync (alice sorts first, so she initiates to both); core's state comes from the observed PeerSync.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput),
				Observed: &fnv1.State{Composite: alice, Resources: map[string]*fnv1.Resource{
					resourcePeerSync: {Resource: resource.MustStructJSON(`{"status": {"atProvider": {"state": "Synced!", "ledger": 123456, "authenticatedPeers": ["10.0.0.2:11625", "10.0.0.3:11625"]}}}`)},
					resourceService:  {Resource: resource.MustStructJSON(`{"spec": {"clusterIP": "None"}}`)},
				}},
				RequiredResources: map[string]*fnv1.Resources{
					requirementDirectories:        directories(`, "preferredPeers": true`),
					requirementDirectoryConfigMap: directoryConfigMapOf(),
				},
			},
			want: want{
				requirements: nodeRequirements(true),
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourcePeerSync, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Synced!"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
				peerSync:     `{"adminEndpoint":"http://alice.team-a.svc.cluster.local:11626","peers":[{"address":"bob-0.bob.team-a.svc.cluster.local:11625","initiate":true,"name":"team-a/bob"},{"address":"carol-0.carol.team-b.svc.cluster.local:11625","initiate":true,"name":"team-b/carol"}]}`,
				cfg: coreCfg{
					"KNOWN_PEERS":     []any{"bob-0.bob.team-a.svc.cluster.local:11625", "carol-0.carol.team-b.svc.cluster.local:11625"},
					"PREFERRED_PEERS": []any{"bob-0.bob.team-a.svc.cluster.local:11625", "carol-0.carol.team-b.svc.cluster.local:11625"},
				},
			},
		},
		"PreferredByTheDirectoryInput": {
			reason: "A directory whose Composition input prefers its peers says so in its status (preferredPeers), not its spec: its nodes prefer them too.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput),
				Observed: &fnv1.State{Composite: alice, Resources: map[string]*fnv1.Resource{
					resourcePeerSync: {Resource: resource.MustStructJSON(`{"status": {"atProvider": {"state": "Synced!", "ledger": 123456, "authenticatedPeers": ["10.0.0.2:11625", "10.0.0.3:11625"]}}}`)},
					resourceService:  {Resource: resource.MustStructJSON(`{"spec": {"clusterIP": "None"}}`)},
				}},
				RequiredResources: map[string]*fnv1.Resources{
					requirementDirectories:        directories(`}, "status": {"preferredPeers": true`),
					requirementDirectoryConfigMap: directoryConfigMapOf(),
				},
			},
			want: want{
				requirements: nodeRequirements(true),
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourcePeerSync, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Synced!"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
				peerSync:     `{"adminEndpoint":"http://alice.team-a.svc.cluster.local:11626","peers":[{"address":"bob-0.bob.team-a.svc.cluster.local:11625","initiate":true,"name":"team-a/bob"},{"address":"carol-0.carol.team-b.svc.cluster.local:11625","initiate":true,"name":"team-b/carol"}]}`,
				cfg: coreCfg{
					"KNOWN_PEERS":     []any{"bob-0.bob.team-a.svc.cluster.local:11625", "carol-0.carol.team-b.svc.cluster.local:11625"},
					"PREFERRED_PEERS": []any{"bob-0.bob.team-a.svc.cluster.local:11625", "carol-0.carol.team-b.svc.cluster.local:11625"},
				},
			},
		},
		"Suspended": {
			reason: "A suspended node keeps its resources with no replicas, no PeerSync and no peer card.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", `"suspended": true`, "")},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: directoryConfigMapOf()},
			},
			want: want{
				requirements: nodeRequirements(true),
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Suspended"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
			},
		},
		"WatcherWithPublicAddress": {
			reason: "A watcher gets a non-validator config and, listed in no directory, initiates to every peer, and gets no peer card; spec.publicAddress wins in its status.peer.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "w", "Watcher", "Testnet", `"publicAddress": "203.0.113.7:11625"`, "")},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: directoryConfigMapOf()},
			},
			want: want{
				requirements: nodeRequirements(true),
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerSync, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Unknown"},"peer":{"host":"w-0.w.team-a.svc.cluster.local","ip":"203.0.113.7","port":11625}}`,
				peerSync:     `{"adminEndpoint":"http://w.team-a.svc.cluster.local:11626","peers":[{"address":"alice-0.alice.team-a.svc.cluster.local:11625","initiate":true,"name":"team-a/alice"},{"address":"bob-0.bob.team-a.svc.cluster.local:11625","initiate":true,"name":"team-a/bob"},{"address":"carol-0.carol.team-b.svc.cluster.local:11625","initiate":true,"name":"team-b/carol"}]}`,
				cfg:          coreCfg{"NODE_IS_VALIDATOR": false},
				cfgLacks:     []string{"PREFERRED_PEERS", "NODE_HOME_DOMAIN"},
			},
		},
		"AdminPortNotExposed": {
			reason: "With exposeAdminPort=false core stays on localhost and, without spec.adminEndpoint, no PeerSync is composed.",
			req: &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput", "exposeAdminPort": false}`), Observed: &fnv1.State{Composite: alice},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: directoryConfigMapOf()},
			},
			want: want{
				requirements: nodeRequirements(true),
				results:      []string{`WARNING: XStellarNode "alice-x7k2" (claim team-a/alice): spec.adminEndpoint: is required when the admin port is not exposed; no PeerSync composed`},
				resources:    []string{resourceCoreConfig, resourceNetworkPolicy, resourcePeerCard, resourceService, resourceStatefulSet},
				status:       `{"core":{"state":"Unknown"},"peer":{"host":"alice-0.alice.team-a.svc.cluster.local","ip":"","port":11625}}`,
				cfg:          coreCfg{"PUBLIC_HTTP_PORT": false},
			},
		},
		"BadPeerPort": {
			reason: "A node whose own spec is bad is a Fatal result naming the object and field.",
			req:    &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", `"peerPort": 70000`, "")}},
			want: want{
				results: []string{`FATAL: XStellarNode "alice-x7k2" (claim team-a/alice): spec.peerPort: 70000 is not a valid port`},
			},
		},
		"BadStorageSize": {
			reason: "A storage size that is not a quantity is refused naming the field, not left to the API server to refuse the StatefulSet.",
			req:    &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", `"storage": {"size": "lots"}`, "")}},
			want: want{
				results: []string{`FATAL: XStellarNode "alice-x7k2" (claim team-a/alice): spec.storage.size: "lots" is not a quantity such as 50Gi`},
			},
		},
		"MisspelledResources": {
			reason: "spec.resources is read as a container's resources: a field they do not have is refused naming it.",
			req:    &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", `"resources": {"request": {"cpu": "1"}}`, "")}},
			want: want{
				results: []string{`FATAL: XStellarNode "alice-x7k2" (claim team-a/alice): spec.resources: is not a container's resources: json: unknown field "request"`},
			},
		},
		"NoClaim": {
			reason: "A composite without a claim has no namespace for its resources.",
			req:    &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"kind": "XStellarNode", "metadata": {"name": "lonely"}, "spec": {"nodeType": "Validator", "network": "Testnet", "version": "22.1.0"}}`)}}},
			want: want{
				results: []string{`FATAL: XStellarNode "lonely": metadata.labels: has no crossplane.io/claim-namespace: create the node through a StellarNode claim, whose namespace its resources go in`},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("%s\nf.RunFunction(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.requirements, rsp.GetRequirements(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nrequirements: -want, +got:\n%s", tc.reason, diff)
			}
			var results []string
			for _, r := range rsp.GetResults() {
				results = append(results, strings.TrimPrefix(r.GetSeverity().String(), "SEVERITY_")+": "+r.GetMessage())
			}
			if diff := cmp.Diff(tc.want.results, results); diff != "" {
				t.Errorf("%s\nresults: -want, +got:\n%s", tc.reason, diff)
			}
			var names []string
			for n := range rsp.GetDesired().GetResources() {
				names = append(names, n)
			}
			slices.Sort(names)
			if diff := cmp.Diff(tc.want.resources, names); diff != "" {
				t.Errorf("%s\ndesired resources: -want, +got:\n%s", tc.reason, diff)
			}
			if got := jsonOf(t, structpath.Field(rsp.GetDesired().GetComposite().GetResource(), "status")); got != tc.want.status {
				t.Errorf("%s\nstatus:\n got %s\nwant %s", tc.reason, got, tc.want.status)
			}
			ps := rsp.GetDesired().GetResources()[resourcePeerSync].GetResource()
			if got := jsonOf(t, structpath.Field(ps, "spec", "forProvider")); got != tc.want.peerSync {
				t.Errorf("%s\nPeerSync forProvider:\n got %s\nwant %s", tc.reason, got, tc.want.peerSync)
			}
			if cfg := desiredConfig(rsp); cfg != "" {
				got := parseCfg(t, cfg)
				for k, want := range tc.want.cfg {
					if diff := cmp.Diff(want, got[k]); diff != "" {
						t.Errorf("%s\nstellar-core.cfg %s: -want, +got:\n%s", tc.reason, k, diff)
					}
				}
				for _, k := range tc.want.cfgLacks {
					if _, ok := got[k]; ok {
						t.Errorf("%s\nstellar-core.cfg has %s:\n%s", tc.reason, k, cfg)
					}
				}
			}
		})
	}
}

func jsonOf(t *testing.T, v *structpb.Value) string {
	t.Helper()
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v.AsInterface())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
