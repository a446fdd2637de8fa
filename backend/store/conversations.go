package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"santral/backend/wire"
)

const conversationColumns = `c.id, c.state, c.agent_id, c.queued_at, c.created_at, c.assigned_at, c.first_response_at,
	c.last_inbound_at, c.last_message_at, c.last_message_preview, c.ended_at, c.end_reason_id, COALESCE(r.label, ''),
	c.previous_id, ct.id, ct.channel_id, ct.external_id, ct.name, ct.phone, ct.email, ch.id, ch.type, ch.name,
	(SELECT o.id FROM transfer_offers o WHERE o.conversation_id = c.id AND o.state = 'pending'), c.queue_rank,
	c.flow_id, c.flow_agent_id`

const conversationFrom = ` FROM conversations c
	JOIN contacts ct ON ct.id = c.contact_id
	JOIN channels ch ON ch.id = c.channel_id
	LEFT JOIN end_reasons r ON r.id = c.end_reason_id`

func scanConversation(row interface{ Scan(...any) error }) (wire.Conversation, error) {
	var c wire.Conversation
	var agent, reason, prev, offer, flow, flowAgent sql.NullInt64
	var rank int
	err := row.Scan(&c.ID, &c.State, &agent, &c.QueuedAt, &c.CreatedAt, &c.AssignedAt, &c.FirstResponseAt,
		&c.LastInboundAt, &c.LastMessageAt, &c.LastMessagePreview, &c.EndedAt, &reason, &c.EndReason,
		&prev, &c.Contact.ID, &c.Contact.ChannelID, &c.Contact.ExternalID, &c.Contact.Name, &c.Contact.Phone,
		&c.Contact.Email, &c.Channel.ID, &c.Channel.Type, &c.Channel.Name, &offer, &rank, &flow, &flowAgent)
	c.AgentID, c.EndReasonID, c.PreviousID, c.PendingOfferID = nullInt(agent), nullInt(reason), nullInt(prev), nullInt(offer)
	c.FlowID, c.FlowAgentID = nullInt(flow), nullInt(flowAgent)
	if c.State == wire.Queued {
		c.QueueKey = queueKey(rank, c.QueuedAt, c.ID)
	}
	return c, err
}

// queueKey is the queue's serving order (queue_rank, queued_at, id: the ORDER BY of Queue and
// OldestQueued) as one string that sorts the same way, so the app shows the server's order
// without knowing how it is made. Ranks are small (−1 at the head, 0 normally).
func queueKey(rank int, queuedAt, id int64) string {
	return fmt.Sprintf("%03d.%015d.%015d", rank+100, queuedAt, id)
}

