package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IdeasoftTokens are an Ideasoft shop's OAuth2 tokens. A refresh replaces the refresh token
// (RESEARCH 3.2): the old one stops working, so the new pair must be kept before use.
type IdeasoftTokens struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expires      time.Time `json:"expires"`
}

// IdeasoftConfig connects one Ideasoft shop.
type IdeasoftConfig struct {
	BaseURL      string // https://{magaza}.myideasoft.com (admin-api, oauth and storefront under it)
	ClientID     string
	ClientSecret string
	Tokens       IdeasoftTokens
	// SaveTokens keeps a refreshed pair (encrypted, in the store). It runs before the new
	// access token is used; if it fails the call fails, since a pair we could not keep would
	// be lost at the next start.
	// previous is the pair the refresh started from, so the store can tell whether another
	// node has replaced it meanwhile.
	SaveTokens func(ctx context.Context, previous, next IdeasoftTokens) error
	HTTP       *http.Client
	// MaxRetries bounds the retries of a 429; MaxBackoff bounds one wait.
	MaxRetries int
	MaxBackoff time.Duration
}

// IdeasoftClient speaks the Ideasoft Admin API (REST, RESEARCH 3).
type IdeasoftClient struct {
	cfg   IdeasoftConfig
	http  *http.Client
	sleep sleeper
	now   func() time.Time

	mu     sync.Mutex
	tokens IdeasoftTokens
}

// NewIdeasoft returns a client for cfg.
func NewIdeasoft(cfg IdeasoftConfig) (*IdeasoftClient, error) {
	if cfg.BaseURL == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("shop: ideasoft needs the shop's address, a client id and a client secret")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 4 * time.Second
	}
	c := &IdeasoftClient{cfg: cfg, http: cfg.HTTP, sleep: realSleep, now: time.Now, tokens: cfg.Tokens}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	return c, nil
}

func (c *IdeasoftClient) Platform() Platform { return Ideasoft }

func (c *IdeasoftClient) Actions() []ActionKind {
	return []ActionKind{ActionCancel, ActionSetStatus, ActionAddTracking}
}

func (c *IdeasoftClient) fail(op string, kind Kind, status int, msg string, err error) *Error {
	return &Error{Kind: kind, Platform: Ideasoft, Op: op, Status: status, Message: msg, Err: err}
}

// AuthorizeURL is where an admin's browser goes to let Santral into the shop.
func (c *IdeasoftClient) AuthorizeURL(state, redirectURI string) string {
	v := url.Values{"client_id": {c.cfg.ClientID}, "response_type": {"code"}, "state": {state}, "redirect_uri": {redirectURI}}
	return c.cfg.BaseURL + "/panel/auth?" + v.Encode()
}

// Exchange trades the authorisation code Ideasoft sent back for a token pair, and keeps it.
func (c *IdeasoftClient) Exchange(ctx context.Context, code, redirectURI string) (IdeasoftTokens, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token(ctx, url.Values{"grant_type": {"authorization_code"}, "client_id": {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret}, "code": {code}, "redirect_uri": {redirectURI}})
}

// Tokens is the pair in use (the newest after any refresh).
func (c *IdeasoftClient) Tokens() IdeasoftTokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// token posts a token request (the fields in the order the fixtures show), saves the new
// pair and uses it. Called with mu held.
func (c *IdeasoftClient) token(ctx context.Context, form url.Values) (IdeasoftTokens, error) {
	order := []string{"grant_type", "client_id", "client_secret", "code", "refresh_token", "redirect_uri"}
	var parts []string
	for _, k := range order {
		if v, ok := form[k]; ok {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v[0]))
		}
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.cfg.BaseURL+"/oauth/v2/token", strings.NewReader(strings.Join(parts, "&")))
	if err != nil {
		return IdeasoftTokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return IdeasoftTokens{}, c.fail("token", KindUnreachable, 0, "", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		kind := kindForHTTP(resp.StatusCode)
		if resp.StatusCode == 400 {
			kind = KindAuth // invalid_grant: the refresh token was used or revoked
		}
		return IdeasoftTokens{}, c.fail("token", kind, resp.StatusCode, oauthError(body), nil)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return IdeasoftTokens{}, c.fail("token", KindBadResponse, 200, "no access_token in the answer", err)
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	next := IdeasoftTokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expires: c.now().Add(life - min(life/10, 10*time.Minute))}
	if next.RefreshToken == "" {
		next.RefreshToken = form.Get("refresh_token") // a server that does not rotate
	}
	if c.cfg.SaveTokens != nil {
		if err := c.cfg.SaveTokens(ctx, c.tokens, next); err != nil {
			return IdeasoftTokens{}, fmt.Errorf("shop: ideasoft tokens could not be kept: %w", err)
		}
	}
	c.tokens = next
	return next, nil
}

