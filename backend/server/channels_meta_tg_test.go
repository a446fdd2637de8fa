package server_test

// Messenger and Telegram through santrald: verified webhooks in, the echo recorded as ours,
// the agent's reply out in each provider's documented shape (to local servers).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

func channelFixture(t *testing.T, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "channels", "testdata", provider, name))
	if err != nil {
		t.Fatalf("fixture %s/%s: %v", provider, name, err)
	}
	return b
}

// recorder is a provider API that records requests and answers with a fixed body.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []graphRequest
}

func newRecorder(t *testing.T, answer []byte) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, graphRequest{req.Method, req.URL.Path, req.Header.Get("Authorization"), body})
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []graphRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]graphRequest(nil), r.reqs...)
}

func postWebhook(t *testing.T, url string, body []byte, header, value string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if header != "" {
		req.Header.Set(header, value)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestMessengerInEchoAndOut(t *testing.T) {
	e := start(t)
	graph := newRecorder(t, []byte(`{"recipient_id":"6729101843819203","message_id":"m_reply_1"}`))
	var ch wire.ChannelAccount
	name, base, version, page := "Facebook Sayfası", graph.URL, "v23.0", "113847210395821"
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelMessenger, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &page, Credentials: map[string]string{"token": "PAGE-TOKEN", "app_secret": waAppSecret}}, &ch, http.StatusCreated)
	ayse := e.agent("ayse", nil)
	ayse.online()
	url := fmt.Sprintf("%s/webhooks/%d", e.url, ch.ID)

	in := fresh(channelFixture(t, "messenger", "inbound_text.json"))
	if status := postWebhook(t, url, in, "X-Hub-Signature-256", "sha256=00"); status != 401 {
		t.Fatalf("a bad signature: %d", status)
	}
	for i := 0; i < 2; i++ {
		if status := postWebhook(t, url, in, "X-Hub-Signature-256", sign(in)); status != 200 {
			t.Fatalf("delivery: %d", status)
		}
	}
	mine := ayse.mine()
	if len(mine) != 1 || mine[0].Contact.ExternalID != "6729101843819203" {
		t.Fatalf("one conversation with the PSID: %+v", mine)
	}
	conv := mine[0].ID
	echo := fresh(channelFixture(t, "messenger", "echo.json"))
	if status := postWebhook(t, url, echo, "X-Hub-Signature-256", sign(echo)); status != 200 {
		t.Fatalf("echo: %d", status)
	}
	msgs := ayse.conversation(conv).Messages
	if len(msgs) != 2 || msgs[0].Direction != "in" || msgs[1].Direction != "out" || !strings.Contains(msgs[1].Body, "kapıda ödeme") {
		t.Fatalf("the echo is recorded as ours, never as the customer's: %+v", msgs)
	}

	m := ayse.reply(conv, "Evet, kapıda ödeme var.")
	eventually(t, 5*time.Second, "sent", func() bool { return statusOf(ayse, conv, m.ID) == wire.StatusSent })
	r := graph.requests()[0]
	var body struct {
		Recipient     struct{ ID string }   `json:"recipient"`
		MessagingType string                `json:"messaging_type"`
		Message       struct{ Text string } `json:"message"`
	}
	json.Unmarshal(r.Body, &body)
	if r.Path != "/v23.0/"+page+"/messages" || body.Recipient.ID != "6729101843819203" || body.MessagingType != "RESPONSE" || body.Message.Text != "Evet, kapıda ödeme var." {
		t.Fatalf("Send API request %s %s", r.Path, r.Body)
	}
}

func TestTelegramInAndOut(t *testing.T) {
	e := start(t)
	bot := newRecorder(t, channelFixture(t, "telegram", "sendmessage_response.json"))
	var ch wire.ChannelAccount
	name, base := "Telegram Botu", bot.URL
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelTelegram, Name: &name, BaseURL: &base,
		Credentials: map[string]string{"token": "7012345678:AAE-test", "secret_token": "tg-secret"}}, &ch, http.StatusCreated)
	ayse := e.agent("ayse", nil)
	ayse.online()
	url := fmt.Sprintf("%s/webhooks/%d", e.url, ch.ID)
	update := fresh(channelFixture(t, "telegram", "update_text.json"))
	if status := postWebhook(t, url, update, "X-Telegram-Bot-Api-Secret-Token", "wrong"); status != 401 {
		t.Fatalf("a wrong secret token: %d", status)
	}
	for i := 0; i < 3; i++ {
		if status := postWebhook(t, url, update, "X-Telegram-Bot-Api-Secret-Token", "tg-secret"); status != 200 {
			t.Fatalf("update: %d", status)
		}
	}
	mine := ayse.mine()
	if len(mine) != 1 || mine[0].Contact.Name != "Zeynep Kaya" || len(ayse.conversation(mine[0].ID).Messages) != 1 {
		t.Fatalf("one conversation, one message: %+v", mine)
	}
	m := ayse.reply(mine[0].ID, "İade kodunuz: IAD-88412")
	eventually(t, 5*time.Second, "sent", func() bool { return statusOf(ayse, mine[0].ID, m.ID) == wire.StatusSent })
	r := bot.requests()[0]
	if r.Path != "/bot7012345678:AAE-test/sendMessage" || !jsonEqual(t, r.Body, []byte(`{"chat_id":5128834410,"text":"İade kodunuz: IAD-88412"}`)) {
		t.Fatalf("sendMessage request %s %s", r.Path, r.Body)
	}
}
