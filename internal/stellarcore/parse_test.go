package stellarcore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errKind names the typed error, so tables can compare outcomes with cmp.
func errKind(err error) string {
	var (
		b *BootingError
		x *ExceptionError
		s *StatusError
		u *UnreachableError
		r *UnexpectedReplyError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &b):
		return "booting"
	case errors.As(err, &x):
		return "exception"
	case errors.As(err, &s):
		return "status"
	case errors.As(err, &u):
		return "unreachable"
	case errors.As(err, &r):
		return "unexpected"
	}
	return "other: " + err.Error()
}

func TestParseInfo(t *testing.T) {
	cases := map[string]struct {
		body    []byte
		want    Info
		wantErr string
	}{
		"SyncedSample": {
			body: sample(t, "info-synced.json"),
			want: Info{
				Build: "v23.0.1", ProtocolVersion: 23, State: StateSynced, StartedOn: "2026-11-20T21:52:33Z",
				Ledger: Ledger{Num: 2622079, Hash: "6cf3a1a8d6e0b1b7f4c2f1bb1b0cda14f4d3b8b43e2bfe27f2e4d8b5f7a0f306",
					CloseTime: 1764100000, Version: 23, Age: 3},
				Peers:   PeerCounts{Pending: 2, Authenticated: 4},
				Network: "Test SDF Network ; September 2015",
			},
		},
		"CatchingUpSample": {
			body: sample(t, "info-catching-up.json"),
			want: Info{
				Build: "v23.0.1", ProtocolVersion: 23, State: StateCatchingUp, StartedOn: "2026-11-21T21:52:33Z",
				Ledger: Ledger{Num: 2622079, Hash: "6cf3a1a8d6e0b1b7f4c2f1bb1b0cda14f4d3b8b43e2bfe27f2e4d8b5f7a0f306",
					CloseTime: 1700517209, Version: 20, Age: 86352},
				Peers:   PeerCounts{Pending: 2, Authenticated: 4},
				Network: "Test SDF Network ; September 2015",
				Status:  []string{"Catching up: downloading ledger files 20094/119803 (16%)"},
			},
		},
		"BootingSample":       {body: sample(t, "info-booting.json"), wantErr: "booting"},
		"BootingStyled":       {body: []byte("{\n   \"error\" : \"Core is booting, try again later\"\n}\n"), wantErr: "booting"},
		"ExceptionSample":     {body: sample(t, "exception.json"), wantErr: "exception"},
		"OtherError":          {body: []byte(`{"error": "something else"}`), wantErr: "exception"},
		"NotJSON":             {body: []byte("Welcome to stellar-core!"), wantErr: "unexpected"},
		"Empty":               {body: nil, wantErr: "unexpected"},
		"EmptyObject":         {body: []byte(`{}`), wantErr: "unexpected"},
		"InfoWithoutState":    {body: []byte(`{"info" : {"build" : "x"}}`), wantErr: "unexpected"},
		"InfoNull":            {body: []byte(`{"info" : null}`), wantErr: "unexpected"},
		"WrongType":           {body: []byte(`{"info" : {"state" : 3}}`), wantErr: "unexpected"},
		"TrailingGarbage":     {body: []byte(`{"info" : {"state" : "Synced!"}} x`), wantErr: "unexpected"},
		"MinimalSynced":       {body: []byte(`{"info":{"state":"Synced!"}}`), want: Info{State: StateSynced}},
		"StatusNullIsNoSlice": {body: []byte(`{"info":{"state":"Joining SCP","status":null}}`), want: Info{State: StateJoiningSCP}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseInfo(tc.body)
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("ParseInfo error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseInfo: -want +got:\n%s", diff)
			}
		})
	}
}

