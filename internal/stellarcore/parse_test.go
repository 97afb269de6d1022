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
				Quorum: &Quorum{
					Node: "self", Ledger: 2622079, Phase: "EXTERNALIZE", Hash: "a1b2c3", FailAt: ptr(1), Agree: 3, Cost: ptr[uint64](0),
					Transitive: &TransitiveQuorum{Intersection: true, NodeCount: 4, LastCheckLedger: 2622000},
				},
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
				Quorum:  &Quorum{Node: "self", Cost: ptr[uint64](0)},
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

func ptr[T any](v T) *T { return &v }

// atRiskSet is the quorum set of the quorum samples: two organisations of
// three, threshold 2 of 2, each 2 of 3.
var atRiskSet = &QuorumSet{Threshold: 2, InnerSets: []QuorumSet{
	{Threshold: 2, Validators: []string{"bob", "carol", "self"}},
	{Threshold: 2, Validators: []string{"sdftest1", "sdftest2", "sdftest3"}},
}}

func TestParseInfoQuorum(t *testing.T) {
	cases := map[string]struct {
		body []byte
		want *Quorum
	}{
		"Healthy": {
			body: sample(t, "info-quorum-healthy.json"),
			want: &Quorum{
				Node: "self", Ledger: 2622078, Phase: "EXTERNALIZE", Hash: "3fa2c9", FailAt: ptr(2), Validated: ptr(true),
				Agree: 6, LagMS: ptr[uint64](212), Cost: ptr[uint64](40584),
				Transitive: &TransitiveQuorum{Intersection: true, NodeCount: 6, LastCheckLedger: 2621990},
			},
		},
		"AtRiskWithoutTransitive": {
			body: sample(t, "info-quorum-at-risk.json"),
			want: &Quorum{
				Node: "self", Ledger: 2622084, Phase: "EXTERNALIZE", Hash: "3fa2c9", FailAt: ptr(1), Validated: ptr(true),
				Agree: 4, Missing: 1, Delayed: 1, LagMS: ptr[uint64](538), Cost: ptr[uint64](27056),
			},
		},
		"NoIntersection": {
			body: sample(t, "info-quorum-split.json"),
			want: &Quorum{
				Node: "self", Ledger: 2622078, Phase: "EXTERNALIZE", Hash: "9d04e1", FailAt: ptr(4), Validated: ptr(true),
				Agree: 6, LagMS: ptr[uint64](205), Cost: ptr[uint64](40584),
				Transitive: &TransitiveQuorum{
					NodeCount: 6, LastCheckLedger: 2622000, LastGoodLedger: 2621500,
					PotentialSplit: [][]string{{"bob", "carol", "self"}, {"sdftest1", "sdftest2", "sdftest3"}},
				},
			},
		},
		"NoSlotYet": {body: sample(t, "info-catching-up.json"), want: &Quorum{Node: "self", Cost: ptr[uint64](0)}},
		"ExpiredQuorumSetHasNoFailAt": {
			body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"self","qset":{"agree":1,"cost":0,"delayed":0,"disagree":0,"lag_ms":null,"ledger":7,"missing":2,"phase":"expired"}}}}`),
			want: &Quorum{Node: "self", Ledger: 7, Phase: "expired", Agree: 1, Missing: 2, Cost: ptr[uint64](0)},
		},
		"CriticalGroups": {
			body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"GABCD","qset":{"ledger":7},"transitive":{"critical":[["a","b"]],"intersection":true,"last_check_ledger":5,"node_count":2}}}}`),
			want: &Quorum{Node: "GABCD", Ledger: 7, Transitive: &TransitiveQuorum{Intersection: true, NodeCount: 2, LastCheckLedger: 5, Critical: [][]string{{"a", "b"}}}},
		},
		// A section this parser cannot read leaves the rest of /info usable.
		"NoSection":        {body: []byte(`{"info":{"state":"Synced!"}}`)},
		"NullSection":      {body: []byte(`{"info":{"state":"Synced!","quorum":null}}`)},
		"NoNode":           {body: []byte(`{"info":{"state":"Synced!","quorum":{"qset":{"ledger":7}}}}`)},
		"CountNotNumber":   {body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"self","qset":{"ledger":7,"agree":"3"}}}}`)},
		"NegativeFailAt":   {body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"self","qset":{"ledger":7,"fail_at":-1}}}}`)},
		"NegativeCount":    {body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"self","qset":{"ledger":7,"missing":-2}}}}`)},
		"LagNotNumber":     {body: []byte(`{"info":{"state":"Synced!","quorum":{"node":"self","qset":{"lag_ms":"x"}}}}`)},
		"SectionNotObject": {body: []byte(`{"info":{"state":"Synced!","quorum":[1]}}`)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseInfo(tc.body)
			if err != nil {
				t.Fatalf("ParseInfo: %v", err)
			}
			if got.State != StateSynced && got.State != StateCatchingUp {
				t.Errorf("ParseInfo lost the state: %q", got.State)
			}
			if diff := cmp.Diff(tc.want, got.Quorum); diff != "" {
				t.Errorf("ParseInfo quorum: -want +got:\n%s", diff)
			}
		})
	}
}

func TestParseQuorum(t *testing.T) {
	cases := map[string]struct {
		body    []byte
		want    Quorum
		wantErr string
	}{
		"AtRiskSample": {
			body: sample(t, "quorum-at-risk.json"),
			want: Quorum{
				Node: "self", Ledger: 2622085, Phase: "EXTERNALIZE", Hash: "3fa2c9", FailAt: ptr(1), Validated: ptr(true),
				Agree: 4, Missing: 1, Delayed: 1,
				AgreeNodes: []string{"bob", "self", "sdftest1", "sdftest2"}, MissingNodes: []string{"carol"},
				DelayedNodes: []string{"sdftest3"}, FailWith: []string{"bob"}, QuorumSet: atRiskSet,
			},
		},
		"NoSlotSample": {body: sample(t, "quorum-no-slot.json"), want: Quorum{Node: "self"}},
		"Compact": {
			body: []byte("{\n   \"node\" : \"self\",\n   \"qset\" : {\n      \"agree\" : 3,\n      \"cost\" : 120,\n      \"delayed\" : 0,\n      \"disagree\" : 0,\n      \"fail_at\" : 2,\n      \"hash\" : \"3fa2c9\",\n      \"lag_ms\" : null,\n      \"ledger\" : 12,\n      \"missing\" : 0,\n      \"phase\" : \"PREPARE\"\n   }\n}\n"),
			want: Quorum{Node: "self", Ledger: 12, Phase: "PREPARE", Hash: "3fa2c9", FailAt: ptr(2), Agree: 3, Cost: ptr[uint64](120)},
		},
		"NewerCoreFieldsIgnored": {
			body: []byte(`{"maybe_dead_nodes":["GABCD"],"node":"self","qset":{"ledger":3,"agree":["self"],"missing":null}}`),
			want: Quorum{Node: "self", Ledger: 3, Agree: 1, AgreeNodes: []string{"self"}},
		},
		"InnerSetsNested": {
			body: []byte(`{"node":"self","qset":{"ledger":3,"value":{"t":1,"v":["a",{"t":1,"v":[{"t":1,"v":["b"]}]}]}}}`),
			want: Quorum{Node: "self", Ledger: 3, QuorumSet: &QuorumSet{Threshold: 1, Validators: []string{"a"}, InnerSets: []QuorumSet{{Threshold: 1, InnerSets: []QuorumSet{{Threshold: 1, Validators: []string{"b"}}}}}}},
		},
		"TooDeep": {
			body:    []byte(`{"node":"self","qset":{"ledger":3,"value":{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[{"t":1,"v":[]}]}]}]}]}]}]}]}]}]}}}`),
			wantErr: "unexpected",
		},
		"ValueEntryNotNameOrSet": {body: []byte(`{"node":"self","qset":{"ledger":3,"value":{"t":1,"v":[3]}}}`), wantErr: "unexpected"},
		"NamesNotStrings":        {body: []byte(`{"node":"self","qset":{"ledger":3,"missing":[1]}}`), wantErr: "unexpected"},
		"UnknownName":            {body: []byte(`{"exception": "unknown name"}`), wantErr: "exception"},
		"Booting":                {body: sample(t, "info-booting.json"), wantErr: "booting"},
		"Html404":                {body: []byte("Welcome to stellar-core!"), wantErr: "unexpected"},
		"InfoBodyInstead":        {body: sample(t, "info-synced.json"), wantErr: "unexpected"},
		"PeersBodyInstead":       {body: sample(t, "peers.json"), wantErr: "unexpected"},
		"Empty":                  {body: nil, wantErr: "unexpected"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseQuorum(tc.body)
			if diff := cmp.Diff(tc.wantErr, errKind(err)); diff != "" {
				t.Fatalf("ParseQuorum error kind: -want +got:\n%s\n(error: %v)", diff, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseQuorum: -want +got:\n%s", diff)
			}
		})
	}
}
