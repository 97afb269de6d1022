package stellarcfg

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"
)

func TestRender(t *testing.T) {
	c := Config{
		NetworkPassphrase: PassphraseTestnet, PeerPort: 11625, HTTPPort: 11626, PublicHTTPPort: true,
		NodeIsValidator: true, NodeHomeDomain: "alice.example.org", UnsafeQuorum: true,
		Database: "sqlite3:///data/stellar.db", BucketDirPath: "/data/buckets",
		KnownPeers:     []string{"bob-0.bob.team-a.svc.cluster.local:11625", "carol.validators.example.org:11625"},
		PreferredPeers: []string{"bob-0.bob.team-a.svc.cluster.local:11625"},
		HomeDomains:    []HomeDomain{{Domain: "alice.example.org", Quality: QualityMedium}},
		Validators: []Validator{{
			Name: "bob", HomeDomain: "bob.example.org", PublicKey: keyA, Address: "bob.example.org:11625",
			History: "curl -sf https://history.bob.example.org/{0} -o {1}", Quality: QualityLow,
		}},
		QuorumTOML: "[[VALIDATORS]]\nNAME = \"carol\"\nHOME_DOMAIN = \"carol.example.org\"\nPUBLIC_KEY = \"" + keyB + "\"\nQUALITY = \"LOW\"\n",
		// Out of order on purpose: archives come out sorted by name.
		Archives: []Archive{
			{Name: "local", Get: "cp /history/{0} {1}", Put: "cp {0} /history/{1}", Mkdir: "mkdir -p /history/{0}"},
			{Name: "h1", Get: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_001/{0} -o {1}"},
		},
	}
	want := header + `NETWORK_PASSPHRASE = 'Test SDF Network ; September 2015'
PEER_PORT = 11625
HTTP_PORT = 11626
PUBLIC_HTTP_PORT = true
NODE_IS_VALIDATOR = true
NODE_HOME_DOMAIN = 'alice.example.org'
DATABASE = 'sqlite3:///data/stellar.db'
BUCKET_DIR_PATH = '/data/buckets'
UNSAFE_QUORUM = true
KNOWN_PEERS = [
  'bob-0.bob.team-a.svc.cluster.local:11625',
  'carol.validators.example.org:11625'
]
PREFERRED_PEERS = [
  'bob-0.bob.team-a.svc.cluster.local:11625'
]

[[HOME_DOMAINS]]
HOME_DOMAIN = 'alice.example.org'
QUALITY = 'MEDIUM'

[[VALIDATORS]]
NAME = 'bob'
HOME_DOMAIN = 'bob.example.org'
PUBLIC_KEY = '` + keyA + `'
ADDRESS = 'bob.example.org:11625'
HISTORY = 'curl -sf https://history.bob.example.org/{0} -o {1}'
QUALITY = 'LOW'

[[VALIDATORS]]
NAME = 'carol'
HOME_DOMAIN = 'carol.example.org'
PUBLIC_KEY = '` + keyB + `'
QUALITY = 'LOW'

[HISTORY]
[HISTORY.h1]
get = 'curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_001/{0} -o {1}'

[HISTORY.local]
get = 'cp /history/{0} {1}'
put = 'cp {0} /history/{1}'
mkdir = 'mkdir -p /history/{0}'
`
	got, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render(): -want, +got:\n%s", diff)
	}

	// The same input, archives in another order: the same bytes.
	c.Archives[0], c.Archives[1] = c.Archives[1], c.Archives[0]
	again, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if again != got {
		t.Errorf("Render() with archives reordered differs:\n%s", cmp.Diff(got, again))
	}
}

