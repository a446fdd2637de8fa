package whatsapp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"santral/backend/channels"
	"santral/backend/wire"
)

func FuzzParseWebhook(f *testing.F) {
	for _, pattern := range []string{"inbound_*.json", "status_*.json"} {
		names, _ := filepath.Glob(filepath.Join(fixtureDir(f), pattern))
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"x","from_user_id":"TR.1","type":"reaction","timestamp":9e99}]}}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hooks, err := ParseWebhook(raw)
		if err != nil {
			if hooks != nil {
				t.Fatal("webhooks returned with an error")
			}
			return
		}
		for _, h := range hooks {
			for _, m := range h.Messages {
				if m.ExternalID == "" || m.SenderID == "" {
					t.Fatalf("message without id or sender: %+v", m)
				}
				if m.Body == "" && len(m.Attachments) == 0 {
					t.Fatalf("message with nothing in it: %+v", m)
				}
			}
			for _, s := range h.Statuses {
				if s.ExternalID == "" {
					t.Fatalf("status without id: %+v", s)
				}
				switch s.Status {
				case wire.StatusSent, wire.StatusDelivered, wire.StatusRead:
				case wire.StatusFailed:
					if s.Err == nil {
						t.Fatalf("failed status without an error: %+v", s)
					}
				default:
					t.Fatalf("status %q", s.Status)
				}
			}
		}
	})
}

func FuzzVerifySignature(f *testing.F) {
	body := fixture(f, "inbound_text.json")
	f.Add(body, sign(body, "app-secret"), "app-secret")
	f.Add(body, "sha256=", "app-secret")
	f.Add([]byte{}, "", "")
	f.Add(body, "sha256="+strings.Repeat("0", 64), "s")
	f.Fuzz(func(t *testing.T, raw []byte, header, secret string) {
		err := VerifySignature(raw, header, secret)
		want := sign(raw, secret)
		h := strings.TrimSpace(header)
		matches := secret != "" && strings.HasPrefix(h, "sha256=") && strings.EqualFold(h, want)
		if (err == nil) != matches {
			t.Fatalf("VerifySignature(%q, %q) = %v; signature matches: %v", header, secret, err, matches)
		}
		if err != nil && !errors.Is(err, channels.ErrBadSignature) {
			t.Fatalf("error %v is not ErrBadSignature", err)
		}
		// The right signature always passes.
		if secret != "" {
			if err := VerifySignature(raw, want, secret); err != nil {
				t.Fatalf("correct signature refused: %v", err)
			}
		}
	})
}
