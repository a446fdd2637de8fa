package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"santral/backend/wire"
)

// Audience says who may see an event.
//
//	"*"        everyone
//	""         staff only
//	",3,7,"    users 3 and 7, and staff
//	"-,3,7,"   every user who is not staff, except 3 and 7
//	"=,3,7,"   users 3 and 7 only, not staff (who read everything, so never get a redaction)
//
// Readers and NonReaders are placeholders the transaction's resolver replaces at commit with
// who may (or may not) read the event's conversation in its final state: a conversation queued
// and assigned in one transaction was never readable in the queue, so its first message goes
// to its holder only.
type Audience string

const (
	Everyone   Audience = "*"
	StaffOnly  Audience = ""
	Readers    Audience = "?readers"
	NonReaders Audience = "?nonreaders"
	// Nobody: the event is not written (a redacted counterpart when everyone may read).
	Nobody Audience = "?nobody"
)

// Users is the audience of the given users (and staff, who see everything).
func Users(ids ...int64) Audience { return Audience(idList(ids)) }

// AllBut is every user who is not staff, except the given ones: those who get the redacted
// counterpart of an event the given users (and staff) get whole.
func AllBut(ids ...int64) Audience { return Audience("-" + idList(ids)) }

// Only is the given users and not staff: the agent a conversation left (an accepted
// transfer's sender) gets its redacted summary, while staff keep reading it whole.
func Only(ids ...int64) Audience { return Audience("=" + idList(ids)) }

func idList(ids []int64) string {
	var b strings.Builder
	b.WriteByte(',')
	for _, id := range ids {
		if id == 0 {
			continue
		}
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return b.String()
}

// Sees reports whether a user with the given id and staff flag is in the audience.
func (a Audience) Sees(userID int64, staff bool) bool {
	switch {
	case a == Everyone:
		return true
	case strings.HasPrefix(string(a), "-"):
		return !staff && !strings.Contains(string(a), ","+strconv.FormatInt(userID, 10)+",")
	case strings.HasPrefix(string(a), "="):
		return !staff && strings.Contains(string(a), ","+strconv.FormatInt(userID, 10)+",")
	case staff:
		return true
	}
	return strings.Contains(string(a), ","+strconv.FormatInt(userID, 10)+",")
}

// PendingEvent is an event appended in a transaction, written to the log at commit. The
// resolver sets Audience (for Readers/NonReaders) and Visitor.
type PendingEvent struct {
	Type           string
	ConversationID int64
	Audience       Audience
	// Visitor is the website-chat visitor whose socket the event concerns ("" for none).
	Visitor string
	at      int64
	data    []byte
}

// Resolver decides the audiences that depend on a conversation's final state.
type Resolver func(tx *Tx, ev *PendingEvent) error

// PendingConversations lists the conversations this transaction's events name, once each (a
// resolver reads what it needs of them in one go).
func (t *Tx) PendingConversations() []int64 {
	seen := make(map[int64]bool, len(t.pending))
	var ids []int64
	for _, ev := range t.pending {
		if ev.ConversationID != 0 && !seen[ev.ConversationID] {
			seen[ev.ConversationID] = true
			ids = append(ids, ev.ConversationID)
		}
	}
	return ids
}

// SetResolver installs the resolver for this transaction's events.
func (t *Tx) SetResolver(r Resolver) { t.resolve = r }

// AppendToSet adds an id to a set event of the transaction: every request sharing the
// transaction (group commit) adds to one event per type and audience, written when the
// transaction ends, whose data is {"ids": [...]}. For facts many decisions produce at once and
// everyone must hear — conversations that left the queue — one event instead of one per
// conversation per socket.
func (t *Tx) AppendToSet(typ string, audience Audience, id int64) {
	if t.sets == nil {
		t.sets = map[setKey][]int64{}
	}
	k := setKey{typ, audience}
	t.sets[k] = append(t.sets[k], id)
}

type setKey struct {
	typ      string
	audience Audience
}

// setEvents turns the set events gathered from a group's requests into events to write.
func setEvents(sets map[setKey][]int64, order []setKey, now int64) ([]*PendingEvent, error) {
	out := make([]*PendingEvent, 0, len(order))
	for _, k := range order {
		raw, err := json.Marshal(wire.IDsData{IDs: sets[k]})
		if err != nil {
			return nil, err
		}
		out = append(out, &PendingEvent{Type: k.typ, Audience: k.audience, at: now, data: raw})
	}
	return out, nil
}

// Append adds an event to the transaction, so it exists exactly when the change it reports does.
func (t *Tx) Append(typ string, conversationID int64, audience Audience, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: unable to encode event %s: %w", typ, err)
	}
	t.pending = append(t.pending, &PendingEvent{Type: typ, ConversationID: conversationID, Audience: audience, at: t.Now, data: raw})
	return nil
}