func TestParsePeers(t *testing.T) {
	cases := map[string]struct {
		body    []byte
		want    Peers
		wantErr string
	}{
		"Sample": {
			body: sample(t, "peers.json"),
			want: Peers{
				AuthenticatedInbound:  []Peer{{Address: "54.161.82.181:11625", ID: "GBFJ2", Version: "v23.0.1", Elapsed: 6, Latency: 12, OverlayVersion: 35}},
				AuthenticatedOutbound: []Peer{{Address: "54.211.174.177:11625", ID: "sdf2", Version: "v23.0.1", Elapsed: 2303, Latency: 30, OverlayVersion: 35}},
				PendingInbound:        []string{"211.249.63.74:11625"},
				PendingOutbound:       []string{"178.21.47.226:11625"},
			},
		},
		"EmptySampleWithNulls": {body: sample(t, "peers-empty.json"), want: Peers{}},
		"EmptyArrays": {
			body: []byte(`{"authenticated_peers":{"inbound":[],"outbound":[]},"pending_peers":{"inbound":[],"outbound":[]}}`),
			want: Peers{PendingInbound: []string{}, PendingOutbound: []string{}},
		},
		"OnlyPending":     {body: []byte(`{"pending_peers" : {"outbound" : [ "1.2.3.4:11625" ]}}`), want: Peers{PendingOutbound: []string{"1.2.3.4:11625"}}},
		"Booting":         {body: sample(t, "info-booting.json"), wantErr: "booting"},
		"Exception":       {body: sample(t, "exception.json"), wantErr: "exception"},
		"Html404":         {body: []byte("Welcome to stellar-core!"), wantErr: "unexpected"},
		"InfoBodyInstead": {body: sample(t, "info-synced.json"), wantErr: "unexpected"},
		"PeerNotObject":   {body: []byte(`{"authenticated_peers":{"inbound":["1.2.3.4:1"]}}`), wantErr: "unexpected"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePeers(tc.body)
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("ParsePeers error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParsePeers: -want +got:\n%s", diff)
			}
		})
	}
}

func TestPeersAddresses(t *testing.T) {
	p, err := ParsePeers(sample(t, "peers.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"54.161.82.181:11625", "54.211.174.177:11625", "211.249.63.74:11625", "178.21.47.226:11625"}
	if diff := cmp.Diff(want, p.Addresses()); diff != "" {
		t.Errorf("Addresses: -want +got:\n%s", diff)
	}
}

func TestParseConnect(t *testing.T) {
	cases := map[string]struct {
		body    []byte
		want    string
		wantErr string
	}{
		"OKSample":            {body: sample(t, "connect-ok.txt"), want: "10.0.1.6:11625"},
		"MissingParamsSample": {body: sample(t, "connect-missing-params.txt"), wantErr: "exception"},
		"ResolveException":    {body: sample(t, "exception.json"), wantErr: "exception"},
		"Booting":             {body: sample(t, "info-booting.json"), wantErr: "booting"},
		"HostName":            {body: []byte("Connect to: validator-1.stellar.svc:11625"), want: "validator-1.stellar.svc:11625"},
		"NoTarget":            {body: []byte("Connect to: "), wantErr: "unexpected"},
		"Html":                {body: []byte("Welcome to stellar-core!"), wantErr: "unexpected"},
		"Empty":               {body: []byte(""), wantErr: "unexpected"},
		"JSONNotFailure":      {body: []byte(`{"x": 1}`), wantErr: "unexpected"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseConnect(tc.body)
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("ParseConnect error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if got != tc.want {
				t.Errorf("ParseConnect: want %q, got %q", tc.want, got)
			}
		})
	}
}

func TestParseDropPeer(t *testing.T) {
	cases := map[string]struct {
		body      string
		wantFound bool
		wantErr   string
	}{
		"Dropped":    {body: "Drop peer: GBFJ2", wantFound: true},
		"Banned":     {body: "Drop and ban peer: GBFJ2", wantFound: true},
		"NotFound":   {body: "Peer GBFJ2 not found"},
		"Usage":      {body: "Must specify at least peer id: droppeer?node=NODE_ID[&ban=D]", wantErr: "exception"},
		"Exception":  {body: `{"exception": "bad"}`, wantErr: "exception"},
		"Unexpected": {body: "hello", wantErr: "unexpected"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			found, err := ParseDropPeer([]byte(tc.body))
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("ParseDropPeer error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if found != tc.wantFound {
				t.Errorf("ParseDropPeer found: want %v, got %v", tc.wantFound, found)
			}
		})
	}
}
