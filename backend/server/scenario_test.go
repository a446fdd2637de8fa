package server_test

// Scenario tests: Santral's rules as a user meets them, through real HTTP and WebSockets
// against a real santrald on a real SQLite file.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

func TestTwoAgentsLimitTwoFiveCustomers(t *testing.T) {
	e := start(t)
	ayse, mehmet := e.agent("ayse", limit(2)), e.agent("mehmet", limit(2))
	ayse.online()
	mehmet.online()

	var convs []int64
	for i := 1; i <= 5; i++ {
		convs = append(convs, e.customer(fmt.Sprintf("c%d", i), "Merhaba, siparişim nerede?").ConversationID)
	}
	if a, m := len(ayse.mine()), len(mehmet.mine()); a != 2 || m != 2 {
		t.Fatalf("each agent should hold 2, got ayse=%d mehmet=%d", a, m)
	}
	q := ayse.queue()
	if len(q) != 1 || q[0].ID != convs[4] {
		t.Fatalf("the fifth (newest) customer should wait alone in the queue, got %+v", q)
	}
	// The four oldest went out, alternating by fewest active.
	first := held(ayse.mine())
	if !(first[convs[0]] || first[convs[1]]) || !(first[convs[2]] || first[convs[3]]) {
		t.Fatalf("assignment did not alternate between agents: ayse holds %v of %v", first, convs)
	}

	reason := e.admin().endReason("Çözüldü")
	ended := ayse.mine()[0].ID
	ayse.end(ended, reason)
	mine := held(ayse.mine())
	if !mine[convs[4]] || mine[ended] || len(mine) != 2 {
		t.Fatalf("after ending one, ayse should get the waiting conversation: holds %v", mine)
	}
	if len(ayse.queue()) != 0 {
		t.Fatal("the queue should be empty")
	}
}

func TestBreak(t *testing.T) {
	e := start(t)
	ayse, mehmet := e.agent("ayse", limit(5)), e.agent("mehmet", limit(1))
	ayse.online()
	kept := e.customer("c1", "Merhaba").ConversationID
	if !held(ayse.mine())[kept] {
		t.Fatal("ayse should hold the first conversation")
	}

	ayse.presence(wire.Break, "Öğle yemeği")
	var me wire.User
	ayse.mustDo("GET", "/api/v1/me", nil, &me, http.StatusOK)
	if me.Presence != wire.Break || me.PresenceReason != "Öğle yemeği" || me.PresenceSince == 0 {
		t.Fatalf("presence should be break with reason and timestamp, got %+v", me)
	}

	waiting := e.customer("c2", "Kargom nerede?").ConversationID
	if got := ayse.queue(); len(got) != 1 || got[0].ID != waiting {
		t.Fatalf("no assignment while on break: queue %+v", got)
	}
	if !held(ayse.mine())[kept] {
		t.Fatal("going on break keeps the conversations the agent holds")
	}

	mehmet.online()
	if !held(mehmet.mine())[waiting] {
		t.Fatal("mehmet coming online should receive the waiting conversation")
	}
	mehmet.refused(wire.CodeAgentOnBreak, "POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", waiting), wire.TransferRequest{ToAgentID: ayse.user.ID})
	ayse.refused(wire.CodeAgentOnBreak, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", kept), wire.SendMessageRequest{Body: "Merhaba"})
	ayse.refused(wire.CodeAgentOnBreak, "POST", "/api/v1/queue/pull", nil)

	later := e.customer("c3", "İade yapmak istiyorum").ConversationID // mehmet is full: waits
	if len(ayse.queue()) != 1 {
		t.Fatal("the third customer should wait")
	}
	ayse.online()
	if !held(ayse.mine())[later] {
		t.Fatal("returning from break, ayse receives the queued conversation")
	}
	ayse.reply(kept, "Geri döndüm, yardımcı olayım.")
}

func TestFiftyPullersTwentyConversationsTwoNodes(t *testing.T) {
	dir := t.TempDir()
	nodeA := startOn(t, dir)
	nodeB := startOn(t, dir) // a second santrald on the same database
	nodeA.admin().settings(func(s *wire.Settings) { s.AutoAssign = false })

	var agents []*client
	for i := 0; i < 10; i++ {
		a := nodeA.agent("puller", nil)
		if i%2 == 1 { // half the agents work through the other node
			a = login(t, nodeB.url, a.user.Username, "password-"+a.user.Username)
		}
		a.online()
		agents = append(agents, a)
	}
	want := map[int64]bool{}
	for i := 0; i < 20; i++ {
		want[nodeA.customer(fmt.Sprintf("q%d", i), "Merhaba").ConversationID] = true
	}

	var mu sync.Mutex
	pulled := map[int64]int{}
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(a *client) {
			defer wg.Done()
			for {
				var c wire.Conversation
				status, code := a.do("POST", "/api/v1/queue/pull", nil, &c)
				if code == wire.CodeQueueEmpty {
					return
				}
				if status != http.StatusOK {
					t.Errorf("pull: status %d code %s", status, code)
					return
				}
				mu.Lock()
				pulled[c.ID]++
				mu.Unlock()
			}
		}(agents[g%len(agents)])
	}
	wg.Wait()
	if len(pulled) != 20 {
		t.Fatalf("pulled %d distinct conversations, want 20", len(pulled))
	}
	for id, n := range pulled {
		if n != 1 || !want[id] {
			t.Errorf("conversation %d pulled %d times (queued: %v)", id, n, want[id])
		}
	}
	total := 0
	for _, a := range agents {
		total += len(a.mine())
	}
	if total != 20 {
		t.Fatalf("agents hold %d conversations in all, want 20", total)
	}
}

