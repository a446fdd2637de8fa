package cache

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

func readAll[T any](db *sql.DB, query string, args ...any) ([]T, error) {
	rows, err := db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("cache: corrupt row: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HeldConversation is a conversation I hold with its unread count.
type HeldConversation struct {
	wire.Conversation
	Unread int
}

// Lists is what the inbox shows, from the cache alone.
type Lists struct {
	Mine          []HeldConversation
	Queue         []wire.Conversation
	Offers        []wire.TransferOffer
	Agents        []wire.User
	EndReasons    []wire.EndReason
	QuickMessages []wire.QuickMessage
	Workspace     wire.Settings
}

// Lists reads the inbox for user me.
func (c *Cache) Lists(me int64) (Lists, error) {
	var l Lists
	rows, err := c.db.Query(`SELECT data, unread FROM conversations WHERE state = 'assigned' AND agent_id = ?
		ORDER BY last_message_at DESC, id DESC`, me)
	if err != nil {
		return l, fmt.Errorf("cache: unable to read conversations: %w", err)
	}
	for rows.Next() {
		var raw string
		var h HeldConversation
		if err := rows.Scan(&raw, &h.Unread); err != nil {
			rows.Close()
			return l, err
		}
		if err := json.Unmarshal([]byte(raw), &h.Conversation); err != nil {
			rows.Close()
			return l, err
		}
		l.Mine = append(l.Mine, h)
	}
	rows.Close()
	// The queue in the server's order: its queue_key (conversations returned to the head come
	// first). The app never derives the order from entry times itself.
	if l.Queue, err = readAll[wire.Conversation](c.db, `SELECT data FROM conversations WHERE state = 'queued'
		ORDER BY COALESCE(json_extract(data, '$.queue_key'), ''), id`); err != nil {
		return l, err
	}
	if l.Offers, err = readAll[wire.TransferOffer](c.db, `SELECT data FROM offers WHERE state = 'pending' ORDER BY id`); err != nil {
		return l, err
	}
	if l.Agents, err = readAll[wire.User](c.db, `SELECT data FROM agents ORDER BY json_extract(data, '$.display_name'), id`); err != nil {
		return l, err
	}
	if l.EndReasons, err = readAll[wire.EndReason](c.db, `SELECT data FROM end_reasons ORDER BY json_extract(data, '$.position'), id`); err != nil {
		return l, err
	}
	if l.QuickMessages, err = readAll[wire.QuickMessage](c.db, `SELECT data FROM quick_messages ORDER BY json_extract(data, '$.shortcut'), id`); err != nil {
		return l, err
	}
	l.Workspace = wire.DefaultSettings()
	_, err = getKV(c.db, "workspace", &l.Workspace)
	return l, err
}

// Detail reads a conversation from the cache (ok=false when it was never cached).
func (c *Cache) Detail(id int64) (wire.ConversationDetail, bool, error) {
	var d wire.ConversationDetail
	var raw string
	err := c.db.QueryRow(`SELECT data FROM conversations WHERE id = ?`, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	if err := json.Unmarshal([]byte(raw), &d.Conversation); err != nil {
		return d, false, err
	}
	if d.Messages, err = readAll[wire.Message](c.db, `SELECT data FROM messages WHERE conversation_id = ? ORDER BY id`, id); err != nil {
		return d, false, err
	}
	if d.Timeline, err = readAll[wire.TimelineEntry](c.db, `SELECT data FROM timeline WHERE conversation_id = ? ORDER BY id`, id); err != nil {
		return d, false, err
	}
	if d.Earlier, err = readAll[wire.Conversation](c.db, `SELECT data FROM conversations WHERE contact_id = ? AND id <> ?
		ORDER BY json_extract(data, '$.created_at') DESC`, d.Conversation.Contact.ID, id); err != nil {
		return d, false, err
	}
	offers, err := readAll[wire.TransferOffer](c.db, `SELECT data FROM offers WHERE state = 'pending' AND json_extract(data, '$.conversation_id') = ?`, id)
	if err != nil {
		return d, false, err
	}
	if len(offers) > 0 {
		d.PendingOffer = &offers[0]
	}
	return d, true, nil
}

// Agent reads a cached user.
func (c *Cache) Agent(id int64) (wire.User, bool) {
	list, err := readAll[wire.User](c.db, `SELECT data FROM agents WHERE id = ?`, id)
	if err != nil || len(list) == 0 {
		return wire.User{}, false
	}
	return list[0], true
}

// QuickMessages lists the cached quick messages, by shortcut.
func (c *Cache) QuickMessages() ([]wire.QuickMessage, error) {
	return readAll[wire.QuickMessage](c.db, `SELECT data FROM quick_messages ORDER BY json_extract(data, '$.shortcut'), id`)
}

// QuickMessage reads a cached quick message.
func (c *Cache) QuickMessage(id int64) (wire.QuickMessage, bool) {
	list, err := readAll[wire.QuickMessage](c.db, `SELECT data FROM quick_messages WHERE id = ?`, id)
	if err != nil || len(list) == 0 {
		return wire.QuickMessage{}, false
	}
	return list[0], true
}
