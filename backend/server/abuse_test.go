package server_test

// Abuse from the open internet: the public doors (login, the website chat's session, socket,
// upload and files) are rate-limited per client address and per identity; login failures back
// off without letting an attacker lock the real user out; visitors have upload quotas and the
// media store a total quota; switching the website chat or the sandbox off shuts them.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/config"
	"santral/backend/webchat"
	"santral/backend/wire"
)

// answer is a raw HTTP answer: status, typed error (when not 2xx), headers and body.
type answer struct {
	status int
	err    wire.Error
	header http.Header
	body   []byte
}

// call sends one request with the given headers; body is JSON-encoded unless it is a
// *bytes.Buffer (sent as it is, with the Content-Type in header).
func call(t testing.TB, method, url string, header http.Header, body any) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case *bytes.Buffer:
		rd = b
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, header: res.Header}
	a.body, _ = io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		if err := json.Unmarshal(a.body, &eb); err != nil || eb.Error.Code == "" {
			t.Fatalf("%s %s: status %d without a typed error: %s", method, url, res.StatusCode, a.body)
		}
		a.err = eb.Error
	}
	return a
}

func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// behindProxy runs santrald behind a trusted reverse proxy on 127.0.0.1 (the test's own
// address), so X-Forwarded-For names the client: the test speaks as many addresses.
func behindProxy(t *testing.T, change func(*config.Config)) *env {
	return startLogged(t, t.TempDir(), nil, func(c *config.Config) {
		c.TrustedProxies = "127.0.0.1/32, ::1"
		if change != nil {
			change(c)
		}
	})
}

func (e *env) loginFrom(addr, username, password string) answer {
	e.t.Helper()
	return call(e.t, "POST", e.url+"/api/v1/auth/login", from(addr), wire.LoginRequest{Username: username, Password: password})
}

// retryAfter checks a 429's retry time, in the body and in the Retry-After header alike.
func retryAfter(t *testing.T, a answer, code wire.Code) int64 {
	t.Helper()
	if a.status != http.StatusTooManyRequests || a.err.Code != code {
		t.Fatalf("status %d code %q, want 429 %q (%s)", a.status, a.err.Code, code, a.body)
	}
	h, err := strconv.ParseInt(a.header.Get("Retry-After"), 10, 64)
	if err != nil || h != a.err.RetryAfter || h <= 0 {
		t.Fatalf("Retry-After header %q, body retry_after %d: want the same positive number of seconds", a.header.Get("Retry-After"), a.err.RetryAfter)
	}
	return h
}

func TestLoginFailuresBackOffTheAttackerNotTheUser(t *testing.T) {
	e := behindProxy(t, nil)
	ayse := e.agent("ayse", nil)
	user, password := ayse.user.Username, "password-"+ayse.user.Username
	attacker := "203.0.113.7"

	for i := 1; i <= 5; i++ {
		if a := e.loginFrom(attacker, user, fmt.Sprintf("guess-%d", i)); a.err.Code != wire.CodeBadCredentials {
			t.Fatalf("guess %d: %d %q, want bad_credentials", i, a.status, a.err.Code)
		}
	}
	first := retryAfter(t, e.loginFrom(attacker, user, "guess-6"), wire.CodeTooManyAttempts)
	if first > 15 {
		t.Fatalf("after 5 failures the wait is %d s, want at most 15", first)
	}
	// No oracle: the right password from the failing address is refused the same way.
	retryAfter(t, e.loginFrom(attacker, user, password), wire.CodeTooManyAttempts)

	// Each further failure, from wherever, doubles the wait, capped at five minutes.
	prev := first
	capped := false
	for i := 0; i < 8; i++ {
		helper := fmt.Sprintf("198.18.0.%d", i+1)
		if a := e.loginFrom(helper, user, "another-guess"); a.err.Code != wire.CodeBadCredentials {
			t.Fatalf("a first guess from a fresh address: %d %q, want it checked (bad_credentials)", a.status, a.err.Code)
		}
		wait := retryAfter(t, e.loginFrom(attacker, user, "guess"), wire.CodeTooManyAttempts)
		if wait > 300 {
			t.Fatalf("the wait grew to %d s, past the 5-minute cap", wait)
		}
		if wait < prev && !capped {
			t.Fatalf("the wait shrank from %d to %d s after another failure", prev, wait)
		}
		capped = capped || wait >= 295
		prev = wait
	}
	if !capped {
		t.Fatalf("after 13 failures the wait is %d s, want the 5-minute cap", prev)
	}
	// An address that failed for this user is refused even with the right password...
	retryAfter(t, e.loginFrom("198.18.0.1", user, password), wire.CodeTooManyAttempts)
	// ...but the real user, from an address that has not been failing, logs in at once.
	if a := e.loginFrom("198.51.100.2", user, password); a.status != http.StatusOK {
		t.Fatalf("the real user was locked out: %d %q", a.status, a.err.Code)
	}

	// Unknown usernames back off the same way (nothing tells them apart).
	for i := 0; i < 5; i++ {
		e.loginFrom(attacker, "nobody-here", "x")
	}
	retryAfter(t, e.loginFrom(attacker, "nobody-here", "x"), wire.CodeTooManyAttempts)
}

