package peers

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// peerLine is one entry of peers.json, in the order AppendPeersJSON writes
// its keys.
type peerLine struct {
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	NodeType   string `json:"nodeType"`
	Host       string `json:"host"`
	IP         string `json:"ip"`
	Port       int    `json:"port"`
	PeerString string `json:"peerString"`
	External   bool   `json:"external,omitempty"`
}

// ParsePeersJSON reads a directory's peers.json back. Entries that do not
// validate are skipped and reported; the rest are returned sorted.
func ParsePeersJSON(data string) ([]Peer, []error, error) {
	var in []peerLine
	if err := json.Unmarshal([]byte(data), &in); err != nil {
		return nil, nil, fmt.Errorf("cannot parse %s: %w", KeyPeersJSON, err)
	}
	out := make([]Peer, 0, len(in))
	var bad []error
	for i, jp := range in {
		p := Peer{Name: jp.Name, Namespace: jp.Namespace, NodeType: jp.NodeType, Host: jp.Host, IP: jp.IP, Port: jp.Port, External: jp.External}
		if err := p.Validate(); err != nil {
			bad = append(bad, fmt.Errorf("%s[%d] %s: %w", KeyPeersJSON, i, strconv.Quote(p.Key()), err))
			continue
		}
		out = append(out, p)
	}
	Sort(out)
	return out, bad, nil
}
