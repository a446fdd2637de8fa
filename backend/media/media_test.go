package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/media"
	"santral/backend/media/s3test"
	"santral/backend/wire"
)

var quiet = slog.New(slog.DiscardHandler)

// forEachStore runs f on every media store santrald can use: the data directory's folder, and
// a bucket of a real S3 server (with and without a prefix).
func forEachStore(t *testing.T, f func(t *testing.T, s media.Measured)) {
	t.Run("folder", func(t *testing.T) { f(t, media.Folder{Dir: t.TempDir()}) })
	for _, prefix := range []string{"", "santral/media"} {
		t.Run("s3 prefix="+prefix, func(t *testing.T) {
			srv := s3test.Start(t, "santral-media")
			s, err := media.OpenS3(context.Background(), srv.Config("santral-media", prefix), quiet)
			if err != nil {
				t.Fatalf("open the bucket: %v", err)
			}
			f(t, s)
		})
	}
}

// content is n bytes that differ from one position to the next, so a misplaced range shows.
func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func put(t *testing.T, s media.Store, b []byte) string {
	t.Helper()
	key, size, err := s.Put(context.Background(), bytes.NewReader(b), media.MaxFile)
	if err != nil || size != int64(len(b)) {
		t.Fatalf("put %d bytes: size %d, %v", len(b), size, err)
	}
	return key
}

func read(t *testing.T, s media.Store, key string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func usage(t *testing.T, s media.Measured) int64 {
	t.Helper()
	n, err := s.Usage(context.Background())
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	return n
}

func TestStoredFilesComeBackByteForByte(t *testing.T) {
	forEachStore(t, func(t *testing.T, s media.Measured) {
		// Empty, small, and larger than one part of an upload of unknown size (a multipart
		// upload to S3).
		sizes := []int{0, 1, 3000, 5<<20 + 12345}
		var total int64
		for _, n := range sizes {
			b := content(n)
			key := put(t, s, b)
			if got := read(t, s, key); !bytes.Equal(got, b) {
				t.Fatalf("%d bytes stored, %d read back (equal: %v)", n, len(got), bytes.Equal(got, b))
			}
			total += int64(n)
		}
		if got := usage(t, s); got != total {
			t.Fatalf("usage %d, want %d", got, total)
		}
	})
}

func TestAFileOverTheLimitLeavesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s media.Measured) {
		for _, max := range []int64{100, 5<<20 + 10} {
			_, _, err := s.Put(context.Background(), bytes.NewReader(content(int(max)+1)), max)
			if !errors.Is(err, media.ErrTooLarge) {
				t.Fatalf("%d bytes with a limit of %d: %v, want ErrTooLarge", max+1, max, err)
			}
		}
		key := put(t, s, content(100))
		if got := usage(t, s); got != 100 {
			t.Fatalf("only the file that fits is stored: usage %d, want 100", got)
		}
		if got := read(t, s, key); len(got) != 100 {
			t.Fatalf("exactly the limit is accepted: %d bytes", len(got))
		}
	})
}

// errSender is an upload that breaks off (the sender went away, or sent more than the request
// may carry): Put must return it as it is, not blame the store.
var errSender = errors.New("the sender went away")

type breaksOff struct {
	left int
}

func (b *breaksOff) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, errSender
	}
	n := min(len(p), b.left)
	b.left -= n
	return n, nil
}

func TestAnUploadThatBreaksOffIsTheUploadsFault(t *testing.T) {
	forEachStore(t, func(t *testing.T, s media.Measured) {
		for _, n := range []int{10, 6 << 20} {
			_, _, err := s.Put(context.Background(), &breaksOff{left: n}, media.MaxFile)
			if !errors.Is(err, errSender) || errors.Is(err, media.ErrUnavailable) {
				t.Fatalf("after %d bytes: %v, want the reader's own error", n, err)
			}
		}
		if got := usage(t, s); got != 0 {
			t.Fatalf("nothing stays of broken uploads: usage %d", got)
		}
	})
}

func TestUnknownAndDeletedFilesAreNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, s media.Measured) {
		ctx := context.Background()
		for _, key := range []string{"0123456789abcdef0123456789abcdef", "../santral.db", "", "ABCDEF"} {
			if _, err := s.Open(ctx, key); !errors.Is(err, media.ErrNotFound) {
				t.Fatalf("open %q: %v, want ErrNotFound", key, err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatalf("delete unknown %q: %v", key, err)
			}
		}
		key := put(t, s, content(10))
		other := put(t, s, content(20))
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, key); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("open a deleted file: %v", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
		if got := read(t, s, other); len(got) != 20 {
			t.Fatal("the other file stays")
		}
		if got := usage(t, s); got != 20 {
			t.Fatalf("usage after the delete: %d", got)
		}
	})
}

