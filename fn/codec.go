package main

import (
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec requestCodec delegates to
	"google.golang.org/grpc/mem"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/wire"
)

// The directory step reads a few fields of thousands of node objects. Decoding
// every field of every node into protobuf Structs costs far more than the
// step itself (about 700 allocations per 2.6 KB node), so the server decodes a
// RunFunctionRequest with requestCodec: the objects of the requirements in
// prunedRequirements are decoded from the wire keeping only the fields the
// function reads; everything else is decoded as usual.

// prunedRequirements are the required resources decoded partially, with the
// fields kept of each object.
var prunedRequirements = map[string]wire.FieldSet{
	requirementNodes:     peers.NodeFields,
	requirementPeerCards: peers.CardFields,
}

var protoCodec = encoding.GetCodecV2("proto")

// requestCodec is gRPC's proto codec, except that it decodes a
// RunFunctionRequest with decodeRequest.
type requestCodec struct{}

func (requestCodec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

func (requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	req, ok := v.(*fnv1.RunFunctionRequest)
	if !ok {
		return protoCodec.Unmarshal(data, v)
	}
	// Read in place: nothing decoded refers to these buffers, which gRPC
	// reuses once Unmarshal returns.
	bufs := make([][]byte, len(data))
	for i, b := range data {
		bufs[i] = b.ReadOnlyData()
	}
	return decodeRequest(bufs, req)
}

func (requestCodec) Name() string { return protoCodec.Name() }

// decodeRequest decodes a RunFunctionRequest with the pruned requirements.
func decodeRequest(bufs [][]byte, req *fnv1.RunFunctionRequest) error {
	return wire.DecodeRequest(bufs, req, prunedRequirements)
}
