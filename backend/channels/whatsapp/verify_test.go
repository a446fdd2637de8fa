package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	"santral/backend/channels"
)

func TestVerifyHandshake(t *testing.T) {
	const token = "santral-dogrulama-7f3a"
	tests := []struct {
		name  string
		query string
		token string
		want  string
		ok    bool
	}{
		{"matching token", "hub.mode=subscribe&hub.verify_token=santral-dogrulama-7f3a&hub.challenge=1158201444", token, "1158201444", true},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=tahmin&hub.challenge=1158201444", token, "", false},
		{"token prefix", "hub.mode=subscribe&hub.verify_token=santral&hub.challenge=1158201444", token, "", false},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=santral-dogrulama-7f3a&hub.challenge=1158201444", token, "", false},
		{"no mode", "hub.verify_token=santral-dogrulama-7f3a&hub.challenge=1158201444", token, "", false},
		{"no challenge", "hub.mode=subscribe&hub.verify_token=santral-dogrulama-7f3a", token, "", false},
		{"no token configured", "hub.mode=subscribe&hub.verify_token=&hub.challenge=1158201444", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := VerifyHandshake(q, tt.token)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("VerifyHandshake = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	const secret = "3f1c9a7d2b8e4f60a1c5d9e7b3f2a4c8"
	body := fixture(t, "inbound_text.json")
	good := sign(body, secret)
	tampered := []byte(strings.Replace(string(body), "1043", "1044", 1))
	tests := []struct {
		name   string
		body   []byte
		header string
		secret string
		ok     bool
	}{
		{"good", body, good, secret, true},
		{"good, upper-case hex", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), secret, true},
		{"tampered body", tampered, good, secret, false},
		{"other secret", body, sign(body, "baska-bir-sir"), secret, false},
		{"missing header", body, "", secret, false},
		{"sha1 scheme", body, "sha1=" + strings.TrimPrefix(good, "sha256="), secret, false},
		{"no prefix", body, strings.TrimPrefix(good, "sha256="), secret, false},
		{"not hex", body, "sha256=zz" + good[9:], secret, false},
		{"truncated", body, good[:len(good)-2], secret, false},
		{"too long", body, good + "00", secret, false},
		{"empty secret, signed with it", body, sign(body, ""), "", false},
		{"empty body", nil, sign(nil, secret), secret, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.body, tt.header, tt.secret)
			if tt.ok && err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
			if !tt.ok && !errors.Is(err, channels.ErrBadSignature) {
				t.Fatalf("VerifySignature = %v; want ErrBadSignature", err)
			}
		})
	}
}
