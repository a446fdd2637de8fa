// Package app is the desktop app's Go side: the methods the UI calls (kept thin), wired to the
// sync engine, the local cache, notifications, autostart and the user's settings. The UI never
// talks to the server itself; the server decides every rule, the app caches, shows and asks.
//
// The files are named for their jobs: app.go the life cycle (sign-in state, the sync engine),
// session.go the session bindings and preferences, conversations.go the inbox and the rule
// actions (each one server call), outbox.go replies, uploads.go files sent in replies,
// media.go the media cache, admin.go channel accounts, notifications.go what reaches the OS.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"santral/app/cache"
	"santral/app/client"
	"santral/app/notify"
	appsync "santral/app/sync"
	"santral/backend/version"
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
	// Dashboard: this process is the supervisor's dashboard window (--dashboard), not the inbox.
	Dashboard bool
}

// App is bound to the UI; its exported methods are the bindings.
type App struct {
	cfg      Config
	log      *slog.Logger
	shell    Shell
	notifier notify.Notifier
	tokens   tokenStore
	clock    *client.Clock // the server's "now"; every client of this app measures into it

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
	sending  map[string]chan struct{} // outbox keys a Send binding waits on
	uploads  map[string]*upload       // files being handed over by the UI in chunks
	update   UpdateStatus             // the server's accepted versions against this app's (updates.go)
	dash     dashboardFeed            // the dashboard window's snapshot (dashboard.go)
	firstRun bool                     // no settings.json yet: the machine's defaults apply in full
	resumed  *resumed                 // the stored session read before the window opened (resume)
}

// resumed is what resume read from the cache, for start to carry on from.
type resumed struct {
	cache *cache.Cache
	me    wire.User
}

// New returns the app; start opens the cache and starts syncing when a token is stored.
func New(cfg Config, log *slog.Logger) *App {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	return &App{cfg: cfg, log: log, notifier: notify.Nop{}, tokens: tokenStore{path: filepath.Join(cfg.Dir, "token"), account: "profile-" + profileID(cfg.Dir)},
		clock: client.NewClock(), settings: loadStored(cfg.Dir, cfg.Getenv), focused: true,
		conn:    Connection{State: appsync.StateSignedOut, Since: time.Now().UnixMilli()},
		sending: map[string]chan struct{}{}, uploads: map[string]*upload{},
		update:   UpdateStatus{State: UpdateState(version.Unknown), Version: cfg.Version},
		firstRun: !fileExists(filepath.Join(cfg.Dir, "settings.json"))}
}

// DefaultDir is the per-user folder of the app's files.
func DefaultDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "Santral")
	}
	return filepath.Join(os.TempDir(), "santral")
}

// resume opens the cache of the stored session, so the UI's first Session and Inbox answer from
// it: RunWindow calls it before the window loads the page (Wails calls OnStartup beside the
// page's load, not before it, and a page that asked first would draw signed out or an empty
// inbox). start carries on from it; without it, start opens the cache itself.
func (a *App) resume() {
	a.mu.Lock()
	server, done := a.settings.ServerURL, a.resumed != nil || a.cache != nil
	a.mu.Unlock()
	if server == "" || done {
		return
	}
	c, err := cache.Open(a.cachePath())
	if err != nil {
		a.log.Error("cache unavailable", "err", err)
		return
	}
	me, ok, _ := c.Me()
	if !ok {
		if me, ok = a.adoptSession(c, server); !ok {
			c.Close()
			return
		}
	}
	if off, ok := c.ClockOffset(); ok {
		a.clock.Restore(off)
	}
	// The inbox shows from the cache now; the token (the OS credential store may take a moment)
	// and the connection follow, in start.
	a.mu.Lock()
	a.resumed = &resumed{cache: c, me: me}
	a.cache, a.me = c, me
	a.conn = Connection{State: appsync.StateConnecting, Since: time.Now().UnixMilli()}
	a.mu.Unlock()
}

// start attaches the window and notifier, and resumes the stored session (resume, if RunWindow
// did not already): the inbox is read from the cache at once while the engine connects.
func (a *App) start(shell Shell, n notify.Notifier) {
	a.mu.Lock()
	a.shell = shell
	if n != nil {
		a.notifier = n
	}
	server := a.settings.ServerURL
	a.mu.Unlock()
	os.RemoveAll(a.uploadDir()) // files half handed over by an earlier run
	a.applyInstallerAutostart()
	if server == "" {
		return
	}
	go a.checkUpdates(server) // the update screen, if any, comes before everything else
	a.resume()
	a.mu.Lock()
	r := a.resumed
	a.resumed = nil
	a.mu.Unlock()
	if r == nil {
		return
	}
	c, me := r.cache, r.me
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
		a.begin(client.New(server, token).WithClock(a.clock), c, me)
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
		State:    a.onState,
		Effects:  a.onEffects,
		Outbox:   a.onOutbox,
		Received: a.onReceived,
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
	a.dropUploads()
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
	a.conn = Connection{State: s.State, Since: s.Since.UnixMilli(), Attempt: s.Attempt, Error: s.Err, Reason: s.Reason}
	c := a.conn
	a.mu.Unlock()
	a.emit("connection", c)
	a.dashboardState(s)
}

// connected reports whether the sync engine is connected right now (replies go out at once).
func (a *App) connected() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.conn.State == appsync.StateConnected
}

// now is the server's current time (unix ms), the one every deadline is written in.
func (a *App) now() int64 { return a.clock.Now() }

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
