// Package whatsapp is the WhatsApp Cloud API channel: it checks and parses the webhooks Meta
// POSTs to Santral, and sends, downloads media and lists templates through the Graph API at a
// configurable base URL.
package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"santral/backend/channels"
)

// VerifyHandshake answers Meta's subscription check (GET ?hub.mode=subscribe&hub.verify_token=…
// &hub.challenge=…): ok when the token matches, and the challenge is then the whole 200 body.
// The challenge is echoed from the request, so the caller must write it as text/plain.
func VerifyHandshake(query url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || query.Get("hub.mode") != "subscribe" {
		return "", false
	}
	// Hashing first keeps the comparison constant-time in the length of the token as well.
	got := sha256.Sum256([]byte(query.Get("hub.verify_token")))
	want := sha256.Sum256([]byte(verifyToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return "", false
	}
	challenge = query.Get("hub.challenge")
	return challenge, challenge != ""
}

// VerifySignature checks X-Hub-Signature-256 ("sha256=<hex HMAC-SHA256 of the raw body>", keyed
// with the app secret) before anything is parsed. Every failure wraps channels.ErrBadSignature.
// Messenger and Instagram sign their webhooks the same way.
func VerifySignature(raw []byte, header, appSecret string) error {
	if appSecret == "" {
		// An empty key is a key anyone knows: refuse rather than accept forged deliveries.
		return fmt.Errorf("%w: no app secret configured", channels.ErrBadSignature)
	}
	sig, found := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !found {
		return fmt.Errorf("%w: missing or malformed X-Hub-Signature-256", channels.ErrBadSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed X-Hub-Signature-256", channels.ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(raw)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: signature does not match the body", channels.ErrBadSignature)
	}
	return nil
}
