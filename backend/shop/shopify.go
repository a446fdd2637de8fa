package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ShopifyAPIVersion is the GraphQL Admin API version Santral is written and tested against.
// Versions are supported for at least 12 months (RESEARCH 1.1); a release moves the pin.
const ShopifyAPIVersion = "2026-10"

// ShopifyConfig connects one Shopify store. Either AccessToken (a static token), or
// ClientID and ClientSecret for the client-credentials grant (a ~24 h token, fetched and
// refreshed before it expires).
type ShopifyConfig struct {
	BaseURL      string // https://{shop}.myshopify.com
	APIVersion   string // default ShopifyAPIVersion
	AccessToken  string
	ClientID     string
	ClientSecret string
	HTTP         *http.Client
	// MaxThrottleWait bounds the total time one call waits for Shopify's cost bucket to
	// refill; past it the call fails as throttled rather than hold the panel.
	MaxThrottleWait time.Duration
}

// ShopifyClient speaks the GraphQL Admin API.
type ShopifyClient struct {
	cfg   ShopifyConfig
	http  *http.Client
	sleep sleeper
	now   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time // zero: a static token

	// The cost bucket as Shopify last described it, and what each operation last asked for:
	// a call that would not fit waits for the bucket first instead of being throttled.
	bucketMu sync.Mutex
	bucket   bucketState
	opCost   map[string]float64
}

type bucketState struct {
	at                                time.Time
	available, maximum, restorePerSec float64
}

// NewShopify returns a client for cfg.
func NewShopify(cfg ShopifyConfig) (*ShopifyClient, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("shop: shopify needs the store's address (https://<shop>.myshopify.com)")
	}
	if cfg.AccessToken == "" && (cfg.ClientID == "" || cfg.ClientSecret == "") {
		return nil, fmt.Errorf("shop: shopify needs an access token, or a client id and secret")
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = ShopifyAPIVersion
	}
	if cfg.MaxThrottleWait <= 0 {
		cfg.MaxThrottleWait = 10 * time.Second
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &ShopifyClient{cfg: cfg, http: cfg.HTTP, sleep: realSleep, now: time.Now, token: cfg.AccessToken, opCost: map[string]float64{}}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	return c, nil
}

func (c *ShopifyClient) Platform() Platform { return Shopify }

func (c *ShopifyClient) Actions() []ActionKind { return []ActionKind{ActionCancel, ActionAddTracking} }

func (c *ShopifyClient) fail(op string, kind Kind, status int, msg string, err error) *Error {
	return &Error{Kind: kind, Platform: Shopify, Op: op, Status: status, Message: msg, Err: err}
}

// accessToken is the token to send: the static one, or the client-credentials token, fetched
// anew when it is missing or has less than a tenth of its life (at most 10 minutes) left.
func (c *ShopifyClient) accessToken(ctx context.Context, force bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.ClientID == "" {
		return c.token, nil
	}
	if !force && c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, "POST", c.cfg.BaseURL+"/admin/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.fail("token", KindUnreachable, 0, "", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		kind := kindForHTTP(resp.StatusCode)
		if resp.StatusCode == 400 {
			kind = KindAuth // invalid_client / app not installed on this store
		}
		return "", c.fail("token", kind, resp.StatusCode, oauthError(body), nil)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", c.fail("token", KindBadResponse, resp.StatusCode, "no access_token in the answer", err)
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	if life <= 0 {
		life = 24 * time.Hour
	}
	margin := min(life/10, 10*time.Minute)
	c.token, c.expires = tok.AccessToken, c.now().Add(life-margin)
	return c.token, nil
}