func TestPullAboveLimitUpToHardCap(t *testing.T) {
	e := start(t)
	admin := e.admin()
	admin.settings(func(s *wire.Settings) { s.HardCap = 3 })
	ayse := e.agent("ayse", limit(1))
	ayse.online()
	for i := 0; i < 5; i++ {
		e.customer(fmt.Sprintf("h%d", i), "Merhaba")
	}
	if len(ayse.mine()) != 1 {
		t.Fatal("auto-assignment stops at the limit")
	}
	ayse.pull()
	ayse.pull()
	if len(ayse.mine()) != 3 {
		t.Fatal("the pull is allowed above the auto-assignment limit")
	}
	ayse.refused(wire.CodeHardCapReached, "POST", "/api/v1/queue/pull", nil)
}

// transferSetup: ayse holds a conversation, mehmet and zeynep are online with room.
type transferSetup struct {
	e                    *env
	admin                *client
	ayse, mehmet, zeynep *client
	conv                 int64
}

func newTransferSetup(t *testing.T) transferSetup {
	e := start(t)
	s := transferSetup{e: e, admin: e.admin()}
	s.ayse, s.mehmet, s.zeynep = e.agent("ayse", limit(1)), e.agent("mehmet", limit(0)), e.agent("zeynep", limit(0))
	s.ayse.online()
	s.conv = e.customer("tr1", "Faturamı alabilir miyim?").ConversationID
	if !held(s.ayse.mine())[s.conv] {
		t.Fatal("setup: ayse should hold the conversation")
	}
	s.mehmet.online()
	s.zeynep.online()
	return s
}

