// Package peers is the pure core of stellar-peers: it turns node objects into
// validated, ordered peers and renders them as the directory's peers.json,
// peers.txt, peer_count and stellar-core TOML. It has no Kubernetes client and
// no Crossplane SDK; everything it returns is deterministic for its input.
package peers

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Node types, as spelled in spec.nodeType.
const (
	NodeTypeValidator  = "Validator"
	NodeTypeWatcher    = "Watcher"
	NodeTypeHorizon    = "Horizon"
	NodeTypeSorobanRPC = "SorobanRpc"
)

// A Peer is a validator other validators should connect to. Name and Namespace
// are the user's (the claim's, when the node came from a claim).
type Peer struct {
	Name      string
	Namespace string
	NodeType  string
	// Host is a stable DNS name, when known.
	Host string
	// IP is the canonical IP literal, when known.
	IP   string
	Port int
	// External peers come from the directory spec, not from a node object.
	External bool
}

// PeerString is the address core dials: ip:port when the IP is known, else
// host:port; IPv6 as [addr]:port.
func (p Peer) PeerString() string {
	return string(p.appendPeerString(nil))
}

func (p Peer) appendPeerString(b []byte) []byte {
	return appendHostPort(b, cmp.Or(p.IP, p.Host), p.Port)
}

// StableAddress is host:port for KNOWN_PEERS: a stable name survives pod IP
// changes, because core re-resolves it every 600 s. It falls back to the IP.
func (p Peer) StableAddress() string {
	return string(p.appendStableAddress(nil))
}

func (p Peer) appendStableAddress(b []byte) []byte {
	return appendHostPort(b, cmp.Or(p.Host, p.IP), p.Port)
}

// Key is the peer's identity, "namespace/name".
func (p Peer) Key() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Validate checks a peer's fields. Extraction only returns valid peers; it is
// also used on peers parsed back from a peers.json.
func (p Peer) Validate() error {
	if p.Name == "" {
		return errors.New("name is empty")
	}
	if p.Host == "" && p.IP == "" {
		return errors.New("neither host nor ip is set")
	}
	if p.Host != "" {
		if err := ValidateHost(p.Host); err != nil {
			return fmt.Errorf("host: %w", err)
		}
	}
	if p.IP != "" {
		ip, err := CanonicalIP(p.IP)
		if err != nil {
			return fmt.Errorf("ip: %w", err)
		}
		if ip != p.IP {
			return fmt.Errorf("ip: %s is not in canonical form %s", strconv.Quote(p.IP), ip)
		}
	}
	if !ValidPort(p.Port) {
		return fmt.Errorf("port: %d is not a valid port", p.Port)
	}
	return nil
}

// Compare orders peers by (namespace, name), then by address so that the
// order is total and output never depends on input order.
func Compare(a, b Peer) int {
	return cmp.Or(
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Host, b.Host),
		cmp.Compare(a.IP, b.IP),
		cmp.Compare(a.Port, b.Port),
		cmp.Compare(a.NodeType, b.NodeType),
		compareBool(a.External, b.External),
	)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}

// Sort sorts peers in place with Compare.
func Sort(ps []Peer) { slices.SortFunc(ps, Compare) }

// Without returns the peers other than the one named namespace/name, in order.
func Without(ps []Peer, namespace, name string) []Peer {
	out := make([]Peer, 0, len(ps))
	for _, p := range ps {
		if !p.External && p.Namespace == namespace && p.Name == name {
			continue
		}
		out = append(out, p)
	}
	return out
}
