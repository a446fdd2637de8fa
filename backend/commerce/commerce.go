// Package commerce is the shop in the conversation (PRODUCT.md rule 13): the connected stores
// an admin manages, the contact's orders and the shop's products in a conversation's side
// panel, the order actions a role is permitted, and a product sent into the chat.
//
// The platforms' clients are backend/shop's; this package decides who may do what, keeps
// answers for a short while, bounds every call so the panel never waits on a slow shop, and
// records a shop that stopped answering so every node's panel says since when.
package commerce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"santral/backend/media"
	"santral/backend/routing"
	"santral/backend/shop"
	"santral/backend/store"
	"santral/backend/wire"
)

// Options are the service's bounds.
type Options struct {
	// PanelTimeout bounds one store's answer to the panel (orders, products); a slower
	// store is reported unreachable, the others answer regardless.
	PanelTimeout time.Duration
	// ActionTimeout bounds an order action (Shopify's cancel job is followed within it).
	ActionTimeout time.Duration
	// CacheTTL is how long an answer is reused: reopening a conversation or switching
	// between two does not ask the shop again.
	CacheTTL time.Duration
	// QuietAfterFailure: a store that just failed is not asked again before this; the panel
	// gets the failure at once instead of another wait.
	QuietAfterFailure time.Duration
	// HTTP is the platforms' client (nil: each client's own, with its timeout).
	HTTP *http.Client
	// Images is the transport product images are fetched with (nil: the default); the
	// address policy, redirects and time bound are this package's (images.go).
	Images *http.Client
}

// Service runs the shop panel.
type Service struct {
	store   *store.Store
	routing *routing.Service
	files   media.Store
	log     *slog.Logger
	opt     Options
	now     func() time.Time

	mu       sync.Mutex
	clients  map[int64]builtClient
	cache    map[string]cached
	failedAt map[int64]failure
}

type builtClient struct {
	version int64
	client  shop.Client
}

type cached struct {
	at    time.Time
	value any
}

type failure struct {
	at  time.Time
	err *wire.Error
}

// New returns the service.
func New(s *store.Store, r *routing.Service, files media.Store, opt Options, log *slog.Logger) *Service {
	if opt.PanelTimeout <= 0 {
		opt.PanelTimeout = 8 * time.Second
	}
	if opt.ActionTimeout <= 0 {
		opt.ActionTimeout = 30 * time.Second
	}
	if opt.CacheTTL <= 0 {
		opt.CacheTTL = 60 * time.Second
	}
	if opt.QuietAfterFailure <= 0 {
		opt.QuietAfterFailure = 15 * time.Second
	}
	if opt.Images == nil {
		opt.Images = &http.Client{}
	}
	return &Service{store: s, routing: r, files: files, log: log, opt: opt, now: time.Now,
		clients: map[int64]builtClient{}, cache: map[string]cached{}, failedAt: map[int64]failure{}}
}

// platform is one shop platform's adapter: the credentials it takes (required first) and how
// a client is built from a stored row. A new platform is one entry here.
type platform struct {
	required []string
	optional []string
	build    func(s *Service, r store.ShopRow) (shop.Client, error)
}

var platforms = map[string]platform{
	"shopify": {
		// access_token, or client_id + client_secret (the client-credentials grant).
		optional: []string{"access_token", "client_id", "client_secret"},
		build: func(s *Service, r store.ShopRow) (shop.Client, error) {
			return shop.NewShopify(shop.ShopifyConfig{BaseURL: r.Config.BaseURL, APIVersion: r.Config.APIVersion,
				AccessToken: r.Secrets["access_token"], ClientID: r.Secrets["client_id"], ClientSecret: r.Secrets["client_secret"], HTTP: s.opt.HTTP})
		},
	},
	"ticimax": {
		required: []string{"auth_code"},
		build: func(s *Service, r store.ShopRow) (shop.Client, error) {
			return shop.NewTicimax(shop.TicimaxConfig{BaseURL: r.Config.BaseURL, AuthCode: r.Secrets["auth_code"], HTTP: s.opt.HTTP})
		},
	},
	"ideasoft": {
		required: []string{"client_id", "client_secret"},
		optional: []string{"access_token", "refresh_token", "expires"},
		build: func(s *Service, r store.ShopRow) (shop.Client, error) {
			exp, _ := strconv.ParseInt(r.Secrets["expires"], 10, 64)
			tok := shop.IdeasoftTokens{AccessToken: r.Secrets["access_token"], RefreshToken: r.Secrets["refresh_token"]}
			if exp > 0 {
				tok.Expires = time.UnixMilli(exp)
			}
			id := r.ID
			return shop.NewIdeasoft(shop.IdeasoftConfig{BaseURL: r.Config.BaseURL, ClientID: r.Secrets["client_id"],
				ClientSecret: r.Secrets["client_secret"], Tokens: tok, HTTP: s.opt.HTTP,
				SaveTokens: func(ctx context.Context, prev, next shop.IdeasoftTokens) error {
					return s.saveTokens(ctx, id, prev, next)
				}})
		},
	},
}

