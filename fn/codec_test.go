package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/stellarpeers/stellar-peers/bench"
	"github.com/stellarpeers/stellar-peers/internal/wire"
)

// oddNodes are node objects whose fields are missing, mistyped or spelled
// unusually: pruning must keep whatever extraction reads of them.
func oddNodes() []*fnv1.Resource {
	objs := []string{
		`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode", "metadata": {"name": "nospec"}}`,
		`{"apiVersion": "stellarpeers.io/v1alpha1", "kind": "XStellarNode", "metadata": "not an object", "spec": {"nodeType": "Validator", "network": "Testnet"}}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n1", "namespace": "ns"}, "spec": {"nodeType": "Validator", "network": "Testnet", "peerPort": "x"}, "status": {"peer": {"host": "n1.ns.svc.cluster.local"}}}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n2", "labels": {"crossplane.io/claim-name": "c2", "crossplane.io/claim-namespace": "team-z"}}, "spec": {"nodeType": "Validator", "network": {"Custom": "pass"}, "publicAddress": "lb.example.org:11700"}, "status": {"peer": {"host": "ignored.example.org", "port": 11625}}}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n3", "labels": {"crossplane.io/claim-name": "c3", "crossplane.io/claim-namespace": "team-z"}}, "spec": {"nodeType": "Validator", "network": "Testnet", "suspended": "yes"}, "status": {"peer": {"host": "c3.example.org"}}}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n4", "labels": {"crossplane.io/claim-name": "c4", "crossplane.io/claim-namespace": "team-z"}}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": "broken"}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n5", "labels": {"crossplane.io/claim-name": "c5", "crossplane.io/claim-namespace": "team-z"}}, "spec": {"nodeType": "Validator", "network": "Testnet"}, "status": {"peer": {"ip": "10.0.0.5", "port": 70000}}}`,
		`{"apiVersion": "stellar.org/v1alpha1", "kind": "StellarNode", "metadata": {"name": "op", "namespace": "ops"}, "spec": {"nodeType": "Validator", "network": "Testnet"}}`,
		`{"kind": "XStellarNode", "metadata": {"name": "n6", "labels": {"crossplane.io/claim-name": "c6", "crossplane.io/claim-namespace": "team-z"}}, "spec": {"nodeType": "Horizon", "network": "Testnet"}, "status": {"peer": {"host": "c6.example.org"}}}`,
	}
	out := make([]*fnv1.Resource, 0, len(objs))
	for _, o := range objs {
		out = append(out, &fnv1.Resource{Resource: resource.MustStructJSON(o), Ready: fnv1.Ready_READY_TRUE})
	}
	return out
}

func TestDecodeRequestRunsLikeProtoUnmarshal(t *testing.T) {
	realistic := make([]*fnv1.Resource, 30)
	for i := range realistic {
		realistic[i] = bench.Node(i)
	}
	// Enough nodes for decodeResources to split them between goroutines, odd ones among them.
	var many []*fnv1.Resource
	for i := range 3 * wire.ParallelItems {
		many = append(many, bench.Node(i))
		if i%100 == 0 {
			many = append(many, oddNodes()...)
		}
	}
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
	}{
		"ManyNodes": {
			reason: "Items decoded in parallel keep their order and give the same warnings.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: many}}},
		},
		"ThreeValidators": {
			reason: "Kept, skipped and pending nodes publish the same directory.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()}}},
		},
		"Realistic": {
			reason: "Full-size composites publish the same directory.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: realistic}}},
		},
		"OddNodes": {
			reason: "Missing and mistyped fields give the same warnings.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: append(oddNodes(), threeValidators()...)}}},
		},
		"NodeSelector": {
			reason: "A label selector sees the same labels.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput),
				Observed:          directoryXR(`"nodeSelector": {"matchLabels": {"team": "team-001"}}`),
				RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: realistic}}},
		},
		"ExtraResources": {
			reason: "Older Crossplane's extra_resources are pruned the same way.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
				ExtraResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()}}}, //nolint:staticcheck // Older Crossplane sends these.
		},
		"NodeStep": {
			reason: "Requirements that are not pruned decode exactly as proto.Unmarshal decodes them.",
			req: &fnv1.RunFunctionRequest{Input: resource.MustStructJSON(nodeInput), Observed: &fnv1.State{Composite: xNode("team-a", "alice", "Validator", "Testnet", "", "")},
				RequiredResources: map[string]*fnv1.Resources{
					requirementDirectories:        directories(""),
					requirementDirectoryConfigMap: directoryConfigMapOf(),
				}},
		},
	}
	f := &Function{log: logging.NewNopLogger()}
	for name, tc := range cases {
		b, err := proto.Marshal(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		full := &fnv1.RunFunctionRequest{}
		if err := proto.Unmarshal(b, full); err != nil {
			t.Fatal(err)
		}
		want, err := f.RunFunction(context.Background(), full)
		if err != nil {
			t.Fatal(err)
		}
		for split, sizes := range splits {
			if len(sizes) == 1 && sizes[0] == 1 && len(b) > 64<<10 {
				continue // a large request split at every byte only repeats the small cases, slowly
			}
			t.Run(name+"/"+split, func(t *testing.T) {
				bufs := pieces(b, sizes...)
				pruned := &fnv1.RunFunctionRequest{}
				if err := decodeRequest(bufs, pruned); err != nil {
					t.Fatalf("decodeRequest(...): %v", err)
				}
				scribble(bufs)
				if _, ok := pruned.GetRequiredResources()[requirementNodes]; !ok && name != "ExtraResources" && name != "NodeStep" {
					t.Fatalf("%s\ndecodeRequest(...): lost the nodes requirement", tc.reason)
				}
				got, err := f.RunFunction(context.Background(), pruned)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("%s\nRunFunction(decodeRequest(...)): -proto.Unmarshal, +decodeRequest:\n%s", tc.reason, diff)
				}
				if name == "NodeStep" {
					if diff := cmp.Diff(full, pruned, protocmp.Transform()); diff != "" {
						t.Errorf("%s\ndecodeRequest(...): -proto.Unmarshal, +decodeRequest:\n%s", tc.reason, diff)
					}
				}
			})
		}
	}
}