func TestPasswordSprayFromOneAddressIsStopped(t *testing.T) {
	e := behindProxy(t, nil)
	ayse := e.agent("ayse", nil)
	sprayer := "203.0.113.9"
	for i := 0; i < 20; i++ {
		if a := e.loginFrom(sprayer, fmt.Sprintf("user%d", i), "Winter2024!"); a.err.Code != wire.CodeBadCredentials {
			t.Fatalf("spray %d: %d %q", i, a.status, a.err.Code)
		}
	}
	retryAfter(t, e.loginFrom(sprayer, "user-new", "Winter2024!"), wire.CodeTooManyAttempts)
	retryAfter(t, e.loginFrom(sprayer, ayse.user.Username, "password-"+ayse.user.Username), wire.CodeTooManyAttempts)
	if a := e.loginFrom("198.51.100.3", ayse.user.Username, "password-"+ayse.user.Username); a.status != http.StatusOK {
		t.Fatalf("a user elsewhere: %d %q", a.status, a.err.Code)
	}
}

// untilRefused sends attempt until it is refused and checks the burst was honoured: at least
// burst allowed, and no more than the burst plus what the refill added while the loop ran
// (however slow the machine).
func untilRefused(t *testing.T, burst int, every time.Duration, attempt func() answer) answer {
	t.Helper()
	began := time.Now()
	for n := 0; n < 10*burst; n++ {
		a := attempt()
		if a.status < 300 || a.status == http.StatusSwitchingProtocols {
			continue
		}
		if refill := int(time.Since(began)/every) + 1; n < burst || n > burst+refill {
			t.Fatalf("refused after %d allowed, want %d (+%d refilled while the test ran)", n, burst, refill)
		}
		return a
	}
	t.Fatalf("never refused after %d requests", 10*burst)
	return answer{}
}

func TestLoginRequestsPerAddressAreRateLimited(t *testing.T) {
	e := behindProxy(t, nil)
	ayse := e.agent("ayse", nil)
	addr := "192.0.2.50"
	retryAfter(t, untilRefused(t, 30, 2*time.Second, func() answer {
		return e.loginFrom(addr, ayse.user.Username, "password-"+ayse.user.Username)
	}), wire.CodeRateLimited)
	if a := e.loginFrom("192.0.2.51", ayse.user.Username, "password-"+ayse.user.Username); a.status != http.StatusOK {
		t.Fatalf("another address: %d %q", a.status, a.err.Code)
	}
}

// Without a trusted proxy, X-Forwarded-For is the client's own claim and changes nothing.
func TestForwardedForIsIgnoredUnlessTheProxyIsTrusted(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", nil)
	for i := 0; i < 5; i++ {
		e.loginFrom(fmt.Sprintf("10.9.9.%d", i), ayse.user.Username, "wrong")
	}
	retryAfter(t, e.loginFrom("10.9.9.200", ayse.user.Username, "wrong"), wire.CodeTooManyAttempts)
}

func (e *env) sessionFrom(addr string) answer {
	e.t.Helper()
	return call(e.t, "POST", e.url+"/webchat/session", http.Header{"X-Forwarded-For": {addr}, "Content-Type": {"text/plain"}}, webchat.SessionRequest{Name: "Ziyaretçi"})
}

func TestWebchatSessionsAreRateLimitedPerAddress(t *testing.T) {
	e := behindProxy(t, nil)
	retryAfter(t, untilRefused(t, 20, 10*time.Second, func() answer { return e.sessionFrom("203.0.113.20") }), wire.CodeRateLimited)
	if a := e.sessionFrom("203.0.113.21"); a.status != http.StatusCreated {
		t.Fatalf("a visitor at another address: %d %q", a.status, a.err.Code)
	}
}

