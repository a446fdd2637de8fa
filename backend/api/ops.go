package api

// What operations see of the API: a request id on every request (taken from X-Request-Id when
// it is a sane value, else made here), echoed in the response and carried by every log line
// written for the request; one structured log line per request (WebSockets: one at connect, one
// at close); the request counted and timed by its route pattern; and the readiness check.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// RequestObserver counts and times requests (the node's metrics). pattern is the route
// table's pattern the request matched; upgraded is a WebSocket that opened (status 101).
type RequestObserver interface {
	Request(pattern, method string, status int, d time.Duration, upgraded bool)
}

// ReadyCheck is one condition of readiness: a name the 503 names, and a check that answers
// quickly (it is given a deadline). The server registers them: the database, the node's event
// reader and, where configured, NATS.
type ReadyCheck struct {
	Name  string
	Check func(context.Context) error
}

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneRequestID accepts an id a proxy or client set when it is short and plain: at most 64
// letters, digits and - _ . : — anything else could forge log lines or bloat them.
func saneRequestID(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// LogRequestIDs wraps a log handler so that every record logged with a request's context
// carries its request_id.
func LogRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// quiet are the routes probes and scrapers call every few seconds: logged at debug only.
var quiet = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// instrument gives the request its id, then logs and counts it once answered. Only the route
// pattern is logged, never the path's query string, which can hold secrets (Meta's handshake
// sends the verify token in it); tokens and passwords travel in headers and bodies, which are
// never logged.
func (a *API) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		rec := &recorder{ResponseWriter: w, a: a, r: r, start: start}
		defer rec.finish()
		next.ServeHTTP(rec, r)
	})
}

// recorder notes what a handler answered; a WebSocket upgrade is seen as the Hijack.
type recorder struct {
	http.ResponseWriter
	a     *API
	r     *http.Request // as the route table saw it: r.Pattern is set once it matched
	start time.Time

	mu       sync.Mutex
	status   int
	bytes    int64
	hijacked time.Time
	detached bool // the socket outlives the handler: its goroutine logs the close (detach)
}

// detach is called by a WebSocket handler that hands its open socket to a goroutine and
// returns; it returns what that goroutine calls when the socket closes, to log it. The
// function holds only the log's fields — not the request or the ResponseWriter, which would
// keep net/http's buffers for the connection alive.
func detach(w http.ResponseWriter) (closed func()) {
	rec, ok := w.(*recorder)
	if !ok {
		return func() {}
	}
	rec.mu.Lock()
	rec.detached = true
	hijacked := rec.hijacked
	rec.mu.Unlock()
	log, ctx, attrs := rec.a.log, context.WithoutCancel(rec.r.Context()), rec.attrs()
	return func() {
		log.LogAttrs(ctx, slog.LevelInfo, "websocket closed", append(attrs, slog.Duration("duration", time.Since(hijacked)))...)
	}
}

func (w *recorder) WriteHeader(status int) {
	w.mu.Lock()
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.mu.Unlock()
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.mu.Lock()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.mu.Unlock()
	n, err := w.ResponseWriter.Write(b)
	w.mu.Lock()
	w.bytes += int64(n)
	w.mu.Unlock()
	return n, err
}

// Flush and Unwrap keep what the server's writer offers reachable through the recorder.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to a WebSocket: logged and counted as opened now, as closed when
// its handler returns.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("api: the connection cannot be taken over")
	}
	conn, rw, err := h.Hijack()
	if err != nil {
		return conn, rw, err
	}
	w.mu.Lock()
	w.hijacked, w.status = time.Now(), http.StatusSwitchingProtocols
	w.mu.Unlock()
	w.a.log.LogAttrs(w.r.Context(), slog.LevelInfo, "websocket connected", w.attrs()...)
	if o := w.a.opt.Observer; o != nil {
		o.Request(w.r.Pattern, w.r.Method, http.StatusSwitchingProtocols, time.Since(w.start), true)
	}
	return conn, rw, nil
}

func (w *recorder) attrs() []slog.Attr {
	return []slog.Attr{slog.String("method", w.r.Method), slog.String("route", w.r.Pattern),
		slog.String("client", w.a.client(w.r).String())}
}

func (w *recorder) finish() {
	w.mu.Lock()
	status, n, hijacked, detached := w.status, w.bytes, w.hijacked, w.detached
	w.mu.Unlock()
	ctx := w.r.Context()
	if detached {
		return
	}
	if !hijacked.IsZero() {
		w.a.log.LogAttrs(ctx, slog.LevelInfo, "websocket closed", append(w.attrs(),
			slog.Duration("duration", time.Since(hijacked)))...)
		return
	}
	if status == 0 {
		status = http.StatusOK // nothing written: the server answers 200 with no body
	}
	d := time.Since(w.start)
	if o := w.a.opt.Observer; o != nil {
		o.Request(w.r.Pattern, w.r.Method, status, d, false)
	}
	level := slog.LevelInfo
	if quiet[w.r.Pattern] {
		level = slog.LevelDebug
	}
	if !w.a.log.Enabled(ctx, level) {
		return
	}
	w.a.log.LogAttrs(ctx, level, "request", append(w.attrs(), slog.Int("status", status),
		slog.Duration("duration", d), slog.Int64("bytes", n))...)
}

// ready answers GET /readyz: 200 when every registered check passes (the database answers,
// the node's event reader follows the log, NATS is connected where configured), else 503
// naming the checks that failed. What failed and why is logged; the body names only the checks,
// since a load balancer's probe is not the place for internals.
func (a *API) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	errs := make([]error, len(a.opt.ReadyChecks))
	var wg sync.WaitGroup
	for i, c := range a.opt.ReadyChecks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Check(ctx)
		}()
	}
	wg.Wait()
	body := readiness{Status: "ready", Checks: map[string]string{}}
	for i, c := range a.opt.ReadyChecks {
		if errs[i] != nil {
			body.Failed = append(body.Failed, c.Name)
			body.Checks[c.Name] = "failed"
			a.log.WarnContext(r.Context(), "not ready", "check", c.Name, "err", errs[i])
		} else {
			body.Checks[c.Name] = "ok"
		}
	}
	if len(body.Failed) > 0 {
		body.Status = "not_ready"
		return writeJSON(w, http.StatusServiceUnavailable, body)
	}
	return writeJSON(w, http.StatusOK, body)
}

type readiness struct {
	Status string            `json:"status"`
	Failed []string          `json:"failed,omitempty"`
	Checks map[string]string `json:"checks"`
}
