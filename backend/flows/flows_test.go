package flows

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"santral/backend/wire"
)

func intp(n int) *int { return &n }

// welcomeMenu is the shop's welcome menu: three buttons, an order number collected and looked
// up, a return explained, a person on request.
func welcomeMenu(lookupURL string) *wire.FlowDefinition {
	return &wire.FlowDefinition{Start: "n3", Steps: []wire.FlowStep{
		{ID: "n3", Type: wire.StepAsk, Text: "Merhaba {{customer.first_name}}! Size nasıl yardımcı olabiliriz?", Header: "Anadolu Kahve",
			Footer: "Bir seçenek seçin", Attribute: "menu", Choices: []wire.FlowChoice{
				{ID: "siparis", Title: "Sipariş durumu", Next: "order"},
				{ID: "iade", Title: "İade / değişim", Next: "returns"},
				{ID: "temsilci", Title: "Temsilciye bağlan", Next: "agent"}},
			TimeoutSeconds: 600, OnTimeout: "bye"},
		{ID: "order", Type: wire.StepCollect, Text: "Sipariş numaranızı yazın (6 hane).", Attribute: "order_number",
			Validate: wire.ValidatePattern, Pattern: `[0-9]{6}`, Retries: intp(1), InvalidText: "Sipariş numarası 6 rakamdır.", Next: "lookup"},
		{ID: "lookup", Type: wire.StepHTTP, HTTP: &wire.FlowHTTP{Method: "GET", URL: lookupURL + "/orders/{{order_number}}?who={{customer.name}}",
			TimeoutSeconds: 1, Map: map[string]string{"order_status": "order.status"}}, Next: "tell", OnFailure: "sorry"},
		{ID: "tell", Type: wire.StepMessage, Text: "{{order_number}} numaralı siparişiniz: {{order_status}}", Next: "agent"},
		{ID: "sorry", Type: wire.StepMessage, Text: "Siparişinize şu an bakamıyoruz.", Next: "agent"},
		{ID: "returns", Type: wire.StepMessage, Text: "İade için 14 gününüz var.", Next: "done"},
		{ID: "agent", Type: wire.StepHandover, Tag: "siparis", Priority: "high"},
		{ID: "bye", Type: wire.StepEnd, EndReasonID: 4},
		{ID: "done", Type: wire.StepEnd, EndReasonID: 1},
	}}
}

var ayse = Context{Customer: wire.Contact{Name: "Ayşe Yılmaz", Phone: "+905321234567"}, ChannelType: wire.ChannelWhatsApp, ChannelName: "WhatsApp"}

func TestAValidFlowHasNoProblems(t *testing.T) {
	if p := Validate(welcomeMenu("https://shop.example"), Lookups{}); len(p) != 0 {
		t.Fatalf("problems: %+v", p)
	}
}

