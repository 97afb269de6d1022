package packages

import (
	"archive/tar"
	"context"
	"encoding/binary"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stellarpeers/stellar-peers/test/required"
	"github.com/stellarpeers/stellar-peers/test/xpkgfile"
)

const (
	envFunctionXpkgs  = "STELLAR_PEERS_FUNCTION_XPKGS"
	envProviderXpkgs  = "STELLAR_PEERS_PROVIDER_XPKGS"
	envPackageVersion = "STELLAR_PEERS_PACKAGE_VERSION"
)

// ELF e_machine of the arches we publish.
var elfMachine = map[string]uint16{"amd64": 62, "arm64": 183}

// TestPublish runs `make publish` against a registry served in this test on loopback, with the per-arch packages
// `make xpkg-all` built (copied with their times, so make rebuilds only the Configuration for this registry), and
// reads back what a cluster would pull: the Function and Provider as indexes of a linux/amd64 and a linux/arm64
// package whose runtime binary is built for that arch, and the Configuration depending on this registry's packages.
func TestPublish(t *testing.T) {
	required.Path(t, envCrossplaneCLI, "the pinned crossplane CLI, `make tools`")
	fnFiles := requireList(t, envFunctionXpkgs)
	provFiles := requireList(t, envProviderXpkgs)
	version := os.Getenv(envPackageVersion)

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://") + "/test"

	// A private copy of the built packages and images: the Configuration rebuilt for this registry must not
	// replace the one the other tests read.
	out := t.TempDir()
	xpkgDir, imageDir := filepath.Join(out, "xpkg"), filepath.Join(out, "images")
	for _, f := range append(fnFiles, provFiles...) {
		copyKeepTime(t, f, filepath.Join(xpkgDir, filepath.Base(f)))
		img := filepath.Join(filepath.Dir(filepath.Dir(f)), "images", strings.TrimSuffix(filepath.Base(f), ".xpkg")+".tar")
		copyKeepTime(t, img, filepath.Join(imageDir, filepath.Base(img)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "publish", "REGISTRY="+reg, //nolint:gosec // our own Makefile.
		"XPKG_DIR="+xpkgDir, "IMAGE_DIR="+imageDir)
	cmd.Dir = repoPath()
	// A make that runs this test passes its jobserver in MAKEFLAGS; this make is a new one.
	cmd.Env = withoutMakeVars(os.Environ())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make publish: %v\n%s", err, b)
	} else {
		t.Logf("make publish:\n%s", b)
	}

	for _, pkg := range []string{"function-stellar-peers", "provider-stellar-core"} {
		t.Run(pkg, func(t *testing.T) {
			ref, err := name.ParseReference(reg + "/" + pkg + ":" + version)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(ref)
			if err != nil {
				t.Fatalf("%s is not an index: %v", ref, err)
			}
			m, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range m.Manifests {
				if d.Platform == nil {
					t.Fatalf("manifest %s has no platform", d.Digest)
				}
				got = append(got, d.Platform.OS+"/"+d.Platform.Architecture)
				img, err := idx.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				checkArch(t, img, "/usr/local/bin/"+pkg, d.Platform.Architecture)
			}
			sort.Strings(got)
			if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, got); diff != "" {
				t.Errorf("platforms of %s (-want +got):\n%s", ref, diff)
			}
		})
	}

	t.Run("configuration-stellar-peers", func(t *testing.T) {
		ref, err := name.ParseReference(reg + "/configuration-stellar-peers:" + version)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		p, err := xpkgfile.FromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := p.Objects()
		if err != nil {
			t.Fatal(err)
		}
		want := []dependency{
			{Kind: "Function", Package: reg + "/function-stellar-peers", Version: ">=v0.1.0"},
			{Kind: "Provider", Package: reg + "/provider-stellar-core", Version: ">=v0.1.0"},
		}
		if diff := cmp.Diff(want, dependencies(objs[0])); diff != "" {
			t.Errorf("published Configuration's dependsOn (-want +got):\n%s", diff)
		}
	})
}

// checkArch checks the image says arch and its binary is an ELF executable for arch.
func checkArch(t *testing.T, img v1.Image, binary, arch string) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != arch || cfg.OS != "linux" {
		t.Errorf("image config says %s/%s, its index entry linux/%s", cfg.OS, cfg.Architecture, arch)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		head, ok := fileHead(t, l, strings.TrimPrefix(binary, "/"), 20)
		if !ok {
			continue
		}
		if len(head) < 20 || string(head[:4]) != "\x7fELF" {
			t.Fatalf("%s is not an ELF file", binary)
		}
		if got := binary16(head[18:20]); got != elfMachine[arch] {
			t.Errorf("%s in the linux/%s package is built for ELF machine %d, want %d", binary, arch, got, elfMachine[arch])
		}
		return
	}
	t.Errorf("no layer holds %s", binary)
}

func binary16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

// fileHead returns the first n bytes of name in a layer.
func fileHead(t *testing.T, l v1.Layer, name string, n int) ([]byte, bool) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close() //nolint:errcheck // read only.
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, false
		}
		if h.Name == name {
			b := make([]byte, n)
			k, _ := io.ReadFull(tr, b)
			return b[:k], true
		}
	}
}

// requireList returns the files the environment variable lists (comma separated), each of which must exist.
func requireList(t *testing.T, env string) []string {
	t.Helper()
	var files []string
	for _, f := range strings.Split(os.Getenv(env), ",") {
		if f = strings.TrimSpace(f); f != "" {
			requirePathValue(t, env, f)
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		required.Path(t, env, "`make xpkg-all`")
	}
	return files
}

func copyKeepTime(t *testing.T, from, to string) {
	t.Helper()
	st, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(from) //nolint:gosec // build output of this repository.
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(to, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}

func withoutMakeVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
