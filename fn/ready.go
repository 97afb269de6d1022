package main

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// peerSyncReady is the composed PeerSync's readiness: its own Ready condition,
// which follows core's state. It must be said explicitly: Crossplane 2.4 counts
// a composed resource ready only when the function answers READY_TRUE
// (internal/controller/apiextensions/composite/composition_functions.go,
// `Ready: dr.GetReady() == fnv1.Ready_READY_TRUE`), so UNSPECIFIED kept every
// node's composite, and its claim, Ready=False for ever.
func peerSyncReady(req *fnv1.RunFunctionRequest) fnv1.Ready {
	ps := req.GetObserved().GetResources()[resourcePeerSync].GetResource()
	for _, c := range structpath.Field(ps, "status", "conditions").GetListValue().GetValues() {
		cond := c.GetStructValue()
		if structpath.StringOr(cond, "", "type") == "Ready" {
			if structpath.StringOr(cond, "", "status") == "True" {
				return fnv1.Ready_READY_TRUE
			}
			break
		}
	}
	return fnv1.Ready_READY_FALSE
}
