//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

const secNamespace = "sec-creds"

var (
	providerConfigGVK      = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "ProviderConfig"}
	providerConfigUsageGVK = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "ProviderConfigUsageList"}
)

// TestCredentialsNeverLeak: ProviderConfigs with basic-auth, bearer and malformed credentials from Secrets. The
// provider sends them to the (simulated) authenticating proxy, fails on a /connect exception and on the malformed
// secret, and after all that no secret value appears in any component's log (the provider runs with --debug), in
// the PeerSyncs, the ProviderConfigs and their usages, or in any event of the namespace.
func TestCredentialsNeverLeak(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	password, token, malformed := randomSecret(t), randomSecret(t), randomSecret(t)
	basic := "stellar-proxy:" + password
	secrets := map[string]string{
		"basic password":       password,
		"basic user:password":  basic,
		"basic header value":   base64.StdEncoding.EncodeToString([]byte(basic)),
		"bearer token":         token,
		"malformed credential": malformed,
	}

	vega, err := sims.Start(secNamespace, "vega", "")
	if err != nil {
		t.Fatal(err)
	}
	// Every /connect fails with core's exception, so the error path (events, conditions) runs too.
	vega.Core.InjectFault(coresim.Fault{Kind: coresim.FaultException, Path: "/connect", Message: "Could not resolve 'peer-x:11625': injected"})

	objs := []*unstructured.Unstructured{
		harness.Namespace(secNamespace),
		secretObject("proxy-basic", basic),
		secretObject("proxy-bearer", token),
		secretObject("proxy-malformed", malformed),
		credsProviderConfig("basic", "proxy-basic", "basic"),
		credsProviderConfig("bearer", "proxy-bearer", "bearer"),
		credsProviderConfig("malformed", "proxy-malformed", "basic"),
	}
	for _, pc := range []string{"basic", "bearer", "malformed"} {
		objs = append(objs, credsPeerSync("vega-"+pc, vega.Core.URL(), pc))
	}
	if err := cp.Apply(ctx, objs...); err != nil {
		failWithLogs(t, "%v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, pc := range []string{"basic", "bearer", "malformed"} {
			_ = cp.Delete(ctx, peerSyncGVK, secNamespace, "vega-"+pc)
		}
	})

	// The credentials reach the proxy, and the failures are reported.
	wantAuth := map[string]bool{"Basic " + secrets["basic header value"]: false, "Bearer " + token: false}
	waitFor := func(what string, check func(ctx context.Context) (bool, string, error)) {
		t.Helper()
		if err := harness.Eventually(ctx, 90*time.Second, check); err != nil {
			failWithLogs(t, "%s: %v", what, err)
		}
	}
	waitFor("the proxy receives both credentials and a /connect", func(context.Context) (bool, string, error) {
		connects := 0
		for _, r := range vega.Core.Requests() {
			if _, ok := wantAuth[r.Authorization]; ok {
				wantAuth[r.Authorization] = true
			}
			if r.Path == "/connect" {
				connects++
			}
		}
		for k, seen := range wantAuth {
			if !seen {
				return false, fmt.Sprintf("no request with Authorization %.12s...", k), nil
			}
		}
		return connects > 0, fmt.Sprintf("%d /connect requests", connects), nil
	})
	waitFor("the PeerSyncs report their errors", func(ctx context.Context) (bool, string, error) {
		for _, pc := range []string{"basic", "malformed"} {
			ps, err := cp.Get(ctx, peerSyncGVK, secNamespace, "vega-"+pc)
			if err != nil {
				return false, "", err
			}
			if s, _, msg := harness.ConditionStatus(ps, "Synced"); s != "False" || msg == "" {
				return false, fmt.Sprintf("vega-%s Synced=%s %q", pc, s, msg), nil
			}
		}
		return true, "", nil
	})
	waitFor("warning events are recorded", func(ctx context.Context) (bool, string, error) {
		events := &corev1.EventList{}
		if err := cp.Client.List(ctx, events, client.InNamespace(secNamespace)); err != nil {
			return false, "", err
		}
		for _, e := range events.Items {
			if e.Type == corev1.EventTypeWarning && strings.HasPrefix(e.InvolvedObject.Name, "vega-") {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d events, none a Warning for a vega PeerSync", len(events.Items)), nil
	})

	// Where a secret could leak: every component log, the objects' status, and the events.
	places := map[string]string{}
	logs, err := filepath.Glob(filepath.Join(cp.RunDir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("cannot find component logs in %s: %v", cp.RunDir, err)
	}
	for _, path := range logs {
		b, err := os.ReadFile(path) //nolint:gosec // the harness's own run directory.
		if err != nil {
			t.Fatal(err)
		}
		places["log "+filepath.Base(path)] = string(b)
	}
	if !strings.Contains(places["log "+harness.ProviderName+".log"], "vega-") {
		t.Fatalf("the provider log never mentions the PeerSyncs: the check would prove nothing")
	}
	for _, pc := range []string{"basic", "bearer", "malformed"} {
		ps, err := cp.Get(ctx, peerSyncGVK, secNamespace, "vega-"+pc)
		if err != nil {
			t.Fatal(err)
		}
		places["PeerSync vega-"+pc] = mustJSON(t, ps.Object)
		pcObj, err := cp.Get(ctx, providerConfigGVK, secNamespace, pc)
		if err != nil {
			t.Fatal(err)
		}
		places["ProviderConfig "+pc] = mustJSON(t, pcObj.Object)
	}
	usages := &unstructured.UnstructuredList{}
	usages.SetGroupVersionKind(providerConfigUsageGVK)
	if err := cp.Client.List(ctx, usages, client.InNamespace(secNamespace)); err != nil {
		t.Fatal(err)
	}
	places["ProviderConfigUsages"] = mustJSON(t, usages.Object) + mustJSON(t, usages.Items)
	events := &corev1.EventList{}
	if err := cp.Client.List(ctx, events, client.InNamespace(secNamespace)); err != nil {
		t.Fatal(err)
	}
	places["events"] = mustJSON(t, events.Items)

	for where, text := range places {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s appears in %s", what, where)
			}
		}
	}
	t.Logf("checked %d secret forms in %d places (%d component logs, %d events)", len(secrets), len(places), len(logs), len(events.Items))
}

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "s3cr3t" + hex.EncodeToString(b)
}

func secretObject(name, value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": name, "namespace": secNamespace},
		"stringData": map[string]any{"credentials": value},
	}}
}

func credsProviderConfig(name, secret, credType string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.stellarpeers.io/v1alpha1", "kind": "ProviderConfig",
		"metadata": map[string]any{"name": name, "namespace": secNamespace},
		"spec": map[string]any{
			"allowedEndpoints": map[string]any{"cidrs": []any{"127.0.0.0/8"}},
			"timeout":          "2s",
			"credentials": map[string]any{
				"source":    "Secret",
				"type":      credType,
				"secretRef": map[string]any{"name": secret, "key": "credentials"},
			},
		},
	}}
}

func credsPeerSync(name, endpoint, providerConfig string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.stellarpeers.io/v1alpha1", "kind": "PeerSync",
		"metadata": map[string]any{"name": name, "namespace": secNamespace},
		"spec": map[string]any{
			"forProvider": map[string]any{
				"adminEndpoint": endpoint,
				"peers":         []any{map[string]any{"name": "peer-x", "address": "127.0.1.250:11625", "ip": "127.0.1.250"}},
			},
			"providerConfigRef": map[string]any{"kind": "ProviderConfig", "name": providerConfig},
		},
	}}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
