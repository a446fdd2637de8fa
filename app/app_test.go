package app

// The bindings the UI calls, against a real santrald in-process. The window is a recorder of
// what the app tells it (events, title); notifications go to a recorder of what would reach
// the OS. The D-Bus path itself is exercised by the end-to-end test.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"santral/app/client"
	"santral/app/notify"
	appsync "santral/app/sync"
	"santral/backend/server/servertest"
	"santral/backend/wire"
)

type recordingShell struct {
	mu     gosync.Mutex
	events []string
	log    []shellEvent
	title  string
	shown  int
}

// shellEvent is one event the app emitted to the UI.
type shellEvent struct {
	Name string          `json:"name"`
	Data json.RawMessage `json:"data"`
}

func (r *recordingShell) Emit(event string, data any) {
	r.mu.Lock()
	b, _ := json.Marshal(data)
	r.events = append(r.events, event+" "+string(b))
	r.log = append(r.log, shellEvent{Name: event, Data: b})
	r.mu.Unlock()
}

// since returns the events emitted after the first n, and the count so far.
func (r *recordingShell) since(n int) ([]shellEvent, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]shellEvent(nil), r.log[n:]...), len(r.log)
}
func (r *recordingShell) SetTitle(t string) { r.mu.Lock(); r.title = t; r.mu.Unlock() }
func (r *recordingShell) Show()             { r.mu.Lock(); r.shown++; r.mu.Unlock() }
func (r *recordingShell) Title() string     { r.mu.Lock(); defer r.mu.Unlock(); return r.title }
func (r *recordingShell) saw(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

type recordingNotifier struct {
	mu   gosync.Mutex
	sent []notify.Notification
}

func (r *recordingNotifier) Notify(n notify.Notification) error {
	r.mu.Lock()
	r.sent = append(r.sent, n)
	r.mu.Unlock()
	return nil
}
func (r *recordingNotifier) Close() error { return nil }
func (r *recordingNotifier) all() []notify.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Notification(nil), r.sent...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newApp(t *testing.T, dir string) (*App, *recordingShell, *recordingNotifier) {
	a := New(Config{Dir: dir, Version: "test", Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	shell, n := &recordingShell{}, &recordingNotifier{}
	a.start(shell, n)
	t.Cleanup(a.shutdown)
	return a, shell, n
}

func TestAgentDayThroughTheBindings(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	a, shell, notes := newApp(t, dir)

	if _, err := a.Login(srv.URL, "ayse", "wrong-password"); err == nil || !strings.Contains(err.Error(), `"code":"bad_credentials"`) {
		t.Fatalf("a wrong password is refused with a typed code, got %v", err)
	}
	s, err := a.Login(srv.URL, "ayse", "password-ayse")
	if err != nil || !s.SignedIn || s.User == nil || s.User.Username != "ayse" {
		t.Fatalf("login: %+v %v", s, err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if _, err := a.SetPresence("online", ""); err != nil {
		t.Fatal(err)
	}

	conv := srv.Customer("905321112233", "m1", "Merhaba, siparişim nerede?").ConversationID
	eventually(t, "the conversation in my inbox", func() bool {
		in, _ := a.Inbox()
		return len(in.Mine) == 1 && in.Mine[0].ID == conv && in.Mine[0].Unread == 1
	})
	eventually(t, "an assignment notification", func() bool {
		for _, n := range notes.all() {
			if n.ConversationID == conv && strings.Contains(n.Title, "Yeni sohbet") {
				return true
			}
		}
		return false
	})
	eventually(t, "the unread count on the window", func() bool { return shell.Title() == "(1) Santral" })

	// A customer message while the window has focus: no OS notification; without focus: one.
	a.SetFocused(true)
	srv.Customer("905321112233", "m2", "Kargo numarası lazım")
	// The title is set after the batch's notifications were decided: only then may focus change.
	eventually(t, "the second message", func() bool { return shell.Title() == "(2) Santral" })
	a.SetFocused(false)
	srv.Customer("905321112233", "m3", "Orada mısınız?")
	eventually(t, "a message notification while unfocused", func() bool {
		for _, n := range notes.all() {
			if n.Body == "Orada mısınız?" && n.ConversationID == conv {
				return true
			}
		}
		return false
	})
	for _, n := range notes.all() {
		if n.Body == "Kargo numarası lazım" {
			t.Fatal("no OS notification for a customer message while the window has focus")
		}
	}

	v, err := a.OpenConversation(conv)
	if err != nil || len(v.Messages) != 3 || v.FromCache {
		t.Fatalf("open: %d messages, from cache %v, %v", len(v.Messages), v.FromCache, err)
	}
	if in, _ := a.Inbox(); in.UnreadTotal != 0 {
		t.Fatal("opening a conversation marks it read")
	}
	text, err := a.RenderQuickMessage(conv, 0)
	if err == nil {
		t.Fatalf("an unknown quick message is refused, got %q", text)
	}

	if _, err := a.Send(conv, "Merhaba, hemen bakıyorum 😊"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the customer receives the reply", func() bool {
		got := srv.Received("905321112233")
		return len(got) == 1 && got[0].Body == "Merhaba, hemen bakıyorum 😊"
	})

	// A refusal comes back typed: ending without a reason.
	if _, err := a.End(conv, 0); err == nil || !strings.Contains(err.Error(), `"code":"end_reason_required"`) {
		t.Fatalf("end without reason: %v", err)
	}

	// The token is in the OS credential store or a 0600 file, and nowhere in the cache or settings.
	token, err := a.tokens.Load()
	if err != nil || token == "" {
		t.Fatalf("the token is stored: %v", err)
	}
	if info, err := os.Stat(filepath.Join(dir, "token")); err == nil && info.Mode().Perm() != 0o600 {
		t.Fatalf("the token file must be private, got %v", info.Mode())
	}
	for _, f := range []string{"cache.db", "cache.db-wal", "settings.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte(token)) {
			t.Fatalf("the token leaked into %s", f)
		}
	}

	if err := a.Logout(); err != nil {
		t.Fatal(err)
	}
	if a.Session().SignedIn {
		t.Fatal("signed out")
	}
	if tok, _ := a.tokens.Load(); tok != "" {
		t.Fatal("signing out forgets the token")
	}
	var users []wire.User
	var admin wire.LoginResponse
	srv.Call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: "admin", Password: servertest.AdminPassword}, &admin)
	srv.Call(admin.Token, "GET", "/api/v1/users", nil, &users)
	for _, u := range users {
		if u.Username == "ayse" && u.Presence != wire.Offline {
			t.Fatalf("signing out takes the agent offline, got %s", u.Presence)
		}
	}
}

func TestRestartShowsTheCachedInboxBeforeTheNetwork(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	a := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	a.start(&recordingShell{}, &recordingNotifier{})
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	a.SetPresence("online", "")
	conv := srv.Customer("905339998877", "m1", "İade talebim var").ConversationID
	eventually(t, "the conversation", func() bool { in, _ := a.Inbox(); return len(in.Mine) == 1 })
	a.OpenConversation(conv)
	a.shutdown()

	// The next start points at a server that does not answer.
	stored := loadStored(dir, func(string) string { return "" })
	stored.ServerURL = "http://127.0.0.1:1"
	saveStored(dir, stored)
	b, _, _ := newApp(t, dir)
	if !b.Session().SignedIn {
		t.Fatal("the stored session resumes")
	}
	in, err := b.Inbox()
	if err != nil || len(in.Mine) != 1 || in.Mine[0].ID != conv {
		t.Fatalf("the inbox comes from the cache at once: %+v %v", in.Mine, err)
	}
	v, err := b.OpenConversation(conv)
	if err != nil || !v.FromCache || len(v.Messages) != 1 {
		t.Fatalf("offline, the conversation stays readable: %+v %v", v, err)
	}
	item, err := b.Send(conv, "Çevrimdışı yazdım")
	if err != nil || item.State != "queued" {
		t.Fatalf("a reply written offline is queued: %+v %v", item, err)
	}
	if st := b.Session().Connection.State; st == appsync.StateConnected {
		t.Fatal("the connection state shows we are not connected")
	}
	b.shutdown()

	// The window's own start: RunWindow resumes before the page loads, so the page's first
	// Session and Inbox answer from the cache even before Wails' OnStartup has run (start).
	c := New(Config{Dir: dir, Version: "test", Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	c.resume()
	if !c.Session().SignedIn {
		t.Fatal("signed in from the cache before start")
	}
	if in, err := c.Inbox(); err != nil || len(in.Mine) != 1 || in.Mine[0].ID != conv {
		t.Fatalf("the cached inbox before start: %+v %v", in.Mine, err)
	}
	cached := c.cache
	c.start(&recordingShell{}, &recordingNotifier{})
	t.Cleanup(c.shutdown)
	if c.cache != cached {
		t.Fatal("start carries on with the cache resume opened, not a second one")
	}
	if item, err := c.Send(conv, "Yine çevrimdışı"); err != nil || item.State != "queued" {
		t.Fatalf("after start, replies queue as before: %+v %v", item, err)
	}
}

func TestPreferencesAreRemembered(t *testing.T) {
	dir := t.TempDir()
	a, _, _ := newApp(t, dir)
	if _, err := a.SavePreferences(Preferences{Language: "xx", Theme: "dark"}); err == nil {
		t.Fatal("an unknown language is refused")
	}
	if _, err := a.SavePreferences(Preferences{Language: "en", Theme: "dark", Sound: false}); err != nil {
		t.Fatal(err)
	}
	a.rememberWindowSize(1440, 900)
	b := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	if p := b.Session().Preferences; p.Language != "en" || p.Theme != "dark" || p.Sound {
		t.Fatalf("preferences not remembered: %+v", p)
	}
	if w, h := b.windowSize(); w != 1440 || h != 900 {
		t.Fatalf("window size not remembered: %dx%d", w, h)
	}
	c := New(Config{Dir: t.TempDir(), Getenv: func(k string) string {
		if k == "SANTRAL_SERVER_URL" {
			return "https://santral.example.com"
		}
		return ""
	}}, slog.New(slog.DiscardHandler))
	if c.Session().ServerURL != "https://santral.example.com" {
		t.Fatal("IT can pre-set the server URL through the environment")
	}
}

func TestTemplatesAndMediaBindings(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	a, _, _ := newApp(t, dir)

	if _, err := a.MediaURL("/api/v1/media/abc", "image/png"); err == nil || !strings.Contains(err.Error(), `"code":"signed_out"`) {
		t.Fatalf("media before sign-in: %v", err)
	}
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if _, err := a.SetPresence("online", ""); err != nil {
		t.Fatal(err)
	}
	conv := srv.Customer("905321112299", "t1", "Merhaba").ConversationID
	eventually(t, "the conversation in my inbox", func() bool {
		in, _ := a.Inbox()
		return len(in.Mine) == 1 && in.Mine[0].ID == conv
	})

	list, err := a.Templates(conv)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("a sandbox conversation has no templates: %#v %v", list, err)
	}
	if _, err := a.Templates(999999); err == nil || !strings.Contains(err.Error(), `"code":"not_found"`) {
		t.Fatalf("templates of an unknown conversation: %v", err)
	}
	if _, err := a.SendTemplate(conv, 424242, []string{"x"}); err == nil || !strings.Contains(err.Error(), `"code":`) {
		t.Fatalf("an unknown template is refused with a typed code: %v", err)
	}

	for _, p := range []string{"https://evil.example/x.png", "/api/v1/conversations/1", "/api/v1/media/", "/api/v1/media/../token", "/api/v1/media/a/b", "file:///etc/passwd"} {
		if _, err := a.MediaURL(p, "image/png"); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
			t.Fatalf("MediaURL(%q) must be refused as invalid_field, got %v", p, err)
		}
	}
	if _, err := a.MediaURL("/api/v1/media/no-such-key", "image/png"); err == nil || !strings.Contains(err.Error(), `"code":`) {
		t.Fatalf("an unknown media key is refused with a typed code: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "media", "no-such-key")); !os.IsNotExist(err) {
		t.Fatalf("a refused download leaves no file: %v", err)
	}

	// A file already in the profile's media cache is served from there.
	if err := os.MkdirAll(filepath.Join(dir, "media"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "media", "cached-key"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := a.MediaURL("/api/v1/media/cached-key", "text/plain")
	if err != nil || u != "data:text/plain;base64,aGVsbG8=" {
		t.Fatalf("cached media: %q %v", u, err)
	}
	if u, _ := a.MediaURL("/api/v1/media/cached-key", "text/html;x=<script>"); !strings.HasPrefix(u, "data:application/octet-stream;base64,") {
		t.Fatalf("a malformed mime falls back to octet-stream: %q", u)
	}
}

func TestMediaDownloadSendsTheTokenAndMapsRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer tok":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"sign in"}}`))
		case r.URL.Path == "/api/v1/media/k1":
			w.Write([]byte("PNGDATA"))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"file not found"}}`))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "k1")
	if err := download(client.New(srv.URL, "tok"), "/api/v1/media/k1", file); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != "PNGDATA" {
		t.Fatalf("download: %q", b)
	}
	if err := download(client.New(srv.URL, "tok"), "/api/v1/media/k2", filepath.Join(dir, "k2")); wire.CodeOf(err) != wire.CodeNotFound {
		t.Fatalf("a missing file is not_found, got %v", err)
	}
	if err := download(client.New(srv.URL, "other"), "/api/v1/media/k1", filepath.Join(dir, "k3")); wire.CodeOf(err) != "unauthorized" {
		t.Fatalf("a wrong token is refused, got %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("refused downloads leave no file: %v", left)
	}
}

func TestChannelAccountsThroughTheBindings(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)

	// An agent is refused: channel accounts belong to admins.
	agent, _, _ := newApp(t, t.TempDir())
	if _, err := agent.ChannelAccounts(); err == nil || !strings.Contains(err.Error(), `"code":"signed_out"`) {
		t.Fatalf("before sign-in: %v", err)
	}
	if _, err := agent.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "agent connected", func() bool { return agent.Session().Connection.State == appsync.StateConnected })
	if _, err := agent.ChannelAccounts(); err == nil || !strings.Contains(err.Error(), `"code":"forbidden"`) {
		t.Fatalf("an agent may not list channel accounts: %v", err)
	}

	a, _, _ := newApp(t, t.TempDir())
	if _, err := a.Login(srv.URL, "admin", servertest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	eventually(t, "admin connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	before, err := a.ChannelAccounts()
	if err != nil || before == nil {
		t.Fatalf("list: %#v %v", before, err)
	}

	str := func(s string) *string { return &s }
	yes := true
	const token, secret, verify = "EAAG-secret-token-value", "app-secret-value", "verify-token-value"
	created, err := a.SaveChannelAccount(0, wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: str("Mağaza WhatsApp"), AccountID: str("1234567890"),
		WABAID: str("555"), Enabled: &yes, Credentials: map[string]string{"token": token, "app_secret": secret, "verify_token": verify}})
	if err != nil || created.ID == 0 || created.Type != wire.ChannelWhatsApp || created.WebhookPath == "" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if len(created.Credentials) != 3 {
		t.Fatalf("the three credentials are listed by name: %v", created.Credentials)
	}
	if _, err := a.SaveChannelAccount(0, wire.ChannelRequest{Type: "fax", Name: str("x")}); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("an unknown type is refused with a typed code: %v", err)
	}
	if _, err := a.SaveChannelAccount(0, wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: str("x"), HumanAgent: &yes, AccountID: str("1")}); err == nil || !strings.Contains(err.Error(), `"field":"human_agent"`) {
		t.Fatalf("HUMAN_AGENT on WhatsApp is refused: %v", err)
	}

	// A change sends only what changed; the stored credentials stay.
	renamed, err := a.SaveChannelAccount(created.ID, wire.ChannelRequest{Name: str("Destek WhatsApp")})
	if err != nil || renamed.Name != "Destek WhatsApp" || len(renamed.Credentials) != 3 || renamed.AccountID != "1234567890" {
		t.Fatalf("rename: %+v %v", renamed, err)
	}
	tg, err := a.SaveChannelAccount(0, wire.ChannelRequest{Type: wire.ChannelTelegram, Name: str("Bot"), Credentials: map[string]string{"token": "123:tg-token-value"}})
	if err != nil || tg.Type != wire.ChannelTelegram || len(tg.Credentials) != 1 {
		t.Fatalf("telegram: %+v %v", tg, err)
	}

	list, err := a.ChannelAccounts()
	if err != nil || len(list) != len(before)+2 {
		t.Fatalf("list after: %d (before %d) %v", len(list), len(before), err)
	}
	raw, _ := json.Marshal(list)
	for _, v := range []string{token, secret, verify, "tg-token-value"} {
		if bytes.Contains(raw, []byte(v)) {
			t.Fatalf("a credential value came back: %s", raw)
		}
	}
	if _, err := a.SyncTemplates(tg.ID); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("templates exist on WhatsApp only: %v", err)
	}

	// Template sync against a stand-in Graph API (the stored token is sent there, never to us).
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/555/message_templates") || r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"bad token","code":190}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":[{"id":"1","name":"kargo_bilgi","language":"tr","status":"APPROVED","category":"UTILITY",
			"components":[{"type":"BODY","text":"Kargonuz {{1}} ile yola çıktı"}]}],"paging":{}}`))
	}))
	defer graph.Close()
	if _, err := a.SaveChannelAccount(created.ID, wire.ChannelRequest{BaseURL: str(graph.URL)}); err != nil {
		t.Fatal(err)
	}
	templates, err := a.SyncTemplates(created.ID)
	if err != nil || len(templates) != 1 || templates[0].Name != "kargo_bilgi" || templates[0].Params != 1 {
		t.Fatalf("template sync: %+v %v", templates, err)
	}
}

