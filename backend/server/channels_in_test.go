package server_test

// What a customer sends arrives whole and on time: the window counts from the customer's own
// time (not from when a redelivery reached us), nothing a provider delivered is answered 200 and
// thrown away, a redelivery is counted as one, and an agent's files stay in their conversation.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"santral/backend/config"
	"santral/backend/webchat"
	"santral/backend/wire"
)

var (
	waTimestamp   = regexp.MustCompile(`"timestamp":\s*"\d+"`)
	metaTimestamp = regexp.MustCompile(`"(timestamp|time)":\s*\d+`)
	tgDate        = regexp.MustCompile(`"date":\s*\d+`)
)

// at sets every provider time in a fixture to when: WhatsApp's "timestamp" (unix seconds in a
// string), Messenger's and Instagram's "timestamp"/"time" (unix ms), Telegram's "date" (unix
// seconds).
func at(raw []byte, when time.Time) []byte {
	raw = waTimestamp.ReplaceAll(raw, []byte(fmt.Sprintf(`"timestamp": "%d"`, when.Unix())))
	raw = metaTimestamp.ReplaceAllFunc(raw, func(m []byte) []byte {
		key := metaTimestamp.FindSubmatch(m)[1]
		return []byte(fmt.Sprintf(`"%s": %d`, key, when.UnixMilli()))
	})
	return tgDate.ReplaceAll(raw, []byte(fmt.Sprintf(`"date": %d`, when.Unix())))
}

// fresh is a fixture as the provider delivers it right now.
func fresh(raw []byte) []byte { return at(raw, time.Now()) }

// webhook posts a delivery with its authentication header and returns the status and, on 200,
// the counts.
func webhook(t *testing.T, base string, channelID int64, body []byte, header, value string) (int, wire.WebhookResult) {
	t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/webhooks/%d", base, channelID), bytes.NewReader(body))
	req.Header.Set(header, value)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out wire.WebhookResult
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("webhook answer %s: %v", raw, err)
		}
	}
	return res.StatusCode, out
}

// signed posts a Meta delivery signed with the app secret.
func signed(t *testing.T, base string, channelID int64, body []byte) (int, wire.WebhookResult) {
	t.Helper()
	return webhook(t, base, channelID, body, "X-Hub-Signature-256", sign(body))
}

func (e *env) channel(req wire.ChannelRequest) wire.ChannelAccount {
	e.t.Helper()
	var ch wire.ChannelAccount
	e.admin().mustDo("POST", "/api/v1/channel-accounts", req, &ch, http.StatusCreated)
	return ch
}

func (e *env) whatsApp(graphURL string) wire.ChannelAccount {
	name, version, account, waba := "WhatsApp", "v23.0", waPhoneID, "102290129340398"
	return e.channel(wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &graphURL, APIVersion: &version,
		AccountID: &account, WABAID: &waba, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret}})
}

