//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// TestRefusedConfig: a claim whose stellar-core config core would refuse gets no StatefulSet and says why on the
// claim, naming the field, while it stays Synced (a Warning, not a Fatal result); fixing the claim starts it. A
// running validator whose claim becomes refused keeps its last accepted config and its StatefulSet.
func TestRefusedConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	defer beginTestnetScenario(ctx, t)()

	// A new claim that core would refuse: Testnet without UNSAFE_QUORUM.
	nodes, claims := startValidators(t, "team-c", "Testnet", "", "ivy")
	ivy, claim := nodes[0], claims[0]
	_ = unstructured.SetNestedField(claim.Object, false, "spec", "quorum", "unsafe")
	if err := cp.Apply(ctx, claim); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitCoreConfig(ctx, t, ivy, "False", "Refused", "spec.quorum.unsafe: stellar-core would refuse to start")
	waitFor(ctx, t, "the refused claim stays Synced and its card is published", func(ctx context.Context) (bool, string, error) {
		c, err := cp.Get(ctx, claimGVK, ivy.Namespace, ivy.Name)
		if err != nil {
			return false, "", err
		}
		if s, r, m := harness.ConditionStatus(c, "Synced"); s != "True" {
			return false, fmt.Sprintf("Synced=%s %s: %s", s, r, m), nil
		}
		if s, _, _ := harness.ConditionStatus(c, "Ready"); s != "False" {
			return false, "Ready=" + s, nil
		}
		_, err = cp.Get(ctx, configMapGVK, ivy.Namespace, ivy.Name+"-peer-card")
		return err == nil, "no peer card", err
	})
	for _, gvkName := range []struct {
		kind string
		get  func(context.Context) error
	}{
		{"StatefulSet", func(ctx context.Context) error {
			_, err := cp.Get(ctx, statefulSetGVK, ivy.Namespace, ivy.Name)
			return err
		}},
		{"config ConfigMap", func(ctx context.Context) error {
			_, err := cp.Get(ctx, configMapGVK, ivy.Namespace, ivy.Name+"-stellar-core")
			return err
		}},
		{"PeerSync", func(ctx context.Context) error {
			_, err := cp.Get(ctx, peerSyncGVK, ivy.Namespace, ivy.Name)
			return err
		}},
	} {
		if err := gvkName.get(ctx); !kerrors.IsNotFound(err) {
			t.Errorf("refused claim: %s composed (or the lookup failed: %v)", gvkName.kind, err)
		}
	}

	// Fixed, it starts.
	_ = unstructured.SetNestedField(claim.Object, true, "spec", "quorum", "unsafe")
	if err := cp.Apply(ctx, claim); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitCoreConfig(ctx, t, ivy, "True", "Accepted", "")
	var accepted string
	waitFor(ctx, t, "the fixed claim's StatefulSet and config", func(ctx context.Context) (bool, string, error) {
		if _, err := cp.Get(ctx, statefulSetGVK, ivy.Namespace, ivy.Name); err != nil {
			return false, "", err
		}
		cm, err := cp.Get(ctx, configMapGVK, ivy.Namespace, ivy.Name+"-stellar-core")
		if err != nil {
			return false, "", err
		}
		accepted, _, _ = unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
		return strings.Contains(accepted, "UNSAFE_QUORUM = true"), "config without UNSAFE_QUORUM", nil
	})

	// Refused again while it runs: the last accepted config and the StatefulSet stay.
	_ = unstructured.SetNestedField(claim.Object, false, "spec", "quorum", "unsafe")
	if err := cp.Apply(ctx, claim); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitCoreConfig(ctx, t, ivy, "False", "Refused", "keeps its last accepted config")
	waitFor(ctx, t, "the kept StatefulSet applies: the claim stays Synced", func(ctx context.Context) (bool, string, error) {
		c, err := cp.Get(ctx, claimGVK, ivy.Namespace, ivy.Name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(c, "Synced")
		return s == "True", fmt.Sprintf("Synced=%s %s: %s", s, r, m), nil
	})
	if _, err := cp.Get(ctx, statefulSetGVK, ivy.Namespace, ivy.Name); err != nil {
		t.Errorf("running validator refused: its StatefulSet is gone: %v", err)
	}
	cm, err := cp.Get(ctx, configMapGVK, ivy.Namespace, ivy.Name+"-stellar-core")
	if err != nil {
		t.Fatal(err)
	}
	if kept, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg"); kept != accepted {
		t.Errorf("running validator refused: its config changed to:\n%s\nwant the accepted one:\n%s", kept, accepted)
	}
	deleteClaims(ctx, t, ivy)
}