// accessToken is a valid access token, refreshed when it is near expiry, or when the last
// one was refused (stale = that token).
func (c *IdeasoftClient) accessToken(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tokens
	if t.AccessToken != "" && t.AccessToken != stale && (t.Expires.IsZero() || c.now().Before(t.Expires)) {
		return t.AccessToken, nil
	}
	if t.RefreshToken == "" {
		return "", c.fail("token", KindAuth, 0, "the shop has not been authorised yet (no refresh token): connect it again", nil)
	}
	next, err := c.token(ctx, url.Values{"grant_type": {"refresh_token"}, "client_id": {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret}, "refresh_token": {t.RefreshToken}})
	if err != nil {
		return "", err
	}
	return next.AccessToken, nil
}

// retryAfterSeconds reads a Retry-After header given in seconds.
func retryAfterSeconds(h string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// do calls the Admin API: a 401 refreshes the token once; a 429 waits (Retry-After when
// given, else 500 ms doubling, at most MaxBackoff) up to MaxRetries times.
func (c *IdeasoftClient) do(ctx context.Context, op, method, path string, query url.Values, in, out any) (http.Header, error) {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	u := c.cfg.BaseURL + "/admin-api" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	stale := ""
	refreshed := false
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx, stale)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, c.fail(op, KindUnreachable, 0, "", err)
		}
		raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if rerr != nil {
			return nil, c.fail(op, KindUnreachable, resp.StatusCode, "", rerr)
		}
		switch {
		case resp.StatusCode == 401 && !refreshed:
			refreshed, stale = true, token
			continue
		case resp.StatusCode == 429:
			if attempt >= c.cfg.MaxRetries {
				return nil, c.fail(op, KindThrottled, 429, "Ideasoft's rate limit: try again in a few seconds", nil)
			}
			d, ok := retryAfterSeconds(resp.Header.Get("Retry-After"))
			if !ok {
				d = backoff
				backoff *= 2
			}
			if d > c.cfg.MaxBackoff {
				d = c.cfg.MaxBackoff
			}
			if err := c.sleep(ctx, d); err != nil {
				return nil, c.fail(op, KindThrottled, 429, "", err)
			}
			continue
		case resp.StatusCode < 200 || resp.StatusCode > 299:
			return nil, c.fail(op, kindForHTTP(resp.StatusCode), resp.StatusCode, restError(raw), nil)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return nil, c.fail(op, KindBadResponse, resp.StatusCode, "unexpected answer", err)
			}
		}
		return resp.Header, nil
	}
}

// restError is an Ideasoft error body's words. The shape is not documented [inf]: the
// fields tried are the common ones (errorMessage, message, error, errors[…]).
func restError(body []byte) string {
	var e map[string]any
	if json.Unmarshal(body, &e) == nil {
		for _, k := range []string{"errorMessage", "message", "error_description", "error"} {
			if s, ok := e[k].(string); ok && s != "" {
				return s
			}
		}
		if list, ok := e["errors"].([]any); ok && len(list) > 0 {
			if m, ok := list[0].(map[string]any); ok {
				for _, k := range []string{"message", "errorMessage"} {
					if s, ok := m[k].(string); ok {
						return s
					}
				}
			}
			if s, ok := list[0].(string); ok {
				return s
			}
		}
	}
	return truncate(string(body), 200)
}

// flexFloat accepts a JSON number or a numeric string (the swagger types some amounts as
// string with numeric examples).
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	*f = flexFloat(v)
	return err
}

