package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
)

// PeerBackoff holds back /connect calls for a peer that does not stay
// connected, e.g. one core refuses beyond its target connections.
type PeerBackoff struct {
	// Peer is the desired peer's name.
	Peer string `json:"peer"`
	// Attempts is the number of /connect calls since the peer last stayed.
	Attempts int32 `json:"attempts"`
	// NextAttempt is the earliest time of the next /connect.
	NextAttempt metav1.Time `json:"nextAttempt"`
}

// PeerWait records since when a desired peer that this node leaves to its
// side to connect has been missing. The provider connects it itself once the
// grace period has passed.
type PeerWait struct {
	// Peer is the desired peer's name.
	Peer string `json:"peer"`
	// MissingSince is when the peer was first seen neither connected nor
	// pending.
	MissingSince metav1.Time `json:"missingSince"`
}

// QuorumObservation is core's view of the node's own quorum set, from /info's
// quorum section (and /quorum for the missing validators' names), as of the
// ledger before core's last closed one. Only what changes with the quorum's
// health is kept: core's ledger, lag and message cost, which move every
// ledger, are not.
type QuorumObservation struct {
	// Agreeing counts the validators of the quorum set that agree with the
	// node, the node itself included (core's qset.agree).
	Agreeing int32 `json:"agreeing"`
	// Missing counts validators core heard nothing from in the last 2 ledgers
	// (qset.missing).
	Missing int32 `json:"missing"`
	// Delayed counts validators a ledger behind (qset.delayed).
	Delayed int32 `json:"delayed"`
	// Disagreeing counts validators that accepted another value
	// (qset.disagree).
	Disagreeing int32 `json:"disagreeing"`
	// FailAt is core's qset.fail_at: how many of the validators that agree
	// must still fail for the others to block the node, which then stops
	// closing ledgers. 1: the next failure stops it; 0: it is blocked.
	FailAt int32 `json:"failAt"`
	// FailuresTolerated is FailAt - 1: how many more validators can fail
	// with the node still reaching quorum; -1 when it cannot already.
	FailuresTolerated int32 `json:"failuresTolerated"`
	// MissingValidators names the missing validators, sorted, as core's
	// /quorum names them: the NAME of their [[VALIDATORS]] entry, or the first
	// 5 characters of the public key.
	// +optional
	MissingValidators []string `json:"missingValidators,omitempty"`
	// Hash is the start (3 bytes, hex) of the quorum set's hash: it changes
	// when the node's quorum set does.
	// +optional
	Hash string `json:"hash,omitempty"`
}

// PeerSyncObservation is the node's state as the provider last saw it. It
// changes only when the node's peers, state or quorum health do, so a poll
// that finds nothing new writes nothing: core's ledger and its age, which
// move every few seconds, are the provider's stellar_peers_core_ledger and
// stellar_peers_core_ledger_age_seconds metrics instead.
type PeerSyncObservation struct {
	// State is core's state, e.g. "Synced!" or "Catching up".
	// +optional
	State string `json:"state,omitempty"`
	// AuthenticatedPeers counts all authenticated peers, desired or not.
	// +optional
	AuthenticatedPeers int32 `json:"authenticatedPeers,omitempty"`
	// ConnectedDesired counts desired peers that are authenticated.
	// +optional
	ConnectedDesired int32 `json:"connectedDesired,omitempty"`
	// Missing names desired peers neither authenticated nor pending.
	// +optional
	Missing []string `json:"missing,omitempty"`
	// LastConnect is when the provider last called /connect.
	// +optional
	LastConnect *metav1.Time `json:"lastConnect,omitempty"`
	// Backoff holds per-peer /connect backoff.
	// +optional
	// +listType=map
	// +listMapKey=peer
	Backoff []PeerBackoff `json:"backoff,omitempty"`
	// Waiting holds the missing peers this node does not initiate to, while
	// it gives their side time to connect.
	// +optional
	// +listType=map
	// +listMapKey=peer
	Waiting []PeerWait `json:"waiting,omitempty"`
	// Quorum is core's view of the node's quorum set, while core is Synced!.
	// +optional
	Quorum *QuorumObservation `json:"quorum,omitempty"`
}

// A PeerSyncSpec defines the desired state of a PeerSync.
type PeerSyncSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              forprovider.Parameters `json:"forProvider"`
}

// A PeerSyncStatus represents the observed state of a PeerSync.
type PeerSyncStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 PeerSyncObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A PeerSync keeps a stellar-core node connected to a desired peer set: when
// core is synced it calls /connect for each desired peer that is neither
// connected nor pending.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="STATE",type="string",JSONPath=".status.atProvider.state"
// +kubebuilder:printcolumn:name="CONNECTED",type="integer",JSONPath=".status.atProvider.connectedDesired"
// +kubebuilder:printcolumn:name="QUORUM",type="string",JSONPath=".status.conditions[?(@.type=='QuorumHealthy')].reason"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,stellar}
type PeerSync struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PeerSyncSpec   `json:"spec"`
	Status PeerSyncStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PeerSyncList contains a list of PeerSync.
type PeerSyncList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PeerSync `json:"items"`
}
