// Package coresim simulates a stellar-core node's admin HTTP interface for
// tests. It answers /info, /peers, /connect, /droppeer and /quorum the way
// core does, keeps a peer table and a quorum set whose validators agree while
// connected, records every request and injects faults. It listens on loopback
// only and never opens an outbound connection: a /connect is only recorded in
// the table.
package coresim

import (
	"errors"
	"fmt"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Options configure a Node. The zero value is a synced node on 127.0.0.1.
type Options struct {
	// Addr is "127.0.0.x:port"; port 0 picks a free one. Anything not
	// loopback is refused.
	Addr string
	// State is the initial core state; empty means Synced!.
	State string
	// Ledger is the last closed ledger number.
	Ledger uint64
	// Network is the network passphrase.
	Network string
	// PendingDelay is how long a /connect stays pending before it is
	// authenticated. Zero authenticates it at the next look (a request, or
	// Peers); a negative delay leaves it pending until Tick.
	PendingDelay time.Duration
	// MaxPendingOutbound is the outbound pending slot count (core: 56).
	// A /connect beyond it is dropped silently.
	MaxPendingOutbound int
	// Hosts maps peer host names to IPv4 addresses for /connect by name.
	// Without Resolve the simulator never uses DNS: other names get core's
	// resolve exception.
	Hosts map[string]string
	// Resolve, when set, resolves a host name Hosts does not list, as core
	// resolves a peer's name when told to connect (in a pod: the cluster's
	// DNS). It only looks a name up: nothing is dialed.
	Resolve func(host string) (netip.Addr, bool)
	// Listener, when set, is the listener to serve on instead of listening
	// on Addr: a simulated node in a pod serves on the pod's own address,
	// which the loopback check would refuse. The caller owns the choice.
	Listener net.Listener
	// Introspect serves GET /sim/state, a JSON snapshot of the peer table and
	// the counters tests assert on, next to core's own commands: tests that
	// cannot call the Go methods (the node runs in a pod) read it over the
	// admin port.
	Introspect bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Quorum is the node's quorum set (see SetQuorum); nil means none.
	Quorum *QuorumSet
}

// Node is a running simulated stellar-core node.
type Node struct {
	opts     Options
	listener net.Listener
	server   *http.Server
	done     chan struct{}

	mu              sync.Mutex
	state           string
	ledger          uint64
	authIn, authOut []peer
	pendingIn       []string
	pendingOut      []pending
	refused         map[string]bool
	nextID          int
	requests        []Request
	faults          []*Fault
	alreadyErrors   int
	droppedConnects int
	quorum          *QuorumSet
	quorumStates    map[string]QuorumState

	// fabric, when set, mirrors this node's outbound connections on the nodes it connects to.
	fabric      *Fabric
	peerAddress string
	links       []linkEvent
}

type peer struct {
	address, id string
	since       time.Time
}

type pending struct {
	address string
	due     time.Time
}

// Request is one request the node received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// Query is parsed like core does: split on & and =, last repeated key wins.
	Query         map[string]string
	Authorization string
	Time          time.Time
}

// Start listens on opts.Addr and serves until Close.
func Start(opts Options) (*Node, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Listener == nil {
		if err := checkLoopback(opts.Addr); err != nil {
			return nil, err
		}
	}
	if opts.State == "" {
		opts.State = stellarcore.StateSynced
	}
	if opts.Ledger == 0 {
		opts.Ledger = 1000
	}
	if opts.Network == "" {
		opts.Network = "Test SDF Network ; September 2015"
	}
	if opts.MaxPendingOutbound == 0 {
		opts.MaxPendingOutbound = 56
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := opts.Listener
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w", opts.Addr, err)
		}
	}
	n := &Node{
		opts:     opts,
		listener: l,
		done:     make(chan struct{}),
		state:    opts.State,
		ledger:   opts.Ledger,
		refused:  map[string]bool{},

		quorumStates: map[string]QuorumState{},
	}
	n.SetQuorum(opts.Quorum)
	n.server = &http.Server{Handler: http.HandlerFunc(n.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(n.done)
		_ = n.server.Serve(l)
	}()
	return n, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("cannot parse listen address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: only loopback IPs are allowed", addr)
	}
	return nil
}

