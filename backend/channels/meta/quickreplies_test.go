package meta

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"santral/backend/channels"
	"santral/backend/wire"
)

// Quick replies go out exactly as documented (send_quick_replies_request.json), and the
// customer's choice comes back with its payload (inbound_quick_reply.json).
func TestSendQuickRepliesAndTheChoiceBack(t *testing.T) {
	g := newGraph(t)
	c := NewClient(g.URL+"/", version, pageID, token, false, g.Client())
	it := &wire.Interactive{Style: wire.StyleQuickReplies, Choices: []wire.InteractiveChoice{{ID: "n3:siparis", Title: "Sipariş durumu"},
		{ID: "n3:iade", Title: "İade / değişim"}, {ID: "n3:temsilci", Title: "Temsilciye bağlan"}}}
	if _, err := c.Send(context.Background(), channels.Outbound{To: "6712083954212345", Text: "Merhaba! Size nasıl yardımcı olabiliriz?", Interactive: it}); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	json.Unmarshal(fixture(t, "messenger/send_quick_replies_request.json"), &want)
	if got := g.only(t).json; !reflect.DeepEqual(got, want) {
		t.Errorf("body %v\nwant %v", got, want)
	}

	hooks, err := ParseWebhook(fixture(t, "messenger/inbound_quick_reply.json"))
	if err != nil || len(hooks) != 1 || len(hooks[0].Messages) != 1 {
		t.Fatalf("parse: %v %+v", err, hooks)
	}
	if m := hooks[0].Messages[0]; m.Choice != "n3:siparis" || m.Body != "Sipariş durumu" {
		t.Errorf("the quick reply's choice %q, body %q", m.Choice, m.Body)
	}
}

func TestQuickRepliesOverLimitsAreRefusedBeforeCalling(t *testing.T) {
	g := newGraph(t)
	c := NewClient(g.URL+"/", version, pageID, token, false, g.Client())
	many := &wire.Interactive{Style: wire.StyleQuickReplies}
	for i := 0; i < 14; i++ {
		many.Choices = append(many.Choices, wire.InteractiveChoice{ID: "c", Title: "Seçenek"})
	}
	long := &wire.Interactive{Style: wire.StyleQuickReplies, Choices: []wire.InteractiveChoice{{ID: "c", Title: "Yirmi karakterden uzun başlık"}}}
	for _, it := range []*wire.Interactive{many, long} {
		if _, err := c.Send(context.Background(), channels.Outbound{To: customerID, Text: "Soru", Interactive: it}); err == nil {
			t.Errorf("%d choices sent", len(it.Choices))
		}
	}
	if n := len(g.seen()); n != 0 {
		t.Errorf("%d requests reached the Graph API", n)
	}
}
