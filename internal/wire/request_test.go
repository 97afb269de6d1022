package wire

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/bench"
)

// TestDecodeRequestNamesTheBadItem: an item that does not decode is named by its index, also when the items are
// decoded in parallel parts.
func TestDecodeRequestNamesTheBadItem(t *testing.T) {
	bad := ParallelItems + 7 // in the second of the parts decoded in parallel
	var items []byte
	for i := range 2 * ParallelItems {
		item, err := proto.Marshal(bench.Node(i))
		if err != nil {
			t.Fatal(err)
		}
		if i == bad {
			item = []byte{0x0a, 0x05, 0x0a} // a resource of 5 bytes holding 1
		}
		items = protowire.AppendBytes(protowire.AppendTag(items, resourcesItemsNumber, protowire.BytesType), item)
	}
	entry := protowire.AppendString(protowire.AppendTag(nil, mapKeyNumber, protowire.BytesType), "nodes")
	entry = protowire.AppendBytes(protowire.AppendTag(entry, mapValueNumber, protowire.BytesType), items)
	req := protowire.AppendBytes(protowire.AppendTag(nil, requiredResourcesNumber, protowire.BytesType), entry)

	err := DecodeRequest([][]byte{req}, &fnv1.RunFunctionRequest{}, map[string]FieldSet{"nodes": {"metadata": nil}})
	if want := fmt.Sprintf("item %d:", bad); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("DecodeRequest(...): %v, want an error naming %q", err, want)
	}
}
