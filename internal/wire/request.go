package wire

import (
	"cmp"
	"fmt"
	"runtime"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

var (
	requestDescriptor       = (&fnv1.RunFunctionRequest{}).ProtoReflect().Descriptor()
	requiredResourcesNumber = requestDescriptor.Fields().ByName("required_resources").Number()
	extraResourcesNumber    = requestDescriptor.Fields().ByName("extra_resources").Number()
	resourcesItemsNumber    = fieldNumber(&fnv1.Resources{}, "items")
	resourceResourceNumber  = fieldNumber(&fnv1.Resource{}, "resource")
	resourceReadyNumber     = fieldNumber(&fnv1.Resource{}, "ready")
)

func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	return m.ProtoReflect().Descriptor().Fields().ByName(name).Number()
}

// DecodeRequest decodes a RunFunctionRequest, the concatenation of bufs, like
// proto.Unmarshal, except that the objects of the required (and extra)
// resources named in keepOf keep only their FieldSet. Nothing decoded refers
// to bufs.
func DecodeRequest(bufs [][]byte, req *fnv1.RunFunctionRequest, keepOf map[string]FieldSet) error {
	c := newChunks(bufs)
	rest := make([]byte, 0, 4096)
	type pruned struct {
		extra bool
		key   string
		rs    *fnv1.Resources
	}
	var prunedEntries []pruned
	for c.left > 0 {
		f, err := c.field()
		if err != nil {
			return fmt.Errorf("cannot decode RunFunctionRequest: %w", err)
		}
		if (f.num == requiredResourcesNumber || f.num == extraResourcesNumber) && f.typ == protowire.BytesType {
			key, value, err := mapEntryChunks(c.value(f))
			if err != nil {
				return fmt.Errorf("cannot decode required resources: %w", err)
			}
			if keep, ok := keepOf[key]; ok {
				rs, err := decodeResources(value, keep)
				if err != nil {
					return fmt.Errorf("cannot decode required resources %q: %w", key, err)
				}
				prunedEntries = append(prunedEntries, pruned{extra: f.num == extraResourcesNumber, key: key, rs: rs})
				c.skip(f.size)
				continue
			}
		}
		rest = c.appendNext(rest, f.size)
	}
	if err := proto.Unmarshal(rest, req); err != nil {
		return fmt.Errorf("cannot decode RunFunctionRequest: %w", err)
	}
	for _, p := range prunedEntries {
		if p.extra {
			if req.ExtraResources == nil { //nolint:staticcheck // Older Crossplane sends these.
				req.ExtraResources = map[string]*fnv1.Resources{} //nolint:staticcheck // Older Crossplane sends these.
			}
			req.ExtraResources[p.key] = p.rs //nolint:staticcheck // Older Crossplane sends these.
			continue
		}
		if req.RequiredResources == nil {
			req.RequiredResources = map[string]*fnv1.Resources{}
		}
		req.RequiredResources[p.key] = p.rs
	}
	return nil
}

// mapEntryChunks splits a map<string, message> entry into its key and a reader of
// its value; the last of each wins, as in proto.Unmarshal.
func mapEntryChunks(c chunks) (key string, value chunks, err error) {
	for c.left > 0 {
		f, err := c.field()
		if err != nil {
			return "", chunks{}, err
		}
		if f.typ == protowire.BytesType {
			switch f.num {
			case mapKeyNumber:
				v := c.value(f)
				key = string(v.peek(v.left))
			case mapValueNumber:
				value = c.value(f)
			}
		}
		c.skip(f.size)
	}
	return key, value, nil
}

// decodeResources decodes a Resources message keeping only keep of each
// object. Connection details are dropped: the function never reads those of
// a required resource.
func decodeResources(c chunks, keep FieldSet) (*fnv1.Resources, error) {
	var items []chunks
	for c.left > 0 {
		f, err := c.field()
		if err != nil {
			return nil, err
		}
		if f.num == resourcesItemsNumber && f.typ == protowire.BytesType {
			items = append(items, c.value(f))
		}
		c.skip(f.size)
	}
	// The items are independent, and decoding them is most of a large
	// directory's call: split them between the cores, each part with its own
	// Decoder and scratch buffer.
	parts := 1
	if len(items) >= ParallelItems {
		parts = min(runtime.GOMAXPROCS(0), maxDecodeParts)
	}
	rs := &fnv1.Resources{Items: make([]*fnv1.Resource, len(items))}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			d, scratch := NewDecoder(), new([]byte)
			for i := p * len(items) / parts; i < (p+1)*len(items)/parts; i++ {
				item := items[i]
				item.scratch = scratch
				r, err := decodeResource(d, item.peek(item.left), keep)
				if err != nil {
					errs[p] = fmt.Errorf("cannot decode item %d: %w", i, err)
					return
				}
				rs.Items[i] = r
			}
		})
	}
	wg.Wait()
	// The first failing part holds the first failing item.
	if err := cmp.Or(errs...); err != nil {
		return nil, err
	}
	return rs, nil
}

// Below ParallelItems items a Resources is decoded in one goroutine; from it,
// in up to maxDecodeParts.
const (
	ParallelItems  = 256
	maxDecodeParts = 8
)

func decodeResource(d *Decoder, b []byte, keep FieldSet) (*fnv1.Resource, error) {
	r := &fnv1.Resource{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		switch {
		case num == resourceResourceNumber && typ == protowire.BytesType:
			sb, _ := protowire.ConsumeBytes(b)
			s, err := d.Struct(sb, keep)
			if err != nil {
				return nil, err
			}
			r.Resource = s
		case num == resourceReadyNumber && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(b)
			r.Ready = fnv1.Ready(v)
		}
		b = b[m:]
	}
	return r, nil
}
