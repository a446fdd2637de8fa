package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

const messageColumns = `id, conversation_id, direction, author_id, body, attachments, status, status_reason,
	COALESCE(external_id, ''), COALESCE(idempotency_key, ''), created_at, template, sent_at, delivery_unknown, interactive, flow_id`

func scanMessage(row interface{ Scan(...any) error }) (wire.Message, error) {
	var m wire.Message
	var author sql.NullInt64
	var att, tpl, interactive string
	var unknown int
	var flow sql.NullInt64
	err := row.Scan(&m.ID, &m.ConversationID, &m.Direction, &author, &m.Body, &att, &m.Status, &m.StatusReason,
		&m.ExternalID, &m.IdempotencyKey, &m.CreatedAt, &tpl, &m.SentAt, &unknown, &interactive, &flow)
	if err != nil {
		return m, err
	}
	m.FlowID = nullInt(flow)
	if interactive != "" {
		m.Interactive = &wire.Interactive{}
		if err := json.Unmarshal([]byte(interactive), m.Interactive); err != nil {
			return m, fmt.Errorf("store: message %d has corrupt choices: %w", m.ID, err)
		}
	}
	if tpl != "" {
		m.Template = &wire.MessageTemplate{}
		if err := json.Unmarshal([]byte(tpl), m.Template); err != nil {
			return m, fmt.Errorf("store: message %d has a corrupt template: %w", m.ID, err)
		}
	}
	m.AuthorID = nullInt(author)
	m.DeliveryUnknown = unknown != 0
	if att != "" && att != "[]" {
		if err := json.Unmarshal([]byte(att), &m.Attachments); err != nil {
			return m, fmt.Errorf("store: message %d has corrupt attachments: %w", m.ID, err)
		}
	}
	return m, nil
}

// NewMessage is a message to store.
type NewMessage struct {
	ConversationID int64
	ChannelID      int64
	Direction      string
	AuthorID       int64 // 0 for the customer
	Body           string
	Attachments    []wire.Attachment
	Status         wire.MessageStatus
	ExternalID     string // the provider's id, unique per channel
	IdempotencyKey string // the sender's key, unique per author
	Template       *wire.MessageTemplate
	SentAt         int64 // when its sender sent it (unix ms); 0: now
	FlowID         int64 // the chatbot flow that sent it (0: none)
	Interactive    *wire.Interactive
}

// InsertMessage stores a message. It reports duplicate=true, with the stored message, when the
// provider's id or the author's idempotency key was already stored.
func (t *Tx) InsertMessage(m NewMessage) (wire.Message, bool, error) {
	att := "[]"
	if len(m.Attachments) > 0 {
		b, err := json.Marshal(m.Attachments)
		if err != nil {
			return wire.Message{}, false, err
		}
		att = string(b)
	}
	tpl := ""
	if m.Template != nil {
		b, _ := json.Marshal(m.Template)
		tpl = string(b)
	}
	interactive := ""
	if m.Interactive != nil {
		b, _ := json.Marshal(m.Interactive)
		interactive = string(b)
	}
	var author, ext, key, flow any
	if m.FlowID != 0 {
		flow = m.FlowID
	}
	if m.AuthorID != 0 {
		author = m.AuthorID
	}
	if m.ExternalID != "" {
		ext = m.ExternalID
	}
	if m.IdempotencyKey != "" {
		key = m.IdempotencyKey
	}
	sentAt := m.SentAt
	if sentAt == 0 {
		sentAt = t.Now
	}
	// ON CONFLICT DO NOTHING rather than catching the error: PostgreSQL aborts a transaction on a
	// failed statement, and the duplicate must be read in the same transaction.
	var id int64
	err := t.queryRow(`INSERT INTO messages (conversation_id, channel_id, direction, author_id, body, attachments, status,
		external_id, idempotency_key, created_at, template, sent_at, interactive, flow_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`,
		m.ConversationID, m.ChannelID, m.Direction, author, m.Body, att, m.Status, ext, key, t.Now, tpl, sentAt, interactive, flow).Scan(&id)
	if err == sql.ErrNoRows {
		var dup wire.Message
		if m.ExternalID != "" {
			dup, err = scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE channel_id = ? AND external_id = ?`, m.ChannelID, m.ExternalID))
		}
		if m.IdempotencyKey != "" && (m.ExternalID == "" || err == sql.ErrNoRows) {
			dup, err = scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE author_id = ? AND idempotency_key = ?`, m.AuthorID, m.IdempotencyKey))
		}
		return dup, true, err
	}
	if err != nil {
		return wire.Message{}, false, fmt.Errorf("store: unable to store message: %w", err)
	}
	if t.s.dialect.indexAtCommit {
		t.index = append(t.index, indexEntry{id, m.Body})
	}
	return wire.Message{ID: id, ConversationID: m.ConversationID, Direction: m.Direction, AuthorID: nullInt(toNullFrom(m.AuthorID)),
		Body: m.Body, Attachments: m.Attachments, Status: m.Status, ExternalID: m.ExternalID, IdempotencyKey: m.IdempotencyKey,
		Template: m.Template, CreatedAt: t.Now, SentAt: sentAt, FlowID: nullInt(toNullFrom(m.FlowID)), Interactive: m.Interactive}, false, nil
}

