package api

// What an integrator sees when a request is wrong: bodies that are not the JSON object a route
// reads, values of the wrong type anywhere in it, and methods a path does not have. Every
// answer is a typed JSON error naming the field, in JSON's words, never Go's.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"santral/backend/auth"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

// requestEnv is a real API on a real SQLite file, served over HTTP, with an admin logged in.
type requestEnv struct {
	url   string
	token string
}

func newRequestEnv(t *testing.T) *requestEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "santral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hash, err := auth.HashPassword("admin-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	var sandbox, webchat int64
	if _, err := st.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutSettings(wire.DefaultSettings()); err != nil {
			return err
		}
		if _, err := tx.CreateUser("admin", "Admin", hash, wire.RoleAdmin, nil, nil); err != nil {
			return err
		}
		if sandbox, err = tx.EnsureChannel("sandbox", "Sandbox"); err != nil {
			return err
		}
		webchat, err = tx.EnsureChannel("webchat", "Website")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	hub := stream.NewHub(st, time.Second, 0, log)
	h := New(st, routing.New(st, hub, log), hub, Options{SandboxChannelID: sandbox, WebchatChannelID: webchat, PasswordCost: 4}, log).Handler()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	e := &requestEnv{url: ts.URL}
	var login wire.LoginResponse
	if status, _ := e.do(t, "POST", "/api/v1/auth/login", `{"username":"admin","password":"admin-password"}`, &login); status != 200 {
		t.Fatalf("login: status %d", status)
	}
	e.token = login.Token
	return e
}

// do sends body (raw, "" for none) as the admin and decodes the answer into out (when not nil);
// it returns the status and the headers.
func (e *requestEnv) do(t *testing.T, method, path, body string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, raw, err)
		}
	}
	return res.StatusCode, res.Header
}

// jsonBodyRoutes read a JSON object body; the other write routes take none (or a file, or a
// provider's raw delivery). Every write route of the table must be in one of the two lists, so
// a new route is classified by whoever adds it.
var jsonBodyRoutes = []route{
	{"POST", "/api/v1/auth/login"},
	{"PUT", "/api/v1/me/presence"},
	{"PUT", "/api/v1/app-versions"},
	{"POST", "/api/v1/users"},
	{"PATCH", "/api/v1/users/{id}"},
	{"PUT", "/api/v1/settings"},
	{"POST", "/api/v1/channel-accounts"},
	{"PATCH", "/api/v1/channel-accounts/{id}"},
	{"POST", "/api/v1/end-reasons"},
	{"PUT", "/api/v1/end-reasons/{id}"},
	{"POST", "/api/v1/quick-messages"},
	{"PUT", "/api/v1/quick-messages/{id}"},
	{"POST", "/api/v1/conversations/{id}/messages"},
	{"POST", "/api/v1/conversations/{id}/transfer"},
	{"POST", "/api/v1/conversations/{id}/end"},
	{"POST", "/api/v1/conversations/{id}/template"},
	{"POST", "/sandbox/messages"},
	{"POST", "/webchat/session"},
	{"POST", "/webchat/files/{key}"},
	{"PUT", "/api/v1/me/password"},
}

var otherWriteRoutes = []route{
	{"POST", "/api/v1/auth/logout"},
	{"POST", "/api/v1/channel-accounts/{id}/templates/sync"},
	{"DELETE", "/api/v1/quick-messages/{id}"},
	{"POST", "/api/v1/queue/pull"},
	{"POST", "/api/v1/conversations/{id}/attachments"}, // multipart
	{"POST", "/api/v1/conversations/{id}/take-up"},
	{"POST", "/api/v1/conversations/{id}/return-to-queue"},
	{"POST", "/api/v1/transfers/{id}/accept"},
	{"POST", "/api/v1/transfers/{id}/reject"},
	{"POST", "/api/v1/transfers/{id}/cancel"},
	{"POST", "/webhooks/{id}"},  // the provider's own format, verified before parsing
	{"POST", "/webchat/upload"}, // multipart
}

func TestEveryWriteRouteIsClassified(t *testing.T) {
	for _, r := range tableRoutes(t) {
		if r.method != "GET" && !slices.Contains(jsonBodyRoutes, r) && !slices.Contains(otherWriteRoutes, r) {
			t.Errorf("%s is not in jsonBodyRoutes or otherWriteRoutes of requests_test.go", r)
		}
	}
}

