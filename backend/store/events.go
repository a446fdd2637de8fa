package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"santral/backend/wire"
)

// Audience says who may see an event, decided when it is written.
type Audience string

const (
	Everyone  Audience = "*"
	StaffOnly Audience = ""
)

// Users is the audience of the given users (and staff, who see everything).
func Users(ids ...int64) Audience {
	var b strings.Builder
	b.WriteByte(',')
	for _, id := range ids {
		if id == 0 {
			continue
		}
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return Audience(b.String())
}

// Append writes an event in the transaction, so it exists exactly when the change it reports does.
func (t *Tx) Append(typ string, conversationID int64, audience Audience, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: unable to encode event %s: %w", typ, err)
	}
	if _, err := t.exec(`INSERT INTO events (at, type, conversation_id, audience, data) VALUES (?, ?, ?, ?, ?)`,
		t.Now, typ, conversationID, string(audience), string(raw)); err != nil {
		return fmt.Errorf("store: unable to append event %s: %w", typ, err)
	}
	t.events++
	return nil
}

// EventBounds returns the oldest retained and the newest sequence numbers (0, 0 when empty).
func (s *Store) EventBounds(ctx context.Context) (oldest, newest int64, err error) {
	err = s.readRow(ctx, `SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM events`).Scan(&oldest, &newest)
	return
}

// EventsAfter returns up to limit events after seq that the user may see, in order.
// SQLite's single writer commits sequence numbers in order, so reading "after seq" never skips
// an event that commits later with a smaller number.
func (s *Store) EventsAfter(ctx context.Context, after int64, userID int64, staff bool, limit int) ([]wire.Event, error) {
	rows, err := s.readRows(ctx, `SELECT seq, at, type, conversation_id, data FROM events
		WHERE seq > ? AND (? OR audience = '*' OR audience LIKE ?) ORDER BY seq LIMIT ?`,
		after, staff, "%,"+strconv.FormatInt(userID, 10)+",%", limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read events: %w", err)
	}
	defer rows.Close()
	var out []wire.Event
	for rows.Next() {
		var e wire.Event
		var data string
		if err := rows.Scan(&e.Seq, &e.At, &e.Type, &e.ConversationID, &data); err != nil {
			return nil, err
		}
		e.Data = json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneEvents drops events older than before, keeping at least the newest one so the sequence
// never restarts. A client whose cursor falls behind the oldest retained event must resync.
func (t *Tx) PruneEvents(before int64) (int64, error) {
	res, err := t.exec(`DELETE FROM events WHERE at < ? AND seq < (SELECT MAX(seq) FROM events)`, before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
