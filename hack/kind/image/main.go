// Command image builds the images a kind cluster needs on a machine that reaches no image registry: static
// binaries (kube-apiserver, etcd, CoreDNS, Crossplane, ...) and the files they read, optionally on a base layer
// (a Debian root file system for kube-proxy, which runs iptables). It writes an image tarball that `docker load`,
// `kind load image-archive` and `ctr images import` take. Like hack/image, it is reproducible: fixed timestamps,
// sorted entries, no creation date.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stellarpeers/stellar-peers/hack/internal/ociimage"
)

// list collects a repeated flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	ref, out, user, workdir string
	stopSignal              string
	entrypoint, cmd, env    list
	baseLayers, files, dirs list
	links                   list
}

func main() {
	var o options
	flag.StringVar(&o.ref, "ref", "", "Image reference recorded in the tarball.")
	flag.StringVar(&o.out, "out", "", "Image tarball to write.")
	flag.StringVar(&o.user, "user", "0:0", "User the image runs as.")
	flag.StringVar(&o.workdir, "workdir", "/", "Working directory.")
	flag.StringVar(&o.stopSignal, "stop-signal", "", "Signal that stops the container (systemd wants SIGRTMIN+3).")
	flag.Var(&o.entrypoint, "entrypoint", "Entrypoint argument (repeatable, in order).")
	flag.Var(&o.cmd, "cmd", "Cmd argument (repeatable, in order).")
	flag.Var(&o.env, "env", "Environment variable KEY=VALUE (repeatable); PATH defaults to the usual directories.")
	flag.Var(&o.baseLayers, "base-layer", "Uncompressed tar added as a layer before the files (repeatable).")
	flag.Var(&o.files, "file", "SRC=DST[:MODE] a file copied into the image, mode in octal (default 0755).")
	flag.Var(&o.dirs, "dir", "SRC=DST a directory tree copied into the image, files 0644 and directories 0755.")
	flag.Var(&o.links, "symlink", "DST=TARGET a symbolic link (repeatable).")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// entry is one file, directory or link of the layer we write.
type entry struct {
	name   string
	mode   int64
	typ    byte
	target string
	data   []byte
}

func run(o options) error {
	if o.ref == "" || o.out == "" {
		return errors.New("cannot build an image: --ref and --out are required")
	}
	ref, err := name.ParseReference(o.ref)
	if err != nil {
		return fmt.Errorf("cannot parse image reference %q: %w", o.ref, err)
	}
	entries := map[string]entry{"tmp": {name: "tmp", mode: 0o1777, typ: tar.TypeDir}}
	for _, f := range o.files {
		if err := addFile(entries, f); err != nil {
			return err
		}
	}
	for _, d := range o.dirs {
		if err := addTree(entries, d); err != nil {
			return err
		}
	}
	for _, l := range o.links {
		dst, target, ok := strings.Cut(l, "=")
		if !ok {
			return fmt.Errorf("cannot parse --symlink %q: want DST=TARGET", l)
		}
		add(entries, entry{name: clean(dst), mode: 0o777, typ: tar.TypeSymlink, target: target})
	}
	img, err := build(o, entries)
	if err != nil {
		return err
	}
	return ociimage.Write(o.out, ref, img)
}

// addFile adds the file of a --file SRC=DST[:MODE] flag.
func addFile(entries map[string]entry, flag string) error {
	src, dst, ok := strings.Cut(flag, "=")
	if !ok {
		return fmt.Errorf("cannot parse --file %q: want SRC=DST[:MODE]", flag)
	}
	mode := int64(0o755)
	if d, m, ok := strings.Cut(dst, ":"); ok {
		v, err := strconv.ParseInt(m, 8, 64)
		if err != nil {
			return fmt.Errorf("cannot parse the mode of --file %q: %w", flag, err)
		}
		dst, mode = d, v
	}
	b, err := os.ReadFile(src) //nolint:gosec // a build input the Makefile names.
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", src, err)
	}
	add(entries, entry{name: clean(dst), mode: mode, typ: tar.TypeReg, data: b})
	return nil
}

// addTree adds the folder of a --dir SRC=DST flag, and everything below it.
func addTree(entries map[string]entry, flag string) error {
	src, dst, ok := strings.Cut(flag, "=")
	if !ok {
		return fmt.Errorf("cannot parse --dir %q: want SRC=DST", flag)
	}
	err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := clean(path.Join(dst, filepath.ToSlash(rel)))
		if de.IsDir() {
			add(entries, entry{name: target, mode: 0o755, typ: tar.TypeDir})
			return nil
		}
		b, err := os.ReadFile(p) //nolint:gosec // a build input the Makefile names.
		if err != nil {
			return err
		}
		add(entries, entry{name: target, mode: 0o644, typ: tar.TypeReg, data: b})
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot copy %s: %w", src, err)
	}
	return nil
}

func clean(p string) string { return strings.Trim(path.Clean("/"+p), "/") }

// add records e and every parent directory it needs.
func add(entries map[string]entry, e entry) {
	for d := path.Dir(e.name); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := entries[d]; !ok {
			entries[d] = entry{name: d, mode: 0o755, typ: tar.TypeDir}
		}
	}
	entries[e.name] = e
}

func build(o options, entries map[string]entry) (v1.Image, error) {
	var layers []mutate.Addendum
	for _, b := range o.baseLayers {
		layer, err := tarball.LayerFromFile(b, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("cannot read base layer %s: %w", b, err)
		}
		layers = append(layers, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
			History: v1.History{CreatedBy: "hack/kind/image: " + filepath.Base(b)}})
	}
	layerTar, err := writeLayer(entries)
	if err != nil {
		return nil, err
	}
	files, err := ociimage.Layer(layerTar, v1.History{CreatedBy: "hack/kind/image: files"})
	if err != nil {
		return nil, err
	}
	return ociimage.Build(append(layers, files), func(cf *v1.ConfigFile) {
		cf.Architecture = "amd64"
		cf.Config.Entrypoint = o.entrypoint
		cf.Config.Cmd = o.cmd
		cf.Config.User = o.user
		cf.Config.WorkingDir = o.workdir
		cf.Config.StopSignal = o.stopSignal
		cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		for _, e := range o.env {
			if strings.HasPrefix(e, "PATH=") {
				cf.Config.Env[0] = e
				continue
			}
			cf.Config.Env = append(cf.Config.Env, e)
		}
	})
}

// writeLayer writes the entries sorted by name (parents before children), root-owned, at the epoch.
func writeLayer(entries map[string]entry) ([]byte, error) {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	epoch := time.Unix(0, 0).UTC()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := entries[n]
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX, Linkname: e.target}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("cannot close layer: %w", err)
	}
	return buf.Bytes(), nil
}
