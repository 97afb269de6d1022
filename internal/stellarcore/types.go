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

// DefaultPeerPort is core's PEER_PORT default.
const DefaultPeerPort = 11625

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
