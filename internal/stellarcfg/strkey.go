package stellarcfg

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// Strkey version bytes, before the shift by 3 (stellar-core
// src/crypto/StrKey.h, StrKeyVersionByte, at a9b8613218e141ddb89d621e5f04d4c75a149d36).
const (
	versionPublicKey = 6  // 'G'
	versionSeed      = 18 // 'S'
)

// strKeyLen is the length of an ed25519 public key or seed strkey: one
// version byte, 32 key bytes and a 2-byte checksum, in unpadded base32.
const strKeyLen = 56

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// decodeStrKey checks a strkey the way core does (src/crypto/StrKey.cpp
// fromStrKey, KeyUtils.h fromStrKey and SecretKey.cpp fromStrKeySeed at
// a9b8613218e141ddb89d621e5f04d4c75a149d36) and returns its 32 key bytes.
//
// Core's base32 decoder skips characters outside the alphabet, but then
// requires the string to be exactly as long as 32 decoded bytes need, so it
// accepts exactly 56 alphabet characters, as this does. Like core, it compares
// only the top 5 bits of the version byte (core shifts the byte right by 3).
// A secret's characters never appear in the error.
func decodeStrKey(s string, version byte, secret bool) ([]byte, error) {
	if len(s) != strKeyLen {
		return nil, fmt.Errorf("is %d characters long, not %d", len(s), strKeyLen)
	}
	raw := make([]byte, 0, 35)
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		v := indexBase32(s[i])
		if v < 0 {
			if secret {
				return nil, fmt.Errorf("has a character that is not base32 (A-Z, 2-7) at position %d", i+1)
			}
			return nil, fmt.Errorf("has %q at position %d, which is not base32 (A-Z, 2-7)", s[i], i+1)
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	body, sum := raw[:33], raw[33:]
	if crc16XModem(body) != uint16(sum[0])|uint16(sum[1])<<8 {
		return nil, errors.New("has a wrong checksum")
	}
	if got := body[0] >> 3; got != version {
		if secret {
			return nil, fmt.Errorf("does not start with %q", base32Alphabet[version])
		}
		return nil, fmt.Errorf("starts with %q, not %q", s[0], base32Alphabet[version])
	}
	return body[1:], nil
}

func indexBase32(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= '2' && c <= '7':
		return int(c-'2') + 26
	}
	return -1
}

// encodeStrKey encodes 32 key bytes as a strkey of the given version.
func encodeStrKey(version byte, key []byte) string {
	raw := make([]byte, 0, 35)
	raw = append(raw, version<<3)
	raw = append(raw, key...)
	sum := crc16XModem(raw)
	raw = append(raw, byte(sum), byte(sum>>8))
	out := make([]byte, 0, strKeyLen)
	var acc uint32
	bits := 0
	for _, b := range raw {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, base32Alphabet[(acc>>bits)&31])
		}
	}
	return string(out) // 35 bytes are exactly 56 characters: no remainder
}

// crc16XModem is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
// reflection), the checksum of strkeys (stellar-core lib/util/crc16.cpp).
func crc16XModem(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// ValidPublicKey reports why s is not an ed25519 public key strkey (G...)
// that stellar-core accepts, or nil.
func ValidPublicKey(s string) error {
	if _, err := decodeStrKey(s, versionPublicKey, false); err != nil {
		return fmt.Errorf("public key %q %w", abbreviate(s), err)
	}
	return nil
}

// PublicKeyOfSeed returns the public key (G...) of an ed25519 seed strkey
// (S...), or why the seed is not one stellar-core accepts.
func PublicKeyOfSeed(seed string) (string, error) {
	raw, err := decodeStrKey(seed, versionSeed, true)
	if err != nil {
		// Never echo a seed: it is a secret.
		return "", fmt.Errorf("seed %w", err)
	}
	pub, ok := ed25519.NewKeyFromSeed(raw).Public().(ed25519.PublicKey)
	if !ok {
		return "", errors.New("cannot derive the public key of the seed")
	}
	return encodeStrKey(versionPublicKey, pub), nil
}

// PublicKeyStrKey is the strkey (G...) of an ed25519 public key.
func PublicKeyStrKey(pub ed25519.PublicKey) string {
	return encodeStrKey(versionPublicKey, pub)
}

// abbreviate shortens long values in messages.
func abbreviate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:60] + "..."
}

// SeedStrKey encodes a 32-byte ed25519 seed as the "S..." strkey stellar-core reads in NODE_SEED: tests give
// their validators seeds derived from a fixed string, never real ones.
func SeedStrKey(seed []byte) string {
	return encodeStrKey(versionSeed, seed)
}
