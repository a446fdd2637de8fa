package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"santral/backend/media"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/webchat"
	"santral/backend/wire"
)

// The website chat widget's surface: the script, visitor sessions, the visitor's socket and
// files. Visitors are not users: a random visitor id and secret, issued here and kept in the
// page's localStorage, authenticate every call. The pages embedding the widget are other sites,
// so these routes answer cross-origin requests (no cookies are involved). The widget sends only
// CORS-simple requests (text/plain JSON, multipart forms), so no preflight is needed.

func (a *API) widgetScript(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err := w.Write(webchat.Script)
	return err
}

func allowCrossOrigin(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

// webchatEnabled is the door's switch: the channel's enabled flag (PATCH
// /api/v1/channel-accounts/{id}). Switched off, nothing is stored and nothing queued.
func (a *API) webchatEnabled(ctx context.Context) error {
	if a.opt.WebchatChannelID == 0 {
		return wire.Errorf(wire.CodeChannelDisabled, "the website chat is not enabled on this server")
	}
	on, err := a.store.ChannelEnabled(ctx, a.opt.WebchatChannelID)
	if err != nil {
		return err
	}
	if !on {
		return wire.Errorf(wire.CodeChannelDisabled, "the website chat is switched off")
	}
	return nil
}

// visitor checks a visitor id and secret.
func (a *API) visitor(ctx context.Context, id, secret string) error {
	if !webchat.ValidVisitorID(id) || secret == "" {
		return wire.Errorf(wire.CodeUnauthorized, "a visitor id and secret are required")
	}
	v, err := a.store.WebchatVisitor(ctx, id)
	if wire.CodeOf(err) == wire.CodeNotFound {
		return wire.Errorf(wire.CodeUnauthorized, "unknown visitor or wrong secret")
	}
	if err != nil {
		return err
	}
	if !webchat.SecretMatches(secret, v.SecretHash) {
		return wire.Errorf(wire.CodeUnauthorized, "unknown visitor or wrong secret")
	}
	return nil
}

func (a *API) webchatSession(w http.ResponseWriter, r *http.Request) error {
	allowCrossOrigin(w)
	if err := a.webchatEnabled(r.Context()); err != nil {
		return err
	}
	var in webchat.SessionRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := in.Check(); err != nil {
		return err
	}
	if in.VisitorID != "" {
		err := a.visitor(r.Context(), in.VisitorID, in.VisitorSecret)
		if err == nil {
			// What a returning visitor gives now goes on their contact with their next message.
			if err := a.store.UpdateWebchatVisitor(r.Context(), in.VisitorID, in.Name, in.Email, in.Phone); err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, webchat.Session{VisitorID: in.VisitorID, VisitorSecret: in.VisitorSecret, Name: in.Name})
		}
		if wire.CodeOf(err) != wire.CodeUnauthorized {
			return err
		}
		// A stale or forged identity: start afresh rather than lock the visitor out.
	}
	s := webchat.Session{VisitorID: webchat.NewSecret(), VisitorSecret: webchat.NewSecret(), Name: in.Name, New: true}
	if err := a.store.CreateWebchatVisitor(r.Context(), store.WebchatVisitor{ID: s.VisitorID, SecretHash: webchat.HashSecret(s.VisitorSecret),
		Name: in.Name, Email: in.Email, Phone: in.Phone}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s)
}

