package channels

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// server is a local provider over HTTP/1.1 or HTTP/2 (TLS), and a client that trusts it.
func server(t *testing.T, h2 bool, h http.HandlerFunc) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	c := NewHTTPClient(time.Second)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
		tr := c.Transport.(*idleTransport).base.(*http.Transport)
		tr.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, c
}

// zeroBody is a body of n bytes that never sits whole in memory.
func zeroBody(n int64) io.Reader { return io.LimitReader(zeros{}, n) }

func post(t *testing.T, ctx context.Context, c *http.Client, url string, body io.Reader, length int64) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	return Do(c, req, "the provider")
}

// Whether a failed request can have reached the provider, on both protocols a provider speaks.
func TestDoTellsWhetherARequestCanHaveReachedTheProvider(t *testing.T) {
	const big = 256 << 20 // more than any socket buffer holds: it cannot have left whole
	for _, h2 := range []bool{false, true} {
		proto := map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2]
		t.Run(proto, func(t *testing.T) {
			hang := make(chan struct{})
			readHalf := make(chan struct{}, 1)
			srv, c := server(t, h2, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/ok":
					io.Copy(io.Discard, r.Body)
					w.Write([]byte(`{"id":"1"}`))
				case "/read-then-hang": // took all of it, never answers
					io.Copy(io.Discard, r.Body)
					select {
					case <-hang:
					case <-r.Context().Done():
					}
				case "/read-then-reset": // took all of it, then the connection (stream) broke
					io.Copy(io.Discard, r.Body)
					panic(http.ErrAbortHandler)
				case "/cut-off": // broke before the request's end
					io.CopyN(io.Discard, r.Body, 64<<10)
					panic(http.ErrAbortHandler)
				case "/slow": // takes a little, then waits
					io.CopyN(io.Discard, r.Body, 64<<10)
					readHalf <- struct{}{}
					select {
					case <-hang:
					case <-r.Context().Done():
					}
				}
			})
			t.Cleanup(func() { close(hang) }) // before the server's Close, which waits for handlers
			small := func() io.Reader { return bytes.NewReader([]byte(`{"to":"905321234567","text":"Merhaba"}`)) }
			const smallLen = int64(len(`{"to":"905321234567","text":"Merhaba"}`))

			resp, err := post(t, context.Background(), c, srv.URL+"/ok", small(), smallLen)
			if err != nil || resp.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] {
				t.Fatalf("a plain send: %v", err)
			}
			resp.Body.Close()

			check := func(name string, err error, retry, unknown bool) {
				t.Helper()
				se, ok := AsSendError(err)
				if !ok || se.Retry != retry || se.Unknown != unknown {
					t.Errorf("%s: %v (%+v), want retry=%v unknown=%v", name, err, se, retry, unknown)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			_, err = post(t, ctx, c, srv.URL+"/read-then-hang", small(), smallLen)
			cancel()
			check("no answer once the request left", err, false, true)

			_, err = post(t, context.Background(), c, srv.URL+"/read-then-reset", small(), smallLen)
			check("broken once the request left", err, false, true)

			_, err = post(t, context.Background(), c, srv.URL+"/cut-off", zeroBody(big), big)
			check("broken before the request's end", err, true, false)

			ctx, cancel = context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := post(t, ctx, c, srv.URL+"/slow", zeroBody(big), big)
				errc <- err
			}()
			<-readHalf
			cancel() // a stop cutting off an upload still on its way
			check("interrupted before the request's end", <-errc, true, false)
		})
	}
}

func TestDoRetriesWhatNeverLeft(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := post(t, context.Background(), NewHTTPClient(time.Second), url+"/messages", bytes.NewReader([]byte("{}")), 2)
		if se, ok := AsSendError(err); !ok || !se.Retry || se.Unknown {
			t.Fatalf("%v: want retry", err)
		}
	})
	t.Run("TLS handshake refused", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		defer srv.Close()
		// A client that does not trust the server's certificate never gets to send.
		_, err := post(t, context.Background(), NewHTTPClient(time.Second), srv.URL+"/messages", bytes.NewReader([]byte("{}")), 2)
		if se, ok := AsSendError(err); !ok || !se.Retry || se.Unknown {
			t.Fatalf("%v: want retry", err)
		}
	})
}

// An answer whose body stops arriving is cut off after the read-idle time, however long the
// request's own deadline.
func TestAnswerThatStopsArrivingIsCutOff(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte(`{"id":`))
		w.(http.Flusher).Flush()
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, bytes.NewReader([]byte("{}")))
	resp, err := Do(NewHTTPClient(200*time.Millisecond), req, "the provider")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the stalled answer must be cut off by the read-idle time, not the deadline: %v", err)
	}
}

func TestTimeoutsGrowWithTheFile(t *testing.T) {
	tm := Timeouts{Floor: 30 * time.Second, PerMB: 4 * time.Second}
	for size, want := range map[int64]time.Duration{0: 30 * time.Second, 1 << 20: 34 * time.Second, 100 << 20: 430 * time.Second} {
		if got := tm.For(size); got != want {
			t.Errorf("For(%d) = %v, want %v", size, got, want)
		}
	}
	if got := (Timeouts{}).For(1 << 20); got != 34*time.Second {
		t.Errorf("zero Timeouts use the defaults: %v", got)
	}
}
