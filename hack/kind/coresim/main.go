// Command coresim is the simulated stellar-core of make e2e-kind's validator image, installed as
// /usr/local/bin/stellar-core so the StatefulSet our function composes runs it unchanged:
//
//	stellar-core new-db --conf FILE   creates the SQLite file DATABASE names, as core's new-db leaves one behind
//	stellar-core run --conf FILE      serves internal/coresim's admin interface on HTTP_PORT (every interface when
//	                                  PUBLIC_HTTP_PORT is true, else loopback) and accepts connections on PEER_PORT
//
// It never opens a connection: a /connect is recorded in the peer table (the peer's name resolved through the
// cluster's DNS, as core resolves it) and GET /sim/state shows the table and every connect the node was asked for,
// which the kind tests read through the admin port. Connections to PEER_PORT are accepted and closed.
//
//	stellar-core probe URL|tcp://HOST:PORT   is no core command: the tests' client, run in a pod whose network
//	                                         policy is under test; exit 0 when the address answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("cannot run: want new-db, run or probe")
	}
	switch args[0] {
	case "probe":
		if len(args) != 2 {
			return errors.New("cannot probe: want one URL or tcp://HOST:PORT")
		}
		return probe(args[1])
	case "new-db", "run":
	default:
		return fmt.Errorf("cannot run %q: the simulated core knows new-db, run and probe", args[0])
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	conf := fs.String("conf", "stellar-core.cfg", "Config file.")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := readConfig(*conf)
	if err != nil {
		return err
	}
	if args[0] == "new-db" {
		return newDB(cfg)
	}
	return serve(cfg)
}

// config holds the keys of stellar-core.cfg the simulation uses.
type config struct {
	HTTPPort       int    `toml:"HTTP_PORT"`
	PublicHTTPPort bool   `toml:"PUBLIC_HTTP_PORT"`
	PeerPort       int    `toml:"PEER_PORT"`
	Network        string `toml:"NETWORK_PASSPHRASE"`
	Database       string `toml:"DATABASE"`
}

func readConfig(file string) (config, error) {
	// Core's defaults.
	c := config{HTTPPort: 11626, PeerPort: 11625}
	b, err := os.ReadFile(file) //nolint:gosec // the config the pod mounts.
	if err != nil {
		return c, fmt.Errorf("cannot read config: %w", err)
	}
	if err := toml.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("cannot parse config %s: %w", file, err)
	}
	return c, nil
}

func newDB(c config) error {
	file, ok := strings.CutPrefix(c.Database, "sqlite3://")
	if !ok {
		fmt.Printf("DATABASE %q is not SQLite: nothing to create\n", c.Database)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return fmt.Errorf("cannot create database folder: %w", err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		return fmt.Errorf("cannot create database: %w", err)
	}
	fmt.Printf("* New database %s (simulated)\n", file)
	return nil
}

func serve(c config) error {
	host := "127.0.0.1"
	if c.PublicHTTPPort {
		host = "0.0.0.0"
	}
	admin, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(c.HTTPPort)))
	if err != nil {
		return fmt.Errorf("cannot listen on the admin port: %w", err)
	}
	peer, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", c.PeerPort))
	if err != nil {
		return fmt.Errorf("cannot listen on the peer port: %w", err)
	}
	node, err := coresim.Start(coresim.Options{
		Listener: admin, Network: c.Network, Resolve: resolve, Introspect: true,
	})
	if err != nil {
		return fmt.Errorf("cannot start the simulated core: %w", err)
	}
	go acceptAndClose(peer)
	fmt.Printf("simulated stellar-core: admin on %s, peers on %s\n", admin.Addr(), peer.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = peer.Close()
	return node.Close()
}

// resolve looks a peer's name up as core does when told to connect to it; a name that does not resolve within 2 s
// gets core's resolve exception.
func resolve(host string) (netip.Addr, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, false
	}
	return ips[0], true
}

// acceptAndClose answers the peer port's TCP handshake (the pod's readiness probe, the NetworkPolicy tests) and
// speaks no overlay protocol.
func acceptAndClose(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		_ = conn.Close()
	}
}

// probe dials the address once with a short timeout: an HTTP GET for a URL, a TCP handshake for tcp://.
func probe(target string) error {
	if addr, ok := strings.CutPrefix(target, "tcp://"); ok {
		conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return fmt.Errorf("cannot connect to %s: %w", addr, err)
		}
		fmt.Printf("connected to %s\n", addr)
		return conn.Close()
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(target) //nolint:noctx // one bounded request.
	if err != nil {
		return fmt.Errorf("cannot get %s: %w", target, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read below.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", target, err)
	}
	fmt.Printf("%s %s\n%s\n", target, resp.Status, body)
	return nil
}