func (a *API) webchatUpload(w http.ResponseWriter, r *http.Request) error {
	allowCrossOrigin(w)
	if err := a.webchatEnabled(r.Context()); err != nil {
		return err
	}
	if a.opt.Files == nil {
		return wire.Errorf(wire.CodeChannelDisabled, "file storage is not configured")
	}
	r.Body = http.MaxBytesReader(w, r.Body, webchat.MaxFileSize+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return wire.Invalid("file", "send multipart/form-data with visitor_id, visitor_secret and file")
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return wire.Invalid("file", "the file is missing")
		}
		if err != nil {
			return wire.Invalid("file", "the form could not be read")
		}
		name := part.FormName()
		if name != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 200))
			fields[name] = string(b)
			continue
		}
		// The credentials come before the file, so nothing is stored for a stranger.
		visitorID := fields["visitor_id"]
		if err := a.visitor(r.Context(), visitorID, fields["visitor_secret"]); err != nil {
			return err
		}
		quota := store.UploadQuota{Since: store.Now() - uploadQuotaPeriod.Milliseconds(),
			MaxFiles: a.opt.VisitorUploadsPerDay, MaxBytes: a.opt.VisitorUploadBytesPerDay}
		files, bytes, oldest, err := a.store.WebchatUploads(r.Context(), visitorID, quota.Since)
		if err != nil {
			return err
		}
		if files >= quota.MaxFiles || bytes >= quota.MaxBytes {
			return a.uploadQuotaReached(w, oldest)
		}
		maxSize := min(int64(webchat.MaxFileSize), quota.MaxBytes-bytes)
		filename := strings.TrimSpace(part.FileName())
		if filename == "" || utf8.RuneCountInString(filename) > 200 || !utf8.ValidString(filename) {
			return wire.Invalid("file", "the file needs a name of at most 200 characters")
		}
		kind, mimeType, ok := webchat.Classify(filename, part.Header.Get("Content-Type"))
		if !ok {
			return wire.Invalid("file", "only images, PDF and office documents can be sent")
		}
		key, size, err := a.opt.Files.Put(r.Context(), bufio.NewReader(part), maxSize)
		var maxErr *http.MaxBytesError
		switch {
		case errors.Is(err, media.ErrTooLarge) && maxSize < webchat.MaxFileSize:
			return a.uploadQuotaReached(w, oldest)
		case errors.Is(err, media.ErrTooLarge) || errors.As(err, &maxErr):
			return wire.Errorf(wire.CodeBodyTooLarge, "a file can be at most %d MB", webchat.MaxFileSize>>20)
		case err != nil:
			return err
		case size == 0:
			a.opt.Files.Delete(context.WithoutCancel(r.Context()), key) // recorded nowhere: nothing would remove it
			return wire.Invalid("file", "the file is empty")
		}
		f := webchat.File{Attachment: wire.Attachment{Kind: kind, Name: filename, MimeType: mimeType, Size: size, URL: "/webchat/files/" + key}, Key: key}
		added, err := a.store.AddWebchatFile(r.Context(), visitorID, f.Attachment, key, quota)
		if err != nil || !added {
			// Not recorded: nobody can reach the file, so it goes (a parallel upload took the quota).
			a.opt.Files.Delete(context.WithoutCancel(r.Context()), key)
			if err != nil {
				return err
			}
			return a.uploadQuotaReached(w, oldest)
		}
		return writeJSON(w, http.StatusCreated, f)
	}
}

// uploadQuotaPeriod is the window of a visitor's upload quota.
const uploadQuotaPeriod = 24 * time.Hour

// uploadQuotaReached refuses a visitor's upload until their oldest upload of the period leaves it.
func (a *API) uploadQuotaReached(w http.ResponseWriter, oldest int64) error {
	wait := time.Duration(oldest+uploadQuotaPeriod.Milliseconds()-store.Now()) * time.Millisecond
	if oldest == 0 || wait <= 0 {
		wait = time.Minute
	}
	return retryLater(w, wire.CodeUploadQuota, wait, "you can send at most %d files (%d MB) in 24 hours", a.opt.VisitorUploadsPerDay, a.opt.VisitorUploadBytesPerDay>>20)
}

func (a *API) webchatFile(w http.ResponseWriter, r *http.Request) error {
	allowCrossOrigin(w)
	if err := a.webchatEnabled(r.Context()); err != nil {
		return err
	}
	// The identity comes in a text/plain JSON body (a CORS-simple POST), never in the URL.
	var in webchat.SessionRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	visitorID := in.VisitorID
	if err := a.visitor(r.Context(), visitorID, in.VisitorSecret); err != nil {
		return err
	}
	key := r.PathValue("key")
	ok, err := a.store.WebchatCanRead(r.Context(), a.opt.WebchatChannelID, visitorID, key)
	if err != nil {
		return err
	}
	if !ok || a.opt.Files == nil {
		return wire.Errorf(wire.CodeNotFound, "file not found")
	}
	disposition := "attachment"
	if att, err := a.store.WebchatFile(r.Context(), visitorID, key); err == nil {
		disposition = mime.FormatMediaType("attachment", map[string]string{"filename": att.Name})
	}
	return a.serveFile(w, r, key, disposition)
}

// Any origin may open the visitor socket: the widget runs on shops' own sites, and the socket is
// authenticated by the visitor secret in its first frame, not by cookies, so a foreign page
// gains nothing. Write buffers are pooled: an idle visitor holds none.
var webchatUpgrader = websocket.Upgrader{
	ReadBufferSize: 1024, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{},
	CheckOrigin: func(r *http.Request) bool { return true },
}

const (
	webchatWriteWait = 10 * time.Second
	webchatAuthWait  = 10 * time.Second
	webchatReadLimit = 64 << 10
	webchatBatch     = 200
)

