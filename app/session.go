package app

// Who is signed in, to which server, and the user's own preferences: the session bindings.

import (
	"os"
	"strings"

	"github.com/emersion/go-autostart"

	"santral/app/cache"
	"santral/app/client"
	"santral/backend/version"
	"santral/backend/wire"
)

// Session tells the UI who is signed in and how the connection is.
func (a *App) Session() Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Session{SignedIn: a.cache != nil, ServerURL: a.settings.ServerURL, Username: a.settings.Username,
		Connection: a.conn, Preferences: a.settings.Preferences, Version: a.cfg.Version, Update: a.update,
		Dashboard: a.cfg.Dashboard}
	if a.cache != nil {
		me := a.me
		s.User = &me
	}
	return s
}

// Login signs in to a server and starts syncing.
func (a *App) Login(serverURL, username, password string) (Session, error) {
	base, err := client.NormalizeURL(serverURL)
	if err != nil {
		return Session{}, uiError(err)
	}
	username = strings.TrimSpace(username)
	// An app the server no longer accepts does not sign in (the UI shows the update screen).
	if st, err := a.checkUpdates(base); err == nil && st.State == UpdateState(version.Required) {
		return Session{}, uiError(wire.Errorf(client.CodeUpdateRequired, "this app (%s) is older than the server's minimum %s", st.Version, st.Minimum))
	}
	a.signing.Lock()
	defer a.signing.Unlock()
	cl := client.New(base, "").WithClock(a.clock)
	c, cancel := ctx()
	defer cancel()
	res, err := cl.Login(c, username, password)
	if err != nil {
		return Session{}, uiError(err)
	}
	a.halt()
	ch, err := cache.Open(a.cachePath())
	if err != nil {
		return Session{}, uiError(err)
	}
	if err := ch.Bind(cache.Account{ServerURL: base, UserID: res.User.ID}); err != nil {
		ch.Close()
		return Session{}, uiError(err)
	}
	ch.SetMe(res.User)
	if err := a.tokens.Save(res.Token); err != nil {
		ch.Close()
		return Session{}, uiError(err)
	}
	a.mu.Lock()
	a.settings.ServerURL, a.settings.Username = base, username
	s := a.settings
	a.mu.Unlock()
	saveStored(a.cfg.Dir, s)
	a.begin(cl, ch, res.User)
	return a.Session(), nil
}

// Logout signs out on the server (which takes the user offline) and forgets the token.
func (a *App) Logout() error {
	a.signing.Lock()
	defer a.signing.Unlock()
	cl, _, _, err := a.session()
	if err == nil {
		c, cancel := ctx()
		cl.Do(c, "POST", "/api/v1/auth/logout", nil, nil)
		cancel()
	}
	a.signedOut()
	return nil
}

// SavePreferences stores language, theme, sound and autostart.
func (a *App) SavePreferences(p Preferences) (Session, error) {
	if err := validPreferences(p); err != nil {
		return Session{}, uiError(wire.Invalid("preferences", "%s", err.Error()))
	}
	a.mu.Lock()
	was := a.settings.Preferences.Autostart
	a.settings.Preferences = p
	s := a.settings
	a.mu.Unlock()
	if p.Autostart != was {
		if err := setAutostart(p.Autostart); err != nil {
			a.log.Warn("autostart change failed", "err", err)
		}
	}
	if err := saveStored(a.cfg.Dir, s); err != nil {
		return Session{}, uiError(err)
	}
	return a.Session(), nil
}

// SetFocused tells the app whether its window has focus (notifications for customer messages
// come only when it has not).
func (a *App) SetFocused(focused bool) {
	a.mu.Lock()
	a.focused = focused
	eng, c, open := a.engine, a.cache, a.open
	a.mu.Unlock()
	if eng == nil {
		return
	}
	// A conversation on screen is read only while someone can see it.
	if !focused {
		eng.SetOpen(0)
		return
	}
	eng.SetOpen(open)
	if open != 0 && c != nil {
		c.MarkRead(open)
		a.emit("inbox", nil)
		a.refreshTitle()
	}
}

// SetPresence changes the user's presence on the server.
func (a *App) SetPresence(presence, reason string) (wire.User, error) {
	cl, c, _, err := a.session()
	if err != nil {
		return wire.User{}, uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	var u wire.User
	if err := cl.Do(cx, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Presence(presence), Reason: reason}, &u); err != nil {
		return u, uiError(err)
	}
	c.SetMe(u)
	a.mu.Lock()
	a.me = u
	a.mu.Unlock()
	return u, nil
}

// windowSize is the remembered window size.
func (a *App) windowSize() (int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings.Width, a.settings.Height
}

// rememberWindowSize stores the window size at close.
func (a *App) rememberWindowSize(w, h int) {
	if w < 400 || h < 300 {
		return
	}
	a.mu.Lock()
	a.settings.Width, a.settings.Height = w, h
	s := a.settings
	a.mu.Unlock()
	saveStored(a.cfg.Dir, s)
}

// setAutostart registers or removes the app at login.
func setAutostart(on bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	app := &autostart.App{Name: "santral", DisplayName: "Santral", Exec: []string{exe}}
	if on == app.IsEnabled() {
		return nil
	}
	if on {
		return app.Enable()
	}
	return app.Disable()
}
