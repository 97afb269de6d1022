package stellarcore

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorded is what the test server saw of one request.
type recorded struct {
	Method, Path, RawQuery, Authorization string
}

type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

func (s *testServer) seen() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

// newServer serves handler on 127.0.0.1 and records every request.
func newServer(t *testing.T, handler http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func TestClientCommands(t *testing.T) {
	type call func(ctx context.Context, c *Client) (any, error)
	info := func(ctx context.Context, c *Client) (any, error) { i, err := c.Info(ctx); return i.State, err }
	peers := func(ctx context.Context, c *Client) (any, error) {
		p, err := c.Peers(ctx)
		return len(p.Addresses()), err
	}
	connect := func(ctx context.Context, c *Client) (any, error) { return c.Connect(ctx, "10.0.1.6", 11625) }
	drop := func(ctx context.Context, c *Client) (any, error) { return c.DropPeer(ctx, "GBFJ2", true) }
	quorum := func(ctx context.Context, c *Client) (any, error) {
		q, err := c.Quorum(ctx)
		return q.MissingNodes, err
	}

	cases := map[string]struct {
		handler   http.HandlerFunc
		prefix    string
		call      call
		want      any
		wantErr   string
		wantPath  string
		wantQuery string
	}{
		"InfoSynced":       {handler: reply(200, string(sample(t, "info-synced.json"))), call: info, want: StateSynced, wantPath: "/info"},
		"InfoBooting":      {handler: reply(200, string(sample(t, "info-booting.json"))), call: info, want: "", wantErr: "booting", wantPath: "/info"},
		"InfoNotFound":     {handler: reply(404, "Welcome to stellar-core!"), call: info, want: "", wantErr: "status", wantPath: "/info"},
		"InfoServerError":  {handler: reply(503, "upstream down"), call: info, want: "", wantErr: "status", wantPath: "/info"},
		"InfoUnderPrefix":  {handler: reply(200, string(sample(t, "info-synced.json"))), prefix: "/core/", call: info, want: StateSynced, wantPath: "/core/info"},
		"PeersFullKeys":    {handler: reply(200, string(sample(t, "peers.json"))), call: peers, want: 4, wantPath: "/peers", wantQuery: "fullkeys=true"},
		"PeersNullLists":   {handler: reply(200, string(sample(t, "peers-empty.json"))), call: peers, want: 0, wantPath: "/peers", wantQuery: "fullkeys=true"},
		"ConnectOK":        {handler: reply(200, "Connect to: 10.0.1.6:11625"), call: connect, want: "10.0.1.6:11625", wantPath: "/connect", wantQuery: "peer=10.0.1.6&port=11625"},
		"ConnectException": {handler: reply(200, string(sample(t, "exception.json"))), call: connect, want: "", wantErr: "exception", wantPath: "/connect", wantQuery: "peer=10.0.1.6&port=11625"},
		"DropBan":          {handler: reply(200, "Drop and ban peer: GBFJ2"), call: drop, want: true, wantPath: "/droppeer", wantQuery: "node=GBFJ2&ban=1"},
		"QuorumFullForm":   {handler: reply(200, string(sample(t, "quorum-at-risk.json"))), call: quorum, want: []string{"carol"}, wantPath: "/quorum"},
		"QuorumNotFound":   {handler: reply(404, "Welcome to stellar-core!"), call: quorum, want: []string(nil), wantErr: "status", wantPath: "/quorum"},
		"QuorumException":  {handler: reply(200, `{"exception": "unknown name"}`), call: quorum, want: []string(nil), wantErr: "exception", wantPath: "/quorum"},
		"RedirectNotFollowed": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
			},
			call: info, want: "", wantErr: "status", wantPath: "/info",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, tc.handler)
			c, err := New(s.URL + tc.prefix)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.call(context.Background(), c)
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result: -want +got:\n%s", diff)
			}
			want := []recorded{{Method: http.MethodGet, Path: tc.wantPath, RawQuery: tc.wantQuery}}
			if diff := cmp.Diff(want, s.seen()); diff != "" {
				t.Errorf("requests: -want +got:\n%s", diff)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	cases := map[string]struct {
		opt  Option
		want string
	}{
		"None":   {want: ""},
		"Basic":  {opt: WithBasicAuth("core", "s3cret"), want: "Basic Y29yZTpzM2NyZXQ="},
		"Bearer": {opt: WithBearerToken("t0ken"), want: "Bearer t0ken"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, reply(200, "Connect to: 10.0.0.1:1"))
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			c, err := New(s.URL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Connect(context.Background(), "10.0.0.1", 1); err != nil {
				t.Fatal(err)
			}
			if got := s.seen()[0].Authorization; got != tc.want {
				t.Errorf("Authorization: want %q, got %q", tc.want, got)
			}
		})
	}
}

