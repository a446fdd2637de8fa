// Package auth hashes passwords and makes login tokens. Tokens are stored only as their
// SHA-256, so a copy of the database does not let anyone log in.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is bcrypt's work factor for new passwords.
const DefaultCost = bcrypt.DefaultCost

// HashPassword returns a bcrypt hash of the password at the given cost (bcrypt.MinCost–31).
func HashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}

// dummyHash is compared against when the user does not exist, so a login takes as long for an
// unknown username as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("santral-dummy-password"), bcrypt.DefaultCost)

// CheckPassword reports whether password matches hash ("" hash: an unknown user).
func CheckPassword(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// NewToken returns a random bearer token and the hash to store.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomPassword returns a readable random password (first start's admin).
func RandomPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
