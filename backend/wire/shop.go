package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// The shop in the conversation (PRODUCT.md rule 13): a connected Shopify, Ticimax or Ideasoft
// store, the contact's orders and the shop's products as the side panel shows them, in one
// common set of words whatever the platform (backend/shop maps each platform's words).

// ShopStatus is an order's state in the common set.
type ShopStatus string

const (
	ShopStatusPending         ShopStatus = "pending"          // placed, waiting for the shop's approval
	ShopStatusAwaitingPayment ShopStatus = "awaiting_payment" // waiting for the customer's payment (e.g. havale)
	ShopStatusProcessing      ShopStatus = "processing"       // approved, being prepared or packed
	ShopStatusShipped         ShopStatus = "shipped"          // handed to the carrier
	ShopStatusDelivered       ShopStatus = "delivered"
	ShopStatusCancelled       ShopStatus = "cancelled"
	ShopStatusReturned        ShopStatus = "returned" // returned or refunded, fully or in part
	ShopStatusUnknown         ShopStatus = "unknown"  // a platform word not mapped: StatusText shows it
)

// ShopPayment is an order's payment state in the common set.
type ShopPayment string

const (
	ShopPaymentPaid              ShopPayment = "paid"
	ShopPaymentPending           ShopPayment = "pending"
	ShopPaymentPartiallyPaid     ShopPayment = "partially_paid"
	ShopPaymentRefunded          ShopPayment = "refunded"
	ShopPaymentPartiallyRefunded ShopPayment = "partially_refunded"
	ShopPaymentFailed            ShopPayment = "failed"
	ShopPaymentVoided            ShopPayment = "voided"
	ShopPaymentUnknown           ShopPayment = "unknown"
)

// Money is an amount in minor units (kuruş) of an ISO 4217 currency (TRY for the lira,
// whatever a platform calls it).
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// String is the amount with two decimals ("899.90").
func (m Money) String() string {
	sign, v := "", m.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Display is the amount as a Turkish customer reads it: "1.249,90 TL".
func (m Money) Display() string {
	sign, v := "", m.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	cur := m.Currency
	if cur == "TRY" || cur == "" {
		cur = "TL"
	}
	return fmt.Sprintf("%s%s,%02d %s", sign, b.String(), v%100, cur)
}

// ShopItem is one line of an order.
type ShopItem struct {
	Name      string `json:"name"`
	Variant   string `json:"variant,omitempty"`
	SKU       string `json:"sku,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unit_price"`
}

// ShopOrder is a customer's order as the panel shows it.
type ShopOrder struct {
	ID          string      `json:"id"`     // the platform's id, for actions
	Number      string      `json:"number"` // what the customer knows it by ("#1042", "TCM2611031940")
	CreatedAt   int64       `json:"created_at"`
	Status      ShopStatus  `json:"status"`
	StatusText  string      `json:"status_text,omitempty"` // the platform's own words
	Payment     ShopPayment `json:"payment"`
	PaymentText string      `json:"payment_text,omitempty"`
	Items       []ShopItem  `json:"items"`
	Total       Money       `json:"total"`
	Customer    string      `json:"customer,omitempty"`
	Carrier     string      `json:"carrier,omitempty"`
	Tracking    string      `json:"tracking_number,omitempty"`
	TrackingURL string      `json:"tracking_url,omitempty"`
}

// ShopProduct is a product as the panel lists it and the chat receives it.
type ShopProduct struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	SKU      string `json:"sku,omitempty"`
	Barcode  string `json:"barcode,omitempty"`
	Price    Money  `json:"price"`
	ImageURL string `json:"image_url,omitempty"`
	URL      string `json:"url,omitempty"` // empty when the product is not on the storefront
	Stock    int    `json:"stock"`
}

// ShopStore is a connected store as an admin sees it: settings and the names of the
// credentials set, never their values.
type ShopStore struct {
	ID          int64    `json:"id"`
	Platform    string   `json:"platform"` // shopify | ticimax | ideasoft
	Name        string   `json:"name"`
	BaseURL     string   `json:"base_url"`
	APIVersion  string   `json:"api_version,omitempty"`
	RedirectURI string   `json:"redirect_uri,omitempty"` // Ideasoft: the callback registered with the app
	Enabled     bool     `json:"enabled"`
	ActionRoles []Role   `json:"action_roles"` // who may cancel, set a status, add tracking
	Credentials []string `json:"credentials"`  // the names of the credentials set
	// Authorized: Ideasoft has given tokens (the OAuth flow is done); other platforms: true.
	Authorized bool `json:"authorized"`
	// UnreachableSince is when the store stopped answering (unix ms); 0: it answers.
	UnreachableSince int64  `json:"unreachable_since,omitempty"`
	LastError        string `json:"last_error,omitempty"`
}

// ShopStoreRequest is the body of POST /api/v1/shop-stores and PATCH …/{id}. Credentials are
// written, never read back: shopify access_token, or client_id + client_secret; ticimax
// auth_code; ideasoft client_id + client_secret (then the OAuth flow). A credential left out of
// a PATCH keeps its value.
type ShopStoreRequest struct {
	Platform    string            `json:"platform,omitempty"`
	Name        string            `json:"name,omitempty"`
	BaseURL     string            `json:"base_url,omitempty"`
	APIVersion  string            `json:"api_version,omitempty"`
	RedirectURI string            `json:"redirect_uri,omitempty"`
	Enabled     *bool             `json:"enabled,omitempty"`
	ActionRoles []Role            `json:"action_roles,omitempty"`
	Credentials map[string]string `json:"credentials,omitempty"`
}

