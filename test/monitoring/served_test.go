package monitoring

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServedMetricsDocumented runs the function and the provider as built from this tree, scrapes their metrics
// endpoints and fails for any metric family docs/metrics.md does not name. The provider talks to a stand-in API
// server that answers 404 to everything: its controllers, workqueues and metrics still start, which is all a
// scrape needs. Families that only appear once a PeerSync exists (crossplane_managed_resource_*, the per-PeerSync
// gauges) are checked by the tables of docs/metrics.md being read against the code, not here.
func TestServedMetricsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both binaries")
	}
	documented := documentedMetrics(t)
	bin := t.TempDir()
	for _, b := range []string{"fn", "provider"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, b), "./"+b) //nolint:gosec // our own packages.
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./%s: %v\n%s", b, err, out)
		}
	}

	apiserver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
	}))
	defer apiserver.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, apiserver.URL)), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		args []string
		env  []string
		// must be served: proves the scrape reached the component, not an empty page.
		mustServe []string
	}{
		"function-stellar-peers": {
			args:      []string{filepath.Join(bin, "fn"), "--insecure", "--address=127.0.0.1:" + freePort(t), "--metrics-address=127.0.0.1:{metrics}"},
			mustServe: []string{"grpc_server_handled_total", "go_goroutines", "process_cpu_seconds_total"},
		},
		"provider-stellar-core": {
			args: []string{filepath.Join(bin, "provider"), "--metrics-bind-address=127.0.0.1:{metrics}",
				"--health-probe-bind-address=127.0.0.1:" + freePort(t)},
			env:       []string{"KUBECONFIG=" + kubeconfig},
			mustServe: []string{"controller_runtime_reconcile_total", "workqueue_adds_total", "rest_client_requests_total", "stellar_peers_peersync_list_errors_total"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			metricsPort := freePort(t)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "{metrics}", metricsPort)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := exec.CommandContext(ctx, args[0], args[1:]...) //nolint:gosec // the binaries built above.
			cmd.Env = append(os.Environ(), tc.env...)
			log := filepath.Join(t.TempDir(), name+".log")
			out, err := os.Create(log) //nolint:gosec // a temporary file.
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close() //nolint:errcheck // a log file.
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cancel() // kills the process
				_ = cmd.Wait()
			}()

			families := scrapeUntil(t, "http://127.0.0.1:"+metricsPort+"/metrics", tc.mustServe, log)
			for _, f := range slices.Sorted(maps.Keys(families)) {
				if !documented.has(f) {
					t.Errorf("%s serves %s, which %s does not document", name, f, metricsDoc)
				}
			}
		})
	}
}

// scrapeUntil scrapes url until every family in must is served (30 s at most) and returns the families served.
func scrapeUntil(t *testing.T, url string, must []string, log string) map[string]bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var families map[string]bool
	var last string
	for time.Now().Before(deadline) {
		families, last = scrape(url)
		missing := false
		for _, m := range must {
			missing = missing || !families[m]
		}
		if !missing {
			return families
		}
		time.Sleep(200 * time.Millisecond)
	}
	logged, _ := os.ReadFile(log) //nolint:gosec // the test's own log file.
	t.Fatalf("%s did not serve all of %v within 30s (last: %s); served %v\nlog:\n%s", url, must, last, slices.Sorted(maps.Keys(families)), logged)
	return nil
}

// scrape returns the metric families of a text-format page, from its # TYPE lines.
func scrape(url string) (map[string]bool, string) {
	families := map[string]bool{}
	resp, err := http.Get(url) //nolint:gosec,noctx // a loopback endpoint of a process this test started.
	if err != nil {
		return families, err.Error()
	}
	defer resp.Body.Close() //nolint:errcheck // a read-only body.
	if resp.StatusCode != http.StatusOK {
		return families, resp.Status
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "# TYPE "); ok {
			name, _, _ := strings.Cut(f, " ")
			families[name] = true
		}
	}
	return families, resp.Status
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only its port is wanted.
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
