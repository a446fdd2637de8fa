package routing

import (
	"context"
	"errors"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// BeginShopAction records an order action from the conversation's shop panel as pending,
// before the shop is called, in one transaction with the check that the actor may act here:
// under the conversation's lock an agent must hold it (assigned to them now); staff may act in
// any conversation. A conversation transferred, returned or ended before this commit refuses
// (not_holder); one that moves after it does not undo an action already at the shop — the
// outcome is recorded by FinishShopAction whoever holds it by then. A second action on the
// same order while one is pending is shop_action_pending. A pending row older than stale
// (a node that stopped mid-call) does not block the order.
func (s *Service) BeginShopAction(ctx context.Context, actor wire.User, convID, storeID int64, orderID, action string, stale time.Duration) (int64, error) {
	var id int64
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		// An ended conversation keeps its last holder in agent_id: holding it means assigned now.
		if !actor.Role.Staff() && (c.State != wire.Assigned || c.AgentID == nil || *c.AgentID != actor.ID) {
			return wire.Errorf(wire.CodeNotHolder, "only the agent who holds the conversation can act on its orders")
		}
		id, err = tx.BeginShopAction(convID, storeID, orderID, action, actor.ID, tx.Now-stale.Milliseconds())
		if errors.Is(err, store.ErrShopActionPending) {
			return wire.Errorf(wire.CodeShopActionPending, "another action on this order is running at the store: wait for its result")
		}
		return err
	})
	return id, err
}

// FinishShopAction records how an order action begun by BeginShopAction ended (done, or the
// platform's refusal) in the conversation's timeline, with the actor, and tells the
// conversation's readers — in the transaction that closes the pending row.
func (s *Service) FinishShopAction(ctx context.Context, actionID, actorID, convID int64, ok bool, data any) (wire.TimelineEntry, error) {
	var out wire.TimelineEntry
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.FinishShopAction(actionID, ok); err != nil {
			return err
		}
		e, err := tx.AddTimeline(convID, "shop_order_action", actorID, data)
		if err != nil {
			return err
		}
		out = e
		return tx.Append(wire.EventTimelineAdded, convID, store.Readers, wire.TimelineData{Entry: e})
	})
	return out, err
}
