// Package app is the desktop app's Go side: the methods the UI calls (kept thin), wired to the
// sync engine, the local cache, notifications, autostart and the user's settings. The UI never
// talks to the server itself; the server decides every rule, the app caches, shows and asks.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"github.com/emersion/go-autostart"

	"santral/app/cache"
	"santral/app/client"
	"santral/app/notify"
	appsync "santral/app/sync"
	"santral/backend/quick"
	"santral/backend/wire"
)

// Shell is what the app needs from the window (Wails' runtime in the real app).
type Shell interface {
	Emit(event string, data any)
	SetTitle(title string)
	Show()
}

// Config locates the app's files.
type Config struct {
	Dir     string // per-user folder: settings.json, token, cache.db
	Version string
	Getenv  func(string) string
}

// App is bound to the UI; its exported methods are the bindings.
type App struct {
	cfg      Config
	log      *slog.Logger
	shell    Shell
	notifier notify.Notifier
	tokens   tokenStore

	signing  gosync.Mutex // one sign-in or sign-out at a time
	mu       gosync.Mutex
	settings stored
	client   *client.Client
	cache    *cache.Cache
	engine   *appsync.Engine
	stop     context.CancelFunc
	done     chan struct{}
	me       wire.User
	conn     Connection
	focused  bool
	open     int64
}

// New returns the app; start opens the cache and starts syncing when a token is stored.
func New(cfg Config, log *slog.Logger) *App {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	return &App{cfg: cfg, log: log, notifier: notify.Nop{}, tokens: tokenStore{path: filepath.Join(cfg.Dir, "token"), account: "profile-" + profileID(cfg.Dir)},
		settings: loadStored(cfg.Dir, cfg.Getenv), focused: true,
		conn: Connection{State: appsync.StateSignedOut, Since: time.Now().UnixMilli()}}
}

// DefaultDir is the per-user folder of the app's files.
func DefaultDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Santral")
	}
	return filepath.Join(os.TempDir(), "santral")
}

// windowSize is the remembered window size.
func (a *App) windowSize() (int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings.Width, a.settings.Height
}

// rememberWindowSize stores the window size at close.
func (a *App) rememberWindowSize(w, h int) {
	if w < 400 || h < 300 {
		return
	}
	a.mu.Lock()
	a.settings.Width, a.settings.Height = w, h
	s := a.settings
	a.mu.Unlock()
	saveStored(a.cfg.Dir, s)
}

// start attaches the window and notifier, and resumes the stored session: the inbox is read
// from the cache at once while the engine connects.
func (a *App) start(shell Shell, n notify.Notifier) {
	a.mu.Lock()
	a.shell = shell
	if n != nil {
		a.notifier = n
	}
	server := a.settings.ServerURL
	a.mu.Unlock()
	if server == "" {
		return
	}
	c, err := cache.Open(filepath.Join(a.cfg.Dir, "cache.db"))
	if err != nil {
		a.log.Error("cache unavailable", "err", err)
		return
	}
	me, ok, _ := c.Me()
	if !ok {
		c.Close()
		return
	}
	// The inbox shows from the cache now; the token (the OS credential store may take a moment)
	// and the connection follow.
	a.mu.Lock()
	a.cache, a.me = c, me
	a.conn = Connection{State: appsync.StateConnecting, Since: time.Now().UnixMilli()}
	a.mu.Unlock()
	go func() {
		a.signing.Lock()
		defer a.signing.Unlock()
		token, err := a.tokens.Load()
		a.mu.Lock()
		still := a.cache == c && a.client == nil
		a.mu.Unlock()
		if !still {
			return
		}
		if err != nil || token == "" {
			a.signedOut()
			return
		}
		a.begin(client.New(server, token), c, me)
	}()
}

// shutdown stops syncing and closes the cache.
func (a *App) shutdown() {
	a.halt()
	a.notifier.Close()
}

