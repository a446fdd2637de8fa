package app

// Updates: the server says which app versions it accepts (an admin's setting) and where to get
// the app. Below the minimum the app shows only the "update required" screen, before sign-in
// (and refuses to sign in); below the latest, a notice the agent may dismiss. The answer is asked
// at start, before each sign-in and on each connection, and arrives with the
// app_versions.changed event while connected.

import (
	"context"
	"encoding/json"
	"time"

	"santral/app/client"
	"santral/backend/version"
	"santral/backend/wire"
)

// UpdateState is the app's version against the server's: current, available (a newer one
// exists), required (this one may not be used), unknown (not asked yet, or a developer build).
type UpdateState string

// UpdateStatus is what the UI shows about updates (Session.update).
type UpdateStatus struct {
	State       UpdateState `json:"state"`
	Version     string      `json:"version"` // this app's
	Minimum     string      `json:"minimum"`
	Latest      string      `json:"latest"`
	DownloadURL string      `json:"download_url"`
}

func (a *App) updateStatus(v wire.AppVersions) UpdateStatus {
	return UpdateStatus{State: UpdateState(version.Check(a.cfg.Version, v.Minimum, v.Latest)), Version: a.cfg.Version,
		Minimum: v.Minimum, Latest: v.Latest, DownloadURL: v.DownloadURL}
}

// setUpdate records the server's answer and tells the UI when it changed what it shows.
func (a *App) setUpdate(v wire.AppVersions) UpdateStatus {
	st := a.updateStatus(v)
	a.mu.Lock()
	changed := a.update != st
	a.update = st
	signedIn := a.cache != nil
	a.mu.Unlock()
	if changed {
		a.emit("session", nil)
	}
	// An agent who can see only the update screen must not be given conversations: the app
	// signs out (the server takes the user offline, and their conversations follow its rules).
	if changed && st.State == UpdateState(version.Required) && signedIn {
		go a.Logout()
	}
	return st
}

// checkUpdates asks a server (a comma-separated list of nodes) which versions it accepts. A
// server that cannot be asked (offline, or older than this feature) leaves the answer as it was.
func (a *App) checkUpdates(server string) (UpdateStatus, error) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := client.New(server, "").AppVersions(c)
	if err != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.update, err
	}
	return a.setUpdate(info.AppVersions), nil
}

// onReceived hears each batch of events the stream delivered: a change of the accepted
// versions, and (in dashboard mode) anything the dashboard shows.
func (a *App) onReceived(events []wire.Event) {
	a.watchVersions(events)
	a.dashboardReceived(events)
}

// watchVersions watches the stream for a change of the accepted versions.
func (a *App) watchVersions(events []wire.Event) {
	for _, e := range events {
		if e.Type != wire.EventAppVersionsChanged {
			continue
		}
		var v wire.AppVersions
		if err := json.Unmarshal(e.Data, &v); err == nil {
			a.setUpdate(v)
		}
	}
}

// OpenDownload opens the server's download address in the browser (the update screen's button).
func (a *App) OpenDownload() error {
	a.mu.Lock()
	u, sh := a.update.DownloadURL, a.shell
	a.mu.Unlock()
	if u == "" {
		return uiError(wire.Errorf(wire.CodeNotFound, "the server names no download address"))
	}
	if o, ok := sh.(interface{ OpenURL(string) }); ok {
		o.OpenURL(u)
	}
	return nil
}
