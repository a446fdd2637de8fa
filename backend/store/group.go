package store

// Group commit. Every write goes through one committer: requests that arrive while a commit is
// in progress (webhooks, sandbox and website-chat messages, agents' replies, statuses, rule
// decisions) are run together in one transaction, each in its own savepoint — a request that
// fails rolls back only itself — and all of them are answered only after the shared commit,
// so "durable before acknowledged" holds with one fsync for the whole group. At concurrency 1
// a request runs alone, as before.
//
// With several nodes on PostgreSQL, a request may meet rows another node's transaction holds.
// The first request of a transaction waits for them like any transaction (it holds nothing of
// the others', so the lock order of lock.go keeps it out of deadlocks); a later request waits
// at most groupLockWait, because the locks the requests before it took are held for it — two
// nodes' groups could otherwise wait for each other. A request that times out, or that
// PostgreSQL chose as a deadlock's victim, is rolled back to its savepoint; the requests before
// it commit, and it runs again at the head of the next transaction (at most maxAttempts times).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime/debug"
	"sync"
	"time"
)

// maxGroup bounds how many requests share one transaction (and so one fsync).
const maxGroup = 256

// groupLockWait bounds how long a request that is not the first of its transaction waits for a
// row lock before it gives way (PostgreSQL).
const groupLockWait = 50 * time.Millisecond

// maxAttempts bounds how often a request runs when PostgreSQL reports a lock conflict
// (deadlock, serialization failure, lock wait given up).
const maxAttempts = 10

// ErrClosed is the answer to a write after Close.
var ErrClosed = errors.New("store: closed")

// errRetry marks a failure a request can meet only by racing another node's commit (a second
// open conversation for a contact, say): run again, the request sees that commit.
var errRetry = errors.New("store: conflict with a concurrent transaction")

type txRequest struct {
	ctx      context.Context
	fn       func(*Tx) error
	done     chan txResult
	attempts int
}

type txResult struct {
	appended bool
	err      error
	onCommit []func() // the request's Tx.OnCommit hooks, run by its caller after the commit
}

// Tx runs fn in a write transaction and answers after the commit. It reports whether the
// transaction appended events, so the caller can wake the stream. fn may share the
// transaction with other requests; it sees their writes (they ran before it) and they see
// its writes, exactly as if each had committed in turn. fn may run more than once (a lock
// conflict with another node): it must set, not accumulate, what it reports.
func (s *Store) Tx(ctx context.Context, fn func(*Tx) error) (appended bool, err error) {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case s.writes <- req:
	case <-s.quit:
		return false, ErrClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return s.await(req)
}

// await waits for a queued request's outcome and runs its commit hooks.
func (s *Store) await(req *txRequest) (appended bool, err error) {
	// Once queued, wait for the outcome even if ctx ends: the request may be committing.
	r := <-req.done
	if r.err == nil {
		for _, fn := range r.onCommit {
			fn()
		}
	}
	return r.appended, r.err
}

// TxFor is Tx for a request about one thing — a customer of a channel, say — named by key.
// With several committers (PostgreSQL) requests with the same key go to the same committer, so
// a burst of one customer's messages shares that committer's transactions, where their writes
// to the same rows follow each other in savepoints, instead of landing in two transactions at
// once, the later waiting for the earlier's row locks until it commits (or giving way and
// running again). With one committer it is Tx.
func (s *Store) TxFor(ctx context.Context, key string, fn func(*Tx) error) (appended bool, err error) {
	if len(s.keyed) == 0 {
		return s.Tx(ctx, fn)
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case s.keyed[h.Sum32()%uint32(len(s.keyed))] <- req:
	case <-s.quit:
		return false, ErrClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return s.await(req)
}

func (s *Store) startCommitter() {
	s.committed = make(chan struct{})
	var running sync.WaitGroup
	n := max(s.dialect.committers, 1)
	if n > 1 {
		for range n {
			s.keyed = append(s.keyed, make(chan *txRequest, 1024))
		}
	}
	for i := range n {
		var own chan *txRequest // nil (never ready) with one committer
		if n > 1 {
			own = s.keyed[i]
		}
		running.Add(1)
		go func() {
			defer running.Done()
			s.commitLoop(own)
		}()
	}
	go func() {
		running.Wait()
		close(s.committed)
	}()
}

// commitLoop is one committer: it takes the first waiting request — from every committer's
// queue or from its own (own; TxFor) — gathers whatever else is waiting in both, and commits
// them together, until the store closes.
func (s *Store) commitLoop(own chan *txRequest) {
	for {
		var first *txRequest
		select {
		case first = <-s.writes:
		case first = <-own:
		case <-s.quit:
			s.refuseQueued(own)
			return
		}
		group := []*txRequest{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-own:
				group = append(group, r)
			case r := <-s.writes:
				group = append(group, r)
			default:
				break gather
			}
		}
		for len(group) > 0 {
			group = s.commitGroup(group)
		}
	}
}