func TestClientTransportFailures(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		reply(200, "{}")(w, r)
	}
	reset := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
	cases := map[string]struct {
		handler http.HandlerFunc
		timeout time.Duration
		cancel  bool
	}{
		"Timeout":         {handler: slow, timeout: 50 * time.Millisecond},
		"ContextCancel":   {handler: slow, timeout: time.Minute, cancel: true},
		"ConnectionReset": {handler: reset, timeout: time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, tc.handler)
			c, err := New(s.URL, WithTimeout(tc.timeout))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err = c.Info(ctx)
			if kind := errKind(err); kind != "unreachable" {
				t.Fatalf("want unreachable, got %q (%v)", kind, err)
			}
			if !IsUnreachable(err) {
				t.Errorf("IsUnreachable(%v) = false", err)
			}
			if strings.Contains(err.Error(), s.URL) {
				t.Errorf("error repeats the URL: %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("call took %v", d)
			}
		})
	}
}

func TestClientRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := New("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Peers(context.Background()); !IsUnreachable(err) {
		t.Fatalf("want unreachable, got %v", err)
	}
}

func TestClientUsesInjectedDialer(t *testing.T) {
	s := newServer(t, reply(200, string(sample(t, "info-synced.json"))))
	var dialed []string
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		dialed = append(dialed, address)
		return (&net.Dialer{}).DialContext(ctx, network, s.Listener.Addr().String())
	}
	c, err := New("http://core.example.test:11626", WithHTTPClient(NewHTTPClient(dial, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"core.example.test:11626"}, dialed); diff != "" {
		t.Errorf("dialed: -want +got:\n%s", diff)
	}
}

func TestClientArgumentChecks(t *testing.T) {
	s := newServer(t, reply(200, "Connect to: x:1"))
	c, err := New(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, host := range []string{"", "a&port=1", "a=b", "a b", "a/b", "a%20"} {
		if _, err := c.Connect(ctx, host, 11625); err == nil {
			t.Errorf("Connect(%q) accepted", host)
		}
	}
	for _, port := range []int{0, -1, 65536} {
		if _, err := c.Connect(ctx, "10.0.0.1", port); err == nil {
			t.Errorf("Connect port %d accepted", port)
		}
	}
	if _, err := c.DropPeer(ctx, "a&ban=1", false); err == nil {
		t.Error("DropPeer accepted an ID with &")
	}
	if n := len(s.seen()); n != 0 {
		t.Errorf("invalid arguments sent %d requests", n)
	}
}

func TestParseEndpoint(t *testing.T) {
	cases := map[string]bool{
		"http://10.0.0.1:11626":                   true,
		"https://core.stellar.svc:443/admin/":     true,
		"ftp://10.0.0.1":                          false,
		"http://user:pass@10.0.0.1":               false,
		"http:///info":                            false,
		"http://10.0.0.1/?x=1":                    false,
		"http://10.0.0.1/#frag":                   false,
		"10.0.0.1:11626":                          false,
		"http://10.0.0.1/?":                       false,
		"mailto:core@example.com":                 false,
		"http://[::1]:11626":                      true,
		"javascript:alert(1)":                     false,
		"http://%zz":                              false,
		"":                                        false,
		"http://core.stellar.svc.cluster.local:1": true,
	}
	for endpoint, ok := range cases {
		_, err := ParseEndpoint(endpoint)
		if (err == nil) != ok {
			t.Errorf("ParseEndpoint(%q): want ok=%v, got error %v", endpoint, ok, err)
		}
	}
}
