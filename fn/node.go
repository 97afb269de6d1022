package main

import (
	"cmp"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
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
	resourceCaptiveConfig = "captive-core-config"
	resourceNetworkPolicy = "network-policy"
	resourcePeerSync      = "peer-sync"
	resourcePeerCard      = "peer-card"
)

// conditionCoreConfig says whether stellar-core would start with the node's
// config, and if not, which claim fields to fix.
const conditionCoreConfig = "CoreConfig"

func runNode(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput) {
	xr := req.GetObserved().GetComposite().GetResource()
	n, err := readNode(xr, in)
	if err != nil {
		fatal(rsp, err)
		return
	}

	// Every requirement follows from the observed composite and the required
	// resources, so they are the same on every call once resolved.
	require(rsp, requirementDirectories, &fnv1.ResourceSelector{
		ApiVersion: cmp.Or(in.Directory.APIVersion, v1alpha1.DefaultDirectoryAPIVersion),
		Kind:       cmp.Or(in.Directory.Kind, v1alpha1.DefaultDirectoryKind),
	})
	dir := directoryOf(req, rsp, n)
	n.applyDirectorySettings(rsp, dir)
	directoryPeers(req, rsp, in, n, dir)
	members := directoryMembers(req, rsp, n, dir)

	// Every render is checked against stellar-core's load-time rules before
	// anything runs it.
	cc := buildCoreConfig(n, members)
	v := cc.render()
	if n.captiveCore() {
		p := planRun(req, resourceCaptiveConfig, captiveKey, cc, v)
		if err := composeCaptiveCore(rsp, n, p); err != nil {
			fatal(rsp, err)
			return
		}
		reportConfig(rsp, n, v, p)
		setDesiredStatus(rsp, map[string]*structpb.Value{"core": coreState("NotRun")})
		return
	}
	p := planRun(req, resourceCoreConfig, configKey, cc, v)
	if err := composeNode(req, rsp, in, n, p); err != nil {
		fatal(rsp, err)
		return
	}
	addr := n.address(req)
	// A refused validator keeps its card: the other validators of its
	// organization may need it in their quorum before any of them starts.
	if err := composePeerCard(rsp, n, addr); err != nil {
		fatal(rsp, err)
		return
	}
	reportConfig(rsp, n, v, p)
	setDesiredStatus(rsp, nodeStatus(req, n, addr, p))
	if p.mode == runNone {
		// What is composed is ready; the node is not.
		rsp.Desired.Composite.Ready = fnv1.Ready_READY_FALSE
	}
}

// composePeerCard composes the node's peer card when the node is a peer of
// its network's directory: a validator, not suspended, with an address. Left
// out of the desired resources otherwise, so Crossplane deletes a card that
// stops being one. Its content is the node's peer facts only, so Crossplane's
// apply changes it, and wakes the directories, only when those change.
func composePeerCard(rsp *fnv1.RunFunctionResponse, n *node, addr peers.Peer) error {
	if n.nodeType != peers.NodeTypeValidator || n.suspended || (addr.Host == "" && addr.IP == "") {
		return nil
	}
	card := peers.CardOf(addr, n.publicKey, n.homeDomain)
	if n.homeDomain != "" {
		card.Quality = string(n.ownQuality())
	}
	card.History = n.historyURL()
	s, err := composedStruct(&corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      n.claimName + peers.PeerCardSuffix,
			Namespace: n.claimNamespace,
			Labels:    peers.CardLabels(n.labels, peers.NetworkLabel(n.network, n.passphrase)),
		},
		Data: map[string]string{peers.KeyPeerCard: card.JSON()},
	})
	if err != nil {
		return errors.Wrapf(err, "cannot compose %s", resourcePeerCard)
	}
	setDesired(rsp, resourcePeerCard, s, fnv1.Ready_READY_TRUE)
	return nil
}

// directoryOf finds the directory of the node's network, or nil; a result
// says why there is none.
func directoryOf(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, n *node) *structpb.Struct {
	dirs, resolved := requiredItems(req, requirementDirectories)
	if !resolved {
		normalf(rsp, "Waiting for Crossplane to resolve the peer directories; composing the node without peers")
		return nil
	}
	matching := directoriesOf(dirs, n)
	if len(matching) == 0 {
		normalf(rsp, "No peer directory for network %s yet; composing the node without peers", n.network)
		return nil
	}
	slices.SortFunc(matching, func(a, b *structpb.Struct) int {
		return cmp.Compare(structpath.StringOr(a, "", "metadata", "name"), structpath.StringOr(b, "", "metadata", "name"))
	})
	dir := matching[0]
	if len(matching) > 1 {
		warning(rsp, errors.Errorf("%d peer directories serve network %s; using %s", len(matching), n.network, peers.Describe(dir)))
	}
	return dir
}

// applyDirectorySettings puts the directory's spec.nodes over the input's
// settings, then the claim's own providerConfigRef over those. Until the
// directory exists the node is composed with the input's settings, and
// follows the directory's when it appears or changes: Crossplane watches
// required resources.
func (n *node) applyDirectorySettings(rsp *fnv1.RunFunctionResponse, dir *structpb.Struct) {
	if dir != nil {
		var warnings []error
		n.settings, warnings = n.settings.withDirectory(dir)
		warnAll(rsp, warnings)
	}
	if n.providerConfig != nil {
		n.settings.providerConfig = *n.providerConfig
	}
}