// waDelivery is inbound_text.json carrying the given messages (JSON objects) instead of its own.
func waDelivery(t *testing.T, messages ...string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(waFixture(t, "inbound_text.json"), &p); err != nil {
		t.Fatal(err)
	}
	value := p["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
	list := []any{}
	for _, m := range messages {
		var v any
		if err := json.Unmarshal([]byte(m), &v); err != nil {
			t.Fatalf("message %s: %v", m, err)
		}
		list = append(list, v)
	}
	value["messages"] = list
	b, _ := json.Marshal(p)
	return b
}

func waText(id, from string, when time.Time, body string) string {
	b, _ := json.Marshal(map[string]any{"from": from, "id": id, "timestamp": fmt.Sprint(when.Unix()), "type": "text",
		"text": map[string]string{"body": body}})
	return string(b)
}

// refusedWith sends a free-form reply and returns the refusal's status and body.
func refusedWith(t *testing.T, c *client, convID int64, body string) (int, wire.Error) {
	t.Helper()
	b, _ := json.Marshal(wire.SendMessageRequest{Body: body})
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", c.base, convID), bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var eb wire.ErrorBody
	json.NewDecoder(res.Body).Decode(&eb)
	return res.StatusCode, eb.Error
}

func onlyConversation(t *testing.T, c *client) wire.Conversation {
	t.Helper()
	mine := c.mine()
	if len(mine) != 1 {
		t.Fatalf("%d conversations, want 1", len(mine))
	}
	return mine[0]
}

func TestWhatsAppWindowCountsFromTheCustomersTime(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	ch := e.whatsApp(graph.URL)
	ayse := e.agent("ayse", nil)
	ayse.online()

	// Meta redelivers for days: this message reaches us 25 hours after the customer wrote it.
	wrote := time.Now().Add(-25 * time.Hour).Truncate(time.Second)
	arrival := time.Now().UnixMilli()
	status, res := signed(t, e.url, ch.ID, at(waFixture(t, "inbound_text.json"), wrote))
	if status != 200 || res.Messages != 1 {
		t.Fatalf("a late message is stored: %d %+v", status, res)
	}
	conv := onlyConversation(t, ayse)
	d := ayse.conversation(conv.ID)
	if len(d.Messages) != 1 || d.Messages[0].SentAt != wrote.UnixMilli() || d.Messages[0].CreatedAt < arrival {
		t.Fatalf("the message shows the customer's time (%d) and keeps its arrival: %+v", wrote.UnixMilli(), d.Messages)
	}
	closed := wrote.Add(24 * time.Hour).UnixMilli()
	if d.WindowClosesAt != closed {
		t.Fatalf("the window closed 24 h after the customer wrote (%d), got %d", closed, d.WindowClosesAt)
	}
	status, refusal := refusedWith(t, ayse, conv.ID, "Merhaba, kargonuz yolda")
	if status != http.StatusConflict || refusal.Code != wire.CodeWindowClosed || refusal.ClosedAt != closed {
		t.Fatalf("a free-form reply is refused: %d %+v", status, refusal)
	}
	// Refused before anything was stored, so no send job exists to call the Graph API with.
	if n := len(ayse.conversation(conv.ID).Messages); n != 1 || len(graph.requests()) != 0 {
		t.Fatalf("nothing stored or sent: %d messages, %d Graph requests", n, len(graph.requests()))
	}

	// The customer writes now: the window opens from that message.
	now := time.Now().Truncate(time.Second)
	if status, res := signed(t, e.url, ch.ID, waDelivery(t, waText("wamid.now", "905321234567", now, "Orada mısınız?"))); status != 200 || res.Messages != 1 {
		t.Fatalf("a new message: %d %+v", status, res)
	}
	m := ayse.reply(conv.ID, "Buradayım, kargonuz yolda.")
	eventually(t, 5*time.Second, "the reply sent", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
	opened := now.Add(24 * time.Hour).UnixMilli()

	// Another old message turns up after the newer ones: stored and shown with its own time,
	// last in the order of arrival, and it does not move the window back.
	late := time.Now().Add(-30 * time.Hour).Truncate(time.Second)
	if status, res := signed(t, e.url, ch.ID, waDelivery(t, waText("wamid.late", "905321234567", late, "Dün yazmıştım"))); status != 200 || res.Messages != 1 {
		t.Fatalf("the late message: %d %+v", status, res)
	}
	d = ayse.conversation(conv.ID)
	last := d.Messages[len(d.Messages)-1]
	if last.Body != "Dün yazmıştım" || last.SentAt != late.UnixMilli() || d.WindowClosesAt != opened {
		t.Fatalf("late message %+v, window closes at %d, want %d", last, d.WindowClosesAt, opened)
	}
	for i := 1; i < len(d.Messages); i++ {
		if d.Messages[i].CreatedAt < d.Messages[i-1].CreatedAt {
			t.Fatalf("messages are in the order they arrived: %+v", d.Messages)
		}
	}

	// A provider clock ahead of ours cannot stretch the window past 24 hours from now.
	ahead := time.Now().Add(3 * time.Hour)
	if status, _ := signed(t, e.url, ch.ID, waDelivery(t, waText("wamid.ahead", "905321234567", ahead, "Saat ileri"))); status != 200 {
		t.Fatalf("the message from the future: %d", status)
	}
	d = ayse.conversation(conv.ID)
	last = d.Messages[len(d.Messages)-1]
	if last.SentAt > last.CreatedAt || d.WindowClosesAt > time.Now().Add(24*time.Hour).UnixMilli() {
		t.Fatalf("a future timestamp counts as its arrival: sent_at %d created_at %d, window %d", last.SentAt, last.CreatedAt, d.WindowClosesAt)
	}
}

func TestMessengerAndInstagramWindowCountsFromTheCustomersTime(t *testing.T) {
	for _, tc := range []struct {
		kind, fixture, account string
	}{
		{wire.ChannelMessenger, "messenger", "113847210395821"},
		{wire.ChannelInstagram, "instagram", "17841405793187218"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			e := start(t)
			graph := newRecorder(t, []byte(`{"recipient_id":"1","message_id":"m_reply"}`))
			name, base, version := tc.kind, graph.URL, "v23.0"
			ch := e.channel(wire.ChannelRequest{Type: tc.kind, Name: &name, BaseURL: &base, APIVersion: &version, AccountID: &tc.account,
				Credentials: map[string]string{"token": "PAGE-TOKEN", "app_secret": waAppSecret}})
			ayse := e.agent("ayse", nil)
			ayse.online()
			wrote := time.Now().Add(-25 * time.Hour).Truncate(time.Millisecond)
			if status, res := signed(t, e.url, ch.ID, at(channelFixture(t, tc.fixture, "inbound_text.json"), wrote)); status != 200 || res.Messages != 1 {
				t.Fatalf("delivery: %d %+v", status, res)
			}
			conv := onlyConversation(t, ayse)
			d := ayse.conversation(conv.ID)
			if d.Messages[0].SentAt != wrote.UnixMilli() {
				t.Fatalf("the customer's time %d, got %+v", wrote.UnixMilli(), d.Messages[0])
			}
			status, refusal := refusedWith(t, ayse, conv.ID, "Merhaba")
			if status != http.StatusConflict || refusal.Code != wire.CodeWindowClosed || refusal.ClosedAt != wrote.Add(24*time.Hour).UnixMilli() {
				t.Fatalf("refused with window_closed: %d %+v", status, refusal)
			}
			if len(graph.requests()) != 0 || len(ayse.conversation(conv.ID).Messages) != 1 {
				t.Fatal("nothing stored or sent for a refused reply")
			}
		})
	}
}

func TestTelegramKeepsTheCustomersTime(t *testing.T) {
	e := start(t)
	bot := newRecorder(t, channelFixture(t, "telegram", "sendmessage_response.json"))
	name, base := "Telegram", bot.URL
	ch := e.channel(wire.ChannelRequest{Type: wire.ChannelTelegram, Name: &name, BaseURL: &base,
		Credentials: map[string]string{"token": "7012345678:AAE-test", "secret_token": "tg-secret"}})
	ayse := e.agent("ayse", nil)
	ayse.online()
	wrote := time.Now().Add(-25 * time.Hour).Truncate(time.Second)
	if status, res := webhook(t, e.url, ch.ID, at(channelFixture(t, "telegram", "update_text.json"), wrote), "X-Telegram-Bot-Api-Secret-Token", "tg-secret"); status != 200 || res.Messages != 1 {
		t.Fatalf("update: %d %+v", status, res)
	}
	conv := onlyConversation(t, ayse)
	if got := ayse.conversation(conv.ID).Messages[0].SentAt; got != wrote.UnixMilli() {
		t.Fatalf("the customer's time %d, got %d", wrote.UnixMilli(), got)
	}
	// Telegram has no window: the reply goes out.
	m := ayse.reply(conv.ID, "İade kodunuz: IAD-88412")
	eventually(t, 5*time.Second, "sent", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
}

func TestLongCustomerMessagesAreStored(t *testing.T) {
	e := start(t)
	ch := e.whatsApp(newGraph(t).URL)
	ayse := e.agent("ayse", nil)
	ayse.online()
	now := time.Now()

	long := string([]rune(strings.Repeat("Siparişim gelmedi. ", 290))[:5500])
	var card []map[string]any
	for i := 1; i <= 300; i++ {
		card = append(card, map[string]any{"name": map[string]string{"formatted_name": fmt.Sprintf("Kişi %d", i)},
			"phones": []map[string]string{{"phone": fmt.Sprintf("+90 532 000 %04d", i)}}})
	}
	contacts, _ := json.Marshal(map[string]any{"from": "905321234567", "id": "wamid.card", "timestamp": fmt.Sprint(now.Unix()),
		"type": "contacts", "contacts": card})
	huge := strings.Repeat("ç", 70000)
	status, res := signed(t, e.url, ch.ID, waDelivery(t,
		waText("wamid.long", "905321234567", now, long), string(contacts), waText("wamid.huge", "905321234567", now, huge)))
	if status != 200 || res.Messages != 3 || res.Rejected != 0 {
		t.Fatalf("acknowledged only once all three are stored: %d %+v", status, res)
	}
	msgs := ayse.conversation(onlyConversation(t, ayse).ID).Messages
	if len(msgs) != 3 {
		t.Fatalf("%d messages stored, want 3", len(msgs))
	}
	if msgs[0].Body != long {
		t.Fatalf("a 5,500-character text is stored whole: %d characters", utf8.RuneCountInString(msgs[0].Body))
	}
	if !strings.Contains(msgs[1].Body, "Kişi 1: +90 532 000 0001") || !strings.Contains(msgs[1].Body, "Kişi 300: +90 532 000 0300") {
		t.Fatalf("the contacts card is stored with all 300 entries: %d characters", utf8.RuneCountInString(msgs[1].Body))
	}
	kept := strings.Repeat("ç", 65536)
	if !strings.HasPrefix(msgs[2].Body, kept) || !strings.Contains(msgs[2].Body, "4464 more characters not stored") {
		t.Fatalf("a text past 65,536 characters is cut there with a marker: %q…", msgs[2].Body[len(msgs[2].Body)-80:])
	}
}

func TestOneMalformedMessageDoesNotRefuseTheOthers(t *testing.T) {
	e := start(t)
	ch := e.whatsApp(newGraph(t).URL)
	ayse := e.agent("ayse", nil)
	ayse.online()
	now := time.Now()
	good := waText("wamid.good", "905321234567", now, "Siparişim nerede?")
	badType := `{"from":"905321234567","id":"wamid.badtype","timestamp":"1","type":"text","text":{"body":5}}`
	noID := `{"from":"905321234567","timestamp":"1","type":"text","text":{"body":"kimliksiz"}}`
	longSender := waText("wamid.longsender", strings.Repeat("9", 300), now, "uzun numara")
	status, res := signed(t, e.url, ch.ID, waDelivery(t, badType, good, noID, longSender))
	if status != 200 || res.Messages != 1 || res.Rejected != 3 {
		t.Fatalf("the good message stored, the three others recorded: %d %+v", status, res)
	}
	msgs := ayse.conversation(onlyConversation(t, ayse).ID).Messages
	if len(msgs) != 1 || msgs[0].Body != "Siparişim nerede?" {
		t.Fatalf("stored %+v", msgs)
	}
	var rejected []wire.RejectedMessage
	e.admin().mustDo("GET", fmt.Sprintf("/api/v1/channel-accounts/%d/rejected", ch.ID), nil, &rejected, http.StatusOK)
	if len(rejected) != 3 {
		t.Fatalf("three rejected messages recorded, got %+v", rejected)
	}
	seen := map[string]wire.RejectedMessage{}
	for _, r := range rejected {
		if r.Reason == "" || r.ChannelID != ch.ID || r.ReceivedAt == 0 {
			t.Fatalf("a record says why and when: %+v", r)
		}
		for _, key := range []string{"wamid.badtype", "kimliksiz", "wamid.longsender"} {
			if strings.Contains(r.Payload, key) {
				seen[key] = r
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("each record keeps the provider's JSON of its message: %+v", rejected)
	}
	// Agents cannot read the records: they hold the payloads of every customer.
	ayse.refused(wire.CodeForbidden, "GET", fmt.Sprintf("/api/v1/channel-accounts/%d/rejected", ch.ID), nil)

	// The same delivery again records nothing twice.
	if status, res := signed(t, e.url, ch.ID, waDelivery(t, badType, good, noID, longSender)); status != 200 || res.Messages != 0 || res.Duplicates != 1 || res.Rejected != 3 {
		t.Fatalf("the redelivery: %d %+v", status, res)
	}
	e.admin().mustDo("GET", fmt.Sprintf("/api/v1/channel-accounts/%d/rejected", ch.ID), nil, &rejected, http.StatusOK)
	if len(rejected) != 3 {
		t.Fatalf("a redelivered reject is recorded once: %d records", len(rejected))
	}
}

func TestMessengerAndTelegramMalformedEventsAreRecorded(t *testing.T) {
	e := start(t)
	name, base, version, page := "Messenger", "http://127.0.0.1:1", "v23.0", "113847210395821"
	ms := e.channel(wire.ChannelRequest{Type: wire.ChannelMessenger, Name: &name, BaseURL: &base, APIVersion: &version, AccountID: &page,
		Credentials: map[string]string{"token": "PAGE-TOKEN", "app_secret": waAppSecret}})
	tgName := "Telegram"
	tg := e.channel(wire.ChannelRequest{Type: wire.ChannelTelegram, Name: &tgName, BaseURL: &base,
		Credentials: map[string]string{"token": "7012345678:AAE-test", "secret_token": "tg-secret"}})
	admin := e.admin()
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })

	var p map[string]any
	json.Unmarshal(fresh(channelFixture(t, "messenger", "inbound_text.json")), &p)
	events := p["entry"].([]any)[0].(map[string]any)["messaging"].([]any)
	noMid := map[string]any{"sender": map[string]string{"id": "6729101843819203"}, "recipient": map[string]string{"id": page},
		"timestamp": time.Now().UnixMilli(), "message": map[string]any{"text": "mid yok"}}
	p["entry"].([]any)[0].(map[string]any)["messaging"] = append([]any{noMid}, events...)
	body, _ := json.Marshal(p)
	if status, res := signed(t, e.url, ms.ID, body); status != 200 || res.Messages != 1 || res.Rejected != 1 {
		t.Fatalf("Messenger: the good event stored, the bad one recorded: %d %+v", status, res)
	}

	noChat := []byte(`{"update_id": 804512399, "message": {"message_id": 5, "date": 1764159000, "text": "sohbet yok"}}`)
	if status, res := webhook(t, e.url, tg.ID, noChat, "X-Telegram-Bot-Api-Secret-Token", "tg-secret"); status != 200 || res.Rejected != 1 {
		t.Fatalf("Telegram: an update that cannot be routed is recorded, not refused: %d %+v", status, res)
	}
	for _, c := range []struct {
		id   int64
		want string
	}{{ms.ID, "mid yok"}, {tg.ID, "sohbet yok"}} {
		var rejected []wire.RejectedMessage
		admin.mustDo("GET", fmt.Sprintf("/api/v1/channel-accounts/%d/rejected", c.id), nil, &rejected, http.StatusOK)
		if len(rejected) != 1 || !strings.Contains(rejected[0].Payload, c.want) {
			t.Fatalf("channel %d records %+v", c.id, rejected)
		}
	}
	if q := admin.queue(); len(q) != 1 {
		t.Fatalf("one conversation queued (the good Messenger message), got %d", len(q))
	}
}

func TestRedeliveredWebhookIsCountedAsDuplicate(t *testing.T) {
	e := start(t)
	ch := e.whatsApp(newGraph(t).URL)
	body := fresh(waFixture(t, "inbound_text.json"))
	if status, res := signed(t, e.url, ch.ID, body); status != 200 || (res != wire.WebhookResult{Messages: 1}) {
		t.Fatalf("first delivery: %d %+v", status, res)
	}
	for i := 0; i < 2; i++ {
		if status, res := signed(t, e.url, ch.ID, body); status != 200 || (res != wire.WebhookResult{Duplicates: 1}) {
			t.Fatalf("redelivery %d: %d %+v, want it counted as a duplicate", i+1, status, res)
		}
	}
	if status, res := signed(t, e.url, ch.ID, fresh(waFixture(t, "status_read.json"))); status != 200 || (res != wire.WebhookResult{Statuses: 1}) {
		t.Fatalf("a status delivery: %d %+v", status, res)
	}
}

// upload posts a file for a conversation as the desktop app does.
func (c *client) upload(convID int64, name, mimeType string, content []byte) (int, wire.Attachment, wire.Code) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	h.Set("Content-Type", mimeType)
	part, _ := mw.CreatePart(h)
	part.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/attachments", c.base, convID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a wire.Attachment
	var eb wire.ErrorBody
	json.Unmarshal(raw, &a)
	json.Unmarshal(raw, &eb)
	return res.StatusCode, a, eb.Error.Code
}

func TestRepliesCarryOnlyTheAgentsOwnUploadsForThatConversation(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	ch := e.whatsApp(graph.URL)
	ayse := e.agent("ayse", limit(1))
	ayse.online()
	signed(t, e.url, ch.ID, fresh(waFixture(t, "inbound_text.json")))
	convA := onlyConversation(t, ayse).ID
	mehmet := e.agent("mehmet", limit(1))
	mehmet.online()
	signed(t, e.url, ch.ID, waDelivery(t, waText("wamid.other", "905329998877", time.Now(), "Benim siparişim?")))
	convB := onlyConversation(t, mehmet).ID

	invoice := append([]byte("%PDF-1.4 "), bytes.Repeat([]byte("Ayşe'nin müşterisinin faturası "), 50)...)
	status, ayseFile, _ := ayse.upload(convA, "fatura.pdf", "application/pdf", invoice)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	// Mehmet sends Ayşe's upload key in his own conversation: refused, nothing stored or sent.
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", convB)
	mehmet.refused(wire.CodeAttachmentNotUploaded, "POST", path, wire.SendMessageRequest{Body: "Faturanız", Attachments: []wire.Attachment{ayseFile}})
	made := ayseFile
	made.URL = "/api/v1/media/0123456789abcdef0123456789abcdef"
	mehmet.refused(wire.CodeAttachmentNotUploaded, "POST", path, wire.SendMessageRequest{Body: "Faturanız", Attachments: []wire.Attachment{made}})
	if n := len(mehmet.conversation(convB).Messages); n != 1 || len(graph.requests()) != 0 {
		t.Fatalf("nothing stored or sent: %d messages, %d Graph requests", n, len(graph.requests()))
	}

	// His own upload goes, with what the server measured, whatever the request claimed.
	status, own, _ := mehmet.upload(convB, "kargo.pdf", "application/pdf", []byte("%PDF-1.4 kargo"))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	claimed := own
	claimed.Size, claimed.Name = 1, "baska.pdf"
	var m wire.Message
	mehmet.mustDo("POST", path, wire.SendMessageRequest{Body: "Kargo fişiniz", Attachments: []wire.Attachment{claimed}}, &m, http.StatusCreated)
	if m.Attachments[0].Size != own.Size || m.Attachments[0].Name != "kargo.pdf" {
		t.Fatalf("the stored attachment is the upload as it was measured: %+v", m.Attachments[0])
	}
	eventually(t, 5*time.Second, "the file sent", func() bool { return statusOf(mehmet, convB, m.ID) == wire.StatusSent })
	for _, r := range graph.requests() {
		if bytes.Contains(r.Body, invoice[:40]) {
			t.Fatal("Ayşe's file reached the provider")
		}
	}
	// Ayşe sends her own file in her own conversation.
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convA),
		wire.SendMessageRequest{Body: "Faturanız", Attachments: []wire.Attachment{ayseFile}}, nil, http.StatusCreated)
}