// begin starts the sync engine for a signed-in user.
func (a *App) begin(cl *client.Client, c *cache.Cache, me wire.User) {
	ctx, cancel := context.WithCancel(context.Background())
	a.mu.Lock()
	a.client, a.cache, a.me, a.stop, a.done = cl, c, me, cancel, make(chan struct{})
	a.conn = Connection{State: appsync.StateConnecting, Since: time.Now().UnixMilli()}
	var engine *appsync.Engine
	a.engine = appsync.New(c, cl, me.ID, appsync.Hooks{
		// A late refusal from an engine already replaced (a new sign-in) changes nothing.
		SignedOut: func() {
			go func() {
				a.signing.Lock()
				defer a.signing.Unlock()
				a.mu.Lock()
				current := a.engine == engine
				a.mu.Unlock()
				if current {
					a.signedOut()
				}
			}()
		},
		State:   a.onState,
		Effects: a.onEffects,
		Outbox:  func(convID int64) { a.emit("conversation", map[string]int64{"id": convID}) },
	}, appsync.Options{}, a.log)
	engine = a.engine
	done := a.done
	a.mu.Unlock()
	go func() { engine.Run(ctx); close(done) }()
	a.emit("session", nil)
	a.refreshTitle()
}

// halt stops the engine and closes the cache.
func (a *App) halt() {
	a.mu.Lock()
	stop, done, c := a.stop, a.done, a.cache
	a.stop, a.engine, a.client, a.cache = nil, nil, nil, nil
	a.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if c != nil {
		c.Close()
	}
}

func (a *App) signedOut() {
	a.halt()
	a.tokens.Clear()
	a.mu.Lock()
	a.conn = Connection{State: appsync.StateSignedOut, Since: time.Now().UnixMilli()}
	a.mu.Unlock()
	a.emit("session", nil)
}

func (a *App) emit(event string, data any) {
	a.mu.Lock()
	sh := a.shell
	a.mu.Unlock()
	if sh != nil {
		sh.Emit(event, data)
	}
}

func (a *App) onState(s appsync.State) {
	a.mu.Lock()
	a.conn = Connection{State: s.State, Since: s.Since.UnixMilli(), Attempt: s.Attempt, Error: s.Err}
	c := a.conn
	a.mu.Unlock()
	a.emit("connection", c)
}

// onEffects turns applied events into notifications and redraws.
func (a *App) onEffects(fx cache.Effects) {
	a.mu.Lock()
	focused, sound, lang := a.focused, a.settings.Preferences.Sound, a.settings.Preferences.Language
	c := a.cache
	if fx.MeChanged && c != nil {
		if me, ok, _ := c.Me(); ok {
			a.me = me
		}
	}
	a.mu.Unlock()
	t := texts[lang]
	for _, conv := range fx.AssignedToMe {
		a.notify(notify.Notification{Title: fmt.Sprintf(t.assigned, name(conv.Contact)), Body: conv.LastMessagePreview, ConversationID: conv.ID, Sound: sound})
	}
	for _, o := range fx.OffersToMe {
		from := ""
		if c != nil {
			if u, ok := c.Agent(o.FromAgentID); ok {
				from = u.DisplayName
			}
		}
		a.notify(notify.Notification{Title: fmt.Sprintf(t.offer, from), Body: o.Note, ConversationID: o.ConversationID, Sound: sound})
	}
	if !focused {
		for _, m := range fx.CustomerMessages {
			who := ""
			if c != nil {
				if d, ok, _ := c.Detail(m.ConversationID); ok {
					who = name(d.Conversation.Contact)
				}
			}
			a.notify(notify.Notification{Title: fmt.Sprintf(t.message, who), Body: m.Body, ConversationID: m.ConversationID, Sound: sound})
		}
	}
	if fx.InboxChanged || fx.CatalogChanged {
		a.emit("inbox", nil)
	}
	seen := map[int64]bool{}
	for _, id := range fx.Conversations {
		if !seen[id] {
			seen[id] = true
			a.emit("conversation", map[string]int64{"id": id})
		}
	}
	if fx.MeChanged {
		a.emit("session", nil)
	}
	a.refreshTitle()
}

func (a *App) notify(n notify.Notification) {
	if err := a.notifier.Notify(n); err != nil {
		a.log.Warn("notification failed", "err", err)
	}
}

func name(c wire.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	if c.Phone != "" {
		return c.Phone
	}
	return c.ExternalID
}

