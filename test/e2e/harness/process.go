package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stellarpeers/stellar-peers/internal/procstat"
)

// process is one component the harness started and must stop.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

// startProcess runs bin with args, sending its output to <logDir>/<name>.log. The child gets SIGKILL if the
// test binary dies first, so a crashed test leaves nothing behind.
func startProcess(logDir, name, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	// Append: a component the harness restarts keeps its earlier log, so tests can read the whole history.
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) //nolint:gosec // the path is the harness's own run directory.
	if err != nil {
		return nil, fmt.Errorf("cannot create log for %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // binaries are the pinned tools and our own builds.
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitError is why an exited process ended; a clean exit is still an error for a component that should run.
func (p *process) exitError() error {
	if p.err != nil {
		return p.err
	}
	return errors.New("exited with status 0")
}

// stop asks the process group to terminate, then kills it after a grace period.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port: %w", err)
	}
	defer l.Close() //nolint:errcheck // closing a probe listener.
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until something accepts connections on a loopback address, or p exits.
func waitTCP(ctx context.Context, p *process, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s (see %s): %w", p.name, addr, p.logPath, p.exitError())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s is not listening on %s: %w; see %s", p.name, addr, ctx.Err(), p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Usage is the CPU time (user plus system) and peak resident set size (VmHWM) of the named running component.
func (cp *ControlPlane) Usage(name string) (cpu time.Duration, peakRSS int64, err error) {
	for _, p := range cp.procs {
		if p.name != name || p.exited() {
			continue
		}
		if cpu, err = procstat.CPU(p.cmd.Process.Pid); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		if peakRSS, err = procstat.PeakRSS(p.cmd.Process.Pid); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		return cpu, peakRSS, nil
	}
	return 0, 0, fmt.Errorf("cannot measure %s: it is not running", name)
}
