package wire

import (
	"encoding/binary"
	"errors"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// chunks reads a message that gRPC received in pieces (its pooled buffers, one
// or a few per HTTP/2 frame) without joining them: joining a 28 MiB request
// costs a copy of it, and its memory, on every call. A field within one piece
// is read in place; one that spans pieces is copied into a scratch buffer.
// Copies of a chunks value read independently and share the scratch buffer.
type chunks struct {
	bufs    [][]byte // unread pieces, none empty; bufs[0][off:] is next
	off     int
	left    int     // bytes this reader may still read, at most those in bufs
	scratch *[]byte // where peek joins bytes that span pieces
}

func newChunks(bufs [][]byte) chunks {
	c := chunks{scratch: new([]byte)}
	for _, b := range bufs {
		if len(b) > 0 {
			c.bufs = append(c.bufs, b)
			c.left += len(b)
		}
	}
	return c
}

// peek returns the next min(n, c.left) bytes without reading them; a result
// that spans pieces is valid until the next peek of any copy of c.
func (c *chunks) peek(n int) []byte {
	n = min(n, c.left)
	if n == 0 {
		return nil
	}
	if b := c.bufs[0][c.off:]; len(b) >= n {
		return b[:n]
	}
	s := (*c.scratch)[:0]
	for i, off := 0, c.off; len(s) < n; i, off = i+1, 0 {
		b := c.bufs[i][off:]
		s = append(s, b[:min(len(b), n-len(s))]...)
	}
	*c.scratch = s
	return s
}

// skip reads n bytes, at most c.left.
func (c *chunks) skip(n int) {
	c.left -= n
	for n > 0 {
		k := min(n, len(c.bufs[0])-c.off)
		c.off += k
		n -= k
		if c.off == len(c.bufs[0]) {
			c.bufs, c.off = c.bufs[1:], 0
		}
	}
}

// appendNext reads n bytes, at most c.left, appending them to dst.
func (c *chunks) appendNext(dst []byte, n int) []byte {
	for n > 0 {
		b := c.bufs[0][c.off:]
		k := min(n, len(b))
		dst = append(dst, b[:k]...)
		c.skip(k)
		n -= k
	}
	return dst
}

// sub returns a reader of the n bytes after the next skip bytes.
func (c *chunks) sub(skip, n int) chunks {
	s := *c
	s.skip(skip)
	s.left = n
	return s
}

// A wireField is the header of a field on the wire.
type wireField struct {
	num  protowire.Number
	typ  protowire.Type
	hdr  int // the tag, and the length of a BytesType field
	size int // hdr and the value
}

// value returns a reader of a BytesType field's value.
func (c *chunks) value(f wireField) chunks { return c.sub(f.hdr, f.size-f.hdr) }

// field returns the header of the next field, without reading it.
func (c *chunks) field() (wireField, error) { return c.fieldAt(0) }

// maxGroupDepth is protowire's own limit on nested groups.
const maxGroupDepth = 10000

var (
	errGroupDepth    = errors.New("groups nested too deeply")
	errEndGroup      = errors.New("end of a group that was not started")
	errGroupMismatch = errors.New("mismatching end group")
)

// fieldAt is field within depth groups.
func (c *chunks) fieldAt(depth int) (wireField, error) {
	b := c.peek(2 * binary.MaxVarintLen64) // a tag and a length
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return wireField{}, protowire.ParseError(n)
	}
	f := wireField{num: num, typ: typ, hdr: n}
	var size int
	switch typ {
	case protowire.VarintType:
		_, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return wireField{}, protowire.ParseError(m)
		}
		size = m
	case protowire.Fixed32Type:
		size = 4
	case protowire.Fixed64Type:
		size = 8
	case protowire.BytesType:
		l, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return wireField{}, protowire.ParseError(m)
		}
		if l > uint64(c.left) {
			return wireField{}, io.ErrUnexpectedEOF
		}
		f.hdr += m
		size = int(l)
	case protowire.StartGroupType:
		m, err := c.groupSize(num, n, depth+1)
		if err != nil {
			return wireField{}, err
		}
		size = m
	case protowire.EndGroupType:
		return wireField{}, errEndGroup
	default:
		return wireField{}, protowire.ParseError(protowire.ConsumeFieldValue(num, typ, nil))
	}
	f.size = f.hdr + size
	if f.size > c.left {
		return wireField{}, io.ErrUnexpectedEOF
	}
	return f, nil
}

// groupSize is the size of a group's fields and end tag after its start tag
// of hdr bytes. It reads the group field by field: reading all that is left
// for each group, as protowire.ConsumeFieldValue would need, made a request
// of many groups in small pieces cost the square of its size.
func (c *chunks) groupSize(num protowire.Number, hdr, depth int) (int, error) {
	if depth > maxGroupDepth {
		return 0, errGroupDepth
	}
	g := *c
	g.skip(hdr)
	size := 0
	for {
		endNum, typ, n := protowire.ConsumeTag(g.peek(binary.MaxVarintLen64))
		switch {
		case n < 0:
			return 0, protowire.ParseError(n)
		case typ == protowire.EndGroupType && endNum != num:
			return 0, errGroupMismatch
		case typ == protowire.EndGroupType:
			return size + n, nil
		}
		f, err := g.fieldAt(depth)
		if err != nil {
			return 0, err
		}
		size += f.size
		g.skip(f.size)
	}
}
