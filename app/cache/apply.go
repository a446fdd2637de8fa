package cache

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

// Effects tell the app what an applied batch means for the user: what to notify and redraw.
type Effects struct {
	AssignedToMe     []wire.Conversation  // became mine (auto, pull, transfer, take up)
	Left             []Left               // were mine and are not any more
	OffersToMe       []wire.TransferOffer // new transfer offers addressed to me
	CustomerMessages []wire.Message       // customer messages in conversations I hold
	Conversations    []int64              // conversations whose content changed
	InboxChanged     bool
	CatalogChanged   bool // end reasons or quick messages changed: reload them
	MeChanged        bool
	// OffersFailed are my transfer offers the receiver rejected or that were withdrawn or
	// expired: the sender is told (the conversation stays with them).
	OffersFailed []wire.TransferOffer
}

// Why a conversation left me, as the server's events tell it.
const (
	LeftTransferred = "transferred" // my transfer offer was accepted
	LeftReassigned  = "reassigned"  // someone else holds it now (a supervisor moved it)
	LeftRequeued    = "requeued"    // back in the queue
	LeftEnded       = "ended"       // ended by someone else (a supervisor)
	LeftToFlow      = "flow"        // handed to a chatbot flow (by me, from the flows button)
)

// Left is a conversation that stopped being mine in this batch.
type Left struct {
	ConversationID int64  `json:"id"`
	Why            string `json:"why"`
	ToAgentID      int64  `json:"to_agent_id,omitempty"` // who holds it now, when someone does
}

// Snapshot is the state a full resync loads from the server.
type Snapshot struct {
	Me            wire.User
	Mine, Queue   []wire.Conversation
	Offers        []wire.TransferOffer
	Agents        []wire.User
	EndReasons    []wire.EndReason
	QuickMessages []wire.QuickMessage
	Workspace     wire.Settings
}

// ApplySnapshot replaces the cached state with a fresh one from the server and sets the cursor
// to head, the stream position the snapshot was taken after. Messages and unread counts of
// conversations still present are kept; the outbox is untouched.
func (c *Cache) ApplySnapshot(s Snapshot, head int64) error {
	return c.tx(func(tx *sql.Tx) error {
		keep := map[int64]bool{}
		for _, list := range [][]wire.Conversation{s.Mine, s.Queue} {
			for _, conv := range list {
				if err := putConversation(tx, conv); err != nil {
					return err
				}
				keep[conv.ID] = true
			}
		}
		// An offer to me that failed while the app was away: what it showed of the customer goes
		// (as when its resolution arrives by the stream).
		pending := map[int64]bool{}
		for _, o := range s.Offers {
			pending[o.ID] = o.State == wire.OfferPending
		}
		orows, err := tx.Query(`SELECT id, json_extract(data, '$.conversation_id') FROM offers WHERE state = 'pending' AND json_extract(data, '$.to_agent_id') = ?`, s.Me.ID)
		if err != nil {
			return err
		}
		var gone []int64
		for orows.Next() {
			var id, conv int64
			orows.Scan(&id, &conv)
			if !pending[id] && !keep[conv] {
				gone = append(gone, conv)
			}
		}
		orows.Close()
		for _, conv := range gone {
			if err := forgetOffered(tx, conv, s.Me.ID); err != nil {
				return err
			}
		}
		// Conversations no longer mine or queued (ended, moved) leave the lists but stay
		// readable: mark those the snapshot does not mention as not ours.
		rows, err := tx.Query(`SELECT id FROM conversations WHERE state <> 'ended'`)
		if err != nil {
			return err
		}
		var stale []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			if !keep[id] {
				stale = append(stale, id)
			}
		}
		rows.Close()
		for _, id := range stale {
			if _, err := tx.Exec(`UPDATE conversations SET state = 'elsewhere', agent_id = NULL WHERE id = ?`, id); err != nil {
				return err
			}
		}
		if err := replaceAll(tx, "offers", s.Offers, func(o wire.TransferOffer) (int64, []any) { return o.ID, []any{o.State} }); err != nil {
			return err
		}
		if err := replaceAll(tx, "agents", s.Agents, func(u wire.User) (int64, []any) { return u.ID, nil }); err != nil {
			return err
		}
		if err := replaceAll(tx, "end_reasons", s.EndReasons, func(r wire.EndReason) (int64, []any) { return r.ID, nil }); err != nil {
			return err
		}
		if err := replaceAll(tx, "quick_messages", s.QuickMessages, func(q wire.QuickMessage) (int64, []any) { return q.ID, nil }); err != nil {
			return err
		}
		if err := putKV(tx, "me", s.Me); err != nil {
			return err
		}
		if err := putKV(tx, "workspace", s.Workspace); err != nil {
			return err
		}
		return putKV(tx, "cursor", head)
	})
}

