// Package docs checks that the operator documentation keeps up with the code: every condition reason and every
// event or result message the function and the provider emit has an entry in docs/troubleshooting.md.
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	repo            = filepath.Join("..", "..")
	troubleshooting = filepath.Join(repo, "docs", "troubleshooting.md")
	// verb matches a fmt verb; the text between verbs is what a reader can search the guide for.
	verb = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z%]`)
)

// emitters are the calls whose first string argument is a message or reason a user sees: function results
// (fatal, warning, normalf and the errors they carry), conditions, and the provider's errors, which end up in
// Synced=False messages and events.
var emitters = map[string]bool{
	"normalf": true, "Errorf": true, "New": true, "Wrap": true, "Wrapf": true, "setCondition": true,
	"notReady": true, "stateMessage": true,
}

// message is one literal a user can see, and where it is.
type message struct {
	text string
	at   string
}

// messages returns the string literals passed to emitters, and every string constant, in the non-test Go files
// of dirs.
func messages(t *testing.T, dirs ...string) []message {
	t.Helper()
	var out []message
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(repo, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(filepath.Base(f), "zz_generated") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					name := ""
					switch fn := n.Fun.(type) {
					case *ast.Ident:
						name = fn.Name
					case *ast.SelectorExpr:
						name = fn.Sel.Name
					}
					if !emitters[name] {
						return true
					}
					for _, a := range n.Args {
						if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, err := strconv.Unquote(lit.Value)
							if err == nil {
								out = append(out, message{text: s, at: fset.Position(lit.Pos()).String()})
							}
						}
					}
				case *ast.ValueSpec:
					// Named errors and condition reasons: errInfo = "cannot read stellar-core /info", ReasonUnreachable.
					for i, v := range n.Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING || i >= len(n.Names) {
							continue
						}
						name := n.Names[i].Name
						if !strings.HasPrefix(name, "err") && !strings.HasPrefix(name, "Reason") && !strings.HasPrefix(name, "condition") {
							continue
						}
						s, err := strconv.Unquote(lit.Value)
						if err == nil {
							out = append(out, message{text: s, at: fset.Position(lit.Pos()).String()})
						}
					}
				}
				return true
			})
		}
	}
	return out
}

// searchable is the longest run of a message between format verbs, trimmed: what the guide must contain.
func searchable(msg string) string {
	best := ""
	for _, part := range verb.Split(msg, -1) {
		part = strings.Trim(part, " :;,.()\"'[]")
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}

// TestTroubleshootingCoversEveryMessage: a message or reason fn/ or provider/ emits that the guide does not name
// fails here, so the guide cannot fall behind the code.
func TestTroubleshootingCoversEveryMessage(t *testing.T) {
	raw, err := os.ReadFile(troubleshooting)
	if err != nil {
		t.Fatal(err)
	}
	// Prose wraps lines: compare with whitespace collapsed.
	guide := strings.Join(strings.Fields(string(raw)), " ")
	msgs := messages(t, "fn", "provider/controller/peersync", "provider/controller/config", "internal/stellarcore")
	if len(msgs) < 30 {
		t.Fatalf("found only %d messages; the scan is broken", len(msgs))
	}
	var missing []string
	for _, m := range msgs {
		s := searchable(m.text)
		// Short fragments ("peer-sync", "f") are names or glue, not messages a reader searches for.
		if len(s) < 8 {
			continue
		}
		if !strings.Contains(guide, s) {
			missing = append(missing, m.at+": "+strconv.Quote(s))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s does not name these messages or reasons (add an entry for each):\n%s", troubleshooting, strings.Join(missing, "\n"))
	}
}

func TestSearchable(t *testing.T) {
	cases := map[string]string{
		"%s: spec.network: is required":                  "spec.network: is required",
		"cannot publish %d peers: ConfigMap %s/%s would": "peers: ConfigMap",
		"ShrinkGuard": "ShrinkGuard",
		"%d more warnings like the above were left out": "more warnings like the above were left out",
		`secret %s/%s has no key %q`:                    "has no key",
	}
	got := map[string]string{}
	for in := range cases {
		got[in] = searchable(in)
	}
	if diff := cmp.Diff(cases, got); diff != "" {
		t.Errorf("searchable (-want +got):\n%s", diff)
	}
}
