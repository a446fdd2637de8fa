// Command notifyrecorder is a notification server for end-to-end tests: it owns
// org.freedesktop.Notifications on the session bus (what a desktop's notification daemon does),
// appends every Notify call as a JSON line to the file given, and on SIGUSR1 "clicks" the last
// notification (emits ActionInvoked "default"), as a user would.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
)

const (
	name = "org.freedesktop.Notifications"
	path = "/org/freedesktop/Notifications"
)

type server struct {
	conn *dbus.Conn
	out  *os.File
	mu   sync.Mutex
	last uint32
}

type record struct {
	ID      uint32         `json:"id"`
	App     string         `json:"app"`
	Summary string         `json:"summary"`
	Body    string         `json:"body"`
	Actions []string       `json:"actions"`
	Hints   map[string]any `json:"hints"`
}

func (s *server) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last++
	h := map[string]any{}
	for k, v := range hints {
		h[k] = v.Value()
	}
	b, _ := json.Marshal(record{ID: s.last, App: app, Summary: summary, Body: body, Actions: actions, Hints: h})
	s.out.Write(append(b, '\n'))
	s.out.Sync()
	return s.last, nil
}

func (s *server) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body", "sound"}, nil
}

func (s *server) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "notifyrecorder", "santral", "1.0", "1.2", nil
}

func (s *server) CloseNotification(id uint32) *dbus.Error { return nil }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: notifyrecorder <file>")
		os.Exit(2)
	}
	out, err := os.OpenFile(os.Args[1], os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := &server{conn: conn, out: out}
	if err := conn.Export(s, path, name); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		fmt.Fprintln(os.Stderr, "notifyrecorder: the name is taken", err)
		os.Exit(1)
	}
	fmt.Println("notifyrecorder: ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	for v := range sig {
		if v != syscall.SIGUSR1 {
			return
		}
		s.mu.Lock()
		id := s.last
		s.mu.Unlock()
		conn.Emit(path, name+".ActionInvoked", id, "default")
	}
}
