// Package required finds the pinned tools and built files a test needs through the environment variables the
// Makefile exports. What is missing fails the test under make (STELLAR_PEERS_REQUIRE_TOOLS set), so CI cannot pass
// by skipping, and skips it elsewhere, where a plain `go test` has not built them.
package required

import (
	"fmt"
	"os"
	"testing"
)

// EnvRequireTools is set by make: from then on a missing tool or file is a failure, not a skip.
const EnvRequireTools = "STELLAR_PEERS_REQUIRE_TOOLS"

// Path returns the existing file or folder the environment variable env names, or ends the test (Missing) when env
// is unset or names nothing. hint says what env names and which make target makes it.
func Path(t testing.TB, env, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Missing(t, fmt.Sprintf("%s must name an existing file or folder (%s), got %q; `make unit` sets it", env, hint, p))
	return ""
}

// Missing ends the test, saying what is missing: a failure under make, a skip elsewhere.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Enforced() {
		t.Fatal(what)
	}
	t.Skip(what)
}

// Enforced reports whether a missing tool or file is a failure (under make) rather than a skip; for a TestMain,
// which has no testing.TB to end.
func Enforced() bool { return os.Getenv(EnvRequireTools) != "" }
