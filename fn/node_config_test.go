package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
)

// Keys of stellar-core's docs/stellar-core_example_validators.cfg, for
// validators a claim lists itself.
const (
	docsKeyA = "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYZ"
	docsKeyB = "GBVZFVEARURUJTN5ABZPKW36FHKVJK2GHXEVY2SZCCNU5I3CQMTZ3OES"
	docsKeyC = "GCWA2U5S4EL4NJDU2FS4UUMNMUDUBCGGYEEY2DMOOLKT74AZR6RKWSMG"
	// aliceKey is examples/claims' alice's.
	aliceKey = "GBJNWFTRQZGTHXM7DIB67VYLMTB4RV4WEFJDNCOS4ZQJ5C3SSYLRHUFY"
)

// found is what a case asserts of a finding: the claim field to fix, the
// rule, and whether core would refuse to start.
type found struct {
	Field string
	Rule  stellarcfg.Rule
	Fatal bool
}

func refuses(field string, rule stellarcfg.Rule) found { return found{field, rule, true} }
func warns(field string, rule stellarcfg.Rule) found   { return found{field, rule, false} }

// acmeMembers are the two other validators of a HIGH organization, as
// includeDirectory finds them on their peer cards.
func acmeMembers(history bool) []member {
	ms := []member{
		{card: "acme/acme-2-peer-card", name: "acme.acme-2", publicKey: docsKeyA, homeDomain: "acme.example.com", quality: stellarcfg.QualityHigh},
		{card: "acme/acme-3-peer-card", name: "acme.acme-3", publicKey: docsKeyB, homeDomain: "acme.example.com", quality: stellarcfg.QualityHigh},
	}
	if history {
		ms[0].history = "curl -sf http://acme-2-0.acme-2.acme.svc.cluster.local:11627/{0} -o {1}"
		ms[1].history = "curl -sf http://acme-3-0.acme-3.acme.svc.cluster.local:11627/{0} -o {1}"
	}
	return ms
}

