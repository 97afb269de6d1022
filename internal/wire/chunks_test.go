package wire

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// inPieces splits b into pieces of n bytes.
func inPieces(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		k := min(n, len(b))
		out = append(out, bytes.Clone(b[:k]))
		b = b[k:]
	}
	return out
}

// TestGroups: unknown group fields of a request are read field by field, in pieces of any size, and accepted or
// refused as proto.Unmarshal does them.
func TestGroups(t *testing.T) {
	group := func(num protowire.Number, body ...[]byte) []byte {
		b := protowire.AppendTag(nil, num, protowire.StartGroupType)
		for _, f := range body {
			b = append(b, f...)
		}
		return protowire.AppendTag(b, num, protowire.EndGroupType)
	}
	varint := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7)
	nested := group(90, varint, group(91, varint, group(92)), varint)
	deep := []byte{}
	for range maxGroupDepth + 2 {
		deep = protowire.AppendTag(deep, 95, protowire.StartGroupType)
	}
	cases := map[string][]byte{
		"ManyEmptyGroups": bytes.Repeat(group(11), 5000),
		"Nested":          nested,
		"Mismatched":      append(protowire.AppendTag(nil, 90, protowire.StartGroupType), protowire.AppendTag(nil, 91, protowire.EndGroupType)...),
		"EndWithoutStart": protowire.AppendTag(nil, 90, protowire.EndGroupType),
		"Unterminated":    protowire.AppendTag(nil, 90, protowire.StartGroupType),
		"TooDeep":         deep,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			want := proto.Unmarshal(b, &fnv1.RunFunctionRequest{})
			for _, n := range []int{1, 3, len(b)} {
				err := DecodeRequest(inPieces(b, n), &fnv1.RunFunctionRequest{}, nil)
				if (err != nil) != (want != nil) {
					t.Errorf("in pieces of %d: DecodeRequest: %v, proto.Unmarshal: %v", n, err, want)
				}
			}
		})
	}
}
