package peers

import (
	"cmp"
	"iter"
	"slices"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

// Discovery is what a directory publishes, and why the rest was left out.
type Discovery struct {
	// Peers are valid and sorted with Compare.
	Peers []Peer
	// Warnings name bad objects (skipped) and duplicate addresses (kept, so
	// that a mistake in one object never drops another's peer), in a stable
	// order.
	Warnings []Warning
	// Pending are validators ("namespace/name") that have not published an
	// address yet, sorted.
	Pending []string
}

// Discover extracts the peers from peer cards and from node objects, adds the
// already validated external peers, sorts them and reports duplicate
// addresses. Either sequence may be nil.
func Discover(cards, nodes iter.Seq[*structpb.Struct], external []Peer, o Options) Discovery {
	var d Discovery
	if cards == nil {
		cards = none
	}
	if nodes == nil {
		nodes = none
	}
	for obj := range cards {
		d.add(obj, o, ExtractCard)
	}
	for obj := range nodes {
		d.add(obj, o, Extract)
	}
	d.Peers = append(d.Peers, external...)
	Sort(d.Peers)
	slices.SortFunc(d.Warnings, compareWarnings)
	slices.Sort(d.Pending)
	d.Warnings = append(d.Warnings, Duplicates(d.Peers)...)
	return d
}

// add files the outcome of extracting obj. Only node objects are ever
// SkippedNoAddress (a card is published with its address): such a validator
// is pending.
func (d *Discovery) add(obj *structpb.Struct, o Options, extract func(*structpb.Struct, Options) (Peer, Outcome, *Warning)) {
	p, outcome, w := extract(obj, o)
	switch outcome {
	case Kept:
		d.Peers = append(d.Peers, p)
	case SkippedNoAddress:
		name, ns := Identity(obj)
		d.Pending = append(d.Pending, Peer{Name: name, Namespace: ns}.Key())
	case SkippedInvalid:
		d.Warnings = append(d.Warnings, *w)
	case SkippedOtherNetwork, SkippedNotSelected, SkippedNotValidator, SkippedSuspended:
	}
}

func none(func(*structpb.Struct) bool) {}

func compareWarnings(a, b Warning) int {
	return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message))
}

// Duplicates reports peers that share an identity or an address, in the order
// of the sorted peers. Both stay listed: which one is wrong is the user's call.
func Duplicates(sorted []Peer) []Warning {
	var ws []Warning
	seen := make(map[string]string, len(sorted))
	for i, p := range sorted {
		if i > 0 && sorted[i-1].Key() == p.Key() {
			ws = append(ws, Warning{Object: "peer " + strconv.Quote(p.Key()), Message: "is listed twice"})
		}
		addrs := [2]string{p.PeerString(), ""}
		if p.Host != "" && p.IP != "" {
			addrs[1] = p.StableAddress()
		}
		for _, a := range addrs {
			if first, ok := seen[a]; ok && a != "" && first != p.Key() {
				ws = append(ws, Warning{Object: "peer " + strconv.Quote(p.Key()), Message: "has the same address " + a + " as peer " + strconv.Quote(first)})
				break
			}
		}
		for _, a := range addrs {
			if _, ok := seen[a]; !ok && a != "" {
				seen[a] = p.Key()
			}
		}
	}
	return ws
}

// NewExternal validates a peer declared outside the cluster.
func NewExternal(name, host, ip string, port int) (Peer, error) {
	p := Peer{Name: name, NodeType: NodeTypeValidator, Host: host, Port: port, External: true}
	if port == 0 {
		p.Port = DefaultPeerPort
	}
	if ip != "" {
		c, err := CanonicalIP(ip)
		if err != nil {
			return Peer{}, err
		}
		p.IP = c
	}
	if host != "" && IsIP(host) {
		c, err := CanonicalIP(host)
		if err != nil {
			return Peer{}, err
		}
		p.Host = ""
		if p.IP == "" {
			p.IP = c
		}
	}
	return p, p.Validate()
}
