package app

// The bindings the UI calls, against a real santrald in-process. The window is a recorder of
// what the app tells it (events, title); notifications go to a recorder of what would reach
// the OS. The D-Bus path itself is exercised by the end-to-end test.

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	title  string
	shown  int
}

func (r *recordingShell) Emit(event string, data any) {
	r.mu.Lock()
	b, _ := json.Marshal(data)
	r.events = append(r.events, event+" "+string(b))
	r.mu.Unlock()
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
	eventually(t, "the second message", func() bool { in, _ := a.Inbox(); return in.UnreadTotal == 2 })
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
	b, err := download(client.New(srv.URL, "tok"), "/api/v1/media/k1")
	if err != nil || string(b) != "PNGDATA" {
		t.Fatalf("download: %q %v", b, err)
	}
	if _, err := download(client.New(srv.URL, "tok"), "/api/v1/media/k2"); wire.CodeOf(err) != wire.CodeNotFound {
		t.Fatalf("a missing file is not_found, got %v", err)
	}
	if _, err := download(client.New(srv.URL, "other"), "/api/v1/media/k1"); wire.CodeOf(err) != "unauthorized" {
		t.Fatalf("a wrong token is refused, got %v", err)
	}
}
