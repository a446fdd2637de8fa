package shop

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// rest checks an Admin API call: method, path under /admin-api, the query parameters exactly,
// the bearer token, and (for a body) the JSON member by member against a documented request.
func rest(method, path string, query url.Values, token, bodyFile string) func(t *testing.T, r *http.Request, body []byte) {
	return func(t *testing.T, r *http.Request, body []byte) {
		if r.Method != method || r.URL.Path != "/admin-api"+path {
			t.Errorf("%s %s, want %s /admin-api%s", r.Method, r.URL.Path, method, path)
		}
		if got := r.URL.Query(); !reflect.DeepEqual(got, query) && !(len(got) == 0 && len(query) == 0) {
			t.Errorf("query %v, want %v", got, query)
		}
		header(t, r, "Authorization", "Bearer "+token)
		header(t, r, "Accept", "application/json")
		if bodyFile != "" {
			header(t, r, "Content-Type", "application/json")
			sameJSON(t, "body", decodeJSON(t, body), decodeJSON(t, fixture(t, "ideasoft", bodyFile)))
		} else if len(body) != 0 {
			t.Errorf("a body on %s: %s", method, body)
		}
	}
}

// tokenRequest checks a token request against a documented one (request line, headers and
// the form body exactly as the fixture has it, field order included).
func tokenRequest(file string, edit ...string) func(t *testing.T, r *http.Request, body []byte) {
	return func(t *testing.T, r *http.Request, body []byte) {
		doc := string(fixture(t, "ideasoft", file))
		head, want, _ := strings.Cut(doc, "\n\n")
		want = strings.TrimSpace(want)
		for i := 0; i+1 < len(edit); i += 2 {
			want = strings.Replace(want, edit[i], edit[i+1], 1)
		}
		if !strings.HasPrefix(head, "POST /oauth/v2/token ") || r.Method != "POST" || r.URL.Path != "/oauth/v2/token" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		header(t, r, "Content-Type", "application/x-www-form-urlencoded")
		header(t, r, "Accept", "application/json")
		if string(body) != want {
			t.Errorf("form\n got %s\nwant %s", body, want)
		}
	}
}

type savedTokens struct {
	mu   sync.Mutex
	list []IdeasoftTokens
	fail error
}

func (s *savedTokens) save(_ context.Context, _, t IdeasoftTokens) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.list = append(s.list, t)
	return nil
}

var ideasoftNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func newIdeasoftFor(t *testing.T, p *platform, tokens IdeasoftTokens) (*IdeasoftClient, *sleeps, *savedTokens) {
	t.Helper()
	saved := &savedTokens{}
	c, err := NewIdeasoft(IdeasoftConfig{BaseURL: p.srv.URL, ClientID: "3_4x9kq2m7a0w8gso0c4wk8s00cgwc",
		ClientSecret: "2c7b9e0d1f4a4c8e9b6a3d5f7e1c0b2a", Tokens: tokens, SaveTokens: saved.save})
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	c.now = func() time.Time { return ideasoftNow }
	return c, s, saved
}

var validTokens = IdeasoftTokens{AccessToken: "access-1", RefreshToken: "OTdkYzBiMWE0ZjNlMmM1ZDZhN2I4ZTlmMGExYjJjM2Q", Expires: ideasoftNow.Add(time.Hour)}

func TestIdeasoftExchangesTheAuthorisationCode(t *testing.T) {
	p := newPlatform(t, step{name: "token", check: tokenRequest("oauth_token.request.txt"), body: fixture(t, "ideasoft", "oauth_token.response.json")})
	c, _, saved := newIdeasoftFor(t, p, IdeasoftTokens{})
	if got := c.AuthorizeURL("5f1c0a7e2b", "https://santral.example.com.tr/integrations/ideasoft/callback"); got != p.srv.URL+
		"/panel/auth?client_id=3_4x9kq2m7a0w8gso0c4wk8s00cgwc&redirect_uri=https%3A%2F%2Fsantral.example.com.tr%2Fintegrations%2Fideasoft%2Fcallback&response_type=code&state=5f1c0a7e2b" {
		t.Errorf("authorize URL %s", got)
	}
	tok, err := c.Exchange(context.Background(), "NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1", "https://santral.example.com.tr/integrations/ideasoft/callback")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "MmQ0ZjZhOGMwZTJiNGQ2Zjg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg" || tok.RefreshToken != "OTdkYzBiMWE0ZjNlMmM1ZDZhN2I4ZTlmMGExYjJjM2Q" ||
		!tok.Expires.After(ideasoftNow.Add(23*time.Hour)) || len(saved.list) != 1 || saved.list[0] != tok {
		t.Errorf("tokens %+v, saved %+v", tok, saved.list)
	}
}

