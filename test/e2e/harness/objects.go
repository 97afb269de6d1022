package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldOwner is the server-side apply manager of everything tests apply.
const fieldOwner = "stellar-peers-e2e"

// LoadObjects reads every object of the given multi-document YAML files, in order.
func LoadObjects(paths ...string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, path := range paths {
		data, err := os.ReadFile(path) //nolint:gosec // test fixtures of this repository.
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", path, err)
		}
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("cannot decode %s: %w", path, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			objs = append(objs, u)
		}
	}
	return objs, nil
}

// Namespace is the Namespace object named name.
func Namespace(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}

// Apply server-side applies objects, taking ownership of conflicting fields.
func (cp *ControlPlane) Apply(ctx context.Context, objs ...*unstructured.Unstructured) error {
	for _, o := range objs {
		o = o.DeepCopy()
		o.SetManagedFields(nil)
		o.SetResourceVersion("")
		if err := cp.Client.Patch(ctx, o, client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // unstructured objects have no apply configurations.
			return fmt.Errorf("cannot apply %s %s: %w", o.GetKind(), client.ObjectKeyFromObject(o), err)
		}
	}
	return nil
}

// ApplyFiles applies every object in the given YAML files.
func (cp *ControlPlane) ApplyFiles(ctx context.Context, paths ...string) error {
	objs, err := LoadObjects(paths...)
	if err != nil {
		return err
	}
	return cp.Apply(ctx, objs...)
}

// Get reads one object; a namespace of "" means cluster scoped.
func (cp *ControlPlane) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	return u, err
}

// Delete deletes one object with background propagation, ignoring not found.
func (cp *ControlPlane) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(namespace)
	u.SetName(name)
	if err := cp.Client.Delete(ctx, u, client.PropagationPolicy("Background")); err != nil && !kerrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	return nil
}

// Eventually polls check every interval until it returns true, returning the last reason it gave on timeout.
// The reason makes a failing test say what it was waiting for.
func Eventually(ctx context.Context, timeout time.Duration, check func(ctx context.Context) (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		ok, reason, err := check(ctx)
		if err != nil {
			last = err.Error()
		} else if ok {
			return nil
		} else {
			last = reason
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %s", timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ConditionStatus returns the status of the condition of the given type on an object, or "" if absent.
func ConditionStatus(u *unstructured.Unstructured, conditionType string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != conditionType {
			continue
		}
		status, _ = m["status"].(string)
		reason, _ = m["reason"].(string)
		message, _ = m["message"].(string)
		return status, reason, message
	}
	return "", "", ""
}

// WaitForXRDs waits until each CompositeResourceDefinition is established (and offered, when it has a claim).
func (cp *ControlPlane) WaitForXRDs(ctx context.Context, names ...string) error {
	gvk := schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositeResourceDefinition"}
	for _, name := range names {
		err := Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
			xrd, err := cp.Get(ctx, gvk, "", name)
			if err != nil {
				return false, "", err
			}
			if s, r, m := ConditionStatus(xrd, "Established"); s != "True" {
				return false, fmt.Sprintf("XRD %s not established: %s %s", name, r, m), nil
			}
			if _, claim, _ := unstructured.NestedMap(xrd.Object, "spec", "claimNames"); claim {
				if s, r, m := ConditionStatus(xrd, "Offered"); s != "True" {
					return false, fmt.Sprintf("XRD %s not offered: %s %s", name, r, m), nil
				}
			}
			return true, "", nil
		})
		if err != nil {
			return fmt.Errorf("XRD %s: %w", name, err)
		}
	}
	return nil
}

// Kinds the demos' node tables read.
var (
	claimKind    = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "StellarNode"}
	peerSyncKind = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "PeerSync"}
)

// NodeRow is what make demo's and make demo-kind's tables show of a node: the reason of its claim's CoreConfig
// condition, core's state and the Ready condition from its PeerSync, each "?" when it cannot be read.
func (cp *ControlPlane) NodeRow(ctx context.Context, namespace, name string) (config, state, ready string) {
	config, state, ready = "?", "?", "?"
	if c, err := cp.Get(ctx, claimKind, namespace, name); err == nil {
		_, config, _ = ConditionStatus(c, "CoreConfig")
	}
	if ps, err := cp.Get(ctx, peerSyncKind, namespace, name); err == nil {
		state, _, _ = unstructured.NestedString(ps.Object, "status", "atProvider", "state")
		s, r, _ := ConditionStatus(ps, "Ready")
		ready = "Ready=" + s + " " + r
	}
	return config, state, ready
}
