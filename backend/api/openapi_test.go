package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

// The OpenAPI document is written by hand; these tests keep it and the route table in step.

// route is one operation: "GET /api/v1/conversations/{id}".
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

var (
	specPath   = regexp.MustCompile(`^  (/\S*):\s*$`)
	specMethod = regexp.MustCompile(`^    (get|put|post|delete|patch|head|options|trace):\s*$`)
	muxRoute   = regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)
	pathParam  = regexp.MustCompile(`\{[^}]+\}`)
)

// specRoutes reads the operations under paths: in openapi.yaml — paths at two spaces of indent,
// methods at four — without a YAML library.
func specRoutes(t *testing.T, spec []byte) []route {
	t.Helper()
	var out []route
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(spec))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case !inPaths || strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case !strings.HasPrefix(line, " "): // the next top-level key ends paths:
			inPaths = false
		case specPath.MatchString(line):
			path = specPath.FindStringSubmatch(line)[1]
		case specMethod.MatchString(line):
			if path == "" {
				t.Fatalf("openapi.yaml: %q comes before any path", line)
			}
			out = append(out, route{strings.ToUpper(specMethod.FindStringSubmatch(line)[1]), path})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("openapi.yaml: no operations found under paths:")
	}
	return out
}

// tableRoutes reads the patterns registered in Handler() from api.go's source.
func tableRoutes(t *testing.T) []route {
	t.Helper()
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []route
	for _, m := range muxRoute.FindAllStringSubmatch(string(src), -1) {
		out = append(out, route{m[1], m[2]})
	}
	if len(out) < 30 {
		t.Fatalf("api.go: found only %d routes; has the route table's shape changed?", len(out))
	}
	return out
}

func newTestAPI(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "santral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	hub := stream.NewHub(st, time.Second, 0, log)
	return New(st, routing.New(st, hub, log), hub, Options{}, log).Handler()
}

func readSpec(t *testing.T) []byte {
	t.Helper()
	spec, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// Every documented operation reaches a handler: nothing answers with the catch-all 404.
// Requests carry no token, so authed routes answer 401 and public ones their own errors.
func TestOpenAPIDocumentedRoutesExist(t *testing.T) {
	h := newTestAPI(t)
	for _, r := range specRoutes(t, readSpec(t)) {
		t.Run(r.String(), func(t *testing.T) {
			req := httptest.NewRequest(r.method, pathParam.ReplaceAllString(r.path, "1"), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound {
				return
			}
			var body wire.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil && strings.HasPrefix(body.Error.Message, "no such endpoint") {
				t.Errorf("documented in openapi.yaml but not routed: %s", body.Error.Message)
			}
		})
	}
}

// Every route registered in Handler() is documented.
func TestOpenAPIRouteTableDocumented(t *testing.T) {
	documented := map[route]bool{}
	for _, r := range specRoutes(t, readSpec(t)) {
		documented[r] = true
	}
	for _, r := range tableRoutes(t) {
		if !documented[r] {
			t.Errorf("route %s is registered in Handler() but missing from openapi.yaml", r)
		}
	}
}

// Every error code and event type in wire is listed in the document.
func TestOpenAPIWireNamesDocumented(t *testing.T) {
	spec := string(readSpec(t))
	for file, pattern := range map[string]*regexp.Regexp{
		"../wire/errors.go": regexp.MustCompile(`(?m)^\s*Code\w+\s+Code\s*=\s*"([^"]+)"`),
		"../wire/events.go": regexp.MustCompile(`(?m)^\s*Event\w+\s*=\s*"([^"]+)"`),
	} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := pattern.FindAllStringSubmatch(string(src), -1)
		if len(names) == 0 {
			t.Fatalf("%s: no names found", file)
		}
		for _, m := range names {
			if !strings.Contains(spec, "\n            - "+m[1]+"\n") {
				t.Errorf("%s: %q is not in an enum of openapi.yaml", file, m[1])
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newTestAPI(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.yaml", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml: status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	got, _ := io.ReadAll(rec.Body)
	if !bytes.Equal(got, readSpec(t)) {
		t.Error("the served document differs from openapi.yaml")
	}
}
