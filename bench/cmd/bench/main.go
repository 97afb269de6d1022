// Command bench serves function-stellar-peers and function-go-templating side
// by side, sends both the same RunFunctionRequests and reports latency, CPU,
// memory and response size per size, and the decode floor. See bench/RESULTS.md.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/stellarpeers/stellar-peers/bench"
)

const (
	beginMarker = "<!-- bench:begin (written by make bench) -->"
	endMarker   = "<!-- bench:end -->"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		b       bench.Binaries
		sizes   = flag.String("sizes", "10,100,1000,10000", "numbers of XStellarNodes per request")
		budget  = flag.Duration("budget", 20*time.Second, "measured time per size, roughly: sets the number of calls")
		minIter = flag.Int("min-iterations", 5, "fewest calls per function and size")
		maxIter = flag.Int("max-iterations", 200, "most calls per function and size")
		results = flag.String("results", "", "Markdown file whose bench section is replaced with this run's")
		command = flag.String("command", "make bench", "the command to report")
	)
	flag.StringVar(&b.Ours, "ours", "", "function-stellar-peers binary")
	flag.StringVar(&b.Theirs, "theirs", "", "function-go-templating binary")
	flag.Parse()
	if b.Ours == "" || b.Theirs == "" {
		return fmt.Errorf("cannot run: --ours and --theirs are required")
	}
	// Ours runs with its defaults (64 MiB receive limit, as packaged); theirs
	// needs a larger receive limit than its 4 MB default to be measured at all.
	b.OursArgs = []string{"--metrics-address="}
	b.TheirsArgs = []string{"--max-recv-message-size=1024"}

	ns, err := parseSizes(*sizes)
	if err != nil {
		return err
	}

	ctx := context.Background()
	var rows []bench.Row
	for _, n := range ns {
		fmt.Fprintf(os.Stderr, "bench: %d nodes...\n", n)
		r, err := bench.Measure(ctx, b, n, *budget, *minIter, *maxIter)
		if err != nil {
			return fmt.Errorf("cannot measure %d nodes: %w", n, err)
		}
		rows = append(rows, r)
	}

	summary := summarize(rows)
	report := Report(rows, machine(), *command)
	fmt.Print(report)
	if *results != "" {
		if err := replaceSection(*results, report+summary); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if len(r.Diffs) > 0 {
			return fmt.Errorf("outputs differ at %d nodes: %s", r.Nodes, strings.Join(r.Diffs, "; "))
		}
	}
	fmt.Print(summary) // the last line
	return nil
}

// parseSizes reads --sizes, a comma-separated list of node counts.
func parseSizes(sizes string) ([]int, error) {
	var ns []int
	for f := range strings.SplitSeq(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("cannot parse --sizes %q", sizes)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// summarize is the run's last line: the 1,000-node ratios, or "" without
// that size.
func summarize(rows []bench.Row) string {
	summary := ""
	for _, r := range rows {
		if r.Nodes == 1000 {
			summary = fmt.Sprintf("1000 nodes: %.1fx faster than function-go-templating, %.2fx the decode floor\n", r.Ratio(), r.FloorRatio())
		}
	}
	return summary
}

// Report renders the run as Markdown.
func Report(rows []bench.Row, machine, command string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "Machine: %s. Command: `%s`. Run at %s.\n\n", machine, command, time.Now().UTC().Format(time.RFC3339))
	s.WriteString("Both servers run at once on this machine, in fresh processes per size, and after a first call (which checks\n" +
		"the outputs) and three warm-up calls each, are called alternately with the same request bytes (only the step\n" +
		"input differs), so every ratio below comes from the same run under the same load.\n" +
		"Latency is the client's wall time of one RunFunction over loopback gRPC; CPU is user+system time of the server\n" +
		"process per call; peak RSS is the server's VmHWM; floor is a bare proto.Unmarshal of the same request.\n\n")
	s.WriteString("| nodes | request | function | calls | median | p99 | CPU/call | peak RSS | response | median/node | outputs |\n")
	s.WriteString("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		match := "match byte for byte"
		if len(r.Diffs) > 0 {
			match = "DIFFER: " + strings.Join(r.Diffs, "; ")
		}
		for _, f := range []struct {
			name string
			st   bench.Stats
		}{{"stellar-peers", r.Ours}, {"go-templating", r.Theirs}} {
			fmt.Fprintf(&s, "| %d | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
				r.Nodes, size(int64(r.Request)), f.name, f.st.Iterations, dur(f.st.Median), dur(f.st.P99), dur(f.st.CPU),
				size(f.st.PeakRSS), size(int64(f.st.Response)), dur(f.st.Median/time.Duration(max(r.Nodes, 1))), match)
		}
	}
	s.WriteString("\n| nodes | decode floor | ours / floor | theirs / ours (median) | theirs / ours (CPU) | theirs / ours (peak RSS) |\n")
	s.WriteString("|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&s, "| %d | %s | %.2fx | %.1fx | %.1fx | %.1fx |\n", r.Nodes, dur(r.Floor), r.FloorRatio(), r.Ratio(),
			float64(r.Theirs.CPU)/float64(max(r.Ours.CPU, time.Microsecond)), float64(r.Theirs.PeakRSS)/float64(r.Ours.PeakRSS))
	}
	s.WriteString("\n")
	return s.String()
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	}
}

func size(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	default:
		return fmt.Sprintf("%d B", b)
	}
}

func machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	gov := runtime.Version()
	if out, err := exec.Command("go", "version").Output(); err == nil {
		gov = strings.TrimSpace(string(out))
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("nproc %d, %s, %s%s", runtime.NumCPU(), model, gov, load)
}

// replaceSection writes report between the bench markers of path, keeping
// the rest of the file; without markers it appends them.
func replaceSection(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	section := beginMarker + "\n" + report + endMarker
	s := string(old)
	before, rest, okB := strings.Cut(s, beginMarker)
	_, after, okE := strings.Cut(rest, endMarker)
	if okB && okE {
		s = before + section + after
	} else {
		s += "\n" + section + "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
