// Package stellarcfg renders and checks stellar-core configuration.
package stellarcfg

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// Quality is a validator's or home domain's QUALITY.
type Quality string

// The qualities stellar-core knows, lowest first (Config.cpp kQualities).
const (
	QualityLow      Quality = "LOW"
	QualityMedium   Quality = "MEDIUM"
	QualityHigh     Quality = "HIGH"
	QualityCritical Quality = "CRITICAL"
)

// HomeDomain is a [[HOME_DOMAINS]] entry: the quality of every validator of
// the domain.
type HomeDomain struct {
	Domain  string
	Quality Quality
}

// Validator is a [[VALIDATORS]] entry. Quality is set only for a validator
// whose home domain has no HomeDomain entry.
type Validator struct {
	Name       string
	HomeDomain string
	PublicKey  string
	// Address is host[:port]; core adds it to PREFERRED_PEERS when the home
	// domain is the node's own, else to KNOWN_PEERS.
	Address string
	// History is the archive's get command; core adds it as an archive
	// named after the validator.
	History string
	Quality Quality
}

// Archive is a [HISTORY.<Name>] table. Put and Mkdir are for a node that
// publishes to the archive.
type Archive struct {
	Name  string
	Get   string
	Put   string
	Mkdir string
}

// Quorum is the quorum part of a config.
type Quorum struct {
	HomeDomains []HomeDomain
	Validators  []Validator
}

// Config is the stellar-core.cfg of one node, without NODE_SEED: an init
// script prepends the seed from a Secret, so it never lands in a ConfigMap.
type Config struct {
	NetworkPassphrase string
	PeerPort          int
	HTTPPort          int
	// PublicHTTPPort makes core's admin port listen on all interfaces. Only
	// set it together with a NetworkPolicy: the port has no authentication.
	PublicHTTPPort  bool
	NodeIsValidator bool
	NodeHomeDomain  string
	Database        string
	BucketDirPath   string
	// UnsafeQuorum lets core accept a quorum it judges unsafe, e.g. a
	// validator joining a single-organization network, as in stellar-core's
	// docs/stellar-core_testnet_validator.cfg.
	UnsafeQuorum bool
	// KnownPeers are host[:port] addresses; rendered even when empty.
	KnownPeers []string
	// PreferredPeers are host[:port] addresses; left out when empty.
	PreferredPeers []string
	HomeDomains    []HomeDomain
	Validators     []Validator
	// QuorumTOML is raw [[HOME_DOMAINS]] and [[VALIDATORS]] tables (a claim's
	// quorumSet). It is parsed, and its entries follow HomeDomains and
	// Validators in the output, so they are checked like the rest.
	QuorumTOML string
	Archives   []Archive
	// CaptiveCore renders the config of a captive core, the stellar-core that
	// Horizon and stellar-rpc run themselves: only the keys their
	// ledgerbackend accepts from a config file in strict mode
	// (ingest/ledgerbackend/toml.go captiveCoreTomlValues, stellar/go-stellar-sdk):
	// no KNOWN_PEERS, NODE_IS_VALIDATOR or NODE_HOME_DOMAIN (unknown there),
	// no BUCKET_DIR_PATH (refused), no DATABASE or ports (Horizon's and
	// stellar-rpc's own flags set them). KnownPeers and PreferredPeers are
	// rendered as PREFERRED_PEERS, which captive core reads.
	CaptiveCore bool
}

// header is the first lines of every rendered config.
const header = "# Rendered by function-stellar-peers. KNOWN_PEERS changes apply at the next\n" +
	"# restart; peers are connected live through the PeerSync resource.\n"

// document is the TOML layout of a Config. go-toml writes struct fields in
// order and every key-value before any table, which TOML requires: a key
// after a [table] header belongs to that table.
type document struct {
	NetworkPassphrase string   `toml:"NETWORK_PASSPHRASE"`
	PeerPort          int      `toml:"PEER_PORT"`
	HTTPPort          int      `toml:"HTTP_PORT"`
	PublicHTTPPort    bool     `toml:"PUBLIC_HTTP_PORT"`
	NodeIsValidator   bool     `toml:"NODE_IS_VALIDATOR"`
	NodeHomeDomain    string   `toml:"NODE_HOME_DOMAIN,omitempty"`
	Database          string   `toml:"DATABASE"`
	BucketDirPath     string   `toml:"BUCKET_DIR_PATH"`
	UnsafeQuorum      bool     `toml:"UNSAFE_QUORUM,omitempty"`
	KnownPeers        []string `toml:"KNOWN_PEERS,multiline"`
	PreferredPeers    []string `toml:"PREFERRED_PEERS,multiline,omitempty"`
	quorumDocument
}

