package stellarcfg

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exampleValidators is stellar-core's docs/stellar-core_example_validators.cfg
// (at a9b8613218e141ddb89d621e5f04d4c75a149d36) as a Config: the node a3 of
// domainA among domains of every quality, some without HOME_DOMAINS.
func exampleValidators() string {
	hist := func(d, n string) string { return "curl -sf http://" + d + "/" + n + "/{0} -o {1}" }
	v := func(name, domain, key string, q Quality, history, address string) Validator {
		return Validator{Name: name, HomeDomain: domain, PublicKey: key, Quality: q, History: history, Address: address}
	}
	c := Config{
		NetworkPassphrase: "Example configuration", PeerPort: 11625, HTTPPort: 11626,
		NodeIsValidator: true, NodeHomeDomain: "domainA", Database: "sqlite3://example.db", BucketDirPath: "buckets",
		HomeDomains: []HomeDomain{
			{"domainA", QualityHigh}, {"domainB", QualityHigh}, {"domainC", QualityMedium}, {"domainE", QualityLow},
			{"domainF", QualityLow}, {"domainL", QualityCritical}, {"domainM", QualityCritical}, {"domainN", QualityCritical},
		},
		Validators: []Validator{
			v("a1", "domainA", "GDUTST3TG4MNDLY6WLB5CIASIBZAWWWJKZDHA4HFEVKQOVTYQ2F5GKYZ", "", hist("domainA", "1"), "1.a"),
			v("a2", "domainA", "GBVZFVEARURUJTN5ABZPKW36FHKVJK2GHXEVY2SZCCNU5I3CQMTZ3OES", "", hist("domainA", "2"), "2.a"),
			v("b1", "domainB", "GCWA2U5S4EL4NJDU2FS4UUMNMUDUBCGGYEEY2DMOOLKT74AZR6RKWSMG", "", hist("domainB", "1"), ""),
			v("b2", "domainB", "GDKL7ZSRR65GTILCE3BNO6XPCPAPGVYIMO3NIWSR6E7YS52KTJY6ZJL5", "", hist("domainB", "2"), ""),
			v("b3", "domainB", "GDXSTS4LLXNPIA4YWRGMZZU625CLVUNIZQJYXMKBF2K6K4EXGANW46CJ", "", hist("domainB", "3"), ""),
			v("c1", "domainC", "GDDKZKC6I4QHFJFIHQCET7FDOYK6B4D7FXCNCIJNI6REKOQZTQTKOZ7N", "", hist("domainC", "1"), ""),
			v("c2", "domainC", "GCNTKVJ6DDR3VEITZX4YL3FNICMZK2SNIHXXKNYQRSDRXHI223CGHRMZ", "", hist("domainC", "2"), ""),
			v("d1", "domainD", "GDD3QN464732BXOZ7UZ43I5KR76X5YPNCUZMUCI4HJXRYQL4EJR6QAZL", QualityMedium, "", ""),
			v("d2", "domainD", "GBPGAR4X4TBKZP6SXUTDJ3BSEEIRXZCAZWB6KAJ3KTITJ3AQUOIKCXQ6", QualityMedium, "", ""),
			v("e1", "domainE", "GAU3H4KHUR54GWNHUJLEKT25RX6NVOZZGB55MLFWHWDFSP6H3QCQSMOA", "", "", "1.e"),
			v("e2", "domainE", "GCBEPQHP3D42OHQMA54NRF3E4BAJ6T7NZP7Q7URI2VWNQDJPXTDA3SBJ", "", "", ""),
			v("e3", "domainE", "GDQ3GWCV4UH72MYZU5OCYVQCMIKMMKS6SWCI2OIRAIAISS5KCQCJTG37", "", "", ""),
			v("f1", "domainF", "GBR4BWUML7FTQ6DNDCRC3XUTEGTYJCORE7QKQ7WOO43VGDUY5MTVGYWI", "", "", ""),
			v("g1", "domainG", "GCWD2OTEJXLIDSOFSTWDPM5IDY27ZGEXIUIBGGA45Q2VXGQ2QAEBG7ZS", QualityLow, "", "1.g"),
			v("h1", "domainH", "GBEW76VHIXPEQJUN3NXK6JTHCONKLMJRBN7WGGQY3HQLDECZJCFO6W5C", QualityLow, "", ""),
			v("i1", "domainI", "GABL7FXOXZHOCH7IIFHEL6YNPZ2J53XLBIYNS2X3FYVJFLX7NNBA44Y4", QualityMedium, "", ""),
			v("j1", "domainJ", "GCYMJ7FV3SIIYAUAUQMF7T4MKIEXEN2BF2UOUJJIBTEH52LM54XZEX2D", QualityMedium, "", "1.j:2000"),
			v("K1", "domainK", "GBM2Y4JYEPVF2LAQ7KFOE6WBFOQLVVJETYRMIZYNSEGV6LNETOZHYXET", QualityHigh, hist("domainK", "1"), ""),
			v("K2", "domainK", "GBPD75VDOJVGMTTHTTU7NZ5DLGPKWAS3D7ZPQYCODTUKLE6N6JDWFECH", QualityHigh, hist("domainK", "2"), ""),
			v("K3", "domainK", "GBSGVVDQZ2JEHEQUYY5PLUZNSULTAKAVWIPA4J4ADRHAPFPKSZWZ3UVW", QualityHigh, hist("domainK", "3"), "3.k"),
			v("L1", "domainL", "GDBDRCJFBSWQ52XVN3Z7FJZO4AF7J57FWJAF2TUJKQDO7ERHQIRPIH6E", "", hist("domainL", "1"), "1.L"),
			v("L2", "domainL", "GDV33W4DRNH3DSUCWNRMQIV5QAUO6IXJORD7FT6GQVVOEUALS26NK3RV", "", hist("domainL", "2"), "2.L"),
			v("L3", "domainL", "GBD2A5W2ACDEUQ2AIFGWL24E2WOS5H447XULA3WXYYACLH6CTFYZIR2N", "", hist("domainL", "3"), "3.L"),
			v("M1", "domainM", "GCAX2QCPCU36HRL5BCUR5MF45R6IWTLHZ2UWUAHHOH3HBWYBQ3SY4LUB", "", hist("domainM", "1"), "1.M"),
			v("M2", "domainM", "GCS25VWMGKUOV45DCFGCHPY5BM3NTMEZEFEYAGHEZVV24Q5Q53YP6IDW", "", hist("domainM", "2"), "2.M"),
			v("M3", "domainM", "GDK2RYEYCRQYL6MBCQPZGPVZB2CUAOQE2FNIADKVHKAN3L6IF5IHKU26", "", hist("domainM", "3"), "3.M"),
			v("N1", "domainN", "GAJVKIDFOVMJBA6QFOOTHRLNI4DXVZPQCMJ2GGPXFXROACDH6C4NOZSW", "", hist("domainN", "1"), "1.N"),
			v("N2", "domainN", "GAY4L62FY4VIXFNFRGZ3TKPUCNOYISVEEWKI5RMHAIHV34IQ7LJSAMNP", "", hist("domainN", "2"), "2.N"),
			v("N3", "domainN", "GABSLP5W5NLQ2UAAMAT76NJDDVHC4XNNB6EIFIU6DZG6LTQ5HRIEZZMV", "", hist("domainN", "3"), "3.N"),
		},
		Archives: []Archive{{Name: "backup", Get: "download {0} {1}", Put: "upload {0} {1}", Mkdir: "createpath {0}"}},
	}
	s, err := c.Render()
	if err != nil {
		panic(err)
	}
	return "NODE_SEED = \"SA7FGJMMUIHNE3ZPI2UO5I632A7O5FBAZTXFAIEVFA4DSSGLHXACLAIT a3\"\n" + s
}

