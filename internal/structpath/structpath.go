// Package structpath reads single fields of the protobuf Structs Crossplane sends, by path.
package structpath

import (
	"google.golang.org/protobuf/types/known/structpb"
)

// The accessors below read single fields straight from the protobuf Struct
// Crossplane sends. Converting whole objects to JSON or unstructured first
// costs several allocations per field at 10,000 nodes; these cost none.

// Field returns the value at path, or nil when any step is missing or not an
// object.
func Field(s *structpb.Struct, path ...string) *structpb.Value {
	var v *structpb.Value
	for i, key := range path {
		if s == nil {
			return nil
		}
		v = s.GetFields()[key]
		if v == nil {
			return nil
		}
		if i < len(path)-1 {
			s = v.GetStructValue()
		}
	}
	return v
}

// Object returns the object at path, or nil.
func Object(s *structpb.Struct, path ...string) *structpb.Struct {
	return Field(s, path...).GetStructValue()
}

// String returns the string at path, and whether a string was there.
func String(s *structpb.Struct, path ...string) (string, bool) {
	v := Field(s, path...)
	sv, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		return "", false
	}
	return sv.StringValue, true
}

// StringOr returns the string at path, or def when there is none.
func StringOr(s *structpb.Struct, def string, path ...string) string {
	if v, ok := String(s, path...); ok && v != "" {
		return v
	}
	return def
}

// Bool returns the bool at path; false when absent or not a bool.
func Bool(s *structpb.Struct, path ...string) bool {
	return Field(s, path...).GetBoolValue()
}

// Present reports whether path holds a non-null value.
func Present(s *structpb.Struct, path ...string) bool {
	v := Field(s, path...)
	if v == nil {
		return false
	}
	_, isNull := v.GetKind().(*structpb.Value_NullValue)
	return !isNull && v.GetKind() != nil
}