// saveTokens keeps a refreshed Ideasoft pair before it is used. The write is conditional on
// the row not having moved since the pair it replaces was read; when another node refreshed
// first, this node's client is dropped and built again from the newer row.
func (s *Service) saveTokens(ctx context.Context, id int64, prev, next shop.IdeasoftTokens) error {
	ctx = context.WithoutCancel(ctx) // a pair Ideasoft issued must be kept even if the caller gave up
	for range 3 {
		row, err := s.store.ShopRow(ctx, id)
		if err != nil {
			return err
		}
		if prev.RefreshToken != "" && row.Secrets["refresh_token"] != "" && row.Secrets["refresh_token"] != prev.RefreshToken {
			s.forget(id)
			return errors.New("commerce: another node refreshed the Ideasoft tokens first")
		}
		set := map[string]string{"access_token": next.AccessToken, "refresh_token": next.RefreshToken,
			"expires": strconv.FormatInt(next.Expires.UnixMilli(), 10)}
		version, ok, err := s.store.ReplaceShopSecret(ctx, id, row.Version, set)
		if err != nil {
			return err
		}
		if ok {
			// The client that refreshed stays in use: it holds this very pair.
			s.mu.Lock()
			if b, ok := s.clients[id]; ok && b.version == row.Version {
				b.version = version
				s.clients[id] = b
			}
			s.mu.Unlock()
			return nil
		}
	}
	return errors.New("commerce: the shop's row kept changing while the tokens were kept")
}

func (s *Service) forget(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, id)
}

// client is the shop's client, built anew when the row's version moved.
func (s *Service) client(r store.ShopRow) (shop.Client, error) {
	s.mu.Lock()
	b, ok := s.clients[r.ID]
	s.mu.Unlock()
	if ok && b.version == r.Version {
		return b.client, nil
	}
	p, ok := platforms[r.Platform]
	if !ok {
		return nil, fmt.Errorf("commerce: unknown platform %q", r.Platform)
	}
	c, err := p.build(s, r)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeShopAuthFailed, Message: err.Error()}
	}
	s.mu.Lock()
	s.clients[r.ID] = builtClient{version: r.Version, client: c}
	s.mu.Unlock()
	return c, nil
}

// wireError is a platform failure as the API returns it: a stable code and the platform's
// words.
func wireError(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	var e *shop.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.DeadlineExceeded) {
			return &wire.Error{Code: wire.CodeShopUnreachable, Message: "the store did not answer in time"}
		}
		return &wire.Error{Code: wire.CodeShopUnreachable, Message: "the store could not be reached"}
	}
	name := platformName(string(e.Platform))
	msg := e.Message
	switch e.Kind {
	case shop.KindAuth:
		if msg == "" {
			msg = "credentials refused"
		}
		return &wire.Error{Code: wire.CodeShopAuthFailed, Message: fmt.Sprintf("%s refused Santral's credentials%s: %s", name, httpStatus(e.Status), msg)}
	case shop.KindThrottled:
		return &wire.Error{Code: wire.CodeShopThrottled, Message: fmt.Sprintf("%s's rate limit: try again in a few seconds", name), RetryAfter: 5}
	case shop.KindRefused:
		return &wire.Error{Code: wire.CodeShopRefused, Message: fmt.Sprintf("%s refused: %s", name, msg)}
	case shop.KindNotFound:
		return &wire.Error{Code: wire.CodeShopOrderNotFound, Message: fmt.Sprintf("%s: %s", name, firstNonEmpty(msg, "not found"))}
	case shop.KindUnsupported:
		return &wire.Error{Code: wire.CodeShopActionUnsupported, Message: fmt.Sprintf("%s: %s", name, msg)}
	case shop.KindBadResponse:
		return &wire.Error{Code: wire.CodeShopUnreachable, Message: fmt.Sprintf("%s answered with something Santral cannot read (%s)", name, firstNonEmpty(msg, e.Op))}
	}
	detail := msg
	if e.Err != nil {
		detail = strings.TrimSpace(detail + " " + e.Err.Error())
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		detail = "no answer in time"
	}
	return &wire.Error{Code: wire.CodeShopUnreachable, Message: fmt.Sprintf("%s could not be reached%s: %s", name, httpStatus(e.Status), firstNonEmpty(detail, "no answer"))}
}

