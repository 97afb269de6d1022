package peers

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Keys of the directory ConfigMap.
const (
	KeyPeersJSON  = "peers.json"
	KeyPeersTxt   = "peers.txt"
	KeyPeerCount  = "peer_count"
	KeyKnownPeers = "known-peers.cfg"
)

// MaxConfigMapBytes is the API server's limit on a ConfigMap's data.
const MaxConfigMapBytes = 1 << 20

// Data is the directory ConfigMap's data.
type Data struct {
	PeersJSON  string
	PeersTxt   string
	PeerCount  string
	KnownPeers string
}

// Size is what the data counts against MaxConfigMapBytes (keys and values).
func (d Data) Size() int {
	return len(KeyPeersJSON) + len(d.PeersJSON) + len(KeyPeersTxt) + len(d.PeersTxt) +
		len(KeyPeerCount) + len(d.PeerCount) + len(KeyKnownPeers) + len(d.KnownPeers)
}

// Render renders sorted peers into the directory's ConfigMap data. Identical
// peers give byte-identical data.
func Render(sorted []Peer, preferred bool) Data {
	return Data{
		PeersJSON:  string(AppendPeersJSON(make([]byte, 0, 192*len(sorted)+4), sorted)),
		PeersTxt:   string(AppendPeersTxt(make([]byte, 0, 24*len(sorted)), sorted)),
		PeerCount:  strconv.Itoa(len(sorted)),
		KnownPeers: string(AppendPeerSection(make([]byte, 0, 64*len(sorted)+40), StableAddresses(sorted), preferred)),
	}
}

// Hash is a short, stable fingerprint of a peers.json, for status.peersHash.
func Hash(peersJSON string) string {
	sum := sha256.Sum256([]byte(peersJSON))
	return hex.EncodeToString(sum[:])
}

// AppendPeersJSON renders peers.json in one pass: a JSON array, one object per
// line, keys in a fixed order.
func AppendPeersJSON(b []byte, sorted []Peer) []byte {
	if len(sorted) == 0 {
		return append(b, "[]\n"...)
	}
	b = append(b, "[\n"...)
	for i, p := range sorted {
		b = append(b, `  {"name":`...)
		b = appendJSONString(b, p.Name)
		b = append(b, `,"namespace":`...)
		b = appendJSONString(b, p.Namespace)
		b = append(b, `,"nodeType":`...)
		b = appendJSONString(b, p.NodeType)
		b = append(b, `,"host":`...)
		b = appendJSONString(b, p.Host)
		b = append(b, `,"ip":`...)
		b = appendJSONString(b, p.IP)
		b = append(b, `,"port":`...)
		b = strconv.AppendInt(b, int64(p.Port), 10)
		b = append(b, `,"peerString":"`...)
		b = p.appendPeerString(b) // validated: nothing to escape
		b = append(b, '"')
		if p.External {
			b = append(b, `,"external":true`...)
		}
		b = append(b, '}')
		if i < len(sorted)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "]\n"...)
}

// AppendPeersTxt renders one peerString per line, with a trailing newline.
func AppendPeersTxt(b []byte, sorted []Peer) []byte {
	for _, p := range sorted {
		b = p.appendPeerString(b)
		b = append(b, '\n')
	}
	return b
}

// StableAddresses returns each peer's StableAddress, in order.
func StableAddresses(ps []Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.StableAddress()
	}
	return out
}

// AppendPeerSection renders the stellar-core TOML peer section:
// KNOWN_PEERS, and PREFERRED_PEERS with the same entries when preferred.
func AppendPeerSection(b []byte, addrs []string, preferred bool) []byte {
	b = appendTOMLArray(b, "KNOWN_PEERS", addrs)
	if preferred {
		b = appendTOMLArray(b, "PREFERRED_PEERS", addrs)
	}
	return b
}

func appendTOMLArray(b []byte, key string, items []string) []byte {
	b = append(b, key...)
	if len(items) == 0 {
		return append(b, " = []\n"...)
	}
	b = append(b, " = [\n"...)
	for i, it := range items {
		b = append(b, "  "...)
		b = appendTOMLString(b, it)
		if i < len(items)-1 {
			b = append(b, ',') // no trailing comma: older TOML parsers refuse it
		}
		b = append(b, '\n')
	}
	return append(b, "]\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes s as a JSON string; invalid UTF-8 becomes U+FFFD
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendTOMLString escapes s as a TOML basic string.
func appendTOMLString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
