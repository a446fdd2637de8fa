package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"santral/backend/secrets"
	"santral/backend/wire"
)

// ChannelConfig is a channel account's settings.
type ChannelConfig struct {
	BaseURL    string `json:"base_url"`
	APIVersion string `json:"api_version,omitempty"`
	AccountID  string `json:"account_id"`
	WABAID     string `json:"waba_id,omitempty"`
	HumanAgent bool   `json:"human_agent"`
	// DefaultFlowID is the flow every new conversation on the channel goes through before the
	// queue (a welcome menu); 0: none.
	DefaultFlowID int64 `json:"default_flow_id,omitempty"`
}

// ChannelRow is a channel account with its credentials, for the server's own use only.
type ChannelRow struct {
	wire.Channel
	Enabled bool
	Config  ChannelConfig
	Secrets map[string]string
}

// Account is the admin's view: settings and the names of the credentials set.
func (c ChannelRow) Account() wire.ChannelAccount {
	a := wire.ChannelAccount{Channel: c.Channel, Enabled: c.Enabled, BaseURL: c.Config.BaseURL, APIVersion: c.Config.APIVersion,
		AccountID: c.Config.AccountID, WABAID: c.Config.WABAID, HumanAgent: c.Config.HumanAgent, DefaultFlowID: c.Config.DefaultFlowID,
		WebhookPath: "/webhooks/" + strconv.FormatInt(c.ID, 10), Credentials: []string{}}
	for k, v := range c.Secrets {
		if v != "" {
			a.Credentials = append(a.Credentials, k)
		}
	}
	sort.Strings(a.Credentials)
	return a
}

// secretsContext binds a channel's sealed credentials to its row.
func secretsContext(id int64) string { return "channels.secrets/" + strconv.FormatInt(id, 10) }

func (s *Store) scanChannel(row interface{ Scan(...any) error }) (ChannelRow, error) {
	var c ChannelRow
	var cfg, sec string
	var enabled int
	if err := row.Scan(&c.ID, &c.Type, &c.Name, &cfg, &sec, &enabled); err != nil {
		return c, err
	}
	c.Enabled = enabled != 0
	if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
		return c, fmt.Errorf("store: channel %d has corrupt settings: %w", c.ID, err)
	}
	plain, err := s.openSecrets(c.ID, sec)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(plain, &c.Secrets); err != nil {
		return c, fmt.Errorf("store: channel %d has corrupt credentials: %w", c.ID, err)
	}
	if c.Secrets == nil {
		c.Secrets = map[string]string{}
	}
	return c, nil
}

// openSecrets reads the credentials column: sealed, or plain JSON written before encryption
// (UseSecrets seals those at start).
func (s *Store) openSecrets(id int64, stored string) ([]byte, error) {
	if !secrets.IsSealed(stored) {
		return []byte(stored), nil
	}
	if s.secrets == nil {
		return nil, fmt.Errorf("store: channel %d has encrypted credentials and no secret key is set", id)
	}
	plain, err := s.secrets.Open(stored, secretsContext(id))
	if err != nil {
		return nil, fmt.Errorf("store: the secret key does not open the credentials of channel %d: %w", id, err)
	}
	return plain, nil
}

// sealSecrets is the credentials column for a channel: sealed when a key is set. Without one
// (a store opened by a test) only an empty set may be stored.
func (s *Store) sealSecrets(id int64, sec map[string]string) (string, error) {
	raw, _ := json.Marshal(sec)
	if s.secrets != nil {
		return s.secrets.Seal(raw, secretsContext(id)), nil
	}
	for _, v := range sec {
		if v != "" {
			return "", errors.New("store: no secret key is set: credentials cannot be stored")
		}
	}
	return "{}", nil
}

// HasSealedSecrets reports whether any credential is stored sealed (a lost key then cannot be
// replaced by a new one).
func (s *Store) HasSealedSecrets(ctx context.Context) (bool, error) {
	if ok, err := s.exists(ctx, `SELECT 1 FROM channels WHERE secrets LIKE 'sealed:%'`); ok || err != nil {
		return ok, err
	}
	return s.exists(ctx, `SELECT 1 FROM shop_stores WHERE secrets LIKE 'sealed:%'`)
}

