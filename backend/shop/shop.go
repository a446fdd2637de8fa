// Package shop holds Santral's clients for the shop platforms (Shopify, Ticimax, Ideasoft)
// behind one small interface: find a customer's orders by phone, e-mail or order number,
// search products by name, SKU or barcode, and the order actions a platform allows. Each
// platform's words (statuses, payment states) are mapped here to one common set, so the
// server, the app and the UI speak only the common words.
//
// The clients are real HTTP clients with a configurable base URL; the tests run them against
// local servers that check every request against the documented wire format (testdata/).
package shop

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"santral/backend/wire"
)

// Platform names a shop platform.
type Platform string

const (
	Shopify  Platform = "shopify"
	Ticimax  Platform = "ticimax"
	Ideasoft Platform = "ideasoft"
)

// Platforms lists the supported platforms.
var Platforms = []Platform{Shopify, Ticimax, Ideasoft}

// The common words and the panel's types live in backend/wire, which the app shares.
type (
	Status  = wire.ShopStatus
	Payment = wire.ShopPayment
	Money   = wire.Money
	Item    = wire.ShopItem
	Order   = wire.ShopOrder
	Product = wire.ShopProduct
)

const (
	StatusPending         = wire.ShopStatusPending
	StatusAwaitingPayment = wire.ShopStatusAwaitingPayment
	StatusProcessing      = wire.ShopStatusProcessing
	StatusShipped         = wire.ShopStatusShipped
	StatusDelivered       = wire.ShopStatusDelivered
	StatusCancelled       = wire.ShopStatusCancelled
	StatusReturned        = wire.ShopStatusReturned
	StatusUnknown         = wire.ShopStatusUnknown

	PaymentPaid              = wire.ShopPaymentPaid
	PaymentPending           = wire.ShopPaymentPending
	PaymentPartiallyPaid     = wire.ShopPaymentPartiallyPaid
	PaymentRefunded          = wire.ShopPaymentRefunded
	PaymentPartiallyRefunded = wire.ShopPaymentPartiallyRefunded
	PaymentFailed            = wire.ShopPaymentFailed
	PaymentVoided            = wire.ShopPaymentVoided
	PaymentUnknown           = wire.ShopPaymentUnknown
)

// Statuses is the common set, in the order an order passes through it.
var Statuses = []Status{StatusPending, StatusAwaitingPayment, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled, StatusReturned, StatusUnknown}

// Label is a word in Turkish and English.
type Label struct {
	TR string `json:"tr"`
	EN string `json:"en"`
}

// StatusLabels are the common statuses in Turkish and English, for text Santral writes itself
// (the UI has its words in frontend/src/i18n.ts, shop.status.*).
var StatusLabels = map[Status]Label{
	StatusPending:         {"Onay bekliyor", "Awaiting approval"},
	StatusAwaitingPayment: {"Ödeme bekleniyor", "Awaiting payment"},
	StatusProcessing:      {"Hazırlanıyor", "Being prepared"},
	StatusShipped:         {"Kargoda", "Shipped"},
	StatusDelivered:       {"Teslim edildi", "Delivered"},
	StatusCancelled:       {"İptal edildi", "Cancelled"},
	StatusReturned:        {"İade", "Returned"},
	StatusUnknown:         {"Diğer", "Other"},
}

// PaymentLabels are the common payment states in Turkish and English.
var PaymentLabels = map[Payment]Label{
	PaymentPaid:              {"Ödendi", "Paid"},
	PaymentPending:           {"Ödeme bekliyor", "Pending"},
	PaymentPartiallyPaid:     {"Kısmen ödendi", "Partially paid"},
	PaymentRefunded:          {"İade edildi", "Refunded"},
	PaymentPartiallyRefunded: {"Kısmen iade edildi", "Partially refunded"},
	PaymentFailed:            {"Başarısız", "Failed"},
	PaymentVoided:            {"İptal edildi", "Voided"},
	PaymentUnknown:           {"Bilinmiyor", "Unknown"},
}

// currency maps a platform's currency word to ISO 4217.
func currency(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "TL", "TRY", "YTL", "₺":
		return "TRY"
	default:
		return strings.ToUpper(strings.TrimSpace(s))
	}
}

