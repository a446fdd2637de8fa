package store

// Send jobs: an agent's reply on a real channel is a stored job (ARCHITECTURE.md invariant 6).
// A worker claims a job with a lease and a fencing token (lease_token, new at every claim).
// Every outcome is a conditional update on the job still being 'sending' under that token, so a
// worker that lost its job — its lease ran out and the job was failed as abandoned — records
// nothing, however late its answer comes.

import (
	"context"
	"fmt"
)

// SendJob is a claimed (or abandoned) send.
type SendJob struct {
	ID        int64
	MessageID int64
	ChannelID int64
	Attempts  int
	Token     int64 // the fencing token of the claim
}

const sendJobColumns = `id, message_id, channel_id, attempts, lease_token`

func scanSendJob(row interface{ Scan(...any) error }) (SendJob, error) {
	var j SendJob
	err := row.Scan(&j.ID, &j.MessageID, &j.ChannelID, &j.Attempts, &j.Token)
	return j, err
}

// EnqueueSend stores the job that will send a message.
func (t *Tx) EnqueueSend(messageID, channelID int64) error {
	_, err := t.exec(`INSERT INTO send_jobs (message_id, channel_id, state, next_try_at, created_at) VALUES (?, ?, 'pending', ?, ?)`,
		messageID, channelID, t.Now, t.Now)
	if err != nil {
		return fmt.Errorf("store: unable to queue the send: %w", err)
	}
	return nil
}

// ClaimSends leases up to limit due jobs to this worker until leaseUntil, each under a new
// fencing token. A job another worker claimed first is skipped.
func (t *Tx) ClaimSends(limit int, leaseUntil int64) ([]SendJob, error) {
	ids, err := t.ids(`SELECT id FROM send_jobs WHERE state = 'pending' AND next_try_at <= ? ORDER BY next_try_at, id LIMIT ?`, t.Now, limit)
	if err != nil {
		return nil, err
	}
	var out []SendJob
	for _, id := range ids {
		ok, err := t.execOne(`UPDATE send_jobs SET state = 'sending', lease_until = ?, attempts = attempts + 1, lease_token = lease_token + 1
			WHERE id = ? AND state = 'pending'`, leaseUntil, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		j, err := scanSendJob(t.queryRow(`SELECT `+sendJobColumns+` FROM send_jobs WHERE id = ?`, id))
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// ExtendSend moves the lease of a claimed job to until (once the worker knows how long the
// send may take); false when the job is no longer this claim's.
func (t *Tx) ExtendSend(j SendJob, until int64) (bool, error) {
	return t.execOne(`UPDATE send_jobs SET lease_until = ? WHERE id = ? AND state = 'sending' AND lease_token = ?`, until, j.ID, j.Token)
}

// AbandonedSends lists jobs whose worker stopped in the middle of a send (the lease ran out).
// Whether the provider got the message is unknown, and most providers (WhatsApp among them)
// have no idempotency key: sending again could deliver it twice, so they are not retried.
func (t *Tx) AbandonedSends() ([]SendJob, error) {
	rows, err := t.query(`SELECT `+sendJobColumns+` FROM send_jobs WHERE state = 'sending' AND lease_until <= ?`, t.Now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SendJob
	for rows.Next() {
		j, err := scanSendJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// AbandonSend fails a job whose lease has run out, unless its worker recorded an outcome first.
func (t *Tx) AbandonSend(j SendJob, lastError string) (bool, error) {
	return t.execOne(`UPDATE send_jobs SET state = 'failed', last_error = ?, lease_until = 0
		WHERE id = ? AND state = 'sending' AND lease_token = ? AND lease_until <= ?`, lastError, j.ID, j.Token, t.Now)
}

// FinishSend closes a job (done or failed) for the claim that holds it; false when the job is
// no longer that claim's (it records nothing then).
func (t *Tx) FinishSend(j SendJob, failed bool, lastError string) (bool, error) {
	state := "done"
	if failed {
		state = "failed"
	}
	return t.execOne(`UPDATE send_jobs SET state = ?, last_error = ?, lease_until = 0
		WHERE id = ? AND state = 'sending' AND lease_token = ?`, state, lastError, j.ID, j.Token)
}

// RetrySend puts a job back for another try at nextTry, for the claim that holds it; false when
// the job is no longer that claim's.
func (t *Tx) RetrySend(j SendJob, nextTry int64, lastError string) (bool, error) {
	return t.execOne(`UPDATE send_jobs SET state = 'pending', next_try_at = ?, last_error = ?, lease_until = 0
		WHERE id = ? AND state = 'sending' AND lease_token = ?`, nextTry, lastError, j.ID, j.Token)
}

// SendsDue reports whether a send job is due.
func (s *Store) SendsDue(ctx context.Context, now int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM send_jobs WHERE state = 'pending' AND next_try_at <= ?`, now)
}

// SendsAbandoned reports whether a claimed send's lease has run out.
func (s *Store) SendsAbandoned(ctx context.Context, now int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM send_jobs WHERE state = 'sending' AND lease_until <= ?`, now)
}
