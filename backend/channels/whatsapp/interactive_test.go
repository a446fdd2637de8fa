package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"santral/backend/channels"
	"santral/backend/wire"
)

func welcome() *wire.Interactive {
	return &wire.Interactive{Style: wire.StyleButtons, Header: "Anadolu Kahve", Footer: "Bir seçenek seçin",
		Choices: []wire.InteractiveChoice{{ID: "n3:siparis", Title: "Sipariş durumu"}, {ID: "n3:iade", Title: "İade / değişim"},
			{ID: "n3:temsilci", Title: "Temsilciye bağlan"}}}
}

// Reply buttons go out exactly as Meta documents them (send_interactive_buttons_request.json).
func TestSendInteractiveButtons(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 200, fixture(t, "send_response.json"))
	})
	if _, err := g.client().Send(context.Background(), channels.Outbound{To: ayse, Text: "Merhaba! Size nasıl yardımcı olabiliriz?",
		Interactive: welcome()}); err != nil {
		t.Fatal(err)
	}
	reqs := g.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	checkGraphCall(t, reqs[0], "POST", "/v23.0/"+ourNumber+"/messages")
	sameJSON(t, reqs[0].Body, fixture(t, "send_interactive_buttons_request.json"))
}

// A list: the documented shape field by field (send_interactive_list_request.json), with the
// flow's choices as the rows of one section.
func TestSendInteractiveList(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 200, fixture(t, "send_response.json"))
	})
	it := &wire.Interactive{Style: wire.StyleList, Header: "Anadolu Kahve", Footer: "Listeden seçin", Button: "Seçenekler",
		Choices: []wire.InteractiveChoice{{ID: "n4:siparis", Title: "Sipariş durumu", Description: "Kargo ve teslimat bilgisi"},
			{ID: "n4:iptal", Title: "Sipariş iptali", Description: "Henüz kargolanmamış siparişler"},
			{ID: "n4:iade", Title: "İade / değişim"}, {ID: "n4:temsilci", Title: "Temsilciye bağlan"}}}
	if _, err := g.client().Send(context.Background(), channels.Outbound{To: ayse, Text: "Hangi konuda yardım istersiniz?", Interactive: it}); err != nil {
		t.Fatal(err)
	}
	var got, doc map[string]any
	json.Unmarshal(g.requests()[0].Body, &got)
	json.Unmarshal(fixture(t, "send_interactive_list_request.json"), &doc)
	for _, k := range []string{"messaging_product", "recipient_type", "to", "type"} {
		if got[k] != doc[k] {
			t.Errorf("%s = %v, documented %v", k, got[k], doc[k])
		}
	}
	gi, di := got["interactive"].(map[string]any), doc["interactive"].(map[string]any)
	for _, k := range []string{"type", "header", "body", "footer"} {
		if !reflect.DeepEqual(gi[k], di[k]) {
			t.Errorf("interactive.%s = %v, documented %v", k, gi[k], di[k])
		}
	}
	ga, da := gi["action"].(map[string]any), di["action"].(map[string]any)
	if ga["button"] != da["button"] {
		t.Errorf("action.button = %v, documented %v", ga["button"], da["button"])
	}
	var rows []any
	for _, s := range da["sections"].([]any) {
		rows = append(rows, s.(map[string]any)["rows"].([]any)...)
	}
	sections := ga["sections"].([]any)
	if len(sections) != 1 || !reflect.DeepEqual(sections[0].(map[string]any)["rows"], rows) {
		t.Errorf("sections %v, want one section of the documented rows %v", sections, rows)
	}
}

// What the Cloud API would refuse is refused before calling it.
func TestSendInteractiveOverLimits(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 200, fixture(t, "send_response.json"))
	})
	four := welcome()
	four.Choices = append(four.Choices, wire.InteractiveChoice{ID: "n3:x", Title: "Diğer"})
	long := welcome()
	long.Choices[0].Title = strings.Repeat("a", 21)
	list := &wire.Interactive{Style: wire.StyleList, Button: "Seçenekler"}
	for i := 0; i < 11; i++ {
		list.Choices = append(list.Choices, wire.InteractiveChoice{ID: "r" + string(rune('a'+i)), Title: "Satır"})
	}
	for name, it := range map[string]*wire.Interactive{"four buttons": four, "a button title of 21": long, "eleven rows": list} {
		_, err := g.client().Send(context.Background(), channels.Outbound{To: ayse, Text: "Soru", Interactive: it})
		var le *LimitError
		if !errors.As(err, &le) || le.Rule != RuleInteractive {
			t.Errorf("%s: %v, want a LimitError %s", name, err, RuleInteractive)
		}
	}
	if n := len(g.requests()); n != 0 {
		t.Errorf("%d requests reached the Graph API", n)
	}
}
