package store

// Locking reads for the rule decisions. On SQLite every write transaction already excludes
// every other (one writer), so these are the plain reads. On PostgreSQL several nodes decide at
// once, and a decision that depends on state it does not itself update — an agent's presence
// and active count, the holder of a conversation, an offer still pending — locks that state
// first and reads it after the lock, in a new statement (READ COMMITTED takes a new snapshot
// per statement, and so sees whatever the transaction that held the lock committed).
//
// Lock order, the same in every decision so two of them cannot wait for each other:
//
//  1. users (the agents the decision is about, by id),
//  2. conversations (the one being decided),
//  3. transfer offers (by the conditional UPDATE that resolves one),
//  4. the event_seq row, last, just before the commit (events.go).
//
// Automatic assignment runs at the end of other decisions, after they took their locks, so it
// never waits: it skips the agents and queued conversations another transaction holds (a
// skipped agent is served by that transaction's own round, or by the sweep's; see
// AssignmentDue).

import "fmt"

// LockUser locks a user's row (presence, limits, active count) until commit; not_found when
// there is none.
func (t *Tx) LockUser(id int64) error {
	return t.lockRow(`SELECT id FROM users WHERE id = ?`, id, "user")
}

// LockConversation locks a conversation's row (state, holder) until commit; not_found when
// there is none.
func (t *Tx) LockConversation(id int64) error {
	return t.lockRow(`SELECT id FROM conversations WHERE id = ?`, id, "conversation")
}

func (t *Tx) lockRow(query string, id int64, what string) error {
	if t.s.dialect.lockRows == "" {
		return nil
	}
	var got int64
	err := t.queryRow(query+t.s.dialect.lockRows, id).Scan(&got)
	if err != nil {
		return wireNotFound(err, what)
	}
	return nil
}

// LockKey takes a lock on a number until commit (PostgreSQL; nothing on SQLite): decisions
// about something that has no row yet (the one channel of a kind) wait for each other.
func (t *Tx) LockKey(key int64) error {
	if t.s.dialect.lockKey == "" {
		return nil
	}
	if _, err := t.exec(t.s.dialect.lockKey, key); err != nil {
		return fmt.Errorf("store: unable to take lock %d: %w", key, err)
	}
	return nil
}
