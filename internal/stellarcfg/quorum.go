package stellarcfg

import (
	"cmp"
	"fmt"
	"slices"
)

// This file mirrors how stellar-core builds and judges a quorum set, from
// src/main/Config.cpp and src/scp/{QuorumSetUtils,LocalNode}.cpp at
// a9b8613218e141ddb89d621e5f04d4c75a149d36. Only sizes and thresholds
// matter to the rules, but the algorithms are followed step by step, since
// their corner cases (which domains end up top level, which singleton sets
// collapse) decide the outcome.

// nodeID is a validator's raw 32-byte key, or unknownSelf.
type nodeID string

// unknownSelf is the node itself when neither NODE_SEED nor the options give
// its key: a node distinct from every listed validator.
const unknownSelf nodeID = "\x00self"

// qset is core's SCPQuorumSet.
type qset struct {
	threshold  int
	validators []nodeID
	inner      []qset
}

// rank orders qualities as core's ValidatorQuality does.
func rank(q Quality) int {
	switch q {
	case QualityLow:
		return 0
	case QualityMedium:
		return 1
	case QualityHigh:
		return 2
	case QualityCritical:
		return 3
	}
	return -1
}

// entry is core's ValidatorEntry.
type entry struct {
	name       string
	domain     string
	quality    int
	key        nodeID
	hasHistory bool
	// at is the entry's TOML key, "VALIDATORS[i]"; empty for the node itself.
	at entryAt
}

// entryAt names where a field of an entry comes from.
type entryAt string

// field is the TOML key of a field of the entry: the node's own entry comes
// from NODE_HOME_DOMAIN and NODE_SEED.
func (a entryAt) field(f string) string {
	if a != "" {
		return string(a) + "." + f
	}
	if f == "PUBLIC_KEY" {
		return "NODE_SEED"
	}
	return "NODE_HOME_DOMAIN"
}

// Threshold levels of computeDefaultThreshold.
type level int

const (
	simpleMajority level = iota
	byzantine
	allRequired
)

// defaultThreshold is computeDefaultThreshold (Config.cpp line 91).
func defaultThreshold(q qset, l level) int {
	top := len(q.validators) + len(q.inner)
	switch {
	case top == 0:
		return 0
	case l == simpleMajority && len(q.inner) == 0:
		return top - (top-1)/2
	case l == allRequired:
		return top
	default:
		return top - (top-1)/3
	}
}

// quorumError is a rule generateQuorumSetHelper enforces.
type quorumError struct {
	rule  Rule
	at    entryAt
	field string
	msg   string
}

// generateQuorumSet is Config::generateQuorumSet (line 2748): sort by quality,
// highest first, then by home domain; each domain becomes an inner set, each
// lower quality a nested set. Unlike core, which stops at the first, it
// reports every domain that breaks a rule.
func generateQuorumSet(validators []entry) (qset, []quorumError) {
	todo := slices.Clone(validators)
	slices.SortStableFunc(todo, func(l, r entry) int {
		if c := cmp.Compare(r.quality, l.quality); c != 0 {
			return c
		}
		return cmp.Compare(l.domain, r.domain)
	})
	var errs []quorumError
	q := generateHelper(todo, rank(QualityCritical), &errs)
	normalize(&q)
	return q, errs
}

// generateHelper is Config::generateQuorumSetHelper (line 2688).
func generateHelper(todo []entry, cur int, errs *[]quorumError) qset {
	var ret qset
	i := 0
	for i < len(todo) && todo[i].quality == cur {
		var in qset
		j := i
		for ; j < len(todo) && todo[j].domain == todo[i].domain; j++ {
			if todo[j].quality != todo[i].quality {
				// Line 2706: only reachable when a domain without a
				// HOME_DOMAINS entry gives its validators different QUALITYs.
				*errs = append(*errs, quorumError{RuleDomainQuality, todo[j].at, "QUALITY", fmt.Sprintf(
					"validators %q and %q of home domain %q must have the same quality", todo[i].name, todo[j].name, todo[i].domain)})
			}
			in.validators = append(in.validators, todo[j].key)
		}
		if len(in.validators) < 3 && cur >= rank(QualityHigh) {
			// Line 2717.
			*errs = append(*errs, quorumError{RuleRedundancy, todo[i].at, "HOME_DOMAIN", fmt.Sprintf(
				"home domain %q has %d %s validator(s); HIGH and CRITICAL domains need at least 3", todo[i].domain,
				len(in.validators), qualityName(cur))})
		}
		in.threshold = defaultThreshold(in, simpleMajority)
		ret.inner = append(ret.inner, in)
		i = j
	}
	if i < len(todo) {
		// After the sort todo[i] has a lower quality, so core's "must be
		// ascending" error (line 2732) cannot happen here.
		ret.inner = append(ret.inner, generateHelper(todo[i:], todo[i].quality, errs))
	}
	l := byzantine
	if cur == rank(QualityCritical) {
		l = allRequired
	}
	ret.threshold = defaultThreshold(ret, l)
	return ret
}

