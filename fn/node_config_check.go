package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
)

// finding is a rule the node's config breaks, with the claim field to fix.
type finding struct {
	field string
	// key is the TOML key, empty for a rule of the node step itself.
	key     string
	rule    stellarcfg.Rule
	message string
	note    string
	fatal   bool
}

// String is the finding as results and conditions say it.
func (f finding) String() string {
	what := "stellar-core would refuse to start: "
	if !f.fatal {
		what = "stellar-core would start, but: "
	}
	if f.key != "" {
		what += f.key + " "
	}
	note := ""
	if f.note != "" {
		note = " (" + f.note + ")"
	}
	return f.field + ": " + what + f.message + note + " [" + string(f.rule) + "]"
}

// verdict is what the checker said of a rendered config.
type verdict struct {
	rendered string
	findings []finding
	// refused: core would not start with it.
	refused bool
}

// render renders the config and checks it: the node step's own findings,
// then the checker's, each naming the claim field to fix.
func (c *coreConfig) render() verdict {
	v := verdict{findings: c.findings}
	rendered, err := c.cfg.Render()
	if err != nil {
		// The node step leaves out what Render refuses; this is a bug.
		v.findings = append(v.findings, finding{field: "spec", rule: stellarcfg.RuleTOML, fatal: true, message: err.Error()})
	} else {
		v.rendered = rendered
		for _, p := range stellarcfg.Check(rendered, c.opts) {
			v.findings = append(v.findings, c.findingOf(p))
		}
	}
	v.refused = slices.ContainsFunc(v.findings, func(f finding) bool { return f.fatal })
	return v
}

// findingOf names the claim field a checker Problem is about.
func (c *coreConfig) findingOf(p stellarcfg.Problem) finding {
	f := finding{key: p.Key, rule: p.Rule, message: p.Message, fatal: p.Fatal, field: "spec"}
	list, index, sub := splitKey(p.Key)
	switch list {
	case "HOME_DOMAINS":
		f.field, f.note = entryField(c.homeDomains, index, sub, "spec.quorum.homeDomains")
		return f
	case "VALIDATORS":
		f.field, f.note = entryField(c.validators, index, sub, "spec.quorum.validators")
		return f
	case "KNOWN_PEERS", "PREFERRED_PEERS":
		f.field = "spec.network"
		if index >= 0 && index < len(c.knownPeers) {
			f.note = "peer " + c.knownPeers[index] + " of the network's peer directory"
		}
		return f
	}
	if name, ok := strings.CutPrefix(p.Key, "HISTORY."); ok {
		name, sub, _ := strings.Cut(name, ".")
		if o, known := c.archives[name]; known {
			f.field, f.note = o.of(sub), o.note
		} else {
			// An archive core adds for a validator with a HISTORY.
			f.field = "spec.history"
		}
		return f
	}
	switch p.Key {
	case "NETWORK_PASSPHRASE":
		f.field = "spec.network"
		if c.custom {
			f.field = "spec.networkPassphrase"
		}
	case "PEER_PORT":
		f.field = "spec.peerPort"
	case "HTTP_PORT":
		f.field = "spec.adminPort"
	case "NODE_HOME_DOMAIN":
		f.field = "spec.validator.homeDomain"
		if p.Rule == stellarcfg.RuleRedundancy {
			f.field = "spec.validator.quality"
		}
	case "NODE_SEED":
		f.field = "spec.validator.seedSecretRef"
		if p.Rule == stellarcfg.RuleStrKey {
			f.field = "spec.validator.publicKey"
		}
	case "UNSAFE_QUORUM":
		f.field = "spec.quorum.unsafe"
	case "VALIDATORS", "HOME_DOMAINS", "QUORUM_SET", "FAILURE_SAFETY":
		f.field = "spec.quorum"
	case "HISTORY":
		f.field = "spec.history"
	}
	return f
}

// splitKey splits "VALIDATORS[2].PUBLIC_KEY" into its list, index and field;
// index is -1 for a key that is no list entry.
func splitKey(key string) (list string, index int, field string) {
	open := strings.IndexByte(key, '[')
	end := strings.IndexByte(key, ']')
	if open < 0 || end < open {
		return "", -1, ""
	}
	i, err := strconv.Atoi(key[open+1 : end])
	if err != nil {
		return "", -1, ""
	}
	return key[:open], i, strings.TrimPrefix(key[end+1:], ".")
}

func entryField(origins []origin, index int, sub, whole string) (string, string) {
	if index < 0 || index >= len(origins) {
		return whole, ""
	}
	return origins[index].of(sub), origins[index].note
}
