// Command image builds a runtime image for one of our Go binaries without Docker: the static binary on an empty
// base, run as the non-root user 65532, written as an image tarball that `crossplane xpkg build
// --embed-runtime-image-tarball` embeds. The image is reproducible: fixed timestamps, no creation date, so the same
// binary always gives the same digest.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stellarpeers/stellar-peers/hack/internal/ociimage"
)

// nonRoot is the uid and gid of the distroless "nonroot" user; Kubernetes' runAsNonRoot accepts a numeric user.
const nonRoot = 65532

// labelFlags collects repeated --label key=value flags.
type labelFlags map[string]string

func (l labelFlags) String() string { return fmt.Sprint(map[string]string(l)) }

func (l labelFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("cannot parse label %q: want key=value", v)
	}
	l[k] = val
	return nil
}

type options struct {
	binary     string
	entrypoint string
	ref        string
	out        string
	arch       string
	ports      string
	labels     labelFlags
}

func main() {
	o := options{labels: labelFlags{}}
	flag.StringVar(&o.binary, "binary", "", "Static (CGO_ENABLED=0) linux binary to run.")
	flag.StringVar(&o.entrypoint, "entrypoint", "", "Absolute path of the binary inside the image, also the entrypoint.")
	flag.StringVar(&o.ref, "ref", "", "Image reference recorded in the tarball, e.g. ghcr.io/org/name:v0.1.0.")
	flag.StringVar(&o.out, "out", "", "Image tarball to write.")
	flag.StringVar(&o.arch, "arch", "amd64", "Architecture the binary was built for.")
	flag.StringVar(&o.ports, "expose", "", "Comma-separated ports the runtime listens on, e.g. 9443/tcp.")
	flag.Var(o.labels, "label", "OCI label key=value (repeatable).")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.binary == "" || o.entrypoint == "" || o.ref == "" || o.out == "" {
		return errors.New("cannot build an image: --binary, --entrypoint, --ref and --out are required")
	}
	if !path.IsAbs(o.entrypoint) {
		return fmt.Errorf("cannot build an image: --entrypoint %q must be an absolute path", o.entrypoint)
	}
	ref, err := name.ParseReference(o.ref)
	if err != nil {
		return fmt.Errorf("cannot parse image reference %q: %w", o.ref, err)
	}
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return fmt.Errorf("cannot read binary: %w", err)
	}
	img, err := build(bin, o)
	if err != nil {
		return err
	}
	return ociimage.Write(o.out, ref, img)
}

// build assembles the image: one layer with the binary, a config that runs it as nonRoot.
func build(bin []byte, o options) (v1.Image, error) {
	layerTar, err := binaryLayer(bin, o.entrypoint)
	if err != nil {
		return nil, err
	}
	layer, err := ociimage.Layer(layerTar, v1.History{CreatedBy: "hack/image: " + o.entrypoint, Comment: "static binary, no base image"})
	if err != nil {
		return nil, err
	}
	return ociimage.Build([]mutate.Addendum{layer}, func(cf *v1.ConfigFile) {
		cf.Architecture = o.arch
		cf.Config.Entrypoint = []string{o.entrypoint}
		cf.Config.User = fmt.Sprintf("%d:%d", nonRoot, nonRoot)
		cf.Config.WorkingDir = "/"
		// No shell and no CA bundle in the image: the runtimes only talk to the apiserver (in-cluster CA from the
		// service account) and, for the provider, to stellar-core's plain-HTTP admin port or a proxy whose CA the
		// ProviderConfig names.
		cf.Config.Env = []string{"PATH=/usr/local/bin"}
		cf.Config.Labels = map[string]string(o.labels)
		if o.ports != "" {
			cf.Config.ExposedPorts = map[string]struct{}{}
			for p := range strings.SplitSeq(o.ports, ",") {
				cf.Config.ExposedPorts[strings.TrimSpace(p)] = struct{}{}
			}
		}
	})
}

// binaryLayer is a tar holding the binary at entrypoint, owned by nonRoot, with its parent directories and a /tmp
// the runtime may write to. Timestamps are fixed so the layer is reproducible.
func binaryLayer(bin []byte, entrypoint string) ([]byte, error) {
	epoch := time.Unix(0, 0).UTC()
	dirs := map[string]bool{"tmp/": true}
	for d := path.Dir(strings.TrimPrefix(entrypoint, "/")); d != "." && d != "/"; d = path.Dir(d) {
		dirs[d+"/"] = true
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	// Parents before children.
	sort.Strings(sorted)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range sorted {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, fmt.Errorf("cannot write directory %s: %w", d, err)
		}
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(entrypoint, "/"),
		Mode:     0o555,
		Size:     int64(len(bin)),
		Uid:      nonRoot,
		Gid:      nonRoot,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("cannot write binary header: %w", err)
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, fmt.Errorf("cannot write binary: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("cannot close layer: %w", err)
	}
	return buf.Bytes(), nil
}
