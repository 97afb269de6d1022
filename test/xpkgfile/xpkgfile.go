// Package xpkgfile reads the .xpkg files `crossplane xpkg build` writes, for tests: the package's objects, and the
// entry Crossplane's package cache would hold for it, so a test can install a package with no registry.
package xpkgfile

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// The xpkg format: the config label "io.crossplane.xpkg:<layer digest>" = "base" marks the layer holding
// package.yaml, the stream of the meta object followed by every other object.
const (
	labelPrefix = "io.crossplane.xpkg:"
	baseLayer   = "base"
	streamFile  = "package.yaml"
)

// Package is a built .xpkg file.
type Package struct {
	Image v1.Image
	// Digest is the image's manifest digest, what a digest reference to the package names.
	Digest v1.Hash
	// Stream is package.yaml: the objects as Crossplane parses them.
	Stream []byte
}

// Load reads a .xpkg file.
func Load(file string) (*Package, error) {
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s as an image: %w", file, err)
	}
	p, err := FromImage(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// FromImage reads a package image, e.g. one pulled from a registry.
func FromImage(img v1.Image) (*Package, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("cannot compute the digest: %w", err)
	}
	stream, err := packageStream(img)
	if err != nil {
		return nil, err
	}
	return &Package{Image: img, Digest: d, Stream: stream}, nil
}

// Objects decodes package.yaml, in order.
func (p *Package) Objects() ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(p.Stream), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("cannot decode %s: %w", streamFile, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// IsPackageLayer reports whether the image config labels the layer as one of the package's own (package.yaml or
// examples), as opposed to a runtime image layer.
func IsPackageLayer(cfg *v1.ConfigFile, layer v1.Hash) bool {
	_, ok := cfg.Config.Labels[labelPrefix+layer.String()]
	return ok
}

func packageStream(img v1.Image) ([]byte, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read image config: %w", err)
	}
	var base *v1.Hash
	for k, v := range cfg.Config.Labels {
		digest, ok := strings.CutPrefix(k, labelPrefix)
		if !ok || v != baseLayer {
			continue
		}
		h, err := v1.NewHash(digest)
		if err != nil {
			return nil, fmt.Errorf("cannot parse package layer label %q: %w", k, err)
		}
		base = &h
	}
	if base == nil {
		return nil, errors.New("cannot find the package layer: no config label names a base layer")
	}
	layer, err := img.LayerByDigest(*base)
	if err != nil {
		return nil, fmt.Errorf("cannot get package layer %s: %w", base, err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("cannot read package layer: %w", err)
	}
	defer rc.Close() //nolint:errcheck // read only.
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("cannot find %s in the package layer", streamFile)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read package layer: %w", err)
		}
		if path.Base(h.Name) == streamFile {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", streamFile, err)
			}
			return b, nil
		}
	}
}

// CacheKey is the name Crossplane's package cache gives a package: crossplane-runtime v2.4.0 pkg/xpkg
// CachedClient.Get keys it FriendlyID(source, digest), and FsPackageCache stores <dir>/<key>.gz. FriendlyID joins
// the source (at most 50 bytes) and the digest string (at most 12 bytes, e.g. "sha256:0123a") with "-", then keeps
// a DNS label of it: lower-case letters and digits, '.', '/', ':' and '-' turned into '-', at most 63 bytes, no
// leading or trailing '-'. Written here from that description; the install test proves it matches.
func CacheKey(source string, digest v1.Hash) string {
	joined := cut(source, 50) + "-" + cut(digest.String(), 12)
	var b strings.Builder
	for i := 0; i < len(joined); i++ {
		c := joined[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case (c == '.' || c == '/' || c == ':' || c == '-') && i != 0 && i != 62 && i != len(joined)-1:
			b.WriteByte('-')
		}
		if i == 62 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// WriteCacheEntry stores the package in a Crossplane package cache directory (--xpkg-cache-dir) under the key a
// reference source@digest resolves to: package.yaml, gzip-compressed, which is what Crossplane itself stores after
// a pull. It returns the file written.
func (p *Package) WriteCacheEntry(dir, source string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create cache directory: %w", err)
	}
	file := filepath.Join(dir, CacheKey(source, p.Digest)+".gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(p.Stream); err != nil {
		return "", fmt.Errorf("cannot compress package: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("cannot compress package: %w", err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil { //nolint:gosec // a test control plane's cache.
		return "", fmt.Errorf("cannot write cache entry: %w", err)
	}
	return file, nil
}