func toNullFrom(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// MessageSeen is whether a provider's message id was already stored on the channel.
func (t *Tx) MessageSeen(channelID int64, externalID string) (wire.Message, bool, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE channel_id = ? AND external_id = ?`, channelID, externalID))
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	return m, err == nil, err
}

// TouchConversation updates a conversation's last-message fields after a message.
func (t *Tx) TouchConversation(convID int64, inbound bool, preview string, firstResponse bool) error {
	if len([]rune(preview)) > 140 {
		preview = string([]rune(preview)[:140])
	}
	_, err := t.exec(`UPDATE conversations SET last_message_at = ?, last_message_preview = ?,
		last_inbound_at = CASE WHEN ? THEN ? ELSE last_inbound_at END,
		first_response_at = CASE WHEN ? AND first_response_at = 0 THEN ? ELSE first_response_at END
		WHERE id = ?`, t.Now, preview, inbound, t.Now, firstResponse, t.Now, convID)
	if err != nil {
		return fmt.Errorf("store: unable to update conversation: %w", err)
	}
	return nil
}

// LatestMessages lists a conversation's newest messages (up to limit), oldest first.
func (s *Store) LatestMessages(ctx context.Context, convID int64, limit int) ([]wire.Message, error) {
	rows, err := s.readRows(ctx, `SELECT * FROM (SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?) m ORDER BY id`, convID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read messages: %w", err)
	}
	defer rows.Close()
	out := []wire.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages lists a conversation's messages in order, after a message id, up to limit.
func (s *Store) Messages(ctx context.Context, convID, afterID int64, limit int) ([]wire.Message, error) {
	rows, err := s.readRows(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?`, convID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read messages: %w", err)
	}
	defer rows.Close()
	out := []wire.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SandboxOutbound lists agents' replies to a sandbox customer after a message id: what the
// customer's phone would have received.
func (s *Store) SandboxOutbound(ctx context.Context, channelID int64, senderID string, afterID int64, limit int) ([]wire.SandboxOutbound, error) {
	rows, err := s.readRows(ctx, `SELECT m.id, ct.external_id, m.body, m.attachments, m.created_at FROM messages m
		JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
		WHERE m.channel_id = ? AND m.direction = 'out' AND m.id > ? AND (? = '' OR ct.external_id = ?)
		ORDER BY m.id LIMIT ?`, channelID, afterID, senderID, senderID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read sandbox outbound: %w", err)
	}
	defer rows.Close()
	out := []wire.SandboxOutbound{}
	for rows.Next() {
		var o wire.SandboxOutbound
		var att string
		if err := rows.Scan(&o.ID, &o.SenderID, &o.Body, &att, &o.At); err != nil {
			return nil, err
		}
		if att != "[]" {
			_ = json.Unmarshal([]byte(att), &o.Attachments)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// MessageByKey returns the message an author stored with an idempotency key.
func (t *Tx) MessageByKey(authorID int64, key string) (wire.Message, bool, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE author_id = ? AND idempotency_key = ?`, authorID, key))
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	return m, err == nil, err
}
