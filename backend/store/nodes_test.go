package store

// Several nodes on one database: each Store here is a node of its own, with its own pools and
// committer, so their transactions run on separate connections exactly as santrald processes'
// would.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"santral/backend/store/storetest"
)

// Nodes starting at once against a new database migrate it once between them, and all of them
// start.
func TestNodesStartingTogetherMigrateOnce(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, open opener) {
		const nodes = 5
		stores := make([]*Store, nodes)
		errs := make([]error, nodes)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range nodes {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = open()
			})
		}
		close(start)
		wg.Wait()
		ran := 0
		for i, s := range stores {
			if errs[i] != nil {
				t.Fatalf("node %d did not start: %v", i, errs[i])
			}
			t.Cleanup(func() { s.Close() })
			ran += s.migrated
		}
		if ran != SchemaVersion() {
			t.Fatalf("the nodes ran %d migrations between them, want each of the %d once", ran, SchemaVersion())
		}
		var rows, version int
		if err := stores[0].read.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
			t.Fatal(err)
		}
		if rows != 1 || version != SchemaVersion() {
			t.Fatalf("schema_version has %d rows, version %d; want 1 row at %d", rows, version, SchemaVersion())
		}
		for i, s := range stores {
			createAgent(t, s, fmt.Sprint("agent", i)) // every node writes
		}
	})
}

// openNodes opens n stores on one fresh PostgreSQL database.
func openNodes(t *testing.T, n int) []*Store {
	return openNodesWith(t, n, postgresCommitters)
}

