package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/stellarpeers/stellar-peers/internal/procstat"
)

// runFunctionMethod is the gRPC method Crossplane calls.
const runFunctionMethod = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"

// A Server is a function binary served on loopback without TLS.
type Server struct {
	Name string
	cmd  *exec.Cmd
	conn *grpc.ClientConn
}

// Start runs binary with args plus --insecure --address=127.0.0.1:<free
// port> and connects to it.
func Start(ctx context.Context, name, binary string, args ...string) (*Server, error) {
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, append(args, "--insecure", "--address="+addr)...) //nolint:gosec // our own and pinned binaries
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	s := &Server{Name: name, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("cannot reach %s at %s: %w", name, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.conn, err = grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{}), grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)))
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("cannot connect to %s: %w", name, err)
	}
	return s, nil
}

// Call sends request bytes as a RunFunctionRequest and returns the response
// bytes, so that the client does no protobuf work in the measured time.
func (s *Server) Call(ctx context.Context, req []byte) ([]byte, error) {
	in, out := rawMessage(req), rawMessage(nil)
	if err := s.conn.Invoke(ctx, runFunctionMethod, &in, &out); err != nil {
		return nil, fmt.Errorf("cannot call %s: %w", s.Name, err)
	}
	return out, nil
}

// CPU is the server process's user plus system CPU time so far.
func (s *Server) CPU() (time.Duration, error) {
	d, err := procstat.CPU(s.cmd.Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.Name, err)
	}
	return d, nil
}

// PeakRSS is the server process's peak resident set size (VmHWM) in bytes.
func (s *Server) PeakRSS() (int64, error) {
	n, err := procstat.PeakRSS(s.cmd.Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.Name, err)
	}
	return n, nil
}

// Stop closes the connection and kills the process it started.
func (s *Server) Stop() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cannot find a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
