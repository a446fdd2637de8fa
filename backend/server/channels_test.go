package server_test

// Real channels end to end on the server: a signed WhatsApp webhook in, the agent's reply out
// through the durable outbox to a local server that speaks the Graph API's documented format.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

func waFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "channels", "testdata", "whatsapp", name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// graphServer is a local WhatsApp Cloud API: it records every request and answers from a
// script (status, body) per request, then with the documented success.
type graphServer struct {
	*httptest.Server
	mu        sync.Mutex
	reqs      []graphRequest
	script    []graphAnswer
	ok        []byte
	templates []byte
	mediaInfo []byte
	// intercept, when set, sees each request first (its body unread) and reports whether it
	// answered it; it records what it wants recorded.
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// photo is the customer's picture as the provider serves it.
var photo = append([]byte("\xff\xd8\xff\xe0 JFIF"), bytes.Repeat([]byte{0x42}, 4096)...)

type graphRequest struct {
	Method, Path, Auth string
	Body               []byte
}

type graphAnswer struct {
	status int
	body   []byte
}

func newGraph(t *testing.T) *graphServer { return newGraphOn(t, nil) }

// newGraphOn serves the Graph API on ln (nil: a new local port).
func newGraphOn(t *testing.T, ln net.Listener) *graphServer {
	g := &graphServer{ok: waFixture(t, "send_response.json"), templates: waFixture(t, "templates_list_response.json"),
		mediaInfo: waFixture(t, "media_get_response.json")}
	g.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		intercept := g.intercept
		g.mu.Unlock()
		if intercept != nil && intercept(w, r) {
			return
		}
		body, _ := io.ReadAll(r.Body)
		if r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/message_templates") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(g.templates)
			return
		}
		// Media: id → URL (on this server) → the bytes, both steps with the bearer token.
		if r.Method == "GET" && r.URL.Path == "/v23.0/1479537139650973" && r.Header.Get("Authorization") == "Bearer "+waToken {
			info := bytes.Replace(g.mediaInfo, []byte("https://lookaside.fbsbx.com"), []byte(g.URL), 1)
			w.Write(info)
			return
		}
		if r.Method == "POST" && r.URL.Path == "/v23.0/"+waPhoneID+"/media" {
			g.mu.Lock()
			g.reqs = append(g.reqs, graphRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
			g.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"2871233095478813"}`))
			return
		}
		if r.Method == "GET" && r.URL.Path == "/whatsapp_business/attachments/" {
			if r.Header.Get("Authorization") != "Bearer "+waToken {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
			return
		}
		g.mu.Lock()
		g.reqs = append(g.reqs, graphRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
		// Each accepted message gets its own wamid: the fixture's for the first (the status
		// fixtures refer to it), then numbered ones.
		ok := g.ok
		if n := len(g.reqs); n > 1 {
			ok = bytes.Replace(g.ok, []byte(`"message_status"`), []byte(fmt.Sprintf(`"n": %d, "message_status"`, n)), 1)
			ok = bytes.Replace(ok, []byte(`ERgSNUE2QjdDOEQ5RTBGMTIzNDUA`), []byte(fmt.Sprintf("ERgSNUE2QjdDOEQ5RTBGMTIzNDUA-%d", n)), 1)
		}
		answer := graphAnswer{http.StatusOK, ok}
		if len(g.script) > 0 {
			answer, g.script = g.script[0], g.script[1:]
		}
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(answer.status)
		w.Write(answer.body)
	}))
	if ln != nil {
		g.Listener.Close()
		g.Listener = ln
	}
	g.Start()
	t.Cleanup(g.Close)
	return g
}

// record keeps a request an intercept answered.
func (g *graphServer) record(r *http.Request, body []byte) {
	g.mu.Lock()
	g.reqs = append(g.reqs, graphRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), body})
	g.mu.Unlock()
}

func (g *graphServer) interceptWith(fn func(w http.ResponseWriter, r *http.Request) bool) {
	g.mu.Lock()
	g.intercept = fn
	g.mu.Unlock()
}

// sends are the message requests the Graph API received (not uploads, templates or media).
func (g *graphServer) sends() []graphRequest {
	var out []graphRequest
	for _, r := range g.requests() {
		if r.Method == "POST" && r.Path == "/v23.0/"+waPhoneID+"/messages" {
			out = append(out, r)
		}
	}
	return out
}

func (g *graphServer) requests() []graphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]graphRequest(nil), g.reqs...)
}

func (g *graphServer) answerNext(a ...graphAnswer) {
	g.mu.Lock()
	g.script = append(g.script, a...)
	g.mu.Unlock()
}

const (
	waPhoneID   = "106540352242922"
	waAppSecret = "app-secret-for-tests"
	waToken     = "EAAG-test-token"
)

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(waAppSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver posts a webhook as Meta does; signature "" signs it correctly.
func deliver(t *testing.T, base string, channelID int64, body []byte, signature string) (int, wire.Code) {
	t.Helper()
	if signature == "" {
		signature = sign(body)
	}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/webhooks/%d", base, channelID), bytes.NewReader(body))
	if signature != "-" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var eb wire.ErrorBody
	json.NewDecoder(res.Body).Decode(&eb)
	return res.StatusCode, eb.Error.Code
}

func jsonEqual(t *testing.T, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	json.Unmarshal(want, &w)
	return reflect.DeepEqual(g, w)
}

func TestWhatsAppInAndOut(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	admin := e.admin()
	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp Mağaza", graph.URL, "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "verify-me"}},
		&ch, http.StatusCreated)
	if strings.Contains(fmt.Sprint(ch), waToken) || strings.Contains(fmt.Sprint(ch), waAppSecret) || len(ch.Credentials) != 3 {
		t.Fatalf("the API must list credential names, never values: %+v", ch)
	}
	ayse := e.agent("ayse", nil)
	ayse.online()

	t.Run("verify handshake", func(t *testing.T) {
		for token, want := range map[string]int{"verify-me": 200, "wrong": 403} {
			res, err := http.Get(fmt.Sprintf("%s/webhooks/%d?hub.mode=subscribe&hub.verify_token=%s&hub.challenge=1158201444", e.url, ch.ID, token))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want || (want == 200 && string(body) != "1158201444") {
				t.Fatalf("token %q: %d %q", token, res.StatusCode, body)
			}
		}
	})

	inboundText := fresh(waFixture(t, "inbound_text.json"))
	t.Run("refused deliveries store nothing", func(t *testing.T) {
		tampered := bytes.Replace(inboundText, []byte("Merhaba"), []byte("Merhabb"), 1)
		cases := []struct {
			name      string
			body      []byte
			signature string
			status    int
			code      wire.Code
		}{
			{"tampered body", tampered, sign(inboundText), 401, wire.CodeUnauthorized},
			{"no signature", inboundText, "-", 401, wire.CodeUnauthorized},
			{"malformed signature", inboundText, "sha256=zz", 401, wire.CodeUnauthorized},
			{"malformed JSON, signed", []byte(`{"object":`), "", 400, wire.CodeBadJSON},
			{"oversize", bytes.Repeat([]byte(" "), 2<<20), "", 413, wire.CodeBodyTooLarge},
		}
		for _, c := range cases {
			if status, code := deliver(t, e.url, ch.ID, c.body, c.signature); status != c.status || code != c.code {
				t.Errorf("%s: %d %q, want %d %q", c.name, status, code, c.status, c.code)
			}
		}
		if len(ayse.mine()) != 0 || len(ayse.queue()) != 0 {
			t.Fatal("a refused delivery must store nothing")
		}
	})

	var conv wire.Conversation
	t.Run("a signed message delivered three times is stored once", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if status, code := deliver(t, e.url, ch.ID, inboundText, ""); status != 200 {
				t.Fatalf("delivery %d: %d %s", i+1, status, code)
			}
		}
		mine := ayse.mine()
		if len(mine) != 1 {
			t.Fatalf("one conversation, got %d", len(mine))
		}
		conv = mine[0]
		d := ayse.conversation(conv.ID)
		if len(d.Messages) != 1 || !strings.Contains(d.Messages[0].Body, "1043 numaralı siparişim") ||
			conv.Contact.Name != "Ayşe Yılmaz" || conv.Contact.Phone != "905321234567" || conv.Channel.Type != wire.ChannelWhatsApp {
			t.Fatalf("stored: %+v / %+v", conv, d.Messages)
		}
	})

	t.Run("an inbound photo is downloaded into Santral's media storage", func(t *testing.T) {
		if status, code := deliver(t, e.url, ch.ID, fresh(waFixture(t, "inbound_image.json")), ""); status != 200 {
			t.Fatalf("image delivery: %d %s", status, code)
		}
		var att wire.Attachment
		eventually(t, 5*time.Second, "the photo stored", func() bool {
			for _, m := range ayse.conversation(conv.ID).Messages {
				if len(m.Attachments) == 1 && m.Attachments[0].URL != "" {
					att = m.Attachments[0]
					return true
				}
			}
			return false
		})
		if att.Kind != "image" || att.MimeType != "image/jpeg" || att.Size != int64(len(photo)) {
			t.Fatalf("attachment %+v", att)
		}
		get := func(c *client) (int, []byte) {
			req, _ := http.NewRequest("GET", e.url+att.URL, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, b
		}
		if status, b := get(ayse); status != 200 || !bytes.Equal(b, photo) {
			t.Fatalf("the holder gets the file: %d, %d bytes", status, len(b))
		}
		other := e.agent("mehmet", limit(0))
		if status, _ := get(other); status != http.StatusForbidden {
			t.Fatalf("another agent must not get the file: %d", status)
		}
	})

	t.Run("the reply reaches the Graph API in the documented shape", func(t *testing.T) {
		want := waFixture(t, "send_text_request.json")
		var body struct {
			Text struct{ Body string } `json:"text"`
		}
		json.Unmarshal(want, &body)
		m := ayse.reply(conv.ID, body.Text.Body)
		if m.Status != wire.StatusQueued {
			t.Fatalf("a reply on a real channel is queued first, got %s", m.Status)
		}
		eventually(t, 5*time.Second, "the send", func() bool { return len(graph.requests()) == 1 })
		r := graph.requests()[0]
		if r.Method != "POST" || r.Path != "/v23.0/"+waPhoneID+"/messages" || r.Auth != "Bearer "+waToken {
			t.Fatalf("request %s %s auth %q", r.Method, r.Path, r.Auth)
		}
		if !jsonEqual(t, r.Body, want) {
			t.Fatalf("body %s\nwant %s", r.Body, want)
		}
		eventually(t, 5*time.Second, "status sent", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
	})

	t.Run("an agent's file: uploaded, checked against WhatsApp's limits, sent the documented way", func(t *testing.T) {
		upload := func(name, mime string, content []byte) (int, wire.Attachment, wire.Code) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
			h.Set("Content-Type", mime)
			part, _ := mw.CreatePart(h)
			part.Write(content)
			mw.Close()
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/attachments", e.url, conv.ID), &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+ayse.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var a wire.Attachment
			var eb wire.ErrorBody
			raw, _ := io.ReadAll(res.Body)
			json.Unmarshal(raw, &a)
			json.Unmarshal(raw, &eb)
			return res.StatusCode, a, eb.Error.Code
		}
		if status, _, code := upload("setup.exe", "application/x-msdownload", []byte("MZ")); status != 400 || code != wire.CodeInvalid {
			t.Fatalf("an executable is refused: %d %s", status, code)
		}
		big := bytes.Repeat([]byte{0xff}, 6<<20)
		copy(big, photo)
		status, bigImage, _ := upload("buyuk.jpg", "image/jpeg", big)
		if status != 201 {
			t.Fatalf("upload: %d", status)
		}
		ayse.refused(wire.CodeInvalid, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID),
			wire.SendMessageRequest{Attachments: []wire.Attachment{bigImage}}) // WhatsApp images: 5 MB
		status, a, _ := upload("kargo.jpg", "image/jpeg", photo)
		if status != 201 || a.Kind != "image" || a.Size != int64(len(photo)) || !strings.HasPrefix(a.URL, "/api/v1/media/") {
			t.Fatalf("upload: %d %+v", status, a)
		}
		ayse.refused(wire.CodeInvalid, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID),
			wire.SendMessageRequest{Attachments: []wire.Attachment{a, a}}) // one file per message
		before := len(graph.requests())
		var m wire.Message
		ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID),
			wire.SendMessageRequest{Body: "Kargo fişiniz", Attachments: []wire.Attachment{a}}, &m, http.StatusCreated)
		eventually(t, 5*time.Second, "the file sent", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
		reqs := graph.requests()[before:]
		if len(reqs) != 2 || reqs[0].Path != "/v23.0/"+waPhoneID+"/media" || !bytes.Contains(reqs[0].Body, photo[:64]) {
			t.Fatalf("the file is uploaded to the media endpoint first: %d requests", len(reqs))
		}
		var sent map[string]any
		json.Unmarshal(reqs[1].Body, &sent)
		img, _ := sent["image"].(map[string]any)
		if sent["type"] != "image" || img["id"] != "2871233095478813" || img["caption"] != "Kargo fişiniz" {
			t.Fatalf("image message: %s", reqs[1].Body)
		}
	})

	t.Run("statuses move forward only", func(t *testing.T) {
		// The status fixtures are about the first reply, sent under the fixture's wamid.
		var out wire.Message
		for _, m := range ayse.conversation(conv.ID).Messages {
			if m.ExternalID == "wamid.HBgMOTA1MzIxMjM0NTY3FQIAERgSNUE2QjdDOEQ5RTBGMTIzNDUA" {
				out = m
			}
		}
		if out.ID == 0 {
			t.Fatal("the first reply is stored under the provider's id")
		}
		for _, f := range []string{"status_delivered.json", "status_sent.json"} {
			if status, _ := deliver(t, e.url, ch.ID, waFixture(t, f), ""); status != 200 {
				t.Fatalf("%s: %d", f, status)
			}
		}
		if got := statusOf(ayse, conv.ID, out.ID); got != wire.StatusDelivered {
			t.Fatalf("a late 'sent' must not move 'delivered' back: %s", got)
		}
		deliver(t, e.url, ch.ID, waFixture(t, "status_read.json"), "")
		if got := statusOf(ayse, conv.ID, out.ID); got != wire.StatusRead {
			t.Fatalf("read: %s", got)
		}
	})

	t.Run("throughput limit: retried, then sent", func(t *testing.T) {
		before := len(graph.requests())
		graph.answerNext(graphAnswer{http.StatusBadRequest, waFixture(t, "send_error_130429.json")})
		m := ayse.reply(conv.ID, "Tekrar deneniyor")
		eventually(t, 10*time.Second, "sent after a retry", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
		if n := len(graph.requests()) - before; n != 2 {
			t.Fatalf("%d requests, want 2 (one refused, one accepted)", n)
		}
	})

	t.Run("re-engagement refusal: failed with the reason, not retried", func(t *testing.T) {
		before := len(graph.requests())
		graph.answerNext(graphAnswer{http.StatusBadRequest, waFixture(t, "send_error_131047.json")})
		m := ayse.reply(conv.ID, "Bu gitmeyecek")
		eventually(t, 5*time.Second, "failed", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusFailed })
		time.Sleep(300 * time.Millisecond)
		if n := len(graph.requests()) - before; n != 1 {
			t.Fatalf("%d requests, want exactly 1", n)
		}
		msgs := ayse.conversation(conv.ID).Messages
		if reason := msgs[len(msgs)-1].StatusReason; !strings.Contains(reason, "131047") {
			t.Fatalf("the reason names the provider's code: %q", reason)
		}
	})

	t.Run("a send abandoned mid-way is failed as 'delivery unknown', never sent twice", func(t *testing.T) {
		m := ayse.reply(conv.ID, "Bu mesajın akıbeti belirsiz")
		eventually(t, 5*time.Second, "sent", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusSent })
		// Put the world back to the moment a worker died after claiming it: the job is in
		// 'sending' with its lease run out, the message still queued.
		db, err := sql.Open("sqlite3", "file:"+dbPath(e.cfg.DataDir)+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE send_jobs SET state = 'sending', lease_until = 1 WHERE message_id = ?`, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE messages SET status = 'queued' WHERE id = ?`, m.ID); err != nil {
			t.Fatal(err)
		}
		before := len(graph.requests())
		eventually(t, 5*time.Second, "failed as unknown", func() bool { return statusOf(ayse, conv.ID, m.ID) == wire.StatusFailed })
		time.Sleep(200 * time.Millisecond)
		if len(graph.requests()) != before {
			t.Fatal("an abandoned send must not be sent again by itself")
		}
		for _, x := range ayse.conversation(conv.ID).Messages {
			if x.ID == m.ID && !strings.Contains(x.StatusReason, "delivery unknown") {
				t.Fatalf("the reason tells the agent to check: %q", x.StatusReason)
			}
		}
	})

	t.Run("window closed: refused by Santral before any API call", func(t *testing.T) {
		db, err := sql.Open("sqlite3", "file:"+dbPath(e.cfg.DataDir)+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		last := time.Now().Add(-25 * time.Hour).UnixMilli()
		if _, err := db.Exec(`UPDATE conversations SET last_inbound_at = ? WHERE id = ?`, last, conv.ID); err != nil {
			t.Fatal(err)
		}
		before := len(graph.requests())
		var eb wire.ErrorBody
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", e.url, conv.ID), strings.NewReader(`{"body":"Merhaba"}`))
		req.Header.Set("Authorization", "Bearer "+ayse.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&eb)
		res.Body.Close()
		if res.StatusCode != 409 || eb.Error.Code != wire.CodeWindowClosed || eb.Error.ClosedAt != last+24*3600*1000 {
			t.Fatalf("got %d %+v", res.StatusCode, eb.Error)
		}
		if d := ayse.conversation(conv.ID); d.WindowClosesAt != last+24*3600*1000 {
			t.Fatalf("the conversation tells the app when its window closed: %d", d.WindowClosesAt)
		}
		time.Sleep(200 * time.Millisecond)
		if len(graph.requests()) != before {
			t.Fatal("no API call for a refused free-form message")
		}
		// Outside the window, a template goes through: synced from the account (approved only),
		// marked paid, sent in the documented shape.
		waba := "102290129340398"
		admin.mustDo("PATCH", fmt.Sprintf("/api/v1/channel-accounts/%d", ch.ID), wire.ChannelRequest{WABAID: &waba}, nil, http.StatusOK)
		// Besides the fixture's positional templates, one with NAMED parameters (Meta's
		// parameter_format, with body_text_named_params examples).
		var list map[string]any
		json.Unmarshal(graph.templates, &list)
		list["data"] = append(list["data"].([]any), map[string]any{"name": "kargo_bilgisi", "language": "tr", "status": "APPROVED",
			"category": "UTILITY", "id": "77", "parameter_format": "NAMED", "components": []any{map[string]any{"type": "BODY",
				"text": "Merhaba {{musteri_adi}}, {{siparis_no}} numaralı siparişiniz kargoda.",
				"example": map[string]any{"body_text_named_params": []any{
					map[string]any{"param_name": "musteri_adi", "example": "Ayşe"}, map[string]any{"param_name": "siparis_no", "example": "#1043"}}}}}})
		graph.templates, _ = json.Marshal(list)
		var synced []wire.Template
		admin.mustDo("POST", fmt.Sprintf("/api/v1/channel-accounts/%d/templates/sync", ch.ID), nil, &synced, http.StatusOK)
		var offered []wire.Template
		ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/templates", conv.ID), nil, &offered, http.StatusOK)
		var order *wire.Template
		for i := range offered {
			if offered[i].Name == "siparis_durumu" {
				order = &offered[i]
			}
		}
		if order == nil || order.Category != "UTILITY" || order.Params != 2 || !order.Paid {
			t.Fatalf("templates offered: %+v", offered)
		}
		// Each parameter comes with its name and the template's example, for the agent's form.
		if want := []wire.TemplateParameter{{Name: "1", Example: "Ayşe"}, {Name: "2", Example: "#1043"}}; order.ParameterFormat != wire.TemplatePositional || !reflect.DeepEqual(order.Parameters, want) {
			t.Fatalf("positional parameters: %s %+v", order.ParameterFormat, order.Parameters)
		}
		ayse.refused(wire.CodeInvalid, "POST", fmt.Sprintf("/api/v1/conversations/%d/template", conv.ID), wire.SendTemplateRequest{TemplateID: order.ID, Params: []string{"Mehmet"}})
		var tm wire.Message
		ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/template", conv.ID), wire.SendTemplateRequest{TemplateID: order.ID, Params: []string{"Mehmet", "#1043"}}, &tm, http.StatusCreated)
		if !strings.Contains(tm.Body, "Merhaba Mehmet, #1043 numaralı") {
			t.Fatalf("the template's text with its parameters: %q", tm.Body)
		}
		eventually(t, 5*time.Second, "the template sent", func() bool { return len(graph.requests()) == before+1 })
		var got, want map[string]any
		json.Unmarshal(graph.requests()[before].Body, &got)
		json.Unmarshal(waFixture(t, "send_template_request.json"), &want)
		if got["to"] != "905321234567" {
			t.Fatalf("sent to %v", got["to"])
		}
		got["to"] = want["to"]
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("template request %v\nwant %v", got, want)
		}
		before++

		// A NAMED template: its parameters by name on the form, and to Meta with their names.
		var cargo *wire.Template
		for i := range offered {
			if offered[i].Name == "kargo_bilgisi" {
				cargo = &offered[i]
			}
		}
		if want := []wire.TemplateParameter{{Name: "musteri_adi", Example: "Ayşe"}, {Name: "siparis_no", Example: "#1043"}}; cargo == nil ||
			cargo.ParameterFormat != wire.TemplateNamed || !reflect.DeepEqual(cargo.Parameters, want) || cargo.Params != 2 {
			t.Fatalf("named template offered: %+v", cargo)
		}
		ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/template", conv.ID), wire.SendTemplateRequest{TemplateID: cargo.ID, Params: []string{"Mehmet", "#2044"}}, &tm, http.StatusCreated)
		if tm.Body != "Merhaba Mehmet, #2044 numaralı siparişiniz kargoda." {
			t.Fatalf("the named template's text: %q", tm.Body)
		}
		eventually(t, 5*time.Second, "the named template sent", func() bool { return len(graph.requests()) == before+1 })
		var named struct {
			Template struct {
				Components []struct {
					Parameters []map[string]string `json:"parameters"`
				} `json:"components"`
			} `json:"template"`
		}
		json.Unmarshal(graph.requests()[before].Body, &named)
		if c := named.Template.Components; len(c) != 1 || !reflect.DeepEqual(c[0].Parameters, []map[string]string{
			{"type": "text", "parameter_name": "musteri_adi", "text": "Mehmet"}, {"type": "text", "parameter_name": "siparis_no", "text": "#2044"}}) {
			t.Fatalf("named template request: %s", graph.requests()[before].Body)
		}
		before++

		// The customer writes again: the window opens again.
		next := bytes.Replace(inboundText, []byte("wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA"), []byte("wamid.second"), 1)
		if status, _ := deliver(t, e.url, ch.ID, next, ""); status != 200 {
			t.Fatal("second inbound refused")
		}
		ayse.reply(conv.ID, "Tekrar hoş geldiniz")
	})
}

func statusOf(c *client, convID, msgID int64) wire.MessageStatus {
	for _, m := range c.conversation(convID).Messages {
		if m.ID == msgID {
			return m.Status
		}
	}
	return ""
}
