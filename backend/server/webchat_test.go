package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/webchat"
	"santral/backend/wire"
)

// visitor is a website visitor, as the widget in their browser holds the identity.
type visitor struct {
	t    *testing.T
	base string
	s    webchat.Session
}

func (e *env) visitor() *visitor {
	e.t.Helper()
	v := &visitor{t: e.t, base: e.url}
	v.s = v.session(webchat.SessionRequest{Name: "Ziyaretçi"}, http.StatusCreated)
	return v
}

func (v *visitor) session(in webchat.SessionRequest, want int) webchat.Session {
	v.t.Helper()
	body, _ := json.Marshal(in)
	// text/plain, as the widget sends it: a CORS-simple request from the shop's page.
	res, err := http.Post(v.base+"/webchat/session", "text/plain", bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	var s webchat.Session
	json.NewDecoder(res.Body).Decode(&s)
	if res.StatusCode != want {
		v.t.Fatalf("POST /webchat/session: status %d, want %d", res.StatusCode, want)
	}
	return s
}

// socket dials the visitor's WebSocket and authenticates in its first frame, as the widget
// does (the secret never goes in the URL); code is the refusal's code when it is refused.
func (v *visitor) socket(secret string, after int64) (*wsConn, wire.Code) {
	v.t.Helper()
	u := "ws" + strings.TrimPrefix(v.base, "http") + "/webchat/socket"
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://shop.example"}})
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(webchat.ClientFrame{Type: "auth", VisitorID: v.s.VisitorID, VisitorSecret: secret, After: after}); err != nil {
		v.t.Fatal(err)
	}
	c := &wsConn{t: v.t, conn: conn}
	f := c.frame("ready or a refusal", func(f webchat.ServerFrame) bool { return f.Type == "ready" || f.Type == "error" })
	if f.Type == "error" {
		return nil, f.Code
	}
	return c, ""
}

// wsConn is a visitor socket that keeps frames read past while waiting for another (an echo of
// the visitor's own message may come before its ack).
type wsConn struct {
	t       *testing.T
	conn    *websocket.Conn
	pending []webchat.ServerFrame
}

func (c *wsConn) Close() { c.conn.Close() }

func (c *wsConn) frame(what string, match func(webchat.ServerFrame) bool) webchat.ServerFrame {
	c.t.Helper()
	for i, f := range c.pending {
		if match(f) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return f
		}
	}
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var f webchat.ServerFrame
		if err := c.conn.ReadJSON(&f); err != nil {
			c.t.Fatalf("visitor socket: no %s: %v", what, err)
		}
		if match(f) {
			return f
		}
		c.pending = append(c.pending, f)
	}
}

func (c *wsConn) send(f webchat.ClientFrame) {
	c.t.Helper()
	if err := c.conn.WriteJSON(f); err != nil {
		c.t.Fatal(err)
	}
	g := c.frame("answer to "+f.ID, func(g webchat.ServerFrame) bool { return (g.Type == "ack" || g.Type == "error") && g.ID == f.ID })
	if g.Type == "error" {
		c.t.Fatalf("message %s refused: %s %s", f.ID, g.Code, g.Message)
	}
}

func (v *visitor) upload(name, mimeType string, content []byte) (webchat.File, int) {
	v.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("visitor_id", v.s.VisitorID)
	w.WriteField("visitor_secret", v.s.VisitorSecret)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, name)}
	h["Content-Type"] = []string{mimeType}
	part, _ := w.CreatePart(h)
	part.Write(content)
	w.Close()
	res, err := http.Post(v.base+"/webchat/upload", w.FormDataContentType(), &body)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	var f webchat.File
	json.NewDecoder(res.Body).Decode(&f)
	return f, res.StatusCode
}