const socketsPerVisitor = 5 // README "Limits"

func newVisitorFrom(e *env, addr string) *visitor {
	e.t.Helper()
	a := e.sessionFrom(addr)
	if a.status != http.StatusCreated {
		e.t.Fatalf("session: %d %q", a.status, a.err.Code)
	}
	v := &visitor{t: e.t, base: e.url}
	json.Unmarshal(a.body, &v.s)
	return v
}

// dialFrom opens a visitor socket as addr and authenticates in its first frame; on refusal —
// at the door (an HTTP answer) or after the auth frame (an error frame and a close) — it
// returns the typed error, with the HTTP status the code stands for.
func (v *visitor) dialFrom(addr string) (*websocket.Conn, answer) {
	v.t.Helper()
	u := "ws" + strings.TrimPrefix(v.base, "http") + "/webchat/socket"
	conn, res, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://shop.example"}, "X-Forwarded-For": {addr}})
	if err != nil {
		if res == nil {
			v.t.Fatal(err)
		}
		a := answer{status: res.StatusCode, header: res.Header}
		a.body, _ = io.ReadAll(res.Body)
		var eb wire.ErrorBody
		if json.Unmarshal(a.body, &eb) != nil || eb.Error.Code == "" {
			v.t.Fatalf("socket refused with %d without a typed error: %q", res.StatusCode, a.body)
		}
		a.err = eb.Error
		return nil, a
	}
	v.t.Cleanup(func() { conn.Close() })
	conn.WriteJSON(webchat.ClientFrame{Type: "auth", VisitorID: v.s.VisitorID, VisitorSecret: v.s.VisitorSecret})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f webchat.ServerFrame
	if err := conn.ReadJSON(&f); err != nil {
		v.t.Fatalf("no answer to the auth frame: %v", err)
	}
	conn.SetReadDeadline(time.Time{})
	if f.Type == "ready" {
		return conn, answer{status: http.StatusSwitchingProtocols}
	}
	conn.Close()
	status := map[wire.Code]int{wire.CodeTooManyConnections: 429, wire.CodeRateLimited: 429, wire.CodeUnauthorized: 401,
		wire.CodeChannelDisabled: 403}[f.Code]
	return nil, answer{status: status, err: wire.Error{Code: f.Code, Message: f.Message}}
}

func TestWebchatSocketLimits(t *testing.T) {
	e := behindProxy(t, nil)
	addr := "203.0.113.30"
	v := newVisitorFrom(e, "198.51.100.30")
	var open []*websocket.Conn
	for i := 0; i < 5; i++ {
		c, a := v.dialFrom(addr)
		if c == nil {
			t.Fatalf("socket %d of one visitor: %d %q", i+1, a.status, a.err.Code)
		}
		open = append(open, c)
	}
	// A sixth tab of the same visitor is one too many.
	if _, a := v.dialFrom(addr); a.status != http.StatusTooManyRequests || a.err.Code != wire.CodeTooManyConnections {
		t.Fatalf("a 6th socket of one visitor: %d %q, want 429 too_many_connections", a.status, a.err.Code)
	}
	// Closing one frees its place.
	open[0].Close()
	eventually(t, 5*time.Second, "a closed socket's place is free again", func() bool {
		c, _ := v.dialFrom("203.0.113.31")
		if c != nil {
			c.Close()
		}
		return c != nil
	})

	// Connects per address: 30 in a burst, from visitors with room for more sockets.
	var visitors []*visitor
	for i := 0; i < 10; i++ {
		visitors = append(visitors, newVisitorFrom(e, fmt.Sprintf("198.51.100.%d", 40+i)))
	}
	n := 0
	retryAfter(t, untilRefused(t, 30, 2*time.Second, func() answer {
		w := visitors[n/socketsPerVisitor]
		n++
		_, a := w.dialFrom("203.0.113.40")
		return a
	}), wire.CodeRateLimited)
}

