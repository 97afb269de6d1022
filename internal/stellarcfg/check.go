package stellarcfg

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Every rule below mirrors stellar-core at commit
// a9b8613218e141ddb89d621e5f04d4c75a149d36; line numbers are of
// src/main/Config.cpp at that commit unless another file is named.

// Options say what Check cannot read from the config itself.
type Options struct {
	// Passphrase is the network the node must join; empty accepts any
	// non-empty NETWORK_PASSPHRASE.
	Passphrase string
	// SeedAtStart says NODE_SEED is prepended when the node starts (from a
	// Secret), so a validator config without it is complete. A NODE_SEED
	// that is present is checked either way.
	SeedAtStart bool
	// NodePublicKey is the node's own public key (G...), when known. Core
	// puts a validator itself in its quorum, so listing it again is refused;
	// without this or a NODE_SEED, Check cannot see that. A NODE_SEED of
	// another key is reported.
	NodePublicKey string
}

// Rule names what a Problem breaks.
type Rule string

// The rules Check applies.
const (
	RuleTOML              Rule = "toml"                // the text is not TOML
	RuleUnknownKey        Rule = "unknown-key"         // a key core does not know
	RuleType              Rule = "type"                // a value of the wrong TOML type
	RuleRange             Rule = "range"               // a number out of range (ports, FAILURE_SAFETY)
	RulePassphrase        Rule = "passphrase"          // NETWORK_PASSPHRASE missing or of another network
	RuleExternalSecret    Rule = "external-secret"     // $FILE: secrets on the public network
	RuleSeed              Rule = "seed"                // NODE_SEED malformed, or not the node's key
	RuleSeedMissing       Rule = "seed-missing"        // a validator without NODE_SEED
	RuleNodeHomeDomain    Rule = "node-home-domain"    // a validator without NODE_HOME_DOMAIN
	RuleSelfHomeDomain    Rule = "self-home-domain"    // NODE_HOME_DOMAIN without a HOME_DOMAINS entry
	RuleHomeDomains       Rule = "home-domains"        // a malformed HOME_DOMAINS entry
	RuleQuality           Rule = "quality"             // a QUALITY that is not LOW, MEDIUM, HIGH, CRITICAL
	RuleValidator         Rule = "validator"           // a malformed VALIDATORS entry
	RuleValidatorQuality  Rule = "validator-quality"   // a validator's quality missing or given twice
	RuleStrKey            Rule = "strkey"              // a public key that is not a G... strkey
	RuleNodeID            Rule = "node-id"             // a node ID that is neither a key nor a known $name
	RuleDuplicateName     Rule = "duplicate-name"      // a validator name used twice
	RuleDuplicateKey      Rule = "duplicate-key"       // a public key listed twice (the node itself included)
	RuleHighNeedsHistory  Rule = "high-needs-history"  // a HIGH or CRITICAL validator without HISTORY
	RuleArchiveName       Rule = "archive-name"        // two archives of one name
	RuleHistory           Rule = "history"             // a malformed HISTORY table
	RuleArchive           Rule = "archive"             // an archive without get, or with put only
	RuleNoReadableArchive Rule = "no-readable-archive" // no archive to catch up from
	RuleArchiveCommand    Rule = "archive-command"     // a get/put/mkdir command core cannot fill in
	RuleDomainQuality     Rule = "domain-quality"      // validators of one domain with different qualities
	RuleRedundancy        Rule = "redundancy"          // a HIGH or CRITICAL domain with fewer than 3 validators
	RuleQuorumSet         Rule = "quorum-set"          // a malformed QUORUM_SET
	RuleQuorumOverride    Rule = "quorum-override"     // QUORUM_SET differing from VALIDATORS without UNSAFE_QUORUM
	RuleQuorumEmpty       Rule = "quorum-empty"        // no validators at all
	RuleHistoryBlocking   Rule = "history-blocking"    // a quorum reachable without validators that have archives
	RuleQualityAboveLow   Rule = "quality-above-low"   // a validator whose quorum is all LOW
	RuleFailureSafety     Rule = "failure-safety"      // FAILURE_SAFETY the quorum cannot give
	RuleUnsafeQuorum      Rule = "unsafe-quorum"       // a quorum that tolerates no failure, without UNSAFE_QUORUM
	RuleThreshold         Rule = "threshold"           // a threshold below the safe minimum, without UNSAFE_QUORUM
	RuleQuorumSanity      Rule = "quorum-sanity"       // a quorum set core finds insane
	RulePeerAddress       Rule = "peer-address"        // a peer address core cannot parse
)

