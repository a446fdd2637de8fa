package app

import (
	"errors"
	"os"
)

// applyInstallerAutostart honours the installer's autostart default (/AUTOSTART=1, or
// "autostart": true in the machine's config.json) for a user starting the app for the first
// time on this machine: it registers the app at login for them (go-autostart: a Startup-folder
// shortcut on Windows, ~/.config/autostart on Linux) and remembers that the choice was made.
// From then on only the user's own toggle (SavePreferences) changes it.
func (a *App) applyInstallerAutostart() {
	a.mu.Lock()
	first, on, s := a.firstRun, a.settings.Preferences.Autostart, a.settings
	a.firstRun = false
	a.mu.Unlock()
	if !first || !on {
		return
	}
	if err := setAutostart(true); err != nil {
		a.log.Warn("autostart unavailable", "err", err)
		return
	}
	if err := saveStored(a.cfg.Dir, s); err != nil {
		a.log.Warn("settings not saved", "err", err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
