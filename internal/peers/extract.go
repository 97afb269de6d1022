package peers

import (
	"cmp"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
	"github.com/stellarpeers/stellar-peers/internal/wire"
	"maps"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/labels"
)

// Labels Crossplane puts on a composite that was created for a claim.
const (
	LabelClaimName      = "crossplane.io/claim-name"
	LabelClaimNamespace = "crossplane.io/claim-namespace"
)

// OperatorGroup is the API group of the original Rust operator's StellarNode.
const OperatorGroup = "stellar.org"

// DefaultClusterDomain is the cluster DNS domain assumed when none is given.
const DefaultClusterDomain = "cluster.local"

// Options narrow which node objects become peers.
type Options struct {
	// Network keeps only nodes whose spec.network equals it, in any case;
	// empty keeps all.
	Network string
	// Passphrase, for a Custom Network, keeps only the Custom nodes of this
	// passphrase (spec.network {"custom": <passphrase>}, or
	// spec.networkPassphrase); empty keeps every Custom node.
	Passphrase string
	// NetworkLabel keeps only peer cards with this network label. With
	// AnyCustomNetwork it is ignored and the cards of every Custom network
	// are kept.
	NetworkLabel     string
	AnyCustomNetwork bool
	// Selector, when set, keeps only nodes whose labels it matches.
	Selector labels.Selector
	// ClusterDomain is used to derive the Service name of the original
	// operator's StellarNodes, which publish no address of their own.
	ClusterDomain string
}

// An Outcome says what extraction did with a node object.
type Outcome int

// Outcomes of Extract.
const (
	Kept Outcome = iota
	SkippedOtherNetwork
	SkippedNotSelected
	SkippedNotValidator
	SkippedSuspended
	// SkippedNoAddress is a validator that has not published an address yet,
	// which is normal while it starts.
	SkippedNoAddress
	// SkippedInvalid comes with a Warning naming the object and field.
	SkippedInvalid
)

// A Warning names a bad object and field, e.g.
// `XStellarNode "alice-x7k2" (claim team-a/alice): spec.peerPort: 70000 is not a valid port`.
type Warning struct {
	Object  string
	Field   string
	Message string
}

func (w Warning) Error() string {
	if w.Field == "" {
		return w.Object + ": " + w.Message
	}
	return w.Object + ": " + w.Field + ": " + w.Message
}

// Describe names an object the way warnings do: Kind "namespace/name", with
// the claim it came from when it has one.
func Describe(obj *structpb.Struct) string {
	kind := structpath.StringOr(obj, "object", "kind")
	name, _ := structpath.String(obj, "metadata", "name")
	if ns, _ := structpath.String(obj, "metadata", "namespace"); ns != "" {
		name = ns + "/" + name
	}
	if !plain(kind) {
		kind = quoteShort(kind)
	}
	d := kind + " " + quoteShort(name)
	cn, _ := structpath.String(obj, "metadata", "labels", LabelClaimName)
	cns, _ := structpath.String(obj, "metadata", "labels", LabelClaimNamespace)
	if cn != "" {
		claim := cns + "/" + cn
		if !plain(claim) {
			// A hostile label must not forge lines or flood an event.
			claim = quoteShort(claim)
		}
		d += " (claim " + claim + ")"
	}
	return d
}

// plain reports whether s is short printable ASCII without quotes, safe to
// show in a message as it is.
func plain(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\' {
			return false
		}
	}
	return true
}

func invalid(obj *structpb.Struct, field, msg string) (Peer, Outcome, *Warning) {
	return Peer{}, SkippedInvalid, &Warning{Object: Describe(obj), Field: field, Message: msg}
}

func invalidOutcome(obj *structpb.Struct, field, msg string) (Outcome, *Warning) {
	_, out, w := invalid(obj, field, msg)
	return out, w
}

// Network returns a node's spec.network. The original operator may spell a
// custom network as an object ({"Custom": "passphrase"}, or in its serde
// form {"custom": "passphrase"}); that is "Custom".
func Network(obj *structpb.Struct) string {
	v := structpath.Field(obj, "spec", "network")
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return s.StringValue
	}
	if o := v.GetStructValue(); o != nil {
		for k := range o.GetFields() {
			if strings.EqualFold(k, "custom") {
				return "Custom"
			}
		}
	}
	return ""
}

