package routing

import (
	"context"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// SetPresence changes a user's presence (PRODUCT.md rule 1). Going on break or offline withdraws
// the offers waiting for them at once; going offline also returns the conversations they hold
// to the head of the queue when the workspace says so. Coming online triggers assignment.
func (s *Service) SetPresence(ctx context.Context, userID int64, p wire.Presence, reason string) (wire.User, error) {
	switch p {
	case wire.Online, wire.Offline:
		reason = ""
	case wire.Break:
		if err := checkBreakReason(reason); err != nil {
			return wire.User{}, err
		}
	default:
		return wire.User{}, wire.Invalid("presence", "presence must be online, break or offline")
	}
	var out wire.User
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := s.changePresence(tx, userID, p, reason); err != nil {
			return err
		}
		u, err := tx.User(userID)
		out = u.User
		return err
	})
	return out, err
}

func (s *Service) changePresence(tx *store.Tx, userID int64, p wire.Presence, reason string) error {
	return s.changePresenceBy(tx, userID, p, reason, userID)
}

// changePresenceBy is changePresence made by actorID (a supervisor, or the user themself): the
// actor is named where offers to the user are withdrawn.
func (s *Service) changePresenceBy(tx *store.Tx, userID int64, p wire.Presence, reason string, actorID int64) error {
	// Locked first: the change then comes before or after any other node's decision about this
	// agent (an offer to them, an assignment, a connection), never in the middle of one.
	if err := tx.LockUser(userID); err != nil {
		return err
	}
	set, err := tx.Settings()
	if err != nil {
		return err
	}
	changed, err := tx.SetPresence(userID, p, reason, int64(set.OfflineGraceSeconds)*1000)
	if err != nil || !changed {
		return err
	}
	if p != wire.Online {
		why := "receiver_on_break"
		if p == wire.Offline {
			why = "receiver_offline"
		}
		offers, err := tx.PendingOffersTo(userID)
		if err != nil {
			return err
		}
		for _, id := range offers {
			// The presence change withdrew it: its maker (the receiver, or a supervisor) is the actor.
			if err := s.failOffer(tx, id, wire.OfferWithdrawn, why, actorID, true); err != nil {
				return err
			}
		}
	}
	if p == wire.Offline {
		if set.RequeueOnOffline {
			held, err := tx.HeldIDs(userID)
			if err != nil {
				return err
			}
			for _, convID := range held {
				if err := tx.LockConversation(convID); err != nil {
					return err
				}
				// A conversation with an offer out stays until the offer resolves; if it then
				// fails, the sender is offline and it goes to the head of the queue anyway.
				if _, pending, err := tx.PendingOfferOf(convID); err != nil || pending {
					if err != nil {
						return err
					}
					continue
				}
				if err := s.requeue(tx, convID, true, "agent_offline", 0); err != nil {
					return err
				}
			}
		}
	}
	u, err := tx.User(userID)
	if err != nil {
		return err
	}
	// For the user (every device of theirs) and staff (the dashboard): with a thousand agents
	// coming online, telling every agent of every other would be a million deliveries. Agents
	// see who is online when they choose whom to transfer to (GET /api/v1/users).
	return tx.Append(wire.EventPresenceChanged, 0, store.Users(userID), wire.PresenceData{User: u.User})
}

// Connected records a live stream connection: the user is not disconnected any more.
func (s *Service) Connected(ctx context.Context, connID string, userID int64, node string) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.AddConnection(connID, userID, node) })
	return err
}

// Disconnected drops a stream connection; the user's last one starts the offline grace period,
// a stored deadline the sweeper honours on any node, after any restart.
func (s *Service) Disconnected(ctx context.Context, connID string, userID int64) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		return tx.RemoveConnection(connID, userID, int64(set.OfflineGraceSeconds)*1000)
	})
	return err
}

// Heartbeat keeps this node's connections fresh, so other nodes do not take them for dead.
func (s *Service) Heartbeat(ctx context.Context, node string) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.Heartbeat(node) })
	return err
}

// checkBreakReason is the one rule for a break's reason, whoever puts the agent on break.
func checkBreakReason(reason string) error {
	if utf8.RuneCountInString(reason) > 100 {
		return wire.Invalid("reason", "a break reason can be at most 100 characters")
	}
	return nil
}
