package whatsapp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir is the shared WhatsApp fixtures, found from this package's directory, or under
// $SANTRAL_FIXTURES (the shared fixtures root, holding channels/) when the tree is laid out
// differently.
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "channels", "whatsapp")
	if _, err := os.Stat(dir); err != nil {
		root := os.Getenv("SANTRAL_FIXTURES")
		if root == "" {
			tb.Fatalf("fixtures not found at %s and SANTRAL_FIXTURES is not set", dir)
		}
		dir = filepath.Join(root, "channels", "whatsapp")
	}
	return dir
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
