package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Identities of a real install (Crossplane v2.4.0 Helm chart, default values): Crossplane core, its RBAC manager and
// our provider each run as a ServiceAccount in crossplane-system. The harness gives each process a client
// certificate with the ServiceAccount's user name and groups, so RBAC treats it exactly as it would the pod.
const (
	crossplaneServiceAccount  = "crossplane"
	rbacManagerServiceAccount = "rbac-manager"
	providerServiceAccount    = ProviderName
)

// RBACManagerName names the RBAC manager's process and log.
const RBACManagerName = "crossplane-rbac-manager"

// CrossplaneClusterRole is the aggregated ClusterRole Crossplane core is bound to in a real install.
const CrossplaneClusterRole = "crossplane"

// providerRevision is the name the RBAC manager would see our provider's revision under; the provider's ClusterRoles
// are named after it, as the RBAC manager names them.
const providerRevision = ProviderName + "-e2e"

// Label keys the RBAC manager puts on the ClusterRoles it renders for a provider revision
// (crossplane v2.4.0, internal/controller/rbac/provider/roles/roles.go).
const (
	labelAggregateToCrossplane = "rbac.crossplane.io/aggregate-to-crossplane"
	labelAggregateToAdmin      = "rbac.crossplane.io/aggregate-to-admin"
	labelAggregateToEdit       = "rbac.crossplane.io/aggregate-to-edit"
	labelAggregateToView       = "rbac.crossplane.io/aggregate-to-view"
	labelProviderSystem        = "rbac.crossplane.io/system"
)

// serviceAccountUser is the user and groups the apiserver gives a ServiceAccount token.
func serviceAccountUser(namespace, name string) envtest.User {
	return envtest.User{
		Name:   "system:serviceaccount:" + namespace + ":" + name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
}

// kubeconfigOf is the kubeconfig the named component runs with: its own, non-admin one when the control plane runs
// with real RBAC, else the admin kubeconfig.
func (cp *ControlPlane) kubeconfigOf(component string) string {
	if kc, ok := cp.kubeconfigs[component]; ok {
		return kc
	}
	return cp.Kubeconfig
}

// setUpRBAC grants Crossplane core, its RBAC manager and our provider what a real install grants them, and writes
// each a kubeconfig for its ServiceAccount identity:
//   - rbac/crossplane.yaml and rbac/rbac-manager.yaml: the chart's roles and bindings;
//   - examples/rbac/: our shipped ClusterRole(s) aggregated into Crossplane's;
//   - the ClusterRoles the RBAC manager renders for our provider's revision, and the binding of the provider's
//     ServiceAccount to its system role.
//
// It waits until kube-controller-manager has aggregated the roles into Crossplane's ClusterRole.
func (cp *ControlPlane) setUpRBAC(ctx context.Context) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if err := cp.ensureNamespace(ctx, CrossplaneNamespace); err != nil {
		return err
	}
	chart := []string{
		filepath.Join(root, "test", "e2e", "harness", "rbac", "crossplane.yaml"),
		filepath.Join(root, "test", "e2e", "harness", "rbac", "rbac-manager.yaml"),
	}
	shipped, err := filepath.Glob(filepath.Join(root, "examples", "rbac", "*.yaml"))
	if err != nil || len(shipped) == 0 {
		return fmt.Errorf("cannot find our aggregated ClusterRole: no YAML in %s", filepath.Join(root, "examples", "rbac"))
	}
	objs, err := LoadObjects(chart...)
	if err != nil {
		return err
	}
	ours, err := LoadObjects(shipped...)
	if err != nil {
		return err
	}
	if !aggregatesToCrossplane(ours) {
		return fmt.Errorf("cannot use examples/rbac: no ClusterRole labelled %s: \"true\"", labelAggregateToCrossplane)
	}
	crds, err := LoadObjects(mustGlob(filepath.Join(root, "package", "provider", "crds", "*.yaml"))...)
	if err != nil {
		return err
	}
	provider, err := providerRBAC(crds, providerRevision, CrossplaneNamespace, providerServiceAccount)
	if err != nil {
		return err
	}
	objs = append(append(objs, ours...), provider...)
	if err := cp.Apply(ctx, objs...); err != nil {
		return err
	}
	cp.kubeconfigs = map[string]string{}
	for component, sa := range map[string]string{
		"crossplane":    crossplaneServiceAccount,
		RBACManagerName: rbacManagerServiceAccount,
		ProviderName:    providerServiceAccount,
	} {
		kc, err := cp.writeKubeconfig(serviceAccountUser(CrossplaneNamespace, sa), "kubeconfig-"+component)
		if err != nil {
			return err
		}
		cp.kubeconfigs[component] = kc
	}
	return cp.WaitForAggregation(ctx, CrossplaneClusterRole)
}

