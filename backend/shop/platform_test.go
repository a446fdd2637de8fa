package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// platform is a local server standing in for a shop platform: it expects the calls of a test
// in order, checks each against the documented request (testdata/: the project's copy of the
// documented e-commerce fixtures) and answers with the documented response. An unexpected or
// missing call fails the test.
type platform struct {
	t     *testing.T
	mu    sync.Mutex
	steps []step
	srv   *httptest.Server
}

// step is one expected call: check inspects the request; the answer is status, header and
// body (a fixture file's bytes or any text).
type step struct {
	name   string
	check  func(t *testing.T, r *http.Request, body []byte)
	status int
	header map[string]string
	body   []byte
}

func newPlatform(t *testing.T, steps ...step) *platform {
	p := &platform{t: t, steps: steps}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.steps) > 0 && !t.Failed() {
			t.Errorf("the client never made the call %q", p.steps[0].name)
		}
	})
	return p
}

func (p *platform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	if len(p.steps) == 0 {
		p.mu.Unlock()
		p.t.Errorf("unexpected call %s %s: %s", r.Method, r.URL, body)
		http.Error(w, "unexpected", 500)
		return
	}
	s := p.steps[0]
	p.steps = p.steps[1:]
	p.mu.Unlock()
	if s.check != nil {
		p.t.Run("request "+s.name, func(t *testing.T) { s.check(t, r, body) })
	}
	for k, v := range s.header {
		w.Header().Set(k, v)
	}
	if s.status == 0 {
		s.status = 200
	}
	w.WriteHeader(s.status)
	w.Write(s.body)
}

func (p *platform) remaining() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.steps)
}

func fixture(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- JSON ---

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// sameJSON compares two JSON documents member by member, naming the first path that differs.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := jsonDiff("", got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

func jsonDiff(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %v, want an object", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if d := jsonDiff(path+"."+k, gv, wv); d != "" {
				return d
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s.%s: not in the documented request (%v)", path, k, g[k])
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(got, want) {
			return fmt.Sprintf("%s: got %#v, want %#v", path, got, want)
		}
		return ""
	}
}

// --- XML ---

// node is an element with its namespace URI (as resolved, so prefixes do not matter but the
// namespaces do), its text and children in order.
type node struct {
	Space, Local, Text string
	Nil                bool
	Kids               []*node
}

func (n *node) String() string {
	var b strings.Builder
	n.write(&b, "")
	return b.String()
}

func (n *node) write(b *strings.Builder, indent string) {
	fmt.Fprintf(b, "%s{%s}%s", indent, n.Space, n.Local)
	if n.Text != "" {
		fmt.Fprintf(b, " = %q", n.Text)
	}
	b.WriteString("\n")
	for _, k := range n.Kids {
		k.write(b, indent+"  ")
	}
}

func parseXML(t *testing.T, b []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{Space: v.Name.Space, Local: v.Name.Local}
			for _, a := range v.Attr {
				if a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" && a.Name.Local == "nil" {
					n.Nil = a.Value == "true"
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			if len(n.Kids) > 0 {
				n.Text = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				n.Text += strings.TrimSpace(string(v))
			}
		}
	}
	return root
}

// sameXML compares element names, namespaces, order and text.
func sameXML(t *testing.T, got, want []byte) {
	t.Helper()
	g, w := parseXML(t, got).String(), parseXML(t, want).String()
	if g != w {
		gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var a, b string
			if i < len(gl) {
				a = gl[i]
			}
			if i < len(wl) {
				b = wl[i]
			}
			if a != b {
				t.Errorf("SOAP envelope differs from the documented one at line %d:\n got: %s\nwant: %s\n\nwhole envelope sent:\n%s", i+1, a, b, g)
				return
			}
		}
	}
}

// sleeps records the waits a client asked for, without waiting; its clock moves by each wait,
// as the real one would.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	at time.Time
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	s.at = s.at.Add(d)
	return ctx.Err()
}

func (s *sleeps) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at.IsZero() {
		s.at = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	}
	return s.at
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func wantKind(t *testing.T, err error, kind Kind, words string) *Error {
	t.Helper()
	var e *Error
	if err == nil {
		t.Fatalf("no error; want %s", kind)
	}
	if !asError(err, &e) || e.Kind != kind {
		t.Fatalf("error %v; want kind %s", err, kind)
	}
	if words != "" && !strings.Contains(e.Message, words) {
		t.Fatalf("error message %q; want it to say %q", e.Message, words)
	}
	return e
}

func asError(err error, e **Error) bool {
	for err != nil {
		if x, ok := err.(*Error); ok {
			*e = x
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func header(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("header %s = %q, want %q", name, got, want)
	}
}
