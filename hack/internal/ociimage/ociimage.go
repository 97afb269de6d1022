// Package ociimage assembles reproducible OCI images without Docker, for hack/image (our runtimes) and
// hack/kind/image (what a kind cluster runs): the same bytes always give the same digest.
package ociimage

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is a layer tarball built in memory, with the history entry it gets.
func Layer(tarBytes []byte, history v1.History) (mutate.Addendum, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return mutate.Addendum{}, fmt.Errorf("cannot create layer: %w", err)
	}
	return mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: history}, nil
}

// Build is an OCI image of the layers, in order, whose config configure sets, created at the epoch so that the
// digest is a function of the layers and the config alone.
func Build(layers []mutate.Addendum, configure func(*v1.ConfigFile)) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		return nil, fmt.Errorf("cannot append layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	configure(cf)
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("cannot set config: %w", err)
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: time.Unix(0, 0).UTC()})
	if err != nil {
		return nil, fmt.Errorf("cannot set creation time: %w", err)
	}
	return img, nil
}

// Write writes img as an image tarball tagged ref at out and prints "out ref digest". The tarball is renamed into
// place only when complete, so an interrupted build never leaves a file make would take as built.
func Write(out string, ref name.Reference, img v1.Image) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(out), err)
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return fmt.Errorf("cannot write image tarball: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("cannot rename %s: %w", tmp, err)
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("cannot compute image digest: %w", err)
	}
	fmt.Printf("%s %s %s\n", out, ref, d)
	return nil
}
