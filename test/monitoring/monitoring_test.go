// Package monitoring checks what operators monitor with: examples/monitoring parses as Prometheus parses rule files
// (the pinned promrules tool, Prometheus's own rulefmt and PromQL parser), its alerts use only documented metrics,
// and docs/metrics.md names every metric the function and the provider serve.
package monitoring

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stellarpeers/stellar-peers/test/required"
)

// envPromRules names the pinned rule checker; the Makefile exports it.
const envPromRules = "STELLAR_PEERS_PROMRULES"

var (
	ruleFile   = filepath.Join("..", "..", "examples", "monitoring", "prometheusrule.yaml")
	metricsDoc = filepath.Join("..", "..", "docs", "metrics.md")
)

type ruleLine struct {
	Group   string   `json:"group"`
	Alert   string   `json:"alert"`
	For     string   `json:"for"`
	Metrics []string `json:"metrics"`
}

func checkRules(t *testing.T, file string) ([]ruleLine, string, error) {
	t.Helper()
	promRules := required.Path(t, envPromRules, "the promrules binary, `make tools`")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, promRules, file) //nolint:gosec // the pinned tool on our own files.
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var lines []ruleLine
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var l ruleLine
		if jerr := json.Unmarshal(sc.Bytes(), &l); jerr != nil {
			t.Fatalf("promrules printed %q: %v", sc.Text(), jerr)
		}
		lines = append(lines, l)
	}
	return lines, stderr.String(), err
}

// TestPrometheusRule: the example rule file parses, holds the alerts an operator needs, each on the metrics it
// should use, and every metric it uses is documented.
func TestPrometheusRule(t *testing.T) {
	got, stderr, err := checkRules(t, ruleFile)
	if err != nil {
		t.Fatalf("promrules %s: %v\n%s", ruleFile, err, stderr)
	}
	want := []ruleLine{
		{Group: "stellar-peers.nodes", Alert: "StellarPeersNodeNotSynced", For: "5m", Metrics: []string{"stellar_peers_peersync_ready"}},
		{Group: "stellar-peers.nodes", Alert: "StellarPeersDesiredPeersMissing", For: "10m", Metrics: []string{"stellar_peers_peersync_missing_peers"}},
		{Group: "stellar-peers.quorum", Alert: "StellarPeersQuorumOneFailureFromLoss", For: "5m", Metrics: []string{"stellar_peers_quorum_failures_tolerated"}},
		{Group: "stellar-peers.directory", Alert: "StellarPeersDirectoryShrinkHeld", For: "1m", Metrics: []string{"stellar_peers_directory_condition"}},
		{Group: "stellar-peers.function", Alert: "StellarPeersFunctionErrors", For: "10m", Metrics: []string{"grpc_server_handled_total"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	documented := documentedMetrics(t)
	for _, r := range got {
		for _, m := range r.Metrics {
			if !documented.has(m) {
				t.Errorf("alert %s uses %s, which %s does not document", r.Alert, m, metricsDoc)
			}
		}
	}
}

// TestRuleCheckerRejects: the checker fails on each kind of broken rule, so a broken example cannot pass.
func TestRuleCheckerRejects(t *testing.T) {
	cases := map[string]string{
		"bad-expr.yaml":     `unexpected "(" in grouping opts`,
		"bad-function.yaml": `expected type range vector in call to function "rate"`,
		"bad-for.yaml":      `not a valid duration string: "five minutes"`,
		"bad-template.yaml": `annotation "summary"`,
		"bad-field.yaml":    "field expression not found",
	}
	for file, wantErr := range cases {
		t.Run(file, func(t *testing.T) {
			_, stderr, err := checkRules(t, filepath.Join("testdata", file))
			if err == nil {
				t.Fatalf("promrules accepted %s", file)
			}
			if !strings.Contains(stderr, wantErr) {
				t.Errorf("promrules %s said %q, want it to contain %q", file, stderr, wantErr)
			}
		})
	}
}

// docNames are the metric names in the first column of docs/metrics.md's tables; a name ending in * covers a prefix.
type docNames struct {
	exact    map[string]bool
	prefixes []string
}

func (d docNames) has(name string) bool {
	if d.exact[name] {
		return true
	}
	for _, p := range d.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

var firstColumn = regexp.MustCompile("^\\| `([a-z_:][a-z0-9_:]*\\*?)` \\|")

func documentedMetrics(t *testing.T) docNames {
	t.Helper()
	raw, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatal(err)
	}
	d := docNames{exact: map[string]bool{}}
	for line := range strings.Lines(string(raw)) {
		m := firstColumn.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if p, ok := strings.CutSuffix(m[1], "*"); ok {
			d.prefixes = append(d.prefixes, p)
			continue
		}
		d.exact[m[1]] = true
	}
	if len(d.exact) == 0 {
		t.Fatalf("%s names no metric", metricsDoc)
	}
	return d
}

func TestDocumentedMetricsParsing(t *testing.T) {
	d := documentedMetrics(t)
	cases := map[string]bool{
		"controller_runtime_reconcile_total": true,
		"go_goroutines":                      true,
		"process_cpu_seconds_total":          true,
		"stellar_peers_peersync_ready":       true,
		"stellar_peers_not_a_metric":         false,
		"gorilla":                            false,
	}
	got := map[string]bool{}
	for name := range cases {
		got[name] = d.has(name)
	}
	if diff := cmp.Diff(cases, got); diff != "" {
		t.Errorf("documented (-want +got):\n%s", diff)
	}
}
