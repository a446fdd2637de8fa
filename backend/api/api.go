// Package api is santrald's HTTP and WebSocket surface for the desktop app: one route table,
// handlers that return errors, and one function that turns errors into JSON with stable codes.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"santral/backend/auth"
	"santral/backend/commerce"
	"santral/backend/media"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

//go:embed openapi.yaml
var openAPI []byte

// Options are the API's settings, filled from the server config.
type Options struct {
	Node             string        // this process's id, for connection bookkeeping
	DatabaseID       string        // the database's identity, sent in the stream's hello
	Files            media.Store   // stored media files
	SandboxChannelID int64         // 0: the sandbox channel is off
	SandboxToken     string        // when set, sandbox calls must carry it
	WebchatChannelID int64         // the website chat widget's channel; 0: off
	StreamPoll       time.Duration // how often a stream re-reads the log without a wake (other processes)
	PingInterval     time.Duration
	MaxBacklog       int64 // a client further behind than this must resync
	PasswordCost     int   // bcrypt cost for new passwords

	SessionLifetime time.Duration  // a login token's life from login
	SessionIdle     time.Duration  // a token unused this long ends; 0: never
	TrustedProxies  []netip.Prefix // reverse proxies whose X-Forwarded-For names the client

	VisitorUploadsPerDay     int   // files one website visitor may upload in 24 hours
	VisitorUploadBytesPerDay int64 // and their bytes

	Observer    RequestObserver // counts and times requests; nil: nobody
	ReadyChecks []ReadyCheck    // what GET /readyz checks

	Shop *commerce.Service // the shop in the conversation; nil: no store can be connected

	// ReportMaxConversations bounds the conversations one report reads (its figures are
	// computed in memory); a range with more is report_too_large. 0: 50,000.
	ReportMaxConversations int
}

// API serves the HTTP routes.
type API struct {
	store   *store.Store
	routing *routing.Service
	hub     *stream.Hub
	opt     Options
	log     *slog.Logger
	limits  *limits
	sockets sync.WaitGroup // open WebSockets (agents' streams, visitors)
	keep    *keepalive     // pings them all from one goroutine
	// webhookAccounts: channel accounts as webhooks read them (a second's cache).
	webhookAccounts accountCache
}

