package stellarcfg

// Line numbers are of src/main/Config.cpp at
// a9b8613218e141ddb89d621e5f04d4c75a149d36 unless another file is named.

import (
	"fmt"
	"maps"
	"slices"
)

// quorum builds the quorum set as core does (lines 2158-2208) and applies
// the rules on it.
func (c *checker) quorum(entries []entry) {
	if c.quorumBroken {
		return
	}
	gen, errs := generateQuorumSet(entries)
	for _, e := range errs {
		c.add(e.at.field(e.field), e.rule, true, "%s", e.msg)
	}
	if len(errs) > 0 {
		return
	}
	q, lvl := gen, byzantine
	if v, ok := c.doc["QUORUM_SET"]; ok {
		loaded, ok := c.loadQset(v, "QUORUM_SET", 0)
		if !ok {
			return
		}
		if len(entries) > 0 && !c.unsafe && !sameQset(loaded, gen) {
			// Line 2171.
			c.add("QUORUM_SET", RuleQuorumOverride, true, "differs from the quorum set [[VALIDATORS]] give; overriding them needs UNSAFE_QUORUM=true")
			return
		}
		q = loaded // and byzantine, line 2185
	} else {
		if !c.hasNodes(q) {
			return
		}
		// verifyHistoryValidatorsBlocking (line 979).
		withHistory := map[nodeID]bool{}
		for _, e := range entries {
			if e.hasHistory {
				withHistory[e.key] = true
			}
		}
		if !isVBlocking(q, withHistory) && !c.unsafe {
			c.add("VALIDATORS", RuleHistoryBlocking, true, "let the node reach a quorum without any validator that has an archive (HISTORY); core refuses this without UNSAFE_QUORUM=true")
			return
		}
		if !c.validatorWeights(entries) {
			return
		}
		domains := map[string]struct{}{}
		for _, e := range entries {
			domains[e.domain] = struct{}{}
		}
		if len(domains) <= 1 {
			lvl = simpleMajority // line 2201
		}
	}
	c.validateConfig(q, lvl)
}

// hasNodes reports an empty quorum. Core's own error depends on the path:
// "SCP unsafe" from verifyHistoryValidatorsBlocking, or with UNSAFE_QUORUM
// "no validators defined" from validateConfig (line 2387); both mean this.
func (c *checker) hasNodes(q qset) bool {
	nodes := map[nodeID]struct{}{}
	forAllNodes(q, nodes)
	if len(nodes) == 0 {
		c.add("VALIDATORS", RuleQuorumEmpty, true, "are missing: the node has no quorum set (core: no validators defined in VALIDATORS/QUORUM_SET)")
		return false
	}
	return true
}

// validatorWeights is setValidatorWeightConfig (line 2821), which runs for
// validators only.
func (c *checker) validatorWeights(entries []entry) bool {
	if !c.validator {
		return true
	}
	seen := map[nodeID]entry{}
	highest := rank(QualityLow)
	ok := true
	for _, e := range entries {
		if prev, dup := seen[e.key]; dup {
			// Line 2843: only the node itself can repeat a key here, since
			// VALIDATORS repeating one is refused earlier (line 2478).
			other := prev
			if prev.name == "self" {
				other = e
			}
			c.add(other.at.field("PUBLIC_KEY"), RuleDuplicateKey, true, "validator %q is the node itself, which core already counts in its quorum", other.name)
			ok = false
			continue
		}
		seen[e.key] = e
		highest = max(highest, e.quality)
	}
	if ok && highest == rank(QualityLow) {
		// Line 2857.
		c.add("VALIDATORS", RuleQualityAboveLow, true, "are all LOW quality, the node included: a validator needs at least one validator above LOW")
		ok = false
	}
	return ok
}

// validateConfig is Config::validateConfig (line 2376).
func (c *checker) validateConfig(q qset, lvl level) {
	if !c.hasNodes(q) {
		return
	}
	c.final = &q
	r := closestVBlockingSize(q)
	minSize := defaultThreshold(q, lvl)
	fs := c.failureSafety
	if fs == -1 {
		fs = int64(len(q.validators) + len(q.inner) - minSize)
	}
	switch {
	case fs >= int64(r):
		// Line 2419.
		c.add("FAILURE_SAFETY", RuleFailureSafety, true, "is %d, but %d failure(s) already break the quorum set", fs, r)
		return
	case !c.unsafe && fs == 0:
		// Line 2427.
		c.add("UNSAFE_QUORUM", RuleUnsafeQuorum, true, "is not set, but the quorum set tolerates no failure (e.g. a validator alone in its domain joining a single organization); add validators, or set UNSAFE_QUORUM=true as stellar-core's testnet validator example does")
		return
	case !c.unsafe && q.threshold < minSize:
		// Line 2436.
		c.add("QUORUM_SET", RuleThreshold, true, "threshold %d is below the safe %d; raise THRESHOLD_PERCENT or set UNSAFE_QUORUM=true", q.threshold, minSize)
		return
	}
	if s := quorumSetSane(q, !c.unsafe); s != "" {
		// Line 2451.
		c.add("QUORUM_SET", RuleQuorumSanity, true, "is not sane: %s", s)
	}
}

// loadQset is Config::loadQset (line 588). cpptoml iterates a table in its
// own order; this iterates keys sorted, which only changes the order of
// inner sets, and sameQset ignores that.
func (c *checker) loadQset(v any, key string, depth int) (qset, bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.add(key, RuleQuorumSet, true, "must be a table")
		return qset{}, false
	}
	if depth > maxNesting {
		c.add(key, RuleQuorumSet, true, "nests deeper than %d levels", maxNesting)
		return qset{}, false
	}
	pct := int64(67)
	var q qset
	for _, f := range slices.Sorted(maps.Keys(t)) {
		k := key + "." + f
		switch f {
		case "THRESHOLD_PERCENT":
			p, isInt := t[f].(int64)
			if !isInt || p <= 0 || p > 100 {
				c.add(k, RuleQuorumSet, true, "must be an integer from 1 to 100")
				return qset{}, false
			}
			pct = p
		case "VALIDATORS":
			ids, ok := c.readStrings(k, t[f])
			if !ok {
				return qset{}, false
			}
			for i, id := range ids {
				n, ok := c.parseNodeID(fmt.Sprintf("%s[%d]", k, i), id)
				if !ok {
					return qset{}, false
				}
				q.validators = append(q.validators, n)
			}
		default:
			in, ok := c.loadQset(t[f], k, depth+1)
			if !ok {
				return qset{}, false
			}
			q.inner = append(q.inner, in)
		}
	}
	n := int64(len(q.validators) + len(q.inner))
	if n == 0 {
		c.add(key, RuleQuorumSet, true, "has no validators and no inner sets")
		return qset{}, false
	}
	q.threshold = int(1 + (n*pct-1)/100) // rounded up, line 652
	return q, true
}

// sameQset compares a loaded QUORUM_SET with the generated one. Core
// compares their JSON (line 2171), in which the generated set is normalized
// and the loaded one is not; the loaded one's inner sets come in cpptoml's
// table order, so this sorts them before comparing.
func sameQset(loaded, gen qset) bool {
	l := cloneQset(loaded)
	reorder(&l)
	return compareQset(l, gen) == 0
}

func cloneQset(q qset) qset {
	out := qset{threshold: q.threshold, validators: slices.Clone(q.validators)}
	for _, in := range q.inner {
		out.inner = append(out.inner, cloneQset(in))
	}
	return out
}
