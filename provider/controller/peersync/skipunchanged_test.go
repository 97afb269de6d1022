package peersync

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	crreconcile "sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
)

// writes counts the write requests that reach a fake API server, by verb.
type writes struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *writes) add(verb string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n[verb]++
}

// take returns the counts so far and starts again from zero.
func (w *writes) take() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.n
	w.n = map[string]int{}
	return n
}

// countingClient is a fake API server holding objs, PeerSyncs with their
// status subresource, that counts every write. get, when set, answers reads
// instead of the fake: a cache that has not caught up.
func countingClient(t *testing.T, get func(client.ObjectKey, client.Object) bool, objs ...client.Object) (client.Client, *writes) {
	t.Helper()
	w := &writes{n: map[string]int{}}
	c := fake.NewClientBuilder().
		WithScheme(newScheme(t)).
		WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.PeerSync{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				if get != nil && get(key, obj) {
					return nil
				}
				return c.Get(ctx, key, obj, opts...)
			},
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				w.add("create")
				return c.Create(ctx, obj, opts...)
			},
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				w.add("update")
				return c.Update(ctx, obj, opts...)
			},
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
				w.add("patch")
				return c.Patch(ctx, obj, patch, opts...)
			},
			Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
				w.add("delete")
				return c.Delete(ctx, obj, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				w.add(sub + " update")
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				w.add(sub + " patch")
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		}).
		Build()
	return c, w
}

// storedPeerSync is a PeerSync as the API server holds it: times to the second.
func storedPeerSync() *v1alpha1.PeerSync {
	cr := peerSync("http://127.0.0.1:11626", desired("validator-1", "validator-1.stellar.test:11625", "10.0.1.1"))
	cr.Labels = map[string]string{"team": "a"}
	connected := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	cr.Status.AtProvider = v1alpha1.PeerSyncObservation{State: "Synced!", AuthenticatedPeers: 3, ConnectedDesired: 1, LastConnect: &connected}
	return cr
}