func TestTransfer(t *testing.T) {
	t.Run("accepted: conversation and note move", func(t *testing.T) {
		s := newTransferSetup(t)
		offers, _ := s.mehmet.stream(-1)
		defer offers.close()
		o := s.ayse.transfer(s.conv, s.mehmet.user.ID, "Fatura adresi değişecek")
		ev := offers.until(5*time.Second, "transfer.offered", func(e wire.Event) bool { return e.Type == wire.EventTransferOffered })
		var od wire.OfferData
		json.Unmarshal(ev.Data, &od)
		if od.Offer.ID != o.ID || od.Offer.Note != "Fatura adresi değişecek" {
			t.Fatalf("the receiver's offer event should carry the note: %+v", od.Offer)
		}
		// Until accepted, the conversation stays with the sender and the receiver may read it.
		if !held(s.ayse.mine())[s.conv] {
			t.Fatal("the conversation stays with the sender until accepted")
		}
		s.mehmet.conversation(s.conv)
		s.mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil, nil, http.StatusOK)
		if held(s.ayse.mine())[s.conv] || !held(s.mehmet.mine())[s.conv] {
			t.Fatal("accepting moves the conversation to the receiver")
		}
		d := s.mehmet.conversation(s.conv)
		if !timelineHas(d.Timeline, "transfer_accepted", "Fatura adresi değişecek") {
			t.Fatalf("the note moves with the conversation: timeline %s", kinds(d.Timeline))
		}
		s.ayse.refused(wire.CodeNotHolder, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", s.conv), wire.SendMessageRequest{Body: "x"})
		s.mehmet.reply(s.conv, "Merhaba, adresinizi güncelliyorum.")
	})

	failed := []struct {
		name   string
		fail   func(s transferSetup, offer wire.TransferOffer)
		state  wire.OfferState
		reason string
	}{
		{"rejected", func(s transferSetup, o wire.TransferOffer) {
			s.mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", o.ID), nil, nil, http.StatusOK)
		}, wire.OfferRejected, "rejected"},
		{"timed out", func(s transferSetup, o wire.TransferOffer) {}, wire.OfferExpired, "timeout"},
		{"receiver goes on break", func(s transferSetup, o wire.TransferOffer) {
			s.mehmet.presence(wire.Break, "")
		}, wire.OfferWithdrawn, "receiver_on_break"},
		{"receiver goes offline", func(s transferSetup, o wire.TransferOffer) {
			s.mehmet.presence(wire.Offline, "")
		}, wire.OfferWithdrawn, "receiver_offline"},
		{"sender cancels", func(s transferSetup, o wire.TransferOffer) {
			s.ayse.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", o.ID), nil, nil, http.StatusOK)
		}, wire.OfferCancelled, "cancelled"},
	}
	for _, tt := range failed {
		t.Run(tt.name+": stays with the sender", func(t *testing.T) {
			s := newTransferSetup(t)
			s.admin.settings(func(set *wire.Settings) { set.OfferTimeoutSeconds = 1 })
			o := s.ayse.transfer(s.conv, s.mehmet.user.ID, "not")
			tt.fail(s, o)
			eventually(t, 5*time.Second, "the offer resolves", func() bool { return s.ayse.offer(o.ID).State != wire.OfferPending })
			got := s.ayse.offer(o.ID)
			if got.State != tt.state || got.Reason != tt.reason {
				t.Fatalf("offer %s/%s, want %s/%s", got.State, got.Reason, tt.state, tt.reason)
			}
			if !held(s.ayse.mine())[s.conv] || held(s.mehmet.mine())[s.conv] {
				t.Fatal("a failed transfer leaves the conversation with the sender")
			}
			if !timelineHas(s.ayse.conversation(s.conv).Timeline, "transfer_"+string(tt.state), "") {
				t.Fatalf("the timeline records the %s offer", tt.state)
			}
		})
	}

	t.Run("sender not online when it fails: head of the queue", func(t *testing.T) {
		s := newTransferSetup(t)
		older := s.e.customer("tr0", "Ben de bekliyorum") // ayse is full, mehmet/zeynep take none: queued
		o := s.ayse.transfer(s.conv, s.mehmet.user.ID, "")
		s.ayse.presence(wire.Offline, "")
		s.mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", o.ID), nil, nil, http.StatusOK)
		q := s.mehmet.queue()
		if len(q) != 2 || q[0].ID != s.conv || q[1].ID != older.ConversationID {
			t.Fatalf("the conversation should return to the head of the queue, queue: %v", ids(q))
		}
	})

	t.Run("a second offer while one is pending is refused", func(t *testing.T) {
		s := newTransferSetup(t)
		s.ayse.transfer(s.conv, s.mehmet.user.ID, "")
		s.ayse.refused(wire.CodeTransferPending, "POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", s.conv), wire.TransferRequest{ToAgentID: s.zeynep.user.ID})
	})

	t.Run("only online agents can receive", func(t *testing.T) {
		s := newTransferSetup(t)
		s.zeynep.presence(wire.Offline, "")
		s.ayse.refused(wire.CodeAgentOffline, "POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", s.conv), wire.TransferRequest{ToAgentID: s.zeynep.user.ID})
		s.ayse.refused(wire.CodeTransferToSelf, "POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", s.conv), wire.TransferRequest{ToAgentID: s.ayse.user.ID})
	})

	t.Run("accept after the sender ended the conversation is refused", func(t *testing.T) {
		s := newTransferSetup(t)
		reason := s.admin.endReason("Çözüldü")
		o := s.ayse.transfer(s.conv, s.mehmet.user.ID, "")
		s.ayse.end(s.conv, reason)
		s.mehmet.refused(wire.CodeOfferNotPending, "POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil)
		if got := s.ayse.offer(o.ID); got.State != wire.OfferWithdrawn {
			t.Fatalf("ending withdraws the offer, got %s", got.State)
		}
	})
}

