package store

// The admin's lists: workspace settings, end reasons, quick messages, channels.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"santral/backend/wire"
)

const settingsKey = "routing"

func decodeSettings(raw string, err error) (wire.Settings, error) {
	set := wire.DefaultSettings()
	if err == sql.ErrNoRows {
		return set, nil
	}
	if err != nil {
		return set, fmt.Errorf("store: unable to read settings: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return set, fmt.Errorf("store: settings are corrupt: %w", err)
	}
	return set, nil
}

// Settings reads the workspace settings inside the transaction.
// A decision reads them several times (each user it loads needs the defaults); they are read
// once per request.
func (t *Tx) Settings() (wire.Settings, error) {
	if t.settings != nil {
		return *t.settings, nil
	}
	var raw string
	err := t.queryRow(`SELECT value FROM settings WHERE key = ?`, settingsKey).Scan(&raw)
	set, err := decodeSettings(raw, err)
	if err == nil {
		t.settings = &set
	}
	return set, err
}

// Settings reads the workspace settings.
func (s *Store) Settings(ctx context.Context) (wire.Settings, error) {
	var raw string
	err := s.readRow(ctx, `SELECT value FROM settings WHERE key = ?`, settingsKey).Scan(&raw)
	return decodeSettings(raw, err)
}

// PutSettings replaces the workspace settings.
func (t *Tx) PutSettings(set wire.Settings) error {
	t.assignable = true
	raw, _ := json.Marshal(set)
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingsKey, string(raw))
	if err != nil {
		return fmt.Errorf("store: unable to save settings: %w", err)
	}
	t.settings = &set
	return nil
}

