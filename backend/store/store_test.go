package store

// The store suite. Every test runs on every backend through forEachBackend, so the rules that
// rest on the database (only one can win, nothing deduplicated twice, no hole in the event
// sequence) are checked where they are enforced.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"santral/backend/store/storetest"
	"santral/backend/wire"
)

// opener opens (and migrates) one test database; every call opens the same database again.
type opener func() (*Store, error)

// forEachDatabase runs f once per backend with an opener for a fresh, empty database.
func forEachDatabase(t *testing.T, f func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "santral.db")
		f(t, func() (*Store, error) { return OpenSQLite(context.Background(), path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.Postgres(t)
		f(t, func() (*Store, error) { return OpenPostgres(context.Background(), dsn) })
	})
}

// forEachBackend runs f once per backend with a fresh, migrated store.
func forEachBackend(t *testing.T, f func(t *testing.T, s *Store)) {
	forEachDatabase(t, func(t *testing.T, open opener) {
		s, err := open()
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}

// inTx runs fn in a transaction that must commit.
func inTx(t *testing.T, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if _, err := s.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// inTxAt is inTx with the transaction's clock set to now (unix ms).
func inTxAt(t *testing.T, s *Store, now int64, fn func(tx *Tx) error) {
	t.Helper()
	inTx(t, s, func(tx *Tx) error {
		tx.Now = now
		return fn(tx)
	})
}

func createUser(t *testing.T, s *Store, username string, role wire.Role) int64 {
	t.Helper()
	var id int64
	inTx(t, s, func(tx *Tx) error {
		var err error
		id, err = tx.CreateUser(username, username, "hash", role, nil, nil)
		return err
	})
	return id
}

func createAgent(t *testing.T, s *Store, username string) int64 {
	t.Helper()
	return createUser(t, s, username, wire.RoleAgent)
}

func createEndReason(t *testing.T, s *Store, label string) int64 {
	t.Helper()
	var id int64
	inTx(t, s, func(tx *Tx) error {
		var err error
		id, err = tx.CreateEndReason(label, 0)
		return err
	})
	return id
}

func testChannel(tx *Tx) (int64, error) { return tx.EnsureChannel("whatsapp", "Test line") }

// customer is a contact on the test channel.
type customer struct{ externalID, name, phone string }

// openConversation opens a queued conversation for the customer, created at now.
func openConversation(t *testing.T, s *Store, now int64, c customer) int64 {
	t.Helper()
	var id int64
	inTxAt(t, s, now, func(tx *Tx) error {
		ch, err := testChannel(tx)
		if err != nil {
			return err
		}
		contact, err := tx.Contact(ch, c.externalID, c.name, c.phone, "")
		if err != nil {
			return err
		}
		id, err = tx.NewConversation(contact, ch)
		return err
	})
	return id
}

// inbound stores a customer message in the conversation.
func inbound(t *testing.T, s *Store, convID int64, body string) wire.Message {
	t.Helper()
	var m wire.Message
	inTx(t, s, func(tx *Tx) error {
		ch, err := testChannel(tx)
		if err != nil {
			return err
		}
		m, _, err = tx.InsertMessage(NewMessage{ConversationID: convID, ChannelID: ch, Direction: "in", Body: body, Status: wire.StatusReceived})
		return err
	})
	return m
}

func assign(t *testing.T, s *Store, convID, agentID int64) {
	t.Helper()
	inTx(t, s, func(tx *Tx) error {
		ok, err := tx.AssignQueued(convID, agentID)
		if err == nil && !ok {
			err = errors.New("conversation was not queued")
		}
		return err
	})
}

func end(t *testing.T, s *Store, convID, agentID, reasonID int64) {
	t.Helper()
	inTx(t, s, func(tx *Tx) error {
		ok, err := tx.EndConversation(convID, agentID, agentID, reasonID)
		if err == nil && !ok {
			err = errors.New("conversation was not ended")
		}
		return err
	})
}

func ids(list []wire.Conversation) []int64 {
	out := []int64{}
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

// Migrations.

func TestMigrations(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, open opener) {
		version := func(s *Store) int {
			t.Helper()
			var v int
			if err := s.write.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}

		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if got := version(s); got != SchemaVersion() {
			t.Fatalf("schema version after first open = %d, want %d", got, SchemaVersion())
		}
		createAgent(t, s, "ali")
		s.Close()

		s, err = open()
		if err != nil {
			t.Fatalf("second open of a migrated database: %v", err)
		}
		if got := version(s); got != SchemaVersion() {
			t.Fatalf("schema version after second open = %d, want %d", got, SchemaVersion())
		}
		var rows int
		if err := s.write.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("schema_version has %d rows (err %v), want 1", rows, err)
		}
		if n, err := s.CountUsers(context.Background()); err != nil || n != 1 {
			t.Fatalf("users after reopening = %d (err %v), want the 1 created before", n, err)
		}

		// A newer santrald migrated this database; this one must not touch it.
		if _, err := s.write.Exec(s.q(`UPDATE schema_version SET version = ?`), SchemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s, err = open()
		if err == nil {
			s.Close()
			t.Fatal("opening a database with a newer schema succeeded; want it refused")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Fatalf("error = %q, want it to say the schema is newer", err)
		}
	})
}

// Conditional updates: the "only one can win" primitives.

func TestAssignQueuedOnlyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{"905001", "Mehmet", ""})
		var first, second bool
		inTx(t, s, func(tx *Tx) (err error) { first, err = tx.AssignQueued(conv, ali); return })
		inTx(t, s, func(tx *Tx) (err error) { second, err = tx.AssignQueued(conv, ayse); return })
		if !first || second {
			t.Fatalf("AssignQueued twice = %v, %v; want true, false", first, second)
		}
		c, err := s.Conversation(context.Background(), conv)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != wire.Assigned || c.AgentID == nil || *c.AgentID != ali {
			t.Fatalf("conversation = %s held by %v, want assigned to the first winner %d", c.State, c.AgentID, ali)
		}
	})
}

func TestMoveHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse, can := createAgent(t, s, "ali"), createAgent(t, s, "ayse"), createAgent(t, s, "can")
		conv := openConversation(t, s, 1000, customer{"905001", "Mehmet", ""})
		assign(t, s, conv, ali)
		steps := []struct {
			name     string
			from, to int64
			want     bool
		}{
			{"wrong from is refused", ayse, can, false},
			{"holder hands over", ali, ayse, true},
			{"old holder no longer can", ali, can, false},
			{"new holder can", ayse, can, true},
		}
		for _, st := range steps {
			var ok bool
			inTx(t, s, func(tx *Tx) (err error) { ok, err = tx.MoveHolder(conv, st.from, st.to); return })
			if ok != st.want {
				t.Fatalf("%s: MoveHolder(%d→%d) = %v, want %v", st.name, st.from, st.to, ok, st.want)
			}
		}
		c, _ := s.Conversation(context.Background(), conv)
		if c.AgentID == nil || *c.AgentID != can {
			t.Fatalf("holder = %v, want %d", c.AgentID, can)
		}
	})
}

func TestResolveOfferOnlyOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{"905001", "Mehmet", ""})
		assign(t, s, conv, ali)
		var offer wire.TransferOffer
		inTx(t, s, func(tx *Tx) (err error) { offer, err = tx.CreateOffer(conv, ali, ayse, "", 5000); return })

		// Accept and timeout race: the first decision wins, the second sees it is no longer pending.
		var accepted, expired bool
		inTx(t, s, func(tx *Tx) (err error) { accepted, err = tx.ResolveOffer(offer.ID, wire.OfferAccepted, ""); return })
		inTx(t, s, func(tx *Tx) (err error) {
			expired, err = tx.ResolveOffer(offer.ID, wire.OfferExpired, "timeout")
			return
		})
		if !accepted || expired {
			t.Fatalf("ResolveOffer twice = %v, %v; want true, false", accepted, expired)
		}
		o, err := s.Offer(context.Background(), offer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != wire.OfferAccepted {
			t.Fatalf("offer state = %s, want the first decision %s", o.State, wire.OfferAccepted)
		}
	})
}

func TestEndConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		reason := createEndReason(t, s, "Çözüldü")
		cases := []struct {
			name    string
			assign  bool
			agentID int64 // who asks to end; 0 = anyone (supervisor)
			want    bool
		}{
			{"non-holder is refused", true, ayse, false},
			{"holder ends", true, ali, true},
			{"supervisor ends any holder's", true, 0, true},
			{"a queued conversation cannot be ended", false, 0, false},
		}
		for i, tc := range cases {
			conv := openConversation(t, s, 1000, customer{externalID: fmt.Sprint(i)})
			if tc.assign {
				assign(t, s, conv, ali)
			}
			var ok bool
			inTx(t, s, func(tx *Tx) (err error) { ok, err = tx.EndConversation(conv, tc.agentID, ali, reason); return })
			if ok != tc.want {
				t.Errorf("%s: EndConversation = %v, want %v", tc.name, ok, tc.want)
			}
			c, _ := s.Conversation(context.Background(), conv)
			if ended := c.State == wire.Ended; ended != tc.want {
				t.Errorf("%s: state = %s after EndConversation returned %v", tc.name, c.State, ok)
			}
		}
	})
}

func TestRequeueAtHead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali := createAgent(t, s, "ali")
		older := openConversation(t, s, 1000, customer{externalID: "1"})
		old := openConversation(t, s, 2000, customer{externalID: "2"})
		returned := openConversation(t, s, 3000, customer{externalID: "3"})
		assign(t, s, returned, ali)
		newer := openConversation(t, s, 4000, customer{externalID: "4"})

		var ok bool
		inTxAt(t, s, 5000, func(tx *Tx) (err error) { ok, err = tx.Requeue(returned, true, false); return })
		if !ok {
			t.Fatal("Requeue of an assigned conversation = false")
		}
		var head int64
		inTx(t, s, func(tx *Tx) (err error) { head, _, err = tx.OldestQueued(); return })
		if head != returned {
			t.Fatalf("OldestQueued = %d, want the conversation requeued at head %d", head, returned)
		}
		q, err := s.Queue(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{returned, older, old, newer}; !slices.Equal(ids(q), want) {
			t.Fatalf("Queue = %v, want %v", ids(q), want)
		}
		if q[0].AgentID != nil {
			t.Fatalf("requeued conversation still has agent %d", *q[0].AgentID)
		}
		// Requeue applies only to assigned conversations.
		inTx(t, s, func(tx *Tx) (err error) { ok, err = tx.Requeue(older, true, false); return })
		if ok {
			t.Fatal("Requeue of a queued conversation = true")
		}
	})
}

func TestTakeUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali := createAgent(t, s, "ali")
		reason := createEndReason(t, s, "Çözüldü")
		mehmet := customer{"905001", "Mehmet", ""}
		first := openConversation(t, s, 1000, mehmet)
		assign(t, s, first, ali)
		end(t, s, first, ali, reason)

		// Nothing else open: the agent takes the ended conversation up again.
		var ok bool
		inTx(t, s, func(tx *Tx) (err error) { ok, err = tx.TakeUp(first, ali); return })
		if !ok {
			t.Fatal("TakeUp of an ended conversation = false")
		}
		inTx(t, s, func(tx *Tx) (err error) { ok, err = tx.TakeUp(first, ali); return })
		if ok {
			t.Fatal("TakeUp of an assigned conversation = true")
		}
		end(t, s, first, ali, reason)

		// The customer wrote again: a new open conversation blocks taking the old one up.
		openConversation(t, s, 2000, mehmet)
		_, err := s.Tx(context.Background(), func(tx *Tx) error {
			_, err := tx.TakeUp(first, ali)
			return err
		})
		if code := wire.CodeOf(err); code != wire.CodeContactHasOpen {
			t.Fatalf("TakeUp with an open conversation: err = %v (code %q), want %s", err, code, wire.CodeContactHasOpen)
		}
		c, _ := s.Conversation(context.Background(), first)
		if c.State != wire.Ended {
			t.Fatalf("refused TakeUp left the conversation %s", c.State)
		}
	})
}

// Concurrency.

func TestConcurrentPullsAssignEachConversationOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		const conversations, agents = 20, 50
		for i := range conversations {
			openConversation(t, s, int64(1000+i), customer{externalID: fmt.Sprint("c", i)})
		}
		agentIDs := make([]int64, agents)
		for i := range agents {
			agentIDs[i] = createAgent(t, s, fmt.Sprint("agent", i))
		}

		var mu sync.Mutex
		winner := map[int64][]int64{} // conversation → agents that won it
		var wg sync.WaitGroup
		for _, agent := range agentIDs {
			wg.Go(func() {
				for {
					var won int64
					var empty bool
					_, err := s.Tx(context.Background(), func(tx *Tx) error {
						won, empty = 0, false
						id, ok, err := tx.OldestQueued()
						if err != nil {
							return err
						}
						if !ok {
							empty = true
							return nil
						}
						assigned, err := tx.AssignQueued(id, agent)
						if assigned {
							won = id
						}
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					if empty {
						return
					}
					if won != 0 {
						mu.Lock()
						winner[won] = append(winner[won], agent)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()

		total := 0
		for conv, agents := range winner {
			total += len(agents)
			if len(agents) != 1 {
				t.Errorf("conversation %d won by %d agents %v, want exactly 1", conv, len(agents), agents)
			}
			c, err := s.Conversation(context.Background(), conv)
			if err != nil {
				t.Fatal(err)
			}
			if c.State != wire.Assigned || c.AgentID == nil || *c.AgentID != agents[0] {
				t.Errorf("conversation %d is %s held by %v, want the winner %d", conv, c.State, c.AgentID, agents[0])
			}
		}
		if total != conversations || len(winner) != conversations {
			t.Fatalf("%d wins over %d conversations, want %d each once", total, len(winner), conversations)
		}
		if n, _, err := s.QueueStats(context.Background()); err != nil || n != 0 {
			t.Fatalf("queue length after the race = %d (err %v), want 0", n, err)
		}
	})
}

// Uniqueness.

func TestOnePendingOfferPerConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse, can := createAgent(t, s, "ali"), createAgent(t, s, "ayse"), createAgent(t, s, "can")
		conv := openConversation(t, s, 1000, customer{externalID: "1"})
		assign(t, s, conv, ali)
		var first wire.TransferOffer
		inTx(t, s, func(tx *Tx) (err error) { first, err = tx.CreateOffer(conv, ali, ayse, "", 5000); return })

		_, err := s.Tx(context.Background(), func(tx *Tx) error {
			_, err := tx.CreateOffer(conv, ali, can, "", 5000)
			return err
		})
		if code := wire.CodeOf(err); code != wire.CodeTransferPending {
			t.Fatalf("second pending offer: err = %v (code %q), want %s", err, code, wire.CodeTransferPending)
		}
		// Once the first is resolved, a new offer may be made.
		inTx(t, s, func(tx *Tx) error {
			if _, err := tx.ResolveOffer(first.ID, wire.OfferRejected, ""); err != nil {
				return err
			}
			_, err := tx.CreateOffer(conv, ali, can, "", 6000)
			return err
		})
	})
}

func TestInsertMessageDeduplicates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{externalID: "1"})
		var ch, other int64
		inTx(t, s, func(tx *Tx) (err error) {
			if ch, err = testChannel(tx); err != nil {
				return err
			}
			other, err = tx.EnsureChannel("telegram", "Bot")
			return err
		})
		insert := func(m NewMessage) (wire.Message, bool) {
			t.Helper()
			m.ConversationID = conv
			if m.Status == "" {
				m.Status = wire.StatusReceived
			}
			var msg wire.Message
			var dup bool
			inTx(t, s, func(tx *Tx) (err error) { msg, dup, err = tx.InsertMessage(m); return })
			return msg, dup
		}

		byProvider, _ := insert(NewMessage{ChannelID: ch, Direction: "in", Body: "Merhaba", ExternalID: "wamid.1"})
		byOutbox, _ := insert(NewMessage{ChannelID: ch, Direction: "out", AuthorID: ali, Body: "Buyrun", Status: wire.StatusQueued, IdempotencyKey: "k1"})

		cases := []struct {
			name   string
			msg    NewMessage
			dup    bool
			sameAs int64 // with dup, the id of the original
		}{
			{"provider redelivers", NewMessage{ChannelID: ch, Direction: "in", Body: "Merhaba", ExternalID: "wamid.1"}, true, byProvider.ID},
			{"same provider id on another channel", NewMessage{ChannelID: other, Direction: "in", Body: "Merhaba", ExternalID: "wamid.1"}, false, 0},
			{"outbox retries", NewMessage{ChannelID: ch, Direction: "out", AuthorID: ali, Body: "Buyrun", Status: wire.StatusQueued, IdempotencyKey: "k1"}, true, byOutbox.ID},
			{"same key, another author", NewMessage{ChannelID: ch, Direction: "out", AuthorID: ayse, Body: "Buyrun", Status: wire.StatusQueued, IdempotencyKey: "k1"}, false, 0},
			{"customer messages without ids", NewMessage{ChannelID: ch, Direction: "in", Body: "Merhaba"}, false, 0},
		}
		for _, tc := range cases {
			got, dup := insert(tc.msg)
			if dup != tc.dup {
				t.Errorf("%s: duplicate = %v, want %v", tc.name, dup, tc.dup)
				continue
			}
			if tc.dup && got.ID != tc.sameAs {
				t.Errorf("%s: duplicate returned message %d, want the original %d", tc.name, got.ID, tc.sameAs)
			}
			if !tc.dup && (got.ID == byProvider.ID || got.ID == byOutbox.ID) {
				t.Errorf("%s: new message got an existing id %d", tc.name, got.ID)
			}
		}
		msgs, err := s.Messages(context.Background(), conv, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 5 {
			t.Fatalf("stored %d messages, want 5 (2 originals + 3 new)", len(msgs))
		}
	})
}

