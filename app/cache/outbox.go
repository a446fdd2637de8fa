package cache

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

// OutboxState is where a reply written in the app is.
type OutboxState string

// Outbox states.
const (
	OutboxQueued OutboxState = "queued" // not yet answered by the server
	OutboxSent   OutboxState = "sent"   // stored by the server
	OutboxFailed OutboxState = "failed" // refused by the server, with its reason
)

// OutboxEntry is a reply written in the app.
type OutboxEntry struct {
	Key            string
	ConversationID int64
	Body           string
	State          OutboxState
	Error          *wire.Error
	CreatedAt      int64
	MessageID      int64
	Attachments    []wire.Attachment // files already uploaded to the server, sent with the reply
}

// Enqueue stores a reply to send; durable before the UI shows it as queued.
func (c *Cache) Enqueue(e OutboxEntry) error {
	atts := e.Attachments
	if atts == nil {
		atts = []wire.Attachment{}
	}
	b, err := json.Marshal(atts)
	if err != nil {
		return err
	}
	_, err = c.db.Exec(`INSERT INTO outbox (key, conversation_id, body, state, created_at, attachments) VALUES (?, ?, ?, 'queued', ?, ?)`,
		e.Key, e.ConversationID, e.Body, e.CreatedAt, string(b))
	return err
}

func scanOutbox(rows *sql.Rows) ([]OutboxEntry, error) {
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var errText, atts string
		if err := rows.Scan(&e.Key, &e.ConversationID, &e.Body, &e.State, &errText, &e.CreatedAt, &e.MessageID, &atts); err != nil {
			return nil, err
		}
		if atts != "" && atts != "[]" {
			if err := json.Unmarshal([]byte(atts), &e.Attachments); err != nil {
				return nil, fmt.Errorf("cache: unreadable attachments of outbox entry %s: %w", e.Key, err)
			}
		}
		if errText != "" {
			e.Error = &wire.Error{}
			json.Unmarshal([]byte(errText), e.Error)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const outboxColumns = `key, conversation_id, body, state, error, created_at, message_id, attachments`

// Queued lists the replies waiting to be sent, oldest first.
func (c *Cache) Queued() ([]OutboxEntry, error) {
	rows, err := c.db.Query(`SELECT ` + outboxColumns + ` FROM outbox WHERE state = 'queued' ORDER BY created_at, key`)
	if err != nil {
		return nil, err
	}
	return scanOutbox(rows)
}

// Unsent lists a conversation's replies the server has not stored yet (queued or failed).
// Sent ones show as the server's messages.
func (c *Cache) Unsent(convID int64) ([]OutboxEntry, error) {
	rows, err := c.db.Query(`SELECT `+outboxColumns+` FROM outbox WHERE conversation_id = ? AND state <> 'sent' ORDER BY created_at, key`, convID)
	if err != nil {
		return nil, err
	}
	return scanOutbox(rows)
}

// Entry reads one outbox entry.
func (c *Cache) Entry(key string) (OutboxEntry, bool, error) {
	rows, err := c.db.Query(`SELECT `+outboxColumns+` FROM outbox WHERE key = ?`, key)
	if err != nil {
		return OutboxEntry{}, false, err
	}
	list, err := scanOutbox(rows)
	if err != nil || len(list) == 0 {
		return OutboxEntry{}, false, err
	}
	return list[0], true, nil
}

// MarkSent records that the server stored the reply as message id, and caches the message.
func (c *Cache) MarkSent(key string, m wire.Message) error {
	return c.tx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE outbox SET state = 'sent', error = '', message_id = ? WHERE key = ?`, m.ID, key); err != nil {
			return err
		}
		return putMessage(tx, m)
	})
}

// MarkFailed records the server's refusal; the reply is not retried until the user asks.
func (c *Cache) MarkFailed(key string, e *wire.Error) error {
	b, _ := json.Marshal(e)
	_, err := c.db.Exec(`UPDATE outbox SET state = 'failed', error = ? WHERE key = ? AND state = 'queued'`, string(b), key)
	return err
}

// Retry puts a failed reply back in the queue.
func (c *Cache) Retry(key string) error {
	_, err := c.db.Exec(`UPDATE outbox SET state = 'queued', error = '' WHERE key = ? AND state = 'failed'`, key)
	return err
}

// Discard drops a reply that was not sent.
func (c *Cache) Discard(key string) error {
	_, err := c.db.Exec(`DELETE FROM outbox WHERE key = ? AND state <> 'sent'`, key)
	return err
}
