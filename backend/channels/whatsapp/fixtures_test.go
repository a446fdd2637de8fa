package whatsapp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir is the WhatsApp fixtures the repository keeps (copied from the documented wire
// formats; see backend/channels/testdata/README.md).
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join("..", "testdata", "whatsapp")
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixtureJSON decodes a fixture into generic JSON, to compare or to build a variant from.
func fixtureJSON(tb testing.TB, name string) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(fixture(tb, name), &v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return v
}

// firstValue is entry[0].changes[0].value of a webhook fixture.
func firstValue(doc map[string]any) map[string]any {
	entry := doc["entry"].([]any)[0].(map[string]any)
	change := entry["changes"].([]any)[0].(map[string]any)
	return change["value"].(map[string]any)
}

// firstMessage is the first message of a webhook fixture.
func firstMessage(doc map[string]any) map[string]any {
	return firstValue(doc)["messages"].([]any)[0].(map[string]any)
}

// variant builds a webhook from a fixture with edit applied to its first change value.
func variant(tb testing.TB, name string, edit func(value map[string]any)) []byte {
	tb.Helper()
	doc := fixtureJSON(tb, name)
	edit(firstValue(doc))
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
