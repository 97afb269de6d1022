package coresim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
)

func start(t *testing.T, opts Options) *Node {
	t.Helper()
	n, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func client(t *testing.T, n *Node) *stellarcore.Client {
	t.Helper()
	c, err := stellarcore.New(n.URL(), stellarcore.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get returns status, content type and body of a raw request.
func get(t *testing.T, method, url string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // Test helper.
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Close {
		t.Errorf("%s %s: connection kept open; core closes after every reply", method, url)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.0.0.1:0", "[::]:0", "localhost:0", "192.168.1.1:11626", "nonsense"} {
		if n, err := Start(Options{Addr: addr}); err == nil {
			_ = n.Close()
			t.Errorf("Start(%q) listened", addr)
		}
	}
}

func TestStartOnOtherLoopbackAddress(t *testing.T) {
	n := start(t, Options{Addr: "127.0.0.2:0"})
	if _, err := client(t, n).Info(context.Background()); err != nil {
		t.Fatalf("Info on 127.0.0.2: %v", err)
	}
}

func TestBodiesMatchCoreShapes(t *testing.T) {
	n := start(t, Options{})
	status, contentType, body := get(t, http.MethodGet, n.URL()+"/peers")
	want, err := os.ReadFile("../stellarcore/testdata/peers-empty.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), body); diff != "" {
		t.Errorf("empty /peers differs from core's: -want +got:\n%s", diff)
	}
	if status != http.StatusOK || contentType != "application/json" {
		t.Errorf("/peers: got %d %q", status, contentType)
	}

	n.SetState(stellarcore.StateBooting)
	_, _, body = get(t, http.MethodPost, n.URL()+"/info")
	want, err = os.ReadFile("../stellarcore/testdata/info-booting.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), body); diff != "" {
		t.Errorf("booting body: -want +got:\n%s", diff)
	}

	status, contentType, body = get(t, http.MethodGet, n.URL()+"/http-command?admin=true&command=config-reload")
	if diff := cmp.Diff([]any{404, "text/html", "Welcome to stellar-core!"}, []any{status, contentType, body}); diff != "" {
		t.Errorf("unknown path: -want +got:\n%s", diff)
	}
}

func TestInfoStates(t *testing.T) {
	cases := map[string]struct {
		state      string
		wantState  string
		wantStatus []string
		wantErr    bool
	}{
		"Synced":     {state: stellarcore.StateSynced, wantState: stellarcore.StateSynced},
		"CatchingUp": {state: stellarcore.StateCatchingUp, wantState: stellarcore.StateCatchingUp, wantStatus: []string{"Catching up: downloading ledger files 20094/119803 (16%)"}},
		"JoiningSCP": {state: stellarcore.StateJoiningSCP, wantState: stellarcore.StateJoiningSCP},
		"Stopping":   {state: stellarcore.StateStopping, wantState: stellarcore.StateStopping},
		"Booting":    {state: stellarcore.StateBooting, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := start(t, Options{State: tc.state, Ledger: 4242})
			n.AddInbound("1.2.3.4:11625", "")
			info, err := client(t, n).Info(context.Background())
			if tc.wantErr {
				if !stellarcore.IsBooting(err) {
					t.Fatalf("want booting error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []any{info.State, info.Ledger.Num, info.Peers.Authenticated, info.Status}
			want := []any{tc.wantState, uint64(4242), 1, tc.wantStatus}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("info: -want +got:\n%s", diff)
			}
		})
	}
}

func TestConnectLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	n := start(t, Options{PendingDelay: 10 * time.Second, Now: func() time.Time { return now }})
	c := client(t, n)

	if _, err := c.Connect(ctx, "10.0.0.7", 11625); err != nil {
		t.Fatal(err)
	}
	p, err := c.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.0.0.7:11625"}, p.PendingOutbound); diff != "" {
		t.Errorf("pending after connect: -want +got:\n%s", diff)
	}

	now = now.Add(10 * time.Second)
	p, err = c.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.PendingOutbound) != 0 || len(p.AuthenticatedOutbound) != 1 || p.AuthenticatedOutbound[0].Address != "10.0.0.7:11625" {
		t.Errorf("after the delay want one authenticated outbound, got %+v", p)
	}
	if n.AlreadyConnectedErrors() != 0 {
		t.Errorf("AlreadyConnectedErrors = %d", n.AlreadyConnectedErrors())
	}
}

// TestSnapshotAuthenticatesDueConnects: a test's look at the peer table sees a due connect authenticated, as core
// completes a handshake without anyone asking, and the fabric mirrors it on the remote node.
func TestSnapshotAuthenticatesDueConnects(t *testing.T) {
	f := NewFabric()
	a, b := start(t, Options{}), start(t, Options{Addr: "127.0.0.3:0"})
	f.Join(a, "127.0.1.2:11625")
	f.Join(b, "127.0.1.3:11625")
	if _, err := client(t, a).Connect(context.Background(), "127.0.1.3", 11625); err != nil {
		t.Fatal(err)
	}
	got := [][]string{a.Peers().AuthenticatedOutbound, b.Peers().AuthenticatedInbound}
	if diff := cmp.Diff([][]string{{"127.0.1.3:11625"}, {"127.0.1.2:11625"}}, got); diff != "" {
		t.Errorf("[a outbound, b inbound] with no /peers request: -want +got:\n%s", diff)
	}
}

func TestConnectPendingDelayModes(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		delay    time.Duration
		tick     bool
		wantAuth int
		wantPend int
	}{
		"ZeroAuthenticatesOnNextPeers": {delay: 0, wantAuth: 1},
		"NegativeWaitsForTick":         {delay: -1, wantPend: 1},
		"NegativeAfterTick":            {delay: -1, tick: true, wantAuth: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := start(t, Options{PendingDelay: tc.delay})
			c := client(t, n)
			if _, err := c.Connect(ctx, "10.0.0.7", 11625); err != nil {
				t.Fatal(err)
			}
			if tc.tick {
				n.Tick()
			}
			p, err := c.Peers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]int{tc.wantAuth, tc.wantPend}, []int{len(p.AuthenticatedOutbound), len(p.PendingOutbound)}); diff != "" {
				t.Errorf("[authenticated, pending]: -want +got:\n%s", diff)
			}
		})
	}
}

