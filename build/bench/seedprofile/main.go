// Command seedprofile writes a desktop-app profile whose cache holds N conversations, for the
// app benchmark (cold start to cached inbox, memory with a full cache). The profile points at a
// server that does not answer, so what shows comes from the cache alone.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"santral/app/cache"
	"santral/backend/wire"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: seedprofile <dir> <conversations>")
		os.Exit(2)
	}
	dir := os.Args[1]
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "conversations must be a positive number")
		os.Exit(2)
	}
	if err := seed(dir, n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func seed(dir string, n int) error {
	const server = "http://127.0.0.1:1"
	c, err := cache.Open(filepath.Join(dir, "cache.db"))
	if err != nil {
		return err
	}
	defer c.Close()
	me := wire.User{ID: 1, Username: "ayse", DisplayName: "Ayşe Demir", Role: wire.RoleAgent, Presence: wire.Online}
	if err := c.Bind(cache.Account{ServerURL: server, UserID: me.ID}); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	snap := cache.Snapshot{Me: me, Workspace: wire.DefaultSettings(), Agents: []wire.User{me}}
	agent := me.ID
	for i := 1; i <= n; i++ {
		at := now - int64(i)*60_000
		snap.Mine = append(snap.Mine, wire.Conversation{ID: int64(i), State: wire.Assigned, AgentID: &agent,
			Contact:  wire.Contact{ID: int64(i), ChannelID: 1, ExternalID: fmt.Sprintf("90532%07d", i), Name: fmt.Sprintf("Müşteri %d", i), Phone: fmt.Sprintf("+90532%07d", i)},
			Channel:  wire.Channel{ID: 1, Type: "sandbox", Name: "Sandbox"},
			QueuedAt: at, CreatedAt: at, AssignedAt: at, LastInboundAt: at, LastMessageAt: at,
			LastMessagePreview: "Merhaba, siparişim ne zaman kargoya verilir?"})
	}
	if err := c.ApplySnapshot(snap, 1); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("bench-token"), 0o600); err != nil {
		return err
	}
	settings, _ := json.Marshal(map[string]any{"server_url": server, "username": "ayse",
		"preferences": map[string]any{"language": "tr", "theme": "light", "sound": false}, "width": 1280, "height": 800})
	return os.WriteFile(filepath.Join(dir, "settings.json"), settings, 0o600)
}