// describe writes a quorum set with names, validators and inner sets
// sorted, so sets compare whatever their order: t2[a,b|t1[c]].
func describe(q qset, names map[nodeID]string) string {
	vs := make([]string, 0, len(q.validators))
	for _, v := range q.validators {
		vs = append(vs, names[v])
	}
	slices.Sort(vs)
	ins := make([]string, 0, len(q.inner))
	for _, in := range q.inner {
		ins = append(ins, describe(in, names))
	}
	slices.Sort(ins)
	s := fmt.Sprintf("t%d[%s", q.threshold, strings.Join(vs, ","))
	if len(ins) > 0 {
		s += "|" + strings.Join(ins, "|")
	}
	return s + "]"
}

// TestExampleValidatorsQuorum compares the quorum set built for
// docs/stellar-core_example_validators.cfg with the one core builds for it,
// which core's test "load validators config" (src/main/test/ConfigTests.cpp
// at the same commit) spells out.
func TestExampleValidatorsQuorum(t *testing.T) {
	c := check(exampleValidators(), Options{})
	if len(c.problems) != 0 {
		t.Fatalf("Check() of the example validators: %v", c.problems)
	}
	if c.final == nil {
		t.Fatal("no quorum set was judged")
	}
	names := map[nodeID]string{}
	for pub, name := range c.names {
		raw, err := decodeStrKey(pub, versionPublicKey, false)
		if err != nil {
			t.Fatal(err)
		}
		names[nodeID(raw)] = name
	}
	// Core's expected JSON, nested by quality: CRITICAL domains, then a HIGH
	// set holding the HIGH domains and a MEDIUM set, which holds a LOW set.
	low := "t3[f1,g1,h1|t2[e1,e2,e3]]"
	medium := "t4[i1,j1|" + sortedJoin(low, "t2[c1,c2]", "t2[d1,d2]") + "]"
	high := "t3[|" + sortedJoin(medium, "t2[K1,K2,K3]", "t2[a1,a2,a3]", "t2[b1,b2,b3]") + "]"
	want := "t4[|" + sortedJoin(high, "t2[L1,L2,L3]", "t2[M1,M2,M3]", "t2[N1,N2,N3]") + "]"
	got := describe(*c.final, names)
	if got != want {
		t.Errorf("quorum set:\n got %s\nwant %s", got, want)
	}
	// Core's test counts 20 archives: 19 validators' and [HISTORY.backup].
	if len(c.archives) != 20 {
		t.Errorf("%d archives, want 20", len(c.archives))
	}
}