func httpStatus(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (HTTP %d)", n)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func platformName(p string) string {
	switch p {
	case "shopify":
		return "Shopify"
	case "ticimax":
		return "Ticimax"
	case "ideasoft":
		return "Ideasoft"
	}
	return p
}

// unreachable reports whether a failure means the store is not answering (rather than
// refusing): the panel then says since when.
func unreachable(e *wire.Error) bool { return e.Code == wire.CodeShopUnreachable }

// ask runs one call to a store for the panel, within PanelTimeout, and keeps the store's
// reachable state: a failure marks it (and keeps the panel from asking again for a few
// seconds), an answer clears it. A failure comes back as a *wire.Error.
func (s *Service) ask(ctx context.Context, r store.ShopRow, timeout time.Duration, fn func(context.Context, shop.Client) error) (*wire.Error, int64) {
	s.mu.Lock()
	f, quiet := s.failedAt[r.ID]
	s.mu.Unlock()
	if quiet && s.now().Sub(f.at) < s.opt.QuietAfterFailure {
		return f.err, r.UnreachableSince
	}
	c, err := s.client(r)
	if err != nil {
		return wireError(err), r.UnreachableSince
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = fn(cctx, c)
	if err == nil {
		s.mu.Lock()
		delete(s.failedAt, r.ID)
		s.mu.Unlock()
		if r.UnreachableSince != 0 || r.LastError != "" {
			if err := s.store.MarkShopReachable(context.WithoutCancel(ctx), r.ID); err != nil {
				s.log.Warn("shop: unable to clear the unreachable state", "shop", r.ID, "err", err)
			}
		}
		return nil, 0
	}
	if ctx.Err() != nil {
		return &wire.Error{Code: wire.CodeShopUnreachable, Message: "the request was cancelled"}, r.UnreachableSince
	}
	we := wireError(err)
	if shop.KindOf(err) == shop.KindAuth {
		s.forget(r.ID) // another node may hold newer tokens: build from the row next time
	}
	since := r.UnreachableSince
	if unreachable(we) || we.Code == wire.CodeShopAuthFailed {
		at := s.now().UnixMilli()
		if since == 0 && unreachable(we) {
			since = at
		}
		s.mu.Lock()
		s.failedAt[r.ID] = failure{at: s.now(), err: we}
		s.mu.Unlock()
		if unreachable(we) {
			err = s.store.MarkShopUnreachable(context.WithoutCancel(ctx), r.ID, at, we.Message)
		}
		if err != nil {
			s.log.Warn("shop: unable to record the unreachable state", "shop", r.ID, "err", err)
		}
	}
	s.log.Info("shop call failed", "shop", r.ID, "platform", r.Platform, "code", we.Code, "err", we.Message)
	if !unreachable(we) {
		since = 0
	}
	return we, since
}

func (s *Service) cached(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[key]
	if !ok || s.now().Sub(c.at) >= s.opt.CacheTTL {
		return nil, false
	}
	return c.value, true
}

func (s *Service) keep(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) > 2000 {
		for k, c := range s.cache {
			if s.now().Sub(c.at) >= s.opt.CacheTTL {
				delete(s.cache, k)
			}
		}
	}
	s.cache[key] = cached{at: s.now(), value: v}
}

// dropOrders forgets a store's cached orders (after an action changed one).
func (s *Service) dropOrders(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "orders/" + strconv.FormatInt(id, 10) + "/"
	for k := range s.cache {
		if strings.HasPrefix(k, prefix) {
			delete(s.cache, k)
		}
	}
}

func enabledShops(list []store.ShopRow) []store.ShopRow {
	var out []store.ShopRow
	for _, r := range list {
		if r.Enabled {
			out = append(out, r)
		}
	}
	return out
}

// contactQuery is what identifies the conversation's customer at a shop: the phone (the
// contact's, or a WhatsApp sender id, which is the number) and the e-mail.
func contactQuery(c wire.Conversation) shop.Query {
	q := shop.Query{Phone: c.Contact.Phone, Email: c.Contact.Email}
	if q.Phone == "" && c.Channel.Type == "whatsapp" {
		q.Phone = c.Contact.ExternalID
	}
	if _, ok := shop.ParsePhone(q.Phone); !ok {
		q.Phone = ""
	}
	return q
}

