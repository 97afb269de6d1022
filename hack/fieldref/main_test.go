package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	cases := map[string]struct {
		reason string
		files  map[string]string
		want   []string // the table rows, in order
	}{
		"XRDWithClaim": {
			reason: "Every field of a v1 XRD, depth first and sorted, with type, constraints and description; a Composition in the same folder is skipped.",
			files: map[string]string{
				"definition.yaml": `
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
spec:
  group: example.io
  names: {kind: XThing}
  claimNames: {kind: Thing}
  versions:
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [mode]
              properties:
                mode:
                  type: string
                  enum: [A, B]
                  default: A
                  description: |
                    How it runs:
                    A or B | nothing else.
                port: {type: integer, minimum: 1, maximum: 65535}
                peers:
                  type: array
                  maxItems: 3
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string, description: The peer's name.}
                labels:
                  type: object
                  additionalProperties: {type: string}
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
---
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
spec: {}
`,
			},
			want: []string{
				"| `spec` | object | _no description_ |",
				"| `spec.labels` | map of string | _no description_ |",
				"| `spec.mode` | string, **required**, one of `A`, `B`, default `A` | How it runs: A or B \\| nothing else. |",
				"| `spec.peers` | array of object, items <= 3 | _no description_ |",
				"| `spec.peers[].name` | string, **required** | The peer's name. |",
				"| `spec.port` | integer, 1-65535 | _no description_ |",
				"| `status` | object, any fields | _no description_ |",
			},
		},
		"CRDUnservedVersionSkipped": {
			reason: "A CRD's served versions only; apiVersion, kind and metadata are not fields of ours.",
			files: map[string]string{
				"crd.yaml": `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  scope: Namespaced
  names: {kind: Sync}
  versions:
    - name: v1beta1
      served: false
      schema: {openAPIV3Schema: {type: object, properties: {old: {type: string}}}}
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              description: What it should be.
              properties:
                timeout: {type: string, format: duration, pattern: "^[0-9]+s$"}
                value: {x-kubernetes-int-or-string: true}
`,
			},
			want: []string{
				"| `spec` | object | What it should be. |",
				"| `spec.timeout` | string (duration), pattern `^[0-9]+s$` | _no description_ |",
				"| `spec.value` | integer or string | _no description_ |",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			docs, err := load([]string{dir})
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, l := range strings.Split(string(render(docs)), "\n") {
				if strings.HasPrefix(l, "| `") {
					rows = append(rows, l)
				}
			}
			if diff := cmp.Diff(tc.want, rows); diff != "" {
				t.Errorf("%s\nrows (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLoadRefusesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "composition.yaml"), []byte("kind: Composition\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := load([]string{dir}); err == nil {
		t.Error("load of a folder with no XRD or CRD succeeded; a wrong path in the Makefile would write an empty reference")
	}
}