func TestEndAndTakeUpAgain(t *testing.T) {
	e := start(t)
	admin := e.admin()
	solved := admin.endReason("Çözüldü")
	retired := admin.endReason("Eski neden")
	admin.mustDo("PUT", fmt.Sprintf("/api/v1/end-reasons/%d", retired), map[string]any{"label": "Eski neden", "active": false}, nil, http.StatusOK)
	ayse := e.agent("ayse", nil)
	ayse.online()
	first := e.customer("c1", "Merhaba").ConversationID

	ayse.refused(wire.CodeEndReasonRequired, "POST", fmt.Sprintf("/api/v1/conversations/%d/end", first), wire.EndRequest{})
	ayse.refused(wire.CodeEndReasonUnknown, "POST", fmt.Sprintf("/api/v1/conversations/%d/end", first), wire.EndRequest{EndReasonID: 9999})
	ayse.refused(wire.CodeEndReasonUnknown, "POST", fmt.Sprintf("/api/v1/conversations/%d/end", first), wire.EndRequest{EndReasonID: retired})
	if !held(ayse.mine())[first] {
		t.Fatal("a refused end changes nothing")
	}
	c := ayse.end(first, solved)
	if c.State != wire.Ended || c.EndReason != "Çözüldü" {
		t.Fatalf("ended conversation: %+v", c)
	}
	var endedTab wire.ConversationPage
	ayse.mustDo("GET", "/api/v1/conversations?view=ended", nil, &endedTab, http.StatusOK)
	if len(endedTab.Conversations) != 1 || endedTab.Conversations[0].ID != first {
		t.Fatalf("the ended tab shows it: %v", ids(endedTab.Conversations))
	}

	second := e.customer("c1", "Bir sorum daha var").ConversationID
	if second == first {
		t.Fatal("a customer writing after the end starts a new conversation")
	}
	d := ayse.conversation(second)
	if d.Conversation.PreviousID == nil || *d.Conversation.PreviousID != first || len(d.Earlier) != 1 || d.Earlier[0].ID != first {
		t.Fatalf("the agent sees the customer's earlier conversation: previous=%v earlier=%v", d.Conversation.PreviousID, ids(d.Earlier))
	}
	ayse.refused(wire.CodeContactHasOpen, "POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", first), nil)
	ayse.end(second, solved)

	mehmet := e.agent("mehmet", nil)
	mehmet.refused(wire.CodeNotOnline, "POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", first), nil)
	mehmet.online()
	var taken wire.Conversation
	mehmet.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", first), nil, &taken, http.StatusOK)
	if taken.State != wire.Assigned || taken.AgentID == nil || *taken.AgentID != mehmet.user.ID || !held(mehmet.mine())[first] {
		t.Fatalf("taking up makes the agent the holder: %+v", taken)
	}
	mehmet.reply(first, "Tekrar merhaba!")
	got := e.received("c1")
	if len(got) != 1 || got[0].Body != "Tekrar merhaba!" {
		t.Fatalf("the customer receives the reply: %+v", got)
	}
	mehmet.refused(wire.CodeConversationNotEnded, "POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", first), nil)
}

func TestStreamResumesWithoutGapOrDuplicate(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", nil)
	ayse.online()
	conv := e.customer("r1", "Merhaba").ConversationID

	s, hello := ayse.stream(-1)
	e.customer("r1", "canlı")
	live := s.events(2, 5*time.Second) // conversation.updated + message.created
	last := live[len(live)-1].Seq
	if hello.Head >= last {
		t.Fatalf("live events come after the head: head %d, got %d", hello.Head, last)
	}
	s.close()

	// 50 customer messages while disconnected: 100 events for ayse.
	for i := 0; i < 50; i++ {
		customer(t, e.url, "r1", fmt.Sprintf("offline-%d", i), fmt.Sprintf("mesaj %d", i))
	}
	s, _ = ayse.stream(last)
	defer s.close()
	missed := s.events(100, 10*time.Second)
	if len(missed) != 100 {
		t.Fatalf("got %d missed events, want exactly 100", len(missed))
	}
	prev := last
	bodies := 0
	for _, ev := range missed {
		if ev.Seq <= prev {
			t.Fatalf("sequence not strictly increasing: %d after %d", ev.Seq, prev)
		}
		prev = ev.Seq
		if ev.ConversationID != conv {
			t.Fatalf("unexpected event %s for conversation %d", ev.Type, ev.ConversationID)
		}
		if ev.Type == wire.EventMessageCreated {
			var md wire.MessageData
			json.Unmarshal(ev.Data, &md)
			if md.Message.Body != fmt.Sprintf("mesaj %d", bodies) {
				t.Fatalf("message %d out of order: %q", bodies, md.Message.Body)
			}
			bodies++
		}
	}
	// Nothing more: the next event is the next change, not a repeat.
	e.customer("r1", "sonraki")
	next := s.events(2, 5*time.Second)
	if next[0].Seq <= prev {
		t.Fatalf("duplicate after resume: %d <= %d", next[0].Seq, prev)
	}

	// A cursor from the future (another database) must resync.
	other, f := ayse.stream(prev + 1_000_000)
	defer other.close()
	if f.Kind != "resync" {
		t.Fatalf("a cursor beyond the head gets resync, got %q", f.Kind)
	}
}