// webchatSocket serves GET /webchat/socket. The first frame must be {"type":"auth",
// "visitor_id", "visitor_secret", "after"}; then the visitor's messages after "after" come, and
// every new one as it is stored. An idle visitor costs no CPU: nothing polls; the node's event
// reader wakes this socket alone when one of its conversation's messages is stored.
func (a *API) webchatSocket(w http.ResponseWriter, r *http.Request) error {
	if err := a.webchatEnabled(r.Context()); err != nil {
		return err
	}
	// Open sockets are counted per address before the upgrade, per visitor once they say who
	// they are, until the connection ends.
	releaseAddr, _, ok := a.limits.sockets.Take([]string{"a:" + a.clientAddr(r)}, []int{socketsPerAddress})
	if !ok {
		return wire.Errorf(wire.CodeTooManyConnections, "too many chat connections from your address")
	}
	// What the socket holds is let go in reverse order when the handler returns — or, once
	// the chat is open, when the goroutine it is handed to ends (see stream).
	var release []func()
	defer func() {
		for i := len(release) - 1; i >= 0; i-- {
			release[i]()
		}
	}()
	release = append(release, releaseAddr)
	conn, err := webchatUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered
	}
	release = append(release, func() { conn.Close() })
	refuse := func(e *wire.Error) {
		conn.SetWriteDeadline(time.Now().Add(webchatWriteWait))
		conn.WriteJSON(webchat.ServerFrame{Type: "error", Code: e.Code, Message: e.Message})
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, string(e.Code)), time.Now().Add(webchatWriteWait))
	}
	conn.SetReadLimit(webchatReadLimit)
	conn.SetReadDeadline(time.Now().Add(webchatAuthWait))
	var hello webchat.ClientFrame
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "auth" {
		refuse(wire.Errorf(wire.CodeUnauthorized, `the first frame must be {"type":"auth","visitor_id","visitor_secret"}`))
		return nil
	}
	// Not the request's context, which ends with the hijack; its values (the request id) stay.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	release = append(release, cancel)
	if err := a.visitor(ctx, hello.VisitorID, hello.VisitorSecret); err != nil {
		var e *wire.Error
		if !errors.As(err, &e) {
			a.log.ErrorContext(ctx, "webchat: unable to check a visitor", "err", err)
			e = wire.Errorf(wire.CodeInternal, "internal error")
		}
		refuse(e)
		return nil
	}
	releaseVisitor, _, ok := a.limits.sockets.Take([]string{"v:" + hello.VisitorID}, []int{socketsPerVisitor})
	if !ok {
		refuse(wire.Errorf(wire.CodeTooManyConnections, "at most %d chat windows can be open at once: close one", socketsPerVisitor))
		return nil
	}
	release = append(release, releaseVisitor)
	a.sockets.Add(1)
	release = append(release, a.sockets.Done)
	v := stream.NewVisitor(hello.VisitorID)
	a.hub.AddVisitor(v)
	release = append(release, func() { a.hub.RemoveVisitor(v) })
	conn.SetWriteDeadline(time.Now().Add(webchatWriteWait))
	if err := conn.WriteJSON(webchat.ServerFrame{Type: "ready"}); err != nil {
		return nil
	}

	// The chat goes on in goroutines of its own and the handler returns, so that net/http lets
	// go of the connection's buffers (as an agent's stream does).
	held := append([]func(){detach(w)}, release...)
	release = nil
	replies := make(chan webchat.ServerFrame, 16)
	live := a.keep.add(conn)
	held = append(held, func() { a.keep.remove(live) })
	go func() {
		defer cancel()
		a.webchatRead(ctx, conn, live, hello.VisitorID, replies)
	}()
	go func() {
		defer func() {
			for i := len(held) - 1; i >= 0; i-- {
				held[i]()
			}
		}()
		a.webchatWrite(ctx, conn, live, v, hello.After, replies, refuse)
	}()
	return nil
}

// webchatRead takes the visitor's messages in: each is stored through routing.Ingest like any
// channel's inbound message, then acknowledged.
// The node's keepalive pings the socket and closes it when a ping goes unanswered, which ends
// this reader.
func (a *API) webchatRead(ctx context.Context, conn *websocket.Conn, live *liveSocket, visitorID string, replies chan<- webchat.ServerFrame) {
	conn.SetReadLimit(webchatReadLimit)
	conn.SetReadDeadline(time.Time{}) // the auth frame's wait is over
	conn.SetPongHandler(func(string) error { live.seen(); return nil })
	for {
		var in webchat.ClientFrame
		if err := conn.ReadJSON(&in); err != nil {
			return
		}
		live.seen()
		frame := a.webchatIngest(ctx, visitorID, in)
		select {
		case replies <- frame:
		default:
			return // a client that does not read its acks is dropped
		}
	}
}

