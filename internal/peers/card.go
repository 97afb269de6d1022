package peers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
	"github.com/stellarpeers/stellar-peers/internal/wire"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// Peer card contract v1 (DESIGN.md, "Peer card"): a small ConfigMap the node
// step composes for each validator that is a peer, and the directory requires
// by label. A card changes only when its peer facts change, so a directory is
// woken about once per validator lifetime event instead of by every write
// Crossplane makes to every composite.
const (
	// LabelPeerCard marks a peer card and its contract version.
	LabelPeerCard = "stellarpeers.io/peer-card"
	// PeerCardVersion is the value of LabelPeerCard this code writes and reads.
	PeerCardVersion = "v1"
	// LabelNetwork is the network a card's peer belongs to, as NetworkLabel
	// spells it.
	LabelNetwork = "stellarpeers.io/network"
	// KeyPeerCard is the card's data key.
	KeyPeerCard = "peer.json"
	// PeerCardSuffix ends a card's name: "<peer name>-peer-card".
	PeerCardSuffix = "-peer-card"
	// customNetworkPrefix starts the network label of a Custom network.
	customNetworkPrefix = "custom-"
)

// CardFields are the fields of a peer card that ExtractCard and Describe
// read; the request decoder keeps only these.
var CardFields = wire.FieldSet{
	"apiVersion": nil,
	"kind":       nil,
	"metadata":   {"name": nil, "namespace": nil, "labels": nil},
	"data":       {KeyPeerCard: nil},
}

// NetworkLabel is the value of LabelNetwork for a network: its name in lower
// case, or for a Custom network "custom-" and the first 12 hex digits of the
// passphrase's SHA-256, so two custom networks never share a directory.
func NetworkLabel(network, passphrase string) string {
	if strings.EqualFold(network, "Custom") {
		sum := sha256.Sum256([]byte(passphrase))
		return customNetworkPrefix + hex.EncodeToString(sum[:])[:12]
	}
	return strings.ToLower(network)
}

// IsCustomNetworkLabel reports whether a card's network label names some
// Custom network.
func IsCustomNetworkLabel(label string) bool {
	return strings.HasPrefix(label, customNetworkPrefix)
}

// Card is the data of a peer card. Its fields are in JSON key order, so
// encoding/json writes the keys sorted.
type Card struct {
	// History is the URL of the validator's archive, for validators that
	// list it in their quorum (a HIGH or CRITICAL validator needs one).
	History    string `json:"history,omitempty"`
	HomeDomain string `json:"homeDomain,omitempty"`
	Host       string `json:"host,omitempty"`
	IP         string `json:"ip,omitempty"`
	Name       string `json:"name,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	NodeType   string `json:"nodeType,omitempty"`
	Port       int    `json:"port,omitempty"`
	PublicKey  string `json:"publicKey,omitempty"`
	// Quality is the quality the validator gives its own home domain.
	Quality string `json:"quality,omitempty"`
}

// CardOf is the card of a peer.
func CardOf(p Peer, publicKey, homeDomain string) Card {
	return Card{
		HomeDomain: homeDomain, Host: p.Host, IP: p.IP, Name: p.Name, Namespace: p.Namespace,
		NodeType: p.NodeType, Port: p.Port, PublicKey: publicKey,
	}
}

// JSON is the card's peer.json: keys sorted, empty values omitted, no
// trailing newline. Same card, same bytes.
func (c Card) JSON() string {
	b, _ := json.Marshal(c) // strings and an int: encoding cannot fail
	return string(b)
}

// CardLabels are a card's labels: the contract's two, and the node's own
// labels except Crossplane's, so a directory's nodeSelector still narrows by
// what the user labelled the claim with. Returned sorted by key.
func CardLabels(nodeLabels map[string]string, networkLabel string) map[string]string {
	out := make(map[string]string, len(nodeLabels)+2)
	for _, k := range slices.Sorted(maps.Keys(nodeLabels)) {
		if strings.HasPrefix(k, "crossplane.io/") {
			continue
		}
		out[k] = nodeLabels[k]
	}
	out[LabelPeerCard] = PeerCardVersion
	out[LabelNetwork] = networkLabel
	return out
}

// ExtractCard turns a peer card ConfigMap into a peer. Like Extract it never
// panics: a card that is not valid JSON, or lacks a name, an address or a
// valid port, is SkippedInvalid with a Warning naming the card. Network and
// selector are checked against the card's labels.
func ExtractCard(obj *structpb.Struct, o Options) (Peer, Outcome, *Warning) {
	p, _, outcome, w := ExtractCardData(obj, o)
	return p, outcome, w
}

// ExtractCardData is ExtractCard that also returns the card's data, for the
// facts beyond the peer (public key, home domain, quality, archive). Those
// are returned as the card says them, unchecked.
func ExtractCardData(obj *structpb.Struct, o Options) (Peer, Card, Outcome, *Warning) {
	bad := func(field, msg string) (Peer, Card, Outcome, *Warning) {
		p, outcome, w := invalid(obj, field, msg)
		return p, Card{}, outcome, w
	}
	if obj == nil {
		return Peer{}, Card{}, SkippedInvalid, &Warning{Object: "peer card", Message: "is empty"}
	}
	cardLabels := structpath.Object(obj, "metadata", "labels")
	if v, _ := structpath.String(cardLabels, LabelPeerCard); v != PeerCardVersion {
		return bad("metadata.labels["+LabelPeerCard+"]", quoteShort(v)+" is not "+PeerCardVersion)
	}
	network, _ := structpath.String(cardLabels, LabelNetwork)
	if !o.matchesNetworkLabel(network) {
		return Peer{}, Card{}, SkippedOtherNetwork, nil
	}
	if o.Selector != nil && !o.Selector.Matches(structLabels{cardLabels}) {
		return Peer{}, Card{}, SkippedNotSelected, nil
	}
	raw, ok := structpath.String(obj, "data", KeyPeerCard)
	if !ok {
		return bad("data["+KeyPeerCard+"]", "is missing")
	}
	var c Card
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return bad("data["+KeyPeerCard+"]", "is not a peer card: "+err.Error())
	}
	if c.NodeType != NodeTypeValidator {
		// Only validators get cards; one that says otherwise is not a peer.
		return Peer{}, Card{}, SkippedNotValidator, nil
	}
	field := "data[" + KeyPeerCard + "]."
	if !isDNSName(c.Name, 253, true) {
		return bad(field+"name", quoteShort(c.Name)+" is not a valid Kubernetes object name")
	}
	if c.Namespace != "" && !isDNSName(c.Namespace, 63, false) {
		return bad(field+"namespace", quoteShort(c.Namespace)+" is not a valid Kubernetes namespace name")
	}
	if c.Host == "" && c.IP == "" {
		return bad(field+"host", "is missing, and so is ip")
	}
	p := Peer{Name: c.Name, Namespace: c.Namespace, NodeType: NodeTypeValidator, Host: c.Host, Port: c.Port}
	if c.IP != "" {
		ip, err := CanonicalIP(c.IP)
		if err != nil {
			return bad(field+"ip", err.Error())
		}
		p.IP = ip
	}
	if c.Host != "" {
		if err := ValidateHost(c.Host); err != nil {
			return bad(field+"host", err.Error())
		}
	}
	if !ValidPort(c.Port) {
		return bad(field+"port", strconv.Itoa(c.Port)+" is not a valid port")
	}
	return p, c, Kept, nil
}

func (o Options) matchesNetworkLabel(label string) bool {
	if o.AnyCustomNetwork {
		return IsCustomNetworkLabel(label)
	}
	return label == o.NetworkLabel
}
