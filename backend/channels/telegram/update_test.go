package telegram

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"santral/backend/channels"
)

const fixtures = "../testdata/telegram"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

const chatID = "5128834410"

func TestParseUpdateFixtures(t *testing.T) {
	tests := []struct {
		file string
		want channels.Inbound
	}{
		{"update_text.json", channels.Inbound{ExternalID: "804512331", SenderID: chatID, Name: "Zeynep Kaya",
			Body: "Merhaba, iade kodumu alabilir miyim?", At: unix(1764159000)}},
		// Sizes come smallest first: the 1280×960 one is the photo.
		{"update_photo.json", channels.Inbound{ExternalID: "804512332", SenderID: chatID, Name: "Zeynep",
			Body: "Kutu hasarlı geldi", At: unix(1764159060),
			Attachments: []channels.Media{{Kind: "image", Ref: "AgACAgQAAxkBAAIEo2dPhotoBig1280", MimeType: "image/jpeg", Size: 184210}}}},
		{"update_document.json", channels.Inbound{ExternalID: "804512333", SenderID: chatID, Name: "Zeynep", At: unix(1764159120),
			Attachments: []channels.Media{{Kind: "document", Ref: "BQACAgQAAxkBAAIEpGdDocIadeFormu", Name: "iade-formu.pdf", MimeType: "application/pdf", Size: 48211}}}},
		// A press of an inline keyboard button: its callback data is the choice, and the press
		// is answered (answerCallbackQuery with its id).
		{"update_callback_query.json", channels.Inbound{ExternalID: "804512340", SenderID: chatID, Name: "Zeynep",
			Body: "n3:1", Choice: "n3:1", CallbackID: "4382910475561234567"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseUpdate(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want := channels.Webhook{Messages: []channels.Inbound{tt.want}}
			if !reflect.DeepEqual(noRaw(got), want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseUpdateVariants(t *testing.T) {
	const head = `"message_id":7,"chat":{"id":5128834410,"type":"private","first_name":"Zeynep"},"date":1764159000`
	one := func(in channels.Inbound) channels.Webhook { return channels.Webhook{Messages: []channels.Inbound{in}} }
	base := channels.Inbound{ExternalID: "10", SenderID: chatID, Name: "Zeynep", At: unix(1764159000)}
	with := func(f func(*channels.Inbound)) channels.Webhook {
		in := base
		f(&in)
		return one(in)
	}
	tests := []struct {
		name string
		raw  string
		want channels.Webhook
	}{
		{"edited message", `{"update_id":10,"edited_message":{` + head + `,"edit_date":1764159100,"text":"düzeltme"}}`,
			with(func(in *channels.Inbound) { in.ExternalID, in.Body, in.At = "u10", "düzeltme", unix(1764159100) })},
		{"reply to our message", `{"update_id":10,"message":{` + head + `,"text":"bu kod çalışmıyor","reply_to_message":{"message_id":1190,"chat":{"id":5128834410},"date":1,"text":"İade kodunuz"}}}`,
			with(func(in *channels.Inbound) { in.Body, in.ReplyTo = "bu kod çalışmıyor", "1190" })},
		{"name from username", `{"update_id":10,"message":{"message_id":7,"from":{"id":1,"username":"zeynepkaya"},"chat":{"id":5128834410},"date":1764159000,"text":"x"}}`,
			with(func(in *channels.Inbound) { in.Name, in.Body = "zeynepkaya", "x" })},
		{"group chat is the conversation", `{"update_id":10,"message":{"message_id":7,"from":{"id":1,"first_name":"Ali","last_name":"Can"},"chat":{"id":-1001234567890,"type":"supergroup","title":"Sipariş"},"date":1764159000,"text":"x"}}`,
			with(func(in *channels.Inbound) { in.SenderID, in.Name, in.Body = "-1001234567890", "Ali Can", "x" })},
		{"voice", `{"update_id":10,"message":{` + head + `,"voice":{"file_id":"AwV","file_unique_id":"u","duration":3,"mime_type":"audio/ogg","file_size":9000}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "audio", Ref: "AwV", MimeType: "audio/ogg", Size: 9000}}
			})},
		{"audio with caption", `{"update_id":10,"message":{` + head + `,"caption":"şarkı","audio":{"file_id":"CQA","file_name":"a.mp3","mime_type":"audio/mpeg","file_size":12}}}`,
			with(func(in *channels.Inbound) {
				in.Body = "şarkı"
				in.Attachments = []channels.Media{{Kind: "audio", Ref: "CQA", Name: "a.mp3", MimeType: "audio/mpeg", Size: 12}}
			})},
		{"video", `{"update_id":10,"message":{` + head + `,"video":{"file_id":"BAA","file_name":"v.mp4","mime_type":"video/mp4","file_size":5}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "video", Ref: "BAA", Name: "v.mp4", MimeType: "video/mp4", Size: 5}}
			})},
		{"video note", `{"update_id":10,"message":{` + head + `,"video_note":{"file_id":"DQA","length":240,"file_size":6}}}`,
			with(func(in *channels.Inbound) { in.Attachments = []channels.Media{{Kind: "video", Ref: "DQA", Size: 6}} })},
		{"animation is carried by its document copy", `{"update_id":10,"message":{` + head + `,"animation":{"file_id":"CgA","file_name":"a.mp4"},"document":{"file_id":"CgA","file_name":"a.mp4","mime_type":"video/mp4"}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "document", Ref: "CgA", Name: "a.mp4", MimeType: "video/mp4"}}
			})},
		{"sticker", `{"update_id":10,"message":{` + head + `,"sticker":{"file_id":"CAA","width":512,"height":512,"is_animated":false,"is_video":false,"file_size":20000}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "sticker", Ref: "CAA", MimeType: "image/webp", Size: 20000}}
			})},
		{"animated sticker", `{"update_id":10,"message":{` + head + `,"sticker":{"file_id":"CAB","is_animated":true}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "sticker", Ref: "CAB", MimeType: "application/x-tgsticker"}}
			})},
		{"location", `{"update_id":10,"message":{` + head + `,"location":{"latitude":41.0082,"longitude":28.9784}}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "location", Latitude: 41.0082, Longitude: 28.9784}}
			})},
		{"contact", `{"update_id":10,"message":{` + head + `,"contact":{"phone_number":"+905321234567","first_name":"Ayşe","last_name":"Demir"}}}`,
			with(func(in *channels.Inbound) { in.Body = "Ayşe Demir +905321234567" })},
		{"photo sizes out of order", `{"update_id":10,"message":{` + head + `,"photo":[{"file_id":"big","width":800,"height":600},{"file_id":"small","width":90,"height":67}]}}`,
			with(func(in *channels.Inbound) {
				in.Attachments = []channels.Media{{Kind: "image", Ref: "big", MimeType: "image/jpeg"}}
			})},
		{"service message is nothing to show", `{"update_id":10,"message":{` + head + `,"pinned_message":{"message_id":1,"chat":{"id":1},"date":1}}}`, channels.Webhook{}},
		{"a callback query without a chat (inline mode) is not a message", `{"update_id":10,"callback_query":{"id":"1","from":{"id":1},"data":"x"}}`, channels.Webhook{}},
		{"a press of our inline button is the customer's choice", `{"update_id":10,"callback_query":{"id":"77","from":{"id":5128834410,"first_name":"Zeynep"},"message":{` + head + `,"text":"Merhaba"},"data":"n3:1"}}`,
			channels.Webhook{Messages: []channels.Inbound{{ExternalID: "10", SenderID: chatID, Name: "Zeynep", Body: "n3:1", Choice: "n3:1", CallbackID: "77"}}}},
		{"bot blocked by the user", `{"update_id":10,"my_chat_member":{"chat":{"id":1},"from":{"id":1},"date":1,"old_chat_member":{},"new_chat_member":{}}}`, channels.Webhook{}},
		{"channel post", `{"update_id":10,"channel_post":{"message_id":1,"chat":{"id":-100},"date":1,"text":"x"}}`, channels.Webhook{}},
		{"update_id zero is still an id", `{"update_id":0,"message":{` + head + `,"text":"x"}}`,
			with(func(in *channels.Inbound) { in.ExternalID, in.Body = "0", "x" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUpdate([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(noRaw(got), tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseUpdateRefusesMalformed(t *testing.T) {
	tests := []struct{ name, raw string }{
		{"not json", `{"update_id":`},
		{"empty", ``},
		{"array", `[1]`},
		{"no update_id", `{"message":{"message_id":1,"chat":{"id":1},"date":1,"text":"x"}}`},
		{"string update_id", `{"update_id":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseUpdate([]byte(tt.raw)); err == nil {
				t.Errorf("got %+v, want an error", got)
			}
		})
	}
}

// An update whose message cannot be routed is a Reject with the update's JSON, not an error:
// a refused update would be redelivered, holding back the bot's later updates.
func TestParseUpdateRejectsUnroutableMessages(t *testing.T) {
	tests := []struct{ name, raw, id string }{
		{"message without chat", `{"update_id":1,"message":{"message_id":1,"date":1,"text":"x"}}`, "1"},
		{"chat without id", `{"update_id":2,"message":{"message_id":1,"chat":{"type":"private"},"date":1,"text":"x"}}`, "2"},
		{"string chat id", `{"update_id":3,"message":{"message_id":1,"chat":{"id":"5"},"date":1,"text":"x"}}`, "3"},
		{"edited message not an object", `{"update_id":4,"edited_message":7}`, "u4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUpdate([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Messages) != 0 || len(got.Rejects) != 1 || got.Rejects[0].ExternalID != tt.id || string(got.Rejects[0].Raw) != tt.raw || got.Rejects[0].Reason == "" {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestVerifySecret(t *testing.T) {
	const secret = "s4ntral-Webhook_secret"
	tests := []struct {
		name, header, secret string
		ok                   bool
	}{
		{"matching", secret, secret, true},
		{"wrong", "s4ntral-Webhook_secreT", secret, false},
		{"prefix", secret[:5], secret, false},
		{"longer", secret + "x", secret, false},
		{"missing header", "", secret, false},
		{"no secret configured", "", "", false},
		{"header but no secret configured", "anything", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySecret(tt.header, tt.secret)
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, channels.ErrBadSignature) {
				t.Errorf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func FuzzParseUpdate(f *testing.F) {
	for _, name := range []string{"update_text.json", "update_photo.json", "update_document.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"update_id":10,"edited_message":{"message_id":7,"chat":{"id":1},"date":1,"edit_date":2,"text":"x"}}`))
	f.Add([]byte(`{"update_id":10,"message":{"message_id":7,"chat":{"id":1},"date":1,"sticker":{"file_id":"a"},"location":{"latitude":1,"longitude":2},"voice":{"file_id":"v"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hook, err := ParseUpdate(raw)
		if err != nil {
			return
		}
		if len(hook.Messages) > 1 || len(hook.Statuses) != 0 {
			t.Fatalf("unexpected webhook %+v", hook)
		}
		for _, m := range hook.Messages {
			if m.ExternalID == "" || m.SenderID == "" || m.SenderID == "0" {
				t.Fatalf("message without ids: %+v", m)
			}
			if m.Body == "" && len(m.Attachments) == 0 {
				t.Fatalf("empty message: %+v", m)
			}
			for _, a := range m.Attachments {
				if a.Kind != "location" && a.Ref == "" {
					t.Fatalf("attachment without file_id: %+v", a)
				}
			}
		}
	})
}

// noRaw drops the provider JSON a parsed message keeps for the record, so parsed values can be
// compared with what a test expects.
func noRaw(hook channels.Webhook) channels.Webhook {
	for i := range hook.Messages {
		hook.Messages[i].Raw = nil
	}
	return hook
}
