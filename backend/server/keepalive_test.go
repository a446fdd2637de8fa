package server_test

// The node pings every open socket from one keepalive: a peer that answers stays connected
// ping after ping, a peer that stops answering (a dead link, a laptop gone to sleep) is let go
// and its agent's connection recorded as ended, as a read deadline used to do.

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/config"
	"santral/backend/wire"
)

func TestAStreamThatStopsAnsweringPingsIsLetGo(t *testing.T) {
	e := startWith(t, func(c *config.Config) { c.PingInterval = 200 * time.Millisecond })
	e.admin().settings(func(s *wire.Settings) { s.OfflineGraceSeconds = 1 })
	zeynep := e.agent("zeynep", nil)
	ayse := e.agent("ayse", nil)

	// Zeynep's app answers every ping (gorilla's default handler); she counts them.
	alive, _ := zeynep.stream(-1)
	pings := make(chan struct{}, 100)
	alive.conn.SetPingHandler(func(data string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return alive.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	aliveErr := make(chan error, 1)
	go func() {
		alive.conn.SetReadDeadline(time.Time{})
		for {
			if _, _, err := alive.conn.ReadMessage(); err != nil {
				aliveErr <- err
				return
			}
		}
	}()

	// Ayşe's link goes silent: her side reads the pings but never answers.
	silent, _ := ayse.stream(-1)
	ayse.online()
	silent.conn.SetPingHandler(func(string) error { return nil })
	silent.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var err error
	for err == nil {
		_, _, err = silent.conn.ReadMessage()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the silent stream was not let go: %v", err)
	}

	// Her connection is recorded as ended: after the grace period she is offline (her app is
	// not there to take conversations).
	eventually(t, 10*time.Second, "ayşe offline after her link went silent", func() bool {
		var u wire.User
		ayse.mustDo("GET", "/api/v1/me", nil, &u, http.StatusOK)
		return u.Presence == wire.Offline
	})

	// Zeynep answered every ping all along: she was pinged again and again and is still there.
	for range 3 {
		select {
		case <-pings:
		case err := <-aliveErr:
			t.Fatalf("the answering stream ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("the answering stream was not pinged")
		}
	}
	select {
	case err := <-aliveErr:
		t.Fatalf("the answering stream ended: %v", err)
	default:
	}
}