func sortedJoin(parts ...string) string {
	slices.Sort(parts)
	return strings.Join(parts, "|")
}

func TestQuorumArithmetic(t *testing.T) {
	n := func(s string) nodeID { return nodeID(s) }
	three := qset{threshold: 2, validators: []nodeID{n("a"), n("b"), n("c")}}
	cases := map[string]struct {
		q                  qset
		simple, byz, all   int
		vBlocking          int
		saneStrict, saneOK string
	}{
		"ThreeOfOneOrg": {
			q: three, simple: 2, byz: 3, all: 3, vBlocking: 2,
		},
		"TwoOrgsAndSelf": {
			// A validator next to one organization: {t2, self, {t2, a b c}}.
			q:      qset{threshold: 2, validators: []nodeID{n("self")}, inner: []qset{three}},
			simple: 2, byz: 2, all: 2, vBlocking: 1,
		},
		"LowThreshold": {
			q:      qset{threshold: 1, validators: []nodeID{n("a"), n("b"), n("c")}},
			simple: 2, byz: 3, all: 3, vBlocking: 3,
			saneStrict: "Threshold is lower than the v-blocking size (< 51%).",
		},
		"Duplicate": {
			q:      qset{threshold: 2, validators: []nodeID{n("a")}, inner: []qset{{threshold: 2, validators: []nodeID{n("a"), n("b")}}}},
			simple: 2, byz: 2, all: 2, vBlocking: 1,
			saneStrict: "Duplicate node found in quorum configuration", saneOK: "Duplicate node found in quorum configuration",
		},
		"ThresholdAboveEntries": {
			q:      qset{threshold: 3, validators: []nodeID{n("a"), n("b")}},
			simple: 2, byz: 2, all: 2, vBlocking: 0,
			saneStrict: "Threshold exceeds total number of entries", saneOK: "Threshold exceeds total number of entries",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := []any{
				defaultThreshold(tc.q, simpleMajority), defaultThreshold(tc.q, byzantine), defaultThreshold(tc.q, allRequired),
				closestVBlockingSize(tc.q), quorumSetSane(tc.q, true), quorumSetSane(tc.q, false),
			}
			want := []any{tc.simple, tc.byz, tc.all, tc.vBlocking, tc.saneStrict, tc.saneOK}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[simple, byzantine, all, v-blocking, sane strict, sane]: -want, +got:\n%s", diff)
			}
		})
	}
	if !isVBlocking(three, map[nodeID]bool{"a": true, "c": true}) || isVBlocking(three, map[nodeID]bool{"b": true}) {
		t.Error("isVBlocking: 2 of {t2: a b c} block it, 1 does not")
	}
	deep := qset{threshold: 1, validators: []nodeID{n("x")}}
	for range maxNesting + 1 {
		deep = qset{threshold: 1, inner: []qset{deep}}
	}
	if got := quorumSetSane(deep, false); got != "Maximum quorum nesting level exceeded" {
		t.Errorf("quorumSetSane(%d levels) = %q", maxNesting+2, got)
	}
}