// ShopTestResult is what "test connection" found: ok, or the failure in words with its code
// (shop_auth_failed, shop_unreachable, …) and the step that failed.
type ShopTestResult struct {
	OK      bool   `json:"ok"`
	Code    Code   `json:"code,omitempty"`
	Step    string `json:"step,omitempty"` // token, test, …
	Message string `json:"message,omitempty"`
}

// ShopAuthorizeStart is where an admin's browser goes to let Santral into an Ideasoft shop.
type ShopAuthorizeStart struct {
	URL string `json:"url"`
}

// ShopAuthorizeRequest finishes Ideasoft's OAuth flow with the code it sent back.
type ShopAuthorizeRequest struct {
	Code  string `json:"code"`
	State string `json:"state"`
}

// ShopOrders is one store's answer in the panel: its orders, or why there are none.
type ShopOrders struct {
	StoreID   int64       `json:"store_id"`
	StoreName string      `json:"store_name"`
	Platform  string      `json:"platform"`
	Orders    []ShopOrder `json:"orders"`
	// Actions are what the reader may do with this store's orders (their role is permitted
	// and the platform allows it): cancel, set_status, add_tracking.
	Actions []string `json:"actions"`
	// Error is why the store did not answer (shop_unreachable, shop_auth_failed, …).
	Error *Error `json:"error,omitempty"`
	// UnreachableSince: the store has not answered since then (unix ms); the panel says so
	// rather than spin.
	UnreachableSince int64 `json:"unreachable_since,omitempty"`
	Cached           bool  `json:"cached,omitempty"`
}

// ShopPanel is GET /api/v1/conversations/{id}/shop/orders: each enabled store's orders for
// the conversation's contact (by phone and e-mail) or for an order number.
type ShopPanel struct {
	Phone  string       `json:"phone,omitempty"`
	Email  string       `json:"email,omitempty"`
	Number string       `json:"number,omitempty"`
	Stores []ShopOrders `json:"stores"`
}

// ShopProducts is one store's answer to a product search.
type ShopProducts struct {
	StoreID          int64         `json:"store_id"`
	StoreName        string        `json:"store_name"`
	Platform         string        `json:"platform"`
	Products         []ShopProduct `json:"products"`
	Error            *Error        `json:"error,omitempty"`
	UnreachableSince int64         `json:"unreachable_since,omitempty"`
}

// ShopProductSearch is GET /api/v1/conversations/{id}/shop/products?q=.
type ShopProductSearch struct {
	Query  string         `json:"query"`
	Stores []ShopProducts `json:"stores"`
}

// ShopOrderActionRequest is the body of POST /api/v1/conversations/{id}/shop/orders/action.
// The UI asks the agent to confirm first; Confirm must be true (a request without it is
// refused, so no action happens by a stray call).
type ShopOrderActionRequest struct {
	StoreID  int64      `json:"store_id"`
	OrderID  string     `json:"order_id"`
	Number   string     `json:"number,omitempty"` // the order's number, for the timeline
	Action   string     `json:"action"`           // cancel | set_status | add_tracking
	Status   ShopStatus `json:"status,omitempty"`
	Carrier  string     `json:"carrier,omitempty"`
	Tracking string     `json:"tracking_number,omitempty"`
	Notify   bool       `json:"notify_customer,omitempty"`
	Confirm  bool       `json:"confirm"`
}

// ShopOrderActionResult is what the action did, with the timeline entry that records it.
type ShopOrderActionResult struct {
	Pending  bool          `json:"pending"` // the platform finishes it later (Shopify's cancel job)
	Detail   string        `json:"detail,omitempty"`
	Timeline TimelineEntry `json:"timeline"`
}

// SendProductRequest is the body of POST /api/v1/conversations/{id}/shop/products/send.
type SendProductRequest struct {
	StoreID        int64  `json:"store_id"`
	ProductID      string `json:"product_id"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Shop error codes: each is shown in Turkish and English by the UI.
const (
	CodeShopNotConnected      Code = "shop_not_connected"      // no such store, or it is switched off
	CodeShopUnreachable       Code = "shop_unreachable"        // the store did not answer in time
	CodeShopAuthFailed        Code = "shop_auth_failed"        // the store refused Santral's credentials
	CodeShopRefused           Code = "shop_refused"            // the platform refused; the message has its words
	CodeShopThrottled         Code = "shop_throttled"          // the platform's rate limit: try again shortly
	CodeShopActionNotAllowed  Code = "shop_action_not_allowed" // the admin has not permitted this role
	CodeShopActionUnsupported Code = "shop_action_unsupported" // the platform has no such action
	CodeShopConfirmRequired   Code = "shop_confirm_required"   // an order action needs confirm: true
	CodeShopOrderNotFound     Code = "shop_order_not_found"
	CodeShopProductNotFound   Code = "shop_product_not_found"
	CodeShopNotAuthorized     Code = "shop_not_authorized" // Ideasoft: the OAuth flow is not done
	// A product image's address is not the store's site or its platform's CDN, resolves to a
	// private/loopback/link-local address, or redirects too often.
	CodeShopImageRefused Code = "shop_image_refused"
	// An order action on an order that is not among the conversation's customer's orders.
	CodeShopOrderNotCustomer Code = "shop_order_not_customer"
	// Another action on the same order is at the store now.
	CodeShopActionPending Code = "shop_action_pending"
)
