//go:build scale

// Package scale measures the product at fleet size on a real control plane (issue 7, item 4): the provider
// against hundreds of simulated stellar-core nodes, and the directory following a bulk add of validators. It is
// a benchmark, not a test of timings: it asserts only correctness (every node connected, no redundant connect,
// a bounded number of requests per reconcile, every validator listed) and reports the times it measured.
// `make bench-scale` runs it and writes the report into bench/RESULTS.md.
package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// Settings, from the environment so that `make bench-scale` can vary them.
var (
	// fleetSize is the number of validators.
	fleetSize = envInt("SCALE_NODES", 500)
	// namespaces is how many namespaces the validators are spread over.
	namespaces = 10
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// fastClient is an admin client without client-go's default 5 requests per second, so creating hundreds of
// objects measures the control plane rather than the client's rate limiter.
func fastClient(cp *harness.ControlPlane) (client.Client, error) {
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("cannot create a client: %w", err)
	}
	return c, nil
}

// createAll creates objs with a few concurrent workers, as `kubectl apply` of a large folder or Argo CD would.
func createAll(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) error {
	const workers = 8
	work := make(chan *unstructured.Unstructured)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for o := range work {
				if err := c.Create(ctx, o); err != nil && errs[w] == nil {
					errs[w] = fmt.Errorf("cannot create %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// validatorName is validator i's claim name and namespace.
func validatorName(i int) (ns, name string) {
	return fmt.Sprintf("scale-%02d", i%namespaces), fmt.Sprintf("validator-%04d", i)
}

// milestones records when a count first reached given fractions of its target.
type milestones struct {
	start   time.Time
	target  int
	percent []int
	reached map[int]time.Duration
}

func newMilestones(start time.Time, target int, percent ...int) *milestones {
	return &milestones{start: start, target: target, percent: percent, reached: map[int]time.Duration{}}
}

// observe records the milestones count has reached now.
func (m *milestones) observe(count int) {
	for _, p := range m.percent {
		if _, ok := m.reached[p]; !ok && count*100 >= m.target*p {
			m.reached[p] = time.Since(m.start)
		}
	}
}

// follow calls count every interval, observing what it returns, until it reaches the target. When ctx ends first it
// returns false, with the last count.
func (m *milestones) follow(ctx context.Context, every time.Duration, count func() int) (last int, reached bool) {
	for {
		last = count()
		m.observe(last)
		if last == m.target {
			return last, true
		}
		select {
		case <-ctx.Done():
			return last, false
		case <-time.After(every):
		}
	}
}

// String is e.g. "50%: 12.3 s, 90%: 20.1 s, 100%: 31.0 s".
func (m *milestones) String() string {
	parts := make([]string, 0, len(m.percent))
	for _, p := range m.percent {
		d, ok := m.reached[p]
		if !ok {
			parts = append(parts, fmt.Sprintf("%d%%: not reached", p))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d%%: %s", p, seconds(d)))
	}
	return strings.Join(parts, ", ")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// usage describes a component's CPU time and peak memory.
func usage(cp *harness.ControlPlane, component string) string {
	cpu, rss, err := cp.Usage(component)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s CPU, peak RSS %.0f MiB", seconds(cpu), float64(rss)/(1<<20))
}

// report collects a test's figures and writes them into the results file's section for the test when
// SCALE_RESULTS names one (bench/RESULTS.md under make bench-scale).
type report struct {
	section string
	// command is the make target that writes the section, e.g. "make bench-gitops"; detail follows it in the
	// section's first line.
	command, detail string
	lines           []string
}

func (r *report) add(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	r.lines = append(r.lines, line)
}

func (r *report) write(t *testing.T) {
	t.Helper()
	path := os.Getenv("SCALE_RESULTS")
	if path == "" {
		return
	}
	if t.Failed() {
		r.lines = append(r.lines, "**the test failed**: see its log for why; figures above are what it measured until then")
	}
	data, err := os.ReadFile(path) //nolint:gosec // the results file make passes.
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	begin, end := "<!-- "+r.section+":begin (written by "+r.command+") -->", "<!-- "+r.section+":end -->"
	text := string(data)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("cannot find the markers %q and %q in %s", begin, end, path)
	}
	body := fmt.Sprintf("Run at %s on nproc 2 (`%s`%s).\n\n", time.Now().UTC().Format(time.RFC3339), r.command, r.detail)
	for _, l := range r.lines {
		body += "- " + l + "\n"
	}
	text = text[:i+len(begin)] + "\n" + body + text[j:]
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil { //nolint:gosec // a tracked Markdown file.
		t.Fatalf("cannot write %s: %v", path, err)
	}
}