// ideasoftTime reads both 2018-02-21T09:36:03+0300 and …+03:00.
func ideasoftTime(s string) time.Time {
	for _, l := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

type ideasoftItem struct {
	ProductName     string    `json:"productName"`
	ProductSku      string    `json:"productSku"`
	ProductPrice    flexFloat `json:"productPrice"`
	ProductCurrency string    `json:"productCurrency"`
	ProductQuantity flexFloat `json:"productQuantity"`
	ProductTax      flexFloat `json:"productTax"`
}

type ideasoftOrder struct {
	ID                   int64          `json:"id"`
	CustomerFirstname    string         `json:"customerFirstname"`
	CustomerSurname      string         `json:"customerSurname"`
	Currency             string         `json:"currency"`
	FinalAmount          flexFloat      `json:"finalAmount"`
	TransactionID        string         `json:"transactionId"`
	Status               string         `json:"status"`
	PaymentStatus        string         `json:"paymentStatus"`
	PaymentTypeName      string         `json:"paymentTypeName"`
	ShippingProviderCode string         `json:"shippingProviderCode"`
	ShippingProviderName string         `json:"shippingProviderName"`
	ShippingCompanyName  string         `json:"shippingCompanyName"`
	ShippingTrackingCode string         `json:"shippingTrackingCode"`
	CreatedAt            string         `json:"createdAt"`
	OrderItems           []ideasoftItem `json:"orderItems"`
}

var ideasoftStatuses = map[string]Status{
	"waiting_for_approval": StatusPending, "on_accumulation": StatusPending, "approved": StatusProcessing,
	"being_prepared": StatusProcessing, "waiting_for_payment": StatusAwaitingPayment, "fulfilled": StatusShipped,
	"delivered": StatusDelivered, "cancelled": StatusCancelled, "deleted": StatusCancelled, "refunded": StatusReturned,
}

// ideasoftTarget is the status a common one is written as ("approved" for processing: the
// order is accepted and goes to preparation).
var ideasoftTarget = map[Status]string{
	StatusPending: "waiting_for_approval", StatusAwaitingPayment: "waiting_for_payment", StatusProcessing: "being_prepared",
	StatusShipped: "fulfilled", StatusDelivered: "delivered", StatusCancelled: "cancelled", StatusReturned: "refunded",
}

var ideasoftPayments = map[string]Payment{"success": PaymentPaid, "in_transaction": PaymentPending, "failed": PaymentFailed}

// unitPrice is an item's price as the customer paid it: productPrice is without tax
// (swagger: amount is tax-excluded; 145.83 + 20 % = 175.00 in the fixtures).
func (it ideasoftItem) unitPrice() Money {
	return moneyOf(float64(it.ProductPrice)*(1+float64(it.ProductTax)/100), it.ProductCurrency)
}

func (o ideasoftOrder) order() Order {
	st, ok := ideasoftStatuses[o.Status]
	if !ok {
		st = StatusUnknown
	}
	pay, ok := ideasoftPayments[o.PaymentStatus]
	if !ok {
		pay = PaymentUnknown
	}
	out := Order{ID: strconv.FormatInt(o.ID, 10), Number: o.TransactionID, CreatedAt: ms(ideasoftTime(o.CreatedAt)), Status: st,
		StatusText: o.Status, Payment: pay, PaymentText: strings.TrimSpace(o.PaymentStatus + " " + o.PaymentTypeName),
		Total: moneyOf(float64(o.FinalAmount), o.Currency), Customer: strings.TrimSpace(o.CustomerFirstname + " " + o.CustomerSurname),
		Carrier: o.ShippingCompanyName, Tracking: o.ShippingTrackingCode, Items: []Item{}}
	if out.Carrier == "" {
		out.Carrier = o.ShippingProviderName
	}
	if out.Number == "" {
		out.Number = out.ID
	}
	for _, it := range o.OrderItems {
		out.Items = append(out.Items, Item{Name: it.ProductName, SKU: it.ProductSku, Quantity: int(it.ProductQuantity), UnitPrice: it.unitPrice()})
	}
	return out
}

// Test lists one order: it needs a valid token and the order_read scope the panel needs.
func (c *IdeasoftClient) Test(ctx context.Context) error {
	var list []json.RawMessage
	_, err := c.do(ctx, "test", "GET", "/orders", url.Values{"limit": {"1"}}, nil, &list)
	return err
}

// complete fills what the list left out: the lines (GET /order_items) when they were not
// embedded [inf], and the tracking page from the shipment (GET /shipments), or from the
// carrier table.
func (c *IdeasoftClient) complete(ctx context.Context, o ideasoftOrder) (Order, error) {
	ord := o.order()
	id := strconv.FormatInt(o.ID, 10)
	if o.OrderItems == nil {
		var items []ideasoftItem
		if _, err := c.do(ctx, "order_items", "GET", "/order_items", url.Values{"order": {id}}, nil, &items); err != nil {
			return ord, err
		}
		for _, it := range items {
			ord.Items = append(ord.Items, Item{Name: it.ProductName, SKU: it.ProductSku, Quantity: int(it.ProductQuantity), UnitPrice: it.unitPrice()})
		}
	}
	if ord.Tracking != "" {
		var ships []struct {
			Code        string `json:"code"`
			TrackingURL string `json:"trackingUrl"`
		}
		if _, err := c.do(ctx, "shipments", "GET", "/shipments", url.Values{"order": {id}}, nil, &ships); err != nil {
			return ord, err
		}
		for _, s := range ships {
			if s.TrackingURL != "" && (s.Code == "" || s.Code == ord.Tracking) {
				ord.TrackingURL = s.TrackingURL
			}
		}
		if ord.TrackingURL == "" {
			ord.TrackingURL = TrackingURL(ord.Carrier+" "+o.ShippingProviderCode, ord.Tracking)
		}
	}
	return ord, nil
}

func (c *IdeasoftClient) listOrders(ctx context.Context, q url.Values) ([]Order, error) {
	var list []ideasoftOrder
	if _, err := c.do(ctx, "orders", "GET", "/orders", q, nil, &list); err != nil {
		return nil, err
	}
	out := make([]Order, 0, len(list))
	for _, o := range list {
		ord, err := c.complete(ctx, o)
		if err != nil {
			return nil, err
		}
		out = append(out, ord)
	}
	return out, nil
}

// FindOrders: by number (transactionId, through the generic q[] filter [inf]); else the
// member found by e-mail or phone with the free search `s` — there is no e-mail or phone
// parameter (RESEARCH 3.3) — checked exactly here, and their orders; else, for a guest, the
// orders whose shipping mobile number is the phone.
func (c *IdeasoftClient) FindOrders(ctx context.Context, q Query) ([]Order, error) {
	if n := strings.TrimSpace(q.Number); n != "" {
		return c.listOrders(ctx, url.Values{"q[transactionId]": {n}, "limit": {"10"}})
	}
	phone, hasPhone := ParsePhone(q.Phone)
	hasPhone = hasPhone && q.Phone != ""
	email := strings.TrimSpace(q.Email)
	var searches []string
	if email != "" {
		searches = append(searches, email)
	}
	if hasPhone {
		searches = append(searches, phone.Ideasoft())
	}
	for _, s := range searches {
		var members []struct {
			ID                int64  `json:"id"`
			Email             string `json:"email"`
			PhoneNumber       string `json:"phoneNumber"`
			MobilePhoneNumber string `json:"mobilePhoneNumber"`
		}
		if _, err := c.do(ctx, "members", "GET", "/members", url.Values{"s": {s}, "limit": {"5"}}, nil, &members); err != nil {
			return nil, err
		}
		for _, m := range members {
			match := (email != "" && strings.EqualFold(m.Email, email)) ||
				(hasPhone && (phone.SameAs(m.MobilePhoneNumber) || phone.SameAs(m.PhoneNumber)))
			if match {
				return c.listOrders(ctx, url.Values{"member": {strconv.FormatInt(m.ID, 10)}, "sort": {"-id"}, "limit": {"10"}})
			}
		}
	}
	if hasPhone {
		return c.listOrders(ctx, url.Values{"shippingMobilePhoneNumber": {phone.Ideasoft()}, "sort": {"-id"}, "limit": {"10"}})
	}
	return []Order{}, nil
}

// SearchProducts uses the free search `s` among active products.
func (c *IdeasoftClient) SearchProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	if limit <= 0 || limit > 25 {
		limit = 10
	}
	var list []ideasoftProduct
	q := url.Values{"s": {strings.TrimSpace(text)}, "status": {"1"}, "limit": {strconv.Itoa(limit)}}
	if _, err := c.do(ctx, "products", "GET", "/products", q, nil, &list); err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(list))
	for _, p := range list {
		out = append(out, c.product(p))
	}
	return out, nil
}

