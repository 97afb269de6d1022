package peersync

import (
	"net"
	"time"

	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

// Deps are the provider's ties to the network and the clock, injectable so
// tests never leave loopback and never use the system resolver.
type Deps struct {
	// Dial opens connections to admin endpoints, after the allowlist check.
	// Nil means a plain net.Dialer.
	Dial netguard.DialContextFunc
	// Resolver resolves admin endpoint and peer host names. Nil means
	// net.DefaultResolver.
	Resolver netguard.Resolver
	// Now is the clock for connect backoff. Nil means time.Now.
	Now func() time.Time
}

func (d Deps) withDefaults() Deps {
	if d.Dial == nil {
		d.Dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	if d.Resolver == nil {
		d.Resolver = net.DefaultResolver
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}