func TestUnsentUploadsAreRemovedAfterTheRetention(t *testing.T) {
	const retention = 2 * time.Second
	e := startWith(t, func(c *config.Config) { c.UploadRetention = retention })
	ayse := e.agent("ayse", nil)
	ayse.online()
	conv := e.customer("905321110000", "Merhaba").ConversationID
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 512)...)
	_, unsent, _ := ayse.upload(conv, "taslak.png", "image/png", png)
	_, sent, _ := ayse.upload(conv, "etiket.png", "image/png", png)
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
		wire.SendMessageRequest{Body: "Etiketiniz", Attachments: []wire.Attachment{sent}}, nil, http.StatusCreated)

	v := e.visitor()
	vUnsent, _ := v.upload("taslak.pdf", "application/pdf", []byte("%PDF-1.4 taslak"))
	vSent, _ := v.upload("fatura.pdf", "application/pdf", []byte("%PDF-1.4 fatura"))
	conn, _ := v.socket(v.s.VisitorSecret, 0)
	conn.send(webchat.ClientFrame{Type: "message", ID: "f1", Text: "Faturam", Attachments: []webchat.File{{Key: vSent.Key}}})

	key := func(a wire.Attachment) string { return strings.TrimPrefix(a.URL, "/api/v1/media/") }
	onDisk := func(k string) bool {
		_, err := os.Stat(filepath.Join(e.cfg.DataDir, "media", k))
		return err == nil
	}
	if !onDisk(key(unsent)) || !onDisk(vUnsent.Key) {
		t.Fatal("uploads are in the media store until the retention passes")
	}
	eventually(t, 20*time.Second, "the unsent uploads removed", func() bool { return !onDisk(key(unsent)) && !onDisk(vUnsent.Key) })
	if status, _ := ayse.do("GET", unsent.URL, nil, nil); status != http.StatusNotFound {
		t.Fatalf("the removed upload is gone for the agent: %d", status)
	}
	if status, _ := v.fetch(vUnsent.Key, v.s.VisitorSecret); status != http.StatusNotFound {
		t.Fatalf("the removed upload is gone for the visitor: %d", status)
	}
	ayse.refused(wire.CodeAttachmentNotUploaded, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
		wire.SendMessageRequest{Attachments: []wire.Attachment{unsent}})
	if !onDisk(key(sent)) || !onDisk(vSent.Key) {
		t.Fatal("files that were sent stay")
	}
	if status, _ := ayse.do("GET", sent.URL, nil, nil); status != http.StatusOK {
		t.Fatalf("the sent file still opens: %d", status)
	}
	if status, _ := v.fetch(vSent.Key, v.s.VisitorSecret); status != http.StatusOK {
		t.Fatalf("the visitor's sent file still opens: %d", status)
	}
}