// Product reads one product by its id.
func (c *IdeasoftClient) Product(ctx context.Context, id string) (Product, error) {
	if _, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64); err != nil {
		return Product{}, c.fail("product", KindNotFound, 0, "not an Ideasoft product id: "+id, nil)
	}
	var p ideasoftProduct
	if _, err := c.do(ctx, "product", "GET", "/products/"+strings.TrimSpace(id), nil, nil, &p); err != nil {
		return Product{}, err
	}
	return c.product(p), nil
}

type ideasoftProduct struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Slug         string    `json:"slug"`
	SKU          string    `json:"sku"`
	Barcode      string    `json:"barcode"`
	StockAmount  flexFloat `json:"stockAmount"`
	Price1       flexFloat `json:"price1"`
	Discount     flexFloat `json:"discount"`
	DiscountType int       `json:"discountType"`
	TaxIncluded  int       `json:"taxIncluded"`
	Tax          flexFloat `json:"tax"`
	Currency     struct {
		Abbr string `json:"abbr"`
	} `json:"currency"`
	Images []struct {
		OriginalURL string `json:"originalUrl"`
		ThumbURL    string `json:"thumbUrl"`
	} `json:"images"`
}

func (c *IdeasoftClient) product(p ideasoftProduct) Product {
	// The customer's price: the discount off the list price, tax added when the list price
	// is without it (price1 916.58 + 20 % = 1099.90) [inf].
	price := float64(p.Price1)
	if p.Discount > 0 {
		if p.DiscountType == 1 {
			price *= 1 - float64(p.Discount)/100
		} else {
			price -= float64(p.Discount)
		}
	}
	if p.TaxIncluded == 0 {
		price *= 1 + float64(p.Tax)/100
	}
	prod := Product{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, SKU: p.SKU, Barcode: p.Barcode,
		Price: moneyOf(price, p.Currency.Abbr), Stock: int(p.StockAmount)}
	if p.Slug != "" {
		// The storefront's product page is /urun/{slug} on Ideasoft shops [inf].
		prod.URL = c.cfg.BaseURL + "/urun/" + url.PathEscape(p.Slug)
	}
	if len(p.Images) > 0 {
		prod.ImageURL = p.Images[0].OriginalURL
	}
	return prod
}