// DatabaseID returns this database's random identity, made on first use. Clients keep it with
// their cursor: a cursor from another database (a restore, a new install) means nothing here.
func (s *Store) DatabaseID(ctx context.Context) (string, error) {
	var id string
	err := s.readRow(ctx, `SELECT value FROM settings WHERE key = 'database_id'`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return "", err
	}
	b := make([]byte, 16)
	rand.Read(b)
	_, err = s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO settings (key, value) VALUES ('database_id', ?) ON CONFLICT (key) DO NOTHING`, hex.EncodeToString(b))
		return err
	})
	if err != nil {
		return "", err
	}
	err = s.readRow(ctx, `SELECT value FROM settings WHERE key = 'database_id'`).Scan(&id)
	return id, err
}

// End reasons.

// EndReasons lists the end reasons in the admin's order; inactive ones only when asked.
func (s *Store) EndReasons(ctx context.Context, includeInactive bool) ([]wire.EndReason, error) {
	rows, err := s.readRows(ctx, `SELECT id, label, active, position FROM end_reasons
		WHERE active = 1 OR ? ORDER BY position, id`, includeInactive)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list end reasons: %w", err)
	}
	defer rows.Close()
	out := []wire.EndReason{}
	for rows.Next() {
		var r wire.EndReason
		var active int
		if err := rows.Scan(&r.ID, &r.Label, &active, &r.Position); err != nil {
			return nil, err
		}
		r.Active = active != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// EndReason reads one end reason inside the transaction.
func (t *Tx) EndReason(id int64) (wire.EndReason, error) {
	var r wire.EndReason
	var active int
	err := t.queryRow(`SELECT id, label, active, position FROM end_reasons WHERE id = ?`, id).Scan(&r.ID, &r.Label, &active, &r.Position)
	r.Active = active != 0
	if err != nil {
		return r, wireNotFound(err, "end reason")
	}
	return r, nil
}

// CreateEndReason adds an end reason.
func (t *Tx) CreateEndReason(label string, position int) (int64, error) {
	id, err := t.insert(`INSERT INTO end_reasons (label, active, position) VALUES (?, 1, ?)`, label, position)
	if err != nil {
		return 0, fmt.Errorf("store: unable to create end reason: %w", err)
	}
	return id, nil
}

// UpdateEndReason changes an end reason. Reasons are deactivated rather than deleted, because
// ended conversations keep pointing at them.
func (t *Tx) UpdateEndReason(id int64, label string, active bool, position int) error {
	ok, err := t.execOne(`UPDATE end_reasons SET label = ?, active = ?, position = ? WHERE id = ?`, label, boolInt(&active), position, id)
	if err != nil {
		return fmt.Errorf("store: unable to update end reason: %w", err)
	}
	if !ok {
		return wire.Errorf(wire.CodeNotFound, "end reason not found")
	}
	return nil
}

// Quick messages.

func scanQuick(rows *sql.Rows) (wire.QuickMessage, error) {
	var q wire.QuickMessage
	var owner int64
	err := rows.Scan(&q.ID, &owner, &q.Title, &q.Shortcut, &q.Body)
	if owner != 0 {
		q.OwnerID = &owner
	}
	return q, err
}

// QuickMessages lists the shared quick messages and the user's personal ones.
func (s *Store) QuickMessages(ctx context.Context, userID int64) ([]wire.QuickMessage, error) {
	rows, err := s.readRows(ctx, `SELECT id, owner_id, title, shortcut, body FROM quick_messages
		WHERE owner_id = 0 OR owner_id = ? ORDER BY shortcut, owner_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list quick messages: %w", err)
	}
	defer rows.Close()
	out := []wire.QuickMessage{}
	for rows.Next() {
		q, err := scanQuick(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// QuickMessage reads one quick message.
func (t *Tx) QuickMessage(id int64) (wire.QuickMessage, error) {
	rows, err := t.query(`SELECT id, owner_id, title, shortcut, body FROM quick_messages WHERE id = ?`, id)
	if err != nil {
		return wire.QuickMessage{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		return wire.QuickMessage{}, wire.Errorf(wire.CodeNotFound, "quick message not found")
	}
	return scanQuick(rows)
}

// SaveQuickMessage inserts (id 0) or updates a quick message; ownerID 0 is shared.
func (t *Tx) SaveQuickMessage(id, ownerID int64, title, shortcut, body string) (int64, error) {
	var err error
	if id == 0 {
		id, err = t.insert(`INSERT INTO quick_messages (owner_id, title, shortcut, body, created_at) VALUES (?, ?, ?, ?, ?)`,
			ownerID, title, shortcut, body, t.Now)
	} else {
		_, err = t.exec(`UPDATE quick_messages SET title = ?, shortcut = ?, body = ? WHERE id = ?`, title, shortcut, body, id)
	}
	if isUniqueViolation(err) {
		return 0, wire.Invalid("shortcut", "shortcut /%s is already used", shortcut).WithCode(wire.CodeShortcutTaken)
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to save quick message: %w", err)
	}
	return id, nil
}

// DeleteQuickMessage removes a quick message.
func (t *Tx) DeleteQuickMessage(id int64) error {
	_, err := t.exec(`DELETE FROM quick_messages WHERE id = ?`, id)
	return err
}

// Channels.

// EnsureChannel returns the id of Santral's own channel of that type (the sandbox, the website
// chat: one of each), creating it with the name if needed. An admin may have renamed it.
func (t *Tx) EnsureChannel(typ, name string) (int64, error) {
	// Nodes starting at once must not each create one: they take turns, and the second finds
	// the first's.
	h := fnv.New64a()
	h.Write([]byte("santral.channel." + typ))
	if err := t.LockKey(int64(h.Sum64())); err != nil {
		return 0, err
	}
	var id int64
	err := t.queryRow(`SELECT id FROM channels WHERE type = ? ORDER BY id LIMIT 1`, typ).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	return t.insert(`INSERT INTO channels (type, name, created_at) VALUES (?, ?, ?)`, typ, name, t.Now)
}

// Channels lists the channels.
func (s *Store) Channels(ctx context.Context) ([]wire.Channel, error) {
	rows, err := s.readRows(ctx, `SELECT id, type, name FROM channels ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.Channel{}
	for rows.Next() {
		var c wire.Channel
		if err := rows.Scan(&c.ID, &c.Type, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