var texts = map[string]struct{ assigned, offer, message string }{
	"tr": {"Yeni sohbet: %s", "Aktarım teklifi: %s", "%s yazdı"},
	"en": {"New conversation: %s", "Transfer offer from %s", "%s wrote"},
}

// openFromNotification brings the window forward on a conversation (a notification click or a
// second launch).
func (a *App) openFromNotification(convID int64) {
	a.log.Info("opening a conversation from a notification or a second launch", "conversation_id", convID)
	a.mu.Lock()
	sh := a.shell
	a.mu.Unlock()
	if sh != nil {
		sh.Show()
	}
	if convID != 0 { // 0: a second launch, which only brings the window forward
		a.emit("open-conversation", map[string]int64{"id": convID})
	}
}

// refreshTitle puts the unread count on the window.
func (a *App) refreshTitle() {
	a.mu.Lock()
	c, me, sh := a.cache, a.me.ID, a.shell
	a.mu.Unlock()
	if sh == nil {
		return
	}
	unread := 0
	if c != nil {
		if l, err := c.Lists(me); err == nil {
			for _, h := range l.Mine {
				unread += h.Unread
			}
		}
	}
	title := "Santral"
	if unread > 0 {
		title = fmt.Sprintf("(%d) Santral", unread)
	}
	sh.SetTitle(title)
}

// uiError is how a refusal reaches the UI: JSON with a stable code it translates.
func uiError(err error) error {
	if err == nil {
		return nil
	}
	b, _ := json.Marshal(client.AsError(err))
	return errors.New(string(b))
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// session returns the client, cache and user, or signed_out.
func (a *App) session() (*client.Client, *cache.Cache, wire.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil {
		return nil, nil, wire.User{}, &wire.Error{Code: client.CodeSignedOut, Message: "sign in first"}
	}
	if a.client == nil {
		return nil, a.cache, a.me, &wire.Error{Code: client.CodeOffline, Message: "still connecting"}
	}
	return a.client, a.cache, a.me, nil
}

// cached returns the cache and user: what works before (or without) a connection.
func (a *App) cached() (*cache.Cache, wire.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil {
		return nil, wire.User{}, &wire.Error{Code: client.CodeSignedOut, Message: "sign in first"}
	}
	return a.cache, a.me, nil
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 20*time.Second)
}

// ---- bindings ----

// Session tells the UI who is signed in and how the connection is.
func (a *App) Session() Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Session{SignedIn: a.cache != nil, ServerURL: a.settings.ServerURL, Username: a.settings.Username,
		Connection: a.conn, Preferences: a.settings.Preferences, Version: a.cfg.Version}
	if a.cache != nil {
		me := a.me
		s.User = &me
	}
	return s
}

// Login signs in to a server and starts syncing.
func (a *App) Login(serverURL, username, password string) (Session, error) {
	base, err := client.NormalizeURL(serverURL)
	if err != nil {
		return Session{}, uiError(err)
	}
	username = strings.TrimSpace(username)
	a.signing.Lock()
	defer a.signing.Unlock()
	cl := client.New(base, "")
	c, cancel := ctx()
	defer cancel()
	res, err := cl.Login(c, username, password)
	if err != nil {
		return Session{}, uiError(err)
	}
	a.halt()
	ch, err := cache.Open(filepath.Join(a.cfg.Dir, "cache.db"))
	if err != nil {
		return Session{}, uiError(err)
	}
	if err := ch.Bind(cache.Account{ServerURL: base, UserID: res.User.ID}); err != nil {
		ch.Close()
		return Session{}, uiError(err)
	}
	ch.SetMe(res.User)
	if err := a.tokens.Save(res.Token); err != nil {
		ch.Close()
		return Session{}, uiError(err)
	}
	a.mu.Lock()
	a.settings.ServerURL, a.settings.Username = base, username
	s := a.settings
	a.mu.Unlock()
	saveStored(a.cfg.Dir, s)
	a.begin(cl, ch, res.User)
	return a.Session(), nil
}

