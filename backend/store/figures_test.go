package store

import (
	"context"
	"errors"
	"testing"

	"santral/backend/wire"
)

// What the metrics count runs only for what committed: a request's OnCommit hooks run after
// its commit, and never for a request that failed (its savepoint rolled back).
func TestOnCommitRunsOnlyForWhatCommitted(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ran []string
		committed := false
		_, err := s.Tx(ctx, func(tx *Tx) error {
			tx.OnCommit(func() {
				// The write is visible once the hook runs: it runs after the commit.
				n, err := s.CountUsers(ctx)
				committed = err == nil && n == 1
				ran = append(ran, "created")
			})
			_, err := tx.CreateUser("ayse", "Ayşe", "x", wire.RoleAgent, nil, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		refused := errors.New("refused by the rule")
		_, err = s.Tx(ctx, func(tx *Tx) error {
			tx.OnCommit(func() { ran = append(ran, "refused") })
			if _, err := tx.CreateUser("mehmet", "Mehmet", "x", wire.RoleAgent, nil, nil); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("the refusal: %v", err)
		}
		if len(ran) != 1 || ran[0] != "created" || !committed {
			t.Fatalf("hooks ran %v (after the commit: %v), want only the committed request's, after its commit", ran, committed)
		}
	})
}

// The figures a scrape reads: the queue's length and its oldest entry, the outbox's unfinished
// jobs, the newest event.
func TestFigures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if n, oldest, err := s.QueueFigures(ctx); err != nil || n != 0 || oldest != 0 {
			t.Fatalf("empty queue: %d %d %v", n, oldest, err)
		}
		first := openConversation(t, s, 1_000, customer{externalID: "905551"})
		openConversation(t, s, 2_000, customer{externalID: "905552"})
		if n, oldest, err := s.QueueFigures(ctx); err != nil || n != 2 || oldest != 1_000 {
			t.Fatalf("two queued: %d, oldest %d (%v); want 2, 1000", n, oldest, err)
		}
		assign(t, s, first, createAgent(t, s, "ayse"))
		if n, oldest, err := s.QueueFigures(ctx); err != nil || n != 1 || oldest != 2_000 {
			t.Fatalf("one left: %d, oldest %d (%v); want 1, 2000", n, oldest, err)
		}
		m := inbound(t, s, first, "Merhaba")
		inTx(t, s, func(tx *Tx) error {
			ch, err := testChannel(tx)
			if err != nil {
				return err
			}
			return tx.EnqueueSend(m.ID, ch)
		})
		if n, err := s.OutboxBacklog(ctx); err != nil || n != 1 {
			t.Fatalf("one send job: %d %v", n, err)
		}
		_, newest, err := s.EventBounds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seq, err := s.NewestEventSeq(ctx); err != nil || seq != newest {
			t.Fatalf("newest event %d %v, want %d", seq, err, newest)
		}
	})
}