// Orders is the panel's orders for a conversation the reader may read (the API checks):
// every enabled store, asked at once, each within PanelTimeout.
func (s *Service) Orders(ctx context.Context, u wire.User, c wire.Conversation, number string) (wire.ShopPanel, error) {
	rows, err := s.store.ShopRows(ctx)
	if err != nil {
		return wire.ShopPanel{}, err
	}
	q := contactQuery(c)
	q.Number = strings.TrimSpace(number)
	panel := wire.ShopPanel{Phone: q.Phone, Email: q.Email, Number: q.Number, Stores: []wire.ShopOrders{}}
	rows = enabledShops(rows)
	out := make([]wire.ShopOrders, len(rows))
	var wg sync.WaitGroup
	for i, r := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.storeOrders(ctx, u, r, q)
		}()
	}
	wg.Wait()
	panel.Stores = append(panel.Stores, out...)
	return panel, nil
}

func (s *Service) storeOrders(ctx context.Context, u wire.User, r store.ShopRow, q shop.Query) wire.ShopOrders {
	res := wire.ShopOrders{StoreID: r.ID, StoreName: r.Name, Platform: r.Platform, Orders: []wire.ShopOrder{}, Actions: s.actionsFor(u, r)}
	if q.Phone == "" && q.Email == "" && q.Number == "" {
		return res
	}
	key := fmt.Sprintf("orders/%d/%s|%s|%s", r.ID, q.Phone, strings.ToLower(q.Email), q.Number)
	if v, ok := s.cached(key); ok {
		res.Orders, res.Cached = v.([]wire.ShopOrder), true
		return res
	}
	var orders []shop.Order
	werr, since := s.ask(ctx, r, s.opt.PanelTimeout, func(ctx context.Context, c shop.Client) error {
		var err error
		orders, err = c.FindOrders(ctx, q)
		return err
	})
	if werr != nil {
		res.Error, res.UnreachableSince = werr, since
		return res
	}
	res.Orders = orders
	s.keep(key, orders)
	return res
}

// actionsFor are the order actions u may take on r's orders: the role is one the admin
// permits, and the platform allows the action.
func (s *Service) actionsFor(u wire.User, r store.ShopRow) []string {
	out := []string{}
	if !slices.Contains(r.Config.ActionRoles, u.Role) {
		return out
	}
	c, err := s.client(r)
	if err != nil {
		return out
	}
	for _, a := range c.Actions() {
		out = append(out, string(a))
	}
	return out
}

// Products searches every enabled store's products by name, SKU or barcode.
func (s *Service) Products(ctx context.Context, text string) (wire.ShopProductSearch, error) {
	text = strings.TrimSpace(text)
	res := wire.ShopProductSearch{Query: text, Stores: []wire.ShopProducts{}}
	if text == "" {
		return res, wire.Invalid("q", "type a product name, SKU or barcode")
	}
	if len([]rune(text)) > 100 {
		return res, wire.Invalid("q", "a search can be at most 100 characters")
	}
	rows, err := s.store.ShopRows(ctx)
	if err != nil {
		return res, err
	}
	rows = enabledShops(rows)
	out := make([]wire.ShopProducts, len(rows))
	var wg sync.WaitGroup
	for i, r := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := wire.ShopProducts{StoreID: r.ID, StoreName: r.Name, Platform: r.Platform, Products: []wire.ShopProduct{}}
			key := fmt.Sprintf("products/%d/%s", r.ID, strings.ToLower(text))
			if v, ok := s.cached(key); ok {
				p.Products = v.([]wire.ShopProduct)
				out[i] = p
				return
			}
			var list []shop.Product
			werr, since := s.ask(ctx, r, s.opt.PanelTimeout, func(ctx context.Context, c shop.Client) error {
				var err error
				list, err = c.SearchProducts(ctx, text, 10)
				return err
			})
			if werr != nil {
				p.Error, p.UnreachableSince = werr, since
			} else {
				p.Products = list
				s.keep(key, list)
				for _, prod := range list {
					s.keep(fmt.Sprintf("product/%d/%s", r.ID, prod.ID), prod)
				}
			}
			out[i] = p
		}()
	}
	wg.Wait()
	res.Stores = append(res.Stores, out...)
	return res, nil
}

func (s *Service) enabledShop(ctx context.Context, id int64) (store.ShopRow, error) {
	r, err := s.store.ShopRow(ctx, id)
	if wire.CodeOf(err) == wire.CodeNotFound || (err == nil && !r.Enabled) {
		return r, wire.Errorf(wire.CodeShopNotConnected, "no store %d is connected", id)
	}
	return r, err
}