func objectMeta(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}

func mustGlob(pattern string) []string {
	m, _ := filepath.Glob(pattern) // the pattern is ours and well formed.
	return m
}

func aggregatesToCrossplane(objs []*unstructured.Unstructured) bool {
	for _, o := range objs {
		if o.GetKind() == "ClusterRole" && o.GetLabels()[labelAggregateToCrossplane] == "true" {
			return true
		}
	}
	return false
}

// writeKubeconfig provisions a user in the apiserver (a client certificate) and writes its kubeconfig to the run
// directory.
func (cp *ControlPlane) writeKubeconfig(u envtest.User, file string) (string, error) {
	user, err := cp.env.AddUser(u, nil)
	if err != nil {
		return "", fmt.Errorf("cannot create user %s: %w", u.Name, err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("cannot render the kubeconfig of %s: %w", u.Name, err)
	}
	path := filepath.Join(cp.RunDir, file)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("cannot write the kubeconfig of %s: %w", u.Name, err)
	}
	return path, nil
}

// WaitForAggregation waits until kube-controller-manager has copied into the named aggregated ClusterRole every rule
// of every ClusterRole its aggregationRule selects. Roles that appear later (the RBAC manager renders one per XRD)
// are aggregated within a moment; a test that needs them at once can call this again.
func (cp *ControlPlane) WaitForAggregation(ctx context.Context, name string) error {
	err := Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		agg := &rbacv1.ClusterRole{}
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, agg); err != nil {
			return false, "", err
		}
		if agg.AggregationRule == nil {
			return false, "", fmt.Errorf("ClusterRole %s has no aggregationRule", name)
		}
		for _, sel := range agg.AggregationRule.ClusterRoleSelectors {
			roles := &rbacv1.ClusterRoleList{}
			if err := cp.Client.List(ctx, roles, client.MatchingLabels(sel.MatchLabels)); err != nil {
				return false, "", err
			}
			for _, r := range roles.Items {
				if r.Name == name {
					continue
				}
				for _, rule := range r.Rules {
					if !hasRule(agg.Rules, rule) {
						return false, fmt.Sprintf("ClusterRole %s lacks rule %v of %s (is clusterrole-aggregation-controller running?)", name, rule, r.Name), nil
					}
				}
			}
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("cannot aggregate ClusterRole %s: %w", name, err)
	}
	return nil
}

func hasRule(rules []rbacv1.PolicyRule, want rbacv1.PolicyRule) bool {
	for _, r := range rules {
		if reflect.DeepEqual(r, want) {
			return true
		}
	}
	return false
}

// providerRBAC renders what Crossplane's RBAC manager creates for a provider revision that owns the given CRDs, with
// the rules of crossplane v2.4.0 internal/controller/rbac/provider/roles/roles.go (RenderClusterRoles) and
// .../provider/binding/reconciler.go: an edit role aggregated into Crossplane's and users' roles, a view role,
// and the system role, bound to the provider's ServiceAccount, that the provider runs with. The roles'
// owner reference to the revision is left out: the harness has no ProviderRevision.
func providerRBAC(crds []*unstructured.Unstructured, revision, namespace, serviceAccount string) ([]*unstructured.Unstructured, error) {
	rs, err := crdResources(crds)
	if err != nil {
		return nil, err
	}
	var groups []string
	byGroup := map[string][]string{}
	for _, r := range rs {
		if _, ok := byGroup[r.group]; !ok {
			groups = append(groups, r.group)
		}
		byGroup[r.group] = append(byGroup[r.group], r.plural, r.plural+"/status")
	}
	withVerbs := func(verbs ...string) []rbacv1.PolicyRule {
		rules := make([]rbacv1.PolicyRule, 0, len(groups))
		for _, g := range groups {
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: byGroup[g], Verbs: verbs})
		}
		return rules
	}
	prefix := "crossplane:provider:" + revision
	system := append(withVerbs("get", "list", "watch", "update", "patch", "create"),
		rbacv1.PolicyRule{APIGroups: groups, Resources: []string{"*/finalizers"}, Verbs: []string{"update"}},
		rbacv1.PolicyRule{APIGroups: []string{"", "coordination.k8s.io"}, Resources: []string{"secrets", "configmaps", "events", "leases"}, Verbs: []string{"*"}},
	)
	typed := []runtime.Object{
		&rbacv1.ClusterRole{
			ObjectMeta: objectMeta(prefix+":aggregate-to-edit", map[string]string{
				labelAggregateToCrossplane: "true", labelAggregateToAdmin: "true", labelAggregateToEdit: "true",
			}),
			Rules: withVerbs("*"),
		},
		&rbacv1.ClusterRole{
			ObjectMeta: objectMeta(prefix+":aggregate-to-view", map[string]string{labelAggregateToView: "true"}),
			Rules:      withVerbs("get", "list", "watch"),
		},
		&rbacv1.ClusterRole{
			ObjectMeta: objectMeta(prefix+":system", map[string]string{labelProviderSystem: revision}),
			Rules:      system,
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: objectMeta(prefix+":system", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: prefix + ":system"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: serviceAccount}},
		},
	}
	return withServiceAccount(namespace, serviceAccount, typed)
}

