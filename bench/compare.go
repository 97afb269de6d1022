package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Keys are the peers ConfigMap keys both functions must render identically.
var Keys = []string{"peers.json", "peers.txt", "peer_count", "known-peers.cfg"}

// ConfigMapData returns the data of the peers ConfigMap in a response. A
// binaryData entry "<key>.gz" (a large directory's compressed bulk) is
// returned decompressed as "<key>".
func ConfigMapData(rspBytes []byte) (map[string]string, error) {
	rsp := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(rspBytes, rsp); err != nil {
		return nil, fmt.Errorf("cannot decode RunFunctionResponse: %w", err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return nil, fmt.Errorf("cannot use a Fatal response: %s", r.GetMessage())
		}
	}
	cm := rsp.GetDesired().GetResources()[ResourceName].GetResource()
	if cm == nil {
		return nil, fmt.Errorf("cannot find desired resource %q in the response", ResourceName)
	}
	out := map[string]string{}
	for k, v := range cm.GetFields()["data"].GetStructValue().GetFields() {
		out[k] = v.GetStringValue()
	}
	for k, v := range cm.GetFields()["binaryData"].GetStructValue().GetFields() {
		b, err := base64.StdEncoding.DecodeString(v.GetStringValue())
		if err != nil {
			return nil, fmt.Errorf("cannot decode binaryData %s: %w", k, err)
		}
		plain, ok := strings.CutSuffix(k, ".gz")
		if !ok {
			out[k] = string(b)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("cannot read binaryData %s: %w", k, err)
		}
		d, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("cannot decompress binaryData %s: %w", k, err)
		}
		out[plain] = string(d)
	}
	return out, nil
}

// Diff lists the keys whose values differ between ours and theirs, each with
// where they first differ. Keys missing on one side are listed only when want
// names them. An empty result means byte-for-byte equal.
func Diff(ours, theirs map[string]string, want []string) []string {
	var diffs []string
	for _, k := range want {
		o, okO := ours[k]
		t, okT := theirs[k]
		switch {
		case !okO && !okT:
			diffs = append(diffs, k+": missing in both")
		case !okO:
			diffs = append(diffs, k+": missing in ours")
		case !okT:
			diffs = append(diffs, k+": missing in theirs")
		case o != t:
			i := 0
			for i < len(o) && i < len(t) && o[i] == t[i] {
				i++
			}
			diffs = append(diffs, fmt.Sprintf("%s: %d vs %d bytes, first difference at byte %d: %q vs %q",
				k, len(o), len(t), i, excerpt(o, i), excerpt(t, i)))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func excerpt(s string, i int) string {
	end := min(i+40, len(s))
	return s[i:end]
}
