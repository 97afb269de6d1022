package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/crossplane/function-sdk-go/errors"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/rendezvous"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// node is an XStellarNode's spec, checked, with the network's settings.
type node struct {
	describe                  string
	claimName, claimNamespace string
	nodeType                  string
	network, passphrase       string
	suspended                 bool
	version                   string
	peerPort, adminPort       int
	public                    *peers.Address
	adminEndpoint             string
	seedSecretName            string
	seedSecretKey             string
	homeDomain                string
	publicKey                 string
	// quality is spec.validator.quality, "" when unset.
	quality stellarcfg.Quality
	// labels are the composite's own labels, for the peer card.
	labels       map[string]string
	quorumSet    string
	quorum       quorumSpec
	history      historySpec
	resources    corev1.ResourceRequirements
	storageSize  resource.Quantity
	storageClass string
	// settings are the network's node settings; the directory's spec.nodes
	// are applied once the directory is found.
	settings nodeSettings
	// providerConfig is the claim's spec.providerConfigRef, nil when unset.
	providerConfig *providerConfigRef

	// From the directory.
	peers     []peers.Peer
	preferred bool
	// listed: the directory lists the node, so the other validators'
	// PeerSyncs connect to it too.
	listed bool
}

// stableHost is the pod's DNS name through the headless Service; it outlives
// pod IPs, and core re-resolves it every 600 s.
func (n *node) stableHost() string {
	return n.claimName + "-0." + n.serviceHost()
}

// key is the node's key in the directory, as peers.Peer.Key gives it.
func (n *node) key() string { return n.claimNamespace + "/" + n.claimName }

// fanout is the peers the node's PeerSync keeps connections to.
func (n *node) fanout() []peers.Peer {
	return rendezvous.Fanout(n.key(), n.peers, n.settings.maxPeers)
}

// initiates reports whether the node's PeerSync should connect to p itself.
// Between two listed nodes that chose each other only one side connects, the
// one whose (namespace, name) sorts first, as in the directory: when both
// connect in the same instant core logs an ERROR. External peers have no
// PeerSync, a node the directory does not list (a watcher, say) is known to
// no other PeerSync, and a peer whose fan-out leaves this node out will never
// connect to it, so for those the node always connects.
func (n *node) initiates(p peers.Peer) bool {
	if p.External || !n.listed || !rendezvous.Chooses(p.Key(), n.key(), n.peers, n.settings.maxPeers) {
		return true
	}
	return cmp.Or(cmp.Compare(n.claimNamespace, p.Namespace), cmp.Compare(n.claimName, p.Name)) < 0
}

func (n *node) serviceHost() string {
	return n.claimName + "." + n.claimNamespace + ".svc." + n.settings.clusterDomain
}

// readNode reads the composite. A node it cannot compose is fatal, naming the
// field: composing half a node would be worse.
func readNode(xr *structpb.Struct, in *v1alpha1.NodeInput) (*node, error) {
	n := &node{describe: peers.Describe(xr), settings: inputSettings(in)}
	bad := badField(func(field, format string, a ...any) error {
		return peers.Warning{Object: n.describe, Field: field, Message: errors.Errorf(format, a...).Error()}
	})
	spec := structpath.Object(xr, "spec")

	n.claimName, n.claimNamespace = peers.Identity(xr)
	if n.claimNamespace == "" {
		return nil, bad("metadata.labels", "has no %s: create the node through a StellarNode claim, whose namespace its resources go in", peers.LabelClaimNamespace)
	}
	if err := peers.ValidateHost(n.stableHost()); err != nil {
		return nil, bad("metadata.labels", "claim name %q cannot form a DNS name: %v", n.claimName, err)
	}

	if err := n.readKind(spec, bad); err != nil {
		return nil, err
	}
	if err := n.readAddresses(spec, bad); err != nil {
		return nil, err
	}
	if err := n.readValidator(spec, bad); err != nil {
		return nil, err
	}
	if ls := structpath.Object(xr, "metadata", "labels"); ls != nil {
		n.labels = make(map[string]string, len(ls.GetFields()))
		for k, v := range ls.GetFields() {
			n.labels[k] = v.GetStringValue()
		}
	}
	var err error
	if n.quorum, err = readQuorum(spec, bad); err != nil {
		return nil, err
	}
	if n.history, err = readHistory(spec, bad); err != nil {
		return nil, err
	}
	if n.history.publish && (n.history.port == n.peerPort || n.history.port == n.adminPort) {
		return nil, bad("spec.history.port", "%d is also the peer or admin port", n.history.port)
	}
	if structpath.Present(spec, "providerConfigRef") {
		ref, err := readProviderConfigRef(structpath.Object(spec, "providerConfigRef"))
		if err != nil {
			return nil, bad("spec.providerConfigRef", "%v", err)
		}
		n.providerConfig = &ref
	}
	if err := n.readResources(spec, in, bad); err != nil {
		return nil, err
	}
	return n, nil
}