// crdResource is a resource of one of the provider's CRDs.
type crdResource struct{ group, plural string }

// crdResources lists the provider's CRDs' resources, sorted by plural and group.
func crdResources(crds []*unstructured.Unstructured) ([]crdResource, error) {
	var rs []crdResource
	for _, crd := range crds {
		if crd.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		if group == "" || plural == "" {
			return nil, fmt.Errorf("cannot render the provider's ClusterRoles: CRD %s has no group or plural", crd.GetName())
		}
		rs = append(rs, crdResource{group: group, plural: plural})
	}
	if len(rs) == 0 {
		return nil, errors.New("cannot render the provider's ClusterRoles: no CRDs in package/provider/crds")
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].plural+rs[i].group < rs[j].plural+rs[j].group })
	return rs, nil
}

// withServiceAccount is the provider's ServiceAccount followed by the RBAC objects, as unstructured objects.
func withServiceAccount(namespace, serviceAccount string, typed []runtime.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(typed)+1)
	sa := &unstructured.Unstructured{}
	sa.SetAPIVersion("v1")
	sa.SetKind("ServiceAccount")
	sa.SetNamespace(namespace)
	sa.SetName(serviceAccount)
	out = append(out, sa)
	for _, o := range typed {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("cannot convert a provider RBAC object: %w", err)
		}
		u := &unstructured.Unstructured{Object: m}
		kind := "ClusterRole"
		if _, ok := o.(*rbacv1.ClusterRoleBinding); ok {
			kind = "ClusterRoleBinding"
		}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: rbacv1.GroupName, Version: "v1", Kind: kind})
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		out = append(out, u)
	}
	return out, nil
}

// denial matches the apiserver's RBAC refusal as Kubernetes clients log it, quotes possibly escaped.
var denial = regexp.MustCompile(`User \\?"([^"\\]+)\\?" cannot (\w+) resource \\?"([^"\\]+)\\?" in API group \\?"([^"\\]*)\\?"`)

// Denials lists, once each, the requests the apiserver refused a component for lack of permission (user, verb,
// resource, API group) and that it would still refuse now, from the logs of Crossplane, its RBAC manager and our
// provider: under RealRBAC a missing rule shows up here, where a test that merely times out would not say why.
// Each logged refusal is checked again with a SubjectAccessReview, so the ones a restarting apiserver gives while
// its RBAC caches fill up are left out.
func (cp *ControlPlane) Denials(ctx context.Context) []string {
	seen := map[string]bool{}
	var out []string
	for _, component := range []string{"crossplane", RBACManagerName, ProviderName} {
		data, err := os.ReadFile(cp.LogPath(component))
		if err != nil {
			continue
		}
		for _, m := range denial.FindAllStringSubmatch(string(data), -1) {
			d := fmt.Sprintf("%s: %s cannot %s %s in API group %q", component, m[1], m[2], m[3], m[4])
			if seen[d] {
				continue
			}
			seen[d] = true
			if cp.allowed(ctx, m[1], m[2], m[3], m[4]) {
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

// allowed asks the apiserver whether a ServiceAccount user may now do verb on resource cluster-wide. It answers
// false when it cannot tell, so a doubtful denial is still reported.
func (cp *ControlPlane) allowed(ctx context.Context, user, verb, resource, group string) bool {
	groups := []string{"system:authenticated"}
	if parts := strings.Split(user, ":"); len(parts) == 4 && parts[1] == "serviceaccount" {
		groups = serviceAccountUser(parts[2], parts[3]).Groups
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               user,
		Groups:             groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource},
	}}
	if err := cp.Client.Create(ctx, sar); err != nil {
		return false
	}
	return sar.Status.Allowed
}