func TestCreateUserUsernameTaken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		createAgent(t, s, "ali")
		_, err := s.Tx(context.Background(), func(tx *Tx) error {
			_, err := tx.CreateUser("ali", "Another Ali", "hash", wire.RoleAgent, nil, nil)
			return err
		})
		if code := wire.CodeOf(err); code != wire.CodeUsernameTaken {
			t.Fatalf("CreateUser with a taken username: err = %v (code %q), want %s", err, code, wire.CodeUsernameTaken)
		}
		if n, _ := s.CountUsers(context.Background()); n != 1 {
			t.Fatalf("users = %d, want 1", n)
		}
	})
}

func TestOneOpenConversationPerContact(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali := createAgent(t, s, "ali")
		reason := createEndReason(t, s, "Çözüldü")
		mehmet := customer{"905001", "Mehmet", ""}
		first := openConversation(t, s, 1000, mehmet)

		newConversation := func() (int64, error) {
			var id int64
			_, err := s.Tx(context.Background(), func(tx *Tx) error {
				ch, err := testChannel(tx)
				if err != nil {
					return err
				}
				contact, err := tx.Contact(ch, mehmet.externalID, "", "", "")
				if err != nil {
					return err
				}
				id, err = tx.NewConversation(contact, ch)
				return err
			})
			return id, err
		}

		for _, state := range []string{"queued", "assigned"} {
			if state == "assigned" {
				assign(t, s, first, ali)
			}
			if _, err := newConversation(); err == nil || !isUniqueViolation(err) {
				t.Fatalf("NewConversation while one is %s: err = %v, want a unique violation", state, err)
			}
		}
		end(t, s, first, ali, reason)
		second, err := newConversation()
		if err != nil {
			t.Fatalf("NewConversation after the open one ended: %v", err)
		}
		c, _ := s.Conversation(context.Background(), second)
		if c.PreviousID == nil || *c.PreviousID != first {
			t.Fatalf("new conversation's previous = %v, want %d", c.PreviousID, first)
		}
	})
}

// Events.

func TestAppendRollsBackWithTheChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		failed := errors.New("rule refused")
		appended, err := s.Tx(context.Background(), func(tx *Tx) error {
			if err := tx.Append("conversation.assigned", 1, Everyone, map[string]int{"id": 1}); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) || appended {
			t.Fatalf("Tx = %v, %v; want false and the callback's error", appended, err)
		}
		events, err := s.EventsAfter(context.Background(), 0, 0, 0, true, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 0 {
			t.Fatalf("a rolled-back transaction left %d events", len(events))
		}

		appended, err = s.Tx(context.Background(), func(tx *Tx) error {
			return tx.Append("conversation.assigned", 1, Everyone, nil)
		})
		if err != nil || !appended {
			t.Fatalf("committed Tx with an event = %v, %v; want true, nil", appended, err)
		}
	})
}

func TestEventsAfter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if oldest, newest, err := s.EventBounds(ctx); err != nil || oldest != 0 || newest != 0 {
			t.Fatalf("EventBounds of an empty log = %d, %d, %v; want 0, 0", oldest, newest, err)
		}
		// Written across transactions and several in one, the way rule decisions write them.
		inTx(t, s, func(tx *Tx) error {
			return errors.Join(
				tx.Append("everyone", 1, Everyone, map[string]string{"word": "merhaba"}),
				tx.Append("user3", 1, Users(3), nil),
			)
		})
		inTx(t, s, func(tx *Tx) error { return tx.Append("staff", 2, StaffOnly, nil) })
		inTx(t, s, func(tx *Tx) error {
			return errors.Join(
				tx.Append("users3and7", 3, Users(3, 7), nil),
				tx.Append("user13", 4, Users(13), nil),
			)
		})

		all, err := s.EventsAfter(ctx, 0, 0, 0, true, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 5 {
			t.Fatalf("staff sees %d events, want 5", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq <= all[i-1].Seq {
				t.Fatalf("seq not strictly increasing: %d after %d", all[i].Seq, all[i-1].Seq)
			}
		}
		if string(all[0].Data) != `{"word":"merhaba"}` || all[0].ConversationID != 1 {
			t.Fatalf("first event = %+v, data %s", all[0], all[0].Data)
		}
		if oldest, newest, err := s.EventBounds(ctx); err != nil || oldest != all[0].Seq || newest != all[4].Seq {
			t.Fatalf("EventBounds = %d, %d, %v; want %d, %d", oldest, newest, err, all[0].Seq, all[4].Seq)
		}

		after, _ := s.EventsAfter(ctx, all[1].Seq, 0, 0, true, 2, 0)
		if len(after) != 2 || after[0].Seq != all[2].Seq || after[1].Seq != all[3].Seq {
			t.Fatalf("EventsAfter(%d, limit 2) = %v, want seqs %d, %d", all[1].Seq, after, all[2].Seq, all[3].Seq)
		}

		audiences := []struct {
			name   string
			userID int64
			staff  bool
			want   []string
		}{
			{"agent 3", 3, false, []string{"everyone", "user3", "users3and7"}},
			{"agent 7", 7, false, []string{"everyone", "users3and7"}},
			{"agent 13 is not agent 3", 13, false, []string{"everyone", "user13"}},
			{"agent 30 is not agent 3", 30, false, []string{"everyone"}},
			{"staff", 99, true, []string{"everyone", "user3", "staff", "users3and7", "user13"}},
		}
		for _, a := range audiences {
			events, err := s.EventsAfter(ctx, 0, 0, a.userID, a.staff, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events {
				got = append(got, e.Type)
			}
			if !slices.Equal(got, a.want) {
				t.Errorf("%s sees %v, want %v", a.name, got, a.want)
			}
		}
	})
}

func TestPruneEventsNeverRestartsTheSequence(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, at := range []int64{1000, 2000, 3000} {
			inTxAt(t, s, at, func(tx *Tx) error { return tx.Append("tick", 0, Everyone, nil) })
		}
		_, newest, _ := s.EventBounds(ctx)

		var pruned int64
		inTx(t, s, func(tx *Tx) (err error) { pruned, err = tx.PruneEvents(1500); return })
		if pruned != 1 {
			t.Fatalf("PruneEvents(1500) removed %d, want the 1 older event", pruned)
		}
		// Everything is old now; the newest one stays.
		inTx(t, s, func(tx *Tx) (err error) { pruned, err = tx.PruneEvents(1 << 60); return })
		if pruned != 1 {
			t.Fatalf("PruneEvents(all) removed %d, want 1 (keeping the newest)", pruned)
		}
		if oldest, n, err := s.EventBounds(ctx); err != nil || oldest != newest || n != newest {
			t.Fatalf("EventBounds after pruning = %d, %d, %v; want %d, %d", oldest, n, err, newest, newest)
		}

		inTx(t, s, func(tx *Tx) error { return tx.Append("tick", 0, Everyone, nil) })
		events, _ := s.EventsAfter(ctx, newest, 0, 0, false, 10, 0)
		if len(events) != 1 || events[0].Seq <= newest {
			t.Fatalf("event appended after pruning = %v, want one with seq > %d", events, newest)
		}
	})
}