// oauthError is an OAuth server's words: error_description, error, or the body itself.
func oauthError(body []byte) string {
	var e struct {
		Error       any    `json:"error"`
		Description string `json:"error_description"`
		Errors      any    `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Description != "" {
			return e.Description
		}
		if s, ok := e.Error.(string); ok && s != "" {
			return s
		}
		if s, ok := e.Errors.(string); ok && s != "" {
			return s
		}
	}
	return truncate(string(body), 200)
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type gqlCost struct {
	RequestedQueryCost float64  `json:"requestedQueryCost"`
	ActualQueryCost    *float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost *gqlCost `json:"cost"`
	} `json:"extensions"`
}

// throttleWait is how long Shopify's bucket needs to hold the refused query's cost:
// (requested − currentlyAvailable) / restoreRate seconds (RESEARCH 1.6), at least a second
// when the answer says nothing (a bare 429).
func throttleWait(cost *gqlCost, retryAfter string) time.Duration {
	if cost != nil && cost.ThrottleStatus.RestoreRate > 0 {
		need := cost.RequestedQueryCost - cost.ThrottleStatus.CurrentlyAvailable
		if need > 0 {
			return time.Duration(math.Ceil(need/cost.ThrottleStatus.RestoreRate*1000)) * time.Millisecond
		}
	}
	if d, ok := retryAfterSeconds(retryAfter); ok {
		return d
	}
	return time.Second
}

// note keeps what an answer's extensions.cost said about the bucket and the operation's cost.
func (c *ShopifyClient) note(op string, cost *gqlCost) {
	if cost == nil || cost.ThrottleStatus.MaximumAvailable <= 0 {
		return
	}
	c.bucketMu.Lock()
	defer c.bucketMu.Unlock()
	c.bucket = bucketState{at: c.now(), available: cost.ThrottleStatus.CurrentlyAvailable, maximum: cost.ThrottleStatus.MaximumAvailable,
		restorePerSec: cost.ThrottleStatus.RestoreRate}
	if cost.RequestedQueryCost > 0 {
		c.opCost[op] = cost.RequestedQueryCost
	}
}

// ahead is how long to wait before sending op so that its cost fits the bucket, as restored
// since Shopify last reported it (0 when it fits, or nothing is known yet).
func (c *ShopifyClient) ahead(op string) time.Duration {
	c.bucketMu.Lock()
	defer c.bucketMu.Unlock()
	need, known := c.opCost[op]
	b := c.bucket
	if !known || b.at.IsZero() || b.restorePerSec <= 0 {
		return 0
	}
	have := min(b.maximum, b.available+c.now().Sub(b.at).Seconds()*b.restorePerSec)
	if have >= need {
		return 0
	}
	return time.Duration(math.Ceil((need-have)/b.restorePerSec*1000)) * time.Millisecond
}

// do posts one GraphQL operation and decodes data into out. A throttled answer (HTTP 200
// with THROTTLED, or a 429) is retried after the bucket has refilled, within
// MaxThrottleWait; a 401 with a client-credentials token fetches a new token once.
func (c *ShopifyClient) do(ctx context.Context, op, query string, vars any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	endpoint := c.cfg.BaseURL + "/admin/api/" + c.cfg.APIVersion + "/graphql.json"
	var waited time.Duration
	refreshed := false
	for {
		if d := c.ahead(op); d > 0 {
			if waited+d > c.cfg.MaxThrottleWait {
				return c.fail(op, KindThrottled, 0, "Shopify's rate limit: try again in a few seconds", nil)
			}
			if err := c.sleep(ctx, d); err != nil {
				return c.fail(op, KindThrottled, 0, "", err)
			}
			waited += d
		}
		token, err := c.accessToken(ctx, false)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Shopify-Access-Token", token)
		resp, err := c.http.Do(req)
		if err != nil {
			return c.fail(op, KindUnreachable, 0, "", err)
		}
		raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if rerr != nil {
			return c.fail(op, KindUnreachable, resp.StatusCode, "", rerr)
		}
		var r gqlResponse
		jerr := json.Unmarshal(raw, &r)
		c.note(op, r.Extensions.Cost)
		throttled := resp.StatusCode == 429
		for _, e := range r.Errors {
			throttled = throttled || e.Extensions.Code == "THROTTLED"
		}
		if throttled {
			d := throttleWait(r.Extensions.Cost, resp.Header.Get("Retry-After"))
			if waited+d > c.cfg.MaxThrottleWait {
				return c.fail(op, KindThrottled, resp.StatusCode, "Shopify's rate limit: try again in a few seconds", nil)
			}
			if err := c.sleep(ctx, d); err != nil {
				return c.fail(op, KindThrottled, resp.StatusCode, "", err)
			}
			waited += d
			continue
		}
		if resp.StatusCode == 401 && c.cfg.ClientID != "" && !refreshed {
			refreshed = true
			if _, err := c.accessToken(ctx, true); err != nil {
				return err
			}
			continue
		}
		if resp.StatusCode != 200 {
			msg := oauthError(raw)
			if len(r.Errors) > 0 {
				msg = r.Errors[0].Message
			}
			return c.fail(op, kindForHTTP(resp.StatusCode), resp.StatusCode, msg, nil)
		}
		if jerr != nil {
			return c.fail(op, KindBadResponse, 200, "not a GraphQL answer", jerr)
		}
		if len(r.Errors) > 0 {
			msgs := make([]string, len(r.Errors))
			code := r.Errors[0].Extensions.Code
			for i, e := range r.Errors {
				msgs[i] = e.Message
			}
			kind := KindRefused
			if code == "ACCESS_DENIED" || code == "UNAUTHORIZED" {
				kind = KindAuth
			}
			e := c.fail(op, kind, 200, strings.Join(msgs, "; "), nil)
			e.Code = code
			return e
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(r.Data, out); err != nil {
			return c.fail(op, KindBadResponse, 200, "unexpected data", err)
		}
		return nil
	}
}

// The operations, word for word as the fixtures under testdata/shopify show them.
const (
	shopifyOrderFields = `id name createdAt cancelledAt cancelReason displayFinancialStatus displayFulfillmentStatus statusPageUrl totalPriceSet { shopMoney { amount currencyCode } } lineItems(first: 20) { nodes { id title variantTitle sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } } } fulfillments(first: 5) { id displayStatus createdAt trackingInfo(first: 3) { company number url } }`

	shopifyCustomerOrders = `query SantralCustomerOrders($identifier: CustomerIdentifierInput!, $ordersFirst: Int!) { customerByIdentifier(identifier: $identifier) { id displayName firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } numberOfOrders amountSpent { amount currencyCode } orders(first: $ordersFirst, sortKey: CREATED_AT, reverse: true) { nodes { ` + shopifyOrderFields + ` } } } }`

	// Orders by search: an order number, or guest checkouts that have no customer record
	// (RESEARCH 1.2, [inf] from the search syntax).
	shopifyOrderSearch = `query SantralOrderSearch($q: String!, $first: Int!) { orders(first: $first, query: $q, sortKey: CREATED_AT, reverse: true) { nodes { ` + shopifyOrderFields + ` } } }`

	shopifyProductSearch = `query SantralProductSearch($q: String!, $first: Int!) { products(first: $first, query: $q, sortKey: RELEVANCE) { nodes { ` + shopifyProductFields + ` } pageInfo { hasNextPage endCursor } } }`

	shopifyOrderCancel = `mutation SantralOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) { orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) { job { id done } orderCancelUserErrors { field message code } } }`

	shopifyJob = `query SantralJob($id: ID!) { job(id: $id) { id done } }`

	// The order's open fulfillment orders, which fulfillmentCreate needs ([inf]: field names
	// from the FulfillmentOrder reference; not among the fixtures).
	shopifyFulfillmentOrders = `query SantralFulfillmentOrders($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id status } } } }`

	shopifyFulfill = `mutation SantralFulfill($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status displayStatus trackingInfo(first: 1) { company number url } } userErrors { field message } } }`

	shopifyShop = `query SantralShop { shop { name currencyCode } }`
)

type shopifyMoney struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"shopMoney"`
}

