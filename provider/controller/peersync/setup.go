// Package peersync reconciles PeerSync managed resources: it keeps a
// stellar-core node connected to its desired peers, only while core is
// healthy.
package peersync

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// Setup adds the PeerSync controller to mgr.
func Setup(mgr ctrl.Manager, o controller.Options, deps Deps) error {
	name := managed.ControllerName(v1alpha1.PeerSyncGroupVersionKind.GroupKind().String())
	var extra []managed.ReconcilerOption
	if o.MetricOptions != nil {
		extra = append(extra, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			recorder := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics, &v1alpha1.PeerSyncList{}, o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(recorder); err != nil {
				return errors.Wrap(err, "cannot register PeerSync state metrics recorder")
			}
		}
	}
	r := newReconciler(mgr, o, deps, extra...)

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.PeerSync{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// newReconciler is the managed reconciler for PeerSyncs, with extra options
// after ours.
func newReconciler(mgr ctrl.Manager, o controller.Options, deps Deps, extra ...managed.ReconcilerOption) *managed.Reconciler {
	name := managed.ControllerName(v1alpha1.PeerSyncGroupVersionKind.GroupKind().String())
	deps = deps.withDefaults()
	// A poll that changes nothing writes nothing: see skipunchanged.go.
	kube := newUnchangedSkipper(mgr.GetClient())

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.PeerSync](&connector{
			kube:  mgr.GetClient(),
			usage: resource.NewProviderConfigUsageTracker(mgr.GetClient(), &v1alpha1.ProviderConfigUsage{}),
			deps:  deps,
		}),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithPollIntervalHook(pollInterval(deps.Now)),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))), //nolint:staticcheck // crossplane-runtime's recorder takes the core/v1 events API.
		managed.WithFinalizer(ledgerForgetter{Finalizer: resource.NewAPIFinalizer(kube, managed.FinalizerName)}),
	}
	if o.Features != nil && o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	return managed.NewReconciler(writeSkippingManager{Manager: mgr, client: kube}, resource.ManagedKind(v1alpha1.PeerSyncGroupVersionKind), append(opts, extra...)...)
}

// pollInterval checks a PeerSync again soon when peers are still due after a
// reconcile that reached maxConnectsPerReconcile, and otherwise when the
// first grace period of a peer it waits for ends, if that comes before the
// next poll: nothing else wakes it (the event filter drops status-only
// changes), and the peers would stay unconnected up to a poll interval longer.
func pollInterval(now func() time.Time) managed.PollIntervalHook {
	return func(mg resource.Managed, poll time.Duration) time.Duration {
		cr, ok := mg.(*v1alpha1.PeerSync)
		if !ok {
			return poll
		}
		t := now()
		if connectsDue(cr, t) {
			return min(poll, connectPace)
		}
		if left, ok := graceLeft(cr.Status.AtProvider.Waiting, t); ok && left < poll {
			return left
		}
		return poll
	}
}
