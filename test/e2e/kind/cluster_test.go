//go:build kind

package kind

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"
	"sigs.k8s.io/e2e-framework/third_party/helm"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// docker runs the docker CLI (DOCKER_HOST comes from make) and returns its trimmed output.
func docker(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput() //nolint:gosec // our own arguments.
	if err != nil {
		return "", fmt.Errorf("cannot run docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// ensureLoaded loads an image tarball into Docker unless the image it holds is already there under its reference.
// The engine make starts keeps its data root in the cache, so a second run skips the node image's load.
func ensureLoaded(ctx context.Context, tarball string) (string, error) {
	ref, id, err := imageOf(tarball)
	if err != nil {
		return "", err
	}
	if got, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref); err == nil && got == id {
		return ref, nil
	}
	if _, err := docker(ctx, "load", "--input", tarball); err != nil {
		return "", err
	}
	return ref, nil
}

// imageOf reads the reference and the image ID (its config's digest) of a docker-archive tarball.
func imageOf(tarball string) (ref, id string, err error) {
	f, err := os.Open(tarball) //nolint:gosec // a tarball make built.
	if err != nil {
		return "", "", fmt.Errorf("cannot open %s: %w", tarball, err)
	}
	defer f.Close() //nolint:errcheck // read only.
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", "", fmt.Errorf("cannot find manifest.json in %s", tarball)
		}
		if err != nil {
			return "", "", fmt.Errorf("cannot read %s: %w", tarball, err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct {
			Config   string
			RepoTags []string
		}
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			return "", "", fmt.Errorf("cannot parse the manifest of %s: %w", tarball, err)
		}
		if len(m) != 1 || len(m[0].RepoTags) == 0 {
			return "", "", fmt.Errorf("cannot use %s: want one tagged image", tarball)
		}
		return m[0].RepoTags[0], "sha256:" + strings.TrimPrefix(strings.TrimPrefix(m[0].Config, "blobs/sha256/"), "sha256:"), nil
	}
}

// prepareDocker loads the node image, creates the cluster's network (kind uses it, KIND_EXPERIMENTAL_DOCKER_NETWORK)
// and runs the registry on it at its fixed address. Leftovers of an interrupted run are removed first.
func prepareDocker(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	kindBin := os.Getenv(envKind)
	_ = exec.CommandContext(ctx, kindBin, "delete", "cluster", "--name", clusterName).Run() //nolint:gosec // the pinned kind.
	_, _ = docker(ctx, "rm", "--force", registryContainer)
	_, _ = docker(ctx, "network", "rm", os.Getenv(envNetwork))
	if _, err := ensureLoaded(ctx, os.Getenv(envNodeImage)); err != nil {
		return ctx, err
	}
	registryRef, err := ensureLoaded(ctx, os.Getenv(envRegistryImage))
	if err != nil {
		return ctx, err
	}
	// Masquerading off: nothing on this network needs to reach past it.
	if _, err := docker(ctx, "network", "create", "--driver", "bridge", "--subnet", os.Getenv(envSubnet),
		"--opt", "com.docker.network.bridge.enable_ip_masquerade=false", os.Getenv(envNetwork)); err != nil {
		return ctx, err
	}
	if err := os.Setenv("KIND_EXPERIMENTAL_DOCKER_NETWORK", os.Getenv(envNetwork)); err != nil {
		return ctx, fmt.Errorf("cannot set KIND_EXPERIMENTAL_DOCKER_NETWORK: %w", err)
	}
	ip, port, err := registryAddr()
	if err != nil {
		return ctx, err
	}
	if _, err := docker(ctx, "run", "--detach", "--name", registryContainer, "--network", os.Getenv(envNetwork),
		"--ip", ip.String(), registryRef, "--addr", fmt.Sprintf(":%d", port)); err != nil {
		return ctx, err
	}
	return ctx, nil
}

func registryAddr() (netip.Addr, uint16, error) {
	ap, err := netip.ParseAddrPort(os.Getenv(envRegistry))
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("cannot parse %s %q: %w", envRegistry, os.Getenv(envRegistry), err)
	}
	return ap.Addr(), ap.Port(), nil
}

// cleanDocker removes the registry and the network after the cluster is gone.
func cleanDocker(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	if _, err := docker(ctx, "rm", "--force", registryContainer); err != nil {
		return ctx, err
	}
	if _, err := docker(ctx, "network", "rm", os.Getenv(envNetwork)); err != nil {
		return ctx, err
	}
	return ctx, nil
}