// A download is served by http.ServeContent from the opened file: whole, or by ranges.
func TestDownloadsServeLengthAndRanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, s media.Measured) {
		b := content(100_000)
		key := put(t, s, b)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := s.Open(r.Context(), key)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, r, "", time.Time{}, f)
		}))
		defer srv.Close()
		for _, tc := range []struct {
			rng      string
			status   int
			from, to int // the bytes expected, [from, to)
		}{
			{"", 200, 0, len(b)},
			{"bytes=0-9", 206, 0, 10},
			{"bytes=50000-50999", 206, 50000, 51000},
			{"bytes=-100", 206, len(b) - 100, len(b)},
			{"bytes=99990-", 206, 99990, len(b)},
		} {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want := b[tc.from:tc.to]
			if res.StatusCode != tc.status || !bytes.Equal(got, want) || res.ContentLength != int64(len(want)) {
				t.Fatalf("Range %q: %d, %d bytes (Content-Length %d), equal %v; want %d and %d bytes",
					tc.rng, res.StatusCode, len(got), res.ContentLength, bytes.Equal(got, want), tc.status, len(want))
			}
		}
	})
}

// A download from S3 is a HEAD (in Open: is it there, how large) and one GET, whole or of the
// range asked for: http.ServeContent's seeks cost no request.
func TestS3DownloadIsOneGet(t *testing.T) {
	srv := s3test.Start(t, "santral-media")
	s, err := media.OpenS3(context.Background(), srv.Config("santral-media", ""), quiet)
	if err != nil {
		t.Fatal(err)
	}
	b := content(200_000)
	key := put(t, s, b)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Open(r.Context(), key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/octet-stream") // as the API does: nothing sniffed
		http.ServeContent(w, r, "", time.Time{}, f)
	}))
	defer web.Close()
	for _, rng := range []string{"", "bytes=150000-150099"} {
		before := srv.Requests()
		req, _ := http.NewRequest("GET", web.URL, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		after := srv.Requests()
		if gets, heads := after["GET"]-before["GET"], after["HEAD"]-before["HEAD"]; gets != 1 || heads != 1 {
			t.Errorf("download (Range %q): %d GET and %d HEAD requests to S3, want 1 and 1", rng, gets, heads)
		}
	}
}

func TestS3StartRefusesSettingsThatCannotWork(t *testing.T) {
	srv := s3test.Start(t, "santral-media")
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	nobody := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name   string
		change func(*config.S3)
		want   []string
	}{
		{"a bucket that does not exist", func(c *config.S3) { c.Bucket = "santral-missing" },
			[]string{`bucket "santral-missing"`, srv.URL, "does not exist", "create it"}},
		{"a wrong access key", func(c *config.S3) { c.AccessKey = "someone-else" },
			[]string{`bucket "santral-media"`, "refused santrald's keys", "SANTRAL_S3_ACCESS_KEY"}},
		{"a server that is not there", func(c *config.S3) { c.Endpoint = nobody },
			[]string{`bucket "santral-media"`, nobody, "cannot be reached", "--s3-endpoint"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.Config("santral-media", "")
			tc.change(&cfg)
			_, err := media.OpenS3(context.Background(), cfg, quiet)
			if err == nil {
				t.Fatal("OpenS3 accepted it")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), s3test.SecretKey) {
				t.Errorf("error %q repeats the secret key", err)
			}
		})
	}
	if got := srv.Objects("santral-media", ""); len(got) != 0 {
		t.Fatalf("the start checks leave nothing in the bucket: %v", got)
	}
}

// While S3 is away every operation fails with ErrUnavailable — the API's media_unavailable —
// and once it is back, what was stored before is there and new files go in.
func TestS3AwayIsUnavailableThenBack(t *testing.T) {
	srv := s3test.Start(t, "santral-media")
	s, err := media.OpenS3(context.Background(), srv.Config("santral-media", "p"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	before := content(4000)
	key := put(t, s, before)

	srv.Stop()
	ctx := context.Background()
	unavailable := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, media.ErrUnavailable) || wire.CodeOf(err) != wire.CodeMediaUnavailable {
			t.Fatalf("%s while S3 is away: %v, want media_unavailable", what, err)
		}
	}
	_, _, err = s.Put(ctx, bytes.NewReader(content(10)), media.MaxFile)
	unavailable("put", err)
	_, _, err = s.Put(ctx, bytes.NewReader(content(6<<20)), media.MaxFile)
	unavailable("put of a large file", err)
	_, err = s.Open(ctx, key)
	unavailable("open", err)
	unavailable("delete", s.Delete(ctx, key))
	_, err = s.Usage(ctx)
	unavailable("usage", err)
	if err := s.Check(ctx); err == nil {
		t.Fatal("the readiness check passes while S3 is away")
	}

	srv.Restart()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("the readiness check once S3 is back: %v", err)
	}
	if got := read(t, s, key); !bytes.Equal(got, before) {
		t.Fatal("the file stored before is there")
	}
	after := put(t, s, content(10))
	if want := []string{"p/" + after, "p/" + key}; fmt.Sprint(srv.Objects("santral-media", "")) != fmt.Sprint(sortedStrings(want)) {
		t.Fatalf("objects %v, want %v", srv.Objects("santral-media", ""), want)
	}
}

func sortedStrings(s []string) []string {
	if s[0] > s[1] {
		s[0], s[1] = s[1], s[0]
	}
	return s
}
