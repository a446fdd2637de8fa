package store

// Telegram shows a progress indicator on a pressed inline button until the bot answers the
// press (answerCallbackQuery). The answer is a stored job written with the press's message, so
// it is sent even when the node that took the webhook stops at once; answering twice is
// harmless, so a job whose worker stopped is simply tried again.

import (
	"context"
	"fmt"
)

// CallbackAnswer is a button press to acknowledge.
type CallbackAnswer struct {
	ID         int64
	ChannelID  int64
	CallbackID string
	Attempts   int
}

// EnqueueCallbackAnswer stores the job of answering a press (once per press).
func (t *Tx) EnqueueCallbackAnswer(channelID int64, callbackID string) error {
	_, err := t.exec(`INSERT INTO callback_answers (channel_id, callback_id, state, next_try_at, created_at) VALUES (?, ?, 'pending', ?, ?)
		ON CONFLICT (channel_id, callback_id) DO NOTHING`, channelID, callbackID, t.Now, t.Now)
	if err != nil {
		return fmt.Errorf("store: unable to store a callback answer: %w", err)
	}
	return nil
}

// CallbackAnswersDue reports whether a press waits for its answer.
func (s *Store) CallbackAnswersDue(ctx context.Context, now int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM callback_answers WHERE state = 'pending' AND next_try_at <= ?`, now)
}

// ClaimCallbackAnswers takes up to limit due presses for this worker until retryAt (when
// another may try them if this one never records an outcome).
func (t *Tx) ClaimCallbackAnswers(limit int, retryAt int64) ([]CallbackAnswer, error) {
	rows, err := t.query(`SELECT id, channel_id, callback_id, attempts FROM callback_answers
		WHERE state = 'pending' AND next_try_at <= ? ORDER BY next_try_at, id LIMIT ?`+t.s.dialect.skipLocked, t.Now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read callback answers: %w", err)
	}
	var due []CallbackAnswer
	for rows.Next() {
		var c CallbackAnswer
		if err := rows.Scan(&c.ID, &c.ChannelID, &c.CallbackID, &c.Attempts); err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, c)
	}
	rows.Close()
	var out []CallbackAnswer
	for _, c := range due {
		ok, err := t.execOne(`UPDATE callback_answers SET attempts = attempts + 1, next_try_at = ? WHERE id = ? AND state = 'pending' AND next_try_at <= ?`,
			retryAt, c.ID, t.Now)
		if err != nil {
			return nil, err
		}
		if ok {
			c.Attempts++
			out = append(out, c)
		}
	}
	return out, nil
}

// FinishCallbackAnswer records a press's outcome: answered, failed for good, or (retryAt > 0)
// to be tried again then.
func (t *Tx) FinishCallbackAnswer(id int64, failed bool, retryAt int64) error {
	state := "done"
	switch {
	case retryAt > 0:
		state = "pending"
	case failed:
		state = "failed"
	}
	_, err := t.exec(`UPDATE callback_answers SET state = ?, next_try_at = ? WHERE id = ?`, state, retryAt, id)
	return err
}
