package app

// Recorded answers of chatbot flows: the agent's flows button (handing a held conversation to a
// flow and seeing it come back with what the flow collected) and the admin's editor (the
// server's validation problems, the try-it simulator, publishing, import and export).

import (
	"encoding/json"
	"strings"
	"testing"

	"santral/backend/wire"
)

func intPtr(n int) *int { return &n }

// orderMenu is the flow both scenarios use: the Turkish welcome menu, an order number collected
// by pattern, and a hand-over to the queue with a tag.
func orderMenu() wire.FlowDefinition {
	return wire.FlowDefinition{Start: "menu", Steps: []wire.FlowStep{
		{ID: "menu", Type: wire.StepAsk, Text: "Merhaba {{customer.first_name}}, size nasıl yardımcı olabiliriz?", Attribute: "konu",
			Choices: []wire.FlowChoice{{ID: "siparis", Title: "Sipariş durumu", Next: "order"}, {ID: "iade", Title: "İade / değişim", Next: "queue"},
				{ID: "temsilci", Title: "Temsilciye bağlan", Next: "queue"}}},
		{ID: "order", Type: wire.StepCollect, Text: "Sipariş numaranızı yazar mısınız? (6 haneli)", Attribute: "siparis_no",
			Validate: wire.ValidatePattern, Pattern: `[0-9]{6}`, Retries: intPtr(2), InvalidText: "Sipariş numarası 6 haneli olmalı.", Next: "thanks"},
		{ID: "thanks", Type: wire.StepMessage, Text: "Teşekkürler, {{siparis_no}} numaralı siparişiniz için sizi bir temsilciye aktarıyorum.", Next: "queue"},
		{ID: "queue", Type: wire.StepHandover, Tag: "siparis"},
	}}
}