// TestNodeConfigChecked: the node step checks every config it renders, and
// names the claim field behind each rule the config breaks.
func TestNodeConfigChecked(t *testing.T) {
	const seed = `"seedSecretRef": {"name": "s"}`
	const explicitOrg = `"quorum": {"unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "HIGH"}], "validators": [` +
		`{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `", "history": "https://o1.org.example/archive"},` +
		`{"name": "o2", "homeDomain": "org.example", "publicKey": "` + docsKeyB + `", "history": "curl -sf https://o2.org.example/{0} -o {1}"},` +
		`{"name": "o3", "homeDomain": "org.example", "publicKey": "` + docsKeyC + `", "history": "https://o3.org.example", "address": "o3.org.example:11625"}]}`
	cases := map[string]struct {
		reason   string
		nodeType string
		network  string
		spec     string
		members  []member
		want     []found
	}{
		// Claims core accepts.
		"TestnetValidator": {
			reason: "A validator of its own domain with the Testnet preset and UNSAFE_QUORUM, as core's testnet validator example.",
		},
		"MainnetValidator": {
			reason:  "Mainnet's 7 organizations tolerate failures: no UNSAFE_QUORUM needed.",
			network: "Mainnet", spec: `"quorum": {"preset": "Mainnet"}`,
		},
		"MainnetValidatorPublishing": {
			reason:  "examples/claims' dave: publishing to the local archive, served by the sidecar.",
			network: "Mainnet", spec: `"quorum": {"preset": "Mainnet"}, "history": {"publish": true, "publicURL": "https://history.dave.example.org"}`,
		},
		"TestnetWatcher": {
			nodeType: "Watcher", spec: `"quorum": {"preset": "Testnet"}`,
		},
		"LowerCaseNetwork": {
			reason:  "The operator's serde form of the network takes the same preset.",
			network: "testnet", spec: `"quorum": {"preset": "testnet", "unsafe": true}`,
		},
		"ExplicitOrganizationOnCustom": {
			reason:  "A Custom network from explicit entries: a HIGH organization of 3 whose archives are URLs or commands.",
			network: "Custom", spec: `"networkPassphrase": "Acme Net ; 2026", ` + explicitOrg,
		},
		"QuorumSetEscapeHatch": {
			reason: "validator.quorumSet adds an organization, parsed and checked like the rest.",
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quorumSet": "[[HOME_DOMAINS]]\nHOME_DOMAIN = 'org.example'\nQUALITY = 'MEDIUM'\n` +
				`[[VALIDATORS]]\nNAME = 'o1'\nHOME_DOMAIN = 'org.example'\nPUBLIC_KEY = '` + docsKeyA + `'\n"}`,
		},
		"OrganizationMember": {
			reason:  "A HIGH validator that publishes and finds the two others of its organization, with their archives, in the directory.",
			spec:    `"validator": {` + seed + `, "homeDomain": "acme.example.com", "quality": "HIGH"}, "quorum": {"preset": "Testnet", "includeDirectory": true, "unsafe": true}, "history": {"publish": true}`,
			members: acmeMembers(true),
		},
		"HistoryPreset": {
			reason:  "A node with a quorum of its own reads the network's archives from history.preset.",
			network: "Mainnet", spec: `"quorum": {"homeDomains": [{"domain": "org.example", "quality": "MEDIUM"}], "validators": [{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `"}], "unsafe": true}, "history": {"preset": "Mainnet"}`,
		},
		"HorizonCaptiveCore": {
			reason:   "A Horizon node's captive-core config.",
			nodeType: "Horizon", spec: `"quorum": {"preset": "Testnet"}`,
		},

		// Claims core would refuse, each naming the field to fix.
		"ValidatorWithoutHomeDomain": {
			spec: `"validator": {` + seed + `}`,
			want: []found{refuses("spec.validator.homeDomain", stellarcfg.RuleNodeHomeDomain)},
		},
		"TestnetWithoutUnsafe": {
			reason: "One organization runs Testnet: joining it from a domain of one's own tolerates no failure.",
			spec:   `"quorum": {"preset": "Testnet"}`,
			want:   []found{refuses("spec.quorum.unsafe", stellarcfg.RuleUnsafeQuorum)},
		},
		"NoQuorum": {
			reason:   "A watcher with no quorum: none at all, and no archive to read.",
			nodeType: "Watcher", spec: `"quorum": {}`,
			want: []found{refuses("spec.quorum", stellarcfg.RuleQuorumEmpty), refuses("spec.history", stellarcfg.RuleNoReadableArchive)},
		},
		"PresetOfAnotherNetwork": {
			spec: `"quorum": {"preset": "Mainnet", "unsafe": true}`,
			want: []found{refuses("spec.quorum.preset", rulePresetNetwork), refuses("spec.history", stellarcfg.RuleNoReadableArchive)},
		},
		"HistoryPresetOfAnotherNetwork": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true}, "history": {"preset": "Mainnet"}`,
			want: []found{refuses("spec.history.preset", rulePresetNetwork)},
		},
		"HighAloneNotPublishing": {
			reason: "A HIGH validator alone in its domain that publishes nothing.",
			spec:   `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quality": "HIGH"}, "quorum": {"preset": "Testnet", "unsafe": true}`,
			want:   []found{refuses("spec.history.publish", ruleMustPublish), refuses("spec.validator.quality", stellarcfg.RuleRedundancy)},
		},
		"OwnQualityContradicted": {
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quality": "LOW"}, "quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "alice.example.org", "quality": "MEDIUM"}]}`,
			want: []found{refuses("spec.validator.quality", ruleOwnQuality)},
		},
		"PublicKeyChecksum": {
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "publicKey": "GBJNWFTRQZGTHXM7DIB67VYLMTB4RV4WEFJDNCOS4ZQJ5C3SSYLRHUFA"}`,
			want: []found{refuses("spec.validator.publicKey", stellarcfg.RuleStrKey)},
		},
		"ListsItself": {
			reason: "The node is in its own quorum already.",
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "publicKey": "` + aliceKey + `"}, ` +
				`"quorum": {"preset": "Testnet", "unsafe": true, "validators": [{"name": "me", "homeDomain": "alice.example.org", "publicKey": "` + aliceKey + `"}]}`,
			want: []found{refuses("spec.quorum.validators[0].publicKey", stellarcfg.RuleDuplicateKey)},
		},
		"ValidatorKeyChecksum": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "MEDIUM"}], ` +
				`"validators": [{"name": "o1", "homeDomain": "org.example", "publicKey": "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYA"}]}`,
			want: []found{refuses("spec.quorum.validators[0].publicKey", stellarcfg.RuleStrKey)},
		},
		"ValidatorDomainWithoutQuality": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "validators": [{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `"}]}`,
			want: []found{refuses("spec.quorum.homeDomains", stellarcfg.RuleValidatorQuality)},
		},
		"ValidatorNameTaken": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "MEDIUM"}], ` +
				`"validators": [{"name": "sdftest1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `"}]}`,
			want: []found{refuses("spec.quorum.preset", stellarcfg.RuleDuplicateName)},
		},
		"HighValidatorsWithoutHistory": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "HIGH"}], "validators": [` +
				`{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `"},` +
				`{"name": "o2", "homeDomain": "org.example", "publicKey": "` + docsKeyB + `", "history": "https://o2.org.example"},` +
				`{"name": "o3", "homeDomain": "org.example", "publicKey": "` + docsKeyC + `", "history": "https://o3.org.example"}]}`,
			want: []found{refuses("spec.quorum.validators[0].history", stellarcfg.RuleHighNeedsHistory)},
		},
		"ValidatorHistoryURLUnsafe": {
			reason: "An archive URL that would reach the shell is refused before it is rendered.",
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "MEDIUM"}], ` +
				`"validators": [{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `", "history": "https://o1.org.example/$(id)"}]}`,
			want: []found{refuses("spec.quorum.validators[0].history", ruleArchiveURL)},
		},
		"QuorumSetNotTOML": {
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quorumSet": "[[VALIDATORS]\n"}`,
			want: []found{refuses("spec.validator.quorumSet", ruleQuorumTOML)},
		},
		"QuorumSetOtherKey": {
			reason: "The escape hatch takes quorum tables only: a QUORUM_SET would override the quorum unchecked.",
			spec:   `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quorumSet": "[QUORUM_SET]\nVALIDATORS = ['` + docsKeyA + `']\n"}`,
			want:   []found{refuses("spec.validator.quorumSet", ruleQuorumTOML)},
		},
		"QuorumSetRepeatsPreset": {
			spec: `"validator": {` + seed + `, "homeDomain": "alice.example.org", "quorumSet": "[[VALIDATORS]]\nNAME = 'again'\nHOME_DOMAIN = 'testnet.stellar.org'\nPUBLIC_KEY = 'GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y'\nHISTORY = 'curl -sf http://h/{0} -o {1}'\n"}`,
			want: []found{refuses("spec.validator.quorumSet", stellarcfg.RuleDuplicateKey)},
		},
		"ArchiveNameTwice": {
			spec: `"history": {"archives": [{"name": "a", "get": "https://a.example"}, {"name": "a", "get": "https://b.example"}]}`,
			want: []found{refuses("spec.history.archives[1].name", stellarcfg.RuleArchiveName)},
		},
		"ArchiveNameOfLocal": {
			spec: `"history": {"publish": true, "archives": [{"name": "local", "get": "https://a.example"}]}`,
			want: []found{refuses("spec.history.publish", stellarcfg.RuleArchiveName)},
		},
		"ArchiveURLUnsafe": {
			spec: `"history": {"archives": [{"name": "a", "get": "http://a.example/;reboot"}]}`,
			want: []found{refuses("spec.history.archives[0].get", ruleArchiveURL)},
		},
		"CustomWithoutArchive": {
			reason:  "A Custom network's validator that is its own quorum and reads no archive.",
			network: "Custom", spec: `"networkPassphrase": "Acme Net ; 2026", "history": {}`,
			want: []found{refuses("spec.history", stellarcfg.RuleNoReadableArchive)},
		},
		"DirectoryHighWithoutHistory": {
			reason:  "includeDirectory finds a HIGH organization whose validators publish no archive.",
			spec:    `"validator": {` + seed + `, "homeDomain": "acme.example.com", "quality": "HIGH"}, "quorum": {"preset": "Testnet", "includeDirectory": true, "unsafe": true}, "history": {"publish": true}`,
			members: acmeMembers(false),
			want:    []found{refuses("spec.quorum.includeDirectory", stellarcfg.RuleHighNeedsHistory), refuses("spec.quorum.includeDirectory", stellarcfg.RuleHighNeedsHistory)},
		},
		"DirectoryOrganizationShort": {
			reason:  "Until the organization's third validator has a card, a HIGH domain of two is refused.",
			spec:    `"validator": {` + seed + `, "homeDomain": "acme.example.com", "quality": "HIGH"}, "quorum": {"preset": "Testnet", "includeDirectory": true, "unsafe": true}, "history": {"publish": true}`,
			members: acmeMembers(true)[:1],
			want:    []found{refuses("spec.quorum.includeDirectory", stellarcfg.RuleRedundancy)},
		},

		// Configs core starts with, but not as meant.
		"SeedMissing": {
			reason: "A validator without a seed Secret gets a new identity at every start.",
			spec:   `"validator": {"homeDomain": "alice.example.org"}`,
			want:   []found{warns("spec.validator.seedSecretRef", stellarcfg.RuleSeedMissing)},
		},
		"ArchiveCommandWithoutLocalPath": {
			spec: `"history": {"archives": [{"name": "a", "get": "curl -sf https://a.example/{0}"}]}`,
			want: []found{warns("spec.history.archives[0].get", stellarcfg.RuleArchiveCommand)},
		},
		"ValidatorAddressIPv6": {
			spec: `"quorum": {"preset": "Testnet", "unsafe": true, "homeDomains": [{"domain": "org.example", "quality": "MEDIUM"}], ` +
				`"validators": [{"name": "o1", "homeDomain": "org.example", "publicKey": "` + docsKeyA + `", "address": "[2001:db8::1]:11625"}]}`,
			want: []found{warns("spec.quorum.validators[0].address", stellarcfg.RulePeerAddress)},
		},
		"DirectoryKeyListedAlready": {
			reason:  "An explicit entry wins over the directory's card of the same key.",
			spec:    `"validator": {` + seed + `, "homeDomain": "acme.example.com", "quality": "HIGH"}, "quorum": {"preset": "Testnet", "includeDirectory": true, "unsafe": true, "validators": [{"name": "acme-2", "homeDomain": "acme.example.com", "publicKey": "` + docsKeyA + `", "history": "https://acme-2.example"}]}, "history": {"publish": true}`,
			members: acmeMembers(true),
			want:    []found{warns("spec.quorum.includeDirectory", ruleNotRendered)},
		},
		"HorizonPublishing": {
			nodeType: "Horizon", spec: `"quorum": {"preset": "Testnet"}, "history": {"publish": true}`,
			want: []found{warns("spec.history.publish", ruleNotRendered)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			nodeType, network := tc.nodeType, tc.network
			if nodeType == "" {
				nodeType = "Validator"
			}
			if network == "" {
				network = "Testnet"
			}
			n, err := readNode(xNode("team-a", "alice", nodeType, network, tc.spec, "").GetResource(), &v1alpha1.NodeInput{})
			if err != nil {
				t.Fatalf("readNode(): %v", err)
			}
			v := buildCoreConfig(n, tc.members).render()
			got := []found{}
			for _, f := range v.findings {
				got = append(got, found{f.field, f.rule, f.fatal})
			}
			want := tc.want
			if want == nil {
				want = []found{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nfindings: -want, +got:\n%s\n%v\n%s", tc.reason, diff, v.findings, v.rendered)
			}
			if wantRefused := len(want) > 0 && want[0].Fatal; v.refused != wantRefused {
				t.Errorf("%s\nrefused = %v, want %v", tc.reason, v.refused, wantRefused)
			}
		})
	}
}