// A JSON body that is not an object — null above all, which would otherwise decode into an empty
// request and go ahead (PUT /api/v1/settings would switch automatic assignment off) — is
// refused with bad_json on every route that reads one.
func TestJSONBodyMustBeAnObject(t *testing.T) {
	e := newRequestEnv(t)
	var before wire.Settings
	e.do(t, "GET", "/api/v1/settings", "", &before)
	for _, r := range jsonBodyRoutes {
		for _, body := range []string{"null", " \n null ", "[]", `[{"username":"admin"}]`, `"admin"`, "0", "true"} {
			t.Run(r.String()+" "+body, func(t *testing.T) {
				var got wire.ErrorBody
				status, _ := e.do(t, r.method, pathParam.ReplaceAllString(r.path, "1"), body, &got)
				if status != 400 || got.Error.Code != wire.CodeBadJSON {
					t.Fatalf("status %d %+v, want 400 bad_json", status, got.Error)
				}
				if !strings.Contains(got.Error.Message, "JSON object") {
					t.Errorf("message %q does not say a JSON object is required", got.Error.Message)
				}
				checkNoGoWords(t, got.Error.Message)
			})
		}
	}
	var after wire.Settings
	e.do(t, "GET", "/api/v1/settings", "", &after)
	if after != before {
		t.Errorf("settings changed from %+v to %+v by refused bodies", before, after)
	}
}

// goWords are what a Go type name or a decoder's own message looks like.
var goWords = regexp.MustCompile(`\b(u?int(8|16|32|64)?|float(32|64)|bool|of type|struct|interface|map\[|wire\.|webchat\.|api\.|main\.|json:|Go|unmarshal)\b|\*[a-zA-Z]|\[\][a-z*]`)

func checkNoGoWords(t *testing.T, msg string) {
	t.Helper()
	if w := goWords.FindString(msg); w != "" {
		t.Errorf("message %q shows Go's words (%q)", msg, w)
	}
}

// A value of the wrong type is invalid_field naming its path from the body's root (an unknown
// field likewise, as unknown_field), and the message says in JSON's words what is expected.
func TestDecodeErrorsNameTheField(t *testing.T) {
	e := newRequestEnv(t)
	for _, tc := range []struct {
		method, path, body string
		code               wire.Code
		field              string
		says               string // part of the message
	}{
		{"POST", "/api/v1/auth/login", `{"username":5,"password":"x"}`, wire.CodeInvalid, "username", "username must be a string, not a number"},
		{"PUT", "/api/v1/me/presence", `{"presence":true}`, wire.CodeInvalid, "presence", "must be a string, not true or false"},
		{"PATCH", "/api/v1/users/1", `{"auto_limit":"3"}`, wire.CodeInvalid, "auto_limit", "auto_limit must be a whole number, not a string"},
		{"PATCH", "/api/v1/users/1", `{"auto_limit":1.5}`, wire.CodeInvalid, "auto_limit", "must be a whole number, not 1.5"},
		{"PATCH", "/api/v1/users/1", `{"hard_cap":1e40}`, wire.CodeInvalid, "hard_cap", "must be a whole number"},
		{"PATCH", "/api/v1/users/1", `{"role":5}`, wire.CodeInvalid, "role", "role must be a string"},
		{"PATCH", "/api/v1/users/1", `{"disabled":"no"}`, wire.CodeInvalid, "disabled", "disabled must be true or false, not a string"},
		{"POST", "/api/v1/users", `{"username":["a"]}`, wire.CodeInvalid, "username", "must be a string, not an array"},
		{"PUT", "/api/v1/settings", `{"auto_assign":"yes"}`, wire.CodeInvalid, "auto_assign", "must be true or false"},
		{"PUT", "/api/v1/settings", `{"default_limit":{}}`, wire.CodeInvalid, "default_limit", "must be a whole number, not an object"},
		{"POST", "/api/v1/channel-accounts", `{"type":"telegram","credentials":{"token":5}}`, wire.CodeInvalid, "credentials",
			"each value of credentials must be a string"},
		{"POST", "/api/v1/channel-accounts", `{"credentials":["token"]}`, wire.CodeInvalid, "credentials", "credentials must be an object, not an array"},
		{"PATCH", "/api/v1/channel-accounts/1", `{"human_agent":1}`, wire.CodeInvalid, "human_agent", "must be true or false"},
		{"POST", "/api/v1/end-reasons", `{"label":"x","position":"first"}`, wire.CodeInvalid, "position", "must be a whole number"},
		{"PUT", "/api/v1/end-reasons/1", `{"active":null,"label":7}`, wire.CodeInvalid, "label", "must be a string"},
		{"POST", "/api/v1/quick-messages", `{"shared":"true"}`, wire.CodeInvalid, "shared", "must be true or false"},
		{"POST", "/api/v1/conversations/1/messages", `{"attachments":{"kind":"image"}}`, wire.CodeInvalid, "attachments",
			"attachments must be an array, not an object"},
		{"POST", "/api/v1/conversations/1/messages", `{"attachments":["photo.jpg"]}`, wire.CodeInvalid, "attachments",
			"each item of attachments must be an object, not a string"},
		{"POST", "/api/v1/conversations/1/messages", `{"attachments":[{"kind":"image","size":"big"}]}`, wire.CodeInvalid,
			"attachments.size", "attachments.size must be a whole number, not a string"},
		{"POST", "/api/v1/conversations/1/messages", `{"body":"x","attachments":[{"kind":"location","latitude":"north"}]}`,
			wire.CodeInvalid, "attachments.latitude", "attachments.latitude must be a number, not a string"},
		{"POST", "/api/v1/conversations/1/messages", `{"attachments":[{"knd":"image"}]}`, wire.CodeUnknownField, "attachments.knd", "attachments.knd"},
		{"POST", "/api/v1/conversations/1/messages", `{"bdy":"merhaba"}`, wire.CodeUnknownField, "bdy", "bdy"},
		{"POST", "/api/v1/conversations/1/transfer", `{"to_agent_id":"5"}`, wire.CodeInvalid, "to_agent_id", "to_agent_id must be a whole number"},
		{"POST", "/api/v1/conversations/1/end", `{"end_reason_id":-1.5}`, wire.CodeInvalid, "end_reason_id", "not -1.5"},
		{"POST", "/api/v1/conversations/1/template", `{"template_id":1,"params":[1,2]}`, wire.CodeInvalid, "params",
			"each item of params must be a string, not a number"},
		{"POST", "/sandbox/messages", `{"sender_id":905321112233,"message_id":"m1"}`, wire.CodeInvalid, "sender_id", "must be a string"},
		{"POST", "/sandbox/messages", `{"sender_id":"1","message_id":"m1","attachments":[{"kind":"image","name":{"x":1}}]}`,
			wire.CodeInvalid, "attachments.name", "attachments.name must be a string, not an object"},
		{"POST", "/webchat/session", `{"name":["Elif"]}`, wire.CodeInvalid, "name", "name must be a string, not an array"},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
			var got wire.ErrorBody
			status, _ := e.do(t, tc.method, tc.path, tc.body, &got)
			if status != 400 || got.Error.Code != tc.code || got.Error.Field != tc.field {
				t.Fatalf("status %d %+v, want 400 %s with field %q", status, got.Error, tc.code, tc.field)
			}
			if !strings.Contains(got.Error.Message, tc.says) {
				t.Errorf("message %q does not say %q", got.Error.Message, tc.says)
			}
			checkNoGoWords(t, got.Error.Message)
		})
	}
}