// Logout signs out on the server (which takes the user offline) and forgets the token.
func (a *App) Logout() error {
	a.signing.Lock()
	defer a.signing.Unlock()
	cl, _, _, err := a.session()
	if err == nil {
		c, cancel := ctx()
		cl.Do(c, "POST", "/api/v1/auth/logout", nil, nil)
		cancel()
	}
	a.signedOut()
	return nil
}

// SavePreferences stores language, theme, sound and autostart.
func (a *App) SavePreferences(p Preferences) (Session, error) {
	if err := validPreferences(p); err != nil {
		return Session{}, uiError(wire.Invalid("preferences", "%s", err.Error()))
	}
	a.mu.Lock()
	was := a.settings.Preferences.Autostart
	a.settings.Preferences = p
	s := a.settings
	a.mu.Unlock()
	if p.Autostart != was {
		if err := setAutostart(p.Autostart); err != nil {
			a.log.Warn("autostart change failed", "err", err)
		}
	}
	if err := saveStored(a.cfg.Dir, s); err != nil {
		return Session{}, uiError(err)
	}
	return a.Session(), nil
}

// SetFocused tells the app whether its window has focus (notifications for customer messages
// come only when it has not).
func (a *App) SetFocused(focused bool) {
	a.mu.Lock()
	a.focused = focused
	eng, c, open := a.engine, a.cache, a.open
	a.mu.Unlock()
	if eng == nil {
		return
	}
	// A conversation on screen is read only while someone can see it.
	if !focused {
		eng.SetOpen(0)
		return
	}
	eng.SetOpen(open)
	if open != 0 && c != nil {
		c.MarkRead(open)
		a.emit("inbox", nil)
		a.refreshTitle()
	}
}

// SetPresence changes the user's presence on the server.
func (a *App) SetPresence(presence, reason string) (wire.User, error) {
	cl, c, _, err := a.session()
	if err != nil {
		return wire.User{}, uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	var u wire.User
	if err := cl.Do(cx, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Presence(presence), Reason: reason}, &u); err != nil {
		return u, uiError(err)
	}
	c.SetMe(u)
	a.mu.Lock()
	a.me = u
	a.mu.Unlock()
	return u, nil
}

// Inbox reads the main screen from the cache.
func (a *App) Inbox() (Inbox, error) {
	c, me, err := a.cached()
	if err != nil {
		return Inbox{}, uiError(err)
	}
	l, err := c.Lists(me.ID)
	if err != nil {
		return Inbox{}, uiError(err)
	}
	in := Inbox{Queue: l.Queue, Offers: l.Offers, Agents: l.Agents, EndReasons: l.EndReasons, QuickMessages: l.QuickMessages,
		Workspace: l.Workspace, Mine: []InboxItem{}, ServerTime: time.Now().UnixMilli()}
	for _, h := range l.Mine {
		in.Mine = append(in.Mine, InboxItem{Conversation: h.Conversation, Unread: h.Unread})
		in.UnreadTotal += h.Unread
	}
	return in, nil
}

// OpenConversation shows a conversation: fresh from the server when it answers, from the cache
// otherwise. It is marked read.
func (a *App) OpenConversation(id int64) (ConversationView, error) {
	c, _, err := a.cached()
	if err != nil {
		return ConversationView{}, uiError(err)
	}
	cl, _, _, _ := a.session()
	a.mu.Lock()
	a.open = id
	eng := a.engine
	a.mu.Unlock()
	if eng != nil {
		eng.SetOpen(id)
	}
	c.MarkRead(id)
	defer a.refreshTitle()
	cx, cancel := ctx()
	defer cancel()
	v := ConversationView{}
	var d wire.ConversationDetail
	err = client.ErrOffline
	if cl != nil {
		d, err = cl.Conversation(cx, id)
	}
	if err == nil {
		c.PutDetail(d)
	} else if errors.Is(err, client.ErrOffline) {
		var ok bool
		if d, ok, err = c.Detail(id); err != nil || !ok {
			return v, uiError(&wire.Error{Code: client.CodeOffline, Message: "this conversation is not available offline"})
		}
		v.FromCache = true
	} else {
		return v, uiError(err)
	}
	v.Conversation, v.Messages, v.Timeline, v.Earlier, v.PendingOffer = d.Conversation, d.Messages, d.Timeline, d.Earlier, d.PendingOffer
	v.WindowClosesAt = d.WindowClosesAt
	if v.Messages == nil {
		v.Messages = []wire.Message{}
	}
	if v.Timeline == nil {
		v.Timeline = []wire.TimelineEntry{}
	}
	unsent, _ := c.Unsent(id)
	v.Outbox = []OutboxItem{}
	for _, e := range unsent {
		v.Outbox = append(v.Outbox, outboxItem(e))
	}
	return v, nil
}

