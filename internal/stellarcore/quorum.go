package stellarcore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

const cmdQuorum = "quorum"

// quorumJSON is the object getJsonQuorumInfo writes (src/herder/HerderImpl.cpp,
// v23.0.1): /info's "quorum" section and the /quorum reply alike. Newer cores
// add fields (maybe_dead_nodes, v24); they are ignored.
type quorumJSON struct {
	Node       *string         `json:"node"`
	QSet       *qsetJSON       `json:"qset"`
	Transitive *transitiveJSON `json:"transitive"`
}

// qsetJSON is the per-slot part. Which fields are there depends on the form:
// with no slot known, SCP::getJsonQuorumInfo returns null and only lag_ms and
// cost are added; a slot adds the four states and ledger (src/scp/SCP.cpp);
// phase always, fail_at and hash unless the quorum set expired
// (src/scp/BallotProtocol.cpp); validated on validators (src/scp/Slot.cpp).
// The summary form (/info) has counts and numbers where the full form
// (/quorum) has lists and objects.
type qsetJSON struct {
	Ledger    *uint64         `json:"ledger"`
	Phase     string          `json:"phase"`
	Hash      string          `json:"hash"`
	FailAt    *int            `json:"fail_at"`
	FailWith  []string        `json:"fail_with"`
	Validated *bool           `json:"validated"`
	Agree     countOrNames    `json:"agree"`
	Missing   countOrNames    `json:"missing"`
	Delayed   countOrNames    `json:"delayed"`
	Disagree  countOrNames    `json:"disagree"`
	Value     *qsetValueJSON  `json:"value"`
	LagMS     json.RawMessage `json:"lag_ms"`
	Cost      json.RawMessage `json:"cost"`
}

type transitiveJSON struct {
	Intersection    bool       `json:"intersection"`
	NodeCount       int        `json:"node_count"`
	LastCheckLedger uint64     `json:"last_check_ledger"`
	Critical        [][]string `json:"critical"`
	LastGoodLedger  uint64     `json:"last_good_ledger"`
	PotentialSplit  [][]string `json:"potential_split"`
}

// countOrNames is a state of the summary form (a count) or of the full form
// (a list of names, null when empty: JsonCpp writes a list never appended to
// as null).
type countOrNames struct {
	count int
	names []string
}

func (c *countOrNames) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = countOrNames{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var names []string
		if err := json.Unmarshal(b, &names); err != nil {
			return err
		}
		*c = countOrNames{count: len(names), names: names}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("negative count %d", n)
	}
	*c = countOrNames{count: n}
	return nil
}

// qsetValueJSON is a quorum set as LocalNode::toJson writes it: "v" holds
// validator names and inner sets.
type qsetValueJSON struct {
	T int               `json:"t"`
	V []json.RawMessage `json:"v"`
}

// maxQuorumSetDepth bounds nesting: core refuses quorum sets deeper than 4
// (MAXIMUM_QUORUM_NESTING_LEVEL, src/scp/QuorumSetUtils.cpp); a reply deeper
// than this is not core's.
const maxQuorumSetDepth = 8

func (v qsetValueJSON) quorumSet(depth int) (QuorumSet, error) {
	if depth > maxQuorumSetDepth {
		return QuorumSet{}, errors.New("quorum set nested too deep")
	}
	qs := QuorumSet{Threshold: v.T}
	for _, raw := range v.V {
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '{' {
			var inner qsetValueJSON
			if err := json.Unmarshal(raw, &inner); err != nil {
				return QuorumSet{}, err
			}
			is, err := inner.quorumSet(depth + 1)
			if err != nil {
				return QuorumSet{}, err
			}
			qs.InnerSets = append(qs.InnerSets, is)
			continue
		}
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return QuorumSet{}, err
		}
		qs.Validators = append(qs.Validators, name)
	}
	return qs, nil
}

// summaryNumber reads lag_ms or cost of the summary form: a number, or null.
// The full form's objects are not read.
func summaryNumber(raw json.RawMessage) (*uint64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == 'n' || raw[0] == '{' {
		return nil, nil
	}
	var n uint64
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// quorum converts the decoded object; a missing node name means it is not
// core's quorum object.
func (r quorumJSON) quorum() (Quorum, error) {
	if r.Node == nil || *r.Node == "" {
		return Quorum{}, errors.New("no node")
	}
	q := Quorum{Node: *r.Node}
	if t := r.Transitive; t != nil {
		q.Transitive = &TransitiveQuorum{
			Intersection: t.Intersection, NodeCount: t.NodeCount, LastCheckLedger: t.LastCheckLedger,
			Critical: t.Critical, LastGoodLedger: t.LastGoodLedger, PotentialSplit: t.PotentialSplit,
		}
	}
	s := r.QSet
	if s == nil {
		return q, nil
	}
	var err error
	if q.LagMS, err = summaryNumber(s.LagMS); err != nil {
		return Quorum{}, fmt.Errorf("lag_ms: %w", err)
	}
	if q.Cost, err = summaryNumber(s.Cost); err != nil {
		return Quorum{}, fmt.Errorf("cost: %w", err)
	}
	if s.Ledger == nil {
		return q, nil
	}
	q.Ledger = *s.Ledger
	q.Phase, q.Hash, q.FailAt, q.Validated = s.Phase, s.Hash, s.FailAt, s.Validated
	if q.FailAt != nil && *q.FailAt < 0 {
		return Quorum{}, fmt.Errorf("negative fail_at %d", *q.FailAt)
	}
	q.Agree, q.Missing, q.Delayed, q.Disagree = s.Agree.count, s.Missing.count, s.Delayed.count, s.Disagree.count
	q.AgreeNodes, q.MissingNodes, q.DelayedNodes, q.DisagreeNodes = s.Agree.names, s.Missing.names, s.Delayed.names, s.Disagree.names
	q.FailWith = s.FailWith
	if s.Value != nil {
		qs, err := s.Value.quorumSet(0)
		if err != nil {
			return Quorum{}, fmt.Errorf("value: %w", err)
		}
		q.QuorumSet = &qs
	}
	return q, nil
}

type quorumReply struct {
	errorReply
	quorumJSON
}

// ParseQuorum parses a /quorum body (without transitive=true, whose reply is a
// list of nodes instead).
func ParseQuorum(body []byte) (Quorum, error) {
	r, err := decodeReply[quorumReply](cmdQuorum, body)
	if err != nil {
		return Quorum{}, err
	}
	q, err := r.quorum()
	if err != nil {
		return Quorum{}, &UnexpectedReplyError{Command: cmdQuorum, Body: snippet(body), Err: err}
	}
	return q, nil
}