// CustomPassphrase returns a Custom node's passphrase: the value of the
// operator's {"custom": "<passphrase>"} (any case of the key), else
// spec.networkPassphrase as our claims spell it.
func CustomPassphrase(obj *structpb.Struct) string {
	if o := structpath.Field(obj, "spec", "network").GetStructValue(); o != nil {
		for _, k := range slices.Sorted(maps.Keys(o.GetFields())) {
			if strings.EqualFold(k, "custom") {
				return o.GetFields()[k].GetStringValue()
			}
		}
	}
	return structpath.StringOr(obj, "", "spec", "networkPassphrase")
}

// Identity returns the user's name and namespace for a node: the claim's when
// the composite came from a claim, else the object's own.
func Identity(obj *structpb.Struct) (name, namespace string) {
	meta := structpath.Object(obj, "metadata")
	if cn, _ := structpath.String(meta, "labels", LabelClaimName); cn != "" {
		cns, _ := structpath.String(meta, "labels", LabelClaimNamespace)
		return cn, cns
	}
	name, _ = structpath.String(meta, "name")
	namespace, _ = structpath.String(meta, "namespace")
	return name, namespace
}

// NodeFields are the fields of a node object that Extract, Identity, Describe
// and a label selector read. Extraction from an object decoded with them is
// the same as from the whole object.
var NodeFields = wire.FieldSet{
	"apiVersion": nil,
	"kind":       nil,
	"metadata":   {"name": nil, "namespace": nil, "labels": nil},
	"spec":       {"network": nil, "networkPassphrase": nil, "nodeType": nil, "suspended": nil, "peerPort": nil, "publicAddress": nil},
	"status":     {"peer": nil},
}

// Extract turns one node object into a peer. It never panics: a bad object
// is SkippedInvalid with a Warning naming the object and the field.
func Extract(obj *structpb.Struct, o Options) (Peer, Outcome, *Warning) {
	if obj == nil {
		return Peer{}, SkippedInvalid, &Warning{Object: "object", Message: "is empty"}
	}
	spec := structpath.Object(obj, "spec")
	if spec == nil {
		// Not a node at all (a wrong kind), or a mangled one.
		return invalid(obj, "spec", "is missing or not an object")
	}
	if out, w := selected(obj, spec, o); out != Kept || w != nil {
		return Peer{}, out, w
	}
	p, w := identity(obj)
	if w != nil {
		return Peer{}, SkippedInvalid, w
	}
	if v := structpath.Field(obj, "status"); structpath.Present(obj, "status") && v.GetStructValue() == nil {
		return invalid(obj, "status", describe(v)+" is not an object")
	}
	if v := structpath.Field(obj, "status", "peer"); structpath.Present(obj, "status", "peer") && v.GetStructValue() == nil {
		return invalid(obj, "status.peer", describe(v)+" is not an object")
	}
	status := structpath.Object(obj, "status", "peer")
	switch {
	case structpath.Present(status, "port"):
		p.Port, w = port(obj, structpath.Field(status, "port"), "status.peer.port")
	case structpath.Present(spec, "peerPort"):
		p.Port, w = port(obj, structpath.Field(spec, "peerPort"), "spec.peerPort")
	default:
		p.Port = DefaultPeerPort
	}
	if w != nil {
		return Peer{}, SkippedInvalid, w
	}
	public, w := publicAddress(obj, spec)
	switch {
	case w != nil:
		return Peer{}, SkippedInvalid, w
	case public != nil:
		p.Host, p.IP = public.Host, public.IP
		if public.Port != 0 {
			p.Port = public.Port
		}
		return p, Kept, nil
	}
	if w := statusAddress(obj, status, &p); w != nil {
		return Peer{}, SkippedInvalid, w
	}
	if p.Host == "" && p.IP == "" && isOperatorNode(obj) {
		if w := operatorAddress(obj, o.ClusterDomain, &p); w != nil {
			return Peer{}, SkippedInvalid, w
		}
	}
	if p.Host == "" && p.IP == "" {
		return Peer{}, SkippedNoAddress, nil
	}
	return p, Kept, nil
}

