package app

// Recorded answers for the UI's tests. Each scenario starts a real santrald (real SQLite file,
// real HTTP and WebSockets, the sandbox and local stand-ins of the channel providers speaking
// their documented formats), drives the real app Go side through its bindings — exactly the
// calls the UI makes — and keeps what each binding returned and every event the app emitted to
// the window. With -record (`make record`) they are written to frontend/tests/recorded/*.json,
// which the Vitest tests replay to drive the real UI: the UI's tests run against the server's
// rules, never against a re-implementation of them.
//
// Without -record the scenarios still run, as tests of the app against the server: each checks
// the facts its recording is meant to show.
//
// Volatile values are normalised so a regeneration differs only where behaviour did: the
// server's address becomes http://santral.test, every time is moved onto a fixed day (rounded to
// the second, relative to the scenario's start), and random keys (idempotency keys, upload ids,
// media keys) become stable names.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/store"
	"santral/backend/wire"
)

var record = flag.Bool("record", false, "write the UI's recorded answers to frontend/tests/recorded (make record)")

// ---- a real santrald ---------------------------------------------------------------------------

type santrald struct {
	t     *testing.T
	url   string
	db    string // the SQLite file, for setting up the past (a customer who wrote 25 hours ago)
	admin string // the admin's token
}

func startSantrald(t *testing.T) *santrald {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AdminPassword = "admin-pass-123"
	cfg.Sandbox = true
	cfg.SweepInterval = 50 * time.Millisecond
	cfg.StreamPoll = 200 * time.Millisecond
	cfg.PasswordCost = 4
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	s := &santrald{t: t, url: "http://" + ln.Addr().String(), db: cfg.DatabasePath()}
	var admin wire.LoginResponse
	s.must(s.call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: "admin", Password: cfg.AdminPassword}, &admin))
	s.admin = admin.Token
	return s
}

func (s *santrald) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *santrald) call(token, method, path string, body, out any) error {
	var rd io.Reader
	if b, ok := body.([]byte); ok {
		rd = bytes.NewReader(b)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// agent creates a user and returns their login.
func (s *santrald) agent(username, display string, limit int) wire.LoginResponse {
	s.t.Helper()
	pw, role := "password-"+username, wire.RoleAgent
	s.must(s.call(s.admin, "POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role, AutoLimit: &limit}, nil))
	var res wire.LoginResponse
	s.must(s.call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: pw}, &res))
	return res
}

func (s *santrald) presence(token string, p wire.Presence, reason string) {
	s.t.Helper()
	s.must(s.call(token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: p, Reason: reason}, nil))
}

func (s *santrald) customer(sender, name, messageID, text string) int64 {
	s.t.Helper()
	var res wire.SandboxInboundResult
	s.must(s.call("", "POST", "/sandbox/messages", wire.SandboxInbound{SenderID: sender, Name: name, MessageID: messageID, Text: text}, &res))
	return res.ConversationID
}

// webhook delivers a provider's webhook to a channel account, signed with its app secret.
func (s *santrald) webhook(accountID int64, secret string, body []byte) {
	s.t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/webhooks/%d", s.url, accountID), bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		s.t.Fatalf("webhook: %d", res.StatusCode)
	}
}

// lastWrote sets when the customer of a conversation last wrote: the past a scenario needs (a
// window that closed yesterday) cannot be waited for.
func (s *santrald) lastWrote(convID int64, ago time.Duration) {
	s.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+s.db+"?_busy_timeout=5000")
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE conversations SET last_inbound_at = ? WHERE id = ?`, time.Now().Add(-ago).UnixMilli(), convID); err != nil {
		s.t.Fatal(err)
	}
}

// fixture reads a provider payload from backend/channels/testdata.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "backend", "channels", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// graphAPI is a local WhatsApp Cloud API / Messenger Send API answering as documented; its
// account lists the fixture's templates and any extra ones.
func graphAPI(t *testing.T, extra ...map[string]any) *httptest.Server {
	sendOK, templates := fixture(t, "whatsapp/send_response.json"), fixture(t, "whatsapp/templates_list_response.json")
	if len(extra) > 0 {
		var list map[string]any
		json.Unmarshal(templates, &list)
		for _, x := range extra {
			list["data"] = append(list["data"].([]any), x)
		}
		templates, _ = json.Marshal(list)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/message_templates") {
			w.Write(templates)
			return
		}
		w.Write(sendOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ---- the recorder -------------------------------------------------------------------------------

type recCall struct {
	Method string          `json:"method"`
	Args   []any           `json:"args"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

type recStep struct {
	Name   string       `json:"name"`
	About  string       `json:"about"`
	Action *recCall     `json:"action,omitempty"`
	Reads  []recCall    `json:"reads"`
	Events []shellEvent `json:"events"`
}

type recording struct {
	Scenario string `json:"scenario"`
	App      string `json:"app"`
	About    string `json:"about"`
	// HandEdited lists what was changed by hand after recording, where the server does not fill
	// a field of its contract yet; a regeneration (make record) replaces them with the server's.
	HandEdited []string       `json:"hand_edited,omitempty"`
	IDs        map[string]any `json:"ids"`
	Steps      []recStep      `json:"steps"`
}

type recorder struct {
	t     *testing.T
	a     *App
	shell *recordingShell
	srv   *santrald
	rec   recording
	cur   *recStep
	mark  int
	start int64
	alias map[string]string // other local servers' URLs and the names recordings give them
}