// fetch downloads a file as the widget does: the identity in a CORS-simple POST body, never in
// the URL.
func (v *visitor) fetch(key, secret string) (int, []byte) {
	v.t.Helper()
	body, _ := json.Marshal(webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: secret})
	res, err := http.Post(v.base+"/webchat/files/"+key, "text/plain", bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestWebchatVisitorReachesAnOnlineAgentAndBack(t *testing.T) {
	e := start(t)
	agent := e.agent("ayse", limit(5))
	agent.online()

	v := e.visitor()
	if again := v.session(webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: v.s.VisitorSecret}, http.StatusOK); again.VisitorID != v.s.VisitorID || again.New {
		t.Fatalf("the identity was not re-confirmed: %+v", again)
	}

	conn, _ := v.socket(v.s.VisitorSecret, 0)
	conn.send(webchat.ClientFrame{Type: "message", ID: "c1", Text: "Merhaba, kargo ücreti ne kadar?"})
	mine := conn.frame("own message echoed", func(f webchat.ServerFrame) bool { return f.Type == "message" })
	if mine.Direction != "in" || mine.ClientID != "c1" {
		t.Fatalf("own message frame %+v", mine)
	}

	var convID int64
	eventually(t, 5*time.Second, "the webchat conversation is assigned to the online agent", func() bool {
		for _, c := range agent.mine() {
			convID = c.ID
			return true
		}
		return false
	})
	agent.reply(convID, "Kargo 500 TL üzeri ücretsiz.")
	got := conn.frame("the agent's reply", func(f webchat.ServerFrame) bool { return f.Type == "message" && f.Direction == "out" })
	if got.Text != "Kargo 500 TL üzeri ücretsiz." {
		t.Fatalf("reply %q", got.Text)
	}
	lastSeen := int64(got.ID.(float64))
	conn.Close()

	// While the visitor is away, the agent writes again; reconnecting with after= gets only that.
	agent.reply(convID, "Başka bir sorunuz var mı?")
	conn2, _ := v.socket(v.s.VisitorSecret, lastSeen)
	missed := conn2.frame("the missed reply", func(f webchat.ServerFrame) bool { return f.Type == "message" })
	if missed.Text != "Başka bir sorunuz var mı?" {
		t.Fatalf("after reconnecting, first frame is %+v, want only the missed reply", missed)
	}

	// A resent client id stores once.
	conn2.send(webchat.ClientFrame{Type: "message", ID: "c1", Text: "Merhaba, kargo ücreti ne kadar?"})
	var d wire.ConversationDetail
	agent.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", convID), nil, &d, http.StatusOK)
	in := 0
	for _, m := range d.Messages {
		if m.Direction == "in" {
			in++
		}
	}
	if in != 1 {
		t.Fatalf("%d visitor messages stored, want 1", in)
	}
}

func TestWebchatWrongSecretIsRefused(t *testing.T) {
	e := start(t)
	v := e.visitor()
	if _, code := v.socket("wrong-secret", 0); code != wire.CodeUnauthorized {
		t.Fatalf("socket with a wrong secret: %q, want unauthorized", code)
	}
	if _, code := v.socket("", 0); code != wire.CodeUnauthorized {
		t.Fatalf("socket without a secret: %q, want unauthorized", code)
	}
	// The identity in the URL, as the widget once sent it, is not accepted: it must not
	// travel where proxies and access logs keep it.
	u := "ws" + strings.TrimPrefix(e.url, "http") + "/webchat/socket?" +
		url.Values{"visitor_id": {v.s.VisitorID}, "visitor_secret": {v.s.VisitorSecret}}.Encode()
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.WriteJSON(webchat.ClientFrame{Type: "message", ID: "m1", Text: "hi"})
	var f webchat.ServerFrame
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&f); err != nil || f.Type != "error" || f.Code != wire.CodeUnauthorized {
		t.Fatalf("a socket with the secret in its URL and no auth frame: %+v, %v; want refused", f, err)
	}
	// A session with a wrong secret does not confirm the identity: a fresh one is issued.
	s := v.session(webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: "wrong"}, http.StatusCreated)
	if s.VisitorID == v.s.VisitorID || !s.New {
		t.Fatalf("a wrong secret re-confirmed the identity: %+v", s)
	}
}

