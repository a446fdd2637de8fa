// Package servertest starts a real santrald in-process for tests of its clients (the desktop
// app's sync engine): real SQLite file, real HTTP, real WebSockets.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/wire"
)

// AdminPassword is the test server's admin password.
const AdminPassword = "admin-pass-123"

// Server is a running santrald.
type Server struct {
	URL  string
	Addr string
	Srv  *server.Server
	t    testing.TB
}

// Start runs santrald with the sandbox channel on a new database in t.TempDir(), listening on
// addr ("" picks a free port), until the test ends.
func Start(t testing.TB, addr string) *Server { return StartOn(t, addr, t.TempDir()) }

// StartOn runs santrald on the database in the data directory dir, which another Server may
// share: two nodes of one Santral.
func StartOn(t testing.TB, addr, dir string) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.AdminPassword = AdminPassword
	cfg.Sandbox = true
	cfg.SweepInterval = 50 * time.Millisecond
	cfg.StreamPoll = 200 * time.Millisecond
	cfg.PasswordCost = 4
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &Server{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), Srv: srv, t: t}
}

// Call sends an API request as the bearer of token and decodes a 2xx body into out.
func (s *Server) Call(token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (s *Server) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// Agent creates an agent (auto-assignment limit lim) and returns their login.
func (s *Server) Agent(username, display string, lim int) wire.LoginResponse {
	s.t.Helper()
	var admin wire.LoginResponse
	s.must(s.Call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: "admin", Password: AdminPassword}, &admin))
	pw, role := "password-"+username, wire.RoleAgent
	s.must(s.Call(admin.Token, "POST", "/api/v1/users", wire.UserRequest{Username: &username, DisplayName: &display, Password: &pw, Role: &role, AutoLimit: &lim}, nil))
	var res wire.LoginResponse
	s.must(s.Call("", "POST", "/api/v1/auth/login", wire.LoginRequest{Username: username, Password: pw}, &res))
	return res
}

// Customer writes through the sandbox channel.
func (s *Server) Customer(sender, messageID, text string) wire.SandboxInboundResult {
	s.t.Helper()
	var res wire.SandboxInboundResult
	s.must(s.Call("", "POST", "/sandbox/messages", wire.SandboxInbound{SenderID: sender, Name: "Müşteri " + sender, MessageID: messageID, Text: text}, &res))
	return res
}

// Received lists what a sandbox customer got from agents.
func (s *Server) Received(sender string) []wire.SandboxOutbound {
	s.t.Helper()
	var out []wire.SandboxOutbound
	s.must(s.Call("", "GET", "/sandbox/messages?sender_id="+sender, nil, &out))
	return out
}