func newRecorder(t *testing.T, srv *santrald, scenario, app, about string) *recorder {
	t.Helper()
	a := New(Config{Dir: t.TempDir(), Version: "test", Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	shell := &recordingShell{}
	a.start(shell, &recordingNotifier{})
	t.Cleanup(a.shutdown)
	r := &recorder{t: t, a: a, shell: shell, srv: srv, start: time.Now().UnixMilli(),
		rec: recording{Scenario: scenario, App: app, About: about, IDs: map[string]any{}, Steps: []recStep{}}}
	if *record {
		t.Cleanup(r.write)
	}
	return r
}

// step starts a step: what happens next, then the reads the UI makes afterwards.
func (r *recorder) step(name, about string) {
	r.t.Helper()
	r.end()
	r.rec.Steps = append(r.rec.Steps, recStep{Name: name, About: about, Reads: []recCall{}, Events: []shellEvent{}})
	r.cur = &r.rec.Steps[len(r.rec.Steps)-1]
	_, r.mark = r.shell.since(0)
}

// invoke calls a binding by name, as Wails does, and returns the call as the UI sees it.
func (r *recorder) invoke(method string, args ...any) recCall {
	r.t.Helper()
	m := reflect.ValueOf(r.a).MethodByName(method)
	if !m.IsValid() {
		r.t.Fatalf("no binding %s", method)
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		in[i] = reflect.ValueOf(a).Convert(m.Type().In(i))
	}
	out := m.Call(in)
	c := recCall{Method: method, Args: args}
	if c.Args == nil {
		c.Args = []any{}
	}
	for _, v := range out {
		if err, ok := v.Interface().(error); ok || v.Type() == reflect.TypeOf((*error)(nil)).Elem() {
			if ok && err != nil {
				c.Error = err.Error()
			}
			continue
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			r.t.Fatal(err)
		}
		c.Result = b
	}
	return c
}

// act is the user's action that makes this step: one binding call.
func (r *recorder) act(method string, args ...any) recCall {
	r.t.Helper()
	if r.cur.Action != nil {
		r.t.Fatalf("step %s has an action already", r.cur.Name)
	}
	c := r.invoke(method, args...)
	r.cur.Action = &c
	return c
}

// read is a call the UI makes after the step (it changes nothing the scenario depends on).
func (r *recorder) read(method string, args ...any) recCall {
	r.t.Helper()
	c := r.invoke(method, args...)
	r.cur.Reads = append(r.cur.Reads, c)
	return c
}

// settled waits until the app has applied every event the server wrote for its user so far,
// so a step's events are the step's own and a regeneration records the same ones.
func (r *recorder) settled() {
	r.t.Helper()
	if r.a == nil || !r.a.connected() {
		return
	}
	c, me, err := r.a.cached()
	if err != nil {
		return
	}
	db, err := sql.Open("sqlite3", "file:"+r.srv.db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	// The newest event this user's stream carries, by the store's own audience rule.
	rows, err := db.Query(`SELECT seq, audience FROM events WHERE type <> ? ORDER BY seq`, wire.InternalSessionsEnded)
	if err != nil {
		r.t.Fatal(err)
	}
	var head int64
	for rows.Next() {
		var seq int64
		var aud string
		if err := rows.Scan(&seq, &aud); err != nil {
			r.t.Fatal(err)
		}
		if store.Audience(aud).Sees(me.ID, me.Role.Staff()) {
			head = seq
		}
	}
	rows.Close()
	eventually(r.t, "the app caught up with the server", func() bool { cur, _ := c.Cursor(); return cur >= head })
}

// reads records the screen's usual reads: the session and the inbox.
func (r *recorder) reads() {
	r.settled()
	r.read("Session")
	r.read("Inbox")
}

func (r *recorder) end() {
	if r.cur == nil {
		return
	}
	r.settled()
	evs, n := r.shell.since(r.mark)
	r.mark = n
	seen := map[string]bool{}
	var last *shellEvent
	for _, e := range evs {
		if e.Name == "connection" { // only where the connection ended up
			e := e
			last = &e
			continue
		}
		k := e.Name + " " + string(e.Data)
		if !seen[k] {
			seen[k] = true
			r.cur.Events = append(r.cur.Events, e)
		}
	}
	if last != nil {
		r.cur.Events = append(r.cur.Events, *last)
	}
	sort.SliceStable(r.cur.Events, func(i, j int) bool { return eventOrder(r.cur.Events[i]) < eventOrder(r.cur.Events[j]) })
	r.cur = nil
}

// eventOrder sorts a step's events the way the app emits them for one batch.
func eventOrder(e shellEvent) string {
	rank := map[string]string{"connection": "0", "session": "1", "conversation-left": "2", "outbox": "3", "inbox": "4", "conversation": "5", "open-conversation": "6"}[e.Name]
	return rank + e.Name + string(e.Data)
}

func (r *recorder) id(name string, v any) { r.rec.IDs[name] = v }

func (r *recorder) result(c recCall, out any) {
	r.t.Helper()
	if c.Error != "" {
		r.t.Fatalf("%s refused: %s", c.Method, c.Error)
	}
	if err := json.Unmarshal(c.Result, out); err != nil {
		r.t.Fatal(err)
	}
}

func (r *recorder) refused(c recCall, code wire.Code) {
	r.t.Helper()
	if !strings.Contains(c.Error, `"code":"`+string(code)+`"`) {
		r.t.Fatalf("%s: want the server's %s, got %q %s", c.Method, code, c.Error, c.Result)
	}
}

func (r *recorder) inbox() Inbox {
	r.t.Helper()
	in, err := r.a.Inbox()
	if err != nil {
		r.t.Fatal(err)
	}
	return in
}

// status is a message's delivery status as the app's cache has it.
func (r *recorder) status(convID, messageID int64) wire.MessageStatus {
	c, _, err := r.a.cached()
	if err != nil {
		return ""
	}
	d, _, _ := c.Detail(convID)
	for _, m := range d.Messages {
		if m.ID == messageID {
			return m.Status
		}
	}
	return ""
}

func (r *recorder) until(what string, cond func() bool) { r.t.Helper(); eventually(r.t, what, cond) }

func (r *recorder) login(user, password string) {
	r.t.Helper()
	r.step("signed-in", "signs in and connects")
	r.result(r.act("Login", r.srv.url, user, password), &Session{})
	r.until("connected", func() bool { return r.a.connected() })
	r.reads()
	r.focus()
}

// focus records the window's focus reports (the UI sends them when it starts and on focus).
func (r *recorder) focus() {
	r.read("SetFocused", true)
	r.read("SetFocused", false)
}

func (r *recorder) online() {
	r.t.Helper()
	r.step("online", "goes online")
	r.result(r.act("SetPresence", "online", ""), &wire.User{})
	r.reads()
}

// write normalises and writes the recording.
func (r *recorder) write() {
	r.end()
	b, err := json.Marshal(r.rec)
	if err != nil {
		r.t.Fatal(err)
	}
	var v any
	json.Unmarshal(b, &v)
	n := normaliser{start: r.start, server: r.srv.url, alias: r.alias, keys: map[string]string{}}
	v = n.value("", v)
	out, _ := json.MarshalIndent(v, "", " ")
	dir := filepath.Join("..", "frontend", "tests", "recorded")
	os.MkdirAll(dir, 0o755)
	name := r.rec.Scenario
	if r.rec.App != "" && r.rec.App != r.rec.Scenario {
		name += "." + r.rec.App
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(out, '\n'), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Recordings' times sit on this day (2026-01-12 09:00 UTC) plus the scenario's elapsed seconds.
const recordedDay = 1768208400000

type normaliser struct {
	start  int64
	server string
	alias  map[string]string
	keys   map[string]string
}

var hexKey = regexp.MustCompile(`[0-9a-f]{24,}`)

func timeField(k string) bool {
	return k == "at" || k == "since" || k == "server_time" || strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_since")
}

func (n *normaliser) value(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = n.value(k, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = n.value(key, e)
		}
		return x
	case float64:
		if timeField(key) && x > 1e12 {
			d := (int64(x) - n.start)
			return float64(recordedDay + (d/1000)*1000)
		}
		return x
	case string:
		return n.text(x)
	}
	return v
}

func (n *normaliser) text(s string) string {
	s = strings.ReplaceAll(s, n.server, "http://santral.test")
	for from, to := range n.alias {
		s = strings.ReplaceAll(s, from, to)
	}
	s = strings.ReplaceAll(s, strings.TrimPrefix(n.server, "http://"), "santral.test")
	// Errors and events are JSON inside strings: their times and keys too.
	if strings.HasPrefix(s, "{") {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			b, _ := json.Marshal(n.value("", v))
			return string(b)
		}
	}
	return hexKey.ReplaceAllStringFunc(s, func(k string) string {
		if a, ok := n.keys[k]; ok {
			return a
		}
		a := fmt.Sprintf("key%04d", len(n.keys)+1)
		n.keys[k] = a
		return a
	})
}

// ---- the scenarios -----------------------------------------------------------------------------

func TestRecordedAnswers(t *testing.T) {
	t.Run("agent-day", recordAgentDay)
	t.Run("queue", recordQueue)
	t.Run("windows", recordWindows)
	t.Run("transfer", recordTransfer)
	t.Run("attachments", recordAttachments)
	t.Run("channels", recordChannels)
	t.Run("offline", recordOffline)
	t.Run("flows", recordFlows)
	t.Run("flow-editor", recordFlowEditor)
	t.Run("updates", recordUpdates)
	t.Run("shop", recordShop)
	t.Run("shops", recordShops)
	t.Run("update-required", recordUpdateRequired)
}

// An agent's day: sign-in (refused, then in), presence, customers writing, a reply, a quick
// message, a reply refused on break, ending (refused without a reason), history, taking up.
func recordAgentDay(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	srv.agent("mehmet", "Mehmet Kaya", 0)
	// Signing out at the end of the day leaves her conversations with her (this scenario is not
	// about returning them to the queue, and their events would race the sign-out).
	set := wire.DefaultSettings()
	set.RequeueOnOffline = false
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/settings", set, nil))
	var reason, other wire.EndReason
	srv.must(srv.call(srv.admin, "POST", "/api/v1/end-reasons", wire.EndReasonRequest{Label: "Sorun çözüldü"}, &reason))
	srv.must(srv.call(srv.admin, "POST", "/api/v1/end-reasons", wire.EndReasonRequest{Label: "Bilgi verildi"}, &other))
	var greet, mine wire.QuickMessage
	srv.must(srv.call(srv.admin, "POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Karşılama", Shortcut: "merhaba", Shared: true,
		Body: "Merhaba {{customer.name}}, ben {{agent.name}}. Size nasıl yardımcı olabilirim?"}, &greet))
	srv.must(srv.call(ayse.Token, "POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Kargo bilgisi", Shortcut: "kargo",
		Body: "Siparişiniz 1-3 iş günü içinde kargoya verilir."}, &mine))
	r := newRecorder(t, srv, "agent-day", "ayse", "ayse's day: sign-in, presence, replies, quick messages, ending, history, taking up")
	r.id("end_reason", reason.ID)
	r.id("end_reason_other", other.ID)
	r.id("quick_greet", greet.ID)
	r.id("quick_mine", mine.ID)
	r.id("me", ayse.User.ID)

	r.step("signed-out", "the window opens signed out; the sign-in screen is switched to English and back")
	r.reads()
	r.focus()
	r.read("SavePreferences", Preferences{Language: English, Theme: ThemeSystem, Sound: true})
	r.read("SavePreferences", Preferences{Language: Turkish, Theme: ThemeSystem, Sound: true})
	r.read("Session")
	r.step("login-refused", "a wrong password")
	r.refused(r.act("Login", srv.url, "ayse", "yanlis"), wire.CodeBadCredentials)
	r.login("ayse", "password-ayse")
	r.online()

	r.step("customers-write", "two customers write; both conversations are assigned to ayse")
	elif := srv.customer("905321112233", "Elif Şahin", "m1", "Merhaba, dün sipariş verdim.")
	srv.customer("905321112233", "Elif Şahin", "m2", "Siparişim ne zaman kargoya verilecek?")
	burak := srv.customer("905334445566", "Burak Öztürk", "m3", "Bu ceketin L bedeni var mı?")
	r.id("elif", elif)
	r.id("burak", burak)
	r.until("both assigned", func() bool { in := r.inbox(); return len(in.Mine) == 2 && in.UnreadTotal == 3 })
	r.reads()
	if in := r.inbox(); in.Mine[0].Unread+in.Mine[1].Unread != 3 {
		t.Fatalf("unread: %+v", in.Mine)
	}

	r.step("open", "opens Elif's conversation (marks it read)")
	var v ConversationView
	r.result(r.act("OpenConversation", elif), &v)
	if len(v.Messages) != 2 || v.WindowClosesAt != 0 {
		t.Fatalf("sandbox conversation: %d messages, window %d", len(v.Messages), v.WindowClosesAt)
	}
	r.read("Inbox")
	r.read("RenderQuickMessage", elif, greet.ID)
	r.read("RenderQuickMessage", elif, mine.ID)
	var previews map[int64]string
	r.result(r.read("QuickMessagePreviews", elif), &previews)
	if p := previews[greet.ID]; strings.Contains(p, "{{") || !strings.Contains(p, "Ayşe Demir") || len(previews) != 2 {
		t.Fatalf("the popup's previews are the quick messages filled in: %v", previews)
	}
	r.read("SetFocused", true)
	r.read("SetFocused", false)

	r.step("reply", "replies; connected, the server's answer comes back: sent")
	var item OutboxItem
	r.result(r.act("Send", elif, "Kargonuz bugün çıkıyor"), &item)
	if item.State != "sent" {
		t.Fatalf("a reply while connected comes back sent: %+v", item)
	}
	r.read("OpenConversation", elif)
	r.reads()

	r.step("break", "goes on break with a reason")
	r.result(r.act("SetPresence", "break", "Yemek"), &wire.User{})
	r.reads()
	r.step("reply-on-break", "a reply written on break is refused by the server, in sight")
	r.result(r.act("Send", elif, "Moladayken yazdım"), &item)
	if item.State != "failed" || item.Error == nil || item.Error.Code != wire.CodeAgentOnBreak {
		t.Fatalf("on break the server refuses: %+v", item)
	}
	r.read("OpenConversation", elif)
	r.read("DiscardSend", item.Key)
	r.step("pull-on-break", "pulling on break is refused")
	r.refused(r.act("Pull"), wire.CodeAgentOnBreak)
	r.step("back-online", "back online")
	r.result(r.act("SetPresence", "online", ""), &wire.User{})
	r.reads()
	r.read("OpenConversation", elif)

	r.step("end-without-reason", "ending without a reason is refused by the server")
	r.refused(r.act("End", elif, int64(0)), wire.CodeEndReasonRequired)
	r.step("end", "ends with a reason")
	r.result(r.act("End", elif, other.ID), &wire.Conversation{})
	r.until("ended in the cache", func() bool { return len(r.inbox().Mine) == 1 })
	r.reads()
	r.read("OpenConversation", elif)
	// Ending moves the agent to the next conversation in their list: Burak's opens.
	r.read("OpenConversation", burak)
	q := HistoryQuery{View: ViewHistory}
	r.read("History", q)
	q.View = ViewEnded
	r.read("History", q)
	r.step("filter", "filters the history by text and customer, the ended tab by end reason")
	r.act("History", HistoryQuery{View: ViewHistory, Text: "kargo", Customer: "Elif"})
	r.read("History", HistoryQuery{View: ViewEnded, EndReasonID: other.ID})
	r.read("History", HistoryQuery{View: ViewEnded, EndReasonID: reason.ID})
	r.read("History", HistoryQuery{View: ViewHistory, From: "2025-13-01"})
	r.step("take-up", "takes Elif's conversation up again")
	r.result(r.act("TakeUp", elif), &wire.Conversation{})
	r.until("mine again", func() bool { return len(r.inbox().Mine) == 2 })
	r.reads()
	r.read("OpenConversation", elif)
	r.read("History", HistoryQuery{View: ViewEnded})

	r.step("pull-empty", "the queue is empty: everything was assigned automatically")
	r.refused(r.act("Pull"), wire.CodeQueueEmpty)

	r.step("preferences", "saves language, theme, sound and autostart")
	r.act("SavePreferences", Preferences{Language: English, Theme: ThemeDark, Sound: true})
	r.read("SavePreferences", Preferences{Language: Turkish, Theme: ThemeSystem, Sound: true})

	r.step("logout", "signs out")
	r.act("Logout")
	r.read("Session")
}

// The queue in the server's order: with automatic assignment off, a conversation whose agent
// went offline returns to the head although it is not the oldest entry; pulling takes it.
func recordQueue(t *testing.T) {
	srv := startSantrald(t)
	off := false
	set := wire.DefaultSettings()
	set.AutoAssign = off
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/settings", set, nil))
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	mehmet := srv.agent("mehmet", "Mehmet Kaya", 3)
	r := newRecorder(t, srv, "queue", "ayse", "the queue in the server's order; a conversation returned to the head; pull")
	r.id("me", ayse.User.ID)
	r.login("ayse", "password-ayse")
	r.online()

	r.step("queued", "three customers write; automatic assignment is off, so they wait in the queue")
	first := srv.customer("905301110001", "Can Koç", "q1", "Merhaba, iade yapmak istiyorum")
	second := srv.customer("905301110002", "Selin Güneş", "q2", "Kapıda ödeme var mı?")
	third := srv.customer("905301110003", "Hakan Er", "q3", "Fatura bilgisi değiştirebilir miyim?")
	r.until("three queued", func() bool { return len(r.inbox().Queue) == 3 })
	r.reads()

	r.step("returned-to-head", "mehmet takes the oldest, then signs out: it returns to the head of the queue")
	srv.presence(mehmet.Token, wire.Online, "")
	var took wire.Conversation
	srv.must(srv.call(mehmet.Token, "POST", "/api/v1/queue/pull", nil, &took))
	if took.ID != first {
		t.Fatalf("mehmet pulls the oldest: got %d want %d", took.ID, first)
	}
	fourth := srv.customer("905301110004", "Oya Tan", "q4", "Siparişim iptal olur mu?")
	srv.must(srv.call(mehmet.Token, "POST", "/api/v1/auth/logout", nil, nil))
	r.until("four queued", func() bool { return len(r.inbox().Queue) == 4 })
	r.reads()
	r.id("returned", first)
	r.id("second", second)
	r.id("third", third)
	r.id("fourth", fourth)
	r.read("OpenConversation", first)

	r.step("pull", "the conversation button takes the head of the queue: the returned one")
	var pulled wire.Conversation
	r.result(r.act("Pull"), &pulled)
	if pulled.ID != first {
		t.Fatalf("the server serves the returned conversation first: got %d want %d", pulled.ID, first)
	}
	r.until("mine", func() bool { in := r.inbox(); return len(in.Mine) == 1 && len(in.Queue) == 3 })
	r.reads()
	r.read("OpenConversation", first)
}

// Windows of every channel, as the server decides them: WhatsApp open and closed (templates,
// paid or free by the server), Messenger closed and about to close, Instagram kept open by the
// HUMAN_AGENT tag, the sandbox without a window.
func recordWindows(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 10)
	// Besides the fixture's positional templates, one with NAMED parameters and their examples.
	graph := graphAPI(t, map[string]any{"name": "kargo_bilgisi", "language": "tr", "status": "APPROVED", "category": "UTILITY",
		"id": "77", "parameter_format": "NAMED", "components": []any{map[string]any{"type": "BODY",
			"text": "Merhaba {{musteri_adi}}, {{siparis_no}} numaralı siparişiniz kargoda.",
			"example": map[string]any{"body_text_named_params": []any{
				map[string]any{"param_name": "musteri_adi", "example": "Ayşe"}, map[string]any{"param_name": "siparis_no", "example": "#1043"}}}}}})
	str := func(s string) *string { return &s }
	yes := true
	account := func(typ, name, accountID string, human bool) wire.ChannelAccount {
		var a wire.ChannelAccount
		req := wire.ChannelRequest{Type: typ, Name: str(name), AccountID: str(accountID), BaseURL: str(graph.URL), APIVersion: str("v23.0"),
			Credentials: map[string]string{"token": "EAAG-" + typ, "app_secret": "secret-" + typ, "verify_token": "verify-" + typ}}
		if typ == wire.ChannelWhatsApp {
			req.WABAID = str("555")
		}
		if human {
			req.HumanAgent = &yes
		}
		srv.must(srv.call(srv.admin, "POST", "/api/v1/channel-accounts", req, &a))
		return a
	}
	wa := account(wire.ChannelWhatsApp, "Mağaza WhatsApp", "106540352242922", false)
	ms := account(wire.ChannelMessenger, "Mağaza Facebook", "113847210395821", false)
	ig := account(wire.ChannelInstagram, "magaza", "17841405793187218", true)
	srv.must(srv.call(srv.admin, "POST", fmt.Sprintf("/api/v1/channel-accounts/%d/templates/sync", wa.ID), nil, nil))

	waWrites := func(from, name, id, text string) {
		var d map[string]any
		json.Unmarshal(fixture(t, "whatsapp/inbound_text.json"), &d)
		v := d["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
		c := v["contacts"].([]any)[0].(map[string]any)
		c["wa_id"], c["profile"] = from, map[string]any{"name": name}
		m := v["messages"].([]any)[0].(map[string]any)
		m["from"], m["id"], m["text"] = from, id, map[string]any{"body": text}
		m["timestamp"] = strconv.FormatInt(time.Now().Unix(), 10) // the customer writes now
		b, _ := json.Marshal(d)
		srv.webhook(wa.ID, "secret-whatsapp", b)
	}
	metaWrites := func(acc wire.ChannelAccount, file, sender, mid, text string) {
		var d map[string]any
		json.Unmarshal(fixture(t, file), &d)
		m := d["entry"].([]any)[0].(map[string]any)["messaging"].([]any)[0].(map[string]any)
		m["sender"] = map[string]any{"id": sender}
		m["message"] = map[string]any{"mid": mid, "text": text}
		m["timestamp"] = time.Now().UnixMilli() // the customer writes now
		b, _ := json.Marshal(d)
		srv.webhook(acc.ID, "secret-"+acc.Type, b)
	}

	r := newRecorder(t, srv, "windows", "ayse", "every channel's window from the server: open, closing, closed, HUMAN_AGENT, none; templates")
	r.id("me", ayse.User.ID)
	r.login("ayse", "password-ayse")
	r.online()
	r.step("customers-write", "customers write on WhatsApp, Messenger, Instagram and the sandbox; some wrote long ago")
	waWrites("905321234567", "Ayşe Yılmaz", "wamid.open-1", "Merhaba, 1043 numaralı siparişim ne zaman kargoya verilecek? 📦")
	waWrites("905327654321", "Kemal Aksoy", "wamid.closed-1", "Faturamı alabilir miyim?")
	metaWrites(ms, "messenger/inbound_text.json", "6729101843819203", "m_closed-1", "İyi günler, kapıda ödeme var mı?")
	metaWrites(ms, "messenger/inbound_text.json", "6729101843819999", "m_closing-1", "Beden tablosu var mı?")
	metaWrites(ig, "instagram/inbound_text.json", "1054786322945120", "ig_human-1", "Bu ceketin M bedeni stokta var mı?")
	sandbox := srv.customer("905339990000", "Deniz Aydın", "w1", "Web sitesinden yazıyorum")
	r.until("six conversations", func() bool { return len(r.inbox().Mine) == 6 })
	ids := map[string]int64{}
	for _, c := range r.inbox().Mine {
		key := c.Channel.Type + ":" + c.Contact.ExternalID
		ids[key] = c.ID
	}
	waOpen, waClosed := ids["whatsapp:905321234567"], ids["whatsapp:905327654321"]
	msClosed, msClosing, igHuman := ids["messenger:6729101843819203"], ids["messenger:6729101843819999"], ids["instagram:1054786322945120"]
	if waOpen == 0 || waClosed == 0 || msClosed == 0 || msClosing == 0 || igHuman == 0 {
		t.Fatalf("conversations: %v", ids)
	}
	srv.lastWrote(waClosed, 25*time.Hour)
	srv.lastWrote(msClosed, 26*time.Hour)
	srv.lastWrote(msClosing, 23*time.Hour)
	srv.lastWrote(igHuman, 30*time.Hour)
	for k, v := range map[string]int64{"wa_open": waOpen, "wa_closed": waClosed, "ms_closed": msClosed, "ms_closing": msClosing, "ig_human": igHuman, "sandbox": sandbox} {
		r.id(k, v)
	}
	r.reads()
	now := time.Now().UnixMilli()
	for _, c := range []struct {
		id   int64
		open bool
		none bool
	}{{waOpen, true, false}, {waClosed, false, false}, {msClosed, false, false}, {msClosing, true, false}, {igHuman, true, false}, {sandbox, true, true}} {
		var v ConversationView
		r.result(r.read("OpenConversation", c.id), &v)
		switch {
		case c.none && v.WindowClosesAt != 0:
			t.Fatalf("the sandbox has no window: %d", v.WindowClosesAt)
		case !c.none && (v.WindowClosesAt == 0 || (v.WindowClosesAt > now) != c.open):
			t.Fatalf("conversation %d: window closes at %d (now %d), want open %v", c.id, v.WindowClosesAt, now, c.open)
		}
	}
	var open, closed []wire.Template
	r.result(r.read("Templates", waOpen), &open)
	r.result(r.read("Templates", waClosed), &closed)
	r.read("Templates", msClosed)
	if len(closed) == 0 || len(open) != len(closed) {
		t.Fatalf("templates: %d open, %d closed", len(open), len(closed))
	}
	for i := range closed {
		if !closed[i].Paid || (closed[i].Category == "UTILITY" && open[i].Paid) {
			t.Fatalf("paid is the server's: %+v / %+v", open[i], closed[i])
		}
		if closed[i].ParameterFormat == wire.TemplateNamed {
			r.id("template_named", closed[i].ID)
		} else if closed[i].Params > 0 {
			r.id("template_params", closed[i].ID)
		} else {
			r.id("template_plain", closed[i].ID)
		}
	}

	r.step("refused-closed", "a free-form reply on a closed WhatsApp window is refused with window_closed")
	var item OutboxItem
	r.result(r.act("Send", waClosed, "Merhaba Kemal Bey"), &item)
	if item.State != "failed" || item.Error == nil || item.Error.Code != wire.CodeWindowClosed || item.Error.ClosedAt == 0 {
		t.Fatalf("window_closed with its closing time: %+v", item)
	}
	r.read("OpenConversation", waClosed)
	r.step("refused-messenger", "on Messenger too, after the window, the server refuses")
	r.result(r.act("Send", msClosed, "Merhaba"), &item)
	if item.State != "failed" || item.Error == nil || item.Error.Code != wire.CodeWindowClosed {
		t.Fatalf("messenger: %+v", item)
	}
	r.read("OpenConversation", msClosed)
	r.step("template", "sends a template on the closed WhatsApp conversation")
	tid := r.rec.IDs["template_params"].(int64)
	var tpl wire.Template
	for _, x := range closed {
		if x.ID == tid {
			tpl = x
		}
	}
	params := make([]string, tpl.Params)
	for i := range params {
		params[i] = []string{"Kemal", "#1043", "yarın", "x", "y"}[i%5]
	}
	r.id("template_args", params)
	var sent wire.Message
	r.result(r.act("SendTemplate", waClosed, tid, params), &sent)
	r.until("the provider took the template", func() bool { return r.status(waClosed, sent.ID) == wire.StatusSent })
	r.read("OpenConversation", waClosed)
	r.step("reply-open", "a reply on the open WhatsApp window goes out")
	r.result(r.act("Send", waOpen, "Kargonuz yarın yola çıkıyor"), &item)
	if item.State != "sent" {
		t.Fatalf("open window: %+v", item)
	}
	r.until("the provider took the reply", func() bool { return r.status(waOpen, item.MessageID) == wire.StatusSent })
	r.read("OpenConversation", waOpen)
}

// A transfer accepted while the sender types: the receiver's and the sender's app side by side.
func recordTransfer(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	mehmet := srv.agent("mehmet", "Mehmet Kaya", 0)
	zeynep := srv.agent("zeynep", "Zeynep Arslan", 0)
	srv.presence(zeynep.Token, wire.Break, "Yemek")
	s := newRecorder(t, srv, "transfer", "sender", "ayse transfers; mehmet accepts while she types; her reply is refused in sight")
	rc := newRecorder(t, srv, "transfer", "receiver", "mehmet receives the offers: accepts one, rejects one")
	for _, r := range []*recorder{s, rc} {
		r.id("ayse", ayse.User.ID)
		r.id("mehmet", mehmet.User.ID)
		r.id("zeynep", zeynep.User.ID)
	}
	rc.login("mehmet", "password-mehmet")
	rc.online()
	s.login("ayse", "password-ayse")
	s.online()

	s.step("customers-write", "two customers write; both go to ayse")
	rc.step("customers-write", "two customers write; both go to ayse (mehmet's limit is 0)")
	conv := srv.customer("905321117788", "Elif Şahin", "t1", "Kargom gelmedi")
	second := srv.customer("905321117799", "Burak Öztürk", "t2", "İade kodu alabilir miyim?")
	s.id("conv", conv)
	s.id("second", second)
	rc.id("conv", conv)
	rc.id("second", second)
	s.until("assigned", func() bool { return len(s.inbox().Mine) == 2 })
	s.reads()
	rc.reads()
	s.step("open", "opens the conversation")
	s.act("OpenConversation", conv)
	s.read("RefreshAgents") // the transfer dialog asks who is online now

	s.step("refused-break", "a transfer to an agent on break is refused by the server")
	s.refused(s.act("Transfer", conv, zeynep.User.ID, ""), wire.CodeAgentOnBreak)
	rc.step("offer-arrives", "the offer reaches mehmet")
	s.step("offered", "offers it to mehmet with a note")
	var offer wire.TransferOffer
	s.result(s.act("Transfer", conv, mehmet.User.ID, "Kargo takibini sen yapar mısın?"), &offer)
	s.id("offer", offer.ID)
	rc.id("offer", offer.ID)
	s.until("the offer in the cache", func() bool { return len(s.inbox().Offers) == 1 })
	s.reads()
	s.read("OpenConversation", conv)
	s.step("again", "a second offer for the same conversation is refused by the server")
	s.refused(s.act("Transfer", conv, mehmet.User.ID, ""), wire.CodeTransferPending)

	rc.until("the offer", func() bool { return len(rc.inbox().Offers) == 1 })
	rc.reads()
	s.step("accepted", "the acceptance reaches ayse while she types: the conversation leaves her list, the pane locks")
	rc.step("accept", "mehmet accepts")
	rc.result(rc.act("AcceptTransfer", offer.ID), &wire.Conversation{})
	rc.until("his", func() bool { return len(rc.inbox().Mine) == 1 })
	rc.reads()
	rc.read("OpenConversation", conv)

	s.until("left", func() bool { return len(s.inbox().Mine) == 1 && len(s.shell.find("conversation-left")) == 1 })
	s.reads()
	var v ConversationView
	s.result(s.read("OpenConversation", conv), &v)
	if v.Refused == nil || v.Refused.Code != wire.CodeNotHolder || len(v.Messages) != 0 {
		t.Fatalf("the sender may not read it any more: %+v, %d messages", v.Refused, len(v.Messages))
	}
	s.step("typed", "the reply she typed in that moment is refused by the server, shown where she typed it")
	var item OutboxItem
	s.result(s.act("Send", conv, "Hemen bakıyorum"), &item)
	if item.State != "failed" || item.Error == nil || item.Error.Code != wire.CodeNotHolder {
		t.Fatalf("refused in sight: %+v", item)
	}
	s.read("OpenConversation", conv)
	s.read("DiscardSend", item.Key)

	s.step("open-second", "opens the second conversation")
	s.act("OpenConversation", second)
	rc.step("offer2-arrives", "the second offer reaches mehmet")
	s.step("second-offered", "she offers the second conversation to mehmet")
	var offer2 wire.TransferOffer
	s.result(s.act("Transfer", second, mehmet.User.ID, ""), &offer2)
	s.id("offer2", offer2.ID)
	rc.id("offer2", offer2.ID)
	s.until("pending", func() bool { return len(s.inbox().Offers) == 1 })
	s.reads()
	s.read("OpenConversation", second)
	rc.until("the offer", func() bool { return len(rc.inbox().Offers) == 1 })
	rc.reads()
	s.step("rejected", "the rejected offer comes back: the conversation stays with ayse")
	rc.step("reject", "mehmet rejects it")
	rc.act("RejectTransfer", offer2.ID)
	rc.until("gone", func() bool { return len(rc.inbox().Offers) == 0 })
	rc.reads()
	rc.step("reject-again", "answering an offer no longer pending is refused by the server")
	rc.refused(rc.act("AcceptTransfer", offer2.ID), wire.CodeOfferNotPending)
	s.until("no offer", func() bool { return len(s.inbox().Offers) == 0 })
	s.reads()
	s.read("OpenConversation", second)
}

// Files in replies: handed over in chunks, refused by type, sent, previewed from the media cache.
func recordAttachments(t *testing.T) {
	srv := startSantrald(t)
	srv.agent("ayse", "Ayşe Demir", 3)
	r := newRecorder(t, srv, "attachments", "ayse", "uploads in chunks, a refused file type, a reply with a file, media previews")
	r.login("ayse", "password-ayse")
	r.online()
	r.step("customer-writes", "a customer asks for an invoice")
	conv := srv.customer("905321114455", "Elif Şahin", "a1", "Faturamı gönderir misiniz?")
	r.id("conv", conv)
	r.until("mine", func() bool { return len(r.inbox().Mine) == 1 })
	r.reads()
	r.read("OpenConversation", conv)

	// The UI's files (the tests build the same bytes).
	pdf := []byte("%PDF-1.4 fatura 1043")
	exe := []byte("MZ")
	png := []byte("\x89PNG\r\n\x1a\nekran")
	chunk := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	hand := func(name, mime string, data []byte) (string, recCall) {
		var id string
		r.result(r.read("UploadBegin", conv, name, mime, int64(len(data))), &id)
		r.read("UploadChunk", id, int64(0), chunk(data))
		return id, r.read("UploadFinish", id)
	}
	r.step("uploads", "hands over a PDF, an executable and a picture")
	_, okPDF := hand("fatura.pdf", "application/pdf", pdf)
	_, badEXE := hand("virus.exe", "application/x-msdownload", exe)
	_, okPNG := hand("ekran.png", "image/png", png)
	r.refused(badEXE, wire.CodeInvalid)
	var atPDF, atPNG wire.Attachment
	r.result(okPDF, &atPDF)
	r.result(okPNG, &atPNG)
	r.step("send", "sends the reply with the PDF")
	var item OutboxItem
	r.result(r.act("SendWithAttachments", conv, "Faturanız ektedir", []wire.Attachment{atPDF}), &item)
	if item.State != "sent" {
		t.Fatalf("sent: %+v", item)
	}
	r.read("OpenConversation", conv)
	r.read("MediaURL", atPDF.URL, "application/pdf")
	r.step("send-alone", "sends the picture alone")
	r.result(r.act("SendWithAttachments", conv, "", []wire.Attachment{atPNG}), &item)
	r.read("OpenConversation", conv)
	r.read("MediaURL", atPNG.URL, "image/png")
	r.read("MediaURL", "https://evil.example/x.png", "image/png")
}

// An admin's channel accounts: credentials write-only, refusals, template sync.
func recordChannels(t *testing.T) {
	srv := startSantrald(t)
	graph := graphAPI(t)
	r := newRecorder(t, srv, "channels", "admin", "an admin connects channel accounts")
	r.alias = map[string]string{graph.URL: "http://graph.test"}
	r.login("admin", "admin-pass-123")
	str := func(s string) *string { return &s }
	yes, no := true, false
	r.step("list", "opens the channel accounts")
	r.act("ChannelAccounts")
	r.step("create", "connects a WhatsApp account")
	var wa wire.ChannelAccount
	r.result(r.act("SaveChannelAccount", int64(0), wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: str("Mağaza WhatsApp"), Enabled: &yes,
		AccountID: str("106540352242922"), WABAID: str("555"), BaseURL: str(graph.URL),
		Credentials: map[string]string{"token": "EAAG-token", "app_secret": "app-secret", "verify_token": "verify"}}), &wa)
	r.id("whatsapp", wa.ID)
	r.read("ChannelAccounts")
	r.step("sync", "fetches its approved templates")
	r.act("SyncTemplates", wa.ID)
	r.step("edit", "renames it and replaces one credential")
	// What the UI's form sends for a change: every setting as shown, and the one credential typed.
	edit := wire.ChannelRequest{Name: str("Destek WhatsApp"), Enabled: &yes, AccountID: str("106540352242922"), WABAID: str("555"),
		BaseURL: str(wa.BaseURL), Credentials: map[string]string{"app_secret": "yeni-gizli"}}
	if wa.APIVersion != "" {
		edit.APIVersion = str(wa.APIVersion)
	}
	r.act("SaveChannelAccount", wa.ID, edit)
	r.read("ChannelAccounts")
	r.step("refused", "a Messenger account without a name is refused")
	r.refused(r.act("SaveChannelAccount", int64(0), wire.ChannelRequest{Type: wire.ChannelMessenger, Name: str(""), Enabled: &yes, AccountID: str(""), HumanAgent: &no}), wire.CodeInvalid)
	r.step("messenger", "connects a Messenger page with the HUMAN_AGENT tag")
	var ms wire.ChannelAccount
	r.result(r.act("SaveChannelAccount", int64(0), wire.ChannelRequest{Type: wire.ChannelMessenger, Name: str("Facebook sayfası"), Enabled: &yes,
		AccountID: str("4242"), HumanAgent: &yes, Credentials: map[string]string{"token": "EAAG"}}), &ms)
	r.id("messenger", ms.ID)
	r.read("ChannelAccounts")
	r.read("SyncTemplates", ms.ID)
	for _, st := range r.rec.Steps {
		calls := st.Reads
		if st.Action != nil {
			calls = append(calls, *st.Action)
		}
		for _, c := range calls {
			for _, secret := range []string{"EAAG-token", "app-secret", "yeni-gizli", `"verify"`} {
				if bytes.Contains(c.Result, []byte(secret)) {
					t.Fatalf("a credential value came back from %s: %s", c.Method, c.Result)
				}
			}
		}
	}
}