// upload hands a file to the app in chunks as the UI does, and returns what UploadFinish said.
func handOver(t *testing.T, a *App, conv int64, name, mime string, data []byte, chunk int) (wire.Attachment, error) {
	t.Helper()
	id, err := a.UploadBegin(conv, name, mime, int64(len(data)))
	if err != nil {
		return wire.Attachment{}, err
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if err := a.UploadChunk(id, int64(off), base64.StdEncoding.EncodeToString(data[off:end])); err != nil {
			return wire.Attachment{}, err
		}
	}
	return a.UploadFinish(id)
}

func TestUploadRefusals(t *testing.T) {
	a, _, _ := newApp(t, t.TempDir())
	if _, err := a.UploadBegin(1, "x.txt", "text/plain", 2); err == nil || !strings.Contains(err.Error(), `"code":"signed_out"`) {
		t.Fatalf("before sign-in: %v", err)
	}

	// Signed in, but the server does not answer: offline, nothing queued.
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	b := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	b.start(&recordingShell{}, &recordingNotifier{})
	if _, err := b.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	b.shutdown()
	stored := loadStored(dir, func(string) string { return "" })
	stored.ServerURL = "http://127.0.0.1:1"
	saveStored(dir, stored)
	c, _, _ := newApp(t, dir)
	eventually(t, "the stored session resumes with a client", func() bool {
		_, _, _, err := c.session()
		return err == nil
	})
	if _, err := c.UploadBegin(1, "big.bin", "application/octet-stream", MaxAttachment+1); err == nil || !strings.Contains(err.Error(), `"code":"body_too_large"`) {
		t.Fatalf("a file over 100 MB is refused before any of it is handed over: %v", err)
	}
	if _, err := c.UploadBegin(1, "empty.txt", "text/plain", 0); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("an empty file is refused: %v", err)
	}
	id, err := c.UploadBegin(1, "x.txt", "text/plain", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadChunk(id, 0, "%%% not base64"); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("unreadable data is refused: %v", err)
	}
	if err := c.UploadChunk(id, 2, base64.StdEncoding.EncodeToString([]byte("hi"))); err == nil || !strings.Contains(err.Error(), `"field":"offset"`) {
		t.Fatalf("a chunk out of order is refused: %v", err)
	}
	if err := c.UploadChunk(id, 0, base64.StdEncoding.EncodeToString([]byte("hello"))); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("more than announced is refused: %v", err)
	}
	if err := c.UploadChunk(id, 0, base64.StdEncoding.EncodeToString([]byte("hi"))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadFinish(id); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("a file not handed over completely is refused: %v", err)
	}
	if _, err := handOver(t, c, 1, "x.txt", "text/plain", []byte("hi"), 1); err == nil || !strings.Contains(err.Error(), `"code":"offline"`) {
		t.Fatalf("without the server an upload is offline: %v", err)
	}
	if left, _ := os.ReadDir(c.uploadDir()); len(left) != 0 {
		t.Fatalf("finished and refused uploads leave no temporary file: %v", left)
	}
	if _, err := c.SendWithAttachments(1, " ", nil); err == nil || !strings.Contains(err.Error(), `"code":"empty_message"`) {
		t.Fatalf("no text and no file: %v", err)
	}
	if _, err := c.SendWithAttachments(1, "", []wire.Attachment{{Kind: "document", Name: "a.pdf"}}); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("an attachment not uploaded is refused: %v", err)
	}
	att := wire.Attachment{Kind: "document", Name: "fatura.pdf", MimeType: "application/pdf", Size: 1234, URL: "/api/v1/media/k1"}
	item, err := c.SendWithAttachments(1, "", []wire.Attachment{att})
	if err != nil || item.State != "queued" || len(item.Attachments) != 1 || item.Attachments[0] != att {
		t.Fatalf("a reply with a file is queued: %+v %v", item, err)
	}
	ch, _, _ := c.cached()
	got, ok, err := ch.Entry(item.Key)
	if err != nil || !ok || len(got.Attachments) != 1 || got.Attachments[0] != att {
		t.Fatalf("the outbox keeps the attachments: %+v %v", got, err)
	}
}