// directoryPeers requires the directory's ConfigMap. It sets the node's peers
// from it, without the node itself, whether they are preferred, and whether
// the directory lists the node (then the other nodes' PeerSyncs know it too).
// Until both are there the node has no peers, and a result says so.
func directoryPeers(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput, n *node, dir *structpb.Struct) {
	if dir == nil {
		return
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
		return
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
		return
	}
	warnAll(rsp, bad)

	// The directory's status says whether its peers are preferred, from its
	// spec or its Composition's input; its spec alone until it has written
	// its status.
	preferred := structpath.Bool(dir, "spec", "preferredPeers") || structpath.Bool(dir, "status", "preferredPeers")

	others := peers.Without(all, n.claimNamespace, n.claimName)
	// A validator the directory will list as soon as it reads the node's card
	// counts as listed: its peers learn of it within a second or two, and
	// if it also connected to them meanwhile, both sides would call /connect
	// for the same pair during a bulk apply.
	n.preferred, n.listed = preferred, len(others) < len(all) || n.publishedTo(dir)
	self := n.stableHost()
	n.peers = others[:0]
	for _, p := range others {
		if p.Host != self { // the node itself, listed under another name
			n.peers = append(n.peers, p)
		}
	}
}

// directoriesOf are the directories of the node's network. Two Custom
// networks are told apart by passphrase: a Custom directory that names one
// serves only that network; one that names none serves every Custom network,
// and is used only when no directory names the node's.
func directoriesOf(dirs []*fnv1.Resource, n *node) []*structpb.Struct {
	var matching, anyCustom []*structpb.Struct
	for _, d := range dirs {
		obj := d.GetResource()
		if !strings.EqualFold(structpath.StringOr(obj, "", "spec", "network"), n.network) {
			continue
		}
		if !strings.EqualFold(n.network, "Custom") {
			matching = append(matching, obj)
			continue
		}
		switch p := structpath.StringOr(obj, "", "spec", "networkPassphrase"); p {
		case n.passphrase:
			matching = append(matching, obj)
		case "":
			anyCustom = append(anyCustom, obj)
		}
	}
	if len(matching) == 0 {
		return anyCustom
	}
	return matching
}

// publishedTo reports whether the node's peer card is one dir lists: a
// validator, not suspended, whose labels the directory's nodeSelector matches.
func (n *node) publishedTo(dir *structpb.Struct) bool {
	if n.nodeType != peers.NodeTypeValidator || n.suspended {
		return false
	}
	sel := structpath.Object(dir, "spec", "nodeSelector")
	if sel == nil {
		return true
	}
	ls, err := labelSelector(sel)
	return err == nil && ls.Matches(labels.Set(n.labels))
}

// directoryConfigMap is where the directory publishes: its spec, then its
// status (which the directory step writes), then the input, then the default.
func directoryConfigMap(dir *structpb.Struct, in *v1alpha1.NodeInput) v1alpha1.ConfigMapRef {
	ref := v1alpha1.ConfigMapRef{Namespace: v1alpha1.DefaultConfigMapNamespace, Name: v1alpha1.DefaultConfigMapName}
	if in.ConfigMap != nil {
		ref.Namespace = cmp.Or(in.ConfigMap.Namespace, ref.Namespace)
		ref.Name = cmp.Or(in.ConfigMap.Name, ref.Name)
	}
	for _, from := range []string{"status", "spec"} {
		ref.Namespace = structpath.StringOr(dir, ref.Namespace, from, "configMap", "namespace")
		ref.Name = structpath.StringOr(dir, ref.Name, from, "configMap", "name")
	}
	return ref
}

// address is where other validators dial the node, as a peer of the
// directory: the stable host, an IP only from a Service address or a public
// IP, and spec.publicAddress over both.
func (n *node) address(req *fnv1.RunFunctionRequest) peers.Peer {
	p := peers.Peer{Name: n.claimName, Namespace: n.claimNamespace, NodeType: n.nodeType, Host: n.stableHost(), Port: n.peerPort}
	svc := req.GetObserved().GetResources()[resourceService].GetResource()
	if v := structpath.StringOr(svc, "", "spec", "clusterIP"); v != "None" {
		p.IP = v
	}
	if ingress := structpath.Field(svc, "status", "loadBalancer", "ingress").GetListValue().GetValues(); len(ingress) > 0 {
		p.IP = structpath.StringOr(ingress[0].GetStructValue(), p.IP, "ip")
	}
	if n.public != nil {
		p.IP = n.public.IP
		if n.public.Host != "" {
			p.Host = n.public.Host
		}
		if n.public.Port != 0 {
			p.Port = n.public.Port
		}
	}
	return p
}

// nodeStatus is the composite's slow-changing status: where the node can be
// dialled, and core's state as the PeerSync last observed it. No ledger
// numbers: the composite is written on every change.
func nodeStatus(req *fnv1.RunFunctionRequest, n *node, addr peers.Peer, p runPlan) map[string]*structpb.Value {
	observed := req.GetObserved().GetResources()
	peer := map[string]*structpb.Value{
		"host": structpb.NewStringValue(addr.Host),
		"ip":   structpb.NewStringValue(addr.IP),
		"port": structpb.NewNumberValue(float64(addr.Port)),
	}

	// Only core's state, never a peer count: a count would change on every
	// node each time any validator joins. Counts live on the PeerSync's status.
	state := "Unknown"
	switch {
	case n.suspended:
		state = "Suspended"
	case p.mode == runNone:
		state = "ConfigRefused"
	default:
		if ps := observed[resourcePeerSync].GetResource(); ps != nil {
			state = structpath.StringOr(structpath.Object(ps, "status", "atProvider"), state, "state")
		}
	}
	return map[string]*structpb.Value{
		"peer": structpb.NewStructValue(&structpb.Struct{Fields: peer}),
		"core": coreState(state),
	}
}

func coreState(state string) *structpb.Value {
	return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"state": structpb.NewStringValue(state),
	}})
}
