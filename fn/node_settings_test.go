package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// composedSettings is what the six node settings change in the composed
// resources of team-a/alice.
type composedSettings struct {
	ProviderNamespace string // the namespace the admin port is admitted from
	ProviderPods      string // the pkg.crossplane.io/provider label of the pods it is admitted from
	ProviderConfig    string // kind/name of the PeerSync's providerConfigRef
	Image             string // the stellar-core container's image
	Peers             int    // desired peers of the PeerSync
	AdminEndpoint     string // the PeerSync's, derived from the cluster domain
	AdminExposed      bool   // the Service has an admin port
	Warnings          []string
}

func composedSettingsOf(t *testing.T, rsp *fnv1.RunFunctionResponse) composedSettings {
	t.Helper()
	desired := rsp.GetDesired().GetResources()
	var got composedSettings
	for _, rule := range structpath.Field(desired[resourceNetworkPolicy].GetResource(), "spec", "ingress").GetListValue().GetValues() {
		for _, from := range structpath.Field(rule.GetStructValue(), "from").GetListValue().GetValues() {
			got.ProviderNamespace = structpath.StringOr(from.GetStructValue(), "", "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")
			got.ProviderPods = structpath.StringOr(from.GetStructValue(), "", "podSelector", "matchLabels", "pkg.crossplane.io/provider")
		}
	}
	if ps := desired[resourcePeerSync].GetResource(); ps != nil {
		got.ProviderConfig = structpath.StringOr(ps, "", "spec", "providerConfigRef", "kind") + "/" + structpath.StringOr(ps, "", "spec", "providerConfigRef", "name")
		got.Peers = len(structpath.Field(ps, "spec", "forProvider", "peers").GetListValue().GetValues())
		got.AdminEndpoint = structpath.StringOr(ps, "", "spec", "forProvider", "adminEndpoint")
	}
	containers := structpath.Field(desired[resourceStatefulSet].GetResource(), "spec", "template", "spec", "containers").GetListValue().GetValues()
	if len(containers) > 0 {
		got.Image = structpath.StringOr(containers[0].GetStructValue(), "", "image")
	}
	for _, p := range structpath.Field(desired[resourceService].GetResource(), "spec", "ports").GetListValue().GetValues() {
		got.AdminExposed = got.AdminExposed || structpath.StringOr(p.GetStructValue(), "", "name") == "admin"
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING {
			got.Warnings = append(got.Warnings, r.GetMessage())
		}
	}
	slices.Sort(got.Warnings)
	return got
}

