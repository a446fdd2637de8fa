package server_test

// Supervisors' actions, notes and tags, the dashboard snapshot and reports, through a real
// santrald: each action exact, in the timeline with its actor, and seen at once by the agents
// concerned on their event streams.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"santral/backend/wire"
)

const within = 5 * time.Second

// watcher reads a stream and keeps the events it has not matched yet: one commit's events come
// in one frame, and a test looks for them one by one.
type watcher struct {
	s       *streamConn
	pending []wire.Event
}

func watch(c *client) *watcher {
	s, _ := c.stream(-1)
	c.t.Cleanup(s.close)
	return &watcher{s: s}
}

func (w *watcher) until(within time.Duration, what string, match func(wire.Event) bool) wire.Event {
	w.s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for i, e := range w.pending {
			if match(e) {
				// Events around it stay for the next look: the order within a commit is not
				// what a test waits on.
				w.pending = append(w.pending[:i:i], w.pending[i+1:]...)
				return e
			}
		}
		if time.Now().After(deadline) {
			w.s.t.Fatalf("stream: no event %s within %v", what, within)
		}
		w.s.conn.SetReadDeadline(deadline)
		var f wire.StreamFrame
		if err := w.s.conn.ReadJSON(&f); err != nil {
			w.s.t.Fatalf("stream: no event %s: %v", what, err)
		}
		w.pending = append(w.pending, f.Events...)
	}
}

// timelineHas reports the conversation's first step of kind (and fails if none).
func timelineStep(t *testing.T, d wire.ConversationDetail, kind string) wire.TimelineEntry {
	t.Helper()
	for _, e := range d.Timeline {
		if e.Kind == kind {
			return e
		}
	}
	t.Fatalf("no %q step in the timeline: %+v", kind, d.Timeline)
	return wire.TimelineEntry{}
}

func actorIs(t *testing.T, e wire.TimelineEntry, id int64) {
	t.Helper()
	if e.ActorID == nil || *e.ActorID != id {
		t.Fatalf("%s step: actor %v, want %d", e.Kind, e.ActorID, id)
	}
}

func presenceEvent(want wire.Presence, userID int64) func(wire.Event) bool {
	return func(e wire.Event) bool {
		var d wire.PresenceData
		return e.Type == wire.EventPresenceChanged && json.Unmarshal(e.Data, &d) == nil && d.User.ID == userID && d.User.Presence == want
	}
}

func TestSupervisorPutsAnAgentOnBreakAndOffline(t *testing.T) {
	onBothBackends(t, testSupervisorPutsAnAgentOnBreakAndOffline)
}

