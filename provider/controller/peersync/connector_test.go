package peersync

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
)

// TestConnectRefusesEndpoints checks that refused endpoints fail before any
// request. The connector dials through reportingDial, so a refused address
// that slipped through would fail the test rather than leave the host.
func TestConnectRefusesEndpoints(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.7:0"})
	port := n.Addr()[strings.LastIndex(n.Addr(), ":")+1:]
	allowAll := v1alpha1.ProviderConfigSpec{AllowedEndpoints: v1alpha1.EndpointAllowlist{CIDRs: []string{"0.0.0.0/0", "::/0"}}}
	nsToken := v1alpha1.ProviderConfigSpec{AllowedEndpoints: v1alpha1.EndpointAllowlist{HostSuffixes: []string{".{namespace}.svc.cluster.local"}}}

	cases := map[string]struct {
		spec     v1alpha1.ProviderConfigSpec
		endpoint string
	}{
		"EmptyAllowlistRefusesLoopback": {spec: v1alpha1.ProviderConfigSpec{}, endpoint: n.URL()},
		"IPOutsideCIDRs":                {spec: loopbackConfig(), endpoint: "http://10.0.0.5:11626"},
		"MetadataAddress":               {spec: allowAll, endpoint: "http://169.254.169.254/latest/meta-data"},
		"LinkLocal":                     {spec: allowAll, endpoint: "http://169.254.1.1:11626"},
		"IPv6LinkLocal":                 {spec: allowAll, endpoint: "http://[fe80::1]:11626"},
		"AWSMetadataIPv6":               {spec: allowAll, endpoint: "http://[fd00:ec2::254]/latest/meta-data"},
		"AlibabaMetadata":               {spec: allowAll, endpoint: "http://100.100.100.200/latest/meta-data"},
		"NAT64Metadata":                 {spec: allowAll, endpoint: "http://[64:ff9b::a9fe:a9fe]/latest/meta-data"},
		"MappedMetadata":                {spec: allowAll, endpoint: "http://[::ffff:169.254.169.254]/"},
		"GCPMetadataName":               {spec: allowAll, endpoint: "http://metadata.google.internal/computeMetadata/v1/"},
		"LocalhostName":                 {spec: loopbackConfig(), endpoint: "http://localhost:" + port},
		"KubernetesAPIService":          {spec: loopbackConfig(), endpoint: "https://kubernetes.default.svc.cluster.local"},
		"OtherNamespaceLookalike":       {spec: nsToken, endpoint: "http://core-0.other.svc.cluster.local.evil.test:" + port},
		"NameResolvingToMetadata":       {spec: loopbackConfig(), endpoint: "http://metadata.stellar.svc.cluster.local:80"},
		"NameWithoutAllowedSuffix":      {spec: loopbackConfig(), endpoint: "http://core-0.other.svc.cluster.local:" + port},
		"OtherNamespaceService":         {spec: nsToken, endpoint: "http://core-0.other.svc.cluster.local:" + port},
		"UserInfo":                      {spec: loopbackConfig(), endpoint: "http://user:pw@" + n.Addr()},
		"NotHTTP":                       {spec: loopbackConfig(), endpoint: "ftp://" + n.Addr()},
		"Query":                         {spec: loopbackConfig(), endpoint: n.URL() + "/?x=1"},
		"DecimalLoopback":               {spec: loopbackConfig(), endpoint: "http://2130706433:" + port},
		"BadCIDRInConfig":               {spec: v1alpha1.ProviderConfigSpec{AllowedEndpoints: v1alpha1.EndpointAllowlist{CIDRs: []string{"nonsense"}}}, endpoint: n.URL()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newConnector(t, newClock(), providerConfig(tc.spec))
			cr := peerSync(tc.endpoint, threePeers...)
			if _, err := c.Connect(context.Background(), cr); err == nil {
				t.Fatal("Connect accepted the endpoint")
			}
			if got := n.Requests(); len(got) != 0 {
				t.Errorf("the node saw requests: %v", got)
			}
		})
	}
}

func TestConnectAllowsOwnNamespaceService(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.1:0"})
	port := n.Addr()[strings.LastIndex(n.Addr(), ":")+1:]
	spec := v1alpha1.ProviderConfigSpec{AllowedEndpoints: v1alpha1.EndpointAllowlist{HostSuffixes: []string{".{namespace}.svc.cluster.local"}}}
	c := newConnector(t, newClock(), clusterProviderConfig("default", spec))
	cr := peerSync("http://core-0.stellar.svc.cluster.local:"+port, threePeers...)
	cr.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: v1alpha1.ClusterProviderConfigGroupVersionKind.Kind, Name: "default"}
	r := reconcile(t, c, cr)
	if r.connectErr != nil || r.observeErr != nil {
		t.Fatalf("reconcile: %+v", r)
	}
	if diff := cmp.Diff([]string{"/info", "/peers", "/connect", "/connect", "/connect"}, paths(n)); diff != "" {
		t.Errorf("requests: -want +got:\n%s", diff)
	}
}

