package netguard

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// ReadHostsFile reads an /etc/hosts style file ("IP name [name...]", # comments) into a StaticResolver. Tests
// use it so the provider resolves the cluster names of simulated nodes without asking any DNS server.
func ReadHostsFile(path string) (StaticResolver, error) {
	f, err := os.Open(path) //nolint:gosec // the operator names the file.
	if err != nil {
		return nil, fmt.Errorf("cannot open hosts file: %w", err)
	}
	defer f.Close() //nolint:errcheck // read only.
	hosts := StaticResolver{}
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		text, _, _ := strings.Cut(scanner.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		ip, err := netip.ParseAddr(fields[0])
		if err != nil || len(fields) < 2 {
			return nil, fmt.Errorf("cannot parse hosts file line %d: want an IP and at least one name", line)
		}
		for _, name := range fields[1:] {
			hosts[name] = append(hosts[name], ip)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("cannot read hosts file: %w", err)
	}
	return hosts, nil
}

// HostsFileResolver resolves from a hosts file, reading it again whenever it changes, so a test can add the
// names of nodes it starts later.
type HostsFileResolver struct {
	path string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	hosts   StaticResolver
}

// NewHostsFileResolver reads path once to fail early on a bad file.
func NewHostsFileResolver(path string) (*HostsFileResolver, error) {
	r := &HostsFileResolver{path: path}
	if _, err := r.current(); err != nil {
		return nil, err
	}
	return r, nil
}

// LookupNetIP implements Resolver.
func (r *HostsFileResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	hosts, err := r.current()
	if err != nil {
		return nil, err
	}
	return hosts.LookupNetIP(ctx, network, host)
}

func (r *HostsFileResolver) current() (StaticResolver, error) {
	info, err := os.Stat(r.path)
	if err != nil {
		return nil, fmt.Errorf("cannot read hosts file: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hosts != nil && info.ModTime().Equal(r.modTime) && info.Size() == r.size {
		return r.hosts, nil
	}
	hosts, err := ReadHostsFile(r.path)
	if err != nil {
		return nil, err
	}
	r.hosts, r.modTime, r.size = hosts, info.ModTime(), info.Size()
	return hosts, nil
}
