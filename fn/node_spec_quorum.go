package main

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// defaultHistoryPort is the archive sidecar's port unless spec.history.port
// says otherwise: the next after core's peer and admin ports.
const defaultHistoryPort = 11627

// quorumSpec is spec.quorum.
type quorumSpec struct {
	preset           string
	homeDomains      []stellarcfg.HomeDomain
	validators       []stellarcfg.Validator
	includeDirectory bool
	unsafe           bool
}

// historySpec is spec.history.
type historySpec struct {
	preset    string
	archives  []stellarcfg.Archive
	publish   bool
	publicURL string
	port      int
}

// badField names a bad field of the node: the Fatal readNode returns.
type badField func(field, format string, a ...any) error

func readQuorum(spec *structpb.Struct, bad badField) (quorumSpec, error) {
	var q quorumSpec
	quorum, err := optionalObject(spec, "quorum", bad)
	if quorum == nil {
		return q, err
	}
	q.preset = structpath.StringOr(quorum, "", "preset")
	q.includeDirectory = structpath.Bool(quorum, "includeDirectory")
	q.unsafe = structpath.Bool(quorum, "unsafe")
	domains, err := objectList(quorum, "homeDomains", "spec.quorum.homeDomains", bad)
	if err != nil {
		return q, err
	}
	for i, d := range domains {
		field := fmt.Sprintf("spec.quorum.homeDomains[%d]", i)
		domain, quality := structpath.StringOr(d, "", "domain"), structpath.StringOr(d, "", "quality")
		if domain == "" {
			return q, bad(field+".domain", "is required")
		}
		if !validQuality(quality) {
			return q, bad(field+".quality", "%q is not one of LOW, MEDIUM, HIGH, CRITICAL", quality)
		}
		q.homeDomains = append(q.homeDomains, stellarcfg.HomeDomain{Domain: domain, Quality: stellarcfg.Quality(quality)})
	}
	validators, err := objectList(quorum, "validators", "spec.quorum.validators", bad)
	if err != nil {
		return q, err
	}
	for _, v := range validators {
		// Missing fields are left to the checker, which names them.
		q.validators = append(q.validators, stellarcfg.Validator{
			Name: structpath.StringOr(v, "", "name"), HomeDomain: structpath.StringOr(v, "", "homeDomain"),
			PublicKey: structpath.StringOr(v, "", "publicKey"), Address: structpath.StringOr(v, "", "address"),
			History: structpath.StringOr(v, "", "history"),
		})
	}
	return q, nil
}

func readHistory(spec *structpb.Struct, bad badField) (historySpec, error) {
	h := historySpec{port: defaultHistoryPort}
	history, err := optionalObject(spec, "history", bad)
	if history == nil {
		return h, err
	}
	h.preset = structpath.StringOr(history, "", "preset")
	h.publish = structpath.Bool(history, "publish")
	h.publicURL = structpath.StringOr(history, "", "publicURL")
	if h.publicURL != "" {
		if _, err := stellarcfg.HistoryGet(h.publicURL); err != nil {
			return h, bad("spec.history.publicURL", "%v", err)
		}
	}
	if h.port, err = portField(history, "port", defaultHistoryPort); err != nil {
		return h, bad("spec.history.port", "%v", err)
	}
	archives, err := objectList(history, "archives", "spec.history.archives", bad)
	if err != nil {
		return h, err
	}
	for i, a := range archives {
		field := fmt.Sprintf("spec.history.archives[%d]", i)
		name := structpath.StringOr(a, "", "name")
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return h, bad(field+".name", "%q is not letters, digits, '_' and '-'", name)
		}
		h.archives = append(h.archives, stellarcfg.Archive{
			Name: name, Get: structpath.StringOr(a, "", "get"), Put: structpath.StringOr(a, "", "put"), Mkdir: structpath.StringOr(a, "", "mkdir"),
		})
	}
	return h, nil
}

// optionalObject is spec.<key>: nil when absent, an error naming the field
// when it is there but not an object.
func optionalObject(spec *structpb.Struct, key string, bad badField) (*structpb.Struct, error) {
	o := structpath.Object(spec, key)
	if o == nil && structpath.Present(spec, key) {
		return nil, bad("spec."+key, "must be an object")
	}
	return o, nil
}

// objectList reads s.<key>, a list of objects; absent is empty. field names
// the list in errors.
func objectList(s *structpb.Struct, key, field string, bad badField) ([]*structpb.Struct, error) {
	if !structpath.Present(s, key) {
		return nil, nil
	}
	list, ok := structpath.Field(s, key).GetKind().(*structpb.Value_ListValue)
	if !ok {
		return nil, bad(field, "must be a list")
	}
	out := make([]*structpb.Struct, 0, len(list.ListValue.GetValues()))
	for i, v := range list.ListValue.GetValues() {
		o := v.GetStructValue()
		if o == nil {
			return nil, bad(fmt.Sprintf("%s[%d]", field, i), "must be an object")
		}
		out = append(out, o)
	}
	return out, nil
}

func validQuality(q string) bool {
	switch stellarcfg.Quality(q) {
	case stellarcfg.QualityLow, stellarcfg.QualityMedium, stellarcfg.QualityHigh, stellarcfg.QualityCritical:
		return true
	}
	return false
}
