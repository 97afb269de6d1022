package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults shared by the code and the generated CRDs.
const (
	DefaultDirectoryAPIVersion = "stellarpeers.io/v1alpha1"
	DefaultDirectoryKind       = "StellarPeerDirectory"
	DefaultConfigMapNamespace  = "stellar-system"
	DefaultConfigMapName       = "stellar-peers"
	DefaultMaxShrinkPercent    = 50
	DefaultProviderNamespace   = "crossplane-system"
	DefaultProviderName        = "provider-stellar-core"
	DefaultProviderConfigName  = "default"
	DefaultMaxPeers            = 32
	DefaultImage               = "stellar/stellar-core"
	DefaultHistoryImage        = "busybox:1.37.0"
)

// DirectoryInput configures the directory step: which node objects to
// discover and where their peers are published. Settings in the
// StellarPeerDirectory's spec win over the input; the input wins over the
// defaults.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type DirectoryInput struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Nodes selects node objects to discover directly, besides the peer
	// cards the node step composes: a foreign kind such as the original
	// operator's StellarNode (stellar.org/v1alpha1). Every object of this
	// apiVersion and kind is required, and only those of the directory's
	// network are kept: spec.network matched in any case, the operator's
	// serde forms included ("testnet", {"custom": "<passphrase>"}); a Custom
	// directory with spec.networkPassphrase keeps only the Custom nodes of
	// that passphrase. Omit it to discover from peer cards alone.
	// +optional
	Nodes *NodeSource `json:"nodes,omitempty"`

	// ConfigMap is where the peers ConfigMap goes when the directory's
	// spec.configMap does not say. Defaults to stellar-system/stellar-peers.
	// +optional
	ConfigMap *ConfigMapRef `json:"configMap,omitempty"`

	// ExternalPeers are validators outside the cluster, used when the
	// directory's spec.externalPeers is empty.
	// +optional
	ExternalPeers []ExternalPeer `json:"externalPeers,omitempty"`

	// Preferred also renders PREFERRED_PEERS, when the directory's
	// spec.preferredPeers does not say.
	// +optional
	Preferred *bool `json:"preferred,omitempty"`

	// MaxShrinkPercent is how far the directory may shrink in one step, when
	// the directory's spec.maxShrinkPercent does not say.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=50
	MaxShrinkPercent *int32 `json:"maxShrinkPercent,omitempty"`

	// ClusterDomain is the cluster's DNS domain, used to derive the Service
	// names of the original operator's StellarNodes.
	// +optional
	// +kubebuilder:default="cluster.local"
	ClusterDomain string `json:"clusterDomain,omitempty"`
}

// NodeSource selects node objects.
type NodeSource struct {
	// APIVersion of the node objects, e.g. stellar.org/v1alpha1 for the
	// original operator's StellarNode.
	APIVersion string `json:"apiVersion"`

	// Kind of the node objects, e.g. StellarNode. XStellarNode works too,
	// but every write to any composite then wakes the directory: prefer the
	// peer cards.
	Kind string `json:"kind"`

	// MatchLabels narrows the requirement to objects with these labels.
	// Never select on a label the node composition sets: a composition
	// cannot label its own composite.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`

	// Namespace limits a namespaced kind to one namespace. Omit it for a
	// cluster-scoped kind, or to search every namespace.
	// +optional
	Namespace *string `json:"namespace,omitempty"`
}

// ConfigMapRef names a ConfigMap.
type ConfigMapRef struct {
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	Name string `json:"name,omitempty"`
}

// ExternalPeer is a validator outside the cluster.
type ExternalPeer struct {
	Name string `json:"name"`
	// Host is a DNS name; set it or IP.
	// +optional
	Host string `json:"host,omitempty"`
	// +optional
	IP string `json:"ip,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=11625
	Port int32 `json:"port,omitempty"`
}

// NodeInput configures the node step: one stellar-core node's Service,
// StatefulSet, config, NetworkPolicy and PeerSync.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type NodeInput struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Directory selects the peer directories; the one whose spec.network is
	// the node's network is used.
	// +optional
	Directory DirectorySource `json:"directory,omitempty"`

	// ConfigMap is where the directory's peers ConfigMap is when the
	// directory's spec.configMap does not say.
	// +optional
	ConfigMap *ConfigMapRef `json:"configMap,omitempty"`

	// ProviderNamespace is the namespace of provider-stellar-core, whose pods
	// alone may reach core's admin port. The directory's
	// spec.nodes.providerNamespace wins over it, as it does over MaxPeers,
	// ExposeAdminPort, Image, ClusterDomain and ProviderConfigName.
	// +optional
	// +kubebuilder:default="crossplane-system"
	ProviderNamespace string `json:"providerNamespace,omitempty"`

	// ProviderName is the name of the Provider object that installed
	// provider-stellar-core: Crossplane labels its pods with it
	// (pkg.crossplane.io/provider), and the NetworkPolicy admits those pods.
	// +optional
	// +kubebuilder:default="provider-stellar-core"
	ProviderName string `json:"providerName,omitempty"`

	// ProviderConfigName names the ClusterProviderConfig of the PeerSync.
	// +optional
	// +kubebuilder:default="default"
	ProviderConfigName string `json:"providerConfigName,omitempty"`

	// MaxConnectsPerReconcile caps the /connect calls per PeerSync reconcile.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=10
	MaxConnectsPerReconcile *int32 `json:"maxConnectsPerReconcile,omitempty"`

	// MaxPeers caps the directory validators a node's PeerSync keeps
	// connections to; external peers come on top. A directory with more
	// validators gives each node the MaxPeers whose pair with it ranks first
	// by rendezvous hash: stable across renders, and a joining validator
	// changes only the choices involving it. Pairs chosen by either side are
	// connected, so every node has at least MaxPeers peers. KNOWN_PEERS still
	// lists every validator.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=32
	MaxPeers *int32 `json:"maxPeers,omitempty"`

	// ExposeAdminPort sets PUBLIC_HTTP_PORT=true so the provider can reach
	// core's admin port, always together with a NetworkPolicy that admits
	// only the provider's pods. Set false to keep core on localhost;
	// then every node needs spec.adminEndpoint (e.g. an authenticating proxy).
	// +optional
	// +kubebuilder:default=true
	ExposeAdminPort *bool `json:"exposeAdminPort,omitempty"`

	// Image is the stellar-core image repository; the tag is spec.version.
	// +optional
	// +kubebuilder:default="stellar/stellar-core"
	Image string `json:"image,omitempty"`

	// HistoryImage serves a publishing node's archive (spec.history.publish)
	// over HTTP: any image with busybox's httpd, which is run as
	// "httpd -f -p <port> -h /data/history".
	// +optional
	// +kubebuilder:default="busybox:1.37.0"
	HistoryImage string `json:"historyImage,omitempty"`

	// ClusterDomain is the cluster's DNS domain, for the stable host names.
	// +optional
	// +kubebuilder:default="cluster.local"
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// StorageClassName for the node's data volume; the cluster default if empty.
	// +optional
	StorageClassName string `json:"storageClassName,omitempty"`
}

// DirectorySource selects the peer directories.
type DirectorySource struct {
	// +optional
	// +kubebuilder:default="stellarpeers.io/v1alpha1"
	APIVersion string `json:"apiVersion,omitempty"`
	// +optional
	// +kubebuilder:default="StellarPeerDirectory"
	Kind string `json:"kind,omitempty"`
}
