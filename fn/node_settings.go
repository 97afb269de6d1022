package main

import (
	"cmp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crossplane/function-sdk-go/errors"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// Kinds a PeerSync's providerConfigRef may name.
const (
	kindClusterProviderConfig = "ClusterProviderConfig"
	kindProviderConfig        = "ProviderConfig"
)

// providerPodLabel is the label Crossplane's package manager puts on every pod
// of a provider, with the name of the Provider object as its value: the
// composed NetworkPolicy admits core's admin port from those pods only.
// Crossplane v1.20 and earlier used the package's metadata.name; v2.4 uses the
// parent package label, the Provider's own name (crossplane/crossplane v2.4.0
// internal/controller/pkg/runtime/migration.go, MigrateDeploymentSelector), so
// the name users install the provider under is a setting (providerName). Seen
// on kind: a provider Crossplane installs as a dependency is named
// stellarpeers-provider-stellar-core.
const providerPodLabel = "pkg.crossplane.io/provider"

// providerConfigRef names the ProviderConfig or ClusterProviderConfig of a
// node's PeerSync, as its spec.providerConfigRef. A namespaced ProviderConfig
// is looked up in the claim's namespace, where the PeerSync is composed.
type providerConfigRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// nodeSettings are the settings every node of a network gets, so that no one
// forks a Composition to change them: the directory's spec.nodes wins over the
// Composition's input, which wins over the defaults. A claim's own
// spec.providerConfigRef wins over all three.
type nodeSettings struct {
	providerNamespace string
	providerName      string
	providerConfig    providerConfigRef
	clusterDomain     string
	maxPeers          int
	exposeAdminPort   bool
	image             string
}

// inputSettings are the settings of the Composition's input, over the
// defaults.
func inputSettings(in *v1alpha1.NodeInput) nodeSettings {
	s := nodeSettings{
		providerNamespace: cmp.Or(in.ProviderNamespace, v1alpha1.DefaultProviderNamespace),
		providerName:      cmp.Or(in.ProviderName, v1alpha1.DefaultProviderName),
		providerConfig:    providerConfigRef{Kind: kindClusterProviderConfig, Name: cmp.Or(in.ProviderConfigName, v1alpha1.DefaultProviderConfigName)},
		clusterDomain:     cmp.Or(in.ClusterDomain, peers.DefaultClusterDomain),
		maxPeers:          v1alpha1.DefaultMaxPeers,
		exposeAdminPort:   in.ExposeAdminPort == nil || *in.ExposeAdminPort,
		image:             cmp.Or(in.Image, v1alpha1.DefaultImage),
	}
	if in.MaxPeers != nil {
		s.maxPeers = int(*in.MaxPeers)
	}
	return s
}

// withDirectory returns the settings with the directory's spec.nodes over
// them. A bad value is warned about, naming the directory and the field, and
// the setting keeps its value from the input: one typo in a directory must not
// stop every node of the network.
func (s nodeSettings) withDirectory(dir *structpb.Struct) (nodeSettings, []error) {
	nodes := structpath.Object(dir, "spec", "nodes")
	if nodes == nil {
		return s, nil
	}
	var warnings []error
	bad := func(field, format string, a ...any) {
		warnings = append(warnings, peers.Warning{Object: peers.Describe(dir), Field: "spec.nodes." + field,
			Message: errors.Errorf(format, a...).Error() + "; using " + describeSetting(s, field)})
	}
	if v := structpath.StringOr(nodes, "", "providerNamespace"); v != "" {
		if errs := validation.IsDNS1123Label(v); len(errs) > 0 {
			bad("providerNamespace", "%q is not a namespace name: %s", v, strings.Join(errs, "; "))
		} else {
			s.providerNamespace = v
		}
	}
	if v := structpath.StringOr(nodes, "", "providerName"); v != "" {
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			bad("providerName", "%q is not a Provider name: %s", v, strings.Join(errs, "; "))
		} else {
			s.providerName = v
		}
	}
	if structpath.Present(nodes, "providerConfigRef") {
		if ref, err := readProviderConfigRef(structpath.Object(nodes, "providerConfigRef")); err != nil {
			bad("providerConfigRef", "%v", err)
		} else {
			s.providerConfig = ref
		}
	}
	if v, err := clusterDomainOf(nodes); err != nil {
		bad("clusterDomain", "%v", err)
	} else if v != "" {
		s.clusterDomain = v
	}
	if structpath.Present(nodes, "maxPeers") {
		f := structpath.Field(nodes, "maxPeers").GetNumberValue()
		if f != float64(int(f)) || f < 1 || f > 1000 {
			bad("maxPeers", "%v is not a whole number from 1 to 1000", structpath.Field(nodes, "maxPeers").AsInterface())
		} else {
			s.maxPeers = int(f)
		}
	}
	if structpath.Present(nodes, "exposeAdminPort") {
		s.exposeAdminPort = structpath.Bool(nodes, "exposeAdminPort")
	}
	if v := structpath.StringOr(nodes, "", "image"); v != "" {
		if err := validImageRepository(v); err != nil {
			bad("image", "%v", err)
		} else {
			s.image = v
		}
	}
	return s, warnings
}

// clusterDomainOf reads a spec.nodes' clusterDomain, "" when unset. The
// directory step reads it too, for the stable names of foreign node kinds.
func clusterDomainOf(nodes *structpb.Struct) (string, error) {
	v := structpath.StringOr(nodes, "", "clusterDomain")
	if v == "" {
		return "", nil
	}
	if err := peers.ValidateHost(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(v, "."), nil
}

// describeSetting names the value a setting keeps when the directory's is bad.
func describeSetting(s nodeSettings, field string) string {
	switch field {
	case "providerNamespace":
		return s.providerNamespace
	case "providerName":
		return s.providerName
	case "providerConfigRef":
		return s.providerConfig.Kind + " " + s.providerConfig.Name
	case "clusterDomain":
		return s.clusterDomain
	case "maxPeers":
		return strconv.Itoa(s.maxPeers)
	default:
		return s.image
	}
}

// readProviderConfigRef reads a {kind, name} reference; kind defaults to
// ClusterProviderConfig, as composed PeerSyncs named before it was settable.
func readProviderConfigRef(ref *structpb.Struct) (providerConfigRef, error) {
	r := providerConfigRef{
		Kind: structpath.StringOr(ref, kindClusterProviderConfig, "kind"),
		Name: structpath.StringOr(ref, "", "name"),
	}
	if r.Kind != kindClusterProviderConfig && r.Kind != kindProviderConfig {
		return r, errors.Errorf("kind %q is not one of %s, %s", r.Kind, kindClusterProviderConfig, kindProviderConfig)
	}
	if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
		return r, errors.Errorf("name %q is not an object name: %s", r.Name, strings.Join(errs, "; "))
	}
	return r, nil
}

// validImageRepository accepts an image repository without a tag or digest:
// the tag is the node's spec.version.
func validImageRepository(v string) error {
	last := v[strings.LastIndex(v, "/")+1:]
	switch {
	case strings.Contains(v, "@"):
		return errors.Errorf("%q has a digest; give the repository only, spec.version is the tag", v)
	case strings.Contains(last, ":"):
		return errors.Errorf("%q has a tag; give the repository only, spec.version is the tag", v)
	case strings.ContainsAny(v, " \t\n") || strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/"):
		return errors.Errorf("%q is not an image repository", v)
	}
	return nil
}