func TestAuthorization(t *testing.T) {
	e := start(t)
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(0))
	ayse.online()
	mehmet.online()
	conv := e.customer("a1", "Özel bilgilerim").ConversationID
	path := fmt.Sprintf("/api/v1/conversations/%d", conv)
	reason := e.admin().endReason("Çözüldü")

	watch, _ := mehmet.stream(-1)
	defer watch.close()

	mehmet.refused(wire.CodeNotHolder, "GET", path, nil)
	mehmet.refused(wire.CodeNotHolder, "GET", path+"/messages", nil)
	mehmet.refused(wire.CodeNotHolder, "POST", path+"/messages", wire.SendMessageRequest{Body: "merhaba"})
	mehmet.refused(wire.CodeNotHolder, "POST", path+"/transfer", wire.TransferRequest{ToAgentID: mehmet.user.ID + 100})
	mehmet.refused(wire.CodeNotHolder, "POST", path+"/end", wire.EndRequest{EndReasonID: reason})
	mehmet.refused(wire.CodeForbidden, "POST", path+"/return-to-queue", nil)

	o := ayse.transfer(conv, mehmet.user.ID, "")
	zeynep := e.agent("zeynep", nil)
	zeynep.refused(wire.CodeForbidden, "POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil)
	zeynep.refused(wire.CodeNotFound, "GET", fmt.Sprintf("/api/v1/transfers/%d", o.ID), nil)
	mehmet.refused(wire.CodeForbidden, "POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", o.ID), nil)

	for _, call := range []struct{ method, path string }{
		{"PUT", "/api/v1/settings"}, {"POST", "/api/v1/end-reasons"}, {"PUT", fmt.Sprintf("/api/v1/end-reasons/%d", reason)},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d", mehmet.user.ID)}, {"POST", "/api/v1/users"},
	} {
		mehmet.refused(wire.CodeForbidden, call.method, call.path, map[string]any{"auto_limit": 9})
	}
	anonymous := &client{t: t, base: e.url}
	anonymous.refused(wire.CodeUnauthorized, "GET", "/api/v1/me", nil)
	(&client{t: t, base: e.url, token: "not-a-token"}).refused(wire.CodeUnauthorized, "GET", "/api/v1/conversations", nil)

	// A supervisor may change limits, but nothing else about a user.
	selin := e.user(wire.RoleSupervisor, "selin", nil)
	selin.mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", mehmet.user.ID), wire.UserRequest{AutoLimit: limit(4)}, nil, http.StatusOK)
	selin.refused(wire.CodeForbidden, "PATCH", fmt.Sprintf("/api/v1/users/%d", mehmet.user.ID), map[string]any{"role": "admin"})

	// Once the offer is taken back, Mehmet's stream never carries ayse's customer messages: a
	// barrier event he does see (his own presence change) proves the stream was read past them.
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", o.ID), nil, nil, http.StatusOK)
	e.customer("a1", "Kart numaram 4543…")
	mehmet.presence(wire.Break, "barrier")
	watch.until(5*time.Second, "barrier", func(ev wire.Event) bool {
		if ev.Type == wire.EventMessageCreated && ev.ConversationID == conv {
			t.Fatalf("mehmet's stream carried a message of ayse's conversation")
		}
		return ev.Type == wire.EventPresenceChanged && strings.Contains(string(ev.Data), "barrier")
	})
}