func TestIdeasoftRefreshReplacesTheRefreshTokenAndKeepsIt(t *testing.T) {
	rotated := `{"access_token":"access-2","expires_in":86400,"token_type":"bearer","scope":"order_read","refresh_token":"refresh-2"}`
	p := newPlatform(t,
		step{name: "refresh with the documented token", check: tokenRequest("oauth_refresh.request.txt"), body: []byte(rotated)},
		step{name: "orders with the new token", check: rest("GET", "/orders", url.Values{"limit": {"1"}}, "access-2", ""), body: []byte(`[]`)},
		step{name: "refresh with the replaced token", check: tokenRequest("oauth_refresh.request.txt", "OTdkYzBiMWE0ZjNlMmM1ZDZhN2I4ZTlmMGExYjJjM2Q", "refresh-2"),
			body: []byte(strings.NewReplacer("access-2", "access-3", "refresh-2", "refresh-3").Replace(rotated))},
		step{name: "orders with the third token", check: rest("GET", "/orders", url.Values{"limit": {"1"}}, "access-3", ""), body: []byte(`[]`)})
	expired := validTokens
	expired.Expires = ideasoftNow.Add(-time.Second)
	c, _, saved := newIdeasoftFor(t, p, expired)
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	ideasoftNow = ideasoftNow.Add(25 * time.Hour)
	defer func() { ideasoftNow = ideasoftNow.Add(-25 * time.Hour) }()
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(saved.list) != 2 || saved.list[0].RefreshToken != "refresh-2" || saved.list[1].RefreshToken != "refresh-3" || c.Tokens().RefreshToken != "refresh-3" {
		t.Errorf("saved %+v", saved.list)
	}
}

func TestIdeasoftTokensThatCannotBeKeptAreNotUsed(t *testing.T) {
	p := newPlatform(t, step{name: "refresh", body: fixture(t, "ideasoft", "oauth_token.response.json")})
	expired := validTokens
	expired.Expires = ideasoftNow.Add(-time.Second)
	c, _, saved := newIdeasoftFor(t, p, expired)
	saved.fail = errors.New("disk full")
	if err := c.Test(context.Background()); err == nil || !strings.Contains(err.Error(), "could not be kept") {
		t.Fatalf("err %v", err)
	}
	if c.Tokens().AccessToken != "access-1" {
		t.Error("a pair that was not kept is in use")
	}
}

