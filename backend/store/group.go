package store

// Group commit. Every write goes through one committer: requests that arrive while a commit is
// in progress (webhooks, sandbox and website-chat messages, agents' replies, statuses, rule
// decisions) are run together in one transaction, each in its own savepoint — a request that
// fails rolls back only itself — and all of them are answered only after the shared commit,
// so "durable before acknowledged" holds with one fsync for the whole group. At concurrency 1
// a request runs alone, as before.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// maxGroup bounds how many requests share one transaction (and so one fsync).
const maxGroup = 256

// ErrClosed is the answer to a write after Close.
var ErrClosed = errors.New("store: closed")

type txRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan txResult
}

type txResult struct {
	appended bool
	err      error
}

// Tx runs fn in a write transaction and answers after the commit. It reports whether the
// transaction appended events, so the caller can wake the stream. fn may share the
// transaction with other requests; it sees their writes (they ran before it) and they see
// its writes, exactly as if each had committed in turn.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) (appended bool, err error) {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case s.writes <- req:
	case <-s.quit:
		return false, ErrClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the request may be committing.
	r := <-req.done
	return r.appended, r.err
}

func (s *Store) startCommitter() {
	s.committed = make(chan struct{})
	go func() {
		defer close(s.committed)
		for {
			var first *txRequest
			select {
			case first = <-s.writes:
			case <-s.quit:
				s.refuseQueued()
				return
			}
			group := []*txRequest{first}
		gather:
			for len(group) < maxGroup {
				select {
				case r := <-s.writes:
					group = append(group, r)
				default:
					break gather
				}
			}
			s.commitGroup(group)
		}
	}()
}

func (s *Store) refuseQueued() {
	for {
		select {
		case r := <-s.writes:
			r.done <- txResult{err: ErrClosed}
		default:
			return
		}
	}
}

// commitGroup runs the requests in one transaction and answers each.
func (s *Store) commitGroup(group []*txRequest) {
	results := make([]txResult, len(group))
	fail := func(err error) {
		for _, r := range group {
			r.done <- txResult{err: err}
		}
	}
	sqlTx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("store: unable to begin transaction: %w", err))
		return
	}
	// Set events of the requests that succeeded, merged, in the order first added.
	sets := map[setKey][]int64{}
	var setOrder []setKey
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = txResult{err: err} // gave up before it started: nothing happens
			continue
		}
		if _, err := sqlTx.Exec(`SAVEPOINT request`); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("store: unable to start a savepoint: %w", err))
			return
		}
		t := &Tx{s: s, tx: sqlTx, Now: Now()}
		err := run(t, r.fn)
		if err == nil {
			err = t.flushEvents()
		}
		if err != nil {
			if _, rbErr := sqlTx.Exec(`ROLLBACK TO SAVEPOINT request`); rbErr != nil {
				sqlTx.Rollback()
				fail(fmt.Errorf("store: unable to roll back a failed request: %w", rbErr))
				return
			}
			results[i] = txResult{err: err}
		} else {
			results[i] = txResult{appended: t.written > 0 || len(t.sets) > 0}
			for k, ids := range t.sets {
				if _, ok := sets[k]; !ok {
					setOrder = append(setOrder, k)
				}
				sets[k] = append(sets[k], ids...)
			}
		}
		if _, err := sqlTx.Exec(`RELEASE SAVEPOINT request`); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("store: unable to release a savepoint: %w", err))
			return
		}
	}
	if len(setOrder) > 0 {
		t := &Tx{s: s, tx: sqlTx, Now: Now()}
		if err := t.flushSets(sets, setOrder); err != nil {
			sqlTx.Rollback()
			fail(err)
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		// Nothing of the group is durable: every request that had succeeded fails now.
		for i := range results {
			if results[i].err == nil {
				results[i] = txResult{err: fmt.Errorf("store: unable to commit: %w", err)}
			}
		}
	}
	for i, r := range group {
		r.done <- results[i]
	}
}

// run calls fn, turning a panic into an error so one request cannot take the group down.
func run(t *Tx, fn func(*Tx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: panic in a write request: %v\n%s", v, debug.Stack())
		}
	}()
	return fn(t)
}