func TestValidationNamesEachProblemAndItsField(t *testing.T) {
	eleven := make([]wire.FlowChoice, 11)
	for i := range eleven {
		eleven[i] = wire.FlowChoice{ID: fmt.Sprintf("c%d", i), Title: fmt.Sprintf("Seçenek %d", i), Next: "end"}
	}
	tests := []struct {
		name  string
		def   *wire.FlowDefinition
		code  wire.Code
		field string
	}{
		{"an unreachable step", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepHandover}, {ID: "b", Type: wire.StepHandover}}},
			wire.CodeFlowUnreachable, "definition.steps[1]"},
		{"a message leading nowhere", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{{ID: "a", Type: wire.StepMessage, Text: "x"}}},
			wire.CodeFlowDeadEnd, "definition.steps[0].next"},
		{"a choice leading to no step", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{{ID: "a", Type: wire.StepAsk, Text: "?",
			Choices: []wire.FlowChoice{{ID: "x", Title: "X", Next: "nope"}}}}},
			wire.CodeFlowUnknownStep, "definition.steps[0].choices[0].next"},
		{"eleven choices on WhatsApp", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{{ID: "a", Type: wire.StepAsk, Text: "?", Choices: eleven},
			{ID: "end", Type: wire.StepHandover}}},
			wire.CodeFlowChoicesOverLimit, "definition.steps[0].choices"},
		{"a title too long for a list row", &wire.FlowDefinition{Start: "a", Channels: []string{wire.ChannelWhatsApp}, Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepAsk, Text: "?", Choices: []wire.FlowChoice{{ID: "x", Title: strings.Repeat("ş", 25), Next: "end"}}},
			{ID: "end", Type: wire.StepHandover}}},
			wire.CodeFlowChoiceTooLong, "definition.steps[0].choices[0].title"},
		{"a title too long for Messenger's quick replies", &wire.FlowDefinition{Start: "a", Channels: []string{wire.ChannelMessenger}, Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepAsk, Text: "?", Choices: []wire.FlowChoice{{ID: "x", Title: strings.Repeat("a", 21), Next: "end"}}},
			{ID: "end", Type: wire.StepHandover}}},
			wire.CodeFlowChoiceTooLong, "definition.steps[0].choices[0].title"},
		{"an unknown variable", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{{ID: "a", Type: wire.StepMessage, Text: "{{siparis_no}}", Next: "b"},
			{ID: "b", Type: wire.StepHandover}}},
			wire.CodeFlowUnknownVariable, "definition.steps[0].text"},
		{"a round that never waits", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepMessage, Text: "x", Next: "b"}, {ID: "b", Type: wire.StepSet, Attribute: "n", Value: "1", Next: "a"}}},
			wire.CodeFlowLoop, ""},
		{"a pattern that is no expression", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepCollect, Text: "?", Attribute: "n", Validate: wire.ValidatePattern, Pattern: "([", Next: "b"}, {ID: "b", Type: wire.StepHandover}}},
			wire.CodeFlowInvalid, "definition.steps[0].pattern"},
		{"an HTTP step without a failure branch", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{
			{ID: "a", Type: wire.StepHTTP, HTTP: &wire.FlowHTTP{Method: "GET", URL: "https://x.example/"}, Next: "b"}, {ID: "b", Type: wire.StepHandover}}},
			wire.CodeFlowDeadEnd, "definition.steps[0].on_failure"},
		{"a variable host", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{
			{ID: "w", Type: wire.StepWait, Attribute: "host", Next: "a"},
			{ID: "a", Type: wire.StepHTTP, HTTP: &wire.FlowHTTP{Method: "GET", URL: "https://{{host}}/x"}, Next: "b", OnFailure: "b"}, {ID: "b", Type: wire.StepHandover}}},
			wire.CodeFlowInvalid, "definition.steps[1].http.url"},
		{"an end without a reason", &wire.FlowDefinition{Start: "a", Steps: []wire.FlowStep{{ID: "a", Type: wire.StepEnd}}},
			wire.CodeFlowInvalid, "definition.steps[0].end_reason_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := Validate(tt.def, Lookups{})
			for _, p := range problems {
				if p.Code == tt.code && (tt.field == "" || p.Field == tt.field) {
					return
				}
			}
			t.Fatalf("want %s at %q, got %+v", tt.code, tt.field, problems)
		})
	}
}

func TestValidationAsksTheWorkspace(t *testing.T) {
	def := welcomeMenu("https://shop.example")
	problems := Validate(def, Lookups{EndReason: func(id int64) bool { return id == 1 }})
	if len(problems) != 1 || problems[0].Field != "definition.steps[7].end_reason_id" {
		t.Fatalf("end reason 4 is not in the list: %+v", problems)
	}
}

func TestTheWelcomeMenuOnEachChannel(t *testing.T) {
	def := welcomeMenu("https://shop.example")
	tests := []struct {
		channel, style, body string
	}{
		{wire.ChannelWhatsApp, wire.StyleButtons, "Merhaba Ayşe! Size nasıl yardımcı olabiliriz?"},
		{wire.ChannelMessenger, wire.StyleQuickReplies, "Merhaba Ayşe! Size nasıl yardımcı olabiliriz?"},
		{wire.ChannelTelegram, wire.StyleInlineKeyboard, "Merhaba Ayşe! Size nasıl yardımcı olabiliriz?"},
		{wire.ChannelWebchat, wire.StyleButtons, "Merhaba Ayşe! Size nasıl yardımcı olabiliriz?"},
		{wire.ChannelSandbox, wire.StyleNumbered, "Merhaba Ayşe! Size nasıl yardımcı olabiliriz?\n1. Sipariş durumu\n2. İade / değişim\n3. Temsilciye bağlan"},
	}
	for _, tt := range tests {
		cx := ayse
		cx.ChannelType = tt.channel
		res := Advance(def, Run{}, Input{Kind: Start}, cx)
		if len(res.Sends) != 1 || res.Wait == nil || res.Wait.Timeout != 10*time.Minute || res.Run.Step != "n3" {
			t.Fatalf("%s: %+v", tt.channel, res)
		}
		m := res.Sends[0]
		if m.Body != tt.body || m.Interactive.Style != tt.style || len(m.Interactive.Choices) != 3 || m.Interactive.Choices[1].ID != "n3:iade" {
			t.Errorf("%s: %q %+v", tt.channel, m.Body, m.Interactive)
		}
	}
	// Seven choices do not fit WhatsApp's buttons: a list, with its button.
	seven := *def
	seven.Steps = append([]wire.FlowStep(nil), def.Steps...)
	ask := seven.Steps[0]
	for i := 0; i < 4; i++ {
		ask.Choices = append(ask.Choices, wire.FlowChoice{ID: fmt.Sprint(i), Title: "Diğer", Next: "agent"})
	}
	seven.Steps[0] = ask
	if it := Advance(&seven, Run{}, Input{Kind: Start}, ayse).Sends[0].Interactive; it.Style != wire.StyleList || it.Button != ListButton {
		t.Errorf("seven choices on WhatsApp: %+v", it)
	}
}

