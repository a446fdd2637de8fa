package store

// Files agents and website visitors upload before they send them. An upload belongs to one
// conversation and one agent (or one visitor); the message that carries it marks it used, and
// one never sent is removed after the upload retention: its row goes in the same transaction
// that queues its file for removal, so a send and the removal cannot both win.

import (
	"context"
	"database/sql"
	"fmt"

	"santral/backend/wire"
)

func migrateUploadRetention(tx *sql.Tx, d dialect) error {
	for _, q := range []string{
		// What the server measured at upload: a reply carries these, never the client's claims.
		`ALTER TABLE uploads ADD COLUMN kind TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE uploads ADD COLUMN name TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE uploads ADD COLUMN mime_type TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE uploads ADD COLUMN size BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE uploads ADD COLUMN used_at BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE webchat_files ADD COLUMN used_at BIGINT NOT NULL DEFAULT 0`,
		// Files already sent before this version are used: the retention must not remove them.
		`UPDATE uploads SET used_at = created_at WHERE EXISTS (SELECT 1 FROM messages m
			WHERE m.conversation_id = uploads.conversation_id AND m.direction = 'out'
			AND m.attachments LIKE '%/api/v1/media/' || uploads.media_key || '%')`,
		`UPDATE webchat_files SET used_at = created_at WHERE EXISTS (SELECT 1 FROM media_jobs j WHERE j.media_key = webchat_files.media_key)`,
		`CREATE INDEX uploads_unsent ON uploads(created_at) WHERE used_at = 0`,
		`CREATE INDEX webchat_files_unsent ON webchat_files(created_at) WHERE used_at = 0`,
		// Files whose rows are gone, still to delete from the media store (retried after a crash).
		`CREATE TABLE media_removals (
			media_key TEXT PRIMARY KEY,
			since     BIGINT NOT NULL
		)`,
	} {
		if _, err := tx.Exec(d.rebind(q)); err != nil {
			return err
		}
	}
	return nil
}

// RecordUpload notes that an agent uploaded a file in a conversation, as the server measured it.
func (t *Tx) RecordUpload(key string, convID, userID int64, a wire.Attachment) error {
	_, err := t.exec(`INSERT INTO uploads (media_key, conversation_id, user_id, created_at, kind, name, mime_type, size)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, key, convID, userID, t.Now, a.Kind, a.Name, a.MimeType, a.Size)
	if err != nil {
		return fmt.Errorf("store: unable to record upload: %w", err)
	}
	return nil
}

// UseUpload marks the agent's upload in the conversation as sent and returns it as uploaded;
// ok is false when the key is not that agent's upload in that conversation (another's, made up,
// or removed unsent). Legacy uploads (before their details were kept) come back with Kind "".
func (t *Tx) UseUpload(key string, convID, userID int64) (wire.Attachment, bool, error) {
	a := wire.Attachment{URL: "/api/v1/media/" + key}
	err := t.queryRow(`UPDATE uploads SET used_at = CASE WHEN used_at = 0 THEN ? ELSE used_at END
		WHERE media_key = ? AND conversation_id = ? AND user_id = ? RETURNING kind, name, mime_type, size`,
		t.Now, key, convID, userID).Scan(&a.Kind, &a.Name, &a.MimeType, &a.Size)
	if err == sql.ErrNoRows {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("store: unable to use upload: %w", err)
	}
	return a, true, nil
}

// UseVisitorFile marks a website visitor's upload as sent and returns it; ok is false when the
// key is not that visitor's upload (another's, made up, or removed unsent).
func (t *Tx) UseVisitorFile(visitorID, key string) (wire.Attachment, bool, error) {
	a := wire.Attachment{URL: "/api/v1/media/" + key}
	err := t.queryRow(`UPDATE webchat_files SET used_at = CASE WHEN used_at = 0 THEN ? ELSE used_at END
		WHERE media_key = ? AND visitor_id = ? RETURNING kind, name, mime_type, size`,
		t.Now, key, visitorID).Scan(&a.Kind, &a.Name, &a.MimeType, &a.Size)
	if err == sql.ErrNoRows {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("store: unable to use visitor file: %w", err)
	}
	return a, true, nil
}

// LinkMedia records that attachment idx of a message is the stored file key, so users who read
// the conversation can open it (MediaOwner) like a downloaded provider file.
func (t *Tx) LinkMedia(messageID int64, idx int, channelID int64, key string) error {
	_, err := t.exec(`INSERT INTO media_jobs (message_id, idx, channel_id, state, next_try_at, media_key) VALUES (?, ?, ?, 'done', ?, ?)
		ON CONFLICT DO NOTHING`, messageID, idx, channelID, t.Now, key)
	if err != nil {
		return fmt.Errorf("store: unable to link media: %w", err)
	}
	return nil
}

// ExpireUploads takes up to limit uploads (agents' and visitors') never sent and created before
// before: their rows go, their files are queued for removal. It returns how many it took.
func (t *Tx) ExpireUploads(before int64, limit int) (int, error) {
	n := 0
	for _, table := range []string{"uploads", "webchat_files"} {
		rows, err := t.query(`SELECT media_key FROM `+table+` WHERE used_at = 0 AND created_at < ? ORDER BY created_at LIMIT ?`, before, limit-n)
		if err != nil {
			return n, err
		}
		var keys []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return n, err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		for _, k := range keys {
			// Conditional: a send that used the file meanwhile (another node) keeps it.
			gone, err := t.execOne(`DELETE FROM `+table+` WHERE media_key = ? AND used_at = 0`, k)
			if err != nil {
				return n, fmt.Errorf("store: unable to expire upload: %w", err)
			}
			if !gone {
				continue
			}
			if _, err := t.exec(`INSERT INTO media_removals (media_key, since) VALUES (?, ?) ON CONFLICT DO NOTHING`, k, t.Now); err != nil {
				return n, fmt.Errorf("store: unable to queue a file removal: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// MediaRemovals lists up to limit files queued for removal from the media store.
func (s *Store) MediaRemovals(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.readRows(ctx, `SELECT media_key FROM media_removals ORDER BY since LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read file removals: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// MediaRemoved records that a queued file is gone from the media store.
func (t *Tx) MediaRemoved(key string) error {
	_, err := t.exec(`DELETE FROM media_removals WHERE media_key = ?`, key)
	return err
}

// UploadsDue reports whether an unsent upload is older than before or a removal is queued.
func (s *Store) UploadsDue(ctx context.Context, before int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM uploads WHERE used_at = 0 AND created_at < ?
		UNION ALL SELECT 1 FROM webchat_files WHERE used_at = 0 AND created_at < ?
		UNION ALL SELECT 1 FROM media_removals`, before, before)
}
