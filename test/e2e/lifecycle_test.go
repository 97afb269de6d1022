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
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/test/argocd"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var (
	claimGVK       = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "StellarNode"}
	statefulSetGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
)

// TestNonValidatorsAreNeverPeers: Horizon and SorobanRpc nodes get their captive-core config and no StatefulSet (their
// own images run stellar-core), are never listed in the directory, and no validator is told to connect to them.
func TestNonValidatorsAreNeverPeers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	defer beginTestnetScenario(ctx, t)()
	var others []*harness.SimNode
	var claims []*unstructured.Unstructured
	for _, c := range []struct{ name, nodeType string }{{"horace", "Horizon"}, {"sora", "SorobanRpc"}} {
		n, err := sims.Start("team-c", c.name, "")
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, n)
		claims = append(claims, n.Claim(c.nodeType, "Testnet"))
	}
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}
	for _, n := range others {
		waitFor(ctx, t, fmt.Sprintf("%s/%s captive-core config composed, and said so on the claim", n.Namespace, n.Name), func(ctx context.Context) (bool, string, error) {
			cm, err := cp.Get(ctx, configMapGVK, n.Namespace, n.Name+"-captive-core")
			if err != nil {
				return false, "", err
			}
			if cfg, _, _ := unstructured.NestedString(cm.Object, "data", "captive-core.cfg"); !strings.Contains(cfg, "[[VALIDATORS]]") {
				return false, "captive-core.cfg has no quorum:\n" + cfg, nil
			}
			claim, err := cp.Get(ctx, claimGVK, n.Namespace, n.Name)
			if err != nil {
				return false, "", err
			}
			if s, r, m := harness.ConditionStatus(claim, "CoreConfig"); s != "True" || !strings.Contains(m, "not run by this composition") {
				return false, fmt.Sprintf("claim condition CoreConfig=%s %s: %s", s, r, m), nil
			}
			return true, "", nil
		})
		if _, err := cp.Get(ctx, statefulSetGVK, n.Namespace, n.Name); !kerrors.IsNotFound(err) {
			t.Errorf("%s/%s: a StatefulSet was composed (or the lookup failed: %v); Horizon and SorobanRpc run their own images", n.Namespace, n.Name, err)
		}
	}
	// The directory never lists them: give Crossplane a few reconciles, then read it.
	waitFor(ctx, t, "directory reconciled after the new nodes", func(ctx context.Context) (bool, string, error) {
		xr, err := cp.Get(ctx, directoryGVK, "", "testnet")
		if err != nil {
			return false, "", err
		}
		return xr.GetGeneration() > 0, "", nil
	})
	cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
	if err != nil {
		t.Fatal(err)
	}
	txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
	for _, n := range others {
		if strings.Contains(txt, n.Host()) {
			t.Errorf("peers.txt lists %s/%s, a %s: %q", n.Namespace, n.Name, "non-validator", txt)
		}
		assertNeverDialed(t, sims.Nodes(), n)
	}
	deleteClaims(ctx, t, others...)
}

// TestSuspendThenDelete: a suspended validator leaves the directory and the other validators' configs; deleting
// its claim garbage-collects what was composed for it.
func TestSuspendThenDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	defer beginTestnetScenario(ctx, t)()
	nodes, claims := startValidators(t, "team-c", "Testnet", "", "erin")
	erin, claim := nodes[0], claims[0]
	if err := cp.Apply(ctx, claim); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitListed(ctx, t, erin, true)

	_ = unstructured.SetNestedField(claim.Object, true, "spec", "suspended")
	if err := cp.Apply(ctx, claim); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitListed(ctx, t, erin, false)
	assertClaimArgoHealth(ctx, t, claimKey{erin.Namespace, erin.Name}, argocd.Suspended, "validator-suspended", "claim suspended")
	for _, other := range validatorsOf(ctx, t) {
		waitFor(ctx, t, fmt.Sprintf("%s/%s config drops the suspended validator", other.ns, other.name), func(ctx context.Context) (bool, string, error) {
			cm, err := cp.Get(ctx, configMapGVK, other.ns, other.name+"-stellar-core")
			if err != nil {
				return false, "", err
			}
			cfg, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
			return !strings.Contains(cfg, erin.Host()), "config still lists " + erin.Host(), nil
		})
	}

	deleteClaims(ctx, t, erin)
	for _, gvk := range []schema.GroupVersionKind{statefulSetGVK, configMapGVK, peerSyncGVK} {
		name := erin.Name
		if gvk == configMapGVK {
			name += "-stellar-core"
		}
		waitFor(ctx, t, fmt.Sprintf("%s %s/%s garbage-collected", gvk.Kind, erin.Namespace, name), func(ctx context.Context) (bool, string, error) {
			_, err := cp.Get(ctx, gvk, erin.Namespace, name)
			if kerrors.IsNotFound(err) {
				return true, "", nil
			}
			return false, "still exists", err
		})
	}
}

