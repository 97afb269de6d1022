package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Binaries are the two function binaries and their extra flags.
type Binaries struct {
	Ours, Theirs         string
	OursArgs, TheirsArgs []string
}

// Stats are one function's figures at one size.
type Stats struct {
	Iterations int
	Median     time.Duration
	P99        time.Duration
	CPU        time.Duration // per call, user + system, of the server process
	PeakRSS    int64         // bytes, VmHWM of a fresh server process
	Response   int           // bytes on the wire
}

// Row is one size's result.
type Row struct {
	Nodes   int
	Request int // bytes of our request on the wire
	Ours    Stats
	Theirs  Stats
	Floor   time.Duration // median of a bare proto.Unmarshal of our request
	Diffs   []string      // empty: the ConfigMaps match byte for byte
}

// Ratio is theirs/ours median latency.
func (r Row) Ratio() float64 { return float64(r.Theirs.Median) / float64(r.Ours.Median) }

// FloorRatio is ours/floor median latency.
func (r Row) FloorRatio() float64 { return float64(r.Ours.Median) / float64(r.Floor) }

// warmupCalls are the calls each server gets, after the first, before any is
// measured.
const warmupCalls = 3

// Measure serves both functions in fresh processes, checks their outputs
// match, then calls them alternately, so that both see the same load on a
// shared machine. Iterations follow budget: enough calls of the slower one
// to fill it, from min to max.
func Measure(ctx context.Context, b Binaries, n int, budget time.Duration, minIter, maxIter int) (Row, error) {
	row := Row{Nodes: n}
	reqO, reqT, err := Requests(n)
	if err != nil {
		return row, err
	}
	row.Request = len(reqO)

	ours, err := Start(ctx, "function-stellar-peers", b.Ours, b.OursArgs...)
	if err != nil {
		return row, err
	}
	defer ours.Stop()
	theirs, err := Start(ctx, "function-go-templating", b.Theirs, b.TheirsArgs...)
	if err != nil {
		return row, err
	}
	defer theirs.Stop()
	o, t := &contender{s: ours, req: reqO}, &contender{s: theirs, req: reqT}
	both := []*contender{o, t}

	// The first call of each checks the outputs and sizes the run.
	slowest, err := firstCalls(ctx, both)
	if err != nil {
		return row, err
	}
	row.Ours.Response, row.Theirs.Response = len(o.rsp), len(t.rsp)
	if row.Diffs, err = compare(o, t); err != nil {
		return row, err
	}

	// A server in use has grown its heap to the size of the calls it serves;
	// the first calls of a fresh process pay for that growth, so neither
	// function is measured until it has served warmupCalls more.
	if err := alternate(ctx, both, warmupCalls); err != nil {
		return row, err
	}

	iters := min(max(int(budget/max(slowest, time.Microsecond)), minIter), maxIter)
	for _, c := range both {
		c.lat = make([]time.Duration, 0, iters)
		if c.cpu0, err = c.s.CPU(); err != nil {
			return row, err
		}
	}
	if err := alternate(ctx, both, iters); err != nil {
		return row, err
	}
	if row.Ours, err = o.stats(); err != nil {
		return row, err
	}
	if row.Theirs, err = t.stats(); err != nil {
		return row, err
	}

	row.Floor, err = Floor(reqO, max(iters, 5))
	return row, err
}

// contender is one function server under measurement, with its request, its
// first response and the latencies of its measured calls.
type contender struct {
	s    *Server
	req  []byte
	rsp  []byte
	lat  []time.Duration
	cpu0 time.Duration
}

// firstCalls calls each contender once, keeping its response, and returns the
// slower call's time.
func firstCalls(ctx context.Context, cs []*contender) (time.Duration, error) {
	var slowest time.Duration
	for _, c := range cs {
		start := time.Now()
		rsp, err := c.s.Call(ctx, c.req)
		if err != nil {
			return 0, err
		}
		slowest = max(slowest, time.Since(start))
		c.rsp = rsp
	}
	return slowest, nil
}

// compare diffs the peers ConfigMaps of both first responses.
func compare(ours, theirs *contender) ([]string, error) {
	dO, err := ConfigMapData(ours.rsp)
	if err != nil {
		return nil, fmt.Errorf("function-stellar-peers: %w", err)
	}
	dT, err := ConfigMapData(theirs.rsp)
	if err != nil {
		return nil, fmt.Errorf("function-go-templating: %w", err)
	}
	return Diff(dO, dT, Keys), nil
}

// alternate calls the contenders in turn, calls times each, appending each
// call's latency to its contender's.
func alternate(ctx context.Context, cs []*contender, calls int) error {
	for range calls {
		for _, c := range cs {
			start := time.Now()
			if _, err := c.s.Call(ctx, c.req); err != nil {
				return err
			}
			c.lat = append(c.lat, time.Since(start))
		}
	}
	return nil
}

// stats are the contender's figures over its measured calls.
func (c *contender) stats() (Stats, error) {
	cpu, err := c.s.CPU()
	if err != nil {
		return Stats{}, err
	}
	rss, err := c.s.PeakRSS()
	if err != nil {
		return Stats{}, err
	}
	return Stats{
		Iterations: len(c.lat),
		Median:     Percentile(c.lat, 50),
		P99:        Percentile(c.lat, 99),
		CPU:        (cpu - c.cpu0) / time.Duration(len(c.lat)),
		PeakRSS:    rss,
		Response:   len(c.rsp),
	}, nil
}

// Floor is the median time of a bare proto.Unmarshal of req into a
// RunFunctionRequest: the least any Go function must spend on it.
func Floor(req []byte, iters int) (time.Duration, error) {
	lat := make([]time.Duration, 0, iters)
	for range iters {
		m := &fnv1.RunFunctionRequest{}
		t := time.Now()
		if err := proto.Unmarshal(req, m); err != nil {
			return 0, fmt.Errorf("cannot decode request: %w", err)
		}
		lat = append(lat, time.Since(t))
	}
	return Percentile(lat, 50), nil
}

// Percentile is the nearest-rank percentile p of ds.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n)
	return s[max(rank, 1)-1]
}
