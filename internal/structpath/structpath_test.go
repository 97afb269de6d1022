package structpath

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestPaths(t *testing.T) {
	obj, err := structpb.NewStruct(map[string]any{
		"spec": map[string]any{"network": "Testnet", "suspended": true, "port": 11625.0, "gone": nil, "list": []any{"a"}},
		"name": "alice",
	})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		String    string
		StringOK  bool
		StringOr  string
		Bool      bool
		Present   bool
		HasObject bool
	}
	cases := map[string]struct {
		path []string
		want got
	}{
		"NestedString":       {path: []string{"spec", "network"}, want: got{String: "Testnet", StringOK: true, StringOr: "Testnet", Present: true}},
		"Bool":               {path: []string{"spec", "suspended"}, want: got{StringOr: "default", Bool: true, Present: true}},
		"NumberIsNoString":   {path: []string{"spec", "port"}, want: got{StringOr: "default", Present: true}},
		"NullIsNotPresent":   {path: []string{"spec", "gone"}, want: got{StringOr: "default"}},
		"Missing":            {path: []string{"spec", "absent"}, want: got{StringOr: "default"}},
		"ThroughAString":     {path: []string{"name", "first"}, want: got{StringOr: "default"}},
		"ThroughAList":       {path: []string{"spec", "list", "0"}, want: got{StringOr: "default"}},
		"AnObject":           {path: []string{"spec"}, want: got{StringOr: "default", Present: true, HasObject: true}},
		"NoPathIsTheMissing": {path: nil, want: got{StringOr: "default"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, ok := String(obj, tc.path...)
			g := got{
				String: s, StringOK: ok, StringOr: StringOr(obj, "default", tc.path...), Bool: Bool(obj, tc.path...),
				Present: Present(obj, tc.path...), HasObject: Object(obj, tc.path...) != nil,
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
	if Field(nil, "spec") != nil || Object(nil) != nil {
		t.Error("a nil Struct has no fields")
	}
}