// TestConnectDeletedWithEndpointGone: a PeerSync being deleted after its node's Service went away (the claim's
// composed resources are deleted together) connects without resolving its endpoint and is observed gone, so its
// finalizer is removed; before, Connect failed on the name that no longer resolves and the PeerSync stayed forever.
func TestConnectDeletedWithEndpointGone(t *testing.T) {
	spec := v1alpha1.ProviderConfigSpec{AllowedEndpoints: v1alpha1.EndpointAllowlist{
		CIDRs: []string{"10.244.0.0/16"}, HostSuffixes: []string{".{namespace}.svc.cluster.local"},
	}}
	c := newConnector(t, newClock(), providerConfig(spec))
	cr := peerSync("http://gone.stellar.svc.cluster.local:11626", threePeers...)
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	ext, err := c.Connect(context.Background(), cr)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	obs, err := ext.Observe(context.Background(), cr)
	if err != nil || obs.ResourceExists {
		t.Errorf("Observe = %+v, %v; want gone, no error", obs, err)
	}
}

// TestRedirectIsNotFollowed: an endpoint that redirects elsewhere gets an
// error, and the redirect target is never dialed.
func TestRedirectIsNotFollowed(t *testing.T) {
	for _, target := range []string{
		"http://169.254.169.254/latest/meta-data", "http://10.0.0.5:11626/info", "http://127.0.0.1:1/info",
		"http://metadata.google.internal/computeMetadata/v1/", "http://[fd00:ec2::254]/latest/meta-data",
		"http://core-0.other.svc.cluster.local:11626/connect?peer=10.0.0.9&port=11625",
	} {
		t.Run(target, func(t *testing.T) {
			s := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
			t.Cleanup(s.Close)
			c := newConnector(t, newClock(), providerConfig(loopbackConfig()))
			cr := peerSync(s.URL, threePeers...)
			r := reconcile(t, c, cr)
			if r.connectErr != nil {
				t.Fatal(r.connectErr)
			}
			if r.observeErr == nil || !strings.Contains(r.observeErr.Error(), "302") {
				t.Errorf("Observe error = %v, want an HTTP 302 error", r.observeErr)
			}
		})
	}
}

func TestConnectProviderConfigs(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.8:0"})
	cases := map[string]struct {
		objs    []client.Object
		ref     *xpv2.ProviderConfigReference
		wantErr string
	}{
		"Namespaced": {objs: []client.Object{providerConfig(loopbackConfig())}, ref: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "pc"}},
		"Cluster":    {objs: []client.Object{clusterProviderConfig("default", loopbackConfig())}, ref: &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}},
		"NamespacedMissing": {
			ref: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "pc"}, wantErr: errGetPC,
		},
		"NamespacedInOtherNamespaceIsNotSeen": {
			objs: []client.Object{func() client.Object { pc := providerConfig(loopbackConfig()); pc.Namespace = "other"; return pc }()},
			ref:  &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "pc"}, wantErr: errGetPC,
		},
		"ClusterMissing": {ref: &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}, wantErr: errGetCPC},
		"UnknownKind":    {ref: &xpv2.ProviderConfigReference{Kind: "Other", Name: "x"}, wantErr: "unsupported provider config kind"},
		"NoRef":          {wantErr: errTrackUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newConnector(t, newClock(), tc.objs...)
			cr := peerSync(n.URL())
			cr.Spec.ProviderConfigReference = tc.ref
			_, err := c.Connect(context.Background(), cr)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Connect error = %v, want one containing %q", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			// Usage is tracked as a ProviderConfigUsage in the PeerSync's
			// namespace, labelled with the config's kind and name.
			pcu := &v1alpha1.ProviderConfigUsage{}
			if err := c.kube.Get(context.Background(), types.NamespacedName{Namespace: testNamespace, Name: string(cr.UID)}, pcu); err != nil {
				t.Fatalf("cannot get the usage: %v", err)
			}
			want := map[string]string{xpv2.LabelKeyProviderKind: tc.ref.Kind, xpv2.LabelKeyProviderName: tc.ref.Name}
			if diff := cmp.Diff(want, pcu.Labels); diff != "" {
				t.Errorf("usage labels: -want +got:\n%s", diff)
			}
		})
	}
}

