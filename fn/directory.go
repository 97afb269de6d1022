package main

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
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

const (
	// requirementPeerCards is the required resources key of the peer cards.
	requirementPeerCards = "peer-cards"
	// requirementNodes is the required resources key of foreign node objects
	// (such as the original operator's StellarNodes), which publish no card.
	requirementNodes = "nodes"
	// resourcePeersConfigMap is the directory's composed ConfigMap.
	resourcePeersConfigMap = "peers-configmap"
	// conditionShrinkHeld is True while the shrink guard holds a write.
	// Ready is Crossplane's own: it follows the ConfigMap's readiness.
	conditionShrinkHeld = "ShrinkHeld"
)

// directorySettings is the directory's spec, resolved against the input and
// the defaults.
type directorySettings struct {
	network string
	// passphrase is a Custom directory's spec.networkPassphrase, "" else.
	passphrase       string
	networkLabel     string
	anyCustomNetwork bool
	configMap        v1alpha1.ConfigMapRef
	external         []peers.Peer
	preferred        bool
	maxShrinkPercent int
	allowShrink      bool
	selector         labels.Selector
	matchLabels      map[string]string
	clusterDomain    string
}

// nodesSelector is the requirement of foreign node objects, or nil when the
// input names none. It depends on the input only, so it is identical on every
// call and Crossplane's requirement loop settles.
func nodesSelector(in *v1alpha1.DirectoryInput) (*fnv1.ResourceSelector, error) {
	if in.Nodes == nil {
		return nil, nil
	}
	if in.Nodes.APIVersion == "" || in.Nodes.Kind == "" {
		return nil, errors.Errorf("input nodes: needs both apiVersion and kind, got %q and %q", in.Nodes.APIVersion, in.Nodes.Kind)
	}
	sel := &fnv1.ResourceSelector{ApiVersion: in.Nodes.APIVersion, Kind: in.Nodes.Kind, Namespace: in.Nodes.Namespace}
	if len(in.Nodes.MatchLabels) > 0 {
		sel.Match = &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: in.Nodes.MatchLabels}}
	}
	return sel, nil
}

// cardsSelector is the peer card requirement: ConfigMaps of the contract and
// the directory's network in every namespace, narrowed by the nodeSelector's
// matchLabels (its expressions are applied to what comes back). Crossplane
// 2.4 watches it by these labels, so only a card of this directory's network
// wakes the directory (dependency.InMemoryTracker.Dependants in the pinned
// crossplane module).
func cardsSelector(s directorySettings) *fnv1.ResourceSelector {
	labels := map[string]string{}
	for k, v := range s.matchLabels {
		labels[k] = v
	}
	labels[peers.LabelPeerCard] = peers.PeerCardVersion
	if !s.anyCustomNetwork {
		labels[peers.LabelNetwork] = s.networkLabel
	}
	return &fnv1.ResourceSelector{
		ApiVersion: "v1",
		Kind:       "ConfigMap",
		Match:      &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: labels}},
	}
}

func runDirectory(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.DirectoryInput) {
	s, cards, nodes, ok := directoryRequirements(req, rsp, in)
	if !ok {
		return
	}
	d := peers.Discover(objects(cards), objects(nodes), s.external, peers.Options{
		Network: s.network, Passphrase: s.passphrase, NetworkLabel: s.networkLabel, AnyCustomNetwork: s.anyCustomNetwork,
		Selector: s.selector, ClusterDomain: s.clusterDomain,
	})
	ws := make([]error, len(d.Warnings))
	for i := range d.Warnings {
		ws[i] = d.Warnings[i]
	}
	warnAll(rsp, ws)
	if len(d.Pending) > 0 {
		normalf(rsp, "%d validators have not published an address yet: %s", len(d.Pending), listNames(d.Pending))
	}
	publishDirectory(req, rsp, s, d.Peers)
}

