package argocd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var argocdCM = filepath.Join("..", "..", "examples", "argocd", "argocd-cm.yaml")

func loadObject(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path) //nolint:gosec // testdata of this package.
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestHealthOfCapturedObjects runs each health check of argocd-cm against the objects the e2e scenarios produced
// (testdata/README.md says how they were captured). No captured claim or composite is Healthy: see the README.
func TestHealthOfCapturedObjects(t *testing.T) {
	checks, err := LoadHealthChecks(argocdCM)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason string
		want   Status
	}{
		"peersync-ready": {
			reason: "A PeerSync whose core is Synced! and whose peers were read is Healthy.",
			want:   Status{Status: Healthy, Message: "Connected to its desired peers"},
		},
		"directory-ready": {
			reason: "A directory that wrote its ConfigMap is Healthy (its status carries no peer count: see the XRD).",
			want:   Status{Status: Healthy, Message: "Ready"},
		},
		"peersync-catching-up": {
			reason: "Catching up is normal after a start: Progressing, with core's state.",
			want:   Status{Status: Progressing, Message: `CatchingUp stellar-core state is "Catching up", want "Synced!": no peer changes until it is`},
		},
		"validator-catching-up-claim": {
			reason: "A claim whose PeerSync is not Ready yet waits for its composite.",
			want:   Status{Status: Progressing, Message: "Claim is waiting for composite resource to become Ready"},
		},
		"validator-catching-up-xr": {
			reason: "The composite names what is not ready yet.",
			want:   Status{Status: Progressing, Message: "Unready resources: peer-sync, statefulset"},
		},
		"peersync-unreachable": {
			reason: "A PeerSync whose admin endpoint cannot be reached is Degraded, with the error.",
			want:   Status{Status: Degraded},
		},
		"directory-shrink-held": {
			reason: "A directory whose shrink guard holds a write is Degraded until allowShrink or the validators return.",
			want:   Status{Status: Degraded},
		},
		"validator-suspended-claim": {
			reason: "A suspended claim is Suspended.",
			want:   Status{Status: Suspended, Message: "spec.suspended is true: removed from every peer directory"},
		},
		"validator-suspended-xr": {
			reason: "Its composite says the same.",
			want:   Status{Status: Suspended, Message: "spec.suspended is true: removed from every peer directory"},
		},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range files {
		found = append(found, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	var named []string
	for name := range cases {
		named = append(named, name)
	}
	sort.Strings(named)
	if diff := cmp.Diff(named, found); diff != "" {
		t.Errorf("captured objects and test cases differ (-cases +testdata):\n%s", diff)
	}
	reached := map[string]bool{}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := loadObject(t, filepath.Join("testdata", name+".yaml"))
			key := CheckKey(obj)
			script, ok := checks[key]
			if !ok {
				t.Fatalf("argocd-cm has no health check %s%s", HealthKeyPrefix, key)
			}
			got, err := Health(script, obj)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want.Message == "" {
				// Messages that carry addresses or timings: compare the status, and require some message.
				want.Message = got.Message
				if got.Message == "" {
					t.Errorf("%s\nhealth = %+v, want a message", tc.reason, got)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nhealth (-want +got):\n%s", tc.reason, diff)
			}
			reached[got.Status] = true
		})
	}
	for _, s := range []string{Healthy, Progressing, Degraded, Suspended} {
		if !reached[s] {
			t.Errorf("no captured object reaches %s", s)
		}
	}
}

// TestEveryKindHasACheck: each kind our packages serve that Argo CD shows has a health check; the built-in
// *.crossplane.io check does not cover our groups.
func TestEveryKindHasACheck(t *testing.T) {
	checks, err := LoadHealthChecks(argocdCM)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range checks {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{
		"core.stellarpeers.io_ClusterProviderConfig",
		"core.stellarpeers.io_PeerSync",
		"core.stellarpeers.io_ProviderConfig",
		"stellarpeers.io_StellarNode",
		"stellarpeers.io_StellarPeerDirectory",
		"stellarpeers.io_XStellarNode",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("health checks (-want +got):\n%s", diff)
	}
}

// TestHealthRejectsBadScripts: the evaluator fails as Argo CD would on a script error or a bad result, so a broken
// check in argocd-cm cannot pass these tests.
func TestHealthRejectsBadScripts(t *testing.T) {
	obj := map[string]any{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarNode", "spec": map[string]any{"suspended": true}}
	cases := map[string]struct {
		script  string
		wantErr string
	}{
		"SyntaxError":   {script: `hs = {status = "Healthy"`, wantErr: "syntax error"},
		"RuntimeError":  {script: `return obj.status.conditions[1]`, wantErr: "attempt to index"},
		"NotATable":     {script: `return "Healthy"`, wantErr: "not a table"},
		"UnknownStatus": {script: `return {status = "Fine"}`, wantErr: `status "Fine" is not an Argo CD health status`},
		"NoStatus":      {script: `return {message = "x"}`, wantErr: `status "" is not`},
		"NumberMessage": {script: `return {status = "Healthy", message = 3}`, wantErr: "message is a number"},
		"NoOSLibrary":   {script: `os.exit(1)`, wantErr: "attempt to index a non-table object(nil) with key 'exit'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Health(tc.script, obj)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Health(%q) error = %v, want one containing %q", tc.script, err, tc.wantErr)
			}
		})
	}
}

// TestObjectConversion: the object reaches Lua as Argo CD hands it over: nested tables, 1-based arrays, booleans
// and numbers as such.
func TestObjectConversion(t *testing.T) {
	obj := map[string]any{
		"spec":   map[string]any{"suspended": true, "peerPort": int64(11625), "ratio": 0.5},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready"}, map[string]any{"type": "Synced"}}},
	}
	script := `return {status = "Healthy", message = tostring(obj.spec.suspended) .. " " .. tostring(obj.spec.peerPort) .. " " ..
		tostring(obj.spec.ratio) .. " " .. obj.status.conditions[2].type .. " " .. tostring(#obj.status.conditions) .. " " .. tostring(obj.missing)}`
	got, err := Health(script, obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Status{Status: Healthy, Message: "true 11625 0.5 Synced 2 nil"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
