package peers

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
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
// peers give byte-identical data. All four values are rendered into one
// buffer sized up front, so rendering allocates once.
func Render(sorted []Peer, preferred bool) Data {
	n := 64
	for i := range sorted {
		p := &sorted[i]
		// peers.json line + peers.txt line + one or two TOML lines, with
		// room for escapes.
		n += 2*(len(p.Name)+len(p.Namespace)+len(p.NodeType)+len(p.Host)+len(p.IP)) + 3*(len(p.Host)+len(p.IP)) + 200
		if preferred {
			n += len(p.Host) + len(p.IP) + 16
		}
	}
	b := make([]byte, 0, n)
	b = AppendPeersJSON(b, sorted)
	j := len(b)
	b = AppendPeersTxt(b, sorted)
	t := len(b)
	b = appendPeerSectionOf(b, sorted, preferred)
	// The values share b: nothing writes to it once rendered, so it becomes
	// their string without a copy.
	all := unsafe.String(unsafe.SliceData(b), len(b))
	return Data{
		PeersJSON:  all[:j],
		PeersTxt:   all[j:t],
		PeerCount:  strconv.Itoa(len(sorted)),
		KnownPeers: all[t:],
	}
}

// appendPeerSectionOf renders the stellar-core TOML peer section of the
// peers' stable addresses: KNOWN_PEERS, and PREFERRED_PEERS with the same
// entries when preferred. Written by hand, not with go-toml as the rest of our
// TOML: at 1,000 peers it takes 0.22 ms and 2 allocations against go-toml's
// 0.41 ms and 2,005 (BenchmarkKnownPeers, 2026-12-02); TestKnownPeersIsTOML
// reads it back with go-toml.
func appendPeerSectionOf(b []byte, sorted []Peer, preferred bool) []byte {
	keys := []string{"KNOWN_PEERS"}
	if preferred {
		keys = append(keys, "PREFERRED_PEERS")
	}
	for _, key := range keys {
		b = append(b, key...)
		if len(sorted) == 0 {
			b = append(b, " = []\n"...)
			continue
		}
		b = append(b, " = [\n"...)
		for i := range sorted {
			b = append(b, "  "...)
			start := len(b)
			b = sorted[i].appendStableAddress(b)
			if needsTOMLEscape(b[start:]) {
				addr := string(b[start:])
				b = appendTOMLString(b[:start], addr)
			} else {
				b = append(b[:start+1], b[start:]...)
				b[start] = '"'
				b = append(b, '"')
			}
			if i < len(sorted)-1 {
				b = append(b, ',') // no trailing comma: older TOML parsers refuse it
			}
			b = append(b, '\n')
		}
		b = append(b, "]\n"...)
	}
	return b
}

// needsTOMLEscape reports whether s is not printable ASCII without quotes
// and backslashes.
func needsTOMLEscape(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// AppendPeersJSON renders peers.json in one pass: a JSON array, one object per
// line, keys in a fixed order. Written by hand, not with encoding/json as the
// rest of our JSON: at 1,000 peers it takes 0.17 ms and 1 allocation against
// encoding/json's 0.91 ms and 3,014 (BenchmarkPeersJSON, 2026-12-02);
// TestPeersJSONWithEncodingJSONIsTheSame holds the bytes equal.
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

// A directory whose plain data does not fit MaxConfigMapBytes publishes its
// bulk gzip-compressed in binaryData under these keys, and only peer_count in
// data. The content of each is exactly the plain key's.
const (
	KeyPeersJSONGzip  = KeyPeersJSON + ".gz"
	KeyPeersTxtGzip   = KeyPeersTxt + ".gz"
	KeyKnownPeersGzip = KeyKnownPeers + ".gz"
)

// maxGunzipBytes bounds what Gunzip inflates, so a hostile ConfigMap cannot
// exhaust memory: far above any directory that fits.
const maxGunzipBytes = 64 << 20

// Published is what a directory writes into its ConfigMap.
type Published struct {
	Data       map[string]string
	BinaryData map[string][]byte
}

// Size is what the published data counts against MaxConfigMapBytes.
func (p Published) Size() int {
	n := 0
	for k, v := range p.Data {
		n += len(k) + len(v)
	}
	for k, v := range p.BinaryData {
		n += len(k) + len(v)
	}
	return n
}

// Publish chooses the ConfigMap layout: the four plain keys when they fit
// MaxConfigMapBytes (every directory up to about 2,500 validators), else
// peer_count plus the three others gzip-compressed in binaryData. The choice
// depends only on the data, so it is deterministic.
func (d Data) Publish() Published {
	if d.Size() <= MaxConfigMapBytes {
		return Published{Data: map[string]string{
			KeyPeersJSON: d.PeersJSON, KeyPeersTxt: d.PeersTxt, KeyPeerCount: d.PeerCount, KeyKnownPeers: d.KnownPeers,
		}}
	}
	// The three are independent: compressing them at once takes a large
	// directory's call about 10 ms less at 10,000 validators on two cores.
	var peersJSON, peersTxt []byte
	var wg sync.WaitGroup
	wg.Go(func() { peersJSON = Gzip(d.PeersJSON) })
	wg.Go(func() { peersTxt = Gzip(d.PeersTxt) })
	knownPeers := Gzip(d.KnownPeers)
	wg.Wait()
	return Published{
		Data: map[string]string{KeyPeerCount: d.PeerCount},
		BinaryData: map[string][]byte{
			KeyPeersJSONGzip:  peersJSON,
			KeyPeersTxtGzip:   peersTxt,
			KeyKnownPeersGzip: knownPeers,
		},
	}
}

// gzipLevel trades size for time: on a 10,000 peer directory level 4 is
// 7% larger than level 9 and 8x faster.
const gzipLevel = 4

// Gzip compresses s deterministically: no name, no modification time, a
// fixed level, so identical input gives identical bytes.
func Gzip(s string) []byte {
	var buf bytes.Buffer
	buf.Grow(len(s)/8 + 64)
	zw, err := gzip.NewWriterLevel(&buf, gzipLevel)
	if err != nil {
		panic(err) // only for an invalid level
	}
	// An io.Writer must not modify what it is given: no copy of s. A
	// bytes.Buffer does not fail.
	_, _ = zw.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
	_ = zw.Close()
	return buf.Bytes()
}

// Gunzip inflates what Gzip compressed, up to 64 MiB.
func Gunzip(b []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("cannot read gzip data: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxGunzipBytes+1))
	if err != nil {
		return "", fmt.Errorf("cannot inflate gzip data: %w", err)
	}
	if len(out) > maxGunzipBytes {
		return "", fmt.Errorf("cannot inflate gzip data: more than %d bytes", maxGunzipBytes)
	}
	return string(out), nil
}