func TestIdeasoftRefusedTokenRefreshesOnceThenRetries(t *testing.T) {
	p := newPlatform(t,
		step{name: "orders 401", status: 401, body: []byte(`{"error":"invalid_grant","error_description":"The access token provided is invalid."}`)},
		step{name: "refresh", check: tokenRequest("oauth_refresh.request.txt"), body: fixture(t, "ideasoft", "oauth_token.response.json")},
		step{name: "orders again", check: rest("GET", "/orders", url.Values{"limit": {"1"}}, "MmQ0ZjZhOGMwZTJiNGQ2Zjg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg", ""), body: []byte(`[]`)})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestIdeasoftRevokedRefreshTokenSaysReconnect(t *testing.T) {
	p := newPlatform(t,
		step{name: "orders 401", status: 401, body: []byte(`{}`)},
		step{name: "refresh refused", status: 400, body: []byte(`{"error":"invalid_grant","error_description":"Invalid refresh token"}`)})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	wantKind(t, c.Test(context.Background()), KindAuth, "Invalid refresh token")
}

func TestIdeasoftFindsOrdersByEmailWithLinesAndTracking(t *testing.T) {
	p := newPlatform(t,
		step{name: "members", check: rest("GET", "/members", url.Values{"s": {"ayse.yilmaz@example.com.tr"}, "limit": {"5"}}, "access-1", ""),
			body: fixture(t, "ideasoft", "members_search.response.json")},
		step{name: "orders", check: rest("GET", "/orders", url.Values{"member": {"48213"}, "sort": {"-id"}, "limit": {"10"}}, "access-1", ""),
			body: fixture(t, "ideasoft", "orders_list.response.json"), header: map[string]string{"total_count": "1"}},
		step{name: "shipments", check: rest("GET", "/shipments", url.Values{"order": {"18342"}}, "access-1", ""),
			body: fixture(t, "ideasoft", "shipments.response.json")})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	orders, err := c.FindOrders(context.Background(), Query{Email: "ayse.yilmaz@example.com.tr"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Order{{ID: "18342", Number: "b7e41c09a2f35", CreatedAt: time.Date(2026, 11, 3, 16, 40, 7, 0, time.UTC).UnixMilli(), Status: StatusShipped,
		StatusText: "fulfilled", Payment: PaymentPaid, PaymentText: "success Kredi Kartı",
		Items: []Item{{Name: "Türk Kahvesi Orta Kavrulmuş 250 g", SKU: "AK-TK-250", Quantity: 2, UnitPrice: Money{Minor: 17500, Currency: "TRY"}},
			{Name: "Bakır Cezve No:3", SKU: "AK-CZV-03", Quantity: 1, UnitPrice: Money{Minor: 89990, Currency: "TRY"}}},
		Total: Money{Minor: 124990, Currency: "TRY"}, Customer: "Ayşe Yılmaz", Carrier: "Yurtiçi Kargo", Tracking: "304918277651",
		TrackingURL: "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651"}}
	if !reflect.DeepEqual(orders, want) {
		t.Errorf("orders\n got %+v\nwant %+v", orders, want)
	}
}

func TestIdeasoftFindsTheMemberByPhoneAndFetchesMissingLines(t *testing.T) {
	list := strings.Replace(string(fixture(t, "ideasoft", "orders_list.response.json")), `"shippingTrackingCode": "304918277651"`, `"shippingTrackingCode": null`, 1)
	a := strings.Index(list, `"orderItems"`)
	list = list[:strings.LastIndex(list[:a], ",")] + "\n  }\n]"
	p := newPlatform(t,
		step{name: "members by phone", check: rest("GET", "/members", url.Values{"s": {"+90 (532) 123 45 67"}, "limit": {"5"}}, "access-1", ""),
			body: fixture(t, "ideasoft", "members_search.response.json")},
		step{name: "orders", check: rest("GET", "/orders", url.Values{"member": {"48213"}, "sort": {"-id"}, "limit": {"10"}}, "access-1", ""), body: []byte(list)},
		step{name: "order_items", check: rest("GET", "/order_items", url.Values{"order": {"18342"}}, "access-1", ""), body: fixture(t, "ideasoft", "order_items.response.json")})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	orders, err := c.FindOrders(context.Background(), Query{Phone: "905321234567"})
	if err != nil || len(orders) != 1 || len(orders[0].Items) != 1 || orders[0].Items[0].UnitPrice.Minor != 17500 || orders[0].TrackingURL != "" {
		t.Fatalf("orders %+v, err %v", orders, err)
	}
}

func TestIdeasoftSearchesProducts(t *testing.T) {
	p := newPlatform(t, step{name: "products", check: rest("GET", "/products", url.Values{"s": {"termos"}, "status": {"1"}, "limit": {"5"}}, "access-1", ""),
		body: fixture(t, "ideasoft", "products_search.response.json")})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	list, err := c.SearchProducts(context.Background(), "termos", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{{ID: "2290", Name: "Çelik Termos 500 ml", SKU: "AK-TRM-500", Barcode: "8680001234561", Price: Money{Minor: 109990, Currency: "TRY"},
		ImageURL: "https://anadolukahve.myideasoft.com/idea/ab/11/myassets/products/290/celik-termos-antrasit.jpg?revision=1731001122",
		URL:      p.srv.URL + "/urun/celik-termos-500-ml", Stock: 37}}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("products\n got %+v\nwant %+v", list, want)
	}
}

func TestIdeasoftAddsTrackingWithAPartialPut(t *testing.T) {
	p := newPlatform(t, step{name: "PUT order", check: rest("PUT", "/orders/18342", nil, "access-1", "order_put.request.json"),
		body: fixture(t, "ideasoft", "order_put.response.json")})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	if _, err := c.Do(context.Background(), Action{Kind: ActionAddTracking, OrderID: "18342", Carrier: "Yurtiçi Kargo", Tracking: "304918277651"}); err != nil {
		t.Fatal(err)
	}
}

func TestIdeasoftCancelRefusalInIdeasoftsWords(t *testing.T) {
	p := newPlatform(t, step{name: "PUT order", check: func(t *testing.T, r *http.Request, body []byte) {
		sameJSON(t, "body", decodeJSON(t, body), map[string]any{"status": "cancelled"})
	}, status: 422, body: []byte(`{"errorMessage":"Kargoya verilmiş sipariş iptal edilemez."}`)})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	_, err := c.Do(context.Background(), Action{Kind: ActionCancel, OrderID: "18342"})
	wantKind(t, err, KindRefused, "Kargoya verilmiş sipariş iptal edilemez.")
}

func TestIdeasoft429IsBackedOff(t *testing.T) {
	ok := step{name: "orders", check: rest("GET", "/orders", url.Values{"limit": {"1"}}, "access-1", ""), body: []byte(`[]`)}
	t.Run("Retry-After", func(t *testing.T) {
		p := newPlatform(t, step{name: "429", status: 429, header: map[string]string{"Retry-After": "2"}}, ok)
		c, s, _ := newIdeasoftFor(t, p, validTokens)
		if err := c.Test(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.all(); !reflect.DeepEqual(got, []time.Duration{2 * time.Second}) {
			t.Errorf("waits %v", got)
		}
	})
	t.Run("exponential, then give up", func(t *testing.T) {
		p := newPlatform(t, step{name: "429", status: 429}, step{name: "429", status: 429}, step{name: "429", status: 429}, step{name: "429", status: 429})
		c, s, _ := newIdeasoftFor(t, p, validTokens)
		wantKind(t, c.Test(context.Background()), KindThrottled, "")
		if got := s.all(); !reflect.DeepEqual(got, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}) {
			t.Errorf("waits %v", got)
		}
	})
}

func TestIdeasoftNotAuthorisedYet(t *testing.T) {
	p := newPlatform(t)
	c, _, _ := newIdeasoftFor(t, p, IdeasoftTokens{})
	wantKind(t, c.Test(context.Background()), KindAuth, "not been authorised")
}

func TestIdeasoftReadsOneProductForASend(t *testing.T) {
	one := strings.TrimSpace(string(fixture(t, "ideasoft", "products_search.response.json")))
	one = strings.TrimSuffix(strings.TrimPrefix(one, "["), "]")
	p := newPlatform(t, step{name: "product", check: rest("GET", "/products/2290", nil, "access-1", ""), body: []byte(one)},
		step{name: "product 404", status: 404, body: []byte(`{"errorMessage":"Ürün bulunamadı"}`)})
	c, _, _ := newIdeasoftFor(t, p, validTokens)
	prod, err := c.Product(context.Background(), "2290")
	if err != nil || prod.Name != "Çelik Termos 500 ml" || prod.Price.Minor != 109990 {
		t.Fatalf("product %+v, err %v", prod, err)
	}
	_, err = c.Product(context.Background(), "9")
	wantKind(t, err, KindNotFound, "Ürün bulunamadı")
}