// replaceAll replaces a table of (id, [state,] data) rows.
func replaceAll[T any](tx *sql.Tx, table string, items []T, key func(T) (int64, []any)) error {
	if _, err := tx.Exec(`DELETE FROM ` + table); err != nil {
		return err
	}
	for _, it := range items {
		id, extra := key(it)
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if len(extra) > 0 {
			_, err = tx.Exec(`INSERT INTO `+table+` (id, state, data) VALUES (?, ?, ?)`, id, extra[0], string(b))
		} else {
			_, err = tx.Exec(`INSERT INTO `+table+` (id, data) VALUES (?, ?)`, id, string(b))
		}
		if err != nil {
			return fmt.Errorf("cache: unable to store %s: %w", table, err)
		}
	}
	return nil
}

func putConversation(tx execer, conv wire.Conversation) error {
	b, err := json.Marshal(conv)
	if err != nil {
		return err
	}
	var agent any
	if conv.AgentID != nil {
		agent = *conv.AgentID
	}
	if _, err := tx.Exec(`INSERT INTO conversations (id, state, agent_id, contact_id, last_message_at, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, agent_id = excluded.agent_id,
			last_message_at = excluded.last_message_at, data = excluded.data`,
		conv.ID, conv.State, agent, conv.Contact.ID, conv.LastMessageAt, string(b)); err != nil {
		return fmt.Errorf("cache: unable to store conversation: %w", err)
	}
	cb, _ := json.Marshal(conv.Contact)
	_, err = tx.Exec(`INSERT INTO contacts (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, conv.Contact.ID, string(cb))
	return err
}

func putMessage(tx execer, m wire.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO messages (id, conversation_id, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
		m.ID, m.ConversationID, string(b))
	return err
}

func putJSON(tx execer, table string, id int64, v any, state string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if state != "" {
		_, err = tx.Exec(`INSERT INTO `+table+` (id, state, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data`, id, state, string(b))
	} else {
		_, err = tx.Exec(`INSERT INTO `+table+` (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data`, id, string(b))
	}
	return err
}

// ApplyEvents applies a batch of stream events for user me and advances the cursor, in one
// transaction. Events at or below the cursor are skipped, so a batch delivered twice is
// applied once.
func (c *Cache) ApplyEvents(events []wire.Event, me int64, open int64) (Effects, error) {
	var fx Effects
	err := c.tx(func(tx *sql.Tx) error {
		var cursor int64
		if _, err := getKV(tx, "cursor", &cursor); err != nil {
			return err
		}
		for _, ev := range events {
			if ev.Seq <= cursor {
				continue
			}
			if err := apply(tx, ev, me, open, &fx); err != nil {
				return fmt.Errorf("cache: unable to apply event %d (%s): %w", ev.Seq, ev.Type, err)
			}
			cursor = ev.Seq
		}
		fx.Left = mergeLeft(fx.Left)
		return putKV(tx, "cursor", cursor)
	})
	return fx, err
}

// mergeLeft keeps one entry per conversation: an accepted transfer says more than the
// assignment event that follows it.
func mergeLeft(in []Left) []Left {
	var out []Left
	at := map[int64]int{}
	for _, l := range in {
		i, seen := at[l.ConversationID]
		if !seen {
			at[l.ConversationID] = len(out)
			out = append(out, l)
			continue
		}
		if out[i].Why != LeftTransferred {
			out[i] = l
		}
	}
	return out
}

// heldBy reports whether the cached conversation is assigned to user me.
func heldBy(tx *sql.Tx, convID, me int64) bool {
	var mine bool
	tx.QueryRow(`SELECT COUNT(*) > 0 FROM conversations WHERE id = ? AND state = 'assigned' AND agent_id = ?`, convID, me).Scan(&mine)
	return mine
}

// leftWhy names how a conversation that was mine is not any more.
func leftWhy(c wire.Conversation) string {
	switch c.State {
	case wire.Queued:
		return LeftRequeued
	case wire.Ended:
		return LeftEnded
	case wire.InFlow:
		return LeftToFlow
	}
	return LeftReassigned
}

// applyRedacted handles a summary of a conversation the user may not read any more (another
// agent holds it). It leaves my lists at once and its messages and timeline are deleted: the
// server would refuse them now, and the cache must not be a way around "who may read this".
// The stored contact stays (the app names the conversation when a reply to it is refused);
// the routing fields are the server's; a conversation never cached is not stored at all.
func applyRedacted(tx *sql.Tx, conv wire.Conversation) error {
	var raw string
	if err := tx.QueryRow(`SELECT data FROM conversations WHERE id = ?`, conv.ID).Scan(&raw); err != nil {
		return nil // never seen: nothing to keep, nothing to store
	}
	var stored wire.Conversation
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return err
	}
	stored.State, stored.AgentID, stored.PendingOfferID = conv.State, conv.AgentID, conv.PendingOfferID
	stored.QueueKey, stored.WindowClosesAt, stored.LastMessagePreview, stored.Redacted = "", 0, "", true
	for _, at := range []struct {
		dst *int64
		v   int64
	}{{&stored.AssignedAt, conv.AssignedAt}, {&stored.EndedAt, conv.EndedAt},
		{&stored.LastMessageAt, conv.LastMessageAt}, {&stored.LastInboundAt, conv.LastInboundAt}} {
		if at.v != 0 {
			*at.dst = at.v
		}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	var agent any
	if conv.AgentID != nil {
		agent = *conv.AgentID
	}
	if _, err := tx.Exec(`UPDATE conversations SET state = 'elsewhere', agent_id = ?, unread = 0, data = ? WHERE id = ?`, agent, string(b), conv.ID); err != nil {
		return err
	}
	for _, table := range []string{"messages", "timeline"} {
		if _, err := tx.Exec(`DELETE FROM `+table+` WHERE conversation_id = ?`, conv.ID); err != nil {
			return err
		}
	}
	_, err = tx.Exec(`DELETE FROM offers WHERE json_extract(data, '$.conversation_id') = ? AND state = 'pending'`, conv.ID)
	return err
}

// forgetOffered drops what the cache got of a conversation while it was offered to me (its
// summary, messages I opened, the contact) once the offer failed: another agent holds it and I
// may not read it any more, so the cache must not keep the customer's name or words. A
// conversation I may still read (queued, ended, mine) is left alone; so is a contact another
// cached conversation of mine names.
func forgetOffered(tx *sql.Tx, convID, me int64) error {
	var contact int64
	err := tx.QueryRow(`SELECT contact_id FROM conversations WHERE id = ? AND state = 'assigned' AND (agent_id IS NULL OR agent_id <> ?)`, convID, me).Scan(&contact)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM conversations WHERE id = ?`, `DELETE FROM messages WHERE conversation_id = ?`, `DELETE FROM timeline WHERE conversation_id = ?`} {
		if _, err := tx.Exec(q, convID); err != nil {
			return err
		}
	}
	_, err = tx.Exec(`DELETE FROM contacts WHERE id = ? AND NOT EXISTS (SELECT 1 FROM conversations WHERE contact_id = ?)`, contact, contact)
	return err
}

func apply(tx *sql.Tx, ev wire.Event, me, open int64, fx *Effects) error {
	switch ev.Type {
	case wire.EventConversationQueued, wire.EventConversationAssigned, wire.EventConversationUpdated, wire.EventConversationEnded:
		var d wire.ConversationData // AssignedData shares the "conversation" field
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		wasMine := heldBy(tx, d.Conversation.ID, me)
		if d.Conversation.Redacted {
			if err := applyRedacted(tx, d.Conversation); err != nil {
				return err
			}
		} else if err := putConversation(tx, d.Conversation); err != nil {
			return err
		}
		isMine := !d.Conversation.Redacted && d.Conversation.State == wire.Assigned && d.Conversation.AgentID != nil && *d.Conversation.AgentID == me
		if isMine && !wasMine && ev.Type == wire.EventConversationAssigned {
			fx.AssignedToMe = append(fx.AssignedToMe, d.Conversation)
		}
		if wasMine && !isMine {
			l := Left{ConversationID: d.Conversation.ID, Why: leftWhy(d.Conversation)}
			if d.Conversation.AgentID != nil && l.Why == LeftReassigned {
				l.ToAgentID = *d.Conversation.AgentID
			}
			fx.Left = append(fx.Left, l)
		}
		fx.InboxChanged = true
		fx.Conversations = append(fx.Conversations, d.Conversation.ID)
	case wire.EventMessageCreated:
		var d wire.MessageData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		if err := putMessage(tx, d.Message); err != nil {
			return err
		}
		if d.Message.Direction == "in" {
			if heldBy(tx, d.Message.ConversationID, me) {
				fx.CustomerMessages = append(fx.CustomerMessages, d.Message)
			}
			if d.Message.ConversationID != open {
				if _, err := tx.Exec(`UPDATE conversations SET unread = unread + 1 WHERE id = ?`, d.Message.ConversationID); err != nil {
					return err
				}
			}
		}
		fx.InboxChanged = true
		fx.Conversations = append(fx.Conversations, d.Message.ConversationID)
	case wire.EventMessageUpdated:
		var d wire.MessageData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		if err := putMessage(tx, d.Message); err != nil {
			return err
		}
		fx.Conversations = append(fx.Conversations, d.Message.ConversationID)
	case wire.EventMessageStatus:
		var d wire.MessageStatusData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		var raw string
		if err := tx.QueryRow(`SELECT data FROM messages WHERE id = ?`, d.MessageID).Scan(&raw); err == nil {
			var m wire.Message
			json.Unmarshal([]byte(raw), &m)
			m.Status, m.StatusReason, m.DeliveryUnknown = d.Status, d.StatusReason, d.DeliveryUnknown
			if err := putMessage(tx, m); err != nil {
				return err
			}
			fx.Conversations = append(fx.Conversations, m.ConversationID)
		}
	case wire.EventTransferOffered, wire.EventTransferResolved:
		var d wire.OfferData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		if d.Offer.State != wire.OfferPending {
			// Only a pending offer names its customer (the server sends no more); kept so.
			d.Offer.CustomerName, d.Offer.CustomerMessage = "", ""
		}
		if err := putJSON(tx, "offers", d.Offer.ID, d.Offer, string(d.Offer.State)); err != nil {
			return err
		}
		if ev.Type == wire.EventTransferResolved && d.Offer.ToAgentID == me && d.Offer.State != wire.OfferAccepted {
			if err := forgetOffered(tx, d.Offer.ConversationID, me); err != nil {
				return err
			}
		}
		if ev.Type == wire.EventTransferOffered && d.Offer.ToAgentID == me {
			fx.OffersToMe = append(fx.OffersToMe, d.Offer)
		}
		// My offer accepted: say so (the assignment event written with it moves the conversation).
		if ev.Type == wire.EventTransferResolved && d.Offer.State == wire.OfferAccepted && d.Offer.FromAgentID == me && heldBy(tx, d.Offer.ConversationID, me) {
			fx.Left = append(fx.Left, Left{ConversationID: d.Offer.ConversationID, Why: LeftTransferred, ToAgentID: d.Offer.ToAgentID})
		}
		if ev.Type == wire.EventTransferResolved && d.Offer.FromAgentID == me &&
			(d.Offer.State == wire.OfferRejected || d.Offer.State == wire.OfferWithdrawn || d.Offer.State == wire.OfferExpired) {
			fx.OffersFailed = append(fx.OffersFailed, d.Offer)
		}
		fx.InboxChanged = true
		fx.Conversations = append(fx.Conversations, d.Offer.ConversationID)
	case wire.EventQueueLeft:
		// Taken by an agent: it leaves the queue list. Ours arrives whole in
		// conversation.assigned; anyone else's is no longer ours to read.
		var d wire.IDsData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		for _, id := range d.IDs {
			if _, err := tx.Exec(`UPDATE conversations SET state = 'elsewhere', agent_id = NULL WHERE id = ? AND state = 'queued'`, id); err != nil {
				return err
			}
		}
		fx.InboxChanged = true
	case wire.EventPresenceChanged, wire.EventUserUpdated:
		var d wire.PresenceData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		if err := putJSON(tx, "agents", d.User.ID, d.User, ""); err != nil {
			return err
		}
		if d.User.ID == me {
			if err := putKV(tx, "me", d.User); err != nil {
				return err
			}
			fx.MeChanged = true
		}
		fx.InboxChanged = true
	case wire.EventSettingsChanged:
		var s wire.Settings
		if err := json.Unmarshal(ev.Data, &s); err != nil {
			return err
		}
		if err := putKV(tx, "workspace", s); err != nil {
			return err
		}
		fx.InboxChanged = true
	case wire.EventEndReasonsChanged, wire.EventQuickMessagesChanged:
		fx.CatalogChanged = true
	case wire.EventTimelineAdded, wire.EventConversationTagged:
		// An internal note or new tags: the open conversation is read again.
		fx.Conversations = append(fx.Conversations, ev.ConversationID)
	}
	return nil
}

// SetCatalog replaces the end reasons and quick messages.
func (c *Cache) SetCatalog(reasons []wire.EndReason, quick []wire.QuickMessage) error {
	return c.tx(func(tx *sql.Tx) error {
		if err := replaceAll(tx, "end_reasons", reasons, func(r wire.EndReason) (int64, []any) { return r.ID, nil }); err != nil {
			return err
		}
		return replaceAll(tx, "quick_messages", quick, func(q wire.QuickMessage) (int64, []any) { return q.ID, nil })
	})
}

// PutDetail caches a conversation fetched whole (opened in the UI).
//
// The conversation's own row is written only when missing: the event stream owns its state, and
// an event applied while this fetch was in flight is newer than what the fetch saw.
func (c *Cache) PutDetail(d wire.ConversationDetail) error {
	return c.tx(func(tx *sql.Tx) error {
		var exists bool
		tx.QueryRow(`SELECT COUNT(*) > 0 FROM conversations WHERE id = ?`, d.Conversation.ID).Scan(&exists)
		if !exists {
			if err := putConversation(tx, d.Conversation); err != nil {
				return err
			}
		}
		for _, m := range d.Messages {
			if err := putMessage(tx, m); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`DELETE FROM timeline WHERE conversation_id = ?`, d.Conversation.ID); err != nil {
			return err
		}
		for _, e := range d.Timeline {
			b, _ := json.Marshal(e)
			if _, err := tx.Exec(`INSERT INTO timeline (id, conversation_id, data) VALUES (?, ?, ?)`, e.ID, e.ConversationID, string(b)); err != nil {
				return err
			}
		}
		for _, e := range d.Earlier {
			var exists bool
			tx.QueryRow(`SELECT COUNT(*) > 0 FROM conversations WHERE id = ?`, e.ID).Scan(&exists)
			if !exists {
				if err := putConversation(tx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// MarkRead clears a conversation's unread count.
func (c *Cache) MarkRead(id int64) error {
	_, err := c.db.Exec(`UPDATE conversations SET unread = 0 WHERE id = ?`, id)
	return err
}