// selected says whether a node object is a peer of the directory by its
// network, labels, type and suspension: Kept when it is.
func selected(obj, spec *structpb.Struct, o Options) (Outcome, *Warning) {
	if o.Network != "" {
		if out, w := ofNetwork(obj, spec, o); out != Kept || w != nil {
			return out, w
		}
	}
	if o.Selector != nil && !o.Selector.Matches(structLabels{structpath.Object(obj, "metadata", "labels")}) {
		return SkippedNotSelected, nil
	}
	nodeType, ok := structpath.String(spec, "nodeType")
	switch {
	case !ok:
		return invalidOutcome(obj, "spec.nodeType", "is missing or not a string")
	case nodeType == NodeTypeValidator:
	case nodeType == NodeTypeWatcher, nodeType == NodeTypeHorizon, nodeType == NodeTypeSorobanRPC:
		return SkippedNotValidator, nil
	default:
		return invalidOutcome(obj, "spec.nodeType", describe(structpath.Field(spec, "nodeType"))+" is not one of Validator, Watcher, Horizon, SorobanRpc")
	}
	if v := structpath.Field(spec, "suspended"); structpath.Present(spec, "suspended") {
		b, ok := v.GetKind().(*structpb.Value_BoolValue)
		if !ok {
			return invalidOutcome(obj, "spec.suspended", describe(v)+" is not a bool")
		}
		if b.BoolValue {
			return SkippedSuspended, nil
		}
	}
	return Kept, nil
}

// ofNetwork says whether a node is of the directory's network; two Custom
// networks share no directory, so the passphrase tells them apart.
func ofNetwork(obj, spec *structpb.Struct, o Options) (Outcome, *Warning) {
	switch n := Network(obj); {
	case n == "" && !structpath.Present(spec, "network"):
		return invalidOutcome(obj, "spec.network", "is missing")
	case n == "":
		return invalidOutcome(obj, "spec.network", describe(structpath.Field(spec, "network"))+" is not a network name")
	case !strings.EqualFold(n, o.Network):
		return SkippedOtherNetwork, nil
	case o.Passphrase != "" && strings.EqualFold(n, "Custom"):
		switch p := CustomPassphrase(obj); {
		case p == "":
			return invalidOutcome(obj, "spec.network", "is Custom without a passphrase, so it cannot be matched to this directory's network")
		case p != o.Passphrase:
			return SkippedOtherNetwork, nil
		}
	}
	return Kept, nil
}

// identity is the peer's user-facing name and namespace. They are published
// to every validator: only what Kubernetes itself accepts as an object name,
// so a huge or odd name cannot bloat or break the directory.
func identity(obj *structpb.Struct) (Peer, *Warning) {
	name, namespace := Identity(obj)
	if name == "" {
		return Peer{}, &Warning{Object: Describe(obj), Field: "metadata.name", Message: "is empty"}
	}
	nameField, namespaceField := "metadata.name", "metadata.namespace"
	if cn, _ := structpath.String(obj, "metadata", "labels", LabelClaimName); cn != "" {
		nameField = "metadata.labels[" + LabelClaimName + "]"
		namespaceField = "metadata.labels[" + LabelClaimNamespace + "]"
	}
	if !isDNSName(name, 253, true) {
		return Peer{}, &Warning{Object: Describe(obj), Field: nameField, Message: quoteShort(name) + " is not a valid Kubernetes object name"}
	}
	if namespace != "" && !isDNSName(namespace, 63, false) {
		return Peer{}, &Warning{Object: Describe(obj), Field: namespaceField, Message: quoteShort(namespace) + " is not a valid Kubernetes namespace name"}
	}
	return Peer{Name: name, Namespace: namespace, NodeType: NodeTypeValidator}, nil
}