// resolveEvents decides the audiences of the request's events once its changes are made, and
// keeps those someone sees; the group writes them all just before it commits (writeEvents).
func (t *Tx) resolveEvents() error {
	kept := t.pending[:0]
	for _, ev := range t.pending {
		if t.resolve != nil {
			if err := t.resolve(t, ev); err != nil {
				return fmt.Errorf("store: unable to resolve the audience of %s: %w", ev.Type, err)
			}
		}
		if ev.Audience == Nobody {
			continue
		}
		if strings.HasPrefix(string(ev.Audience), "?") {
			return fmt.Errorf("store: event %s has unresolved audience %s", ev.Type, ev.Audience)
		}
		kept = append(kept, ev)
	}
	t.pending = kept
	t.written = len(kept)
	return nil
}

// writeEvents appends a group's events to the log, in the order of its requests, as the last
// writes before its commit.
//
// A sequence number is a promise to the clients: one who has seen N never later gets an event
// below N. SQLite has one writer, so AUTOINCREMENT numbers in commit order. PostgreSQL's
// sequences do not (a transaction that took N may commit after one that took N+1, and a reader
// between the two commits moves past N for good), so there the numbers come from the event_seq
// row: the UPDATE locks it until commit, so the next group to append waits until this one has
// committed and continues from its last number — numbers are handed out in commit order, with
// no gaps. Taking the row here, at the very end, holds it for one INSERT and the commit only;
// and since a group is many requests, the wait is paid once per group, not once per request.
func (s *Store) writeEvents(sqlTx *sql.Tx, events []*PendingEvent) error {
	t := &Tx{s: s, tx: sqlTx}
	if !s.dialect.counter {
		// In the order given, up to bulkRows rows a statement: AUTOINCREMENT numbers the rows
		// of one INSERT in the order of its VALUES.
		return chunks(events, func(part []*PendingEvent) error {
			args := make([]any, 0, 6*len(part))
			for _, ev := range part {
				args = append(args, ev.at, ev.Type, ev.ConversationID, string(ev.Audience), nullString(ev.Visitor), string(ev.data))
			}
			if _, err := t.exec(`INSERT INTO events (at, type, conversation_id, audience, visitor, data) VALUES `+placeholders(len(part), 6), args...); err != nil {
				return fmt.Errorf("store: unable to append events: %w", err)
			}
			return nil
		})
	}
	var last int64
	if err := t.queryRow(`UPDATE event_seq SET seq = seq + ? RETURNING seq`, len(events)).Scan(&last); err != nil {
		return fmt.Errorf("store: unable to number events: %w", err)
	}
	n := len(events)
	seq, at, conv := make([]int64, n), make([]int64, n), make([]int64, n)
	typ, aud, vis, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, ev := range events {
		seq[i], at[i], conv[i] = last-int64(n-1-i), ev.at, ev.ConversationID
		typ[i], aud[i], vis[i], data[i] = ev.Type, string(ev.Audience), ev.Visitor, string(ev.data)
	}
	if _, err := t.exec(`INSERT INTO events (seq, at, type, conversation_id, audience, visitor, data)
		SELECT s, a, ty, c, au, NULLIF(v, ''), d FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[])
			AS e(s, a, ty, c, au, v, d)`, seq, at, typ, conv, aud, vis, data); err != nil {
		return fmt.Errorf("store: unable to append events: %w", err)
	}
	return nil
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// ConversationReaders is what the read rule needs of a conversation.
type ConversationReaders struct {
	State             wire.ConversationState
	AgentID           int64
	OfferedTo         int64 // the receiver of its pending transfer offer
	ChannelType       string
	ContactExternalID string
	FlowAgentID       int64 // in a flow: the agent who handed it over (0: none)
}

// ReadersOf reads what decides who may read a conversation now.
func (t *Tx) ReadersOf(convID int64) (ConversationReaders, error) {
	var r ConversationReaders
	var agent, offer, flowAgent sql.NullInt64
	err := t.queryRow(`SELECT c.state, c.agent_id, ch.type, ct.external_id,
		(SELECT o.to_agent_id FROM transfer_offers o WHERE o.conversation_id = c.id AND o.state = 'pending'), c.flow_agent_id
		FROM conversations c JOIN channels ch ON ch.id = c.channel_id JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.id = ?`, convID).Scan(&r.State, &agent, &r.ChannelType, &r.ContactExternalID, &offer, &flowAgent)
	r.AgentID, r.OfferedTo, r.FlowAgentID = agent.Int64, offer.Int64, flowAgent.Int64
	return r, wireNotFound(err, "conversation")
}

// EventBounds returns the oldest retained and the newest sequence numbers (0, 0 when empty).
func (s *Store) EventBounds(ctx context.Context) (oldest, newest int64, err error) {
	err = s.readRow(ctx, `SELECT COALESCE((SELECT MIN(seq) FROM events), 0), COALESCE((SELECT MAX(seq) FROM events), 0)`).Scan(&oldest, &newest)
	return
}

// LogEvent is an event as the log holds it, for the node's one reader that hands events to
// the sockets whose audience it names.
type LogEvent struct {
	wire.Event
	Audience Audience
	Visitor  string
}

// ReadLog returns up to limit events after seq, every audience, in order. Sequence numbers are
// committed in order on every backend (writeEvents), so reading "after seq" never skips an
// event that commits later with a smaller number.
func (s *Store) ReadLog(ctx context.Context, after int64, limit int) ([]LogEvent, error) {
	rows, err := s.readRows(ctx, `SELECT seq, at, type, conversation_id, audience, COALESCE(visitor, ''), data FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the event log: %w", err)
	}
	defer rows.Close()
	var out []LogEvent
	for rows.Next() {
		var e LogEvent
		var data string
		if err := rows.Scan(&e.Seq, &e.At, &e.Type, &e.ConversationID, &e.Audience, &e.Visitor, &data); err != nil {
			return nil, err
		}
		e.Data = json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// audienceFilter is the SQL form of Audience.Sees for one reader (two arguments: see args).
const audienceFilter = `(audience = '*' OR (? AND audience NOT LIKE '-%' AND audience NOT LIKE '=%') OR
	(NOT ? AND ((audience NOT LIKE '-%' AND audience LIKE ?) OR (audience LIKE '-%' AND audience NOT LIKE ?))))`

func audienceArgs(userID int64, staff bool) []any {
	like := "%," + strconv.FormatInt(userID, 10) + ",%"
	return []any{staff, staff, like, like}
}

// EventsAfter returns up to limit events in (after, upTo] (upTo 0: no bound) that the user may
// see, in order, stopping early once maxBytes of event data are read (0: no bound) so a client
// resuming from far behind costs a bounded amount of memory per page. Internal events are not
// returned.
func (s *Store) EventsAfter(ctx context.Context, after, upTo int64, userID int64, staff bool, limit, maxBytes int) ([]wire.Event, error) {
	args := append([]any{after, upTo, upTo}, audienceArgs(userID, staff)...)
	args = append(args, limit)
	rows, err := s.readRows(ctx, `SELECT seq, at, type, conversation_id, data FROM events
		WHERE seq > ? AND (CAST(? AS BIGINT) = 0 OR seq <= ?) AND type NOT LIKE 'sessions.%' AND `+audienceFilter+` ORDER BY seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read events: %w", err)
	}
	defer rows.Close()
	var out []wire.Event
	size := 0
	for rows.Next() {
		var e wire.Event
		var data string
		if err := rows.Scan(&e.Seq, &e.At, &e.Type, &e.ConversationID, &data); err != nil {
			return nil, err
		}
		e.Data = json.RawMessage(data)
		out = append(out, e)
		if size += len(data); maxBytes > 0 && size >= maxBytes {
			break
		}
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

// migrateEventVisitor adds the website-chat visitor an event concerns, so the node's reader can
// wake that visitor's socket alone.
func migrateEventVisitor(tx *sql.Tx, d dialect) error {
	_, err := tx.Exec(`ALTER TABLE events ADD COLUMN visitor TEXT`)
	return err
}