func outboxItem(e cache.OutboxEntry) OutboxItem {
	return OutboxItem{Key: e.Key, ConversationID: e.ConversationID, Body: e.Body, State: e.State, Error: e.Error, CreatedAt: e.CreatedAt, MessageID: e.MessageID, Attachments: e.Attachments}
}

// Send queues a reply in the local outbox; the sync engine delivers it exactly once, now or
// when the connection returns.
func (a *App) Send(conversationID int64, body string) (OutboxItem, error) {
	return a.SendWithAttachments(conversationID, body, nil)
}

// SendWithAttachments queues a reply with files already uploaded (UploadAttachment); the
// text may be empty when there is a file. Like Send, it is delivered by the sync engine.
func (a *App) SendWithAttachments(conversationID int64, body string, attachments []wire.Attachment) (OutboxItem, error) {
	c, _, err := a.cached()
	if err != nil {
		return OutboxItem{}, uiError(err)
	}
	if strings.TrimSpace(body) == "" && len(attachments) == 0 {
		return OutboxItem{}, uiError(wire.Errorf(wire.CodeEmptyMessage, "a message needs text"))
	}
	for _, at := range attachments {
		if at.URL == "" || at.Kind == "" {
			return OutboxItem{}, uiError(wire.Invalid("attachments", "an attachment must be uploaded first"))
		}
	}
	if len(attachments) == 0 {
		attachments = nil
	}
	e := cache.OutboxEntry{Key: newKey(), ConversationID: conversationID, Body: body, State: cache.OutboxQueued, CreatedAt: time.Now().UnixMilli(), Attachments: attachments}
	if err := c.Enqueue(e); err != nil {
		return OutboxItem{}, uiError(err)
	}
	a.kick()
	return outboxItem(e), nil
}

func (a *App) kick() {
	a.mu.Lock()
	eng := a.engine
	a.mu.Unlock()
	if eng != nil {
		eng.Kick()
	}
}

// RetrySend queues a failed reply again.
func (a *App) RetrySend(key string) error {
	c, _, err := a.cached()
	if err != nil {
		return uiError(err)
	}
	if err := c.Retry(key); err != nil {
		return uiError(err)
	}
	a.kick()
	return nil
}

// DiscardSend drops a reply that was not sent.
func (a *App) DiscardSend(key string) error {
	c, _, err := a.cached()
	if err != nil {
		return uiError(err)
	}
	return uiError(c.Discard(key))
}

// call is a server action: the server decides, the stream brings the outcome to the cache.
func (a *App) call(method, path string, body, out any) error {
	cl, _, _, err := a.session()
	if err != nil {
		return uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	return uiError(cl.Do(cx, method, path, body, out))
}

// Pull takes the oldest conversation from the queue.
func (a *App) Pull() (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", "/api/v1/queue/pull", nil, &c)
}

// Transfer offers a conversation to another online agent with a note.
func (a *App) Transfer(conversationID, toAgentID int64, note string) (wire.TransferOffer, error) {
	var o wire.TransferOffer
	return o, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conversationID), wire.TransferRequest{ToAgentID: toAgentID, Note: note}, &o)
}

// AcceptTransfer accepts an offer addressed to the user.
func (a *App) AcceptTransfer(offerID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", offerID), nil, &c)
}

// RejectTransfer declines an offer.
func (a *App) RejectTransfer(offerID int64) error {
	return a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", offerID), nil, nil)
}

// CancelTransfer takes back an offer the user sent.
func (a *App) CancelTransfer(offerID int64) error {
	return a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", offerID), nil, nil)
}

// End ends a conversation with a reason.
func (a *App) End(conversationID, endReasonID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/end", conversationID), wire.EndRequest{EndReasonID: endReasonID}, &c)
}

