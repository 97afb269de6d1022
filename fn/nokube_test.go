package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const modulePath = "github.com/stellarpeers/stellar-peers"

// kubeClientSymbols are the entry points through which a Go program gets a Kubernetes API connection: building a
// rest.Config (in-cluster or from a kubeconfig) or a client from one. The linker drops every function nothing
// calls, so a binary without them cannot talk to an apiserver.
var kubeClientSymbols = regexp.MustCompile(`^(` +
	`k8s\.io/client-go/rest\.(InClusterConfig|RESTClientFor|UnversionedRESTClientFor|HTTPClientFor|RESTClientForConfigAndClient)` +
	`|k8s\.io/client-go/tools/clientcmd\.` +
	`|k8s\.io/client-go/(kubernetes|dynamic|metadata|discovery)\.New` +
	`|sigs\.k8s\.io/controller-runtime/pkg/client\.New` +
	`|sigs\.k8s\.io/controller-runtime/pkg/client/config\.` +
	`|sigs\.k8s\.io/controller-runtime/pkg/manager\.New` +
	`)`)

// kubeClientPackages may not be imported by any of our own packages in the function.
var kubeClientPackages = []string{"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/crossplane/crossplane-runtime/v2/pkg/reconciler"}

// TestFunctionHasNoKubernetesAccess: the function gets everything it reads from Crossplane in the request and
// returns everything it writes in the response; it has no Kubernetes credentials and no client. None of our
// packages in the binary imports a Kubernetes client, and the linked binary holds no function that could build
// one. (function-sdk-go links some client-go and controller-runtime types for its resource helpers; their
// constructors are dead code the linker removes.) The provider binary is the control: the same check finds them.
func TestFunctionHasNoKubernetesAccess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function and provider binaries")
	}
	root := moduleRoot(t)

	t.Run("OwnPackagesImportNoClient", func(t *testing.T) {
		out := goCmd(t, root, "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./fn")
		var bad []string
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 || !strings.HasPrefix(fields[0], modulePath) {
				continue
			}
			for _, imp := range fields[1:] {
				for _, p := range kubeClientPackages {
					if strings.HasPrefix(imp, p) {
						bad = append(bad, fields[0]+" imports "+imp)
					}
				}
			}
		}
		if diff := cmp.Diff([]string(nil), bad); diff != "" {
			t.Errorf("our packages in ./fn import Kubernetes clients: -want +got:\n%s", diff)
		}
	})

	dir := t.TempDir()
	for _, tc := range []struct {
		pkg        string
		wantClient bool
	}{
		{pkg: "./fn", wantClient: false},
		{pkg: "./provider", wantClient: true},
	} {
		t.Run("LinkedSymbols"+strings.TrimPrefix(tc.pkg, "./"), func(t *testing.T) {
			bin := filepath.Join(dir, filepath.Base(tc.pkg))
			goCmd(t, root, "build", "-o", bin, tc.pkg)
			got := clientSymbols(t, goCmd(t, root, "tool", "nm", bin))
			if tc.wantClient && len(got) == 0 {
				t.Fatalf("%s: found no Kubernetes client symbols; the check no longer detects them", tc.pkg)
			}
			if !tc.wantClient && len(got) > 0 {
				t.Errorf("%s links Kubernetes client constructors: %q", tc.pkg, got)
			}
		})
	}
}

func clientSymbols(t *testing.T, nm []byte) []string {
	t.Helper()
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(nm))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[1] != "T" { // text (code) symbols only
			continue
		}
		if sym := strings.Join(f[2:], " "); kubeClientSymbols.MatchString(sym) {
			got = append(got, sym)
		}
	}
	slices.Sort(got)
	return slices.Compact(got)
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out := goCmd(t, ".", "env", "GOMOD")
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func goCmd(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot run go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}