// History.

func TestHistoryFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		solved, spam := createEndReason(t, s, "Çözüldü"), createEndReason(t, s, "Spam")

		order := openConversation(t, s, 1000, customer{"905321112233", "Mehmet Yılmaz", "+90 532 111 22 33"})
		inbound(t, s, order, "Siparişim nerede?")
		assign(t, s, order, ali)
		end(t, s, order, ali, solved)

		shipping := openConversation(t, s, 2000, customer{"905559998877", "Zeynep Kaya", "+90 555 999 88 77"})
		inbound(t, s, shipping, "Kargo ücreti ne kadar?")
		assign(t, s, shipping, ayse)
		end(t, s, shipping, ayse, spam)

		refund := openConversation(t, s, 3000, customer{"905001234567", "Ahmet Demir", "+90 500 123 45 67"})
		inbound(t, s, refund, "İADE TALEBİM VAR")
		assign(t, s, refund, ali)

		door := openConversation(t, s, 4000, customer{"905440000000", "İndirim %50 Ltd", ""})
		inbound(t, s, door, "Kapıda ödeme var mı?")

		everything := []int64{door, refund, shipping, order}
		cases := []struct {
			name string
			f    wire.HistoryFilter
			want []int64
		}{
			{"no filter, newest first", wire.HistoryFilter{}, everything},
			{"word without diacritics as prefix", wire.HistoryFilter{Text: "siparis"}, []int64{order}},
			{"word with diacritics", wire.HistoryFilter{Text: "Sipariş"}, []int64{order}},
			{"whole words, any case", wire.HistoryFilter{Text: "SİPARİŞİM NEREDE"}, []int64{order}},
			{"last word as prefix", wire.HistoryFilter{Text: "nerede sipar"}, []int64{order}},
			{"only the last word is a prefix", wire.HistoryFilter{Text: "sipar nerede"}, []int64{}},
			{"ü folds to u", wire.HistoryFilter{Text: "kargo ucret"}, []int64{shipping}},
			{"capital İ folds to i", wire.HistoryFilter{Text: "iade talebim"}, []int64{refund}},
			{"ı as typed", wire.HistoryFilter{Text: "kapıda"}, []int64{door}},
			{"ı typed as i (Turkish users often do)", wire.HistoryFilter{Text: "kapida"}, []int64{door}},
			{"I typed for ı", wire.HistoryFilter{Text: "KAPIDA"}, []int64{door}},
			{"no match", wire.HistoryFilter{Text: "fatura"}, []int64{}},
			{"a lone quote is no query", wire.HistoryFilter{Text: `"`}, everything},
			{"only punctuation is no query", wire.HistoryFilter{Text: `*)(`}, everything},
			{"FTS syntax is taken as words", wire.HistoryFilter{Text: `(siparişim) -nerede*`}, []int64{order}},
			{"FTS keywords are plain words", wire.HistoryFilter{Text: "kargo OR siparişim"}, []int64{}},
			{"a lone FTS keyword", wire.HistoryFilter{Text: "NOT"}, []int64{}},
			{"quotes around a word", wire.HistoryFilter{Text: `"kargo"`}, []int64{shipping}},
			{"customer name substring", wire.HistoryFilter{Customer: "yılmaz"}, []int64{order}},
			{"customer name typed without Turkish letters", wire.HistoryFilter{Customer: "yilmaz"}, []int64{order}},
			{"customer name in capitals", wire.HistoryFilter{Customer: "YILMAZ"}, []int64{order}},
			{"customer name with dotted capital İ", wire.HistoryFilter{Customer: "İNDİRİM"}, []int64{door}},
			{"customer phone", wire.HistoryFilter{Customer: "999 88"}, []int64{shipping}},
			{"customer external id", wire.HistoryFilter{Customer: "90500123"}, []int64{refund}},
			{"% is a character, not a wildcard", wire.HistoryFilter{Customer: "%"}, []int64{door}},
			{"_ is a character, not a wildcard", wire.HistoryFilter{Customer: "_"}, []int64{}},
			{"end reason", wire.HistoryFilter{EndReasonID: spam}, []int64{shipping}},
			{"agent: held or ended by", wire.HistoryFilter{AgentID: ali}, []int64{refund, order}},
			{"other agent", wire.HistoryFilter{AgentID: ayse}, []int64{shipping}},
			{"date range, To exclusive", wire.HistoryFilter{From: 2000, To: 4000}, []int64{refund, shipping}},
			{"state", wire.HistoryFilter{State: wire.Ended}, []int64{shipping, order}},
			{"filters combine", wire.HistoryFilter{Text: "kargo", AgentID: ali}, []int64{}},
		}
		for _, tc := range cases {
			page, err := s.History(context.Background(), tc.f, 0)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if got := ids(page.Conversations); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}

func TestHistoryPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali := createAgent(t, s, "ali")
		reason := createEndReason(t, s, "Çözüldü")
		// Two pairs share a creation time: the cursor must break ties by id.
		var want []int64
		for i, at := range []int64{1000, 2000, 2000, 3000, 4000, 4000, 5000} {
			conv := openConversation(t, s, at, customer{externalID: fmt.Sprint("c", i)})
			assign(t, s, conv, ali)
			end(t, s, conv, ali, reason)
			want = append(want, conv)
		}
		slices.Reverse(want) // created_at desc, id desc

		var got []int64
		var sizes []int
		f := wire.HistoryFilter{Limit: 3}
		for page := 0; ; page++ {
			if page > 3 {
				t.Fatal("pagination does not end")
			}
			p, err := s.History(context.Background(), f, 0)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(p.Conversations))
			got = append(got, ids(p.Conversations)...)
			if p.NextCursor == "" {
				break
			}
			f.Cursor = p.NextCursor
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Fatalf("page sizes = %v, want [3 3 1]", sizes)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages = %v, want %v (created_at desc, no duplicates)", got, want)
		}
	})
}