// Act runs an order action from a conversation's panel: the actor's role must be one the
// admin permits for this store, and an agent must hold the conversation (staff may act in any
// they can read). The agent has confirmed (Confirm). Done or refused, the attempt goes into
// the conversation's timeline with the actor; a refusal comes back in the platform's words.
func (s *Service) Act(ctx context.Context, u wire.User, c wire.Conversation, req wire.ShopOrderActionRequest) (wire.ShopOrderActionResult, error) {
	if !req.Confirm {
		return wire.ShopOrderActionResult{}, wire.Errorf(wire.CodeShopConfirmRequired, "an order action needs the agent's confirmation (confirm: true)")
	}
	kind := shop.ActionKind(req.Action)
	if kind != shop.ActionCancel && kind != shop.ActionSetStatus && kind != shop.ActionAddTracking {
		return wire.ShopOrderActionResult{}, wire.Invalid("action", "action is cancel, set_status or add_tracking")
	}
	if strings.TrimSpace(req.OrderID) == "" {
		return wire.ShopOrderActionResult{}, wire.Invalid("order_id", "which order?")
	}
	if kind == shop.ActionAddTracking && strings.TrimSpace(req.Tracking) == "" {
		return wire.ShopOrderActionResult{}, wire.Invalid("tracking_number", "a tracking number is needed")
	}
	if kind == shop.ActionSetStatus && !slices.Contains(shop.Statuses, req.Status) {
		return wire.ShopOrderActionResult{}, wire.Invalid("status", "not a status: %q", req.Status)
	}
	// An ended conversation keeps its last holder in agent_id: holding it means assigned now.
	if !u.Role.Staff() && (c.State != wire.Assigned || c.AgentID == nil || *c.AgentID != u.ID) {
		return wire.ShopOrderActionResult{}, wire.Errorf(wire.CodeNotHolder, "only the agent who holds the conversation can act on its orders")
	}
	r, err := s.enabledShop(ctx, req.StoreID)
	if err != nil {
		return wire.ShopOrderActionResult{}, err
	}
	if !slices.Contains(r.Config.ActionRoles, u.Role) {
		return wire.ShopOrderActionResult{}, wire.Errorf(wire.CodeShopActionNotAllowed, "the admin has not permitted your role (%s) to act on this store's orders", u.Role)
	}
	cl, err := s.client(r)
	if err != nil {
		return wire.ShopOrderActionResult{}, err
	}
	if !slices.Contains(cl.Actions(), kind) {
		return wire.ShopOrderActionResult{}, wire.Errorf(wire.CodeShopActionUnsupported, "%s has no %s action", platformName(r.Platform), kind)
	}
	a := shop.Action{Kind: kind, OrderID: strings.TrimSpace(req.OrderID), Status: req.Status, Carrier: strings.TrimSpace(req.Carrier),
		Tracking: strings.TrimSpace(req.Tracking), Notify: req.Notify,
		Note: fmt.Sprintf("Santral: %s, conversation %d", u.DisplayName, c.ID)}
	if err := s.customersOrder(ctx, u, r, c, a.OrderID); err != nil {
		return wire.ShopOrderActionResult{}, err
	}
	// The holder check and the pending row are one transaction; the shop call cannot be in
	// it, so what a conversation moved meanwhile cannot take back is recorded, not undone.
	actionID, err := s.routing.BeginShopAction(ctx, u, c.ID, r.ID, a.OrderID, string(kind), 2*s.opt.ActionTimeout)
	if err != nil {
		return wire.ShopOrderActionResult{}, err
	}
	var res shop.Result
	werr, _ := s.ask(ctx, r, s.opt.ActionTimeout, func(ctx context.Context, c shop.Client) error {
		var err error
		res, err = c.Do(ctx, a)
		return err
	})
	s.dropOrders(r.ID)
	entry := map[string]any{"store_id": r.ID, "store": r.Name, "platform": r.Platform, "action": string(kind),
		"order_id": a.OrderID, "number": strings.TrimSpace(req.Number), "ok": werr == nil}
	if kind == shop.ActionSetStatus {
		entry["status"] = string(req.Status)
	}
	if kind == shop.ActionAddTracking {
		entry["carrier"], entry["tracking_number"] = a.Carrier, a.Tracking
	}
	if werr != nil {
		entry["code"], entry["error"] = string(werr.Code), werr.Message
	} else if res.Pending {
		entry["pending"] = true
	}
	// Recorded even when the agent's request has gone: the action happened (or was refused)
	// at the shop either way.
	tl, err := s.routing.FinishShopAction(context.WithoutCancel(ctx), actionID, u.ID, c.ID, werr == nil, entry)
	if err != nil {
		return wire.ShopOrderActionResult{}, err
	}
	if werr != nil {
		return wire.ShopOrderActionResult{}, werr
	}
	return wire.ShopOrderActionResult{Pending: res.Pending, Detail: res.Detail, Timeline: tl}, nil
}

