package packages

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/test/required"
	"github.com/stellarpeers/stellar-peers/test/xpkgfile"
)

// dependency is one entry of a Configuration's spec.dependsOn, as the test compares it.
type dependency struct {
	Kind, Package, Version string
}

// TestPackagesContents reads each built .xpkg back the way Crossplane does and checks its objects, its
// dependencies and, for the Function and Provider, the embedded runtime image.
func TestPackagesContents(t *testing.T) {
	cases := map[string]struct {
		env         string
		wantObjects []string
		wantDeps    []dependency
		// wantRuntime is the entrypoint of the embedded runtime image; empty for a package without one.
		wantRuntime string
	}{
		"Function": {
			env: envFunctionXpkg,
			wantObjects: []string{
				"meta.pkg.crossplane.io/v1 Function function-stellar-peers",
				"apiextensions.k8s.io/v1 CustomResourceDefinition directoryinputs.fn.stellarpeers.io",
				"apiextensions.k8s.io/v1 CustomResourceDefinition nodeinputs.fn.stellarpeers.io",
			},
			wantRuntime: "/usr/local/bin/function-stellar-peers",
		},
		"Provider": {
			env: envProviderXpkg,
			wantObjects: []string{
				"meta.pkg.crossplane.io/v1 Provider provider-stellar-core",
				"apiextensions.k8s.io/v1 CustomResourceDefinition clusterproviderconfigs.core.stellarpeers.io",
				"apiextensions.k8s.io/v1 CustomResourceDefinition clusterproviderconfigusages.core.stellarpeers.io",
				"apiextensions.k8s.io/v1 CustomResourceDefinition peersyncs.core.stellarpeers.io",
				"apiextensions.k8s.io/v1 CustomResourceDefinition providerconfigs.core.stellarpeers.io",
				"apiextensions.k8s.io/v1 CustomResourceDefinition providerconfigusages.core.stellarpeers.io",
			},
			wantRuntime: "/usr/local/bin/provider-stellar-core",
		},
		"Configuration": {
			env: envConfigurationXpkg,
			wantObjects: []string{
				"meta.pkg.crossplane.io/v1 Configuration configuration-stellar-peers",
				"apiextensions.crossplane.io/v1 CompositeResourceDefinition xstellarnodes.stellarpeers.io",
				"apiextensions.crossplane.io/v1 Composition stellarpeerdirectories.stellarpeers.io",
				"apiextensions.crossplane.io/v1 Composition xstellarnodes.stellarpeers.io",
				"apiextensions.crossplane.io/v2 CompositeResourceDefinition stellarpeerdirectories.stellarpeers.io",
			},
			wantDeps: []dependency{
				{Kind: "Function", Package: "ghcr.io/stellarpeers/function-stellar-peers", Version: ">=v0.1.0"},
				{Kind: "Provider", Package: "ghcr.io/stellarpeers/provider-stellar-core", Version: ">=v0.1.0"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			file := required.Path(t, tc.env, "the built package, `make xpkg`")
			pkg, err := xpkgfile.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := pkg.Objects()
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			img := pkg.Image
			got := make([]string, 0, len(objs))
			for _, o := range objs {
				got = append(got, fmt.Sprintf("%s %s %s", o.GetAPIVersion(), o.GetKind(), o.GetName()))
			}
			t.Logf("%s holds:\n  %s", path.Base(file), join(got))
			// The meta object must come first (Crossplane's parser takes the first object as the package's meta).
			if diff := cmp.Diff(tc.wantObjects[0], got[0]); diff != "" {
				t.Errorf("first object: -want +got:\n%s", diff)
			}
			sort.Strings(got[1:])
			if diff := cmp.Diff(tc.wantObjects, got); diff != "" {
				t.Errorf("objects: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDeps, dependencies(objs[0])); diff != "" {
				t.Errorf("spec.dependsOn: -want +got:\n%s", diff)
			}
			checkRuntime(t, img, tc.wantRuntime)
		})
	}
}

func dependencies(meta *unstructured.Unstructured) []dependency {
	deps, _, _ := unstructured.NestedSlice(meta.Object, "spec", "dependsOn")
	var out []dependency
	for _, d := range deps {
		m, _ := d.(map[string]any)
		kind, _ := m["kind"].(string)
		pkg, _ := m["package"].(string)
		version, _ := m["version"].(string)
		out = append(out, dependency{Kind: kind, Package: pkg, Version: version})
	}
	return out
}

// checkRuntime checks the runtime image a Function or Provider package embeds: entrypoint, non-root user, OCI
// labels, and the binary itself in a layer; a Configuration has no runtime, so its only layer is the package.
func checkRuntime(t *testing.T, img v1.Image, entrypoint string) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("cannot read image config: %v", err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("cannot list layers: %v", err)
	}
	if entrypoint == "" {
		// Every layer must be one of the package's own (package.yaml, examples), labelled as such.
		var runtimeLayers int
		for _, l := range layers {
			d, err := l.Digest()
			if err != nil {
				t.Fatalf("cannot get layer digest: %v", err)
			}
			if !xpkgfile.IsPackageLayer(cfg, d) {
				runtimeLayers++
			}
		}
		if runtimeLayers != 0 || len(cfg.Config.Entrypoint) != 0 {
			t.Errorf("a Configuration embeds no runtime; got %d runtime layers and entrypoint %v", runtimeLayers, cfg.Config.Entrypoint)
		}
		return
	}
	type runtimeConfig struct {
		Entrypoint []string
		User       string
		Title      string
		HasSource  bool
	}
	got := runtimeConfig{
		Entrypoint: cfg.Config.Entrypoint,
		User:       cfg.Config.User,
		Title:      cfg.Config.Labels["org.opencontainers.image.title"],
		HasSource:  cfg.Config.Labels["org.opencontainers.image.source"] != "",
	}
	want := runtimeConfig{Entrypoint: []string{entrypoint}, User: "65532:65532", Title: path.Base(entrypoint), HasSource: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runtime image config: -want +got:\n%s", diff)
	}
	for _, l := range layers {
		if mode, ok := fileMode(t, l, entrypoint[1:]); ok {
			if mode&0o111 == 0 {
				t.Errorf("%s is not executable (mode %o)", entrypoint, mode)
			}
			return
		}
	}
	t.Errorf("no layer holds the runtime binary %s", entrypoint)
}

// fileMode finds name in a layer's tar and returns its mode.
func fileMode(t *testing.T, l v1.Layer, name string) (int64, bool) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatalf("cannot read layer: %v", err)
	}
	defer rc.Close() //nolint:errcheck // read only.
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			return 0, false
		}
		if h.Name == name && h.Typeflag == tar.TypeReg {
			return h.Mode, true
		}
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, v := range s {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(v)
	}
	return b.String()
}
