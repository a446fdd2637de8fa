package store

// What supervisors and admins add (issue 11): tags and the tags on conversations, the actor of a
// presence change made for someone else, a supervisor's reassignment, and the reads behind the
// dashboard snapshot and the reports.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"santral/backend/wire"
)

// migrateNotesAndTags: the admin's tag list, tags on conversations (the history filter walks
// conversation_tags by tag), who changed a presence when it was not the user (a supervisor),
// and an index for "ended today" (the dashboard) that does not read every ended conversation.
// Internal notes are timeline entries (kind "note"): no table of their own.
func migrateNotesAndTags(tx *sql.Tx, d dialect) error {
	stmts := []string{
		`CREATE TABLE tags (
			id         INTEGER PRIMARY KEY,
			label      TEXT NOT NULL UNIQUE,
			active     INTEGER NOT NULL DEFAULT 1,
			created_at BIGINT NOT NULL
		)`,
		`CREATE TABLE conversation_tags (
			conversation_id INTEGER NOT NULL REFERENCES conversations(id),
			tag_id          INTEGER NOT NULL REFERENCES tags(id),
			added_by        INTEGER REFERENCES users(id),
			added_at        BIGINT NOT NULL,
			PRIMARY KEY (conversation_id, tag_id)
		)`,
		`CREATE INDEX conversation_tags_tag ON conversation_tags(tag_id, conversation_id)`,
		`ALTER TABLE presence_log ADD COLUMN actor_id INTEGER`,
		`CREATE INDEX conversations_ended_at ON conversations(ended_at) WHERE state = 'ended'`,
	}
	for _, stmt := range stmts {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}

// Tags lists the admin's tags by label; inactive ones too when all.
func (s *Store) Tags(ctx context.Context, all bool) ([]wire.Tag, error) {
	rows, err := s.readRows(ctx, `SELECT id, label, active FROM tags WHERE active = 1 OR ? ORDER BY label, id`, all)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list tags: %w", err)
	}
	defer rows.Close()
	out := []wire.Tag{}
	for rows.Next() {
		var t wire.Tag
		var active int
		if err := rows.Scan(&t.ID, &t.Label, &active); err != nil {
			return nil, err
		}
		t.Active = active != 0
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveTag creates (id 0) or changes a tag; a label another tag has is refused (tag_taken).
func (t *Tx) SaveTag(id int64, label string, active bool) (int64, error) {
	var err error
	if id == 0 {
		id, err = t.insert(`INSERT INTO tags (label, active, created_at) VALUES (?, ?, ?)`, label, boolInt(&active), t.Now)
	} else {
		var ok bool
		ok, err = t.execOne(`UPDATE tags SET label = ?, active = ? WHERE id = ?`, label, boolInt(&active), id)
		if err == nil && !ok {
			return 0, wire.Errorf(wire.CodeNotFound, "tag not found")
		}
	}
	if isUniqueViolation(err) {
		return 0, &wire.Error{Code: wire.CodeTagTaken, Field: "label", Message: "a tag with this label exists"}
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to save tag: %w", err)
	}
	return id, nil
}

// SetConversationTags makes the conversation's tags exactly tagIDs. Only active tags can be
// added (an inactive one it already has stays); it reports the tag ids refused.
func (t *Tx) SetConversationTags(convID int64, tagIDs []int64, actorID int64) (refused []int64, err error) {
	keep := map[int64]bool{}
	for _, id := range tagIDs {
		keep[id] = true
	}
	have, err := t.ConversationTags(convID)
	if err != nil {
		return nil, err
	}
	for _, tg := range have {
		if !keep[tg.ID] {
			if _, err := t.exec(`DELETE FROM conversation_tags WHERE conversation_id = ? AND tag_id = ?`, convID, tg.ID); err != nil {
				return nil, fmt.Errorf("store: unable to remove tag: %w", err)
			}
		}
		delete(keep, tg.ID)
	}
	for _, id := range tagIDs {
		if !keep[id] {
			continue
		}
		delete(keep, id)
		// The condition is in the statement: an unknown or inactive tag inserts nothing.
		ok, err := t.execOne(`INSERT INTO conversation_tags (conversation_id, tag_id, added_by, added_at)
			SELECT ?, id, ?, ? FROM tags WHERE id = ? AND active = 1`, convID, nullID(actorID), t.Now, id)
		if err != nil {
			return nil, fmt.Errorf("store: unable to add tag: %w", err)
		}
		if !ok {
			refused = append(refused, id)
		}
	}
	return refused, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// ConversationTags lists a conversation's tags by label.
func (t *Tx) ConversationTags(convID int64) ([]wire.Tag, error) {
	rows, err := t.query(`SELECT g.id, g.label, g.active FROM conversation_tags ct JOIN tags g ON g.id = ct.tag_id
		WHERE ct.conversation_id = ? ORDER BY g.label, g.id`, convID)
	return scanTags(rows, err)
}

// ConversationTags lists a conversation's tags by label.
func (s *Store) ConversationTags(ctx context.Context, convID int64) ([]wire.Tag, error) {
	rows, err := s.readRows(ctx, `SELECT g.id, g.label, g.active FROM conversation_tags ct JOIN tags g ON g.id = ct.tag_id
		WHERE ct.conversation_id = ? ORDER BY g.label, g.id`, convID)
	return scanTags(rows, err)
}

func scanTags(rows *sql.Rows, err error) ([]wire.Tag, error) {
	if err != nil {
		return nil, fmt.Errorf("store: unable to read tags: %w", err)
	}
	defer rows.Close()
	out := []wire.Tag{}
	for rows.Next() {
		var tg wire.Tag
		var active int
		if err := rows.Scan(&tg.ID, &tg.Label, &active); err != nil {
			return nil, err
		}
		tg.Active = active != 0
		out = append(out, tg)
	}
	return out, rows.Err()
}

// PresenceActor names who made the presence change this request just logged for userID, when
// it was not the user (a supervisor putting them on break).
func (t *Tx) PresenceActor(userID, actorID int64) error {
	_, err := t.exec(`UPDATE presence_log SET actor_id = ? WHERE user_id = ? AND at = ?`, actorID, userID, t.Now)
	return err
}

// Reassign gives a conversation to another agent at once (a supervisor's action): from the
// queue, or from the agent holding it (from, 0 for the queue). The conditions are in the
// statement — the conversation still where the supervisor saw it, the agent online and enabled
// — so it is exact against a pull, an end, a transfer or a break on any node.
func (t *Tx) Reassign(convID, from, to int64) (bool, error) {
	t.assignable = true // the agent it left has a place free
	var ok bool
	var err error
	if from == 0 {
		ok, err = t.execOne(`UPDATE conversations SET state = 'assigned', agent_id = ?, assigned_at = ?, queue_rank = 0, skip_agent_id = NULL
			WHERE id = ? AND state = 'queued'
			AND EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND u.presence = 'online' AND u.disabled = 0)`, to, t.Now, convID, to)
	} else {
		ok, err = t.execOne(`UPDATE conversations SET agent_id = ?, assigned_at = ?
			WHERE id = ? AND state = 'assigned' AND agent_id = ?
			AND EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND u.presence = 'online' AND u.disabled = 0)`, to, t.Now, convID, from, to)
	}
	if err != nil {
		return false, fmt.Errorf("store: unable to reassign conversation: %w", err)
	}
	return ok, nil
}

// ReportConversation is one conversation as the reports read it: its fields, its timeline and
// its tags.
type ReportConversation struct {
	ID              int64
	ChannelID       int64
	ChannelName     string
	State           wire.ConversationState
	AgentID         int64 // the last holder; 0: none
	AgentName       string
	EndReasonID     int64
	EndReason       string
	CreatedAt       int64
	FirstResponseAt int64 // the first agent message; 0: none
	EndedAt         int64
	Steps           []ReportStep
	Tags            []wire.Tag
}

// ReportStep is a timeline step (kind and time) as the reports read it.
type ReportStep struct {
	At   int64
	Kind string
}

// ErrReportTooLarge: more conversations than the caller's limit were created in the range.
var ErrReportTooLarge = errors.New("store: the report's range holds more conversations than the limit")

// ReportConversations reads the conversations created in [from, to), oldest first, with their
// timelines and tags, in three queries over the creation index. More than limit conversations
// (limit > 0) is ErrReportTooLarge, found before any timeline is read: the figures are
// computed in memory, so a range is bounded by what one request may hold.
func (s *Store) ReportConversations(ctx context.Context, from, to int64, limit int) ([]ReportConversation, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := s.readRows(ctx, `SELECT c.id, c.channel_id, ch.name, c.state, COALESCE(c.agent_id, 0), COALESCE(u.display_name, ''),
		COALESCE(c.end_reason_id, 0), COALESCE(r.label, ''), c.created_at, c.first_response_at, c.ended_at
		FROM conversations c JOIN channels ch ON ch.id = c.channel_id
		LEFT JOIN users u ON u.id = c.agent_id LEFT JOIN end_reasons r ON r.id = c.end_reason_id
		WHERE c.created_at >= ? AND c.created_at < ? ORDER BY c.created_at, c.id LIMIT ?`, from, to, limit+1)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the report's conversations: %w", err)
	}
	var out []ReportConversation
	index := map[int64]int{}
	for rows.Next() {
		var c ReportConversation
		if err := rows.Scan(&c.ID, &c.ChannelID, &c.ChannelName, &c.State, &c.AgentID, &c.AgentName,
			&c.EndReasonID, &c.EndReason, &c.CreatedAt, &c.FirstResponseAt, &c.EndedAt); err != nil {
			rows.Close()
			return nil, err
		}
		if len(out) == limit {
			rows.Close()
			return nil, ErrReportTooLarge
		}
		index[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	steps, err := s.readRows(ctx, `SELECT t.conversation_id, t.at, t.kind FROM timeline t JOIN conversations c ON c.id = t.conversation_id
		WHERE c.created_at >= ? AND c.created_at < ? ORDER BY t.conversation_id, t.id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the report's timelines: %w", err)
	}
	for steps.Next() {
		var id int64
		var st ReportStep
		if err := steps.Scan(&id, &st.At, &st.Kind); err != nil {
			steps.Close()
			return nil, err
		}
		if i, ok := index[id]; ok {
			out[i].Steps = append(out[i].Steps, st)
		}
	}
	steps.Close()
	if err := steps.Err(); err != nil {
		return nil, err
	}
	tags, err := s.readRows(ctx, `SELECT ct.conversation_id, g.id, g.label, g.active FROM conversation_tags ct
		JOIN tags g ON g.id = ct.tag_id JOIN conversations c ON c.id = ct.conversation_id
		WHERE c.created_at >= ? AND c.created_at < ? ORDER BY ct.conversation_id, g.label`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read the report's tags: %w", err)
	}
	defer tags.Close()
	for tags.Next() {
		var id int64
		var tg wire.Tag
		var active int
		if err := tags.Scan(&id, &tg.ID, &tg.Label, &active); err != nil {
			return nil, err
		}
		tg.Active = active != 0
		if i, ok := index[id]; ok {
			out[i].Tags = append(out[i].Tags, tg)
		}
	}
	return out, tags.Err()
}

// EndedSince counts the conversations ended since `since` per last holder and per end reason
// label (the dashboard's "handled today" and "end reasons"), from the ended-at index.
func (s *Store) EndedSince(ctx context.Context, since int64) (perAgent map[int64]int, perReason []wire.Count, err error) {
	rows, err := s.readRows(ctx, `SELECT COALESCE(c.agent_id, 0), COALESCE(r.label, ''), COUNT(*) FROM conversations c
		LEFT JOIN end_reasons r ON r.id = c.end_reason_id
		WHERE c.state = 'ended' AND c.ended_at >= ? GROUP BY c.agent_id, r.label`, since)
	if err != nil {
		return nil, nil, fmt.Errorf("store: unable to count ended conversations: %w", err)
	}
	defer rows.Close()
	perAgent = map[int64]int{}
	reasons := map[string]int{}
	var order []string
	for rows.Next() {
		var agent int64
		var label string
		var n int
		if err := rows.Scan(&agent, &label, &n); err != nil {
			return nil, nil, err
		}
		perAgent[agent] += n
		if _, ok := reasons[label]; !ok {
			order = append(order, label)
		}
		reasons[label] += n
	}
	for _, l := range order {
		perReason = append(perReason, wire.Count{Label: l, Count: reasons[l]})
	}
	return perAgent, perReason, rows.Err()
}

// QueueByChannel counts the queued conversations per channel, and those in chatbot flows.
func (s *Store) QueueByChannel(ctx context.Context) (perChannel []wire.ChannelCount, inFlows int, err error) {
	rows, err := s.readRows(ctx, `SELECT ch.id, ch.name, ch.type, COUNT(*) FROM conversations c JOIN channels ch ON ch.id = c.channel_id
		WHERE c.state = 'queued' GROUP BY ch.id, ch.name, ch.type ORDER BY ch.name, ch.id`)
	if err != nil {
		return nil, 0, fmt.Errorf("store: unable to count the queue per channel: %w", err)
	}
	defer rows.Close()
	perChannel = []wire.ChannelCount{}
	for rows.Next() {
		var c wire.ChannelCount
		if err := rows.Scan(&c.ChannelID, &c.Name, &c.Type, &c.Count); err != nil {
			return nil, 0, err
		}
		perChannel = append(perChannel, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	err = s.readRow(ctx, `SELECT COUNT(*) FROM conversations WHERE state = 'flow'`).Scan(&inFlows)
	return perChannel, inFlows, err
}

// HeldConversations lists every conversation an agent holds now (the dashboard's actions).
func (s *Store) HeldConversations(ctx context.Context, limit int) ([]wire.Conversation, error) {
	return scanConversations(s.readRows(ctx, `SELECT `+conversationColumns+conversationFrom+
		` WHERE c.state = 'assigned' ORDER BY c.assigned_at, c.id LIMIT ?`, limit))
}

// PendingOffers lists the pending transfer offers, oldest first.
func (s *Store) PendingOffers(ctx context.Context) ([]wire.TransferOffer, error) {
	rows, err := s.readRows(ctx, `SELECT id, conversation_id, from_agent_id, to_agent_id, note, state, reason, created_at, expires_at, resolved_at
		FROM transfer_offers WHERE state = 'pending' ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list pending offers: %w", err)
	}
	defer rows.Close()
	out := []wire.TransferOffer{}
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// noteData is the data of a "note" timeline entry.
type noteData struct {
	Text string `json:"text"`
}

// NoteText reads an internal note's text from its timeline entry.
func NoteText(e wire.TimelineEntry) string {
	var d noteData
	_ = json.Unmarshal(e.Data, &d)
	return d.Text
}
