package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// startRBACManager runs Crossplane's RBAC manager as the chart runs it (templates/rbac-manager-deployment.yaml):
// `crossplane rbac start --provider-clusterrole=crossplane:allowed-provider-permissions`, as its own ServiceAccount.
// It renders a ClusterRole per XRD (aggregated into Crossplane's) and per provider revision.
//
// The RBAC manager always serves metrics on :8080 on every interface and has no flag to move it, so two test runs
// on one machine would collide. It therefore runs in a network namespace of its own, where the harness forwards
// the apiserver's loopback address to the real apiserver. Creating a network namespace needs CAP_SYS_ADMIN; without
// it the RBAC manager runs in the host's network namespace and needs port 8080 free.
func (cp *ControlPlane) startRBACManager(ctx context.Context, bin string) error {
	args := []string{"rbac", "start", "--provider-clusterrole=crossplane:allowed-provider-permissions", "--debug"}
	env := []string{"KUBECONFIG=" + cp.kubeconfigOf(RBACManagerName)}
	u, err := url.Parse(cp.Config.Host)
	if err != nil {
		return fmt.Errorf("cannot parse the apiserver address %q: %w", cp.Config.Host, err)
	}
	p, err := startInOwnNetwork(cp.RunDir, RBACManagerName, bin, args, env, u.Host)
	if errors.Is(err, unix.EPERM) {
		cp.logf("cannot give %s a network namespace (%v): running it in the host's; it needs port 8080", RBACManagerName, err)
		p, err = startProcess(cp.RunDir, RBACManagerName, bin, args, env)
	}
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	// No readiness endpoint; a short settle check catches an immediate exit (bad kubeconfig, port in use).
	select {
	case <-p.done:
		return fmt.Errorf("%s exited at start (see %s): %w", RBACManagerName, p.logPath, p.exitError())
	case <-time.After(time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// logf appends a line to the harness's own log.
func (cp *ControlPlane) logf(format string, args ...any) {
	f, err := os.OpenFile(cp.LogPath("harness"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	_, _ = fmt.Fprintf(f, format+"\n", args...)
	_ = f.Close()
}

// startInOwnNetwork starts a process in a new network namespace whose loopback interface is up and where apiAddr
// (a loopback host:port) is forwarded to the same address in the harness's namespace. A forked child inherits the
// network namespace of the thread that forks it, so the fork happens on a locked thread moved into the new
// namespace; the thread moves back afterwards (or dies with its goroutine if it cannot).
func startInOwnNetwork(logDir, name, bin string, args, env []string, apiAddr string) (*process, error) {
	type result struct {
		p   *process
		l   net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		host, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cannot open the current network namespace: %w", err)}
			return
		}
		defer host.Close() //nolint:errcheck // a namespace handle.
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("cannot create a network namespace: %w", err)}
			return
		}
		r := result{}
		if r.err = loopbackUp(); r.err == nil {
			r.l, r.err = net.Listen("tcp", apiAddr)
			if r.err != nil {
				r.err = fmt.Errorf("cannot listen on %s in the new network namespace: %w", apiAddr, r.err)
			}
		}
		if r.err == nil {
			r.p, r.err = startProcess(logDir, name, bin, args, env)
		}
		if err := unix.Setns(int(host.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		} // else the goroutine ends locked, and the runtime retires the thread.
		ch <- r
	}()
	r := <-ch
	if r.err != nil {
		if r.l != nil {
			_ = r.l.Close()
		}
		return nil, r.err
	}
	go forward(r.l, apiAddr)
	go func() {
		<-r.p.done
		_ = r.l.Close()
	}()
	return r.p, nil
}

// loopbackUp sets the loopback interface of the calling thread's network namespace up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot open a socket to configure lo: %w", err)
	}
	defer unix.Close(fd) //nolint:errcheck // a configuration socket.
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("cannot configure lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("cannot read the flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("cannot set lo up: %w", err)
	}
	return nil
}

// forward copies every connection accepted on l to target (dialled from the harness's own network namespace) and
// back, until l is closed.
func forward(l net.Listener, target string) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer in.Close() //nolint:errcheck // best effort.
			out, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				return
			}
			defer out.Close() //nolint:errcheck // best effort.
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
			go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
			<-done
		}()
	}
}