// Problem is one rule a config breaks.
type Problem struct {
	// Key is the TOML key, with the entry: "VALIDATORS[2].PUBLIC_KEY".
	Key  string
	Rule Rule
	// Message says what is wrong, in terms of the config.
	Message string
	// Fatal: stellar-core refuses to start. Otherwise it starts but does not
	// work as configured (a peer it cannot parse, an archive it cannot fill
	// in, an identity that changes at every start).
	Fatal bool
}

func (p Problem) String() string {
	sev := "warning"
	if p.Fatal {
		sev = "fatal"
	}
	key := p.Key
	if key == "" {
		key = "(config)"
	}
	return fmt.Sprintf("%s: %s [%s, %s]", key, p.Message, p.Rule, sev)
}

// Check parses a stellar-core config and returns, in a stable order, every
// rule it breaks of those core applies when it loads its configuration and
// when it starts (archives, peer addresses). No fatal problem: core's
// loading accepts it. What only the running node can tell (DNS, files, the
// database) is not checked.
//
// Core stops at the first error; Check goes on where the next rules do not
// depend on the broken one, and skips the rules on the quorum as a whole
// while an entry of the quorum is broken, so each problem has one cause.
//
// Check reads TOML 1.0 (go-toml); core's cpptoml reads an older TOML that
// lacks a few newer forms (mixed-type arrays, for one). Render writes none
// of them.
func Check(rendered string, o Options) []Problem {
	return check(rendered, o).problems
}

// check runs the rules; the checker keeps what tests look into.
func check(rendered string, o Options) *checker {
	var doc map[string]any
	if err := toml.Unmarshal([]byte(rendered), &doc); err != nil {
		msg := err.Error()
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			msg = fmt.Sprintf("line %d, column %d: %s", row, col, de.Error())
		}
		// Config::load (line 925): cpptoml's parse error ends the load.
		return &checker{problems: []Problem{{Rule: RuleTOML, Message: "cannot parse TOML: " + msg, Fatal: true}}}
	}
	c := &checker{
		o: o, doc: doc, names: map[string]string{}, domains: map[string]int{},
		archives: map[string]archive{}, failureSafety: -1,
	}
	c.topLevel()
	c.nodeNames()
	c.seed()
	c.homeDomains()
	c.history()
	entries := c.validators()
	entries = c.self(entries)
	c.keySets()
	c.quorum(entries)
	c.sensibleHistory()
	c.peers()
	return c
}

type checker struct {
	o        Options
	doc      map[string]any
	problems []Problem
	// names is VALIDATOR_NAMES: public key strkey to name.
	names map[string]string
	// domains is the HOME_DOMAINS quality of each domain.
	domains map[string]int
	// archives are the archives by name, [HISTORY] tables and validators.
	archives map[string]archive
	// quorumBroken: an input of the quorum broke a rule, so the rules on the
	// quorum as a whole would only repeat it.
	quorumBroken      bool
	homeDomainsBroken bool
	validator         bool
	unsafe            bool
	standalone        bool
	failureSafety     int64
	passphrase        string
	usedExternal      string // the last key that reads a $FILE: secret
	seedKey           string // the seed's public key, when NODE_SEED is valid
	selfKey           nodeID
	addresses         []addressAt
	// final is the quorum set validateConfig judged.
	final *qset
}

type addressAt struct{ key, addr string }