func (s *Store) refuseQueued(own chan *txRequest) {
	for {
		select {
		case r := <-s.writes:
			r.done <- txResult{err: ErrClosed}
		case r := <-own:
			r.done <- txResult{err: ErrClosed}
		default:
			return
		}
	}
}

// retryable reports whether a request that failed with err may succeed run again: PostgreSQL
// gave up a lock wait or chose it to break a deadlock, or it met another node's concurrent commit.
func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	switch pgCode(err) {
	case pgSerializationFailure, pgDeadlockDetected, pgLockNotAvailable:
		return true
	}
	return false
}

// commitGroup runs requests from the head of group in one transaction and answers each. It
// returns the requests it left for the next transaction: from a request that met a lock
// conflict while earlier requests' locks were held.
func (s *Store) commitGroup(group []*txRequest) (rest []*txRequest) {
	results := make([]txResult, 0, len(group))
	fail := func(reqs []*txRequest, err error) {
		for _, r := range reqs {
			r.done <- txResult{err: err}
		}
	}
	sqlTx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		fail(group, fmt.Errorf("store: unable to begin transaction: %w", err))
		return nil
	}
	exec := func(q string) error {
		_, err := sqlTx.Exec(q)
		return err
	}
	var events []*PendingEvent
	// Set events of the requests that succeeded, merged, in the order first added.
	sets := map[setKey][]int64{}
	var setOrder []setKey
	var index []indexEntry
	held := false       // a request's changes (and locks) are in the transaction
	assignable := false // a request that succeeded changed what automatic assignment depends on
	var succeeded []*Tx
	bounded := false // lock waits are bounded (dialect.lockTimeout)
	ran := 0
requests:
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results = append(results, txResult{err: err}) // gave up before it started: nothing happens
			ran++
			continue
		}
		if held && !bounded && s.dialect.lockTimeout != "" {
			if err := exec(s.dialect.lockTimeout); err != nil {
				sqlTx.Rollback()
				fail(group, fmt.Errorf("store: unable to bound lock waits: %w", err))
				return nil
			}
			bounded = true
		}
		for {
			if err := exec(`SAVEPOINT request`); err != nil {
				sqlTx.Rollback()
				fail(group, fmt.Errorf("store: unable to start a savepoint: %w", err))
				return nil
			}
			r.attempts++
			t := &Tx{s: s, tx: sqlTx, Now: Now()}
			err := run(t, r.fn)
			if t.conflict != nil {
				// Whatever the request made of it (a lock wait given up may read as "not found"
				// to a rule), it failed on the conflict: PostgreSQL refuses every statement after
				// one that failed, until the rollback to the savepoint.
				err = t.conflict
			}
			if err != nil {
				if rbErr := exec(`ROLLBACK TO SAVEPOINT request`); rbErr != nil {
					sqlTx.Rollback()
					fail(group, fmt.Errorf("store: unable to roll back a failed request: %w", rbErr))
					return nil
				}
				if retryable(err) && r.attempts < maxAttempts {
					if held {
						// Others' locks are held for it: commit them, then run it first.
						rest = group[i:]
						break requests
					}
					if err := exec(`RELEASE SAVEPOINT request`); err != nil {
						sqlTx.Rollback()
						fail(group, fmt.Errorf("store: unable to release a savepoint: %w", err))
						return nil
					}
					continue // it holds nothing now: run it again at once
				}
				results = append(results, txResult{err: err})
			} else {
				succeeded = append(succeeded, t)
				results = append(results, txResult{onCommit: t.onCommit})
				held = true
				assignable = assignable || t.assignable
			}
			if err := exec(`RELEASE SAVEPOINT request`); err != nil {
				sqlTx.Rollback()
				fail(group, fmt.Errorf("store: unable to release a savepoint: %w", err))
				return nil
			}
			ran++
			break
		}
	}
	done := group[:ran]
	var after *Tx
	if assignable && s.afterRequests != nil {
		// What the requests returned to the queue, and from whom: a conversation given out
		// again at once must still tell the agent it left (routing's assigned).
		requeued := map[int64]int64{}
		for _, t := range succeeded {
			for conv, from := range t.requeuedFrom {
				requeued[conv] = from
			}
		}
		// It is part of the last request's decision: the same clock (one decision, one time).
		now := succeeded[len(succeeded)-1].Now
		if after, err = s.runAfterRequests(sqlTx, requeued, now); err != nil {
			sqlTx.Rollback()
			fail(group, err)
			return nil
		}
	}
	// The events go to whoever may read their conversation at commit: their audiences are
	// resolved now, after every request and the assignment that followed them.
	appended := false
	for _, t := range append(succeeded, after) {
		if t == nil {
			continue
		}
		if err := t.resolveEvents(); err != nil {
			sqlTx.Rollback()
			fail(group, err)
			return nil
		}
		events = append(events, t.pending...)
		index = append(index, t.index...)
		for k, ids := range t.sets {
			if _, ok := sets[k]; !ok {
				setOrder = append(setOrder, k)
			}
			sets[k] = append(sets[k], ids...)
		}
		appended = appended || t.written > 0 || len(t.sets) > 0
	}
	for i := range results {
		if results[i].err == nil {
			results[i].appended = appended // the callers wake the stream: once is enough
		}
	}
	if after != nil {
		for i := range results {
			if results[i].err == nil {
				results[i].onCommit = append(results[i].onCommit, after.onCommit...)
				break
			}
		}
	}
	if len(index) > 0 {
		if err := s.indexMessages(sqlTx, index); err != nil {
			sqlTx.Rollback()
			fail(group, err)
			return nil
		}
	}
	if len(setOrder) > 0 {
		more, err := setEvents(sets, setOrder, Now())
		if err != nil {
			sqlTx.Rollback()
			fail(group, err)
			return nil
		}
		events = append(events, more...)
	}
	if len(events) > 0 {
		if bounded {
			if err := exec(s.dialect.noTimeout); err != nil {
				sqlTx.Rollback()
				fail(group, fmt.Errorf("store: unable to lift the lock wait bound: %w", err))
				return nil
			}
		}
		if err := s.writeEvents(sqlTx, events); err != nil {
			sqlTx.Rollback()
			// Nothing of the group is durable: every request that had succeeded fails now.
			for i := range results {
				if results[i].err == nil {
					results[i] = txResult{err: err}
				}
			}
			answer(done, results)
			return rest
		}
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil {
				results[i] = txResult{err: fmt.Errorf("store: unable to commit: %w", err)}
			}
		}
	} else {
		s.groupsCommitted.Add(1)
		s.requestsCommitted.Add(int64(len(done)))
	}
	answer(done, results)
	return rest
}

