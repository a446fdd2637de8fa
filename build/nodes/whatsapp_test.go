package nodes

// A WhatsApp Cloud API channel account as a provider meets Santral: signed webhooks in Meta's
// documented shape (backend/channels/testdata/whatsapp/inbound_text.json), and a local Graph API
// that answers sends in the documented shape (send_response.json) — and can hold one.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

const (
	waPhoneID   = "106540352242922"
	waAppSecret = "nodes-app-secret"
)

// whatsapp creates the channel account (as admin) whose sends go to graphURL.
func (c *cluster) whatsapp(admin *client, graphURL string) wire.ChannelAccount {
	c.t.Helper()
	name, account := "WhatsApp", waPhoneID
	var ch wire.ChannelAccount
	admin.must("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, AccountID: &account,
		BaseURL: &graphURL, Credentials: map[string]string{"token": "graph-token", "app_secret": waAppSecret}}, &ch, http.StatusCreated)
	return ch
}

// whatsappText is one delivery of one text message, Meta's documented webhook.
func whatsappText(from, wamid, text string) []byte {
	type obj = map[string]any
	body, _ := json.Marshal(obj{
		"object": "whatsapp_business_account",
		"entry": []obj{{
			"id": "102290129340398",
			"changes": []obj{{
				"field": "messages",
				"value": obj{
					"messaging_product": "whatsapp",
					"metadata":          obj{"display_phone_number": "908505551234", "phone_number_id": waPhoneID},
					"contacts":          []obj{{"profile": obj{"name": "Müşteri " + from[len(from)-4:]}, "wa_id": from}},
					"messages": []obj{{"from": from, "id": wamid, "timestamp": strconv.FormatInt(time.Now().Unix(), 10),
						"type": "text", "text": obj{"body": text}}},
				},
			}},
		}},
	})
	return body
}

// webhookResult is santrald's answer to a delivery.
type webhookResult struct {
	Messages   int `json:"messages"`
	Duplicates int `json:"duplicates"`
}

// deliver posts a signed webhook to node n, as Meta does (X-Hub-Signature-256 over the raw
// body). An error is a delivery without a 200: Meta would deliver it again.
func deliver(n *node, channel wire.ChannelAccount, body []byte) (webhookResult, error) {
	mac := hmac.New(sha256.New, []byte(waAppSecret))
	mac.Write(body)
	req, err := http.NewRequest("POST", n.url+channel.WebhookPath, bytes.NewReader(body))
	if err != nil {
		return webhookResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := httpClient.Do(req)
	if err != nil {
		return webhookResult{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return webhookResult{}, err
	}
	if res.StatusCode != http.StatusOK {
		return webhookResult{}, fmt.Errorf("status %d: %.200s", res.StatusCode, raw)
	}
	var out webhookResult
	return out, json.Unmarshal(raw, &out)
}

// graph is a local Graph API: it records every send and answers with send_response.json,
// except the one holdText names, which it holds until release.
type graph struct {
	*httptest.Server
	mu       sync.Mutex
	sends    []string // the bodies of the messages sent
	holdText string
	held     chan struct{} // closed once the held send has arrived
	release  chan struct{}
	answer   []byte
}

func newGraph(t *testing.T, holdText string) *graph {
	answer, err := os.ReadFile("../../backend/channels/testdata/whatsapp/send_response.json")
	if err != nil {
		t.Fatal(err)
	}
	g := &graph{holdText: holdText, held: make(chan struct{}), release: make(chan struct{}), answer: answer}
	var once sync.Once
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/"+waPhoneID+"/messages") {
			http.Error(w, `{"error":{"message":"unknown path","type":"OAuthException","code":100}}`, http.StatusBadRequest)
			return
		}
		var req struct {
			Text struct {
				Body string `json:"body"`
			} `json:"text"`
		}
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &req)
		g.mu.Lock()
		g.sends = append(g.sends, req.Text.Body)
		g.mu.Unlock()
		if g.holdText != "" && req.Text.Body == g.holdText {
			once.Do(func() { close(g.held) })
			<-g.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(g.answer)
	}))
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
		g.Close()
	})
	return g
}

// sent counts the sends of a text.
func (g *graph) sent(text string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, s := range g.sends {
		if s == text {
			n++
		}
	}
	return n
}
