package bench

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/peers"
)

func response(t *testing.T, data map[string]string, binary map[string][]byte) []byte {
	t.Helper()
	cm := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	d := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for k, v := range data {
		d.Fields[k] = structpb.NewStringValue(v)
	}
	cm.Fields["data"] = structpb.NewStructValue(d)
	if len(binary) > 0 {
		bd := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for k, v := range binary {
			bd.Fields[k] = structpb.NewStringValue(base64.StdEncoding.EncodeToString(v))
		}
		cm.Fields["binaryData"] = structpb.NewStructValue(bd)
	}
	b, err := proto.Marshal(&fnv1.RunFunctionResponse{Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{ResourceName: {Resource: cm}}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigMapDataAndDiff(t *testing.T) {
	plain := map[string]string{"peers.json": "[]\n", "peers.txt": "", "peer_count": "0", "known-peers.cfg": "KNOWN_PEERS = []\n"}
	compressed := map[string][]byte{"peers.json.gz": peers.Gzip("[]\n"), "peers.txt.gz": peers.Gzip(""), "known-peers.cfg.gz": peers.Gzip("KNOWN_PEERS = []\n")}
	cases := map[string]struct {
		reason string
		ours   []byte
		theirs []byte
		want   []string
	}{
		"Same": {
			reason: "Identical plain data matches.",
			ours:   response(t, plain, nil), theirs: response(t, plain, nil),
		},
		"CompressedMatchesPlain": {
			reason: "A large directory's compressed keys are compared decompressed.",
			ours:   response(t, map[string]string{"peer_count": "0"}, compressed), theirs: response(t, plain, nil),
		},
		"OneByte": {
			reason: "A one byte difference is reported with where it is.",
			ours:   response(t, plain, nil),
			theirs: response(t, map[string]string{"peers.json": "[]\n", "peers.txt": "", "peer_count": "1", "known-peers.cfg": "KNOWN_PEERS = []\n"}, nil),
			want:   []string{`peer_count: 1 vs 1 bytes, first difference at byte 0: "0" vs "1"`},
		},
		"Missing": {
			reason: "A key only one side has is reported.",
			ours:   response(t, plain, nil), theirs: response(t, map[string]string{"peers.json": "[]\n", "peers.txt": "", "peer_count": "0"}, nil),
			want: []string{"known-peers.cfg: missing in theirs"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := ConfigMapData(tc.ours)
			if err != nil {
				t.Fatal(err)
			}
			th, err := ConfigMapData(tc.theirs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, Diff(o, th, Keys)); diff != "" {
				t.Errorf("%s\nDiff(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestOutputsMatch serves both functions and checks they render the same
// ConfigMap for 10 nodes. It needs function-go-templating, which `make unit`
// builds; elsewhere it is skipped.
func TestOutputsMatch(t *testing.T) {
	theirs := os.Getenv("STELLAR_PEERS_GO_TEMPLATING")
	if _, err := os.Stat(theirs); theirs == "" || err != nil {
		t.Skip("function-go-templating is not built; run through make")
	}
	ours := filepath.Join(t.TempDir(), "function-stellar-peers")
	if out, err := exec.Command("go", "build", "-o", ours, "../fn").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the function: %v\n%s", err, out)
	}
	r, err := Measure(context.Background(), Binaries{Ours: ours, Theirs: theirs, OursArgs: []string{"--metrics-address="}}, 10, time.Millisecond, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diffs) > 0 {
		t.Errorf("outputs differ at 10 nodes: %v", r.Diffs)
	}
}