// waitCoreConfig waits for the claim's CoreConfig condition.
func waitCoreConfig(ctx context.Context, t *testing.T, n *harness.SimNode, status, reason, inMessage string) {
	t.Helper()
	waitFor(ctx, t, fmt.Sprintf("claim %s/%s CoreConfig=%s %s", n.Namespace, n.Name, status, reason), func(ctx context.Context) (bool, string, error) {
		c, err := cp.Get(ctx, claimGVK, n.Namespace, n.Name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(c, "CoreConfig")
		if s != status || r != reason || !strings.Contains(m, inMessage) {
			return false, fmt.Sprintf("CoreConfig=%s %s: %s", s, r, m), nil
		}
		t.Logf("claim %s/%s CoreConfig=%s %s: %s", n.Namespace, n.Name, s, r, m)
		return true, "", nil
	})
}

// TestOrganizationIncludesDirectory: three HIGH validators of one home domain that include the directory in their
// quorum. Each is refused until the organization's three peer cards exist (a HIGH domain needs three validators),
// is woken by the others' cards, and then runs with the other two, and their archives, in its quorum.
func TestOrganizationIncludesDirectory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	defer beginTestnetScenario(ctx, t)()

	org, claims := startValidators(t, "team-c", "Testnet", "", "org-1", "org-2", "org-3")
	for _, claim := range claims {
		_ = unstructured.SetNestedField(claim.Object, "org.e2e.example", "spec", "validator", "homeDomain")
		_ = unstructured.SetNestedField(claim.Object, "HIGH", "spec", "validator", "quality")
		_ = unstructured.SetNestedField(claim.Object, true, "spec", "quorum", "includeDirectory")
		_ = unstructured.SetNestedField(claim.Object, true, "spec", "history", "publish")
	}
	// The first alone: its domain has one HIGH validator.
	if err := cp.Apply(ctx, claims[0]); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitCoreConfig(ctx, t, org[0], "False", "Refused", "[redundancy]")
	// The others: each one's card wakes the rest.
	if err := cp.Apply(ctx, claims[1:]...); err != nil {
		failWithLogs(t, "%v", err)
	}
	for _, n := range org {
		waitCoreConfig(ctx, t, n, "True", "Accepted", "")
		waitFor(ctx, t, fmt.Sprintf("%s/%s runs with the organization's other validators and their archives in its quorum", n.Namespace, n.Name), func(ctx context.Context) (bool, string, error) {
			if _, err := cp.Get(ctx, statefulSetGVK, n.Namespace, n.Name); err != nil {
				return false, "", err
			}
			cm, err := cp.Get(ctx, configMapGVK, n.Namespace, n.Name+"-stellar-core")
			if err != nil {
				return false, "", err
			}
			cfg, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
			for _, other := range org {
				archive := fmt.Sprintf("curl -sf http://%s-0.%s.%s.svc.cluster.local:11627/{0} -o {1}", other.Name, other.Name, other.Namespace)
				if listed := strings.Contains(cfg, other.PublicKey()) && strings.Contains(cfg, archive); listed != (other != n) {
					return false, fmt.Sprintf("lists %s/%s with its archive: %v, want %v:\n%s", other.Namespace, other.Name, listed, other != n, cfg), nil
				}
			}
			return true, "", nil
		})
	}
	deleteClaims(ctx, t, org...)
}