// CloseSockets tells every open WebSocket to go away and waits until their handlers have
// finished (their disconnections recorded), at most until ctx ends.
func (a *API) CloseSockets(ctx context.Context) {
	a.hub.Shutdown()
	done := make(chan struct{})
	go func() { a.sockets.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// New returns the API.
func New(s *store.Store, r *routing.Service, hub *stream.Hub, opt Options, log *slog.Logger) *API {
	if opt.StreamPoll <= 0 {
		opt.StreamPoll = time.Second
	}
	if opt.PingInterval <= 0 {
		opt.PingInterval = 20 * time.Second
	}
	if opt.PasswordCost == 0 {
		opt.PasswordCost = auth.DefaultCost
	}
	if opt.MaxBacklog <= 0 {
		opt.MaxBacklog = 100_000
	}
	if opt.SessionLifetime <= 0 {
		opt.SessionLifetime = 30 * 24 * time.Hour
	}
	if opt.ReportMaxConversations <= 0 {
		opt.ReportMaxConversations = 50_000
	}
	if opt.VisitorUploadsPerDay <= 0 {
		opt.VisitorUploadsPerDay = 20
	}
	if opt.VisitorUploadBytesPerDay <= 0 {
		opt.VisitorUploadBytesPerDay = 50 << 20
	}
	log = slog.New(LogRequestIDs(log.Handler()))
	return &API{store: s, routing: r, hub: hub, opt: opt, log: log, limits: newLimits(), keep: newKeepalive(opt.PingInterval)}
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a handler for a logged-in user.
type authedFunc func(w http.ResponseWriter, r *http.Request, u wire.User) error

// Handler returns the route table.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	any := []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}
	staff := []wire.Role{wire.RoleAdmin, wire.RoleSupervisor}
	admin := []wire.Role{wire.RoleAdmin}

	mux.Handle("GET /healthz", a.public(a.health))
	mux.Handle("GET /readyz", a.public(a.ready))
	mux.Handle("GET /api/openapi.yaml", a.public(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/yaml")
		_, err := w.Write(openAPI)
		return err
	}))
	mux.Handle("POST /api/v1/auth/login", a.perAddress(a.limits.login)(a.public(a.login)))
	mux.Handle("POST /api/v1/auth/logout", a.authed(a.logout, any...))
	mux.Handle("GET /api/v1/me", a.authed(a.me, any...))
	mux.Handle("PUT /api/v1/me/presence", a.authed(a.setPresence, any...))
	mux.Handle("PUT /api/v1/me/password", a.authed(a.changePassword, any...))
	mux.Handle("GET /api/v1/stream", a.authed(a.stream, any...))

	mux.Handle("GET /api/v1/users", a.authed(a.listUsers, any...))
	mux.Handle("POST /api/v1/users", a.authed(a.createUser, admin...))
	mux.Handle("PATCH /api/v1/users/{id}", a.authed(a.updateUser, staff...))
	mux.Handle("GET /api/v1/settings", a.authed(a.getSettings, any...))
	mux.Handle("PUT /api/v1/settings", a.authed(a.putSettings, admin...))
	mux.Handle("GET /api/v1/channels", a.authed(a.listChannels, any...))
	mux.Handle("GET /api/v1/channel-accounts", a.authed(a.listChannelAccounts, admin...))
	mux.Handle("POST /api/v1/channel-accounts", a.authed(a.createChannelAccount, admin...))
	mux.Handle("PATCH /api/v1/channel-accounts/{id}", a.authed(a.updateChannelAccount, admin...))
	mux.Handle("POST /api/v1/channel-accounts/{id}/templates/sync", a.authed(a.syncTemplates, admin...))
	mux.Handle("GET /api/v1/channel-accounts/{id}/rejected", a.authed(a.rejectedMessages, admin...))
	mux.Handle("GET /api/v1/end-reasons", a.authed(a.listEndReasons, any...))
	mux.Handle("POST /api/v1/end-reasons", a.authed(a.createEndReason, admin...))
	mux.Handle("PUT /api/v1/end-reasons/{id}", a.authed(a.updateEndReason, admin...))
	mux.Handle("GET /api/v1/quick-messages", a.authed(a.listQuickMessages, any...))
	mux.Handle("POST /api/v1/quick-messages", a.authed(a.createQuickMessage, any...))
	mux.Handle("PUT /api/v1/quick-messages/{id}", a.authed(a.updateQuickMessage, any...))
	mux.Handle("DELETE /api/v1/quick-messages/{id}", a.authed(a.deleteQuickMessage, any...))

	mux.Handle("GET /api/v1/conversations", a.authed(a.listConversations, any...))
	mux.Handle("POST /api/v1/queue/pull", a.authed(a.pull, any...))
	mux.Handle("GET /api/v1/conversations/{id}", a.authed(a.getConversation, any...))
	mux.Handle("GET /api/v1/conversations/{id}/messages", a.authed(a.listMessages, any...))
	mux.Handle("POST /api/v1/conversations/{id}/messages", a.authed(a.sendMessage, any...))
	mux.Handle("POST /api/v1/conversations/{id}/attachments", a.authed(a.uploadAttachment, any...))
	mux.Handle("POST /api/v1/conversations/{id}/transfer", a.authed(a.transfer, any...))
	mux.Handle("POST /api/v1/conversations/{id}/end", a.authed(a.end, any...))
	mux.Handle("POST /api/v1/conversations/{id}/take-up", a.authed(a.takeUp, any...))
	mux.Handle("POST /api/v1/conversations/{id}/return-to-queue", a.authed(a.returnToQueue, staff...))
	mux.Handle("GET /api/v1/conversations/{id}/quick-messages/{qid}", a.authed(a.renderQuickMessage, any...))
	mux.Handle("GET /api/v1/conversations/{id}/templates", a.authed(a.conversationTemplates, any...))
	mux.Handle("POST /api/v1/conversations/{id}/template", a.authed(a.sendTemplate, any...))
	mux.Handle("GET /api/v1/media/{key}", a.authed(a.getMedia, any...))
	mux.Handle("GET /api/v1/transfers", a.authed(a.listTransfers, any...))
	mux.Handle("GET /api/v1/transfers/{id}", a.authed(a.getTransfer, any...))
	mux.Handle("POST /api/v1/transfers/{id}/accept", a.authed(a.acceptTransfer, any...))
	mux.Handle("POST /api/v1/transfers/{id}/reject", a.authed(a.rejectTransfer, any...))
	mux.Handle("POST /api/v1/transfers/{id}/cancel", a.authed(a.cancelTransfer, any...))
	a.flowRoutes(mux, any, admin)
	// The desktop app versions the workspace accepts (README "IT"): public to read.
	mux.Handle("GET /api/v1/app-versions", a.public(a.appVersions))
	mux.Handle("PUT /api/v1/app-versions", a.authed(a.putAppVersions, admin...))
	a.shopRoutes(mux, any, admin)
	a.supervisorRoutes(mux, any, staff, admin)

	mux.Handle("GET /webhooks/{id}", a.public(a.webhookVerify))
	mux.Handle("POST /webhooks/{id}", a.public(a.webhookReceive))
	mux.Handle("POST /sandbox/messages", a.public(a.sandboxInbound))
	mux.Handle("GET /sandbox/messages", a.public(a.sandboxOutbound))
	mux.Handle("GET /widget.js", a.public(a.widgetScript))
	mux.Handle("POST /webchat/session", crossOrigin(a.perAddress(a.limits.session)(a.public(a.webchatSession))))
	mux.Handle("GET /webchat/socket", a.perAddress(a.limits.socket)(a.public(a.webchatSocket)))
	mux.Handle("POST /webchat/upload", crossOrigin(a.perAddress(a.limits.upload)(a.public(a.webchatUpload))))
	mux.Handle("POST /webchat/files/{key}", crossOrigin(a.perAddress(a.limits.files)(a.public(a.webchatFile))))

	// Everything no route matched: 405 when the path has other methods, else 404 (requests.go).
	mux.Handle("/", a.public(unrouted(mux)))
	return a.instrument(recoverer(a.log, mux))
}

// health answers GET /healthz: the process is alive and serving. It asks nothing of the
// database — a restart would not bring a database back, and a liveness probe that fails with
// it restarts every node at once; GET /readyz says whether this node can do its work.
func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) public(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

type ctxKey struct{}

// authed checks the bearer token and the role, then calls fn with the user. Ownership (holder
// of a conversation, party to an offer) is checked by the rules themselves.
func (a *API) authed(fn authedFunc, roles ...wire.Role) http.Handler {
	return a.public(func(w http.ResponseWriter, r *http.Request) error {
		token, ok := bearer(r)
		if !ok {
			return wire.Errorf(wire.CodeUnauthorized, "log in first: send Authorization: Bearer <token>")
		}
		u, err := a.userByToken(r.Context(), token)
		if err != nil {
			return err
		}
		allowed := false
		for _, role := range roles {
			allowed = allowed || u.Role == role
		}
		if !allowed {
			return wire.Errorf(wire.CodeForbidden, "your role (%s) cannot do this", u.Role)
		}
		return fn(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, token)), u)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// statusOf maps error codes to HTTP statuses.
var statusOf = map[wire.Code]int{
	wire.CodeBadJSON: 400, wire.CodeUnknownField: 400, wire.CodeInvalid: 400, wire.CodeBadID: 400,
	wire.CodeEmptyMessage: 400, wire.CodeMessageTooLong: 400, wire.CodeEndReasonRequired: 400,
	wire.CodeEndReasonUnknown: 400, wire.CodeTransferToSelf: 400,
	wire.CodeBodyTooLarge: 413,
	wire.CodeUnauthorized: 401, wire.CodeBadCredentials: 401,
	wire.CodeForbidden: 403, wire.CodeNotHolder: 403, wire.CodeChannelDisabled: 403,
	wire.CodeNotFound: 404, wire.CodeMethodNotAllowed: 405,
	wire.CodeUsernameTaken: 409, wire.CodeShortcutTaken: 409, wire.CodeNotOnline: 409, wire.CodeAgentOnBreak: 409,
	wire.CodeAgentOffline: 409, wire.CodeQueueEmpty: 409, wire.CodeHardCapReached: 409, wire.CodeTransferPending: 409,
	wire.CodeOfferNotPending: 409, wire.CodeConversationEnded: 409, wire.CodeConversationNotEnded: 409,
	wire.CodeNotAssigned: 409, wire.CodeContactHasOpen: 409, wire.CodeWindowClosed: 409, wire.CodeIdempotencyKeyReused: 409,
	wire.CodeAttachmentNotUploaded: 403,
	wire.CodeProviderError:         502,
	wire.CodeRateLimited:           429, wire.CodeTooManyAttempts: 429, wire.CodeTooManyConnections: 429, wire.CodeUploadQuota: 429,
	wire.CodeMediaFull: 507, wire.CodeMediaUnavailable: 503,
	wire.CodeReportTooLarge: 422,
}

// writeError is the one place errors become responses. Client errors carry their code; anything
// else is logged once and answered with a plain 500 that leaks nothing.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *wire.Error
	if errors.As(err, &e) {
		status, ok := statusOf[e.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		writeJSON(w, status, wire.ErrorBody{Error: *e})
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, wire.ErrorBody{Error: wire.Error{Code: wire.CodeInternal, Message: "internal error"}})
}

func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, wire.ErrorBody{Error: wire.Error{Code: wire.CodeInternal, Message: "internal error"}})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, &wire.Error{Code: wire.CodeBadID, Field: name, Message: "not a valid id: " + strconv.Quote(v)}
	}
	return id, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, wire.Invalid(name, "%s must be a non-negative integer", name)
	}
	return n, nil
}