// TestCredentials: credentials reach the node and appear nowhere else: not
// in errors, status, conditions.
func TestCredentials(t *testing.T) {
	const password = "pa55-w0rd-SECRET"
	const token = "t0ken-SECRET"
	basic := func(ns string) v1alpha1.ProviderConfigSpec {
		s := loopbackConfig()
		s.Credentials = &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceSecret, Type: v1alpha1.CredentialsTypeBasic,
			SecretRef: &v1alpha1.SecretKeySelector{Namespace: ns, Name: "core-auth", Key: "credentials"}}
		return s
	}
	bearer := loopbackConfig()
	bearer.Credentials = &v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceSecret, Type: v1alpha1.CredentialsTypeBearer,
		SecretRef: &v1alpha1.SecretKeySelector{Name: "core-auth", Key: "token"}}

	cases := map[string]struct {
		objs      []client.Object
		fault     bool
		wantAuth  string
		wantError string
	}{
		"Basic": {
			objs:     []client.Object{providerConfig(basic("")), secret(testNamespace, "core-auth", "credentials", "core:"+password+"\n")},
			wantAuth: "Basic Y29yZTpwYTU1LXcwcmQtU0VDUkVU",
		},
		"Bearer": {
			objs:     []client.Object{providerConfig(bearer), secret(testNamespace, "core-auth", "token", token)},
			wantAuth: "Bearer " + token,
		},
		"BearerWithFailingNode": {
			objs:      []client.Object{providerConfig(bearer), secret(testNamespace, "core-auth", "token", token)},
			fault:     true,
			wantAuth:  "Bearer " + token,
			wantError: "HTTP 503",
		},
		"BasicWithoutColon": {
			objs:      []client.Object{providerConfig(basic("")), secret(testNamespace, "core-auth", "credentials", password)},
			wantError: "user:password",
		},
		"SecretInOtherNamespace": {
			objs:      []client.Object{providerConfig(basic("kube-system")), secret("kube-system", "core-auth", "credentials", "core:"+password)},
			wantError: "outside the ProviderConfig's namespace",
		},
		"MissingKey": {
			objs:      []client.Object{providerConfig(basic("")), secret(testNamespace, "core-auth", "other", "core:"+password)},
			wantError: "has no key",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := startNode(t, coresim.Options{Addr: "127.0.0.9:0"})
			if tc.fault {
				n.InjectFault(coresim.Fault{Kind: coresim.FaultStatus})
			}
			c := newConnector(t, newClock(), tc.objs...)
			cr := peerSync(n.URL(), threePeers...)
			r := reconcile(t, c, cr)
			var errs []string
			for _, err := range []error{r.connectErr, r.observeErr, r.updateErr} {
				if err != nil {
					errs = append(errs, err.Error())
				}
			}
			joined := strings.Join(errs, "\n")
			if tc.wantError == "" && joined != "" {
				t.Fatalf("errors: %s", joined)
			}
			if !strings.Contains(joined, tc.wantError) {
				t.Errorf("errors %q, want one containing %q", joined, tc.wantError)
			}
			for _, req := range n.Requests() {
				if req.Authorization != tc.wantAuth {
					t.Errorf("%s Authorization = %q, want %q", req.Path, req.Authorization, tc.wantAuth)
				}
			}
			status, err := json.Marshal(cr.Status)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{password, token, "Y29yZTpwYTU1"} {
				if strings.Contains(joined, leak) || strings.Contains(string(status), leak) || strings.Contains(fmt.Sprint(cr.Status.Conditions), leak) {
					t.Errorf("credential %q leaked into errors or status", leak)
				}
			}
		})
	}
}

func TestCustomCA(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/info":
			_, _ = w.Write([]byte(`{"info" : {"state" : "Synced!", "ledger" : {"num" : 7}}}`))
		case "/peers":
			_, _ = w.Write([]byte(`{"authenticated_peers" : {"inbound" : null, "outbound" : null}, "pending_peers" : {"inbound" : null, "outbound" : null}}`))
		}
	}))
	t.Cleanup(s.Close)
	caPEM := pemOf(s.Certificate().Raw)

	withCA := loopbackConfig()
	withCA.CASecretRef = &v1alpha1.SecretKeySelector{Name: "core-ca", Key: "ca.crt"}
	cases := map[string]struct {
		objs    []client.Object
		wantErr bool
	}{
		"TrustedThroughCustomCA": {objs: []client.Object{providerConfig(withCA), secret(testNamespace, "core-ca", "ca.crt", caPEM)}},
		"UntrustedWithoutCA":     {objs: []client.Object{providerConfig(loopbackConfig())}, wantErr: true},
		"BadPEM":                 {objs: []client.Object{providerConfig(withCA), secret(testNamespace, "core-ca", "ca.crt", "not pem")}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newConnector(t, newClock(), tc.objs...)
			cr := peerSync(s.URL)
			coreLedger.DeleteLabelValues(cr.Namespace, cr.Name)
			r := reconcile(t, c, cr)
			gotErr := r.connectErr != nil || r.observeErr != nil
			if gotErr != tc.wantErr {
				t.Fatalf("reconcile %+v, want error %v", r, tc.wantErr)
			}
			if got := testutil.ToFloat64(coreLedger.WithLabelValues(cr.Namespace, cr.Name)); !tc.wantErr && got != 7 {
				t.Errorf("stellar_peers_core_ledger = %v, want 7", got)
			}
		})
	}
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