// directoryRequirements resolves the directory's settings and asks for the
// peer cards and node objects. It returns them once Crossplane has resolved
// them; ok is false when the step ends here (a Fatal result, or waiting).
func directoryRequirements(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.DirectoryInput) (s directorySettings, cards, nodes []*fnv1.Resource, ok bool) {
	nodeSel, err := nodesSelector(in)
	if err != nil {
		fatal(rsp, err)
		return s, nil, nil, false
	}
	if nodeSel != nil {
		require(rsp, requirementNodes, nodeSel)
	}

	xr := req.GetObserved().GetComposite().GetResource()
	s, warnings, err := resolveDirectory(xr, in)
	if err != nil {
		fatal(rsp, err)
		return s, nil, nil, false
	}
	warnAll(rsp, warnings)
	require(rsp, requirementPeerCards, cardsSelector(s))

	cards, resolved := requiredItems(req, requirementPeerCards)
	if nodeSel != nil && resolved {
		nodes, resolved = requiredItems(req, requirementNodes)
	}
	if !resolved {
		// Writing now would publish an empty directory and delete the peers
		// everyone reads; Crossplane calls again with the requirements.
		normalf(rsp, "Waiting for Crossplane to resolve the required peer cards and node objects")
		return s, nil, nil, false
	}
	return s, cards, nodes, true
}

// publishDirectory composes the peers ConfigMap of the discovered peers (or,
// while the shrink guard holds, of what it holds now) and the directory's
// status.
func publishDirectory(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, s directorySettings, found []peers.Peer) {
	data := peers.Render(found, s.preferred)
	pub := data.Publish() // the plain keys, or a large directory's bulk compressed
	if size := pub.Size(); size > peers.MaxConfigMapBytes {
		fatal(rsp, errors.Errorf("cannot publish %d peers: ConfigMap %s/%s would hold %d bytes even compressed, more than the %d a ConfigMap may hold; nothing was written",
			len(found), s.configMap.Namespace, s.configMap.Name, size, peers.MaxConfigMapBytes))
		return
	}
	pub, held, err := guardShrink(req, s, pub, len(found))
	if err != nil {
		fatal(rsp, err)
		return
	}
	cm, err := configMap(s.configMap, pub)
	if err != nil {
		fatal(rsp, errors.Wrapf(err, "cannot compose %s", resourcePeersConfigMap))
		return
	}
	setDesired(rsp, resourcePeersConfigMap, cm, fnv1.Ready_READY_TRUE)
	// Where the peers are and whether they are preferred (the spec or the
	// Composition's input says): what every node reads, and as slow-changing.
	setDesiredStatus(rsp, map[string]*structpb.Value{
		"configMap": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"namespace": structpb.NewStringValue(s.configMap.Namespace),
			"name":      structpb.NewStringValue(s.configMap.Name),
		}}),
		"preferredPeers": structpb.NewBoolValue(s.preferred),
	})
	if held != "" {
		warning(rsp, errors.New(held))
		setCondition(rsp, conditionShrinkHeld, fnv1.Status_STATUS_CONDITION_TRUE, "ShrinkGuard", &held)
		return
	}
	setCondition(rsp, conditionShrinkHeld, fnv1.Status_STATUS_CONDITION_FALSE, "WithinLimit", nil)
}

// guardShrink is what the directory publishes, pub or, while the shrink
// guard holds the write of count peers, what the observed ConfigMap holds,
// so that nothing changes; and the guard's reason, "" unless it holds.
func guardShrink(req *fnv1.RunFunctionRequest, s directorySettings, pub peers.Published, count int) (peers.Published, string, error) {
	prev, ok := observedPeers(req)
	if !ok {
		return pub, "", nil
	}
	held := peers.CheckShrink(prev.count, count, s.maxShrinkPercent, s.allowShrink)
	if held == "" {
		return pub, "", nil
	}
	kept, err := prev.published()
	return kept, held, err
}

// configMap builds the directory ConfigMap. It is namespaced and the
// directory is cluster scoped, so the namespace is explicit.
func configMap(ref v1alpha1.ConfigMapRef, pub peers.Published) (*structpb.Struct, error) {
	return composedStruct(&corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      ref.Name,
			Namespace: ref.Namespace,
			Labels:    map[string]string{"app.kubernetes.io/managed-by": "function-stellar-peers"},
		},
		Data:       pub.Data,
		BinaryData: pub.BinaryData,
	})
}

// observed is what the directory published before.
type observed struct {
	count            int
	peersJSON        string
	data, binaryData *structpb.Struct
}

// published is what the observed ConfigMap holds, in the form the directory
// publishes. Its binaryData is base64 as the API server writes it, so it is
// written again unchanged.
func (o observed) published() (peers.Published, error) {
	p := peers.Published{Data: make(map[string]string, len(o.data.GetFields()))}
	for k, v := range o.data.GetFields() {
		p.Data[k] = v.GetStringValue()
	}
	binary := o.binaryData.GetFields()
	if len(binary) == 0 {
		return p, nil
	}
	p.BinaryData = make(map[string][]byte, len(binary))
	for _, k := range slices.Sorted(maps.Keys(binary)) {
		b, err := base64.StdEncoding.DecodeString(binary[k].GetStringValue())
		if err != nil {
			return peers.Published{}, errors.Wrapf(err, "cannot keep binaryData %s of the observed ConfigMap", k)
		}
		p.BinaryData[k] = b
	}
	return p, nil
}

