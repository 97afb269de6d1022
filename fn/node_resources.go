package main

import (
	"cmp"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// Paths inside the stellar-core pod.
const (
	configTemplateDir = "/etc/stellar-template"
	configDir         = "/etc/stellar"
	configFile        = configDir + "/stellar-core.cfg"
	dataDir           = "/data"
	configKey         = "stellar-core.cfg"
)

// The captive-core config of a Horizon or SorobanRpc node.
const (
	captiveSuffix = "-captive-core"
	captiveKey    = "captive-core.cfg"
)

// initScript assembles the config core runs with: the seed goes first, since
// TOML puts keys after the quorum set's [[tables]] into those tables, and it
// never lands in a ConfigMap. A fresh volume gets its database created and,
// for a node that publishes, its local archive (stellar-core new-hist, as in
// stellar-core's docs, Publishing History Archives).
func initScript(publish bool) string {
	s := `set -eu
{
  if [ -n "${NODE_SEED:-}" ]; then printf 'NODE_SEED = "%s"\n' "$NODE_SEED"; fi
  cat ` + configTemplateDir + `/` + configKey + `
} > ` + configFile + `
[ -e ` + dataDir + `/stellar.db ] || stellar-core new-db --conf ` + configFile + `
`
	if publish {
		s += `[ -e ` + archiveDir + `/.well-known/stellar-history.json ] || stellar-core new-hist ` + localArchive + ` --conf ` + configFile + `
`
	}
	return s
}

// composeNode composes the node's Service, StatefulSet, config, NetworkPolicy
// and PeerSync, all in the claim's namespace (the composite is cluster scoped,
// so every namespace is explicit) and named after the claim.
//
// Admin port: core's HTTP admin interface has no authentication and listens
// on 127.0.0.1 unless PUBLIC_HTTP_PORT=true. The provider must reach it from
// another pod, so by default we set PUBLIC_HTTP_PORT=true, and only ever
// together with a NetworkPolicy that admits the provider's pods alone to that
// port. With exposeAdminPort=false core stays on localhost, the Service
// leaves the admin port out, and the PeerSync needs spec.adminEndpoint (e.g.
// an authenticating proxy the user runs).
//
// What runs follows the checker (runPlan): a config core would refuse is
// never composed, and without an accepted config there is no StatefulSet and
// no PeerSync.
func composeNode(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput, n *node, p runPlan) error {
	k := newNodeKit(n)
	service, err := k.service()
	if err != nil {
		return errors.Wrapf(err, "cannot compose %s", resourceService)
	}
	networkPolicy, err := k.networkPolicy()
	if err != nil {
		return errors.Wrapf(err, "cannot compose %s", resourceNetworkPolicy)
	}
	resources := []composed{
		{resourceService, service, fnv1.Ready_READY_TRUE},
		{resourceNetworkPolicy, networkPolicy, fnv1.Ready_READY_TRUE},
	}
	if p.mode != runNone {
		config, err := composedOf(k.configMap(k.configName, configKey, p.config))
		if err != nil {
			return errors.Wrapf(err, "cannot compose %s", resourceCoreConfig)
		}
		sts, err := k.statefulSet(in, p)
		if err != nil {
			return errors.Wrapf(err, "cannot compose %s", resourceStatefulSet)
		}
		resources = append(resources,
			composed{resourceCoreConfig, config, fnv1.Ready_READY_TRUE},
			composed{resourceStatefulSet, sts, statefulSetReady(req, n)})
		// Nothing runs to connect without an accepted config.
		ps, err := k.peerSync(rsp, in)
		if err != nil {
			return errors.Wrapf(err, "cannot compose %s", resourcePeerSync)
		}
		if ps != nil {
			// Ready follows the PeerSync's own Ready condition: core's state, not a pod.
			resources = append(resources, composed{resourcePeerSync, ps, peerSyncReady(req)})
		}
	}
	for _, r := range resources {
		s, err := toStruct(r.obj)
		if err != nil {
			return errors.Wrapf(err, "cannot compose %s", r.name)
		}
		setDesired(rsp, r.name, s, r.ready)
	}
	return nil
}

// composed is one composed resource of the node step, with its readiness.
type composed struct {
	name  string
	obj   map[string]any
	ready fnv1.Ready
}

// nodeKit holds what the node's composed resources share: their names,
// labels and the pod selector.
type nodeKit struct {
	n          *node
	configName string
	selector   map[string]string
	labels     map[string]string
}

func newNodeKit(n *node) nodeKit {
	return nodeKit{
		n:          n,
		configName: n.claimName + "-stellar-core",
		selector: map[string]string{
			"app.kubernetes.io/name":     "stellar-core",
			"app.kubernetes.io/instance": n.claimName,
		},
		labels: map[string]string{
			"app.kubernetes.io/name":       "stellar-core",
			"app.kubernetes.io/instance":   n.claimName,
			"app.kubernetes.io/managed-by": "function-stellar-peers",
			"stellarpeers.io/node-type":    n.nodeType,
		},
	}
}

// objectMeta is the metadata of the node's resource called name: in the
// claim's namespace, with the node's labels.
func (k nodeKit) objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: k.n.claimNamespace, Labels: k.labels}
}

