package server_test

// A crash test against the real santrald binary: it is killed with SIGKILL while customers'
// messages pour in, then restarted on the same data directory. Every message that got its 200
// must be stored exactly once (ARCHITECTURE.md invariant 1), and a transfer offer's stored
// deadline must still fire in the new process (invariant 5).

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"santral/backend/wire"
)

// santraldProc is one santrald child process.
type santraldProc struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited (err set)
	err  error
}

// buildSantrald builds cmd/santrald (without -race, to stay fast) into a temporary directory.
func buildSantrald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "santrald")
	cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, "santral/backend/cmd/santrald")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build santrald: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startSantrald runs the binary on dir and port (with the extra flags) and waits for /healthz.
// The process's output goes to logPath (appended), which is printed if the test fails; the
// process is killed in t.Cleanup if it is still running.
func startSantrald(t *testing.T, bin, dir string, port int, logPath string, extra ...string) *santraldProc {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append([]string{"--addr", addr, "--data", dir, "--sandbox", "--sweep-interval", "100ms", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SANTRAL_") { // keep the test hermetic
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "SANTRAL_ADMIN_PASSWORD="+adminPassword)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logFile, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start santrald: %v", err)
	}
	p := &santraldProc{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})

	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("santrald exited before it was healthy: %v", p.err)
		default:
		}
		if res, err := hc.Get(p.url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("santrald on %s not healthy within 15s", addr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// exited waits for the process to exit and returns its error.
func (p *santraldProc) exited(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		t.Fatalf("santrald did not exit within %v", within)
		return nil
	}
}

// crashAgent creates an agent through the admin and logs it in.
func crashAgent(t *testing.T, admin *client, username string) *client {
	t.Helper()
	pw, display, role := "password-"+username, "Agent "+username, wire.RoleAgent
	admin.mustDo("POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role}, nil, http.StatusCreated)
	return login(t, admin.base, username, pw)
}

// floodResult is what one flooding goroutine saw.
type floodResult struct {
	acked   map[string]int64 // message id → stored message id, for each 200
	errored []string         // transport errors: the answer never arrived (may or may not be stored)
	refused []string         // complete non-200 answers or wrong 200s: a server bug
}

// postInbound sends one sandbox message; it never calls t.Fatal (it runs in goroutines).
func postInbound(hc *http.Client, base string, in wire.SandboxInbound) (wire.SandboxInboundResult, int, error) {
	var res wire.SandboxInboundResult
	b, _ := json.Marshal(in)
	resp, err := hc.Post(base+"/sandbox/messages", "application/json", bytes.NewReader(b))
	if err != nil {
		return res, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return res, 0, err // the status line arrived but not the whole answer: not acknowledged
	}
	if resp.StatusCode != http.StatusOK {
		return res, resp.StatusCode, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, resp.StatusCode, fmt.Errorf("decode %q: %w", raw, err) // a complete but wrong answer
	}
	return res, resp.StatusCode, nil
}

func TestCrashKeepsAcknowledgedMessagesAndDeadlines(t *testing.T) {
	began := time.Now()
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
	port := freePort(t)
	t.Logf("built santrald in %v", time.Since(began).Round(time.Millisecond))

	// First process: two online agents, a conversation, and a pending transfer offer with a 3 s
	// deadline.
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p1 := startSantrald(t, bin, dir, port, logPath, "--metrics-addr", metricsAddr)
	admin := login(t, p1.url, "admin", adminPassword)
	admin.settings(func(s *wire.Settings) { s.OfferTimeoutSeconds = 3 })
	agents := []*client{crashAgent(t, admin, "crash-ada"), crashAgent(t, admin, "crash-bora")}
	for _, a := range agents {
		a.online()
	}
	first := customer(t, p1.url, "crash-offer-customer", "crash-offer-msg-1", "Merhaba, siparişim nerede?")
	conv := admin.conversation(first.ConversationID).Conversation
	if conv.AgentID == nil {
		t.Fatalf("conversation %d was not assigned automatically (state %s)", conv.ID, conv.State)
	}
	var sender, receiver *client
	for i, a := range agents {
		if a.user.ID == *conv.AgentID {
			sender, receiver = a, agents[1-i]
		}
	}
	if sender == nil {
		t.Fatalf("conversation %d is held by %d, not one of the agents", conv.ID, *conv.AgentID)
	}
	offer := sender.transfer(conv.ID, receiver.user.ID, "kargo sorusu, sende kalsın")
	if offer.State != wire.OfferPending || offer.ExpiresAt-offer.CreatedAt != 3000 {
		t.Fatalf("offer %+v: want pending with a 3 s deadline", offer)
	}
	t.Logf("offer %d pending at %v", offer.ID, time.Since(began).Round(time.Millisecond))

	// Flood: 64 goroutines, 4 customers each, as fast as they can until the process is killed
	// (issue 8: group commit must keep "durable before acknowledged" with 64 concurrent writers).
	// The kill comes once enough messages were acknowledged, by count rather than by time, so a
	// slow machine still kills a server in the middle of grouped commits.
	const writers, customersPerWriter, ackedBeforeKill = 64, 4, 640
	var ackCount atomic.Int64
	enough := make(chan struct{})
	var enoughOnce sync.Once
	hc := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: writers, DisableCompression: true},
	}
	defer hc.CloseIdleConnections()
	var killed atomic.Bool
	results := make([]floodResult, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[w]
			r.acked = map[string]int64{}
			for n := 0; !killed.Load(); n++ {
				in := wire.SandboxInbound{
					SenderID:  fmt.Sprintf("crash-w%d-c%d", w, n%customersPerWriter),
					Name:      fmt.Sprintf("Müşteri %d/%d", w, n%customersPerWriter),
					MessageID: fmt.Sprintf("crash-w%d-m%d", w, n),
					Text:      fmt.Sprintf("mesaj %d", n),
				}
				res, status, err := postInbound(hc, p1.url, in)
				switch {
				case err != nil && status == 0:
					r.errored = append(r.errored, in.MessageID)
				case err != nil:
					r.refused = append(r.refused, fmt.Sprintf("%s: %v", in.MessageID, err))
				case res.Duplicate || res.MessageID <= 0 || res.ConversationID <= 0:
					r.refused = append(r.refused, fmt.Sprintf("%s: unexpected answer %+v", in.MessageID, res))
				default:
					r.acked[in.MessageID] = res.MessageID
					if ackCount.Add(1) == ackedBeforeKill {
						enoughOnce.Do(func() { close(enough) })
					}
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d messages acknowledged in 60 s under 64 writers", ackCount.Load())
	}
	// The writers shared commits: the committer's transactions carried several requests each.
	groups, requests := commitFigures(t, metricsAddr)
	t.Logf("before the kill: %d write requests in %d commits (%.1f per commit)", requests, groups, float64(requests)/float64(max(groups, 1)))
	if groups == 0 || requests < 2*groups {
		t.Errorf("64 concurrent writers shared too few commits: %d requests in %d commits", requests, groups)
	}
	killed.Store(true)
	if err := p1.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	killErr := p1.exited(t, 10*time.Second)
	wg.Wait()
	hc.CloseIdleConnections()
	t.Logf("first santrald killed (%v) at %v", killErr, time.Since(began).Round(time.Millisecond))

	acked := map[string]int64{}
	var errored, refused []string
	for _, r := range results {
		for id, mid := range r.acked {
			acked[id] = mid
		}
		errored = append(errored, r.errored...)
		refused = append(refused, r.refused...)
	}
	t.Logf("flood: %d acknowledged, %d unanswered (cut by the kill or refused connections), %d refused",
		len(acked), len(errored), len(refused))
	if len(refused) > 0 {
		t.Errorf("santrald refused %d valid customer messages under load, e.g. %v", len(refused), refused[:min(3, len(refused))])
	}
	if len(acked) == 0 {
		t.Fatal("no customer message was acknowledged before the kill: the test exercised nothing")
	}

	// Second process on the same data directory and port.
	p2 := startSantrald(t, bin, dir, port, logPath)
	t.Logf("second santrald healthy at %v", time.Since(began).Round(time.Millisecond))

	// Sessions are stored: the sender's token from before the crash still works.
	sender.base, receiver.base = p2.url, p2.url
	var me wire.User
	sender.mustDo("GET", "/api/v1/me", nil, &me, http.StatusOK)
	// Log in again anyway, as the brief's desktop app would after a reconnect.
	sender = login(t, p2.url, sender.user.Username, "password-"+sender.user.Username)
	receiver = login(t, p2.url, receiver.user.Username, "password-"+receiver.user.Username)

	// The offer survived the crash still pending (when its deadline has not come yet).
	if o := receiver.offer(offer.ID); time.Now().UnixMilli() < o.ExpiresAt-300 && o.State != wire.OfferPending {
		t.Errorf("offer %d is %s right after the restart, before its deadline; want pending", o.ID, o.State)
	}

	// Every acknowledged message is stored: the provider's redelivery is recognised as a
	// duplicate of the very message that was acknowledged.
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	redeliver := make(chan string)
	var mu sync.Mutex
	var lost []string
	var rwg sync.WaitGroup
	for range 4 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for id := range redeliver {
				var w, n int
				fmt.Sscanf(id, "crash-w%d-m%d", &w, &n)
				in := wire.SandboxInbound{SenderID: fmt.Sprintf("crash-w%d-c%d", w, n%customersPerWriter),
					Name: fmt.Sprintf("Müşteri %d/%d", w, n%customersPerWriter), MessageID: id, Text: fmt.Sprintf("mesaj %d", n)}
				res, _, err := postInbound(hc, p2.url, in)
				var problem string
				switch {
				case err != nil:
					problem = fmt.Sprintf("%s: redelivery failed: %v", id, err)
				case !res.Duplicate:
					problem = fmt.Sprintf("%s: acknowledged before the crash but not stored (stored anew as message %d)", id, res.MessageID)
				case res.MessageID != acked[id]:
					problem = fmt.Sprintf("%s: acknowledged as message %d, found as message %d", id, acked[id], res.MessageID)
				}
				if problem != "" {
					mu.Lock()
					lost = append(lost, problem)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		redeliver <- id
	}
	close(redeliver)
	rwg.Wait()
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged messages were lost or changed by the crash, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
	t.Logf("redelivered %d acknowledged messages: all duplicates = %v (at %v)", len(acked), len(lost) == 0, time.Since(began).Round(time.Millisecond))

	// The stored deadline fires in the new process: the offer expires and the conversation stays
	// with the sender (who is still online: presence is stored).
	var final wire.TransferOffer
	eventually(t, 10*time.Second, "the transfer offer to expire after the restart", func() bool {
		final = receiver.offer(offer.ID)
		return final.State != wire.OfferPending
	})
	if final.State != wire.OfferExpired {
		t.Errorf("offer %d ended %s (%s), want expired", final.ID, final.State, final.Reason)
	}
	after := sender.conversation(conv.ID).Conversation
	if after.AgentID == nil || *after.AgentID != sender.user.ID || after.State != wire.Assigned {
		t.Errorf("after the offer expired, conversation %d is %s with agent %v; want assigned to the sender %d",
			conv.ID, after.State, after.AgentID, sender.user.ID)
	}
	if after.PendingOfferID != nil {
		t.Errorf("conversation %d still points at pending offer %d", conv.ID, *after.PendingOfferID)
	}
	t.Logf("offer expired at %v (deadline was %v after the transfer)", time.Since(began).Round(time.Millisecond),
		time.Duration(offer.ExpiresAt-offer.CreatedAt)*time.Millisecond)

	// A clean stop: SIGTERM, exit status 0. Our clients' idle connections are closed first:
	// net/http's Shutdown waits up to 5 s for a connection that never sent a request (one a
	// Transport dialled but did not need), which would only slow the test down.
	hc.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	stopping := time.Now()
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if err := p2.exited(t, 15*time.Second); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Errorf("santrald exited with status %d after SIGTERM, want 0", ee.ExitCode())
		} else {
			t.Errorf("santrald after SIGTERM: %v", err)
		}
	}
	t.Logf("second santrald stopped after SIGTERM in %v", time.Since(stopping).Round(time.Millisecond))

	// The database itself: each provider message id once, every acknowledged one present.
	db, err := sql.Open("sqlite3", "file:"+dbPath(dir)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	rows, err := db.Query(`SELECT external_id, COUNT(*) FROM messages WHERE external_id IS NOT NULL GROUP BY external_id HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		t.Errorf("message %s is stored %d times", id, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	stored := map[string]int64{}
	rows, err = db.Query(`SELECT external_id, id FROM messages WHERE external_id IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ext string
		var id int64
		if err := rows.Scan(&ext, &id); err != nil {
			t.Fatal(err)
		}
		stored[ext] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	missing := 0
	for id, mid := range acked {
		if got, ok := stored[id]; !ok || got != mid {
			missing++
			switch {
			case missing > 5:
			case !ok:
				t.Errorf("acknowledged message %s (id %d) is not in the database", id, mid)
			default:
				t.Errorf("acknowledged message %s was answered as id %d but is stored as id %d", id, mid, got)
			}
		}
	}
	unanswered := 0
	for _, id := range errored {
		if _, ok := stored[id]; ok {
			unanswered++
		}
	}
	t.Logf("database: %d acknowledged messages present (%d missing); %d of %d unanswered ones were stored; total %v",
		len(acked)-missing, missing, unanswered, len(errored), time.Since(began).Round(time.Millisecond))
}

// commitFigures reads santral_commits_total and santral_committed_requests_total from a
// node's /metrics.
func commitFigures(t *testing.T, addr string) (groups, requests int64) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		var v float64
		if _, err := fmt.Sscanf(line, "santral_commits_total %g", &v); err == nil {
			groups = int64(v)
		}
		if _, err := fmt.Sscanf(line, "santral_committed_requests_total %g", &v); err == nil {
			requests = int64(v)
		}
	}
	return groups, requests
}
