package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

const offerColumns = `id, conversation_id, from_agent_id, to_agent_id, note, state, reason, created_at, expires_at, resolved_at`

func scanOffer(row interface{ Scan(...any) error }) (wire.TransferOffer, error) {
	var o wire.TransferOffer
	err := row.Scan(&o.ID, &o.ConversationID, &o.FromAgentID, &o.ToAgentID, &o.Note, &o.State, &o.Reason, &o.CreatedAt, &o.ExpiresAt, &o.ResolvedAt)
	return o, err
}

// CreateOffer records a pending transfer offer. A second pending offer for the same conversation
// is refused by the unique index, so two nodes cannot both create one.
func (t *Tx) CreateOffer(convID, from, to int64, note string, expiresAt int64) (wire.TransferOffer, error) {
	id, err := t.insert(`INSERT INTO transfer_offers (conversation_id, from_agent_id, to_agent_id, note, state, created_at, expires_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?)`, convID, from, to, note, t.Now, expiresAt)
	if isUniqueViolation(err) {
		return wire.TransferOffer{}, wire.Errorf(wire.CodeTransferPending, "this conversation already has a pending transfer offer")
	}
	if err != nil {
		return wire.TransferOffer{}, fmt.Errorf("store: unable to create offer: %w", err)
	}
	return wire.TransferOffer{ID: id, ConversationID: convID, FromAgentID: from, ToAgentID: to, Note: note,
		State: wire.OfferPending, CreatedAt: t.Now, ExpiresAt: expiresAt}, nil
}

// Offer reads one offer inside the transaction.
func (t *Tx) Offer(id int64) (wire.TransferOffer, error) {
	o, err := scanOffer(t.queryRow(`SELECT `+offerColumns+` FROM transfer_offers WHERE id = ?`, id))
	if err != nil {
		return o, wireNotFound(err, "transfer offer")
	}
	return o, nil
}

// Offer reads one offer.
func (s *Store) Offer(ctx context.Context, id int64) (wire.TransferOffer, error) {
	o, err := scanOffer(s.readRow(ctx, `SELECT `+offerColumns+` FROM transfer_offers WHERE id = ?`, id))
	if err != nil {
		return o, wireNotFound(err, "transfer offer")
	}
	return o, nil
}

// PendingOffer returns the conversation's pending offer, if any.
func (s *Store) PendingOffer(ctx context.Context, convID int64) (*wire.TransferOffer, error) {
	o, err := scanOffer(s.readRow(ctx, `SELECT `+offerColumns+` FROM transfer_offers WHERE conversation_id = ? AND state = 'pending'`, convID))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// ResolveOffer moves a pending offer to a final state. It reports false when the offer was no
// longer pending: another decision (accept vs. timeout, say) won.
func (t *Tx) ResolveOffer(id int64, state wire.OfferState, reason string) (bool, error) {
	ok, err := t.execOne(`UPDATE transfer_offers SET state = ?, reason = ?, resolved_at = ? WHERE id = ? AND state = 'pending'`,
		state, reason, t.Now, id)
	if err != nil {
		return false, fmt.Errorf("store: unable to resolve offer: %w", err)
	}
	return ok, nil
}

// PendingOfferOf returns the id of the conversation's pending offer inside the transaction.
func (t *Tx) PendingOfferOf(convID int64) (int64, bool, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM transfer_offers WHERE conversation_id = ? AND state = 'pending'`, convID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// PendingOffersTo lists the ids of pending offers to an agent.
func (t *Tx) PendingOffersTo(agentID int64) ([]int64, error) {
	return t.ids(`SELECT id FROM transfer_offers WHERE to_agent_id = ? AND state = 'pending' ORDER BY id`, agentID)
}

// DueOffers lists pending offers whose deadline has passed.
func (t *Tx) DueOffers() ([]int64, error) {
	return t.ids(`SELECT id FROM transfer_offers WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at`, t.Now)
}

// OffersFor lists the pending offers an agent sent or received.
func (s *Store) OffersFor(ctx context.Context, agentID int64, all bool) ([]wire.TransferOffer, error) {
	rows, err := s.readRows(ctx, `SELECT `+offerColumns+` FROM transfer_offers WHERE state = 'pending'
		AND (? OR to_agent_id = ? OR from_agent_id = ?) ORDER BY id`, all, agentID, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list offers: %w", err)
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

// offerCustomerSQL reads a conversation's customer (name, else number) and the text and
// attachments of the customer's last message.
const offerCustomerSQL = `SELECT COALESCE(NULLIF(ct.name, ''), ct.phone), COALESCE(m.body, ''), COALESCE(m.attachments, '[]')
	FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
	LEFT JOIN messages m ON m.id = (SELECT MAX(id) FROM messages WHERE conversation_id = c.id AND direction = 'in')
	WHERE c.id = ?`

// OfferCustomer is what a transfer offer's receiver is shown of the conversation: the
// customer's name and their last message (its text and attachments).
type OfferCustomer struct {
	Name        string
	Body        string
	Attachments []wire.Attachment
}

func scanOfferCustomer(row interface{ Scan(...any) error }) (OfferCustomer, error) {
	var c OfferCustomer
	var att string
	if err := row.Scan(&c.Name, &c.Body, &att); err != nil {
		return c, wireNotFound(err, "conversation")
	}
	if err := json.Unmarshal([]byte(att), &c.Attachments); err != nil {
		return c, fmt.Errorf("store: unable to read attachments: %w", err)
	}
	return c, nil
}

// OfferCustomer reads the offer's customer inside the transaction.
func (t *Tx) OfferCustomer(convID int64) (OfferCustomer, error) {
	return scanOfferCustomer(t.queryRow(offerCustomerSQL, convID))
}

// OfferCustomer reads the offer's customer.
func (s *Store) OfferCustomer(ctx context.Context, convID int64) (OfferCustomer, error) {
	return scanOfferCustomer(s.readRow(ctx, offerCustomerSQL, convID))
}