// splits are ways gRPC may hand a request over, piece sizes repeated to the
// end: 1 puts a boundary at every position (inside every tag, length, key and
// string), the uneven ones put items sometimes within a piece and sometimes
// across, 0 is an empty piece.
var splits = map[string][]int{
	"Whole":       nil,
	"EveryByte":   {1},
	"Uneven":      {7, 1, 300, 2, 4093, 0, 13},
	"HTTP2Frames": {16 << 10},
}

// pieces splits b into fresh buffers of sizes, repeated; no sizes is one piece.
func pieces(b []byte, sizes ...int) [][]byte {
	if len(sizes) == 0 {
		return [][]byte{bytes.Clone(b)}
	}
	var out [][]byte
	for i := 0; len(b) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(b))
		out = append(out, bytes.Clone(b[:n]))
		b = b[n:]
	}
	return out
}

// scribble overwrites bufs, as gRPC reuses its buffers once decoded.
func scribble(bufs [][]byte) {
	for _, b := range bufs {
		for i := range b {
			b[i] = 0xff
		}
	}
}

func TestDecodeRequestRefusesGarbage(t *testing.T) {
	cases := map[string][]byte{
		"TruncatedTag":         {0x80},
		"TruncatedField":       {0x42, 0x10, 0x0a},
		"TruncatedNodesStruct": append([]byte{0x42, 0x0c, 0x0a, 0x05}, []byte("nodes\x12\x03\x0a\x05\x0a")...),
		"TruncatedNodesEntry":  append([]byte{0x42, 0x10, 0x0a, 0x05}, []byte("nodes\x12\x03\x0a\x05\x0a")...),
		"OverlongLength":       {0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"EndGroup":             {0x0c},
		"ReservedType":         {0x0e},
	}
	for name, b := range cases {
		for split, sizes := range splits {
			if len(sizes) == 1 && sizes[0] == 1 && len(b) > 64<<10 {
				continue // a large request split at every byte only repeats the small cases, slowly
			}
			t.Run(name+"/"+split, func(t *testing.T) {
				if err := decodeRequest(pieces(b, sizes...), &fnv1.RunFunctionRequest{}); err == nil {
					t.Errorf("decodeRequest(%x): want an error, got none", b)
				}
			})
		}
	}
}

// FuzzDecodeRequestPieces checks that however gRPC splits a request, it
// decodes as it does whole, refers to none of the pieces, and fails only where
// proto.Unmarshal fails.
func FuzzDecodeRequestPieces(f *testing.F) {
	for _, req := range []*fnv1.RunFunctionRequest{
		{Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
			RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: append(oddNodes(), threeValidators()...)}}},
		{ExtraResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: threeValidators()}}},
	} {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(1), uint8(7))
	}
	f.Add([]byte{0x42, 0x0c, 0x0a, 0x05, 'n', 'o', 'd', 'e', 's', 0x12, 0x03, 0x0a, 0x01, 0x0a}, uint8(2), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, size1, size2 uint8) {
		whole := &fnv1.RunFunctionRequest{}
		wholeErr := decodeRequest(pieces(b), whole)
		if wholeErr != nil && proto.Unmarshal(b, &fnv1.RunFunctionRequest{}) == nil {
			t.Fatalf("decodeRequest(...): %v, but proto.Unmarshal accepts it", wholeErr)
		}
		bufs := pieces(b, int(size1)+1, int(size2))
		split := &fnv1.RunFunctionRequest{}
		err := decodeRequest(bufs, split)
		scribble(bufs)
		if (err != nil) != (wholeErr != nil) {
			t.Fatalf("decodeRequest(pieces): %v, decodeRequest(whole): %v", err, wholeErr)
		}
		if diff := cmp.Diff(whole, split, protocmp.Transform()); err == nil && diff != "" {
			t.Errorf("decodeRequest(...): -whole, +pieces:\n%s", diff)
		}
	})
}

func BenchmarkDecodeAndRunDirectory(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		items := make([]*fnv1.Resource, n)
		for i := range items {
			items[i] = bench.Node(i)
		}
		req, err := proto.Marshal(&fnv1.RunFunctionRequest{
			Input: resource.MustStructJSON(directoryInput), Observed: directoryXR(""),
			RequiredResources: map[string]*fnv1.Resources{requirementPeerCards: {}, requirementNodes: {Items: items}},
		})
		if err != nil {
			b.Fatal(err)
		}
		frames := pieces(req, 16<<10)
		f := &Function{log: logging.NewNopLogger()}
		for _, dec := range []struct {
			name   string
			decode func([]byte, *fnv1.RunFunctionRequest) error
		}{
			{"proto.Unmarshal", func(b []byte, m *fnv1.RunFunctionRequest) error { return proto.Unmarshal(b, m) }},
			// As gRPC hands it over: one buffer per 16 KiB HTTP/2 frame.
			{"decodeRequest", func(_ []byte, m *fnv1.RunFunctionRequest) error { return decodeRequest(frames, m) }},
		} {
			b.Run(fmt.Sprintf("%s/nodes=%d", dec.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(req)))
				for b.Loop() {
					m := &fnv1.RunFunctionRequest{}
					if err := dec.decode(req, m); err != nil {
						b.Fatal(err)
					}
					if _, err := f.RunFunction(context.Background(), m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