// A path that exists answers a method it does not have with 405, an Allow header listing the
// methods it has, and a typed body — for every path of the route table. Unknown paths stay 404.
func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	e := newRequestEnv(t)
	allowed := map[string][]string{} // path → its methods
	for _, r := range tableRoutes(t) {
		allowed[r.path] = append(allowed[r.path], r.method)
		if r.method == "GET" {
			allowed[r.path] = append(allowed[r.path], "HEAD") // GET patterns serve HEAD too
		}
	}
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	for path, have := range allowed {
		sort.Strings(have)
		for _, m := range methods {
			if slices.Contains(have, m) {
				continue
			}
			t.Run(m+" "+path, func(t *testing.T) {
				var got wire.ErrorBody
				status, h := e.do(t, m, pathParam.ReplaceAllString(path, "1"), "", &got)
				if status != http.StatusMethodNotAllowed {
					t.Fatalf("status %d %+v, want 405", status, got.Error)
				}
				if allow := h.Get("Allow"); allow != strings.Join(have, ", ") {
					t.Errorf("Allow %q, want %q", allow, strings.Join(have, ", "))
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Errorf("Content-Type %q, want JSON", h.Get("Content-Type"))
				}
				if m != "HEAD" && got.Error.Code != wire.CodeMethodNotAllowed {
					t.Errorf("code %q, want %s", got.Error.Code, wire.CodeMethodNotAllowed)
				}
			})
		}
	}
	// The example, read as a user would.
	var got wire.ErrorBody
	status, h := e.do(t, "DELETE", "/api/v1/me", "", &got)
	if status != 405 || h.Get("Allow") != "GET, HEAD" || got.Error.Code != wire.CodeMethodNotAllowed ||
		!strings.Contains(got.Error.Message, "DELETE") || !strings.Contains(got.Error.Message, "GET") {
		t.Errorf("DELETE /api/v1/me: %d Allow %q %+v", status, h.Get("Allow"), got.Error)
	}
	for _, path := range []string{"/api/v1/nothing", "/api/v1/me/", "/api/v1/conversations/1/nothing"} {
		var got wire.ErrorBody
		if status, _ := e.do(t, "DELETE", path, "", &got); status != 404 || got.Error.Code != wire.CodeNotFound {
			t.Errorf("DELETE %s: %d %+v, want 404 not_found", path, status, got.Error)
		}
	}
}
