// Package media keeps the files customers and agents exchange. The default is a folder in the
// data directory; an S3-compatible store implements the same interface at scale.
package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"santral/backend/wire"
)

// Store saves and opens media files by key: Folder (the data directory, one node) or S3 (a
// bucket every node reads).
type Store interface {
	// Put stores the content and returns its key and size; more than max bytes is refused
	// with ErrTooLarge, and an error of r's own is returned as it is.
	Put(ctx context.Context, r io.Reader, max int64) (key string, size int64, err error)
	// Open opens a stored file (ErrNotFound when there is none). It seeks, so that a download
	// can be served in ranges.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Delete removes a file; an unknown key is not an error.
	Delete(ctx context.Context, key string) error
}

// ErrTooLarge is a file over the limit.
var ErrTooLarge = errors.New("media: file too large")

// ErrFull is a store whose total quota is used up. It is the API's media_full as it is.
var ErrFull error = wire.Errorf(wire.CodeMediaFull, "the media storage is full: ask an admin to free space or raise --media-quota")

// ErrNotFound is an unknown key.
var ErrNotFound = errors.New("media: not found")

// ErrUnavailable is a store that cannot be reached or did not do what was asked (S3 down, a
// timeout, a refusal): the API's media_unavailable. Nothing was stored; trying again later may
// work. Errors wrapping it keep the cause for the logs.
var ErrUnavailable error = wire.Errorf(wire.CodeMediaUnavailable, "the file store cannot be reached; try again in a moment")

// unavailable is ErrUnavailable with its cause.
type unavailable struct{ cause error }

func (e *unavailable) Error() string   { return "media: the file store failed: " + e.cause.Error() }
func (e *unavailable) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// Folder stores files in a local directory.
type Folder struct{ Dir string }

// A key is 128 random bits in hex: unguessable, and safe as a file or object name.
var keyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Put writes the file under a random key; a partial file never stays behind.
func (f Folder) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("media: unable to create folder: %w", err)
	}
	key := newKey()
	tmp, err := os.CreateTemp(f.Dir, key+".*.part")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(f.Dir, key)); err != nil {
		return "", 0, err
	}
	return key, n, nil
}

// Open opens a stored file.
func (f Folder) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !keyPattern.MatchString(key) {
		return nil, ErrNotFound
	}
	file, err := os.Open(filepath.Join(f.Dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return file, err
}

// Delete removes a stored file; an unknown key is not an error.
func (f Folder) Delete(ctx context.Context, key string) error {
	if !keyPattern.MatchString(key) {
		return nil
	}
	err := os.Remove(filepath.Join(f.Dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Usage is the total size of the files in the folder.
func (f Folder) Usage(ctx context.Context) (int64, error) {
	var total int64
	err := filepath.WalkDir(f.Dir, func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || strings.HasSuffix(d.Name(), ".part") {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// Measured is a store that can tell its total size.
type Measured interface {
	Store
	Usage(ctx context.Context) (int64, error)
}

// remeasure is how often the quota re-reads the store's size, to see other nodes' writes.
const remeasure = 5 * time.Minute

// Quota refuses new files with ErrFull once the store holds max bytes. The size is measured,
// then kept up to date with this process's writes; uploads in progress reserve what they may
// still write, so parallel uploads cannot overshoot the quota together.
type Quota struct {
	Measured
	max int64

	mu         sync.Mutex
	used       int64
	measuredAt time.Time
	reserved   int64
}

// WithQuota wraps s with a total quota of max bytes.
func WithQuota(s Measured, max int64) *Quota { return &Quota{Measured: s, max: max} }

// Put stores the file if it fits in what is left of the quota.
func (q *Quota) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	limit, err := q.reserve(ctx, max)
	if err != nil {
		return "", 0, err
	}
	key, n, err := q.Measured.Put(ctx, r, limit)
	q.mu.Lock()
	q.reserved -= limit
	if err == nil {
		q.used += n
	}
	q.mu.Unlock()
	if errors.Is(err, ErrTooLarge) && limit < max {
		return "", 0, ErrFull
	}
	return key, n, err
}

func (q *Quota) reserve(ctx context.Context, max int64) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if time.Since(q.measuredAt) >= remeasure {
		used, err := q.Measured.Usage(ctx)
		if err != nil {
			return 0, fmt.Errorf("media: unable to measure the store: %w", err)
		}
		q.used, q.measuredAt = used, time.Now()
	}
	left := q.max - q.used - q.reserved
	if left <= 0 {
		return 0, ErrFull
	}
	limit := min(max, left)
	q.reserved += limit
	return limit, nil
}

// Delete removes a file; the size is measured again before the next file.
func (q *Quota) Delete(ctx context.Context, key string) error {
	err := q.Measured.Delete(ctx, key)
	q.mu.Lock()
	q.measuredAt = time.Time{}
	q.mu.Unlock()
	return err
}
