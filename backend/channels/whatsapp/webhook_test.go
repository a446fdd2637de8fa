package whatsapp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"santral/backend/channels"
	"santral/backend/wire"
)

const (
	ourNumber = "106540352242922" // metadata.phone_number_id in every fixture
	ayse      = "905321234567"
	mehmet    = "905441112233"
	// Our outbound message that the status fixtures report on.
	ourMessage = "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSNUE2QjdDOEQ5RTBGMTIzNDUA"
	windowText = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
)

func at(unix int64) time.Time { return time.Unix(unix, 0).UTC() }

// one is a delivery with a single change for our number.
func one(msgs []channels.Inbound, sts []channels.Status) []channels.Webhook {
	return []channels.Webhook{{AccountID: ourNumber, Messages: msgs, Statuses: sts}}
}

func TestParseWebhookFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []channels.Webhook
	}{
		{"inbound_text.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA",
			SenderID:   ayse, Name: "Ayşe Yılmaz", Phone: ayse,
			Body: "Merhaba, 1043 numaralı siparişim ne zaman kargoya verilecek? 📦",
			At:   at(1764158400),
		}}, nil)},
		{"inbound_image.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMDk5QzFBMkUzRjQ1NkI3OEMA",
			SenderID:   ayse, Name: "Ayşe Yılmaz", Phone: ayse,
			Body: "Ürün bu şekilde geldi",
			Attachments: []channels.Media{{Kind: "image", Ref: "1479537139650973", MimeType: "image/jpeg",
				Caption: "Ürün bu şekilde geldi"}},
			At: at(1764158460),
		}}, nil)},
		{"inbound_document.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgMOTA1NDQxMTEyMjMzFQIAEhgUM0VCMEE1RjZBNzg5MEJDREVGMTIA",
			SenderID:   mehmet, Name: "Mehmet Demir", Phone: mehmet,
			Body: "Fatura",
			Attachments: []channels.Media{{Kind: "document", Ref: "2740596612936621", MimeType: "application/pdf",
				Name: "fatura-1043.pdf", Caption: "Fatura"}},
			At: at(1764158520),
		}}, nil)},
		{"inbound_button_reply.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEZGMTIzNDU2Nzg5MEFCQ0QA",
			SenderID:   ayse, Name: "Ayşe Yılmaz", Phone: ayse,
			Body: "Sipariş durumu", Choice: "menu_order_status",
			ReplyTo: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSQkE5QjJDM0Q0RTVGNjA3ODkA",
			At:      at(1764158580),
		}}, nil)},
		{"inbound_list_reply.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMDAwMTExMjIyMzMzNDQ0NTUA",
			SenderID:   ayse, Name: "Ayşe Yılmaz", Phone: ayse,
			Body: "İade ve değişim", Choice: "dept_returns",
			ReplyTo: "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSQ0QxMjM0NTY3ODlBQkNERUYA",
			At:      at(1764158640),
		}}, nil)},
		{"inbound_text_username_only.json", one([]channels.Inbound{{
			ExternalID: "wamid.HBgVVFIuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBQzRUIwQUJDREVGMDEyMzQ1Njc4OQA=",
			SenderID:   "TR.13491208655302741918", Name: "Can Öztürk", Phone: "",
			Body: "Selam, beden değişimi yapabilir miyim?",
			At:   at(1764158700),
		}}, nil)},
		{"status_sent.json", one(nil, []channels.Status{{ExternalID: ourMessage, Status: wire.StatusSent, At: at(1764158764)}})},
		{"status_delivered.json", one(nil, []channels.Status{{ExternalID: ourMessage, Status: wire.StatusDelivered, At: at(1764158769)}})},
		{"status_read.json", one(nil, []channels.Status{{ExternalID: ourMessage, Status: wire.StatusRead, At: at(1764158764)}})},
		{"status_failed_131047.json", one(nil, []channels.Status{{
			ExternalID: "wamid.HBgMOTA1NDQxMTEyMjMzFQIAERgSRkU5OEE3NjU0MzIxMEZFREMA",
			Status:     wire.StatusFailed, At: at(1764245000),
			Err: &channels.SendError{Code: 131047, Title: "Re-engagement message", Detail: windowText, Retry: false},
		}})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseWebhook(fixture(t, tt.file))
			if err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
			if !reflect.DeepEqual(noRaw(got), tt.want) {
				t.Fatalf("ParseWebhook(%s)\n got: %+v\nwant: %+v", tt.file, got, tt.want)
			}
		})
	}
}