// CommitFigures are the transactions the committer has committed since Open and the write
// requests they carried (each answered after its group's one commit, whether its own savepoint
// succeeded or was rolled back).
func (s *Store) CommitFigures() (groups, requests int64) {
	return s.groupsCommitted.Load(), s.requestsCommitted.Load()
}

// runAfterRequests runs the store's afterRequests decision in a savepoint of the group's
// transaction. A failure rolls back only the decision — the requests commit, and the periodic
// sweep runs it again — after one more try when it met another node's locks. It returns the
// decision's Tx (nil when it was rolled back); an error only when the transaction is unusable.
func (s *Store) runAfterRequests(sqlTx *sql.Tx, requeued map[int64]int64, now int64) (*Tx, error) {
	for attempt := 1; ; attempt++ {
		if _, err := sqlTx.Exec(`SAVEPOINT after_requests`); err != nil {
			return nil, fmt.Errorf("store: unable to start a savepoint: %w", err)
		}
		t := &Tx{s: s, tx: sqlTx, Now: now, requeuedFrom: requeued}
		err := run(t, s.afterRequests)
		if t.conflict != nil {
			err = t.conflict
		}
		if err == nil {
			if _, err := sqlTx.Exec(`RELEASE SAVEPOINT after_requests`); err != nil {
				return nil, fmt.Errorf("store: unable to release a savepoint: %w", err)
			}
			return t, nil
		}
		if _, rbErr := sqlTx.Exec(`ROLLBACK TO SAVEPOINT after_requests`); rbErr != nil {
			return nil, fmt.Errorf("store: unable to roll back a failed decision: %w", rbErr)
		}
		if _, rbErr := sqlTx.Exec(`RELEASE SAVEPOINT after_requests`); rbErr != nil {
			return nil, fmt.Errorf("store: unable to release a savepoint: %w", rbErr)
		}
		if !retryable(err) || attempt == 2 {
			if s.afterRequestsFailed != nil {
				s.afterRequestsFailed(err)
			}
			return nil, nil
		}
	}
}

func answer(reqs []*txRequest, results []txResult) {
	for i, r := range reqs {
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