// A text search lists each conversation once, at its newest matching message, across pages:
// a conversation whose older messages match again further down is not listed twice.
func TestTextHistoryPagesListEachConversationOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		a := openConversation(t, s, 1000, customer{externalID: "a"})
		b := openConversation(t, s, 2000, customer{externalID: "b"})
		c := openConversation(t, s, 3000, customer{externalID: "c"})
		// Messages in arrival order; "kargo" matches in each, a's twice far apart.
		inbound(t, s, a, "kargo ne zaman gelir")
		inbound(t, s, b, "kargo takip numarası")
		inbound(t, s, c, "kargo ücreti")
		inbound(t, s, a, "kargo hâlâ gelmedi")
		var got []int64
		var sizes []int
		f := wire.HistoryFilter{Text: "kargo", Limit: 2}
		for page := 0; ; page++ {
			if page > 4 {
				t.Fatal("pagination does not end")
			}
			p, err := s.History(context.Background(), f, 0)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(p.Conversations))
			got = append(got, ids(p.Conversations)...)
			if p.NextCursor == "" {
				break
			}
			f.Cursor = p.NextCursor
		}
		if !slices.Equal(got, []int64{a, c, b}) {
			t.Fatalf("pages %v (sizes %v), want a (its newest match), c, b — each once", got, sizes)
		}
	})
}

// Phrases in quotes match words in order; a long last word is still a prefix.
func TestTextHistoryPhrasesAndLongPrefixes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		order := openConversation(t, s, 1000, customer{externalID: "1"})
		inbound(t, s, order, "Siparişlerimin kargo takip numarası nerede?")
		other := openConversation(t, s, 2000, customer{externalID: "2"})
		inbound(t, s, other, "Takip edemiyorum, kargo nerede?")
		cases := []struct {
			text string
			want []int64
		}{
			{`"kargo takip"`, []int64{order}},
			{`"takip kargo"`, []int64{}},
			{"kargo takip", []int64{other, order}},
			{"siparişlerim", []int64{order}}, // 12 letters: longer than the index's prefixes
			{"siparişlerimin", []int64{order}},
			{"siparişlerimiz", []int64{}},
			{"numaras", []int64{order}},
		}
		for _, tc := range cases {
			p, err := s.History(context.Background(), wire.HistoryFilter{Text: tc.text}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p.Conversations); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.text, got, tc.want)
			}
		}
	})
}

// A page of a text search reads a bounded number of hits: restrictive filters that leave it
// short end it early with a cursor, and following the cursors finds what there is.
func TestTextHistoryScanIsBounded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali := createAgent(t, s, "ali")
		reason := createEndReason(t, s, "Çözüldü")
		target := openConversation(t, s, 1000, customer{externalID: "target"})
		inbound(t, s, target, "kargo")
		assign(t, s, target, ali)
		end(t, s, target, ali, reason)
		// Above it, more matching messages than one page may read, none of ali's.
		inTx(t, s, func(tx *Tx) error {
			ch, err := testChannel(tx)
			if err != nil {
				return err
			}
			contact, err := tx.Contact(ch, "many", "", "", "")
			if err != nil {
				return err
			}
			conv, err := tx.NewConversation(contact, ch)
			if err != nil {
				return err
			}
			for i := 0; i < maxScanned+10; i++ {
				if _, _, err := tx.InsertMessage(NewMessage{ConversationID: conv, ChannelID: ch, Direction: "in", Body: "kargo", Status: wire.StatusReceived}); err != nil {
					return err
				}
			}
			return nil
		})
		f := wire.HistoryFilter{Text: "kargo", AgentID: ali}
		p, err := s.History(context.Background(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Conversations) != 0 || p.NextCursor == "" {
			t.Fatalf("first page %v, cursor %q: want an empty page that says where to go on", ids(p.Conversations), p.NextCursor)
		}
		f.Cursor = p.NextCursor
		if p, err = s.History(context.Background(), f, 0); err != nil {
			t.Fatal(err)
		}
		if got := ids(p.Conversations); !slices.Equal(got, []int64{target}) || p.NextCursor != "" {
			t.Fatalf("second page %v, cursor %q: want the target and the end", got, p.NextCursor)
		}
	})
}

func TestHistoryRejectsForeignCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		for _, cursor := range []string{"garbage!", "bm8tY29sb24", "YTpi", "MTAwMDp4"} { // "no-colon", "a:b", "1000:x"
			_, err := s.History(context.Background(), wire.HistoryFilter{Cursor: cursor}, 0)
			if code := wire.CodeOf(err); code != wire.CodeInvalid {
				t.Errorf("cursor %q: err = %v (code %q), want %s", cursor, err, code, wire.CodeInvalid)
			}
		}
	})
}

func TestHistoryAgentViewer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		reason := createEndReason(t, s, "Çözüldü")
		alis := openConversation(t, s, 1000, customer{externalID: "1"})
		assign(t, s, alis, ali)
		ayses := openConversation(t, s, 2000, customer{externalID: "2"})
		assign(t, s, ayses, ayse)
		endedByAyse := openConversation(t, s, 3000, customer{externalID: "3"})
		assign(t, s, endedByAyse, ayse)
		end(t, s, endedByAyse, ayse, reason)
		queued := openConversation(t, s, 4000, customer{externalID: "4"})

		viewers := []struct {
			name   string
			viewer int64
			want   []int64
		}{
			{"agent sees own and ended", ali, []int64{endedByAyse, alis}},
			{"other agent", ayse, []int64{endedByAyse, ayses}},
			{"staff sees everything", 0, []int64{queued, endedByAyse, ayses, alis}},
		}
		for _, v := range viewers {
			page, err := s.History(context.Background(), wire.HistoryFilter{}, v.viewer)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page.Conversations); !slices.Equal(got, v.want) {
				t.Errorf("%s: got %v, want %v", v.name, got, v.want)
			}
		}
	})
}