// observedPeers returns the peer count and data of the ConfigMap this
// directory composed before, if there is one.
func observedPeers(req *fnv1.RunFunctionRequest) (observed, bool) {
	cm := req.GetObserved().GetResources()[resourcePeersConfigMap].GetResource()
	data := structpath.Object(cm, "data")
	if data == nil {
		return observed{}, false
	}
	o := observed{data: data, binaryData: structpath.Object(cm, "binaryData")}
	o.peersJSON, _ = directoryValue(cm, peers.KeyPeersJSON)
	if n, err := strconv.Atoi(structpath.StringOr(data, "", peers.KeyPeerCount)); err == nil && n >= 0 {
		o.count = n
		return o, true
	}
	// No usable peer_count: count peers.json instead.
	var entries []json.RawMessage
	if err := json.Unmarshal([]byte(o.peersJSON), &entries); err == nil {
		o.count = len(entries)
		return o, true
	}
	return observed{}, false
}

// directoryValue reads key of a directory ConfigMap: from data, or
// decompressed from binaryData "<key>.gz" when the directory is large.
func directoryValue(cm *structpb.Struct, key string) (string, error) {
	if v, ok := structpath.String(cm, "data", key); ok {
		return v, nil
	}
	enc, ok := structpath.String(cm, "binaryData", key+".gz")
	if !ok {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", errors.Wrapf(err, "cannot decode binaryData %s.gz", key)
	}
	v, err := peers.Gunzip(b)
	return v, errors.Wrapf(err, "cannot read binaryData %s.gz", key)
}

// externalPeers are the directory's spec.externalPeers, or the input's when
// the spec has none; a bad one is left out with a warning.
func externalPeers(obj string, spec *structpb.Struct, in *v1alpha1.DirectoryInput) ([]peers.Peer, []error) {
	var external []peers.Peer
	var warnings []error
	if list := structpath.Field(spec, "externalPeers").GetListValue(); len(list.GetValues()) > 0 {
		for i, v := range list.GetValues() {
			e := v.GetStructValue()
			name := structpath.StringOr(e, "", "name")
			port := int(structpath.Field(e, "port").GetNumberValue())
			p, err := peers.NewExternal(name, structpath.StringOr(e, "", "host"), structpath.StringOr(e, "", "ip"), port)
			if err != nil {
				warnings = append(warnings, errors.Errorf("%s: spec.externalPeers[%d] %q: %v", obj, i, name, err))
				continue
			}
			external = append(external, p)
		}
		return external, warnings
	}
	for i, e := range in.ExternalPeers {
		p, err := peers.NewExternal(e.Name, e.Host, e.IP, int(e.Port))
		if err != nil {
			warnings = append(warnings, errors.Errorf("input externalPeers[%d] %q: %v", i, e.Name, err))
			continue
		}
		external = append(external, p)
	}
	return external, warnings
}

