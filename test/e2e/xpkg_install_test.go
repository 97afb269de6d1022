//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
	"github.com/stellarpeers/stellar-peers/test/required"
	"github.com/stellarpeers/stellar-peers/test/xpkgfile"
)

// Where users get our packages, and the version `make xpkg` builds (PACKAGE_REGISTRY, PACKAGE_VERSION).
const (
	packageRegistry = "ghcr.io/stellarpeers"
	packageVersion  = "v0.1.0"
)

// installable is one of our packages, as a user installs it.
type installable struct {
	kind, name, env string
}

func (p installable) source() string { return packageRegistry + "/" + p.name }
func (p installable) ref() string    { return p.source() + ":" + packageVersion }

var (
	functionPkg      = installable{kind: "Function", name: "function-stellar-peers", env: "STELLAR_PEERS_FUNCTION_XPKG"}
	providerPkg      = installable{kind: "Provider", name: "provider-stellar-core", env: "STELLAR_PEERS_PROVIDER_XPKG"}
	configurationPkg = installable{kind: "Configuration", name: "configuration-stellar-peers", env: "STELLAR_PEERS_CONFIGURATION_XPKG"}
)

// TestXpkgInstallOffline installs the three packages `make xpkg` built into a real Crossplane v2.4.0 the way users
// do (Function, Provider, then Configuration objects with packagePullPolicy: Never), with no registry: the
// packages are put into Crossplane's package cache (--xpkg-cache-dir) first.
//
// Where Crossplane stops without a registry (crossplane-runtime v2.4.0, pkg/xpkg/client.go, CachedClient.Get):
// it turns a tag reference into a digest with a registry HEAD request (Fetcher.Head) BEFORE it looks at the cache
// or the pull policy, because the cache is keyed by digest. So `package: <source>:v0.1.0` with
// packagePullPolicy: Never still needs a registry; the first step below shows the condition it reports. A digest
// reference skips the HEAD, but the lock then records the version "sha256:..." and the Configuration's semver
// dependsOn (>=v0.1.0) cannot be checked against it (internal/controller/pkg/revision/dependency.go, Resolve).
// What works offline: keep the tag reference and add an ImageConfig that rewrites it to the digest (an air-gap
// pin). The rewritten reference is a digest, so there is no HEAD; the cache key uses the original source; the
// lock keeps the tag, so dependency resolution works.
//
// The pinned core binary is built from the module proxy without its version stamped in, so it cannot evaluate
// spec.crossplane.version constraints; the packages set ignoreCrossplaneConstraints for that reason only.
// Crossplane here runs with --package-runtime=External: no Deployment is created, and the revision of a Function or
// Provider waits for its runtime's webhook TLS Secret before it installs its CRDs
// (internal/controller/pkg/revision/establisher.go, APIEstablisher.getWebhookTLSCert: "waiting for package runtime
// controller to set revision's webhook TLS secret"). With the External runtime that is the job of whoever runs the
// runtime; the test does it (actAsExternalRuntime). Function and Provider then report their runtime health as
// unknown while their revisions are healthy; the Configuration has no runtime.
func TestXpkgInstallOffline(t *testing.T) {
	pkgs := map[installable]*xpkgfile.Package{}
	for _, p := range []installable{functionPkg, providerPkg, configurationPkg} {
		file := os.Getenv(p.env)
		if file == "" {
			required.Missing(t, p.env+" must name the built package; `make e2e` builds the packages and runs this test")
		}
		pkg, err := xpkgfile.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		pkgs[p] = pkg
	}

	// A safety net: any registry request Crossplane makes goes to a closed loopback port instead of the internet.
	// Go's proxy support never proxies loopback, so the apiserver is unaffected.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A control plane of its own: the shared one registers our function through a hand-made FunctionRevision and
	// installs the CRDs itself, which would collide with the package manager's own objects.
	start := time.Now()
	xp, err := harness.Start(ctx, harness.Options{Name: "xpkg-install", Crossplane: true})
	if err != nil {
		t.Fatalf("cannot start the control plane: %v", err)
	}
	defer xp.Stop()
	t.Logf("control plane up in %s; logs in %s", time.Since(start).Round(time.Millisecond), xp.RunDir)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+" (component logs in %s)", append(args, xp.RunDir)...)
	}

	cacheDir := filepath.Join(xp.RunDir, "xpkg-cache")
	for p, pkg := range pkgs {
		file, err := pkg.WriteCacheEntry(cacheDir, p.source())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cached %s@%s as %s", p.source(), pkg.Digest, filepath.Base(file))
	}

	// 1. A tag reference, no rewrite: Crossplane asks a registry for the digest and stops there.
	probe := packageObject(installable{kind: "Function", name: "tag-only-probe"}, functionPkg.source()+":v0.0.0-probe")
	if err := xp.Apply(ctx, probe); err != nil {
		fail("%v", err)
	}
	var stopMessage string
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		got, err := xp.Get(ctx, pkgGVK("Function"), "", "tag-only-probe")
		if err != nil {
			return false, "", err
		}
		s, _, m := harness.ConditionStatus(got, "Healthy")
		stopMessage = m
		return s == "False" && m != "", "no Healthy=False condition yet", nil
	})
	if err != nil {
		fail("the tag-only package never reported why it cannot install: %v", err)
	}
	t.Logf("tag reference without a registry stops with: %s", stopMessage)
	if !strings.Contains(stopMessage, "to digest") {
		t.Errorf("expected the tag-to-digest resolution to fail, got: %s", stopMessage)
	}
	if err := xp.Delete(ctx, pkgGVK("Function"), "", "tag-only-probe"); err != nil {
		fail("%v", err)
	}

	// 2. Pin each tag to its digest with an ImageConfig, then install as users do: Function and Provider first,
	// named as the Compositions expect, then the Configuration, whose dependencies they satisfy.
	for p, pkg := range pkgs {
		if err := xp.Apply(ctx, digestPin(p, pkg)); err != nil {
			fail("%v", err)
		}
	}
	installStart := time.Now()
	for _, p := range []installable{functionPkg, providerPkg} {
		if err := xp.Apply(ctx, packageObject(p, p.ref())); err != nil {
			fail("%v", err)
		}
	}
	for _, p := range []installable{functionPkg, providerPkg} {
		if err := actAsExternalRuntime(ctx, xp, p); err != nil {
			fail("%v", err)
		}
	}
	for _, p := range []installable{functionPkg, providerPkg} {
		if err := waitRevisionHealthy(ctx, xp, p); err != nil {
			fail("%v", err)
		}
	}
	t.Logf("Function and Provider revisions healthy %s after apply", time.Since(installStart).Round(time.Millisecond))
	configStart := time.Now()
	if err := xp.Apply(ctx, packageObject(configurationPkg, configurationPkg.ref())); err != nil {
		fail("%v", err)
	}
	if err := waitRevisionHealthy(ctx, xp, configurationPkg); err != nil {
		fail("%v", err)
	}
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		got, err := xp.Get(ctx, pkgGVK("Configuration"), "", configurationPkg.name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(got, "Healthy")
		return s == "True", fmt.Sprintf("Configuration Healthy=%s %s %s", s, r, m), nil
	})
	if err != nil {
		fail("%v", err)
	}
	t.Logf("Configuration healthy %s after apply", time.Since(configStart).Round(time.Millisecond))

	// 3. What the packages installed.
	if err := xp.WaitForXRDs(ctx, harness.XRDNodes, harness.XRDDirectories); err != nil {
		fail("%v", err)
	}
	for _, name := range []string{"xstellarnodes.stellarpeers.io", "stellarpeerdirectories.stellarpeers.io"} {
		if _, err := xp.Get(ctx, schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "Composition"}, "", name); err != nil {
			fail("Composition %s: %v", name, err)
		}
	}
	// The function's input CRDs are not among them: the xpkg spec lets a Function package carry CRDs for tooling
	// (render, validate) but says they are not installed, and Crossplane's FunctionRevision establisher filters
	// every object out (internal/controller/pkg/revision/reconciler.go, SetupFunctionRevision).
	for _, name := range []string{
		"peersyncs.core.stellarpeers.io", "providerconfigs.core.stellarpeers.io", "clusterproviderconfigs.core.stellarpeers.io",
		"providerconfigusages.core.stellarpeers.io", "clusterproviderconfigusages.core.stellarpeers.io",
		// The XRDs' own CRDs, composite and claim.
		"xstellarnodes.stellarpeers.io", "stellarnodes.stellarpeers.io", "stellarpeerdirectories.stellarpeers.io",
	} {
		err := harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
			got, err := xp.Get(ctx, crdGVK, "", name)
			if err != nil {
				return false, "", err
			}
			s, r, m := harness.ConditionStatus(got, "Established")
			return s == "True", fmt.Sprintf("Established=%s %s %s", s, r, m), nil
		})
		if err != nil {
			fail("CRD %s: %v", name, err)
		}
	}
	conf, err := xp.Get(ctx, pkgGVK("ConfigurationRevision"), "", currentRevision(ctx, t, xp, configurationPkg))
	if err != nil {
		fail("%v", err)
	}
	found, _, _ := unstructured.NestedInt64(conf.Object, "status", "foundDependencies")
	installed, _, _ := unstructured.NestedInt64(conf.Object, "status", "installedDependencies")
	invalid, _, _ := unstructured.NestedInt64(conf.Object, "status", "invalidDependencies")
	if found != 2 || installed != 2 || invalid != 0 {
		t.Errorf("Configuration dependencies: found %d, installed %d, invalid %d; want 2, 2, 0", found, installed, invalid)
	}
	for _, p := range []installable{functionPkg, providerPkg} {
		got, err := xp.Get(ctx, pkgGVK(p.kind), "", p.name)
		if err != nil {
			fail("%v", err)
		}
		s, _, m := harness.ConditionStatus(got, "Healthy")
		t.Logf("%s %s: Healthy=%s %s (runtime is External: nothing runs it here)", p.kind, p.name, s, m)
	}
	t.Logf("offline install done in %s", time.Since(installStart).Round(time.Millisecond))
}