// service is headless: each pod gets a stable DNS name. Not-ready pods are
// published too, because a catching-up node needs its peers.
func (k nodeKit) service() (map[string]any, error) {
	n := k.n
	ports := []corev1.ServicePort{servicePort("peer", n.peerPort)}
	if n.settings.exposeAdminPort {
		ports = append(ports, servicePort("admin", n.adminPort))
	}
	if n.history.publish {
		ports = append(ports, servicePort("history", n.history.port))
	}
	return composedOf(&corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: k.objectMeta(n.claimName),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 k.selector,
			Ports:                    ports,
		},
	})
}

// networkPolicy admits the peers and the archive from anywhere, validators
// outside the cluster included, and the admin port only from the provider's
// pods in the provider's namespace (both selectors in one peer, so both must
// match), and only when it listens at all.
func (k nodeKit) networkPolicy() (map[string]any, error) {
	n := k.n
	public := []networkingv1.NetworkPolicyPort{policyPort(n.peerPort)}
	if n.history.publish {
		public = append(public, policyPort(n.history.port))
	}
	ingress := []networkingv1.NetworkPolicyIngressRule{{Ports: public}}
	if n.settings.exposeAdminPort {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{
			From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": n.settings.providerNamespace}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{providerPodLabel: n.settings.providerName}},
			}},
			Ports: []networkingv1.NetworkPolicyPort{policyPort(n.adminPort)},
		})
	}
	return composedOf(&networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: k.objectMeta(k.configName),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: k.selector},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     ingress,
		},
	})
}

// peerSync is the node's PeerSync, or nil when there is nothing to connect: a
// suspended node runs no core, and a node whose admin port is hidden needs an
// explicit adminEndpoint.
func (k nodeKit) peerSync(rsp *fnv1.RunFunctionResponse, in *v1alpha1.NodeInput) (map[string]any, error) {
	n := k.n
	endpoint := n.adminEndpoint
	switch {
	case n.suspended:
		return nil, nil
	case endpoint == "" && !n.settings.exposeAdminPort:
		warning(rsp, errors.Errorf("%s: spec.adminEndpoint: is required when the admin port is not exposed; no PeerSync composed", n.describe))
		return nil, nil
	case endpoint == "":
		endpoint = "http://" + n.serviceHost() + ":" + strconv.Itoa(n.adminPort)
	}
	// requireState and, unless the input sets it, maxConnectsPerReconcile
	// are left to the PeerSync CRD's defaults.
	params := forprovider.Parameters{AdminEndpoint: endpoint}
	for _, p := range n.fanout() {
		params.Peers = append(params.Peers, forprovider.DesiredPeer{Name: p.Key(), Address: p.StableAddress(), IP: p.IP, Initiate: ptr(n.initiates(p))})
	}
	if in.MaxConnectsPerReconcile != nil {
		params.MaxConnectsPerReconcile = *in.MaxConnectsPerReconcile
	}
	return composedOf(&peerSyncObject{
		TypeMeta:   metav1.TypeMeta{APIVersion: "core.stellarpeers.io/v1alpha1", Kind: "PeerSync"},
		ObjectMeta: k.objectMeta(n.claimName),
		Spec:       peerSyncSpec{ForProvider: params, ProviderConfigRef: n.settings.providerConfig},
	})
}

