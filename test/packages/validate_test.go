package packages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stellarpeers/stellar-peers/test/required"
)

// validateResult is the part of `crossplane resource validate --output=json` the test reads.
type validateResult struct {
	Summary struct {
		Total int `json:"total"`
	} `json:"summary"`
	Resources []struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Namespace  string `json:"namespace"`
		Status     string `json:"status"`
		Errors     []struct {
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"resources"`
}

// noSchemaGroups are API groups we ship examples for but whose schemas are not ours to carry: Argo CD's CRDs.
// Kubernetes built-ins are validated by the CLI itself.
var noSchemaGroups = map[string]bool{"argoproj.io": true}

// TestExamplesValidate runs the real `crossplane resource validate`, offline, over every example against our XRDs,
// the function's input CRDs, the provider's CRDs, the example CRD of the original operator's StellarNode and
// Crossplane's own CRDs (for Compositions and package objects). Every object must be valid, and only Argo CD's
// objects may lack a schema. A deliberately broken claim proves the check can fail.
func TestExamplesValidate(t *testing.T) {
	cli := required.Path(t, envCrossplaneCLI, "the pinned crossplane CLI, `make tools`")
	crossplaneCRDs := required.Path(t, envCrossplaneCRDs, "Crossplane's CRDs, `make tools`")

	extensions := []string{
		repoPath("apis", "stellarpeers", "definition-xstellarnode.yaml"),
		repoPath("apis", "stellarpeers", "definition-stellarpeerdirectory.yaml"),
		repoPath("package", "function", "input"),
		repoPath("package", "provider", "crds"),
		repoPath("examples", "crds"),
		crossplaneCRDs,
	}
	renderInputs, err := filepath.Glob(repoPath("examples", "render", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var renderResources []string
	for _, f := range renderInputs {
		// Goldens are the function's output, with render's own Result objects; they are checked by fn's test.
		if !strings.HasSuffix(f, ".golden.yaml") {
			renderResources = append(renderResources, f)
		}
	}

	cases := map[string]struct {
		resources   []string
		wantInvalid []string
	}{
		"ClaimsAndDirectories": {
			resources: []string{repoPath("examples", "claims"), repoPath("examples", "directories")},
		},
		"OriginalOperator": {
			resources: []string{repoPath("examples", "operator")},
		},
		"PackagesProviderConfigAndRBAC": {
			resources: []string{repoPath("examples", "packages"), repoPath("examples", "providerconfig"), repoPath("examples", "rbac")},
		},
		"ArgoCD": {
			resources: []string{repoPath("examples", "argocd")},
		},
		"ConfigurationCompositions": {
			resources: []string{
				repoPath("apis", "stellarpeers", "composition-xstellarnode.yaml"),
				repoPath("apis", "stellarpeers", "composition-stellarpeerdirectory.yaml"),
			},
		},
		"RenderInputs": {
			resources: renderResources,
		},
		"RenderedGoldens": {
			// Every object the function composed in the render goldens, unknown fields refused.
			resources: renderedObjects(t),
		},
		"UnknownFieldsAreRefused": {
			resources:   []string{filepath.Join("testdata", "unknown-fields.yaml")},
			wantInvalid: []string{"PeerSync team-a/alice", "StatefulSet team-a/alice"},
		},
		"BrokenClaimIsRefused": {
			resources:   []string{filepath.Join("testdata", "invalid-claim.yaml")},
			wantInvalid: []string{"StellarNode team-a/bad-quality", "StellarNode team-a/no-seed", "StellarNode team-a/other-preset", "StellarNode team-a/same-ports"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, out := validate(t, cli, extensions, tc.resources)
			if res.Summary.Total == 0 {
				t.Fatalf("validate saw no resources in %v:\n%s", tc.resources, out)
			}
			var invalid []string
			for _, r := range res.Resources {
				id := r.Kind + " " + strings.TrimPrefix(r.Namespace+"/"+r.Name, "/")
				group, _, _ := strings.Cut(r.APIVersion, "/")
				switch {
				case r.Status == "valid":
				case r.Status == "missingSchema" && noSchemaGroups[group]:
				case r.Status == "missingSchema":
					t.Errorf("%s (%s): no schema; our XRDs and CRDs must cover every example", id, r.APIVersion)
				default:
					invalid = append(invalid, id)
					if !contains(tc.wantInvalid, id) {
						t.Errorf("%s (%s) is %s: %v", id, r.APIVersion, r.Status, r.Errors)
					}
				}
			}
			sort.Strings(invalid)
			if diff := cmp.Diff(tc.wantInvalid, invalid); diff != "" {
				t.Errorf("invalid resources: -want +got:\n%s\nvalidate output:\n%s", diff, out)
			}
		})
	}
}

// validate runs the CLI and decodes its JSON report. It exits non-zero whenever something is invalid or has no
// schema, so the exit code alone says little: the report is what the test judges.
func validate(t *testing.T, cli string, extensions, resources []string) (validateResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"resource", "validate",
		strings.Join(extensions, ","), strings.Join(resources, ","),
		// The empty image skips downloading Crossplane's schemas: they come from the CRDs above instead.
		"--crossplane-image=",
		"--cache-dir=" + t.TempDir(),
		"--output=json",
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res validateResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("cannot decode the output of crossplane %v (%v): %v\nstdout:\n%s\nstderr:\n%s", args, runErr, err, stdout.String(), stderr.String())
	}
	return res, fmt.Sprintf("%s%s", stdout.String(), stderr.String())
}

// renderedObjects writes the composed objects of every render golden to one file and returns its path.
func renderedObjects(t *testing.T) []string {
	t.Helper()
	goldens, err := filepath.Glob(repoPath("examples", "render", "*", "rendered.golden.yaml"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no render goldens (%v)", err)
	}
	var out bytes.Buffer
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---\n") {
			// Composed objects only: render prints the composite as a partial object (the status the
			// function wrote), and its own Result objects.
			if !strings.Contains(doc, "crossplane.io/composition-resource-name:") {
				continue
			}
			out.WriteString("---\n" + strings.TrimPrefix(doc, "---\n") + "\n")
		}
	}
	f := filepath.Join(t.TempDir(), "rendered.yaml")
	if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{f}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