func testSupervisorPutsAnAgentOnBreakAndOffline(t *testing.T, e *env) {
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(1))
	mehmet.online()
	conv := e.customer("c1", "Merhaba").ConversationID
	ayse.online()
	ayseStream := watch(ayse)
	mehmetStream := watch(mehmet)

	// An offer to Ayşe is pending when the supervisor puts her on break: it is withdrawn at
	// once, and Mehmet (the sender) hears it.
	offer := mehmet.transfer(conv, ayse.user.ID, "Sipariş sorusu")
	var u wire.User
	sup.mustDo("PUT", fmt.Sprintf("/api/v1/users/%d/presence", ayse.user.ID), wire.AgentPresenceRequest{Presence: wire.Break, Reason: "Toplantı"}, &u, http.StatusOK)
	if u.Presence != wire.Break || u.PresenceReason != "Toplantı" {
		t.Fatalf("answer: %+v", u)
	}
	ayseStream.until(within, "Ayşe's own presence.changed to break", presenceEvent(wire.Break, ayse.user.ID))
	mehmetStream.until(within, "the offer withdrawn, to its sender", func(ev wire.Event) bool {
		var d wire.OfferData
		return ev.Type == wire.EventTransferResolved && json.Unmarshal(ev.Data, &d) == nil && d.Offer.ID == offer.ID && d.Offer.State == wire.OfferWithdrawn
	})
	actorIs(t, timelineStep(t, sup.conversation(conv), "transfer_withdrawn"), sup.user.ID)
	var me wire.User
	ayse.mustDo("GET", "/api/v1/me", nil, &me, http.StatusOK)
	if me.Presence != wire.Break || me.PresenceReason != "Toplantı" {
		t.Fatalf("Ayşe's presence: %+v", me)
	}

	// Nobody is put online by someone else; agents cannot use it; an unknown user is not found.
	sup.refused(wire.CodeInvalid, "PUT", fmt.Sprintf("/api/v1/users/%d/presence", ayse.user.ID), wire.AgentPresenceRequest{Presence: wire.Online})
	mehmet.refused(wire.CodeForbidden, "PUT", fmt.Sprintf("/api/v1/users/%d/presence", ayse.user.ID), wire.AgentPresenceRequest{Presence: wire.Offline})
	sup.refused(wire.CodeNotFound, "PUT", "/api/v1/users/99999/presence", wire.AgentPresenceRequest{Presence: wire.Offline})
	// A supervisor manages agents: an admin's or another supervisor's presence is an admin's to change.
	other := e.user(wire.RoleSupervisor, "selin", nil)
	sup.refused(wire.CodeForbidden, "PUT", fmt.Sprintf("/api/v1/users/%d/presence", other.user.ID), wire.AgentPresenceRequest{Presence: wire.Offline})
	sup.refused(wire.CodeForbidden, "PUT", fmt.Sprintf("/api/v1/users/%d/presence", e.admin().user.ID), wire.AgentPresenceRequest{Presence: wire.Break})
	e.admin().mustDo("PUT", fmt.Sprintf("/api/v1/users/%d/presence", other.user.ID), wire.AgentPresenceRequest{Presence: wire.Break}, nil, http.StatusOK)

	// Offline: Mehmet's conversation goes back to the queue (requeue on offline is on).
	sup.mustDo("PUT", fmt.Sprintf("/api/v1/users/%d/presence", mehmet.user.ID), wire.AgentPresenceRequest{Presence: wire.Offline}, nil, http.StatusOK)
	mehmetStream.until(within, "Mehmet's presence.changed to offline", presenceEvent(wire.Offline, mehmet.user.ID))
	mehmetStream.until(within, "his conversation back in the queue", func(ev wire.Event) bool {
		return ev.Type == wire.EventConversationQueued && ev.ConversationID == conv
	})
	if len(mehmet.mine()) != 0 {
		t.Fatal("Mehmet, offline, should hold nothing")
	}
}

func TestSupervisorReassignsAConversation(t *testing.T) {
	onBothBackends(t, testSupervisorReassignsAConversation)
}

