package store

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"testing"

	"santral/backend/wire"
)

// An upload is the uploader's in its conversation only; the one never sent expires, the one
// sent stays, and a send and the expiry cannot both win.
func TestUploadsBelongToTheirConversationAndExpireUnsent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ayse, mehmet := createAgent(t, s, "ayse"), createAgent(t, s, "mehmet")
		conv := openConversation(t, s, 1000, customer{"905321110000", "Elif", ""})
		other := openConversation(t, s, 1000, customer{"905321110001", "Can", ""})
		pdf := wire.Attachment{Kind: "document", Name: "fatura.pdf", MimeType: "application/pdf", Size: 1234}
		inTxAt(t, s, 1000, func(tx *Tx) error {
			for _, k := range []string{"sent", "unsent"} {
				if err := tx.RecordUpload(k, conv, ayse, pdf); err != nil {
					return err
				}
			}
			return nil
		})
		use := func(key string, convID, userID int64) bool {
			var ok bool
			inTxAt(t, s, 2000, func(tx *Tx) error {
				a, found, err := tx.UseUpload(key, convID, userID)
				if found && (a.Name != pdf.Name || a.Size != pdf.Size || a.URL != "/api/v1/media/"+key) {
					t.Errorf("the upload as measured: %+v", a)
				}
				ok = found
				return err
			})
			return ok
		}
		if use("sent", conv, mehmet) || use("sent", other, ayse) || use("nothing", conv, ayse) {
			t.Fatal("another agent's upload, another conversation or an unknown key must not be usable")
		}
		if !use("sent", conv, ayse) {
			t.Fatal("the uploader's own upload in its conversation is usable")
		}
		var n int
		inTxAt(t, s, 5000, func(tx *Tx) (err error) { n, err = tx.ExpireUploads(3000, 100); return })
		if n != 1 {
			t.Fatalf("%d uploads expired, want the unsent one", n)
		}
		if use("unsent", conv, ayse) {
			t.Fatal("an expired upload cannot be sent")
		}
		if !use("sent", conv, ayse) {
			t.Fatal("a sent upload stays usable (it can go again)")
		}
		keys, err := s.MediaRemovals(context.Background(), 10)
		if err != nil || !slices.Equal(keys, []string{"unsent"}) {
			t.Fatalf("removals queued %v (err %v), want [unsent]", keys, err)
		}
		inTx(t, s, func(tx *Tx) error { return tx.MediaRemoved("unsent") })
		if due, err := s.UploadsDue(context.Background(), 1_000_000); err != nil || due {
			t.Fatalf("nothing left to do: due %v, err %v", due, err)
		}
	})
}

// Uploads sent before this version are marked used by the migration, so the retention keeps them.
func TestMigrationKeepsUploadsSentBefore(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, open opener) {
		all := migrations
		before := slices.IndexFunc(all, func(m func(*sql.Tx, dialect) error) bool {
			return reflect.ValueOf(m).Pointer() == reflect.ValueOf(migrateUploadRetention).Pointer()
		})
		migrations = all[:before]
		s, err := open()
		migrations = all
		if err != nil {
			t.Fatal(err)
		}
		ayse := createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{"905321110000", "Elif", ""})
		inTxAt(t, s, 1000, func(tx *Tx) error {
			for _, k := range []string{"sentbefore", "neversent"} {
				if _, err := tx.exec(`INSERT INTO uploads (media_key, conversation_id, user_id, created_at) VALUES (?, ?, ?, ?)`, k, conv, ayse, 1000); err != nil {
					return err
				}
			}
			_, err := tx.exec(`INSERT INTO messages (conversation_id, channel_id, direction, author_id, body, attachments, status, created_at)
				VALUES (?, (SELECT channel_id FROM conversations WHERE id = ?), 'out', ?, '', ?, 'sent', 1500)`,
				conv, conv, ayse, `[{"kind":"document","url":"/api/v1/media/sentbefore"}]`)
			return err
		})
		s.Close()
		if s, err = open(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var n int
		inTxAt(t, s, 1_000_000, func(tx *Tx) (err error) { n, err = tx.ExpireUploads(900_000, 100); return })
		keys, _ := s.MediaRemovals(context.Background(), 10)
		if n != 1 || !slices.Equal(keys, []string{"neversent"}) {
			t.Fatalf("expired %d, removals %v: only the upload never sent may go", n, keys)
		}
	})
}
