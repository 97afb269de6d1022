package harness

import (
	"fmt"

	"github.com/pelletier/go-toml/v2"
)

// KnownPeers reads KNOWN_PEERS from a rendered stellar-core.cfg. Tests parse the config rather than grep it, so a
// change of TOML quoting cannot make them pass or fail.
func KnownPeers(cfg string) ([]string, error) {
	var doc struct {
		KnownPeers []string `toml:"KNOWN_PEERS"`
	}
	if err := toml.Unmarshal([]byte(cfg), &doc); err != nil {
		return nil, fmt.Errorf("stellar-core.cfg is not TOML: %w", err)
	}
	return doc.KnownPeers, nil
}
