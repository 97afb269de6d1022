package coresim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// obj and list are the JSON values the simulator writes. A nil list is
// written as null, as JsonCpp does for a list that was never appended to.
type (
	obj  map[string]any
	list []any
)

// styled writes v the way JsonCpp's StyledWriter does: three-space indent,
// " : " between key and value, keys sorted, short scalar arrays on one line,
// and a trailing newline.
func styled(v any) string {
	var b strings.Builder
	writeStyled(&b, v, "")
	b.WriteString("\n")
	return b.String()
}

const rightMargin = 74

func writeStyled(b *strings.Builder, v any, indent string) {
	switch t := v.(type) {
	case obj:
		if len(t) == 0 {
			b.WriteString("{}")
			return
		}
		keys := slices.Sorted(maps.Keys(t))
		inner := indent + "   "
		b.WriteString("{\n")
		for i, k := range keys {
			b.WriteString(inner + quote(k) + " : ")
			writeStyled(b, t[k], inner)
			if i < len(keys)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case list:
		writeList(b, t, indent)
	case []string:
		if t == nil {
			b.WriteString("null")
			return
		}
		l := make(list, len(t))
		for i, s := range t {
			l[i] = s
		}
		writeList(b, l, indent)
	case string:
		b.WriteString(quote(t))
	case nil:
		b.WriteString("null")
	default:
		fmt.Fprint(b, t)
	}
}

func writeList(b *strings.Builder, l list, indent string) {
	if l == nil {
		b.WriteString("null")
		return
	}
	if len(l) == 0 {
		b.WriteString("[]")
		return
	}
	parts := make([]string, len(l))
	multiline := len(l)*3 >= rightMargin
	width := len(l) * 2
	for i, item := range l {
		switch t := item.(type) {
		case obj, list:
			if !isEmpty(t) {
				multiline = true
			}
		}
		var sb strings.Builder
		writeStyled(&sb, item, indent+"   ")
		parts[i] = sb.String()
		width += len(parts[i])
	}
	if !multiline && width+len(indent) < rightMargin {
		b.WriteString("[ " + strings.Join(parts, ", ") + " ]")
		return
	}
	inner := indent + "   "
	b.WriteString("[\n")
	for i, p := range parts {
		b.WriteString(inner + p)
		if i < len(parts)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(indent + "]")
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case obj:
		return len(t) == 0
	case list:
		return len(t) == 0
	}
	return false
}

func quote(s string) string {
	q, _ := json.Marshal(s) //nolint:errchkjson // Marshalling a string cannot fail.
	return string(q)
}

// compact writes core's one-line failure bodies, e.g. {"exception": "..."}.
func compact(key, message string) string {
	return "{" + quote(key) + ": " + quote(message) + "}"
}