func TestRenderMinimal(t *testing.T) {
	got, err := Config{NetworkPassphrase: PassphraseMainnet, PeerPort: 11625, HTTPPort: 11626}.Render()
	if err != nil {
		t.Fatal(err)
	}
	// No peers is still "KNOWN_PEERS = []"; no table at all.
	want := header + `NETWORK_PASSPHRASE = 'Public Global Stellar Network ; September 2015'
PEER_PORT = 11625
HTTP_PORT = 11626
PUBLIC_HTTP_PORT = false
NODE_IS_VALIDATOR = false
DATABASE = ''
BUCKET_DIR_PATH = ''
KNOWN_PEERS = []
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render(): -want, +got:\n%s", diff)
	}
}

// A value with quotes, backslashes or control characters still reads back
// as itself.
func TestRenderEscapes(t *testing.T) {
	odd := "it's \"quoted\" \\ and\ttabbed é"
	s, err := Config{NetworkPassphrase: odd, KnownPeers: []string{odd}, Archives: []Archive{{Name: "a", Get: odd}}}.Render()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		NetworkPassphrase string                       `toml:"NETWORK_PASSPHRASE"`
		KnownPeers        []string                     `toml:"KNOWN_PEERS"`
		History           map[string]map[string]string `toml:"HISTORY"`
	}
	if err := toml.Unmarshal([]byte(s), &back); err != nil {
		t.Fatalf("rendered config does not parse: %v\n%s", err, s)
	}
	got := []string{back.NetworkPassphrase, back.KnownPeers[0], back.History["a"]["get"]}
	if diff := cmp.Diff([]string{odd, odd, odd}, got); diff != "" {
		t.Errorf("values read back: -want, +got:\n%s", diff)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]struct {
		c    Config
		want string
	}{
		"ArchiveNameWithDot": {Config{Archives: []Archive{{Name: "a.b", Get: "x"}}}, `cannot render archive 0: name "a.b" is not letters`},
		"ArchiveNameEmpty":   {Config{Archives: []Archive{{Get: "x"}}}, `cannot render archive 0: name ""`},
		"ArchiveNameTwice": {
			Config{Archives: []Archive{{Name: "a", Get: "x"}, {Name: "a", Get: "y"}}},
			`cannot render archive 1: name "a" is used twice`,
		},
		"InvalidUTF8": {
			Config{KnownPeers: []string{"a", "b\xff"}, Validators: []Validator{{Name: "\xfe"}}},
			"cannot render KNOWN_PEERS[1], VALIDATORS[0]: not valid UTF-8",
		},
		"QuorumNotTOML": {Config{QuorumTOML: "[[VALIDATORS]\n"}, "cannot parse quorum: "},
		"QuorumOtherKey": {
			Config{QuorumTOML: "[[HOME_DOMAINS]]\nHOME_DOMAIN = 'x'\nQUALITY = 'LOW'\n[QUORUM_SET]\nVALIDATORS = []\n"},
			"cannot parse quorum: only [[HOME_DOMAINS]]",
		},
		"QuorumUnknownField": {
			Config{QuorumTOML: "[[VALIDATORS]]\nNAME = 'x'\nPORT = 1\n"},
			"unknown VALIDATORS.PORT",
		},
		"QuorumWrongType": {Config{QuorumTOML: "[[VALIDATORS]]\nNAME = 1\n"}, "cannot parse quorum: "},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.c.Render()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseQuorum(t *testing.T) {
	raw := `# a claim's quorumSet
[[HOME_DOMAINS]]
HOME_DOMAIN = "bob.example.org"
QUALITY = "MEDIUM"

[[VALIDATORS]]
NAME = "bob"
HOME_DOMAIN = "bob.example.org"
PUBLIC_KEY = "` + keyA + `"
ADDRESS = "bob.example.org"
HISTORY = "curl -sf https://h/{0} -o {1}"

[[VALIDATORS]]
NAME = "dave"
HOME_DOMAIN = "dave.example.org"
PUBLIC_KEY = "` + keyB + `"
QUALITY = "LOW"
`
	got, err := ParseQuorum(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := Quorum{
		HomeDomains: []HomeDomain{{Domain: "bob.example.org", Quality: QualityMedium}},
		Validators: []Validator{
			{Name: "bob", HomeDomain: "bob.example.org", PublicKey: keyA, Address: "bob.example.org", History: "curl -sf https://h/{0} -o {1}"},
			{Name: "dave", HomeDomain: "dave.example.org", PublicKey: keyB, Quality: QualityLow},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseQuorum(): -want, +got:\n%s", diff)
	}
	// What Render writes, ParseQuorum reads back.
	s, err := Config{HomeDomains: want.HomeDomains, Validators: want.Validators}.Render()
	if err != nil {
		t.Fatal(err)
	}
	tables := s[strings.Index(s, "[[HOME_DOMAINS]]"):]
	back, err := ParseQuorum(tables)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("ParseQuorum(Render()): -want, +got:\n%s", diff)
	}
	if q, err := ParseQuorum(" \n"); err != nil || len(q.HomeDomains)+len(q.Validators) != 0 {
		t.Errorf("ParseQuorum(blank) = %v, %v; want nothing", q, err)
	}
}

func TestPresets(t *testing.T) {
	for _, n := range []string{"Testnet", "testnet", "MAINNET", "Futurenet"} {
		p, err := PresetFor(n)
		if err != nil {
			t.Fatalf("PresetFor(%q): %v", n, err)
		}
		if !strings.EqualFold(p.Network, n) || p.Passphrase == "" || len(p.Validators) == 0 {
			t.Errorf("PresetFor(%q) = %+v", n, p)
		}
	}
	if _, err := PresetFor("Custom"); err == nil {
		t.Error("PresetFor(Custom): no error")
	}
	// A caller may change what it got without changing the next caller's.
	p := mustPreset(t, "Testnet")
	p.Validators[0].Name = "changed"
	if mustPreset(t, "Testnet").Validators[0].Name != "sdftest1" {
		t.Error("changing a preset changed the next PresetFor's")
	}
	// The node step takes passphrases from Passphrase: they must agree.
	for _, network := range []string{"Mainnet", "Testnet", "Futurenet"} {
		if got, _ := Passphrase(network, ""); got != mustPreset(t, network).Passphrase {
			t.Errorf("Passphrase(%s) = %q, the preset has %q", network, got, mustPreset(t, network).Passphrase)
		}
	}
	// Mainnet: 7 organizations of 3 (README: tier 1 is 7 organizations).
	m := mustPreset(t, "Mainnet")
	perDomain := map[string]int{}
	for _, v := range m.Validators {
		perDomain[v.HomeDomain]++
	}
	if len(m.HomeDomains) != 7 || len(perDomain) != 7 {
		t.Errorf("Mainnet: %d HOME_DOMAINS, validators in %d domains; want 7", len(m.HomeDomains), len(perDomain))
	}
	for d, n := range perDomain {
		if n != 3 {
			t.Errorf("Mainnet domain %s has %d validators, want 3", d, n)
		}
	}
}

func TestPassphrase(t *testing.T) {
	cases := map[string]struct {
		network, custom string
		want            string
		err             bool
	}{
		"Mainnet":           {network: "Mainnet", want: PassphraseMainnet},
		"OperatorLowerCase": {network: "testnet", want: PassphraseTestnet},
		"Futurenet":         {network: "FUTURENET", want: PassphraseFuturenet},
		"Custom":            {network: "Custom", custom: "My Net ; 2026", want: "My Net ; 2026"},
		"CustomWithout":     {network: "custom", err: true},
		"Unknown":           {network: "Pubnet", err: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Passphrase(tc.network, tc.custom)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("Passphrase(%q, %q) = %q, %v; want %q, error %v", tc.network, tc.custom, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestReadArchives(t *testing.T) {
	// Testnet's source has [HISTORY] tables: they are the archives.
	if got, want := mustPreset(t, "Testnet").ReadArchives(), mustPreset(t, "Testnet").Archives; !cmp.Equal(want, got) {
		t.Errorf("Testnet ReadArchives(): -want, +got:\n%s", cmp.Diff(want, got))
	}
	// Mainnet's has none: one per validator, named apart from the validators.
	m := mustPreset(t, "Mainnet")
	got := m.ReadArchives()
	if len(got) != len(m.Validators) {
		t.Fatalf("Mainnet ReadArchives(): %d archives, want %d", len(got), len(m.Validators))
	}
	if want := (Archive{Name: "mainnet-sdf-1", Get: "curl -sf http://history.stellar.org/prd/core-live/core_live_001/{0} -o {1}"}); !slices.Contains(got, want) {
		t.Errorf("Mainnet ReadArchives() lacks %+v: %+v", want, got)
	}
	// Both can be used at once: core accepts the watcher with every archive.
	cfg := mustRender(t, with(watcher(t, "Mainnet"), func(c *Config) { c.Archives = got }))
	if ps := Check(cfg, Options{Passphrase: PassphraseMainnet}); len(ps) != 0 {
		t.Errorf("Check(Mainnet watcher with ReadArchives) = %v", ps)
	}
}

func TestHistoryGet(t *testing.T) {
	cases := map[string]struct {
		url, want string
	}{
		"HTTP":          {url: "http://alice-0.alice.team-a.svc.cluster.local:11627", want: "curl -sf http://alice-0.alice.team-a.svc.cluster.local:11627/{0} -o {1}"},
		"TrailingSlash": {url: "https://history.example.org/prd/node_001/", want: "curl -sf https://history.example.org/prd/node_001/{0} -o {1}"},
		"Shell":         {url: "http://h.example/;rm -rf /"},
		"Subshell":      {url: "http://h.example/$(id)"},
		"Placeholder":   {url: "http://h.example/{1}"},
		"Quote":         {url: "http://h.example/'"},
		"Scheme":        {url: "ftp://h.example/"},
		"UserInfo":      {url: "http://user@h.example/"},
		"Query":         {url: "http://h.example/?a=b"},
		"Empty":         {url: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := HistoryGet(tc.url)
			if (err != nil) != (tc.want == "") || got != tc.want {
				t.Errorf("HistoryGet(%q) = %q, %v; want %q", tc.url, got, err, tc.want)
			}
		})
	}
}

// TestRenderCaptiveCore: a captive core's config holds only what Horizon's
// and stellar-rpc's ledgerbackend accept in strict mode, the peers as
// PREFERRED_PEERS, and passes the checker.
func TestRenderCaptiveCore(t *testing.T) {
	c := with(watcher(t, "Testnet"), func(c *Config) {
		c.CaptiveCore = true
		c.PreferredPeers = []string{"bob-0.bob.team-a.svc.cluster.local:11625", "dave.example.org"}
		c.Archives = []Archive{{Name: "h1", Get: "curl -sf http://h1/{0} -o {1}"}}
	})
	got := mustRender(t, c)
	var doc map[string]any
	if err := toml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if diff := cmp.Diff([]string{"HISTORY", "HOME_DOMAINS", "NETWORK_PASSPHRASE", "PREFERRED_PEERS", "VALIDATORS"}, keys); diff != "" {
		t.Errorf("captive core keys: -want, +got:\n%s\n%s", diff, got)
	}
	wantPeers := []any{"bob-0.bob.team-a.svc.cluster.local:11625", "carol.validators.example.org:11625", "dave.example.org"}
	if diff := cmp.Diff(wantPeers, doc["PREFERRED_PEERS"]); diff != "" {
		t.Errorf("PREFERRED_PEERS: -want, +got:\n%s", diff)
	}
	if ps := Check(got, Options{Passphrase: PassphraseTestnet}); len(ps) != 0 {
		t.Errorf("Check(captive core) = %v\n%s", ps, got)
	}
}
