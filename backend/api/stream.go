package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/store"
	"santral/backend/wire"
)

const (
	writeWait  = 10 * time.Second
	batchLimit = 500
)

// The default CheckOrigin refuses a browser page of another origin; the desktop app's Go side
// sends no Origin header.
var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 16 << 10}

// stream serves GET /api/v1/stream?after=N: the user's events after sequence N, then live ones.
// Without after, the stream starts at the current head. A cursor this server cannot continue
// from (pruned, or from another database) gets a "resync" frame and the connection closes.
func (a *API) stream(w http.ResponseWriter, r *http.Request, u wire.User) error {
	oldest, newest, err := a.store.EventBounds(r.Context())
	if err != nil {
		return err
	}
	cursor := newest
	resync := false
	if v := r.URL.Query().Get("after"); v != "" {
		after, err := strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			return wire.Invalid("after", "after must be the last sequence number seen")
		}
		cursor = after
		resync = after > newest || (oldest > 1 && after < oldest-1) || newest-after > a.opt.MaxBacklog
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered already
	}
	defer conn.Close()
	if resync {
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		conn.WriteJSON(wire.StreamFrame{Kind: "resync", Head: newest, Database: a.opt.DatabaseID})
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "resync"), time.Now().Add(writeWait))
		return nil
	}

	token, _ := r.Context().Value(ctxKey{}).(string)
	connID := newConnID()
	ctx := context.WithoutCancel(r.Context())
	if err := a.routing.Connected(ctx, connID, u.ID, a.opt.Node); err != nil {
		a.log.Error("stream: unable to record connection", "err", err)
		return nil
	}
	defer func() {
		if err := a.routing.Disconnected(ctx, connID, u.ID); err != nil {
			a.log.Error("stream: unable to record disconnection", "err", err)
		}
	}()

	// Reader: the client sends nothing but pongs and close; a missing pong ends the stream.
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.SetReadLimit(4096)
		conn.SetReadDeadline(time.Now().Add(2 * a.opt.PingInterval))
		conn.SetPongHandler(func(string) error {
			return conn.SetReadDeadline(time.Now().Add(2 * a.opt.PingInterval))
		})
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()

	write := func(f wire.StreamFrame) error {
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteJSON(f)
	}
	if err := write(wire.StreamFrame{Kind: "hello", Head: newest, Database: a.opt.DatabaseID, ServerTime: store.Now()}); err != nil {
		return nil
	}
	ping := time.NewTicker(a.opt.PingInterval)
	defer ping.Stop()
	poll := time.NewTicker(a.opt.StreamPoll)
	defer poll.Stop()
	staff := u.Role.Staff()
	for {
		// Take the wake channel before reading, so a commit in between is not missed.
		changed := a.hub.Changed()
		events, err := a.store.EventsAfter(ctx, cursor, u.ID, staff, batchLimit)
		if err != nil {
			a.log.Error("stream: unable to read events", "err", err)
			return nil
		}
		if len(events) > 0 {
			cursor = events[len(events)-1].Seq
			out, recheck := forClient(events, u.ID)
			if recheck {
				if live, err := a.sessionLive(ctx, token, u); err == nil && !live {
					conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "signed out"), time.Now().Add(writeWait))
					return nil
				}
			}
			if len(out) > 0 {
				if err := write(wire.StreamFrame{Kind: "events", Events: out}); err != nil {
					return nil
				}
			}
			continue
		}
		select {
		case <-changed:
		case <-poll.C: // another process may have written
		case <-ping.C:
			// A session signed out elsewhere, expired or of a disabled user ends the stream;
			// the app's next dial gets 401 and signs out.
			if live, err := a.sessionLive(ctx, token, u); err == nil && !live {
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "signed out"), time.Now().Add(writeWait))
				return nil
			}
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return nil
			}
		case <-done:
			return nil
		}
	}
}

func newConnID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// forClient drops internal events from a batch; recheck says one of them asks this user's
// streams to re-check their session (sessions.ended).
func forClient(events []wire.Event, userID int64) (out []wire.Event, recheck bool) {
	out = events[:0:0]
	for _, e := range events {
		if e.Type != wire.InternalSessionsEnded {
			out = append(out, e)
			continue
		}
		var d wire.SessionsEndedData
		if json.Unmarshal(e.Data, &d) == nil && d.UserID == userID {
			recheck = true
		}
	}
	return out, recheck
}