// ParseMoney reads a decimal amount ("899.9", "1099.90", "175") exactly, rounding past two
// decimals half away from zero.
func ParseMoney(amount, cur string) (Money, error) {
	s := strings.TrimSpace(amount)
	if s == "" {
		return Money{Currency: currency(cur)}, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("shop: not an amount: %q", amount)
	}
	for _, r := range frac {
		if r < '0' || r > '9' {
			return Money{}, fmt.Errorf("shop: not an amount: %q", amount)
		}
	}
	frac += "000"
	f, _ := strconv.ParseInt(frac[:2], 10, 64)
	if frac[2] >= '5' {
		f++
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return Money{Minor: v, Currency: currency(cur)}, nil
}

// moneyOf is a float amount (JSON numbers of REST platforms) in minor units.
func moneyOf(f float64, cur string) Money {
	return Money{Minor: int64(math.Round(f * 100)), Currency: currency(cur)}
}

// Query finds a customer's orders: by order number, or else by phone and/or e-mail. Phone is
// as WhatsApp gives it (905321234567) or as a person writes it; each client puts it into its
// platform's form.
type Query struct {
	Phone  string
	Email  string
	Number string
}

// ActionKind is an order action.
type ActionKind string

const (
	ActionCancel      ActionKind = "cancel"
	ActionSetStatus   ActionKind = "set_status"
	ActionAddTracking ActionKind = "add_tracking"
)

// Action is an order action an agent asked for.
type Action struct {
	Kind     ActionKind
	OrderID  string
	Status   Status // set_status: the target
	Carrier  string // add_tracking: the carrier's name (for the link and platforms that keep it)
	Tracking string // add_tracking: the tracking number
	Note     string // a staff note where the platform keeps one (Shopify's staffNote)
	Notify   bool   // tell the customer (the platform's own e-mail)
}

// Result is what an action did.
type Result struct {
	// Pending: the platform accepted the action and finishes it later (Shopify's cancel job
	// still running when we stopped waiting).
	Pending bool   `json:"pending"`
	Detail  string `json:"detail,omitempty"`
}

// Client is one connected shop.
type Client interface {
	Platform() Platform
	// Test makes one cheap authenticated call: nil, or an *Error saying what failed.
	Test(ctx context.Context) error
	FindOrders(ctx context.Context, q Query) ([]Order, error)
	// SearchProducts finds products whose name, SKU or barcode matches text.
	SearchProducts(ctx context.Context, text string, limit int) ([]Product, error)
	// Product reads one product by its id (for a send: the card is the shop's, not the
	// client's).
	Product(ctx context.Context, id string) (Product, error)
	// Actions are the action kinds this platform allows.
	Actions() []ActionKind
	Do(ctx context.Context, a Action) (Result, error)
}

// Kind classifies a failure so the server can say what happened.
type Kind string

const (
	KindAuth        Kind = "auth"        // credentials refused (401/403, bad authorisation code)
	KindUnreachable Kind = "unreachable" // network error, timeout, 5xx
	KindThrottled   Kind = "throttled"   // the platform's rate limit held past our patience
	KindRefused     Kind = "refused"     // the platform refused the request; Message has its words
	KindNotFound    Kind = "not_found"
	KindUnsupported Kind = "unsupported" // the platform has no such action
	KindBadResponse Kind = "bad_response"
)

// Error is a platform failure with the platform's words.
type Error struct {
	Kind     Kind
	Platform Platform
	Op       string // what we were doing: "orders", "token", "SetSiparisDurum"
	Status   int    // HTTP status, when there was one
	Code     string // the platform's code (OrderCancelUserErrorCode, ErrorCode, faultcode)
	Message  string // the platform's words, or ours when it gave none
	Err      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("shop: %s %s: %s", e.Platform, e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf is the kind of a failure: an *Error's, unreachable for a cancelled/expired context
// or any other error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnreachable
}

// sleeper waits d or until ctx ends. Tests replace it to see the waits without sleeping.
type sleeper func(ctx context.Context, d time.Duration) error

func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusForHTTP classifies an HTTP status that is not a success.
func kindForHTTP(status int) Kind {
	switch {
	case status == 401 || status == 403:
		return KindAuth
	case status == 404:
		return KindNotFound
	case status == 429:
		return KindThrottled
	case status >= 500:
		return KindUnreachable
	default:
		return KindRefused
	}
}

// truncate bounds a platform's text we quote back (an HTML error page, say).
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ms is a time as the wire carries it (unix milliseconds; 0 for no time).
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
