// Package backup copies santrald's SQLite database while santrald runs, through SQLite's online
// backup API: the copy is one consistent snapshot of the database as of one commit (WAL lets
// santrald's writers go on meanwhile), written beside the target under a temporary name,
// checked with integrity_check, flushed to disk and only then renamed into place — a backup
// that fails midway never leaves a broken file under the name a restore would use.
//
// The copy holds credentials sealed with the secret key, which is not in the database: back the
// key up too, kept apart from the copies (see the README's "Backups").
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Copy describes a finished backup.
type Copy struct {
	Path  string
	Bytes int64
	Pages int
}

// SQLite copies the database file src to dst (replacing an older backup there) and returns
// once dst is a complete, checked copy on disk.
func SQLite(ctx context.Context, src, dst string) (Copy, error) {
	srcAbs, err := filepath.Abs(src)
	if err != nil {
		return Copy{}, err
	}
	dstAbs, err := filepath.Abs(dst)
	if err != nil {
		return Copy{}, err
	}
	for _, live := range []string{srcAbs, srcAbs + "-wal", srcAbs + "-shm"} {
		if dstAbs == live {
			return Copy{}, fmt.Errorf("backup: %s is the database itself; write the backup somewhere else", dst)
		}
	}
	// Opening a missing file would create an empty database and "back it up".
	if info, err := os.Stat(srcAbs); err != nil {
		return Copy{}, fmt.Errorf("backup: no database at %s: %w", src, err)
	} else if !info.Mode().IsRegular() {
		return Copy{}, fmt.Errorf("backup: %s is not a database file", src)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dstAbs), "."+filepath.Base(dstAbs)+".partial-*")
	if err != nil {
		return Copy{}, fmt.Errorf("backup: unable to write beside %s: %w", dst, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	keep := false
	defer func() {
		if !keep {
			for _, p := range []string{tmpPath, tmpPath + "-journal", tmpPath + "-wal", tmpPath + "-shm"} {
				os.Remove(p)
			}
		}
	}()

	pages, err := copyPages(ctx, srcAbs, tmpPath)
	if err != nil {
		return Copy{}, err
	}
	if err := check(ctx, tmpPath); err != nil {
		return Copy{}, err
	}
	if err := syncFile(tmpPath); err != nil {
		return Copy{}, err
	}
	if err := os.Rename(tmpPath, dstAbs); err != nil {
		return Copy{}, fmt.Errorf("backup: unable to put the copy at %s: %w", dst, err)
	}
	keep = true
	if err := syncFile(filepath.Dir(dstAbs)); err != nil {
		return Copy{}, err
	}
	info, err := os.Stat(dstAbs)
	if err != nil {
		return Copy{}, err
	}
	return Copy{Path: dstAbs, Bytes: info.Size(), Pages: pages}, nil
}

func dsn(path string, params url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}

// copyPages runs the online backup from src into the (empty) file dst. All pages are copied in
// one step, inside one read transaction of src: in WAL mode that is a snapshot santrald's
// writes do not disturb (copied in slices, every commit in between would restart it).
func copyPages(ctx context.Context, src, dst string) (int, error) {
	params := url.Values{}
	params.Set("_busy_timeout", "10000")
	srcDB, err := sql.Open("sqlite3", dsn(src, params))
	if err != nil {
		return 0, err
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", dsn(dst, params))
	if err != nil {
		return 0, err
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("backup: unable to open %s: %w", src, err)
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("backup: unable to open %s: %w", dst, err)
	}
	defer dstConn.Close()

	pages := 0
	err = dstConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			to, ok1 := d.(*sqlite3.SQLiteConn)
			from, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("backup: not a SQLite connection")
			}
			b, err := to.Backup("main", from, "main")
			if err != nil {
				return err
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Finish()
					return err
				}
				if done {
					pages = b.PageCount()
					return b.Finish()
				}
				// Busy or locked for a moment (a checkpoint): try again.
				select {
				case <-ctx.Done():
					b.Finish()
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	})
	if err != nil {
		return 0, fmt.Errorf("backup: unable to copy %s: %w", src, err)
	}
	// The copy took the source's write-ahead-log mode; as a backup it is one self-contained file
	// (santrald turns WAL on again when it opens a restored copy).
	if _, err := dstConn.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return 0, fmt.Errorf("backup: unable to finish the copy: %w", err)
	}
	return pages, nil
}

// check runs SQLite's integrity_check over the whole copy.
func check(ctx context.Context, path string) error {
	params := url.Values{}
	params.Set("mode", "ro")
	db, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("backup: unable to check the copy: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("backup: the copy fails SQLite's integrity check: %s", result)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: unable to flush %s to disk: %w", path, err)
	}
	return nil
}
