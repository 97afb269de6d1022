package wire

import (
	"encoding/binary"
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
func (c *chunks) field() (wireField, error) {
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
	default: // groups, and invalid types: rare enough to join the rest
		m := protowire.ConsumeFieldValue(num, typ, c.peek(c.left)[n:])
		if m < 0 {
			return wireField{}, protowire.ParseError(m)
		}
		size = m
	}
	f.size = f.hdr + size
	if f.size > c.left {
		return wireField{}, io.ErrUnexpectedEOF
	}
	return f, nil
}