// UseSecrets sets the key credentials are sealed with, checks that it opens every sealed
// credential, and seals any still stored in plain text (a database from before encryption).
// The plain text is overwritten, not left in free pages or the write-ahead log.
//
// This runs at start rather than as a migration: migrations have no key.
func (s *Store) UseSecrets(ctx context.Context, box *secrets.Box) error {
	s.secrets = box
	type row struct {
		id  int64
		sec string
	}
	var plain []row
	rows, err := s.readRows(ctx, `SELECT id, secrets FROM channels ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: unable to read channel credentials: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sec); err != nil {
			rows.Close()
			return err
		}
		if _, err := s.openSecrets(r.id, r.sec); err != nil {
			rows.Close()
			return err
		}
		if !secrets.IsSealed(r.sec) && r.sec != "{}" { // "{}" holds nothing to hide
			plain = append(plain, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(plain) == 0 {
		return err
	}
	// On SQLite the old pages are overwritten and the write-ahead log emptied: the plain text
	// leaves the file. (PostgreSQL keeps dead row versions until VACUUM; see the README.)
	sqlite := s.dialect.name == "sqlite"
	if _, err := s.Tx(ctx, func(t *Tx) error {
		// On the transaction's own connection, so the plain text is overwritten, not freed.
		if sqlite {
			if _, err := t.exec(`PRAGMA secure_delete = ON`); err != nil {
				return fmt.Errorf("store: unable to turn on secure delete: %w", err)
			}
		}
		for _, r := range plain {
			var sec map[string]string
			if err := json.Unmarshal([]byte(r.sec), &sec); err != nil {
				return fmt.Errorf("store: channel %d has corrupt credentials: %w", r.id, err)
			}
			sealed, err := s.sealSecrets(r.id, sec)
			if err != nil {
				return err
			}
			if _, err := t.exec(`UPDATE channels SET secrets = ? WHERE id = ?`, sealed, r.id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("store: unable to encrypt stored credentials: %w", err)
	}
	if !sqlite {
		return nil
	}
	if _, err := s.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("store: unable to checkpoint after encrypting credentials: %w", err)
	}
	return nil
}

const channelColumns = `id, type, name, config, secrets, enabled`

// ChannelRow reads a channel account with its credentials.
func (s *Store) ChannelRow(ctx context.Context, id int64) (ChannelRow, error) {
	c, err := s.scanChannel(s.readRow(ctx, `SELECT `+channelColumns+` FROM channels WHERE id = ?`, id))
	if err != nil {
		return c, wireNotFound(err, "channel")
	}
	return c, nil
}

// ChannelRow reads a channel account inside the transaction.
func (t *Tx) ChannelRow(id int64) (ChannelRow, error) {
	c, err := t.s.scanChannel(t.queryRow(`SELECT `+channelColumns+` FROM channels WHERE id = ?`, id))
	if err != nil {
		return c, wireNotFound(err, "channel")
	}
	return c, nil
}

// ChannelSettings reads a channel account without its credentials (nothing to decrypt): what
// the rules need of it, such as its messaging window.
func (t *Tx) ChannelSettings(id int64) (ChannelRow, error) {
	var c ChannelRow
	var cfg string
	var enabled int
	err := t.queryRow(`SELECT id, type, name, config, enabled FROM channels WHERE id = ?`, id).Scan(&c.ID, &c.Type, &c.Name, &cfg, &enabled)
	if err != nil {
		return c, wireNotFound(err, "channel")
	}
	c.Enabled = enabled != 0
	if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
		return c, fmt.Errorf("store: channel %d has corrupt settings: %w", c.ID, err)
	}
	c.Secrets = map[string]string{}
	return c, nil
}

// ChannelRows lists every channel account.
func (s *Store) ChannelRows(ctx context.Context) ([]ChannelRow, error) {
	rows, err := s.readRows(ctx, `SELECT `+channelColumns+` FROM channels ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChannelRow
	for rows.Next() {
		c, err := s.scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChannelEnabled reports whether a channel is switched on (not_found when there is none).
func (s *Store) ChannelEnabled(ctx context.Context, id int64) (bool, error) {
	var on bool
	err := s.readRow(ctx, `SELECT enabled <> 0 FROM channels WHERE id = ?`, id).Scan(&on)
	return on, wireNotFound(err, "channel")
}

// ChannelEnabled reports inside the transaction whether a channel is switched on.
func (t *Tx) ChannelEnabled(id int64) (bool, error) {
	var on bool
	err := t.queryRow(`SELECT enabled <> 0 FROM channels WHERE id = ?`, id).Scan(&on)
	return on, wireNotFound(err, "channel")
}

// SaveChannel inserts (ID 0) or updates a channel account; its credentials are sealed for
// its row.
func (t *Tx) SaveChannel(c ChannelRow) (int64, error) {
	cfg, _ := json.Marshal(c.Config)
	if c.ID == 0 {
		id, err := t.insert(`INSERT INTO channels (type, name, config, secrets, enabled, created_at) VALUES (?, ?, ?, '{}', ?, ?)`,
			c.Type, c.Name, string(cfg), boolInt(&c.Enabled), t.Now)
		if err != nil {
			return 0, fmt.Errorf("store: unable to create channel: %w", err)
		}
		c.ID = id
	}
	sec, err := t.s.sealSecrets(c.ID, c.Secrets)
	if err != nil {
		return 0, err
	}
	_, err = t.exec(`UPDATE channels SET name = ?, config = ?, secrets = ?, enabled = ? WHERE id = ?`, c.Name, string(cfg), sec, boolInt(&c.Enabled), c.ID)
	if err != nil {
		return 0, fmt.Errorf("store: unable to update channel: %w", err)
	}
	return c.ID, nil
}

// Message reads one message inside the transaction.
func (t *Tx) Message(id int64) (wire.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return m, wireNotFound(err, "message")
	}
	return m, nil
}

// statusRank orders delivery statuses; a status never moves backwards.
var statusRank = map[wire.MessageStatus]int{wire.StatusQueued: 0, wire.StatusSent: 1, wire.StatusDelivered: 2, wire.StatusRead: 3}

// SetMessageStatus moves a message's status forward (never backwards: statuses arrive out of
// order). A failure counts only before delivery; deliveryUnknown marks one the provider may
// have received all the same. It reports whether the status changed.
func (t *Tx) SetMessageStatus(messageID int64, st wire.MessageStatus, reason, externalID string, deliveryUnknown bool) (bool, error) {
	var cur wire.MessageStatus
	if err := t.queryRow(`SELECT status FROM messages WHERE id = ?`, messageID).Scan(&cur); err != nil {
		return false, wireNotFound(err, "message")
	}
	if st == wire.StatusFailed {
		if cur != wire.StatusQueued && cur != wire.StatusSent {
			return false, nil
		}
	} else if cur == wire.StatusFailed || statusRank[st] <= statusRank[cur] {
		return false, nil
	}
	var ext any
	if externalID != "" {
		// A provider id already on another message (a provider bug, or a replay) must not make
		// a delivered send look failed: keep the status, skip the id.
		var taken bool
		if err := t.queryRow(`SELECT COUNT(*) > 0 FROM messages WHERE external_id = ? AND id <> ?
			AND channel_id = (SELECT channel_id FROM messages WHERE id = ?)`, externalID, messageID, messageID).Scan(&taken); err != nil {
			return false, err
		}
		if !taken {
			ext = externalID
		}
	}
	unknown := 0
	if deliveryUnknown && st == wire.StatusFailed {
		unknown = 1
	}
	ok, err := t.execOne(`UPDATE messages SET status = ?, status_reason = ?, delivery_unknown = ?, external_id = COALESCE(?, external_id)
		WHERE id = ? AND status = ?`, st, reason, unknown, ext, messageID, cur)
	return ok, err
}

// MessageByExternal finds our message by the provider's id on a channel.
func (t *Tx) MessageByExternal(channelID int64, externalID string) (wire.Message, bool, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM messages WHERE channel_id = ? AND external_id = ?`, channelID, externalID))
	if err == sql.ErrNoRows {
		return m, false, nil
	}
	return m, err == nil, err
}

// ReplaceTemplates stores a channel's approved templates as just synced.
func (t *Tx) ReplaceTemplates(channelID int64, list []wire.Template) error {
	if _, err := t.exec(`DELETE FROM templates WHERE channel_id = ?`, channelID); err != nil {
		return err
	}
	for _, tp := range list {
		params, _ := json.Marshal(tp.Parameters)
		if tp.Parameters == nil {
			params = []byte{}
		}
		if _, err := t.exec(`INSERT INTO templates (channel_id, name, language, category, body, params, synced_at, parameter_format, parameters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (channel_id, name, language) DO NOTHING`, channelID, tp.Name, tp.Language, tp.Category, tp.Body, tp.Params, t.Now,
			templateFormat(tp.ParameterFormat), string(params)); err != nil {
			return fmt.Errorf("store: unable to store template %s: %w", tp.Name, err)
		}
	}
	return nil
}

func templateFormat(f string) string {
	if f == wire.TemplateNamed {
		return f
	}
	return wire.TemplatePositional
}

const templateColumns = `id, channel_id, name, language, category, body, params, parameter_format, parameters`

type scanner interface{ Scan(dest ...any) error }

// scanTemplate reads a template row. One synced before its parameters were stored gets them
// from its body, without examples.
func scanTemplate(row scanner) (wire.Template, error) {
	var tp wire.Template
	var params string
	if err := row.Scan(&tp.ID, &tp.ChannelID, &tp.Name, &tp.Language, &tp.Category, &tp.Body, &tp.Params, &tp.ParameterFormat, &params); err != nil {
		return tp, err
	}
	if params != "" {
		if err := json.Unmarshal([]byte(params), &tp.Parameters); err != nil {
			return tp, fmt.Errorf("store: template %d has corrupt parameters: %w", tp.ID, err)
		}
	}
	if tp.Parameters == nil {
		tp.Parameters = []wire.TemplateParameter{}
		for _, n := range wire.TemplateParameterNames(tp.Body) {
			tp.Parameters = append(tp.Parameters, wire.TemplateParameter{Name: n})
		}
	}
	return tp, nil
}

// Templates lists a channel's templates.
func (s *Store) Templates(ctx context.Context, channelID int64) ([]wire.Template, error) {
	rows, err := s.readRows(ctx, `SELECT `+templateColumns+` FROM templates WHERE channel_id = ? ORDER BY name, language`, channelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.Template{}
	for rows.Next() {
		tp, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tp)
	}
	return out, rows.Err()
}

// Template reads one template inside the transaction.
func (t *Tx) Template(id int64) (wire.Template, error) {
	tp, err := scanTemplate(t.queryRow(`SELECT `+templateColumns+` FROM templates WHERE id = ?`, id))
	if err != nil {
		return tp, wireNotFound(err, "template")
	}
	return tp, nil
}

// MediaJob is an inbound attachment to download.
type MediaJob struct {
	ID, MessageID, ChannelID int64
	Index, Attempts          int
}

// EnqueueMedia stores the job that downloads attachment idx of a message.
func (t *Tx) EnqueueMedia(messageID int64, idx int, channelID int64) error {
	_, err := t.exec(`INSERT INTO media_jobs (message_id, idx, channel_id, state, next_try_at) VALUES (?, ?, ?, 'pending', ?)
		ON CONFLICT (message_id, idx) DO NOTHING`, messageID, idx, channelID, t.Now)
	return err
}

// DueMedia takes up to limit due downloads, pushing their next try back by lease (a worker
// that dies mid-download leaves the job due again).
func (t *Tx) DueMedia(limit int, lease int64) ([]MediaJob, error) {
	rows, err := t.query(`SELECT id, message_id, idx, channel_id, attempts FROM media_jobs WHERE state = 'pending' AND next_try_at <= ?
		ORDER BY next_try_at, id LIMIT ?`, t.Now, limit)
	if err != nil {
		return nil, err
	}
	var out []MediaJob
	for rows.Next() {
		var j MediaJob
		if err := rows.Scan(&j.ID, &j.MessageID, &j.Index, &j.ChannelID, &j.Attempts); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	taken := out[:0]
	for _, j := range out {
		// Conditional: a worker on another node may have taken it since the read.
		ok, err := t.execOne(`UPDATE media_jobs SET attempts = attempts + 1, next_try_at = ? WHERE id = ? AND state = 'pending' AND next_try_at <= ?`,
			t.Now+lease, j.ID, t.Now)
		if err != nil {
			return nil, err
		}
		if ok {
			j.Attempts++
			taken = append(taken, j)
		}
	}
	return taken, nil
}

// FinishMedia records a download: the file's key, or a failure (retryAt 0: for good).
func (t *Tx) FinishMedia(id int64, key, lastError string, retryAt int64) error {
	switch {
	case key != "":
		_, err := t.exec(`UPDATE media_jobs SET state = 'done', media_key = ?, last_error = '' WHERE id = ?`, key, id)
		return err
	case retryAt > 0:
		_, err := t.exec(`UPDATE media_jobs SET next_try_at = ?, last_error = ? WHERE id = ?`, retryAt, lastError, id)
		return err
	}
	_, err := t.exec(`UPDATE media_jobs SET state = 'failed', last_error = ? WHERE id = ?`, lastError, id)
	return err
}

// SetAttachment replaces attachment idx of a message.
func (t *Tx) SetAttachment(messageID int64, idx int, a wire.Attachment) error {
	// The attachments are one column: two downloads of one message's files finishing at once
	// on two nodes must not each write back the list as it was before the other's.
	if err := t.lockRow(`SELECT id FROM messages WHERE id = ?`, messageID, "message"); err != nil {
		return err
	}
	m, err := t.Message(messageID)
	if err != nil {
		return err
	}
	if idx < 0 || idx >= len(m.Attachments) {
		return fmt.Errorf("store: message %d has no attachment %d", messageID, idx)
	}
	m.Attachments[idx] = a
	b, _ := json.Marshal(m.Attachments)
	_, err = t.exec(`UPDATE messages SET attachments = ? WHERE id = ?`, string(b), messageID)
	return err
}

// MediaOwner returns the conversation a stored media file belongs to: downloaded from a
// customer's message, or uploaded by an agent in it.
func (s *Store) MediaOwner(ctx context.Context, key string) (int64, error) {
	var conv int64
	err := s.readRow(ctx, `SELECT conversation_id FROM (
			SELECT m.conversation_id FROM media_jobs j JOIN messages m ON m.id = j.message_id WHERE j.media_key = ?
			UNION ALL SELECT conversation_id FROM uploads WHERE media_key = ?) o LIMIT 1`, key, key).Scan(&conv)
	if err != nil {
		return 0, wireNotFound(err, "file")
	}
	return conv, nil
}

// Idle checks: the workers poll often, so they look first on the read pool and take the write
// lock (shared by every process on the database) only when something is due.

func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var yes bool
	err := s.readRow(ctx, `SELECT EXISTS (`+query+`)`, args...).Scan(&yes)
	return yes, err
}

// SweepDue reports whether a deadline has passed: an offer, an offline grace, a stale connection.
func (s *Store) SweepDue(ctx context.Context, now, staleBefore int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM transfer_offers WHERE state = 'pending' AND expires_at <= ?
		UNION ALL SELECT 1 FROM users WHERE offline_deadline > 0 AND offline_deadline <= ? AND presence <> 'offline'
		UNION ALL SELECT 1 FROM connections WHERE seen_at < ?`, now, now, staleBefore)
}

// MediaDue reports whether a media download is due.
func (s *Store) MediaDue(ctx context.Context, now int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM media_jobs WHERE state = 'pending' AND next_try_at <= ?`, now)
}

// migrateTemplateParameters keeps what a template says about its parameters: Meta's
// parameter_format and each placeholder's name and example (JSON), so the agent's form labels
// its inputs and a NAMED template is sent with its parameter names.
func migrateTemplateParameters(tx *sql.Tx, d dialect) error {
	for _, stmt := range []string{
		`ALTER TABLE templates ADD COLUMN parameter_format TEXT NOT NULL DEFAULT 'POSITIONAL'`,
		`ALTER TABLE templates ADD COLUMN parameters TEXT NOT NULL DEFAULT ''`,
	} {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}
