package server_test

// Sessions end when they should: signing out, a password change or reset, and disabling a
// user end the user's sessions and close their open streams at once (not at the next ping);
// tokens expire after the configured lifetime or idle time; nothing secret reaches the logs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/webchat"
	"santral/backend/wire"
)

// startLogged runs santrald with a changed test config (and, when log is not nil, that logger).
func startLogged(t *testing.T, dir string, log *slog.Logger, change func(*config.Config)) *env {
	t.Helper()
	cfg := testConfig(t, dir)
	if change != nil {
		change(&cfg)
	}
	if log == nil {
		log = testLogger(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, log, io.Discard)
	if err != nil {
		cancel()
		t.Fatalf("start santrald: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	done := make(chan struct{})
	go func() { srv.RunWorkers(ctx); close(done) }()
	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			ts.CloseClientConnections()
			ts.Close()
			cancel()
			<-done
			srv.Close()
		})
	}
	t.Cleanup(shutdown)
	e := &env{t: t, srv: srv, http: ts, url: ts.URL, cfg: cfg}
	stoppers.Store(e, shutdown)
	return e
}

// stoppers holds each startWith server's shutdown, for tests that restart on the same data.
var stoppers sync.Map

// closedBy waits for the server to close the stream and returns the close code. The ping
// interval is 20 s, so a close within a few seconds comes from the sign-out itself. Event
// frames read on the way are returned, so a test can check what leaked onto the stream.
func (s *streamConn) closedBy(within time.Duration) (int, []wire.Event) {
	s.t.Helper()
	var seen []wire.Event
	s.conn.SetReadDeadline(time.Now().Add(within))
	for {
		var f wire.StreamFrame
		err := s.conn.ReadJSON(&f)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, seen
		}
		if err != nil {
			s.t.Fatalf("the stream was not closed by the server within %v: %v", within, err)
		}
		seen = append(seen, f.Events...)
	}
}

// stillOpen asserts a stream keeps delivering: a settings change reaches it.
func (s *streamConn) stillOpen(admin *client) {
	s.t.Helper()
	admin.settings(func(set *wire.Settings) { set.OfferTimeoutSeconds++ })
	s.until(5*time.Second, "settings.changed on a stream that should stay open", func(e wire.Event) bool {
		return e.Type == wire.EventSettingsChanged
	})
}

func noInternalEvents(t *testing.T, events []wire.Event) {
	t.Helper()
	for _, e := range events {
		if e.Type == wire.InternalSessionsEnded {
			t.Fatalf("the internal event %s reached a client: %s", e.Type, e.Data)
		}
	}
}

func TestSigningOutClosesThatStreamAtOnce(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", nil)
	laptop := login(t, e.url, ayse.user.Username, "password-"+ayse.user.Username)
	desk, _ := ayse.stream(-1)
	lap, _ := laptop.stream(-1)
	watcher, _ := e.admin().stream(-1)

	ayse.mustDo("POST", "/api/v1/auth/logout", nil, nil, http.StatusNoContent)
	code, seen := desk.closedBy(3 * time.Second)
	if code != websocket.ClosePolicyViolation {
		t.Fatalf("the signed-out stream closed with %d, want %d (policy violation)", code, websocket.ClosePolicyViolation)
	}
	noInternalEvents(t, seen)
	ayse.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)

	// The other session of the same user, and everyone else's streams, carry on.
	laptop.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK)
	lap.stillOpen(e.admin())
	var events []wire.Event
	for {
		ev := watcher.until(5*time.Second, "settings.changed on the admin's stream", func(wire.Event) bool { return true })
		events = append(events, ev)
		if ev.Type == wire.EventSettingsChanged {
			break
		}
	}
	noInternalEvents(t, events)
}

func TestPasswordChangeAndResetEndOtherSessions(t *testing.T) {
	e := start(t)
	mehmet := e.agent("mehmet", nil)
	other := login(t, e.url, mehmet.user.Username, "password-"+mehmet.user.Username)
	s1, _ := mehmet.stream(-1)
	s2, _ := other.stream(-1)

	// An admin resets the agent's password: every session of the agent ends, streams close now.
	newPassword := "a-new-password-1"
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", mehmet.user.ID), wire.UserRequest{Password: &newPassword}, nil, http.StatusOK)
	for i, s := range []*streamConn{s1, s2} {
		if code, _ := s.closedBy(3 * time.Second); code != websocket.ClosePolicyViolation {
			t.Fatalf("stream %d closed with %d after the reset", i+1, code)
		}
	}
	mehmet.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	other.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	(&client{t: t, base: e.url}).refused(wire.CodeBadCredentials, "POST", "/api/v1/auth/login",
		wire.LoginRequest{Username: mehmet.user.Username, Password: "password-" + mehmet.user.Username})
	login(t, e.url, mehmet.user.Username, newPassword)

	// An admin changes their own password: their other sessions end, this one stays.
	admin := e.admin()
	elsewhere := login(t, e.url, "admin", adminPassword)
	es, _ := elsewhere.stream(-1)
	mine, _ := admin.stream(-1)
	own := "admin-new-pass-456"
	admin.mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", admin.user.ID), wire.UserRequest{Password: &own}, nil, http.StatusOK)
	if code, _ := es.closedBy(3 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("the admin's other stream closed with %d", code)
	}
	elsewhere.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	admin.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK)
	mine.stillOpen(admin)

	// The agent changes their own password: the same, for their own sessions.
	me := login(t, e.url, mehmet.user.Username, newPassword)
	phone := login(t, e.url, mehmet.user.Username, newPassword)
	ps, _ := phone.stream(-1)
	me.refused(wire.CodeBadCredentials, "PUT", "/api/v1/me/password", wire.PasswordChangeRequest{CurrentPassword: "wrong-password", NewPassword: "third-password-3"})
	me.mustDo("PUT", "/api/v1/me/password", wire.PasswordChangeRequest{CurrentPassword: newPassword, NewPassword: "third-password-3"}, nil, http.StatusNoContent)
	if code, _ := ps.closedBy(3 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("the agent's other stream closed with %d", code)
	}
	phone.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	me.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK)
	login(t, e.url, mehmet.user.Username, "third-password-3")
}

