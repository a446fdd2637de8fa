package nodes

// The harness: three santrald processes — the binary `go build` makes of backend/cmd/santrald,
// with the race detector when these tests run under it — on one fresh PostgreSQL database
// (storetest), each with its own port, node name and data directory, and the secret key they
// must share. Clients speak only the public API, over real HTTP and real WebSockets, to whichever
// node they choose; there is no load balancer.
//
// With SANTRAL_TEST_NATS set (a nats:// URL) and a santrald that has the --nats flag, the nodes
// wake each other through NATS; otherwise a node hears the others' commits by its poll of the
// event log (--stream-poll).

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/store/storetest"
	"santral/backend/wire"
)

const (
	adminPassword = "cluster-admin-pass-1"
	natsEnv       = "SANTRAL_TEST_NATS"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "santral-nodes-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// santrald builds the server once per test run: with -race when the tests run under the race
// detector, so the servers' own goroutines are checked too ("all under -race").
func santrald(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(binDir, "santrald")
		args := []string{"build", "-tags", "sqlite_fts5", "-o", binary}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./backend/cmd/santrald")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build santrald: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// natsURL is the NATS server the nodes wake each other through, when the tests were given one
// and this santrald knows the flag.
func natsURL(t testing.TB, bin string) string {
	url := os.Getenv(natsEnv)
	if url == "" {
		return ""
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	if !bytes.Contains(help, []byte("-nats")) {
		t.Logf("%s is set but this santrald has no --nats flag: the nodes poll the event log", natsEnv)
		return ""
	}
	return url
}

// options are the nodes' settings a test may change.
type options struct {
	sweep      time.Duration // --sweep-interval
	streamPoll time.Duration // --stream-poll
	asyncPG    bool          // the database commits without waiting for its WAL flush (see newCluster)
	env        []string      // more SANTRAL_* settings
}

// cluster is three santrald processes on one database.
type cluster struct {
	t     *testing.T
	dsn   string
	bin   string
	nats  string
	key   string
	opt   options
	nodes []*node
	db    *sql.DB // checks and fixtures only: what the API does not show (an exact row count), or time passing
	ips   atomic.Int64
}

// node is one santrald process.
type node struct {
	c       *cluster
	name    string
	url     string
	addr    string
	data    string
	log     string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	killed  bool
}

// newCluster starts three nodes on a new database. node1 starts first (it runs the migrations
// and creates the admin on the new database), then the other two together.
//
// opt.asyncPG sets synchronous_commit=off for the database: a commit is visible to every
// session at once as always, but PostgreSQL acknowledges it before its WAL reaches the disk.
// Only a crash of PostgreSQL itself could lose one — which no test here causes (a santrald
// SIGKILL is not one) — so rule decisions and the event log behave exactly as with durable
// commits, and a long model run is not bound by this machine's fsync.
func newCluster(t *testing.T, opt options) *cluster {
	t.Helper()
	bin := santrald(t)
	dsn := storetest.Postgres(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if opt.asyncPG {
		name := dsn[strings.LastIndex(dsn, "/")+1:]
		if i := strings.IndexByte(name, '?'); i >= 0 {
			name = name[:i]
		}
		if _, err := db.Exec(`ALTER DATABASE "` + name + `" SET synchronous_commit = off`); err != nil {
			t.Fatal(err)
		}
	}
	if opt.sweep == 0 {
		opt.sweep = 50 * time.Millisecond
	}
	if opt.streamPoll == 0 {
		opt.streamPoll = time.Second // santrald's default
	}
	key := make([]byte, 32)
	rand.Read(key)
	c := &cluster{t: t, dsn: dsn, bin: bin, nats: natsURL(t, bin), key: hex.EncodeToString(key), opt: opt, db: db}
	for i := 1; i <= 3; i++ {
		c.nodes = append(c.nodes, &node{c: c, name: fmt.Sprintf("node%d", i), data: t.TempDir()})
	}
	t.Cleanup(c.stop)
	c.nodes[0].start()
	c.nodes[0].awaitReady()
	c.nodes[1].start()
	c.nodes[2].start()
	c.nodes[1].awaitReady()
	c.nodes[2].awaitReady()
	return c
}

// start launches the node's process (again, after a kill: same name, port and data).
func (n *node) start() {
	t := n.c.t
	t.Helper()
	if n.addr == "" {
		n.addr = freeAddr(t)
		n.url = "http://" + n.addr
		n.log = filepath.Join(n.data, "santrald.log")
	}
	args := []string{"--node", n.name, "--addr", n.addr, "--data", n.data, "--db", n.c.dsn, "--sandbox",
		"--log-level", "warn", "--password-cost", "4", "--sweep-interval", n.c.opt.sweep.String(),
		"--stream-poll", n.c.opt.streamPoll.String(), "--trusted-proxies", "127.0.0.1/32"}
	if n.c.nats != "" {
		args = append(args, "--nats", n.c.nats)
	}
	cmd := exec.Command(n.c.bin, args...)
	cmd.Env = append(hermetic(), "SANTRAL_ADMIN_PASSWORD="+adminPassword, "SANTRAL_SECRET_KEY="+n.c.key,
		"GORACE=log_path=stderr")
	if v := os.Getenv("SANTRAL_TEST_DB_COMMITTERS"); v != "" {
		// Every node with this many committers (--db-committers), e.g. to run the model test
		// with a node's own transactions side by side too.
		cmd.Env = append(cmd.Env, "SANTRAL_DB_COMMITTERS="+v)
	}
	cmd.Env = append(cmd.Env, n.c.opt.env...)
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	n.cmd, n.exited, n.killed = cmd, make(chan struct{}), false
	go func() {
		n.waitErr = cmd.Wait()
		logf.Close()
		close(n.exited)
	}()
}

func (n *node) awaitReady() {
	t := n.c.t
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		select {
		case <-n.exited:
			t.Fatalf("%s stopped while starting (%v):\n%s", n.name, n.waitErr, n.tail(30))
		default:
		}
		if res, err := http.Get(n.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not ready within 120s:\n%s", n.name, n.tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the process with SIGKILL: no shutdown, no goodbye to its sockets.
func (n *node) kill() {
	n.killed = true
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
}

func (n *node) running() bool {
	select {
	case <-n.exited:
		return false
	default:
		return n.cmd != nil
	}
}

func (n *node) tail(lines int) string {
	b, _ := os.ReadFile(n.log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// cpu is the processor time the node's process has used so far (Linux: /proc/<pid>/stat).
func (n *node) cpu() time.Duration {
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// selfCPU is this test process's processor time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stop ends every running node with SIGTERM (their shutdown path runs too), then reads their
// logs: a data race the race detector reported in a server, or a panic, fails the test.
func (c *cluster) stop() {
	for _, n := range c.nodes {
		if n.running() {
			n.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, n := range c.nodes {
		if n.cmd == nil {
			continue
		}
		select {
		case <-n.exited:
		case <-time.After(60 * time.Second):
			n.cmd.Process.Signal(syscall.SIGKILL)
			<-n.exited
			c.t.Errorf("%s did not stop within 60s of SIGTERM", n.name)
		}
		var exit *exec.ExitError
		if !n.killed && errors.As(n.waitErr, &exit) {
			c.t.Errorf("%s exited with %v", n.name, n.waitErr)
		}
		b, _ := os.ReadFile(n.log)
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
			if i := bytes.Index(b, []byte(bad)); i >= 0 {
				c.t.Errorf("%s's log reports %q:\n%s", n.name, bad, b[i:min(len(b), i+6000)])
			}
		}
		if c.t.Failed() {
			c.t.Logf("%s's log ends:\n%s", n.name, n.tail(25))
		}
	}
}

// hermetic is this process's environment without SANTRAL_* settings.
func hermetic() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SANTRAL_") && !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	return env
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpClient keeps connections to the nodes alive between requests, as an app does.
var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// client is one signed-in user (or nobody: a customer, a provider) talking to one node. Each
// client has an address of its own (X-Forwarded-For through the trusted loopback), as every
// agent's office does: the per-address limits of the login door are not what is tested here.
type client struct {
	t     testing.TB
	n     *node
	token string
	user  wire.User
	ip    string
}

func (c *cluster) anon(n *node) *client {
	id := c.ips.Add(1)
	return &client{t: c.t, n: n, ip: fmt.Sprintf("10.%d.%d.%d", id>>16&255, id>>8&255, id&255)}
}

// login signs username in on node n.
func (c *cluster) login(n *node, username, password string) *client {
	c.t.Helper()
	cl := c.anon(n)
	var res wire.LoginResponse
	cl.must("POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: password}, &res, http.StatusOK)
	cl.token, cl.user = res.Token, res.User
	return cl
}

func (c *cluster) admin(n *node) *client { return c.login(n, "admin", adminPassword) }

// on is the same signed-in user talking to another node (one login is valid on every node).
func (cl *client) on(n *node) *client {
	cp := *cl
	cp.n = n
	return &cp
}

// try sends a request; a 2xx body is decoded into out, a refusal's code returned. A transport
// error (a node that is down) is returned, not fatal.
func (cl *client) try(method, path string, body, out any) (int, wire.Code, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, "", err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, cl.n.url+path, rd)
	if err != nil {
		return 0, "", err
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	req.Header.Set("X-Forwarded-For", cl.ip)
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
			return res.StatusCode, "", fmt.Errorf("%s %s: status %d without a typed error: %.300s", method, path, res.StatusCode, raw)
		}
		return res.StatusCode, eb.Error.Code, nil
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, "", fmt.Errorf("%s %s: %v (%.300s)", method, path, err, raw)
		}
	}
	return res.StatusCode, "", nil
}

// do is try, with a transport error failing the test.
func (cl *client) do(method, path string, body, out any) (int, wire.Code) {
	cl.t.Helper()
	status, code, err := cl.try(method, path, body, out)
	if err != nil {
		cl.t.Fatalf("%s %s%s: %v", method, cl.n.name, path, err)
	}
	return status, code
}

func (cl *client) must(method, path string, body, out any, want int) {
	cl.t.Helper()
	if status, code := cl.do(method, path, body, out); status != want {
		cl.t.Fatalf("%s %s%s: %d %s, want %d", method, cl.n.name, path, status, code, want)
	}
}

// newUser creates a user with an auto-assignment limit (nil: the default) as admin.
func (c *cluster) newUser(admin *client, username string, role wire.Role, autoLimit *int) {
	c.t.Helper()
	display := strings.ToUpper(username[:1]) + username[1:]
	pw := "password-" + username
	admin.must("POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role, AutoLimit: autoLimit}, nil, http.StatusCreated)
}

// agent creates an agent and signs them in on node n.
func (c *cluster) agent(admin *client, n *node, username string, autoLimit *int) *client {
	c.t.Helper()
	c.newUser(admin, username, wire.RoleAgent, autoLimit)
	return c.login(n, username, "password-"+username)
}

func (cl *client) presence(p wire.Presence) {
	cl.t.Helper()
	cl.must("PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: p}, nil, http.StatusOK)
}

func (cl *client) settings(change func(*wire.Settings)) wire.Settings {
	cl.t.Helper()
	var set wire.Settings
	cl.must("GET", "/api/v1/settings", nil, &set, http.StatusOK)
	change(&set)
	cl.must("PUT", "/api/v1/settings", set, nil, http.StatusOK)
	return set
}

// customer writes through the sandbox channel to node n.
func (c *cluster) customer(n *node, sender, messageID, text string) wire.SandboxInboundResult {
	c.t.Helper()
	var res wire.SandboxInboundResult
	c.anon(n).must("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: sender, Name: "Müşteri " + sender, MessageID: messageID, Text: text}, &res, http.StatusOK)
	return res
}

func (cl *client) mine() []wire.Conversation {
	cl.t.Helper()
	var page wire.ConversationPage
	cl.must("GET", "/api/v1/conversations?view=mine", nil, &page, http.StatusOK)
	return page.Conversations
}

func (cl *client) queue() []wire.Conversation {
	cl.t.Helper()
	var page wire.ConversationPage
	cl.must("GET", "/api/v1/conversations?view=queue", nil, &page, http.StatusOK)
	return page.Conversations
}

func (cl *client) detail(id int64) wire.ConversationDetail {
	cl.t.Helper()
	var d wire.ConversationDetail
	cl.must("GET", fmt.Sprintf("/api/v1/conversations/%d", id), nil, &d, http.StatusOK)
	return d
}

// seen is an event as a stream delivered it, and when.
type seen struct {
	wire.Event
	at time.Time
}

// stream is one WebSocket event stream of a user on a node, read until it closes.
type stream struct {
	t      testing.TB
	n      *node
	conn   *websocket.Conn
	hello  wire.StreamFrame
	mu     sync.Mutex
	events []seen
	seq    int64            // the newest event's sequence number (the hello's head before any)
	handle func(wire.Event) // when set, events go here (on the reading goroutine) instead of events
	err    error
	done   chan struct{}
	wake   chan struct{}
}

// stream opens the user's event stream on node n after cursor after (<0: from the head).
func (cl *client) stream(n *node, after int64) *stream {
	cl.t.Helper()
	s, err := cl.tryStream(n, after)
	if err != nil {
		cl.t.Fatalf("stream of %s on %s: %v", cl.user.Username, n.name, err)
	}
	return s
}

func (cl *client) tryStream(n *node, after int64) (*stream, error) { return cl.streamTo(n, after, nil) }

// streamTo opens a stream whose events are handed to handle, in order, as they arrive; none are
// kept (a long run would hold hundreds of thousands).
func (cl *client) streamTo(n *node, after int64, handle func(wire.Event)) (*stream, error) {
	url := "ws" + strings.TrimPrefix(n.url, "http") + "/api/v1/stream"
	if after >= 0 {
		url += fmt.Sprintf("?after=%d", after)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	conn, _, err := dialer.Dial(url, http.Header{"Authorization": {"Bearer " + cl.token}, "X-Forwarded-For": {cl.ip}})
	if err != nil {
		return nil, err
	}
	s := &stream{t: cl.t, n: n, conn: conn, handle: handle, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := conn.ReadJSON(&s.hello); err != nil {
		conn.Close()
		return nil, err
	}
	if s.hello.Kind != "hello" {
		conn.Close()
		return nil, fmt.Errorf("first frame %q", s.hello.Kind)
	}
	conn.SetReadDeadline(time.Time{})
	s.seq = s.hello.Head
	go s.read()
	return s, nil
}

func (s *stream) read() {
	defer close(s.done)
	for {
		var f wire.StreamFrame
		if err := s.conn.ReadJSON(&f); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			s.signal()
			return
		}
		now := time.Now()
		s.mu.Lock()
		for _, e := range f.Events {
			if s.handle != nil {
				s.handle(e)
			} else {
				s.events = append(s.events, seen{Event: e, at: now})
			}
			s.seq = e.Seq
		}
		s.mu.Unlock()
		s.signal()
	}
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *stream) close() {
	s.conn.Close()
	<-s.done
}

// snapshot returns the events delivered so far.
func (s *stream) snapshot() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// last is the sequence number of the newest event delivered (the hello's head before any).
func (s *stream) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// failed is the error that closed the stream, if it closed.
func (s *stream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// waitFor waits until cond holds for the events delivered so far, or fails the test after
// within, naming what it waited for.
func (s *stream) waitFor(within time.Duration, what string, cond func([]seen) bool) []seen {
	s.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s.events)
		events, err := slices.Clone(s.events), s.err
		s.mu.Unlock()
		if ok {
			return events
		}
		if err != nil {
			s.t.Fatalf("the stream on %s closed (%v) before %s", s.n.name, err, what)
		}
		select {
		case <-s.wake:
		case <-deadline.C:
			s.t.Fatalf("the stream on %s did not deliver %s within %s", s.n.name, what, within)
		}
	}
}

// has reports whether an event of the type about the conversation is among events.
func has(events []seen, typ string, convID int64) bool {
	return slices.ContainsFunc(events, func(e seen) bool { return e.Type == typ && e.ConversationID == convID })
}

// increasing fails unless the sequence numbers strictly increase: no event twice, none out of order.
func increasing(t testing.TB, who string, events []seen) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if events[i].Seq <= events[i-1].Seq {
			t.Fatalf("%s's stream delivered event %d after event %d", who, events[i].Seq, events[i-1].Seq)
		}
	}
}

// replay reads the user's events after cursor from a new stream on node n, up to and including
// event upTo (which the caller knows the user's audience includes).
func (cl *client) replay(n *node, after, upTo int64) []wire.Event {
	cl.t.Helper()
	s := cl.stream(n, after)
	defer s.close()
	events := s.waitFor(60*time.Second, fmt.Sprintf("the replay up to event %d", upTo), func(ev []seen) bool {
		return len(ev) > 0 && ev[len(ev)-1].Seq >= upTo
	})
	var out []wire.Event
	for _, e := range events {
		if e.Seq <= upTo {
			out = append(out, e.Event)
		}
	}
	return out
}

func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctx is a context for one test step.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
