package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations is the ordered list of schema changes; migration i brings the schema to version
// i+1. Each runs in its own transaction. Never edit one that has shipped: append a new one.
var migrations = []func(tx *sql.Tx, d dialect) error{
	migrateInitial,
	migrateSkipAgent,
	migrateChannelAccounts,
	migrateTemplates,
	migrateMediaJobs,
	migrateWebchat,
	migrateUploads,
	migrateContactSearch,
	migrateEventVisitor,
	migrateCustomerTime,
	migrateInboundRejects,
	migrateUploadRetention,
	migrateVisitorDetails,
	migrateSessionsAndQuotas,
	migrateSendFencing,
	migrateSearchIndexes,
	migrateIndexAtCommit,
	migrateSweepIndexes,
	migrateFlows,
	migrateShopStores,
	migrateNotesAndTags,
	migrateShopStateAndActions,
	migrateTemplateParameters,
}

// SchemaVersion is the version this build migrates to.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema to SchemaVersion. Nodes that start at once against one database
// migrate it once: on PostgreSQL they take an advisory lock in turn; on SQLite each migration's
// transaction takes the write lock at BEGIN. Either way the version is read again under the
// lock, so whoever comes second finds the work done.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: unable to connect for migrations: %w", err)
	}
	defer conn.Close()
	if s.dialect.counter { // PostgreSQL
		if _, err := conn.ExecContext(ctx, migrationLock); err != nil {
			return fmt.Errorf("store: unable to take the migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), migrationUnlock)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: unable to create version table: %w", err)
	}
	for {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: unable to begin a migration: %w", err)
		}
		var current int
		err = tx.QueryRow(`SELECT version FROM schema_version`).Scan(&current)
		switch {
		case err == sql.ErrNoRows:
			if _, err := tx.Exec(`INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: unable to initialise version table: %w", err)
			}
		case err != nil:
			tx.Rollback()
			return fmt.Errorf("store: unable to read schema version: %w", err)
		}
		if current > len(migrations) {
			tx.Rollback()
			return fmt.Errorf("store: database schema version %d is newer than this santrald (%d); upgrade santrald", current, len(migrations))
		}
		if current == len(migrations) {
			return tx.Commit()
		}
		if err := migrations[current](tx, s.dialect); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d failed: %w", current+1, err)
		}
		if _, err := tx.Exec(s.dialect.rebind(`UPDATE schema_version SET version = ?`), current+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: unable to record migration %d: %w", current+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: unable to commit migration %d: %w", current+1, err)
		}
		s.migrated++
	}
}

// Times are unix milliseconds in BIGINT columns; 0 means "not yet". The same tables and columns
// serve PostgreSQL (INTEGER PRIMARY KEY becomes an identity column there).
func migrateInitial(tx *sql.Tx, d dialect) error {
	stmts := []string{
		`CREATE TABLE settings (
			key   TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE users (
			id               INTEGER PRIMARY KEY,
			username         TEXT NOT NULL UNIQUE,
			display_name     TEXT NOT NULL,
			password_hash    TEXT NOT NULL,
			role             TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
			auto_limit       INTEGER,
			hard_cap         INTEGER,
			presence         TEXT NOT NULL DEFAULT 'offline' CHECK (presence IN ('offline', 'online', 'break')),
			presence_reason  TEXT NOT NULL DEFAULT '',
			presence_since   BIGINT NOT NULL DEFAULT 0,
			last_assigned_at BIGINT NOT NULL DEFAULT 0,
			offline_deadline BIGINT NOT NULL DEFAULT 0,
			disabled         INTEGER NOT NULL DEFAULT 0,
			created_at       BIGINT NOT NULL
		)`,
		`CREATE TABLE sessions (
			token_hash TEXT PRIMARY KEY,
			user_id    INTEGER NOT NULL REFERENCES users(id),
			created_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL
		)`,
		`CREATE INDEX sessions_user ON sessions(user_id)`,
		// Live WebSocket connections, per node, with a heartbeat: an agent is offline only when the
		// last connection anywhere is gone (plus the grace period), and a dead node's rows age out.
		`CREATE TABLE connections (
			id      TEXT PRIMARY KEY,
			user_id INTEGER NOT NULL REFERENCES users(id),
			node    TEXT NOT NULL,
			seen_at BIGINT NOT NULL
		)`,
		`CREATE INDEX connections_user ON connections(user_id)`,
		`CREATE TABLE presence_log (
			id       INTEGER PRIMARY KEY,
			user_id  INTEGER NOT NULL REFERENCES users(id),
			presence TEXT NOT NULL,
			reason   TEXT NOT NULL DEFAULT '',
			at       BIGINT NOT NULL
		)`,
		`CREATE INDEX presence_log_user_at ON presence_log(user_id, at)`,
		`CREATE TABLE channels (
			id         INTEGER PRIMARY KEY,
			type       TEXT NOT NULL,
			name       TEXT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		`CREATE TABLE contacts (
			id          INTEGER PRIMARY KEY,
			channel_id  INTEGER NOT NULL REFERENCES channels(id),
			external_id TEXT NOT NULL,
			name        TEXT NOT NULL DEFAULT '',
			phone       TEXT NOT NULL DEFAULT '',
			email       TEXT NOT NULL DEFAULT '',
			created_at  BIGINT NOT NULL,
			UNIQUE (channel_id, external_id)
		)`,
		`CREATE TABLE end_reasons (
			id       INTEGER PRIMARY KEY,
			label    TEXT NOT NULL,
			active   INTEGER NOT NULL DEFAULT 1,
			position INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE TABLE conversations (
			id                   INTEGER PRIMARY KEY,
			contact_id           INTEGER NOT NULL REFERENCES contacts(id),
			channel_id           INTEGER NOT NULL REFERENCES channels(id),
			state                TEXT NOT NULL CHECK (state IN ('queued', 'assigned', 'ended')),
			agent_id             INTEGER REFERENCES users(id),
			queue_rank           INTEGER NOT NULL DEFAULT 0,
			queued_at            BIGINT NOT NULL DEFAULT 0,
			created_at           BIGINT NOT NULL,
			assigned_at          BIGINT NOT NULL DEFAULT 0,
			first_response_at    BIGINT NOT NULL DEFAULT 0,
			last_inbound_at      BIGINT NOT NULL DEFAULT 0,
			last_message_at      BIGINT NOT NULL DEFAULT 0,
			last_message_preview TEXT NOT NULL DEFAULT '',
			ended_at             BIGINT NOT NULL DEFAULT 0,
			end_reason_id        INTEGER REFERENCES end_reasons(id),
			ended_by             INTEGER REFERENCES users(id),
			previous_id          INTEGER REFERENCES conversations(id)
		)`,
		// A customer has at most one open conversation: two webhooks racing for a new customer
		// cannot open two.
		`CREATE UNIQUE INDEX conversations_one_open ON conversations(contact_id) WHERE state <> 'ended'`,
		`CREATE INDEX conversations_queue ON conversations(queue_rank, queued_at, id) WHERE state = 'queued'`,
		`CREATE INDEX conversations_agent ON conversations(agent_id, state)`,
		`CREATE INDEX conversations_created ON conversations(created_at)`,
		`CREATE INDEX conversations_contact ON conversations(contact_id, created_at)`,
		`CREATE TABLE messages (
			id              INTEGER PRIMARY KEY,
			conversation_id INTEGER NOT NULL REFERENCES conversations(id),
			channel_id      INTEGER NOT NULL REFERENCES channels(id),
			direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
			author_id       INTEGER REFERENCES users(id),
			body            TEXT NOT NULL DEFAULT '',
			attachments     TEXT NOT NULL DEFAULT '[]',
			status          TEXT NOT NULL,
			status_reason   TEXT NOT NULL DEFAULT '',
			external_id     TEXT,
			idempotency_key TEXT,
			created_at      BIGINT NOT NULL
		)`,
		`CREATE INDEX messages_conversation ON messages(conversation_id, id)`,
		// Providers deliver at least once: their message id stores one message.
		`CREATE UNIQUE INDEX messages_external ON messages(channel_id, external_id) WHERE external_id IS NOT NULL`,
		// The desktop outbox retries with the same key: one message per key and author.
		`CREATE UNIQUE INDEX messages_idempotency ON messages(author_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
		`CREATE TABLE transfer_offers (
			id              INTEGER PRIMARY KEY,
			conversation_id INTEGER NOT NULL REFERENCES conversations(id),
			from_agent_id   INTEGER NOT NULL REFERENCES users(id),
			to_agent_id     INTEGER NOT NULL REFERENCES users(id),
			note            TEXT NOT NULL DEFAULT '',
			state           TEXT NOT NULL,
			reason          TEXT NOT NULL DEFAULT '',
			created_at      BIGINT NOT NULL,
			expires_at      BIGINT NOT NULL,
			resolved_at     BIGINT NOT NULL DEFAULT 0
		)`,
		`CREATE UNIQUE INDEX transfer_offers_one_pending ON transfer_offers(conversation_id) WHERE state = 'pending'`,
		`CREATE INDEX transfer_offers_deadline ON transfer_offers(expires_at) WHERE state = 'pending'`,
		`CREATE INDEX transfer_offers_to ON transfer_offers(to_agent_id, state)`,
		`CREATE TABLE timeline (
			id              INTEGER PRIMARY KEY,
			conversation_id INTEGER NOT NULL REFERENCES conversations(id),
			at              BIGINT NOT NULL,
			kind            TEXT NOT NULL,
			actor_id        INTEGER REFERENCES users(id),
			data            TEXT NOT NULL DEFAULT '{}'
		)`,
		`CREATE INDEX timeline_conversation ON timeline(conversation_id, id)`,
		// The event log. audience is '*' (everyone), '' (staff only) or ',3,7,' (those users and
		// staff), decided when the event is written.
		`CREATE TABLE events (
			seq             INTEGER PRIMARY KEY AUTOINCREMENT,
			at              BIGINT NOT NULL,
			type            TEXT NOT NULL,
			conversation_id INTEGER NOT NULL DEFAULT 0,
			audience        TEXT NOT NULL,
			data            TEXT NOT NULL
		)`,
		`CREATE TABLE quick_messages (
			id         INTEGER PRIMARY KEY,
			owner_id   INTEGER NOT NULL DEFAULT 0,
			title      TEXT NOT NULL,
			shortcut   TEXT NOT NULL,
			body       TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			UNIQUE (owner_id, shortcut)
		)`,
	}
	stmts = append(stmts, d.schema...)
	for _, stmt := range stmts {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			if strings.Contains(err.Error(), "no such module: fts5") {
				return fmt.Errorf("this santrald was built without SQLite full-text search: build with -tags sqlite_fts5 (see README)")
			}
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}

// A conversation a supervisor took from an agent is not handed straight back to that agent by
// automatic assignment (they may still pull it).
func migrateSkipAgent(tx *sql.Tx, d dialect) error {
	_, err := tx.Exec(`ALTER TABLE conversations ADD COLUMN skip_agent_id INTEGER`)
	return err
}

// Channel accounts carry their settings and (server-only) credentials; agents' replies on real
// channels go out through stored send jobs.
func migrateChannelAccounts(tx *sql.Tx, d dialect) error {
	stmts := []string{
		`ALTER TABLE channels ADD COLUMN config TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE channels ADD COLUMN secrets TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE channels ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1`,
		`CREATE TABLE send_jobs (
			id          INTEGER PRIMARY KEY,
			message_id  INTEGER NOT NULL UNIQUE REFERENCES messages(id),
			channel_id  INTEGER NOT NULL REFERENCES channels(id),
			state       TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed')),
			attempts    INTEGER NOT NULL DEFAULT 0,
			next_try_at BIGINT NOT NULL,
			lease_until BIGINT NOT NULL DEFAULT 0,
			last_error  TEXT NOT NULL DEFAULT '',
			created_at  BIGINT NOT NULL
		)`,
		`CREATE INDEX send_jobs_due ON send_jobs(next_try_at) WHERE state IN ('pending', 'sending')`,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(d.rebind(s)); err != nil {
			return err
		}
	}
	return nil
}

// WhatsApp templates synced from the account, and the template a message was sent as.
func migrateTemplates(tx *sql.Tx, d dialect) error {
	stmts := []string{
		`CREATE TABLE templates (
			id         INTEGER PRIMARY KEY,
			channel_id INTEGER NOT NULL REFERENCES channels(id),
			name       TEXT NOT NULL,
			language   TEXT NOT NULL,
			category   TEXT NOT NULL,
			body       TEXT NOT NULL,
			params     INTEGER NOT NULL,
			synced_at  BIGINT NOT NULL,
			UNIQUE (channel_id, name, language)
		)`,
		`ALTER TABLE messages ADD COLUMN template TEXT NOT NULL DEFAULT ''`,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(d.rebind(s)); err != nil {
			return err
		}
	}
	return nil
}

// Inbound media is downloaded after the webhook's 200 (acknowledge fast, process after), by
// stored jobs; media_key then names the file in Santral's media storage.
func migrateMediaJobs(tx *sql.Tx, d dialect) error {
	_, err := tx.Exec(d.rebind(`CREATE TABLE media_jobs (
		id          INTEGER PRIMARY KEY,
		message_id  INTEGER NOT NULL REFERENCES messages(id),
		idx         INTEGER NOT NULL,
		channel_id  INTEGER NOT NULL REFERENCES channels(id),
		state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
		attempts    INTEGER NOT NULL DEFAULT 0,
		next_try_at BIGINT NOT NULL,
		media_key   TEXT,
		last_error  TEXT NOT NULL DEFAULT '',
		UNIQUE (message_id, idx)
	)`))
	if err != nil {
		return err
	}
	_, err = tx.Exec(`CREATE UNIQUE INDEX media_jobs_key ON media_jobs(media_key) WHERE media_key IS NOT NULL`)
	return err
}

// Files agents upload to send: whose they are until a message carries them.
func migrateUploads(tx *sql.Tx, d dialect) error {
	_, err := tx.Exec(d.rebind(`CREATE TABLE uploads (
		media_key       TEXT PRIMARY KEY,
		conversation_id INTEGER NOT NULL REFERENCES conversations(id),
		user_id         INTEGER NOT NULL REFERENCES users(id),
		created_at      BIGINT NOT NULL
	)`))
	return err
}

// Customer names are searched folded (Turkish letters to ASCII, lower case): SQLite's LIKE
// folds ASCII only, so "şahin" would not find "Şahin".
func migrateContactSearch(tx *sql.Tx, d dialect) error {
	if _, err := tx.Exec(`ALTER TABLE contacts ADD COLUMN search_name TEXT NOT NULL DEFAULT ''`); err != nil {
		return err
	}
	rows, err := tx.Query(`SELECT id, name FROM contacts`)
	if err != nil {
		return err
	}
	type row struct {
		id   int64
		name string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	for _, r := range all {
		if _, err := tx.Exec(d.rebind(`UPDATE contacts SET search_name = ? WHERE id = ?`), FoldName(r.name), r.id); err != nil {
			return err
		}
	}
	return nil
}

// Sessions remember when they were last used, so an idle one can end (sessions open before
// this start their idle time now); a visitor's uploads of the day are counted for their quota.
func migrateSessionsAndQuotas(tx *sql.Tx, d dialect) error {
	if _, err := tx.Exec(`ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0`); err != nil {
		return err
	}
	if _, err := tx.Exec(d.rebind(`UPDATE sessions SET last_seen_at = ?`), Now()); err != nil {
		return err
	}
	_, err := tx.Exec(`CREATE INDEX webchat_files_visitor ON webchat_files(visitor_id, created_at)`)
	return err
}

// Each claim of a send job gets a new fencing token, and every outcome is recorded only under
// the token it was claimed with; a failed message says when its delivery is unknown (the
// provider may have received it), so the app can offer to send it again. The workers' two
// questions (what is due, whose lease ran out) get an index each: send_jobs keeps every sent
// message, and the old index on state IN (…) could not serve either.
func migrateSendFencing(tx *sql.Tx, d dialect) error {
	stmts := []string{
		`ALTER TABLE send_jobs ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE messages ADD COLUMN delivery_unknown INTEGER NOT NULL DEFAULT 0`,
		`DROP INDEX send_jobs_due`,
		`CREATE INDEX send_jobs_pending ON send_jobs(next_try_at) WHERE state = 'pending'`,
		`CREATE INDEX send_jobs_leases ON send_jobs(lease_until) WHERE state = 'sending'`,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(d.rebind(s)); err != nil {
			return err
		}
	}
	return nil
}

// The history search at millions: the message index with prefix entries, and a trigram index
// of customers (history.go says how they are used).
func migrateSearchIndexes(tx *sql.Tx, d dialect) error {
	for _, stmt := range d.searchIndexes {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}

// New messages enter the search index when their group of requests commits, not by a trigger in
// each request (history.go's indexMessages says why).
func migrateIndexAtCommit(tx *sql.Tx, d dialect) error {
	for _, stmt := range d.indexStatements {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}

// The sweeps' questions, asked every half second ("is a session past its time? a connection
// stale? an offline grace over?"), are index lookups rather than scans of every session,
// connection and user: with thousands of agents logged in, those scans were most of an idle
// node's CPU.
func migrateSweepIndexes(tx *sql.Tx, d dialect) error {
	for _, stmt := range []string{
		`CREATE INDEX sessions_expiry ON sessions(expires_at)`,
		`CREATE INDEX sessions_seen ON sessions(last_seen_at)`,
		`CREATE INDEX connections_seen ON connections(seen_at)`,
		`CREATE INDEX users_offline_deadline ON users(offline_deadline) WHERE offline_deadline > 0`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}
