package peersync

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

func TestLedgerForgetter(t *testing.T) {
	errBoom := errors.New("boom")
	cases := map[string]struct {
		reason     string
		removeErr  error
		wantErr    error
		wantSeries int
	}{
		"FinalizerRemoved": {
			reason:     "The series go with the PeerSync's finalizer.",
			wantSeries: 0,
		},
		"FinalizerKept": {
			reason:     "A PeerSync whose finalizer could not be removed still exists: its series stays.",
			removeErr:  errBoom,
			wantErr:    errBoom,
			wantSeries: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			coreLedger.Reset()
			coreLedgerAge.Reset()
			cr := peerSync("http://127.0.0.1:11626")
			coreLedger.WithLabelValues(cr.Namespace, cr.Name).Set(42)
			coreLedgerAge.WithLabelValues(cr.Namespace, cr.Name).Set(5)
			f := ledgerForgetter{Finalizer: resource.FinalizerFns{
				RemoveFinalizerFn: func(context.Context, resource.Object) error { return tc.removeErr },
			}}
			err := f.RemoveFinalizer(context.Background(), cr)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nRemoveFinalizer: -want +got:\n%s", tc.reason, diff)
			}
			for _, g := range []*prometheus.GaugeVec{coreLedger, coreLedgerAge} {
				if got := testutil.CollectAndCount(g); got != tc.wantSeries {
					t.Errorf("%s\nseries: got %d, want %d", tc.reason, got, tc.wantSeries)
				}
			}
		})
	}
}
