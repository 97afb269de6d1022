package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
)

// Rules the node step applies besides stellarcfg.Check's: what a claim can
// get wrong that is not a stellar-core key.
const (
	rulePresetNetwork stellarcfg.Rule = "preset-network" // a preset of another network
	ruleMustPublish   stellarcfg.Rule = "must-publish"   // a HIGH or CRITICAL validator that publishes no history
	ruleOwnQuality    stellarcfg.Rule = "own-quality"    // validator.quality contradicting quorum.homeDomains
	ruleQuorumTOML    stellarcfg.Rule = "quorum-toml"    // validator.quorumSet that is not [[HOME_DOMAINS]]/[[VALIDATORS]] TOML
	ruleArchiveURL    stellarcfg.Rule = "archive-url"    // an http(s) archive that cannot become a safe get command
	ruleNotRendered   stellarcfg.Rule = "not-rendered"   // a setting that does not apply to this node type
)

// The local archive a publishing node writes to, on its data volume, as in
// stellar-core's docs (Publishing History Archives, "Local History Archive
// Using nginx").
const (
	localArchive = "local"
	archiveDir   = dataDir + "/history"
)

// origin is where a rendered entry comes from in the claim, so that a rule
// core would enforce on it names the field the user wrote.
type origin struct {
	// field is the claim's field, e.g. "spec.quorum.validators[2]".
	field string
	// keys map a TOML field of the entry to a claim field; a TOML field not
	// listed is field itself.
	keys map[string]string
	// note says where the entry came from when it is not the claim itself,
	// e.g. a peer card.
	note string
}

func (o origin) of(tomlField string) string {
	if f, ok := o.keys[tomlField]; ok {
		return f
	}
	return o.field
}

// coreConfig is a node's stellar-core config as built from its claim, with
// the origin of every entry.
type coreConfig struct {
	cfg         stellarcfg.Config
	opts        stellarcfg.Options
	homeDomains []origin
	validators  []origin
	archives    map[string]origin
	// knownPeers are the directory's peer keys, one per KNOWN_PEERS entry.
	knownPeers []string
	network    string
	custom     bool
	// findings are the node step's own rules, found while building.
	findings []finding
}

func (c *coreConfig) add(field string, rule stellarcfg.Rule, fatal bool, format string, a ...any) {
	c.findings = append(c.findings, finding{field: field, rule: rule, fatal: fatal, message: fmt.Sprintf(format, a...)})
}

func (c *coreConfig) addHomeDomain(d stellarcfg.HomeDomain, o origin) {
	c.cfg.HomeDomains = append(c.cfg.HomeDomains, d)
	c.homeDomains = append(c.homeDomains, o)
}

func (c *coreConfig) addValidator(v stellarcfg.Validator, o origin) {
	c.cfg.Validators = append(c.cfg.Validators, v)
	c.validators = append(c.validators, o)
}

// ownQuality is the quality of the node's own home domain: quorum.homeDomains
// when it lists the domain, else validator.quality, else MEDIUM.
func (n *node) ownQuality() stellarcfg.Quality {
	for _, d := range n.quorum.homeDomains {
		if d.Domain == n.homeDomain {
			return d.Quality
		}
	}
	return cmp.Or(n.quality, stellarcfg.QualityMedium)
}

// publishes reports whether the node writes history somewhere: to its own
// local archive, or to an archive with a put command.
func (n *node) publishes() bool {
	if n.history.publish {
		return true
	}
	return slices.ContainsFunc(n.history.archives, func(a stellarcfg.Archive) bool { return a.Put != "" })
}

// historyURL is where other validators read the node's archive, for its peer
// card: spec.history.publicURL, else the sidecar when publishing, else none.
func (n *node) historyURL() string {
	if n.history.publicURL != "" {
		return n.history.publicURL
	}
	if n.history.publish {
		return "http://" + n.stableHost() + ":" + strconv.Itoa(n.history.port)
	}
	return ""
}