func TestWebchatVisitorsNameIsKeptOnTheContact(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", nil)
	ayse.online()
	v := &visitor{t: t, base: e.url}
	v.s = v.session(webchat.SessionRequest{Name: "Elif Demir", Email: "elif@example.com", Phone: "+90 532 111 22 33"}, http.StatusCreated)
	conn, _ := v.socket(v.s.VisitorSecret, 0)
	conn.send(webchat.ClientFrame{Type: "message", ID: "m1", Text: "Merhaba"})
	var conv wire.Conversation
	eventually(t, 5*time.Second, "the conversation assigned", func() bool {
		mine := ayse.mine()
		if len(mine) == 1 {
			conv = mine[0]
		}
		return len(mine) == 1
	})
	if c := conv.Contact; c.Name != "Elif Demir" || c.Email != "elif@example.com" || c.Phone != "+90 532 111 22 33" {
		t.Fatalf("the contact keeps what the visitor gave: %+v", c)
	}
	var q wire.QuickMessage
	ayse.mustDo("POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Selam", Shortcut: "selam", Body: "Merhaba {{customer.name}}, nasıl yardımcı olabilirim?"}, &q, http.StatusCreated)
	var r wire.RenderedQuickMessage
	ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/quick-messages/%d", conv.ID, q.ID), nil, &r, http.StatusOK)
	if r.Text != "Merhaba Elif Demir, nasıl yardımcı olabilirim?" {
		t.Fatalf("rendered %q", r.Text)
	}

	// A returning visitor who now gives another name: the contact follows.
	v.session(webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: v.s.VisitorSecret, Name: "Elif Kaya"}, http.StatusOK)
	conn.send(webchat.ClientFrame{Type: "message", ID: "m2", Text: "Soyadım değişti"})
	if c := ayse.conversation(conv.ID).Conversation.Contact; c.Name != "Elif Kaya" || c.Email != "elif@example.com" {
		t.Fatalf("the contact after the new name: %+v", c)
	}
	v.session(webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: v.s.VisitorSecret, Email: "not-an-address"}, http.StatusBadRequest)
}