func (v *visitor) uploadFrom(addr string, size int) answer {
	v.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("visitor_id", v.s.VisitorID)
	w.WriteField("visitor_secret", v.s.VisitorSecret)
	part, _ := w.CreatePart(map[string][]string{
		"Content-Disposition": {`form-data; name="file"; filename="foto.png"`}, "Content-Type": {"image/png"}})
	part.Write(append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, size-8)...))
	w.Close()
	return call(v.t, "POST", v.base+"/webchat/upload", http.Header{"Content-Type": {w.FormDataContentType()}, "X-Forwarded-For": {addr}}, &body)
}

func TestWebchatUploadQuotas(t *testing.T) {
	e := behindProxy(t, func(c *config.Config) {
		c.VisitorUploadsPerDay = 3
		c.VisitorUploadBytesPerDay = 1000
	})
	v := newVisitorFrom(e, "198.51.100.60")
	for i := 0; i < 3; i++ {
		if a := v.uploadFrom("198.51.100.60", 100); a.status != http.StatusCreated {
			t.Fatalf("upload %d: %d %q", i+1, a.status, a.err.Code)
		}
	}
	if wait := retryAfter(t, v.uploadFrom("198.51.100.60", 100), wire.CodeUploadQuota); wait > 24*3600 {
		t.Fatalf("the quota frees up in %d s, more than a day", wait)
	}

	w := newVisitorFrom(e, "198.51.100.61")
	if a := w.uploadFrom("198.51.100.61", 600); a.status != http.StatusCreated {
		t.Fatalf("600 bytes: %d %q", a.status, a.err.Code)
	}
	retryAfter(t, w.uploadFrom("198.51.100.61", 500), wire.CodeUploadQuota)
	if a := w.uploadFrom("198.51.100.61", 300); a.status != http.StatusCreated {
		t.Fatalf("300 bytes within what is left: %d %q", a.status, a.err.Code)
	}
}

func TestMediaQuotaRefusesNewUploadsWhenFull(t *testing.T) {
	e := behindProxy(t, func(c *config.Config) { c.MediaQuota = 2000 })
	v := newVisitorFrom(e, "198.51.100.70")
	if a := v.uploadFrom("198.51.100.70", 1500); a.status != http.StatusCreated {
		t.Fatalf("the first file: %d %q", a.status, a.err.Code)
	}
	w := newVisitorFrom(e, "198.51.100.71")
	if a := w.uploadFrom("198.51.100.71", 1000); a.status != http.StatusInsufficientStorage || a.err.Code != wire.CodeMediaFull {
		t.Fatalf("a file past the total quota: %d %q, want 507 media_full", a.status, a.err.Code)
	}
	if a := w.uploadFrom("198.51.100.71", 300); a.status != http.StatusCreated {
		t.Fatalf("a file that still fits: %d %q", a.status, a.err.Code)
	}

	// Agents' uploads count against the same store.
	agent := e.agent("ayse", limit(5))
	agent.online()
	conv := e.customer("905551112233", "merhaba")
	eventually(t, 5*time.Second, "the conversation is assigned", func() bool { return len(agent.mine()) == 1 })
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreatePart(map[string][]string{"Content-Disposition": {`form-data; name="file"; filename="a.png"`}, "Content-Type": {"image/png"}})
	part.Write(bytes.Repeat([]byte{2}, 1000))
	mw.Close()
	a := call(t, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/attachments", e.url, conv.ConversationID),
		http.Header{"Content-Type": {mw.FormDataContentType()}, "Authorization": {"Bearer " + agent.token}}, &body)
	if a.status != http.StatusInsufficientStorage || a.err.Code != wire.CodeMediaFull {
		t.Fatalf("an agent's upload past the quota: %d %q", a.status, a.err.Code)
	}
}

func (e *env) channelAccount(typ string) wire.ChannelAccount {
	e.t.Helper()
	var list []wire.ChannelAccount
	e.admin().mustDo("GET", "/api/v1/channel-accounts", nil, &list, http.StatusOK)
	for _, c := range list {
		if c.Type == typ {
			return c
		}
	}
	e.t.Fatalf("no %s channel among %+v", typ, list)
	return wire.ChannelAccount{}
}

func (e *env) switchChannel(id int64, on bool) wire.ChannelAccount {
	e.t.Helper()
	var out wire.ChannelAccount
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/channel-accounts/%d", id), wire.ChannelRequest{Enabled: &on}, &out, http.StatusOK)
	if out.Enabled != on {
		e.t.Fatalf("PATCH enabled=%v answered %+v", on, out)
	}
	return out
}