// TestParseWebhookVariants covers what the Cloud API documents beyond the fixtures; each case is
// a fixture with its first message replaced.
func TestParseWebhookVariants(t *testing.T) {
	base := map[string]any{"from": ayse, "id": "wamid.VARIANT", "timestamp": "1764158400"}
	msg := func(fields map[string]any) func(map[string]any) {
		return func(v map[string]any) {
			m := map[string]any{}
			for k, x := range base {
				m[k] = x
			}
			for k, x := range fields {
				m[k] = x
			}
			v["messages"] = []any{m}
		}
	}
	in := func(body string, media ...channels.Media) channels.Inbound {
		return channels.Inbound{ExternalID: "wamid.VARIANT", SenderID: ayse, Name: "Ayşe Yılmaz", Phone: ayse,
			Body: body, Attachments: media, At: at(1764158400)}
	}
	tests := []struct {
		name string
		edit func(map[string]any)
		want channels.Inbound
	}{
		{"audio (voice note)", msg(map[string]any{"type": "audio", "audio": map[string]any{"id": "5501", "mime_type": "audio/ogg; codecs=opus", "voice": true}}),
			in("", channels.Media{Kind: "audio", Ref: "5501", MimeType: "audio/ogg; codecs=opus"})},
		{"video with caption", msg(map[string]any{"type": "video", "video": map[string]any{"id": "5502", "mime_type": "video/mp4", "caption": "Kutu ezik"}}),
			in("Kutu ezik", channels.Media{Kind: "video", Ref: "5502", MimeType: "video/mp4", Caption: "Kutu ezik"})},
		{"sticker", msg(map[string]any{"type": "sticker", "sticker": map[string]any{"id": "5503", "mime_type": "image/webp", "animated": false}}),
			in("", channels.Media{Kind: "sticker", Ref: "5503", MimeType: "image/webp"})},
		{"location", msg(map[string]any{"type": "location", "location": map[string]any{"latitude": 41.0082, "longitude": 28.9784, "name": "Mağaza", "address": "İstiklal Cd. 10, Beyoğlu"}}),
			in("Mağaza, İstiklal Cd. 10, Beyoğlu", channels.Media{Kind: "location", Name: "Mağaza", Latitude: 41.0082, Longitude: 28.9784})},
		{"location without names", msg(map[string]any{"type": "location", "location": map[string]any{"latitude": 39.9334, "longitude": 32.8597}}),
			in("", channels.Media{Kind: "location", Latitude: 39.9334, Longitude: 32.8597})},
		{"template quick-reply button", msg(map[string]any{"type": "button", "button": map[string]any{"payload": "STOP", "text": "Bildirimleri durdur"}}),
			in("Bildirimleri durdur")},
		{"shared contact", msg(map[string]any{"type": "contacts", "contacts": []any{map[string]any{
			"name": map[string]any{"formatted_name": "Kargo Şube"}, "phones": []any{map[string]any{"phone": "+90 212 555 00 00"}}}}}),
			in("Kargo Şube: +90 212 555 00 00")},
		{"unknown type is kept", msg(map[string]any{"type": "hologram", "hologram": map[string]any{"id": "1"}}),
			in("[unsupported: hologram]")},
		{"unsupported type from Meta", msg(map[string]any{"type": "unsupported", "errors": []any{map[string]any{"code": 131051, "title": "Message type unknown"}}}),
			in("[unsupported: unsupported]")},
		{"media without id is kept", msg(map[string]any{"type": "image", "image": map[string]any{"mime_type": "image/jpeg"}}),
			in("[unsupported: image]")},
		{"text without text object", msg(map[string]any{"type": "text"}),
			in("[unsupported: text]")},
		{"unknown interactive", msg(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "product_reply"}}),
			in("[unsupported: interactive product_reply]")},
		{"flow answer", msg(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "nfm_reply",
			"nfm_reply": map[string]any{"name": "flow", "body": "Sent", "response_json": `{"beden":"M"}`}}}),
			in("Sent")},
		{"unreadable timestamp keeps the message", msg(map[string]any{"type": "text", "timestamp": "yarın", "text": map[string]any{"body": "Merhaba"}}),
			channels.Inbound{ExternalID: "wamid.VARIANT", SenderID: ayse, Name: "Ayşe Yılmaz", Phone: ayse, Body: "Merhaba"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWebhook(variant(t, "inbound_text.json", tt.edit))
			if err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
			want := one([]channels.Inbound{tt.want}, nil)
			if !reflect.DeepEqual(noRaw(got), want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseWebhookReaction(t *testing.T) {
	raw := variant(t, "inbound_text.json", func(v map[string]any) {
		v["messages"] = []any{map[string]any{"from": ayse, "id": "wamid.REACTION", "timestamp": "1764158800", "type": "reaction",
			"reaction": map[string]any{"message_id": ourMessage, "emoji": "👍"}}}
	})
	got, err := ParseWebhook(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := one([]channels.Inbound{{ExternalID: "wamid.REACTION", SenderID: ayse, Name: "Ayşe Yılmaz", Phone: ayse,
		Body: "👍", ReplyTo: ourMessage, At: at(1764158800)}}, nil)
	if !reflect.DeepEqual(noRaw(got), want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// A customer with both a phone number and a user id stays keyed on the phone number.
func TestParseWebhookPhoneAndUserID(t *testing.T) {
	raw := variant(t, "inbound_text.json", func(v map[string]any) {
		v["contacts"].([]any)[0].(map[string]any)["user_id"] = "TR.99"
		firstMsg := v["messages"].([]any)[0].(map[string]any)
		firstMsg["from_user_id"] = "TR.99"
	})
	got, err := ParseWebhook(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := got[0].Messages[0]
	if m.SenderID != ayse || m.Phone != ayse || m.Name != "Ayşe Yılmaz" {
		t.Fatalf("got sender %q phone %q name %q", m.SenderID, m.Phone, m.Name)
	}
}

// Several messages and contacts in one change each get their own sender's name.
func TestParseWebhookSeveralSenders(t *testing.T) {
	raw := variant(t, "inbound_text.json", func(v map[string]any) {
		v["contacts"] = []any{
			map[string]any{"profile": map[string]any{"name": "Ayşe Yılmaz"}, "wa_id": ayse},
			map[string]any{"profile": map[string]any{"name": "Mehmet Demir"}, "wa_id": mehmet},
		}
		v["messages"] = []any{
			map[string]any{"from": mehmet, "id": "wamid.M", "timestamp": "1764158400", "type": "text", "text": map[string]any{"body": "Selam"}},
			map[string]any{"from": ayse, "id": "wamid.A", "timestamp": "1764158401", "type": "text", "text": map[string]any{"body": "Merhaba"}},
		}
	})
	got, err := ParseWebhook(raw)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got[0].Messages); n != 2 {
		t.Fatalf("%d messages", n)
	}
	if a, b := got[0].Messages[0].Name, got[0].Messages[1].Name; a != "Mehmet Demir" || b != "Ayşe Yılmaz" {
		t.Fatalf("names %q, %q", a, b)
	}
}

// What cannot be stored (no id, no sender, not decodable) becomes a Reject with its JSON; the
// rest of the delivery is parsed as usual.
func TestParseWebhookRejectsWhatCannotBeRouted(t *testing.T) {
	raw := variant(t, "inbound_text.json", func(v map[string]any) {
		v["contacts"] = []any{"not a contact", v["contacts"].([]any)[0]}
		v["messages"] = []any{
			map[string]any{"from": ayse, "timestamp": "1764158400", "type": "text", "text": map[string]any{"body": "no id"}},
			map[string]any{"id": "wamid.NOSENDER", "timestamp": "1764158400", "type": "text", "text": map[string]any{"body": "no sender"}},
			map[string]any{"from": ayse, "id": "wamid.BADTEXT", "timestamp": "1764158400", "type": "text", "text": map[string]any{"body": 5}},
			map[string]any{"from": ayse, "id": "wamid.OK", "timestamp": "1764158400", "type": "text", "text": map[string]any{"body": "ok"}},
		}
		v["statuses"] = []any{
			map[string]any{"id": ourMessage, "status": "deleted", "timestamp": "1764158400"},
			map[string]any{"status": "read", "timestamp": "1764158400"},
			map[string]any{"id": "wamid.BADSTATUS", "status": 3},
			map[string]any{"id": ourMessage, "status": "failed", "timestamp": "1764158400"},
		}
	})
	got, err := ParseWebhook(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := got[0].Messages
	if len(m) != 1 || m[0].ExternalID != "wamid.OK" || m[0].Name != "Ayşe Yılmaz" || !strings.Contains(string(m[0].Raw), `"wamid.OK"`) {
		t.Fatalf("messages %+v", m)
	}
	sts := got[0].Statuses
	if len(sts) != 1 || sts[0].Status != wire.StatusFailed || sts[0].Err == nil || sts[0].Err.Retry {
		t.Fatalf("statuses %+v", sts)
	}
	rejects := got[0].Rejects
	want := []struct{ id, in string }{{"", "no id"}, {"wamid.NOSENDER", "no sender"}, {"wamid.BADTEXT", `"body":5`}, {"wamid.BADSTATUS", `"status":3`}}
	if len(rejects) != len(want) {
		t.Fatalf("rejects %+v", rejects)
	}
	for i, w := range want {
		if r := rejects[i]; r.ExternalID != w.id || !strings.Contains(string(r.Raw), w.in) || r.Reason == "" {
			t.Errorf("reject %d: %+v, want id %q with %s", i, r, w.id, w.in)
		}
	}
}

func TestParseWebhookSeveralChanges(t *testing.T) {
	doc := fixtureJSON(t, "inbound_text.json")
	status := fixtureJSON(t, "status_read.json")
	entry := doc["entry"].([]any)[0].(map[string]any)
	entry["changes"] = append(entry["changes"].([]any),
		status["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0],
		map[string]any{"field": "message_template_status_update", "value": map[string]any{"event": "APPROVED"}},
	)
	got, err := ParseWebhook(mustJSON(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Messages) != 1 || len(got[1].Statuses) != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestParseWebhookRefuses(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"not JSON", "merhaba"},
		{"truncated", string(fixture(t, "inbound_text.json")[:200])},
		{"messenger delivery", `{"object":"page","entry":[]}`},
		{"no object", `{"entry":[]}`},
		{"array", `[]`},
		{"wrong shape", `{"object":"whatsapp_business_account","entry":{"id":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseWebhook([]byte(tt.raw)); err == nil {
				t.Fatalf("ParseWebhook = %+v, nil; want an error", got)
			}
		})
	}
	_, err := ParseWebhook([]byte(strings.Replace(string(fixture(t, "inbound_text.json")), "whatsapp_business_account", "instagram", 1)))
	if !errors.Is(err, ErrNotWhatsApp) {
		t.Fatalf("err = %v; want ErrNotWhatsApp", err)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{130429, true}, {131056, true}, {131000, true}, {131016, true}, {133004, true}, {1, true}, {2, true},
		{131047, false}, {131026, false}, {131051, false}, {132000, false}, {132001, false}, {132015, false},
		{190, false}, {100, false}, {131062, false}, {0, false}, {999999, false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.code); got != tt.want {
			t.Errorf("Retryable(%d) = %v; want %v", tt.code, got, tt.want)
		}
	}
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