// customersOrder refuses an action on an order that is not among the conversation's
// customer's orders at this store (found by the contact's phone and e-mail, as the panel
// lists them): an order found by its number may be anyone's, and an action changes a real
// customer's order. Santral has no "link this order to the customer" step, so such an order
// is shown but not acted on from this conversation.
func (s *Service) customersOrder(ctx context.Context, u wire.User, r store.ShopRow, c wire.Conversation, orderID string) error {
	q := contactQuery(c)
	if q.Phone == "" && q.Email == "" {
		return wire.Errorf(wire.CodeShopOrderNotCustomer, "this conversation's customer has no phone or e-mail to find their orders by: no order can be acted on from it")
	}
	mine := s.storeOrders(ctx, u, r, q)
	if mine.Error != nil {
		return mine.Error
	}
	for _, o := range mine.Orders {
		if o.ID == orderID {
			return nil
		}
	}
	return wire.Errorf(wire.CodeShopOrderNotCustomer, "this order is not among the orders of this conversation's customer at %s", r.Name)
}

// product is one product of a store, from the panel's last search or asked anew.
func (s *Service) product(ctx context.Context, r store.ShopRow, id string) (shop.Product, *wire.Error) {
	key := fmt.Sprintf("product/%d/%s", r.ID, id)
	if v, ok := s.cached(key); ok {
		return v.(shop.Product), nil
	}
	var p shop.Product
	werr, _ := s.ask(ctx, r, s.opt.PanelTimeout, func(ctx context.Context, c shop.Client) error {
		var err error
		p, err = c.Product(ctx, id)
		return err
	})
	if werr != nil {
		if werr.Code == wire.CodeShopOrderNotFound {
			werr = werr.WithCode(wire.CodeShopProductNotFound)
		}
		return p, werr
	}
	s.keep(key, p)
	return p, nil
}

// ProductText is a product as a chat message: name, price and link.
func ProductText(p shop.Product) string {
	var b strings.Builder
	b.WriteString(p.Name)
	if p.Price.Minor > 0 {
		b.WriteString("\n" + p.Price.Display())
	}
	if p.URL != "" {
		b.WriteString("\n" + p.URL)
	}
	return b.String()
}

// imageChannels send a product as its image with the text as caption; other channels get the
// text (name, price, link), which their apps show with a link preview.
var imageChannels = map[string]bool{"whatsapp": true, "telegram": true}

// SendProduct sends one of a store's products into the conversation as the holder's message,
// through the normal outbox and window rules (routing.Reply): the image with the text as its
// caption where the channel shows one, else the text. The product is read from the shop, not
// taken from the request.
func (s *Service) SendProduct(ctx context.Context, u wire.User, convID int64, req wire.SendProductRequest) (wire.Message, error) {
	c, err := s.routing.CheckSendable(ctx, u.ID, convID)
	if err != nil {
		return wire.Message{}, err
	}
	r, err := s.enabledShop(ctx, req.StoreID)
	if err != nil {
		return wire.Message{}, err
	}
	p, werr := s.product(ctx, r, strings.TrimSpace(req.ProductID))
	if werr != nil {
		return wire.Message{}, werr
	}
	msg := wire.SendMessageRequest{Body: ProductText(p), IdempotencyKey: req.IdempotencyKey}
	if imageChannels[c.Channel.Type] && p.ImageURL != "" {
		att, err := s.fetchImage(ctx, r, u.ID, convID, p.ImageURL)
		if err != nil {
			// The text still goes: an image the shop cannot serve (or whose address is refused,
			// shop_image_refused) is no reason to send nothing.
			s.log.Warn("shop: product image not fetched; sending the text", "shop", r.ID, "product", p.ID,
				"code", string(wire.CodeOf(err)), "err", err)
		} else {
			msg.Attachments = []wire.Attachment{att}
		}
	}
	return s.routing.Reply(ctx, u.ID, convID, msg)
}

// --- Admin ---

// Stores lists the connected stores as admins see them (no credential values).
func (s *Service) Stores(ctx context.Context) ([]wire.ShopStore, error) {
	rows, err := s.store.ShopRows(ctx)
	if err != nil {
		return nil, err
	}
	out := []wire.ShopStore{}
	for _, r := range rows {
		out = append(out, r.View())
	}
	return out, nil
}

var defaultActionRoles = []wire.Role{wire.RoleAdmin, wire.RoleSupervisor}

