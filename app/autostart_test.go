package app

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The installer's autostart default: a user's first start on a machine whose config.json says
// "autostart": true registers the app at login (go-autostart's real file, in a private
// XDG_CONFIG_HOME); the user's own "off" then wins, also after a restart. go-autostart reads
// XDG_CONFIG_HOME when the process starts, so the scenario runs in a child test process.
func TestInstallerAutostartDefault(t *testing.T) {
	if dir := os.Getenv("SANTRAL_TEST_AUTOSTART_PROFILE"); dir != "" {
		installerAutostartChild(t, dir)
		return
	}
	xdg, profile := t.TempDir(), t.TempDir()
	machine := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(machine, []byte(`{"server_url": "", "language": "en", "autostart": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstallerAutostartDefault$", "-test.v")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+xdg, "SANTRAL_TEST_AUTOSTART_PROFILE="+profile, "SANTRAL_TEST_MACHINE_CONFIG="+machine)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child failed: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(xdg, "autostart", "santral.desktop")); !os.IsNotExist(err) {
		t.Fatalf("after the user turned autostart off the login item is still there: %v", err)
	}
}

func installerAutostartChild(t *testing.T, profile string) {
	item := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", "santral.desktop")
	machine := os.Getenv("SANTRAL_TEST_MACHINE_CONFIG")
	getenv := func(k string) string {
		if k == "SANTRAL_SYSTEM_CONFIG" {
			return machine
		}
		return ""
	}
	open := func() *App {
		a := New(Config{Dir: profile, Version: "test", Getenv: getenv}, slog.New(slog.DiscardHandler))
		a.start(&recordingShell{}, &recordingNotifier{})
		t.Cleanup(a.shutdown)
		return a
	}
	a := open()
	if _, err := os.Stat(item); err != nil {
		t.Fatalf("the first start did not register the app at login: %v", err)
	}
	if p := a.Session().Preferences; !p.Autostart || p.Language != English {
		t.Fatalf("the machine's defaults were not applied: %+v", p)
	}
	p := a.Session().Preferences
	p.Autostart = false
	if _, err := a.SavePreferences(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(item); !os.IsNotExist(err) {
		t.Fatalf("turning autostart off left the login item: %v", err)
	}
	a.shutdown()
	if b := open(); b.Session().Preferences.Autostart {
		t.Fatal("after a restart the machine's default overrode the user's choice")
	}
	if _, err := os.Stat(item); !os.IsNotExist(err) {
		t.Fatalf("a restart registered the app again: %v", err)
	}
}

// The file the Windows installer writes (CRLF, as NSIS writes it) is what the app reads.
func TestMachineConfigAsTheInstallerWritesIt(t *testing.T) {
	for text, want := range map[string]Preferences{
		"{\r\n  \"server_url\": \"https://a.firma.com.tr, https://b.firma.com.tr\",\r\n  \"language\": \"en\",\r\n  \"autostart\": true\r\n}\r\n": {Language: English, Autostart: true},
		"{\r\n  \"server_url\": \"https://a.firma.com.tr, https://b.firma.com.tr\",\r\n  \"language\": \"\",\r\n  \"autostart\": null\r\n}\r\n":   {Language: Turkish, Autostart: false},
	} {
		path := filepath.Join(t.TempDir(), "config.json")
		os.WriteFile(path, []byte(text), 0o644)
		s := loadStored(t.TempDir(), func(k string) string {
			if k == "SANTRAL_SYSTEM_CONFIG" {
				return path
			}
			return ""
		})
		if s.ServerURL != "https://a.firma.com.tr, https://b.firma.com.tr" || s.Preferences.Language != want.Language || s.Preferences.Autostart != want.Autostart {
			t.Errorf("%q read as %+v", text, s)
		}
	}
}