// TestHealthGate: a node catching up, then booting, then unreachable is sent nothing but /info (and when booting
// or unreachable, the /info attempts fail) until it reports Synced!; its PeerSync says why at every step; once
// synced it converges with the others, with no redundant connect.
func TestHealthGate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	defer beginTestnetScenario(ctx, t)()
	gail, err := sims.Start("team-c", "gail", stellarcore.StateCatchingUp)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Apply(ctx, gail.Claim("Validator", "Testnet")); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitPeerSyncCondition(ctx, t, gail, "Ready", "False", "CatchingUp")
	assertArgoHealth(ctx, t, peerSyncGVK, gail.Namespace, gail.Name, argocd.Progressing, "peersync-catching-up", "core catching up")
	assertClaimArgoHealth(ctx, t, claimKey{gail.Namespace, gail.Name}, argocd.Progressing, "validator-catching-up", "core catching up")
	assertOnlyInfo(t, gail)

	gail.Core.SetState(stellarcore.StateBooting)
	waitPeerSyncCondition(ctx, t, gail, "Ready", "False", "Booting")
	assertOnlyInfo(t, gail)

	if err := sims.Stop(gail); err != nil {
		t.Fatal(err)
	}
	waitPeerSyncCondition(ctx, t, gail, "Synced", "False", "")
	assertArgoHealth(ctx, t, peerSyncGVK, gail.Namespace, gail.Name, argocd.Degraded, "peersync-unreachable", "core unreachable")
	if err := sims.Restart(gail, stellarcore.StateSynced); err != nil {
		t.Fatal(err)
	}

	var validators []*harness.SimNode
	for _, n := range sims.Nodes() {
		if listed(ctx, t, n) {
			validators = append(validators, n)
		}
	}
	waitConverged(ctx, t, validators)
	waitPeerSyncCondition(ctx, t, gail, "Ready", "True", "")
	assertNoRedundantConnects(t, validators)
	deleteClaims(ctx, t, gail)
	waitListed(ctx, t, gail, false)
}

// ensureTestnet makes sure the Testnet directory and its namespaces exist, whichever test runs first.
func ensureTestnet(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := cp.ApplyFiles(ctx, "testdata/discovery.yaml"); err != nil {
		failWithLogs(t, "%v", err)
	}
	if err := cp.ApplyFiles(ctx, "testdata/team-c.yaml"); err != nil {
		failWithLogs(t, "%v", err)
	}
}

func waitFor(ctx context.Context, t *testing.T, what string, check func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	if err := harness.Eventually(ctx, 60*time.Second, check); err != nil {
		failWithLogs(t, "%s: %v", what, err)
	}
}

// listed reports whether the Testnet peers ConfigMap lists the node now.
func listed(ctx context.Context, t *testing.T, n *harness.SimNode) bool {
	t.Helper()
	cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
	if err != nil {
		return false
	}
	txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
	return strings.Contains(txt, n.Host()+":")
}

func waitListed(ctx context.Context, t *testing.T, n *harness.SimNode, want bool) {
	t.Helper()
	waitFor(ctx, t, fmt.Sprintf("%s/%s listed=%v in the directory", n.Namespace, n.Name, want), func(ctx context.Context) (bool, string, error) {
		return listed(ctx, t, n) == want, "not yet", nil
	})
}

type claimKey struct{ ns, name string }

// validatorsOf returns the validators the Testnet directory lists, from peers.json's namespace and name.
func validatorsOf(ctx context.Context, t *testing.T) []claimKey {
	t.Helper()
	var keys []claimKey
	for _, n := range sims.Nodes() {
		if listed(ctx, t, n) {
			keys = append(keys, claimKey{n.Namespace, n.Name})
		}
	}
	return keys
}

func waitPeerSyncCondition(ctx context.Context, t *testing.T, n *harness.SimNode, condType, status, reason string) {
	t.Helper()
	waitFor(ctx, t, fmt.Sprintf("PeerSync %s/%s %s=%s %s", n.Namespace, n.Name, condType, status, reason), func(ctx context.Context) (bool, string, error) {
		ps, err := cp.Get(ctx, peerSyncGVK, n.Namespace, n.Name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(ps, condType)
		if s == status && (reason == "" || r == reason) {
			t.Logf("PeerSync %s/%s %s=%s reason=%s: %s", n.Namespace, n.Name, condType, s, r, m)
			return true, "", nil
		}
		return false, fmt.Sprintf("%s=%s reason=%s: %s", condType, s, r, m), nil
	})
}

// assertOnlyInfo checks the node has received nothing but /info: the health gate holds.
func assertOnlyInfo(t *testing.T, n *harness.SimNode) {
	t.Helper()
	for _, r := range n.Core.Requests() {
		if r.Path != "/info" {
			t.Errorf("%s/%s in state %q received %s?%s; only /info is allowed before Synced!", n.Namespace, n.Name, "not synced", r.Path, r.RawQuery)
		}
	}
}

func deleteClaims(ctx context.Context, t *testing.T, nodes ...*harness.SimNode) {
	t.Helper()
	for _, n := range nodes {
		if err := cp.Delete(ctx, claimGVK, n.Namespace, n.Name); err != nil {
			t.Error(err)
		}
	}
	for _, n := range nodes {
		waitFor(ctx, t, fmt.Sprintf("claim %s/%s deleted", n.Namespace, n.Name), func(ctx context.Context) (bool, string, error) {
			_, err := cp.Get(ctx, claimGVK, n.Namespace, n.Name)
			if kerrors.IsNotFound(err) {
				return true, "", nil
			}
			return false, "still exists", err
		})
	}
}
