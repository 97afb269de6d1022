package peersync

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// coreLedger is core's last closed ledger per PeerSync. It is a metric, not
// status: it advances every few seconds, and in the status every poll would be
// a write (and a watch event for Crossplane and every other watcher).
var coreLedger = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "stellar_peers_core_ledger",
	Help: "Last closed ledger stellar-core reported at the PeerSync's last /info.",
}, []string{"namespace", "name"})

// coreLedgerAge is how long ago core closed that ledger, for the same reason
// a metric: about 5 s on a healthy node, growing while it is stuck or behind.
var coreLedgerAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "stellar_peers_core_ledger_age_seconds",
	Help: "Seconds since stellar-core closed its last closed ledger (/info's ledger.age), at the PeerSync's last /info.",
}, []string{"namespace", "name"})

func init() {
	// controller-runtime serves this registry on the manager's metrics endpoint.
	metrics.Registry.MustRegister(coreLedger, coreLedgerAge)
}

// ledgerForgetter removes a PeerSync's ledger series with its finalizer: the
// managed reconciler removes the finalizer on every deletion path, whether it
// observes the node first or not (reconciler.go, Reconcile), so no series
// outlives its PeerSync.
type ledgerForgetter struct {
	resource.Finalizer
}

func (f ledgerForgetter) RemoveFinalizer(ctx context.Context, obj resource.Object) error {
	if err := f.Finalizer.RemoveFinalizer(ctx, obj); err != nil {
		return err
	}
	coreLedger.DeleteLabelValues(obj.GetNamespace(), obj.GetName())
	coreLedgerAge.DeleteLabelValues(obj.GetNamespace(), obj.GetName())
	return nil
}