func (a *API) webchatIngest(ctx context.Context, visitorID string, in webchat.ClientFrame) webchat.ServerFrame {
	fail := func(err error) webchat.ServerFrame {
		var e *wire.Error
		if !errors.As(err, &e) {
			a.log.ErrorContext(ctx, "webchat: unable to store a visitor message", "err", err)
			e = wire.Errorf(wire.CodeInternal, "the message could not be stored; send it again")
		}
		return webchat.ServerFrame{Type: "error", ID: in.ID, Code: e.Code, Message: e.Message}
	}
	if in.Type != "message" {
		return fail(wire.Invalid("type", "unknown frame type %q", in.Type))
	}
	if ok, wait := a.limits.visitorMessages.Allow(visitorID); !ok {
		e := wire.Errorf(wire.CodeRateLimited, "you are sending messages too fast: wait a moment")
		e.RetryAfter = max(int64(wait/time.Second), 1)
		return fail(e)
	}
	if !webchat.ValidClientID(in.ID) {
		return fail(wire.Invalid("id", "the message id must be 1-64 letters, digits, - or _"))
	}
	if len(in.Attachments) > 10 {
		return fail(wire.Invalid("attachments", "at most 10 files in a message"))
	}
	// The visitor's files are checked (their own uploads) and linked in the message's transaction.
	var keys []string
	for _, f := range in.Attachments {
		keys = append(keys, f.Key)
	}
	// What the visitor told about themselves goes on their contact: {{customer.name}} and the
	// side panel read it there.
	v, err := a.store.WebchatVisitor(ctx, visitorID)
	if err != nil {
		return fail(err)
	}
	if _, err := a.routing.Ingest(ctx, routing.Inbound{ChannelID: a.opt.WebchatChannelID, SenderID: visitorID,
		Name: v.Name, Email: v.Email, Phone: v.Phone,
		ExternalID: webchat.ExternalID(visitorID, in.ID), Body: in.Text, Uploaded: keys, Choice: in.Choice}); err != nil {
		return fail(err)
	}
	return webchat.ServerFrame{Type: "ack", ID: in.ID, ClientID: in.ID}
}

// webchatWrite sends the visitor's messages after the cursor, then each new one when the hub
// wakes this socket, and acks.
func (a *API) webchatWrite(ctx context.Context, conn *websocket.Conn, live *liveSocket, v *stream.Visitor, after int64, replies <-chan webchat.ServerFrame, refuse func(*wire.Error)) {
	send := func(f any) bool {
		live.writing()
		conn.SetWriteDeadline(time.Now().Add(webchatWriteWait))
		return conn.WriteJSON(f) == nil
	}
	flush := func() bool {
		for {
			list, err := a.store.WebchatHistory(ctx, a.opt.WebchatChannelID, v.ID, after, webchatBatch)
			if err != nil {
				if ctx.Err() == nil {
					a.log.ErrorContext(ctx, "webchat: unable to read history", "err", err)
				}
				return false
			}
			for _, m := range list {
				if !send(visitorFrame(v.ID, m)) {
					return false
				}
				after = m.ID
			}
			if len(list) < webchatBatch {
				return true
			}
		}
	}
	if !flush() {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.hub.Closing():
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(webchatWriteWait))
			return
		case <-v.Signal():
			if v.ChannelChanged() {
				if err := a.webchatEnabled(ctx); err != nil {
					var e *wire.Error
					errors.As(err, &e)
					refuse(e)
					return
				}
			}
			if !flush() {
				return
			}
		case f := <-replies:
			if !send(f) {
				return
			}
		}
	}
}

// visitorFrame is a stored message as the widget shows it: files by the visitor's own route,
// nothing of the provider's references.
func visitorFrame(visitorID string, m store.WebchatMessage) webchat.ServerFrame {
	f := webchat.ServerFrame{Type: "message", ID: m.ID, Direction: m.Direction, Text: m.Body, At: m.At}
	if m.Interactive != nil {
		f.Choices = m.Interactive.Choices
	}
	if m.Direction == "in" {
		f.ClientID = webchat.ClientIDOf(visitorID, m.ExternalID)
	}
	for _, att := range m.Attachments {
		if key, ok := strings.CutPrefix(att.URL, "/api/v1/media/"); ok {
			att.URL = "/webchat/files/" + key
		} else if strings.HasPrefix(att.URL, "https://") {
			// A chatbot flow's file given by a link: the widget shows it from there.
		} else if att.Kind != "location" {
			att.URL = "" // not in Santral's storage (yet)
		}
		att.Ref = ""
		f.Attachments = append(f.Attachments, att)
	}
	return f
}
