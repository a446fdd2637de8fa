package routing

import (
	"context"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// Sweep honours the stored deadlines (ARCHITECTURE.md invariant 5): transfer offers past their
// timeout expire, users disconnected past the grace period go offline, and connections of a
// node that stopped heartbeating are dropped. Any node may run it; the conditional updates make
// a deadline fire once.
//
// It also runs a round of automatic assignment when one is due: on one node every decision
// assigns what it made possible, but on several, two decisions committing at once can each miss
// the other's change (a conversation queued here while an agent's capacity is freed there).
//
// Users before offers: the lock order of every decision (store/lock.go).
func (s *Service) Sweep(ctx context.Context, staleAfter time.Duration) error {
	now := store.Now()
	due, err := s.store.SweepDue(ctx, now, now-staleAfter.Milliseconds())
	if err != nil {
		return err
	}
	if !due {
		set, err := s.store.Settings(ctx)
		if err != nil || !set.AutoAssign {
			return err
		}
		if due, err = s.store.AssignmentDue(ctx, set.DefaultLimit); err != nil || !due {
			return err
		}
	}
	return s.do(ctx, func(tx *store.Tx) error {
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		if err := tx.DropStaleConnections(tx.Now-staleAfter.Milliseconds(), int64(set.OfflineGraceSeconds)*1000); err != nil {
			return err
		}
		users, err := tx.DueOffline()
		if err != nil {
			return err
		}
		for _, id := range users {
			if err := s.changePresence(tx, id, wire.Offline, ""); err != nil {
				return err
			}
		}
		offers, err := tx.DueOffers()
		if err != nil {
			return err
		}
		for _, id := range offers {
			if err := s.failOffer(tx, id, wire.OfferExpired, "timeout", 0, true); err != nil {
				return err
			}
		}
		// do assigns what the sweep made possible, or what was due.
		tx.MarkAssignable()
		return nil
	})
}

// PruneEvents drops events older than the retention; clients further behind must resync.
func (s *Service) PruneEvents(ctx context.Context, retention time.Duration) (int64, error) {
	var n int64
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.PruneEvents(tx.Now - retention.Milliseconds())
		return err
	})
	return n, err
}
