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
)

// Store saves and opens media files by key.
type Store interface {
	// Put stores the content and returns its key and size; more than max bytes is refused.
	Put(ctx context.Context, r io.Reader, max int64) (key string, size int64, err error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Remove deletes a stored file; an unknown key is not an error (already removed).
	Remove(ctx context.Context, key string) error
}

// ErrTooLarge is a file over the limit.
var ErrTooLarge = errors.New("media: file too large")

// ErrNotFound is an unknown key.
var ErrNotFound = errors.New("media: not found")

// Folder stores files in a local directory.
type Folder struct{ Dir string }

var keyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Put writes the file under a random key; a partial file never stays behind.
func (f Folder) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("media: unable to create folder: %w", err)
	}
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
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
func (f Folder) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !keyPattern.MatchString(key) {
		return nil, ErrNotFound
	}
	file, err := os.Open(filepath.Join(f.Dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return file, err
}

// Remove deletes a stored file.
func (f Folder) Remove(ctx context.Context, key string) error {
	if !keyPattern.MatchString(key) {
		return nil // never a file of ours
	}
	if err := os.Remove(filepath.Join(f.Dir, key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("media: unable to remove %s: %w", key, err)
	}
	return nil
}