// Close stops the server.
func (n *Node) Close() error {
	err := n.server.Close()
	<-n.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Addr is the host:port the node listens on.
func (n *Node) Addr() string { return n.listener.Addr().String() }

// URL is the admin endpoint, e.g. "http://127.0.0.2:40123".
func (n *Node) URL() string { return "http://" + n.Addr() }

// SetState changes the core state.
func (n *Node) SetState(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.state = s
}

// SetLedger changes the last closed ledger number.
func (n *Node) SetLedger(num uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ledger = num
}

// AddInbound adds an authenticated inbound peer.
func (n *Node) AddInbound(address, id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.authIn = append(n.authIn, peer{address: address, id: n.idFor(id), since: n.opts.Now()})
}

// AddOutbound adds an authenticated outbound peer.
func (n *Node) AddOutbound(address, id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.authOut = append(n.authOut, peer{address: address, id: n.idFor(id), since: n.opts.Now()})
}

// AddPendingInbound adds a pending inbound peer.
func (n *Node) AddPendingInbound(address string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pendingIn = append(n.pendingIn, address)
}

// Refuse makes the node drop address instead of authenticating it, as core
// does with a non-preferred peer beyond its target connections.
func (n *Node) Refuse(address string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refused[address] = true
}

// Disconnect removes address from every list (and, on a fabric, this node from the remote's lists).
func (n *Node) Disconnect(address string) {
	n.mu.Lock()
	n.dropLocked(address)
	n.link(address, linkDropped)
	n.mu.Unlock()
	n.flushLinks()
}

// dropLocked removes address from every list. Callers hold mu.
func (n *Node) dropLocked(address string) {
	n.authIn = withoutPeer(n.authIn, address)
	n.authOut = withoutPeer(n.authOut, address)
	n.pendingIn = withoutString(n.pendingIn, address)
	kept := n.pendingOut[:0]
	for _, p := range n.pendingOut {
		if p.address != address {
			kept = append(kept, p)
		}
	}
	n.pendingOut = kept
}

// Tick authenticates every pending outbound peer now (or drops the refused).
func (n *Node) Tick() {
	n.mu.Lock()
	n.promote(true)
	n.mu.Unlock()
	n.flushLinks()
}

// Requests returns every request received so far.
func (n *Node) Requests() []Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Request(nil), n.requests...)
}

// RequestsTo returns the requests for one path, e.g. "/connect".
func (n *Node) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range n.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (n *Node) ResetRequests() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.requests = nil
}

// AlreadyConnectedErrors counts /connect calls for a peer that was already
// connected or pending: real core logs an ERROR for each.
func (n *Node) AlreadyConnectedErrors() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.alreadyErrors
}

// DroppedConnects counts /connect calls dropped because the outbound pending
// slots were full.
func (n *Node) DroppedConnects() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.droppedConnects
}

// PeerTable is a snapshot of the node's peers.
type PeerTable struct {
	AuthenticatedInbound  []string
	AuthenticatedOutbound []string
	PendingInbound        []string
	PendingOutbound       []string
}

// Peers returns a snapshot of the peer table. Like a request, it first
// authenticates the pending connects that are due: core completes a handshake
// on its own, so what a test sees must not wait for the provider's next poll.
func (n *Node) Peers() PeerTable {
	n.mu.Lock()
	n.promote(false)
	t := n.peerTable()
	n.mu.Unlock()
	n.flushLinks()
	return t
}

// peerTable is a snapshot of the peer table. Callers hold mu.
func (n *Node) peerTable() PeerTable {
	t := PeerTable{PendingInbound: append([]string(nil), n.pendingIn...)}
	for _, p := range n.authIn {
		t.AuthenticatedInbound = append(t.AuthenticatedInbound, p.address)
	}
	for _, p := range n.authOut {
		t.AuthenticatedOutbound = append(t.AuthenticatedOutbound, p.address)
	}
	for _, p := range n.pendingOut {
		t.PendingOutbound = append(t.PendingOutbound, p.address)
	}
	return t
}

// link queues a connection change for the fabric to mirror on the remote node. Callers hold mu.
func (n *Node) link(remote string, kind linkKind) {
	if n.fabric != nil {
		n.links = append(n.links, linkEvent{from: n.peerAddress, to: remote, kind: kind})
	}
}

// flushLinks hands queued connection changes to the fabric. Callers must not hold mu.
func (n *Node) flushLinks() {
	n.mu.Lock()
	f, events := n.fabric, n.links
	n.links = nil
	n.mu.Unlock()
	if f != nil && len(events) > 0 {
		f.mirror(events)
	}
}

func (n *Node) idFor(id string) string {
	if id != "" {
		return id
	}
	n.nextID++
	return fmt.Sprintf("GSIM%03d", n.nextID)
}

// promote authenticates pending outbound peers that are due; all of them
// when force is set. Refused peers are dropped instead. Callers hold mu.
func (n *Node) promote(force bool) {
	now := n.opts.Now()
	kept := n.pendingOut[:0]
	for _, p := range n.pendingOut {
		due := force || (n.opts.PendingDelay >= 0 && !now.Before(p.due))
		switch {
		case !due:
			kept = append(kept, p)
		case n.refused[p.address]:
			// Core rejects it after the handshake; the peer just disappears.
			n.link(p.address, linkDropped)
		default:
			n.authOut = append(n.authOut, peer{address: p.address, id: n.idFor(""), since: now})
			n.link(p.address, linkAuthenticated)
		}
	}
	n.pendingOut = kept
}

// connected reports whether address is authenticated or pending in either
// direction. Callers hold mu.
func (n *Node) connected(address string) bool {
	for _, p := range n.authIn {
		if p.address == address {
			return true
		}
	}
	for _, p := range n.authOut {
		if p.address == address {
			return true
		}
	}
	for _, a := range n.pendingIn {
		if a == address {
			return true
		}
	}
	for _, p := range n.pendingOut {
		if p.address == address {
			return true
		}
	}
	return false
}

func withoutPeer(ps []peer, address string) []peer {
	out := ps[:0]
	for _, p := range ps {
		if p.address != address {
			out = append(out, p)
		}
	}
	return out
}

func withoutString(ss []string, s string) []string {
	out := ss[:0]
	for _, x := range ss {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