// publicAddress is spec.publicAddress, nil when unset or empty: it wins over
// the address the node publishes in its status.
func publicAddress(obj, spec *structpb.Struct) (*Address, *Warning) {
	v := structpath.Field(spec, "publicAddress")
	if !structpath.Present(spec, "publicAddress") {
		return nil, nil
	}
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		return nil, &Warning{Object: Describe(obj), Field: "spec.publicAddress", Message: describe(v) + " is not a string"}
	}
	if s.StringValue == "" {
		return nil, nil
	}
	a, err := ParseAddress(s.StringValue)
	if err != nil {
		return nil, &Warning{Object: Describe(obj), Field: "spec.publicAddress", Message: err.Error()}
	}
	return &a, nil
}

// statusAddress reads status.peer.host (a name or an IP) and status.peer.ip
// into p.
func statusAddress(obj, status *structpb.Struct, p *Peer) *Warning {
	bad := func(field, msg string) *Warning { return &Warning{Object: Describe(obj), Field: field, Message: msg} }
	if v := structpath.Field(status, "host"); structpath.Present(status, "host") {
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return bad("status.peer.host", describe(v)+" is not a string")
		}
		switch {
		case s.StringValue == "":
		case IsIP(s.StringValue):
			ip, err := CanonicalIP(s.StringValue)
			if err != nil {
				return bad("status.peer.host", err.Error())
			}
			p.IP = ip
		default:
			if err := ValidateHost(s.StringValue); err != nil {
				return bad("status.peer.host", err.Error())
			}
			p.Host = s.StringValue
		}
	}
	if v := structpath.Field(status, "ip"); structpath.Present(status, "ip") {
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return bad("status.peer.ip", describe(v)+" is not a string")
		}
		if s.StringValue != "" {
			ip, err := CanonicalIP(s.StringValue)
			if err != nil {
				return bad("status.peer.ip", err.Error())
			}
			p.IP = ip
		}
	}
	return nil
}

// operatorAddress gives an original operator's StellarNode, which publishes
// no address, its Service's DNS name: the operator always creates a Service
// named after the node in its namespace.
func operatorAddress(obj *structpb.Struct, clusterDomain string, p *Peer) *Warning {
	ownName, _ := structpath.String(obj, "metadata", "name")
	ownNS, _ := structpath.String(obj, "metadata", "namespace")
	if ownName == "" || ownNS == "" {
		return nil
	}
	p.Host = ownName + "." + ownNS + ".svc." + cmp.Or(clusterDomain, DefaultClusterDomain)
	if err := ValidateHost(p.Host); err != nil {
		return &Warning{Object: Describe(obj), Field: "metadata.name", Message: err.Error()}
	}
	return nil
}

func isOperatorNode(obj *structpb.Struct) bool {
	av, _ := structpath.String(obj, "apiVersion")
	return strings.HasPrefix(av, OperatorGroup+"/")
}

func port(obj *structpb.Struct, v *structpb.Value, field string) (int, *Warning) {
	n, ok := v.GetKind().(*structpb.Value_NumberValue)
	if !ok {
		return 0, &Warning{Object: Describe(obj), Field: field, Message: describe(v) + " is not a number"}
	}
	f := n.NumberValue
	if math.IsNaN(f) || f != math.Trunc(f) || f < 1 || f > 65535 {
		return 0, &Warning{Object: Describe(obj), Field: field, Message: describe(v) + " is not a valid port"}
	}
	return int(f), nil
}

// structLabels lets a label selector read metadata.labels in place.
type structLabels struct{ s *structpb.Struct }

func (l structLabels) Has(key string) bool {
	_, ok := l.s.GetFields()[key]
	return ok
}

func (l structLabels) Get(key string) string {
	v, _ := structpath.String(l.s, key)
	return v
}

func (l structLabels) Lookup(key string) (string, bool) {
	v, ok := l.s.GetFields()[key]
	if !ok {
		return "", false
	}
	return v.GetStringValue(), true
}

// isDNSName reports whether s is a DNS-1123 subdomain (dots allowed) or label
// of at most max characters: lower case letters, digits and '-', starting and
// ending with a letter or digit.
func isDNSName(s string, maxLen int, dots bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return false
			}
		case c == '.' && dots:
			// Each dot-separated label starts and ends with a letter or digit.
			if i == 0 || i == len(s)-1 || s[i-1] == '.' || s[i-1] == '-' || s[i+1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}
