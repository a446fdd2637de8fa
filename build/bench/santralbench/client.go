package main

// santrald's public API as the bench speaks it: logged-in users over HTTP, their event streams
// over WebSockets, website-chat visitors, and signed WhatsApp webhooks.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/webchat"
	"santral/backend/wire"
)

// transport is shared by every client: enough idle connections for the most concurrent
// scenario, so the load generator does not measure connection set-up.
var transport = &http.Transport{
	Proxy:               nil,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        4096,
	MaxIdleConnsPerHost: 4096,
	IdleConnTimeout:     90 * time.Second,
}

var httpClient = &http.Client{Transport: transport, Timeout: 120 * time.Second}

var dialer = &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}

// addressSeq gives each simulated client its own address (X-Forwarded-For, loopback being a
// trusted proxy): a thousand agents logging in are a thousand offices, not one attacker.
var addressSeq atomic.Uint32

func nextAddress() string {
	n := addressSeq.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// apiClient is one user (or nobody) talking to one santrald.
type apiClient struct {
	base  string
	token string
	addr  string // X-Forwarded-For
	user  wire.User
}

type apiError struct {
	status int
	code   wire.Code
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("status %d %s: %s", e.status, e.code, e.body) }

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.addr != "" {
		req.Header.Set("X-Forwarded-For", c.addr)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		json.Unmarshal(raw, &eb)
		return &apiError{status: res.StatusCode, code: eb.Error.Code, body: fmt.Sprintf("%s %s: %.300s", method, path, raw)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

func login(ctx context.Context, base, username, password string) (*apiClient, error) {
	c := &apiClient{base: base, addr: nextAddress()}
	var res wire.LoginResponse
	if err := c.do(ctx, "POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: password}, &res); err != nil {
		return nil, err
	}
	c.token, c.user = res.Token, res.User
	return c, nil
}

func admin(ctx context.Context, base string) (*apiClient, error) {
	return login(ctx, base, "admin", adminPassword)
}

var userSeq atomic.Int64

// createAgents creates n agents with the auto-assignment limit (nil: the default) and logs
// each in, a few at a time.
func createAgents(ctx context.Context, adm *apiClient, n int, limit *int, prefix string) ([]*apiClient, error) {
	out := make([]*apiClient, n)
	err := parallel(ctx, n, 16, func(i int) error {
		username := fmt.Sprintf("%s%d", prefix, userSeq.Add(1))
		pw := "password-" + username
		role := wire.RoleAgent
		display := "Temsilci " + username
		if err := adm.do(ctx, "POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role, AutoLimit: limit}, nil); err != nil {
			return err
		}
		c, err := login(ctx, adm.base, username, pw)
		out[i] = c
		return err
	})
	return out, err
}

func (c *apiClient) presence(ctx context.Context, p wire.Presence) error {
	return c.do(ctx, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: p}, nil)
}

func (c *apiClient) settings(ctx context.Context, change func(*wire.Settings)) error {
	var s wire.Settings
	if err := c.do(ctx, "GET", "/api/v1/settings", nil, &s); err != nil {
		return err
	}
	change(&s)
	return c.do(ctx, "PUT", "/api/v1/settings", s, nil)
}

func (c *apiClient) users(ctx context.Context) ([]wire.User, error) {
	var out []wire.User
	err := c.do(ctx, "GET", "/api/v1/users", nil, &out)
	return out, err
}

func (c *apiClient) list(ctx context.Context, view string) ([]wire.Conversation, error) {
	var page wire.ConversationPage
	err := c.do(ctx, "GET", "/api/v1/conversations?view="+view, nil, &page)
	return page.Conversations, err
}

// sandboxMessage is a customer writing through the sandbox channel.
func sandboxMessage(ctx context.Context, base, sender, messageID, text string) (wire.SandboxInboundResult, error) {
	var res wire.SandboxInboundResult
	err := (&apiClient{base: base}).do(ctx, "POST", "/sandbox/messages",
		wire.SandboxInbound{SenderID: sender, Name: "Müşteri " + sender, MessageID: messageID, Text: text}, &res)
	return res, err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	return ctx.Err()
}

// eventStream is a user's open /api/v1/stream. onFrame gets each frame's raw bytes (and when
// it arrived) on the reader goroutine; nil keeps the stream idle, answering pings only. When
// santrald drops the connection (a reader too slow for its write deadline), the stream comes
// back with after=<last seq>, as the desktop app does, and counts the reconnection.
type eventStream struct {
	c       *apiClient
	onFrame func(raw []byte, at time.Time)
	mu      sync.Mutex
	conn    *websocket.Conn
	closing bool
	lastSeq int64
	done    chan struct{}
}

// reconnects counts the streams santrald dropped and the bench resumed, over the whole run;
// dropReason is the first such connection's error, as the client saw it.
var (
	reconnects atomic.Int64
	dropMu     sync.Mutex
	dropReason string
)

// takeDropReason returns the first drop's error since the last call.
func takeDropReason() string {
	dropMu.Lock()
	defer dropMu.Unlock()
	r := dropReason
	dropReason = ""
	return r
}

func (c *apiClient) stream(ctx context.Context, onFrame func(raw []byte, at time.Time)) (*eventStream, error) {
	s := &eventStream{c: c, onFrame: onFrame, done: make(chan struct{})}
	conn, head, err := s.dial(ctx, -1)
	if err != nil {
		return nil, err
	}
	s.conn, s.lastSeq = conn, head
	go s.read(ctx, conn)
	return s, nil
}

func (s *eventStream) dial(ctx context.Context, after int64) (*websocket.Conn, int64, error) {
	u := "ws" + strings.TrimPrefix(s.c.base, "http") + "/api/v1/stream"
	if after >= 0 {
		u += "?after=" + strconv.FormatInt(after, 10)
	}
	conn, res, err := dialer.DialContext(ctx, u, http.Header{"Authorization": {"Bearer " + s.c.token}})
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w (status %d)", err, res.StatusCode)
		}
		return nil, 0, fmt.Errorf("stream dial: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var hello wire.StreamFrame
	if err := conn.ReadJSON(&hello); err != nil || hello.Kind != "hello" {
		conn.Close()
		return nil, 0, fmt.Errorf("stream: no hello (%v, %q)", err, hello.Kind)
	}
	conn.SetReadDeadline(time.Time{})
	// As the desktop app's sync engine: a pong may take 10 s to go out (gorilla's default
	// gives it one), so a busy client is not mistaken for a dead one.
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	return conn, hello.Head, nil
}

var seqKey = []byte(`"seq":`)

// read delivers frames until the stream is closed. The frame buffer is reused (onFrame must
// copy what it keeps): a thousand streams each receiving every assignment would otherwise spend
// the load generator's CPU on garbage collection.
func (s *eventStream) read(ctx context.Context, conn *websocket.Conn) {
	defer close(s.done)
	var buf bytes.Buffer
	for {
		for {
			_, r, err := conn.NextReader() // gorilla answers pings while reading
			if err == nil {
				buf.Reset()
				_, err = buf.ReadFrom(r)
			}
			raw := buf.Bytes()
			if err != nil {
				s.mu.Lock()
				if !s.closing {
					dropMu.Lock()
					if dropReason == "" {
						dropReason = err.Error()
					}
					dropMu.Unlock()
				}
				s.mu.Unlock()
				break
			}
			if i := bytes.LastIndex(raw, seqKey); i >= 0 {
				j := i + len(seqKey)
				k := j
				for k < len(raw) && raw[k] >= '0' && raw[k] <= '9' {
					k++
				}
				if n, err := strconv.ParseInt(string(raw[j:k]), 10, 64); err == nil {
					s.lastSeq = n
				}
			}
			if s.onFrame != nil {
				s.onFrame(raw, time.Now())
			}
		}
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing || ctx.Err() != nil {
			return
		}
		var err error
		for try := 0; try < 50; try++ {
			time.Sleep(100 * time.Millisecond)
			if conn, _, err = s.dial(ctx, s.lastSeq); err == nil {
				break
			}
		}
		if err != nil {
			return
		}
		reconnects.Add(1)
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conn = conn
		s.mu.Unlock()
	}
}

func (s *eventStream) close() {
	s.mu.Lock()
	s.closing = true
	s.conn.Close()
	s.mu.Unlock()
	<-s.done
}

func closeStreams(list []*eventStream) {
	for _, s := range list {
		if s != nil {
			s.close()
		}
	}
}

// visitorSocket is a website-chat visitor's open /webchat/socket, authenticated by its first
// frame.
type visitorSocket struct {
	conn    *websocket.Conn
	id      string
	done    chan struct{}
	writeMu sync.Mutex
}

func openVisitor(ctx context.Context, base string, onFrame func(f webchat.ServerFrame)) (*visitorSocket, error) {
	addr := nextAddress()
	c := &apiClient{base: base, addr: addr}
	var s webchat.Session
	if err := c.do(ctx, "POST", "/webchat/session", webchat.SessionRequest{Name: "Ziyaretçi"}, &s); err != nil {
		return nil, err
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/webchat/socket"
	conn, res, err := dialer.DialContext(ctx, u, http.Header{"X-Forwarded-For": {addr}})
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w (status %d)", err, res.StatusCode)
		}
		return nil, fmt.Errorf("visitor socket: %w", err)
	}
	if err := conn.WriteJSON(webchat.ClientFrame{Type: "auth", VisitorID: s.VisitorID, VisitorSecret: s.VisitorSecret}); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var ready webchat.ServerFrame
	if err := conn.ReadJSON(&ready); err != nil || ready.Type != "ready" {
		conn.Close()
		return nil, fmt.Errorf("visitor socket: not ready (%v, %q %s)", err, ready.Type, ready.Message)
	}
	conn.SetReadDeadline(time.Time{})
	v := &visitorSocket{conn: conn, id: s.VisitorID, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for {
			var f webchat.ServerFrame
			if err := conn.ReadJSON(&f); err != nil {
				return
			}
			if onFrame != nil {
				onFrame(f)
			}
		}
	}()
	return v, nil
}

func (v *visitorSocket) send(id, text string) error {
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	v.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return v.conn.WriteJSON(webchat.ClientFrame{Type: "message", ID: id, Text: text})
}

func (v *visitorSocket) close() {
	v.conn.Close()
	<-v.done
}

// A WhatsApp Cloud API channel account with an app secret, so the bench can post signed
// webhooks as Meta does (X-Hub-Signature-256 over the raw body).
const (
	waPhoneID   = "106540352242922"
	waAppSecret = "bench-app-secret"
)

func createWhatsApp(ctx context.Context, adm *apiClient) (int64, error) {
	name, account, base := "WhatsApp", waPhoneID, "http://127.0.0.1:1" // replies are never sent here
	var ch wire.ChannelAccount
	err := adm.do(ctx, "POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, AccountID: &account,
		BaseURL: &base, Credentials: map[string]string{"token": "bench-token", "app_secret": waAppSecret}}, &ch)
	return ch.ID, err
}

