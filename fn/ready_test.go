package main

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

func TestPeerSyncReady(t *testing.T) {
	cases := map[string]struct {
		observed string
		want     fnv1.Ready
	}{
		"NotObservedYet": {want: fnv1.Ready_READY_FALSE},
		"ReadyTrue":      {observed: `{"status": {"conditions": [{"type": "Synced", "status": "True"}, {"type": "Ready", "status": "True", "reason": "Available"}]}}`, want: fnv1.Ready_READY_TRUE},
		"CatchingUp":     {observed: `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Catching up"}]}}`, want: fnv1.Ready_READY_FALSE},
		"OnlySynced":     {observed: `{"status": {"conditions": [{"type": "Synced", "status": "True"}]}}`, want: fnv1.Ready_READY_FALSE},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
			if tc.observed != "" {
				req.Observed.Resources[resourcePeerSync] = &fnv1.Resource{Resource: resource.MustStructJSON(tc.observed)}
			}
			if got := peerSyncReady(req); got != tc.want {
				t.Errorf("peerSyncReady(%s) = %v, want %v", tc.observed, got, tc.want)
			}
		})
	}
}
