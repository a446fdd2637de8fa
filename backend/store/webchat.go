package store

// The website chat widget's visitors and their uploads. A visitor is a contact on the webchat
// channel whose external id is the visitor id; the secret that proves it is kept as a SHA-256.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

func migrateWebchat(tx *sql.Tx, d dialect) error {
	for _, q := range []string{
		`CREATE TABLE webchat_visitors (
			visitor_id  TEXT PRIMARY KEY,
			secret_hash TEXT NOT NULL,
			name        TEXT NOT NULL DEFAULT '',
			created_at  BIGINT NOT NULL
		)`,
		// Uploads before (and after) they are sent in a message: the key's owner.
		`CREATE TABLE webchat_files (
			media_key  TEXT PRIMARY KEY,
			visitor_id TEXT NOT NULL REFERENCES webchat_visitors(visitor_id),
			kind       TEXT NOT NULL,
			name       TEXT NOT NULL,
			mime_type  TEXT NOT NULL,
			size       BIGINT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
	} {
		if _, err := tx.Exec(d.rebind(q)); err != nil {
			return err
		}
	}
	return nil
}

// The name, e-mail and phone a visitor gave (or the shop's page gave for a logged-in customer),
// kept for the customer's contact.
func migrateVisitorDetails(tx *sql.Tx, d dialect) error {
	for _, q := range []string{
		`ALTER TABLE webchat_visitors ADD COLUMN email TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE webchat_visitors ADD COLUMN phone TEXT NOT NULL DEFAULT ''`,
	} {
		if _, err := tx.Exec(d.rebind(q)); err != nil {
			return err
		}
	}
	return nil
}

// WebchatVisitor is a visitor's stored identity and what they told about themselves.
type WebchatVisitor struct {
	ID         string
	SecretHash string
	Name       string
	Email      string
	Phone      string
}

// CreateWebchatVisitor stores a new visitor identity.
func (s *Store) CreateWebchatVisitor(ctx context.Context, v WebchatVisitor) error {
	_, err := s.Tx(ctx, func(t *Tx) error {
		_, err := t.exec(`INSERT INTO webchat_visitors (visitor_id, secret_hash, name, email, phone, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			v.ID, v.SecretHash, v.Name, v.Email, v.Phone, t.Now)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: unable to create webchat visitor: %w", err)
	}
	return nil
}

