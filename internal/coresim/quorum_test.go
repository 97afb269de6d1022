package coresim

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
)

// sampleSet is the quorum set of stellarcore's quorum samples: two
// organisations of three, threshold 2 of 2, each 2 of 3.
func sampleSet(addr map[string]string) *QuorumSet {
	org := func(names ...string) QuorumSet {
		s := QuorumSet{Threshold: 2}
		for _, name := range names {
			s.Validators = append(s.Validators, QuorumValidator{Name: name, Self: name == "self", PeerAddress: addr[name]})
		}
		return s
	}
	return &QuorumSet{Threshold: 2, InnerSets: []QuorumSet{org("bob", "carol", "self"), org("sdftest1", "sdftest2", "sdftest3")}}
}

var sampleAddr = map[string]string{
	"bob": "10.0.0.2:11625", "carol": "10.0.0.3:11625",
	"sdftest1": "10.0.1.1:11625", "sdftest2": "10.0.1.2:11625", "sdftest3": "10.0.1.3:11625",
}

func TestClosestVBlocking(t *testing.T) {
	v := func(name string) QuorumValidator { return QuorumValidator{Name: name, Self: name == "self"} }
	flat := func(threshold int, names ...string) QuorumSet {
		s := QuorumSet{Threshold: threshold}
		for _, n := range names {
			s.Validators = append(s.Validators, v(n))
		}
		return s
	}
	two := *sampleSet(nil)
	loose := two.clone()
	loose.Threshold = 1
	cases := map[string]struct {
		reason string
		set    QuorumSet
		down   []string
		want   []string
	}{
		"AllAgree": {
			reason: "Each organisation is blocked by 2 of its 3 failing; the first of two equal inner sets is used.",
			set:    two, want: []string{"bob", "carol"},
		},
		"OneMissing": {
			reason: "carol gone: bob alone blocks the node's organisation, and with it the 2-of-2 top level.",
			set:    two, down: []string{"carol"}, want: []string{"bob"},
		},
		"SmallestInnerSetFirst": {
			reason: "sdftest3 gone too: both organisations need one failure, taken in order.",
			set:    two, down: []string{"carol", "sdftest3"}, want: []string{"bob"},
		},
		"BlockedAlready": {
			reason: "bob and carol gone: the node's organisation is blocked, so is the node (fail_at 0).",
			set:    two, down: []string{"bob", "carol"}, want: nil,
		},
		"TopThresholdOne": {
			reason: "1 of 2 organisations: both must be blocked, 2 failures each.",
			set:    loose, want: []string{"bob", "carol", "sdftest1", "sdftest2"},
		},
		"FlatMajority": {
			reason: "2 of {self, b, c}: self never fails, so b and c must.",
			set:    flat(2, "self", "b", "c"), want: []string{"b", "c"},
		},
		"FlatOneDown": {
			set: flat(2, "self", "b", "c"), down: []string{"c"}, want: []string{"b"},
		},
		"SelfOnly": {
			reason: "A quorum set of the node alone: core reports fail_at 0, as nothing but the node can fail.",
			set:    flat(1, "self"), want: nil,
		},
		"TopLevelValidatorsBeforeInnerSets": {
			reason: "3 of {a, b, {c, d}}: any one failure blocks; top-level validators are used first.",
			set:    QuorumSet{Threshold: 3, Validators: []QuorumValidator{v("a"), v("b")}, InnerSets: []QuorumSet{flat(1, "c", "d")}},
			want:   []string{"a"},
		},
		"InnerSetsWhenTopLevelIsNotEnough": {
			reason: "2 of {a, {c, d}, {e, f, g}}: two top-level entries must fail: a, then the first of the inner sets that take fewest failures (2 each).",
			set:    QuorumSet{Threshold: 2, Validators: []QuorumValidator{v("a")}, InnerSets: []QuorumSet{flat(2, "e", "f", "g"), flat(1, "c", "d")}},
			want:   []string{"a", "e", "f"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			down := map[string]bool{}
			for _, d := range tc.down {
				down[d] = true
			}
			got := closestVBlocking(tc.set, func(v QuorumValidator) bool { return !down[v.Name] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nclosestVBlocking: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// topKinds maps each key of the qset object, and of the quorum object, to its
// JSON kind: what a parser relies on. The keys inside cost and lag_ms are data.
func topKinds(t *testing.T, body []byte, path ...string) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	kinds := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, x := range m {
			switch x := x.(type) {
			case nil:
				kinds[prefix+k] = "null"
			case bool:
				kinds[prefix+k] = "bool"
			case float64:
				kinds[prefix+k] = "number"
			case string:
				kinds[prefix+k] = "string"
			case []any:
				kinds[prefix+k] = "list"
			case map[string]any:
				kinds[prefix+k] = "object"
				if prefix == "" {
					walk(k+".", x)
				}
			}
		}
	}
	walk("", v)
	return kinds
}

// TestQuorumMatchesCoreSamples: set up as the at-risk sample describes (carol
// not connected, sdftest3 delayed), the simulator answers /quorum and /info's
// quorum section with the same fields, kinds, names and figures as core's
// samples, but for the ledger, hash, lag and cost.
func TestQuorumMatchesCoreSamples(t *testing.T) {
	n := start(t, Options{Ledger: 2622085, Quorum: sampleSet(sampleAddr)})
	for _, name := range []string{"bob", "sdftest1", "sdftest2"} {
		n.AddOutbound(sampleAddr[name], "")
	}
	n.AddInbound(sampleAddr["sdftest3"], "")
	n.SetQuorumState("sdftest3", QuorumDelayed)

	ignore := cmpopts.IgnoreFields(stellarcore.Quorum{}, "Ledger", "Hash", "LagMS", "Cost")
	cases := map[string]struct {
		path   string
		sample string
		within []string
		parse  func([]byte) (stellarcore.Quorum, error)
	}{
		"Quorum": {path: "/quorum", sample: "quorum-at-risk.json", parse: stellarcore.ParseQuorum},
		"Info": {
			path: "/info", sample: "info-quorum-at-risk.json", within: []string{"info", "quorum"},
			parse: func(b []byte) (stellarcore.Quorum, error) {
				i, err := stellarcore.ParseInfo(b)
				if err != nil || i.Quorum == nil {
					return stellarcore.Quorum{}, err
				}
				return *i.Quorum, nil
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, body := get(t, http.MethodGet, n.URL()+tc.path)
			want, err := os.ReadFile("../stellarcore/testdata/" + tc.sample)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(topKinds(t, want, tc.within...), topKinds(t, []byte(body), tc.within...)); diff != "" {
				t.Errorf("fields and kinds: -core +simulator:\n%s", diff)
			}
			wq, err := tc.parse(want)
			if err != nil {
				t.Fatal(err)
			}
			gq, err := tc.parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wq, gq, ignore); diff != "" {
				t.Errorf("quorum view: -core +simulator:\n%s", diff)
			}
		})
	}
	if q, _ := client(t, n).Info(context.Background()); q.Quorum == nil || q.Quorum.Ledger != 2622084 {
		t.Errorf("/info's quorum view is of %+v, want the ledger before the last closed one, 2622084", q.Quorum)
	}
}

// TestQuorumWithoutSlot: with no quorum set, or out of sync, core knows no
// slot, and /quorum is byte for byte core's reply.
func TestQuorumWithoutSlot(t *testing.T) {
	want, err := os.ReadFile("../stellarcore/testdata/quorum-no-slot.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]Options{
		"NoQuorumSet": {},
		"CatchingUp":  {State: stellarcore.StateCatchingUp, Quorum: sampleSet(sampleAddr)},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			n := start(t, opts)
			status, contentType, body := get(t, http.MethodGet, n.URL()+"/quorum")
			if diff := cmp.Diff([]any{200, "application/json", string(want)}, []any{status, contentType, body}); diff != "" {
				t.Errorf("/quorum: -want +got:\n%s", diff)
			}
			info, err := client(t, n).Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			zero := uint64(0)
			if diff := cmp.Diff(&stellarcore.Quorum{Node: "self", Cost: &zero}, info.Quorum); diff != "" {
				t.Errorf("/info quorum: -want +got:\n%s", diff)
			}
		})
	}
}

// TestQuorumFollowsConnections: on a fabric, a validator agrees while it is
// connected, either direction, and is missing once it leaves.
func TestQuorumFollowsConnections(t *testing.T) {
	ctx := context.Background()
	f := NewFabric()
	addrs := map[string]string{"a": "127.0.1.21:11625", "b": "127.0.1.22:11625", "c": "127.0.1.23:11625"}
	nodes := map[string]*Node{}
	for _, name := range []string{"a", "b", "c"} {
		set := QuorumSet{Threshold: 2}
		for _, other := range []string{"a", "b", "c"} {
			v := QuorumValidator{Name: other, PeerAddress: addrs[other]}
			if other == name {
				v = QuorumValidator{Name: "self", Self: true}
			}
			set.Validators = append(set.Validators, v)
		}
		nodes[name] = start(t, Options{PendingDelay: -1, Quorum: &set})
		f.Join(nodes[name], addrs[name])
	}
	type view struct {
		Agree, Missing []string
		FailAt         int
	}
	look := func() view {
		q, err := client(t, nodes["a"]).Quorum(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v := view{Agree: q.AgreeNodes, Missing: q.MissingNodes, FailAt: *q.FailAt}
		sort.Strings(v.Agree)
		sort.Strings(v.Missing)
		return v
	}
	if _, err := client(t, nodes["a"]).Connect(ctx, "127.0.1.22", 11625); err != nil {
		t.Fatal(err)
	}
	if _, err := client(t, nodes["c"]).Connect(ctx, "127.0.1.21", 11625); err != nil {
		t.Fatal(err)
	}
	// Pending is not agreeing yet.
	if diff := cmp.Diff(view{Agree: []string{"self"}, Missing: []string{"b", "c"}}, look()); diff != "" {
		t.Errorf("while pending: -want +got:\n%s", diff)
	}
	nodes["a"].Tick()
	nodes["c"].Tick()
	if diff := cmp.Diff(view{Agree: []string{"b", "c", "self"}, FailAt: 2}, look()); diff != "" {
		t.Errorf("connected both ways: -want +got:\n%s", diff)
	}
	f.Leave(addrs["c"])
	if diff := cmp.Diff(view{Agree: []string{"b", "self"}, Missing: []string{"c"}, FailAt: 1}, look()); diff != "" {
		t.Errorf("after c left: -want +got:\n%s", diff)
	}
	nodes["a"].SetQuorumState("b", QuorumDisagree)
	q, err := client(t, nodes["a"]).Quorum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{[]string{"b"}, 0}, []any{q.DisagreeNodes, *q.FailAt}); diff != "" {
		t.Errorf("b set to disagree: [disagree, fail_at] -want +got:\n%s", diff)
	}
}

func TestQuorumOtherNodeIsUnknown(t *testing.T) {
	n := start(t, Options{Quorum: sampleSet(sampleAddr)})
	_, _, body := get(t, http.MethodGet, n.URL()+"/quorum?node=$bob")
	if body != `{"exception": "unknown name"}` {
		t.Errorf("/quorum?node=$bob: got %q", body)
	}
}
