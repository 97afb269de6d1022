package peersync

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

// presence is where a desired peer stands on the node.
type presence int

const (
	missing presence = iota
	pending
	authenticated
)

// target is a desired peer, parsed.
type target struct {
	name string
	host string
	port int
	// ip is the peer's IP when known: from spec.ip or a literal host.
	ip netip.Addr
	// initiate: this node connects to the peer, rather than wait for the
	// peer to connect to it.
	initiate bool
}

// peerState is a desired peer as observed, with what /connect would send.
type peerState struct {
	target
	presence presence
	// dialHost is what /connect gets: an IP when known, since core resolves
	// names on its main thread (IPv4 only).
	dialHost string
}

// parseTarget reads a desired peer with the parser the node step formats
// its addresses for (peers.ParseAddress); an address without a port means
// core's default peer port.
func parseTarget(p forprovider.DesiredPeer) (target, error) {
	a, err := peers.ParseAddress(p.Address)
	if err != nil {
		return target{}, fmt.Errorf("peer %s: invalid address: %w", p.Name, err)
	}
	t := target{name: p.Name, host: a.Host, port: cmp.Or(a.Port, peers.DefaultPeerPort), initiate: p.Initiate == nil || *p.Initiate}
	if a.IP != "" {
		t.host = a.IP
		t.ip = netip.MustParseAddr(a.IP).Unmap()
	}
	if p.IP != "" {
		ip, err := netip.ParseAddr(p.IP)
		if err != nil {
			return target{}, fmt.Errorf("peer %s: invalid ip %q", p.Name, p.IP)
		}
		t.ip = ip.Unmap()
	}
	return t, nil
}

// addressSet holds core's peer addresses as normalized ip:port.
type addressSet map[string]bool

func normalize(address string) string {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return strings.ToLower(address)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
}

func addressesOf(list []stellarcore.Peer, more []string) addressSet {
	s := addressSet{}
	for _, p := range list {
		s[normalize(p.Address)] = true
	}
	for _, a := range more {
		s[normalize(a)] = true
	}
	return s
}

// observePeers classifies each desired peer against core's peer lists, in
// either direction. A host name is resolved only when the IP is not known
// or does not match.
func observePeers(ctx context.Context, r netguard.Resolver, targets []target, live stellarcore.Peers) []peerState {
	auth := addressesOf(append(append([]stellarcore.Peer(nil), live.AuthenticatedInbound...), live.AuthenticatedOutbound...), nil)
	pend := addressesOf(nil, append(append([]string(nil), live.PendingInbound...), live.PendingOutbound...))

	lookup := func(ip netip.Addr, port int) presence {
		key := netip.AddrPortFrom(ip, uint16(port)).String()
		switch {
		case auth[key]:
			return authenticated
		case pend[key]:
			return pending
		}
		return missing
	}

	out := make([]peerState, 0, len(targets))
	for _, t := range targets {
		s := peerState{target: t, dialHost: t.host}
		if t.ip.IsValid() {
			s.presence = lookup(t.ip, t.port)
			s.dialHost = t.ip.String()
		}
		if s.presence == missing && !peers.IsIP(t.host) {
			ips, err := r.LookupNetIP(ctx, "ip", t.host)
			if err == nil {
				s.presence, s.dialHost = bestOf(ips, t, lookup)
			}
		}
		out = append(out, s)
	}
	return out
}

// bestOf matches resolved IPs and picks what /connect should send: the
// known IP, else the first resolved IPv4, else the host name.
func bestOf(ips []netip.Addr, t target, lookup func(netip.Addr, int) presence) (presence, string) {
	best := missing
	dial := t.host
	if t.ip.IsValid() {
		dial = t.ip.String()
	}
	firstV4 := ""
	for _, ip := range ips {
		ip = ip.Unmap()
		if p := lookup(ip, t.port); p > best {
			best = p
		}
		if ip.Is4() && firstV4 == "" {
			firstV4 = ip.String()
		}
	}
	if !t.ip.IsValid() && firstV4 != "" {
		dial = firstV4
	}
	return best, dial
}