// UpdateWebchatVisitor keeps the name, e-mail and phone a returning visitor gave; empty ones
// leave what was given before.
func (s *Store) UpdateWebchatVisitor(ctx context.Context, id, name, email, phone string) error {
	if name == "" && email == "" && phone == "" {
		return nil
	}
	_, err := s.Tx(ctx, func(t *Tx) error {
		_, err := t.exec(`UPDATE webchat_visitors SET
			name = CASE WHEN ? <> '' THEN ? ELSE name END,
			email = CASE WHEN ? <> '' THEN ? ELSE email END,
			phone = CASE WHEN ? <> '' THEN ? ELSE phone END
			WHERE visitor_id = ?`, name, name, email, email, phone, phone, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: unable to update webchat visitor: %w", err)
	}
	return nil
}

// WebchatVisitor reads a visitor identity; not_found when unknown.
func (s *Store) WebchatVisitor(ctx context.Context, id string) (WebchatVisitor, error) {
	v := WebchatVisitor{ID: id}
	err := s.readRow(ctx, `SELECT secret_hash, name, email, phone FROM webchat_visitors WHERE visitor_id = ?`, id).
		Scan(&v.SecretHash, &v.Name, &v.Email, &v.Phone)
	if err != nil {
		return v, wireNotFound(err, "visitor")
	}
	return v, nil
}

// UploadQuota is what a visitor may upload in a period.
type UploadQuota struct {
	Since    int64 // uploads at or after this count (unix ms)
	MaxFiles int
	MaxBytes int64
}

// WebchatUploads reports a visitor's uploads since a time: how many, their bytes and when the
// oldest of them was made.
func (s *Store) WebchatUploads(ctx context.Context, visitorID string, since int64) (files int, bytes, oldest int64, err error) {
	err = s.readRow(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MIN(created_at), 0) FROM webchat_files
		WHERE visitor_id = ? AND created_at >= ?`, visitorID, since).Scan(&files, &bytes, &oldest)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("store: unable to count webchat uploads: %w", err)
	}
	return files, bytes, oldest, nil
}

// AddWebchatFile records a visitor's upload if it keeps them within the quota (checked in the
// same statement, so parallel uploads cannot both slip in). It reports whether it was recorded.
func (s *Store) AddWebchatFile(ctx context.Context, visitorID string, a wire.Attachment, key string, q UploadQuota) (bool, error) {
	var added bool
	_, err := s.Tx(ctx, func(t *Tx) error {
		var err error
		added, err = t.execOne(`INSERT INTO webchat_files (media_key, visitor_id, kind, name, mime_type, size, created_at)
			SELECT ?, ?, ?, ?, ?, ?, ? WHERE
				(SELECT COUNT(*) FROM webchat_files WHERE visitor_id = ? AND created_at >= ?) < ? AND
				(SELECT COALESCE(SUM(size), 0) FROM webchat_files WHERE visitor_id = ? AND created_at >= ?) + ? <= ?`,
			key, visitorID, a.Kind, a.Name, a.MimeType, a.Size, t.Now,
			visitorID, q.Since, q.MaxFiles, visitorID, q.Since, a.Size, q.MaxBytes)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: unable to record webchat file: %w", err)
	}
	return added, nil
}

// WebchatFile returns a visitor's own upload by key; not_found for anyone else's.
func (s *Store) WebchatFile(ctx context.Context, visitorID, key string) (wire.Attachment, error) {
	var a wire.Attachment
	err := s.readRow(ctx, `SELECT kind, name, mime_type, size FROM webchat_files WHERE media_key = ? AND visitor_id = ?`, key, visitorID).
		Scan(&a.Kind, &a.Name, &a.MimeType, &a.Size)
	if err != nil {
		return a, wireNotFound(err, "file")
	}
	return a, nil
}

// WebchatCanRead reports whether a visitor may fetch a stored file: their own upload, a file in
// a message of one of their conversations on the channel, or a file an agent sent them.
func (s *Store) WebchatCanRead(ctx context.Context, channelID int64, visitorID, key string) (bool, error) {
	var n int
	err := s.readRow(ctx, `SELECT
		(SELECT COUNT(*) FROM webchat_files WHERE media_key = ? AND visitor_id = ?) +
		(SELECT COUNT(*) FROM media_jobs j JOIN messages m ON m.id = j.message_id JOIN conversations c ON c.id = m.conversation_id
			JOIN contacts ct ON ct.id = c.contact_id WHERE j.media_key = ? AND ct.channel_id = ? AND ct.external_id = ?) +
		(SELECT COUNT(*) FROM uploads u JOIN conversations c ON c.id = u.conversation_id JOIN contacts ct ON ct.id = c.contact_id
			JOIN messages m ON m.conversation_id = c.id AND m.direction = 'out' AND m.attachments LIKE ?
			WHERE u.media_key = ? AND ct.channel_id = ? AND ct.external_id = ?)`,
		key, visitorID, key, channelID, visitorID, "%/api/v1/media/"+key+"%", key, channelID, visitorID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: unable to check webchat file: %w", err)
	}
	return n > 0, nil
}

// WebchatMessage is one message of a visitor's conversations, as the widget shows it.
type WebchatMessage struct {
	ID          int64
	Direction   string
	Body        string
	Attachments []wire.Attachment
	ExternalID  string
	At          int64
	Interactive *wire.Interactive // a chatbot flow's choices: buttons in the widget
}

// WebchatHistory lists a visitor's messages (theirs and agents') after a message id, oldest first.
func (s *Store) WebchatHistory(ctx context.Context, channelID int64, visitorID string, afterID int64, limit int) ([]WebchatMessage, error) {
	rows, err := s.readRows(ctx, `SELECT m.id, m.direction, m.body, m.attachments, COALESCE(m.external_id, ''), m.created_at, m.interactive FROM messages m
		JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
		WHERE ct.channel_id = ? AND ct.external_id = ? AND m.id > ? AND m.status <> 'failed'
		ORDER BY m.id LIMIT ?`, channelID, visitorID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read webchat history: %w", err)
	}
	defer rows.Close()
	out := []WebchatMessage{}
	for rows.Next() {
		var m WebchatMessage
		var att, interactive string
		if err := rows.Scan(&m.ID, &m.Direction, &m.Body, &att, &m.ExternalID, &m.At, &interactive); err != nil {
			return nil, err
		}
		if interactive != "" {
			m.Interactive = &wire.Interactive{}
			_ = json.Unmarshal([]byte(interactive), m.Interactive)
		}
		if att != "" && att != "[]" {
			_ = json.Unmarshal([]byte(att), &m.Attachments)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