// buildCoreConfig builds the node's stellar-core config: its ports, the
// directory's peers, and the quorum and archives from, in this order,
// spec.quorum.homeDomains and validators, the validator's own home domain,
// the presets, the directory's validators and spec.validator.quorumSet. An
// explicit entry wins over a preset's or the directory's of the same home
// domain or key, so a claim can override either.
func buildCoreConfig(n *node, members []member) *coreConfig {
	expose := n.settings.exposeAdminPort
	validator := n.nodeType == peers.NodeTypeValidator
	c := &coreConfig{
		archives: map[string]origin{},
		network:  n.network,
		custom:   strings.EqualFold(n.network, "Custom"),
		opts:     stellarcfg.Options{Passphrase: n.passphrase},
		cfg: stellarcfg.Config{
			NetworkPassphrase: n.passphrase,
			PeerPort:          n.peerPort,
			HTTPPort:          n.adminPort,
			PublicHTTPPort:    expose,
			NodeIsValidator:   validator,
			Database:          "sqlite3://" + dataDir + "/stellar.db",
			BucketDirPath:     dataDir + "/buckets",
			UnsafeQuorum:      n.quorum.unsafe,
			KnownPeers:        peers.StableAddresses(n.peers),
			CaptiveCore:       n.captiveCore(),
		},
	}
	for _, p := range n.peers {
		c.knownPeers = append(c.knownPeers, p.Key())
	}
	if n.preferred {
		c.cfg.PreferredPeers = c.cfg.KnownPeers
	}
	if validator {
		c.cfg.NodeHomeDomain = n.homeDomain
		// The seed is prepended from its Secret when the pod starts.
		c.opts.SeedAtStart = n.seedSecretName != ""
		c.opts.NodePublicKey = n.publicKey
	}

	preset := c.preset("spec.quorum.preset", n.quorum.preset)
	c.addHomeDomains(n, preset, members)
	c.addValidators(n, preset, members)
	c.addQuorumSet(n)
	c.buildArchives(n)
	if validator && rankOf(n.ownQuality()) >= rankOf(stellarcfg.QualityHigh) && !n.publishes() {
		// Core does not check this of the node itself, but every other
		// validator that lists it in its quorum must give it a HISTORY
		// (Config.cpp line 812 at a9b8613218e141ddb89d621e5f04d4c75a149d36).
		c.add("spec.history.publish", ruleMustPublish, true, "is not set, and no archive has a put command, but home domain %q is %s: HIGH and CRITICAL validators must publish their history", n.homeDomain, n.ownQuality())
	}
	return c
}

// addHomeDomains adds the [[HOME_DOMAINS]] entries: spec.quorum.homeDomains,
// the validator's own, the preset's and the directory's, each domain once and
// the first source winning.
func (c *coreConfig) addHomeDomains(n *node, preset stellarcfg.Preset, members []member) {
	domains := map[string]bool{}
	for i, d := range n.quorum.homeDomains {
		f := fmt.Sprintf("spec.quorum.homeDomains[%d]", i)
		c.addHomeDomain(d, origin{field: f, keys: map[string]string{"HOME_DOMAIN": f + ".domain", "QUALITY": f + ".quality"}})
		domains[d.Domain] = true
	}
	if n.nodeType == peers.NodeTypeValidator && n.homeDomain != "" {
		if !domains[n.homeDomain] {
			c.addHomeDomain(stellarcfg.HomeDomain{Domain: n.homeDomain, Quality: n.ownQuality()},
				origin{field: "spec.validator.quality", keys: map[string]string{"HOME_DOMAIN": "spec.validator.homeDomain"}})
			domains[n.homeDomain] = true
		} else if n.quality != "" && n.quality != n.ownQuality() {
			c.add("spec.validator.quality", ruleOwnQuality, true, "is %s, but spec.quorum.homeDomains gives home domain %q the quality %s", n.quality, n.homeDomain, n.ownQuality())
		}
	}
	for _, d := range preset.HomeDomains {
		if !domains[d.Domain] {
			c.addHomeDomain(d, origin{field: "spec.quorum.preset", note: "from the " + preset.Network + " preset"})
			domains[d.Domain] = true
		}
	}
	for _, d := range memberDomains(members) {
		if !domains[d.Domain] {
			c.addHomeDomain(d, origin{field: "spec.quorum.includeDirectory", note: "home domain of the directory's validators, quality from their peer cards"})
			domains[d.Domain] = true
		}
	}

}

// addValidators adds the [[VALIDATORS]] entries: spec.quorum.validators, the
// preset's and the directory's, each public key once and the first source
// winning.
func (c *coreConfig) addValidators(n *node, preset stellarcfg.Preset, members []member) {
	keys := map[string]string{}
	for i, v := range n.quorum.validators {
		f := fmt.Sprintf("spec.quorum.validators[%d]", i)
		// A refused URL leaves the validator without an archive.
		v.History, _ = c.historyCommand(f+".history", v.History)
		c.addValidator(v, origin{field: f, keys: map[string]string{
			"NAME": f + ".name", "HOME_DOMAIN": f + ".homeDomain", "PUBLIC_KEY": f + ".publicKey",
			"ADDRESS": f + ".address", "HISTORY": f + ".history", "QUALITY": "spec.quorum.homeDomains",
		}})
		keys[v.PublicKey] = f
	}
	for _, v := range preset.Validators {
		if _, listed := keys[v.PublicKey]; !listed {
			c.addValidator(v, origin{field: "spec.quorum.preset", note: "validator " + strconv.Quote(v.Name) + " of the " + preset.Network + " preset"})
			keys[v.PublicKey] = "spec.quorum.preset"
		}
	}
	for _, m := range members {
		if f, listed := keys[m.publicKey]; listed {
			c.add("spec.quorum.includeDirectory", ruleNotRendered, false, "the directory's validator %s (%s) is left out: its public key is listed already at %s", m.name, m.card, f)
			continue
		}
		c.addValidator(stellarcfg.Validator{Name: m.name, HomeDomain: m.homeDomain, PublicKey: m.publicKey, History: m.history},
			origin{field: "spec.quorum.includeDirectory", note: "validator " + m.name + " from peer card " + m.card})
		keys[m.publicKey] = "spec.quorum.includeDirectory"
	}
}

