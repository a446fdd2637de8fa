package server_test

// Channel credentials are encrypted at rest with a key kept outside the database: a copied
// database file reveals no token, and santrald refuses to start with a key that does not open
// what is stored.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/wire"
)

const (
	atRestToken       = "EAAGm0PX4ZCpsBAKZCsecret-whatsapp-token-0001"
	atRestAppSecret   = "app-secret-0f1e2d3c4b5a"
	atRestVerifyToken = "verify-token-9a8b7c"
)

// databaseBytes reads the database file and its WAL, as a copy of the data directory would.
func databaseBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	for _, name := range []string{"santral.db", "santral.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no database file")
	}
	return all
}

func noCredentialIn(t *testing.T, b []byte) {
	t.Helper()
	for _, s := range []string{atRestToken, atRestAppSecret, atRestVerifyToken} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatalf("the database file holds the credential %q in plain text", s)
		}
	}
}

// handshake asks the channel's webhook for Meta's verification: it answers the challenge only
// when the stored verify token opens and matches.
func handshake(t *testing.T, e *env, id int64) int {
	t.Helper()
	res, err := http.Get(e.url + "/webhooks/" + itoa(id) + "?hub.mode=subscribe&hub.verify_token=" + atRestVerifyToken + "&hub.challenge=42")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCredentialsAreEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	e := startLogged(t, dir, nil, nil)
	var acc wire.ChannelAccount
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: strp("Mağaza"), AccountID: strp("1234"),
		Credentials: map[string]string{"token": atRestToken, "app_secret": atRestAppSecret, "verify_token": atRestVerifyToken}}, &acc, http.StatusCreated)
	if status := handshake(t, e, acc.ID); status != http.StatusOK {
		t.Fatalf("the webhook handshake with the stored verify token: %d", status)
	}
	noCredentialIn(t, databaseBytes(t, dir))

	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatalf("no key file in the data directory: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key has mode %v, want 0600", info.Mode().Perm())
	}
}

// A database written before encryption (credentials as plain JSON) is encrypted when santrald
// starts; the old plain text does not linger in the file.
func TestPlainCredentialsAreEncryptedOnUpgrade(t *testing.T) {
	dir := t.TempDir()
	e := startLogged(t, dir, nil, nil)
	var acc wire.ChannelAccount
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: strp("Mağaza"), AccountID: strp("1234")}, &acc, http.StatusCreated)
	stop(t, e)

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "santral.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	plain := `{"app_secret":"` + atRestAppSecret + `","token":"` + atRestToken + `","verify_token":"` + atRestVerifyToken + `"}`
	if _, err := db.Exec(`UPDATE channels SET secrets = ? WHERE id = ?`, plain, acc.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if !bytes.Contains(databaseBytes(t, dir), []byte(atRestToken)) {
		t.Fatal("the test did not manage to write a plain-text credential")
	}

	e2 := startLogged(t, dir, nil, nil)
	if status := handshake(t, e2, acc.ID); status != http.StatusOK {
		t.Fatalf("the handshake after the upgrade: %d", status)
	}
	noCredentialIn(t, databaseBytes(t, dir))
}

// stop ends a santrald started by startWith before the test ends.
func stop(t *testing.T, e *env) {
	t.Helper()
	f, ok := stoppers.Load(e)
	if !ok {
		t.Fatal("stop: not started by startWith")
	}
	f.(func())()
}

func TestAKeyThatDoesNotOpenTheCredentialsRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	e := startLogged(t, dir, nil, nil)
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: strp("Mağaza"), AccountID: strp("1234"),
		Credentials: map[string]string{"token": atRestToken}}, nil, http.StatusCreated)
	stop(t, e)
	keyPath := filepath.Join(dir, "secret.key")
	good, _ := os.ReadFile(keyPath)

	startFails := func(what, want string, change func(*config.Config)) {
		t.Helper()
		cfg := testConfig(t, dir)
		if change != nil {
			change(&cfg)
		}
		srv, err := server.New(context.Background(), cfg, testLogger(t), io.Discard)
		if err == nil {
			srv.Close()
			t.Fatalf("%s: santrald started", what)
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: the error %q does not say %q", what, err, want)
		}
	}

	other := make([]byte, 32)
	rand.Read(other)
	os.WriteFile(keyPath, []byte(base64.StdEncoding.EncodeToString(other)+"\n"), 0o600)
	startFails("another key", "does not open", nil)

	os.WriteFile(keyPath, []byte("not a key\n"), 0o600)
	startFails("a malformed key file", "secret.key", nil)

	os.Remove(keyPath)
	os.Mkdir(keyPath, 0o700) // unreadable as a file, whoever runs the test
	startFails("an unreadable key file", "secret.key", nil)

	os.Remove(keyPath)
	startFails("a lost key file", "secret.key", nil)
	if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
		t.Fatal("a lost key was silently replaced by a new one")
	}

	// The right key from the environment instead of the file starts it.
	cfg := testConfig(t, dir)
	cfg.SecretKey = strings.TrimSpace(string(good))
	srv, err := server.New(context.Background(), cfg, testLogger(t), io.Discard)
	if err != nil {
		t.Fatalf("the right key from SANTRAL_SECRET_KEY: %v", err)
	}
	srv.Close()
}

func TestSecretKeyFromTheEnvironment(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "santral.key")
	k := make([]byte, 32)
	rand.Read(k)
	os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(k)), 0o600)
	env := map[string]string{"SANTRAL_SECRET_KEY_FILE": keyFile, "SANTRAL_DATA": t.TempDir()}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KeyPath() != keyFile {
		t.Fatalf("key path %q, want %q", cfg.KeyPath(), keyFile)
	}
	env = map[string]string{"SANTRAL_SECRET_KEY": "abc"}
	if cfg, _ = config.Load(nil, func(k string) string { return env[k] }); cfg.SecretKey != "abc" {
		t.Fatalf("SANTRAL_SECRET_KEY not read: %q", cfg.SecretKey)
	}
}
