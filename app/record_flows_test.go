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