func TestDisablingAUserClosesTheirStreamsAtOnce(t *testing.T) {
	e := start(t)
	zeynep := e.agent("zeynep", nil)
	zeynep.online()
	s, _ := zeynep.stream(-1)
	yes := true
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", zeynep.user.ID), wire.UserRequest{Disabled: &yes}, nil, http.StatusOK)
	if code, _ := s.closedBy(3 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("the disabled user's stream closed with %d", code)
	}
	zeynep.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	// Enabling again does not bring the old session back.
	no := false
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", zeynep.user.ID), wire.UserRequest{Disabled: &no}, nil, http.StatusOK)
	zeynep.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
}

func TestDemotedStaffStreamCloses(t *testing.T) {
	e := start(t)
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	s, _ := sup.stream(-1)
	agent := wire.RoleAgent
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", sup.user.ID), wire.UserRequest{Role: &agent}, nil, http.StatusOK)
	// The stream was opened with a supervisor's view of every event: it must not keep it.
	if code, _ := s.closedBy(3 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("the demoted supervisor's stream closed with %d", code)
	}
	sup.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK) // the session itself stays
}

func TestTokensExpireAfterTheConfiguredLifetime(t *testing.T) {
	e := startLogged(t, t.TempDir(), nil, func(c *config.Config) { c.SessionLifetime = 2 * time.Second })
	emre := e.agent("emre", nil)
	var res wire.LoginResponse
	(&client{t: t, base: e.url}).mustDo("POST", "/api/v1/auth/login", wire.LoginRequest{Username: emre.user.Username, Password: "password-" + emre.user.Username}, &res, http.StatusOK)
	if got := time.UnixMilli(res.ExpiresAt).Sub(time.Now()); got <= 0 || got > 3*time.Second {
		t.Fatalf("a 2 s session expires in %v", got)
	}
	s, _ := emre.stream(-1)
	if code, _ := s.closedBy(8 * time.Second); code != websocket.ClosePolicyViolation {
		t.Fatalf("the expired session's stream closed with %d", code)
	}
	emre.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
}

func TestIdleSessionsExpire(t *testing.T) {
	e := startLogged(t, t.TempDir(), nil, func(c *config.Config) { c.SessionIdle = 2 * time.Second })
	busy := e.agent("busy", nil)
	idle := login(t, e.url, busy.user.Username, "password-"+busy.user.Username)
	deadline := time.Now().Add(5 * time.Second)
	// One session is used all along; the other is left alone and ends after 2 s idle.
	for time.Now().Before(deadline) {
		busy.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK)
		time.Sleep(200 * time.Millisecond)
	}
	idle.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	busy.mustDo("GET", "/api/v1/me", nil, nil, http.StatusOK)
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestNothingSecretInTheLogsAtAnyLevel(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out syncBuffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			log := slog.New(slog.NewTextHandler(&out, opts))
			if format == "json" {
				log = slog.New(slog.NewJSONHandler(&out, opts))
			}
			e := startLogged(t, t.TempDir(), log, nil)
			ayse := e.agent("ayse", nil)
			anon := &client{t: t, base: e.url}

			// The classic slip: the password typed into the username field.
			typedPassword := "Gizli-Parola-2024!"
			anon.refused(wire.CodeBadCredentials, "POST", "/api/v1/auth/login", wire.LoginRequest{Username: typedPassword, Password: typedPassword})
			anon.refused(wire.CodeBadCredentials, "POST", "/api/v1/auth/login", wire.LoginRequest{Username: ayse.user.Username, Password: typedPassword})
			var res wire.LoginResponse
			anon.mustDo("POST", "/api/v1/auth/login", wire.LoginRequest{Username: ayse.user.Username, Password: "password-" + ayse.user.Username}, &res, http.StatusOK)
			ayse.mustDo("POST", "/api/v1/auth/logout", nil, nil, http.StatusNoContent)

			// A visitor's secret, a channel's credentials, a changed password.
			v := e.visitor()
			conn, _ := v.socket(v.s.VisitorSecret, 0)
			conn.send(webchat.ClientFrame{Type: "message", ID: "m1", Text: "merhaba"})
			v.fetch("00000000000000000000000000000000", v.s.VisitorSecret)
			token := "EAAG-channel-token-very-secret"
			e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: strp("WA"), AccountID: strp("1"),
				Credentials: map[string]string{"token": token, "app_secret": "app-secret-value", "verify_token": "verify-token-value"}}, nil, http.StatusCreated)
			changed := "changed-password-99"
			e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", ayse.user.ID), wire.UserRequest{Password: &changed}, nil, http.StatusOK)

			logs := out.String()
			if !strings.Contains(logs, "login refused") {
				t.Fatalf("the refused logins were not logged at all:\n%s", logs)
			}
			for name, secret := range map[string]string{
				"the password typed as a username": typedPassword,
				"a login token":                    res.Token,
				"the visitor secret":               v.s.VisitorSecret,
				"a channel token":                  token,
				"an app secret":                    "app-secret-value",
				"a changed password":               changed,
				"the admin password":               adminPassword,
			} {
				if strings.Contains(logs, secret) {
					t.Errorf("%s appears in the log:\n%s", name, logs)
				}
			}
		})
	}
}

func strp(s string) *string { return &s }