// The app without its server: the cached inbox at once, a reply queued for later, files not.
func recordOffline(t *testing.T) {
	srv := startSantrald(t)
	srv.agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	first := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	first.start(&recordingShell{}, &recordingNotifier{})
	if _, err := first.Login(srv.url, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", first.connected)
	first.SetPresence("online", "")
	conv := srv.customer("905339998877", "Burak Öztürk", "o1", "İade talebim var")
	eventually(t, "mine", func() bool { in, _ := first.Inbox(); return len(in.Mine) == 1 })
	first.OpenConversation(conv)
	first.shutdown()
	stored := loadStored(dir, func(string) string { return "" })
	stored.ServerURL = "http://127.0.0.1:1"
	saveStored(dir, stored)

	r := &recorder{t: t, srv: srv, start: time.Now().UnixMilli(), rec: recording{Scenario: "offline", App: "ayse",
		About: "the app restarted without its server: the cached inbox, a reply queued, files refused", IDs: map[string]any{"conv": conv}, Steps: []recStep{}}}
	r.a = New(Config{Dir: dir, Version: "test", Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	r.shell = &recordingShell{}
	r.step("start", "the window opens: the stored session resumes from the cache while it reconnects")
	r.a.start(r.shell, &recordingNotifier{})
	t.Cleanup(r.a.shutdown)
	eventually(t, "reconnecting", func() bool { return r.a.Session().Connection.State == "reconnecting" })
	r.reads()
	r.focus()
	var v ConversationView
	r.result(r.read("OpenConversation", conv), &v)
	if !v.FromCache || len(v.Messages) != 1 {
		t.Fatalf("offline, from the cache: %+v", v)
	}
	r.step("queued", "a reply written offline waits for the connection")
	var item OutboxItem
	r.result(r.act("Send", conv, "Çevrimdışı yazdım"), &item)
	if item.State != "queued" {
		t.Fatalf("queued: %+v", item)
	}
	r.read("OpenConversation", conv)
	var id string
	r.result(r.read("UploadBegin", conv, "a.txt", "text/plain", int64(1)), &id)
	r.read("UploadChunk", id, int64(0), base64.StdEncoding.EncodeToString([]byte("x")))
	r.refused(r.read("UploadFinish", id), "offline")
	if *record {
		r.srv.url = "http://127.0.0.1:1"
		r.write()
	}
}
