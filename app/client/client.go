// Package client speaks santrald's HTTP API for the desktop app. Refusals come back as
// *wire.Error with the server's code; a server that cannot be reached is ErrOffline.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"santral/backend/wire"
)

// Codes the app adds to the server's.
const (
	CodeOffline   wire.Code = "offline"
	CodeSignedOut wire.Code = "signed_out"
)

// ErrOffline wraps every transport failure: the request may not have reached the server.
var ErrOffline = errors.New("client: server unreachable")

// Client is a santrald API client for one signed-in user.
type Client struct {
	servers []string     // the nodes of one Santral, in the order they are tried
	current atomic.Int64 // the one requests go to now
	token   string
	http    *http.Client
	clock   *Clock
}

// New returns a client for the server at base (e.g. http://santral.local:8080). base may name
// several nodes of one Santral — santrald processes on one database, any of which serves every
// user — separated by commas: requests go to the first until Failover moves them on.
func New(base, token string) *Client {
	c := &Client{servers: splitServers(base), token: token, http: &http.Client{Timeout: 20 * time.Second}, clock: NewClock()}
	if len(c.servers) == 0 {
		c.servers = []string{""}
	}
	return c
}

func splitServers(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Failover moves the client to the next node of its list (after the last, the first again):
// the sync engine calls it when the node it is on cannot be reached. It reports false when
// there is no other node.
func (c *Client) Failover() bool {
	n := int64(len(c.servers))
	if n < 2 {
		return false
	}
	for {
		cur := c.current.Load()
		if c.current.CompareAndSwap(cur, (cur+1)%n) {
			return true
		}
	}
}

// Servers lists the nodes the client knows, in the order they are tried.
func (c *Client) Servers() []string { return slices.Clone(c.servers) }

// WithClock makes the client measure the server's clock into c (shared with the app).
func (c *Client) WithClock(clock *Clock) *Client {
	c.clock = clock
	return c
}

// Clock is the server's clock as measured by this client's requests and the stream.
func (c *Client) Clock() *Clock { return c.clock }

// roundTrip sends a request and records the server's Date header in the clock.
func (c *Client) roundTrip(hc *http.Client, req *http.Request) (*http.Response, error) {
	sent := c.clock.Local()
	res, err := hc.Do(req)
	if err == nil {
		c.clock.observeDate(res.Header.Get("Date"), sent, c.clock.Local())
	}
	return res, err
}

// NormalizeURL checks a server address typed by a user: one URL, or the URLs of several nodes
// of one Santral separated by commas (tried in that order). It returns them in one form,
// "https://a.example, https://b.example".
func NormalizeURL(raw string) (string, error) {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		if s == "" && strings.Contains(raw, ",") {
			continue
		}
		if !strings.Contains(s, "://") {
			s = "http://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", wire.Invalid("server_url", "the server address is not a valid http(s) URL")
		}
		if n := strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "", wire.Invalid("server_url", "the server address is not a valid http(s) URL")
	}
	return strings.Join(out, ", "), nil
}

// Base is the URL of the node requests go to now.
func (c *Client) Base() string { return c.servers[c.current.Load()] }

// Token is the bearer token (never logged).
func (c *Client) Token() string { return c.token }

// Do sends a JSON request and decodes a 2xx answer into out.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.roundTrip(c.http, req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffline, err)
	}
	return c.answer(res, method, path, out)
}

