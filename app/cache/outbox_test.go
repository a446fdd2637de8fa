package cache

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"santral/backend/wire"
)

func TestOutboxCarriesAttachments(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	att := []wire.Attachment{{Kind: "image", Name: "a.png", MimeType: "image/png", Size: 10, URL: "/api/v1/media/a"}, {Kind: "document", Name: "b.pdf", URL: "/api/v1/media/b"}}
	if err := c.Enqueue(OutboxEntry{Key: "k1", ConversationID: 3, Body: "bakınız", CreatedAt: 1, Attachments: att}); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(OutboxEntry{Key: "k2", ConversationID: 3, Body: "metin", CreatedAt: 2}); err != nil {
		t.Fatal(err)
	}
	q, err := c.Queued()
	if err != nil || len(q) != 2 {
		t.Fatalf("queued: %+v %v", q, err)
	}
	if len(q[0].Attachments) != 2 || q[0].Attachments[0] != att[0] || q[0].Attachments[1] != att[1] {
		t.Fatalf("attachments round trip: %+v", q[0].Attachments)
	}
	if q[1].Attachments != nil {
		t.Fatalf("a text reply has no attachments: %+v", q[1].Attachments)
	}
}

// A cache of version 1 (no attachments column) keeps its outbox: the column is added.
func TestMigrationKeepsTheOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE TABLE outbox (key TEXT PRIMARY KEY, conversation_id INTEGER NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
			error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, message_id INTEGER NOT NULL DEFAULT 0)`,
		`INSERT INTO outbox (key, conversation_id, body, state, created_at) VALUES ('old', 5, 'eski yanıt', 'queued', 1)`,
		`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO kv VALUES ('cursor', '42')`,
		`PRAGMA user_version = 1`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, err := c.Queued()
	if err != nil || len(q) != 1 || q[0].Key != "old" || q[0].Body != "eski yanıt" || q[0].Attachments != nil {
		t.Fatalf("the v1 outbox survives: %+v %v", q, err)
	}
	if cur, _ := c.Cursor(); cur != 0 {
		t.Fatalf("rebuildable tables are dropped: cursor %d", cur)
	}
	if err := c.Enqueue(OutboxEntry{Key: "new", ConversationID: 5, Body: "", CreatedAt: 2, Attachments: []wire.Attachment{{Kind: "audio", URL: "/api/v1/media/x"}}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, err := Open(path) // opening again (current version) changes nothing
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if q, _ := c2.Queued(); len(q) != 2 || len(q[1].Attachments) != 1 {
		t.Fatalf("after reopening: %+v", q)
	}
}