func TestBadInputGetsTypedErrors(t *testing.T) {
	e := start(t)
	ayse, mehmet := e.agent("ayse", nil), e.agent("mehmet", nil)
	ayse.online()
	conv := e.customer("b1", "Merhaba").ConversationID
	mehmet.presence(wire.Break, "")
	cpath := fmt.Sprintf("/api/v1/conversations/%d", conv)

	raw := func(c *client, method, path, body string) (int, wire.Code) {
		req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
		if c != nil {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var eb wire.ErrorBody
		json.NewDecoder(res.Body).Decode(&eb)
		return res.StatusCode, eb.Error.Code
	}
	tests := []struct {
		name         string
		as           *client
		method, path string
		body         string
		status       int
		code         wire.Code
	}{
		{"malformed JSON", ayse, "POST", cpath + "/messages", `{"body": "x"`, 400, wire.CodeBadJSON},
		{"not JSON at all", nil, "POST", "/api/v1/auth/login", `username=admin`, 400, wire.CodeBadJSON},
		{"empty body", ayse, "POST", cpath + "/messages", ``, 400, wire.CodeBadJSON},
		{"two objects", ayse, "POST", cpath + "/messages", `{"body":"a"}{"body":"b"}`, 400, wire.CodeBadJSON},
		{"unknown field", ayse, "POST", cpath + "/messages", `{"body":"x","bodyy":"y"}`, 400, wire.CodeUnknownField},
		{"wrong type", ayse, "POST", cpath + "/end", `{"end_reason_id":"one"}`, 400, wire.CodeInvalid},
		{"oversize body", ayse, "POST", cpath + "/messages", `{"body":"` + strings.Repeat("a", 300<<10) + `"}`, 413, wire.CodeBodyTooLarge},
		{"bad id", ayse, "GET", "/api/v1/conversations/abc", ``, 400, wire.CodeBadID},
		{"negative id", ayse, "POST", "/api/v1/conversations/-3/end", `{"end_reason_id":1}`, 400, wire.CodeBadID},
		{"unknown conversation", ayse, "GET", "/api/v1/conversations/999999", ``, 404, wire.CodeNotFound},
		{"end without reason", ayse, "POST", cpath + "/end", `{}`, 400, wire.CodeEndReasonRequired},
		{"transfer to an agent on break", ayse, "POST", cpath + "/transfer", fmt.Sprintf(`{"to_agent_id":%d}`, mehmet.user.ID), 409, wire.CodeAgentOnBreak},
		{"transfer to nobody", ayse, "POST", cpath + "/transfer", `{"to_agent_id":424242}`, 404, wire.CodeNotFound},
		{"empty message", ayse, "POST", cpath + "/messages", `{"body":"   "}`, 400, wire.CodeEmptyMessage},
		{"too long message", ayse, "POST", cpath + "/messages", `{"body":"` + strings.Repeat("ş", 4097) + `"}`, 400, wire.CodeMessageTooLong},
		{"unknown attachment kind", ayse, "POST", cpath + "/messages", `{"attachments":[{"kind":"virus"}]}`, 400, wire.CodeInvalid},
		{"unknown presence", ayse, "PUT", "/api/v1/me/presence", `{"presence":"asleep"}`, 400, wire.CodeInvalid},
		{"bad history date", ayse, "GET", "/api/v1/conversations?view=history&from=yesterday", ``, 400, wire.CodeInvalid},
		{"bad view", ayse, "GET", "/api/v1/conversations?view=everything", ``, 400, wire.CodeInvalid},
		{"wrong password", nil, "POST", "/api/v1/auth/login", `{"username":"admin","password":"nope"}`, 401, wire.CodeBadCredentials},
		{"unknown user", nil, "POST", "/api/v1/auth/login", `{"username":"nobody","password":"nope"}`, 401, wire.CodeBadCredentials},
		{"unknown endpoint", ayse, "GET", "/api/v1/nothing-here", ``, 404, wire.CodeNotFound},
		{"sandbox without message id", nil, "POST", "/sandbox/messages", `{"sender_id":"x","text":"hi"}`, 400, wire.CodeInvalid},
		{"short password", e.admin(), "POST", "/api/v1/users", `{"username":"neo","display_name":"Neo","password":"123","role":"agent"}`, 400, wire.CodeInvalid},
		{"bad settings", e.admin(), "PUT", "/api/v1/settings", `{"auto_assign":true,"default_limit":-1,"offer_timeout_seconds":120,"offline_grace_seconds":60}`, 400, wire.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := raw(tt.as, tt.method, tt.path, tt.body)
			if status != tt.status || code != tt.code {
				t.Fatalf("got %d %q, want %d %q", status, code, tt.status, tt.code)
			}
		})
	}
	// Nothing half-written: the conversation is as it was, with only the customer's message.
	d := ayse.conversation(conv)
	if d.Conversation.State != wire.Assigned || len(d.Messages) != 1 {
		t.Fatalf("refused requests changed the conversation: state %s, %d messages", d.Conversation.State, len(d.Messages))
	}
}

func TestRepliesReachTheCustomerOnceWithIdempotencyKey(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", nil)
	ayse.online()
	conv := e.customer("i1", "Merhaba").ConversationID
	req := wire.SendMessageRequest{Body: "Merhaba 😊, nasıl yardımcı olabilirim?", IdempotencyKey: "outbox-7f3a"}
	var first, again wire.Message
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), req, &first, http.StatusCreated)
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), req, &again, http.StatusCreated)
	if first.ID != again.ID {
		t.Fatalf("the same idempotency key stored two messages: %d and %d", first.ID, again.ID)
	}
	if got := e.received("i1"); len(got) != 1 || got[0].Body != req.Body {
		t.Fatalf("the customer should receive the reply once: %+v", got)
	}
	dup := customer(t, e.url, "i1", "wamid-1", "tekrar")
	if again := customer(t, e.url, "i1", "wamid-1", "tekrar"); !again.Duplicate || again.MessageID != dup.MessageID {
		t.Fatalf("the provider's id delivered twice stores one message: %+v then %+v", dup, again)
	}
	if n := len(ayse.conversation(conv).Messages); n != 3 {
		t.Fatalf("conversation has %d messages, want 3", n)
	}
}