// captiveDocument is the TOML layout of a CaptiveCore Config.
type captiveDocument struct {
	NetworkPassphrase string   `toml:"NETWORK_PASSPHRASE"`
	UnsafeQuorum      bool     `toml:"UNSAFE_QUORUM,omitempty"`
	PreferredPeers    []string `toml:"PREFERRED_PEERS,multiline,omitempty"`
	quorumDocument
}

// quorumDocument is what both layouts end with: the quorum and the archives,
// tables all. go-toml flattens an embedded struct into its parent.
type quorumDocument struct {
	HomeDomains []homeDomainDoc       `toml:"HOME_DOMAINS,omitempty"`
	Validators  []validatorDoc        `toml:"VALIDATORS,omitempty"`
	History     map[string]archiveDoc `toml:"HISTORY,omitempty"`
}

type homeDomainDoc struct {
	HomeDomain string `toml:"HOME_DOMAIN"`
	Quality    string `toml:"QUALITY"`
}

type validatorDoc struct {
	Name       string `toml:"NAME"`
	HomeDomain string `toml:"HOME_DOMAIN"`
	PublicKey  string `toml:"PUBLIC_KEY"`
	Address    string `toml:"ADDRESS,omitempty"`
	History    string `toml:"HISTORY,omitempty"`
	Quality    string `toml:"QUALITY,omitempty"`
}

type archiveDoc struct {
	Get   string `toml:"get,omitempty"`
	Put   string `toml:"put,omitempty"`
	Mkdir string `toml:"mkdir,omitempty"`
}

// archiveName is what Render accepts as <name> in [HISTORY.<name>]: a bare
// TOML key, as in core's docs, so no quoting rules come into play.
var archiveName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Render renders the config. The same Config always gives the same bytes:
// entries keep their order, archives are sorted by name. It fails only on
// what TOML cannot say as given (a raw quorum that does not parse, two
// archives of one name, invalid UTF-8); whether core accepts the result is
// Check's business.
func (c Config) Render() (string, error) {
	q, err := ParseQuorum(c.QuorumTOML)
	if err != nil {
		return "", err
	}
	d := document{
		NetworkPassphrase: c.NetworkPassphrase,
		PeerPort:          c.PeerPort,
		HTTPPort:          c.HTTPPort,
		PublicHTTPPort:    c.PublicHTTPPort,
		NodeIsValidator:   c.NodeIsValidator,
		NodeHomeDomain:    c.NodeHomeDomain,
		Database:          c.Database,
		BucketDirPath:     c.BucketDirPath,
		UnsafeQuorum:      c.UnsafeQuorum,
		KnownPeers:        append([]string{}, c.KnownPeers...), // never nil: always "KNOWN_PEERS = [...]"
		PreferredPeers:    c.PreferredPeers,
	}
	if d.quorumDocument, err = c.quorumDocument(q); err != nil {
		return "", err
	}
	if err := validUTF8(d); err != nil {
		return "", err
	}
	var out any = d
	if c.CaptiveCore {
		preferred := slices.Clone(d.KnownPeers)
		for _, p := range d.PreferredPeers {
			if !slices.Contains(preferred, p) {
				preferred = append(preferred, p)
			}
		}
		out = captiveDocument{
			NetworkPassphrase: d.NetworkPassphrase, UnsafeQuorum: d.UnsafeQuorum, PreferredPeers: preferred,
			quorumDocument: d.quorumDocument,
		}
	}
	var b bytes.Buffer
	b.WriteString(header)
	enc := toml.NewEncoder(&b)
	enc.SetIndentTables(false)
	if err := enc.Encode(out); err != nil {
		return "", fmt.Errorf("cannot render stellar-core config: %w", err)
	}
	return b.String(), nil
}

// quorumDocument is the TOML of c's quorum, the quorum set q's entries after
// c's own, and of its archives, whose names it checks.
func (c Config) quorumDocument(q Quorum) (quorumDocument, error) {
	var d quorumDocument
	for _, h := range append(append([]HomeDomain{}, c.HomeDomains...), q.HomeDomains...) {
		d.HomeDomains = append(d.HomeDomains, homeDomainDoc{HomeDomain: h.Domain, Quality: string(h.Quality)})
	}
	for _, v := range append(append([]Validator{}, c.Validators...), q.Validators...) {
		d.Validators = append(d.Validators, validatorDoc{
			Name: v.Name, HomeDomain: v.HomeDomain, PublicKey: v.PublicKey,
			Address: v.Address, History: v.History, Quality: string(v.Quality),
		})
	}
	for i, a := range c.Archives {
		if !archiveName.MatchString(a.Name) {
			return d, fmt.Errorf("cannot render archive %d: name %q is not letters, digits, '_' and '-'", i, a.Name)
		}
		if _, dup := d.History[a.Name]; dup {
			return d, fmt.Errorf("cannot render archive %d: name %q is used twice", i, a.Name)
		}
		if d.History == nil {
			d.History = map[string]archiveDoc{}
		}
		d.History[a.Name] = archiveDoc{Get: a.Get, Put: a.Put, Mkdir: a.Mkdir}
	}
	return d, nil
}