// Save creates (id 0) or changes a store. Credentials left out keep their values; an empty
// value removes one.
func (s *Service) Save(ctx context.Context, id int64, req wire.ShopStoreRequest) (wire.ShopStore, error) {
	// The row is read, changed and written back only if it did not move meanwhile (a token
	// refresh on any node): then it is read again with the newer pair.
	for range 3 {
		st, err := s.save(ctx, id, req)
		if !errors.Is(err, store.ErrShopChanged) {
			return st, err
		}
	}
	return wire.ShopStore{}, errors.New("commerce: the store kept changing while it was saved")
}

func (s *Service) save(ctx context.Context, id int64, req wire.ShopStoreRequest) (wire.ShopStore, error) {
	var r store.ShopRow
	if id != 0 {
		var err error
		if r, err = s.store.ShopRow(ctx, id); err != nil {
			return wire.ShopStore{}, err
		}
		if req.Platform != "" && req.Platform != r.Platform {
			return wire.ShopStore{}, wire.Invalid("platform", "a store's platform cannot change: connect a new store")
		}
	} else {
		r = store.ShopRow{Platform: req.Platform, Enabled: true, Secrets: map[string]string{}, Config: store.ShopConfig{ActionRoles: defaultActionRoles}}
	}
	p, ok := platforms[r.Platform]
	if !ok {
		return wire.ShopStore{}, wire.Invalid("platform", "platform is shopify, ticimax or ideasoft")
	}
	if req.Name != "" {
		r.Name = strings.TrimSpace(req.Name)
	}
	if r.Name == "" {
		r.Name = platformName(r.Platform)
	}
	if len([]rune(r.Name)) > 100 {
		return wire.ShopStore{}, wire.Invalid("name", "a name can be at most 100 characters")
	}
	if req.BaseURL != "" {
		u, err := url.Parse(strings.TrimSpace(req.BaseURL))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return wire.ShopStore{}, wire.Invalid("base_url", "the store's address is a URL such as https://magaza.myideasoft.com")
		}
		r.Config.BaseURL = strings.TrimRight(u.String(), "/")
	}
	if r.Config.BaseURL == "" {
		return wire.ShopStore{}, wire.Invalid("base_url", "the store's address is needed")
	}
	if req.APIVersion != "" {
		r.Config.APIVersion = strings.TrimSpace(req.APIVersion)
	}
	if req.RedirectURI != "" {
		r.Config.RedirectURI = strings.TrimSpace(req.RedirectURI)
	}
	if req.Enabled != nil {
		r.Enabled = *req.Enabled
	}
	if req.ActionRoles != nil {
		for _, role := range req.ActionRoles {
			if role != wire.RoleAdmin && role != wire.RoleSupervisor && role != wire.RoleAgent {
				return wire.ShopStore{}, wire.Invalid("action_roles", "not a role: %q", role)
			}
		}
		r.Config.ActionRoles = slices.Clone(req.ActionRoles)
	}
	allowed := append(slices.Clone(p.required), p.optional...)
	for k, v := range req.Credentials {
		if !slices.Contains(allowed, k) || (r.Platform == "ideasoft" && k != "client_id" && k != "client_secret") {
			return wire.ShopStore{}, &wire.Error{Code: wire.CodeInvalid, Field: "credentials." + k, Message: fmt.Sprintf("%s takes no credential %q", platformName(r.Platform), k)}
		}
		r.Secrets[k] = strings.TrimSpace(v)
		if r.Platform == "ideasoft" {
			// New app credentials: the old tokens were issued to the old ones.
			delete(r.Secrets, "access_token")
			delete(r.Secrets, "refresh_token")
			delete(r.Secrets, "expires")
		}
	}
	for _, k := range p.required {
		if r.Secrets[k] == "" {
			return wire.ShopStore{}, &wire.Error{Code: wire.CodeInvalid, Field: "credentials." + k, Message: fmt.Sprintf("%s needs %s", platformName(r.Platform), k)}
		}
	}
	if r.Platform == "shopify" && r.Secrets["access_token"] == "" && (r.Secrets["client_id"] == "" || r.Secrets["client_secret"] == "") {
		return wire.ShopStore{}, &wire.Error{Code: wire.CodeInvalid, Field: "credentials.access_token",
			Message: "Shopify needs an access token, or a client id and client secret"}
	}
	var saved int64
	if _, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		saved, err = tx.SaveShop(r)
		return err
	}); err != nil {
		return wire.ShopStore{}, err
	}
	s.forget(saved)
	s.dropOrders(saved)
	s.mu.Lock()
	delete(s.failedAt, saved)
	s.mu.Unlock()
	row, err := s.store.ShopRow(ctx, saved)
	if err != nil {
		return wire.ShopStore{}, err
	}
	return row.View(), nil
}

// Delete disconnects a store: its credentials are removed.
func (s *Service) Delete(ctx context.Context, id int64) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteShop(id) })
	s.forget(id)
	return err
}

