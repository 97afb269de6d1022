package stellarcfg

import (
	"fmt"
	"slices"
	"strings"
)

// Network passphrases of the public Stellar networks.
const (
	PassphraseMainnet   = "Public Global Stellar Network ; September 2015"
	PassphraseTestnet   = "Test SDF Network ; September 2015"
	PassphraseFuturenet = "Test SDF Future Network ; October 2022"
)

// Preset is a public network's quorum and history, taken from a cited file
// so it can be checked against its source.
type Preset struct {
	Network     string
	Passphrase  string
	HomeDomains []HomeDomain
	// Validators carry their archives in History: core adds each as an
	// archive named after the validator, so a node that takes Validators
	// needs no Archives.
	Validators []Validator
	// Archives are the network's archives as [HISTORY.<name>] tables, for a
	// node that reads history but brings its own quorum. Their names differ
	// from the validators' so both can be used at once (core refuses two
	// archives of one name).
	Archives []Archive
}

// Passphrase is the passphrase of spec.network; Custom takes spec.networkPassphrase. Matching is case-insensitive:
// the original operator's serde form is lower case ("testnet").
func Passphrase(network, custom string) (string, error) {
	switch strings.ToLower(network) {
	case "mainnet":
		return PassphraseMainnet, nil
	case "testnet":
		return PassphraseTestnet, nil
	case "futurenet":
		return PassphraseFuturenet, nil
	case "custom":
		if custom == "" {
			return "", fmt.Errorf("network Custom needs spec.networkPassphrase")
		}
		return custom, nil
	}
	return "", fmt.Errorf("%q is not one of Mainnet, Testnet, Futurenet, Custom", network)
}

// PresetFor returns the preset of a network (Mainnet, Testnet, Futurenet;
// case-insensitive, as spec.network is matched). Each call returns fresh
// slices, so a caller may change them.
func PresetFor(network string) (Preset, error) {
	switch strings.ToLower(network) {
	case "mainnet":
		return mainnet(), nil
	case "testnet":
		return testnet(), nil
	case "futurenet":
		return futurenet(), nil
	}
	return Preset{}, fmt.Errorf("cannot find a preset for network %q: presets exist for Mainnet, Testnet and Futurenet", network)
}

// ReadArchives are the network's archives as [HISTORY.<name>] tables, for a
// node that reads the network's history but brings its own quorum: Archives
// when the source has them, else one per validator's HISTORY command, named
// "<network>-<validator name>" in lower case with anything but letters and
// digits as '-', so that they never clash with the validators' own archives.
func (p Preset) ReadArchives() []Archive {
	if len(p.Archives) > 0 {
		return slices.Clone(p.Archives)
	}
	out := make([]Archive, 0, len(p.Validators))
	for _, v := range p.Validators {
		if v.History == "" {
			continue
		}
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(p.Network+"-"+v.Name))
		out = append(out, Archive{Name: name, Get: v.History})
	}
	return out
}

