package server_test

// The request log as IT reads it: one structured line per request with the fields that find a
// problem (method, route, status, duration, bytes, client, request id), the request id given by
// a proxy kept and echoed (or a new one), the same id on every error logged for that request,
// WebSockets at connect and at close — and not one password, token, verify token or visitor
// secret, wherever the client put it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/server"
	"santral/backend/wire"
)

// logBuffer collects santrald's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// find returns the log lines with the message whose fields include every one of want.
func find(lines []map[string]any, msg string, want map[string]any) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && fmt.Sprint(l[k]) == fmt.Sprint(v)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// get sends a request with extra headers and returns the response (body read and closed).
func get(t *testing.T, method, u string, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestRequestLogsCarryIDsAndNoSecrets(t *testing.T) {
	const (
		sandboxToken  = "sandbox-token-secret-4242"
		verifyToken   = "verify-token-secret-7777"
		wrongVerify   = "guessed-verify-secret-9999"
		wrongPassword = "typed-wrong-password-1234"
	)
	var logs logBuffer
	cfg := testConfig(t, t.TempDir())
	cfg.LogLevel, cfg.SandboxToken = "info", sandboxToken
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	done := make(chan struct{})
	go func() { srv.RunWorkers(ctx); close(done) }()
	defer func() { ts.CloseClientConnections(); ts.Close(); cancel(); <-done; srv.Close() }()
	e := &env{t: t, srv: srv, http: ts, url: ts.URL, cfg: cfg}

	// A proxy's request id is kept and echoed; an unusable one is replaced.
	login := `{"username":"admin","password":"` + adminPassword + `"}`
	res := get(t, "POST", e.url+"/api/v1/auth/login", login, map[string]string{"X-Request-Id": "lb-7f3a.01"})
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") != "lb-7f3a.01" {
		t.Fatalf("login: %d, X-Request-Id %q, want the proxy's id echoed", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	forged := "x\" level=ERROR msg=forged " + strings.Repeat("a", 80)
	res = get(t, "GET", e.url+"/api/openapi.yaml", "", map[string]string{"X-Request-Id": forged})
	fresh := res.Header.Get("X-Request-Id")
	if fresh == "" || fresh == forged || strings.ContainsAny(fresh, "\" =") {
		t.Fatalf("an unusable request id is replaced with a new one, got %q", fresh)
	}
	get(t, "POST", e.url+"/api/v1/auth/login", `{"username":"admin","password":"`+wrongPassword+`"}`, nil)

	admin := e.admin()
	agent := e.agent("ayse", nil)
	agent.online()
	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp", "http://127.0.0.1:1", "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": verifyToken}},
		&ch, http.StatusCreated)
	// Meta's handshake carries the verify token in the query string: a guess, refused (its
	// warning logged with the request's id), and the right one.
	handshake := func(token string) string {
		q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
		return fmt.Sprintf("%s/webhooks/%d?%s", e.url, ch.ID, q.Encode())
	}
	if res := get(t, "GET", handshake(wrongVerify), "", map[string]string{"X-Request-Id": "probe-1"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a wrong verify token: %d", res.StatusCode)
	}
	if res := get(t, "GET", handshake(verifyToken), "", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the verify token: %d", res.StatusCode)
	}
	res = get(t, "POST", e.url+"/sandbox/messages", `{"sender_id":"905321112233","message_id":"m-1","text":"Merhaba"}`,
		map[string]string{"X-Sandbox-Token": sandboxToken})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sandbox message: %d", res.StatusCode)
	}
	// Probes are not logged at info.
	get(t, "GET", e.url+"/healthz", "", nil)
	get(t, "GET", e.url+"/readyz", "", nil)
	// An agent's stream and a visitor's socket (whose secret is its first frame), opened and closed.
	stream, _ := agent.stream(-1)
	v := e.visitor()
	vs, _ := v.socket(v.s.VisitorSecret, 0)
	stream.close()
	vs.Close()
	eventually(t, 10*time.Second, "both sockets' close logged", func() bool {
		return strings.Count(logs.String(), `"msg":"websocket closed"`) == 2
	})

	lines := logs.lines(t)
	// The proxy's id on the login's line, with every field.
	got := find(lines, "request", map[string]any{"request_id": "lb-7f3a.01"})
	if len(got) != 1 {
		t.Fatalf("one request line for the login with its id, got %d:\n%s", len(got), logs.String())
	}
	l := got[0]
	if l["level"] != "INFO" || l["method"] != "POST" || l["route"] != "POST /api/v1/auth/login" || l["status"] != float64(200) ||
		l["client"] != "127.0.0.1" || l["bytes"].(float64) <= 0 || l["duration"] == nil {
		t.Fatalf("the login's request line: %v", l)
	}
	if len(find(lines, "request", map[string]any{"request_id": fresh, "route": "GET /api/openapi.yaml"})) != 1 {
		t.Fatalf("the replaced id %q is the one logged", fresh)
	}
	if strings.Contains(logs.String(), "forged") {
		t.Fatal("a request id that could forge a log line reached the log")
	}
	// The handshake refused: its warning and its request line share the request's id.
	if len(find(lines, "webhook: verification refused", map[string]any{"request_id": "probe-1", "level": "WARN"})) != 1 ||
		len(find(lines, "request", map[string]any{"request_id": "probe-1", "route": "GET /webhooks/{id}", "status": 403})) != 1 {
		t.Fatalf("the refused handshake's warning carries its request id:\n%s", logs.String())
	}
	// Every other request was logged once, by its route.
	for _, want := range []map[string]any{
		{"route": "POST /sandbox/messages", "status": 200},
		{"route": "GET /webhooks/{id}", "status": 200},
		{"route": "PUT /api/v1/me/presence", "status": 200},
		{"route": "POST /api/v1/auth/login", "status": 401},
	} {
		if len(find(lines, "request", want)) != 1 {
			t.Errorf("no request line %v", want)
		}
	}
	for _, route := range []string{"GET /api/v1/stream", "GET /webchat/socket"} {
		opened := find(lines, "websocket connected", map[string]any{"route": route})
		closed := find(lines, "websocket closed", map[string]any{"route": route})
		if len(opened) != 1 || len(closed) != 1 || closed[0]["duration"] == nil || closed[0]["request_id"] != opened[0]["request_id"] {
			t.Errorf("%s: connect and close logged with one request id and the duration: %v / %v", route, opened, closed)
		}
	}
	for _, route := range []string{"GET /healthz", "GET /readyz"} {
		if len(find(lines, "request", map[string]any{"route": route})) != 0 {
			t.Errorf("%s is logged at info; probes would drown the log", route)
		}
	}
	// Not one secret, wherever it travelled: body, header, query string, socket frame.
	for what, secret := range map[string]string{
		"admin password": adminPassword, "wrong password": wrongPassword, "admin token": admin.token, "agent token": agent.token,
		"verify token": verifyToken, "guessed verify token": wrongVerify, "sandbox token": sandboxToken,
		"visitor secret": v.s.VisitorSecret, "query string": "hub.verify_token", "challenge": "1158201444",
	} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
}
