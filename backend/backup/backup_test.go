package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backup that cannot be made says why and creates nothing: no empty database "backed up" from
// a wrong --data, and never a copy written over the database it copies.
func TestBackupRefusesWhatCannotBeABackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "santral.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src, dst, says string
	}{
		{"no database there", filepath.Join(dir, "missing", "santral.db"), filepath.Join(dir, "copy.db"), "no database at"},
		{"onto the database itself", db, db, "is the database itself"},
		{"onto its write-ahead log", db, db + "-wal", "is the database itself"},
		{"into a folder that does not exist", db, filepath.Join(dir, "nowhere", "copy.db"), "unable to write beside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SQLite(context.Background(), tc.src, tc.dst)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want an error saying %q", err, tc.says)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Fatal("a backup of a missing database created something")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("refused backups left files behind: %v", entries)
	}
}
