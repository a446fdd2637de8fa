package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"santral/backend/wire"
)

// documentedOperation is one operation of openapi.yaml with the roles its description names
// ("**Roles:** admin, supervisor.") or public (security: []).
type documentedOperation struct {
	method, path string
	public       bool
	roles        map[wire.Role]bool
}

var (
	docPath   = regexp.MustCompile(`^  (/\S*):\s*$`)
	docMethod = regexp.MustCompile(`^    (get|put|post|delete|patch):\s*$`)
	docRoles  = regexp.MustCompile(`\*\*Roles:\*\* ([a-z]+(?:, [a-z]+)*)`)
)

func documentedOperations(t *testing.T) []documentedOperation {
	t.Helper()
	raw, err := os.ReadFile("../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ops []documentedOperation
	var path string
	var cur *documentedOperation
	for _, line := range strings.Split(string(raw), "\n") {
		if m := docPath.FindStringSubmatch(line); m != nil {
			path, cur = m[1], nil
			continue
		}
		if m := docMethod.FindStringSubmatch(line); m != nil && path != "" {
			ops = append(ops, documentedOperation{method: strings.ToUpper(m[1]), path: path})
			cur = &ops[len(ops)-1]
			continue
		}
		if cur == nil {
			continue
		}
		if strings.TrimSpace(line) == "security: []" {
			cur.public = true
		}
		if m := docRoles.FindStringSubmatch(line); m != nil && cur.roles == nil {
			cur.roles = map[wire.Role]bool{}
			for _, r := range strings.Split(m[1], ",") {
				switch r = strings.TrimSpace(r); r {
				case "any":
					cur.roles[wire.RoleAdmin], cur.roles[wire.RoleSupervisor], cur.roles[wire.RoleAgent] = true, true, true
				default:
					cur.roles[wire.Role(r)] = true
				}
			}
		}
	}
	return ops
}

// TestEveryOperationRefusesTheRolesItDoesNotName is the authorisation matrix, kept with the
// code: every operation of the API document is called anonymously and by an agent, a
// supervisor and an admin. A role the operation's description does not name must get 403
// forbidden (401 when anonymous) — before anything else is looked at; a role it names must not.
// An operation that is neither public nor says its roles fails the test, so a new route cannot
// slip in unguarded and undocumented.
func TestEveryOperationRefusesTheRolesItDoesNotName(t *testing.T) {
	e := start(t)
	callers := map[wire.Role]*client{
		wire.RoleAdmin:      e.admin(),
		wire.RoleSupervisor: e.user(wire.RoleSupervisor, "sena", nil),
		wire.RoleAgent:      e.agent("ayla", nil),
	}
	ops := documentedOperations(t)
	if len(ops) < 50 {
		t.Fatalf("read only %d operations from openapi.yaml", len(ops))
	}
	// Signing out ends the caller's session: last, so it does not turn later calls into 401s.
	sort.SliceStable(ops, func(i, j int) bool { return ops[j].path == "/api/v1/auth/logout" && ops[i].path != ops[j].path })
	ids := regexp.MustCompile(`\{[^}]+\}`)
	call := func(c *client, op documentedOperation) (int, wire.Code) {
		t.Helper()
		path := ids.ReplaceAllString(op.path, "999999")
		var body io.Reader
		if op.method != "GET" && op.method != "DELETE" {
			body = strings.NewReader(`{}`)
		}
		req, err := http.NewRequest(op.method, e.url+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if c != nil {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", op.method, path, err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var eb wire.ErrorBody
		json.Unmarshal(raw, &eb)
		return res.StatusCode, eb.Error.Code
	}
	checked := 0
	for _, op := range ops {
		if op.public {
			continue
		}
		if op.roles == nil {
			t.Errorf("%s %s: neither public (security: []) nor a **Roles:** line in its description", op.method, op.path)
			continue
		}
		if status, _ := call(nil, op); status != http.StatusUnauthorized {
			t.Errorf("%s %s anonymously: %d, want 401", op.method, op.path, status)
		}
		for _, role := range []wire.Role{wire.RoleAgent, wire.RoleSupervisor, wire.RoleAdmin} {
			if op.path == "/api/v1/stream" && op.roles[role] {
				continue // a WebSocket: its allowed callers are the stream tests'
			}
			status, code := call(callers[role], op)
			checked++
			refusedByRole := status == http.StatusForbidden && code == wire.CodeForbidden
			switch {
			case status == http.StatusUnauthorized:
				t.Errorf("%s %s as %s: 401 with a valid session", op.method, op.path, role)
			case op.roles[role] && refusedByRole:
				t.Errorf("%s %s as %s: refused (403 forbidden), but the document names the role", op.method, op.path, role)
			case !op.roles[role] && !refusedByRole:
				t.Errorf("%s %s as %s: %d %s, want 403 forbidden (the document names only %v)", op.method, op.path, role, status, code, op.roles)
			}
		}
	}
	t.Logf("%d operations, %d authenticated calls checked against their documented roles", len(ops), checked)
}
