package peersync

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

const testNamespace = "stellar"

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reportingDial dials loopback only and fails the test on any other
// address, so even a bug cannot send a packet off the host.
func reportingDial(t *testing.T) netguard.DialContextFunc {
	t.Helper()
	return netguard.LoopbackOnly(nil, func(network, address string) {
		t.Errorf("attempted a non-loopback dial: %s %s", network, address)
	})
}

// testResolver never touches the system resolver.
var testResolver = netguard.StaticResolver{
	"core-0.stellar.svc.cluster.local":   {netip.MustParseAddr("127.0.0.1")},
	"metadata.stellar.svc.cluster.local": {netip.MustParseAddr("169.254.169.254")},
	"core-0.other.svc.cluster.local":     {netip.MustParseAddr("127.0.0.1")},
	"validator-1.stellar.test":           {netip.MustParseAddr("10.0.1.1")},
	"validator-2.stellar.test":           {netip.MustParseAddr("10.0.1.2"), netip.MustParseAddr("fd00::2")},
}

// loopbackConfig allows loopback IPs and the test suffix.
func loopbackConfig() v1alpha1.ProviderConfigSpec {
	return v1alpha1.ProviderConfigSpec{
		AllowedEndpoints: v1alpha1.EndpointAllowlist{CIDRs: []string{"127.0.0.0/8"}, HostSuffixes: []string{"stellar.svc.cluster.local"}},
		Timeout:          &metav1.Duration{Duration: 2 * time.Second},
	}
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// newConnector returns a connector over a fake API server holding objs.
func newConnector(t *testing.T, clk *clock, objs ...client.Object) *connector {
	t.Helper()
	kube := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).Build()
	return &connector{
		kube:  kube,
		usage: resource.NewProviderConfigUsageTracker(kube, &v1alpha1.ProviderConfigUsage{}),
		deps:  Deps{Dial: reportingDial(t), Resolver: testResolver, Now: clk.Now}.withDefaults(),
	}
}

// providerConfig is the namespaced ProviderConfig "pc" of the test namespace.
func providerConfig(spec v1alpha1.ProviderConfigSpec) *v1alpha1.ProviderConfig {
	return &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "pc"}, Spec: spec}
}

func clusterProviderConfig(name string, spec v1alpha1.ProviderConfigSpec) *v1alpha1.ClusterProviderConfig {
	return &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func secret(namespace, name, key, value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: map[string][]byte{key: []byte(value)}}
}

// peerSync returns a PeerSync for endpoint using the namespaced config "pc".
func peerSync(endpoint string, peers ...forprovider.DesiredPeer) *v1alpha1.PeerSync {
	cr := &v1alpha1.PeerSync{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: v1alpha1.PeerSyncGroupVersionKind.Kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "core-0", UID: "uid-core-0"},
	}
	cr.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: v1alpha1.ProviderConfigGroupVersionKind.Kind, Name: "pc"}
	cr.Spec.ForProvider = forprovider.Parameters{AdminEndpoint: endpoint, Peers: peers, RequireState: forprovider.DefaultRequireState, MaxConnectsPerReconcile: 10}
	return cr
}

func desired(name, address, ip string) forprovider.DesiredPeer {
	return forprovider.DesiredPeer{Name: name, Address: address, IP: ip}
}

// result is one reconcile as the managed reconciler would run it.
type result struct {
	observation managed.ExternalObservation
	connectErr  error
	observeErr  error
	updateErr   error
	updated     bool
}

// reconcile runs Connect, Observe and, when not up to date, Update.
func reconcile(t *testing.T, c *connector, cr *v1alpha1.PeerSync) result {
	t.Helper()
	ctx := context.Background()
	var r result
	ext, err := c.Connect(ctx, cr)
	if err != nil {
		r.connectErr = err
		return r
	}
	defer func() { _ = ext.Disconnect(ctx) }()
	r.observation, r.observeErr = ext.Observe(ctx, cr)
	if r.observeErr != nil || !r.observation.ResourceExists || r.observation.ResourceUpToDate {
		return r
	}
	r.updated = true
	_, r.updateErr = ext.Update(ctx, cr)
	return r
}

// startNodeWith starts a simulated node on addr and, when setup is set, runs
// it on the node: a table case's node.
func startNodeWith(t *testing.T, addr string, opts coresim.Options, setup func(*coresim.Node)) *coresim.Node {
	t.Helper()
	opts.Addr = addr
	n := startNode(t, opts)
	if setup != nil {
		setup(n)
	}
	return n
}

func startNode(t *testing.T, opts coresim.Options) *coresim.Node {
	t.Helper()
	n, err := coresim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// paths lists the request paths a node saw.
func paths(n *coresim.Node) []string {
	var out []string
	for _, r := range n.Requests() {
		out = append(out, r.Path)
	}
	return out
}

// connects lists the peer=...&port=... targets of /connect calls.
func connects(n *coresim.Node) []string {
	var out []string
	for _, r := range n.RequestsTo("/connect") {
		out = append(out, r.Query["peer"]+":"+r.Query["port"])
	}
	return out
}

func readyReason(cr *v1alpha1.PeerSync) string {
	c := cr.GetCondition(xpv2.TypeReady)
	return string(c.Status) + "/" + string(c.Reason)
}
