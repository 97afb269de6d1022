package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// adminUser is the identity our processes use until a test narrows it.
const adminUser = "e2e-admin"

func (cp *ControlPlane) startAPIServer(bins map[string]string, crdDirs []string) error {
	etcdLog, err := os.Create(cp.LogPath("etcd"))
	if err != nil {
		return fmt.Errorf("cannot create etcd log: %w", err)
	}
	apiLog, err := os.Create(cp.LogPath("kube-apiserver"))
	if err != nil {
		return fmt.Errorf("cannot create kube-apiserver log: %w", err)
	}
	etcd := &envtest.Etcd{
		Path:         bins[envEtcd],
		DataDir:      filepath.Join(cp.RunDir, "etcd-data"),
		StartTimeout: time.Minute,
		Out:          etcdLog,
		Err:          etcdLog,
	}
	etcd.Configure().Set("unsafe-no-fsync", "true")
	api := &envtest.APIServer{
		Path:         bins[envKubeAPIServer],
		CertDir:      filepath.Join(cp.RunDir, "apiserver-certs"),
		StartTimeout: 2 * time.Minute,
		Out:          apiLog,
		Err:          apiLog,
	}
	if err := os.MkdirAll(api.CertDir, 0o700); err != nil {
		return fmt.Errorf("cannot create apiserver cert dir: %w", err)
	}
	dirs := append([]string{}, crdDirs...)
	if crds := bins[envCrossplaneCRDs]; crds != "" {
		dirs = append([]string{crds}, dirs...)
	}
	cp.env = &envtest.Environment{
		ControlPlane:          envtest.ControlPlane{Etcd: etcd, APIServer: api},
		CRDDirectoryPaths:     dirs,
		ErrorIfCRDPathMissing: true,
	}
	if _, err := cp.env.Start(); err != nil {
		return fmt.Errorf("cannot start etcd and kube-apiserver: %w", err)
	}
	return cp.connectAsAdmin()
}

// connectAsAdmin writes the admin user's kubeconfig and sets the control
// plane's rest config and client to that user's.
func (cp *ControlPlane) connectAsAdmin() error {
	user, err := cp.env.AddUser(envtest.User{Name: adminUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("cannot create the admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("cannot render the admin kubeconfig: %w", err)
	}
	cp.Kubeconfig = filepath.Join(cp.RunDir, "kubeconfig")
	if err := os.WriteFile(cp.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("cannot write kubeconfig: %w", err)
	}
	cp.Config = user.Config()
	// Tests poll; client-go's default 5 QPS would throttle them into timeouts.
	cp.Config.QPS, cp.Config.Burst = 100, 200
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("cannot build scheme: %w", err)
	}
	cp.Client, err = client.New(cp.Config, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("cannot create client: %w", err)
	}
	return nil
}

func (cp *ControlPlane) startControllerManager(ctx context.Context, bin string, aggregateRoles bool) error {
	controllers := "garbage-collector-controller,namespace-controller"
	if aggregateRoles {
		controllers += ",clusterrole-aggregation-controller"
	}
	args := []string{
		"--kubeconfig=" + cp.Kubeconfig,
		"--controllers=" + controllers,
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
	}
	p, err := startProcess(cp.RunDir, "kube-controller-manager", bin, args, nil)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	// The garbage collector has no readiness endpoint without secure serving; a short settle check catches
	// an immediate crash (bad flag, bad kubeconfig).
	select {
	case <-p.done:
		return fmt.Errorf("kube-controller-manager exited at start (see %s): %w", p.logPath, p.exitError())
	case <-time.After(time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// RestartAPIServer stops kube-apiserver and starts it again on the same port, with the same certificates, users
// and etcd, as a control-plane upgrade or crash would. Every component must reconnect by itself. kube-apiserver
// drains for longer than envtest waits (20 s); envtest then kills it, which is a restart all the same.
func (cp *ControlPlane) RestartAPIServer(ctx context.Context) error {
	api := cp.env.ControlPlane.APIServer
	stopErr := api.Stop()
	if stopErr != nil && !strings.Contains(stopErr.Error(), "timeout waiting") {
		return fmt.Errorf("cannot stop kube-apiserver: %w", stopErr)
	}
	addr := net.JoinHostPort(api.Address, api.Port)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // the old process is gone
		}
		_ = c.Close()
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot restart kube-apiserver: it still listens on %s: %w", addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := api.Start(); err != nil {
		return fmt.Errorf("cannot start kube-apiserver again: %w", err)
	}
	return nil
}