// TakeUp starts an ended conversation again.
func (a *App) TakeUp(conversationID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", conversationID), nil, &c)
}

// History searches the history or ended tab (online only: the server holds the history).
func (a *App) History(q HistoryQuery) (wire.ConversationPage, error) {
	v := url.Values{}
	view := q.View
	if view != "ended" {
		view = "history"
	}
	v.Set("view", view)
	for k, s := range map[string]string{"q": q.Text, "customer": q.Customer, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	// Dates are the agent's local days; the server takes instants (unix ms). "To" is inclusive.
	for k, day := range map[string]string{"from": q.From, "to": q.To} {
		if day == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", day, time.Local)
		if err != nil {
			return wire.ConversationPage{}, uiError(wire.Invalid(k, "%s must be a date (YYYY-MM-DD)", k))
		}
		if k == "to" {
			t = t.AddDate(0, 0, 1)
		}
		v.Set(k, fmt.Sprint(t.UnixMilli()))
	}
	for k, n := range map[string]int64{"channel_id": q.ChannelID, "agent_id": q.AgentID, "end_reason_id": q.EndReasonID} {
		if n != 0 {
			v.Set(k, fmt.Sprint(n))
		}
	}
	var page wire.ConversationPage
	err := a.call("GET", "/api/v1/conversations?"+v.Encode(), nil, &page)
	if page.Conversations == nil {
		page.Conversations = []wire.Conversation{}
	}
	return page, err
}

// RenderQuickMessage fills a quick message's variables for a conversation, from the cache so it
// works offline.
func (a *App) RenderQuickMessage(conversationID, quickMessageID int64) (string, error) {
	c, me, err := a.cached()
	if err != nil {
		return "", uiError(err)
	}
	q, ok := c.QuickMessage(quickMessageID)
	if !ok {
		return "", uiError(wire.Errorf(wire.CodeNotFound, "quick message not found"))
	}
	vars := quick.Vars{AgentName: me.DisplayName}
	if d, ok, _ := c.Detail(conversationID); ok {
		vars.CustomerName, vars.CustomerPhone = d.Conversation.Contact.Name, d.Conversation.Contact.Phone
	}
	return quick.Render(q.Body, vars), nil
}

// Templates lists the approved templates of a conversation's channel (Paid: charged if sent now).
func (a *App) Templates(conversationID int64) ([]wire.Template, error) {
	var list []wire.Template
	err := a.call("GET", fmt.Sprintf("/api/v1/conversations/%d/templates", conversationID), nil, &list)
	if list == nil {
		list = []wire.Template{}
	}
	return list, err
}

// SendTemplate sends an approved template with its parameters (the only message the WhatsApp
// window allows once closed).
func (a *App) SendTemplate(conversationID, templateID int64, params []string) (wire.Message, error) {
	if params == nil {
		params = []string{}
	}
	var m wire.Message
	return m, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/template", conversationID),
		wire.SendTemplateRequest{TemplateID: templateID, Params: params, IdempotencyKey: newKey()}, &m)
}

// MaxAttachment is the largest file the composer uploads.
const MaxAttachment = 100 << 20

// UploadAttachment uploads a file (base64) to a conversation the user holds and returns the
// stored attachment to send with SendWithAttachments. It needs the connection: files are not
// queued offline.
func (a *App) UploadAttachment(conversationID int64, name, mime, dataBase64 string) (wire.Attachment, error) {
	if base64.StdEncoding.DecodedLen(len(dataBase64)) > MaxAttachment+2 {
		return wire.Attachment{}, uiError(&wire.Error{Code: wire.CodeBodyTooLarge, Field: "file", Message: "a file may be at most 100 MB"})
	}
	data, err := base64.StdEncoding.DecodeString(dataBase64)
	if err != nil {
		return wire.Attachment{}, uiError(wire.Invalid("file", "the file could not be read"))
	}
	if len(data) > MaxAttachment {
		return wire.Attachment{}, uiError(&wire.Error{Code: wire.CodeBodyTooLarge, Field: "file", Message: "a file may be at most 100 MB"})
	}
	if len(data) == 0 {
		return wire.Attachment{}, uiError(wire.Invalid("file", "the file is empty"))
	}
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	cl, _, _, err := a.session()
	if err != nil {
		return wire.Attachment{}, uiError(err)
	}
	cx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var at wire.Attachment
	err = cl.Upload(cx, fmt.Sprintf("/api/v1/conversations/%d/attachments", conversationID), "file", name, mime, data, &at)
	return at, uiError(err)
}