func testSupervisorReassignsAConversation(t *testing.T, e *env) {
	e.admin().settings(func(s *wire.Settings) { s.AutoAssign = false })
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	ayse, mehmet, zeynep := e.agent("ayse", nil), e.agent("mehmet", nil), e.agent("zeynep", nil)
	ayse.online()
	mehmet.online()
	conv := e.customer("c1", "Merhaba").ConversationID
	waiting := e.customer("c2", "Kargom nerede?").ConversationID
	if ayse.pull().ID != conv {
		t.Fatal("Ayşe should pull the oldest")
	}
	ayseStream := watch(ayse)
	mehmetStream := watch(mehmet)

	var got wire.Conversation
	sup.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/reassign", conv), wire.ReassignRequest{ToAgentID: mehmet.user.ID}, &got, http.StatusOK)
	if got.AgentID == nil || *got.AgentID != mehmet.user.ID {
		t.Fatalf("reassigned: %+v", got)
	}
	mehmetStream.until(within, "the conversation, whole, to Mehmet", func(ev wire.Event) bool {
		var d wire.AssignedData
		return ev.Type == wire.EventConversationAssigned && ev.ConversationID == conv && json.Unmarshal(ev.Data, &d) == nil &&
			d.By == "supervisor" && !d.Conversation.Redacted && d.Conversation.Contact.Name != ""
	})
	ayseStream.until(within, "Ayşe told it left her (redacted)", func(ev wire.Event) bool {
		var d wire.AssignedData
		return ev.Type == wire.EventConversationAssigned && ev.ConversationID == conv && json.Unmarshal(ev.Data, &d) == nil && d.Conversation.Redacted
	})
	if len(ayse.mine()) != 0 || !held(mehmet.mine())[conv] {
		t.Fatal("Mehmet holds it now, Ayşe nothing")
	}
	step := timelineStep(t, sup.conversation(conv), "reassigned")
	actorIs(t, step, sup.user.ID)
	ayse.refused(wire.CodeNotHolder, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), wire.SendMessageRequest{Body: "x"})
	mehmet.reply(conv, "Ben devraldım.")

	// Refusals, each with its reason.
	base := fmt.Sprintf("/api/v1/conversations/%d/reassign", conv)
	sup.refused(wire.CodeAlreadyHolder, "POST", base, wire.ReassignRequest{ToAgentID: mehmet.user.ID})
	sup.refused(wire.CodeAgentOffline, "POST", base, wire.ReassignRequest{ToAgentID: zeynep.user.ID})
	zeynep.presence(wire.Break, "")
	sup.refused(wire.CodeAgentOnBreak, "POST", base, wire.ReassignRequest{ToAgentID: zeynep.user.ID})
	sup.refused(wire.CodeNotFound, "POST", base, wire.ReassignRequest{ToAgentID: 99999})
	ayse.refused(wire.CodeForbidden, "POST", base, wire.ReassignRequest{ToAgentID: ayse.user.ID})
	// Where the supervisor saw it: in the queue (0) or with Ayşe — it is with Mehmet now, so
	// another supervisor's move is not silently undone.
	queue, seenWithAyse := int64(0), ayse.user.ID
	sup.refused(wire.CodeConversationMoved, "POST", base, wire.ReassignRequest{ToAgentID: ayse.user.ID, FromAgentID: &queue})
	sup.refused(wire.CodeConversationMoved, "POST", base, wire.ReassignRequest{ToAgentID: ayse.user.ID, FromAgentID: &seenWithAyse})

	// From the queue, straight to an agent.
	sup.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/reassign", waiting), wire.ReassignRequest{ToAgentID: ayse.user.ID, FromAgentID: &queue}, nil, http.StatusOK)
	ayseStream.until(within, "the queued conversation given to Ayşe", func(ev wire.Event) bool {
		var d wire.AssignedData
		return ev.Type == wire.EventConversationAssigned && ev.ConversationID == waiting && json.Unmarshal(ev.Data, &d) == nil && d.By == "supervisor" && !d.Conversation.Redacted
	})
	actorIs(t, timelineStep(t, sup.conversation(waiting), "assigned"), sup.user.ID)
	if len(ayse.queue()) != 0 {
		t.Fatal("the queue should be empty")
	}

	// A hard cap holds for a supervisor too.
	one := 1
	e.admin().mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", ayse.user.ID), wire.UserRequest{HardCap: &one}, nil, http.StatusOK)
	sup.refused(wire.CodeHardCapReached, "POST", base, wire.ReassignRequest{ToAgentID: ayse.user.ID})

	// Ending it meanwhile: the next reassignment is refused.
	reason := e.admin().endReason("Çözüldü")
	mehmet.end(conv, reason)
	sup.refused(wire.CodeConversationEnded, "POST", base, wire.ReassignRequest{ToAgentID: zeynep.user.ID})
}

func TestSupervisorChangesALimitReturnsToTheQueueAndEndsAStuckConversation(t *testing.T) {
	onBothBackends(t, testSupervisorChangesALimitReturnsToTheQueueAndEndsAStuckConversation)
}