// resolveDirectory reads the directory's spec; the spec wins over the input,
// the input over the defaults. Bad optional settings are warned about and
// replaced by their default; a missing network is fatal.
func resolveDirectory(xr *structpb.Struct, in *v1alpha1.DirectoryInput) (directorySettings, []error, error) {
	obj := peers.Describe(xr)
	spec := structpath.Object(xr, "spec")
	var warnings []error
	s := directorySettings{
		network:          structpath.StringOr(spec, "", "network"),
		configMap:        v1alpha1.ConfigMapRef{Namespace: v1alpha1.DefaultConfigMapNamespace, Name: v1alpha1.DefaultConfigMapName},
		maxShrinkPercent: v1alpha1.DefaultMaxShrinkPercent,
		allowShrink:      structpath.Bool(spec, "allowShrink"),
		clusterDomain:    cmp.Or(in.ClusterDomain, peers.DefaultClusterDomain),
	}
	if s.network == "" {
		return s, nil, errors.Errorf("%s: spec.network: is required", obj)
	}
	warnings = append(warnings, s.readPassphrase(obj, spec)...)

	// The nodes' cluster domain names the foreign node kinds' stable hosts
	// too.
	if v, err := clusterDomainOf(structpath.Object(spec, "nodes")); err != nil {
		warnings = append(warnings, errors.Errorf("%s: spec.nodes.clusterDomain: %v; using %s", obj, err, s.clusterDomain))
	} else if v != "" {
		s.clusterDomain = v
	}

	if in.ConfigMap != nil {
		s.configMap.Namespace = cmp.Or(in.ConfigMap.Namespace, s.configMap.Namespace)
		s.configMap.Name = cmp.Or(in.ConfigMap.Name, s.configMap.Name)
	}
	s.configMap.Namespace = structpath.StringOr(spec, s.configMap.Namespace, "configMap", "namespace")
	s.configMap.Name = structpath.StringOr(spec, s.configMap.Name, "configMap", "name")

	if in.Preferred != nil {
		s.preferred = *in.Preferred
	}
	if structpath.Present(spec, "preferredPeers") {
		s.preferred = structpath.Bool(spec, "preferredPeers")
	}

	warnings = append(warnings, s.readMaxShrink(obj, spec, in)...)

	var bad []error
	s.external, bad = externalPeers(obj, spec, in)
	warnings = append(warnings, bad...)

	if sel := structpath.Object(spec, "nodeSelector"); sel != nil {
		if err := s.readNodeSelector(sel); err != nil {
			// Publishing every node of the network instead of the narrower set
			// the user asked for would be wrong; stop.
			return s, warnings, errors.Errorf("%s: spec.nodeSelector: %v", obj, err)
		}
	}
	return s, warnings, nil
}

// readPassphrase reads the network's label and, for a Custom network, its
// passphrase.
func (s *directorySettings) readPassphrase(obj string, spec *structpb.Struct) []error {
	s.networkLabel = peers.NetworkLabel(s.network, structpath.StringOr(spec, "", "networkPassphrase"))
	if !strings.EqualFold(s.network, "Custom") {
		return nil
	}
	s.passphrase = structpath.StringOr(spec, "", "networkPassphrase")
	if structpath.Present(spec, "networkPassphrase") {
		return nil
	}
	// Without the passphrase the directory cannot tell custom networks
	// apart: it lists the validators of every one of them, as before.
	s.anyCustomNetwork = true
	return []error{errors.Errorf("%s: spec.networkPassphrase: is not set, so the validators of every Custom network are listed; set it to list only this network's", obj)}
}

// readMaxShrink reads maxShrinkPercent: the spec's over the input's over the
// default, a bad value replaced by the next.
func (s *directorySettings) readMaxShrink(obj string, spec *structpb.Struct, in *v1alpha1.DirectoryInput) []error {
	var warnings []error
	if in.MaxShrinkPercent != nil {
		s.maxShrinkPercent = int(*in.MaxShrinkPercent)
	}
	if v := structpath.Field(spec, "maxShrinkPercent"); structpath.Present(spec, "maxShrinkPercent") {
		if f := v.GetNumberValue(); f == float64(int(f)) && f >= 0 && f <= 100 {
			s.maxShrinkPercent = int(f)
		} else {
			warnings = append(warnings, errors.Errorf("%s: spec.maxShrinkPercent: must be a whole number from 0 to 100; using %d", obj, s.maxShrinkPercent))
		}
	}
	if s.maxShrinkPercent < 0 || s.maxShrinkPercent > 100 {
		warnings = append(warnings, errors.Errorf("input maxShrinkPercent: %d is not from 0 to 100; using %d", s.maxShrinkPercent, v1alpha1.DefaultMaxShrinkPercent))
		s.maxShrinkPercent = v1alpha1.DefaultMaxShrinkPercent
	}
	return warnings
}

// readNodeSelector reads spec.nodeSelector, and its matchLabels apart: the
// peer cards are selected by them.
func (s *directorySettings) readNodeSelector(sel *structpb.Struct) error {
	ls, err := labelSelector(sel)
	if err != nil {
		return err
	}
	s.selector = ls
	for k, v := range structpath.Object(sel, "matchLabels").GetFields() {
		if s.matchLabels == nil {
			s.matchLabels = map[string]string{}
		}
		s.matchLabels[k] = v.GetStringValue()
	}
	return nil
}

func labelSelector(s *structpb.Struct) (labels.Selector, error) {
	j, err := protojson.Marshal(s)
	if err != nil {
		return nil, err
	}
	ls := &metav1.LabelSelector{}
	if err := json.Unmarshal(j, ls); err != nil {
		return nil, fmt.Errorf("cannot parse label selector: %w", err)
	}
	return metav1.LabelSelectorAsSelector(ls)
}