func TestAnswersAreMatchedByPressNumberOrTitle(t *testing.T) {
	def := welcomeMenu("https://shop.example")
	at := Run{Step: "n3", Attributes: map[string]string{}}
	for _, in := range []Input{{Kind: Answer, Choice: "n3:siparis"}, {Kind: Answer, Text: "1"}, {Kind: Answer, Text: " sipariş DURUMU "},
		{Kind: Answer, Text: "siparis"}} {
		res := Advance(def, at, in, ayse)
		if res.Run.Step != "order" || res.Run.Attributes["menu"] != "siparis" || len(res.Sends) != 1 {
			t.Errorf("%+v: %+v", in, res)
		}
	}
	// A press on an older question is no answer to this one.
	if res := Advance(def, at, Input{Kind: Answer, Choice: "n9:siparis", Text: "Sipariş durumu"}, ayse); res.Run.Step != "n3" || res.Run.Tries != 1 {
		t.Errorf("a stale press: %+v", res)
	}
}

func TestInvalidAnswersAreAskedAgainThenHandedOver(t *testing.T) {
	def := welcomeMenu("https://shop.example")
	run := Run{Step: "order", Attributes: map[string]string{"menu": "siparis"}}
	res := Advance(def, run, Input{Kind: Answer, Text: "12ab"}, ayse)
	if res.Run.Step != "order" || res.Run.Tries != 1 || len(res.Sends) != 2 || res.Sends[0].Body != "Sipariş numarası 6 rakamdır." {
		t.Fatalf("asked again: %+v", res)
	}
	// Retries 1: the second wrong answer goes on (no on_invalid: a person takes over).
	res = Advance(def, res.Run, Input{Kind: Answer, Text: "yok"}, ayse)
	if res.Exit == nil || res.Exit.Kind != ExitHandover || res.Exit.Why != "invalid_answers" {
		t.Fatalf("handed over: %+v", res)
	}
}