type shopifyOrder struct {
	ID                       string       `json:"id"`
	Name                     string       `json:"name"`
	CreatedAt                time.Time    `json:"createdAt"`
	CancelledAt              *time.Time   `json:"cancelledAt"`
	DisplayFinancialStatus   string       `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus string       `json:"displayFulfillmentStatus"`
	TotalPriceSet            shopifyMoney `json:"totalPriceSet"`
	LineItems                struct {
		Nodes []struct {
			Title                string       `json:"title"`
			VariantTitle         *string      `json:"variantTitle"`
			SKU                  *string      `json:"sku"`
			Quantity             int          `json:"quantity"`
			OriginalUnitPriceSet shopifyMoney `json:"originalUnitPriceSet"`
		} `json:"nodes"`
	} `json:"lineItems"`
	Fulfillments []struct {
		DisplayStatus string `json:"displayStatus"`
		TrackingInfo  []struct {
			Company *string `json:"company"`
			Number  *string `json:"number"`
			URL     *string `json:"url"`
		} `json:"trackingInfo"`
	} `json:"fulfillments"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// shopifyStatus maps an order's display statuses to the common set (RESEARCH 1.3): a
// cancelled order is cancelled; a refund is a return; otherwise the fulfilment says where
// the parcel is, and the latest shipment's display status can say it arrived.
func shopifyStatus(o shopifyOrder) (Status, string) {
	text := strings.ToLower(strings.ReplaceAll(o.DisplayFulfillmentStatus, "_", " "))
	if o.CancelledAt != nil {
		return StatusCancelled, "cancelled"
	}
	switch o.DisplayFinancialStatus {
	case "REFUNDED", "PARTIALLY_REFUNDED":
		return StatusReturned, strings.ToLower(strings.ReplaceAll(o.DisplayFinancialStatus, "_", " "))
	}
	last := ""
	if n := len(o.Fulfillments); n > 0 {
		last = o.Fulfillments[n-1].DisplayStatus
	}
	switch last {
	case "DELIVERED", "PICKED_UP":
		return StatusDelivered, strings.ToLower(strings.ReplaceAll(last, "_", " "))
	}
	switch o.DisplayFulfillmentStatus {
	case "FULFILLED", "PARTIALLY_FULFILLED":
		return StatusShipped, text
	case "UNFULFILLED", "OPEN", "IN_PROGRESS", "PENDING_FULFILLMENT", "SCHEDULED", "FULFILLMENT_NOT_REQUIRED":
		if o.DisplayFinancialStatus == "PENDING" || o.DisplayFinancialStatus == "AUTHORIZED" {
			return StatusAwaitingPayment, text
		}
		return StatusProcessing, text
	case "ON_HOLD", "REQUEST_DECLINED":
		return StatusPending, text
	case "RESTOCKED":
		return StatusReturned, text
	}
	return StatusUnknown, text
}

var shopifyPayments = map[string]Payment{
	"PAID": PaymentPaid, "PENDING": PaymentPending, "AUTHORIZED": PaymentPending, "PARTIALLY_PAID": PaymentPartiallyPaid,
	"REFUNDED": PaymentRefunded, "PARTIALLY_REFUNDED": PaymentPartiallyRefunded, "VOIDED": PaymentVoided, "EXPIRED": PaymentFailed,
}

func (o shopifyOrder) order() Order {
	st, text := shopifyStatus(o)
	pay, ok := shopifyPayments[o.DisplayFinancialStatus]
	if !ok {
		pay = PaymentUnknown
	}
	total, _ := ParseMoney(o.TotalPriceSet.ShopMoney.Amount, o.TotalPriceSet.ShopMoney.CurrencyCode)
	out := Order{ID: o.ID, Number: o.Name, CreatedAt: ms(o.CreatedAt), Status: st, StatusText: text, Payment: pay,
		PaymentText: strings.ToLower(strings.ReplaceAll(o.DisplayFinancialStatus, "_", " ")), Total: total, Items: []Item{}}
	for _, li := range o.LineItems.Nodes {
		p, _ := ParseMoney(li.OriginalUnitPriceSet.ShopMoney.Amount, li.OriginalUnitPriceSet.ShopMoney.CurrencyCode)
		out.Items = append(out.Items, Item{Name: li.Title, Variant: deref(li.VariantTitle), SKU: deref(li.SKU), Quantity: li.Quantity, UnitPrice: p})
	}
	// The latest shipment with a tracking number is the one the customer asks about.
	for i := len(o.Fulfillments) - 1; i >= 0 && out.Tracking == ""; i-- {
		for _, t := range o.Fulfillments[i].TrackingInfo {
			if deref(t.Number) != "" {
				out.Carrier, out.Tracking, out.TrackingURL = deref(t.Company), deref(t.Number), deref(t.URL)
				break
			}
		}
	}
	if out.TrackingURL == "" {
		out.TrackingURL = TrackingURL(out.Carrier, out.Tracking)
	}
	return out
}

// Test asks for the shop's name: it needs a valid token and nothing else.
func (c *ShopifyClient) Test(ctx context.Context) error {
	var out struct {
		Shop *struct{ Name string } `json:"shop"`
	}
	if err := c.do(ctx, "test", shopifyShop, map[string]any{}, &out); err != nil {
		return err
	}
	if out.Shop == nil {
		return c.fail("test", KindBadResponse, 200, "no shop in the answer", nil)
	}
	return nil
}

// searchValue quotes a value for Shopify's search syntax.
func searchValue(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// FindOrders: by number through orders(query: "name:…"); else the customer by phone (E.164)
// and then by e-mail through customerByIdentifier; and when neither is a customer (a guest
// checkout), orders searched by e-mail or phone.
func (c *ShopifyClient) FindOrders(ctx context.Context, q Query) ([]Order, error) {
	if n := strings.TrimSpace(q.Number); n != "" {
		if !strings.HasPrefix(n, "#") {
			n = "#" + n
		}
		return c.searchOrders(ctx, "name:"+searchValue(n))
	}
	var idents []map[string]string
	var terms []string
	if p, ok := ParsePhone(q.Phone); ok && q.Phone != "" {
		idents = append(idents, map[string]string{"phoneNumber": p.E164()})
		terms = append(terms, "phone:"+searchValue(p.E164()))
	}
	if e := strings.TrimSpace(q.Email); e != "" {
		idents = append(idents, map[string]string{"emailAddress": e})
		terms = append(terms, "email:"+searchValue(e))
	}
	for _, id := range idents {
		var out struct {
			Customer *struct {
				Orders struct {
					Nodes []shopifyOrder `json:"nodes"`
				} `json:"orders"`
			} `json:"customerByIdentifier"`
		}
		if err := c.do(ctx, "orders", shopifyCustomerOrders, map[string]any{"identifier": id, "ordersFirst": 10}, &out); err != nil {
			return nil, err
		}
		if out.Customer != nil {
			orders := make([]Order, 0, len(out.Customer.Orders.Nodes))
			for _, o := range out.Customer.Orders.Nodes {
				orders = append(orders, o.order())
			}
			return orders, nil
		}
	}
	if len(terms) == 0 {
		return []Order{}, nil
	}
	return c.searchOrders(ctx, strings.Join(terms, " OR "))
}

func (c *ShopifyClient) searchOrders(ctx context.Context, query string) ([]Order, error) {
	var out struct {
		Orders struct {
			Nodes []shopifyOrder `json:"nodes"`
		} `json:"orders"`
	}
	if err := c.do(ctx, "orders", shopifyOrderSearch, map[string]any{"q": query, "first": 10}, &out); err != nil {
		return nil, err
	}
	orders := make([]Order, 0, len(out.Orders.Nodes))
	for _, o := range out.Orders.Nodes {
		orders = append(orders, o.order())
	}
	return orders, nil
}

// productQuery is the search for what an agent typed: a prefix of the title, or of a SKU, or
// a barcode, among active products.
func productQuery(text string) string {
	t := strings.TrimSpace(text)
	word := strings.NewReplacer(`"`, "", `\`, "", "(", "", ")", "", ":", "").Replace(t)
	if strings.ContainsAny(word, " \t") {
		return fmt.Sprintf("(title:%s OR sku:%s OR barcode:%s) AND status:active", searchValue(word), searchValue(word), searchValue(word))
	}
	return fmt.Sprintf("(title:%s* OR sku:%s* OR barcode:%s) AND status:active", word, word, word)
}

// shopifyProductFields is a product's selection, as products_search.request.json has it.
const shopifyProductFields = `id title handle status vendor productType onlineStoreUrl totalInventory featuredMedia { preview { image { url altText } } } priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } variants(first: 5) { nodes { id title sku barcode price compareAtPrice inventoryQuantity availableForSale } }`

// shopifyProductByID reads one product for a send ([inf]: product(id:) from the query
// reference; not among the fixtures).
const shopifyProductByID = `query SantralProduct($id: ID!) { product(id: $id) { ` + shopifyProductFields + ` } }`

type shopifyProduct struct {
	ID             string  `json:"id"`
	Title          string  `json:"title"`
	OnlineStoreURL *string `json:"onlineStoreUrl"`
	TotalInventory int     `json:"totalInventory"`
	FeaturedMedia  *struct {
		Preview struct {
			Image *struct {
				URL string `json:"url"`
			} `json:"image"`
		} `json:"preview"`
	} `json:"featuredMedia"`
	PriceRangeV2 struct {
		MinVariantPrice struct {
			Amount       string `json:"amount"`
			CurrencyCode string `json:"currencyCode"`
		} `json:"minVariantPrice"`
	} `json:"priceRangeV2"`
	Variants struct {
		Nodes []struct {
			SKU     *string `json:"sku"`
			Barcode *string `json:"barcode"`
		} `json:"nodes"`
	} `json:"variants"`
}

// product is the card: the lowest variant price; the variant the agent searched for (by SKU
// or barcode), else the first, names the SKU.
func (n shopifyProduct) product(text string) Product {
	price, _ := ParseMoney(n.PriceRangeV2.MinVariantPrice.Amount, n.PriceRangeV2.MinVariantPrice.CurrencyCode)
	p := Product{ID: n.ID, Name: n.Title, Price: price, URL: deref(n.OnlineStoreURL), Stock: n.TotalInventory}
	if n.FeaturedMedia != nil && n.FeaturedMedia.Preview.Image != nil {
		p.ImageURL = n.FeaturedMedia.Preview.Image.URL
	}
	for i, v := range n.Variants.Nodes {
		if i == 0 || (text != "" && (strings.EqualFold(deref(v.SKU), text) || deref(v.Barcode) == text)) {
			p.SKU, p.Barcode = deref(v.SKU), deref(v.Barcode)
		}
	}
	return p
}

// SearchProducts runs products(query:) with title, SKU and barcode filters.
func (c *ShopifyClient) SearchProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	if limit <= 0 || limit > 25 {
		limit = 10
	}
	var out struct {
		Products struct {
			Nodes []shopifyProduct `json:"nodes"`
		} `json:"products"`
	}
	if err := c.do(ctx, "products", shopifyProductSearch, map[string]any{"q": productQuery(text), "first": limit}, &out); err != nil {
		return nil, err
	}
	list := make([]Product, 0, len(out.Products.Nodes))
	for _, n := range out.Products.Nodes {
		list = append(list, n.product(strings.TrimSpace(text)))
	}
	return list, nil
}

// Product reads one product by its id.
func (c *ShopifyClient) Product(ctx context.Context, id string) (Product, error) {
	var out struct {
		Product *shopifyProduct `json:"product"`
	}
	if err := c.do(ctx, "product", shopifyProductByID, map[string]any{"id": id}, &out); err != nil {
		return Product{}, err
	}
	if out.Product == nil {
		return Product{}, c.fail("product", KindNotFound, 200, "no such product", nil)
	}
	return out.Product.product(""), nil
}

// cancelJobPatience bounds how long Do waits for orderCancel's job; past it the result says
// pending (Shopify finishes the job on its own).
const cancelJobPolls = 10

// Do runs an order action: cancel (orderCancel, then its job followed until done), add a
// tracking number (fulfillmentCreate on the order's open fulfillment orders). Shopify has no
// free order status (RESEARCH 1.5): set_status is unsupported.
func (c *ShopifyClient) Do(ctx context.Context, a Action) (Result, error) {
	switch a.Kind {
	case ActionCancel:
		return c.cancel(ctx, a)
	case ActionAddTracking:
		return c.fulfill(ctx, a)
	}
	return Result{}, c.fail(string(a.Kind), KindUnsupported, 0, "Shopify has no order status to set: cancel it, or add a tracking number", nil)
}

func (c *ShopifyClient) cancel(ctx context.Context, a Action) (Result, error) {
	vars := map[string]any{
		"orderId": a.OrderID, "reason": "CUSTOMER", "refundMethod": map[string]any{"originalPaymentMethodsRefund": true},
		"restock": true, "notifyCustomer": a.Notify, "staffNote": a.Note,
	}
	var out struct {
		OrderCancel struct {
			Job *struct {
				ID   string `json:"id"`
				Done bool   `json:"done"`
			} `json:"job"`
			UserErrors []struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			} `json:"orderCancelUserErrors"`
		} `json:"orderCancel"`
	}
	if err := c.do(ctx, "orderCancel", shopifyOrderCancel, vars, &out); err != nil {
		return Result{}, err
	}
	if ue := out.OrderCancel.UserErrors; len(ue) > 0 {
		e := c.fail("orderCancel", KindRefused, 200, ue[0].Message, nil)
		e.Code = ue[0].Code
		if ue[0].Code == "NOT_FOUND" {
			e.Kind = KindNotFound
		}
		return Result{}, e
	}
	job := out.OrderCancel.Job
	if job == nil {
		return Result{}, c.fail("orderCancel", KindBadResponse, 200, "no job in the answer", nil)
	}
	for i := 0; !job.Done; i++ {
		if i == cancelJobPolls {
			return Result{Pending: true, Detail: "Shopify is still cancelling the order"}, nil
		}
		if err := c.sleep(ctx, time.Duration(i+1)*500*time.Millisecond); err != nil {
			return Result{Pending: true, Detail: "Shopify is still cancelling the order"}, nil
		}
		var poll struct {
			Job *struct {
				ID   string `json:"id"`
				Done bool   `json:"done"`
			} `json:"job"`
		}
		if err := c.do(ctx, "job", shopifyJob, map[string]any{"id": job.ID}, &poll); err != nil {
			return Result{Pending: true, Detail: "Shopify is still cancelling the order"}, nil
		}
		if poll.Job != nil {
			job.Done = poll.Job.Done
		}
	}
	return Result{}, nil
}

func (c *ShopifyClient) fulfill(ctx context.Context, a Action) (Result, error) {
	if strings.TrimSpace(a.Tracking) == "" {
		return Result{}, c.fail("fulfillmentCreate", KindRefused, 0, "a tracking number is needed", nil)
	}
	var fo struct {
		Order *struct {
			FulfillmentOrders struct {
				Nodes []struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"nodes"`
			} `json:"fulfillmentOrders"`
		} `json:"order"`
	}
	if err := c.do(ctx, "fulfillmentOrders", shopifyFulfillmentOrders, map[string]any{"id": a.OrderID}, &fo); err != nil {
		return Result{}, err
	}
	if fo.Order == nil {
		return Result{}, c.fail("fulfillmentCreate", KindNotFound, 200, "no such order", nil)
	}
	var open []map[string]any
	for _, n := range fo.Order.FulfillmentOrders.Nodes {
		if n.Status == "OPEN" || n.Status == "IN_PROGRESS" {
			open = append(open, map[string]any{"fulfillmentOrderId": n.ID})
		}
	}
	if len(open) == 0 {
		return Result{}, c.fail("fulfillmentCreate", KindRefused, 200, "the order has nothing left to ship", nil)
	}
	track := map[string]any{"company": a.Carrier, "number": a.Tracking}
	if u := TrackingURL(a.Carrier, a.Tracking); u != "" {
		track["url"] = u
	}
	vars := map[string]any{"fulfillment": map[string]any{"lineItemsByFulfillmentOrder": open, "notifyCustomer": a.Notify, "trackingInfo": track}}
	var out struct {
		FulfillmentCreate struct {
			UserErrors []struct {
				Message string `json:"message"`
			} `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	if err := c.do(ctx, "fulfillmentCreate", shopifyFulfill, vars, &out); err != nil {
		return Result{}, err
	}
	if ue := out.FulfillmentCreate.UserErrors; len(ue) > 0 {
		return Result{}, c.fail("fulfillmentCreate", KindRefused, 200, ue[0].Message, nil)
	}
	return Result{}, nil
}
