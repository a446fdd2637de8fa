package app

// The shop panel's recorded scenario: a real santrald with a Shopify store connected — a local
// GraphQL Admin API answering with the documented fixtures (backend/shop/testdata) — and the
// real app's shop bindings, as the panel calls them.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

// recordShopify is the local Shopify: orders by phone, products, a cancel that runs as a job
// (then refused as already cancelled), and a switch that makes it fail with 503.
type recordShopify struct {
	*httptest.Server
	mu        sync.Mutex
	cancelled bool
	down      bool
}

func shopFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "backend", "shop", "testdata", "shopify", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newRecordShopify(t *testing.T) *recordShopify {
	s := &recordShopify{}
	// The orders' dates move with the recording's clock (the normaliser puts times on a fixed
	// day relative to the start), so a regeneration records the same dates.
	now := time.Now().UTC()
	orders := strings.NewReplacer("2026-11-20T09:14:52Z", now.Add(-2*24*time.Hour).Format(time.RFC3339),
		"2026-11-03T16:40:07Z", now.Add(-8*24*time.Hour).Format(time.RFC3339),
		"2026-11-04T08:02:31Z", now.Add(-7*24*time.Hour).Format(time.RFC3339)).Replace(shopFile(t, "customer_by_identifier.response.json"))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get("X-Shopify-Access-Token") != "shpat_record" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`))
			return
		}
		if s.down {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"errors":"Service Unavailable"}`))
			return
		}
		var req struct {
			Query string `json:"query"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(req.Query, "query SantralShop"):
			w.Write([]byte(`{"data":{"shop":{"name":"Anadolu Kahve","currencyCode":"TRY"}}}`))
		case strings.HasPrefix(req.Query, "query SantralCustomerOrders"):
			body := orders
			if s.cancelled {
				body = strings.Replace(body, `"cancelledAt": null,`, `"cancelledAt": "`+now.Format(time.RFC3339)+`",`, 1)
			}
			w.Write([]byte(body))
		case strings.HasPrefix(req.Query, "query SantralOrderSearch"):
			// #1042 by its number: the second order of the customer's list.
			var full struct {
				Data struct {
					Customer struct {
						Orders struct {
							Nodes []json.RawMessage `json:"nodes"`
						} `json:"orders"`
					} `json:"customerByIdentifier"`
				} `json:"data"`
			}
			json.Unmarshal([]byte(orders), &full)
			w.Write([]byte(`{"data":{"orders":{"nodes":[` + string(full.Data.Customer.Orders.Nodes[1]) + `]}}}`))
		case strings.HasPrefix(req.Query, "query SantralProductSearch"):
			w.Write([]byte(shopFile(t, "products_search.response.json")))
		case strings.HasPrefix(req.Query, "mutation SantralOrderCancel"):
			if s.cancelled {
				w.Write([]byte(shopFile(t, "order_cancel.user_error.response.json")))
				return
			}
			s.cancelled = true
			w.Write([]byte(shopFile(t, "order_cancel.response.json")))
		case strings.HasPrefix(req.Query, "query SantralJob"):
			w.Write([]byte(shopFile(t, "job_poll.response.json")))
		default:
			w.WriteHeader(400)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func recordShop(t *testing.T) {
	srv := startSantrald(t)
	ayse := srv.agent("ayse", "Ayşe Demir", 3)
	shop := newRecordShopify(t)
	var store wire.ShopStore
	srv.must(srv.call(srv.admin, "POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu Kahve", BaseURL: shop.URL,
		ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}, Credentials: map[string]string{"access_token": "shpat_record"}}, &store))
	r := newRecorder(t, srv, "shop", "ayse", "the shop panel: the customer's orders by her phone, the tracking link and a product sent, an order cancelled after confirmation and refused the second time, a search by order number, the store unreachable")
	r.alias = map[string]string{shop.URL: "http://shop.test"}
	r.id("store", store.ID)
	r.id("me", ayse.User.ID)
	r.login("ayse", "password-ayse")
	r.online()

	r.step("customer-asks", "Ayşe Yılmaz asks on WhatsApp's number where her order is; the panel shows her orders")
	var in wire.SandboxInboundResult
	srv.must(srv.call("", "POST", "/sandbox/messages", wire.SandboxInbound{SenderID: "905321234567", Name: "Ayşe Yılmaz", Phone: "905321234567",
		MessageID: "s1", Text: "Merhaba, 1042 numaralı siparişim nerede?"}, &in))
	conv := in.ConversationID
	r.id("conv", conv)
	r.until("mine", func() bool { return len(r.inbox().Mine) == 1 })
	r.reads()
	r.read("OpenConversation", conv)
	var panel wire.ShopPanel
	r.result(r.read("ShopOrders", conv, ""), &panel)
	if len(panel.Stores) != 1 || len(panel.Stores[0].Orders) != 2 {
		t.Fatalf("panel: %+v", panel)
	}

	r.step("tracking-sent", "sends the tracking link of #1042 (the panel's button writes the reply)")
	var item OutboxItem
	r.result(r.act("Send", conv, "#1042 numaralı siparişiniz Yurtiçi Kargo ile yolda. Takip numarası: 304918277651 https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651"), &item)
	if item.State != "sent" {
		t.Fatalf("tracking link: %+v", item)
	}
	r.read("OpenConversation", conv)

	r.step("products", "searches the shop for a thermos")
	var found wire.ShopProductSearch
	r.result(r.read("ShopProducts", conv, "termos"), &found)
	if len(found.Stores) != 1 || len(found.Stores[0].Products) != 1 {
		t.Fatalf("products: %+v", found)
	}

	r.step("product-sent", "sends the thermos into the chat")
	var m wire.Message
	r.result(r.act("SendProduct", conv, store.ID, found.Stores[0].Products[0].ID), &m)
	r.read("OpenConversation", conv)

	cancel := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Notify: true, Confirm: true}
	r.step("cancelled", "cancels #1057 after confirming: Shopify's job runs to the end; the timeline records it")
	var res wire.ShopOrderActionResult
	r.result(r.act("ShopOrderAction", conv, cancel), &res)
	r.read("OpenConversation", conv)
	r.read("ShopOrders", conv, "")

	r.step("refused", "tries to cancel #1057 again: Shopify refuses in its words")
	r.refused(r.act("ShopOrderAction", conv, cancel), wire.CodeShopRefused)
	r.read("OpenConversation", conv)

	r.step("by-number", "looks up order 1042 by its number")
	r.read("ShopOrders", conv, "1042")

	r.step("unreachable", "the store stops answering: the panel says since when")
	shop.mu.Lock()
	shop.down = true
	shop.mu.Unlock()
	var down wire.ShopPanel
	r.result(r.read("ShopOrders", conv, "1057"), &down)
	if down.Stores[0].Error == nil || down.Stores[0].UnreachableSince == 0 {
		t.Fatalf("unreachable: %+v", down.Stores[0])
	}
}

// An admin connects a store, tests it, and replaces its token with a wrong one: the test then
// says what failed.
func recordShops(t *testing.T) {
	srv := startSantrald(t)
	shop := newRecordShopify(t)
	r := newRecorder(t, srv, "shops", "admin", "an admin connects a Shopify store, tests the connection, and a wrong token is refused with its reason")
	r.alias = map[string]string{shop.URL: "http://shop.test"}
	r.login("admin", "admin-pass-123")
	yes := true
	r.step("list", "opens the stores: none yet")
	r.act("ShopStores")
	r.step("connect", "connects the Shopify store with its access token")
	var st wire.ShopStore
	r.result(r.act("SaveShopStore", int64(0), wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu Kahve", BaseURL: shop.URL, Enabled: &yes,
		ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor}, Credentials: map[string]string{"access_token": "shpat_record"}}), &st)
	r.id("store", st.ID)
	r.step("tested", "tests the connection: it works")
	var res wire.ShopTestResult
	r.result(r.act("TestShopStore", st.ID), &res)
	if !res.OK {
		t.Fatalf("test: %+v", res)
	}
	r.step("wrong-token", "replaces the token with a wrong one")
	r.result(r.act("SaveShopStore", st.ID, wire.ShopStoreRequest{Name: "Anadolu Kahve", BaseURL: st.BaseURL, Enabled: &yes,
		ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor}, Credentials: map[string]string{"access_token": "shpat_wrong"}}), &st)
	r.step("refused", "tests again: Shopify refuses the token, in its words")
	r.result(r.act("TestShopStore", st.ID), &res)
	if res.OK || res.Code != wire.CodeShopAuthFailed {
		t.Fatalf("test with a wrong token: %+v", res)
	}
}
