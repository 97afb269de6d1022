package stellarcfg

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// finding is what a case asserts of a Problem: where, which rule, how bad.
type finding struct {
	Key   string
	Rule  Rule
	Fatal bool
}

func findings(ps []Problem) []finding {
	out := []finding{}
	for _, p := range ps {
		out = append(out, finding{p.Key, p.Rule, p.Fatal})
	}
	return out
}

func fatal(key string, rule Rule) finding   { return finding{key, rule, true} }
func warning(key string, rule Rule) finding { return finding{key, rule, false} }

// goldenConfig is the stellar-core.cfg in examples/render/node's golden:
// alice, a Testnet validator, as the node step renders her today.
func goldenConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/render/node/rendered.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var obj struct {
			Kind string            `json:"kind"`
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if cfg, ok := obj.Data["stellar-core.cfg"]; ok && obj.Kind == "ConfigMap" {
			return cfg
		}
	}
	t.Fatal("no stellar-core.cfg in the golden")
	return ""
}

// before is how the node step rendered examples/claims' nodes before it
// checked them (internal/peers' CoreConfig, removed since): kept to show
// why core refused every one of them.
func before(nodeIsValidator bool, homeDomain, quorumSet string) string {
	cfg := "# Rendered by function-stellar-peers.\n" +
		"NETWORK_PASSPHRASE = \"Test SDF Network ; September 2015\"\nPEER_PORT = 11625\nHTTP_PORT = 11626\nPUBLIC_HTTP_PORT = true\n"
	if nodeIsValidator {
		cfg += "NODE_IS_VALIDATOR = true\n"
	} else {
		cfg += "NODE_IS_VALIDATOR = false\n"
	}
	if homeDomain != "" {
		cfg += "NODE_HOME_DOMAIN = \"" + homeDomain + "\"\n"
	}
	cfg += "DATABASE = \"sqlite3:///data/stellar.db\"\nBUCKET_DIR_PATH = \"/data/buckets\"\n" +
		"KNOWN_PEERS = [\n  \"alice-0.alice.team-a.svc.cluster.local:11625\"\n]\n"
	if quorumSet != "" {
		cfg += "\n" + quorumSet + "\n"
	}
	return cfg
}

