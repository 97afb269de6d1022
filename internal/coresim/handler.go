package coresim

import (
	"encoding/json"
	"fmt"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	bootingMessage = "Core is booting, try again later"
	welcomePage    = "Welcome to stellar-core!"
	connectUsage   = "Must specify a peer and port: connect&peer=PEER&port=PORT"
	dropPeerUsage  = "Must specify at least peer id: droppeer?node=NODE_ID[&ban=D]"
)

// parseQuery splits like core's parser: on & and the first =, no decoding,
// the last repeated key wins.
func parseQuery(raw string) map[string]string {
	q := map[string]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		q[k] = v
	}
	return q
}

// serve handles every request; the method is ignored, as core does.
func (n *Node) serve(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	req := Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Query: parseQuery(r.URL.RawQuery), Authorization: r.Header.Get("Authorization"), Time: n.opts.Now(),
	}
	n.requests = append(n.requests, req)
	fault := n.takeFault(req.Path)
	n.mu.Unlock()

	// Core answers HTTP/1.0 and closes after every reply.
	w.Header().Set("Connection", "close")

	if fault != nil && n.applyFault(w, r, fault) {
		return
	}

	n.mu.Lock()
	status, contentType, body := n.route(req)
	n.mu.Unlock()
	n.flushLinks()
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// applyFault misbehaves and reports whether the reply is complete.
func (n *Node) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch f.Kind {
	case FaultSlow:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		}
		return false
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	case FaultNotFound:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(welcomePage))
	case FaultException:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(compact("exception", f.Message)))
	case FaultReset:
		hj, ok := w.(http.Hijacker)
		if !ok {
			return true
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return true
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	default:
		return false
	}
	return true
}

// route answers a known command. Callers hold mu.
func (n *Node) route(req Request) (status int, contentType, body string) {
	const jsonType = "application/json"
	var handle func(map[string]string) string
	switch req.Path {
	case "/info":
		handle = n.info
	case "/peers":
		handle = n.peers
	case "/connect":
		handle = n.connect
	case "/droppeer":
		handle = n.dropPeer
	case "/quorum":
		handle = n.quorumRoute
	case "/sim/state":
		if n.opts.Introspect {
			return http.StatusOK, jsonType, n.simState()
		}
		return http.StatusNotFound, "text/html", welcomePage
	case "/sim/link":
		if n.opts.Introspect {
			return n.simLink(req.Query)
		}
		return http.StatusNotFound, "text/html", welcomePage
	default:
		return http.StatusNotFound, "text/html", welcomePage
	}
	if n.state == stellarcore.StateBooting {
		return http.StatusOK, jsonType, compact("error", bootingMessage)
	}
	return http.StatusOK, jsonType, handle(req.Query)
}

func (n *Node) info(map[string]string) string {
	n.promote(false)
	pendingCount := len(n.pendingIn) + len(n.pendingOut)
	info := obj{
		"build": "v23.0.1-sim",
		"ledger": obj{
			"age": 3, "baseFee": 100, "baseReserve": 5000000, "closeTime": n.opts.Now().Unix(),
			"hash": fmt.Sprintf("%064x", n.ledger), "maxTxSetSize": 1000, "num": n.ledger, "version": 23,
		},
		"network":          n.opts.Network,
		"peers":            obj{"authenticated_count": len(n.authIn) + len(n.authOut), "pending_count": pendingCount},
		"protocol_version": 23,
		"quorum":           n.infoQuorum(),
		"startedOn":        "2026-11-20T21:52:33Z",
		"state":            n.state,
	}
	if n.state == stellarcore.StateCatchingUp {
		info["status"] = list{"Catching up: downloading ledger files 20094/119803 (16%)"}
	}
	return styled(obj{"info": info})
}

func (n *Node) peers(map[string]string) string {
	n.promote(false)
	return styled(obj{
		"authenticated_peers": obj{"inbound": peerList(n.authIn, n.opts.Now()), "outbound": peerList(n.authOut, n.opts.Now())},
		"pending_peers":       obj{"inbound": stringList(n.pendingIn), "outbound": pendingList(n.pendingOut)},
	})
}

// peerList writes null for an empty list, as core does.
func peerList(ps []peer, now time.Time) any {
	if len(ps) == 0 {
		return nil
	}
	out := make(list, len(ps))
	for i, p := range ps {
		out[i] = obj{
			"address": p.address, "elapsed": int64(now.Sub(p.since).Seconds()), "id": p.id, "latency": 12, "olver": 35,
			"ver": "v23.0.1", "flow_control": obj{"local_capacity": obj{"flood": 200, "reading": 200}, "peer_capacity": 200},
		}
	}
	return out
}