func TestUnchangedSkipper(t *testing.T) {
	updateStatus := func(ctx context.Context, c client.Client, cr *v1alpha1.PeerSync) error {
		return c.Status().Update(ctx, cr)
	}
	update := func(ctx context.Context, c client.Client, cr *v1alpha1.PeerSync) error {
		return c.Update(ctx, cr)
	}
	cases := map[string]struct {
		reason string
		change func(cr *v1alpha1.PeerSync)
		write  func(ctx context.Context, c client.Client, cr *v1alpha1.PeerSync) error
		want   map[string]int
		// wantErr is the API server's answer to a write that was sent.
		wantErr func(error) bool
	}{
		"IdenticalStatusUpdate": {
			reason: "A poll that changes nothing makes no request.",
			write:  updateStatus,
			want:   map[string]int{},
		},
		"ChangedStatusUpdate": {
			reason: "A status that changed is written.",
			change: func(cr *v1alpha1.PeerSync) { cr.Status.AtProvider.State = "Catching up" },
			write:  updateStatus,
			want:   map[string]int{"status update": 1},
		},
		"NanosecondsOnly": {
			reason: "A time that differs only below the second is stored as the same JSON.",
			change: func(cr *v1alpha1.PeerSync) {
				t := metav1.NewTime(cr.Status.AtProvider.LastConnect.Add(300 * time.Millisecond))
				cr.Status.AtProvider.LastConnect = &t
			},
			write: updateStatus,
			want:  map[string]int{},
		},
		"EmptyListIsOmitted": {
			reason: "An empty list and no list are the same JSON.",
			change: func(cr *v1alpha1.PeerSync) { cr.Status.AtProvider.Missing = []string{} },
			write:  updateStatus,
			want:   map[string]int{},
		},
		"IdenticalUpdate": {
			reason: "An update of an unchanged object makes no request.",
			write:  update,
			want:   map[string]int{},
		},
		"ChangedLabels": {
			reason: "An update that changes metadata is written.",
			change: func(cr *v1alpha1.PeerSync) { cr.Labels["team"] = "b" },
			write:  update,
			want:   map[string]int{"update": 1},
		},
		"OtherResourceVersion": {
			reason:  "An object read at another version than the cache holds is sent: the API server decides.",
			change:  func(cr *v1alpha1.PeerSync) { cr.ResourceVersion = "1" },
			write:   updateStatus,
			want:    map[string]int{"status update": 1},
			wantErr: kerrors.IsConflict,
		},
		"NotCached": {
			reason:  "An object the cache does not hold is sent.",
			change:  func(cr *v1alpha1.PeerSync) { cr.Name = "core-1" },
			write:   updateStatus,
			want:    map[string]int{"status update": 1},
			wantErr: kerrors.IsNotFound,
		},
		"WithOptions": {
			reason: "A write with options is sent as it is.",
			write: func(ctx context.Context, c client.Client, cr *v1alpha1.PeerSync) error {
				return c.Status().Update(ctx, cr, client.DryRunAll)
			},
			want: map[string]int{"status update": 1},
		},
		"Patch": {
			reason: "A patch is sent: what it changes is known only once it is applied.",
			write: func(ctx context.Context, c client.Client, cr *v1alpha1.PeerSync) error {
				return c.Patch(ctx, cr, client.MergeFrom(cr.DeepCopy()))
			},
			want: map[string]int{"patch": 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			fc, w := countingClient(t, nil, storedPeerSync())
			c := newUnchangedSkipper(fc)
			cr := &v1alpha1.PeerSync{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(storedPeerSync()), cr); err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(cr)
			}
			err := tc.write(ctx, c, cr)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !tc.wantErr(err) {
				t.Errorf("%s\nwrite: unexpected error %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, w.take()); diff != "" {
				t.Errorf("%s\nrequests: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestUnchangedSkipperCacheBehind: right after a write of ours, the cache may
// still hold the version before it. An object equal to that older version is
// not what is stored, so it is written (and the API server answers with a
// conflict, as it would without the skipper); once the cache has caught up,
// unchanged writes are skipped again.
func TestUnchangedSkipperCacheBehind(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var stale *v1alpha1.PeerSync
	get := func(_ client.ObjectKey, obj client.Object) bool {
		mu.Lock()
		defer mu.Unlock()
		cr, ok := obj.(*v1alpha1.PeerSync)
		if stale == nil || !ok {
			return false
		}
		stale.DeepCopyInto(cr)
		return true
	}
	fc, w := countingClient(t, get, storedPeerSync())
	c := newUnchangedSkipper(fc)
	key := client.ObjectKeyFromObject(storedPeerSync())

	before := &v1alpha1.PeerSync{}
	if err := c.Get(ctx, key, before); err != nil {
		t.Fatal(err)
	}
	changed := before.DeepCopy()
	changed.Status.AtProvider.State = "Catching up"
	if err := c.Status().Update(ctx, changed); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	stale = before
	mu.Unlock()

	// The next reconcile reads the old version and finds it unchanged.
	again := &v1alpha1.PeerSync{}
	if err := c.Get(ctx, key, again); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, again); !kerrors.IsConflict(err) {
		t.Errorf("write over a cache behind our own write: error %v, want a conflict", err)
	}
	if diff := cmp.Diff(map[string]int{"status update": 2}, w.take()); diff != "" {
		t.Errorf("while the cache is behind: requests -want +got:\n%s", diff)
	}

	mu.Lock()
	stale = nil
	mu.Unlock()
	caughtUp := &v1alpha1.PeerSync{}
	if err := c.Get(ctx, key, caughtUp); err != nil {
		t.Fatal(err)
	}
	if err := c.Status().Update(ctx, caughtUp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{}, w.take()); diff != "" {
		t.Errorf("once the cache caught up: requests -want +got:\n%s", diff)
	}
}

// fakeManager is the part of a manager the managed reconciler uses.
type fakeManager struct {
	ctrl.Manager
	client client.Client
	scheme *runtime.Scheme
	events *record.FakeRecorder
}

func (m fakeManager) GetClient() client.Client                        { return m.client }
func (m fakeManager) GetScheme() *runtime.Scheme                      { return m.scheme }
func (m fakeManager) GetEventRecorderFor(string) record.EventRecorder { return m.events }

// TestPollsWriteNothing runs the PeerSync reconciler as the controller does,
// poll after poll, against a node whose ledger advances: once its status
// settled, polls make no write request and record no event, while the ledger
// metric follows the node; a poll that finds a peer gone writes again.
func TestPollsWriteNothing(t *testing.T) {
	clk := newClock()
	n := startNode(t, coresim.Options{Addr: "127.0.0.9:0", Now: clk.Now})
	n.AddOutbound("10.0.1.1:11625", "peer-1")
	n.AddInbound("10.0.1.2:11625", "peer-2")
	cr := peerSync(n.URL(),
		desired("validator-1", "validator-1.stellar.test:11625", "10.0.1.1"),
		desired("validator-2", "validator-2.stellar.test:11625", "10.0.1.2"))
	l := newPollLoop(t, n, clk, cr)
	w, events := l.writes, l.events
	ledger := coreLedger.WithLabelValues(cr.Namespace, cr.Name)
	poll := func(num uint64) {
		t.Helper()
		l.poll(num)
		if got := testutil.ToFloat64(ledger); got != float64(num) {
			t.Errorf("poll at ledger %d: stellar_peers_core_ledger = %v", num, got)
		}
	}

	// The first poll's status is lost to the finalizer's update, which
	// returns the stored, empty status (reconciler.go, AddFinalizer): the
	// second poll writes it.
	poll(100)
	poll(101)
	w.take()
	drain(events)
	if at := l.stored().Status.AtProvider; at.State != "Synced!" || at.ConnectedDesired != 2 {
		t.Fatalf("after two polls: stored atProvider %+v, want Synced! with 2 desired peers connected", at)
	}

	for num := uint64(102); num <= 111; num++ {
		poll(num)
	}
	if diff := cmp.Diff(map[string]int{}, w.take()); diff != "" {
		t.Errorf("10 polls that found nothing new: requests -want +got:\n%s", diff)
	}
	if got := drain(events); len(got) != 0 {
		t.Errorf("10 polls that found nothing new recorded events %q, want none", got)
	}

	n.Disconnect("10.0.1.2:11625")
	poll(112)
	if diff := cmp.Diff(map[string]int{"status update": 1}, w.take()); diff != "" {
		t.Errorf("poll that found a peer gone: requests -want +got:\n%s", diff)
	}
	if got := l.stored(); got.Status.AtProvider.LastConnect == nil {
		t.Errorf("poll that found a peer gone: no lastConnect in the stored status %+v", got.Status.AtProvider)
	}
}

// pollLoop is the PeerSync reconciler run as the controller runs it, poll
// after poll, against one simulated node, with its writes counted.
type pollLoop struct {
	t      *testing.T
	n      *coresim.Node
	clk    *clock
	kube   client.Client
	writes *writes
	events *record.FakeRecorder
	r      *managed.Reconciler
	req    crreconcile.Request
}

func newPollLoop(t *testing.T, n *coresim.Node, clk *clock, cr *v1alpha1.PeerSync) *pollLoop {
	t.Helper()
	cr.TypeMeta = metav1.TypeMeta{}
	kube, w := countingClient(t, nil, cr, providerConfig(loopbackConfig()))
	events := record.NewFakeRecorder(100)
	r := newReconciler(fakeManager{client: kube, scheme: newScheme(t), events: events}, controller.DefaultOptions(), Deps{Dial: reportingDial(t), Resolver: testResolver, Now: clk.Now})
	return &pollLoop{t: t, n: n, clk: clk, kube: kube, writes: w, events: events, r: r, req: crreconcile.Request{NamespacedName: client.ObjectKeyFromObject(cr)}}
}

// poll is one poll a minute after the last, with the node at ledger num.
func (l *pollLoop) poll(num uint64) {
	l.t.Helper()
	l.n.SetLedger(num)
	l.clk.Advance(time.Minute)
	if _, err := l.r.Reconcile(context.Background(), l.req); err != nil {
		l.t.Fatalf("poll at ledger %d: %v", num, err)
	}
}

// stored is the PeerSync as stored now.
func (l *pollLoop) stored() *v1alpha1.PeerSync {
	l.t.Helper()
	got := &v1alpha1.PeerSync{}
	if err := l.kube.Get(context.Background(), l.req.NamespacedName, got); err != nil {
		l.t.Fatal(err)
	}
	return got
}

// drain returns the events recorded so far.
func drain(r *record.FakeRecorder) []string {
	var got []string
	for {
		select {
		case e := <-r.Events:
			got = append(got, e)
		default:
			return got
		}
	}
}
