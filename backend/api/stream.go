package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/auth"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

const (
	writeWait = 10 * time.Second
	// A client resuming from far behind reads the log a page at a time: at most this many
	// events, or this many bytes of them, in memory per stream.
	replayLimit = 500
	replayBytes = 64 << 10
)

// Write buffers come from a pool and go back after each message, so an idle stream holds
// none. The default CheckOrigin refuses a browser page of another origin; the desktop app's Go
// side sends no Origin header.
var upgrader = websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 16 << 10, WriteBufferPool: &sync.Pool{}}

// stream serves GET /api/v1/stream?after=N: the user's events after sequence N, then live ones.
// Without after, the stream starts at the current head. A cursor this server cannot continue
// from (pruned, or from another database) gets a "resync" frame and the connection closes.
func (a *API) stream(w http.ResponseWriter, r *http.Request, u wire.User) error {
	oldest, newest, err := a.store.EventBounds(r.Context())
	if err != nil {
		return err
	}
	after := int64(-1)
	resync := false
	if v := r.URL.Query().Get("after"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			return wire.Invalid("after", "after must be the last sequence number seen")
		}
		resync = after > newest || (oldest > 1 && after < oldest-1) || newest-after > a.opt.MaxBacklog
	}
	token, _ := r.Context().Value(ctxKey{}).(string)
	session, err := a.store.Session(r.Context(), auth.HashToken(token))
	if err != nil {
		return wire.Errorf(wire.CodeUnauthorized, "the session has expired or was signed out: log in again")
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered already
	}
	if resync {
		defer conn.Close()
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		conn.WriteJSON(wire.StreamFrame{Kind: "resync", Head: newest, Database: a.opt.DatabaseID})
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "resync"), time.Now().Add(writeWait))
		return nil
	}
	// The stream goes on in a goroutine of its own and the handler returns: net/http then lets
	// go of the connection's 4 KiB read and write buffers and of the handler's deep stack, which
	// an idle stream would otherwise hold for hours (a third of its memory).
	a.sockets.Add(1)
	closed := detach(w)
	ctx := context.WithoutCancel(r.Context())
	go func() {
		defer a.sockets.Done()
		defer closed()
		defer conn.Close()
		a.follow(ctx, conn, u, token, session, after)
	}()
	return nil
}

// follow serves an open stream: it records the connection, replays from the cursor (after; <0:
// from the head) and hands on live events until the client, the session or the server ends it.
func (a *API) follow(ctx context.Context, conn *websocket.Conn, u wire.User, token string, session store.Session, after int64) {
	connID := newConnID()
	if err := a.routing.Connected(ctx, connID, u.ID, a.opt.Node); err != nil {
		a.log.Error("stream: unable to record connection", "err", err)
		return
	}
	defer func() {
		if err := a.routing.Disconnected(ctx, connID, u.ID); err != nil {
			a.log.Error("stream: unable to record disconnection", "err", err)
		}
	}()

	sub := stream.NewSubscriber(u.ID, u.Role.Staff())
	head := a.hub.Attach(sub)
	defer a.hub.Detach(sub)
	if after < 0 {
		after = head
	}

	// Reader: the client sends nothing but pongs and close. The node's keepalive pings the
	// stream and closes it when a ping goes unanswered, which ends this reader.
	live := a.keep.add(conn)
	defer a.keep.remove(live)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.SetReadLimit(4096)
		conn.SetPongHandler(func(string) error {
			live.seen()
			return nil
		})
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
			live.seen()
		}
	}()

	w2 := streamWriter{conn: conn, live: live}
	if err := w2.frame(wire.StreamFrame{Kind: "hello", Head: head, Database: a.opt.DatabaseID, ServerTime: store.Now()}); err != nil {
		return
	}
	expiry := time.NewTimer(time.Until(time.UnixMilli(session.ExpiresAt)))
	defer expiry.Stop()
	closeWith := func(code int, text string) {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(writeWait))
	}
	// Catch up from the log to where the hub's live hand-off starts, then follow it; a stream
	// that overflowed its queue comes back here.
	sent, upTo := after, head
	for {
		if sent < upTo {
			last, err := a.replay(ctx, &w2, u, sent, upTo)
			if err != nil {
				return
			}
			sent = last
			continue
		}
		select {
		case <-sub.Signal():
			events, live, recheck := sub.Take()
			if recheck {
				// A sessions.ended event for this user: is this stream's session gone, or its
				// user's role changed (a demoted supervisor must not keep the staff view)?
				if live, err := a.sessionLive(ctx, token, u); err == nil && !live {
					closeWith(websocket.ClosePolicyViolation, "signed out")
					return
				}
			}
			if len(events) > 0 && events[len(events)-1].Seq > sent {
				if err := w2.events(events, sent); err != nil {
					return
				}
				sent = events[len(events)-1].Seq
			}
			if !live {
				upTo = a.hub.Attach(sub)
			}
		case <-expiry.C:
			closeWith(websocket.ClosePolicyViolation, "session expired")
			return
		case <-a.hub.Closing():
			closeWith(websocket.CloseGoingAway, "server shutting down")
			return
		case <-done:
			return
		}
	}
}

// replay writes the user's events in (after, upTo] from the log, a bounded page at a time,
// and returns upTo (events the user may not see move the cursor too).
func (a *API) replay(ctx context.Context, w *streamWriter, u wire.User, after, upTo int64) (int64, error) {
	for after < upTo {
		page, err := a.store.EventsAfter(ctx, after, upTo, u.ID, u.Role.Staff(), replayLimit, replayBytes)
		if err != nil {
			a.log.Error("stream: unable to read events", "err", err)
			return after, err
		}
		if len(page) == 0 {
			return upTo, nil
		}
		if err := w.frame(wire.StreamFrame{Kind: "events", Events: page}); err != nil {
			return after, err
		}
		after = page[len(page)-1].Seq
	}
	return upTo, nil
}

// streamWriter writes frames; live events go out as they were encoded once by the hub.
type streamWriter struct {
	conn *websocket.Conn
	live *liveSocket
}

func (w *streamWriter) frame(f wire.StreamFrame) error {
	w.live.writing()
	w.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return w.conn.WriteJSON(f)
}

var (
	eventsOpen  = []byte(`{"kind":"events","events":[`)
	eventsClose = []byte(`]}`)
	comma       = []byte(`,`)
)

// events writes the events after seq `after` as one "events" frame.
func (w *streamWriter) events(events []stream.Event, after int64) error {
	w.live.writing()
	w.conn.SetWriteDeadline(time.Now().Add(writeWait))
	out, err := w.conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	out.Write(eventsOpen)
	first := true
	for _, e := range events {
		if e.Seq <= after {
			continue
		}
		if !first {
			out.Write(comma)
		}
		first = false
		out.Write(e.JSON)
	}
	out.Write(eventsClose)
	return out.Close()
}

func newConnID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
