package bench

import (
	_ "embed" // the template is a file so that it reads like one

	"google.golang.org/protobuf/types/known/structpb"
)

// Template is the function-go-templating template that renders the same
// peers ConfigMap as our directory step.
//
//go:embed peers.tmpl
var Template string

// TemplateInput is function-go-templating's step input with Template inline.
func TemplateInput() *structpb.Struct {
	return &structpb.Struct{Fields: map[string]*structpb.Value{
		"apiVersion": structpb.NewStringValue("gotemplating.fn.crossplane.io/v1beta1"),
		"kind":       structpb.NewStringValue("GoTemplate"),
		"source":     structpb.NewStringValue("Inline"),
		"inline": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"template": structpb.NewStringValue(Template),
		}}),
	}}
}