// TestNodeSettings: each of the six node settings comes from the directory's spec.nodes over the Composition's
// input over the defaults, and a claim's providerConfigRef wins over all. A bad directory value is a Warning that
// names the directory and the field, and the input's value stays.
func TestNodeSettings(t *testing.T) {
	defaults := composedSettings{
		ProviderNamespace: "crossplane-system",
		ProviderPods:      "provider-stellar-core",
		ProviderConfig:    "ClusterProviderConfig/default",
		Image:             "stellar/stellar-core:22.1.0",
		Peers:             2,
		AdminEndpoint:     "http://alice.team-a.svc.cluster.local:11626",
		AdminExposed:      true,
	}
	with := func(edit func(*composedSettings)) composedSettings {
		s := defaults
		edit(&s)
		return s
	}
	cases := map[string]struct {
		input     string
		directory string // spec.nodes of the testnet directory, as JSON
		claim     string // extra claim spec
		want      composedSettings
	}{
		"Defaults": {want: defaults},
		"FromTheInput": {
			input: `"providerNamespace": "stellar-providers", "providerConfigName": "ops", "image": "example.org/core", "maxPeers": 1, "clusterDomain": "corp.internal"`,
			want: with(func(s *composedSettings) {
				s.ProviderNamespace, s.ProviderConfig, s.Image, s.Peers = "stellar-providers", "ClusterProviderConfig/ops", "example.org/core:22.1.0", 1
				s.AdminEndpoint = "http://alice.team-a.svc.corp.internal:11626"
			}),
		},
		"DirectoryWinsOverInput": {
			input: `"providerNamespace": "stellar-providers", "image": "example.org/core", "maxPeers": 1`,
			directory: `{"providerNamespace": "peers-system", "providerName": "stellarpeers-provider-stellar-core", "providerConfigRef": {"kind": "ProviderConfig", "name": "team"},
				"clusterDomain": "k8s.example.org", "maxPeers": 2, "image": "registry.example.org:5000/sim/stellar-core"}`,
			want: with(func(s *composedSettings) {
				s.ProviderNamespace, s.ProviderPods, s.ProviderConfig = "peers-system", "stellarpeers-provider-stellar-core", "ProviderConfig/team"
				s.Image, s.Peers = "registry.example.org:5000/sim/stellar-core:22.1.0", 2
				s.AdminEndpoint = "http://alice.team-a.svc.k8s.example.org:11626"
			}),
		},
		"DirectoryHidesTheAdminPort": {
			directory: `{"exposeAdminPort": false}`,
			claim:     `"adminEndpoint": "https://alice-admin.example.org"`,
			want: with(func(s *composedSettings) {
				s.ProviderNamespace, s.ProviderPods, s.AdminExposed, s.AdminEndpoint = "", "", false, "https://alice-admin.example.org"
			}),
		},
		"ClaimNamesANamespacedProviderConfig": {
			directory: `{"providerConfigRef": {"name": "network-wide"}}`,
			claim:     `"providerConfigRef": {"kind": "ProviderConfig", "name": "team-a-core"}`,
			want:      with(func(s *composedSettings) { s.ProviderConfig = "ProviderConfig/team-a-core" }),
		},
		"DirectoryRefDefaultsToClusterKind": {
			directory: `{"providerConfigRef": {"name": "network-wide"}}`,
			want:      with(func(s *composedSettings) { s.ProviderConfig = "ClusterProviderConfig/network-wide" }),
		},
		"BadDirectoryValuesAreWarnedAndIgnored": {
			input: `"image": "example.org/core"`,
			directory: `{"providerNamespace": "Not_A_Namespace", "providerName": "no spaces", "providerConfigRef": {"kind": "Secret", "name": "x"},
				"clusterDomain": "bad domain", "maxPeers": 0, "image": "example.org/core:23.0.0"}`,
			want: with(func(s *composedSettings) {
				s.Image = "example.org/core:22.1.0"
				s.Warnings = []string{
					`StellarPeerDirectory "testnet": spec.nodes.clusterDomain: "bad domain" is not a valid host name; using cluster.local`,
					`StellarPeerDirectory "testnet": spec.nodes.image: "example.org/core:23.0.0" has a tag; give the repository only, spec.version is the tag; using example.org/core`,
					`StellarPeerDirectory "testnet": spec.nodes.maxPeers: 0 is not a whole number from 1 to 1000; using 32`,
					`StellarPeerDirectory "testnet": spec.nodes.providerConfigRef: kind "Secret" is not one of ClusterProviderConfig, ProviderConfig; using ClusterProviderConfig default`,
					`StellarPeerDirectory "testnet": spec.nodes.providerName: "no spaces" is not a Provider name`,
					`StellarPeerDirectory "testnet": spec.nodes.providerNamespace: "Not_A_Namespace" is not a namespace name`,
				}
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			input := `{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "NodeInput"`
			if tc.input != "" {
				input += ", " + tc.input
			}
			dirSpec := ""
			if tc.directory != "" {
				dirSpec = `, "nodes": ` + tc.directory
			}
			f := &Function{log: logging.NewNopLogger()}
			rsp, err := f.RunFunction(context.Background(), &fnv1.RunFunctionRequest{
				Input:             resource.MustStructJSON(input + "}"),
				Observed:          &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", tc.claim, "")},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(dirSpec), requirementDirectoryConfigMap: directoryConfigMapOf()},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := composedSettingsOf(t, rsp)
			// Warnings quote the validator's reason at length; the test pins their start.
			for i, w := range got.Warnings {
				for _, want := range tc.want.Warnings {
					if strings.HasPrefix(w, want) {
						got.Warnings[i] = want
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("composed settings: -want +got:\n%s", diff)
			}
		})
	}
}
