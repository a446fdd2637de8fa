package channels

// How a request to a provider is bounded in time, and what a failed one can have done there:
// the outbox never sends a message twice, so it must know whether a request that got no answer
// can have reached the provider.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"
)

// Timeouts bound a request by what it carries rather than by a fixed total: a 100 MB upload on
// a slow line takes minutes, while a provider that stops answering must not hold a text for long.
type Timeouts struct {
	Floor time.Duration // any request, however small
	PerMB time.Duration // added per MiB a request carries: the slowest upload rate assumed
}

// DefaultTimeouts allow 30 s for any request plus 4 s per MiB (about 2 Mbit/s): a 100 MB
// document gets about 7 minutes.
var DefaultTimeouts = Timeouts{Floor: 30 * time.Second, PerMB: 4 * time.Second}

// For is the deadline of a request carrying size bytes.
func (t Timeouts) For(size int64) time.Duration {
	if t.Floor <= 0 {
		t.Floor = DefaultTimeouts.Floor
	}
	if t.PerMB <= 0 {
		t.PerMB = DefaultTimeouts.PerMB
	}
	return t.Floor + time.Duration(float64(t.PerMB)*float64(max(size, 0))/(1<<20))
}

// NewHTTPClient is the client adapters call providers with. It has no whole-request timeout:
// the caller's context carries each request's deadline, which grows with what it carries
// (Timeouts), since a file still crossing a slow line into the provider must not be cut off at
// a fixed 30 s — nor can the wait for the answer be counted from the end of our write, which
// only fills the kernel's buffers. Connecting and the TLS handshake are bounded, and an answer
// whose body stops arriving for readIdle is cut off.
func NewHTTPClient(readIdle time.Duration) *http.Client {
	if readIdle <= 0 {
		readIdle = DefaultTimeouts.Floor
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	// A send written on a kept-alive connection the provider has just closed gets no answer and
	// counts as "delivery unknown"; closing idle connections before providers do makes it rare.
	t.IdleConnTimeout = 30 * time.Second
	return &http.Client{Transport: &idleTransport{base: t, idle: readIdle}}
}

// idleTransport cuts off a response whose body stops arriving.
type idleTransport struct {
	base http.RoundTripper
	idle time.Duration
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, idle: t.idle, stop: cancel, timer: time.AfterFunc(t.idle, cancel)}
	return resp, nil
}

// idleBody cancels its request when no read gets a byte for idle.
type idleBody struct {
	rc    io.ReadCloser
	idle  time.Duration
	stop  context.CancelFunc
	timer *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	return n, err
}

func (b *idleBody) Close() error {
	err := b.rc.Close()
	b.timer.Stop()
	b.stop()
	return err
}

// Do sends req through c. When no answer comes back it returns a *SendError that says whether
// the provider can have received the request: Retry when it provably cannot (no connection, DNS, the
// TLS handshake, or the request cut off before its last byte), Unknown when it may have (a
// timeout or a broken connection once the whole request had left).
//
// "Left" is counted from the body: once the transport has taken its last byte, the request may
// be on the wire. httptrace's WroteRequest alone would not do: it fires before the final
// flush, and on HTTP/2 it may fire after Do has returned.
func Do(c *http.Client, req *http.Request, provider string) (*http.Response, error) {
	t := &tracker{}
	req = t.follow(req)
	resp, err := c.Do(req)
	if err == nil {
		return resp, nil
	}
	sent := t.finish()
	se := &SendError{Detail: transportDetail(err)}
	switch {
	case !sent:
		se.Title, se.Retry = provider+" could not be reached", true
	case isTimeout(err):
		se.Title, se.Unknown = "no answer from "+provider+" in time", true
	case errors.Is(err, context.Canceled):
		se.Title, se.Unknown = "sending was interrupted before "+provider+" answered", true
	default:
		se.Title, se.Unknown = "the connection to "+provider+" broke before it answered", true
	}
	return nil, se
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// transportDetail describes a transport failure without the request URL (Telegram's holds the
// bot token).
func transportDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// tracker follows the bodies of one request (a redirect or the transport's own retry on a
// fresh connection takes a new one from GetBody) and, for a request without a body, its
// headers.
type tracker struct {
	mu      sync.Mutex
	bodies  []*trackedBody
	headers bool
	noBody  bool
}

func (t *tracker) follow(req *http.Request) *http.Request {
	trace := &httptrace.ClientTrace{WroteHeaders: func() {
		t.mu.Lock()
		t.headers = true
		t.mu.Unlock()
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	if req.Body == nil || req.Body == http.NoBody {
		t.noBody = true
		return req
	}
	req.Body = t.wrap(req.Body, req.ContentLength)
	if getBody := req.GetBody; getBody != nil {
		length := req.ContentLength
		req.GetBody = func() (io.ReadCloser, error) {
			b, err := getBody()
			if err != nil {
				return nil, err
			}
			return t.wrap(b, length), nil
		}
	}
	return req
}

func (t *tracker) wrap(r io.ReadCloser, length int64) *trackedBody {
	b := &trackedBody{r: r, length: length}
	b.idle = sync.NewCond(&b.mu)
	t.mu.Lock()
	t.bodies = append(t.bodies, b)
	t.mu.Unlock()
	return b
}

// finish closes every body, so nothing more of the request can leave, and reports whether all
// of it may have: a body taken to its end, or the headers of a request without one.
func (t *tracker) finish() bool {
	t.mu.Lock()
	bodies, headers, noBody := t.bodies, t.headers, t.noBody
	t.mu.Unlock()
	if noBody {
		return headers
	}
	sent := false
	for _, b := range bodies {
		b.Close()
		sent = sent || b.taken()
	}
	return sent
}

// trackedBody counts what the transport takes of a request body. After Close no read gets
// anything, and Close waits for a read in progress, so what it counted is final.
type trackedBody struct {
	r      io.ReadCloser
	length int64 // the request's ContentLength: 0 or -1 when unknown

	mu      sync.Mutex
	idle    *sync.Cond
	reading int
	read    int64
	eof     bool
	closed  bool
	once    sync.Once
	err     error
}

var errBodyClosed = errors.New("channels: request body closed")

func (b *trackedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, errBodyClosed
	}
	b.reading++
	b.mu.Unlock()
	n, err := b.r.Read(p)
	b.mu.Lock()
	b.read += int64(n)
	if err == io.EOF {
		b.eof = true
	}
	b.reading--
	b.idle.Broadcast()
	b.mu.Unlock()
	return n, err
}

// Close closes the body once; the transport and finish may both call it. The underlying body
// is closed first so that a read blocked on it (a pipe) returns.
func (b *trackedBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.once.Do(func() { b.err = b.r.Close() })
	b.mu.Lock()
	for b.reading > 0 {
		b.idle.Wait()
	}
	b.mu.Unlock()
	return b.err
}

// taken reports whether the transport took the whole body: to its end, or its declared length
// (HTTP/1 writes exactly ContentLength bytes before it reads the end).
func (b *trackedBody) taken() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof || (b.length > 0 && b.read >= b.length)
}