// openNodesWith opens n nodes with the given number of committers each.
func openNodesWith(t *testing.T, n, committers int) []*Store {
	t.Helper()
	dsn := storetest.Postgres(t)
	var out []*Store
	for range n {
		s, err := openPostgres(context.Background(), dsn, committers)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// The case a plain sequence gets wrong: a transaction takes its event's number, then stays
// open while another node appends and commits. A reader between the two commits must not move
// past the first one's number, or it never sees that event. Here the second node's append waits
// for the first commit (while writes without events commit freely), and the reader gets both,
// in order.
func TestEventLogHasNoHoleWhileATransactionIsOpen(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 3)
	first, second, other := nodes[0], nodes[1], nodes[2]
	inTx(t, first, func(tx *Tx) error { return tx.Append("before", 0, Everyone, nil) })
	_, seen, err := other.EventBounds(ctx)
	if err != nil {
		t.Fatal(err)
	}

	held, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	letGo := func() { released.Do(func() { close(release) }) }
	t.Cleanup(letGo)
	first.beforeCommit = func() { once.Do(func() { close(held); <-release }) }
	firstDone := make(chan error, 1)
	go func() {
		_, err := first.Tx(ctx, func(tx *Tx) error { return tx.Append("late", 0, Everyone, nil) })
		firstDone <- err
	}()
	<-held // its event is numbered and written; its commit waits

	secondDone := make(chan error, 1)
	go func() {
		_, err := second.Tx(ctx, func(tx *Tx) error { return tx.Append("early", 0, Everyone, nil) })
		secondDone <- err
	}()
	// Writes that append nothing are not held up: another node creates a user meanwhile.
	createAgent(t, other, "meanwhile")

	// Either the second append commits now (then the log must still not hide the first), or it
	// waits for a lock. Wait until one or the other is so.
	deadline := time.Now().Add(10 * time.Second)
	for waiting := false; !waiting; {
		select {
		case err := <-secondDone:
			secondDone <- err
			waiting = true
		default:
			var n int
			if err := other.read.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			waiting = n > 0
		}
		if time.Now().After(deadline) {
			t.Fatal("the second node's append neither committed nor waited")
		}
	}

	var got []LogEvent
	read := func() {
		t.Helper()
		batch, err := other.ReadLog(ctx, seen, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range batch {
			if e.Seq <= seen {
				t.Fatalf("event %d (%s) after %d: a client that has seen %d got a lower number", e.Seq, e.Type, seen, seen)
			}
			seen = e.Seq
			got = append(got, e)
		}
	}
	read() // both transactions are open or one is waiting: a reader moves past nothing
	letGo()
	for _, done := range []chan error{firstDone, secondDone} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	read()
	var types []string
	for _, e := range got {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{"late", "early"}) {
		t.Fatalf("the reader got %v; want the event that committed first, then the other, nothing missed", types)
	}
	// The replay path (a client resuming with its cursor) reads the same order.
	replay, err := other.EventsAfter(ctx, got[0].Seq-1, 0, 0, true, 100, 0)
	if err != nil || len(replay) != 2 || replay[0].Type != "late" || replay[1].Type != "early" {
		t.Fatalf("replay = %v, %v", replay, err)
	}
}

// Many writers on several nodes, and a reader tailing the log all along: it gets every
// committed event exactly once, in increasing order, and the numbers have no gaps.
func TestEventLogUnderConcurrentWriters(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		var nodes []*Store
		for range 3 {
			s, err := open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			nodes = append(nodes, s)
		}
		const writers, perWriter = 12, 40
		stop := make(chan struct{})
		var readerErr error
		var seen []int64
		got := map[string]int{}
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			var after int64
			for {
				// Stopped before this read began: an empty read is then the end of the log.
				stopped := false
				select {
				case <-stop:
					stopped = true
				default:
				}
				batch, err := nodes[0].ReadLog(ctx, after, 50)
				if err != nil {
					readerErr = err
					return
				}
				for _, e := range batch {
					if e.Seq <= after {
						readerErr = fmt.Errorf("event %d after %d", e.Seq, after)
						return
					}
					after = e.Seq
					seen = append(seen, e.Seq)
					got[string(e.Data)]++
				}
				if len(batch) == 0 && stopped {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		var mu sync.Mutex
		committed := map[string]bool{}
		for w := range writers {
			node := nodes[w%len(nodes)]
			wg.Go(func() {
				for i := range perWriter {
					k := 1 + rand.IntN(3) // several events in one request, sometimes
					var keys []string
					for j := range k {
						keys = append(keys, fmt.Sprintf(`"%d.%d.%d"`, w, i, j))
					}
					fail := rand.IntN(5) == 0 // and some requests roll back
					_, err := node.Tx(ctx, func(tx *Tx) error {
						for _, key := range keys {
							if err := tx.Append("tick", 0, Everyone, rawJSON(key)); err != nil {
								return err
							}
						}
						if fail {
							return fmt.Errorf("rolled back")
						}
						return nil
					})
					if (err != nil) != fail {
						t.Errorf("Tx: %v", err)
						return
					}
					if !fail {
						mu.Lock()
						for _, key := range keys {
							committed[key] = true
						}
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		close(stop) // everything is committed: the reader stops once it has caught up
		<-readerDone
		if readerErr != nil {
			t.Fatal(readerErr)
		}
		if len(got) != len(committed) {
			t.Fatalf("the reader got %d distinct events, %d were committed", len(got), len(committed))
		}
		for key := range committed {
			if got[key] != 1 {
				t.Fatalf("event %s reached the reader %d times, want once", key, got[key])
			}
		}
		for i, seq := range seen {
			if seq != seen[0]+int64(i) {
				t.Fatalf("sequence has a gap: %d after %d", seq, seen[i-1])
			}
		}
	})
}

// rawJSON is a pre-encoded JSON value for Append.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// A request that meets a row another node holds, while it shares its transaction with requests
// before it, gives way: those commit and are answered at once, and it runs again at the head of
// the next transaction, where it waits its turn and succeeds.
func TestLockWaitInAGroupCommitsTheOthersFirst(t *testing.T) {
	ctx := context.Background()
	nodes := openNodesWith(t, 2, 1) // one committer each: the test is about one group
	a, b := nodes[0], nodes[1]
	ali := createAgent(t, a, "ali")

	// Node a holds ali's row, its commit held open (until the test lets go, or ends).
	held, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	letGo := func() { released.Do(func() { close(release) }) }
	t.Cleanup(letGo)
	a.beforeCommit = func() { once.Do(func() { close(held); <-release }) }
	aDone := make(chan error, 1)
	go func() {
		_, err := a.Tx(ctx, func(tx *Tx) error { return tx.LockUser(ali) })
		aDone <- err
	}()
	<-held

	// Node b: its committer busy, two requests queue and then share one transaction.
	busy, free := make(chan struct{}), make(chan struct{})
	go b.Tx(ctx, func(tx *Tx) error { close(busy); <-free; return nil })
	<-busy
	first, second := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := b.Tx(ctx, func(tx *Tx) error { _, err := tx.CreateUser("can", "Can", "hash", "agent", nil, nil); return err })
		first <- err
	}()
	waitFor(t, func() bool { return len(b.writes) == 1 })
	go func() {
		_, err := b.Tx(ctx, func(tx *Tx) error {
			_, err := tx.exec(`UPDATE users SET display_name = 'Ali Veli' WHERE id = ?`, ali)
			return err
		})
		second <- err
	}()
	waitFor(t, func() bool { return len(b.writes) == 2 })
	close(free)

	select { // answered while node a still holds the row
	case err := <-first:
		if err != nil {
			t.Fatalf("the request before the one that waits: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request before the one that waits was held up with it")
	}
	letGo()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the request that waited: %v, want it run again and committed", err)
	}
	if u, err := b.User(ctx, ali); err != nil || u.DisplayName != "Ali Veli" {
		t.Fatalf("after the wait: %+v %v", u, err)
	}
}

// Two nodes' requests lock two rows in opposite orders: PostgreSQL breaks the deadlock by
// failing one, which runs again and succeeds — neither caller sees an error.
func TestDeadlockVictimRunsAgain(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 2)
	ali, can := createAgent(t, nodes[0], "ali"), createAgent(t, nodes[0], "can")
	var bothHold sync.WaitGroup
	bothHold.Add(2)
	cross := func(s *Store, first, second int64, name string) error {
		var once sync.Once
		_, err := s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.exec(`UPDATE users SET display_name = ? WHERE id = ?`, name, first); err != nil {
				return err
			}
			once.Do(func() { bothHold.Done(); bothHold.Wait() }) // the first time only
			_, err := tx.exec(`UPDATE users SET display_name = ? WHERE id = ?`, name, second)
			return err
		})
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- cross(nodes[0], ali, can, "first") }()
	go func() { errs <- cross(nodes[1], can, ali, "second") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlock reached the caller: %v", err)
		}
	}
	a, _ := nodes[0].User(ctx, ali)
	c, _ := nodes[0].User(ctx, can)
	if a.DisplayName != c.DisplayName {
		t.Fatalf("one request's two updates should win together: %q and %q", a.DisplayName, c.DisplayName)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
