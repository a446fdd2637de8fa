// Package cache is the desktop app's local SQLite file: conversations, messages, contacts,
// quick messages and the sync cursor, so the inbox appears at once and stays readable offline;
// and the outbox, the one table holding data the server has not seen yet.
//
// Everything but the outbox can be deleted at any time and rebuilt from the server
// (ARCHITECTURE.md invariant 8). Events are applied and the cursor advanced in one
// transaction, so an event is applied exactly once however the app stops.
package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3"

	"santral/backend/wire"
)

// CodeServerChanged marks replies that were still queued when the server's database changed:
// their conversation ids belonged to the other database, so they were never sent.
const CodeServerChanged wire.Code = "server_changed"

// Cache is the open cache file.
type Cache struct {
	db   *sql.DB
	path string
}

// Version 2 added the outbox's attachments column.
const schemaVersion = 2

var schema = []string{
	`CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS conversations (
		id INTEGER PRIMARY KEY, state TEXT NOT NULL, agent_id INTEGER, contact_id INTEGER NOT NULL,
		last_message_at INTEGER NOT NULL, unread INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS conversations_agent ON conversations(agent_id, state)`,
	`CREATE TABLE IF NOT EXISTS contacts (id INTEGER PRIMARY KEY, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL, data TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id)`,
	`CREATE TABLE IF NOT EXISTS timeline (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS offers (id INTEGER PRIMARY KEY, state TEXT NOT NULL, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS end_reasons (id INTEGER PRIMARY KEY, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS quick_messages (id INTEGER PRIMARY KEY, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS outbox (
		key TEXT PRIMARY KEY, conversation_id INTEGER NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
		error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, message_id INTEGER NOT NULL DEFAULT 0,
		attachments TEXT NOT NULL DEFAULT '[]')`,
}

// Open opens (creating) the cache file at path. A cache from another schema version is
// discarded and rebuilt — except the outbox, which is carried over.
func Open(path string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: unable to create folder: %w", err)
	}
	p := url.Values{}
	p.Set("_journal_mode", "WAL")
	p.Set("_synchronous", "FULL") // the outbox holds replies the server has not seen
	p.Set("_busy_timeout", "5000")
	p.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+p.Encode())
	if err != nil {
		return nil, fmt.Errorf("cache: unable to open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	c := &Cache{db: db, path: path}
	if err := c.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cache) migrate() error {
	var v int
	if err := c.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("cache: unable to read version: %w", err)
	}
	if v != 0 && v != schemaVersion {
		// Rebuildable tables go; the outbox stays (columns added since v1 are added below).
		for _, t := range []string{"kv", "conversations", "contacts", "messages", "timeline", "offers", "agents", "end_reasons", "quick_messages"} {
			if _, err := c.db.Exec(`DROP TABLE IF EXISTS ` + t); err != nil {
				return err
			}
		}
	}
	for _, s := range schema {
		if _, err := c.db.Exec(s); err != nil {
			return fmt.Errorf("cache: unable to create schema: %w", err)
		}
	}
	if err := c.addOutboxColumn("attachments", `TEXT NOT NULL DEFAULT '[]'`); err != nil {
		return err
	}
	_, err := c.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion))
	return err
}

