package bench

import (
	"fmt"

	"google.golang.org/grpc/mem"
)

// rawMessage is a message already in wire form.
type rawMessage []byte

// rawCodec sends and receives rawMessages as they are, under the proto codec
// name the server expects.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, fmt.Errorf("cannot marshal %T: want *rawMessage", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*m)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("cannot unmarshal into %T: want *rawMessage", v)
	}
	*m = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
