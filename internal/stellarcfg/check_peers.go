package stellarcfg

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// peerAddress is the regular expression of PeerBareAddress::resolve
// (src/overlay/PeerBareAddress.cpp at a9b8613218e141ddb89d621e5f04d4c75a149d36):
// an IPv4 address or a name of letters, digits, '.' and '-', and an
// optional port. No IPv6.
var peerAddress = regexp.MustCompile(`^(?:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})|([[:alnum:].-]+))(?::(\d{1,5}))?$`)

// peers checks KNOWN_PEERS, PREFERRED_PEERS and validators' ADDRESS (which
// core adds to those lists, Config.cpp line 816). Core resolves them when the
// overlay starts (src/overlay/OverlayManagerImpl.cpp resolvePeers, same
// commit); one it cannot parse is logged and skipped, so this is not fatal.
func (c *checker) peers() {
	for _, a := range c.addresses {
		m := peerAddress.FindStringSubmatch(a.addr)
		if m == nil {
			c.add(a.key, RulePeerAddress, false, "%q is not host[:port] with an IPv4 address or a name of letters, digits, '.' and '-'", abbreviate(a.addr))
			continue
		}
		if m[1] != "" {
			for _, octet := range strings.Split(m[1], ".") {
				if v, _ := strconv.Atoi(octet); v > 255 {
					c.add(a.key, RulePeerAddress, false, "%q is not an IPv4 address", m[1])
					break
				}
			}
		}
		if m[3] != "" {
			if p, _ := strconv.Atoi(m[3]); p < 1 || p > math.MaxUint16 {
				c.add(a.key, RulePeerAddress, false, "%q has port %s, outside 1-65535", a.addr, m[3])
			}
		}
	}
}