func TestCheck(t *testing.T) {
	testnet := Options{Passphrase: PassphraseTestnet, SeedAtStart: true}
	mainnet := Options{Passphrase: PassphraseMainnet, SeedAtStart: true}
	seedLine := "NODE_SEED = \"" + quickReferenceSeed + "\"\n"
	unsafeValidator := with(validator(t, "Testnet"), func(c *Config) { c.UnsafeQuorum = true })

	cases := map[string]struct {
		reason string
		cfg    string
		opts   Options
		want   []finding
	}{
		// Configs core accepts.
		"TestnetWatcher": {
			reason: "The Testnet preset is docs/stellar-core_testnet.cfg, which core's own tests load.",
			cfg:    mustRender(t, watcher(t, "Testnet")), opts: testnet,
		},
		"TestnetValidatorUnsafe": {
			reason: "A validator joining Testnet from its own domain is what docs/stellar-core_testnet_validator.cfg configures, with UNSAFE_QUORUM.",
			cfg:    mustRender(t, unsafeValidator), opts: testnet,
		},
		"TestnetWithArchives": {
			reason: "The preset's [HISTORY.h1-3] tables do not clash with the archives its validators add.",
			cfg:    mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = mustPreset(t, "Testnet").Archives })), opts: testnet,
		},
		"TestnetArchivesOnlyLegacyQuorumSet": {
			reason: "The legacy form of docs/stellar-core_testnet_legacy.cfg: a QUORUM_SET of the Testnet keys and [HISTORY] tables.",
			cfg: "UNSAFE_QUORUM = true\nFAILURE_SAFETY = 1\n" + archivesOnly(t) + "\n[QUORUM_SET]\nTHRESHOLD_PERCENT = 51\nVALIDATORS = [" +
				"'GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y sdf1', 'GCUCJTIYXSOXKBSNFGNFWW5MUQ54HKRPGJUTQFJ5RQXZXNOLNXYDHRAP sdf2', " +
				"'GC2V2EFSXN6SQTWVYA5EPJPBWWIMSD2XQNKUOHGEKB535AQE2I6IXV2Z sdf3']\n",
			opts: testnet,
		},
		"MainnetWatcher": {
			reason: "The Mainnet preset: 7 HIGH organizations of 3 validators, each with an archive.",
			cfg:    mustRender(t, watcher(t, "Mainnet")), opts: mainnet,
		},
		"MainnetValidator": {
			reason: "With 7 organizations the quorum tolerates failures: a MEDIUM validator of its own domain needs no UNSAFE_QUORUM.",
			cfg:    mustRender(t, validator(t, "Mainnet")), opts: mainnet,
		},
		"FuturenetWatcher": {
			cfg: mustRender(t, watcher(t, "Futurenet")), opts: Options{Passphrase: PassphraseFuturenet},
		},
		"FuturenetValidatorUnsafe": {
			cfg:  mustRender(t, with(validator(t, "Futurenet"), func(c *Config) { c.UnsafeQuorum = true })),
			opts: Options{Passphrase: PassphraseFuturenet, SeedAtStart: true},
		},
		"SeedPresent": {
			reason: "The init script prepends NODE_SEED; its key matches the node's declared public key.",
			cfg:    seedLine + mustRender(t, unsafeValidator),
			opts:   Options{Passphrase: PassphraseTestnet, NodePublicKey: quickReferencePublic},
		},
		"SeedWithName": {
			reason: "NODE_SEED may name the node, as docs/stellar-core_example.cfg does.",
			cfg:    "NODE_SEED = \"" + quickReferenceSeed + " self\"\n" + mustRender(t, unsafeValidator),
			opts:   Options{Passphrase: PassphraseTestnet},
		},
		"RawQuorumAddsAnOrganization": {
			reason: "A quorumSet escape hatch adding a HIGH organization of 3 validators with archives is checked and accepted.",
			cfg: mustRender(t, with(unsafeValidator, func(c *Config) {
				c.QuorumTOML = `[[HOME_DOMAINS]]
HOME_DOMAIN = "bob.example.org"
QUALITY = "HIGH"
[[VALIDATORS]]
NAME = "bob1"
HOME_DOMAIN = "bob.example.org"
PUBLIC_KEY = "` + keyA + `"
HISTORY = "curl -sf https://bob1.example.org/{0} -o {1}"
[[VALIDATORS]]
NAME = "bob2"
HOME_DOMAIN = "bob.example.org"
PUBLIC_KEY = "` + keyB + `"
HISTORY = "curl -sf https://bob2.example.org/{0} -o {1}"
[[VALIDATORS]]
NAME = "bob3"
HOME_DOMAIN = "bob.example.org"
PUBLIC_KEY = "` + keyC + `"
HISTORY = "curl -sf https://bob3.example.org/{0} -o {1}"
ADDRESS = "bob3.example.org:11625"
`
			})),
			opts: testnet,
		},
		"Standalone": {
			reason: "RUN_STANDALONE needs no archive to read (checkSensibleConfig); the node names itself and is its own quorum.",
			cfg: "RUN_STANDALONE = true\nUNSAFE_QUORUM = true\nNODE_IS_VALIDATOR = true\nNODE_SEED = '" + quickReferenceSeed + " self'\n" +
				"NETWORK_PASSPHRASE = 'Standalone Network ; February 2017'\n\n[QUORUM_SET]\nVALIDATORS = ['$self']\n",
		},

		// examples/render/node's alice as the node step renders her.
		"AliceGolden": {
			reason: "examples/render/node's alice: a Testnet validator of her own domain with the Testnet preset and UNSAFE_QUORUM, as core's testnet validator example.",
			cfg:    goldenConfig(t), opts: Options{Passphrase: PassphraseTestnet, SeedAtStart: true, NodePublicKey: alicePublic},
		},

		// Configs the node step rendered before it checked them.
		"BeforeAlice": {
			reason: "alice before issue 13: a validator whose NODE_HOME_DOMAIN has no [[HOME_DOMAINS]] entry and no archive at all.",
			cfg:    before(true, "alice.example.org", ""), opts: testnet,
			want: []finding{fatal("NODE_HOME_DOMAIN", RuleSelfHomeDomain), fatal("HISTORY", RuleNoReadableArchive)},
		},
		"BeforeCarol": {
			reason: "carol rendered like alice: refused for the same two reasons.",
			cfg:    before(true, "carol.example.org", ""), opts: testnet,
			want: []finding{fatal("NODE_HOME_DOMAIN", RuleSelfHomeDomain), fatal("HISTORY", RuleNoReadableArchive)},
		},
		"BeforeWatcher": {
			reason: "examples/claims' watcher: no quorum at all and no archive.",
			cfg:    before(false, "", ""), opts: testnet,
			want: []finding{fatal("VALIDATORS", RuleQuorumEmpty), fatal("HISTORY", RuleNoReadableArchive)},
		},
		"BeforeQuorumSetHighAlone": {
			reason: "The quorumSet internal/peers' test rendered: the validator alone in a HIGH domain.",
			cfg:    before(true, "example.org", "[[HOME_DOMAINS]]\nHOME_DOMAIN = \"example.org\"\nQUALITY = \"HIGH\""), opts: testnet,
			want: []finding{fatal("NODE_HOME_DOMAIN", RuleRedundancy), fatal("HISTORY", RuleNoReadableArchive)},
		},

		// Required keys and the node's identity.
		"ValidatorWithoutHomeDomain": {
			cfg:  mustRender(t, with(unsafeValidator, func(c *Config) { c.NodeHomeDomain = "" })),
			opts: testnet, want: []finding{fatal("NODE_HOME_DOMAIN", RuleNodeHomeDomain)},
		},
		"SeedMissing": {
			reason: "Without SeedAtStart a validator config must carry NODE_SEED, or core makes up a new identity at every start.",
			cfg:    mustRender(t, unsafeValidator), opts: Options{Passphrase: PassphraseTestnet},
			want: []finding{warning("NODE_SEED", RuleSeedMissing)},
		},
		"SeedChecksum": {
			cfg:  "NODE_SEED = \"" + quickReferenceSeed[:10] + "A" + quickReferenceSeed[11:] + "\"\n" + mustRender(t, unsafeValidator),
			opts: testnet, want: []finding{fatal("NODE_SEED", RuleSeed)},
		},
		"SeedIsPublicKey": {
			cfg:  "NODE_SEED = \"" + quickReferencePublic + "\"\n" + mustRender(t, unsafeValidator),
			opts: testnet, want: []finding{fatal("NODE_SEED", RuleSeed)},
		},
		"SeedAlias": {
			cfg:  "NODE_SEED = \"$self\"\n" + mustRender(t, unsafeValidator),
			opts: testnet, want: []finding{fatal("NODE_SEED", RuleSeed)},
		},
		"SeedOfAnotherNode": {
			reason: "The Secret holds the seed of another key than the claim's publicKey.",
			cfg:    seedLine + mustRender(t, unsafeValidator),
			opts:   Options{Passphrase: PassphraseTestnet, NodePublicKey: keyA},
			want:   []finding{warning("NODE_SEED", RuleSeed)},
		},
		"ExternalSeedOnMainnet": {
			cfg:  "NODE_SEED = \"$FILE:/etc/stellar/seed\"\n" + mustRender(t, validator(t, "Mainnet")),
			opts: mainnet, want: []finding{fatal("NODE_SEED", RuleExternalSecret)},
		},
		"PassphraseOfAnotherNetwork": {
			cfg: mustRender(t, watcher(t, "Testnet")), opts: mainnet,
			want: []finding{fatal("NETWORK_PASSPHRASE", RulePassphrase)},
		},
		"PassphraseEmpty": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.NetworkPassphrase = "" })),
			want: []finding{fatal("NETWORK_PASSPHRASE", RulePassphrase)},
		},
		"PeerPortZero": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.PeerPort = 0 })),
			opts: testnet, want: []finding{fatal("PEER_PORT", RuleRange)},
		},
		"HTTPPortTooLarge": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.HTTPPort = 70000 })),
			opts: testnet, want: []finding{fatal("HTTP_PORT", RuleRange)},
		},
		"PeerPortString": {
			cfg:  strings.Replace(mustRender(t, watcher(t, "Testnet")), "PEER_PORT = 11625", "PEER_PORT = '11625'", 1),
			opts: testnet, want: []finding{fatal("PEER_PORT", RuleType)},
		},
		"UnknownKey": {
			cfg:  "KNOWN_PEER = ['a.example']\n" + mustRender(t, watcher(t, "Testnet")),
			opts: testnet, want: []finding{fatal("KNOWN_PEER", RuleUnknownKey)},
		},
		"TestOnlyKey": {
			cfg:  "SKIP_HIGH_CRITICAL_VALIDATOR_CHECKS_FOR_TESTING = true\n" + mustRender(t, watcher(t, "Testnet")),
			opts: testnet, want: []finding{fatal("SKIP_HIGH_CRITICAL_VALIDATOR_CHECKS_FOR_TESTING", RuleUnknownKey)},
		},
		"NotTOML": {
			cfg:  mustRender(t, watcher(t, "Testnet")) + "KNOWN_PEERS = [\n",
			opts: testnet, want: []finding{fatal("", RuleTOML)},
		},

		// Public keys and names.
		"PublicKeyChecksum": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators[1].PublicKey = c.Validators[1].PublicKey[:20] + "A" + c.Validators[1].PublicKey[21:]
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[1].PUBLIC_KEY", RuleStrKey)},
		},
		"PublicKeyLowercase": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators[0].PublicKey = strings.ToLower(c.Validators[0].PublicKey)
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[0].PUBLIC_KEY", RuleStrKey)},
		},
		"PublicKeyIsSeed": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators[2].PublicKey = quickReferenceSeed
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[2].PUBLIC_KEY", RuleStrKey)},
		},
		"DuplicateName": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators[2].Name = c.Validators[0].Name
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[2].NAME", RuleDuplicateName)},
		},
		"DuplicateKey": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators[2].PublicKey = c.Validators[0].PublicKey
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[2].PUBLIC_KEY", RuleDuplicateKey)},
		},
		"SeedNameTaken": {
			reason: "NODE_SEED names the node sdftest1, and a validator has that name.",
			cfg:    "NODE_SEED = \"" + quickReferenceSeed + " sdftest1\"\n" + mustRender(t, unsafeValidator),
			opts:   testnet, want: []finding{fatal("VALIDATORS[0].NAME", RuleDuplicateName)},
		},
		"ValidatorListsItself": {
			reason: "includeDirectory must leave the node out: core counts it in its quorum already.",
			cfg: mustRender(t, with(unsafeValidator, func(c *Config) {
				c.Validators = append(c.Validators, Validator{Name: "alice", HomeDomain: "alice.example.org", PublicKey: quickReferencePublic})
			})),
			opts: Options{Passphrase: PassphraseTestnet, SeedAtStart: true, NodePublicKey: quickReferencePublic},
			want: []finding{fatal("VALIDATORS[3].PUBLIC_KEY", RuleDuplicateKey)},
		},

		"PreferredPeerKeyBad": {
			cfg:  "PREFERRED_PEER_KEYS = ['$sdftest1', '" + keyA[:55] + "B']\n" + mustRender(t, watcher(t, "Testnet")),
			opts: testnet, want: []finding{fatal("PREFERRED_PEER_KEYS[1]", RuleStrKey)},
		},
		"NodeNamesTakenName": {
			cfg:  "NODE_NAMES = ['" + keyA + " sdftest2']\n" + mustRender(t, watcher(t, "Testnet")),
			opts: testnet, want: []finding{fatal("VALIDATORS[1].NAME", RuleDuplicateName)},
		},

		// Home domains and qualities.
		"HomeDomainsNotTables": {
			cfg:  "HOME_DOMAINS = 'testnet.stellar.org'\n" + mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.HomeDomains = nil })),
			opts: testnet, want: []finding{fatal("HOME_DOMAINS", RuleHomeDomains)},
		},
		"UnknownQuality": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.HomeDomains[0].Quality = "TOP" })),
			opts: testnet, want: []finding{fatal("HOME_DOMAINS[0].QUALITY", RuleQuality)},
		},
		"DuplicateHomeDomain": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.HomeDomains = append(c.HomeDomains, HomeDomain{Domain: "testnet.stellar.org", Quality: QualityHigh})
			})),
			opts: testnet, want: []finding{fatal("HOME_DOMAINS[1].HOME_DOMAIN", RuleHomeDomains)},
		},
		"HomeDomainWithoutQuality": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.HomeDomains[0].Quality = "" })),
			opts: testnet, want: []finding{fatal("HOME_DOMAINS[0].QUALITY", RuleQuality)},
		},
		"HomeDomainMissingQualityKey": {
			cfg:  strings.Replace(mustRender(t, watcher(t, "Testnet")), "QUALITY = 'HIGH'\n", "", 1),
			opts: testnet, want: []finding{fatal("HOME_DOMAINS[0].QUALITY", RuleHomeDomains)},
		},
		"QualityTwice": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[0].Quality = QualityHigh })),
			opts: testnet, want: []finding{fatal("VALIDATORS[0].QUALITY", RuleValidatorQuality)},
		},
		"QualityMissing": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators = append(c.Validators, Validator{Name: "x1", HomeDomain: "x.example", PublicKey: keyA})
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[3].QUALITY", RuleValidatorQuality)},
		},
		"HighWithoutHistory": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[1].History = "" })),
			opts: testnet, want: []finding{fatal("VALIDATORS[1].HISTORY", RuleHighNeedsHistory)},
		},
		"HighDomainOfTwo": {
			reason: "Core needs at least 3 validators in a HIGH or CRITICAL domain.",
			cfg:    mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators = c.Validators[:2] })),
			opts:   testnet, want: []finding{fatal("VALIDATORS[0].HOME_DOMAIN", RuleRedundancy)},
		},
		"OwnDomainHighAlone": {
			cfg: mustRender(t, with(unsafeValidator, func(c *Config) {
				c.HomeDomains[1].Quality = QualityHigh
			})),
			opts: testnet, want: []finding{fatal("NODE_HOME_DOMAIN", RuleRedundancy)},
		},
		"DomainOfTwoQualities": {
			reason: "Without a HOME_DOMAINS entry, one domain's validators give different QUALITYs.",
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.Validators = append(c.Validators,
					Validator{Name: "x1", HomeDomain: "x.example", PublicKey: keyA, Quality: QualityMedium},
					Validator{Name: "x2", HomeDomain: "x.example", PublicKey: keyB, Quality: QualityLow})
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS[4].QUALITY", RuleDomainQuality)},
		},
		"AllLow": {
			reason: "A validator whose quorum is all LOW, as core's own test of this rule (with UNSAFE_QUORUM).",
			cfg: mustRender(t, Config{
				NetworkPassphrase: PassphraseTestnet, PeerPort: 11625, HTTPPort: 11626, NodeIsValidator: true,
				NodeHomeDomain: "domain", UnsafeQuorum: true, Database: "sqlite3:///data/stellar.db", BucketDirPath: "/data/buckets",
				HomeDomains: []HomeDomain{{Domain: "domain", Quality: QualityLow}},
				Validators: []Validator{
					{Name: "a1", HomeDomain: "domain", PublicKey: keyA, History: "curl -sf https://a1/{0} -o {1}"},
					{Name: "a2", HomeDomain: "domain", PublicKey: keyB},
				},
			}),
			opts: testnet, want: []finding{fatal("VALIDATORS", RuleQualityAboveLow)},
		},

		// Malformed entries.
		"ValidatorUnknownField": {
			cfg:  mustRender(t, watcher(t, "Testnet")) + "\n[[VALIDATORS]]\nNAME = 'x'\nHOME_DOMAIN = 'testnet.stellar.org'\nPUBLIC_KEY = '" + keyA + "'\nHISTORY = 'curl {0} -o {1}'\nPORT = 11625\n",
			opts: testnet, want: []finding{fatal("VALIDATORS[3].PORT", RuleValidator)},
		},
		"ValidatorWithoutName": {
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[0].Name = "" })),
			// Without a name the archive in HISTORY is not added either.
			opts: testnet, want: []finding{fatal("VALIDATORS[0].NAME", RuleValidator)},
		},
		"ValidatorWithoutKey": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[0].PublicKey = "" })),
			opts: testnet, want: []finding{fatal("VALIDATORS[0].PUBLIC_KEY", RuleValidator)},
		},
		"EmptyValidatorsArray": {
			reason: "cpptoml reads VALIDATORS = [] as a plain array, which core refuses.",
			cfg:    "VALIDATORS = []\n" + archivesOnly(t),
			opts:   testnet, want: []finding{fatal("VALIDATORS", RuleValidator)},
		},

		// Quorum as a whole.
		"NoUnsafeQuorumOnTestnet": {
			reason: "A validator of its own domain next to one organization: the quorum tolerates no failure.",
			cfg:    mustRender(t, validator(t, "Testnet")), opts: testnet,
			want: []finding{fatal("UNSAFE_QUORUM", RuleUnsafeQuorum)},
		},
		"FailureSafetyTooHigh": {
			reason: "Mainnet's quorum breaks when 6 validators (2 of each of 3 organizations) fail.",
			cfg:    "FAILURE_SAFETY = 6\n" + mustRender(t, watcher(t, "Mainnet")),
			opts:   mainnet, want: []finding{fatal("FAILURE_SAFETY", RuleFailureSafety)},
		},
		"FailureSafetyOutOfRange": {
			cfg:  "FAILURE_SAFETY = -2\n" + mustRender(t, watcher(t, "Mainnet")),
			opts: mainnet, want: []finding{fatal("FAILURE_SAFETY", RuleRange)},
		},
		"ArchivesNotBlocking": {
			reason: "Four MEDIUM organizations, one with archives: a quorum forms without it.",
			cfg: mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.HomeDomains = []HomeDomain{{"a.example", QualityMedium}, {"b.example", QualityMedium}, {"c.example", QualityMedium}, {"d.example", QualityMedium}}
				c.Validators = []Validator{
					{Name: "a1", HomeDomain: "a.example", PublicKey: keyA, History: "curl -sf https://a1/{0} -o {1}"},
					{Name: "b1", HomeDomain: "b.example", PublicKey: keyB},
					{Name: "c1", HomeDomain: "c.example", PublicKey: keyC},
					{Name: "d1", HomeDomain: "d.example", PublicKey: keyD},
				}
			})),
			opts: testnet, want: []finding{fatal("VALIDATORS", RuleHistoryBlocking)},
		},
		"QuorumSetOverridesValidators": {
			cfg:  mustRender(t, watcher(t, "Testnet")) + "\n[QUORUM_SET]\nVALIDATORS = ['$sdftest1', '$sdftest2']\n",
			opts: testnet, want: []finding{fatal("QUORUM_SET", RuleQuorumOverride)},
		},
		"QuorumSetThresholdTooLow": {
			cfg:  "FAILURE_SAFETY = 1\n" + archivesOnly(t) + "\n[QUORUM_SET]\nTHRESHOLD_PERCENT = 30\nVALIDATORS = ['" + keyA + "', '" + keyB + "', '" + keyC + "']\n",
			opts: testnet, want: []finding{fatal("QUORUM_SET", RuleThreshold)},
		},
		"QuorumSetUnknownAlias": {
			cfg:  archivesOnly(t) + "\n[QUORUM_SET]\nVALIDATORS = ['$nobody']\n",
			opts: testnet, want: []finding{fatal("QUORUM_SET.VALIDATORS[0]", RuleNodeID)},
		},
		"QuorumSetTooDeep": {
			cfg:  archivesOnly(t) + "\n[QUORUM_SET.1.1.1.1.1]\nVALIDATORS = ['" + keyA + "']\n",
			opts: testnet, want: []finding{fatal("QUORUM_SET.1.1.1.1.1", RuleQuorumSet)},
		},
		"QuorumSetDuplicateNode": {
			cfg: "UNSAFE_QUORUM = true\n" + archivesOnly(t) +
				"\n[QUORUM_SET]\nVALIDATORS = ['" + keyA + "', '" + keyB + "']\n[QUORUM_SET.1]\nVALIDATORS = ['" + keyA + "', '" + keyC + "']\n",
			opts: testnet, want: []finding{fatal("QUORUM_SET", RuleQuorumSanity)},
		},

		// History.
		"NoArchive": {
			reason: "MEDIUM validators need no archive, but then the node has nothing to catch up from (and the quorum is reachable without archives).",
			cfg: "UNSAFE_QUORUM = true\n" + mustRender(t, with(watcher(t, "Testnet"), func(c *Config) {
				c.HomeDomains[0].Quality = QualityMedium
				for i := range c.Validators {
					c.Validators[i].History = ""
				}
			})),
			opts: testnet, want: []finding{fatal("HISTORY", RuleNoReadableArchive)},
		},
		"ArchivePutOnly": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = []Archive{{Name: "mine", Put: "aws s3 cp {0} s3://bucket/{1}"}} })),
			opts: testnet, want: []finding{fatal("HISTORY.mine", RuleArchive)},
		},
		"ArchiveInert": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = []Archive{{Name: "mine", Mkdir: "mkdir -p {0}"}} })),
			opts: testnet, want: []finding{fatal("HISTORY.mine", RuleArchive)},
		},
		"ArchiveGetWithoutLocalPath": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = []Archive{{Name: "mine", Get: "curl -sf https://h.example/{0}"}} })),
			opts: testnet, want: []finding{warning("HISTORY.mine.get", RuleArchiveCommand)},
		},
		"ArchiveGetBadPlaceholder": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = []Archive{{Name: "mine", Get: "curl {0} -o {2}"}} })),
			opts: testnet, want: []finding{warning("HISTORY.mine.get", RuleArchiveCommand)},
		},
		"ValidatorHistoryUnbalanced": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[0].History = "curl {0 -o {1}" })),
			opts: testnet, want: []finding{warning("VALIDATORS[0].HISTORY", RuleArchiveCommand)},
		},
		"ArchiveNameClash": {
			reason: "Core adds each validator's HISTORY as an archive named after it, so [HISTORY.sdftest1] clashes.",
			cfg:    mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Archives = []Archive{{Name: "sdftest1", Get: "curl {0} -o {1}"}} })),
			opts:   testnet, want: []finding{fatal("VALIDATORS[0].NAME", RuleArchiveName)},
		},
		"HistoryNotTable": {
			cfg:  "HISTORY = 'curl {0} -o {1}'\n" + mustRender(t, watcher(t, "Testnet")),
			opts: testnet, want: []finding{fatal("HISTORY", RuleHistory)},
		},
		"ArchiveUnknownField": {
			cfg:  mustRender(t, watcher(t, "Testnet")) + "\n[HISTORY.mine]\nget = 'curl {0} -o {1}'\nurl = 'https://h.example'\n",
			opts: testnet, want: []finding{fatal("HISTORY.mine.url", RuleHistory)},
		},
		"ArchiveGetNotString": {
			cfg:  mustRender(t, watcher(t, "Testnet")) + "\n[HISTORY.mine]\nget = ['curl', '{0}']\n",
			opts: testnet, want: []finding{fatal("HISTORY.mine.get", RuleType), fatal("HISTORY.mine", RuleArchive)},
		},

		// Peer addresses.
		"KnownPeerWithScheme": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.KnownPeers = []string{"tcp://a.example:11625"} })),
			opts: testnet, want: []finding{warning("KNOWN_PEERS[0]", RulePeerAddress)},
		},
		"KnownPeerIPv6": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.KnownPeers = []string{"a.example", "[2001:db8::1]:11625"} })),
			opts: testnet, want: []finding{warning("KNOWN_PEERS[1]", RulePeerAddress)},
		},
		"KnownPeerPortTooLarge": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.KnownPeers = []string{"a.example:70000"} })),
			opts: testnet, want: []finding{warning("KNOWN_PEERS[0]", RulePeerAddress)},
		},
		"PreferredPeerBadIPv4": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.PreferredPeers = []string{"10.0.0.1:11625", "300.1.2.3"} })),
			opts: testnet, want: []finding{warning("PREFERRED_PEERS[1]", RulePeerAddress)},
		},
		"ValidatorAddressTwoPorts": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.Validators[2].Address = "core-testnet3.stellar.org:11625:1" })),
			opts: testnet, want: []finding{warning("VALIDATORS[2].ADDRESS", RulePeerAddress)},
		},
		"PeerPortZeroInAddress": {
			cfg:  mustRender(t, with(watcher(t, "Testnet"), func(c *Config) { c.KnownPeers = []string{"1.2.3.4:0"} })),
			opts: testnet, want: []finding{warning("KNOWN_PEERS[0]", RulePeerAddress)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = []finding{}
			}
			got := Check(tc.cfg, tc.opts)
			if diff := cmp.Diff(want, findings(got)); diff != "" {
				t.Errorf("%s\nCheck(): -want, +got:\n%s\nproblems: %v", tc.reason, diff, got)
			}
		})
	}
}
