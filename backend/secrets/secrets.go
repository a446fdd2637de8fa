// Package secrets encrypts credentials kept in the database (channel tokens, later shop API
// keys) with AES-256-GCM under a key kept outside it, so a copied database reveals none.
//
// A sealed value is text: "sealed:v1:" and the base64 of a random 12-byte nonce followed by
// the ciphertext and tag. Each value is sealed for a context (the table, column and row it
// belongs to), so a ciphertext moved to another row does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

const prefix = "sealed:v1:"

// ErrWrongKey is a sealed value that does not open with this key (another key, or tampered).
var ErrWrongKey = errors.New("secrets: the value does not open with this key")

// Box seals and opens values with one key.
type Box struct{ aead cipher.AEAD }

// New returns a box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: a key is %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for context.
func (b *Box) Seal(plaintext []byte, context string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	out := b.aead.Seal(nonce, nonce, plaintext, []byte(context))
	return prefix + base64.StdEncoding.EncodeToString(out)
}

// Open decrypts a sealed value for context.
func (b *Box) Open(sealed, context string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if !IsSealed(sealed) || err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, errors.New("secrets: not a sealed value")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

// IsSealed reports whether a stored value is sealed (rather than written before encryption).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// NewKey returns a random key as the text a key file holds.
func NewKey() string {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(k)
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded or not) or hex.
func ParseKey(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("secrets: not a key: want %d random bytes as base64 or hex (e.g. `head -c 32 /dev/urandom | base64`)", KeySize)
}

// CreateKeyFile writes a new random key to path, readable by its owner only. It never
// replaces an existing file.
func CreateKeyFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	text := NewKey()
	_, err = f.WriteString(text + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return ParseKey(text)
}