func TestCollectValidation(t *testing.T) {
	tests := []struct {
		validate, pattern, in, want string
		ok                          bool
	}{
		{wire.ValidateNumber, "", "12,5", "12.5", true},
		{wire.ValidateNumber, "", "on iki", "", false},
		{wire.ValidatePhone, "", "+90 532 123 45 67", "+905321234567", true},
		{wire.ValidatePhone, "", "123", "", false},
		{wire.ValidateEmail, "", "Ayse@Example.com", "ayse@example.com", true},
		{wire.ValidateEmail, "", "ayse@", "", false},
		{wire.ValidatePattern, `SP-[0-9]{4}`, "SP-1234", "SP-1234", true},
		{wire.ValidatePattern, `SP-[0-9]{4}`, "xSP-1234", "", false},
		{wire.ValidateText, "", "  Kadıköy  ", "Kadıköy", true},
		{wire.ValidateText, "", "   ", "", false},
	}
	for _, tt := range tests {
		got, ok := validAnswer(wire.FlowStep{Validate: tt.validate, Pattern: tt.pattern}, tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s %q: %q %v, want %q %v", tt.validate, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBranchesOnAttributes(t *testing.T) {
	def := &wire.FlowDefinition{Start: "b", Steps: []wire.FlowStep{
		{ID: "b", Type: wire.StepBranch, Rules: []wire.FlowRule{
			{Attribute: "total", Op: "gt", Value: "1000", Next: "vip"},
			{Attribute: "city", Op: "equals", Value: "istanbul", Next: "ist"}}, Else: "other"},
		{ID: "vip", Type: wire.StepHandover, Priority: "high"},
		{ID: "ist", Type: wire.StepHandover, Tag: "istanbul"},
		{ID: "other", Type: wire.StepEnd, EndReasonID: 1},
	}}
	for attrs, want := range map[[2]string]string{{"1500", "Ankara"}: "vip", {"10", "İSTANBUL"}: "ist", {"", "İzmir"}: "other"} {
		res := Advance(def, Run{Attributes: map[string]string{"total": attrs[0], "city": attrs[1]}}, Input{Kind: Start}, ayse)
		if res.Exit == nil || res.Exit.Why != want {
			t.Errorf("%v: %+v", attrs, res.Exit)
		}
	}
}

func TestTimeoutsAndIgnoredInputs(t *testing.T) {
	def := welcomeMenu("https://shop.example")
	if res := Advance(def, Run{Step: "n3"}, Input{Kind: Timeout}, ayse); res.Exit == nil || res.Exit.Kind != ExitEnd || res.Exit.EndReasonID != 4 {
		t.Errorf("no answer in 10 minutes: %+v", res)
	}
	if res := Advance(def, Run{Step: "order"}, Input{Kind: Timeout}, ayse); !res.Ignored {
		t.Errorf("a step without a timeout ignores one: %+v", res)
	}
	if res := Advance(def, Run{Step: "lookup"}, Input{Kind: Answer, Text: "hello?"}, ayse); !res.Ignored {
		t.Errorf("a message while the HTTP step runs changes nothing: %+v", res)
	}
}

func TestHTTPStep(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders/100482":
			if r.URL.Query().Get("who") != "Ayşe Yılmaz" {
				w.WriteHeader(400)
				return
			}
			w.Write([]byte(`{"order": {"status": "Kargoda", "items": [{"name": "Çekirdek kahve"}]}}`))
		case "/orders/100483":
			time.Sleep(1500 * time.Millisecond) // past the step's one-second timeout
			w.Write([]byte(`{"order": {"status": "late"}}`))
		case "/orders/100484":
			w.Write([]byte(`<html>not json</html>`))
		case "/orders/100485":
			w.Write([]byte(`{"order": {}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	def := welcomeMenu(srv.URL)
	for number, want := range map[string]string{"100482": "tell", "100483": "sorry", "100484": "sorry", "100485": "sorry", "999999": "sorry"} {
		res := Advance(def, Run{Step: "order", Attributes: map[string]string{}}, Input{Kind: Answer, Text: number}, ayse)
		if res.Wait == nil || res.Wait.HTTP == nil {
			t.Fatalf("%s: waits for the HTTP step: %+v", number, res)
		}
		req := res.Wait.HTTP
		if req.URL != srv.URL+"/orders/"+number+"?who=Ay%C5%9Fe%20Y%C4%B1lmaz" || req.Timeout != time.Second {
			t.Fatalf("request %+v", req)
		}
		result := Call(context.Background(), srv.Client(), req)
		res = Advance(def, res.Run, Input{Kind: HTTPDone, HTTP: &result}, ayse)
		if want == "tell" {
			if res.Run.Attributes["order_status"] != "Kargoda" || res.Sends[0].Body != "100482 numaralı siparişiniz: Kargoda" {
				t.Errorf("%s: %+v", number, res)
			}
		} else if len(res.Sends) == 0 || res.Sends[0].Body != "Siparişinize şu an bakamıyoruz." || result.OK {
			t.Errorf("%s: the failure branch: %+v (%+v)", number, res, result)
		}
		if res.Exit == nil || res.Exit.Kind != ExitHandover || res.Exit.Tag != "siparis" {
			t.Errorf("%s: exit %+v", number, res.Exit)
		}
	}
}

func TestHTTPBodyEscapesValues(t *testing.T) {
	h := &wire.FlowHTTP{Method: "POST", URL: "https://x.example/a?q={{note}}", Body: `{"note": "{{note}}"}`, Headers: map[string]string{"X-Note": "{{note}}"}}
	req := buildRequest(h, map[string]string{"note": "a\"b&c=d\r\nX-Evil: 1"}, Context{})
	if req.Body != `{"note": "a\"b&c=d\r\nX-Evil: 1"}` {
		t.Errorf("body %s", req.Body)
	}
	if req.URL != "https://x.example/a?q=a%22b%26c%3Dd%0D%0AX-Evil%3A%201" {
		t.Errorf("url %s", req.URL)
	}
	if req.Headers["X-Note"] != "a\"b&c=d  X-Evil: 1" {
		t.Errorf("header %q", req.Headers["X-Note"])
	}
}

func TestLookup(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": []any{"x", map[string]any{"c": true}}}, "n": nil}
	for path, want := range map[string]string{"a.b.0": "x", "a.b.1.c": "true", "n": "", "a.b.1": `{"c":true}`} {
		if got, ok := lookup(doc, path); !ok || got != want {
			t.Errorf("%s = %q %v", path, got, ok)
		}
	}
	if _, ok := lookup(doc, "a.z"); ok {
		t.Error("a missing field is found")
	}
}

func TestChoiceTitle(t *testing.T) {
	def := welcomeMenu("https://x.example")
	if got, ok := ChoiceTitle(def, "n3:iade"); !ok || got != "İade / değişim" {
		t.Errorf("%q %v", got, ok)
	}
	if _, ok := ChoiceTitle(def, "n3:nope"); ok {
		t.Error("an unknown choice has a title")
	}
	if !reflect.DeepEqual(ForChannel(def, wire.ChannelTelegram), true) {
		t.Error("a flow naming no channels is for every one")
	}
}