// peerSyncObject is a PeerSync as the node step composes it. The provider's
// v1alpha1.PeerSync would link client-go (through crossplane-runtime), which
// the function must not, so only spec.forProvider is the provider's own type.
type peerSyncObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              peerSyncSpec `json:"spec"`
}

type peerSyncSpec struct {
	ForProvider       forprovider.Parameters `json:"forProvider"`
	ProviderConfigRef providerConfigRef      `json:"providerConfigRef"`
}

// composeCaptiveCore composes the captive-core config of a Horizon or
// SorobanRpc node and nothing else: they run their own images (Horizon and
// stellar-rpc start stellar-core themselves, with a config file of their
// own), which this composition does not run.
func composeCaptiveCore(rsp *fnv1.RunFunctionResponse, n *node, p runPlan) error {
	if p.mode == runNone {
		return nil
	}
	s, err := composedStruct(newNodeKit(n).configMap(n.claimName+captiveSuffix, captiveKey, p.config))
	if err != nil {
		return errors.Wrapf(err, "cannot compose %s", resourceCaptiveConfig)
	}
	setDesired(rsp, resourceCaptiveConfig, s, fnv1.Ready_READY_TRUE)
	return nil
}

// configMap is a ConfigMap of the node holding one file, key.
func (k nodeKit) configMap(name, key, content string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: k.objectMeta(name),
		Data:       map[string]string{key: content},
	}
}

func replicas(n *node) int32 {
	if n.suspended {
		return 0
	}
	return 1
}

// Volumes of the stellar-core pod.
const (
	volumeConfigTemplate = "config-template"
	volumeConfig         = "config"
	volumeData           = "data"
)

// statefulSetZeroFields are what an appsv1.StatefulSet writes that this
// composition never sets: Kubernetes' types hold them as structs tagged
// omitempty, which encoding/json ignores for structs, so they come out as {}.
// Dropped, the desired StatefulSet claims only the fields this function sets.
var statefulSetZeroFields = []string{
	"spec.updateStrategy",
	"spec.template.spec.initContainers[].resources",
	"spec.template.spec.containers[].resources",
	"spec.volumeClaimTemplates[].status",
}

// statefulSet runs the node's core, as rendered or, for runKept, as observed.
func (k nodeKit) statefulSet(in *v1alpha1.NodeInput, p runPlan) (map[string]any, error) {
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: k.objectMeta(k.n.claimName),
	}
	if p.mode != runKept {
		sts.Spec = k.statefulSetSpec(in)
		return composedOf(sts, statefulSetZeroFields...)
	}
	m, err := composedOf(sts)
	if err != nil {
		return nil, err
	}
	// The observed spec is applied again as it is, not decoded into an
	// appsv1.StatefulSetSpec: that round trip would respell its quantities,
	// drop any field newer than the k8s.io/api this function is built with,
	// and add the empty fields statefulSetZeroFields prunes, which pruning
	// would then take from the observed spec too where it holds them.
	spec := p.statefulSetSpec.AsMap()
	spec["replicas"] = replicas(k.n)
	m["spec"] = spec
	return m, nil
}

// statefulSetSpec runs core, with its config assembled by an init container,
// and, for a node that publishes, the archive's sidecar.
func (k nodeKit) statefulSetSpec(in *v1alpha1.NodeInput) appsv1.StatefulSetSpec {
	n := k.n
	containers := []corev1.Container{k.coreContainer()}
	if n.history.publish {
		containers = append(containers, historySidecar(in, n))
	}
	return appsv1.StatefulSetSpec{
		Replicas:    ptr(replicas(n)),
		ServiceName: n.claimName,
		Selector:    &metav1.LabelSelector{MatchLabels: k.selector},
		Template: corev1.PodTemplateSpec{
			// No config hash annotation: a peer change must not restart a
			// validator. New peers are connected live by the PeerSync.
			ObjectMeta: metav1.ObjectMeta{Labels: k.selector},
			Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{k.configContainer()},
				Containers:     containers,
				Volumes: []corev1.Volume{
					{Name: volumeConfigTemplate, VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: k.configName}},
					}},
					{Name: volumeConfig, VolumeSource: corev1.VolumeSource{
						EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory},
					}},
				},
			},
		},
		VolumeClaimTemplates: []corev1.PersistentVolumeClaim{dataClaim(n)},
	}
}

func (k nodeKit) coreImage() string { return k.n.settings.image + ":" + k.n.version }