// testnet is docs/stellar-core_testnet.cfg (HOME_DOMAINS, VALIDATORS) and
// docs/stellar-core_testnet_legacy.cfg ([HISTORY.h1] to [HISTORY.h3]) of
// stellar/stellar-core at a9b8613218e141ddb89d621e5f04d4c75a149d36 (both
// files last changed in eaf955825a8e2480e9cc979c6486d3a2da43d524).
func testnet() Preset {
	return Preset{
		Network:    "Testnet",
		Passphrase: PassphraseTestnet,
		HomeDomains: []HomeDomain{
			{Domain: "testnet.stellar.org", Quality: QualityHigh},
		},
		Validators: []Validator{
			{
				Name: "sdftest1", HomeDomain: "testnet.stellar.org",
				PublicKey: "GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y", Address: "core-testnet1.stellar.org",
				History: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_001/{0} -o {1}",
			},
			{
				Name: "sdftest2", HomeDomain: "testnet.stellar.org",
				PublicKey: "GCUCJTIYXSOXKBSNFGNFWW5MUQ54HKRPGJUTQFJ5RQXZXNOLNXYDHRAP", Address: "core-testnet2.stellar.org",
				History: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_002/{0} -o {1}",
			},
			{
				Name: "sdftest3", HomeDomain: "testnet.stellar.org",
				PublicKey: "GC2V2EFSXN6SQTWVYA5EPJPBWWIMSD2XQNKUOHGEKB535AQE2I6IXV2Z", Address: "core-testnet3.stellar.org",
				History: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_003/{0} -o {1}",
			},
		},
		Archives: []Archive{
			{Name: "h1", Get: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_001/{0} -o {1}"},
			{Name: "h2", Get: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_002/{0} -o {1}"},
			{Name: "h3", Get: "curl -sf http://history.stellar.org/prd/core-testnet/core_testnet_003/{0} -o {1}"},
		},
	}
}

// mainnet has no source in stellar-core's docs (they configure only
// Testnet). It is pubnet/core/etc/stellar-core.cfg of stellar/quickstart,
// SDF's image, at 40709d95351fd517d5ffc67a1ce4e98904cccd06 (file last changed
// in 9809fb451ce46e70784186788b617e3977fdbfbd). That file has no [HISTORY]
// tables: the validators' HISTORY commands are the archives, so Archives is
// empty.
func mainnet() Preset {
	return Preset{
		Network:    "Mainnet",
		Passphrase: PassphraseMainnet,
		HomeDomains: []HomeDomain{
			{Domain: "lobstr.co", Quality: QualityHigh},
			{Domain: "publicnode.org", Quality: QualityHigh},
			{Domain: "stellar.blockdaemon.com", Quality: QualityHigh},
			{Domain: "stellar.creit.tech", Quality: QualityHigh},
			{Domain: "stellar.withobsrvr.com", Quality: QualityHigh},
			{Domain: "www.franklintempleton.com", Quality: QualityHigh},
			{Domain: "www.stellar.org", Quality: QualityHigh},
		},
		Validators: slices.Clone(mainnetValidators),
	}
}

// mainnetValidators are the [[VALIDATORS]] of the same file.
var mainnetValidators = []Validator{
	{
		Name: "LOBSTR 1 (Europe)", HomeDomain: "lobstr.co",
		PublicKey: "GCFONE23AB7Y6C5YZOMKUKGETPIAJA4QOYLS5VNS4JHBGKRZCPYHDLW7", Address: "v1.stellar.lobstr.co:11625",
		History: "curl -sf https://archive.v1.stellar.lobstr.co/{0} -o {1}",
	},
	{
		Name: "LOBSTR 2 (Europe)", HomeDomain: "lobstr.co",
		PublicKey: "GCB2VSADESRV2DDTIVTFLBDI562K6KE3KMKILBHUHUWFXCUBHGQDI7VL", Address: "v2.stellar.lobstr.co:11625",
		History: "curl -sf https://archive.v2.stellar.lobstr.co/{0} -o {1}",
	},
	{
		Name: "LOBSTR 5 (India)", HomeDomain: "lobstr.co",
		PublicKey: "GA5STBMV6QDXFDGD62MEHLLHZTPDI77U3PFOD2SELU5RJDHQWBR5NNK7", Address: "v5.stellar.lobstr.co:11625",
		History: "curl -sf https://archive.v5.stellar.lobstr.co/{0} -o {1}",
	},
	{
		Name: "Boötes", HomeDomain: "publicnode.org",
		PublicKey: "GCVJ4Z6TI6Z2SOGENSPXDQ2U4RKH3CNQKYUHNSSPYFPNWTLGS6EBH7I2", Address: "bootes.publicnode.org:11625",
		History: "curl -sf https://bootes-history.publicnode.org/{0} -o {1}",
	},
	{
		Name: "Hercules", HomeDomain: "publicnode.org",
		PublicKey: "GBLJNN3AVZZPG2FYAYTYQKECNWTQYYUUY2KVFN2OUKZKBULXIXBZ4FCT", Address: "hercules.publicnode.org:11625",
		History: "curl -sf https://hercules-history.publicnode.org/{0} -o {1}",
	},
	{
		Name: "Lyra", HomeDomain: "publicnode.org",
		PublicKey: "GCIXVKNFPKWVMKJKVK2V4NK7D4TC6W3BUMXSIJ365QUAXWBRPPJXIR2Z", Address: "lyra.publicnode.org:11625",
		History: "curl -sf https://lyra-history.publicnode.org/{0} -o {1}",
	},
	{
		Name: "Blockdaemon Validator 1", HomeDomain: "stellar.blockdaemon.com",
		PublicKey: "GAAV2GCVFLNN522ORUYFV33E76VPC22E72S75AQ6MBR5V45Z5DWVPWEU", Address: "stellar-full-validator1.bdnodes.net:11625",
		History: "curl -sf https://stellar-full-history1.bdnodes.net/{0} -o {1}",
	},
	{
		Name: "Blockdaemon Validator 2", HomeDomain: "stellar.blockdaemon.com",
		PublicKey: "GAVXB7SBJRYHSG6KSQHY74N7JAFRL4PFVZCNWW2ARI6ZEKNBJSMSKW7C", Address: "stellar-full-validator2.bdnodes.net:11625",
		History: "curl -sf https://stellar-full-history2.bdnodes.net/{0} -o {1}",
	},
	{
		Name: "Blockdaemon Validator 3", HomeDomain: "stellar.blockdaemon.com",
		PublicKey: "GAYXZ4PZ7P6QOX7EBHPIZXNWY4KCOBYWJCA4WKWRKC7XIUS3UJPT6EZ4", Address: "stellar-full-validator3.bdnodes.net:11625",
		History: "curl -sf https://stellar-full-history3.bdnodes.net/{0} -o {1}",
	},
	{
		Name: "Alpha Node Validator", HomeDomain: "stellar.creit.tech",
		PublicKey: "GBPLJDBFZO2H7QQH7YFCH3HFT6EMC42Z2DNJ2QFROCKETAPY54V4DCZD", Address: "alpha.validator.stellar.creit.tech:11625",
		History: "curl -sf https://alpha-history.validator.stellar.creit.tech/{0} -o {1}",
	},
	{
		Name: "Beta Node Validator", HomeDomain: "stellar.creit.tech",
		PublicKey: "GDDANSYOYSY5EPSFHBRPCLX6XMHPPLIMHVIDXG6IPQLVVLRI2BN4HMH3", Address: "beta.validator.stellar.creit.tech:11625",
		History: "curl -sf https://beta-history.validator.stellar.creit.tech/{0} -o {1}",
	},
	{
		Name: "Gamma Node Validator", HomeDomain: "stellar.creit.tech",
		PublicKey: "GBF7QOLFPTHUEDUPTT4ZTULDTA3QXDIO75JHKJN2IYD7YGQLYUTR75BT", Address: "gamma.validator.stellar.creit.tech:11625",
		History: "curl -sf https://gamma-history.validator.stellar.creit.tech/{0} -o {1}",
	},
	{
		Name: "OBSRVR Validator 1", HomeDomain: "stellar.withobsrvr.com",
		PublicKey: "GDRCZ4IPJR7V3HK4GR45CRTE72SDAOZUF2TDBQ5E5IGWC4KM5TSKU2LS", Address: "core-live-1.nodeswithobsrvr.co:11625",
		History: "curl -sf https://history-1.nodeswithobsrvr.co/obsrvr-core-1/{0} -o {1}",
	},
	{
		Name: "OBSRVR Validator 2", HomeDomain: "stellar.withobsrvr.com",
		PublicKey: "GA2PU4UGMLSFUXGZATHPTDXXX7FOHBAQC57RSJCQUN72WFKTD6CEPQSF", Address: "core-live-2.nodeswithobsrvr.co:11625",
		History: "curl -sf https://history-2.nodeswithobsrvr.co/obsrvr-core-2/{0} -o {1}",
	},
	{
		Name: "OBSRVR Validator 3", HomeDomain: "stellar.withobsrvr.com",
		PublicKey: "GACM6GIRMLXBBZIYJXBDTAEYZ2GJP3JJP5G5K4WDPBS6QFHPJNK6S2FB", Address: "core-live-3.nodeswithobsrvr.co:11625",
		History: "curl -sf https://history-3.nodeswithobsrvr.co/obsrvr-core-3/{0} -o {1}",
	},
	{
		Name: "FT SCV 1", HomeDomain: "www.franklintempleton.com",
		PublicKey: "GARYGQ5F2IJEBCZJCBNPWNWVDOFK7IBOHLJKKSG2TMHDQKEEC6P4PE4V", Address: "stellar1.franklintempleton.com:11625",
		History: "curl -sf https://stellar-history1.franklintempleton.com/history1/{0} -o {1}",
	},
	{
		Name: "FT SCV 2", HomeDomain: "www.franklintempleton.com",
		PublicKey: "GCMSM2VFZGRPTZKPH5OABHGH4F3AVS6XTNJXDGCZ3MKCOSUBH3FL6DOB", Address: "stellar2.franklintempleton.com:11625",
		History: "curl -sf https://stellar-history2.franklintempleton.com/history2/{0} -o {1}",
	},
	{
		Name: "FT SCV 3", HomeDomain: "www.franklintempleton.com",
		PublicKey: "GA7DV63PBUUWNUFAF4GAZVXU2OZMYRATDLKTC7VTCG7AU4XUPN5VRX4A", Address: "stellar3.franklintempleton.com:11625",
		History: "curl -sf https://stellar-history3.franklintempleton.com/history3/{0} -o {1}",
	},
	{
		Name: "SDF 1", HomeDomain: "www.stellar.org",
		PublicKey: "GCGB2S2KGYARPVIA37HYZXVRM2YZUEXA6S33ZU5BUDC6THSB62LZSTYH", Address: "core-live-a.stellar.org:11625",
		History: "curl -sf http://history.stellar.org/prd/core-live/core_live_001/{0} -o {1}",
	},
	{
		Name: "SDF 2", HomeDomain: "www.stellar.org",
		PublicKey: "GCM6QMP3DLRPTAZW2UZPCPX2LF3SXWXKPMP3GKFZBDSF3QZGV2G5QSTK", Address: "core-live-b.stellar.org:11625",
		History: "curl -sf http://history.stellar.org/prd/core-live/core_live_002/{0} -o {1}",
	},
	{
		Name: "SDF 3", HomeDomain: "www.stellar.org",
		PublicKey: "GABMKJM6I25XI4K7U6XWMULOUQIQ27BCTMLS6BYYSOWKTBUXVRJSXHYQ", Address: "core-live-c.stellar.org:11625",
		History: "curl -sf http://history.stellar.org/prd/core-live/core_live_003/{0} -o {1}",
	},
}

// futurenet has no source in stellar-core's docs. It is
// futurenet/core/etc/stellar-core.cfg of stellar/quickstart at
// 40709d95351fd517d5ffc67a1ce4e98904cccd06 (file last changed in
// 92846f9245e4946c2c3e081f28269322fdcfd902); the passphrase is the one its
// start script exports for futurenet. No [HISTORY] tables there either.
// Futurenet is reset from time to time: check the source when it is.
func futurenet() Preset {
	return Preset{
		Network:    "Futurenet",
		Passphrase: PassphraseFuturenet,
		HomeDomains: []HomeDomain{
			{Domain: "futurenet.stellar.org", Quality: QualityMedium},
		},
		Validators: []Validator{
			{
				Name: "sdf_futurenet_1", HomeDomain: "futurenet.stellar.org",
				PublicKey: "GBRIF2N52GVN3EXBBICD5F4L5VUFXK6S6VOUCF6T2DWPLOLGWEPPYZTF", Address: "core-live-futurenet-a.stellar.org",
				History: "curl -sf http://history.stellar.org/dev/core-futurenet/core_futurenet_001/{0} -o {1}",
			},
			{
				Name: "sdf_futurenet_2", HomeDomain: "futurenet.stellar.org",
				PublicKey: "GAQM2MF22BYOGIF47RZ2523YK7ZL7Z3CIIX6CCPZBWWLE6KJTXMD4SLO", Address: "core-live-futurenet-b.stellar.org",
				History: "curl -sf http://history.stellar.org/dev/core-futurenet/core_futurenet_002/{0} -o {1}",
			},
			{
				Name: "sdf_futurenet_3", HomeDomain: "futurenet.stellar.org",
				PublicKey: "GC2HLBHG4Z7KV73OPKZD6EWXIXM5QOIZVKN5OS4V2HISDOJC3TUORLY4", Address: "core-live-futurenet-c.stellar.org",
				History: "curl -sf http://history.stellar.org/dev/core-futurenet/core_futurenet_003/{0} -o {1}",
			},
		},
	}
}
