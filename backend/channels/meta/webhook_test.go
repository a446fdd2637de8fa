package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"santral/backend/channels"
	"santral/backend/wire"
)

const fixtures = "../testdata"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

const (
	pageID     = "113847210395821"
	customerID = "6729101843819203"
	igID       = "17841405793187218"
)

func TestParseWebhookFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []channels.Webhook
	}{
		{"messenger/inbound_text.json", []channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{
			ExternalID: "m_Xk2Yq8vNf0J5mB3Tq1rLpA7sW9dE4gH6jK8lZ0xC2vB4nM6",
			SenderID:   customerID,
			Body:       "İyi günler, kapıda ödeme var mı?",
			At:         ms(1764158799876),
		}}}}},
		{"messenger/inbound_image.json", []channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{
			ExternalID:  "m_Pq9Rs8Tu7Vw6Xy5Za4Bc3De2Fg1Hi0Jk9Lm8No7Pq6Rs5T",
			SenderID:    customerID,
			Attachments: []channels.Media{{Kind: "image", Ref: "https://scontent.xx.fbcdn.net/v/t1.15752-9/example.jpg?oh=00_Ab&oe=6760A1B2"}},
			At:          ms(1764158860111),
		}}}}},
		// The page is the sender of an echo; the customer is its recipient.
		{"messenger/echo.json", []channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{
			ExternalID: "m_Echo1Ab2Cd3Ef4Gh5Ij6Kl7Mn8Op9Qr0St1Uv2Wx3Yz4",
			SenderID:   customerID,
			Body:       "Evet, kapıda ödeme seçeneğimiz var.",
			At:         ms(1764158900555),
			Echo:       true,
		}}}}},
		{"instagram/inbound_text.json", []channels.Webhook{{AccountID: igID, Messages: []channels.Inbound{{
			ExternalID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1NzkzMTg3MjE4OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTcyNjAzNDQ3Nzc5MTQyMDozMTg3",
			SenderID:   "1054786322945120",
			Body:       "Bu ceketin M bedeni stokta var mı?",
			At:         ms(1764158949500),
		}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseWebhook(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(noRaw(got), tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// event wraps messaging events in a page webhook for one entry.
func event(object string, events ...string) []byte {
	return []byte(`{"object":"` + object + `","entry":[{"id":"` + pageID + `","time":1,"messaging":[` + strings.Join(events, ",") + `]}]}`)
}

func TestParseWebhookVariants(t *testing.T) {
	const from = `"sender":{"id":"` + customerID + `"},"recipient":{"id":"` + pageID + `"},"timestamp":1764158999000`
	tests := []struct {
		name string
		raw  []byte
		want []channels.Webhook
	}{
		{"reply to one of ours", event("page", `{`+from+`,"message":{"mid":"m_2","text":"bu mu?","reply_to":{"mid":"m_ours"}}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_2", SenderID: customerID, Body: "bu mu?", ReplyTo: "m_ours", At: ms(1764158999000)}}}}},
		{"every attachment type", event("page", `{`+from+`,"message":{"mid":"m_3","attachments":[
			{"type":"video","payload":{"url":"https://cdn/v.mp4"}},
			{"type":"audio","payload":{"url":"https://cdn/a.mp4"}},
			{"type":"file","payload":{"url":"https://cdn/f.pdf"}},
			{"type":"image","payload":{"url":"https://cdn/like.png","sticker_id":369239263222822}},
			{"type":"location","payload":{"coordinates":{"lat":41.0082,"long":28.9784}}},
			{"type":"fallback","payload":{"url":"https://example.com","title":"link"}},
			{"type":"template","payload":{"product":{"elements":[]}}},
			{"type":"image","payload":null},
			{"type":"image"}]}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_3", SenderID: customerID, At: ms(1764158999000), Attachments: []channels.Media{
				{Kind: "video", Ref: "https://cdn/v.mp4"},
				{Kind: "audio", Ref: "https://cdn/a.mp4"},
				{Kind: "document", Ref: "https://cdn/f.pdf"},
				{Kind: "sticker", Ref: "https://cdn/like.png"},
				{Kind: "location", Latitude: 41.0082, Longitude: 28.9784},
			}}}}}},
		{"a timestamp that cannot be read keeps the message", event("page", `{"sender":{"id":"`+customerID+`"},"recipient":{"id":"`+pageID+`"},"timestamp":"yarın","message":{"mid":"m_5","text":"x"}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_5", SenderID: customerID, Body: "x"}}}}},
		{"a timestamp sent as a string is read", event("page", `{"sender":{"id":"`+customerID+`"},"recipient":{"id":"`+pageID+`"},"timestamp":"1764158999000","message":{"mid":"m_6","text":"x"}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_6", SenderID: customerID, Body: "x", At: ms(1764158999000)}}}}},
		{"unsupported content still counts as the customer writing", event("instagram", `{`+from+`,"message":{"mid":"m_4","attachments":[{"type":"ig_reel","payload":{"url":"https://ig/reel"}}]}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_4", SenderID: customerID, Body: "[unsupported: ig_reel]", At: ms(1764158999000)}}}}},
		{"delivery mids become delivered statuses", event("page", `{`+from+`,"delivery":{"mids":["m_a","m_b",""],"watermark":1764158998000}}`),
			[]channels.Webhook{{AccountID: pageID, Statuses: []channels.Status{
				{ExternalID: "m_a", Status: wire.StatusDelivered, At: ms(1764158999000)},
				{ExternalID: "m_b", Status: wire.StatusDelivered, At: ms(1764158999000)},
			}}}},
		{"delivery with only a watermark names nothing", event("page", `{`+from+`,"delivery":{"watermark":1764158998000}}`),
			[]channels.Webhook{{AccountID: pageID}}},
		{"messenger read watermark is skipped", event("page", `{`+from+`,"read":{"watermark":1764158998000}}`),
			[]channels.Webhook{{AccountID: pageID}}},
		{"instagram read names its mid", event("instagram", `{`+from+`,"read":{"mid":"m_ours"}}`),
			[]channels.Webhook{{AccountID: pageID, Statuses: []channels.Status{{ExternalID: "m_ours", Status: wire.StatusRead, At: ms(1764158999000)}}}}},
		{"postback with mid is the button title", event("page", `{`+from+`,"postback":{"mid":"m_pb","title":"Siparişim nerede?","payload":"ORDER"}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_pb", SenderID: customerID, Body: "Siparişim nerede?", At: ms(1764158999000)}}}}},
		{"postback without mid is skipped", event("page", `{`+from+`,"postback":{"title":"x","payload":"X"}}`),
			[]channels.Webhook{{AccountID: pageID}}},
		{"deleted message and reaction are skipped", event("instagram",
			`{`+from+`,"message":{"mid":"m_5","is_deleted":true}}`,
			`{`+from+`,"reaction":{"mid":"m_ours","action":"react","reaction":"love"}}`),
			[]channels.Webhook{{AccountID: pageID}}},
		{"instagram echo", event("instagram", `{"sender":{"id":"`+pageID+`"},"recipient":{"id":"99"},"timestamp":5,"message":{"mid":"m_e","is_echo":true,"text":"tamam"}}`),
			[]channels.Webhook{{AccountID: pageID, Messages: []channels.Inbound{{ExternalID: "m_e", SenderID: "99", Body: "tamam", At: ms(5), Echo: true}}}}},
		{"several events and entries", []byte(`{"object":"page","entry":[
			{"id":"p1","messaging":[{"sender":{"id":"c1"},"recipient":{"id":"p1"},"timestamp":1,"message":{"mid":"a","text":"1"}},{"sender":{"id":"c1"},"recipient":{"id":"p1"},"timestamp":2,"message":{"mid":"b","text":"2"}}]},
			{"id":"p2","messaging":[{"sender":{"id":"c2"},"recipient":{"id":"p2"},"timestamp":3,"message":{"mid":"c","text":"3"}}]},
			{"id":"p3","changes":[{"field":"comments"}]}]}`),
			[]channels.Webhook{
				{AccountID: "p1", Messages: []channels.Inbound{{ExternalID: "a", SenderID: "c1", Body: "1", At: ms(1)}, {ExternalID: "b", SenderID: "c1", Body: "2", At: ms(2)}}},
				{AccountID: "p2", Messages: []channels.Inbound{{ExternalID: "c", SenderID: "c2", Body: "3", At: ms(3)}}},
				{AccountID: "p3"},
			}},
		{"no entries", []byte(`{"object":"page","entry":[]}`), []channels.Webhook{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWebhook(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(noRaw(got), tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseWebhookRefusesMalformed(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"not json", `{"object":"page",`},
		{"empty", ``},
		{"array", `[]`},
		{"whatsapp object", `{"object":"whatsapp_business_account","entry":[]}`},
		{"no object", `{"entry":[]}`},
		{"entry without id", `{"object":"page","entry":[{"messaging":[]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseWebhook([]byte(tt.raw)); err == nil {
				t.Errorf("got %+v, want an error", got)
			}
		})
	}
}

// A malformed event is recorded as a Reject with its JSON; the good event beside it is parsed.
func TestParseWebhookRejectsMalformedEvents(t *testing.T) {
	good := `{"sender":{"id":"c"},"recipient":{"id":"p"},"timestamp":1,"message":{"mid":"ok","text":"iyi"}}`
	tests := []struct{ name, event, mid string }{
		{"message without mid", `{"sender":{"id":"c"},"recipient":{"id":"p"},"timestamp":1,"message":{"text":"x"}}`, ""},
		{"message without sender", `{"recipient":{"id":"p"},"timestamp":1,"message":{"mid":"m","text":"x"}}`, "m"},
		{"echo without recipient", `{"sender":{"id":"p"},"timestamp":1,"message":{"mid":"m","is_echo":true,"text":"x"}}`, "m"},
		{"postback without sender", `{"recipient":{"id":"p"},"timestamp":1,"postback":{"mid":"m","title":"x"}}`, "m"},
		{"numeric sender id", `{"sender":{"id":5},"recipient":{"id":"p"},"timestamp":1,"message":{"mid":"m"}}`, "m"},
		{"text not a string", `{"sender":{"id":"c"},"recipient":{"id":"p"},"timestamp":1,"message":{"mid":"m","text":5}}`, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWebhook(event("page", tt.event, good))
			if err != nil {
				t.Fatalf("one bad event refused the delivery: %v", err)
			}
			if len(got) != 1 || len(got[0].Messages) != 1 || got[0].Messages[0].ExternalID != "ok" || string(got[0].Messages[0].Raw) != good {
				t.Fatalf("the good event is parsed with its JSON: %+v", got)
			}
			if r := got[0].Rejects; len(r) != 1 || string(r[0].Raw) != tt.event || r[0].Reason == "" || r[0].ExternalID != tt.mid {
				t.Fatalf("the bad event is a Reject: %+v", r)
			}
		})
	}
}

func sign(raw []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(raw)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	const secret = "a1b2c3d4e5f6"
	raw := fixture(t, "messenger/inbound_text.json")
	good := sign(raw, secret)
	tampered := append([]byte{}, raw...)
	tampered[len(tampered)-3] ^= 1
	tests := []struct {
		name   string
		raw    []byte
		header string
		secret string
		ok     bool
	}{
		{"good", raw, good, secret, true},
		{"good, upper-case hex", raw, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), secret, true},
		{"tampered body", tampered, good, secret, false},
		{"body re-encoded", []byte(strings.ReplaceAll(string(raw), "  ", " ")), good, secret, false},
		{"wrong secret", raw, sign(raw, "other"), secret, false},
		{"missing header", raw, "", secret, false},
		{"no prefix", raw, strings.TrimPrefix(good, "sha256="), secret, false},
		{"sha1 scheme", raw, "sha1=" + strings.TrimPrefix(good, "sha256="), secret, false},
		{"not hex", raw, "sha256=zz" + good[9:], secret, false},
		{"truncated", raw, good[:len(good)-2], secret, false},
		{"prefix only", raw, "sha256=", secret, false},
		{"no app secret configured", raw, sign(raw, ""), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.raw, tt.header, tt.secret)
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, channels.ErrBadSignature) {
				t.Errorf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestVerifyHandshake(t *testing.T) {
	q := func(mode, token, challenge string) url.Values {
		v := url.Values{}
		for k, s := range map[string]string{"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge} {
			if s != "" {
				v.Set(k, s)
			}
		}
		return v
	}
	tests := []struct {
		name      string
		query     url.Values
		token     string
		challenge string
		ok        bool
	}{
		{"matching token", q("subscribe", "T0ken", "1158201444"), "T0ken", "1158201444", true},
		{"wrong token", q("subscribe", "nope", "1158201444"), "T0ken", "", false},
		{"token prefix", q("subscribe", "T0k", "1158201444"), "T0ken", "", false},
		{"wrong mode", q("unsubscribe", "T0ken", "1158201444"), "T0ken", "", false},
		{"no token configured", q("subscribe", "", "1158201444"), "", "", false},
		{"no challenge", q("subscribe", "T0ken", ""), "T0ken", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			challenge, ok := VerifyHandshake(tt.query, tt.token)
			if challenge != tt.challenge || ok != tt.ok {
				t.Errorf("got (%q, %v), want (%q, %v)", challenge, ok, tt.challenge, tt.ok)
			}
		})
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"messenger/inbound_text.json", "messenger/inbound_image.json", "messenger/echo.json", "instagram/inbound_text.json"} {
		f.Add(fixture(f, name))
	}
	f.Add(event("page", `{"sender":{"id":"c"},"recipient":{"id":"p"},"timestamp":1,"delivery":{"mids":["m"]}}`))
	f.Add(event("instagram", `{"sender":{"id":"c"},"recipient":{"id":"p"},"timestamp":1,"read":{"mid":"m"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hooks, err := ParseWebhook(raw)
		if err != nil {
			return
		}
		for _, h := range hooks {
			if h.AccountID == "" {
				t.Fatalf("webhook without account id: %+v", h)
			}
			for _, m := range h.Messages {
				if m.ExternalID == "" || m.SenderID == "" {
					t.Fatalf("message without ids: %+v", m)
				}
			}
			for _, s := range h.Statuses {
				if s.ExternalID == "" || s.Status == "" {
					t.Fatalf("status without id: %+v", s)
				}
			}
		}
	})
}

// noRaw drops the provider JSON each parsed message keeps for the record, so parsed values can
// be compared with what a test expects.
func noRaw(hooks []channels.Webhook) []channels.Webhook {
	for i := range hooks {
		for j := range hooks[i].Messages {
			hooks[i].Messages[j].Raw = nil
		}
	}
	return hooks
}