// coreMounts are where core reads its config and keeps its data.
func coreMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{{Name: volumeConfig, MountPath: configDir}, {Name: volumeData, MountPath: dataDir}}
}

// configContainer runs initScript, with the seed from its Secret.
func (k nodeKit) configContainer() corev1.Container {
	n := k.n
	c := corev1.Container{
		Name:         "config",
		Image:        k.coreImage(),
		Command:      []string{"/bin/sh", "-c", initScript(n.history.publish)},
		VolumeMounts: append([]corev1.VolumeMount{{Name: volumeConfigTemplate, MountPath: configTemplateDir, ReadOnly: true}}, coreMounts()...),
	}
	if n.seedSecretName != "" {
		c.Env = []corev1.EnvVar{{Name: "NODE_SEED", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: n.seedSecretName}, Key: n.seedSecretKey,
		}}}}
	}
	return c
}

func (k nodeKit) coreContainer() corev1.Container {
	n := k.n
	ports := []corev1.ContainerPort{containerPort("peer", n.peerPort)}
	if n.settings.exposeAdminPort {
		ports = append(ports, containerPort("admin", n.adminPort))
	}
	return corev1.Container{
		Name:    "stellar-core",
		Image:   k.coreImage(),
		Command: []string{"stellar-core"},
		Args:    []string{"run", "--conf", configFile},
		Ports:   ports,
		// Core's health is its own state, reported through the PeerSync;
		// the pod is ready once core accepts peer connections.
		ReadinessProbe:  tcpProbe(n.peerPort),
		Resources:       n.resources,
		VolumeMounts:    coreMounts(),
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false)},
	}
}

// historySidecar serves the node's local archive read-only over HTTP, as
// stellar-core's docs serve one with nginx: a static file server is all an
// archive needs. It runs as nobody, on a read-only root.
func historySidecar(in *v1alpha1.NodeInput, n *node) corev1.Container {
	return corev1.Container{
		Name:           "history",
		Image:          cmp.Or(in.HistoryImage, v1alpha1.DefaultHistoryImage),
		Command:        []string{"httpd", "-f", "-p", strconv.Itoa(n.history.port), "-h", archiveDir},
		Ports:          []corev1.ContainerPort{containerPort("history", n.history.port)},
		ReadinessProbe: tcpProbe(n.history.port),
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi"),
		}},
		VolumeMounts: []corev1.VolumeMount{{Name: volumeData, MountPath: dataDir, ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr(int64(65534)), RunAsNonRoot: ptr(true), ReadOnlyRootFilesystem: ptr(true), AllowPrivilegeEscalation: ptr(false),
		},
	}
}

// dataClaim is the node's volume for its database, buckets and local archive.
func dataClaim(n *node) corev1.PersistentVolumeClaim {
	c := corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: volumeData},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: n.storageSize}},
		},
	}
	if n.storageClass != "" {
		c.Spec.StorageClassName = &n.storageClass
	}
	return c
}

// statefulSetReady is true once the observed StatefulSet has all replicas ready.
func statefulSetReady(req *fnv1.RunFunctionRequest, n *node) fnv1.Ready {
	if n.suspended {
		return fnv1.Ready_READY_TRUE
	}
	sts := req.GetObserved().GetResources()[resourceStatefulSet].GetResource()
	if structpath.Field(sts, "status", "readyReplicas").GetNumberValue() >= 1 {
		return fnv1.Ready_READY_TRUE
	}
	return fnv1.Ready_READY_FALSE
}

func servicePort(name string, p int) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: int32(p), TargetPort: intstr.FromInt32(int32(p)), Protocol: corev1.ProtocolTCP} //nolint:gosec // Ports are checked to be 1-65535.
}

func containerPort(name string, p int) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, ContainerPort: int32(p), Protocol: corev1.ProtocolTCP} //nolint:gosec // Ports are checked to be 1-65535.
}

func tcpProbe(p int) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(p))}}, //nolint:gosec // Ports are checked to be 1-65535.
		PeriodSeconds: 10,
	}
}

func policyPort(p int) networkingv1.NetworkPolicyPort {
	protocol, port := corev1.ProtocolTCP, intstr.FromInt32(int32(p)) //nolint:gosec // Ports are checked to be 1-65535.
	return networkingv1.NetworkPolicyPort{Protocol: &protocol, Port: &port}
}
