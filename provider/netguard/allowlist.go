// Package netguard decides which addresses the provider may send a packet to.
// A PeerSync names an admin endpoint; without a guard it could make the
// provider call any URL, including cloud metadata services.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Resolver resolves host names; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NamespaceToken in a host suffix stands for the PeerSync's namespace.
const NamespaceToken = "{namespace}"

// alwaysDenied are metadata services never reachable whatever the allowlist
// says; link-local, multicast and unspecified addresses are refused too.
var alwaysDenied = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata.
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IMDS over IPv6.
	netip.MustParsePrefix("fe80::/10"),
}

// RefusedError says why an address or name is not allowed.
type RefusedError struct {
	Target string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is not allowed: %s", e.Target, e.Reason)
}

// IsRefused reports whether err is a RefusedError.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// Allowlist bounds the hosts an admin endpoint may have. The zero value
// allows nothing.
type Allowlist struct {
	prefixes []netip.Prefix
	suffixes []string
}

// NewAllowlist parses CIDRs (a bare IP means that IP only) and host suffixes;
// NamespaceToken in a suffix is replaced by namespace.
func NewAllowlist(cidrs, hostSuffixes []string, namespace string) (Allowlist, error) {
	var a Allowlist
	for _, c := range cidrs {
		p, err := parsePrefix(c)
		if err != nil {
			return Allowlist{}, err
		}
		a.prefixes = append(a.prefixes, p)
	}
	for _, s := range hostSuffixes {
		if strings.Contains(s, NamespaceToken) && namespace == "" {
			return Allowlist{}, fmt.Errorf("host suffix %q needs a namespace", s)
		}
		s = strings.ToLower(strings.Trim(strings.ReplaceAll(s, NamespaceToken, namespace), "."))
		if s == "" || strings.ContainsAny(s, "*/:@ \t") {
			return Allowlist{}, fmt.Errorf("invalid host suffix %q", s)
		}
		a.suffixes = append(a.suffixes, s)
	}
	return a, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		ip = ip.Unmap()
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Denied reports why ip may never be dialed, or "" when it may be.
func Denied(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid address"
	case ip.Zone() != "":
		return "zoned addresses are link-local"
	case ip.IsUnspecified():
		return "unspecified address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local address (metadata services live here)"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast address"
	}
	for _, p := range alwaysDenied {
		if p.Contains(ip) {
			return "metadata or reserved address"
		}
	}
	if v4, ok := embeddedIPv4(ip); ok {
		if reason := Denied(v4); reason != "" {
			return "embeds " + v4.String() + ": " + reason
		}
	}
	return ""
}

// Prefixes whose last 32 bits are an IPv4 address a gateway may translate to:
// NAT64's well-known prefix and the deprecated IPv4-compatible addresses.
var embeddingPrefixes = []netip.Prefix{
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("::/96"),
}

// embeddedIPv4 returns the IPv4 address an IPv6 address carries, so that
// 64:ff9b::a9fe:a9fe cannot reach 169.254.169.254 through a NAT64 gateway.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() || ip.IsLoopback() {
		return netip.Addr{}, false
	}
	for _, p := range embeddingPrefixes {
		if p.Contains(ip) {
			b := ip.As16()
			return netip.AddrFrom4([4]byte(b[12:16])), true
		}
	}
	return netip.Addr{}, false
}

// CheckIP allows ip when it is in an allowed CIDR and not always denied.
func (a Allowlist) CheckIP(ip netip.Addr) error {
	ip = ip.Unmap()
	if reason := Denied(ip); reason != "" {
		return &RefusedError{Target: ip.String(), Reason: reason}
	}
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return nil
		}
	}
	return &RefusedError{Target: ip.String(), Reason: "not in an allowed CIDR"}
}

// Check allows host (an IP or a name) and returns the IPs that may be dialed
// for it. A name must end with an allowed suffix and every IP it resolves to
// must pass: never an always-denied address and, when CIDRs are configured,
// inside one of them.
func (a Allowlist) Check(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if err := a.CheckIP(ip); err != nil {
			return nil, err
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	if !a.nameAllowed(host) {
		return nil, &RefusedError{Target: host, Reason: "no allowed host suffix matches"}
	}
	if r == nil {
		return nil, &RefusedError{Target: host, Reason: "no resolver for host names"}
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("cannot resolve %s: no addresses", host)
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap()
		if reason := Denied(ip); reason != "" {
			return nil, &RefusedError{Target: host, Reason: fmt.Sprintf("resolves to %s: %s", ip, reason)}
		}
		if len(a.prefixes) > 0 {
			if err := a.CheckIP(ip); err != nil {
				return nil, &RefusedError{Target: host, Reason: fmt.Sprintf("resolves to %s, not in an allowed CIDR", ip)}
			}
		}
		out = append(out, ip)
	}
	return out, nil
}

func (a Allowlist) nameAllowed(host string) bool {
	if host == "" || strings.ContainsAny(host, "*/:@ \t%") {
		return false
	}
	for _, s := range a.suffixes {
		if host == s || strings.HasSuffix(host, "."+s) {
			return true
		}
	}
	return false
}
