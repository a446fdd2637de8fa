package store

// What customers send, as it arrived: the customer's own time on each message, and the record of
// what a verified delivery carried that could not be stored as a message.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"santral/backend/wire"
)

// A message keeps the time its sender sent it (the provider's timestamp for a customer's) beside
// created_at, its arrival: a redelivery days late is shown with the customer's time, ordered by
// arrival, and opens no window.
func migrateCustomerTime(tx *sql.Tx, d dialect) error {
	for _, q := range []string{
		`ALTER TABLE messages ADD COLUMN sent_at BIGINT NOT NULL DEFAULT 0`,
		`UPDATE messages SET sent_at = created_at`,
	} {
		if _, err := tx.Exec(d.rebind(q)); err != nil {
			return err
		}
	}
	return nil
}

// A malformed message (or one a rule refused) in a verified delivery is recorded, not dropped:
// the delivery is still answered 200 for the others. The same payload twice is one record.
func migrateInboundRejects(tx *sql.Tx, d dialect) error {
	for _, q := range []string{
		`CREATE TABLE inbound_rejects (
			id           INTEGER PRIMARY KEY,
			channel_id   INTEGER NOT NULL REFERENCES channels(id),
			external_id  TEXT NOT NULL DEFAULT '',
			sender_id    TEXT NOT NULL DEFAULT '',
			reason       TEXT NOT NULL,
			payload      TEXT NOT NULL,
			payload_hash TEXT NOT NULL,
			received_at  BIGINT NOT NULL,
			UNIQUE (channel_id, payload_hash)
		)`,
		`CREATE INDEX inbound_rejects_channel ON inbound_rejects(channel_id, id)`,
	} {
		if _, err := tx.Exec(d.rebind(q)); err != nil {
			return err
		}
	}
	return nil
}

// MaxRejectPayload bounds the provider JSON kept with a rejected message.
const MaxRejectPayload = 16 << 10

// Rejected is a message of a verified delivery that could not be stored as a message.
type Rejected struct {
	ExternalID, SenderID string
	Reason               string
	Payload              []byte // the provider's JSON of that message
}

// RecordRejected stores a rejected message once per channel and payload.
func (t *Tx) RecordRejected(channelID int64, r Rejected) error {
	sum := sha256.Sum256(r.Payload)
	payload := r.Payload
	if len(payload) > MaxRejectPayload {
		payload = payload[:MaxRejectPayload]
	}
	_, err := t.exec(`INSERT INTO inbound_rejects (channel_id, external_id, sender_id, reason, payload, payload_hash, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, payload_hash) DO NOTHING`,
		channelID, clip(r.ExternalID, 512), clip(r.SenderID, 512), clip(r.Reason, 1000), string(payload), hex.EncodeToString(sum[:]), t.Now)
	if err != nil {
		return fmt.Errorf("store: unable to record a rejected message: %w", err)
	}
	return nil
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// RejectedMessages lists a channel's rejected messages, newest first.
func (s *Store) RejectedMessages(ctx context.Context, channelID int64, limit int) ([]wire.RejectedMessage, error) {
	rows, err := s.readRows(ctx, `SELECT id, channel_id, external_id, sender_id, reason, payload, received_at FROM inbound_rejects
		WHERE channel_id = ? ORDER BY id DESC LIMIT ?`, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read rejected messages: %w", err)
	}
	defer rows.Close()
	out := []wire.RejectedMessage{}
	for rows.Next() {
		var r wire.RejectedMessage
		if err := rows.Scan(&r.ID, &r.ChannelID, &r.ExternalID, &r.SenderID, &r.Reason, &r.Payload, &r.ReceivedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TouchInbound updates a conversation after a customer's message sent at sentAt: the preview and
// last activity follow the arrival, the window's start (last_inbound_at) only moves forward.
func (t *Tx) TouchInbound(convID, sentAt int64, preview string) error {
	if len([]rune(preview)) > 140 {
		preview = string([]rune(preview)[:140])
	}
	_, err := t.exec(`UPDATE conversations SET last_message_at = ?, last_message_preview = ?,
		last_inbound_at = CASE WHEN last_inbound_at < ? THEN ? ELSE last_inbound_at END
		WHERE id = ?`, t.Now, preview, sentAt, sentAt, convID)
	if err != nil {
		return fmt.Errorf("store: unable to update conversation: %w", err)
	}
	return nil
}