func TestTemplateSyncFailureIsATypedProviderError(t *testing.T) {
	e := start(t)
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}}`))
	}))
	defer graph.Close()
	ch := e.whatsApp(graph.URL)
	sync := func() (int, wire.Error) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channel-accounts/%d/templates/sync", e.url, ch.ID), nil)
		req.Header.Set("Authorization", "Bearer "+e.admin().token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var eb wire.ErrorBody
		json.NewDecoder(res.Body).Decode(&eb)
		return res.StatusCode, eb.Error
	}
	status, got := sync()
	if status != http.StatusBadGateway || got.Code != wire.CodeProviderError || got.ProviderCode != 190 || !strings.Contains(got.Message, "Session has expired") {
		t.Fatalf("a refused sync: %d %+v", status, got)
	}
	host := strings.TrimPrefix(graph.URL, "http://")
	if strings.Contains(got.Message, host) || strings.Contains(got.Message, "http") {
		t.Fatalf("the message names no URL: %q", got.Message)
	}
	// The Graph API unreachable: still typed, still no URL.
	graph.Close()
	status, got = sync()
	if status != http.StatusBadGateway || got.Code != wire.CodeProviderError || strings.Contains(got.Message, host) || strings.Contains(got.Message, "http") {
		t.Fatalf("an unreachable provider: %d %+v", status, got)
	}
}