// ChannelAccounts lists the channel accounts (admins): settings and which credentials are set,
// never their values.
func (a *App) ChannelAccounts() ([]wire.ChannelAccount, error) {
	var list []wire.ChannelAccount
	err := a.call("GET", "/api/v1/channel-accounts", nil, &list)
	if list == nil {
		list = []wire.ChannelAccount{}
	}
	return list, err
}

// SaveChannelAccount creates a channel account (id 0) or changes one: only the fields sent
// change, and a credential sent replaces the stored one.
func (a *App) SaveChannelAccount(id int64, req wire.ChannelRequest) (wire.ChannelAccount, error) {
	var out wire.ChannelAccount
	if id == 0 {
		return out, a.call("POST", "/api/v1/channel-accounts", req, &out)
	}
	req.Type = "" // a channel's type never changes
	return out, a.call("PATCH", fmt.Sprintf("/api/v1/channel-accounts/%d", id), req, &out)
}

// SyncTemplates fetches a WhatsApp account's approved templates from Meta.
func (a *App) SyncTemplates(id int64) ([]wire.Template, error) {
	var list []wire.Template
	err := a.call("POST", fmt.Sprintf("/api/v1/channel-accounts/%d/templates/sync", id), nil, &list)
	if list == nil {
		list = []wire.Template{}
	}
	return list, err
}

const mediaPrefix = "/api/v1/media/"

// MediaURL fetches a stored media file (a server path /api/v1/media/<key>) once into the
// profile's media folder and returns it as a data: URL of the given MIME type for previews.
func (a *App) MediaURL(path, mime string) (string, error) {
	key, ok := strings.CutPrefix(path, mediaPrefix)
	if !ok || key == "" || strings.ContainsAny(key, "/\\?#%") || key == "." || key == ".." {
		return "", uiError(wire.Invalid("path", "not a media path"))
	}
	if mime == "" || strings.ContainsAny(mime, ",;\r\n ") {
		mime = "application/octet-stream"
	}
	file := filepath.Join(a.cfg.Dir, "media", key)
	b, err := os.ReadFile(file)
	if err != nil {
		cl, _, _, err := a.session()
		if err != nil {
			return "", uiError(err)
		}
		if b, err = download(cl, path); err != nil {
			return "", uiError(err)
		}
		// Best effort: a preview still works when the cache cannot be written.
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err == nil {
			if f, err := os.CreateTemp(filepath.Dir(file), key+".*.part"); err == nil {
				_, werr := f.Write(b)
				if cerr := f.Close(); werr == nil && cerr == nil {
					_ = os.Rename(f.Name(), file)
				}
				_ = os.Remove(f.Name())
			}
		}
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b), nil
}

// download reads a media file with the bearer token.
func download(cl *client.Client, path string) ([]byte, error) {
	cx, cancel := ctx()
	defer cancel()
	req, err := http.NewRequestWithContext(cx, "GET", cl.Base()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", client.ErrOffline, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var eb wire.ErrorBody
		if json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&eb) == nil && eb.Error.Code != "" {
			return nil, &eb.Error
		}
		return nil, &wire.Error{Code: wire.CodeInternal, Message: fmt.Sprintf("the server answered %s", res.Status)}
	}
	const max = 64 << 20
	b, err := io.ReadAll(io.LimitReader(res.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", client.ErrOffline, err)
	}
	if len(b) > max {
		return nil, wire.Invalid("path", "the file is too large to preview")
	}
	return b, nil
}

// setAutostart registers or removes the app at login.
func setAutostart(on bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	app := &autostart.App{Name: "santral", DisplayName: "Santral", Exec: []string{exe}}
	if on == app.IsEnabled() {
		return nil
	}
	if on {
		return app.Enable()
	}
	return app.Disable()
}
