package peersync

import (
	"context"
	"maps"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// crossplane-runtime v2.4.0's managed reconciler ends every reconcile, the
// poll that found the node up to date included, with Status().Update of the
// whole PeerSync, changed or not (pkg/reconciler/managed/reconciler.go,
// Reconcile: "return reconcile.Result{RequeueAfter: reconcileAfter},
// errors.Wrap(updateStatus(), ...)"). The apiserver stores nothing for an
// identical object, but the request is still made: one PUT per PeerSync per
// poll. The reconciler takes the client for all its writes from the manager
// (NewReconciler, defaultMRManaged), so the manager it gets hands out a client
// that drops those requests.

// writeSkippingManager is a manager whose client skips unchanged writes.
type writeSkippingManager struct {
	ctrl.Manager
	client client.Client
}

func (m writeSkippingManager) GetClient() client.Client { return m.client }

// unchangedSkipper is a client whose Update and Status().Update return nil
// without a request when the object is exactly what its reads (the informer
// cache, for the manager's client) hold at the same resourceVersion, compared
// as the JSON the request would carry: the apiserver would store nothing new.
// Everything else is sent: patches (what one changes is known only once it
// is applied; the managed reconciler patches only after its own check for a
// change), writes with options, objects the cache does not hold or holds at
// another resourceVersion.
type unchangedSkipper struct {
	client.Client

	mu sync.Mutex
	// written is, per object, the resourceVersion of our last write that no
	// read has returned yet. Until one does, the cache may still hold the
	// version before that write, and an object that equals it may not equal
	// what is stored: such writes are sent.
	written map[types.UID]string
}

func newUnchangedSkipper(c client.Client) *unchangedSkipper {
	return &unchangedSkipper{Client: c, written: map[types.UID]string{}}
}

func (c *unchangedSkipper) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if len(opts) == 0 && c.unchanged(ctx, obj) {
		return nil
	}
	return c.wrote(obj, c.Client.Update(ctx, obj, opts...))
}

func (c *unchangedSkipper) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return c.wrote(obj, c.Client.Patch(ctx, obj, patch, opts...))
}

func (c *unchangedSkipper) Status() client.SubResourceWriter {
	return statusSkipper{SubResourceWriter: c.Client.Status(), c: c}
}

// statusSkipper is unchangedSkipper's status writer.
type statusSkipper struct {
	client.SubResourceWriter
	c *unchangedSkipper
}

func (s statusSkipper) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if len(opts) == 0 && s.c.unchanged(ctx, obj) {
		return nil
	}
	return s.c.wrote(obj, s.SubResourceWriter.Update(ctx, obj, opts...))
}

func (s statusSkipper) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.c.wrote(obj, s.SubResourceWriter.Patch(ctx, obj, patch, opts...))
}

// unchanged reports whether writing obj would store nothing new. Whenever it
// cannot tell, it says no and the write is sent.
func (c *unchangedSkipper) unchanged(ctx context.Context, obj client.Object) bool {
	rv := obj.GetResourceVersion()
	if rv == "" {
		return false
	}
	c.mu.Lock()
	last, pending := c.written[obj.GetUID()]
	if pending && last == rv {
		// The caller read our last write: the cache has caught up.
		delete(c.written, obj.GetUID())
		pending = false
	}
	c.mu.Unlock()
	if pending {
		return false
	}
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return false
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), cached); err != nil || cached.GetResourceVersion() != rv {
		return false
	}
	return sameJSON(obj, cached)
}

// sameJSON compares two objects as the apiserver would receive them: times to
// the second, empty fields omitted. apiVersion and kind are left out: the
// request's path, not its body, decides them.
func sameJSON(a, b runtime.Object) bool {
	ua, err := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	if err != nil {
		return false
	}
	ub, err := runtime.DefaultUnstructuredConverter.ToUnstructured(b)
	if err != nil {
		return false
	}
	return equality.Semantic.DeepEqual(withoutType(ua), withoutType(ub))
}

// withoutType is a shallow copy of u without apiVersion and kind: u may be an
// unstructured object's own content.
func withoutType(u map[string]any) map[string]any {
	c := maps.Clone(u)
	delete(c, "apiVersion")
	delete(c, "kind")
	return c
}

// wrote records the resourceVersion a successful write returned. An object
// being deleted is forgotten instead: its last write (the finalizer's
// removal) is never read back, and nothing would clear its record.
func (c *unchangedSkipper) wrote(obj client.Object, err error) error {
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if obj.GetDeletionTimestamp() != nil {
		delete(c.written, obj.GetUID())
		return nil
	}
	c.written[obj.GetUID()] = obj.GetResourceVersion()
	return nil
}