func TestConnectEdgeCases(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		setup       func(n *Node)
		host        string
		port        int
		wantErr     bool
		wantAlready int
		wantDropped int
		wantTable   PeerTable
	}{
		"AlreadyAuthenticatedInbound": {
			setup: func(n *Node) { n.AddInbound("10.0.0.7:11625", "") }, host: "10.0.0.7", port: 11625,
			wantAlready: 1, wantTable: PeerTable{AuthenticatedInbound: []string{"10.0.0.7:11625"}},
		},
		"AlreadyPendingInbound": {
			setup: func(n *Node) { n.AddPendingInbound("10.0.0.7:11625") }, host: "10.0.0.7", port: 11625,
			wantAlready: 1, wantTable: PeerTable{PendingInbound: []string{"10.0.0.7:11625"}},
		},
		"AlreadyByHostName": {
			setup: func(n *Node) { n.AddOutbound("10.0.0.7:11625", "") }, host: "v7.stellar.svc", port: 11625,
			wantAlready: 1, wantTable: PeerTable{AuthenticatedOutbound: []string{"10.0.0.7:11625"}},
		},
		"HostNameResolvedFromTable": {
			host: "v7.stellar.svc", port: 11625, wantTable: PeerTable{PendingOutbound: []string{"10.0.0.7:11625"}},
		},
		"UnknownHostName": {host: "validator-9.stellar.svc", port: 11625, wantErr: true},
		"PendingFull": {
			setup: func(n *Node) {
				n.opts.MaxPendingOutbound = 1
				n.pendingOut = append(n.pendingOut, pending{address: "10.0.0.1:11625"})
			},
			host: "10.0.0.7", port: 11625, wantDropped: 1, wantTable: PeerTable{PendingOutbound: []string{"10.0.0.1:11625"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := start(t, Options{PendingDelay: -1, Hosts: map[string]string{"v7.stellar.svc": "10.0.0.7"}})
			if tc.setup != nil {
				tc.setup(n)
			}
			_, err := client(t, n).Connect(ctx, tc.host, tc.port)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Connect error: %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && !stellarcore.IsException(err) {
				t.Errorf("want an exception reply, got %v", err)
			}
			got := []int{n.AlreadyConnectedErrors(), n.DroppedConnects()}
			if diff := cmp.Diff([]int{tc.wantAlready, tc.wantDropped}, got); diff != "" {
				t.Errorf("[already, dropped]: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTable, n.Peers(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("peer table: -want +got:\n%s", diff)
			}
		})
	}
}

func TestConnectRawReplies(t *testing.T) {
	n := start(t, Options{PendingDelay: -1})
	cases := map[string]struct {
		query string
		want  string
	}{
		"MissingPort":    {query: "peer=10.0.0.1", want: "Must specify a peer and port: connect&peer=PEER&port=PORT"},
		"MissingAll":     {query: "", want: "Must specify a peer and port: connect&peer=PEER&port=PORT"},
		"LastKeyWins":    {query: "peer=10.9.9.9&port=1&peer=10.0.0.2&port=11625", want: "Connect to: 10.0.0.2:11625"},
		"BadPort":        {query: "peer=10.0.0.3&port=x", want: `{"exception": "Invalid port: x"}`},
		"ResolveFailure": {query: "peer=nope&port=11625", want: `{"exception": "Could not resolve 'nope:11625': Host not found (authoritative)"}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, contentType, body := get(t, http.MethodGet, n.URL()+"/connect?"+tc.query)
			if diff := cmp.Diff([]any{200, "application/json", tc.want}, []any{status, contentType, body}); diff != "" {
				t.Errorf("reply: -want +got:\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(PeerTable{PendingOutbound: []string{"10.0.0.2:11625"}}, n.Peers(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("peer table: -want +got:\n%s", diff)
	}
}

func TestRefusedPeerDisappears(t *testing.T) {
	n := start(t, Options{PendingDelay: -1})
	n.Refuse("10.0.0.7:11625")
	if _, err := client(t, n).Connect(context.Background(), "10.0.0.7", 11625); err != nil {
		t.Fatal(err)
	}
	n.Tick()
	if diff := cmp.Diff(PeerTable{}, n.Peers(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("peer table: -want +got:\n%s", diff)
	}
}

func TestDropPeer(t *testing.T) {
	ctx := context.Background()
	n := start(t, Options{})
	n.AddOutbound("10.0.0.7:11625", "GPEER7")
	c := client(t, n)
	found, err := c.DropPeer(ctx, "GPEER7", true)
	if err != nil || !found {
		t.Fatalf("DropPeer: found=%v err=%v", found, err)
	}
	found, err = c.DropPeer(ctx, "GPEER7", false)
	if err != nil || found {
		t.Fatalf("second DropPeer: found=%v err=%v", found, err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		fault   Fault
		timeout time.Duration
		check   func(error) bool
	}{
		"Slow":      {fault: Fault{Kind: FaultSlow, Delay: time.Second}, timeout: 50 * time.Millisecond, check: stellarcore.IsUnreachable},
		"Status5xx": {fault: Fault{Kind: FaultStatus, Status: 502}, check: isStatus(502)},
		"NotFound":  {fault: Fault{Kind: FaultNotFound}, check: isStatus(404)},
		"Exception": {fault: Fault{Kind: FaultException, Message: "boom"}, check: stellarcore.IsException},
		"Reset":     {fault: Fault{Kind: FaultReset}, check: stellarcore.IsUnreachable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := start(t, Options{})
			tc.fault.Path, tc.fault.Times = "/info", 1
			n.InjectFault(tc.fault)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			c, err := stellarcore.New(n.URL(), stellarcore.WithTimeout(timeout))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Peers(ctx); err != nil {
				t.Errorf("fault on /info hit /peers: %v", err)
			}
			if _, err := c.Info(ctx); !tc.check(err) {
				t.Errorf("faulty Info: unexpected error %v", err)
			}
			if _, err := c.Info(ctx); err != nil {
				t.Errorf("fault outlived Times: %v", err)
			}
			if got := len(n.RequestsTo("/info")); got != 2 {
				t.Errorf("recorded %d /info requests, want 2", got)
			}
		})
	}
}

func isStatus(code int) func(error) bool {
	return func(err error) bool {
		var se *stellarcore.StatusError
		return errors.As(err, &se) && se.StatusCode == code
	}
}

func TestRecordsRequests(t *testing.T) {
	now := time.Unix(1700000000, 0)
	n := start(t, Options{Now: func() time.Time { return now }})
	c, err := stellarcore.New(n.URL(), stellarcore.WithBearerToken("tok"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(context.Background(), "10.0.0.1", 11625); err != nil {
		t.Fatal(err)
	}
	want := []Request{{
		Method: "GET", Path: "/connect", RawQuery: "peer=10.0.0.1&port=11625",
		Query: map[string]string{"peer": "10.0.0.1", "port": "11625"}, Authorization: "Bearer tok", Time: now,
	}}
	if diff := cmp.Diff(want, n.Requests()); diff != "" {
		t.Errorf("requests: -want +got:\n%s", diff)
	}
	n.ResetRequests()
	if len(n.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}
