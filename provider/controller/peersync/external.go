package peersync

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/provider/netguard"
)

const (
	errInfo    = "cannot read stellar-core /info"
	errPeers   = "cannot read stellar-core /peers"
	errTargets = "invalid desired peer"
)

// coreClient is the part of the stellar-core client the external client uses.
type coreClient interface {
	Info(ctx context.Context) (stellarcore.Info, error)
	Peers(ctx context.Context) (stellarcore.Peers, error)
	Connect(ctx context.Context, host string, port int) (string, error)
	Quorum(ctx context.Context) (stellarcore.Quorum, error)
}

// external syncs one node's live peer set. It lives for one reconcile, so
// Update reuses what Observe read instead of asking core again.
type external struct {
	core     coreClient
	resolver netguard.Resolver
	now      func() time.Time

	// observed is set by an Observe that found core in the required state.
	observed []peerState
}

func requiredState(p forprovider.Parameters) string {
	if p.RequireState == "" {
		return forprovider.DefaultRequireState
	}
	return p.RequireState
}

func maxConnects(p forprovider.Parameters) int {
	if p.MaxConnectsPerReconcile < 1 {
		return forprovider.DefaultMaxConnectsPerReconcile
	}
	return int(p.MaxConnectsPerReconcile)
}

// Observe reads /info and, only when core is in the required state, /peers,
// and /quorum when core is Synced! and reports validators missing.
// The external resource always exists: it is the node's peer set. It runs in
// three steps: the health gate, the classification of the desired peers by
// what core reports, and the backoff and grace-period bookkeeping.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.PeerSync) (managed.ExternalObservation, error) {
	// Nothing to undo on delete: report it gone without a request.
	if meta.WasDeleted(cr) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	info, peers, stop, err := e.gate(ctx, cr)
	if stop || err != nil {
		return managed.ExternalObservation{ResourceExists: err == nil, ResourceUpToDate: err == nil}, err
	}
	targets := make([]target, 0, len(cr.Spec.ForProvider.Peers))
	for _, dp := range cr.Spec.ForProvider.Peers {
		t, err := parseTarget(dp)
		if err != nil {
			return managed.ExternalObservation{}, errors.Wrap(err, errTargets)
		}
		targets = append(targets, t)
	}
	e.observed = observePeers(ctx, e.resolver, targets, peers)
	at := &cr.Status.AtProvider
	at.AuthenticatedPeers = int32(len(peers.AuthenticatedInbound) + len(peers.AuthenticatedOutbound)) //nolint:gosec // Peer counts are small.
	due := e.bookkeep(at)
	cr.SetConditions(xpv2.Available())
	e.observeQuorum(ctx, cr, info)

	obs := managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: len(due) == 0}
	if len(due) > 0 {
		obs.Diff = "peers to connect: " + strings.Join(due, ", ")
	}
	return obs, nil
}

// gate is the health gate: it reads /info, and /peers only when core is in
// the required state. stop says core is not (booting, or in another state):
// the conditions say why, and nothing more is asked of core. An error is a
// failed read, with the conditions set.
func (e *external) gate(ctx context.Context, cr *v1alpha1.PeerSync) (stellarcore.Info, stellarcore.Peers, bool, error) {
	at := &cr.Status.AtProvider
	info, err := e.core.Info(ctx)
	if done, err := readFailed(cr, err, errInfo); done {
		return info, stellarcore.Peers{}, true, err
	}
	at.State = info.State
	at.AuthenticatedPeers = int32(info.Peers.Authenticated) //nolint:gosec // Peer counts are small.
	coreLedger.WithLabelValues(cr.GetNamespace(), cr.GetName()).Set(float64(info.Ledger.Num))
	coreLedgerAge.WithLabelValues(cr.GetNamespace(), cr.GetName()).Set(float64(info.Ledger.Age))

	if want := requiredState(cr.Spec.ForProvider); info.State != want {
		cr.SetConditions(notReady(stateReason(info.State), stateMessage(info.State, want)))
		quorumUnknown(cr, stateReason(info.State), fmt.Sprintf("stellar-core state is %q: %s", info.State, msgQuorumNotRead))
		return info, stellarcore.Peers{}, true, nil
	}
	peers, err := e.core.Peers(ctx)
	if done, err := readFailed(cr, err, errPeers); done {
		return info, peers, true, err
	}
	return info, peers, false, nil
}

