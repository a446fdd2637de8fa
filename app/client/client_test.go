package client

import (
	"testing"

	"santral/backend/wire"
)

// A server address typed by a user or set by IT: one URL, or several nodes of one Santral
// separated by commas, tried in that order.
func TestNormalizeURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"santral.local:8080", "http://santral.local:8080"},
		{" https://santral.example.com/ ", "https://santral.example.com"},
		{"http://a:8081,http://b:8082", "http://a:8081, http://b:8082"},
		{"a:8081, b:8082, a:8081,", "http://a:8081, http://b:8082"},
	} {
		got, err := NormalizeURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", ",", "ftp://a", "http://a:8081, ftp://b"} {
		if _, err := NormalizeURL(bad); wire.CodeOf(err) != wire.CodeInvalid {
			t.Errorf("NormalizeURL(%q) = %v, want invalid_field", bad, err)
		}
	}
}

// The client goes to the first node until Failover moves it on, round the list.
func TestFailoverGoesRoundTheNodes(t *testing.T) {
	c := New("http://a:8081, http://b:8082/, http://c:8083", "tok")
	var seen []string
	for range 4 {
		seen = append(seen, c.Base())
		if !c.Failover() {
			t.Fatal("three nodes: there is always another")
		}
	}
	want := []string{"http://a:8081", "http://b:8082", "http://c:8083", "http://a:8081"}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("bases %v, want %v", seen, want)
		}
	}
	if c.StreamURL(7) != "ws://b:8082/api/v1/stream?after=7" {
		t.Fatalf("the stream follows the node: %s", c.StreamURL(7))
	}
	if one := New("http://a:8081", ""); one.Failover() || one.Base() != "http://a:8081" {
		t.Fatal("a single server has nowhere to move")
	}
}
