// Package stellarcore is a client for stellar-core's admin HTTP interface. It
// parses the bodies core really sends: JsonCpp styled JSON, null lists, error
// and exception objects under HTTP 200, and plain-text command replies.
package stellarcore

// Core states as /info reports them. Only StateSynced means healthy.
const (
	StateBooting    = "Booting"
	StateJoiningSCP = "Joining SCP"
	StateConnected  = "Connected"
	StateCatchingUp = "Catching up"
	StateSynced     = "Synced!"
	StateStopping   = "Stopping"
)

// Info is the part of /info this project uses.
type Info struct {
	Build           string
	ProtocolVersion int
	State           string
	StartedOn       string
	Ledger          Ledger
	Peers           PeerCounts
	Network         string
	// Status lists what core is busy with, e.g. catchup progress.
	Status []string
	// Quorum is the "quorum" section; nil when absent.
	Quorum *Quorum
}

// Ledger is /info's last closed ledger.
type Ledger struct {
	Num       uint64
	Hash      string
	CloseTime int64
	Version   int
	Age       int64
}

// PeerCounts is /info's peers summary.
type PeerCounts struct {
	Pending       int
	Authenticated int
}

// Peers is the /peers reply.
type Peers struct {
	AuthenticatedInbound  []Peer
	AuthenticatedOutbound []Peer
	// Pending peers are "ip:port" strings only.
	PendingInbound  []string
	PendingOutbound []string
}

// Peer is an authenticated peer.
type Peer struct {
	Address string
	ID      string
	Version string
	// Elapsed is how long the connection has been up, in seconds.
	Elapsed int64
	Latency int64
	// OverlayVersion is core's "olver".
	OverlayVersion int
}

// Addresses returns every authenticated and pending address, both directions.
func (p Peers) Addresses() []string {
	out := make([]string, 0, len(p.AuthenticatedInbound)+len(p.AuthenticatedOutbound)+len(p.PendingInbound)+len(p.PendingOutbound))
	for _, pr := range p.AuthenticatedInbound {
		out = append(out, pr.Address)
	}
	for _, pr := range p.AuthenticatedOutbound {
		out = append(out, pr.Address)
	}
	out = append(out, p.PendingInbound...)
	out = append(out, p.PendingOutbound...)
	return out
}

// Quorum is core's view of a node's quorum set at one ledger: /info's
// "quorum" section (the summary form: counts) or /quorum (names too). Core
// builds both in getJsonQuorumInfo (src/herder/HerderImpl.cpp, v23.0.1), the
// per-slot part in SCP::getJsonQuorumInfo (src/scp/SCP.cpp) and
// BallotProtocol::getJsonQuorumInfo (src/scp/BallotProtocol.cpp).
type Quorum struct {
	// Node names the node, "self" when its NODE_SEED carries that alias.
	Node string
	// Ledger is the SCP slot the view is of: in /info the ledger before the
	// one core tracks (src/main/ApplicationImpl.cpp, getJsonInfo), in /quorum
	// the latest slot core knows. Zero when core knows no slot yet (booting,
	// catching up): then nothing below but LagMS and Cost is reported.
	Ledger uint64
	// Phase is the node's ballot phase: PREPARE, CONFIRM, EXTERNALIZE,
	// "unknown" (no ballot statement yet) or "expired" (its quorum set is
	// gone: no FailAt or Hash then).
	Phase string
	// Hash is the first 3 bytes, in hex, of the quorum set's hash.
	Hash string
	// FailAt is how many more of the validators that now agree with the
	// node must fail before the rest block it (a v-blocking set): 1 means the
	// next failure stops it, 0 that it is blocked already. Nil when absent.
	FailAt *int
	// Validated is whether the slot was fully validated; only a validator
	// reports it.
	Validated *bool
	// The quorum set's validators by state, the node itself counted as
	// agreeing: missing sent nothing in the last 2 slots, delayed is a slot
	// behind, disagree works on another value.
	Agree, Missing, Delayed, Disagree int
	// Names of the validators in each state and of the FailAt validators, as
	// /quorum gives them: the NAME of their [[VALIDATORS]] entry, or the
	// first 5 characters of the key. Nil in /info's summary.
	AgreeNodes, MissingNodes, DelayedNodes, DisagreeNodes, FailWith []string
	// QuorumSet is the quorum set of the view ("value"); /quorum only.
	QuorumSet *QuorumSet
	// LagMS is the average externalize lag of the quorum set's validators
	// (the 75th percentile of each) in /info; nil when none was measured, and
	// in /quorum, which lists it per validator.
	LagMS *uint64
	// Cost is the total size of the SCP messages of the slot in /info; nil
	// in /quorum, which lists it per validator.
	Cost *uint64
	// Transitive is the last quorum intersection check; nil until the
	// checker has a result.
	Transitive *TransitiveQuorum
}

// KnowsSlot reports whether core reported a slot, and so the counts.
func (q Quorum) KnowsSlot() bool { return q.Ledger != 0 }

// QuorumSet is a quorum set as core writes it: "t" and "v", inner sets nested
// in "v" (LocalNode::toJson, src/scp/LocalNode.cpp).
type QuorumSet struct {
	Threshold  int
	Validators []string
	InnerSets  []QuorumSet
}

// TransitiveQuorum is the quorum intersection checker's last result
// (getJsonTransitiveQuorumIntersectionInfo, src/herder/HerderImpl.cpp).
type TransitiveQuorum struct {
	Intersection    bool
	NodeCount       int
	LastCheckLedger uint64
	// Critical lists groups of nodes whose misbehaviour could split the
	// network; only when Intersection holds.
	Critical [][]string
	// LastGoodLedger and PotentialSplit only when it does not.
	LastGoodLedger uint64
	PotentialSplit [][]string
}
