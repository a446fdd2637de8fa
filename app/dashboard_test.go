package app

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsync "santral/app/sync"
	"santral/backend/server/servertest"
	"santral/backend/wire"
)

func newDashboardApp(t *testing.T, dir string) (*App, *recordingShell, *recordingNotifier) {
	a := New(Config{Dir: dir, Version: "test", Dashboard: true, Getenv: func(string) string { return "" }}, slog.New(slog.DiscardHandler))
	shell, n := &recordingShell{}, &recordingNotifier{}
	a.start(shell, n)
	t.Cleanup(a.shutdown)
	return a, shell, n
}

// latestDashboard is the newest "dashboard" event the window got.
func latestDashboard(shell *recordingShell) (wire.Dashboard, bool) {
	evs, _ := shell.since(0)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Name == "dashboard" {
			var d wire.Dashboard
			return d, json.Unmarshal(evs[i].Data, &d) == nil
		}
	}
	return wire.Dashboard{}, false
}

func agentIn(d wire.Dashboard, id int64) wire.DashboardAgent {
	for _, a := range d.Agents {
		if a.ID == id {
			return a
		}
	}
	return wire.DashboardAgent{}
}

// The dashboard window, started on its own after the inbox signed in, uses that sign-in (its
// own cache file), starts from the snapshot and follows the stream: an agent's break and a new
// conversation in the queue reach it without any polling; the supervisor's actions go through.
func TestDashboardWindowFollowsTheStream(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe Demir", 1)
	dir := t.TempDir()

	// The supervisor signs in in the inbox window, which then closes.
	var admin wire.LoginResponse
	if err := srv.Call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: "admin", Password: servertest.AdminPassword}, &admin); err != nil {
		t.Fatal(err)
	}
	inbox, _, _ := newApp(t, dir)
	if _, err := inbox.Login(srv.URL, "admin", servertest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	inbox.shutdown()

	a, shell, notes := newDashboardApp(t, dir)
	if !a.IsDashboard() || !a.Session().SignedIn {
		t.Fatalf("the dashboard should use the stored sign-in: %+v", a.Session())
	}
	if _, err := os.Stat(filepath.Join(dir, "dashboard-cache.db")); err != nil {
		t.Fatalf("the dashboard keeps its own cache: %v", err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if shell.Title() != "Santral — Pano" {
		t.Fatalf("title %q", shell.Title())
	}
	d, err := a.Dashboard()
	if err != nil || len(d.Agents) < 2 || d.Seq == 0 {
		t.Fatalf("snapshot: %+v %v", d, err)
	}

	// Ayşe comes online and takes a conversation; a second one waits: the dashboard sees both.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.Call(ayse.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil))
	c1 := srv.Customer("905320000001", "m1", "Merhaba").ConversationID
	c2 := srv.Customer("905320000002", "m2", "Merhaba").ConversationID
	eventually(t, "Ayşe busy and the queue on the dashboard", func() bool {
		d, ok := latestDashboard(shell)
		return ok && agentIn(d, ayse.User.ID).Active == 1 && d.Queue.Length == 1 && d.Queue.Queued[0].ID == c2
	})

	// The supervisor's actions from the window: a higher limit gives Ayşe the waiting one …
	if _, err := a.SetAgentLimit(ayse.User.ID, 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the limit and the assignment on the dashboard", func() bool {
		d, ok := latestDashboard(shell)
		ag := agentIn(d, ayse.User.ID)
		return ok && ag.EffectiveLimit == 2 && ag.Active == 2 && d.Queue.Length == 0
	})
	// … a break with a reason …
	if _, err := a.SetAgentPresence(ayse.User.ID, "break", "Toplantı"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ayşe on break on the dashboard", func() bool {
		d, ok := latestDashboard(shell)
		ag := agentIn(d, ayse.User.ID)
		return ok && ag.Presence == wire.Break && ag.PresenceReason == "Toplantı"
	})
	// … a refusal carries the server's code …
	if _, err := a.Reassign(c1, ayse.User.ID, ayse.User.ID); err == nil || !strings.Contains(err.Error(), `"code":"already_holder"`) {
		t.Fatalf("reassigning to the holder: %v", err)
	}
	// … and a return to the queue.
	if err := a.ReturnToQueue(c1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the conversation back in the queue on the dashboard", func() bool {
		d, ok := latestDashboard(shell)
		return ok && d.Queue.Length == 1 && d.Queue.Queued[0].ID == c1
	})
	if len(notes.all()) != 0 {
		t.Fatalf("the dashboard raises no OS notifications: %+v", notes.all())
	}
	_ = admin
}

func TestReportPathIsLocalDaysInclusive(t *testing.T) {
	p, err := reportPath(ReportQuery{From: "2026-11-01", To: "2026-11-30", By: "agent"}, "csv")
	if err != nil {
		t.Fatal(err)
	}
	from := localMidnightOf(t, "2026-11-01")
	to := localMidnightOf(t, "2026-12-01")
	for _, want := range []string{"by=agent", "format=csv", "from=" + from, "to=" + to} {
		if !strings.Contains(p, want) {
			t.Errorf("%s lacks %s", p, want)
		}
	}
	if _, err := reportPath(ReportQuery{From: "01.11.2026", To: "2026-11-30"}, ""); err == nil {
		t.Error("a date not in YYYY-MM-DD is refused")
	}
}

func localMidnightOf(t *testing.T, day string) string {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", day, time.Local)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(d.UnixMilli(), 10)
}
