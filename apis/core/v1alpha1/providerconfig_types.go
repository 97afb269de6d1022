package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// EndpointAllowlist bounds the admin endpoints a PeerSync may name. Empty
// lists allow nothing.
type EndpointAllowlist struct {
	// CIDRs an endpoint IP may be in. When set, every IP an endpoint host
	// name resolves to must be in one of them too.
	// +optional
	CIDRs []string `json:"cidrs,omitempty"`

	// HostSuffixes an endpoint host name may end with, matched on label
	// boundaries, e.g. "stellar.svc.cluster.local". The token "{namespace}"
	// stands for the PeerSync's namespace, so ".{namespace}.svc.cluster.local"
	// keeps each PeerSync to its own namespace's services.
	// +optional
	HostSuffixes []string `json:"hostSuffixes,omitempty"`
}

// CredentialsType is how credentials are sent.
// +kubebuilder:validation:Enum=basic;bearer
type CredentialsType string

// Credentials types.
const (
	// CredentialsTypeBasic sends HTTP basic auth; the secret value is
	// "user:password".
	CredentialsTypeBasic CredentialsType = "basic"
	// CredentialsTypeBearer sends "Authorization: Bearer <secret value>".
	CredentialsTypeBearer CredentialsType = "bearer"
)

// SecretKeySelector selects a key of a Secret. For a ProviderConfig the
// Secret must be in the ProviderConfig's namespace.
type SecretKeySelector struct {
	// Namespace of the Secret. Defaults to the ProviderConfig's namespace;
	// required for a ClusterProviderConfig.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the Secret.
	Name string `json:"name"`
	// Key within the Secret.
	Key string `json:"key"`
}

// ProviderCredentials for an authenticating proxy in front of core's admin
// port (core itself has no authentication).
type ProviderCredentials struct {
	// Source of the credentials.
	// +kubebuilder:validation:Enum=None;Secret
	// +kubebuilder:default=None
	Source xpv2.CredentialsSource `json:"source"`

	// SecretRef holds the credentials when Source is Secret.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Type of the credentials.
	// +optional
	// +kubebuilder:default=bearer
	Type CredentialsType `json:"type,omitempty"`
}

// ProviderConfigSpec configures how PeerSyncs reach stellar-core.
type ProviderConfigSpec struct {
	// AllowedEndpoints bounds the admin endpoints PeerSyncs may name; the
	// provider refuses anything else before sending a request.
	AllowedEndpoints EndpointAllowlist `json:"allowedEndpoints"`

	// Timeout of each admin request.
	// +optional
	// +kubebuilder:default="5s"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Credentials for an authenticating proxy.
	// +optional
	Credentials *ProviderCredentials `json:"credentials,omitempty"`

	// CASecretRef selects a PEM CA bundle that https endpoints must chain to,
	// instead of the system roots.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`
}

// A ProviderConfigStatus is the status of a provider config.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures provider-stellar-core for PeerSyncs in its
// namespace.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,stellar}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList contains a list of ProviderConfig.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig configures provider-stellar-core for PeerSyncs in
// any namespace.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,stellar}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList contains a list of ClusterProviderConfig.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfigUsage records that a PeerSync uses a ProviderConfig or a
// ClusterProviderConfig. It lives in the PeerSync's namespace.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="CONFIG-KIND",type="string",JSONPath=".providerConfigRef.kind"
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,stellar}
type ProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ProviderConfigUsageList contains a list of ProviderConfigUsage.
type ProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigUsage `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfigUsage is the cluster-scoped usage kind of the
// provider-template layout. This provider records usages of both config kinds
// as namespaced ProviderConfigUsages (crossplane-runtime's tracker for
// namespaced managed resources does so); the kind is kept for that layout.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,stellar}
type ClusterProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigUsageList contains a list of ClusterProviderConfigUsage.
type ClusterProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfigUsage `json:"items"`
}