// archiveURL is what HistoryGet accepts: an http(s) URL whose characters
// need no quoting in a shell and hold no fmt placeholder, since core runs
// the command through a shell after filling in {0} and {1}.
var archiveURL = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$`)

// HistoryGet is the get command of the archive at url, as stellar-core's
// docs write it: "curl -sf <url>/{0} -o {1}". A URL with anything a shell or
// core's formatter would read as more than text is refused: the URL may come
// from another validator's peer card.
func HistoryGet(url string) (string, error) {
	if len(url) > 512 || !archiveURL.MatchString(url) {
		return "", fmt.Errorf("%q is not an http(s) URL of letters, digits and . _ ~ %% / -", abbreviate(url))
	}
	return "curl -sf " + strings.TrimRight(url, "/") + "/{0} -o {1}", nil
}

// validUTF8 refuses strings TOML cannot carry: the encoder would otherwise
// replace their bytes and change the value.
func validUTF8(d document) error {
	var bad []string
	note := func(field string, values ...string) {
		for _, v := range values {
			if !utf8.ValidString(v) {
				bad = append(bad, field)
				return
			}
		}
	}
	note("NETWORK_PASSPHRASE", d.NetworkPassphrase)
	note("NODE_HOME_DOMAIN", d.NodeHomeDomain)
	note("DATABASE", d.Database)
	note("BUCKET_DIR_PATH", d.BucketDirPath)
	for i, p := range d.KnownPeers {
		note(fmt.Sprintf("KNOWN_PEERS[%d]", i), p)
	}
	for i, p := range d.PreferredPeers {
		note(fmt.Sprintf("PREFERRED_PEERS[%d]", i), p)
	}
	for i, h := range d.HomeDomains {
		note(fmt.Sprintf("HOME_DOMAINS[%d]", i), h.HomeDomain, h.Quality)
	}
	for i, v := range d.Validators {
		note(fmt.Sprintf("VALIDATORS[%d]", i), v.Name, v.HomeDomain, v.PublicKey, v.Address, v.History, v.Quality)
	}
	for _, name := range slices.Sorted(maps.Keys(d.History)) {
		a := d.History[name]
		note("HISTORY."+name, a.Get, a.Put, a.Mkdir)
	}
	if len(bad) > 0 {
		return fmt.Errorf("cannot render %s: not valid UTF-8", strings.Join(bad, ", "))
	}
	return nil
}

// quorumDoc is what a raw quorum may hold.
type quorumDoc struct {
	HomeDomains []homeDomainDoc `toml:"HOME_DOMAINS"`
	Validators  []validatorDoc  `toml:"VALIDATORS"`
}

// ParseQuorum parses raw [[HOME_DOMAINS]] and [[VALIDATORS]] tables. Any
// other key, or a field core does not know in an entry, is an error, as it
// is for core (Config.cpp parseDomainsQuality, parseValidators). Missing
// fields are left to Check, which names them.
func ParseQuorum(raw string) (Quorum, error) {
	if strings.TrimSpace(raw) == "" {
		return Quorum{}, nil
	}
	var d quorumDoc
	dec := toml.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return Quorum{}, fmt.Errorf("cannot parse quorum: only [[HOME_DOMAINS]] (HOME_DOMAIN, QUALITY) and [[VALIDATORS]] (NAME, HOME_DOMAIN, PUBLIC_KEY, ADDRESS, HISTORY, QUALITY) are allowed: %s", unknownKeys(strict))
		}
		return Quorum{}, fmt.Errorf("cannot parse quorum: %w", err)
	}
	var q Quorum
	for _, h := range d.HomeDomains {
		q.HomeDomains = append(q.HomeDomains, HomeDomain{Domain: h.HomeDomain, Quality: Quality(h.Quality)})
	}
	for _, v := range d.Validators {
		q.Validators = append(q.Validators, Validator{
			Name: v.Name, HomeDomain: v.HomeDomain, PublicKey: v.PublicKey,
			Address: v.Address, History: v.History, Quality: Quality(v.Quality),
		})
	}
	return q, nil
}

// unknownKeys names the keys a strict decode refused, in document order.
func unknownKeys(e *toml.StrictMissingError) string {
	keys := make([]string, 0, len(e.Errors))
	for _, d := range e.Errors {
		keys = append(keys, strings.Join(d.Key(), "."))
	}
	return "unknown " + strings.Join(keys, ", ")
}