func TestWebchatFiles(t *testing.T) {
	e := start(t)
	agent := e.agent("mehmet", limit(5))
	agent.online()
	v := e.visitor()
	other := e.visitor()

	if _, status := v.upload("script.exe", "application/x-msdownload", []byte("MZ")); status != http.StatusBadRequest {
		t.Fatalf("upload of an .exe: status %d, want 400", status)
	}
	if _, status := v.upload("big.pdf", "application/pdf", bytes.Repeat([]byte("x"), webchat.MaxFileSize+1)); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("upload over 10 MB: status %d, want 413", status)
	}
	pdf := []byte("%PDF-1.4 fatura")
	f, status := v.upload("fatura.pdf", "application/pdf", pdf)
	if status != http.StatusCreated || f.Kind != "document" || f.Size != int64(len(pdf)) {
		t.Fatalf("upload: status %d, file %+v", status, f)
	}

	conn, _ := v.socket(v.s.VisitorSecret, 0)
	conn.send(webchat.ClientFrame{Type: "message", ID: "f1", Text: "Faturam ekte", Attachments: []webchat.File{{Key: f.Key}}})
	echo := conn.frame("own file message", func(f webchat.ServerFrame) bool { return f.Type == "message" })
	if len(echo.Attachments) != 1 || echo.Attachments[0].URL != "/webchat/files/"+f.Key {
		t.Fatalf("the visitor's message shows %+v", echo.Attachments)
	}

	var convID int64
	eventually(t, 5*time.Second, "the conversation is assigned", func() bool {
		for _, c := range agent.mine() {
			convID = c.ID
			return true
		}
		return false
	})
	var d wire.ConversationDetail
	agent.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", convID), nil, &d, http.StatusOK)
	if len(d.Messages) == 0 || len(d.Messages[0].Attachments) != 1 || d.Messages[0].Attachments[0].Name != "fatura.pdf" {
		t.Fatalf("the agent sees %+v", d.Messages)
	}
	if status, _ := agent.do("GET", d.Messages[0].Attachments[0].URL, nil, nil); status != http.StatusOK {
		t.Fatalf("the agent opens the file: status %d", status)
	}

	if status, body := v.fetch(f.Key, v.s.VisitorSecret); status != http.StatusOK || !bytes.Equal(body, pdf) {
		t.Fatalf("the visitor fetches their file: status %d", status)
	}
	if status, _ := other.fetch(f.Key, other.s.VisitorSecret); status != http.StatusNotFound {
		t.Fatalf("another visitor fetches the file: status %d, want 404", status)
	}
	if status, _ := v.fetch(f.Key, "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("a wrong secret fetches the file: status %d, want 401", status)
	}
	// The agent sends a file back: the visitor receives it and can download it; nobody else can.
	photoBytes := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 2048)...)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="iade-etiketi.png"`)
	h.Set("Content-Type", "image/png")
	part, _ := mw.CreatePart(h)
	part.Write(photoBytes)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/attachments", e.url, convID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+agent.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("agent upload: %v %v", err, res.Status)
	}
	var att wire.Attachment
	json.NewDecoder(res.Body).Decode(&att)
	res.Body.Close()
	agent.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID),
		wire.SendMessageRequest{Body: "İade etiketiniz", Attachments: []wire.Attachment{att}}, nil, http.StatusCreated)
	reply := conn.frame("the agent's file", func(f webchat.ServerFrame) bool {
		return f.Type == "message" && len(f.Attachments) == 1 && f.Text == "İade etiketiniz"
	})
	agentKey := strings.TrimPrefix(att.URL, "/api/v1/media/")
	if reply.Attachments[0].Name != "iade-etiketi.png" {
		t.Fatalf("the visitor sees %+v", reply.Attachments)
	}
	if status, body := v.fetch(agentKey, v.s.VisitorSecret); status != http.StatusOK || !bytes.Equal(body, photoBytes) {
		t.Fatalf("the visitor downloads the agent's file: status %d", status)
	}
	if status, _ := other.fetch(agentKey, other.s.VisitorSecret); status != http.StatusNotFound {
		t.Fatalf("another visitor downloads the agent's file: status %d, want 404", status)
	}

	// A key another visitor uploaded cannot be sent as one's own.
	oc, _ := other.socket(other.s.VisitorSecret, 0)
	oc.conn.WriteJSON(webchat.ClientFrame{Type: "message", ID: "x1", Text: "bu benim", Attachments: []webchat.File{{Key: f.Key}}})
	refused := oc.frame("refusal", func(f webchat.ServerFrame) bool { return f.ID == "x1" })
	if refused.Type != "error" || refused.Code != wire.CodeInvalid {
		t.Fatalf("sending another visitor's file: %+v", refused)
	}
}