// actAsExternalRuntime does for a Function or Provider revision what the Deployment runtime would: it gives the
// revision a webhook TLS Secret (status.tlsServerSecretName), which the revision needs before it installs its CRDs.
// The certificate is the harness's function server certificate; nothing serves webhooks here.
func actAsExternalRuntime(ctx context.Context, xp *harness.ControlPlane, p installable) error {
	var rev string
	err := harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(pkgGVK(p.kind + "RevisionList"))
		if err := xp.Client.List(ctx, list, client.MatchingLabels{"pkg.crossplane.io/package": p.name}); err != nil {
			return false, "", err
		}
		if len(list.Items) != 1 {
			return false, fmt.Sprintf("%s %s has %d revisions", p.kind, p.name, len(list.Items)), nil
		}
		rev = list.Items[0].GetName()
		return true, "", nil
	})
	if err != nil {
		return err
	}
	certDir := filepath.Join(xp.RunDir, "certs", "function-server")
	crt, err := os.ReadFile(filepath.Join(certDir, "tls.crt")) //nolint:gosec // the harness's own certificates.
	if err != nil {
		return fmt.Errorf("cannot read certificate: %w", err)
	}
	key, err := os.ReadFile(filepath.Join(certDir, "tls.key")) //nolint:gosec // the harness's own certificates.
	if err != nil {
		return fmt.Errorf("cannot read key: %w", err)
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": p.name + "-tls-server", "namespace": harness.CrossplaneNamespace},
		"type":       "kubernetes.io/tls",
		"stringData": map[string]any{"tls.crt": string(crt), "tls.key": string(key)},
	}}
	if err := xp.Apply(ctx, secret); err != nil {
		return err
	}
	r := &unstructured.Unstructured{}
	r.SetGroupVersionKind(pkgGVK(p.kind + "Revision"))
	r.SetName(rev)
	patch := []byte(fmt.Sprintf(`{"status":{"tlsServerSecretName":%q}}`, p.name+"-tls-server"))
	if err := xp.Client.Status().Patch(ctx, r, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		return fmt.Errorf("cannot set the webhook TLS Secret of %s: %w", rev, err)
	}
	return nil
}

