// Package wire decodes Crossplane's RunFunctionRequests from the protobuf wire, keeping only the fields of
// required objects that the function reads.
package wire

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// A FieldSet names the fields of an object to keep when decoding it from the
// wire. A key mapped to nil keeps its whole value; a key mapped to a FieldSet
// keeps only those fields of its object (a value that is not an object is kept
// whole, so that readers see exactly what they would have seen).
type FieldSet map[string]FieldSet

// Wire field numbers of google.protobuf.Struct and Value, fixed by the
// protobuf well-known types.
const (
	structFieldsNumber      protowire.Number = 1 // Struct.fields, map<string, Value>
	mapKeyNumber            protowire.Number = 1
	mapValueNumber          protowire.Number = 2
	valueStructValueNumber  protowire.Number = 5 // Value.struct_value
	wireErrorContextPattern                  = "cannot decode %s: %w"
)

var errTruncated = errors.New("truncated or malformed protobuf")

// A Decoder decodes google.protobuf.Structs from the wire, keeping only the
// fields asked for. Skipped fields are never decoded, and the kept ones share
// allocations: strings are copied into arenas (the wire bytes are gRPC's
// buffers, reused once decoded), and Values and Structs come from slabs.
// Everything decoded stays alive as long as any of it does, which suits a
// request that is dropped as a whole.
type Decoder struct {
	arena   []byte
	values  []structpb.Value
	strs    []structpb.Value_StringValue
	numbers []structpb.Value_NumberValue
	bools   []structpb.Value_BoolValue
	objects []structpb.Value_StructValue
	structs []structpb.Struct
}

// slab is how many Values (and so on) a Decoder allocates at once; arena is
// how many bytes of strings.
const (
	slab  = 512
	arena = 32 << 10
)

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

func take[T any](s *[]T) *T {
	if len(*s) == 0 {
		*s = make([]T, slab)
	}
	v := &(*s)[0]
	*s = (*s)[1:]
	return v
}

// text copies b into the arena. Arena bytes never change once written.
func (d *Decoder) text(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(d.arena)-len(d.arena) {
		d.arena = make([]byte, 0, max(arena, len(b)))
	}
	d.arena = append(d.arena, b...)
	s := d.arena[len(d.arena)-len(b):]
	return unsafe.String(&s[0], len(s))
}

func (d *Decoder) str(b []byte) *structpb.Value {
	w := take(&d.strs)
	w.StringValue = d.text(b)
	v := take(&d.values)
	v.Kind = w
	return v
}

func (d *Decoder) number(f float64) *structpb.Value {
	w := take(&d.numbers)
	w.NumberValue = f
	v := take(&d.values)
	v.Kind = w
	return v
}

func (d *Decoder) boolean(x bool) *structpb.Value {
	w := take(&d.bools)
	w.BoolValue = x
	v := take(&d.values)
	v.Kind = w
	return v
}

func (d *Decoder) object(s *structpb.Struct) *structpb.Value {
	w := take(&d.objects)
	w.StructValue = s
	v := take(&d.values)
	v.Kind = w
	return v
}

// Struct decodes a google.protobuf.Struct keeping only the fields in keep.
func (d *Decoder) Struct(b []byte, keep FieldSet) (*structpb.Struct, error) {
	s := take(&d.structs)
	s.Fields = make(map[string]*structpb.Value, len(keep))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf(wireErrorContextPattern, "Struct", protowire.ParseError(n))
		}
		b = b[n:]
		if num != structFieldsNumber || typ != protowire.BytesType {
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return nil, fmt.Errorf(wireErrorContextPattern, "Struct", protowire.ParseError(m))
			}
			b = b[m:]
			continue
		}
		entry, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return nil, fmt.Errorf(wireErrorContextPattern, "Struct", protowire.ParseError(m))
		}
		b = b[m:]
		key, value, err := mapEntry(entry)
		if err != nil {
			return nil, fmt.Errorf(wireErrorContextPattern, "Struct field", err)
		}
		sub, wanted := keep[string(key)]
		if !wanted {
			continue
		}
		v, err := d.value(value, sub)
		if err != nil {
			return nil, fmt.Errorf("cannot decode field %q: %w", key, err)
		}
		s.Fields[d.text(key)] = v // the last entry of a key wins, as in proto.Unmarshal
	}
	return s, nil
}

