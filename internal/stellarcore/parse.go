package stellarcore

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Command names, as they appear in errors.
const (
	cmdInfo     = "info"
	cmdPeers    = "peers"
	cmdConnect  = "connect"
	cmdDropPeer = "droppeer"
)

// errorReply holds the two failure shapes core sends with HTTP 200.
type errorReply struct {
	Error     *string `json:"error"`
	Exception *string `json:"exception"`
}

// failure returns the typed error for an error or exception body, or nil.
func (r errorReply) failure(command string) error {
	switch {
	case r.Exception != nil:
		return &ExceptionError{Command: command, Message: *r.Exception}
	case r.Error != nil && strings.Contains(strings.ToLower(*r.Error), "booting"):
		return &BootingError{Message: *r.Error}
	case r.Error != nil:
		return &ExceptionError{Command: command, Message: *r.Error}
	}
	return nil
}

// decodeReply decodes the JSON reply of command into R and returns core's
// error or exception reply as its typed error.
func decodeReply[R any, P interface {
	*R
	failure(command string) error
}](command string, body []byte) (*R, error) {
	r := P(new(R))
	if err := json.Unmarshal(body, r); err != nil {
		return nil, &UnexpectedReplyError{Command: command, Body: snippet(body), Err: err}
	}
	if err := r.failure(command); err != nil {
		return nil, err
	}
	return r, nil
}

// jsonFailure recognizes an error or exception object in a body that should
// have been plain text.
func jsonFailure(command string, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var r errorReply
	if err := json.Unmarshal(trimmed, &r); err != nil {
		return nil
	}
	return r.failure(command)
}

type infoReply struct {
	errorReply
	Info *struct {
		Build           string `json:"build"`
		ProtocolVersion int    `json:"protocol_version"`
		State           string `json:"state"`
		StartedOn       string `json:"startedOn"`
		Ledger          struct {
			Num       uint64 `json:"num"`
			Hash      string `json:"hash"`
			CloseTime int64  `json:"closeTime"`
			Version   int    `json:"version"`
			Age       int64  `json:"age"`
		} `json:"ledger"`
		Peers struct {
			Pending       int `json:"pending_count"`
			Authenticated int `json:"authenticated_count"`
		} `json:"peers"`
		Network string   `json:"network"`
		Status  []string `json:"status"`
		// Read apart: a quorum section this parser cannot read must not
		// hide the state, which gates everything else.
		Quorum json.RawMessage `json:"quorum"`
	} `json:"info"`
}

// ParseInfo parses a /info body.
func ParseInfo(body []byte) (Info, error) {
	r, err := decodeReply[infoReply](cmdInfo, body)
	if err != nil {
		return Info{}, err
	}
	if r.Info == nil || r.Info.State == "" {
		return Info{}, &UnexpectedReplyError{Command: cmdInfo, Body: snippet(body)}
	}
	i := r.Info
	var quorum *Quorum
	var qj quorumJSON
	if len(i.Quorum) > 0 && json.Unmarshal(i.Quorum, &qj) == nil {
		if q, err := qj.quorum(); err == nil {
			quorum = &q
		}
	}
	return Info{
		Build:           i.Build,
		ProtocolVersion: i.ProtocolVersion,
		State:           i.State,
		StartedOn:       i.StartedOn,
		Ledger: Ledger{
			Num:       i.Ledger.Num,
			Hash:      i.Ledger.Hash,
			CloseTime: i.Ledger.CloseTime,
			Version:   i.Ledger.Version,
			Age:       i.Ledger.Age,
		},
		Peers:   PeerCounts{Pending: i.Peers.Pending, Authenticated: i.Peers.Authenticated},
		Network: i.Network,
		Status:  i.Status,
		Quorum:  quorum,
	}, nil
}

type peerJSON struct {
	Address string `json:"address"`
	ID      string `json:"id"`
	Version string `json:"ver"`
	Elapsed int64  `json:"elapsed"`
	Latency int64  `json:"latency"`
	OLVer   int    `json:"olver"`
}

// Lists may be JSON null when empty; decoding null into a slice leaves it nil.
type peersReply struct {
	errorReply
	Authenticated *struct {
		Inbound  []peerJSON `json:"inbound"`
		Outbound []peerJSON `json:"outbound"`
	} `json:"authenticated_peers"`
	Pending *struct {
		Inbound  []string `json:"inbound"`
		Outbound []string `json:"outbound"`
	} `json:"pending_peers"`
}

// ParsePeers parses a /peers body.
func ParsePeers(body []byte) (Peers, error) {
	r, err := decodeReply[peersReply](cmdPeers, body)
	if err != nil {
		return Peers{}, err
	}
	if r.Authenticated == nil && r.Pending == nil {
		return Peers{}, &UnexpectedReplyError{Command: cmdPeers, Body: snippet(body)}
	}
	var p Peers
	if r.Authenticated != nil {
		p.AuthenticatedInbound = toPeers(r.Authenticated.Inbound)
		p.AuthenticatedOutbound = toPeers(r.Authenticated.Outbound)
	}
	if r.Pending != nil {
		p.PendingInbound = r.Pending.Inbound
		p.PendingOutbound = r.Pending.Outbound
	}
	return p, nil
}

func toPeers(in []peerJSON) []Peer {
	if len(in) == 0 {
		return nil
	}
	out := make([]Peer, len(in))
	for i, p := range in {
		out[i] = Peer{Address: p.Address, ID: p.ID, Version: p.Version, Elapsed: p.Elapsed, Latency: p.Latency, OverlayVersion: p.OLVer}
	}
	return out
}

const (
	connectOKPrefix   = "Connect to: "
	connectUsageReply = "Must specify a peer and port"
)

// ParseConnect parses a /connect body and returns the address core accepted.
// Core answers at once and connects asynchronously, so success only means the
// request was queued.
func ParseConnect(body []byte) (string, error) {
	if err := jsonFailure(cmdConnect, body); err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(body))
	if target, ok := strings.CutPrefix(s, connectOKPrefix); ok && target != "" {
		return target, nil
	}
	if strings.HasPrefix(s, connectUsageReply) {
		return "", &ExceptionError{Command: cmdConnect, Message: s}
	}
	return "", &UnexpectedReplyError{Command: cmdConnect, Body: snippet(body)}
}

// ParseDropPeer parses a /droppeer body: found is false for "Peer ... not found".
func ParseDropPeer(body []byte) (found bool, err error) {
	if err := jsonFailure(cmdDropPeer, body); err != nil {
		return false, err
	}
	s := strings.TrimSpace(string(body))
	switch {
	case strings.HasPrefix(s, "Drop peer: "), strings.HasPrefix(s, "Drop and ban peer: "):
		return true, nil
	case strings.HasPrefix(s, "Peer ") && strings.HasSuffix(s, " not found"):
		return false, nil
	case strings.HasPrefix(s, "Must specify"):
		return false, &ExceptionError{Command: cmdDropPeer, Message: s}
	}
	return false, &UnexpectedReplyError{Command: cmdDropPeer, Body: snippet(body)}
}
