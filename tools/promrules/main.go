// Command promrules checks Prometheus rule files as `promtool check rules` does, with Prometheus's own rulefmt and
// PromQL parser, and also reads a PrometheusRule object (its spec is a rule file). It lives in a tools module of
// its own because github.com/prometheus/prometheus would raise the versions of client_golang, common and otel that
// the provider and the function link.
//
// For each file it prints one JSON line per rule: {"file", "group", "alert" or "record", "for", "metrics"} where
// metrics are the metric names the expression selects, so a test can check them against the documentation. Any
// error is printed to stderr and the exit code is 1.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

type ruleLine struct {
	File    string   `json:"file"`
	Group   string   `json:"group"`
	Alert   string   `json:"alert,omitempty"`
	Record  string   `json:"record,omitempty"`
	For     string   `json:"for,omitempty"`
	Metrics []string `json:"metrics"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promrules FILE...")
		os.Exit(2)
	}
	failed := false
	out := json.NewEncoder(os.Stdout)
	for _, f := range os.Args[1:] {
		lines, errs := check(f)
		for _, err := range errs {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f, err)
			failed = true
		}
		for _, l := range lines {
			if err := out.Encode(l); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func check(file string) ([]ruleLine, []error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{err}
	}
	content, err := ruleFile(raw)
	if err != nil {
		return nil, []error{err}
	}
	p := parser.NewParser(parser.Options{})
	// Unknown fields are errors, as in `promtool check rules`.
	groups, errs := rulefmt.Parse(content, false, model.UTF8Validation, p, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	var lines []ruleLine
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, []error{fmt.Errorf("group %q: %w", g.Name, err)}
			}
			l := ruleLine{File: file, Group: g.Name, Alert: r.Alert, Record: r.Record, Metrics: metricNames(expr)}
			if r.For != 0 {
				l.For = r.For.String()
			}
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// ruleFile returns a plain rule file: the spec of a PrometheusRule object, or the content itself.
func ruleFile(raw []byte) ([]byte, error) {
	var obj struct {
		Kind string    `yaml:"kind"`
		Spec yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if obj.Kind != "PrometheusRule" {
		return raw, nil
	}
	return yaml.Marshal(&obj.Spec)
}

// metricNames lists the metric names the expression's selectors match by equality, sorted and unique.
func metricNames(expr parser.Expr) []string {
	seen := map[string]bool{}
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				seen[m.Value] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