// answer reads a response: a refusal as *wire.Error, a 2xx body decoded into out.
func (c *Client) answer(res *http.Response, method, path string, out any) error {
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffline, err)
	}
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			return &eb.Error
		}
		return &wire.Error{Code: wire.CodeInternal, Message: fmt.Sprintf("the server answered %s", res.Status)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("client: unexpected answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Login signs in and returns the token and user.
// With several nodes it tries each in turn until one answers (a login that reached a node
// whose answer was lost leaves one unused session there, nothing more).
func (c *Client) Login(ctx context.Context, username, password string) (wire.LoginResponse, error) {
	var res wire.LoginResponse
	var err error
	for range c.servers {
		if err = c.Do(ctx, "POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: password}, &res); !errors.Is(err, ErrOffline) || !c.Failover() {
			break
		}
	}
	if err == nil {
		c.token = res.Token
	}
	return res, err
}

// Snapshot is the state a full resync loads.
type Snapshot struct {
	Me            wire.User
	Mine, Queue   []wire.Conversation
	Offers        []wire.TransferOffer
	Agents        []wire.User
	EndReasons    []wire.EndReason
	QuickMessages []wire.QuickMessage
	Settings      wire.Settings
}

// Snapshot loads everything the inbox shows.
func (c *Client) Snapshot(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	var mine, queue wire.ConversationPage
	steps := []struct {
		path string
		out  any
	}{
		{"/api/v1/me", &s.Me}, {"/api/v1/conversations?view=mine", &mine}, {"/api/v1/conversations?view=queue", &queue},
		{"/api/v1/transfers", &s.Offers}, {"/api/v1/users", &s.Agents}, {"/api/v1/end-reasons", &s.EndReasons},
		{"/api/v1/quick-messages", &s.QuickMessages}, {"/api/v1/settings", &s.Settings},
	}
	for _, st := range steps {
		if err := c.Do(ctx, "GET", st.path, nil, st.out); err != nil {
			return s, err
		}
	}
	s.Mine, s.Queue = mine.Conversations, queue.Conversations
	return s, nil
}

// Conversation loads one conversation with its messages and timeline.
func (c *Client) Conversation(ctx context.Context, id int64) (wire.ConversationDetail, error) {
	var d wire.ConversationDetail
	err := c.Do(ctx, "GET", "/api/v1/conversations/"+strconv.FormatInt(id, 10), nil, &d)
	return d, err
}

// Send posts a reply (with files already uploaded, if any) with its idempotency key.
func (c *Client) Send(ctx context.Context, convID int64, body, key string, attachments []wire.Attachment) (wire.Message, error) {
	var m wire.Message
	err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), wire.SendMessageRequest{Body: body, Attachments: attachments, IdempotencyKey: key}, &m)
	return m, err
}

// Upload streams one file as multipart/form-data (field `field`) and decodes a 2xx answer into
// out: the file is read from r as it is sent, never held whole in memory. Refusals come back as
// *wire.Error like Do's.
func (c *Client) Upload(ctx context.Context, path, field, name, mime string, r io.Reader, out any) error {
	if mime == "" {
		mime = "application/octet-stream"
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(field), quoteEscaper.Replace(name)))
		h.Set("Content-Type", mime)
		part, err := mw.CreatePart(h)
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", c.Base()+path, pr)
	if err != nil {
		pr.CloseWithError(err)
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// Large files take longer than the JSON calls' timeout; the caller's context bounds it.
	hc := *c.http
	hc.Timeout = 0
	res, err := c.roundTrip(&hc, req)
	pr.CloseWithError(io.ErrClosedPipe) // the writer stops if the server answered early
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffline, err)
	}
	return c.answer(res, "POST", path, out)
}

// Download streams a file the server serves at path into w, at most max bytes; a larger file is
// refused with invalid_field before more than max bytes are written.
func (c *Client) Download(ctx context.Context, path string, w io.Writer, max int64) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base()+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.roundTrip(c.http, req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffline, err)
	}
	if res.StatusCode >= 300 {
		return c.answer(res, "GET", path, nil)
	}
	defer res.Body.Close()
	n, err := io.Copy(w, io.LimitReader(res.Body, max+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffline, err)
	}
	if n > max {
		return wire.Invalid("path", "the file is too large to preview")
	}
	return nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// StreamURL is the WebSocket URL of the event stream after a cursor (<0: from the head).
func (c *Client) StreamURL(after int64) string {
	u := c.Base()
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	default:
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	u += "/api/v1/stream"
	if after >= 0 {
		u += "?after=" + strconv.FormatInt(after, 10)
	}
	return u
}

// AsError turns any error into a *wire.Error for the UI.
func AsError(err error) *wire.Error {
	if err == nil {
		return nil
	}
	var e *wire.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrOffline) {
		return &wire.Error{Code: CodeOffline, Message: "the server cannot be reached"}
	}
	return &wire.Error{Code: wire.CodeInternal, Message: err.Error()}
}