// Do writes the order with a partial PUT /orders/{id} (what public clients send [3p]):
// cancel = status cancelled, set_status = the status's Ideasoft word, add_tracking = the
// tracking code with status fulfilled (shipped).
func (c *IdeasoftClient) Do(ctx context.Context, a Action) (Result, error) {
	id := strings.TrimSpace(a.OrderID)
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return Result{}, c.fail(string(a.Kind), KindNotFound, 0, "not an Ideasoft order id: "+id, nil)
	}
	var body map[string]any
	switch a.Kind {
	case ActionCancel:
		body = map[string]any{"status": "cancelled"}
	case ActionSetStatus:
		s, ok := ideasoftTarget[a.Status]
		if !ok {
			return Result{}, c.fail("order_put", KindUnsupported, 0, "Ideasoft has no status for "+string(a.Status), nil)
		}
		body = map[string]any{"status": s}
	case ActionAddTracking:
		if strings.TrimSpace(a.Tracking) == "" {
			return Result{}, c.fail("order_put", KindRefused, 0, "a tracking number is needed", nil)
		}
		body = map[string]any{"status": "fulfilled", "shippingTrackingCode": strings.TrimSpace(a.Tracking)}
	default:
		return Result{}, c.fail(string(a.Kind), KindUnsupported, 0, "unknown action", nil)
	}
	var out ideasoftOrder
	if _, err := c.do(ctx, "order_put", "PUT", "/orders/"+id, nil, body, &out); err != nil {
		return Result{}, err
	}
	if want, ok := body["status"].(string); ok && out.Status != "" && out.Status != want {
		return Result{}, c.fail("order_put", KindRefused, 200, "Ideasoft kept the order "+out.Status, nil)
	}
	return Result{}, nil
}
