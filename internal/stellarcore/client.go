package stellarcore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds a reply: /peers of a node with hundreds of peers is well
// under this.
const maxBodyBytes = 4 << 20

// DefaultTimeout bounds each request when no timeout is configured.
const DefaultTimeout = 5 * time.Second

// Client talks to one stellar-core admin endpoint.
type Client struct {
	base    *url.URL
	http    *http.Client
	timeout time.Duration
	auth    func(h http.Header)
}

// An Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. It should not follow redirects; see
// NewHTTPClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithTimeout bounds every request; the caller's context may end it sooner.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithBasicAuth sends HTTP basic credentials, for an authenticating proxy in
// front of core.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) {
		c.auth = func(h http.Header) {
			r := http.Request{Header: h}
			r.SetBasicAuth(user, password)
		}
	}
}

// WithBearerToken sends a bearer token, for an authenticating proxy.
func WithBearerToken(token string) Option {
	return func(c *Client) {
		c.auth = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	}
}

// NewHTTPClient returns an HTTP client suited to core: it dials through dial
// (nil means a plain net.Dialer), uses no proxy from the environment, never
// follows redirects and keeps no idle connections (core closes after every
// reply). tlsConfig may be nil.
func NewHTTPClient(dial func(ctx context.Context, network, address string) (net.Conn, error), tlsConfig *tls.Config) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: DefaultTimeout}).DialContext
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dial,
			TLSClientConfig:     tlsConfig,
			TLSHandshakeTimeout: DefaultTimeout,
			DisableKeepAlives:   true,
			ForceAttemptHTTP2:   false,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// New returns a client for the admin endpoint, e.g. "http://10.0.1.5:11626".
// The endpoint may carry a path prefix (a proxy route) but no query, fragment
// or user info.
func New(endpoint string, opts ...Option) (*Client, error) {
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, timeout: DefaultTimeout}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = NewHTTPClient(nil, nil)
	}
	return c, nil
}

// ParseEndpoint validates an admin endpoint URL.
func ParseEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, errors.New("cannot parse admin endpoint URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("admin endpoint scheme %q is not http or https", u.Scheme)
	case u.User != nil:
		return nil, errors.New("admin endpoint must not carry user info; use provider config credentials")
	case u.Hostname() == "":
		return nil, errors.New("admin endpoint has no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("admin endpoint must not carry a query or fragment")
	case u.Opaque != "":
		return nil, errors.New("admin endpoint is not a hierarchical URL")
	}
	return u, nil
}

// Info reads /info.
func (c *Client) Info(ctx context.Context) (Info, error) {
	body, err := c.get(ctx, cmdInfo, nil)
	if err != nil {
		return Info{}, err
	}
	return ParseInfo(body)
}

// Peers reads /peers with full node IDs.
func (c *Client) Peers(ctx context.Context) (Peers, error) {
	body, err := c.get(ctx, cmdPeers, [][2]string{{"fullkeys", "true"}})
	if err != nil {
		return Peers{}, err
	}
	return ParsePeers(body)
}

// Connect asks core to connect to host:port. host should be an IP: core
// resolves names synchronously on its main thread. It returns the address
// core echoed.
func (c *Client) Connect(ctx context.Context, host string, port int) (string, error) {
	if err := validPeerHost(host); err != nil {
		return "", err
	}
	if port < 1 || port > 65535 {
		return "", fmt.Errorf("peer port %d is out of range", port)
	}
	body, err := c.get(ctx, cmdConnect, [][2]string{{"peer", host}, {"port", strconv.Itoa(port)}})
	if err != nil {
		return "", err
	}
	return ParseConnect(body)
}

// DropPeer asks core to drop the peer with node ID id, optionally banning it.
// found is false when core has no such peer.
func (c *Client) DropPeer(ctx context.Context, id string, ban bool) (found bool, err error) {
	if id == "" || strings.ContainsAny(id, "&= \t\r\n") {
		return false, fmt.Errorf("invalid node ID %q", id)
	}
	q := [][2]string{{"node", id}}
	if ban {
		q = append(q, [2]string{"ban", "1"})
	}
	body, err := c.get(ctx, cmdDropPeer, q)
	if err != nil {
		return false, err
	}
	return ParseDropPeer(body)
}

// validPeerHost refuses what core's query splitter would misread.
func validPeerHost(host string) error {
	if host == "" {
		return errors.New("peer host is empty")
	}
	if strings.ContainsAny(host, "&=?#/ \t\r\n%") {
		return fmt.Errorf("peer host %q contains characters core cannot take", host)
	}
	return nil
}

// get sends GET base/command?query and returns a 200 body. The query keeps
// the given order; core splits on & and = without decoding, so values are
// checked by the callers rather than escaped.
func (c *Client) get(ctx context.Context, command string, query [][2]string) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + command
	u.RawPath = ""
	parts := make([]string, 0, len(query))
	for _, kv := range query {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	u.RawQuery = strings.Join(parts, "&")

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot build %s request: %w", command, err)
	}
	if c.auth != nil {
		c.auth(req.Header)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &UnreachableError{Command: command, Err: withoutURL(err)}
	}
	defer resp.Body.Close() //nolint:errcheck // Nothing to do about a close error on a read body.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &UnreachableError{Command: command, Err: withoutURL(err)}
	}
	if len(body) > maxBodyBytes {
		return nil, &UnexpectedReplyError{Command: command, Body: snippet(body), Err: errors.New("reply too large")}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Command: command, StatusCode: resp.StatusCode, Body: snippet(body)}
	}
	return body, nil
}

// withoutURL drops the *url.Error wrapper, whose message repeats the request
// URL with its query.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Quorum reads /quorum: core's view of its own quorum set at the latest slot,
// in the full form, which names the validators in each state (by their
// [[VALIDATORS]] NAME, or the first 5 characters of the key).
func (c *Client) Quorum(ctx context.Context) (Quorum, error) {
	body, err := c.get(ctx, cmdQuorum, nil)
	if err != nil {
		return Quorum{}, err
	}
	return ParseQuorum(body)
}