func stringList(ss []string) any {
	if len(ss) == 0 {
		return nil
	}
	out := make(list, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func pendingList(ps []pending) any {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.address
	}
	return stringList(ss)
}

func (n *Node) connect(q map[string]string) string {
	host, okHost := q["peer"]
	portText, okPort := q["port"]
	if !okHost || !okPort || host == "" || portText == "" {
		return connectUsage
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return compact("exception", "Invalid port: "+portText)
	}
	ip, ok := n.resolve(host)
	if !ok {
		return compact("exception", fmt.Sprintf("Could not resolve '%s:%s': Host not found (authoritative)", host, portText))
	}
	address := netip.AddrPortFrom(ip, uint16(port)).String()
	reply := "Connect to: " + host + ":" + portText
	switch {
	case n.connected(address):
		// Core accepts the call but logs an ERROR asking to report a bug.
		n.alreadyErrors++
	case len(n.pendingOut) >= n.opts.MaxPendingOutbound:
		n.droppedConnects++
	default:
		due := n.opts.Now().Add(max(n.opts.PendingDelay, 0))
		n.pendingOut = append(n.pendingOut, pending{address: address, due: due})
		n.link(address, linkPending)
	}
	return reply
}

// resolve maps a peer host to an IPv4 address the way core would, from the
// Hosts table only.
func (n *Node) resolve(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, ip.Is4()
	}
	if s, ok := n.opts.Hosts[host]; ok {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			return ip, true
		}
	}
	if n.opts.Resolve != nil {
		if ip, ok := n.opts.Resolve(host); ok && ip.Unmap().Is4() {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func (n *Node) dropPeer(q map[string]string) string {
	id := q["node"]
	if id == "" {
		return dropPeerUsage
	}
	for _, ps := range []*[]peer{&n.authIn, &n.authOut} {
		for i, p := range *ps {
			if p.id == id {
				*ps = append((*ps)[:i:i], (*ps)[i+1:]...)
				if q["ban"] == "1" {
					return "Drop and ban peer: " + id
				}
				return "Drop peer: " + id
			}
		}
	}
	return "Peer " + id + " not found"
}

// SimState is what GET /sim/state answers when Options.Introspect is set: the peer table (pending connects that
// are due authenticated first, as a request would), every /connect the node was asked for, and the counters tests
// assert on.
type SimState struct {
	State                  string    `json:"state"`
	Peers                  PeerTable `json:"peers"`
	Connects               []Connect `json:"connects"`
	AlreadyConnectedErrors int       `json:"alreadyConnectedErrors"`
	DroppedConnects        int       `json:"droppedConnects"`
}

// Connect is one /connect request as the node received it.
type Connect struct {
	Peer string    `json:"peer"`
	Port string    `json:"port"`
	Time time.Time `json:"time"`
}

// simLink answers /sim/link?from=IP:PORT&state=pending|authenticated|dropped: the far end of a connection another
// simulated node opened to this one, which a test relays when the nodes run in separate processes (pods) and no
// Fabric links them. Callers hold mu.
func (n *Node) simLink(q map[string]string) (status int, contentType, body string) {
	// Core's own query parser does not unescape; an HTTP client escapes the colon.
	from, err := url.QueryUnescape(q["from"])
	if err != nil {
		return http.StatusBadRequest, "text/plain", "want from=IP:PORT"
	}
	if _, err := netip.ParseAddrPort(from); err != nil {
		return http.StatusBadRequest, "text/plain", "want from=IP:PORT"
	}
	kinds := map[string]linkKind{"pending": linkPending, "authenticated": linkAuthenticated, "dropped": linkDropped}
	kind, ok := kinds[q["state"]]
	if !ok {
		return http.StatusBadRequest, "text/plain", "want state=pending, authenticated or dropped"
	}
	n.applyLinkLocked(from, kind)
	return http.StatusOK, "application/json", `{"status":"ok"}`
}

// simState answers /sim/state. Callers hold mu.
func (n *Node) simState() string {
	n.promote(false)
	s := SimState{State: n.state, Peers: n.peerTable(), AlreadyConnectedErrors: n.alreadyErrors, DroppedConnects: n.droppedConnects}
	for _, r := range n.requests {
		if r.Path == "/connect" {
			s.Connects = append(s.Connects, Connect{Peer: r.Query["peer"], Port: r.Query["port"], Time: r.Time})
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return compact("exception", err.Error())
	}
	return string(b)
}