// The multipart body is streamed from the reader: the server receives the file as written.
func TestUploadStreamsMultipart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/api/v1/conversations/7/attachments" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no"}}`))
			return
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":{"code":"invalid_field","message":"no file","field":"file"}}`))
			return
		}
		b := new(bytes.Buffer)
		b.ReadFrom(f)
		if b.String() == "too big" {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			w.Write([]byte(`{"error":{"code":"body_too_large","message":"too large"}}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(wire.Attachment{Kind: "document", Name: h.Filename, MimeType: h.Header.Get("Content-Type"), Size: int64(b.Len()), URL: "/api/v1/media/new"})
	}))
	defer srv.Close()
	cl := client.New(srv.URL, "tok")
	var at wire.Attachment
	big := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB through the pipe
	if err := cl.Upload(t.Context(), "/api/v1/conversations/7/attachments", "file", `fa"tura.pdf`, "application/pdf", bytes.NewReader(big), &at); err != nil {
		t.Fatal(err)
	}
	if at.Name != `fa"tura.pdf` && at.Name != `fa\"tura.pdf` || at.MimeType != "application/pdf" || at.Size != int64(len(big)) || at.URL != "/api/v1/media/new" {
		t.Fatalf("upload answer: %+v", at)
	}
	if err := cl.Upload(t.Context(), "/api/v1/conversations/7/attachments", "file", "b.bin", "", strings.NewReader("too big"), &at); wire.CodeOf(err) != wire.CodeBodyTooLarge {
		t.Fatalf("a 413 is body_too_large: %v", err)
	}
}

func TestUploadAndSendAnAttachment(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	a, _, _ := newApp(t, t.TempDir())
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if _, err := a.SetPresence("online", ""); err != nil {
		t.Fatal(err)
	}
	conv := srv.Customer("905321114455", "u1", "Faturamı gönderir misiniz?").ConversationID
	eventually(t, "the conversation in my inbox", func() bool { in, _ := a.Inbox(); return len(in.Mine) == 1 })

	if _, err := handOver(t, a, conv, "setup.exe", "application/x-msdownload", []byte("MZ"), 1024); err == nil || !strings.Contains(err.Error(), `"code":"invalid_field"`) {
		t.Fatalf("an unsupported type is refused: %v", err)
	}
	pdf := []byte("%PDF-1.4 " + strings.Repeat("fatura ", 200))
	at, err := handOver(t, a, conv, "fatura.pdf", "application/pdf", pdf, 100)
	if err != nil || at.Kind != "document" || at.Name != "fatura.pdf" || at.Size != int64(len(pdf)) || !strings.HasPrefix(at.URL, "/api/v1/media/") {
		t.Fatalf("upload: %+v %v", at, err)
	}
	item, err := a.SendWithAttachments(conv, "Faturanız ektedir", []wire.Attachment{at})
	if err != nil || len(item.Attachments) != 1 || item.State != "sent" {
		t.Fatalf("send (connected: the answer is the server's): %+v %v", item, err)
	}
	eventually(t, "the reply with its file stored by the server", func() bool {
		v, err := a.OpenConversation(conv)
		if err != nil {
			return false
		}
		for _, m := range v.Messages {
			if m.Direction == "out" && m.Body == "Faturanız ektedir" && len(m.Attachments) == 1 && m.Attachments[0].URL == at.URL {
				return true
			}
		}
		return false
	})
	// The stored file comes back through the media cache.
	u, err := a.MediaURL(at.URL, "application/pdf")
	if err != nil || u != "data:application/pdf;base64,"+base64.StdEncoding.EncodeToString(pdf) {
		t.Fatalf("media: %.60q %v", u, err)
	}
}

func (r *recordingShell) find(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// PRODUCT.md rule 5, "never a silent failure": the receiver accepts the transfer while the
// sender is still typing; the sender's reply is refused with the server's reason on the screen
// it was typed on — not shown as queued — and the conversation leaves the sender's lists.
func TestATransferAcceptedWhileTypingIsRefusedInSight(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	mehmet := srv.Agent("mehmet", "Mehmet Kaya", 0)
	if err := srv.Call(mehmet.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil); err != nil {
		t.Fatal(err)
	}
	a, shell, _ := newApp(t, t.TempDir())
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if _, err := a.SetPresence("online", ""); err != nil {
		t.Fatal(err)
	}
	conv := srv.Customer("905321117788", "t1", "Kargom gelmedi").ConversationID
	eventually(t, "the conversation in my inbox", func() bool { in, _ := a.Inbox(); return len(in.Mine) == 1 })
	if _, err := a.OpenConversation(conv); err != nil {
		t.Fatal(err)
	}
	offer, err := a.Transfer(conv, mehmet.User.ID, "Kargo takibi")
	if err != nil {
		t.Fatal(err)
	}
	// The receiver accepts; the sender presses Send in that same moment.
	if err := srv.Call(mehmet.Token, "POST", "/api/v1/transfers/"+strconv.FormatInt(offer.ID, 10)+"/accept", nil, nil); err != nil {
		t.Fatal(err)
	}
	item, err := a.Send(conv, "Hemen bakıyorum")
	if err != nil {
		t.Fatal(err)
	}
	if item.State != "failed" || item.Error == nil || item.Error.Code != wire.CodeNotHolder {
		t.Fatalf("connected, the reply comes back refused with the server's reason, not queued: %+v", item)
	}
	eventually(t, "the refusal reaches the UI with the conversation's name", func() bool {
		for _, e := range shell.find("outbox ") {
			if strings.Contains(e, `"key":"`+item.Key+`"`) && strings.Contains(e, `"state":"failed"`) && strings.Contains(e, `"conversation":"Müşteri 905321117788"`) {
				return true
			}
		}
		return false
	})
	eventually(t, "the UI is told the conversation left by the transfer", func() bool {
		want := fmt.Sprintf(`conversation-left {"id":%d,"why":"transferred","to_agent_id":%d}`, conv, mehmet.User.ID)
		return len(shell.find(want)) == 1
	})
	in, err := a.Inbox()
	if err != nil || len(in.Mine) != 0 {
		t.Fatalf("the conversation left my list: %+v %v", in.Mine, err)
	}
	v, err := a.OpenConversation(conv)
	if err != nil || v.Refused == nil || v.Refused.Code != wire.CodeNotHolder {
		t.Fatalf("reopened, it says why it cannot be written to: %+v %v", v.Refused, err)
	}
	if len(v.Messages) != 0 || v.Conversation.LastMessagePreview != "" {
		t.Fatalf("none of its content is shown any more: %d messages, preview %q", len(v.Messages), v.Conversation.LastMessagePreview)
	}
	if len(v.Outbox) != 1 || v.Outbox[0].Key != item.Key || v.Outbox[0].State != "failed" {
		t.Fatalf("the refused reply stays in sight there: %+v", v.Outbox)
	}
	if got := srv.Received("905321117788"); len(got) != 0 {
		t.Fatalf("the customer received nothing from the sender: %+v", got)
	}
}

// The app's "now" is the server's: on a machine whose clock is an hour behind, the inbox's
// server_time and a reply's time are the server's, online and after a restart offline.
func TestTheClockIsTheServers(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	dir := t.TempDir()
	behind := func() time.Time { return time.Now().Add(-time.Hour) }
	a := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	a.clock = client.NewClockWith(behind)
	a.start(&recordingShell{}, &recordingNotifier{})
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	near := func(ms int64) bool { d := ms - time.Now().UnixMilli(); return d > -2000 && d < 2000 }
	in, err := a.Inbox()
	if err != nil || !near(in.ServerTime) {
		t.Fatalf("server_time is the server's clock, not the machine's (an hour behind): %d vs %d, %v", in.ServerTime, time.Now().UnixMilli(), err)
	}
	a.shutdown()

	stored := loadStored(dir, func(string) string { return "" })
	stored.ServerURL = "http://127.0.0.1:1"
	saveStored(dir, stored)
	b := New(Config{Dir: dir, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	b.clock = client.NewClockWith(behind)
	b.start(&recordingShell{}, &recordingNotifier{})
	t.Cleanup(b.shutdown)
	in, err = b.Inbox()
	if err != nil || !near(in.ServerTime) {
		t.Fatalf("offline, the offset measured last time still applies: %d vs %d, %v", in.ServerTime, time.Now().UnixMilli(), err)
	}
	item, err := b.Send(1, "Çevrimdışı")
	if err != nil || item.State != "queued" || !near(item.CreatedAt) {
		t.Fatalf("a reply is stamped with the server's time: %+v %v", item, err)
	}
}
