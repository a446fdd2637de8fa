package shop

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gql checks a GraphQL call against a documented request: path with the pinned version,
// headers, the query text word for word and the variables member by member. vars replaces
// the fixture's variables where a test sends others.
func gql(file string, vars any, token string) func(t *testing.T, r *http.Request, body []byte) {
	return func(t *testing.T, r *http.Request, body []byte) {
		if r.Method != "POST" || r.URL.Path != "/admin/api/2026-10/graphql.json" {
			t.Errorf("%s %s, want POST /admin/api/2026-10/graphql.json", r.Method, r.URL.Path)
		}
		header(t, r, "Content-Type", "application/json")
		header(t, r, "X-Shopify-Access-Token", token)
		var want struct {
			Query     string `json:"query"`
			Variables any    `json:"variables"`
		}
		json.Unmarshal(fixture(t, "shopify", file), &want)
		var got struct {
			Query     string `json:"query"`
			Variables any    `json:"variables"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("not JSON: %s", body)
		}
		if got.Query != want.Query {
			t.Errorf("query differs from %s:\n got: %s\nwant: %s", file, got.Query, want.Query)
		}
		if vars != nil {
			b, _ := json.Marshal(vars)
			want.Variables = decodeJSON(t, b)
		}
		sameJSON(t, "variables", got.Variables, want.Variables)
	}
}

func newShopifyFor(t *testing.T, p *platform, cfg ShopifyConfig) (*ShopifyClient, *sleeps) {
	t.Helper()
	cfg.BaseURL = p.srv.URL
	if cfg.AccessToken == "" && cfg.ClientID == "" {
		cfg.AccessToken = "shpat_test"
	}
	c, err := NewShopify(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep, c.now = s.sleep, s.clock
	return c, s
}

func TestShopifyFindsTheCustomersOrdersByWhatsAppPhone(t *testing.T) {
	p := newPlatform(t, step{name: "customerByIdentifier(phone)", check: gql("customer_by_identifier.request.json", nil, "shpat_test"),
		body: fixture(t, "shopify", "customer_by_identifier.response.json")})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	orders, err := c.FindOrders(context.Background(), Query{Phone: "905321234567"})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 2 {
		t.Fatalf("%d orders, want 2", len(orders))
	}
	o := orders[0]
	if o.Number != "#1057" || o.Status != StatusProcessing || o.Payment != PaymentPaid || o.Total.String() != "899.90" || o.Total.Currency != "TRY" {
		t.Errorf("first order %+v", o)
	}
	if o.Tracking != "" || o.TrackingURL != "" {
		t.Errorf("an unfulfilled order has no tracking: %+v", o)
	}
	o = orders[1]
	want := Order{ID: "gid://shopify/Order/6098812233985", Number: "#1042", CreatedAt: time.Date(2026, 11, 3, 16, 40, 7, 0, time.UTC).UnixMilli(),
		Status: StatusShipped, StatusText: "fulfilled", Payment: PaymentPaid, PaymentText: "paid",
		Items: []Item{{Name: "Türk Kahvesi Orta Kavrulmuş 250 g", SKU: "AK-TK-250", Quantity: 2, UnitPrice: Money{Minor: 17500, Currency: "TRY"}},
			{Name: "Bakır Cezve No:3", SKU: "AK-CZV-03", Quantity: 1, UnitPrice: Money{Minor: 89990, Currency: "TRY"}}},
		Total: Money{Minor: 124990, Currency: "TRY"}, Carrier: "Yurtiçi Kargo", Tracking: "304918277651",
		TrackingURL: "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651"}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("second order\n got %+v\nwant %+v", o, want)
	}
}

func TestShopifyFallsBackFromEmailToGuestOrders(t *testing.T) {
	// No customer record (customerByIdentifier null): a guest checkout is found by searching
	// the orders themselves [inf].
	p := newPlatform(t,
		step{name: "customerByIdentifier(email)", check: gql("customer_by_identifier.request.json", decodeJSON(t, fixture(t, "shopify", "customer_by_identifier.email.variables.json")), "shpat_test"),
			body: fixture(t, "shopify", "customer_by_identifier.not_found.response.json")},
		step{name: "orders(query: email)", check: func(t *testing.T, r *http.Request, body []byte) {
			var got struct {
				Query     string         `json:"query"`
				Variables map[string]any `json:"variables"`
			}
			json.Unmarshal(body, &got)
			if got.Query != shopifyOrderSearch {
				t.Errorf("query %s", got.Query)
			}
			sameJSON(t, "variables", got.Variables, map[string]any{"q": `email:"ayse.yilmaz@example.com.tr"`, "first": 10.0})
		}, body: []byte(`{"data":{"orders":{"nodes":[]}}}`)})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	orders, err := c.FindOrders(context.Background(), Query{Email: "ayse.yilmaz@example.com.tr"})
	if err != nil || len(orders) != 0 {
		t.Fatalf("orders %v, err %v", orders, err)
	}
}

func TestShopifySearchesByOrderNumber(t *testing.T) {
	p := newPlatform(t, step{name: "orders(query: name)", check: func(t *testing.T, r *http.Request, body []byte) {
		var got struct {
			Variables map[string]any `json:"variables"`
		}
		json.Unmarshal(body, &got)
		sameJSON(t, "variables", got.Variables, map[string]any{"q": `name:"#1042"`, "first": 10.0})
	}, body: []byte(`{"data":{"orders":{"nodes":[{"id":"gid://shopify/Order/1","name":"#1042","createdAt":"2026-11-03T16:40:07Z","displayFinancialStatus":"PENDING","displayFulfillmentStatus":"UNFULFILLED","totalPriceSet":{"shopMoney":{"amount":"10","currencyCode":"TRY"}},"lineItems":{"nodes":[]},"fulfillments":[]}]}}}`)})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	orders, err := c.FindOrders(context.Background(), Query{Number: "1042", Phone: "905321234567"})
	if err != nil || len(orders) != 1 || orders[0].Status != StatusAwaitingPayment || orders[0].Payment != PaymentPending {
		t.Fatalf("orders %+v, err %v", orders, err)
	}
}

func TestShopifySearchesProducts(t *testing.T) {
	p := newPlatform(t, step{name: "products", check: gql("products_search.request.json",
		map[string]any{"q": "(title:termos* OR sku:termos* OR barcode:termos) AND status:active", "first": 5}, "shpat_test"),
		body: fixture(t, "shopify", "products_search.response.json")})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	list, err := c.SearchProducts(context.Background(), "termos", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{{ID: "gid://shopify/Product/9034411229441", Name: "Çelik Termos 500 ml", SKU: "AK-TRM-500-ANT", Barcode: "8680001234561",
		Price: Money{Minor: 89990, Currency: "TRY"}, ImageURL: "https://cdn.shopify.com/s/files/1/0882/2030/3617/files/celik-termos-antrasit.jpg?v=1731001122",
		URL: "https://anadolukahve.example.com.tr/products/celik-termos-500-ml", Stock: 37}}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("products\n got %+v\nwant %+v", list, want)
	}
}

func TestShopifyCancelFollowsTheJobUntilDone(t *testing.T) {
	p := newPlatform(t,
		step{name: "orderCancel", check: gql("order_cancel.request.json", nil, "shpat_test"), body: fixture(t, "shopify", "order_cancel.response.json")},
		step{name: "job (running)", check: gql("job_poll.request.json", nil, "shpat_test"),
			body: []byte(`{"data":{"job":{"id":"gid://shopify/Job/3f8c1d52-7a0e-4b6b-9d21-5e4c0a9b7f13","done":false}}}`)},
		step{name: "job (done)", check: gql("job_poll.request.json", nil, "shpat_test"), body: fixture(t, "shopify", "job_poll.response.json")})
	c, s := newShopifyFor(t, p, ShopifyConfig{})
	res, err := c.Do(context.Background(), Action{Kind: ActionCancel, OrderID: "gid://shopify/Order/6120457788417", Notify: true,
		Note: "Santral: müşteri WhatsApp üzerinden iptal istedi (konuşma 48213)"})
	if err != nil || res.Pending {
		t.Fatalf("result %+v, err %v", res, err)
	}
	if got := s.all(); len(got) != 2 {
		t.Errorf("waited %v between polls, want two waits", got)
	}
}

func TestShopifyCancelRefusalInShopifysWords(t *testing.T) {
	p := newPlatform(t, step{name: "orderCancel", check: gql("order_cancel.request.json", nil, "shpat_test"),
		body: fixture(t, "shopify", "order_cancel.user_error.response.json")})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	_, err := c.Do(context.Background(), Action{Kind: ActionCancel, OrderID: "gid://shopify/Order/6120457788417", Notify: true,
		Note: "Santral: müşteri WhatsApp üzerinden iptal istedi (konuşma 48213)"})
	e := wantKind(t, err, KindRefused, "Order has already been cancelled")
	if e.Code != "INVALID" {
		t.Errorf("code %q", e.Code)
	}
}

func TestShopifyCancelJobStillRunningIsPending(t *testing.T) {
	running := []byte(`{"data":{"job":{"id":"gid://shopify/Job/3f8c1d52-7a0e-4b6b-9d21-5e4c0a9b7f13","done":false}}}`)
	steps := []step{{name: "orderCancel", body: fixture(t, "shopify", "order_cancel.response.json")}}
	for range cancelJobPolls {
		steps = append(steps, step{name: "job", check: gql("job_poll.request.json", nil, "shpat_test"), body: running})
	}
	p := newPlatform(t, steps...)
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	res, err := c.Do(context.Background(), Action{Kind: ActionCancel, OrderID: "gid://shopify/Order/6120457788417", Notify: true, Note: "x"})
	if err != nil || !res.Pending {
		t.Fatalf("result %+v, err %v: want pending", res, err)
	}
}

func TestShopifyThrottledIsWaitedOutBothWays(t *testing.T) {
	for _, status := range []int{200, 429} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			p := newPlatform(t,
				step{name: "throttled", status: status, body: fixture(t, "shopify", "throttled.response.json")},
				step{name: "again", check: gql("customer_by_identifier.request.json", nil, "shpat_test"), body: fixture(t, "shopify", "customer_by_identifier.response.json")})
			c, s := newShopifyFor(t, p, ShopifyConfig{})
			orders, err := c.FindOrders(context.Background(), Query{Phone: "+90 532 123 45 67"})
			if err != nil || len(orders) != 2 {
				t.Fatalf("orders %d, err %v", len(orders), err)
			}
			// (requested 752 − available 311) / restore 100 per second = 4.41 s.
			if got := s.all(); len(got) != 1 || got[0] != 4410*time.Millisecond {
				t.Errorf("waited %v, want [4.41s]", got)
			}
		})
	}
}

func TestShopifyThrottledPastPatienceFails(t *testing.T) {
	p := newPlatform(t, step{name: "throttled", body: fixture(t, "shopify", "throttled.response.json")})
	c, s := newShopifyFor(t, p, ShopifyConfig{MaxThrottleWait: 2 * time.Second})
	_, err := c.FindOrders(context.Background(), Query{Phone: "905321234567"})
	wantKind(t, err, KindThrottled, "")
	if len(s.all()) != 0 {
		t.Errorf("waited %v though the wait was past patience", s.all())
	}
}

func TestShopifyClientCredentialsTokenRefreshedBeforeExpiry(t *testing.T) {
	tokenStep := func(token string) step {
		return step{name: "token " + token, check: func(t *testing.T, r *http.Request, body []byte) {
			if r.Method != "POST" || r.URL.Path != "/admin/oauth/access_token" {
				t.Errorf("%s %s", r.Method, r.URL.Path)
			}
			header(t, r, "Content-Type", "application/x-www-form-urlencoded")
			form, _ := url.ParseQuery(string(body))
			want := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"}}
			if !reflect.DeepEqual(form, want) {
				t.Errorf("form %v, want %v", form, want)
			}
		}, body: []byte(`{"access_token":"` + token + `","scope":"read_orders,write_orders","expires_in":86399}`)}
	}
	shop := func(token string) step {
		return step{name: "shop with " + token, check: func(t *testing.T, r *http.Request, body []byte) {
			header(t, r, "X-Shopify-Access-Token", token)
		}, body: []byte(`{"data":{"shop":{"name":"Anadolu Kahve","currencyCode":"TRY"}}}`)}
	}
	p := newPlatform(t, tokenStep("shpat_one"), shop("shpat_one"), shop("shpat_one"), tokenStep("shpat_two"), shop("shpat_two"))
	c, _ := newShopifyFor(t, p, ShopifyConfig{ClientID: "cid", ClientSecret: "csecret"})
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for _, advance := range []time.Duration{0, 23 * time.Hour, 55 * time.Minute} {
		now = now.Add(advance)
		if err := c.Test(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 23 h 55 min after the first token (life 24 h less 10 minutes' margin): a new one was
	// fetched before the old one expired.
}

func TestShopifyRefusedTokenSaysSo(t *testing.T) {
	p := newPlatform(t, step{name: "graphql", status: 401, body: []byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	wantKind(t, c.Test(context.Background()), KindAuth, "Invalid API key or access token")
}

func TestShopifyAddsTrackingThroughAFulfillment(t *testing.T) {
	p := newPlatform(t,
		step{name: "fulfillmentOrders", check: func(t *testing.T, r *http.Request, body []byte) {
			var got struct {
				Query     string         `json:"query"`
				Variables map[string]any `json:"variables"`
			}
			json.Unmarshal(body, &got)
			if got.Query != shopifyFulfillmentOrders {
				t.Errorf("query %s", got.Query)
			}
			sameJSON(t, "variables", got.Variables, map[string]any{"id": "gid://shopify/Order/6098812233985"})
		}, body: []byte(`{"data":{"order":{"fulfillmentOrders":{"nodes":[{"id":"gid://shopify/FulfillmentOrder/7255101833473","status":"OPEN"},{"id":"gid://shopify/FulfillmentOrder/1","status":"CLOSED"}]}}}}`)},
		step{name: "fulfillmentCreate", check: gql("fulfillment_create.request.json", nil, "shpat_test"),
			body: []byte(`{"data":{"fulfillmentCreate":{"fulfillment":{"id":"gid://shopify/Fulfillment/1","status":"SUCCESS"},"userErrors":[]}}}`)})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	_, err := c.Do(context.Background(), Action{Kind: ActionAddTracking, OrderID: "gid://shopify/Order/6098812233985", Carrier: "Aras Kargo", Tracking: "5012884401", Notify: true})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShopifyHasNoStatusToSet(t *testing.T) {
	c, _ := NewShopify(ShopifyConfig{BaseURL: "http://127.0.0.1:1", AccessToken: "x"})
	_, err := c.Do(context.Background(), Action{Kind: ActionSetStatus, OrderID: "gid://shopify/Order/1", Status: StatusShipped})
	wantKind(t, err, KindUnsupported, "no order status")
}

func TestShopifyUnreachable(t *testing.T) {
	c, _ := NewShopify(ShopifyConfig{BaseURL: "http://127.0.0.1:1", AccessToken: "x"})
	wantKind(t, c.Test(context.Background()), KindUnreachable, "")
}

func TestShopifyReadsOneProductForASend(t *testing.T) {
	resp := strings.Replace(string(fixture(t, "shopify", "products_search.response.json")), `"products": {
      "nodes": [`, `"product": `, 1)
	resp = resp[:strings.Index(resp, `],
      "pageInfo"`)] + "}, \"extensions\": {}}"
	p := newPlatform(t, step{name: "product(id)", check: func(t *testing.T, r *http.Request, body []byte) {
		var got struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		json.Unmarshal(body, &got)
		if got.Query != shopifyProductByID {
			t.Errorf("query %s", got.Query)
		}
		sameJSON(t, "variables", got.Variables, map[string]any{"id": "gid://shopify/Product/9034411229441"})
	}, body: []byte(resp)}, step{name: "product(id) null", body: []byte(`{"data":{"product":null}}`)})
	c, _ := newShopifyFor(t, p, ShopifyConfig{})
	prod, err := c.Product(context.Background(), "gid://shopify/Product/9034411229441")
	if err != nil || prod.Name != "Çelik Termos 500 ml" || prod.Price.Minor != 89990 || prod.URL == "" || prod.ImageURL == "" {
		t.Fatalf("product %+v, err %v", prod, err)
	}
	_, err = c.Product(context.Background(), "gid://shopify/Product/1")
	wantKind(t, err, KindNotFound, "")
}

func TestShopifyWaitsForTheBucketBeforeACallThatWouldNotFit(t *testing.T) {
	// The first answer says the bucket has 50 points left and this query costs 92; the next
	// call waits (92 − 50) / 100 s before it is sent, rather than be throttled.
	low := strings.Replace(string(fixture(t, "shopify", "customer_by_identifier.response.json")), `"currentlyAvailable": 1986`, `"currentlyAvailable": 50`, 1)
	p := newPlatform(t,
		step{name: "first", body: []byte(low)},
		step{name: "second", check: gql("customer_by_identifier.request.json", nil, "shpat_test"), body: fixture(t, "shopify", "customer_by_identifier.response.json")},
		step{name: "third", body: fixture(t, "shopify", "customer_by_identifier.response.json")})
	c, s := newShopifyFor(t, p, ShopifyConfig{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.FindOrders(ctx, Query{Phone: "905321234567"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.all(); len(got) != 1 || got[0] != 420*time.Millisecond {
		t.Errorf("waited %v, want [420ms] before the second call only", got)
	}
}
