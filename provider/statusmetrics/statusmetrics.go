// Package statusmetrics serves each PeerSync's status as Prometheus gauges, read from the manager's informer cache
// at scrape time: an alert can name the node whose core is not synced, whose desired peers stay missing or whose
// quorum is one failure from loss, with no extra API request and no status write, and a deleted PeerSync's series
// go with it. crossplane-runtime's own crossplane_managed_resource_* gauges only
// count PeerSyncs per kind.
package statusmetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// listTimeout bounds a scrape while the cache is still syncing: the scrape then serves no PeerSync series rather
// than hang.
const listTimeout = 2 * time.Second

var labels = []string{"namespace", "name"}

// gauge is one per-PeerSync series: its value, and whether the PeerSync has one.
type gauge struct {
	desc  *prometheus.Desc
	value func(ps *v1alpha1.PeerSync) (float64, bool)
}

func newGauge(name, help string, value func(ps *v1alpha1.PeerSync) (float64, bool)) gauge {
	return gauge{desc: prometheus.NewDesc(name, help, labels, nil), value: value}
}

// always is a value every PeerSync has.
func always(f func(ps *v1alpha1.PeerSync) float64) func(ps *v1alpha1.PeerSync) (float64, bool) {
	return func(ps *v1alpha1.PeerSync) (float64, bool) { return f(ps), true }
}

// ofQuorum is a value of core's view of the node's quorum set (status.atProvider.quorum): served only while core
// is Synced! and reports one, so an alert on it never fires for a node that is down or catching up.
func ofQuorum(f func(q *v1alpha1.QuorumObservation) float64) func(ps *v1alpha1.PeerSync) (float64, bool) {
	return func(ps *v1alpha1.PeerSync) (float64, bool) {
		if q := ps.Status.AtProvider.Quorum; q != nil {
			return f(q), true
		}
		return 0, false
	}
}

var gauges = []gauge{
	newGauge("stellar_peers_peersync_desired_peers", "Peers in the PeerSync's spec.forProvider.peers.",
		always(func(ps *v1alpha1.PeerSync) float64 { return float64(len(ps.Spec.ForProvider.Peers)) })),
	newGauge("stellar_peers_peersync_missing_peers",
		"Desired peers neither authenticated nor pending at the provider's last look (status.atProvider.missing).",
		always(func(ps *v1alpha1.PeerSync) float64 { return float64(len(ps.Status.AtProvider.Missing)) })),
	newGauge("stellar_peers_peersync_connected_desired_peers",
		"Desired peers authenticated at the provider's last look (status.atProvider.connectedDesired).",
		always(func(ps *v1alpha1.PeerSync) float64 { return float64(ps.Status.AtProvider.ConnectedDesired) })),
	newGauge("stellar_peers_peersync_ready",
		"1 when the PeerSync is Ready (core in its required state, Synced! by default, and its peers read), else 0.",
		always(func(ps *v1alpha1.PeerSync) float64 { return isTrue(ps.GetCondition(xpv2.TypeReady)) })),
	newGauge("stellar_peers_peersync_synced", "1 when the PeerSync is Synced (the provider's last reconcile succeeded), else 0.",
		always(func(ps *v1alpha1.PeerSync) float64 { return isTrue(ps.GetCondition(xpv2.TypeSynced)) })),
	newGauge("stellar_peers_quorum_agreeing",
		"Validators of the node's quorum set that agree with it, itself included (core's qset.agree).",
		ofQuorum(func(q *v1alpha1.QuorumObservation) float64 { return float64(q.Agreeing) })),
	newGauge("stellar_peers_quorum_missing",
		"Validators of the node's quorum set core heard nothing from in the last 2 ledgers (qset.missing).",
		ofQuorum(func(q *v1alpha1.QuorumObservation) float64 { return float64(q.Missing) })),
	newGauge("stellar_peers_quorum_delayed", "Validators of the node's quorum set a ledger behind (qset.delayed).",
		ofQuorum(func(q *v1alpha1.QuorumObservation) float64 { return float64(q.Delayed) })),
	newGauge("stellar_peers_quorum_disagreeing",
		"Validators of the node's quorum set that accepted another value (qset.disagree).",
		ofQuorum(func(q *v1alpha1.QuorumObservation) float64 { return float64(q.Disagreeing) })),
	newGauge("stellar_peers_quorum_failures_tolerated",
		"How many more validators of the node's quorum set can fail with the node still reaching quorum: core's fail_at - 1; 0 means the next failure stops it, -1 that it is stopped.",
		ofQuorum(func(q *v1alpha1.QuorumObservation) float64 { return float64(q.FailuresTolerated) })),
}

// Collector reports every PeerSync the reader lists.
type Collector struct {
	reader     client.Reader
	listErrors prometheus.Counter
}

// New returns a Collector that lists PeerSyncs through reader, normally the manager's cache.
func New(reader client.Reader) *Collector {
	return &Collector{reader: reader, listErrors: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "stellar_peers_peersync_list_errors_total",
		Help: "Scrapes that could not list PeerSyncs from the provider's cache (e.g. before it synced) and so served no per-PeerSync series.",
	})}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range gauges {
		ch <- g.desc
	}
	c.listErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	defer c.listErrors.Collect(ch)
	var list v1alpha1.PeerSyncList
	if err := c.reader.List(ctx, &list); err != nil {
		// Not a collector error: controller-runtime's endpoint answers 500 for the whole scrape on any, which would
		// hide every other metric of the provider while its cache syncs.
		c.listErrors.Inc()
		return
	}
	for i := range list.Items {
		ps := &list.Items[i]
		for _, g := range gauges {
			if v, ok := g.value(ps); ok {
				ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v, ps.GetNamespace(), ps.GetName())
			}
		}
	}
}

func isTrue(c xpv2.Condition) float64 {
	if c.Status == corev1.ConditionTrue {
		return 1
	}
	return 0
}
