package routing

import (
	"context"

	"santral/backend/store"
	"santral/backend/wire"
)

// RecordShopAction writes an order action taken from the conversation's shop panel (or the
// platform's refusal of it) into the conversation's timeline, with the actor, and tells the
// conversation's readers. Whether the actor may act is the shop service's rule
// (backend/commerce); this only records what happened.
func (s *Service) RecordShopAction(ctx context.Context, actorID, convID int64, data any) (wire.TimelineEntry, error) {
	var out wire.TimelineEntry
	err := s.do(ctx, func(tx *store.Tx) error {
		e, err := tx.AddTimeline(convID, "shop_order_action", actorID, data)
		if err != nil {
			return err
		}
		out = e
		return tx.Append(wire.EventTimelineAdded, convID, store.Readers, wire.TimelineData{Entry: e})
	})
	return out, err
}
