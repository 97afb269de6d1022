package v1alpha1

import "github.com/crossplane/crossplane-runtime/v2/pkg/resource"

// Interface checks live in a test file: angryjet type-checks this package
// before it has generated the methods the checks need.
var (
	_ resource.ModernManaged            = &PeerSync{}
	_ resource.ManagedList              = &PeerSyncList{}
	_ resource.ProviderConfig           = &ProviderConfig{}
	_ resource.ProviderConfig           = &ClusterProviderConfig{}
	_ resource.TypedProviderConfigUsage = &ProviderConfigUsage{}
	_ resource.TypedProviderConfigUsage = &ClusterProviderConfigUsage{}
	_ resource.ProviderConfigUsageList  = &ProviderConfigUsageList{}
	_ resource.ProviderConfigUsageList  = &ClusterProviderConfigUsageList{}
)