// readFailed reports whether a read of core ended the observation: core is
// booting (not an error), or the read failed (wrapped in what).
func readFailed(cr *v1alpha1.PeerSync, err error, what string) (bool, error) {
	switch {
	case err == nil:
		return false, nil
	case stellarcore.IsBooting(err):
		cr.Status.AtProvider.State = stellarcore.StateBooting
		cr.SetConditions(notReady(stateReason(stellarcore.StateBooting), "stellar-core is booting"))
		quorumUnknown(cr, stateReason(stellarcore.StateBooting), msgQuorumNotRead)
		return true, nil
	default:
		cr.SetConditions(notReady(reasonFor(err), what))
		quorumUnknown(cr, reasonFor(err), what)
		return true, errors.Wrap(err, what)
	}
}

// bookkeep records in status which desired peers are connected and which are
// missing, settles their backoffs and grace periods, and returns the missing
// peers due for a /connect now. Only missing peers this node leaves to their
// side are waited for: a peer that shows up and goes again gets a new grace
// period.
func (e *external) bookkeep(at *v1alpha1.PeerSyncObservation) (due []string) {
	now := e.now()
	desired, present, authenticatedNow := map[string]bool{}, map[string]bool{}, map[string]bool{}
	order := make([]string, 0, len(e.observed))
	var connected int32
	var absent []string
	b := backoffsOf(at.Backoff)
	previous, w := waitsOf(at.Waiting), waits{}
	for _, s := range e.observed {
		desired[s.name] = true
		order = append(order, s.name)
		switch s.presence {
		case authenticated:
			connected++
			present[s.name] = true
			authenticatedNow[s.name] = true
		case pending:
			present[s.name] = true
		case missing:
			absent = append(absent, s.name)
			if !s.initiate {
				w.track(previous, s.name, now)
			}
			// Missing still, but not ours to connect before its grace
			// period ends: up to date until then.
			if !b.waiting(s.name, now) && !w.holding(s, now) {
				due = append(due, s.name)
			}
		}
	}
	b.settle(desired, present, authenticatedNow, now)
	at.ConnectedDesired = connected
	at.Missing = absent
	at.Backoff = b.records(order)
	at.Waiting = w.records(order)
	return due
}

// Update calls /connect for missing peers whose backoff has passed, at most
// maxConnectsPerReconcile of them. Peers already connected or pending are
// never connected again: core logs an ERROR for that. Nor are peers left to
// their side within their grace period: that side may be connecting now.
func (e *external) Update(ctx context.Context, cr *v1alpha1.PeerSync) (managed.ExternalUpdate, error) {
	if e.observed == nil {
		// Update without a synced Observe in this reconcile: observe first,
		// so the health gate and the already-connected check hold.
		obs, err := e.Observe(ctx, cr)
		if err != nil || obs.ResourceUpToDate {
			return managed.ExternalUpdate{}, err
		}
	}
	at := &cr.Status.AtProvider
	b := backoffsOf(at.Backoff)
	w := waitsOf(at.Waiting)
	order := make([]string, 0, len(e.observed))
	limit := maxConnects(cr.Spec.ForProvider)
	calls := 0
	var failed []string
	defer func() { at.Backoff = b.records(order) }()

	for _, s := range e.observed {
		order = append(order, s.name)
		now := e.now()
		if s.presence != missing || b.waiting(s.name, now) || w.holding(s, now) || calls >= limit {
			continue
		}
		calls++
		b.attempt(s.name, now)
		t := metav1.NewTime(now)
		at.LastConnect = &t
		_, err := e.core.Connect(ctx, s.dialHost, s.port)
		switch {
		case err == nil:
		case stellarcore.IsException(err):
			// This peer's problem (e.g. an unresolvable name): its backoff
			// grows, the others still get their turn.
			failed = append(failed, fmt.Sprintf("%s: %v", s.name, err))
		default:
			return managed.ExternalUpdate{}, errors.Wrapf(err, "cannot connect peer %s", s.name)
		}
	}
	if len(failed) > 0 {
		return managed.ExternalUpdate{}, errors.Errorf("cannot connect %d peer(s): %s", len(failed), strings.Join(failed, "; "))
	}
	return managed.ExternalUpdate{}, nil
}

// Create is never called: Observe always reports the peer set as existing.
func (e *external) Create(context.Context, *v1alpha1.PeerSync) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, nil
}

// Delete has nothing to undo: peers stay connected, and core keeps them in
// its peer table.
func (e *external) Delete(context.Context, *v1alpha1.PeerSync) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

// Disconnect has nothing to close: core closes every connection itself.
func (e *external) Disconnect(context.Context) error { return nil }

func reasonFor(err error) xpv2.ConditionReason {
	if stellarcore.IsUnreachable(err) {
		return ReasonUnreachable
	}
	return ReasonAdminError
}