// addOutboxColumn adds a column to an outbox carried over from an older version (its replies
// must survive, so the table is altered, never dropped).
func (c *Cache) addOutboxColumn(name, decl string) error {
	rows, err := c.db.Query(`PRAGMA table_info(outbox)`)
	if err != nil {
		return fmt.Errorf("cache: unable to read the outbox columns: %w", err)
	}
	found := false
	for rows.Next() {
		var (
			cid, notNull, pk int
			col, typ         string
			def              sql.NullString
		)
		if err := rows.Scan(&cid, &col, &typ, &notNull, &def, &pk); err != nil {
			rows.Close()
			return err
		}
		if col == name {
			found = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || found {
		return err
	}
	if _, err := c.db.Exec(`ALTER TABLE outbox ADD COLUMN ` + name + ` ` + decl); err != nil {
		return fmt.Errorf("cache: unable to add outbox column %s: %w", name, err)
	}
	return nil
}

// Close closes the file.
func (c *Cache) Close() error { return c.db.Close() }

func (c *Cache) tx(fn func(*sql.Tx) error) error {
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("cache: unable to begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

func putKV(x execer, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = x.Exec(`INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(b))
	return err
}

func getKV(x execer, key string, v any) (bool, error) {
	var raw string
	err := x.QueryRow(`SELECT value FROM kv WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(raw), v)
}

// Cursor is the sequence number of the last event applied (0: never synced).
func (c *Cache) Cursor() (int64, error) {
	var cur int64
	_, err := getKV(c.db, "cursor", &cur)
	return cur, err
}

// Account is whose data the cache holds; a different server or user clears it.
type Account struct {
	ServerURL string `json:"server_url"`
	UserID    int64  `json:"user_id"`
}

// Bind makes sure the cache holds only this account's data, clearing it (outbox included:
// replies of another user must never be sent as this one) when it belonged to someone else.
func (c *Cache) Bind(a Account) error {
	return c.tx(func(tx *sql.Tx) error {
		var cur Account
		ok, err := getKV(tx, "account", &cur)
		if err != nil {
			return err
		}
		if ok && cur == a {
			return nil
		}
		if err := clear(tx, true); err != nil {
			return err
		}
		return putKV(tx, "account", a)
	})
}

func clear(tx *sql.Tx, outbox bool) error {
	tables := []string{"kv", "conversations", "contacts", "messages", "timeline", "offers", "agents", "end_reasons", "quick_messages"}
	if outbox {
		tables = append(tables, "outbox")
	}
	for _, t := range tables {
		if _, err := tx.Exec(`DELETE FROM ` + t); err != nil {
			return err
		}
	}
	return nil
}

// Me returns the signed-in user as last synced.
func (c *Cache) Me() (wire.User, bool, error) {
	var u wire.User
	ok, err := getKV(c.db, "me", &u)
	return u, ok, err
}

// SetMe stores the signed-in user, also in the agents list (so the inbox shows a presence the
// server just confirmed before its event arrives).
func (c *Cache) SetMe(u wire.User) error {
	return c.tx(func(tx *sql.Tx) error {
		if err := putKV(tx, "me", u); err != nil {
			return err
		}
		return putJSON(tx, "agents", u.ID, u, "")
	})
}

// PutAgents replaces the cached list of users (agents to transfer to).
func (c *Cache) PutAgents(list []wire.User) error {
	return c.tx(func(tx *sql.Tx) error {
		return replaceAll(tx, "agents", list, func(u wire.User) (int64, []any) { return u.ID, nil })
	})
}

// ServerDatabase checks the server's database identity against the one the cached data came
// from. Another one (a restore, a reinstall) makes every cached id meaningless: the cache is
// emptied and the cursor reset, and replies still queued are marked failed — their conversation
// ids belonged to the other database. It reports whether the cache was emptied.
func (c *Cache) ServerDatabase(id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	var changed bool
	err := c.tx(func(tx *sql.Tx) error {
		var cur string
		ok, err := getKV(tx, "database", &cur)
		if err != nil || (ok && cur == id) {
			return err
		}
		var account Account
		hadAccount, _ := getKV(tx, "account", &account)
		if ok { // data from another database
			changed = true
			if err := clear(tx, false); err != nil {
				return err
			}
			b, _ := json.Marshal(wire.Error{Code: CodeServerChanged, Message: "the server's database changed; this reply was not sent"})
			if _, err := tx.Exec(`UPDATE outbox SET state = 'failed', error = ? WHERE state = 'queued'`, string(b)); err != nil {
				return err
			}
			if hadAccount {
				if err := putKV(tx, "account", account); err != nil {
					return err
				}
			}
		}
		return putKV(tx, "database", id)
	})
	return changed, err
}

// ResetCursor forgets the sync position: the next connection loads a full snapshot. The cached
// state stays visible until the snapshot replaces it.
func (c *Cache) ResetCursor() error { return putKV(c.db, "cursor", 0) }

// Path is the cache file.
func (c *Cache) Path() string { return c.path }

// SetClockOffset remembers the server's clock offset (server − local, ms) so an app started
// offline still compares deadlines with the server's time.
func (c *Cache) SetClockOffset(ms int64) error { return putKV(c.db, "clock_offset", ms) }

// ClockOffset is the offset last measured, if any.
func (c *Cache) ClockOffset() (int64, bool) {
	var ms int64
	ok, err := getKV(c.db, "clock_offset", &ms)
	return ms, ok && err == nil
}