func (s *santrald) publishedFlow(name string, def wire.FlowDefinition) wire.Flow {
	s.t.Helper()
	var f wire.Flow
	s.must(s.call(s.admin, "POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &def}, &f))
	s.must(s.call(s.admin, "POST", "/api/v1/flows/"+itoa(f.ID)+"/publish", wire.PublishRequest{}, &f))
	return f
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// An agent hands a customer to a flow from the composer's flows button: the conversation leaves
// her at once; the customer answers the menu and gives an order number; the flow hands the
// conversation back to the queue, automatic assignment gives it to her again, and the side
// panel shows what the flow collected and its transcript.
func recordFlows(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	menu := srv.publishedFlow("Karşılama menüsü", orderMenu())
	waOnly := orderMenu()
	waOnly.Channels = []string{wire.ChannelWhatsApp}
	wa := srv.publishedFlow("WhatsApp menüsü", waOnly)
	r := newRecorder(t, srv, "flows", "ayse", "ayse hands a customer to a flow and gets the conversation back with the attributes it collected")
	r.id("me", ayse.User.ID)
	r.id("flow", menu.ID)
	r.id("flow_whatsapp", wa.ID)
	r.login("ayse", "password-ayse")
	r.online()

	r.step("customer-writes", "a customer writes; the conversation is assigned to ayse")
	conv := srv.customer("905321112233", "Elif Yıldız", "f1", "Merhaba, siparişimi soracaktım.")
	r.id("conversation", conv)
	r.until("assigned", func() bool { return len(r.inbox().Mine) == 1 })
	r.reads()

	r.step("open", "opens it")
	r.act("OpenConversation", conv)
	r.read("Flows")

	r.step("not-for-channel", "picks the WhatsApp-only flow: the server refuses it for a sandbox conversation")
	r.refused(r.act("HandToFlow", conv, wa.ID), wire.CodeFlowNotForChannel)

	r.step("hand-to-flow", "picks the welcome menu: the conversation leaves her, the flow asks its question")
	var c wire.Conversation
	r.result(r.act("HandToFlow", conv, menu.ID), &c)
	if c.State != wire.InFlow {
		t.Fatalf("handed to a flow: state %s", c.State)
	}
	r.until("left her", func() bool { return len(r.inbox().Mine) == 0 })
	r.reads()
	var v ConversationView
	r.result(r.read("OpenConversation", conv), &v)
	if v.Conversation.State != wire.InFlow || len(v.FlowRuns) != 1 || v.FlowRuns[0].EndedAt != 0 {
		t.Fatalf("in the flow: %s, runs %+v", v.Conversation.State, v.FlowRuns)
	}

	r.step("customer-answers", "the customer picks Sipariş durumu and gives an order number; the flow hands over, and she gets it back")
	srv.customer("905321112233", "Elif Yıldız", "f2", "1")
	srv.customer("905321112233", "Elif Yıldız", "f3", "100482")
	r.until("back with her", func() bool { return len(r.inbox().Mine) == 1 })
	r.reads()
	r.result(r.read("OpenConversation", conv), &v)
	if v.Attributes["siparis_no"] != "100482" || v.Attributes["konu"] != "siparis" || v.Attributes["tag"] != "siparis" {
		t.Fatalf("collected attributes: %+v", v.Attributes)
	}
	if len(v.FlowRuns) != 1 || v.FlowRuns[0].Outcome != "handover" {
		t.Fatalf("runs: %+v", v.FlowRuns)
	}
	kinds := []string{}
	for _, e := range v.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "flow_started") || !strings.Contains(got, "flow_handover") {
		t.Fatalf("timeline: %s", got)
	}
}

// editorDraft is orderMenu for WhatsApp with three mistakes the admin fixes in the editor: a
// choice too long for a WhatsApp button, a variable no step collects, and a step nothing leads
// to (which also leads nowhere).
func editorDraft() (draft, fixed wire.FlowDefinition) {
	fixed = orderMenu()
	fixed.Channels = []string{wire.ChannelWhatsApp}
	b, _ := json.Marshal(fixed)
	json.Unmarshal(b, &draft)
	draft.Steps[0].Choices[2].Title = "Temsilciye bağlanmak istiyorum"
	draft.Steps[2].Text = "Teşekkürler, {{siparis}} numaralı siparişiniz için sizi bir temsilciye aktarıyorum."
	draft.Steps = append(draft.Steps, wire.FlowStep{ID: "eski", Type: wire.StepMessage, Text: "Eski karşılama"})
	return draft, fixed
}

// roundTrip is a value as the UI has it: through JSON, as the binding answered it.
func roundTrip[T any](v T) T {
	var out T
	b, _ := json.Marshal(v)
	json.Unmarshal(b, &out)
	return out
}

// An admin in the flow editor: opens a draft, the server's validation names each problem's
// step, publishing is refused with the same problems; fixed, it validates clean and publishes;
// the try-it simulator runs it on the server as WhatsApp shows it; export and import.
func recordFlowEditor(t *testing.T) {
	srv := startSantrald(t)
	draft, fixed := editorDraft()
	name := "Karşılama menüsü"
	var f wire.Flow
	srv.must(srv.call(srv.admin, "POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &draft}, &f))
	r := newRecorder(t, srv, "flow-editor", "admin", "an admin fixes, tries, publishes, exports and imports a flow")
	r.id("flow", f.ID)
	r.login("admin", "admin-pass-123")

	r.step("list", "opens the flows")
	r.act("Flows")
	r.step("open", "opens the draft")
	var opened wire.Flow
	r.result(r.act("Flow", f.ID), &opened)
	def := roundTrip(*opened.Definition)
	var problems []wire.Error
	r.result(r.read("ValidateFlow", def), &problems)
	codes := map[wire.Code]string{}
	for _, p := range problems {
		codes[p.Code] = p.Field
	}
	for _, want := range []wire.Code{wire.CodeFlowChoiceTooLong, wire.CodeFlowUnknownVariable, wire.CodeFlowUnreachable, wire.CodeFlowDeadEnd} {
		if _, ok := codes[want]; !ok {
			t.Fatalf("validation: want %s among %+v", want, problems)
		}
	}

	r.step("save-draft", "publishing saves the editor's version first")
	r.act("SaveFlow", f.ID, name, def)
	r.step("publish-refused", "publishing it is refused with the same problems (the first one's code)")
	r.refused(r.act("PublishFlow", f.ID), wire.CodeFlowChoiceTooLong) // the first problem's code, with every problem
	r.read("Flows")

	// The simulator on the fixed flow as WhatsApp shows it: the buttons, a choice, an answer
	// that does not fit, then one that does.
	good := roundTrip(fixed)
	sim := func(req wire.SimulateRequest) wire.SimulateResponse {
		var res wire.SimulateResponse
		r.result(r.read("SimulateFlow", req), &res)
		return res
	}
	r.step("fixed", "the admin fixes the three problems; the server finds none")
	r.read("ValidateFlow", good)
	start := sim(wire.SimulateRequest{Definition: &good, ChannelType: wire.ChannelWhatsApp})
	if len(start.Messages) != 1 || start.Messages[0].Interactive == nil || start.Messages[0].Interactive.Style != wire.StyleButtons {
		t.Fatalf("simulator start: %+v", start)
	}
	chose := sim(wire.SimulateRequest{Definition: &good, ChannelType: wire.ChannelWhatsApp, State: roundTrip(start.State), Choice: start.Messages[0].Interactive.Choices[0].ID})
	bad := sim(wire.SimulateRequest{Definition: &good, ChannelType: wire.ChannelWhatsApp, State: roundTrip(chose.State), Text: "12"})
	done := sim(wire.SimulateRequest{Definition: &good, ChannelType: wire.ChannelWhatsApp, State: roundTrip(bad.State), Text: "100482"})
	if done.Exit != "handover" || done.Attributes["siparis_no"] != "100482" {
		t.Fatalf("simulator end: %+v", done)
	}

	r.step("save-fixed", "publishing saves the fixed version")
	r.act("SaveFlow", f.ID, name, good)
	r.step("publish", "and publishes it")
	var pub wire.Flow
	r.result(r.act("PublishFlow", f.ID), &pub)
	if pub.PublishedVersion != 3 {
		t.Fatalf("published version %d", pub.PublishedVersion)
	}
	r.read("Flows")

	r.step("export", "exports it as JSON")
	var text string
	r.result(r.act("ExportFlow", f.ID), &text)
	if !strings.Contains(text, `"format": "santral.flow/1"`) {
		t.Fatalf("export: %s", text)
	}
	r.step("import", "imports the file back: a new draft")
	var imported wire.Flow
	r.result(r.act("ImportFlow", text), &imported)
	r.id("imported", imported.ID)
	r.read("Flows")
	r.read("Flow", imported.ID)
	r.step("import-refused", "a file that is not a flow export is refused")
	r.refused(r.act("ImportFlow", `{"format":"other/1","name":"x","definition":{"start":"","steps":[]}}`), wire.CodeInvalid)
}
