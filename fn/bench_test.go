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
	"github.com/stellarpeers/stellar-peers/internal/peers"
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

// BenchmarkRunFunctionNode is the node step of a Testnet validator whose
// directory lists n peers: it renders and checks a config on every call.
func BenchmarkRunFunctionNode(b *testing.B) {
	for _, n := range []int{3, 100, 1000} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			ps := make([]peers.Peer, n)
			for i := range ps {
				name := fmt.Sprintf("validator-%04d", i)
				ps[i] = peers.Peer{Name: name, Namespace: "team", NodeType: peers.NodeTypeValidator, Host: name + "-0." + name + ".team.svc.cluster.local", Port: 11625}
			}
			cm := peersConfigMap(defaultPeersConfigMap(), peers.Published{Data: map[string]string{
				peers.KeyPeersJSON: peers.Render(ps, false).PeersJSON,
			}})
			req := &fnv1.RunFunctionRequest{
				Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", "", "")},
				RequiredResources: map[string]*fnv1.Resources{requirementDirectories: directories(""), requirementDirectoryConfigMap: {Items: []*fnv1.Resource{{Resource: cm}}}},
			}
			f := &Function{log: logging.NewNopLogger()}
			b.ReportAllocs()
			for b.Loop() {
				req.Desired = nil
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil || rsp.GetDesired().GetResources()[resourceStatefulSet] == nil {
					b.Fatalf("no StatefulSet: %v %v", err, rsp.GetResults())
				}
			}
		})
	}
}
