package main

import (
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// TestClusterRoleIsMinimal pins the provider's ClusterRole to exactly what it needs (the README's "Security"
// section lists the same): no wildcard, no access to Kubernetes objects other than getting the Secrets a provider
// config names and writing events, and nothing that escalates privileges.
func TestClusterRoleIsMinimal(t *testing.T) {
	b, err := os.ReadFile("../package/provider/rbac/clusterrole.yaml")
	if err != nil {
		t.Fatalf("cannot read the provider ClusterRole: %v", err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(b, role); err != nil {
		t.Fatalf("cannot parse the provider ClusterRole: %v", err)
	}

	const group = "core.stellarpeers.io"
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{group}, Resources: []string{"peersyncs"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		{APIGroups: []string{group}, Resources: []string{"peersyncs/status"}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{group}, Resources: []string{"peersyncs/finalizers", "providerconfigs/finalizers", "clusterproviderconfigs/finalizers"}, Verbs: []string{"update"}},
		{APIGroups: []string{group}, Resources: []string{"providerconfigs", "clusterproviderconfigs"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		{APIGroups: []string{group}, Resources: []string{"providerconfigs/status", "clusterproviderconfigs/status"}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{group}, Resources: []string{"providerconfigusages", "clusterproviderconfigusages"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
	}
	if diff := cmp.Diff(want, role.Rules); diff != "" {
		t.Errorf("provider ClusterRole rules: -want +got:\n%s", diff)
	}

	for _, r := range role.Rules {
		for _, field := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames} {
			if slices.Contains(field, "*") {
				t.Errorf("rule %+v has a wildcard", r)
			}
		}
		for _, v := range []string{"escalate", "bind", "impersonate", "deletecollection"} {
			if slices.Contains(r.Verbs, v) {
				t.Errorf("rule %+v grants %s", r, v)
			}
		}
		if len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v grants non-resource URLs", r)
		}
		if slices.Contains(r.Resources, "secrets") && !slices.Equal(r.Verbs, []string{"get"}) {
			t.Errorf("secrets must be get only (never list or watch): %+v", r)
		}
	}
}