func channelChanged(t *testing.T, s *streamConn, id int64, enabled bool) {
	t.Helper()
	ev := s.until(5*time.Second, "channels.changed", func(ev wire.Event) bool { return ev.Type == wire.EventChannelsChanged })
	var d wire.ChannelData
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Channel.ID != id || d.Enabled != enabled {
		t.Fatalf("channels.changed carries %s, want channel %d enabled=%v", ev.Data, id, enabled)
	}
	if strings.Contains(string(ev.Data), "credentials") || strings.Contains(string(ev.Data), "base_url") {
		t.Fatalf("channels.changed carries settings: %s", ev.Data)
	}
}

func TestSwitchingTheWebsiteChatOffShutsIt(t *testing.T) {
	e := start(t)
	ch := e.channelAccount(wire.ChannelWebchat)
	v := e.visitor()
	f, status := v.upload("fatura.pdf", "application/pdf", []byte("%PDF-1.4 x"))
	if status != http.StatusCreated {
		t.Fatalf("upload while on: %d", status)
	}
	before, _ := v.socket(v.s.VisitorSecret, 0)
	agentView, _ := e.agent("ayse", nil).stream(-1)

	e.switchChannel(ch.ID, false)
	channelChanged(t, agentView, ch.ID, false)

	refusedOff := func(what string, a answer) {
		t.Helper()
		if a.status != http.StatusForbidden || a.err.Code != wire.CodeChannelDisabled {
			t.Fatalf("%s while switched off: %d %q, want 403 channel_disabled", what, a.status, a.err.Code)
		}
	}
	refusedOff("a new session", e.sessionFrom("192.0.2.1"))
	_, a := v.dialFrom("192.0.2.1")
	refusedOff("a socket", a)
	refusedOff("an upload", v.uploadFrom("192.0.2.1", 100))
	refusedOff("a file", call(t, "POST", e.url+"/webchat/files/"+f.Key, http.Header{"Content-Type": {"text/plain"}},
		webchat.SessionRequest{VisitorID: v.s.VisitorID, VisitorSecret: v.s.VisitorSecret}))

	// A socket opened before the switch cannot queue anything either.
	before.conn.WriteJSON(webchat.ClientFrame{Type: "message", ID: "late", Text: "hâlâ orada mısınız?"})
	before.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var g webchat.ServerFrame
		if err := before.conn.ReadJSON(&g); err != nil {
			break // closed by the server: also a refusal
		}
		if g.ID == "late" {
			if g.Type != "error" || g.Code != wire.CodeChannelDisabled {
				t.Fatalf("a message on the open socket was answered %+v, want error channel_disabled", g)
			}
			break
		}
	}
	if q := e.admin().queue(); len(q) != 0 {
		t.Fatalf("%d conversations queued while the website chat was off", len(q))
	}

	e.switchChannel(ch.ID, true)
	channelChanged(t, agentView, ch.ID, true)
	if a := e.sessionFrom("192.0.2.1"); a.status != http.StatusCreated {
		t.Fatalf("a session after switching on again: %d %q", a.status, a.err.Code)
	}
}

func TestSwitchingTheSandboxOffShutsIt(t *testing.T) {
	e := start(t)
	ch := e.channelAccount(wire.ChannelSandbox)
	agent := e.agent("mehmet", limit(5))
	agent.online()
	held := e.customer("905320000001", "Siparişim nerede?")
	eventually(t, 5*time.Second, "the conversation is assigned", func() bool { return len(agent.mine()) == 1 })

	e.switchChannel(ch.ID, false)
	anon := &client{t: t, base: e.url}
	anon.refused(wire.CodeChannelDisabled, "POST", "/sandbox/messages", wire.SandboxInbound{SenderID: "905320000002", MessageID: "off-1", Text: "merhaba"})
	anon.refused(wire.CodeChannelDisabled, "GET", "/sandbox/messages?sender_id=905320000001", nil)
	if q := e.admin().queue(); len(q) != 0 {
		t.Fatalf("%d conversations queued while the sandbox was off", len(q))
	}
	// The agent is told why a reply cannot go out, and can still end the conversation.
	agent.refused(wire.CodeChannelDisabled, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", held.ConversationID), wire.SendMessageRequest{Body: "Kargoda."})
	agent.end(held.ConversationID, e.admin().endReason("Kanal kapandı"))

	e.switchChannel(ch.ID, true)
	e.customer("905320000002", "merhaba")
}