func (c *checker) add(key string, rule Rule, fatal bool, format string, args ...any) {
	c.problems = append(c.problems, Problem{Key: key, Rule: rule, Message: fmt.Sprintf(format, args...), Fatal: fatal})
}

// The readers mirror readBool, readString, readInt and readArray (lines
// 393-491): a value of another TOML type is "invalid 'KEY'".

func (c *checker) readString(key string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add(key, RuleType, true, "must be a string, not %s", typeName(v))
	}
	return s, ok
}

func (c *checker) readBool(key string, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		c.add(key, RuleType, true, "must be true or false, not %s", typeName(v))
	}
	return b, ok
}

func (c *checker) readInt(key string, v any, lo, hi int64) (int64, bool) {
	i, ok := v.(int64)
	if !ok {
		c.add(key, RuleType, true, "must be an integer, not %s", typeName(v))
		return 0, false
	}
	if i < lo || i > hi {
		// castInt (line 493): "bad 'KEY'".
		c.add(key, RuleRange, true, "is %d, outside %d-%d", i, lo, hi)
		return 0, false
	}
	return i, true
}

func (c *checker) readStrings(key string, v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		c.add(key, RuleType, true, "must be an array of strings, not %s", typeName(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			c.add(fmt.Sprintf("%s[%d]", key, i), RuleType, true, "must be a string, not %s", typeName(e))
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// topLevel checks the keys themselves and the plain values we render.
func (c *checker) topLevel() {
	for _, key := range slices.Sorted(maps.Keys(c.doc)) {
		if _, ok := knownKeys[key]; ok {
			continue
		}
		// processConfig, line 2017.
		if _, ok := testOnlyKeys[key]; ok {
			c.add(key, RuleUnknownKey, true, "is read only by a stellar-core built with tests")
		} else {
			c.add(key, RuleUnknownKey, true, "is not a stellar-core configuration key")
		}
	}
	// Types of what we render; lines 1184-1601.
	var typeChecked bool
	for _, b := range []struct {
		key  string
		into *bool
	}{
		{"PUBLIC_HTTP_PORT", &typeChecked}, {"NODE_IS_VALIDATOR", &c.validator}, {"UNSAFE_QUORUM", &c.unsafe},
		{"RUN_STANDALONE", &c.standalone}, {"PREFERRED_PEERS_ONLY", &typeChecked},
	} {
		if v, ok := c.doc[b.key]; ok {
			*b.into, _ = c.readBool(b.key, v)
		}
	}
	for _, key := range []string{"NODE_HOME_DOMAIN", "DATABASE", "BUCKET_DIR_PATH"} {
		if v, ok := c.doc[key]; ok {
			s, _ := c.readString(key, v)
			// DATABASE may name a file with the secret (line 1594).
			if key == "DATABASE" && isExternalSecret(s) {
				c.usedExternal = "DATABASE"
			}
		}
	}
	// PEER_PORT: readInt<unsigned short>(item, 1) (line 1184); HTTP_PORT:
	// readInt<unsigned short>(item) (line 1186), 0 included.
	if v, ok := c.doc["PEER_PORT"]; ok {
		c.readInt("PEER_PORT", v, 1, math.MaxUint16)
	}
	if v, ok := c.doc["HTTP_PORT"]; ok {
		c.readInt("HTTP_PORT", v, 0, math.MaxUint16)
	}
	// FAILURE_SAFETY: readInt<int32_t>(item, -1, INT32_MAX - 1) (line 1194).
	if v, ok := c.doc["FAILURE_SAFETY"]; ok {
		if fs, ok := c.readInt("FAILURE_SAFETY", v, -1, math.MaxInt32-1); ok {
			c.failureSafety = fs
		}
	}
	for _, key := range []string{"KNOWN_PEERS", "PREFERRED_PEERS"} {
		if v, ok := c.doc[key]; ok {
			peers, _ := c.readStrings(key, v)
			for i, p := range peers {
				c.addresses = append(c.addresses, addressAt{fmt.Sprintf("%s[%d]", key, i), p})
			}
		}
	}
	c.checkPassphrase()
}

// checkPassphrase: core refuses to start without a passphrase
// (src/main/Application.cpp validateNetworkPassphrase, line 21 at the same
// commit) and refuses a database of another network (line 36); a node given
// another network's passphrase than it is meant for would join that one.
func (c *checker) checkPassphrase() {
	v, ok := c.doc["NETWORK_PASSPHRASE"]
	if !ok {
		c.add("NETWORK_PASSPHRASE", RulePassphrase, true, "is missing")
		return
	}
	s, ok := c.readString("NETWORK_PASSPHRASE", v)
	if !ok {
		return
	}
	c.passphrase = s
	switch {
	case s == "":
		c.add("NETWORK_PASSPHRASE", RulePassphrase, true, "is empty")
	case c.o.Passphrase != "" && s != c.o.Passphrase:
		c.add("NETWORK_PASSPHRASE", RulePassphrase, true, "is %q, not %q of the node's network", s, c.o.Passphrase)
	}
}

// isExternalSecret is secretmanager::isExternalSecret
// (src/util/SecretManager.cpp): a value read from a file at start.
func isExternalSecret(s string) bool { return strings.HasPrefix(s, "$FILE:") }

// nodeNames parses NODE_NAMES (line 1378): each entry a node ID with a name.
func (c *checker) nodeNames() {
	v, ok := c.doc["NODE_NAMES"]
	if !ok {
		return
	}
	ids, ok := c.readStrings("NODE_NAMES", v)
	if !ok {
		return
	}
	for i, id := range ids {
		c.parseNodeID(fmt.Sprintf("NODE_NAMES[%d]", i), id)
	}
}

// seed checks NODE_SEED (line 1387; parseNodeID with isSeed, line 2483) and
// works out the node's own key.
func (c *checker) seed() {
	v, present := c.doc["NODE_SEED"]
	if present {
		s, ok := c.readString("NODE_SEED", v)
		switch {
		case !ok:
		case isExternalSecret(s):
			// Read from a file at start: nothing to check here but where.
			c.usedExternal = "NODE_SEED"
		case len(s) < 2:
			c.add("NODE_SEED", RuleSeed, true, "is not a seed (S...)")
		case s[0] == '$':
			c.add("NODE_SEED", RuleSeed, true, "is an alias; aliases only stand for public keys")
		default:
			fields := strings.Fields(s)
			seed := ""
			if len(fields) > 0 {
				seed = fields[0]
			}
			pub, err := PublicKeyOfSeed(seed)
			if err != nil {
				c.add("NODE_SEED", RuleSeed, true, "%v", err)
				break
			}
			c.seedKey = pub
			if len(fields) > 1 {
				// "S... name" names the node (line 2526).
				c.addName("NODE_SEED", "NODE_SEED", pub, fields[1])
			}
		}
	}
	if c.passphrase == PassphraseMainnet && c.usedExternal != "" {
		// Line 2128.
		c.add(c.usedExternal, RuleExternalSecret, true, "reads a $FILE: secret, which core does not support on the public network")
	}
	if c.validator && !present && !c.o.SeedAtStart {
		// Core makes up a random seed (Config::Config, line 125): the
		// validator would be someone else at every start.
		c.add("NODE_SEED", RuleSeedMissing, false, "is missing: a validator without it gets a new random identity at every start")
	}
	c.selfKey = unknownSelf
	var want []byte
	if c.o.NodePublicKey != "" {
		raw, err := decodeStrKey(c.o.NodePublicKey, versionPublicKey, false)
		if err != nil {
			c.add("NODE_SEED", RuleStrKey, true, "the node's expected public key %q %v", abbreviate(c.o.NodePublicKey), err)
		} else {
			want = raw
			c.selfKey = nodeID(raw)
		}
	}
	if c.seedKey != "" {
		raw, _ := decodeStrKey(c.seedKey, versionPublicKey, false)
		if want != nil && string(raw) != string(want) {
			c.add("NODE_SEED", RuleSeed, false, "belongs to %s, not to the node's public key %s", c.seedKey, c.o.NodePublicKey)
		}
		c.selfKey = nodeID(raw)
	}
}

// homeDomains is parseDomainsQuality (line 833).
func (c *checker) homeDomains() {
	v, ok := c.doc["HOME_DOMAINS"]
	if !ok {
		return
	}
	tables, ok := tableArray(v)
	if !ok {
		// cpptoml reads "HOME_DOMAINS = []" as a plain array, not an array
		// of tables, so core refuses an empty one too.
		c.add("HOME_DOMAINS", RuleHomeDomains, true, "must be [[HOME_DOMAINS]] tables")
		c.homeDomainsBroken = true
		return
	}
	for i, t := range tables {
		key := fmt.Sprintf("HOME_DOMAINS[%d]", i)
		domain, quality := "", -1
		qualitySet := false
		for _, f := range slices.Sorted(maps.Keys(t)) {
			switch f {
			case "QUALITY":
				if s, ok := c.readString(key+".QUALITY", t[f]); ok {
					qualitySet = true
					quality = c.parseQuality(key+".QUALITY", s)
				}
			case "HOME_DOMAIN":
				domain, _ = c.readString(key+".HOME_DOMAIN", t[f])
			default:
				c.add(key+"."+f, RuleHomeDomains, true, "is not a HOME_DOMAINS field (HOME_DOMAIN, QUALITY)")
				c.homeDomainsBroken = true
			}
		}
		switch {
		case domain == "":
			c.add(key+".HOME_DOMAIN", RuleHomeDomains, true, "is missing")
			c.homeDomainsBroken = true
			continue
		case !qualitySet:
			c.add(key+".QUALITY", RuleHomeDomains, true, "of home domain %q is missing", domain)
			c.homeDomainsBroken = true
		case quality < 0:
			c.homeDomainsBroken = true
		}
		if _, dup := c.domains[domain]; dup {
			c.add(key+".HOME_DOMAIN", RuleHomeDomains, true, "%q is listed twice", domain)
			c.homeDomainsBroken = true
			continue
		}
		c.domains[domain] = quality
	}
	if c.homeDomainsBroken {
		c.quorumBroken = true
	}
}

// parseQuality is Config::parseQuality (line 689); -1 when unknown.
func (c *checker) parseQuality(key, s string) int {
	r := rank(Quality(s))
	if r < 0 {
		c.add(key, RuleQuality, true, "is %q, not one of LOW, MEDIUM, HIGH, CRITICAL", s)
		c.quorumBroken = true
	}
	return r
}

// tableArray is cpptoml's as_table_array: [[X]] tables or an inline array of
// inline tables, with at least one table.
func tableArray(v any) ([]map[string]any, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, false
	}
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		t, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		out = append(out, t)
	}
	return out, true
}

// validators is parseValidators (line 709). It returns the entries that
// broke no rule.
func (c *checker) validators() []entry {
	v, ok := c.doc["VALIDATORS"]
	if !ok {
		return nil
	}
	tables, ok := tableArray(v)
	if !ok {
		c.add("VALIDATORS", RuleValidator, true, "must be [[VALIDATORS]] tables")
		c.quorumBroken = true
		return nil
	}
	var entries []entry
	for i, t := range tables {
		e, ok := c.checkValidator(fmt.Sprintf("VALIDATORS[%d]", i), t)
		if !ok {
			c.quorumBroken = true
			continue
		}
		entries = append(entries, e)
	}
	return entries
}

// validatorFields are the fields of one [[VALIDATORS]] table that are not
// kept on its entry.
type validatorFields struct {
	pub, hist, addr string
	qualitySet      bool
}

// checkValidator checks one [[VALIDATORS]] table as core's Config.cpp does; ok is
// false when core would refuse it (the findings say why).
func (c *checker) checkValidator(key string, t map[string]any) (e entry, ok bool) {
	e = entry{quality: -1, at: entryAt(key)}
	broken := false
	fail := func(k string, rule Rule, format string, args ...any) {
		c.add(k, rule, true, format, args...)
		broken = true
	}
	f, bad := c.validatorFields(key, t, &e, fail)
	broken = broken || bad
	if e.name == "" {
		fail(key+".NAME", RuleValidator, "is missing") // line 770
	}
	if f.pub == "" {
		fail(key+".PUBLIC_KEY", RuleValidator, "of validator %q is missing", e.name) // line 775
	}
	if e.domain == "" {
		fail(key+".HOME_DOMAIN", RuleValidator, "of validator %q is missing", e.name) // line 775
	}
	c.validatorQuality(key, &e, &f, fail)
	named := false
	if e.name != "" && f.pub != "" {
		named = c.addName(key+".NAME", key+".PUBLIC_KEY", f.pub, e.name) // line 799
		broken = broken || !named
	}
	if f.pub != "" {
		raw, err := decodeStrKey(f.pub, versionPublicKey, false) // line 800
		if err != nil {
			fail(key+".PUBLIC_KEY", RuleStrKey, "public key %q of validator %q %v", abbreviate(f.pub), e.name, err)
		}
		e.key = nodeID(raw)
	}
	e.hasHistory = f.hist != ""
	if f.hist != "" && named {
		// addHistoryArchive (line 667) under the validator's name.
		if prev, dup := c.archives[e.name]; dup {
			fail(key+".NAME", RuleArchiveName, "%q names this validator's archive, and %s already is an archive of that name", e.name, prev.key)
		} else {
			c.archives[e.name] = archive{key: key + ".HISTORY", get: f.hist}
		}
	}
	if e.quality >= rank(QualityHigh) && f.hist == "" {
		// Line 812.
		fail(key+".HISTORY", RuleHighNeedsHistory, "of %s validator %q is missing: HIGH and CRITICAL validators must have an archive", qualityName(e.quality), e.name)
	}
	if f.addr != "" {
		c.addresses = append(c.addresses, addressAt{key + ".ADDRESS", f.addr})
	}
	return e, !broken
}

// validatorFields reads the string fields of one [[VALIDATORS]] table, in
// sorted order, and refuses the fields core does not know (line 763).
func (c *checker) validatorFields(key string, t map[string]any, e *entry, fail func(string, Rule, string, ...any)) (f validatorFields, broken bool) {
	var quality string
	into := map[string]*string{"NAME": &e.name, "HOME_DOMAIN": &e.domain, "QUALITY": &quality, "PUBLIC_KEY": &f.pub, "ADDRESS": &f.addr, "HISTORY": &f.hist}
	for _, name := range slices.Sorted(maps.Keys(t)) {
		field, known := into[name]
		if !known {
			fail(key+"."+name, RuleValidator, "is not a VALIDATORS field (NAME, HOME_DOMAIN, PUBLIC_KEY, ADDRESS, HISTORY, QUALITY)")
			continue
		}
		s, ok := c.readString(key+"."+name, t[name])
		if !ok {
			broken = true
			continue
		}
		*field = s
		if name == "QUALITY" {
			f.qualitySet = true
			if e.quality = c.parseQuality(key+".QUALITY", s); e.quality < 0 {
				broken = true
			}
		}
	}
	return f, broken
}

// validatorQuality gives a validator its home domain's quality, or checks its
// own when its domain has no HOME_DOMAINS entry (lines 784 and 796).
func (c *checker) validatorQuality(key string, e *entry, f *validatorFields, fail func(string, Rule, string, ...any)) {
	if e.domain == "" {
		return
	}
	if dq, ok := c.domains[e.domain]; ok {
		if f.qualitySet {
			fail(key+".QUALITY", RuleValidatorQuality, "of validator %q is set, but home domain %q has a HOME_DOMAINS entry that sets it", e.name, e.domain)
		} else {
			e.quality, f.qualitySet = dq, true
		}
	}
	if !f.qualitySet && !c.homeDomainsBroken {
		fail(key+".QUALITY", RuleValidatorQuality, "of validator %q is missing: home domain %q has no HOME_DOMAINS entry, so the validator needs its own QUALITY", e.name, e.domain)
	}
}

// addName is addValidatorName (line 2466); false when it broke a rule.
// nameKey and pubKey are where the name and the key come from.
func (c *checker) addName(nameKey, pubKey, pub, name string) bool {
	if _, ok := c.resolveName(name); ok {
		c.add(nameKey, RuleDuplicateName, true, "name %q is already used", name)
		return false
	}
	if prev, ok := c.names[pub]; ok {
		c.add(pubKey, RuleDuplicateKey, true, "public key %s is named %q already; each key is listed once", abbreviate(pub), prev)
		return false
	}
	c.names[pub] = name
	return true
}

// resolveName is resolveNodeID of "$name" (lines 2580-2633): the key of the
// first entry, by key, with that name, if the key decodes.
func (c *checker) resolveName(name string) (nodeID, bool) {
	if name == "" {
		return "", false
	}
	for _, pub := range slices.Sorted(maps.Keys(c.names)) {
		if c.names[pub] == name {
			raw, err := decodeStrKey(pub, versionPublicKey, false)
			return nodeID(raw), err == nil
		}
	}
	return "", false
}

// parseNodeID is Config::parseNodeID for public keys (line 2483): "$name",
// or a key with an optional name after it.
func (c *checker) parseNodeID(key, s string) (nodeID, bool) {
	if len(s) < 2 {
		c.add(key, RuleNodeID, true, "%q is not a node ID", s)
		return "", false
	}
	if s[0] == '$' {
		id, ok := c.resolveName(s[1:])
		if !ok {
			c.add(key, RuleNodeID, true, "%q names no validator", s)
		}
		return id, ok
	}
	fields := strings.Fields(s)
	pub := ""
	if len(fields) > 0 {
		pub = fields[0]
	}
	raw, err := decodeStrKey(pub, versionPublicKey, false)
	if err != nil {
		c.add(key, RuleStrKey, true, "public key %q %v", abbreviate(pub), err)
		return "", false
	}
	if len(fields) > 1 && !c.addName(key, key, pub, fields[1]) {
		return "", false
	}
	return nodeID(raw), true
}

// self is addSelfToValidators (line 948), called for a validator unless
// its quorum is only a QUORUM_SET (line 2149).
func (c *checker) self(entries []entry) []entry {
	_, hasQSet := c.doc["QUORUM_SET"]
	_, hasValidators := c.doc["VALIDATORS"]
	if !c.validator || (!hasValidators && hasQSet) {
		return entries
	}
	v, present := c.doc["NODE_HOME_DOMAIN"]
	home, isString := v.(string)
	if present && !isString {
		c.quorumBroken = true // its type is reported already
		return entries
	}
	if home == "" {
		c.add("NODE_HOME_DOMAIN", RuleNodeHomeDomain, true, "is missing: a validator must name its home domain")
		c.quorumBroken = true
		return entries
	}
	q, ok := c.domains[home]
	if !ok {
		if !c.homeDomainsBroken {
			c.add("NODE_HOME_DOMAIN", RuleSelfHomeDomain, true, "is %q, but no [[HOME_DOMAINS]] entry gives that domain a quality", home)
		}
		c.quorumBroken = true
		return entries
	}
	return append(entries, entry{name: "self", domain: home, quality: q, key: c.selfKey})
}

// keySets parses PREFERRED_PEER_KEYS and SURVEYOR_KEYS (lines 2155-2156).
func (c *checker) keySets() {
	for _, key := range []string{"PREFERRED_PEER_KEYS", "SURVEYOR_KEYS"} {
		if v, ok := c.doc[key]; ok {
			ids, ok := c.readStrings(key, v)
			if !ok {
				continue
			}
			for i, id := range ids {
				c.parseNodeID(fmt.Sprintf("%s[%d]", key, i), id)
			}
		}
	}
}
