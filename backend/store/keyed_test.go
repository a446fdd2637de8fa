package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// One customer's messages on a node with four committers: requests with the same key go to
// one committer, so they never land in two transactions that wait for each other's row locks —
// no request runs twice (a lock conflict runs one again) and every write counts.
func TestRequestsAboutOneThingShareACommitter(t *testing.T) {
	ctx := context.Background()
	s := openNodesWith(t, 1, 4)[0]
	if _, err := s.write.Exec(`CREATE TABLE keyed_counts (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const keys, each = 3, 200
	for k := range keys {
		if _, err := s.write.Exec(`INSERT INTO keyed_counts VALUES ($1, 0)`, fmt.Sprint("905300000", k)); err != nil {
			t.Fatal(err)
		}
	}
	var runs atomic.Int64
	var wg sync.WaitGroup
	for i := range keys * each {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("905300000", i%keys)
			if _, err := s.TxFor(ctx, key, func(tx *Tx) error {
				runs.Add(1)
				_, err := tx.exec(`UPDATE keyed_counts SET n = n + 1 WHERE k = ?`, key)
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := runs.Load(); got != keys*each {
		t.Errorf("%d requests ran %d times: some met another committer's lock on their row", keys*each, got)
	}
	rows, err := s.read.Query(`SELECT k, n FROM keyed_counts ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		if n != each {
			t.Errorf("%s counted %d, want %d", k, n, each)
		}
	}
}