func scanConversations(rows *sql.Rows, err error) ([]wire.Conversation, error) {
	if err != nil {
		return nil, fmt.Errorf("store: unable to list conversations: %w", err)
	}
	defer rows.Close()
	out := []wire.Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: unable to read conversation: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Conversation reads one conversation inside the transaction.
func (t *Tx) Conversation(id int64) (wire.Conversation, error) {
	c, err := scanConversation(t.queryRow(`SELECT `+conversationColumns+conversationFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return c, wireNotFound(err, "conversation")
	}
	return c, nil
}

// Conversation reads one conversation.
func (s *Store) Conversation(ctx context.Context, id int64) (wire.Conversation, error) {
	c, err := scanConversation(s.readRow(ctx, `SELECT `+conversationColumns+conversationFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return c, wireNotFound(err, "conversation")
	}
	return c, nil
}

// HeldBy lists the conversations an agent holds, most recent activity first.
func (s *Store) HeldBy(ctx context.Context, agentID int64) ([]wire.Conversation, error) {
	return scanConversations(s.readRows(ctx, `SELECT `+conversationColumns+conversationFrom+`
		WHERE c.agent_id = ? AND c.state = 'assigned' ORDER BY c.last_message_at DESC, c.id DESC`, agentID))
}

// HeldIDs lists the ids of the conversations an agent holds, oldest assignment first.
func (t *Tx) HeldIDs(agentID int64) ([]int64, error) {
	return t.ids(`SELECT id FROM conversations WHERE agent_id = ? AND state = 'assigned' ORDER BY queued_at, id`, agentID)
}

// Queue lists the queued conversations in the order they are served.
func (s *Store) Queue(ctx context.Context, limit int) ([]wire.Conversation, error) {
	return scanConversations(s.readRows(ctx, `SELECT `+conversationColumns+conversationFrom+`
		WHERE c.state = 'queued' ORDER BY c.queue_rank, c.queued_at, c.id LIMIT ?`, limit))
}

// QueueStats reports the queue length and its oldest entry time.
func (s *Store) QueueStats(ctx context.Context) (length int, oldest int64, err error) {
	err = s.readRow(ctx, `SELECT COUNT(*), COALESCE(MIN(queued_at), 0) FROM conversations WHERE state = 'queued'`).Scan(&length, &oldest)
	return
}

// ContactConversations lists a contact's conversations, newest first.
func (s *Store) ContactConversations(ctx context.Context, contactID int64, limit int) ([]wire.Conversation, error) {
	return scanConversations(s.readRows(ctx, `SELECT `+conversationColumns+conversationFrom+`
		WHERE c.contact_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, contactID, limit))
}

// ActiveCount is how many conversations the agent holds.
func (t *Tx) ActiveCount(agentID int64) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM conversations WHERE agent_id = ? AND state = 'assigned'`, agentID).Scan(&n)
	return n, err
}

// OldestQueued returns the conversation at the head of the queue.
func (t *Tx) OldestQueued() (int64, bool, error) {
	return t.oldestQueued("")
}

// LockOldestQueued returns the conversation at the head of the queue, locked until commit. A
// head another transaction holds is waited for; if it has left the queue meanwhile, the next
// one is the head (PostgreSQL re-checks a locked row and moves on).
func (t *Tx) LockOldestQueued() (int64, bool, error) {
	return t.oldestQueued(t.s.dialect.lockRows)
}

func (t *Tx) oldestQueued(lock string) (int64, bool, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM conversations WHERE state = 'queued' ORDER BY queue_rank, queued_at, id LIMIT 1` + lock).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// QueuePosition is a place in the queue's serving order.
type QueuePosition struct {
	Rank     int
	QueuedAt int64
	ID       int64
}

// QueuedConversation is a queued conversation as automatic assignment walks the queue.
type QueuedConversation struct {
	ID          int64
	SkipAgentID int64 // automatic assignment must not give it to this agent (0: none)
	Position    QueuePosition
}

// QueuedAfter lists up to limit queued conversations after a position, in serving order
// (the zero position is before the head).
func (t *Tx) QueuedAfter(after QueuePosition, limit int) ([]QueuedConversation, error) {
	return t.queuedAfter(after, limit, "")
}

// LockQueuedAfter is QueuedAfter for automatic assignment: the conversations it returns are
// locked until commit, and those another transaction holds (another node assigning them, a
// message arriving in one) are left out instead of waited for.
func (t *Tx) LockQueuedAfter(after QueuePosition, limit int) ([]QueuedConversation, error) {
	return t.queuedAfter(after, limit, t.s.dialect.skipLocked)
}

func (t *Tx) queuedAfter(after QueuePosition, limit int, lock string) ([]QueuedConversation, error) {
	start := after == QueuePosition{}
	rows, err := t.query(`SELECT id, COALESCE(skip_agent_id, 0), queue_rank, queued_at FROM conversations
		WHERE state = 'queued' AND (? OR queue_rank > ? OR (queue_rank = ? AND (queued_at > ? OR (queued_at = ? AND id > ?))))
		ORDER BY queue_rank, queued_at, id LIMIT ?`+lock,
		start, after.Rank, after.Rank, after.QueuedAt, after.QueuedAt, after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the queue: %w", err)
	}
	defer rows.Close()
	var out []QueuedConversation
	for rows.Next() {
		var q QueuedConversation
		if err := rows.Scan(&q.ID, &q.SkipAgentID, &q.Position.Rank, &q.Position.QueuedAt); err != nil {
			return nil, err
		}
		q.Position.ID = q.ID
		out = append(out, q)
	}
	return out, rows.Err()
}

// AssignQueued gives a queued conversation to an agent. It reports false when the conversation
// is no longer queued: someone else won it.
func (t *Tx) AssignQueued(convID, agentID int64) (bool, error) {
	ok, err := t.execOne(`UPDATE conversations SET state = 'assigned', agent_id = ?, assigned_at = ?, queue_rank = 0, skip_agent_id = NULL
		WHERE id = ? AND state = 'queued'`, agentID, t.Now, convID)
	if err != nil {
		return false, fmt.Errorf("store: unable to assign conversation: %w", err)
	}
	return ok, nil
}

// MoveHolder hands an assigned conversation from one agent to another, only if `from` still
// holds it.
func (t *Tx) MoveHolder(convID, from, to int64) (bool, error) {
	t.assignable = true
	ok, err := t.execOne(`UPDATE conversations SET agent_id = ?, assigned_at = ? WHERE id = ? AND state = 'assigned' AND agent_id = ?`,
		to, t.Now, convID, from)
	if err != nil {
		return false, fmt.Errorf("store: unable to move conversation: %w", err)
	}
	return ok, nil
}

// Requeue puts an assigned conversation back in the queue; atHead puts it before every
// conversation of normal rank (a failed transfer whose sender left, a supervisor's return).
//
// skipHolder keeps automatic assignment from handing it straight back to the agent it left.
func (t *Tx) Requeue(convID int64, atHead, skipHolder bool) (bool, error) {
	t.assignable = true
	rank := 0
	if atHead {
		rank = -1
	}
	var holder int64
	err := t.queryRow(`SELECT agent_id FROM conversations WHERE id = ? AND state = 'assigned'`, convID).Scan(&holder)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: unable to read the conversation to requeue: %w", err)
	}
	ok, err := t.execOne(`UPDATE conversations SET state = 'queued', queue_rank = ?,
		skip_agent_id = CASE WHEN ? THEN agent_id ELSE NULL END, agent_id = NULL
		WHERE id = ? AND state = 'assigned'`, rank, skipHolder, convID)
	if err != nil {
		return false, fmt.Errorf("store: unable to requeue conversation: %w", err)
	}
	if ok {
		if t.requeuedFrom == nil {
			t.requeuedFrom = map[int64]int64{}
		}
		t.requeuedFrom[convID] = holder
	}
	return ok, nil
}

// RequeuedFrom is the agent the conversation left when this request put it back in the queue
// (0: it did not). Once it has a holder again in the same request, that agent can no longer read
// it, and the events addressed to its readers at commit do not reach them.
func (t *Tx) RequeuedFrom(convID int64) int64 { return t.requeuedFrom[convID] }

// EndConversation ends an assigned conversation held by agentID (or by anyone when agentID is 0).
func (t *Tx) EndConversation(convID, agentID, endedBy, reasonID int64) (bool, error) {
	t.assignable = true
	ok, err := t.execOne(`UPDATE conversations SET state = 'ended', ended_at = ?, end_reason_id = ?, ended_by = ?
		WHERE id = ? AND state = 'assigned' AND (? = 0 OR agent_id = ?)`, t.Now, reasonID, endedBy, convID, agentID, agentID)
	if err != nil {
		return false, fmt.Errorf("store: unable to end conversation: %w", err)
	}
	return ok, nil
}

// TakeUp gives an ended conversation to an agent again. A contact that already has an open
// conversation is refused with contact_has_open_conversation (they are talking there).
func (t *Tx) TakeUp(convID, agentID int64) (bool, error) {
	ok, err := t.execOne(`UPDATE conversations SET state = 'assigned', agent_id = ?, assigned_at = ?, ended_at = 0,
		end_reason_id = NULL, ended_by = NULL, queue_rank = 0 WHERE id = ? AND state = 'ended'`, agentID, t.Now, convID)
	if isUniqueViolation(err) {
		return false, wire.Errorf(wire.CodeContactHasOpen, "this customer already has an open conversation")
	}
	if err != nil {
		return false, fmt.Errorf("store: unable to take up conversation: %w", err)
	}
	return ok, nil
}

// Contact upserts a contact by its channel identity and returns its id. A known contact takes
// the newer name, phone or e-mail; an empty one keeps what it had.
func (t *Tx) Contact(channelID int64, externalID, name, phone, email string) (int64, error) {
	// Most messages come from a customer already known with the same details: one read, no
	// write (a write would also rewrite the customer's search index entries).
	var id int64
	var curName, curPhone, curEmail string
	err := t.queryRow(`SELECT id, name, phone, email FROM contacts WHERE channel_id = ? AND external_id = ?`, channelID, externalID).
		Scan(&id, &curName, &curPhone, &curEmail)
	switch {
	case err == nil && (name == "" || name == curName) && (phone == "" || phone == curPhone) && (email == "" || email == curEmail):
		return id, nil
	case err != nil && err != sql.ErrNoRows:
		return 0, fmt.Errorf("store: unable to read contact: %w", err)
	}
	err = t.queryRow(`INSERT INTO contacts (channel_id, external_id, name, phone, email, created_at, search_name) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id, external_id) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
			search_name = CASE WHEN excluded.name <> '' THEN excluded.search_name ELSE contacts.search_name END,
			phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE contacts.phone END,
			email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE contacts.email END
		RETURNING id`, channelID, externalID, name, phone, email, t.Now, FoldName(name)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: unable to save contact: %w", err)
	}
	return id, nil
}

var turkishLetters = strings.NewReplacer("ş", "s", "Ş", "s", "ğ", "g", "Ğ", "g", "ı", "i", "I", "i", "İ", "i",
	"ö", "o", "Ö", "o", "ü", "u", "Ü", "u", "ç", "c", "Ç", "c")

// FoldName is a name as the customer filter compares it: Turkish letters folded to ASCII, lower
// case, so "sahin", "ŞAHİN" and "Şahin" all match.
func FoldName(s string) string { return strings.ToLower(turkishLetters.Replace(s)) }

// OpenConversationOf returns the contact's open (queued or assigned) conversation, locked until
// commit: a message goes into a conversation that is still open when it is stored, not one
// another node is ending at that moment (waited for, it is no longer open).
func (t *Tx) OpenConversationOf(contactID int64) (int64, bool, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM conversations WHERE contact_id = ? AND state <> 'ended'`+t.s.dialect.lockRows, contactID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// LatestConversationOf returns the contact's open conversation, or else their latest one.
func (t *Tx) LatestConversationOf(contactID int64) (int64, bool, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM conversations WHERE contact_id = ? ORDER BY state = 'ended', created_at DESC, id DESC LIMIT 1`, contactID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// NewConversation opens a queued conversation for the contact, linked to their previous one.
func (t *Tx) NewConversation(contactID, channelID int64) (int64, error) {
	t.assignable = true
	var prev sql.NullInt64
	err := t.queryRow(`SELECT id FROM conversations WHERE contact_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, contactID).Scan(&prev)
	if err != nil && err != sql.ErrNoRows {
		return 0, err
	}
	id, err := t.insert(`INSERT INTO conversations (contact_id, channel_id, state, queued_at, created_at, previous_id)
		VALUES (?, ?, 'queued', ?, ?, ?)`, contactID, channelID, t.Now, t.Now, prev)
	if isUniqueViolation(err) {
		// The contact has an open conversation after all: another node opened it and committed
		// after this request looked. Run again, the request finds it.
		return 0, fmt.Errorf("store: unable to open conversation: %w: %w", errRetry, err)
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to open conversation: %w", err)
	}
	return id, nil
}

// Timeline.

// AddTimeline records a step in the conversation's life.
func (t *Tx) AddTimeline(convID int64, kind string, actorID int64, data any) (wire.TimelineEntry, error) {
	raw := []byte("{}")
	if data != nil {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return wire.TimelineEntry{}, err
		}
	}
	var actor sql.NullInt64
	if actorID != 0 {
		actor = sql.NullInt64{Int64: actorID, Valid: true}
	}
	id, err := t.insert(`INSERT INTO timeline (conversation_id, at, kind, actor_id, data) VALUES (?, ?, ?, ?, ?)`,
		convID, t.Now, kind, actor, string(raw))
	if err != nil {
		return wire.TimelineEntry{}, fmt.Errorf("store: unable to add timeline entry: %w", err)
	}
	return wire.TimelineEntry{ID: id, ConversationID: convID, At: t.Now, Kind: kind, ActorID: nullInt(actor), Data: raw}, nil
}

// Timeline lists a conversation's steps in order.
func (s *Store) Timeline(ctx context.Context, convID int64) ([]wire.TimelineEntry, error) {
	rows, err := s.readRows(ctx, `SELECT id, conversation_id, at, kind, actor_id, data FROM timeline WHERE conversation_id = ? ORDER BY id`, convID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read timeline: %w", err)
	}
	defer rows.Close()
	out := []wire.TimelineEntry{}
	for rows.Next() {
		var e wire.TimelineEntry
		var actor sql.NullInt64
		var data string
		if err := rows.Scan(&e.ID, &e.ConversationID, &e.At, &e.Kind, &actor, &data); err != nil {
			return nil, err
		}
		e.ActorID, e.Data = nullInt(actor), json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
