package main

import (
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// setDesiredStatus sets fields of the desired composite's status, keeping
// whatever earlier steps put there.
func setDesiredStatus(rsp *fnv1.RunFunctionResponse, fields map[string]*structpb.Value) {
	if rsp.GetDesired() == nil {
		rsp.Desired = &fnv1.State{}
	}
	if rsp.Desired.GetComposite() == nil {
		rsp.Desired.Composite = &fnv1.Resource{}
	}
	xr := rsp.Desired.Composite
	if xr.GetResource() == nil {
		xr.Resource = &structpb.Struct{}
	}
	if xr.Resource.Fields == nil {
		xr.Resource.Fields = map[string]*structpb.Value{}
	}
	status := xr.Resource.Fields["status"].GetStructValue()
	if status == nil {
		status = &structpb.Struct{}
		xr.Resource.Fields["status"] = structpb.NewStructValue(status)
	}
	if status.Fields == nil {
		status.Fields = map[string]*structpb.Value{}
	}
	for k, v := range fields {
		status.Fields[k] = v
	}
}

// setDesired sets one desired composed resource.
func setDesired(rsp *fnv1.RunFunctionResponse, name string, obj *structpb.Struct, ready fnv1.Ready) {
	if rsp.GetDesired() == nil {
		rsp.Desired = &fnv1.State{}
	}
	if rsp.Desired.Resources == nil {
		rsp.Desired.Resources = map[string]*fnv1.Resource{}
	}
	rsp.Desired.Resources[name] = &fnv1.Resource{Resource: obj, Ready: ready}
}

// toStruct converts an object built from maps, slices and scalars.
func toStruct(obj map[string]any) (*structpb.Struct, error) {
	s, err := structpb.NewStruct(obj)
	return s, errors.Wrap(err, "cannot convert composed resource to a protobuf Struct")
}

func ptr[T any](v T) *T { return &v }

// composedOf is a typed Kubernetes object, given by pointer, in the map form
// composed resources are built in, without what only the API server sets:
// the status, which a typed object always writes, and metadata's
// creationTimestamp (omitzero since k8s.io/apimachinery v0.35). The map
// comes from runtime.DefaultUnstructuredConverter, which follows the json
// tags as encoding/json does, without a JSON round trip: that would copy the
// directory's ConfigMap, up to 1 MiB, twice per call (at 1,000 validators
// the directory step took 19 ms instead of 12).
//
// zeroFields names, as dotted paths ("[]" for each item of a list), fields
// further in that the object's type writes even when they hold nothing; each
// is removed where it is null or {}, and kept where it holds something.
func composedOf(obj any, zeroFields ...string) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, errors.Wrap(err, "cannot convert typed object")
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	for _, path := range zeroFields {
		dropZero(m, strings.Split(path, "."))
	}
	return m, nil
}

// composedStruct is composedOf(obj, zeroFields...) as the Struct a desired
// resource holds.
func composedStruct(obj any, zeroFields ...string) (*structpb.Struct, error) {
	m, err := composedOf(obj, zeroFields...)
	if err != nil {
		return nil, err
	}
	return toStruct(m)
}

// dropZero removes the field at path from obj where it is null or {}. A
// path element ending in "[]" walks every item of that list.
func dropZero(obj map[string]any, path []string) {
	name, each := strings.CutSuffix(path[0], "[]")
	if len(path) == 1 {
		if v, ok := obj[name].(map[string]any); obj[name] == nil || ok && len(v) == 0 {
			delete(obj, name)
		}
		return
	}
	var next []any
	if each {
		next, _ = obj[name].([]any)
	} else {
		next = []any{obj[name]}
	}
	for _, item := range next {
		if o, ok := item.(map[string]any); ok {
			dropZero(o, path[1:])
		}
	}
}
