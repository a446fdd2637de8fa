package server_test

// Chatbot flows through a real santrald: a WhatsApp welcome menu out to a local Graph API
// (the interactive request checked against Meta's documented one) and the customer's
// button_reply back in; Telegram's inline keyboard and callback; the website chat's buttons;
// HTTP steps against a local server; hand-over to the queue with what the flow collected; an
// agent handing a conversation to a flow, which frees their capacity for the next in the queue.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/webchat"
	"santral/backend/wire"
)

func intPtr(n int) *int { return &n }

// flow creates a flow through the API and publishes it.
func (e *env) flow(name string, def wire.FlowDefinition) wire.Flow {
	e.t.Helper()
	var f wire.Flow
	e.admin().mustDo("POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &def}, &f, http.StatusCreated)
	e.admin().mustDo("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), nil, &f, http.StatusOK)
	return f
}

func (e *env) defaultFlow(channelID, flowID int64) {
	e.t.Helper()
	e.admin().mustDo("PUT", fmt.Sprintf("/api/v1/channel-accounts/%d/default-flow", channelID), wire.DefaultFlowRequest{FlowID: &flowID}, nil, http.StatusOK)
}

// channelOf finds Santral's own channel of a type (sandbox, webchat).
func (e *env) channelOf(typ string) int64 {
	e.t.Helper()
	var list []wire.ChannelAccount
	e.admin().mustDo("GET", "/api/v1/channel-accounts", nil, &list, http.StatusOK)
	for _, c := range list {
		if c.Type == typ {
			return c.ID
		}
	}
	e.t.Fatalf("no %s channel", typ)
	return 0
}

func (c *client) attributes(convID int64) wire.ConversationAttributes {
	c.t.Helper()
	var a wire.ConversationAttributes
	c.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/attributes", convID), nil, &a, http.StatusOK)
	return a
}

// welcomeMenu is the shop's welcome menu as the documented WhatsApp request shows it (step n3,
// its three buttons), with an order lookup behind "Sipariş durumu".
func welcomeMenu(lookup string, endReason int64) wire.FlowDefinition {
	return wire.FlowDefinition{Start: "n3", Steps: []wire.FlowStep{
		{ID: "n3", Type: wire.StepAsk, Text: "Merhaba! Size nasıl yardımcı olabiliriz?", Header: "Anadolu Kahve", Footer: "Bir seçenek seçin",
			Attribute: "konu", Choices: []wire.FlowChoice{
				{ID: "siparis", Title: "Sipariş durumu", Next: "order"},
				{ID: "iade", Title: "İade / değişim", Next: "returns"},
				{ID: "temsilci", Title: "Temsilciye bağlan", Next: "agent"}}},
		{ID: "order", Type: wire.StepCollect, Text: "Sipariş numaranızı yazın.", Attribute: "siparis_no", Validate: wire.ValidatePattern,
			Pattern: `[0-9]{6}`, InvalidText: "Sipariş numarası 6 rakamdır.", Next: "lookup"},
		{ID: "lookup", Type: wire.StepHTTP, HTTP: &wire.FlowHTTP{Method: "GET", URL: lookup + "/orders/{{siparis_no}}", TimeoutSeconds: 1,
			Map: map[string]string{"kargo": "order.status"}}, Next: "tell", OnFailure: "sorry"},
		{ID: "tell", Type: wire.StepMessage, Text: "Siparişiniz: {{kargo}}. Bir temsilciye aktarıyorum.", Next: "agent"},
		{ID: "sorry", Type: wire.StepMessage, Text: "Siparişe şu an bakamıyoruz, bir temsilciye aktarıyorum.", Next: "agent"},
		{ID: "returns", Type: wire.StepMessage, Text: "İade için 14 gününüz var: magaza.example/iade", Next: "done"},
		{ID: "agent", Type: wire.StepHandover, Tag: "destek"},
		{ID: "done", Type: wire.StepEnd, EndReasonID: endReason},
	}}
}

// shop is the shop's order service the HTTP step asks: 100482 is on its way, 100483 answers
// too late, 100484 answers something that is not JSON.
func shop(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders/100482":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"order": {"id": 100482, "status": "Kargoda"}}`))
		case "/orders/100483":
			select { // past the step's one-second timeout, until the test ends
			case <-release:
			case <-r.Context().Done():
			}
		case "/orders/100484":
			w.Write([]byte(`<html>Bakımdayız</html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s
}

// waMessage is one WhatsApp message of the customer 905321234567 (inbound_text.json's).
func waMessage(t *testing.T, base string, channelID int64, id, text string) {
	t.Helper()
	if status, res := signed(t, base, channelID, waDelivery(t, waText(id, "905321234567", time.Now(), text))); status != http.StatusOK || res.Messages != 1 {
		t.Fatalf("delivery %s: %d %+v", id, status, res)
	}
}

// buttonReply is inbound_button_reply.json answering our question: its id is ours.
func buttonReply(t *testing.T, id string) []byte {
	t.Helper()
	raw := fresh(waFixture(t, "inbound_button_reply.json"))
	return []byte(strings.Replace(string(raw), `"id": "menu_order_status"`, `"id": "`+id+`"`, 1))
}

func waBody(t *testing.T, r graphRequest) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not JSON: %s", r.Body)
	}
	return m
}

func textOf(t *testing.T, r graphRequest) string {
	t.Helper()
	m := waBody(t, r)
	if m["type"] != "text" {
		t.Fatalf("not a text message: %s", r.Body)
	}
	return m["text"].(map[string]any)["body"].(string)
}

func TestWhatsAppWelcomeMenu(t *testing.T) { onBothBackends(t, testWhatsAppWelcomeMenu) }

func testWhatsAppWelcomeMenu(t *testing.T, e *env) {
	graph := newGraph(t)
	ch := e.whatsApp(graph.URL)
	done := e.admin().endReason("Bilgi verildi")
	f := e.flow("Karşılama", welcomeMenu(shop(t).URL, done))
	e.defaultFlow(ch.ID, f.ID)
	ayse := e.agent("ayse", nil)
	ayse.online()
	supervisor := e.user(wire.RoleSupervisor, "selin", limit(0))

	// The customer's first message: the conversation goes through the flow, not the queue.
	if status, res := signed(t, e.url, ch.ID, fresh(waFixture(t, "inbound_text.json"))); status != http.StatusOK || res.Messages != 1 {
		t.Fatalf("delivery: %d %+v", status, res)
	}
	var conv wire.Conversation
	eventually(t, 5*time.Second, "the welcome menu is sent", func() bool { return len(graph.sends()) == 1 })
	all := supervisor.historyAll()
	if len(all) != 1 || all[0].State != wire.InFlow || all[0].FlowID == nil || *all[0].FlowID != f.ID {
		t.Fatalf("the conversation is in the flow: %+v", all)
	}
	conv = all[0]
	if len(ayse.mine()) != 0 || len(ayse.queue()) != 0 {
		t.Fatalf("in a flow a conversation is neither the agent's nor queued")
	}
	// The interactive message, field by field as Meta documents it.
	if r := graph.sends()[0]; !jsonEqual(t, r.Body, waFixture(t, "send_interactive_buttons_request.json")) {
		t.Fatalf("interactive request\n%s\nwant\n%s", r.Body, waFixture(t, "send_interactive_buttons_request.json"))
	}
	// No agent reads it while the flow talks.
	ayse.refused(wire.CodeNotHolder, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil)

	// The customer presses "Sipariş durumu" (Meta delivers it twice): the flow moves on once.
	press := buttonReply(t, "n3:siparis")
	for i := 0; i < 2; i++ {
		if status, _ := signed(t, e.url, ch.ID, press); status != http.StatusOK {
			t.Fatalf("button reply: %d", status)
		}
	}
	eventually(t, 5*time.Second, "the order number is asked", func() bool { return len(graph.sends()) == 2 })
	if got := textOf(t, graph.sends()[1]); got != "Sipariş numaranızı yazın." {
		t.Fatalf("second message %q", got)
	}
	// A wrong number is asked again; the right one is looked up, and the conversation enters the
	// queue with what the flow collected, where automatic assignment gives it to Ayşe.
	waMessage(t, e.url, ch.ID, "wamid.flow-1", "bilmiyorum")
	eventually(t, 5*time.Second, "asked again", func() bool { return len(graph.sends()) == 4 })
	if a, b := textOf(t, graph.sends()[2]), textOf(t, graph.sends()[3]); a != "Sipariş numarası 6 rakamdır." || b != "Sipariş numaranızı yazın." {
		t.Fatalf("asked again with %q, %q", a, b)
	}
	waMessage(t, e.url, ch.ID, "wamid.flow-2", "100482")
	eventually(t, 5*time.Second, "handed over to Ayşe", func() bool { return len(ayse.mine()) == 1 })
	eventually(t, 5*time.Second, "the lookup's answer is sent", func() bool { return len(graph.sends()) == 5 })
	if got := textOf(t, graph.sends()[4]); got != "Siparişiniz: Kargoda. Bir temsilciye aktarıyorum." {
		t.Fatalf("the HTTP step's answer: %q", got)
	}
	d := ayse.conversation(conv.ID)
	want := map[string]string{"konu": "siparis", "siparis_no": "100482", "kargo": "Kargoda", "tag": "destek"}
	for k, v := range want {
		if d.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q (%v)", k, d.Attributes[k], v, d.Attributes)
		}
	}
	// The transcript: the customer's messages and the flow's, in order; the press reads as
	// its title, once.
	var transcript []string
	for _, m := range d.Messages {
		who := "müşteri"
		if m.FlowID != nil {
			who = "akış"
		}
		transcript = append(transcript, who+": "+m.Body)
	}
	wantTranscript := []string{"müşteri: Merhaba, 1043 numaralı siparişim ne zaman kargoya verilecek? 📦", "akış: Merhaba! Size nasıl yardımcı olabiliriz?",
		"müşteri: Sipariş durumu", "akış: Sipariş numaranızı yazın.", "müşteri: bilmiyorum", "akış: Sipariş numarası 6 rakamdır.",
		"akış: Sipariş numaranızı yazın.", "müşteri: 100482", "akış: Siparişiniz: Kargoda. Bir temsilciye aktarıyorum."}
	if strings.Join(transcript, "\n") != strings.Join(wantTranscript, "\n") {
		t.Errorf("transcript:\n%s\nwant:\n%s", strings.Join(transcript, "\n"), strings.Join(wantTranscript, "\n"))
	}
	kinds := []string{}
	for _, te := range d.Timeline {
		kinds = append(kinds, te.Kind)
	}
	if strings.Join(kinds, ",") != "created,flow_started,flow_handover,assigned" {
		t.Errorf("timeline %v", kinds)
	}
	runs := ayse.attributes(conv.ID).Runs
	if len(runs) != 1 || runs[0].Outcome != "handover" || runs[0].FlowName != "Karşılama" || runs[0].StartedBy != nil {
		t.Errorf("runs %+v", runs)
	}
}

func TestWhatsAppListAndAnEndingFlow(t *testing.T) {
	onBothBackends(t, testWhatsAppListAndAnEndingFlow)
}

func testWhatsAppListAndAnEndingFlow(t *testing.T, e *env) {
	graph := newGraph(t)
	ch := e.whatsApp(graph.URL)
	done := e.admin().endReason("Bilgi verildi")
	def := welcomeMenu("https://shop.example", done)
	// Five choices: a list.
	def.Steps[0].Choices = append(def.Steps[0].Choices, wire.FlowChoice{ID: "kargo", Title: "Kargo ücretleri", Description: "Ücretsiz kargo sınırı", Next: "returns"},
		wire.FlowChoice{ID: "fatura", Title: "Fatura", Next: "returns"})
	def.Steps[0].Button = "Konular"
	e.defaultFlow(ch.ID, e.flow("Liste", def).ID)
	signed(t, e.url, ch.ID, fresh(waFixture(t, "inbound_text.json")))
	eventually(t, 5*time.Second, "the menu is sent", func() bool { return len(graph.sends()) == 1 })
	it := waBody(t, graph.sends()[0])["interactive"].(map[string]any)
	action := it["action"].(map[string]any)
	rows := action["sections"].([]any)[0].(map[string]any)["rows"].([]any)
	if it["type"] != "list" || action["button"] != "Konular" || len(rows) != 5 || rows[3].(map[string]any)["description"] != "Ücretsiz kargo sınırı" {
		t.Fatalf("list %v", it)
	}
	// The customer picks "İade / değişim" from the list: told, and the conversation ends.
	raw := fresh(waFixture(t, "inbound_list_reply.json"))
	raw = []byte(strings.Replace(string(raw), `"id": "dept_returns"`, `"id": "n3:iade"`, 1))
	if status, _ := signed(t, e.url, ch.ID, raw); status != http.StatusOK {
		t.Fatalf("list reply: %d", status)
	}
	supervisor := e.user(wire.RoleSupervisor, "selin", limit(0))
	eventually(t, 5*time.Second, "the conversation ends", func() bool {
		all := supervisor.historyAll()
		return len(all) == 1 && all[0].State == wire.Ended && all[0].EndReasonID != nil && *all[0].EndReasonID == done
	})
	eventually(t, 5*time.Second, "the reply is sent", func() bool { return len(graph.sends()) == 2 })
	if got := textOf(t, graph.sends()[1]); got != "İade için 14 gününüz var: magaza.example/iade" {
		t.Fatalf("reply %q", got)
	}
}

// botAPI answers sendMessage with the documented response and answerCallbackQuery with true,
// recording both.
type botAPI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []graphRequest
}

func newBot(t *testing.T) *botAPI {
	b := &botAPI{}
	sent := channelFixture(t, "telegram", "sendmessage_response.json")
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.reqs = append(b.reqs, graphRequest{r.Method, r.URL.Path, "", body})
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/answerCallbackQuery") {
			w.Write([]byte(`{"ok":true,"result":true}`))
			return
		}
		w.Write(sent)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *botAPI) requests() []graphRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]graphRequest(nil), b.reqs...)
}

func TestTelegramInlineKeyboardAndCallback(t *testing.T) {
	onBothBackends(t, testTelegramInlineKeyboardAndCallback)
}

func testTelegramInlineKeyboardAndCallback(t *testing.T, e *env) {
	bot := newBot(t)
	name, base := "Telegram Botu", bot.URL
	ch := e.channel(wire.ChannelRequest{Type: wire.ChannelTelegram, Name: &name, BaseURL: &base,
		Credentials: map[string]string{"token": "7012345678:AAE-test", "secret_token": "tg-secret"}})
	def := wire.FlowDefinition{Start: "n3", Channels: []string{wire.ChannelTelegram}, Steps: []wire.FlowStep{
		{ID: "n3", Type: wire.StepAsk, Text: "Merhaba! Size nasıl yardımcı olabiliriz?", Attribute: "konu", Choices: []wire.FlowChoice{
			{ID: "1", Title: "Sipariş durumu", Next: "agent"}, {ID: "2", Title: "İade / değişim", Next: "agent"},
			{ID: "3", Title: "Temsilciye bağlan", Next: "agent"}}},
		{ID: "agent", Type: wire.StepHandover, Priority: "high"},
	}}
	e.defaultFlow(ch.ID, e.flow("Telegram menüsü", def).ID)
	url := fmt.Sprintf("%s/webhooks/%d", e.url, ch.ID)
	if status := postWebhook(t, url, fresh(channelFixture(t, "telegram", "update_text.json")), "X-Telegram-Bot-Api-Secret-Token", "tg-secret"); status != 200 {
		t.Fatalf("update: %d", status)
	}
	eventually(t, 5*time.Second, "the keyboard is sent", func() bool { return len(bot.requests()) == 1 })
	r := bot.requests()[0]
	if r.Path != "/bot7012345678:AAE-test/sendMessage" || !jsonEqual(t, r.Body, channelFixture(t, "telegram", "sendmessage_inline_keyboard_request.json")) {
		t.Fatalf("sendMessage %s %s", r.Path, r.Body)
	}
	// The press (delivered twice): one answer in the conversation, the press answered, and the
	// conversation at the head of the queue.
	press := channelFixture(t, "telegram", "update_callback_query.json")
	for i := 0; i < 2; i++ {
		if status := postWebhook(t, url, press, "X-Telegram-Bot-Api-Secret-Token", "tg-secret"); status != 200 {
			t.Fatalf("callback: %d", status)
		}
	}
	mehmet := e.agent("mehmet", nil)
	eventually(t, 5*time.Second, "queued", func() bool { return len(mehmet.queue()) == 1 })
	q := mehmet.queue()[0]
	if !strings.HasPrefix(q.QueueKey, "099.") {
		t.Errorf("priority high puts it at the head: %s", q.QueueKey)
	}
	eventually(t, 5*time.Second, "the press is answered", func() bool { return len(bot.requests()) == 2 })
	if r := bot.requests()[1]; r.Path != "/bot7012345678:AAE-test/answerCallbackQuery" ||
		!jsonEqual(t, r.Body, channelFixture(t, "telegram", "answercallbackquery_request.json")) {
		t.Fatalf("answerCallbackQuery %s %s", r.Path, r.Body)
	}
	msgs := mehmet.conversation(q.ID).Messages
	if len(msgs) != 3 || msgs[2].Body != "Sipariş durumu" || msgs[2].Direction != "in" {
		t.Fatalf("the press reads as its title, once: %+v", msgs)
	}
	if a := mehmet.attributes(q.ID).Attributes; a["konu"] != "1" {
		t.Errorf("attributes %v", a)
	}
}

func TestWebchatFlowButtons(t *testing.T) { onBothBackends(t, testWebchatFlowButtons) }

func testWebchatFlowButtons(t *testing.T, e *env) {
	webchatID := e.channelOf(wire.ChannelWebchat)
	end := e.admin().endReason("Çözüldü")
	def := wire.FlowDefinition{Start: "menu", Steps: []wire.FlowStep{
		{ID: "menu", Type: wire.StepAsk, Text: "Merhaba {{customer.first_name}}, konu nedir?", Choices: []wire.FlowChoice{
			{ID: "saat", Title: "Çalışma saatleri", Next: "hours"}, {ID: "kisi", Title: "Temsilci", Next: "agent"}}},
		{ID: "hours", Type: wire.StepMessage, Text: "Hafta içi 09:00–18:00 açığız.", Next: "end"},
		{ID: "agent", Type: wire.StepHandover},
		{ID: "end", Type: wire.StepEnd, EndReasonID: end},
	}}
	e.defaultFlow(webchatID, e.flow("Site menüsü", def).ID)
	v := e.visitor()
	ws, code := v.socket(v.s.VisitorSecret, 0)
	if code != "" {
		t.Fatal(code)
	}
	ws.send(webchat.ClientFrame{Type: "message", ID: "m1", Text: "Merhaba"})
	q := ws.frame("the flow's question", func(f webchat.ServerFrame) bool { return f.Type == "message" && f.Direction == "out" })
	if q.Text != "Merhaba Ziyaretçi, konu nedir?" || len(q.Choices) != 2 || q.Choices[0].ID != "menu:saat" || q.Choices[0].Title != "Çalışma saatleri" {
		t.Fatalf("question %+v", q)
	}
	// The visitor presses a button: the widget sends its title and id.
	ws.send(webchat.ClientFrame{Type: "message", ID: "m2", Text: "Çalışma saatleri", Choice: "menu:saat"})
	a := ws.frame("the answer", func(f webchat.ServerFrame) bool { return f.Type == "message" && f.Direction == "out" && f.ID != q.ID })
	if a.Text != "Hafta içi 09:00–18:00 açığız." || len(a.Choices) != 0 {
		t.Fatalf("answer %+v", a)
	}
	staff := e.user(wire.RoleSupervisor, "selin", limit(0))
	eventually(t, 5*time.Second, "ended", func() bool {
		all := staff.historyAll()
		return len(all) == 1 && all[0].State == wire.Ended
	})
}

// The HTTP step's three outcomes through the sandbox: an answer, no answer within its timeout,
// an answer that is not JSON — the last two take the failure branch.
func TestHTTPStepOutcomes(t *testing.T) { onBothBackends(t, testHTTPStepOutcomes) }

func testHTTPStepOutcomes(t *testing.T, e *env) {
	e.defaultFlow(e.channelOf(wire.ChannelSandbox), e.flow("Sipariş", welcomeMenu(shop(t).URL, e.admin().endReason("x"))).ID)
	customers := map[string]string{"90501": "100482", "90502": "100483", "90503": "100484"}
	for sender := range customers {
		e.customer(sender, "Merhaba")
	}
	for sender, order := range customers {
		eventually(t, 5*time.Second, "the menu", func() bool { return len(e.received(sender)) == 1 })
		if got := e.received(sender)[0].Body; got != "Merhaba! Size nasıl yardımcı olabiliriz?\n1. Sipariş durumu\n2. İade / değişim\n3. Temsilciye bağlan" {
			t.Fatalf("the sandbox's numbered menu: %q", got)
		}
		e.customer(sender, "1")
		eventually(t, 5*time.Second, "the question", func() bool { return len(e.received(sender)) == 2 })
		e.customer(sender, order)
	}
	want := map[string]string{"90501": "Siparişiniz: Kargoda. Bir temsilciye aktarıyorum.",
		"90502": "Siparişe şu an bakamıyoruz, bir temsilciye aktarıyorum.", "90503": "Siparişe şu an bakamıyoruz, bir temsilciye aktarıyorum."}
	for sender, text := range want {
		eventually(t, 10*time.Second, "the step's outcome for "+sender, func() bool { return len(e.received(sender)) == 3 })
		if got := e.received(sender)[2].Body; got != text {
			t.Errorf("%s: %q, want %q", sender, got, text)
		}
	}
	mehmet := e.agent("mehmet", nil)
	eventually(t, 5*time.Second, "all three queued", func() bool { return len(mehmet.queue()) == 3 })
	for _, c := range mehmet.queue() {
		a := mehmet.attributes(c.ID).Attributes
		if (a["kargo"] == "Kargoda") != (c.Contact.ExternalID == "90501") {
			t.Errorf("%s: attributes %v", c.Contact.ExternalID, a)
		}
	}
}

// An agent at her limit hands a conversation to a flow: it leaves her at once, and the next
// conversation in the queue is hers in the same commit. She follows the one in the flow; no
// other agent reads it; it comes back through the queue with what the flow collected.
func TestAgentHandsAConversationToAFlow(t *testing.T) {
	onBothBackends(t, testAgentHandsAConversationToAFlow)
}

func testAgentHandsAConversationToAFlow(t *testing.T, e *env) {
	def := wire.FlowDefinition{Start: "addr", Steps: []wire.FlowStep{
		{ID: "addr", Type: wire.StepCollect, Text: "{{agent.first_name}} adına soruyorum: teslimat adresiniz?", Attribute: "adres",
			Validate: wire.ValidateText, Next: "mail"},
		{ID: "mail", Type: wire.StepCollect, Text: "E-posta adresiniz?", Attribute: "eposta", Validate: wire.ValidateEmail, Next: "back"},
		{ID: "back", Type: wire.StepHandover},
	}}
	f := e.flow("Adres al", def)
	ayse := e.agent("ayse", limit(1))
	mehmet := e.agent("mehmet", limit(1))
	ayse.online()
	e.customer("90601", "Adresimi değiştirmek istiyorum")
	e.customer("90602", "Merhaba")
	if len(ayse.mine()) != 1 || len(ayse.queue()) != 1 {
		t.Fatalf("Ayşe holds one (her limit), one waits")
	}
	first, second := ayse.mine()[0], ayse.queue()[0]
	var out wire.Conversation
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/flow", first.ID), wire.HandToFlowRequest{FlowID: f.ID}, &out, http.StatusOK)
	if out.State != wire.InFlow || out.AgentID != nil || out.FlowAgentID == nil || *out.FlowAgentID != ayse.user.ID {
		t.Fatalf("in the flow: %+v", out)
	}
	mine := ayse.mine()
	if len(mine) != 1 || mine[0].ID != second.ID {
		t.Fatalf("her capacity went to the next in the queue at once: %+v", mine)
	}
	d := ayse.conversation(first.ID)
	last := d.Timeline[len(d.Timeline)-1]
	if last.Kind != "flow_started" || last.ActorID == nil || *last.ActorID != ayse.user.ID {
		t.Fatalf("the timeline names her: %+v", last)
	}
	mehmet.refused(wire.CodeNotHolder, "GET", fmt.Sprintf("/api/v1/conversations/%d", first.ID), nil)
	ayse.refused(wire.CodeConversationInFlow, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", first.ID), wire.SendMessageRequest{Body: "x"})
	if got := e.received("90601"); len(got) != 1 || got[0].Body != "Ayse adına soruyorum: teslimat adresiniz?" {
		t.Fatalf("the flow talks: %+v", got)
	}
	e.customer("90601", "Moda Cad. 12, Kadıköy")
	e.customer("90601", "ayse@")
	e.customer("90601", "Musteri@Example.com")
	// Back in the queue; Mehmet comes online and gets it with what was collected.
	eventually(t, 5*time.Second, "queued again", func() bool { return len(mehmet.queue()) == 1 })
	mehmet.online()
	eventually(t, 5*time.Second, "assigned to Mehmet", func() bool { return len(mehmet.mine()) == 1 })
	a := mehmet.conversation(first.ID).Attributes
	if a["adres"] != "Moda Cad. 12, Kadıköy" || a["eposta"] != "musteri@example.com" {
		t.Fatalf("attributes %v", a)
	}
}

func TestFlowAdministration(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	wa := e.whatsApp(graph.URL)
	admin := e.admin()
	agent := e.agent("ayse", nil)
	name := "Taslak"
	eleven := []wire.FlowChoice{}
	for i := 0; i < 11; i++ {
		eleven = append(eleven, wire.FlowChoice{ID: fmt.Sprint(i), Title: fmt.Sprintf("Seçenek %d", i), Next: "end"})
	}
	bad := wire.FlowDefinition{Start: "ask", Steps: []wire.FlowStep{
		{ID: "ask", Type: wire.StepAsk, Text: "{{sehir}}?", Choices: eleven},
		{ID: "lost", Type: wire.StepMessage, Text: "kimse gelmez", Next: "end"},
		{ID: "end", Type: wire.StepHandover},
	}}
	var f wire.Flow
	admin.mustDo("POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &bad}, &f, http.StatusCreated)
	agent.refused(wire.CodeForbidden, "POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &bad})
	var list []wire.Flow
	agent.mustDo("GET", "/api/v1/flows", nil, &list, http.StatusOK)
	if len(list) != 0 {
		t.Fatalf("agents see published flows only: %+v", list)
	}
	agent.refused(wire.CodeNotFound, "GET", fmt.Sprintf("/api/v1/flows/%d", f.ID), nil)
	// Publishing refuses it, naming every problem and its field.
	var eb wire.ErrorBody
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/flows/%d/publish", e.url, f.ID), nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&eb)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	found := map[wire.Code]string{}
	for _, p := range eb.Error.Problems {
		found[p.Code] = p.Field
	}
	for code, field := range map[wire.Code]string{wire.CodeFlowChoicesOverLimit: "definition.steps[0].choices",
		wire.CodeFlowUnknownVariable: "definition.steps[0].text", wire.CodeFlowUnreachable: "definition.steps[1]"} {
		if found[code] != field {
			t.Errorf("%s at %q, got %v", code, field, found)
		}
	}
	// A fixed version is published; the channel takes it as its default flow; an agent lists it.
	good := welcomeMenu("https://shop.example", admin.endReason("Bilgi"))
	admin.mustDo("PUT", fmt.Sprintf("/api/v1/flows/%d", f.ID), wire.FlowRequest{Definition: &good}, &f, http.StatusOK)
	if f.LatestVersion != 2 {
		t.Fatalf("a save adds a version: %+v", f)
	}
	admin.refused(wire.CodeFlowNotPublished, "PUT", fmt.Sprintf("/api/v1/channel-accounts/%d/default-flow", wa.ID), wire.DefaultFlowRequest{FlowID: &f.ID})
	admin.mustDo("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), nil, &f, http.StatusOK)
	if f.PublishedVersion != 2 {
		t.Fatalf("published %+v", f)
	}
	e.defaultFlow(wa.ID, f.ID)
	agent.mustDo("GET", "/api/v1/flows", nil, &list, http.StatusOK)
	if len(list) != 1 || list[0].ID != f.ID {
		t.Fatalf("agents list it: %+v", list)
	}
	// Export, import: the same definition under a new flow.
	var exp wire.FlowExport
	admin.mustDo("GET", fmt.Sprintf("/api/v1/flows/%d/export", f.ID), nil, &exp, http.StatusOK)
	var imported wire.Flow
	admin.mustDo("POST", "/api/v1/flows/import", exp, &imported, http.StatusCreated)
	var back wire.Flow
	admin.mustDo("GET", fmt.Sprintf("/api/v1/flows/%d", imported.ID), nil, &back, http.StatusOK)
	a, _ := json.Marshal(back.Definition)
	b, _ := json.Marshal(good)
	if string(a) != string(b) || back.Name != "Taslak" || back.PublishedVersion != 0 {
		t.Fatalf("imported %s\nwant %s", a, b)
	}
	// The simulator: the welcome menu as WhatsApp shows it, then an answer.
	var sim wire.SimulateResponse
	admin.mustDo("POST", "/api/v1/flows/simulate", wire.SimulateRequest{FlowID: f.ID, ChannelType: wire.ChannelWhatsApp}, &sim, http.StatusOK)
	if len(sim.Messages) != 1 || sim.Messages[0].Interactive.Style != wire.StyleButtons || sim.State == nil || sim.State.Step != "n3" {
		t.Fatalf("simulated start %+v", sim)
	}
	state := sim.State
	sim = wire.SimulateResponse{}
	admin.mustDo("POST", "/api/v1/flows/simulate", wire.SimulateRequest{FlowID: f.ID, State: state, Choice: "n3:temsilci"}, &sim, http.StatusOK)
	if sim.Exit != wire.StepHandover || sim.Attributes["konu"] != "temsilci" || sim.State != nil {
		t.Fatalf("simulated answer %+v", sim)
	}
	// Archived: the channel's new conversations queue directly.
	admin.mustDo("DELETE", fmt.Sprintf("/api/v1/flows/%d", f.ID), nil, nil, http.StatusNoContent)
	signed(t, e.url, wa.ID, fresh(waFixture(t, "inbound_text.json")))
	if len(agent.queue()) != 1 {
		t.Fatalf("an archived default flow takes no conversation")
	}
}
