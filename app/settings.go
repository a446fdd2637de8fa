package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// stored is what the app remembers between runs, in settings.json of its folder. The token is
// not here: it lives in the token store.
type stored struct {
	Preferences Preferences `json:"preferences"`
	ServerURL   string      `json:"server_url"`
	Username    string      `json:"username"`
	Width       int         `json:"width"`
	Height      int         `json:"height"`
}

// Defaults IT can pre-set without user steps: a system-wide file, then the environment.
type machineDefaults struct {
	ServerURL string `json:"server_url"`
	Language  string `json:"language"`
	Autostart *bool  `json:"autostart"`
}

func defaultStored() stored {
	return stored{Preferences: Preferences{Language: Turkish, Theme: ThemeSystem, Sound: true}, Width: 1280, Height: 800}
}

// systemConfigPath is the machine-wide defaults file installers write (SANTRAL_SYSTEM_CONFIG
// names another: a portable install, or a test).
func systemConfigPath(getenv func(string) string) string {
	if p := getenv("SANTRAL_SYSTEM_CONFIG"); p != "" {
		return p
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(os.Getenv("ProgramData"), "Santral", "config.json")
	}
	if runtime.GOOS == "darwin" {
		return "/Library/Application Support/Santral/config.json"
	}
	return "/etc/santral/config.json"
}

// loadStored reads the user's settings over the machine's defaults over the built-in ones.
func loadStored(dir string, getenv func(string) string) stored {
	s := defaultStored()
	var m machineDefaults
	if b, err := os.ReadFile(systemConfigPath(getenv)); err == nil {
		json.Unmarshal(b, &m)
	}
	if v := getenv("SANTRAL_SERVER_URL"); v != "" {
		m.ServerURL = v
	}
	if m.ServerURL != "" {
		s.ServerURL = m.ServerURL
	}
	if l := Language(m.Language); l == Turkish || l == English {
		s.Preferences.Language = l
	}
	if m.Autostart != nil {
		s.Preferences.Autostart = *m.Autostart
	}
	if b, err := os.ReadFile(filepath.Join(dir, "settings.json")); err == nil {
		json.Unmarshal(b, &s)
	}
	return s
}

func saveStored(dir string, s stored) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := filepath.Join(dir, "settings.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "settings.json"))
}

func validPreferences(p Preferences) error {
	if p.Language != Turkish && p.Language != English {
		return fmt.Errorf("language must be tr or en")
	}
	switch p.Theme {
	case ThemeLight, ThemeDark, ThemeSystem:
	default:
		return fmt.Errorf("theme must be light, dark or system")
	}
	return nil
}

// tokenStore keeps the login token out of the cache database and the logs: in the OS credential
// store where one answers (Windows Credential Manager, macOS Keychain, the Secret Service of
// GNOME/KDE), otherwise in a file only the user can read.
type tokenStore struct {
	path    string // the fallback file
	account string // the credential's name in the OS store: one per profile folder
}

const credentialService = "Santral"

// keyringWait bounds a credential-store call: a locked store may wait on a password prompt, and
// signing in must not hang on it (the file takes over; the store still gets it if unlocked).
const keyringWait = 5 * time.Second

func withTimeout[T any](fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := fn(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(keyringWait):
		var zero T
		return zero, errors.New("the credential store did not answer")
	}
}

func (t tokenStore) Load() (string, error) {
	if v, err := withTimeout(func() (string, error) { return keyring.Get(credentialService, t.account) }); err == nil && v != "" {
		return v, nil
	}
	b, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

// Save stores the token, in the OS store when it accepts it (then no file is left behind).
func (t tokenStore) Save(token string) error {
	if _, err := withTimeout(func() (bool, error) { return true, keyring.Set(credentialService, t.account, token) }); err == nil {
		if err := os.Remove(t.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(t.path), 0o700); err != nil {
		return err
	}
	tmp := t.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, t.path)
}

func (t tokenStore) Clear() error {
	// Both places: the token may have been saved before an OS store appeared, or the reverse.
	// An error from the OS store means there is none (or nothing in it).
	withTimeout(func() (bool, error) { return true, keyring.Delete(credentialService, t.account) })
	err := os.Remove(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
