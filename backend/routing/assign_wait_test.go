package routing

// Automatic assignment while another transaction holds the best agent's row (PostgreSQL): a
// short hold — the agent's app connecting or disconnecting on some node, which locks the row
// to keep the offline grace period exact — is waited for, so the conversation goes where the
// rules' order says; a long one is not, so a customer's message is never held up behind it.

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"santral/backend/store"
	"santral/backend/store/storetest"
	"santral/backend/stream"
	"santral/backend/wire"
)

func TestAssignmentWaitsForABrieflyHeldAgent(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.Postgres(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &cluster{t: t, raw: raw, stores: []*store.Store{st}, nodes: []*Service{New(st, stream.NewHub(st, time.Second, 1024, log), log)}}
	if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
		c.channel, err = tx.EnsureChannel(wire.ChannelSandbox, "Sandbox")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c.settings(wire.Settings{AutoAssign: true, DefaultLimit: 5, OfferTimeoutSeconds: 60, OfflineGraceSeconds: 60})
	ayse, burak := c.agent("ayse", nil), c.agent("burak", nil)
	c.presence(0, ayse, wire.Online)
	first, err := c.customer(0, "905300000001")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.conversation(first); got.AgentID == nil || *got.AgentID != ayse {
		t.Fatalf("the first conversation went to %v, not to the only agent online", got.AgentID)
	}
	c.presence(0, burak, wire.Online) // burak holds none, ayse one: burak is next

	// hold locks burak's row as his app's disconnection does, in a transaction of its own.
	hold := func() *sql.Tx {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, burak); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	ingest := func(customer string) (chan int64, chan error) {
		conv, errs := make(chan int64, 1), make(chan error, 1)
		go func() {
			id, err := c.customer(0, customer)
			if err != nil {
				errs <- err
				return
			}
			conv <- id
		}()
		return conv, errs
	}

	// A short hold: the decision waits for it (a backend waits on the lock), and the
	// conversation goes to burak once it ends.
	tx := hold()
	conv, errs := ingest("905300000002")
	var second int64
	for waiting := false; !waiting; {
		select {
		case second = <-conv:
			tx.Rollback()
			t.Fatalf("conversation %d was decided while burak's row was held, without waiting: it went to %s",
				second, holder(c.conversation(second), ayse, burak))
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		if err := raw.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case second = <-conv:
	case err := <-errs:
		t.Fatal(err)
	}
	if got := c.conversation(second); got.AgentID == nil || *got.AgentID != burak {
		t.Fatalf("conversation %d went to %s; burak (none held) comes before ayse (one)", second, holder(got, ayse, burak))
	}

	// A long hold: the message is taken and its conversation given to the next agent while the
	// row is still held; burak's turn comes later.
	c.presence(0, burak, wire.Break)
	c.presence(0, burak, wire.Online) // still one each; burak was assigned last, ayse is next
	if _, err := st.Tx(ctx, func(tx *store.Tx) error { return tx.TouchAssigned(ayse) }); err != nil {
		t.Fatal(err)
	}
	// Now ayse was assigned last: burak is next by the rules, and his row is held for good.
	tx = hold()
	defer tx.Rollback()
	conv, errs = ingest("905300000003")
	var third int64
	select {
	case third = <-conv:
	case err := <-errs:
		t.Fatal(err)
	}
	if got := c.conversation(third); got.AgentID == nil || *got.AgentID != ayse {
		t.Fatalf("with burak's row held, conversation %d went to %s, not to ayse", third, holder(got, ayse, burak))
	}
}

// holder names a conversation's holder for a failure message.
func holder(conv wire.Conversation, ayse, burak int64) string {
	switch {
	case conv.AgentID == nil:
		return "nobody"
	case *conv.AgentID == ayse:
		return "ayse"
	case *conv.AgentID == burak:
		return "burak"
	}
	return "another agent"
}
