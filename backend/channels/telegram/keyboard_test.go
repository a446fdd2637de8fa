package telegram

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"santral/backend/channels"
	"santral/backend/wire"
)

// An inline keyboard goes out as documented (sendmessage_inline_keyboard_request.json), and a
// press is answered with answerCallbackQuery (answercallbackquery_request.json).
func TestSendInlineKeyboardAndAnswerThePress(t *testing.T) {
	replies := sendOK(t, "sendMessage")
	replies["/bot"+token+"/answerCallbackQuery"] = reply{200, `{"ok":true,"result":true}`}
	api := newBotAPI(t, replies)
	c := NewClient(api.URL, token, api.Client())
	it := &wire.Interactive{Style: wire.StyleInlineKeyboard, Choices: []wire.InteractiveChoice{{ID: "n3:1", Title: "Sipariş durumu"},
		{ID: "n3:2", Title: "İade / değişim"}, {ID: "n3:3", Title: "Temsilciye bağlan"}}}
	if _, err := c.Send(context.Background(), channels.Outbound{To: chatID, Text: "Merhaba! Size nasıl yardımcı olabiliriz?", Interactive: it}); err != nil {
		t.Fatal(err)
	}
	if err := c.AnswerCallback(context.Background(), "4382910475561234567"); err != nil {
		t.Fatal(err)
	}
	seen := api.seen()
	if len(seen) != 2 {
		t.Fatalf("%d requests", len(seen))
	}
	for i, f := range []string{"sendmessage_inline_keyboard_request.json", "answercallbackquery_request.json"} {
		var want map[string]any
		json.Unmarshal(fixture(t, f), &want)
		if !reflect.DeepEqual(seen[i].json, want) {
			t.Errorf("%s: %v\nwant %v", seen[i].path, seen[i].json, want)
		}
	}
	if seen[1].path != "/bot"+token+"/answerCallbackQuery" {
		t.Errorf("the press is answered at %s", seen[1].path)
	}
}
