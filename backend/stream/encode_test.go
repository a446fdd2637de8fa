package stream

import (
	"encoding/json"
	"testing"

	"santral/backend/wire"
)

// The reader's hand-written encoding is byte for byte what json.Marshal made of an event, for
// data as the store writes it (json.Marshal's output: compact, HTML escaped).
func TestEncodeEventIsJSONMarshal(t *testing.T) {
	data := func(v any) json.RawMessage {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, e := range []wire.Event{
		{Seq: 1, Type: wire.EventConversationAssigned, At: 1700000000000, ConversationID: 42,
			Data: data(map[string]any{"by": "auto", "preview": `Siparişim <b>nerede</b> & "ne zaman"? ğüşıöç 😀`})},
		{Seq: 2, Type: wire.EventQueueLeft, At: 5, Data: data(wire.IDsData{IDs: []int64{1, 2, 3}})},
		{Seq: 3, Type: "settings.changed", At: 0, Data: nil},
		{Seq: 4, Type: `odd "type"\n`, At: 7, ConversationID: -1, Data: data("x")},
	} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("encodeEvent(%s):\n got %s\nwant %s", e.Type, got, want)
		}
	}
}
