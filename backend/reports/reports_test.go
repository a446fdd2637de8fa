package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"testing"

	"santral/backend/store"
	"santral/backend/store/storetest"
	"santral/backend/wire"
)

const s = int64(1000) // a second, in ms

func steps(kv ...any) []store.ReportStep {
	var out []store.ReportStep
	for i := 0; i < len(kv); i += 2 {
		out = append(out, store.ReportStep{Kind: kv[i].(string), At: kv[i+1].(int64)})
	}
	return out
}

// Each timeline below is worked out by hand in the comment beside it.
func TestMeasureHandComputedTimelines(t *testing.T) {
	cases := []struct {
		name string
		conv store.ReportConversation
		now  int64
		want Figures
	}{{
		// Queue 0→30 s; first reply at 90 s; held 30 s→600 s.
		name: "queued, answered, ended",
		conv: store.ReportConversation{State: wire.Ended, CreatedAt: 0, FirstResponseAt: 90 * s,
			Steps: steps("created", 0*s, "assigned", 30*s, "ended", 600*s)},
		want: Figures{Queued: true, QueueWait: 30 * s, FirstResponse: 90 * s, Responded: true, Handling: 570 * s, Handled: true},
	}, {
		// A welcome flow first (not a wait for an agent), handed over at 120 s, assigned at
		// 150 s (wait 30 s), answered at 160 s (40 s after the hand-over), transferred, returned
		// to the queue at 300 s, assigned again at 360 s (wait 60 s), ended at 900 s:
		// waits 30+60 = 90 s, held (300−150)+(900−360) = 150+540 = 690 s, one transfer.
		name: "flow, transfer, requeued",
		conv: store.ReportConversation{State: wire.Ended, CreatedAt: 0, FirstResponseAt: 160 * s,
			Steps: steps("created", 0*s, "flow_started", 0*s, "flow_handover", 120*s, "assigned", 150*s,
				"transfer_offered", 200*s, "transfer_accepted", 210*s, "requeued", 300*s, "assigned", 360*s, "ended", 900*s)},
		want: Figures{Queued: true, QueueWait: 90 * s, FirstResponse: 40 * s, Responded: true, Handling: 690 * s, Handled: true, Transfers: 1},
	}, {
		// Still waiting: from 1 s until now (61 s) is 60 s; no reply, not ended.
		name: "still in the queue",
		conv: store.ReportConversation{State: wire.Queued, CreatedAt: 1 * s, Steps: steps("created", 1*s)},
		now:  61 * s,
		want: Figures{Queued: true, QueueWait: 60 * s},
	}, {
		// Assigned at once, ended at 100 s, taken up at 200 s and ended at 260 s: held
		// 100+60 = 160 s, reopened; answered at 5 s.
		name: "ended, taken up, ended again",
		conv: store.ReportConversation{State: wire.Ended, CreatedAt: 0, FirstResponseAt: 5 * s,
			Steps: steps("created", 0*s, "assigned", 0*s, "ended", 100*s, "taken_up", 200*s, "assigned", 200*s, "ended", 260*s)},
		want: Figures{Queued: true, FirstResponse: 5 * s, Responded: true, Handling: 160 * s, Handled: true, Reopened: true},
	}, {
		// Taken up and still held: no handling time yet.
		name: "taken up, still open",
		conv: store.ReportConversation{State: wire.Assigned, CreatedAt: 0,
			Steps: steps("created", 0*s, "assigned", 10*s, "ended", 100*s, "taken_up", 200*s, "assigned", 200*s)},
		want: Figures{Queued: true, QueueWait: 10 * s, Reopened: true},
	}, {
		// A supervisor reassigned it at 50 s: the holding goes on; 10 s→70 s is 60 s.
		name: "reassigned by a supervisor",
		conv: store.ReportConversation{State: wire.Ended, CreatedAt: 0,
			Steps: steps("created", 0*s, "assigned", 10*s, "reassigned", 50*s, "ended", 70*s)},
		want: Figures{Queued: true, QueueWait: 10 * s, Handling: 60 * s, Handled: true, Transfers: 1},
	}, {
		// A flow ended it without an agent: never queued, no handling.
		name: "ended by a flow",
		conv: store.ReportConversation{State: wire.Ended, CreatedAt: 0,
			Steps: steps("created", 0*s, "flow_started", 0*s, "flow_ended", 40*s)},
		want: Figures{},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Measure(c.conv, c.now); got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	v := []int64{40, 10, 30, 20}
	for _, c := range []struct {
		p    int
		want int64
	}{{50, 20}, {90, 40}, {25, 10}, {75, 30}, {100, 40}} {
		if got := Percentile(v, c.p); got != c.want {
			t.Errorf("p%d of %v: got %d, want %d", c.p, v, got, c.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("no values: 0")
	}
	if got := Percentile([]int64{7}, 90); got != 7 {
		t.Errorf("one value: got %d", got)
	}
}

// fourConversations: Ayşe holds two (waits 10 s and 30 s, replies after 20 s and 60 s),
// Mehmet one (wait 90 s, reply 100 s, one transfer in), and one still waits (120 s by now).
func fourConversations() []store.ReportConversation {
	return []store.ReportConversation{
		{ID: 1, ChannelID: 1, ChannelName: "WhatsApp", State: wire.Ended, AgentID: 7, AgentName: "Ayşe", EndReasonID: 3, EndReason: "Çözüldü",
			CreatedAt: 0, FirstResponseAt: 20 * s, Tags: []wire.Tag{{ID: 5, Label: "iade"}, {ID: 6, Label: "kargo"}},
			Steps: steps("created", 0*s, "assigned", 10*s, "ended", 310*s)},
		{ID: 2, ChannelID: 1, ChannelName: "WhatsApp", State: wire.Ended, AgentID: 7, AgentName: "Ayşe", EndReasonID: 3, EndReason: "Çözüldü",
			CreatedAt: 0, FirstResponseAt: 60 * s, Tags: []wire.Tag{{ID: 6, Label: "kargo"}},
			Steps: steps("created", 0*s, "assigned", 30*s, "ended", 130*s)},
		{ID: 3, ChannelID: 2, ChannelName: "Telegram", State: wire.Assigned, AgentID: 8, AgentName: "Mehmet",
			CreatedAt: 0, FirstResponseAt: 100 * s,
			Steps: steps("created", 0*s, "assigned", 90*s, "transfer_offered", 95*s, "transfer_accepted", 96*s)},
		{ID: 4, ChannelID: 2, ChannelName: "Telegram", State: wire.Queued, CreatedAt: 0, Steps: steps("created", 0*s)},
	}
}

func TestBuildGroupsHandComputed(t *testing.T) {
	now := 120 * s
	rep := Build(fourConversations(), ByAgent, 0, 1000*s, now, 60)
	// Total: 4 conversations, 2 ended; replies 20, 60, 100 → median 60, p90 100; handling
	// 300, 100 → median 100, p90 300; waits 10, 30, 90, 120 → median 30, p90 120; over 60 s:
	// 90 and 120 → 2; one transfer.
	want := wire.ReportRow{Conversations: 4, Ended: 2, Responded: 3, FirstResponseMed: 60 * s, FirstResponseP90: 100 * s,
		HandledCount: 2, HandlingMedian: 100 * s, HandlingP90: 300 * s, Transfers: 1, Queued: 4,
		QueueWaitMedian: 30 * s, QueueWaitP90: 120 * s, WaitedOverLimit: 2}
	if rep.Total != want {
		t.Fatalf("total\n got  %+v\n want %+v", rep.Total, want)
	}
	if len(rep.Rows) != 3 {
		t.Fatalf("rows: Ayşe, Mehmet, no agent; got %+v", rep.Rows)
	}
	ayse, mehmet, none := rep.Rows[0], rep.Rows[1], rep.Rows[2]
	if ayse.Key != "7" || ayse.Label != "Ayşe" || ayse.Conversations != 2 || ayse.FirstResponseMed != 20*s || ayse.FirstResponseP90 != 60*s ||
		ayse.HandlingMedian != 100*s || ayse.HandlingP90 != 300*s || ayse.WaitedOverLimit != 0 {
		t.Errorf("Ayşe: %+v", ayse)
	}
	if mehmet.Key != "8" || mehmet.Transfers != 1 || mehmet.HandledCount != 0 || mehmet.WaitedOverLimit != 1 || mehmet.QueueWaitMedian != 90*s {
		t.Errorf("Mehmet: %+v", mehmet)
	}
	if none.Key != "" || none.Conversations != 1 || none.QueueWaitMedian != 120*s {
		t.Errorf("no agent: %+v", none)
	}

	// By tag a conversation counts in each of its tags: iade 1, kargo 2, untagged 2.
	byTag := Build(fourConversations(), ByTag, 0, 1000*s, now, 60)
	got := map[string]int{}
	for _, r := range byTag.Rows {
		got[r.Label] = r.Conversations
	}
	if got["iade"] != 1 || got["kargo"] != 2 || got[""] != 2 || byTag.Total.Conversations != 4 {
		t.Errorf("by tag: %v (total %d)", got, byTag.Total.Conversations)
	}
	byReason := Build(fourConversations(), ByEndReason, 0, 1000*s, now, 60)
	if byReason.Rows[0].Label != "Çözüldü" || byReason.Rows[0].Ended != 2 || byReason.Rows[1].Key != "" {
		t.Errorf("by end reason: %+v", byReason.Rows)
	}
}

func TestCSVExport(t *testing.T) {
	convs := fourConversations()
	convs[0].AgentName = "=HYPERLINK(\"x\")" // a formula must not reach a spreadsheet as one
	rep := Build(convs, ByAgent, 0, 1000*s, 120*s, 60)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 || lines[0][0] != "group" || lines[0][5] != "first_response_median_s" {
		t.Fatalf("header + 3 rows + total, got %q", lines)
	}
	if lines[1][0] != "'=HYPERLINK(\"x\")" || lines[1][2] != "2" {
		t.Errorf("first row: %q", lines[1])
	}
	if last := lines[4]; last[0] != "(total)" || last[2] != "4" || last[5] != "60.0" || last[15] != "2" {
		t.Errorf("total: %q", last)
	}
	if lines[3][0] != "(no agent)" {
		t.Errorf("no agent row: %q", lines[3])
	}
}

// On both backends: timelines written through the store, read back by ReportConversations,
// give the hand-computed figures.
func TestReportFromTheStoreOnEveryBackend(t *testing.T) {
	open := map[string]func(t *testing.T) (*store.Store, error){
		"sqlite": func(t *testing.T) (*store.Store, error) {
			return store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "santral.db"))
		},
		"postgres": func(t *testing.T) (*store.Store, error) {
			return store.OpenPostgres(context.Background(), storetest.Postgres(t))
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st, err := open[name](t)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			reportFromStore(t, st)
		})
	}
}

func reportFromStore(t *testing.T, st *store.Store) {
	ctx := context.Background()
	base := int64(1_800_000_000_000)
	at := func(now int64, fn func(tx *store.Tx) error) {
		t.Helper()
		if _, err := st.Tx(ctx, func(tx *store.Tx) error { tx.Now = base + now; return fn(tx) }); err != nil {
			t.Fatal(err)
		}
	}
	var agent, ch, reason, tag, conv1, conv2, conv3 int64
	at(0, func(tx *store.Tx) error {
		var err error
		if agent, err = tx.CreateUser("ayse", "Ayşe", "x", wire.RoleAgent, nil, nil); err != nil {
			return err
		}
		if ch, err = tx.EnsureChannel("whatsapp", "WhatsApp"); err != nil {
			return err
		}
		if reason, err = tx.CreateEndReason("Çözüldü", 0); err != nil {
			return err
		}
		tag, err = tx.SaveTag(0, "kargo", true)
		return err
	})
	open := func(ext string) (id int64) {
		at(0, func(tx *store.Tx) error {
			contact, err := tx.Contact(ch, ext, ext, "", "")
			if err != nil {
				return err
			}
			if id, err = tx.NewConversation(contact, ch); err != nil {
				return err
			}
			_, err = tx.AddTimeline(id, "created", 0, nil)
			return err
		})
		return id
	}
	conv1, conv2, conv3 = open("c1"), open("c2"), open("c3")
	_ = conv3 // waits
	// conv1: assigned at 10 s, answered at 40 s, ended at 310 s; tagged.
	// conv2: assigned at 70 s, answered at 100 s, ended at 170 s.
	// conv3: waits (now is given as 200 s: 200 s in the queue).
	for _, c := range []struct {
		id                    int64
		assigned, reply, ends int64
	}{{conv1, 10, 40, 310}, {conv2, 70, 100, 170}} {
		at(c.assigned*s, func(tx *store.Tx) error {
			if ok, err := tx.AssignQueued(c.id, agent); err != nil || !ok {
				return err
			}
			_, err := tx.AddTimeline(c.id, "assigned", agent, map[string]any{"agent_id": agent, "by": "auto"})
			return err
		})
		at(c.reply*s, func(tx *store.Tx) error { return tx.TouchConversation(c.id, false, "Merhaba", true) })
		at(c.ends*s, func(tx *store.Tx) error {
			if ok, err := tx.EndConversation(c.id, agent, agent, reason); err != nil || !ok {
				return err
			}
			_, err := tx.AddTimeline(c.id, "ended", agent, nil)
			return err
		})
	}
	at(20*s, func(tx *store.Tx) error {
		_, err := tx.SetConversationTags(conv1, []int64{tag}, agent)
		return err
	})
	convs, err := st.ReportConversations(ctx, base, base+1000*s, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 3 || len(convs[0].Tags) != 1 || convs[0].AgentName != "Ayşe" || convs[0].EndReason != "Çözüldü" || len(convs[0].Steps) != 3 {
		t.Fatalf("read back: %+v", convs)
	}
	rep := Build(convs, ByTag, base, base+1000*s, base+200*s, 60)
	// Replies 40, 100 s after entering the queue → median 40, p90 100; handling 300, 100 → median 100, p90 300; waits
	// 10, 70, 200 → median 70, p90 200; over 60 s: 2.
	want := wire.ReportRow{Conversations: 3, Ended: 2, Responded: 2, FirstResponseMed: 40 * s, FirstResponseP90: 100 * s,
		HandledCount: 2, HandlingMedian: 100 * s, HandlingP90: 300 * s, Queued: 3, QueueWaitMedian: 70 * s, QueueWaitP90: 200 * s, WaitedOverLimit: 2}
	if rep.Total != want {
		t.Fatalf("total\n got  %+v\n want %+v", rep.Total, want)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Label != "kargo" || rep.Rows[0].Conversations != 1 || rep.Rows[0].HandlingMedian != 300*s {
		t.Fatalf("by tag: %+v", rep.Rows)
	}
	// Outside the range: nothing.
	if convs, err := st.ReportConversations(ctx, base+1000*s, base+2000*s, 0); err != nil || len(convs) != 0 {
		t.Fatalf("later range: %v %v", convs, err)
	}
	perAgent, perReason, err := st.EndedSince(ctx, base+150*s)
	if err != nil {
		t.Fatal(err)
	}
	if perAgent[agent] != 2 || len(perReason) != 1 || perReason[0] != (wire.Count{Label: "Çözüldü", Count: 2}) {
		t.Fatalf("ended since 150 s: %v %v", perAgent, perReason)
	}
	if perAgent, _, _ := st.EndedSince(ctx, base+200*s); perAgent[agent] != 1 {
		t.Fatalf("ended since 200 s: %v", perAgent)
	}
	// The history filter by tag.
	page, err := st.History(ctx, wire.HistoryFilter{TagID: tag}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 1 || page.Conversations[0].ID != conv1 {
		t.Fatalf("history by tag: %+v", page.Conversations)
	}
	if page, err := st.History(ctx, wire.HistoryFilter{TagID: tag, Text: "nothing-like-this"}, 0); err != nil || len(page.Conversations) != 0 {
		t.Fatalf("history by tag and text: %+v %v", page, err)
	}
}