// writeKindConfig writes the cluster's kind config: one node of our image; kubeadm told our etcd's tag and the
// kubelet that a cgroup v1 host is fine (KEP-5573); no default CNI (the node image brings ptp, kube-router enforces
// NetworkPolicy); containerd's registry hosts mounted from a folder this writes: our registry over plain HTTP, every
// registry an image could name otherwise a dead end on loopback, so nothing is ever pulled from outside.
func writeKindConfig(path string) error {
	hosts := filepath.Join(filepath.Dir(path), "certs.d")
	if err := os.RemoveAll(hosts); err != nil {
		return fmt.Errorf("cannot clean %s: %w", hosts, err)
	}
	registry := os.Getenv(envRegistry)
	write := func(host, server string) error {
		dir := filepath.Join(hosts, host)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("cannot create %s: %w", dir, err)
		}
		toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", server, server)
		if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o600); err != nil {
			return fmt.Errorf("cannot write hosts.toml for %s: %w", host, err)
		}
		return nil
	}
	if err := write(registry, "http://"+registry); err != nil {
		return err
	}
	// Port 9 (discard) on loopback: nothing listens there, so a pull fails at once instead of leaving the machine.
	for _, r := range []string{"docker.io", "registry.k8s.io", "ghcr.io", "quay.io", "gcr.io", "xpkg.crossplane.io", "xpkg.upbound.io"} {
		if err := write(r, "http://127.0.0.1:9"); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
  kubeProxyMode: iptables
nodes:
- role: control-plane
  extraMounts:
  - hostPath: %s
    containerPath: /etc/containerd/certs.d
    readOnly: true
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  failCgroupV1: false
- |
  kind: ClusterConfiguration
  etcd:
    local:
      imageTag: %s
`, hosts, os.Getenv(envEtcdTag))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// loadImages loads the images the node does not carry: Crossplane's and the simulated core's. Our Function and
// Provider are not loaded: the node pulls them from the registry, as a cluster pulls any package's runtime.
func loadImages(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	for _, img := range strings.Fields(os.Getenv(envImages)) {
		var err error
		if ctx, err = envfuncs.LoadImageArchiveToCluster(clusterName, img)(ctx, cfg); err != nil {
			return ctx, err
		}
	}
	return ctx, nil
}

var (
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	podGVK       = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	daemonSetGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
)

// lockDownDNS removes the forward plugin from kubeadm's Corefile: CoreDNS answers cluster.local and nothing else,
// so no name a pod looks up is ever sent past the node. Its pods are then recreated to read it now.
func lockDownDNS(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	cm, err := cp.Get(ctx, configMapGVK, "kube-system", "coredns")
	if err != nil {
		return ctx, err
	}
	corefile, _, _ := unstructured.NestedString(cm.Object, "data", "Corefile")
	var kept []string
	skip := false
	for _, line := range strings.Split(corefile, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "forward ") {
			skip = strings.HasSuffix(trimmed, "{")
			continue
		}
		if skip {
			skip = trimmed != "}"
			continue
		}
		kept = append(kept, line)
	}
	if len(kept) == len(strings.Split(corefile, "\n")) {
		return ctx, fmt.Errorf("cannot find the forward plugin in CoreDNS's Corefile:\n%s", corefile)
	}
	if err := unstructured.SetNestedField(cm.Object, strings.Join(kept, "\n"), "data", "Corefile"); err != nil {
		return ctx, fmt.Errorf("cannot set the Corefile: %w", err)
	}
	if err := cp.Client.Update(ctx, cm); err != nil {
		return ctx, fmt.Errorf("cannot update CoreDNS's Corefile: %w", err)
	}
	pods := &unstructured.UnstructuredList{}
	pods.SetGroupVersionKind(podGVK.GroupVersion().WithKind("PodList"))
	if err := cp.Client.List(ctx, pods, client.InNamespace("kube-system"), client.MatchingLabels{"k8s-app": "kube-dns"}); err != nil {
		return ctx, fmt.Errorf("cannot list CoreDNS pods: %w", err)
	}
	for i := range pods.Items {
		if err := cp.Client.Delete(ctx, &pods.Items[i]); err != nil {
			return ctx, fmt.Errorf("cannot restart CoreDNS pod %s: %w", pods.Items[i].GetName(), err)
		}
	}
	return ctx, nil
}

// installNetworkPolicies applies kube-router's network policy controller (hack/kind/kube-router.yaml) and waits for
// it to run: from then on every NetworkPolicy is enforced.
func installNetworkPolicies(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	if err := cp.ApplyFiles(ctx, os.Getenv(envNetpol)); err != nil {
		return ctx, err
	}
	return ctx, harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		ds, err := cp.Get(ctx, daemonSetGVK, "kube-system", "kube-router")
		if err != nil {
			return false, "", err
		}
		ready, _, _ := unstructured.NestedInt64(ds.Object, "status", "numberReady")
		return ready >= 1, fmt.Sprintf("kube-router: %d ready", ready), nil
	})
}

// installCrossplane installs Crossplane v2.4.0 from its Helm chart with default values but for the image: ours,
// loaded into the node, never pulled.
func installCrossplane(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	err := helm.New(cfg.KubeconfigFile()).WithPath(os.Getenv(envHelm)).RunInstall(
		helm.WithName("crossplane"),
		helm.WithChart(os.Getenv(envChart)),
		helm.WithNamespace(crossplaneNS),
		helm.WithArgs("--create-namespace",
			"--set", "image.repository=xpkg.crossplane.io/crossplane/crossplane",
			"--set", "image.tag="+crossplaneVersion,
			"--set", "image.pullPolicy=Never"),
		helm.WithWait(),
		helm.WithTimeout("5m"),
		helm.WithContext(ctx),
	)
	if err != nil {
		return ctx, fmt.Errorf("cannot install Crossplane with helm: %w", err)
	}
	return ctx, nil
}