func TestHistoryFilter(t *testing.T) {
	e := start(t)
	admin := e.admin()
	solved, refund := admin.endReason("Çözüldü"), admin.endReason("İade")
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(1))
	ayse.online()
	texts := []struct {
		sender, text string
		by           *client
		reason       int64
	}{
		{"905321112233", "Siparişim nerede?", ayse, solved},
		{"905339998877", "Ürünü iade etmek istiyorum", ayse, refund},
		{"905054443322", "Kargo takip numarası çalışmıyor", ayse, solved},
	}
	var convs []int64
	for _, x := range texts {
		if x.by == mehmet {
			mehmet.online()
		}
		id := e.customer(x.sender, x.text).ConversationID
		x.by.end(id, x.reason)
		convs = append(convs, id)
	}
	mehmet.online()
	ayse.presence(wire.Break, "")
	fourth := e.customer("905449990000", "Kargo ücreti ne kadar?").ConversationID
	mehmet.end(fourth, solved)

	find := func(query string) []int64 {
		var page wire.ConversationPage
		ayse.mustDo("GET", "/api/v1/conversations?view=history&"+query, nil, &page, http.StatusOK)
		return ids(page.Conversations)
	}
	cases := []struct {
		query string
		want  []int64
	}{
		{"q=siparis", []int64{convs[0]}},
		{"q=kargo", []int64{fourth, convs[2]}},
		{"q=kar", []int64{fourth, convs[2]}},
		{"q=iade+etmek", []int64{convs[1]}},
		{"customer=905339", []int64{convs[1]}},
		{fmt.Sprintf("end_reason_id=%d", refund), []int64{convs[1]}},
		{fmt.Sprintf("agent_id=%d", mehmet.user.ID), []int64{fourth}},
		{fmt.Sprintf("agent_id=%d&q=kargo", ayse.user.ID), []int64{convs[2]}},
		{"channel_id=1&q=zzzz", nil},
		{"from=2000-01-01&to=2001-01-01", nil},
	}
	for _, c := range cases {
		got := find(c.query)
		if fmt.Sprint(got) != fmt.Sprint(c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("history?%s = %v, want %v", c.query, got, c.want)
		}
	}
	// Pages of 3 walk everything once, newest first.
	var all []int64
	cursor := ""
	for pages := 0; ; pages++ {
		var page wire.ConversationPage
		ayse.mustDo("GET", "/api/v1/conversations?view=ended&limit=3&cursor="+cursor, nil, &page, http.StatusOK)
		all = append(all, ids(page.Conversations)...)
		if cursor = page.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	want := append([]int64{fourth}, convs[2], convs[1], convs[0])
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("paged history %v, want %v", all, want)
	}
}

func TestQuickMessages(t *testing.T) {
	e := start(t)
	admin := e.admin()
	var shared wire.QuickMessage
	admin.mustDo("POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Karşılama", Shortcut: "/merhaba",
		Body: "Merhaba {{customer.first_name}}, ben {{agent.first_name}}.", Shared: true}, &shared, http.StatusCreated)
	ayse, mehmet := e.agent("ayse", nil), e.agent("mehmet", nil)
	ayse.refused(wire.CodeForbidden, "POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "x", Shortcut: "x", Body: "x", Shared: true})
	ayse.refused(wire.CodeForbidden, "DELETE", fmt.Sprintf("/api/v1/quick-messages/%d", shared.ID), nil)
	var personal wire.QuickMessage
	ayse.mustDo("POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Kargo", Shortcut: "kargo", Body: "Kargonuz yolda."}, &personal, http.StatusCreated)
	ayse.refused(wire.CodeShortcutTaken, "POST", "/api/v1/quick-messages", wire.QuickMessageRequest{Title: "Kargo 2", Shortcut: "kargo", Body: "x"})

	var list []wire.QuickMessage
	mehmet.mustDo("GET", "/api/v1/quick-messages", nil, &list, http.StatusOK)
	if len(list) != 1 || list[0].ID != shared.ID {
		t.Fatalf("mehmet sees the shared quick message only: %+v", list)
	}
	ayse.mustDo("GET", "/api/v1/quick-messages", nil, &list, http.StatusOK)
	if len(list) != 2 {
		t.Fatalf("ayse sees shared and personal: %+v", list)
	}

	ayse.online()
	conv := e.customer("q1", "Selam").ConversationID
	var r wire.RenderedQuickMessage
	ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/quick-messages/%d", conv, shared.ID), nil, &r, http.StatusOK)
	if r.Text != "Merhaba Müşteri, ben Ayse." {
		t.Fatalf("variables filled in: %q", r.Text)
	}
}

func TestOfflineAfterDisconnectGrace(t *testing.T) {
	e := start(t)
	e.admin().settings(func(s *wire.Settings) { s.OfflineGraceSeconds = 1 })
	ayse := e.agent("ayse", nil)
	first, _ := ayse.stream(-1) // the app is connected before going online
	ayse.online()
	conv := e.customer("g1", "Merhaba").ConversationID
	me := func() wire.User {
		var u wire.User
		ayse.mustDo("GET", "/api/v1/me", nil, &u, http.StatusOK)
		return u
	}

	// A short drop within the grace period changes nothing.
	first.close()
	s, _ := ayse.stream(-1)
	time.Sleep(1500 * time.Millisecond)
	if me().Presence != wire.Online {
		t.Fatal("reconnecting within the grace period keeps the agent online")
	}
	s.close()
	eventually(t, 5*time.Second, "offline after the grace period", func() bool { return me().Presence == wire.Offline })
	// Offline: the conversation goes back to the head of the queue for someone else.
	q := ayse.queue()
	if len(q) != 1 || q[0].ID != conv {
		t.Fatalf("the offline agent's conversation returns to the queue: %v", ids(q))
	}
}