func testSupervisorChangesALimitReturnsToTheQueueAndEndsAStuckConversation(t *testing.T, e *env) {
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	ayse := e.agent("ayse", limit(1))
	ayse.online()
	first := e.customer("c1", "Merhaba").ConversationID
	second := e.customer("c2", "Merhaba").ConversationID
	if !held(ayse.mine())[first] || len(ayse.queue()) != 1 {
		t.Fatal("Ayşe, limit 1, holds the first; the second waits")
	}
	ayseStream := watch(ayse)

	// Limit 1 → 2: the waiting conversation is assigned in the same commit, and Ayşe sees both.
	two := 2
	sup.mustDo("PATCH", fmt.Sprintf("/api/v1/users/%d", ayse.user.ID), wire.UserRequest{AutoLimit: &two}, nil, http.StatusOK)
	ayseStream.until(within, "her new limit", func(ev wire.Event) bool {
		var d wire.PresenceData
		return ev.Type == wire.EventUserUpdated && json.Unmarshal(ev.Data, &d) == nil && d.User.ID == ayse.user.ID && d.User.EffectiveLimit == 2
	})
	ayseStream.until(within, "the waiting conversation assigned", func(ev wire.Event) bool {
		return ev.Type == wire.EventConversationAssigned && ev.ConversationID == second
	})
	// A supervisor changes limits only.
	name := "Başka"
	sup.refused(wire.CodeForbidden, "PATCH", fmt.Sprintf("/api/v1/users/%d", ayse.user.ID), wire.UserRequest{DisplayName: &name})

	// Return to the queue: Ayşe sees it leave her; not handed straight back to her.
	sup.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", first), nil, nil, http.StatusOK)
	ayseStream.until(within, "the conversation back in the queue", func(ev wire.Event) bool {
		return ev.Type == wire.EventConversationQueued && ev.ConversationID == first
	})
	actorIs(t, timelineStep(t, sup.conversation(first), "requeued"), sup.user.ID)
	if held(ayse.mine())[first] {
		t.Fatal("a returned conversation does not go straight back to the agent it left")
	}

	// End a stuck one with a reason.
	reason := e.admin().endReason("Yanıt yok")
	sup.refused(wire.CodeEndReasonRequired, "POST", fmt.Sprintf("/api/v1/conversations/%d/end", second), wire.EndRequest{})
	sup.end(second, reason)
	ayseStream.until(within, "the conversation ended, to its holder", func(ev wire.Event) bool {
		return ev.Type == wire.EventConversationEnded && ev.ConversationID == second
	})
	actorIs(t, timelineStep(t, sup.conversation(second), "ended"), sup.user.ID)
}

func TestInternalNotesAndTags(t *testing.T) { onBothBackends(t, testInternalNotesAndTags) }

