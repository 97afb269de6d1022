// Package packages checks what we ship: every example validates offline with the real `crossplane resource
// validate` against our XRDs and CRDs, and the built .xpkg files hold exactly the objects they should. The
// Makefile builds the packages and names the pinned binaries; run these through `make unit`.
package packages

import (
	"os"
	"path/filepath"
	"testing"
)

// Environment variables the Makefile exports.
const (
	envCrossplaneCLI     = "E2E_CROSSPLANE_CLI"
	envCrossplaneCRDs    = "E2E_CROSSPLANE_CRDS"
	envRequireTools      = "STELLAR_PEERS_REQUIRE_TOOLS"
	envFunctionXpkg      = "STELLAR_PEERS_FUNCTION_XPKG"
	envProviderXpkg      = "STELLAR_PEERS_PROVIDER_XPKG"
	envConfigurationXpkg = "STELLAR_PEERS_CONFIGURATION_XPKG"
)

// requirePath returns the path the environment variable names. When it is unset or missing the test fails under
// make (STELLAR_PEERS_REQUIRE_TOOLS=1), so CI cannot pass by skipping, and skips otherwise.
func requirePath(t *testing.T, env, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv(envRequireTools) != "" {
		t.Fatalf("%s must name an existing file or folder (%s); got %q", env, hint, p)
	}
	t.Skipf("%s is not set or missing (%s); `make unit` runs this test", env, hint)
	return ""
}

// requirePathValue is requirePath for one file of a list the environment variable names.
func requirePathValue(t *testing.T, env, p string) {
	t.Helper()
	if _, err := os.Stat(p); err == nil {
		return
	}
	if os.Getenv(envRequireTools) != "" {
		t.Fatalf("%s names %s, which does not exist (`make xpkg-all`)", env, p)
	}
	t.Skipf("%s names %s, which does not exist; `make unit` runs this test", env, p)
}

// repoPath is a path relative to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{"..", ".."}, elem...)...)
}
