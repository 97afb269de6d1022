package coresim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"sort"
	"strconv"
	"strings"
)

// QuorumSet is a node's quorum set, as a test configures it. Core's own
// (generated from [[VALIDATORS]]) has the node itself in it.
type QuorumSet struct {
	Threshold  int
	Validators []QuorumValidator
	InnerSets  []QuorumSet
}

// QuorumValidator is a validator of a quorum set.
type QuorumValidator struct {
	// Name is how core names it in its quorum views: the NAME of its
	// [[VALIDATORS]] entry ("self" for the node itself, from NODE_SEED's alias).
	Name string
	// Self marks the node itself, which core always counts as agreeing.
	Self bool
	// PeerAddress is the "ip:port" its connection shows in /peers. Unless a
	// test set its state, the validator agrees while it is authenticated in
	// either direction, and is missing otherwise.
	PeerAddress string
}

// QuorumState is what core reports of a validator of the quorum set.
type QuorumState string

// Quorum states, as SCP::getState classifies them (src/scp/SCP.cpp).
const (
	QuorumAgree    QuorumState = "agree"
	QuorumMissing  QuorumState = "missing"
	QuorumDelayed  QuorumState = "delayed"
	QuorumDisagree QuorumState = "disagree"
)

// Figures the simulator reports for what it does not model: an externalize
// lag and an SCP message cost per validator heard from.
const (
	simLagMS        = 200
	simDelayedLagMS = 1500
	simCost         = 6764
)

// SetQuorum sets the node's quorum set; nil means the node reports no quorum
// view, as core does before it knows a slot.
func (n *Node) SetQuorum(q *QuorumSet) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if q == nil {
		n.quorum = nil
		return
	}
	c := q.clone()
	n.quorum = &c
}

// SetQuorumState fixes what the node reports of the validator named name,
// e.g. QuorumDelayed, whatever its connection; "" goes back to deriving it
// from the peer table.
func (n *Node) SetQuorumState(name string, s QuorumState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s == "" {
		delete(n.quorumStates, name)
		return
	}
	n.quorumStates[name] = s
}

func (q QuorumSet) clone() QuorumSet {
	c := QuorumSet{Threshold: q.Threshold, Validators: append([]QuorumValidator(nil), q.Validators...)}
	for _, is := range q.InnerSets {
		c.InnerSets = append(c.InnerSets, is.clone())
	}
	return c
}

// forAll visits every validator, validators before inner sets, as
// LocalNode::forAllNodes does (src/scp/LocalNode.cpp).
func (q QuorumSet) forAll(visit func(QuorumValidator)) {
	for _, v := range q.Validators {
		visit(v)
	}
	for _, is := range q.InnerSets {
		is.forAll(visit)
	}
}

// hash is core's hexAbbrev of the quorum set's hash: 3 bytes in hex. Ours
// hashes a description of the set, not its XDR.
func (q QuorumSet) hash() string {
	sum := sha256.Sum256([]byte(q.describe()))
	return hex.EncodeToString(sum[:3])
}

func (q QuorumSet) describe() string {
	parts := []string{strconv.Itoa(q.Threshold)}
	for _, v := range q.Validators {
		parts = append(parts, v.Name)
	}
	for _, is := range q.InnerSets {
		parts = append(parts, "{"+is.describe()+"}")
	}
	return strings.Join(parts, " ")
}

// json is the set as LocalNode::toJson writes it: "t", and "v" with names
// then inner sets; "v" is a list even when empty.
func (q QuorumSet) json() obj {
	v := list{}
	for _, val := range q.Validators {
		v = append(v, val.Name)
	}
	for _, is := range q.InnerSets {
		v = append(v, is.json())
	}
	return obj{"t": q.Threshold, "v": v}
}

// closestVBlocking is what LocalNode::findClosestVBlocking computes
// (src/scp/LocalNode.cpp, v23.0.1): the fewest validators among those for
// which ok holds whose failure, added to the validators for which it does
// not, blocks every slice of q. The node itself is left out, neither failed
// nor available. An inner set that is blocked already counts as failed; inner
// sets are used smallest first, in order among equals.
func closestVBlocking(q QuorumSet, ok func(QuorumValidator) bool) []string {
	left := 1 + len(q.Validators) + len(q.InnerSets) - q.Threshold
	var res []string
	for _, v := range q.Validators {
		if v.Self {
			continue
		}
		if !ok(v) {
			if left--; left <= 0 {
				return nil
			}
			continue
		}
		res = append(res, v.Name)
	}
	var inner [][]string
	for _, is := range q.InnerSets {
		r := closestVBlocking(is, ok)
		if len(r) == 0 {
			if left--; left <= 0 {
				return nil
			}
			continue
		}
		inner = append(inner, r)
	}
	if len(res) > left {
		res = res[:left]
	}
	left -= len(res)
	sort.SliceStable(inner, func(i, j int) bool { return len(inner[i]) < len(inner[j]) })
	for i := 0; left > 0 && i < len(inner); i++ {
		res = append(res, inner[i]...)
		left--
	}
	return res
}

