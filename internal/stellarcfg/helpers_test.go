package stellarcfg

import (
	"slices"
	"testing"
)

func mustPreset(t testing.TB, network string) Preset {
	t.Helper()
	p, err := PresetFor(network)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRender(t testing.TB, c Config) string {
	t.Helper()
	s, err := c.Render()
	if err != nil {
		t.Fatalf("Render(): %v", err)
	}
	return s
}

// watcher is a node of a network's preset, as the node step would compose
// it: the preset's quorum, whose validators carry the archives.
func watcher(t testing.TB, network string) Config {
	p := mustPreset(t, network)
	return Config{
		NetworkPassphrase: p.Passphrase, PeerPort: 11625, HTTPPort: 11626, PublicHTTPPort: true,
		Database: "sqlite3:///data/stellar.db", BucketDirPath: "/data/buckets",
		KnownPeers:  []string{"bob-0.bob.team-a.svc.cluster.local:11625", "carol.validators.example.org:11625"},
		HomeDomains: p.HomeDomains, Validators: p.Validators,
	}
}

// validator is a validator joining a network's preset from a domain of its
// own, at MEDIUM quality (a HIGH domain needs 3 validators).
func validator(t testing.TB, network string) Config {
	c := watcher(t, network)
	c.NodeIsValidator = true
	c.NodeHomeDomain = "alice.example.org"
	c.HomeDomains = append(slices.Clone(c.HomeDomains), HomeDomain{Domain: "alice.example.org", Quality: QualityMedium})
	return c
}

// Keys of stellar-core's docs/stellar-core_example_validators.cfg, for
// entries of our own.
const (
	keyA = "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYZ"
	keyB = "GBVZFVEARURUJTN5ABZPKW36FHKVJK2GHXEVY2SZCCNU5I3CQMTZ3OES"
	keyC = "GCWA2U5S4EL4NJDU2FS4UUMNMUDUBCGGYEEY2DMOOLKT74AZR6RKWSMG"
	keyD = "GDKL7ZSRR65GTILCE3BNO6XPCPAPGVYIMO3NIWSR6E7YS52KTJY6ZJL5"
	keyE = "GDXSTS4LLXNPIA4YWRGMZZU625CLVUNIZQJYXMKBF2K6K4EXGANW46CJ"
	keyF = "GAJVKIDFOVMJBA6QFOOTHRLNI4DXVZPQCMJ2GGPXFXROACDH6C4NOZSW"
)

// alicePublic is examples/claims' alice's publicKey. The examples' keys are
// ed25519 keys of the seed sha256("stellar-peers example <name>"): anyone can
// derive them, so no one may run a validator with them.
const alicePublic = "GBJNWFTRQZGTHXM7DIB67VYLMTB4RV4WEFJDNCOS4ZQJ5C3SSYLRHUFY"

// archivesOnly is a Testnet watcher without a quorum, with the preset's
// [HISTORY] tables, for cases that bring a QUORUM_SET.
func archivesOnly(t testing.TB) string {
	return mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
		c.HomeDomains, c.Validators = nil, nil
		c.Archives = mustPreset(t, "Testnet").Archives
	}))
}

func with(c Config, change func(*Config)) Config {
	c.HomeDomains = slices.Clone(c.HomeDomains)
	c.Validators = slices.Clone(c.Validators)
	c.Archives = slices.Clone(c.Archives)
	change(&c)
	return c
}
