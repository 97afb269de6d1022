package main

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/bench"
)

func BenchmarkRunFunctionDirectory(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			items := make([]*fnv1.Resource, n)
			for i := range items {
				items[i] = bench.Node(i)
			}
			req := &fnv1.RunFunctionRequest{
				Input:             resource.MustStructJSON(directoryInput),
				Observed:          directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: items}},
			}
			f := &Function{log: logging.NewNopLogger()}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// A fresh desired state each call, as Crossplane sends.
				req.Desired = nil
				if _, err := f.RunFunction(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(proto.Size(req.GetRequiredResources()[requirementNodes]))/float64(n), "req-B/node")
		})
	}
}
