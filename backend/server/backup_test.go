package server_test

// `santrald backup` against the real binary while customers' messages pour in: the copy passes
// SQLite's integrity check and holds every message acknowledged before the backup began, and a
// restore — the copy put back with the secret key beside it — is a working santrald. Without
// the key the restored database refuses to start: its credentials are sealed with it.

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"santral/backend/wire"
)

func TestOnlineBackupUnderWriteLoadRestores(t *testing.T) {
	bin := buildSantrald(t)
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "santrald.log")
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("santrald output:\n%s", b)
			}
		}
	})
	p := startSantrald(t, bin, dir, freePort(t), logPath)
	admin := login(t, p.url, "admin", adminPassword)
	// A channel with credentials, sealed with the secret key.
	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp", "http://127.0.0.1:1", "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "v"}},
		&ch, http.StatusCreated)

	// Customers write without pause until the backup is done.
	var mu sync.Mutex
	var acked []string
	var stop atomic.Bool
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("load-%d-%d", w, i)
				body := fmt.Sprintf(`{"sender_id":"90555%07d","message_id":%q,"text":"Sipariş %d"}`, w*1000+i%50, id, i)
				res, err := hc.Post(p.url+"/sandbox/messages", "application/json", strings.NewReader(body))
				if err != nil {
					return
				}
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	ackedSoFar := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), acked...)
	}
	eventually(t, 20*time.Second, "customers writing", func() bool { return len(ackedSoFar()) >= 200 })

	before := ackedSoFar() // acknowledged before the backup begins: all must be in the copy
	copyPath := filepath.Join(t.TempDir(), "santral-backup.db")
	var out bytes.Buffer
	cmd := exec.Command(bin, "backup", "--data", dir, "--to", copyPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	during := len(ackedSoFar()) - len(before)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("santrald backup: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "integrity ok") || !strings.Contains(out.String(), "secret key") {
		t.Fatalf("backup's report says the copy was checked and that the key is not in it:\n%s", out.String())
	}
	t.Logf("backup: %d messages acknowledged before it, %d while it ran; %s", len(before), during, strings.TrimSpace(out.String()))
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(copyPath), ".*partial*")); len(leftovers) > 0 {
		t.Fatalf("the backup left partial files: %v", leftovers)
	}

	db, err := sql.Open("sqlite3", "file:"+copyPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check of the copy: %q %v", integrity, err)
	}
	var stored int
	if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE external_id LIKE 'load-%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range before {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE external_id = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			missing++
		}
	}
	db.Close()
	if missing > 0 || stored < len(before) {
		t.Fatalf("the copy holds %d load messages and misses %d of the %d acknowledged before the backup", stored, missing, len(before))
	}

	// Restore: stop santrald, put the copy back as santral.db in a data directory.
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.exited(t, 30*time.Second); err != nil {
		t.Fatalf("santrald stops: %v", err)
	}
	restored := t.TempDir()
	copyFile(t, copyPath, filepath.Join(restored, "santral.db"), 0o600)

	// Without the secret key, santrald refuses: the credentials in the copy are sealed with it.
	noKey := exec.Command(bin, "--addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--data", restored)
	noKey.Env = hermeticEnv()
	msg, err := noKey.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "secret key") {
		t.Fatalf("a restore without the secret key must refuse, naming it: %v\n%s", err, msg)
	}
	copyFile(t, filepath.Join(dir, "secret.key"), filepath.Join(restored, "secret.key"), 0o600)
	p2 := startSantrald(t, bin, restored, freePort(t), logPath)
	admin = login(t, p2.url, "admin", adminPassword)
	var accounts []wire.ChannelAccount
	admin.mustDo("GET", "/api/v1/channel-accounts", nil, &accounts, http.StatusOK)
	found := false
	for _, a := range accounts {
		found = found || a.ID == ch.ID
	}
	if !found {
		t.Fatalf("the restored santrald has the channel account: %+v", accounts)
	}
	var page wire.ConversationPage
	admin.mustDo("GET", "/api/v1/conversations?view=queue", nil, &page, http.StatusOK)
	if len(page.Conversations) == 0 {
		t.Fatal("the restored santrald has the customers' conversations")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// hermeticEnv is this process's environment without SANTRAL_* settings.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SANTRAL_") {
			env = append(env, kv)
		}
	}
	return env
}
