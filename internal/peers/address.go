package peers

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPeerPort is stellar-core's PEER_PORT default.
const DefaultPeerPort = 11625

// DefaultAdminPort is stellar-core's HTTP_PORT default.
const DefaultAdminPort = 11626

// ValidPort reports whether p is a usable TCP port.
func ValidPort(p int) bool { return p >= 1 && p <= 65535 }

// CanonicalIP parses an IPv4 or IPv6 literal and returns its canonical form.
// Zoned and unspecified addresses are refused: no other node can dial them.
func CanonicalIP(s string) (string, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("%s is not an IP address", strconv.Quote(s))
	}
	if a.Zone() != "" {
		return "", fmt.Errorf("%s has a zone, which other nodes cannot dial", strconv.Quote(s))
	}
	if a.IsUnspecified() {
		return "", fmt.Errorf("%s is the unspecified address", strconv.Quote(s))
	}
	return a.String(), nil
}

// IsIP reports whether s is an IP literal.
func IsIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// ValidateHost checks that s is a DNS host name (RFC 1123 labels) a peer can
// resolve. A name whose last label is numeric is refused: it is a mistyped IP.
func ValidateHost(s string) error {
	if s == "" {
		return errors.New("host is empty")
	}
	if len(s) > 253 {
		return fmt.Errorf("%s is longer than 253 characters", strconv.Quote(s[:32]+"..."))
	}
	labelStart := 0
	allDigits := true
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			label := s[labelStart:i]
			if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
				return fmt.Errorf("%s is not a valid host name", strconv.Quote(s))
			}
			if i == len(s) && allDigits {
				return fmt.Errorf("%s is not a valid host name or IP address", strconv.Quote(s))
			}
			labelStart = i + 1
			allDigits = true
			continue
		}
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
			allDigits = false
		default:
			return fmt.Errorf("%s is not a valid host name", strconv.Quote(s))
		}
	}
	return nil
}

// ParsePort parses a decimal port.
func ParsePort(s string) (int, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("%s is not a valid port", strconv.Quote(s))
	}
	p, err := strconv.Atoi(s)
	if err != nil || !ValidPort(p) || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%s is not a valid port", strconv.Quote(s))
	}
	return p, nil
}

// Address is a parsed "host[:port]": exactly one of Host or IP is set; Port is
// zero when the address carried none.
type Address struct {
	Host string
	IP   string
	Port int
}

// ParseAddress parses "host", "host:port", "ipv4[:port]", "ipv6" or
// "[ipv6][:port]".
func ParseAddress(s string) (Address, error) {
	host, portStr := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return Address{}, fmt.Errorf("%s has an unclosed '['", strconv.Quote(s))
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return Address{}, fmt.Errorf("%s is not host[:port]", strconv.Quote(s))
			}
			portStr = rest[1:]
			if portStr == "" {
				return Address{}, fmt.Errorf("%s has an empty port", strconv.Quote(s))
			}
		}
		if !strings.Contains(host, ":") {
			return Address{}, fmt.Errorf("%s: brackets are for IPv6 addresses only", strconv.Quote(s))
		}
	case strings.Count(s, ":") > 1:
		// A bare IPv6 literal; it cannot carry a port without brackets.
	case strings.Contains(s, ":"):
		i := strings.IndexByte(s, ':')
		host, portStr = s[:i], s[i+1:]
		if portStr == "" {
			return Address{}, fmt.Errorf("%s has an empty port", strconv.Quote(s))
		}
	}
	var a Address
	if portStr != "" {
		p, err := ParsePort(portStr)
		if err != nil {
			return Address{}, err
		}
		a.Port = p
	}
	if IsIP(host) {
		ip, err := CanonicalIP(host)
		if err != nil {
			return Address{}, err
		}
		a.IP = ip
		return a, nil
	}
	if strings.Contains(host, ":") {
		return Address{}, fmt.Errorf("%s is not a valid IPv6 address", strconv.Quote(host))
	}
	if err := ValidateHost(host); err != nil {
		return Address{}, err
	}
	a.Host = host
	return a, nil
}

// JoinHostPort formats host and port, bracketing IPv6 literals.
func JoinHostPort(host string, port int) string {
	b := make([]byte, 0, len(host)+8)
	return string(appendHostPort(b, host, port))
}

func appendHostPort(b []byte, host string, port int) []byte {
	if strings.IndexByte(host, ':') >= 0 {
		b = append(b, '[')
		b = append(b, host...)
		b = append(b, ']')
	} else {
		b = append(b, host...)
	}
	b = append(b, ':')
	return strconv.AppendInt(b, int64(port), 10)
}
