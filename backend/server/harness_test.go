package server_test

// The scenario harness: a real santrald (server.New) on a real SQLite file in t.TempDir(),
// served over real HTTP by httptest, with real WebSocket streams. Clients speak only the public
// API, as the desktop app does.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/store/storetest"
	"santral/backend/wire"
)

const adminPassword = "admin-pass-123"

type env struct {
	t           *testing.T
	adminClient *client
	srv         *server.Server
	http        *httptest.Server
	url         string
	cfg         config.Config
	stop        func() // stops this santrald before the test ends (t.Cleanup does it otherwise)
}

// testConfig is santrald's config for a test: fast sweeps and polls, sandbox on.
func testConfig(t testing.TB, dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.AdminPassword = adminPassword
	cfg.Sandbox = true
	cfg.SweepInterval = 50 * time.Millisecond
	cfg.StreamPoll = 200 * time.Millisecond
	cfg.LogLevel = "warn"
	// The lowest bcrypt cost: tests create many users, and the race detector makes hashing slow.
	cfg.PasswordCost = 4
	cfg.SendBackoff = 50 * time.Millisecond
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// start runs santrald on a new database; startOn runs another santrald process-equivalent on an
// existing data directory (several nodes sharing one database).
func start(t *testing.T) *env { return startOn(t, t.TempDir()) }

func startOn(t *testing.T, dir string) *env { return startWithOn(t, dir, nil) }

// onBothBackends runs test against a santrald on a new SQLite file and on a new PostgreSQL
// database (skipped, or failed when SANTRAL_TEST_POSTGRES_REQUIRED=1, without a server).
func onBothBackends(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { test(t, start(t)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.Postgres(t)
		test(t, startWith(t, func(c *config.Config) { c.DB = dsn }))
	})
}

// startWith runs santrald on a new database with a changed config.
func startWith(t *testing.T, change func(*config.Config)) *env {
	return startWithOn(t, t.TempDir(), change)
}

func startWithOn(t *testing.T, dir string, change func(*config.Config)) *env {
	t.Helper()
	cfg := testConfig(t, dir)
	if change != nil {
		change(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, testLogger(t), io.Discard)
	if err != nil {
		t.Fatalf("start santrald: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	done := make(chan struct{})
	go func() { srv.RunWorkers(ctx); close(done) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ts.CloseClientConnections()
			ts.Close()
			cancel()
			<-done
			srv.Close()
		})
	}
	t.Cleanup(stop)
	return &env{t: t, srv: srv, http: ts, url: ts.URL, cfg: cfg, stop: stop}
}

func dbPath(dir string) string { return filepath.Join(dir, "santral.db") }

// client is one logged-in user speaking the HTTP API.
type client struct {
	t     testing.TB
	base  string
	token string
	user  wire.User
}

func login(t testing.TB, base, username, password string) *client {
	t.Helper()
	c := &client{t: t, base: base}
	var res wire.LoginResponse
	c.mustDo("POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: password}, &res, http.StatusOK)
	c.token, c.user = res.Token, res.User
	return c
}

func (e *env) admin() *client {
	if e.adminClient == nil {
		e.adminClient = login(e.t, e.url, "admin", adminPassword)
	}
	return e.adminClient
}

var userSeq atomic.Int64

// agent creates a user with the role and auto-assignment limit (nil: default) and logs in.
func (e *env) user(role wire.Role, name string, limit *int) *client {
	e.t.Helper()
	username := fmt.Sprintf("%s%d", name, userSeq.Add(1))
	pw := "password-" + username
	display := strings.ToUpper(name[:1]) + name[1:]
	e.admin().mustDo("POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role, AutoLimit: limit}, nil, http.StatusCreated)
	return login(e.t, e.url, username, pw)
}

func (e *env) agent(name string, limit *int) *client { return e.user(wire.RoleAgent, name, limit) }

func limit(n int) *int { return &n }

// do sends a request and decodes a 2xx body into out; it returns the status and error code.
func (c *client) do(method, path string, body, out any) (int, wire.Code) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
			c.t.Fatalf("%s %s: status %d without a typed error: %s", method, path, res.StatusCode, raw)
		}
		return res.StatusCode, eb.Error.Code
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode: %v (%s)", method, path, err, raw)
		}
	}
	return res.StatusCode, ""
}

func (c *client) mustDo(method, path string, body, out any, want int) {
	c.t.Helper()
	if status, code := c.do(method, path, body, out); status != want {
		c.t.Fatalf("%s %s: status %d (%s), want %d", method, path, status, code, want)
	}
}

// refused asserts that a request fails with the given error code.
func (c *client) refused(code wire.Code, method, path string, body any) {
	c.t.Helper()
	status, got := c.do(method, path, body, nil)
	if got != code {
		c.t.Fatalf("%s %s: got status %d code %q, want code %q", method, path, status, got, code)
	}
	if status >= 500 {
		c.t.Fatalf("%s %s: a client error answered %d", method, path, status)
	}
}

