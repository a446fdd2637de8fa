package demo

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/wire"
)

type noWake struct{}

func (noWake) Wake() {}

// demoWorkspace seeds the demo on a fresh SQLite store with its two channels.
func demoWorkspace(t *testing.T) (*store.Store, *routing.Service, int64, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "santral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var sandbox, webchat int64
	if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
		if sandbox, err = tx.EnsureChannel("sandbox", "Sandbox"); err != nil {
			return err
		}
		webchat, err = tx.EnsureChannel("webchat", "Website")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := routing.New(st, noWake{}, slog.New(slog.DiscardHandler))
	if err := Seed(ctx, st, r, []int64{sandbox, webchat}, 4, io.Discard); err != nil {
		t.Fatal(err)
	}
	return st, r, sandbox, webchat
}

func TestTheDemoShipsATurkishWelcomeMenuOnItsChannels(t *testing.T) {
	st, _, sandbox, webchat := demoWorkspace(t)
	ctx := context.Background()
	list, err := st.Flows(ctx, true)
	if err != nil || len(list) != 1 || list[0].Name != WelcomeFlowName || list[0].PublishedVersion != 1 {
		t.Fatalf("published flows: %+v %v", list, err)
	}
	for _, id := range []int64{sandbox, webchat} {
		ch, err := st.ChannelRow(ctx, id)
		if err != nil || ch.Config.DefaultFlowID != list[0].ID {
			t.Fatalf("channel %d's default flow: %+v %v", id, ch.Config, err)
		}
	}
	var titles []string
	for _, c := range Welcome().Steps[0].Choices {
		titles = append(titles, c.Title)
	}
	if got := strings.Join(titles, " | "); got != "Sipariş durumu | İade / değişim | Temsilciye bağlan" {
		t.Fatalf("menu: %s", got)
	}
}

// The simulated customers answer the menu: one picks "Sipariş durumu" and gives an order number,
// another "İade / değişim"; both reach the queue tagged with their choice.
func TestTheDemoCustomersAnswerTheWelcomeMenu(t *testing.T) {
	st, r, sandbox, _ := demoWorkspace(t)
	ctx := context.Background()
	sim := newSimulator(st, r, sandbox)
	state := func(c customer) wire.Conversation {
		t.Helper()
		conv, err := st.Conversation(ctx, sim.conv[c.id])
		if err != nil {
			t.Fatal(err)
		}
		return conv
	}
	write := func(c customer) {
		t.Helper()
		if err := sim.write(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	elif, burak := customers[0], customers[1]
	write(elif)
	if s := state(elif).State; s != wire.InFlow {
		t.Fatalf("a new conversation goes through the welcome menu first: %s", s)
	}
	msgs, err := st.Messages(ctx, sim.conv[elif.id], 0, 50)
	if err != nil || len(msgs) != 2 || msgs[1].FlowID == nil || !strings.Contains(msgs[1].Body, "1. Sipariş durumu") {
		t.Fatalf("the menu is sent (numbered on the sandbox): %+v %v", msgs, err)
	}
	write(elif) // "1"
	write(elif) // "100482"
	if s := state(elif).State; s != wire.Queued {
		t.Fatalf("after the order number the flow hands over: %s", s)
	}
	attrs, err := st.ConversationAttributes(ctx, sim.conv[elif.id])
	if err != nil || attrs.Attributes["konu"] != "siparis" || attrs.Attributes["siparis_no"] != "100482" || attrs.Attributes["tag"] != "siparis" {
		t.Fatalf("attributes: %+v %v", attrs, err)
	}
	write(burak)
	write(burak) // "2"
	if s := state(burak).State; s != wire.Queued {
		t.Fatalf("İade / değişim hands over: %s", s)
	}
	if attrs, _ := st.ConversationAttributes(ctx, sim.conv[burak.id]); attrs.Attributes["tag"] != "iade" {
		t.Fatalf("burak: %+v", attrs)
	}
	// Back in the queue, the customer goes on with their script (the first line opened it).
	write(elif)
	msgs, _ = st.Messages(ctx, sim.conv[elif.id], 0, 50)
	if last := msgs[len(msgs)-1]; last.Direction != "in" || last.Body != elif.lines[1] {
		t.Fatalf("after the flow: %+v", last)
	}
}