func TestSupervisorReturnsToQueueAndRaisesLimit(t *testing.T) {
	e := start(t)
	selin := e.user(wire.RoleSupervisor, "selin", limit(0))
	ayse := e.agent("ayse", limit(1))
	ayse.online()
	first := e.customer("s1", "Merhaba").ConversationID
	second := e.customer("s2", "Merhaba").ConversationID
	selin.mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", ayse.user.ID), wire.UserRequest{AutoLimit: limit(2)}, nil, http.StatusOK)
	if mine := held(ayse.mine()); !mine[first] || !mine[second] {
		t.Fatal("raising the limit assigns the waiting conversation at once")
	}
	// Ayşe has room again the moment it leaves her, but it is not handed straight back to her.
	selin.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", first), nil, nil, http.StatusOK)
	if q := ayse.queue(); len(q) != 1 || q[0].ID != first {
		t.Fatalf("returned to the queue: %v", ids(q))
	}
	mehmet := e.agent("mehmet", limit(1))
	mehmet.online()
	if !held(mehmet.mine())[first] {
		t.Fatal("another agent with room receives the returned conversation")
	}
	d := selin.conversation(first)
	if !timelineHas(d.Timeline, "requeued", "supervisor") {
		t.Fatalf("the timeline records the return: %s", kinds(d.Timeline))
	}
}

func TestTimelineRecordsEveryStep(t *testing.T) {
	e := start(t)
	reason := e.admin().endReason("Çözüldü")
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(0))
	ayse.online()
	mehmet.online()
	conv := e.customer("t1", "Merhaba").ConversationID
	o := ayse.transfer(conv, mehmet.user.ID, "sende")
	mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil, nil, http.StatusOK)
	mehmet.end(conv, reason)
	mehmet.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", conv), nil, nil, http.StatusOK)
	got := kinds(mehmet.conversation(conv).Timeline)
	want := "created assigned transfer_offered transfer_accepted ended taken_up assigned"
	if got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}
}

func timelineHas(tl []wire.TimelineEntry, kind, contains string) bool {
	for _, e := range tl {
		if e.Kind == kind && strings.Contains(string(e.Data), contains) {
			return true
		}
	}
	return false
}

func kinds(tl []wire.TimelineEntry) string {
	var k []string
	for _, e := range tl {
		k = append(k, e.Kind)
	}
	return strings.Join(k, " ")
}

func ids(convs []wire.Conversation) []int64 {
	out := []int64{}
	for _, c := range convs {
		out = append(out, c.ID)
	}
	return out
}

// A conversation returned to the queue and given to another agent in the same decision — its
// holder went offline, or their transfer failed while they were on break — leaves the first
// agent's list: their stream says who holds it now (redacted, as a transfer's sender is told),
// although its conversation.queued event reached only the new holder.
func TestRequeuedAndReassignedAtOnceLeavesTheFirstHolder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(e *env, ayse, mehmet *client, conv int64)
	}{
		{"her holder goes offline", func(e *env, ayse, mehmet *client, conv int64) {
			ayse.presence(wire.Offline, "")
		}},
		{"her transfer fails while she is on break", func(e *env, ayse, mehmet *client, conv int64) {
			o := ayse.transfer(conv, mehmet.user.ID, "")
			ayse.presence(wire.Break, "")
			mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", o.ID), nil, nil, http.StatusOK)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(1))
			ayse.online()
			conv := e.customer("905321112233", "Merhaba").ConversationID
			if !held(ayse.mine())[conv] {
				t.Fatal("ayse, alone online, should hold the conversation")
			}
			mehmet.online()
			s, _ := ayse.stream(-1)
			defer s.close()

			tc.leave(e, ayse, mehmet, conv)
			if !held(mehmet.mine())[conv] || len(ayse.mine()) != 0 {
				t.Fatalf("the conversation should have gone to mehmet: ayse %v, mehmet %v", held(ayse.mine()), held(mehmet.mine()))
			}
			ev := s.until(5*time.Second, "saying the conversation left ayse", func(ev wire.Event) bool {
				var d wire.AssignedData
				return ev.Type == wire.EventConversationAssigned && ev.ConversationID == conv &&
					json.Unmarshal(ev.Data, &d) == nil && d.Conversation.AgentID != nil && *d.Conversation.AgentID == mehmet.user.ID
			})
			var d wire.AssignedData
			json.Unmarshal(ev.Data, &d)
			if !d.Conversation.Redacted || d.Conversation.Contact.Name != "" || d.Conversation.LastMessagePreview != "" {
				t.Fatalf("ayse may no longer read it, yet was sent %+v", d.Conversation)
			}
		})
	}
}