func (c *client) presence(p wire.Presence, reason string) {
	c.t.Helper()
	c.mustDo("PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: p, Reason: reason}, nil, http.StatusOK)
}

func (c *client) online() { c.presence(wire.Online, "") }

func (c *client) mine() []wire.Conversation {
	c.t.Helper()
	var page wire.ConversationPage
	c.mustDo("GET", "/api/v1/conversations?view=mine", nil, &page, http.StatusOK)
	return page.Conversations
}

func (c *client) queue() []wire.Conversation {
	c.t.Helper()
	var page wire.ConversationPage
	c.mustDo("GET", "/api/v1/conversations?view=queue", nil, &page, http.StatusOK)
	return page.Conversations
}

func (c *client) conversation(id int64) wire.ConversationDetail {
	c.t.Helper()
	var d wire.ConversationDetail
	c.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", id), nil, &d, http.StatusOK)
	return d
}

func (c *client) pull() wire.Conversation {
	c.t.Helper()
	var conv wire.Conversation
	c.mustDo("POST", "/api/v1/queue/pull", nil, &conv, http.StatusOK)
	return conv
}

func (c *client) reply(convID int64, text string) wire.Message {
	c.t.Helper()
	var m wire.Message
	c.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), wire.SendMessageRequest{Body: text}, &m, http.StatusCreated)
	return m
}

func (c *client) transfer(convID, to int64, note string) wire.TransferOffer {
	c.t.Helper()
	var o wire.TransferOffer
	c.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", convID), wire.TransferRequest{ToAgentID: to, Note: note}, &o, http.StatusCreated)
	return o
}

func (c *client) offer(id int64) wire.TransferOffer {
	c.t.Helper()
	var o wire.TransferOffer
	c.mustDo("GET", fmt.Sprintf("/api/v1/transfers/%d", id), nil, &o, http.StatusOK)
	return o
}

func (c *client) end(convID, reasonID int64) wire.Conversation {
	c.t.Helper()
	var conv wire.Conversation
	c.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/end", convID), wire.EndRequest{EndReasonID: reasonID}, &conv, http.StatusOK)
	return conv
}

func (c *client) settings(change func(*wire.Settings)) {
	c.t.Helper()
	var s wire.Settings
	c.mustDo("GET", "/api/v1/settings", nil, &s, http.StatusOK)
	change(&s)
	c.mustDo("PUT", "/api/v1/settings", s, nil, http.StatusOK)
}

func (c *client) endReason(label string) int64 {
	c.t.Helper()
	var r wire.EndReason
	c.mustDo("POST", "/api/v1/end-reasons", wire.EndReasonRequest{Label: label}, &r, http.StatusCreated)
	return r.ID
}

// customer writes through the sandbox channel, as a provider's webhook would deliver it.
func customer(t testing.TB, base, sender, messageID, text string) wire.SandboxInboundResult {
	t.Helper()
	c := &client{t: t, base: base}
	var res wire.SandboxInboundResult
	c.mustDo("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: sender, Name: "Müşteri " + sender, MessageID: messageID, Text: text}, &res, http.StatusOK)
	return res
}

func (e *env) customer(sender, text string) wire.SandboxInboundResult {
	e.t.Helper()
	return customer(e.t, e.url, sender, fmt.Sprintf("%s-%d", sender, time.Now().UnixNano()), text)
}

// received lists what a sandbox customer's phone got from agents.
func (e *env) received(sender string) []wire.SandboxOutbound {
	e.t.Helper()
	var out []wire.SandboxOutbound
	(&client{t: e.t, base: e.url}).mustDo("GET", "/sandbox/messages?sender_id="+sender, nil, &out, http.StatusOK)
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamConn is a WebSocket event stream, as the desktop app's sync engine holds it.
type streamConn struct {
	t    testing.TB
	conn *websocket.Conn
	head int64
}

// stream connects with after=cursor (<0: from the head) and reads the hello frame. A resync
// answer is returned as such, with conn closed by the server.
func (c *client) stream(after int64) (*streamConn, wire.StreamFrame) {
	c.t.Helper()
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/api/v1/stream"
	if after >= 0 {
		u += fmt.Sprintf("?after=%d", after)
	}
	conn, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + c.token}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		c.t.Fatalf("stream dial: %v (status %d)", err, status)
	}
	s := &streamConn{t: c.t, conn: conn}
	f := s.frame(5 * time.Second)
	s.head = f.Head
	return s, f
}

func (s *streamConn) frame(within time.Duration) wire.StreamFrame {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(within))
	var f wire.StreamFrame
	if err := s.conn.ReadJSON(&f); err != nil {
		s.t.Fatalf("stream read: %v", err)
	}
	return f
}

// events reads until n events arrived (fails on timeout or a resync).
func (s *streamConn) events(n int, within time.Duration) []wire.Event {
	s.t.Helper()
	var out []wire.Event
	deadline := time.Now().Add(within)
	for len(out) < n {
		f := s.frame(time.Until(deadline))
		if f.Kind != "events" {
			s.t.Fatalf("stream: unexpected %q frame", f.Kind)
		}
		out = append(out, f.Events...)
	}
	return out
}

// until reads events until one satisfies match, returning it.
func (s *streamConn) until(within time.Duration, what string, match func(wire.Event) bool) wire.Event {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if time.Now().After(deadline) {
			s.t.Fatalf("stream: no event %s within %v", what, within)
		}
		s.conn.SetReadDeadline(deadline)
		var f wire.StreamFrame
		if err := s.conn.ReadJSON(&f); err != nil {
			s.t.Fatalf("stream: no event %s: %v", what, err)
		}
		for _, e := range f.Events {
			if match(e) {
				return e
			}
		}
	}
}

func (s *streamConn) close() { s.conn.Close() }

func held(convs []wire.Conversation) map[int64]bool {
	m := map[int64]bool{}
	for _, c := range convs {
		m[c.ID] = true
	}
	return m
}
