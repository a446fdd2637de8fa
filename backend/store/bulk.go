package store

// Bulk writes for one decision that touches thousands of rows (automatic assignment switched on
// with 10,000 conversations waiting). Each row written by its own statement costs ~20 µs of
// statement overhead, more than the write itself; a statement of up to bulkRows rows pays it
// once. Every statement keeps the condition its single-row form has (a conversation is assigned
// only while still queued), so a bulk write decides exactly what the rows one by one would.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"santral/backend/wire"
)

// bulkRows is the most rows one statement carries: 64 × 7 arguments stays far below SQLite's
// and PostgreSQL's parameter limits, and the statement texts (one per row count) stay few
// enough for the statement cache.
const bulkRows = 64

// placeholders returns n comma-separated groups of width question marks: "(?, ?), (?, ?)".
func placeholders(n, width int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	if width == 1 {
		group = "?"
	}
	return strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
}

// chunks calls fn with consecutive slices of up to bulkRows elements.
func chunks[T any](list []T, fn func([]T) error) error {
	for len(list) > 0 {
		n := min(len(list), bulkRows)
		if err := fn(list[:n]); err != nil {
			return err
		}
		list = list[n:]
	}
	return nil
}

// Assignment is one conversation and the agent it goes to.
type Assignment struct{ ConvID, AgentID int64 }

// AssignQueuedMany is AssignQueued for many conversations: each goes to its agent only while it
// is still queued. It returns the conversations won, and touches the agents who got one (the
// "longest since their last assignment" tie-break), as TouchAssigned does.
func (t *Tx) AssignQueuedMany(list []Assignment) ([]int64, error) {
	var won []int64
	err := chunks(list, func(part []Assignment) error {
		var q strings.Builder
		q.WriteString(`UPDATE conversations SET state = 'assigned', agent_id = CASE id`)
		args := make([]any, 0, 3*len(part)+1)
		for _, a := range part {
			q.WriteString(` WHEN CAST(? AS BIGINT) THEN CAST(? AS BIGINT)`)
			args = append(args, a.ConvID, a.AgentID)
		}
		q.WriteString(` END, assigned_at = ?, queue_rank = 0, skip_agent_id = NULL WHERE state = 'queued' AND id IN (`)
		q.WriteString(placeholders(len(part), 1))
		q.WriteString(`) RETURNING id`)
		args = append(args, t.Now)
		for _, a := range part {
			args = append(args, a.ConvID)
		}
		rows, err := t.query(q.String(), args...)
		if err != nil {
			return fmt.Errorf("store: unable to assign conversations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			won = append(won, id)
		}
		return t.note(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	agents := make([]int64, 0, len(list))
	seen := make(map[int64]bool, len(list))
	wonSet := make(map[int64]bool, len(won))
	for _, id := range won {
		wonSet[id] = true
	}
	for _, a := range list {
		if wonSet[a.ConvID] && !seen[a.AgentID] {
			seen[a.AgentID] = true
			agents = append(agents, a.AgentID)
		}
	}
	return won, chunks(agents, func(part []int64) error {
		args := append([]any{t.Now}, anys(part)...)
		_, err := t.exec(`UPDATE users SET last_assigned_at = ? WHERE id IN (`+placeholders(len(part), 1)+`)`, args...)
		return err
	})
}

// TimelineStep is one step of AddTimelineMany.
type TimelineStep struct {
	ConvID  int64
	Kind    string
	ActorID int64
	Data    any
}

// AddTimelineMany records many steps (AddTimeline without the entries returned).
func (t *Tx) AddTimelineMany(steps []TimelineStep) error {
	return chunks(steps, func(part []TimelineStep) error {
		args := make([]any, 0, 5*len(part))
		for _, s := range part {
			raw := []byte("{}")
			if s.Data != nil {
				var err error
				if raw, err = json.Marshal(s.Data); err != nil {
					return err
				}
			}
			var actor any
			if s.ActorID != 0 {
				actor = s.ActorID
			}
			args = append(args, s.ConvID, t.Now, s.Kind, actor, string(raw))
		}
		_, err := t.exec(`INSERT INTO timeline (conversation_id, at, kind, actor_id, data) VALUES `+placeholders(len(part), 5), args...)
		if err != nil {
			return fmt.Errorf("store: unable to add timeline entries: %w", err)
		}
		return nil
	})
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// Conversations reads many conversations inside the transaction, keyed by id (missing ones
// are left out).
func (t *Tx) Conversations(ids []int64) (map[int64]wire.Conversation, error) {
	out := make(map[int64]wire.Conversation, len(ids))
	return out, chunks(ids, func(part []int64) error {
		rows, err := t.query(`SELECT `+conversationColumns+conversationFrom+` WHERE c.id IN (`+placeholders(len(part), 1)+`)`, anys(part)...)
		list, err := scanConversations(rows, t.note(err))
		if err != nil {
			return err
		}
		for _, c := range list {
			out[c.ID] = c
		}
		return nil
	})
}

// ReadersOfMany is ReadersOf for many conversations, keyed by id.
func (t *Tx) ReadersOfMany(ids []int64) (map[int64]ConversationReaders, error) {
	out := make(map[int64]ConversationReaders, len(ids))
	return out, chunks(ids, func(part []int64) error {
		rows, err := t.query(`SELECT c.id, c.state, c.agent_id, ch.type, ct.external_id,
			(SELECT o.to_agent_id FROM transfer_offers o WHERE o.conversation_id = c.id AND o.state = 'pending'), c.flow_agent_id
			FROM conversations c JOIN channels ch ON ch.id = c.channel_id JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.id IN (`+placeholders(len(part), 1)+`)`, anys(part)...)
		if err != nil {
			return t.note(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var r ConversationReaders
			var agent, offer, flowAgent sql.NullInt64
			if err := rows.Scan(&id, &r.State, &agent, &r.ChannelType, &r.ContactExternalID, &offer, &flowAgent); err != nil {
				return err
			}
			r.AgentID, r.OfferedTo, r.FlowAgentID = agent.Int64, offer.Int64, flowAgent.Int64
			out[id] = r
		}
		return t.note(rows.Err())
	})
}