// Settings.

func TestSettings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		got, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != wire.DefaultSettings() {
			t.Fatalf("fresh settings = %+v, want defaults %+v", got, wire.DefaultSettings())
		}
		for _, want := range []wire.Settings{
			{AutoAssign: false, DefaultLimit: 5, HardCap: 8, OfferTimeoutSeconds: 30, OfflineGraceSeconds: 10, RequeueOnOffline: false},
			{AutoAssign: true, DefaultLimit: 0, HardCap: 0, OfferTimeoutSeconds: 90, OfflineGraceSeconds: 0, RequeueOnOffline: true},
		} {
			inTx(t, s, func(tx *Tx) error { return tx.PutSettings(want) })
			if got, err := s.Settings(ctx); err != nil || got != want {
				t.Fatalf("Settings after PutSettings = %+v, %v; want %+v", got, err, want)
			}
			inTx(t, s, func(tx *Tx) error {
				got, err := tx.Settings()
				if err == nil && got != want {
					t.Errorf("Tx.Settings = %+v, want %+v", got, want)
				}
				return err
			})
		}
	})
}

// Connections and presence deadlines.

func TestConnectionsAndOfflineDeadline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ali := createAgent(t, s, "ali")
		inTxAt(t, s, 1000, func(tx *Tx) error { _, err := tx.SetPresence(ali, wire.Online, "", 60_000); return err })
		deadline := func() int64 {
			t.Helper()
			u, err := s.User(ctx, ali)
			if err != nil {
				t.Fatal(err)
			}
			return u.OfflineDeadline
		}
		dueAt := func(now int64) []int64 {
			t.Helper()
			var due []int64
			inTxAt(t, s, now, func(tx *Tx) (err error) { due, err = tx.DueOffline(); return })
			return due
		}
		// Online through HTTP alone, with no live stream: the grace period runs at once.
		if d := deadline(); d != 61_000 {
			t.Fatalf("offline deadline when online without a connection = %d, want 61000", d)
		}

		inTxAt(t, s, 1000, func(tx *Tx) error {
			return errors.Join(tx.AddConnection("laptop", ali, "node1"), tx.AddConnection("phone", ali, "node1"))
		})
		inTxAt(t, s, 2000, func(tx *Tx) error { return tx.RemoveConnection("laptop", ali, 60_000) })
		if d := deadline(); d != 0 {
			t.Fatalf("offline deadline with one connection left = %d, want 0", d)
		}
		inTxAt(t, s, 3000, func(tx *Tx) error { return tx.RemoveConnection("phone", ali, 60_000) })
		if d := deadline(); d != 63_000 {
			t.Fatalf("offline deadline after the last connection = %d, want 63000", d)
		}
		if due := dueAt(62_999); len(due) != 0 {
			t.Fatalf("DueOffline before the deadline = %v, want none", due)
		}
		if due := dueAt(63_000); !slices.Equal(due, []int64{ali}) {
			t.Fatalf("DueOffline at the deadline = %v, want [%d]", due, ali)
		}

		// Reconnecting within the grace cancels the deadline.
		inTxAt(t, s, 4000, func(tx *Tx) error { return tx.AddConnection("laptop", ali, "node1") })
		if d := deadline(); d != 0 {
			t.Fatalf("offline deadline after reconnecting = %d, want 0", d)
		}
		if due := dueAt(100_000); len(due) != 0 {
			t.Fatalf("DueOffline after reconnecting = %v, want none", due)
		}

		// An agent who is already offline gets no deadline.
		can := createAgent(t, s, "can")
		inTxAt(t, s, 5000, func(tx *Tx) error {
			if err := tx.AddConnection("can-laptop", can, "node1"); err != nil {
				return err
			}
			return tx.RemoveConnection("can-laptop", can, 0)
		})
		if due := dueAt(100_000); slices.Contains(due, can) {
			t.Fatalf("DueOffline lists offline agent %d", can)
		}
	})
}

func TestDropStaleConnections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		lost, split, kept := createAgent(t, s, "lost"), createAgent(t, s, "split"), createAgent(t, s, "kept")
		inTxAt(t, s, 1000, func(tx *Tx) error {
			for _, id := range []int64{lost, split, kept} {
				if _, err := tx.SetPresence(id, wire.Online, "", 60_000); err != nil {
					return err
				}
			}
			return errors.Join(
				tx.AddConnection("lost-1", lost, "dead"),
				tx.AddConnection("split-1", split, "dead"),
				tx.AddConnection("split-2", split, "alive"),
				tx.AddConnection("kept-1", kept, "alive"),
			)
		})
		inTxAt(t, s, 50_000, func(tx *Tx) error { return tx.Heartbeat("alive") })
		inTxAt(t, s, 60_000, func(tx *Tx) error { return tx.DropStaleConnections(30_000, 5_000) })

		cases := []struct {
			name     string
			id       int64
			deadline int64
		}{
			{"only connection on a dead node", lost, 65_000},
			{"still connected to a live node", split, 0},
			{"connected to a live node", kept, 0},
		}
		for _, tc := range cases {
			u, err := s.User(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if u.OfflineDeadline != tc.deadline {
				t.Errorf("%s: offline deadline = %d, want %d", tc.name, u.OfflineDeadline, tc.deadline)
			}
		}
		var left int
		if err := s.read.QueryRow(`SELECT COUNT(*) FROM connections`).Scan(&left); err != nil || left != 2 {
			t.Fatalf("connections left = %d (err %v), want the 2 on the live node", left, err)
		}
	})
}

