package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
	"github.com/stellarpeers/stellar-peers/test/required"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of TestRenderExamples")

// TestRenderExamples runs the real `crossplane composition render` over every folder of examples/render against
// this function, served on loopback, and compares the output with the folder's rendered.golden.yaml. Each folder
// holds xr.yaml, composition.yaml, functions.yaml, required.yaml and optionally observed.yaml.
func TestRenderExamples(t *testing.T) {
	cli := required.Path(t, "E2E_CROSSPLANE_CLI", "the pinned crossplane CLI, make tools")
	core := required.Path(t, "E2E_CROSSPLANE", "the pinned Crossplane core, make tools")
	target := serveInsecure(t)

	dirs, err := filepath.Glob(filepath.Join("..", "examples", "render", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no render examples found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := []string{"composition", "render",
				filepath.Join(dir, "xr.yaml"), filepath.Join(dir, "composition.yaml"), filepath.Join(dir, "functions.yaml"),
				"--required-resources=" + filepath.Join(dir, "required.yaml"),
				"--crossplane-binary=" + core,
				"--function-annotations=render.crossplane.io/runtime-development-target=" + target,
				"--include-function-results",
			}
			if _, err := os.Stat(filepath.Join(dir, "observed.yaml")); err == nil {
				args = append(args, "--observed-resources="+filepath.Join(dir, "observed.yaml"))
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, cli, args...)
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("crossplane %v: %v\n%s", args, err, stderr.String())
			}
			got := sortResults(out)
			golden := filepath.Join(dir, "rendered.golden.yaml")
			if *updateGolden {
				if err := os.WriteFile(golden, got, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden) //nolint:gosec // a file of this repository.
			if err != nil {
				t.Fatalf("cannot read %s (run `go test ./fn -run TestRenderExamples -update` to create it): %v", golden, err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("crossplane composition render of %s: -want +got:\n%s", dir, diff)
			}
			checkRenderedConfigs(t, dir, got)
		})
	}
}

// TestRenderedConfigsStart runs the checker on every stellar-core config in
// the committed render goldens, so a golden core would refuse fails even
// where the crossplane CLI is not built.
func TestRenderedConfigsStart(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "examples", "render", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no render examples found: %v", err)
	}
	configs := 0
	for _, dir := range dirs {
		golden, err := os.ReadFile(filepath.Join(dir, "rendered.golden.yaml")) //nolint:gosec // a file of this repository.
		if err != nil {
			t.Fatal(err)
		}
		configs += checkRenderedConfigs(t, dir, golden)
	}
	if configs < 2 {
		t.Errorf("checked %d rendered configs, want at least the node and organization examples'", configs)
	}
}

// checkRenderedConfigs runs stellarcfg.Check on each stellar-core config
// `crossplane composition render` output for the example in dir, against the
// example's network and key: core must take every one without a problem.
// It returns how many it checked.
func checkRenderedConfigs(t *testing.T, dir string, rendered []byte) int {
	t.Helper()
	spec := structpath.Object(loadYAML(t, filepath.Join(dir, "xr.yaml"))[0], "spec")
	n := 0
	for _, doc := range strings.Split(string(rendered), "\n---\n") {
		var obj struct {
			Kind string            `json:"kind"`
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		cfg, ok := obj.Data[configKey]
		if !ok || obj.Kind != "ConfigMap" {
			continue
		}
		passphrase, err := stellarcfg.Passphrase(structpath.StringOr(spec, "", "network"), structpath.StringOr(spec, "", "networkPassphrase"))
		if err != nil {
			t.Fatal(err)
		}
		opts := stellarcfg.Options{Passphrase: passphrase, SeedAtStart: true, NodePublicKey: structpath.StringOr(spec, "", "validator", "publicKey")}
		if ps := stellarcfg.Check(cfg, opts); len(ps) != 0 {
			t.Errorf("%s: stellar-core would not take the rendered config as it is: %v\n%s", dir, ps, cfg)
		}
		n++
	}
	return n
}

// sortResults puts the Result documents at the end of render's output in a stable order: Crossplane reports its
// own per-resource events (e.g. "Composed resource X is not yet ready") in map order.
func sortResults(out []byte) []byte {
	docs := strings.Split(strings.TrimRight(string(out), "\n"), "\n---\n")
	var objects, results []string
	for _, d := range docs {
		if strings.Contains(d, "\nkind: Result\n") {
			results = append(results, d)
			continue
		}
		objects = append(objects, d)
	}
	sort.Strings(results)
	return []byte(strings.Join(append(objects, results...), "\n---\n") + "\n")
}

// serveInsecure serves the function without TLS on a loopback port, as the render Development runtime expects.
func serveInsecure(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fnv1.RegisterFunctionRunnerServiceServer(srv, &Function{log: logging.NewNopLogger()})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}