// value decodes a google.protobuf.Value, pruning an object value to
// keep; a nil keep keeps it whole.
func (d *Decoder) value(b []byte, keep FieldSet) (*structpb.Value, error) {
	if keep != nil {
		if sb, ok, err := structValue(b); err != nil {
			return nil, err
		} else if ok {
			s, err := d.Struct(sb, keep)
			if err != nil {
				return nil, err
			}
			return d.object(s), nil
		}
	}
	// Scalars, by far the most common, are decoded here: proto.Unmarshal
	// costs several times more for a message this small.
	if v, ok := d.scalar(b); ok {
		return v, nil
	}
	v := &structpb.Value{}
	if err := proto.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf(wireErrorContextPattern, "Value", err)
	}
	return v, nil
}

// Wire field numbers of google.protobuf.Value's scalar kinds.
const (
	valueNullNumber   protowire.Number = 1
	valueNumberNumber protowire.Number = 2
	valueStringNumber protowire.Number = 3
	valueBoolNumber   protowire.Number = 4
)

// scalar decodes a Value that is exactly one scalar field; anything else
// (objects, lists, repeated or unknown fields, invalid UTF-8) is left to
// proto.Unmarshal.
func (d *Decoder) scalar(b []byte) (*structpb.Value, bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return nil, false
	}
	b = b[n:]
	var v *structpb.Value
	switch {
	case num == valueStringNumber && typ == protowire.BytesType:
		s, m := protowire.ConsumeBytes(b)
		if m < 0 || m != len(b) || !utf8.Valid(s) {
			return nil, false
		}
		v = d.str(s)
	case num == valueNumberNumber && typ == protowire.Fixed64Type:
		f, m := protowire.ConsumeFixed64(b)
		if m < 0 || m != len(b) {
			return nil, false
		}
		v = d.number(math.Float64frombits(f))
	case num == valueBoolNumber && typ == protowire.VarintType:
		x, m := protowire.ConsumeVarint(b)
		if m < 0 || m != len(b) {
			return nil, false
		}
		v = d.boolean(x != 0)
	case num == valueNullNumber && typ == protowire.VarintType:
		x, m := protowire.ConsumeVarint(b)
		if m < 0 || m != len(b) {
			return nil, false
		}
		v = &structpb.Value{Kind: &structpb.Value_NullValue{NullValue: structpb.NullValue(x)}}
	case num == valueStructValueNumber && typ == protowire.BytesType: // struct_value, kept whole
		sb, m := protowire.ConsumeBytes(b)
		if m < 0 || m != len(b) {
			return nil, false
		}
		s, err := d.wholeStruct(sb)
		if err != nil {
			return nil, false
		}
		v = d.object(s)
	default:
		return nil, false
	}
	return v, true
}

// wholeStruct decodes a Struct with all its fields.
func (d *Decoder) wholeStruct(b []byte) (*structpb.Struct, error) {
	s := take(&d.structs)
	s.Fields = map[string]*structpb.Value{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errTruncated
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, errTruncated
		}
		if num != structFieldsNumber || typ != protowire.BytesType {
			return nil, errTruncated // unknown fields: let proto.Unmarshal keep them
		}
		entry, _ := protowire.ConsumeBytes(b)
		b = b[m:]
		key, value, err := mapEntry(entry)
		if err != nil || !utf8.Valid(key) {
			return nil, errTruncated
		}
		v, err := d.value(value, nil)
		if err != nil {
			return nil, err
		}
		s.Fields[d.text(key)] = v
	}
	return s, nil
}

// structValue returns the bytes of a Value's struct_value when that is the
// kind it holds (the last kind on the wire wins, as in proto.Unmarshal).
func structValue(b []byte) ([]byte, bool, error) {
	var out []byte
	ok := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false, errTruncated
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, false, errTruncated
		}
		if num >= 1 && num <= 6 { // a oneof kind
			ok = num == valueStructValueNumber && typ == protowire.BytesType
			if ok {
				out, _ = protowire.ConsumeBytes(b)
			}
		}
		b = b[m:]
	}
	return out, ok, nil
}

// mapEntry splits a map<string, message> entry into key and value bytes.
func mapEntry(b []byte) (key, value []byte, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, errTruncated
		}
		b = b[n:]
		if typ == protowire.BytesType && (num == mapKeyNumber || num == mapValueNumber) {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, nil, errTruncated
			}
			if num == mapKeyNumber {
				key = v
			} else {
				value = v
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, nil, errTruncated
		}
		b = b[m:]
	}
	return key, value, nil
}