func testInternalNotesAndTags(t *testing.T, e *env) {
	admin := e.admin()
	ayse, mehmet := e.agent("ayse", nil), e.agent("mehmet", nil)
	ayse.online()
	conv := e.customer("c1", "İade yapmak istiyorum").ConversationID
	if !held(ayse.mine())[conv] {
		t.Fatal("Ayşe should hold it")
	}
	ayseStream := watch(ayse)

	// A note: in the timeline, on the stream of those who read the conversation, never sent.
	var note wire.TimelineEntry
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conv), wire.NoteRequest{Text: "Müşteri daha önce de iade istedi"}, &note, http.StatusCreated)
	if note.Kind != "note" || !strings.Contains(string(note.Data), "daha önce") {
		t.Fatalf("note: %+v", note)
	}
	ayseStream.until(within, "the note", func(ev wire.Event) bool { return ev.Type == wire.EventTimelineAdded && ev.ConversationID == conv })
	if got := timelineStep(t, admin.conversation(conv), "note"); got.ID != note.ID {
		t.Fatalf("the admin sees the note: %+v", got)
	}
	ayse.reply(conv, "Merhaba, yardımcı olayım.")
	for _, m := range e.received("c1") {
		if strings.Contains(m.Body, "daha önce") {
			t.Fatalf("a note reached the customer: %+v", m)
		}
	}
	if got := len(e.received("c1")); got != 1 {
		t.Fatalf("the customer got %d messages, want the reply only", got)
	}
	for _, m := range ayse.conversation(conv).Messages {
		if strings.Contains(m.Body, "daha önce") {
			t.Fatal("a note is not a message")
		}
	}
	mehmet.refused(wire.CodeNotHolder, "POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conv), wire.NoteRequest{Text: "x"})
	ayse.refused(wire.CodeInvalid, "POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conv), wire.NoteRequest{Text: "  "})

	// Tags from the admin's list.
	var iade, kargo, old wire.Tag
	admin.mustDo("POST", "/api/v1/tags", wire.TagRequest{Label: "iade"}, &iade, http.StatusCreated)
	admin.mustDo("POST", "/api/v1/tags", wire.TagRequest{Label: "kargo"}, &kargo, http.StatusCreated)
	admin.mustDo("POST", "/api/v1/tags", wire.TagRequest{Label: "eski"}, &old, http.StatusCreated)
	off := false
	admin.mustDo("PUT", fmt.Sprintf("/api/v1/tags/%d", old.ID), wire.TagRequest{Label: "eski", Active: &off}, nil, http.StatusOK)
	admin.refused(wire.CodeTagTaken, "POST", "/api/v1/tags", wire.TagRequest{Label: "iade"})
	ayse.refused(wire.CodeForbidden, "POST", "/api/v1/tags", wire.TagRequest{Label: "x"})
	var list []wire.Tag
	ayse.mustDo("GET", "/api/v1/tags", nil, &list, http.StatusOK)
	if len(list) != 2 {
		t.Fatalf("agents see the active tags: %+v", list)
	}

	tags := fmt.Sprintf("/api/v1/conversations/%d/tags", conv)
	var set []wire.Tag
	ayse.mustDo("PUT", tags, wire.ConversationTagsRequest{TagIDs: []int64{iade.ID, kargo.ID}}, &set, http.StatusOK)
	if len(set) != 2 {
		t.Fatalf("tags: %+v", set)
	}
	ayseStream.until(within, "conversation.tagged", func(ev wire.Event) bool { return ev.Type == wire.EventConversationTagged && ev.ConversationID == conv })
	ayse.refused(wire.CodeTagUnknown, "PUT", tags, wire.ConversationTagsRequest{TagIDs: []int64{old.ID}})
	mehmet.refused(wire.CodeNotHolder, "PUT", tags, wire.ConversationTagsRequest{TagIDs: []int64{iade.ID}})
	if d := ayse.conversation(conv); len(d.Tags) != 2 {
		t.Fatalf("the detail lists the tags: %+v", d.Tags)
	}
	actorIs(t, timelineStep(t, ayse.conversation(conv), "tagged"), ayse.user.ID)
	ayse.mustDo("PUT", tags, wire.ConversationTagsRequest{TagIDs: []int64{kargo.ID}}, nil, http.StatusOK)

	// The history filter by tag.
	other := e.customer("c2", "Merhaba").ConversationID
	var page wire.ConversationPage
	admin.mustDo("GET", fmt.Sprintf("/api/v1/conversations?view=history&tag_id=%d", kargo.ID), nil, &page, http.StatusOK)
	if len(page.Conversations) != 1 || page.Conversations[0].ID != conv {
		t.Fatalf("history by kargo: %+v", page.Conversations)
	}
	admin.mustDo("GET", fmt.Sprintf("/api/v1/conversations?view=history&tag_id=%d", iade.ID), nil, &page, http.StatusOK)
	if len(page.Conversations) != 0 {
		t.Fatalf("iade was removed: %+v", page.Conversations)
	}
	_ = other
}

func TestDashboardSnapshotAndReports(t *testing.T) {
	onBothBackends(t, testDashboardSnapshotAndReports)
}

func testDashboardSnapshotAndReports(t *testing.T, e *env) {
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(1))
	ayse.online()
	mehmet.online()
	reason := e.admin().endReason("Çözüldü")
	c1 := e.customer("c1", "Merhaba").ConversationID
	c2 := e.customer("c2", "Merhaba").ConversationID
	c3 := e.customer("c3", "Merhaba").ConversationID // waits: both agents are full
	holder := ayse
	if held(mehmet.mine())[c1] {
		holder = mehmet
	}
	holder.reply(c1, "Merhaba!")
	holder.end(c1, reason) // frees a place: c3 goes to the same agent
	mehmet.presence(wire.Break, "Çay")
	c4 := e.customer("c4", "Merhaba").ConversationID // waits
	// A pending offer: the holder of c2 offers it to nobody online… the holder of c3 offers to
	// the holder of c2 only if online; put Mehmet back online for it.
	mehmet.online()
	var from, to *client
	if held(ayse.mine())[c2] {
		from, to = ayse, mehmet
	} else {
		from, to = mehmet, ayse
	}
	offer := from.transfer(c2, to.user.ID, "Bakar mısın?")

	var d wire.Dashboard
	sup.mustDo("GET", "/api/v1/dashboard", nil, &d, http.StatusOK)
	if d.Seq == 0 || d.ServerTime == 0 || d.DayStart == 0 || d.DayStart > d.ServerTime {
		t.Fatalf("snapshot header: %+v", d)
	}
	agents := map[int64]wire.DashboardAgent{}
	for _, a := range d.Agents {
		agents[a.ID] = a
	}
	if a := agents[holder.user.ID]; a.HandledToday != 1 || a.Presence != wire.Online || a.Active != 1 || a.EffectiveLimit != 1 || a.PresenceSince == 0 {
		t.Fatalf("the holder on the dashboard: %+v", a)
	}
	if d.Queue.Length != 1 || d.Queue.OldestQueuedAt == 0 || len(d.Queue.PerChannel) != 1 || d.Queue.PerChannel[0].Count != 1 || d.Queue.Queued[0].ID != c4 {
		t.Fatalf("queue: %+v", d.Queue)
	}
	if len(d.Offers) != 1 || d.Offers[0].ID != offer.ID || d.Offers[0].Note != "Bakar mısın?" {
		t.Fatalf("offers: %+v", d.Offers)
	}
	if len(d.Held) != 2 {
		t.Fatalf("held: %+v", d.Held)
	}
	if d.Today.Conversations != 4 || d.Today.Ended != 1 || d.Today.Responded != 1 || len(d.EndReasons) != 1 || d.EndReasons[0].Label != "Çözüldü" {
		t.Fatalf("today: %+v %+v", d.Today, d.EndReasons)
	}
	_ = c3
	ayse.refused(wire.CodeForbidden, "GET", "/api/v1/dashboard", nil)

	// The snapshot then the stream from its seq: the next change arrives, nothing before it.
	st, _ := sup.stream(d.Seq)
	defer st.close()
	mehmet.presence(wire.Break, "Toplantı")
	ev := st.until(within, "Mehmet's break", presenceEvent(wire.Break, mehmet.user.ID))
	if ev.Seq <= d.Seq {
		t.Fatalf("event %d not after the snapshot's %d", ev.Seq, d.Seq)
	}

	// Reports.
	day := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
	var rep wire.Report
	sup.mustDo("GET", "/api/v1/reports?by=channel&from="+day+"&to="+tomorrow, nil, &rep, http.StatusOK)
	if rep.Total.Conversations != 4 || len(rep.Rows) != 1 || rep.Rows[0].Conversations != 4 || rep.Total.Ended != 1 {
		t.Fatalf("report by channel: %+v", rep)
	}
	sup.mustDo("GET", "/api/v1/reports?by=end_reason&from="+day+"&to="+tomorrow, nil, &rep, http.StatusOK)
	if len(rep.Rows) != 2 || rep.Rows[0].Label != "Çözüldü" || rep.Rows[0].Conversations != 1 {
		t.Fatalf("report by end reason: %+v", rep.Rows)
	}
	sup.refused(wire.CodeInvalid, "GET", "/api/v1/reports?by=planet&from="+day+"&to="+tomorrow, nil)
	sup.refused(wire.CodeInvalid, "GET", "/api/v1/reports?from="+tomorrow+"&to="+day, nil)
	sup.refused(wire.CodeInvalid, "GET", "/api/v1/reports?from=2020-01-01&to="+tomorrow, nil)
	ayse.refused(wire.CodeForbidden, "GET", "/api/v1/reports?from="+day+"&to="+tomorrow, nil)

	req, _ := http.NewRequest("GET", e.url+"/api/v1/reports?by=agent&format=csv&from="+day+"&to="+tomorrow, nil)
	req.Header.Set("Authorization", "Bearer "+sup.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV headers: %v", res.Header)
	}
	lines, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || len(lines) < 3 || lines[len(lines)-1][0] != "(total)" || lines[len(lines)-1][2] != "4" {
		t.Fatalf("CSV: %q %v", lines, err)
	}
}