// quorumView is the node's view of its quorum set now.
type quorumView struct {
	names    []string
	states   []QuorumState
	failWith []string
	hash     string
	set      QuorumSet
}

// view classifies every validator of the quorum set: the node itself agrees,
// a state a test set wins, else a validator agrees while authenticated.
// Callers hold mu.
func (n *Node) view() quorumView {
	q := *n.quorum
	state := func(v QuorumValidator) QuorumState {
		switch s, set := n.quorumStates[v.Name]; {
		case v.Self:
			return QuorumAgree
		case set:
			return s
		case n.authenticated(v.PeerAddress):
			return QuorumAgree
		}
		return QuorumMissing
	}
	qv := quorumView{hash: q.hash(), set: q}
	q.forAll(func(v QuorumValidator) {
		qv.names = append(qv.names, v.Name)
		qv.states = append(qv.states, state(v))
	})
	// A delayed validator has no statement in the slot, so it is not among
	// those whose ballot is compatible: core's fail_at counts it as failed.
	qv.failWith = closestVBlocking(q, func(v QuorumValidator) bool { return state(v) == QuorumAgree })
	return qv
}

// authenticated reports whether address is an authenticated peer, either
// direction. Callers hold mu.
func (n *Node) authenticated(address string) bool {
	if address == "" {
		return false
	}
	for _, ps := range [][]peer{n.authIn, n.authOut} {
		for _, p := range ps {
			if p.address == address {
				return true
			}
		}
	}
	return false
}

// quorumJSON is getJsonQuorumInfo for the node itself (src/herder/HerderImpl.cpp,
// v23.0.1) at ledger: the summary form (counts, lag_ms and cost totals) as
// /info and /quorum?compact=true give it, or the full form (names, fail_with,
// value, lag_ms and cost per validator) as /quorum does. With no quorum set,
// or out of sync, the node knows no slot: qset holds only lag_ms and cost.
// There is no "transitive": the simulator runs no intersection checker.
// Callers hold mu.
func (n *Node) quorumJSON(summary bool, ledger uint64) obj {
	if n.quorum == nil || n.state != stellarcore.StateSynced {
		if summary {
			return obj{"node": "self", "qset": obj{"cost": 0, "lag_ms": nil}}
		}
		return obj{"node": "self", "qset": obj{"cost": nil, "lag_ms": nil}}
	}
	qv := n.view()
	byState := map[QuorumState]list{}
	lags, costs := obj{}, obj{}
	var lagTotal, heard uint64
	for i, name := range qv.names {
		s := qv.states[i]
		byState[s] = append(byState[s], name)
		if name == "self" || (s != QuorumAgree && s != QuorumDelayed) {
			continue
		}
		lag := uint64(simLagMS)
		if s == QuorumDelayed {
			lag = simDelayedLagMS
		}
		lags[name], costs[name] = lag, simCost
		lagTotal += lag
		heard++
	}
	qset := obj{
		"fail_at": len(qv.failWith), "hash": qv.hash, "ledger": ledger, "phase": "EXTERNALIZE", "validated": true,
	}
	for _, s := range []QuorumState{QuorumAgree, QuorumMissing, QuorumDelayed, QuorumDisagree} {
		if summary {
			qset[string(s)] = len(byState[s])
		} else {
			// A list never appended to is null (JsonCpp).
			qset[string(s)] = byState[s]
		}
	}
	switch {
	case summary:
		qset["cost"] = heard * simCost
		qset["lag_ms"] = nil
		if heard > 0 {
			qset["lag_ms"] = lagTotal / heard
		}
	default:
		qset["fail_with"] = stringList(qv.failWith)
		qset["value"] = qv.set.json()
		qset["cost"], qset["lag_ms"] = nil, nil
		if heard > 0 {
			qset["cost"] = obj{fmt.Sprint(ledger): costs}
			qset["lag_ms"] = lags
		}
	}
	return obj{"node": "self", "qset": qset}
}

// quorumRoute answers /quorum for the node itself. The simulator knows no
// other node's view: a node parameter gets core's reply for a name it cannot
// resolve.
func (n *Node) quorumRoute(q map[string]string) string {
	if q["node"] != "" {
		return compact("exception", "unknown name")
	}
	n.promote(false)
	return styled(n.quorumJSON(q["compact"] == "true", n.ledger))
}

// infoQuorum is /info's quorum section: the summary form for the ledger before
// the last closed one (src/main/ApplicationImpl.cpp, getJsonInfo). Callers
// hold mu.
func (n *Node) infoQuorum() obj {
	ledger := n.ledger
	if ledger > 1 {
		ledger--
	}
	return n.quorumJSON(true, ledger)
}
