// Package forprovider holds a PeerSync's spec.forProvider: a leaf package, with
// no Kubernetes client behind it, so that the function composes PeerSyncs from
// the provider's own types without linking one.
// +kubebuilder:object:generate=true
package forprovider

// Defaults of Parameters.
const (
	DefaultRequireState            = "Synced!"
	DefaultMaxConnectsPerReconcile = 10
)

// DesiredPeer is a peer the node should be connected to.
type DesiredPeer struct {
	// Name identifies the peer in status and events, e.g. "<namespace>/<name>".
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Address is the peer's "host:port" (IPv6 as "[addr]:port").
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:Pattern=`^(\[[0-9A-Fa-f:.]+\]|[^\s:/?#&=\[\]]+):[0-9]{1,5}$`
	Address string `json:"address"`

	// IP of the peer when known. Preferred over the host name for /connect,
	// since core resolves names synchronously and IPv4 only.
	// +optional
	IP string `json:"ip,omitempty"`

	// Initiate says whether this node opens the connection. When two nodes
	// both have a PeerSync, only one side should: core logs an ERROR for a
	// connect to a peer that is already connected or pending, which is what
	// happens when both sides connect in the same instant. A peer this node
	// does not initiate to is still connected once it has been missing for a
	// grace period, in case its side never does. Absent means true.
	// +optional
	// +kubebuilder:default=true
	Initiate *bool `json:"initiate,omitempty"`
}

// Parameters are the desired state of a node's live peer set: a PeerSync's
// spec.forProvider.
type Parameters struct {
	// AdminEndpoint is the URL of stellar-core's admin HTTP interface (or of
	// an authenticating proxy in front of it). It must pass the provider
	// config's allowlist.
	// +kubebuilder:validation:Pattern=`^https?://`
	AdminEndpoint string `json:"adminEndpoint"`

	// Peers the node should be connected to, in either direction.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Peers []DesiredPeer `json:"peers,omitempty"`

	// RequireState is the core state in which the provider acts. In any other
	// state it makes no request beyond /info.
	// +optional
	// +kubebuilder:default="Synced!"
	// +kubebuilder:validation:Enum=Booting;Joining SCP;Connected;Catching up;Synced!;Stopping
	RequireState string `json:"requireState,omitempty"`

	// MaxConnectsPerReconcile bounds the /connect calls of one reconcile:
	// core handles them on its main thread, next to consensus.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxConnectsPerReconcile int32 `json:"maxConnectsPerReconcile,omitempty"`
}
