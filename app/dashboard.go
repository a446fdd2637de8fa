package app

// The supervisor's dashboard window and the supervisor actions (issue 11).
//
// Wails v2 has one window per process, so the dashboard is the same binary started with
// --dashboard: its own single-instance lock, its own cache file (two processes never share a
// SQLite cache or an outbox), the same settings and sign-in as the inbox. It starts from the
// server's snapshot (GET /api/v1/dashboard) and follows the event stream with the sync engine:
// each batch of events the stream delivers makes it read the snapshot again — at most one read
// in flight, one more queued behind it — so it is live without ever polling.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	gosync "sync"
	"time"

	"santral/app/cache"
	"santral/app/client"
	appsync "santral/app/sync"
	"santral/backend/wire"
)

// dashboardFeed holds the dashboard's latest snapshot and whether a read is in flight.
type dashboardFeed struct {
	mu       gosync.Mutex
	snap     *wire.Dashboard
	fetching bool
	again    bool // events arrived during the read: read once more after it
}

// cachePath is this process's cache file: the dashboard keeps its own.
func (a *App) cachePath() string {
	if a.cfg.Dashboard {
		return filepath.Join(a.cfg.Dir, "dashboard-cache.db")
	}
	return filepath.Join(a.cfg.Dir, "cache.db")
}

// adoptSession lets a dashboard started from its own desktop entry use the inbox's sign-in:
// its cache is new, so it asks the server who the stored token belongs to.
func (a *App) adoptSession(c *cache.Cache, server string) (wire.User, bool) {
	if !a.cfg.Dashboard {
		return wire.User{}, false
	}
	token, err := a.tokens.Load()
	if err != nil || token == "" {
		return wire.User{}, false
	}
	cx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var me wire.User
	if err := client.New(server, token).WithClock(a.clock).Do(cx, "GET", "/api/v1/me", nil, &me); err != nil {
		a.log.Info("the dashboard could not use the stored sign-in", "err", err)
		return wire.User{}, false
	}
	if err := c.Bind(cache.Account{ServerURL: server, UserID: me.ID}); err != nil {
		return wire.User{}, false
	}
	c.SetMe(me)
	return me, true
}

// dashboardReceived hears each batch of events the stream delivered (dashboard mode): the
// snapshot is read again.
func (a *App) dashboardReceived(events []wire.Event) {
	if a.cfg.Dashboard && len(events) > 0 {
		a.refreshDashboard()
	}
}

// dashboardState re-reads the snapshot when the stream connects (again): whatever happened
// while it was away is in the new snapshot.
func (a *App) dashboardState(s appsync.State) {
	if a.cfg.Dashboard && s.State == appsync.StateConnected {
		a.refreshDashboard()
	}
}

// refreshDashboard reads the snapshot, unless a read is in flight (then once more after it),
// and emits "dashboard" with it.
func (a *App) refreshDashboard() {
	f := &a.dash
	f.mu.Lock()
	if f.fetching {
		f.again = true
		f.mu.Unlock()
		return
	}
	f.fetching = true
	f.mu.Unlock()
	go func() {
		for {
			snap, err := a.fetchDashboard()
			f.mu.Lock()
			if err == nil {
				f.snap = &snap
			}
			again := f.again
			f.again = false
			if !again {
				f.fetching = false
			}
			f.mu.Unlock()
			if err == nil {
				a.emit("dashboard", snap)
			} else {
				a.log.Info("dashboard snapshot failed", "err", err)
			}
			if !again {
				return
			}
		}
	}()
}

// localMidnight is the start of today on this machine, the dashboard's "today".
func localMidnight(now time.Time) int64 {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location()).UnixMilli()
}

func (a *App) fetchDashboard() (wire.Dashboard, error) {
	var d wire.Dashboard
	err := a.call("GET", fmt.Sprintf("/api/v1/dashboard?day_start=%d", localMidnight(time.Now())), nil, &d)
	return d, err
}

// IsDashboard tells the UI this process is the dashboard window.
func (a *App) IsDashboard() bool { return a.cfg.Dashboard }

// Dashboard returns the latest snapshot, reading it when there is none yet (supervisors and
// admins; the server refuses others).
func (a *App) Dashboard() (wire.Dashboard, error) {
	a.dash.mu.Lock()
	snap := a.dash.snap
	a.dash.mu.Unlock()
	if snap != nil {
		return *snap, nil
	}
	d, err := a.fetchDashboard()
	if err == nil {
		a.dash.mu.Lock()
		a.dash.snap = &d
		a.dash.mu.Unlock()
	}
	return d, err
}

// OpenDashboard starts the dashboard window (the same binary with --dashboard and the same
// profile); when one is open already its single-instance lock brings it forward instead.
func (a *App) OpenDashboard() error {
	exe, err := os.Executable()
	if err != nil {
		return uiError(err)
	}
	cmd := exec.Command(exe, "--dashboard")
	cmd.Env = append(os.Environ(), "SANTRAL_APP_DIR="+a.cfg.Dir)
	if err := cmd.Start(); err != nil {
		return uiError(err)
	}
	go cmd.Wait() // reap it when it closes; it lives on its own
	return nil
}

// SetAgentLimit changes an agent's auto-assignment limit (supervisors and admins); limit < 0
// puts them back on the workspace default.
func (a *App) SetAgentLimit(userID int64, limit int) (wire.User, error) {
	req := wire.UserRequest{AutoLimit: &limit}
	if limit < 0 {
		req = wire.UserRequest{ClearAutoLimit: true}
	}
	var u wire.User
	return u, a.call("PATCH", fmt.Sprintf("/api/v1/users/%d", userID), req, &u)
}

// SetAgentPresence puts an agent on break (with a reason) or offline.
func (a *App) SetAgentPresence(userID int64, presence, reason string) (wire.User, error) {
	var u wire.User
	return u, a.call("PUT", fmt.Sprintf("/api/v1/users/%d/presence", userID), wire.AgentPresenceRequest{Presence: wire.Presence(presence), Reason: reason}, &u)
}

// Reassign gives a conversation to another online agent at once. fromAgentID is where the
// dashboard showed it (0: the queue), so a conversation that moved meanwhile is refused.
func (a *App) Reassign(conversationID, fromAgentID, toAgentID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/reassign", conversationID), wire.ReassignRequest{ToAgentID: toAgentID, FromAgentID: &fromAgentID}, &c)
}

// ReturnToQueue puts a held conversation back at the head of the queue.
func (a *App) ReturnToQueue(conversationID int64) error {
	return a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", conversationID), nil, nil)
}

// dashboardTitle is the dashboard window's title in the UI's language.
func dashboardTitle(lang Language) string {
	if lang == English {
		return "Santral — Dashboard"
	}
	return "Santral — Pano"
}

// language is the UI's language preference.
func (a *App) language() Language {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings.Preferences.Language
}
