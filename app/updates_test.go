package app

import (
	"log/slog"
	"strings"
	"testing"

	"santral/backend/wire"
)

// newAppAt is an app of the given version with its own profile folder, started in a window.
func newAppAt(t *testing.T, version string) (*App, *recordingShell) {
	t.Helper()
	a := New(Config{Dir: t.TempDir(), Version: version, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	sh := &recordingShell{}
	a.start(sh, &recordingNotifier{})
	t.Cleanup(a.shutdown)
	return a, sh
}

// An app below the server's minimum does not sign in: the session says "required", with the
// server's download address, and the refusal's code is update_required. Between the minimum
// and the latest it signs in with a notice; when the admin raises the minimum while it runs,
// the stream brings the change and the session turns to "required" at once.
func TestUpdateRequiredBeforeSignInAndWhileRunning(t *testing.T) {
	srv := startSantrald(t)
	srv.agent("ayse", "Ayşe Demir", 3)
	dl := "https://it.example.com/santral/"
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: "1.3.0", Latest: "1.4.0", DownloadURL: dl}, nil))

	old, _ := newAppAt(t, "1.2.9")
	if _, err := old.Login(srv.url, "ayse", "password-ayse"); err == nil || !strings.Contains(err.Error(), `"code":"update_required"`) {
		t.Fatalf("an app below the minimum signed in: %v", err)
	}
	if u := old.Session().Update; u.State != "required" || u.Minimum != "1.3.0" || u.DownloadURL != dl || u.Version != "1.2.9" {
		t.Fatalf("session.update %+v", u)
	}
	if old.Session().SignedIn {
		t.Fatal("signed in")
	}

	a, sh := newAppAt(t, "1.3.0")
	if _, err := a.Login(srv.url, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	if u := a.Session().Update; u.State != "available" || u.Latest != "1.4.0" {
		t.Fatalf("session.update %+v", u)
	}
	eventually(t, "connected", a.connected)
	if u, err := a.SetPresence("online", ""); err != nil || u.Presence != wire.Online {
		t.Fatalf("online: %+v %v", u, err)
	}
	sessionEvents := countEvents(sh, "session")
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: "1.4.0", Latest: "1.4.0", DownloadURL: dl}, nil))
	eventually(t, "the raised minimum reached the running app", func() bool { return a.Session().Update.State == "required" })
	if countEvents(sh, "session") == sessionEvents {
		t.Fatal("the UI was not told (no session event)")
	}
	// It signed out: the server has the agent offline, so no conversation goes to a screen
	// that cannot show it.
	eventually(t, "signed out", func() bool { return !a.Session().SignedIn })
	var me wire.User
	var users []wire.User
	srv.must(srv.call(srv.admin, "GET", "/api/v1/users", nil, &users))
	for _, u := range users {
		if u.Username == "ayse" {
			me = u
		}
	}
	if me.Presence != wire.Offline {
		t.Fatalf("ayse is %s on the server, want offline", me.Presence)
	}

	// The same app restarted on that profile: asks at start, before any sign-in.
	again := New(Config{Dir: a.cfg.Dir, Version: "1.3.0", Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	a.shutdown()
	again.start(&recordingShell{}, &recordingNotifier{})
	t.Cleanup(again.shutdown)
	eventually(t, "the restarted app asked the server", func() bool { return again.Session().Update.State == "required" })

	// A release at the latest is current; a developer's build is never stopped.
	for v, want := range map[string]UpdateState{"1.4.0": "current", "1.4.0+3.gabc1234": "current", "dev": "unknown"} {
		b, _ := newAppAt(t, v)
		if st, err := b.checkUpdates(srv.url); err != nil || st.State != want {
			t.Errorf("%s: %+v %v, want %s", v, st, err, want)
		}
	}
	// A server that cannot be asked leaves the answer unknown, and sign-in goes on to say why.
	c, _ := newAppAt(t, "1.0.0")
	if st, err := c.checkUpdates("http://127.0.0.1:1"); err == nil || st.State != "unknown" {
		t.Fatalf("unreachable: %+v %v", st, err)
	}
}

// The recording for the UI's update screens (frontend/tests/updates.test.tsx): an app at 1.3.0
// signs in while 1.4.0 is the latest (the notice), then the admin makes 1.4.0 the minimum.
func recordUpdates(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: "1.2.0", Latest: "1.4.0", DownloadURL: "https://it.example.com/santral/"}, nil))
	r := newRecorder(t, srv, "updates", "ayse", "an app at 1.3.0: a newer version exists (notice), then the admin makes it the minimum (update screen)")
	r.a.cfg.Version = "1.3.0" // before anything asked: start() with no server asks nothing
	r.a.update.Version = "1.3.0"
	r.id("me", ayse.User.ID)
	r.step("signed-out", "the sign-in screen")
	r.reads()
	r.login("ayse", "password-ayse")
	if u := r.a.Session().Update; u.State != "available" {
		t.Fatalf("update %+v", u)
	}
	r.step("minimum-raised", "the admin makes 1.4.0 the minimum while ayse works")
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: "1.4.0", Latest: "1.4.0", DownloadURL: "https://it.example.com/santral/"}, nil))
	r.until("the app heard and signed out", func() bool {
		s := r.a.Session()
		return s.Update.State == "required" && !s.SignedIn
	})
	r.reads()
	r.read("OpenDownload")
}

func countEvents(sh *recordingShell, name string) int {
	evs, _ := sh.since(0)
	n := 0
	for _, e := range evs {
		if e.Name == name {
			n++
		}
	}
	return n
}

// The recording of an app below the minimum (frontend/tests/updates.test.tsx): its sign-in is
// refused with update_required and the session turns to "required".
func recordUpdateRequired(t *testing.T) {
	srv := startSantrald(t)
	srv.agent("ayse", "Ayşe Demir", 3)
	srv.must(srv.call(srv.admin, "PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: "1.3.0", Latest: "1.4.0", DownloadURL: "https://it.example.com/santral/"}, nil))
	r := newRecorder(t, srv, "updates", "old", "an app at 1.2.9 against a server whose minimum is 1.3.0: sign-in refused, the update screen")
	r.a.cfg.Version = "1.2.9" // before anything asked: start() with no server asks nothing
	r.a.update.Version = "1.2.9"
	r.step("signed-out", "the sign-in screen")
	r.reads()
	r.focus()
	r.step("login-refused", "signs in: refused, this version is below the minimum")
	r.refused(r.act("Login", srv.url, "ayse", "password-ayse"), "update_required")
	if u := r.a.Session().Update; u.State != "required" {
		t.Fatalf("update %+v", u)
	}
	r.read("Session")
}
