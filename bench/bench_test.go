package bench

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// BenchmarkDecodeFloor is a bare proto.Unmarshal of the request.
func BenchmarkDecodeFloor(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			req, _, err := Requests(n)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(req)))
			b.ReportAllocs()
			for b.Loop() {
				if err := proto.Unmarshal(req, &fnv1.RunFunctionRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