func qualityName(r int) Quality {
	for _, q := range []Quality{QualityLow, QualityMedium, QualityHigh, QualityCritical} {
		if rank(q) == r {
			return q
		}
	}
	return Quality(fmt.Sprint(r))
}

// normalize is normalizeQSet without a node to remove
// (src/scp/QuorumSetUtils.cpp): singleton inner sets become validators, a
// set that is only one inner set becomes that set, then everything is
// sorted.
func normalize(q *qset) {
	simplify(q)
	reorder(q)
}

func simplify(q *qset) {
	kept := q.inner[:0]
	for k := range q.inner {
		in := q.inner[k]
		simplify(&in)
		if in.threshold == 1 && len(in.validators) == 1 && len(in.inner) == 0 {
			q.validators = append(q.validators, in.validators[0])
			continue
		}
		kept = append(kept, in)
	}
	q.inner = kept
	if q.threshold == 1 && len(q.validators) == 0 && len(q.inner) == 1 {
		*q = q.inner[0]
	}
}

func reorder(q *qset) {
	slices.Sort(q.validators)
	for k := range q.inner {
		reorder(&q.inner[k])
	}
	slices.SortFunc(q.inner, compareQset)
}

// compareQset is qSetCompareInt: validators, then inner sets, then threshold.
func compareQset(l, r qset) int {
	if c := slices.Compare(l.validators, r.validators); c != 0 {
		return c
	}
	if c := slices.CompareFunc(l.inner, r.inner, compareQset); c != 0 {
		return c
	}
	return cmp.Compare(l.threshold, r.threshold)
}

// forAllNodes collects every node of q, as LocalNode::forAllNodes visits
// them.
func forAllNodes(q qset, seen map[nodeID]struct{}) {
	for _, v := range q.validators {
		seen[v] = struct{}{}
	}
	for _, in := range q.inner {
		forAllNodes(in, seen)
	}
}

// closestVBlockingSize is the size of LocalNode::findClosestVBlocking's
// result when every node of q is in the node set and none is excluded, as
// in validateConfig: the fewest nodes whose failure blocks q.
func closestVBlockingSize(q qset) int {
	left := 1 + len(q.validators) + len(q.inner) - q.threshold
	if left < 0 {
		// A threshold above the entries; core's unsigned count wraps and
		// takes every entry. quorumSetSane refuses such a set anyway.
		left = len(q.validators) + len(q.inner)
	}
	// Core takes top-level validators first, then the smallest inner sets.
	n := min(left, len(q.validators))
	left -= n
	sizes := make([]int, 0, len(q.inner))
	for _, in := range q.inner {
		sizes = append(sizes, closestVBlockingSize(in))
	}
	slices.Sort(sizes)
	for _, s := range sizes {
		if left <= 0 {
			break
		}
		n += s
		left--
	}
	return n
}

// isVBlocking is LocalNode::isVBlocking: would the nodes in set, failing,
// block q?
func isVBlocking(q qset, set map[nodeID]bool) bool {
	if q.threshold == 0 {
		return false
	}
	left := 1 + len(q.validators) + len(q.inner) - q.threshold
	for _, v := range q.validators {
		if set[v] {
			left--
			if left <= 0 {
				return true
			}
		}
	}
	for _, in := range q.inner {
		if isVBlocking(in, set) {
			left--
			if left <= 0 {
				return true
			}
		}
	}
	return false
}

// maxNesting is MAXIMUM_QUORUM_NESTING_LEVEL (QuorumSetUtils.cpp).
const maxNesting = 4

// quorumSetSane is isQuorumSetSane (QuorumSetUtils.cpp): "" when sane, else
// core's reason.
func quorumSetSane(q qset, extraChecks bool) string {
	known := map[nodeID]struct{}{}
	count := 0
	var check func(q qset, depth int) string
	check = func(q qset, depth int) string {
		if depth > maxNesting {
			return "Maximum quorum nesting level exceeded"
		}
		if q.threshold < 1 {
			return "Threshold must be greater than 0"
		}
		total := len(q.validators) + len(q.inner)
		vBlocking := total - q.threshold + 1
		count += len(q.validators)
		if q.threshold > total {
			return "Threshold exceeds total number of entries"
		}
		if extraChecks && q.threshold < vBlocking {
			return "Threshold is lower than the v-blocking size (< 51%)."
		}
		for _, v := range q.validators {
			if _, dup := known[v]; dup {
				return "Duplicate node found in quorum configuration"
			}
			known[v] = struct{}{}
		}
		for _, in := range q.inner {
			if s := check(in, depth+1); s != "" {
				return s
			}
		}
		return ""
	}
	if s := check(q, 0); s != "" {
		return s
	}
	if count < 1 || count > 1000 {
		return "Total number of nodes in a quorum must be within 1 and 1000"
	}
	return ""
}
