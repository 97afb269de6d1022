package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
)

// DialContextFunc dials like net.Dialer.DialContext.
type DialContextFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Guard returns a dialer that checks every address against allow before it
// dials, and dials the checked IP rather than the name, so a DNS answer that
// changes between the check and the dial (rebinding) cannot redirect it.
func Guard(allow Allowlist, r Resolver, next DialContextFunc) DialContextFunc {
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portText, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		port, err := strconv.ParseUint(portText, 10, 16)
		if err != nil {
			return nil, &RefusedError{Target: address, Reason: "invalid port"}
		}
		ips, err := allow.Check(ctx, r, host)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, ip := range ips {
			conn, err := next(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}

// LoopbackOnly returns a dialer that dials loopback IPs only. Anything else,
// names included, is refused and reported to refused (which may be nil). It
// is a safety net for tests: even a bug cannot send a packet off the host.
func LoopbackOnly(next DialContextFunc, refused func(network, address string)) DialContextFunc {
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err == nil {
			if ip, perr := netip.ParseAddr(host); perr == nil && ip.Unmap().IsLoopback() {
				return next(ctx, network, address)
			}
		}
		if refused != nil {
			refused(network, address)
		}
		return nil, &RefusedError{Target: address, Reason: "only loopback addresses may be dialed"}
	}
}

// LoopbackOnlyResolver resolves through /etc/hosts and loopback DNS servers
// only: its DNS queries go through LoopbackOnly, so it never queries a
// cluster or public name server.
func LoopbackOnlyResolver(refused func(network, address string)) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: LoopbackOnly(nil, refused)}
}

// StaticResolver resolves from a fixed table, for tests; unknown names fail.
type StaticResolver map[string][]netip.Addr

// LookupNetIP implements Resolver.
func (s StaticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := s[host]; ok {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