// whatsappText is a delivery of one text message in the shape of Meta's documented webhook
// (backend/channels/testdata/whatsapp/inbound_text.json): a fresh wamid and the current
// timestamp each time.
func whatsappText(from, wamid, name, text string, at time.Time) []byte {
	type obj = map[string]any
	body, _ := json.Marshal(obj{
		"object": "whatsapp_business_account",
		"entry": []obj{{
			"id": "102290129340398",
			"changes": []obj{{
				"field": "messages",
				"value": obj{
					"messaging_product": "whatsapp",
					"metadata":          obj{"display_phone_number": "908505551234", "phone_number_id": waPhoneID},
					"contacts":          []obj{{"profile": obj{"name": name}, "wa_id": from}},
					"messages": []obj{{"from": from, "id": wamid, "timestamp": strconv.FormatInt(at.Unix(), 10),
						"type": "text", "text": obj{"body": text}}},
				},
			}},
		}},
	})
	return body
}

func signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// postWebhook delivers body to url signed with the bench's app secret; any status but 200 is
// an error.
func postWebhook(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", signature(waAppSecret, body))
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: status %d: %.200s", url, res.StatusCode, raw)
	}
	return nil
}

// waitFor polls cond every 20 ms until it holds, or fails after within.
func waitFor(ctx context.Context, within time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(within)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", within, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