func pkgGVK(kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: kind}
}

// packageObject is the Function, Provider or Configuration object a user applies.
func packageObject(p installable, ref string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       p.kind,
		"metadata":   map[string]any{"name": p.name},
		"spec": map[string]any{
			"package":                     ref,
			"packagePullPolicy":           "Never",
			"ignoreCrossplaneConstraints": true,
		},
	}}
}

// digestPin is the ImageConfig that rewrites the package's tag reference to its digest reference.
func digestPin(p installable, pkg *xpkgfile.Package) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1beta1",
		"kind":       "ImageConfig",
		"metadata":   map[string]any{"name": p.name + "-pin"},
		"spec": map[string]any{
			"matchImages":  []any{map[string]any{"prefix": p.ref()}},
			"rewriteImage": map[string]any{"prefix": p.source() + "@" + pkg.Digest.String()},
		},
	}}
}

// currentRevision names the package's current revision.
func currentRevision(ctx context.Context, t *testing.T, xp *harness.ControlPlane, p installable) string {
	t.Helper()
	got, err := xp.Get(ctx, pkgGVK(p.kind), "", p.name)
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := unstructured.NestedString(got.Object, "status", "currentRevision")
	return name
}

// waitRevisionHealthy waits until the package has exactly one revision and it reports RevisionHealthy.
func waitRevisionHealthy(ctx context.Context, xp *harness.ControlPlane, p installable) error {
	return harness.Eventually(ctx, 2*time.Minute, func(ctx context.Context) (bool, string, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(pkgGVK(p.kind + "RevisionList"))
		if err := xp.Client.List(ctx, list, client.MatchingLabels{"pkg.crossplane.io/package": p.name}); err != nil {
			return false, "", err
		}
		if len(list.Items) != 1 {
			pkg, _ := xp.Get(ctx, pkgGVK(p.kind), "", p.name)
			_, _, m := harness.ConditionStatus(pkg, "Healthy")
			return false, fmt.Sprintf("%s %s has %d revisions; package says: %s", p.kind, p.name, len(list.Items), m), nil
		}
		rev := list.Items[0]
		s, r, m := harness.ConditionStatus(&rev, "RevisionHealthy")
		return s == "True", fmt.Sprintf("%sRevision %s RevisionHealthy=%s %s %s", p.kind, rev.GetName(), s, r, m), nil
	})
}