// readKind reads what kind of node this is and what it runs: its type,
// network, image tag and whether it is suspended.
func (n *node) readKind(spec *structpb.Struct, bad badField) error {
	switch n.nodeType = structpath.StringOr(spec, "", "nodeType"); n.nodeType {
	case peers.NodeTypeValidator, peers.NodeTypeWatcher, peers.NodeTypeHorizon, peers.NodeTypeSorobanRPC:
	default:
		return bad("spec.nodeType", "%q is not one of Validator, Watcher, Horizon, SorobanRpc", n.nodeType)
	}
	n.network = structpath.StringOr(spec, "", "network")
	p, err := stellarcfg.Passphrase(n.network, structpath.StringOr(spec, "", "networkPassphrase"))
	if err != nil {
		return bad("spec.network", "%v", err)
	}
	n.passphrase = p
	n.suspended = structpath.Bool(spec, "suspended")

	n.version = structpath.StringOr(spec, "", "version")
	if n.version == "" || strings.ContainsAny(n.version, " /@:") {
		return bad("spec.version", "%q is not a stellar-core image tag", n.version)
	}
	return nil
}

// readResources reads spec.resources and spec.storage into the types the
// StatefulSet takes them in. A field those types do not have, or a quantity
// that does not parse, the API server would refuse with the whole
// StatefulSet; here it is refused naming the field.
func (n *node) readResources(spec *structpb.Struct, in *v1alpha1.NodeInput, bad badField) error {
	if r := structpath.Object(spec, "resources"); r != nil {
		b, err := protojson.Marshal(r)
		if err != nil {
			return errors.Wrap(err, "cannot encode spec.resources")
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(&n.resources); err != nil {
			return bad("spec.resources", "is not a container's resources: %v", err)
		}
	}
	size := structpath.StringOr(spec, "20Gi", "storage", "size")
	q, err := resource.ParseQuantity(size)
	if err != nil {
		return bad("spec.storage.size", "%q is not a quantity such as 50Gi", size)
	}
	n.storageSize = q
	n.storageClass = structpath.StringOr(spec, in.StorageClassName, "storage", "storageClassName")
	return nil
}

// readAddresses reads the node's ports, spec.publicAddress and
// spec.adminEndpoint.
func (n *node) readAddresses(spec *structpb.Struct, bad badField) error {
	var err error
	if n.peerPort, err = portField(spec, "peerPort", peers.DefaultPeerPort); err != nil {
		return bad("spec.peerPort", "%v", err)
	}
	if n.adminPort, err = portField(spec, "adminPort", peers.DefaultAdminPort); err != nil {
		return bad("spec.adminPort", "%v", err)
	}
	if n.peerPort == n.adminPort {
		return bad("spec.adminPort", "%d is also the peer port", n.adminPort)
	}
	if pa := structpath.StringOr(spec, "", "publicAddress"); pa != "" {
		a, err := peers.ParseAddress(pa)
		if err != nil {
			return bad("spec.publicAddress", "%v", err)
		}
		n.public = &a
	}
	if ae := structpath.StringOr(spec, "", "adminEndpoint"); ae != "" {
		u, err := url.Parse(ae)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("spec.adminEndpoint", "%q is not an http(s) URL", ae)
		}
		n.adminEndpoint = ae
	}
	return nil
}

// readValidator reads spec.validator.
func (n *node) readValidator(spec *structpb.Struct, bad badField) error {
	n.seedSecretName = structpath.StringOr(spec, "", "validator", "seedSecretRef", "name")
	n.seedSecretKey = structpath.StringOr(spec, "seed", "validator", "seedSecretRef", "key")
	n.homeDomain = structpath.StringOr(spec, "", "validator", "homeDomain")
	n.publicKey = structpath.StringOr(spec, "", "validator", "publicKey")
	if q := structpath.StringOr(spec, "", "validator", "quality"); q != "" {
		if !validQuality(q) {
			return bad("spec.validator.quality", "%q is not one of LOW, MEDIUM, HIGH, CRITICAL", q)
		}
		n.quality = stellarcfg.Quality(q)
	}
	if v := structpath.Field(spec, "validator", "quorumSet"); structpath.Present(spec, "validator", "quorumSet") {
		qs, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok {
			return bad("spec.validator.quorumSet", "must be stellar-core TOML ([[HOME_DOMAINS]] and [[VALIDATORS]] tables) as a string")
		}
		n.quorumSet = qs.StringValue
	}
	return nil
}

func portField(spec *structpb.Struct, field string, def int) (int, error) {
	if !structpath.Present(spec, field) {
		return def, nil
	}
	f := structpath.Field(spec, field).GetNumberValue()
	if f != float64(int(f)) || !peers.ValidPort(int(f)) {
		return 0, errors.Errorf("%v is not a valid port", structpath.Field(spec, field).AsInterface())
	}
	return int(f), nil
}

// captiveCore reports whether the node is a Horizon or SorobanRpc node, whose
// stellar-core is a captive core its own image runs.
func (n *node) captiveCore() bool {
	return n.nodeType == peers.NodeTypeHorizon || n.nodeType == peers.NodeTypeSorobanRPC
}
