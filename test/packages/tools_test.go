// Package packages checks what we ship: every example validates offline with the real `crossplane resource
// validate` against our XRDs and CRDs, and the built .xpkg files hold exactly the objects they should. The
// Makefile builds the packages and names the pinned binaries; run these through `make unit`.
package packages

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stellarpeers/stellar-peers/test/required"
)

// Environment variables the Makefile exports.
const (
	envCrossplaneCLI     = "E2E_CROSSPLANE_CLI"
	envCrossplaneCRDs    = "E2E_CROSSPLANE_CRDS"
	envFunctionXpkg      = "STELLAR_PEERS_FUNCTION_XPKG"
	envProviderXpkg      = "STELLAR_PEERS_PROVIDER_XPKG"
	envConfigurationXpkg = "STELLAR_PEERS_CONFIGURATION_XPKG"
)

// requirePathValue checks that p, one file of the list env names, exists.
func requirePathValue(t *testing.T, env, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		required.Missing(t, fmt.Sprintf("%s names %s, which does not exist (`make xpkg-all`)", env, p))
	}
}

// repoPath is a path relative to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{"..", ".."}, elem...)...)
}