// historyCommand is core's get command for an archive given at field: an
// http(s) URL becomes a curl command; anything else is a command already. A
// URL the checker refuses is reported here and gives "", false.
func (c *coreConfig) historyCommand(field, value string) (string, bool) {
	if !isURL(value) {
		return value, true
	}
	get, err := stellarcfg.HistoryGet(value)
	if err != nil {
		c.add(field, ruleArchiveURL, true, "%v", err)
		return "", false
	}
	return get, true
}

// addQuorumSet adds the entries of the raw spec.validator.quorumSet.
func (c *coreConfig) addQuorumSet(n *node) {
	if n.quorumSet == "" {
		return
	}
	q, err := stellarcfg.ParseQuorum(n.quorumSet)
	if err != nil {
		c.add("spec.validator.quorumSet", ruleQuorumTOML, true, "%v", err)
	}
	for i, d := range q.HomeDomains {
		c.addHomeDomain(d, origin{field: "spec.validator.quorumSet", note: fmt.Sprintf("its [[HOME_DOMAINS]] entry %d", i)})
	}
	for i, v := range q.Validators {
		c.addValidator(v, origin{field: "spec.validator.quorumSet", note: fmt.Sprintf("its [[VALIDATORS]] entry %d", i)})
	}
}

// buildArchives adds spec.history's archives, the preset's and the node's
// own local archive.
func (c *coreConfig) buildArchives(n *node) {
	add := func(a stellarcfg.Archive, o origin, nameField string) {
		if prev, used := c.archives[a.Name]; used {
			// Render refuses two archives of one name.
			c.add(nameField, stellarcfg.RuleArchiveName, true, "%q is the name of the archive from %s too", a.Name, prev.field)
			return
		}
		c.cfg.Archives = append(c.cfg.Archives, a)
		c.archives[a.Name] = o
	}
	for i, a := range n.history.archives {
		f := fmt.Sprintf("spec.history.archives[%d]", i)
		var ok bool
		if a.Get, ok = c.historyCommand(f+".get", a.Get); !ok {
			continue
		}
		add(a, origin{field: f, keys: map[string]string{"get": f + ".get", "put": f + ".put", "mkdir": f + ".mkdir"}}, f+".name")
	}
	preset := c.preset("spec.history.preset", n.history.preset)
	for _, a := range preset.ReadArchives() {
		// A validator of the quorum may read the same archive already.
		if !slices.ContainsFunc(c.cfg.Validators, func(v stellarcfg.Validator) bool { return v.History == a.Get }) {
			add(a, origin{field: "spec.history.preset", note: "archive " + a.Name + " of the " + preset.Network + " preset"}, "spec.history.preset")
		}
	}
	if n.history.publish {
		if n.captiveCore() {
			c.add("spec.history.publish", ruleNotRendered, false, "is ignored: a captive core (Horizon, SorobanRpc) publishes no history")
			return
		}
		add(stellarcfg.Archive{
			Name:  localArchive,
			Get:   "cp " + archiveDir + "/{0} {1}",
			Put:   "cp {0} " + archiveDir + "/{1}",
			Mkdir: "mkdir -p " + archiveDir + "/{0}",
		}, origin{field: "spec.history.publish", note: "the local archive on the node's volume"}, "spec.history.publish")
	}
}

// preset returns the preset a claim field names, or none: a preset of
// another network than the node's is a finding.
func (c *coreConfig) preset(field, network string) stellarcfg.Preset {
	if network == "" {
		return stellarcfg.Preset{}
	}
	if !strings.EqualFold(network, c.network) {
		c.add(field, rulePresetNetwork, true, "%s is not the node's network %s", network, c.network)
		return stellarcfg.Preset{}
	}
	p, err := stellarcfg.PresetFor(network)
	if err != nil {
		c.add(field, rulePresetNetwork, true, "%v", err)
	}
	return p
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func rankOf(q stellarcfg.Quality) int {
	return slices.Index([]stellarcfg.Quality{stellarcfg.QualityLow, stellarcfg.QualityMedium, stellarcfg.QualityHigh, stellarcfg.QualityCritical}, q)
}
