package peersync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

const (
	errTrackUsage     = "cannot track provider config usage"
	errNoConfigRef    = "no providerConfigRef"
	errGetPC          = "cannot get ProviderConfig"
	errGetCPC         = "cannot get ClusterProviderConfig"
	errAllowlist      = "cannot parse the provider config's allowedEndpoints"
	errEndpoint       = "invalid adminEndpoint"
	errEndpointDenied = "adminEndpoint refused by the provider config"
	errCredentials    = "cannot load credentials"
	errCA             = "cannot load the custom CA"
	errNewClient      = "cannot create the stellar-core client"
)

// connector builds an external client per reconcile from the PeerSync's
// provider config.
type connector struct {
	kube  client.Client
	usage resource.ModernTracker
	deps  Deps
}

// config is a resolved provider config with the namespace its secrets
// default to ("" for a ClusterProviderConfig).
type config struct {
	spec            v1alpha1.ProviderConfigSpec
	secretNamespace string
}

func (c *connector) Connect(ctx context.Context, cr *v1alpha1.PeerSync) (managed.TypedExternalClient[*v1alpha1.PeerSync], error) {
	// A PeerSync being deleted has nothing to undo: Observe reports it gone without a request. Its node's Service
	// may already be gone with the rest of the claim, and an endpoint that no longer resolves must not hold the
	// finalizer forever.
	if meta.WasDeleted(cr) {
		return &external{resolver: c.deps.Resolver, now: c.deps.Now}, nil
	}
	if err := c.usage.Track(ctx, cr); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	pc, err := c.providerConfig(ctx, cr)
	if err != nil {
		return nil, err
	}
	allow, err := netguard.NewAllowlist(pc.spec.AllowedEndpoints.CIDRs, pc.spec.AllowedEndpoints.HostSuffixes, cr.GetNamespace())
	if err != nil {
		return nil, errors.Wrap(err, errAllowlist)
	}
	endpoint, err := stellarcore.ParseEndpoint(cr.Spec.ForProvider.AdminEndpoint)
	if err != nil {
		return nil, errors.Wrap(err, errEndpoint)
	}
	// Refuse before any request: the dialer checks again at dial time.
	if _, err := allow.Check(ctx, c.deps.Resolver, endpoint.Hostname()); err != nil {
		return nil, errors.Wrap(err, errEndpointDenied)
	}

	opts := []stellarcore.Option{stellarcore.WithTimeout(timeoutOf(pc.spec))}
	auth, err := c.credentials(ctx, pc)
	if err != nil {
		return nil, errors.Wrap(err, errCredentials)
	}
	if auth != nil {
		opts = append(opts, auth)
	}
	tlsConfig, err := c.tlsConfig(ctx, pc)
	if err != nil {
		return nil, errors.Wrap(err, errCA)
	}
	dial := netguard.Guard(allow, c.deps.Resolver, c.deps.Dial)
	opts = append(opts, stellarcore.WithHTTPClient(stellarcore.NewHTTPClient(dial, tlsConfig)))
	core, err := stellarcore.New(endpoint.String(), opts...)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	return &external{core: core, resolver: c.deps.Resolver, now: c.deps.Now}, nil
}

func (c *connector) providerConfig(ctx context.Context, cr *v1alpha1.PeerSync) (config, error) {
	ref := cr.GetProviderConfigReference()
	if ref == nil {
		return config{}, errors.New(errNoConfigRef)
	}
	switch ref.Kind {
	case v1alpha1.ProviderConfigGroupVersionKind.Kind:
		pc := &v1alpha1.ProviderConfig{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, pc); err != nil {
			return config{}, errors.Wrap(err, errGetPC)
		}
		return config{spec: pc.Spec, secretNamespace: pc.GetNamespace()}, nil
	case v1alpha1.ClusterProviderConfigGroupVersionKind.Kind:
		cpc := &v1alpha1.ClusterProviderConfig{}
		if err := c.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, cpc); err != nil {
			return config{}, errors.Wrap(err, errGetCPC)
		}
		return config{spec: cpc.Spec}, nil
	}
	return config{}, errors.Errorf("unsupported provider config kind %q", ref.Kind)
}

func timeoutOf(spec v1alpha1.ProviderConfigSpec) time.Duration {
	if spec.Timeout != nil && spec.Timeout.Duration > 0 {
		return spec.Timeout.Duration
	}
	return stellarcore.DefaultTimeout
}

// secretValue reads one key of a Secret. A namespaced ProviderConfig may only
// read Secrets in its own namespace. Errors never carry the value.
func (c *connector) secretValue(ctx context.Context, pc config, ref *v1alpha1.SecretKeySelector) ([]byte, error) {
	ns := ref.Namespace
	switch {
	case pc.secretNamespace != "" && ns == "":
		ns = pc.secretNamespace
	case pc.secretNamespace != "" && ns != pc.secretNamespace:
		return nil, errors.Errorf("secret %s/%s is outside the ProviderConfig's namespace", ns, ref.Name)
	case ns == "":
		return nil, errors.Errorf("secret %s needs a namespace in a ClusterProviderConfig", ref.Name)
	}
	s := &corev1.Secret{}
	if err := c.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, s); err != nil {
		return nil, errors.Wrapf(err, "cannot get secret %s/%s", ns, ref.Name)
	}
	v, ok := s.Data[ref.Key]
	if !ok || len(v) == 0 {
		return nil, errors.Errorf("secret %s/%s has no key %q", ns, ref.Name, ref.Key)
	}
	return v, nil
}

func (c *connector) credentials(ctx context.Context, pc config) (stellarcore.Option, error) {
	cd := pc.spec.Credentials
	if cd == nil || cd.Source == "" || cd.Source == xpv2.CredentialsSourceNone {
		return nil, nil
	}
	if cd.Source != xpv2.CredentialsSourceSecret {
		return nil, errors.Errorf("unsupported credentials source %q", cd.Source)
	}
	if cd.SecretRef == nil {
		return nil, errors.New("credentials source Secret needs a secretRef")
	}
	v, err := c.secretValue(ctx, pc, cd.SecretRef)
	if err != nil {
		return nil, err
	}
	secret := strings.TrimSpace(string(v))
	switch cd.Type {
	case v1alpha1.CredentialsTypeBasic:
		user, password, ok := strings.Cut(secret, ":")
		if !ok || user == "" {
			return nil, errors.New(`basic credentials must have the form "user:password"`)
		}
		return stellarcore.WithBasicAuth(user, password), nil
	case v1alpha1.CredentialsTypeBearer, "":
		return stellarcore.WithBearerToken(secret), nil
	}
	return nil, errors.Errorf("unsupported credentials type %q", cd.Type)
}

func (c *connector) tlsConfig(ctx context.Context, pc config) (*tls.Config, error) {
	if pc.spec.CASecretRef == nil {
		return nil, nil
	}
	pem, err := c.secretValue(ctx, pc, pc.spec.CASecretRef)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in the CA secret")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
