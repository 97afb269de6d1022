package stellarcfg

import (
	"slices"
	"testing"
)

// FuzzCheck feeds Check arbitrary text: it must never panic, must give the
// same problems twice, and every problem must name its rule and say why.
func FuzzCheck(f *testing.F) {
	f.Add(mustRender(f, watcher(f, "Testnet")))
	f.Add(mustRender(f, validator(f, "Futurenet")))
	f.Add("NODE_SEED = '" + quickReferenceSeed + " self'\nNODE_IS_VALIDATOR = true\nNETWORK_PASSPHRASE = 'x'\n[QUORUM_SET]\nTHRESHOLD_PERCENT = 50\nVALIDATORS = ['$self']\n[QUORUM_SET.1]\nVALIDATORS = ['" + keyA + " a']\n")
	f.Add("KNOWN_PEERS = ['a:1', '300.1.1.1', '[::1]:2']\n[HISTORY.x]\nget = '{} {}'\nput = '{0} {2}'\n")
	f.Add("[[VALIDATORS]]\nNAME = 'a'\nHOME_DOMAIN = 'd'\nQUALITY = 'HIGH'\nPUBLIC_KEY = '" + keyB + "'\n")
	f.Fuzz(func(t *testing.T, cfg string) {
		a := Check(cfg, Options{Passphrase: PassphraseTestnet})
		b := Check(cfg, Options{Passphrase: PassphraseTestnet})
		if !slices.Equal(a, b) {
			t.Fatalf("Check() is not deterministic:\n%v\n%v", a, b)
		}
		for _, p := range a {
			if p.Rule == "" || p.Message == "" {
				t.Fatalf("problem without rule or message: %#v", p)
			}
			if p.Rule == RuleTOML && len(a) != 1 {
				t.Fatalf("a TOML error comes alone: %v", a)
			}
		}
	})
}
