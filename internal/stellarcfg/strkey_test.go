package stellarcfg

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docsKeys are public keys from stellar-core's docs, besides the presets'.
var docsKeys = []string{keyA, keyB, keyC, keyD, keyE, keyF}

// quickReference is the gen-seed example of stellar-core's
// docs/quick-reference.md (same commit): a seed and its public key.
const (
	quickReferenceSeed   = "SAHP7BHVCCJ6BUYT56IMKQDMQT3HRGSRTEAQ2JAUXNQ7UQ7OFDN4Y2WS"
	quickReferencePublic = "GDJLE5FAS4RVCWXAXUU226TGKXCAX7WFRNVCP75BNPWOUW7QSLKZZTUH"
)

func allKnownKeys(t *testing.T) []string {
	t.Helper()
	keys := append([]string{quickReferencePublic}, docsKeys...)
	for _, n := range []string{"Testnet", "Mainnet", "Futurenet"} {
		p, err := PresetFor(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range p.Validators {
			keys = append(keys, v.PublicKey)
		}
	}
	return keys
}

func TestValidPublicKeyAcceptsDocumentedKeys(t *testing.T) {
	for _, k := range allKnownKeys(t) {
		if err := ValidPublicKey(k); err != nil {
			t.Errorf("ValidPublicKey(%q): %v", k, err)
		}
		raw, err := decodeStrKey(k, versionPublicKey, false)
		if err != nil {
			t.Fatalf("decodeStrKey(%q): %v", k, err)
		}
		if got := encodeStrKey(versionPublicKey, raw); got != k {
			t.Errorf("encodeStrKey(decodeStrKey(%q)) = %q", k, got)
		}
	}
}

// Every change of one character breaks the checksum or the version byte:
// CRC-16 catches every error burst up to 16 bits, and a character is 5.
func TestValidPublicKeyRefusesEveryOneCharacterChange(t *testing.T) {
	for _, k := range allKnownKeys(t) {
		for i := range len(k) {
			for _, c := range base32Alphabet {
				if byte(c) == k[i] {
					continue
				}
				mutated := k[:i] + string(c) + k[i+1:]
				if err := ValidPublicKey(mutated); err == nil {
					t.Fatalf("ValidPublicKey(%q) (%q with position %d changed) = nil, want an error", mutated, k, i+1)
				}
			}
		}
	}
}

func TestValidPublicKeyErrors(t *testing.T) {
	good := "GDKXE2OZMJIPOSLNA6N6F2BVCI3O777I2OOC4BV7VOYUEHYX7RTRYA7Y"
	cases := map[string]struct {
		key  string
		want string
	}{
		"Empty":         {"", "is 0 characters long, not 56"},
		"Truncated":     {good[:55], "is 55 characters long, not 56"},
		"Extended":      {good + "A", "is 57 characters long, not 56"},
		"Lowercase":     {strings.ToLower(good), `has 'g' at position 1, which is not base32`},
		"NotBase32":     {good[:10] + "1" + good[11:], `has '1' at position 11, which is not base32`},
		"Padding":       {good[:55] + "=", `has '=' at position 56`},
		"TrailingSpace": {good[:55] + " ", `has ' ' at position 56`},
		"Checksum":      {good[:30] + "A" + good[31:], "has a wrong checksum"},
		"Seed":          {quickReferenceSeed, `starts with 'S', not 'G'`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidPublicKey(tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ValidPublicKey(%q) = %v, want an error containing %q", tc.key, err, tc.want)
			}
		})
	}
}

func TestPublicKeyOfSeed(t *testing.T) {
	got, err := PublicKeyOfSeed(quickReferenceSeed)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(quickReferencePublic, got); diff != "" {
		t.Errorf("PublicKeyOfSeed(docs/quick-reference.md seed): -want, +got:\n%s", diff)
	}
	for name, seed := range map[string]string{
		"PublicKey": quickReferencePublic,
		"Checksum":  quickReferenceSeed[:20] + "B" + quickReferenceSeed[21:],
		"Short":     quickReferenceSeed[:40],
		"NotBase32": quickReferenceSeed[:5] + "0" + quickReferenceSeed[6:],
	} {
		_, err := PublicKeyOfSeed(seed)
		if err == nil {
			t.Errorf("%s: PublicKeyOfSeed(%q) = nil error", name, seed)
			continue
		}
		// A seed is a secret: no error may quote any part of it.
		for i := 0; i+4 <= len(seed); i++ {
			if strings.Contains(err.Error(), seed[i:i+4]) {
				t.Errorf("%s: error %q quotes the seed", name, err)
				break
			}
		}
	}
}

func TestCRC16XModem(t *testing.T) {
	// The standard check value of CRC-16/XMODEM: "123456789" gives 0x31C3.
	if got := crc16XModem([]byte("123456789")); got != 0x31c3 {
		t.Errorf("crc16XModem(123456789) = %#x, want 0x31c3", got)
	}
}

func TestPublicKeyStrKey(t *testing.T) {
	raw, err := decodeStrKey(quickReferenceSeed, versionSeed, true)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey)
	if got := PublicKeyStrKey(pub); got != quickReferencePublic {
		t.Errorf("PublicKeyStrKey() = %s, want %s", got, quickReferencePublic)
	}
}
