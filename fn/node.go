package main

import (
	"cmp"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
)

// Required resources keys of the node step.
const (
	requirementDirectories        = "directories"
	requirementDirectoryConfigMap = "directory-configmap"
)

// Composed resource names of the node step.
const (
	resourceService       = "service"
	resourceStatefulSet   = "statefulset"
	resourceCoreConfig    = "core-config"
	resourceNetworkPolicy = "network-policy"
	resourcePeerSync      = "peer-sync"
)

func runNode(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput) {
	xr := req.GetObserved().GetComposite().GetResource()
	n, err := readNode(xr, in)
	if err != nil {
		fatal(rsp, err)
		return
	}

	// Both requirements follow from the observed composite and the required
	// resources, so they are the same on every call once resolved.
	require(rsp, requirementDirectories, &fnv1.ResourceSelector{
		ApiVersion: or(in.Directory.APIVersion, v1alpha1.DefaultDirectoryAPIVersion),
		Kind:       or(in.Directory.Kind, v1alpha1.DefaultDirectoryKind),
	})
	n.peers, n.preferred, n.listed = directoryPeers(req, rsp, in, n)

	if err := composeNode(req, rsp, in, n); err != nil {
		fatal(rsp, err)
		return
	}
	setDesiredStatus(rsp, nodeStatus(req, n))
}

// directoryPeers finds the directory of the node's network, requires its
// ConfigMap, and returns its peers without the node itself, whether they are
// preferred, and whether the directory lists the node (then the other nodes'
// PeerSyncs know it too). Until both are there it returns none and says so.
func directoryPeers(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput, n *node) ([]peers.Peer, bool, bool) {
	dirs, resolved := requiredItems(req, requirementDirectories)
	if !resolved {
		normalf(rsp, "Waiting for Crossplane to resolve the peer directories; composing the node without peers")
		return nil, false, false
	}
	var matching []*structpb.Struct
	for _, d := range dirs {
		if peers.StringOr(d.GetResource(), "", "spec", "network") == n.network {
			matching = append(matching, d.GetResource())
		}
	}
	if len(matching) == 0 {
		normalf(rsp, "No peer directory for network %s yet; composing the node without peers", n.network)
		return nil, false, false
	}
	slices.SortFunc(matching, func(a, b *structpb.Struct) int {
		return cmp.Compare(peers.StringOr(a, "", "metadata", "name"), peers.StringOr(b, "", "metadata", "name"))
	})
	dir := matching[0]
	if len(matching) > 1 {
		warning(rsp, errors.Errorf("%d peer directories serve network %s; using %s", len(matching), n.network, peers.Describe(dir)))
	}

	ref := directoryConfigMap(dir, in)
	require(rsp, requirementDirectoryConfigMap, &fnv1.ResourceSelector{
		ApiVersion: "v1",
		Kind:       "ConfigMap",
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: ref.Name},
		Namespace:  &ref.Namespace,
	})
	cms, resolved := requiredItems(req, requirementDirectoryConfigMap)
	if !resolved || len(cms) == 0 {
		normalf(rsp, "Waiting for the peers ConfigMap %s/%s of %s; composing the node without peers", ref.Namespace, ref.Name, peers.Describe(dir))
		return nil, false, false
	}
	cm := cms[0].GetResource()
	// A large directory publishes its peers compressed in binaryData.
	peersJSON, err := directoryValue(cm, peers.KeyPeersJSON)
	var all []peers.Peer
	var bad []error
	if err == nil {
		all, bad, err = peers.ParsePeersJSON(cmp.Or(peersJSON, "[]"))
	}
	if err != nil {
		warning(rsp, errors.Wrapf(err, "cannot read ConfigMap %s/%s; composing the node without peers", ref.Namespace, ref.Name))
		return nil, false, false
	}
	warnAll(rsp, bad)

	// The directory's spec says whether peers are preferred; a directory
	// whose input says so shows it in its known-peers.cfg.
	preferred := peers.Bool(dir, "spec", "preferredPeers") ||
		strings.Contains(knownPeers(cm), "PREFERRED_PEERS")

	others := peers.Without(all, n.claimNamespace, n.claimName)
	listed := len(others) < len(all)
	self := n.stableHost()
	out := others[:0]
	for _, p := range others {
		if p.Host != self { // the node itself, listed under another name
			out = append(out, p)
		}
	}
	return out, preferred, listed
}

// directoryConfigMap is where the directory publishes: its spec, then its
// status (which the directory step writes), then the input, then the default.
func directoryConfigMap(dir *structpb.Struct, in *v1alpha1.NodeInput) v1alpha1.ConfigMapRef {
	ref := v1alpha1.ConfigMapRef{Namespace: v1alpha1.DefaultConfigMapNamespace, Name: v1alpha1.DefaultConfigMapName}
	if in.ConfigMap != nil {
		ref.Namespace = or(in.ConfigMap.Namespace, ref.Namespace)
		ref.Name = or(in.ConfigMap.Name, ref.Name)
	}
	for _, from := range []string{"status", "spec"} {
		ref.Namespace = peers.StringOr(dir, ref.Namespace, from, "configMap", "namespace")
		ref.Name = peers.StringOr(dir, ref.Name, from, "configMap", "name")
	}
	return ref
}

// nodeStatus is the composite's slow-changing status: where the node can be
// dialled, and core's state as the PeerSync last observed it. No ledger
// numbers: every change here wakes every directory.
func nodeStatus(req *fnv1.RunFunctionRequest, n *node) map[string]*structpb.Value {
	observed := req.GetObserved().GetResources()

	// host is a name other nodes can dial; ip is known only from a Service
	// address or a public IP; spec.publicAddress wins over both.
	host, ip, port := n.stableHost(), "", n.peerPort
	svc := observed[resourceService].GetResource()
	if v := peers.StringOr(svc, "", "spec", "clusterIP"); v != "None" {
		ip = v
	}
	if ingress := peers.Field(svc, "status", "loadBalancer", "ingress").GetListValue().GetValues(); len(ingress) > 0 {
		ip = peers.StringOr(ingress[0].GetStructValue(), ip, "ip")
	}
	if n.public != nil {
		ip = n.public.IP
		if n.public.Host != "" {
			host = n.public.Host
		}
		if n.public.Port != 0 {
			port = n.public.Port
		}
	}
	peer := map[string]*structpb.Value{
		"host": structpb.NewStringValue(host),
		"ip":   structpb.NewStringValue(ip),
		"port": structpb.NewNumberValue(float64(port)),
	}

	// Only core's state, never a peer count: every change to an XStellarNode wakes every directory, and a count
	// would change on every node each time any validator joins (O(N) directory wake-ups per join, enough to trip
	// Crossplane's per-XR circuit breaker). Counts live on the PeerSync's status.
	state := "Unknown"
	if n.suspended {
		state = "Suspended"
	} else if ps := observed[resourcePeerSync].GetResource(); ps != nil {
		state = peers.StringOr(peers.Object(ps, "status", "atProvider"), state, "state")
	}
	return map[string]*structpb.Value{
		"peer": structpb.NewStructValue(&structpb.Struct{Fields: peer}),
		"core": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"state": structpb.NewStringValue(state),
		}}),
	}
}
