package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"santral/backend/wire"
)

// The decision that follows a group's requests (automatic assignment) runs once for the group,
// only when a request changed what it depends on, and when it fails it is rolled back alone:
// the requests commit and are answered as committed.
func TestAfterRequestsRunsOnceAndFailsAlone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		runs, fail := 0, false
		var failed error
		s.SetAfterRequests(func(tx *Tx) error {
			runs++
			if _, err := tx.CreateUser("from-after", "After", "hash", wire.RoleAgent, nil, nil); err != nil {
				return err
			}
			if fail {
				return errors.New("assignment broke")
			}
			return nil
		}, func(err error) { failed = err })

		inTx(t, s, func(tx *Tx) error {
			_, err := tx.CreateUser("plain", "Plain", "hash", wire.RoleAgent, nil, nil)
			return err
		})
		if runs != 0 {
			t.Fatalf("ran %d times after a request that changed nothing it depends on", runs)
		}

		fail = true
		inTx(t, s, func(tx *Tx) error {
			tx.MarkAssignable()
			_, err := tx.CreateUser("kept", "Kept", "hash", wire.RoleAgent, nil, nil)
			return err
		})
		if runs != 1 || failed == nil {
			t.Fatalf("runs %d, failure heard %v; want 1 and the failure", runs, failed)
		}
		if !hasUser(t, s, "kept") || hasUser(t, s, "from-after") {
			t.Fatal("the request must commit and the failed decision's writes must not")
		}

		fail = false
		inTx(t, s, func(tx *Tx) error { tx.MarkAssignable(); return nil })
		if !hasUser(t, s, "from-after") {
			t.Fatal("the decision's writes must commit with the group")
		}
	})
}

func hasUser(t *testing.T, s *Store, username string) bool {
	t.Helper()
	users, err := s.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Username == username {
			return true
		}
	}
	return false
}

// A bulk assignment decides what the single-row ones would: a conversation no longer queued is
// not taken from its holder, each of the others goes to its own agent, in statements of at most
// bulkRows rows.
func TestAssignQueuedManyTakesOnlyQueued(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		var convs []int64
		for i := range bulkRows + 6 {
			convs = append(convs, openConversation(t, s, int64(1000+i), customer{fmt.Sprint("90500", i), "Müşteri", ""}))
		}
		inTx(t, s, func(tx *Tx) error { _, err := tx.AssignQueued(convs[3], ali); return err })
		var list []Assignment
		for i, id := range convs {
			list = append(list, Assignment{ConvID: id, AgentID: []int64{ali, ayse}[i%2]})
		}
		var won []int64
		inTx(t, s, func(tx *Tx) (err error) { won, err = tx.AssignQueuedMany(list); return })
		if len(won) != len(convs)-1 || slices.Contains(won, convs[3]) {
			t.Fatalf("won %d of %d (conversation %d already held): %v", len(won), len(convs), convs[3], won)
		}
		for i, id := range convs {
			c, err := s.Conversation(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{ali, ayse}[i%2]
			if i == 3 {
				want = ali
			}
			if c.State != wire.Assigned || c.AgentID == nil || *c.AgentID != want {
				t.Fatalf("conversation %d: %s held by %v, want %d", i, c.State, c.AgentID, want)
			}
		}
	})
}

// With SQLite's own checkpoints off, the checkpointer copies the WAL back into the database
// file beside the commits while the store runs, and Close truncates the WAL.
func TestCheckpointerCopiesTheWALBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "santral.db")
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	before := size(path)
	for i := range 50 {
		inTx(t, s, func(tx *Tx) error {
			_, err := tx.CreateUser(fmt.Sprint("u", i), strings.Repeat("x", 4000), "hash", wire.RoleAgent, nil, nil)
			return err
		})
	}
	// Only a checkpoint writes the database file; the commits went to the WAL.
	deadline := time.Now().Add(10 * time.Second)
	for size(path) < before+50*4000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (was %d), WAL %d bytes: nothing copied back", size(path), before, size(path+"-wal"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := size(path + "-wal"); n != 0 {
		t.Fatalf("WAL left at %d bytes after Close", n)
	}
}
