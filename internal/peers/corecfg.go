package peers

import (
	"fmt"
	"strconv"
	"strings"
)

// Network passphrases of the public Stellar networks.
const (
	PassphraseMainnet   = "Public Global Stellar Network ; September 2015"
	PassphraseTestnet   = "Test SDF Network ; September 2015"
	PassphraseFuturenet = "Test SDF Future Network ; October 2022"
)

// Passphrase returns the network passphrase for spec.network; Custom takes
// spec.networkPassphrase.
//
// Matching is case-insensitive: the original operator's serde form is lower
// case ("testnet").
func Passphrase(network, custom string) (string, error) {
	switch strings.ToLower(network) {
	case "mainnet":
		return PassphraseMainnet, nil
	case "testnet":
		return PassphraseTestnet, nil
	case "futurenet":
		return PassphraseFuturenet, nil
	case "custom":
		if custom == "" {
			return "", fmt.Errorf("network Custom needs spec.networkPassphrase")
		}
		return custom, nil
	default:
		return "", fmt.Errorf("%s is not one of Mainnet, Testnet, Futurenet, Custom", strconv.Quote(network))
	}
}

// CoreConfig is the part of stellar-core.cfg the node step owns.
type CoreConfig struct {
	NetworkPassphrase string
	PeerPort          int
	HTTPPort          int
	// PublicHTTPPort makes core's admin port listen on all interfaces. Only
	// set it together with a NetworkPolicy: the port has no authentication.
	PublicHTTPPort  bool
	NodeIsValidator bool
	HomeDomain      string
	DatabaseURL     string
	BucketDirPath   string
	// KnownPeers are stable host:port addresses, self excluded.
	KnownPeers []string
	Preferred  bool
	// Extra is raw TOML appended last (e.g. the quorum set's tables).
	Extra string
}

// Render renders the config deterministically. Top-level keys come first:
// TOML puts every key after a [table] header into that table.
func (c CoreConfig) Render() string {
	b := make([]byte, 0, 512+64*len(c.KnownPeers)*2+len(c.Extra))
	b = append(b, "# Rendered by function-stellar-peers. KNOWN_PEERS changes apply at the next\n"...)
	b = append(b, "# restart; peers are connected live through the PeerSync resource.\n"...)
	b = appendTOMLKey(b, "NETWORK_PASSPHRASE")
	b = appendTOMLString(b, c.NetworkPassphrase)
	b = appendTOMLKey(b, "\nPEER_PORT")
	b = strconv.AppendInt(b, int64(c.PeerPort), 10)
	b = appendTOMLKey(b, "\nHTTP_PORT")
	b = strconv.AppendInt(b, int64(c.HTTPPort), 10)
	b = appendTOMLKey(b, "\nPUBLIC_HTTP_PORT")
	b = strconv.AppendBool(b, c.PublicHTTPPort)
	b = appendTOMLKey(b, "\nNODE_IS_VALIDATOR")
	b = strconv.AppendBool(b, c.NodeIsValidator)
	if c.HomeDomain != "" {
		b = appendTOMLKey(b, "\nNODE_HOME_DOMAIN")
		b = appendTOMLString(b, c.HomeDomain)
	}
	b = appendTOMLKey(b, "\nDATABASE")
	b = appendTOMLString(b, c.DatabaseURL)
	b = appendTOMLKey(b, "\nBUCKET_DIR_PATH")
	b = appendTOMLString(b, c.BucketDirPath)
	b = append(b, '\n')
	b = AppendPeerSection(b, c.KnownPeers, c.Preferred)
	if c.Extra != "" {
		b = append(b, '\n')
		b = append(b, c.Extra...)
		if c.Extra[len(c.Extra)-1] != '\n' {
			b = append(b, '\n')
		}
	}
	return string(b)
}

func appendTOMLKey(b []byte, key string) []byte {
	b = append(b, key...)
	return append(b, " = "...)
}