// Test makes one authenticated call and says exactly what failed.
func (s *Service) Test(ctx context.Context, id int64) (wire.ShopTestResult, error) {
	r, err := s.store.ShopRow(ctx, id)
	if err != nil {
		return wire.ShopTestResult{}, err
	}
	if r.Platform == "ideasoft" && r.Secrets["refresh_token"] == "" {
		return wire.ShopTestResult{Code: wire.CodeShopNotAuthorized, Step: "authorize",
			Message: "Ideasoft has not authorised Santral yet: open the authorisation link and approve"}, nil
	}
	s.mu.Lock()
	delete(s.failedAt, id) // an admin's test always asks the shop
	s.mu.Unlock()
	var terr error
	werr, _ := s.ask(ctx, r, s.opt.PanelTimeout, func(ctx context.Context, c shop.Client) error {
		terr = c.Test(ctx)
		return terr
	})
	if werr == nil {
		return wire.ShopTestResult{OK: true}, nil
	}
	step := "test"
	var e *shop.Error
	if errors.As(terr, &e) && e.Op != "" {
		step = e.Op
	}
	return wire.ShopTestResult{Code: werr.Code, Step: step, Message: werr.Message}, nil
}

// AuthorizeStart is the Ideasoft authorisation link for a store; its state is kept (sealed)
// to check the callback.
func (s *Service) AuthorizeStart(ctx context.Context, id int64) (wire.ShopAuthorizeStart, error) {
	r, err := s.store.ShopRow(ctx, id)
	if err != nil {
		return wire.ShopAuthorizeStart{}, err
	}
	if r.Platform != "ideasoft" {
		return wire.ShopAuthorizeStart{}, wire.Invalid("platform", "only Ideasoft stores are authorised through a link")
	}
	if r.Config.RedirectURI == "" {
		return wire.ShopAuthorizeStart{}, wire.Invalid("redirect_uri", "set the redirect address registered with the Ideasoft app first")
	}
	b := make([]byte, 16)
	rand.Read(b)
	state := strconv.FormatInt(id, 10) + "." + hex.EncodeToString(b)
	// Only the state's hash is kept: the link is the secret, the row only recognises it.
	if err := s.store.SetShopOAuthState(ctx, id, stateHash(state), s.now().Add(authorizeStateTTL).UnixMilli()); err != nil {
		return wire.ShopAuthorizeStart{}, err
	}
	c, err := s.client(r)
	if err != nil {
		return wire.ShopAuthorizeStart{}, err
	}
	return wire.ShopAuthorizeStart{URL: c.(*shop.IdeasoftClient).AuthorizeURL(state, r.Config.RedirectURI)}, nil
}

// authorizeStateTTL is how long an authorisation link works.
const authorizeStateTTL = 30 * time.Minute

func stateHash(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// Authorize finishes Ideasoft's flow with the code it sent back: the state must be the one
// AuthorizeStart issued for that store.
func (s *Service) Authorize(ctx context.Context, req wire.ShopAuthorizeRequest) (wire.ShopStore, error) {
	idText, _, _ := strings.Cut(req.State, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || req.Code == "" {
		return wire.ShopStore{}, wire.Invalid("state", "not an authorisation Santral started")
	}
	r, err := s.store.ShopRow(ctx, id)
	if err != nil {
		return wire.ShopStore{}, wire.Invalid("state", "not an authorisation Santral started")
	}
	if r.Platform != "ideasoft" {
		return wire.ShopStore{}, wire.Invalid("state", "not an authorisation Santral started")
	}
	// The state is used up by one conditional statement before the code is exchanged: of two
	// callbacks with the same state (a replay, a double click, two nodes) exactly one goes on.
	// A failed exchange leaves it used: the admin opens a new link (Ideasoft's code is
	// single-use anyway).
	took, err := s.store.TakeShopOAuthState(ctx, id, stateHash(req.State), s.now().UnixMilli())
	if err != nil {
		return wire.ShopStore{}, err
	}
	if !took {
		return wire.ShopStore{}, wire.Invalid("state", "not an authorisation Santral started (or it was used already, or is over %s old)", authorizeStateTTL)
	}
	c, err := s.client(r)
	if err != nil {
		return wire.ShopStore{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.opt.PanelTimeout)
	defer cancel()
	if _, err := c.(*shop.IdeasoftClient).Exchange(cctx, req.Code, r.Config.RedirectURI); err != nil {
		return wire.ShopStore{}, wireError(err)
	}
	s.forget(id)
	r, err = s.store.ShopRow(ctx, id)
	if err != nil {
		return wire.ShopStore{}, err
	}
	return r.View(), nil
}