// The idle checks tell the workers when to take the write lock: nothing due on a quiet
// database, and each kind of deadline noticed once it has passed.
func TestIdleChecks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		check := func(what string, got bool, err error, want bool) {
			t.Helper()
			if err != nil || got != want {
				t.Fatalf("%s: %v %v, want %v", what, got, err, want)
			}
		}
		due, err := s.SweepDue(ctx, 10_000, 0)
		check("sweep on a quiet database", due, err, false)
		due, err = s.SendsDue(ctx, 10_000)
		check("sends on a quiet database", due, err, false)
		due, err = s.MediaDue(ctx, 10_000)
		check("media on a quiet database", due, err, false)

		ali, ayse := createAgent(t, s, "ali"), createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{"905321112233", "Mehmet", ""})
		inTx(t, s, func(tx *Tx) error { _, err := tx.CreateOffer(conv, ali, ayse, "", 5000); return err })
		due, err = s.SweepDue(ctx, 4999, 0)
		check("an offer before its deadline", due, err, false)
		due, err = s.SweepDue(ctx, 5000, 0)
		check("an offer at its deadline", due, err, true)
	})
}

// A send job's outcome counts only under the claim that holds it: a worker whose lease ran out
// and whose job was failed as abandoned records nothing, and a job is abandoned only once its
// lease has run out and only if its worker did not record first.
func TestSendJobFencing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		agent := createAgent(t, s, "ali")
		conv := openConversation(t, s, 1000, customer{"905321112233", "Mehmet", ""})
		var msg wire.Message
		inTxAt(t, s, 1000, func(tx *Tx) error {
			ch, err := testChannel(tx)
			if err != nil {
				return err
			}
			msg, _, err = tx.InsertMessage(NewMessage{ConversationID: conv, ChannelID: ch, Direction: "out", AuthorID: agent,
				Body: "Merhaba", Status: wire.StatusQueued})
			if err != nil {
				return err
			}
			return tx.EnqueueSend(msg.ID, ch)
		})
		claim := func(now, lease int64) SendJob {
			t.Helper()
			var jobs []SendJob
			inTxAt(t, s, now, func(tx *Tx) (err error) { jobs, err = tx.ClaimSends(1, lease); return err })
			if len(jobs) != 1 {
				t.Fatalf("claim at %d: %d jobs", now, len(jobs))
			}
			return jobs[0]
		}
		outcome := func(now int64, fn func(tx *Tx) (bool, error)) bool {
			t.Helper()
			var ok bool
			inTxAt(t, s, now, func(tx *Tx) (err error) { ok, err = fn(tx); return err })
			return ok
		}

		first := claim(1000, 2000)
		if !outcome(1500, func(tx *Tx) (bool, error) { return tx.RetrySend(first, 1600, "130429") }) {
			t.Fatal("the holder puts its job back")
		}
		if outcome(1700, func(tx *Tx) (bool, error) { return tx.FinishSend(first, false, "") }) {
			t.Fatal("an outcome under a claim already given back must not count")
		}
		second := claim(1700, 3000)
		if second.Token == first.Token || second.Attempts != 2 {
			t.Fatalf("each claim gets a new token: %+v after %+v", second, first)
		}
		if outcome(2999, func(tx *Tx) (bool, error) { return tx.AbandonSend(second, "stopped") }) {
			t.Fatal("a job is not abandoned before its lease runs out")
		}
		if due, err := s.SendsAbandoned(context.Background(), 3000); err != nil || !due {
			t.Fatalf("the run-out lease is noticed: %v %v", due, err)
		}
		if !outcome(3000, func(tx *Tx) (bool, error) { return tx.AbandonSend(second, "stopped") }) {
			t.Fatal("a job whose lease ran out is abandoned")
		}
		for name, late := range map[string]func(tx *Tx) (bool, error){
			"success": func(tx *Tx) (bool, error) { return tx.FinishSend(second, false, "") },
			"failure": func(tx *Tx) (bool, error) { return tx.FinishSend(second, true, "131026") },
			"retry":   func(tx *Tx) (bool, error) { return tx.RetrySend(second, 4000, "130429") },
			"lease":   func(tx *Tx) (bool, error) { return tx.ExtendSend(second, 9000) },
		} {
			if outcome(3500, late) {
				t.Errorf("a late %s from the worker that lost its job counted", name)
			}
		}
		var state string
		if err := s.read.QueryRow(s.q(`SELECT state FROM send_jobs WHERE message_id = ?`), msg.ID).Scan(&state); err != nil || state != "failed" {
			t.Fatalf("the abandoned job stays failed: %q %v", state, err)
		}
		if due, err := s.SendsDue(context.Background(), 10_000); err != nil || due {
			t.Fatalf("nothing is due: %v %v", due, err)
		}
	})
}

// PostgreSQL searches in id windows from the newest message down, each twice as wide as the
// last (searchWindow): with windows of one message and up, pages hold the same conversations in
// the same order as one pass does, each once, a match far below many others is still found, and
// the pagination ends. SQLite reads its index newest first in one pass (no windows): the same
// pages must come out of it, so it runs the same checks once.
func TestTextHistoryInIdWindows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		windows := []int64{1, 2, 7}
		if s.dialect.searchWindow == 0 {
			windows = []int64{0}
		}
		old := openConversation(t, s, 1000, customer{externalID: "old"})
		inbound(t, s, old, "kaşmir atkı")
		a := openConversation(t, s, 2000, customer{externalID: "a"})
		b := openConversation(t, s, 3000, customer{externalID: "b"})
		for i := range 40 { // non-matching messages between the old match and the others
			inbound(t, s, b, fmt.Sprint("merhaba ", i))
		}
		inbound(t, s, a, "kargo ne zaman gelir")
		inbound(t, s, b, "kargo takip numarası")
		inbound(t, s, a, "kargo hâlâ gelmedi")
		for _, w := range windows {
			s.dialect.searchWindow = w
			for _, tc := range []struct {
				text string
				want []int64
			}{{"kargo", []int64{a, b}}, {"kaşmir", []int64{old}}, {"yok", nil}} {
				var got []int64
				f := wire.HistoryFilter{Text: tc.text, Limit: 1}
				for page := 0; ; page++ {
					if page > 10 {
						t.Fatalf("window %d, %s: pagination does not end", w, tc.text)
					}
					p, err := s.History(context.Background(), f, 0)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, ids(p.Conversations)...)
					if p.NextCursor == "" {
						break
					}
					f.Cursor = p.NextCursor
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("window %d, %s: pages %v, want %v", w, tc.text, got, tc.want)
				}
			}
		}
	})
}
