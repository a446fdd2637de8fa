package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// shopifyShop is a local Shopify GraphQL Admin API answering Santral's operations with the
// documented responses (backend/shop/testdata/shopify), its images on the same server.
type shopifyShop struct {
	*httptest.Server
	t       *testing.T
	token   string
	mu      sync.Mutex
	ops     []string // operation names, in order
	cancels int
	down    bool
	release chan struct{} // closed at the end: a request held "down" lets go
	// imageRedirect, when set, is where the product image's address redirects.
	imageRedirect string
	// cancelHeld, when set, hears of the first cancel, which waits for cancelGo to close.
	cancelHeld chan struct{}
	cancelGo   chan struct{}
	held       chan struct{} // a request arrived while down (and is being held)
}

func shopFixture(t testing.TB, platform, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "shop", "testdata", platform, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newShopifyShop(t *testing.T, token string) *shopifyShop {
	s := &shopifyShop{t: t, token: token, release: make(chan struct{}), held: make(chan struct{}, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			// Accepts and never answers in time: the panel must not wait for it.
			s.held <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-s.release:
			}
			return
		}
		s.mu.Lock()
		redirect := s.imageRedirect
		s.mu.Unlock()
		if r.URL.Path == "/files/celik-termos-antrasit.jpg" && redirect != "" {
			http.Redirect(w, r, redirect, http.StatusFound)
			return
		}
		if r.URL.Path == "/files/celik-termos-antrasit.jpg" {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
			return
		}
		if r.URL.Path != "/admin/api/2026-10/graphql.json" || r.Header.Get("X-Shopify-Access-Token") != s.token {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`))
			return
		}
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		op := strings.Fields(req.Query)[1]
		op, _, _ = strings.Cut(op, "(")
		s.mu.Lock()
		s.ops = append(s.ops, op)
		s.mu.Unlock()
		var body []byte
		switch op {
		case "SantralShop":
			body = []byte(`{"data":{"shop":{"name":"Anadolu Kahve","currencyCode":"TRY"}}}`)
		case "SantralCustomerOrders":
			id, _ := req.Variables["identifier"].(map[string]any)
			if id["phoneNumber"] != "+905321234567" {
				body = shopFixture(t, "shopify", "customer_by_identifier.not_found.response.json")
			} else {
				body = shopFixture(t, "shopify", "customer_by_identifier.response.json")
			}
		case "SantralOrderSearch":
			body = []byte(`{"data":{"orders":{"nodes":[]}}}`)
		case "SantralProductSearch":
			body = bytes.ReplaceAll(shopFixture(t, "shopify", "products_search.response.json"),
				[]byte("https://cdn.shopify.com/s/files/1/0882/2030/3617/files/celik-termos-antrasit.jpg?v=1731001122"), []byte(s.URL+"/files/celik-termos-antrasit.jpg"))
		case "SantralOrderCancel":
			s.mu.Lock()
			s.cancels++
			n := s.cancels
			held, release := s.cancelHeld, s.cancelGo
			s.mu.Unlock()
			if n == 1 && held != nil {
				held <- struct{}{}
				<-release
			}
			if n == 1 {
				body = shopFixture(t, "shopify", "order_cancel.response.json")
			} else {
				body = shopFixture(t, "shopify", "order_cancel.user_error.response.json")
			}
		case "SantralJob":
			body = shopFixture(t, "shopify", "job_poll.response.json")
		default:
			t.Errorf("unexpected operation %s", op)
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) }) // runs first
	return s
}

func (s *shopifyShop) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func (s *shopifyShop) operations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ops...)
}

func TestShopInTheConversation(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	const token = "shpat_scenario_secret_0000"
	shop := newShopifyShop(t, token)
	admin := e.admin()

	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp Mağaza", graph.URL, "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "v"}},
		&ch, http.StatusCreated)

	var store wire.ShopStore
	t.Run("an admin connects a store; its token is never returned and not stored in the clear", func(t *testing.T) {
		var raw json.RawMessage
		admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu Kahve", BaseURL: shop.URL,
			Credentials: map[string]string{"access_token": token}}, &raw, http.StatusCreated)
		json.Unmarshal(raw, &store)
		if bytes.Contains(raw, []byte(token)) || len(store.Credentials) != 1 || store.Credentials[0] != "access_token" {
			t.Fatalf("store: %s", raw)
		}
		var list json.RawMessage
		admin.mustDo("GET", "/api/v1/shop-stores", nil, &list, http.StatusOK)
		if bytes.Contains(list, []byte(token)) {
			t.Fatalf("listed with its token: %s", list)
		}
		db, _ := os.ReadFile(dbPath(e.cfg.DataDir))
		wal, _ := os.ReadFile(dbPath(e.cfg.DataDir) + "-wal")
		if bytes.Contains(db, []byte(token)) || bytes.Contains(wal, []byte(token)) {
			t.Fatal("the token is in the database file in the clear")
		}
		agent := e.agent("nobody", nil)
		agent.refused(wire.CodeForbidden, "GET", "/api/v1/shop-stores", nil)
	})

	t.Run("test connection says exactly what failed", func(t *testing.T) {
		var res wire.ShopTestResult
		admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", store.ID), nil, &res, http.StatusOK)
		if !res.OK {
			t.Fatalf("test: %+v", res)
		}
		var bad wire.ShopStore
		admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "shopify", Name: "Yanlış", BaseURL: shop.URL,
			Credentials: map[string]string{"access_token": "shpat_wrong"}}, &bad, http.StatusCreated)
		admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", bad.ID), nil, &res, http.StatusOK)
		if res.OK || res.Code != wire.CodeShopAuthFailed || !strings.Contains(res.Message, "Invalid API key or access token") || !strings.Contains(res.Message, "HTTP 401") {
			t.Fatalf("test with a wrong token: %+v", res)
		}
		off := false
		admin.mustDo("PATCH", fmt.Sprintf("/api/v1/shop-stores/%d", bad.ID), wire.ShopStoreRequest{Enabled: &off}, &bad, http.StatusOK)
	})

	ayse := e.agent("ayse", nil)
	ayse.online()
	if status, code := deliver(t, e.url, ch.ID, fresh(waFixture(t, "inbound_text.json")), ""); status != 200 {
		t.Fatalf("customer's message: %d %s", status, code)
	}
	var conv wire.Conversation
	eventually(t, 5*time.Second, "the conversation assigned", func() bool {
		mine := ayse.mine()
		if len(mine) == 1 {
			conv = mine[0]
		}
		return len(mine) == 1
	})
	ordersPath := fmt.Sprintf("/api/v1/conversations/%d/shop/orders", conv.ID)

	var panel wire.ShopPanel
	t.Run("the agent sees the customer's orders, found by her WhatsApp number", func(t *testing.T) {
		ayse.mustDo("GET", ordersPath, nil, &panel, http.StatusOK)
		if panel.Phone != "905321234567" || len(panel.Stores) != 1 {
			t.Fatalf("panel: %+v", panel)
		}
		st := panel.Stores[0]
		if st.Error != nil || len(st.Orders) != 2 || len(st.Actions) != 0 {
			t.Fatalf("store: %+v", st)
		}
		o := st.Orders[1]
		if o.Number != "#1042" || o.Status != wire.ShopStatusShipped || o.Payment != wire.ShopPaymentPaid || o.Total.Minor != 124990 ||
			len(o.Items) != 2 || o.Items[0].Quantity != 2 || o.Carrier != "Yurtiçi Kargo" || o.Tracking != "304918277651" ||
			o.TrackingURL != "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651" {
			t.Fatalf("order: %+v", o)
		}
	})

	t.Run("only those who may read the conversation see its orders", func(t *testing.T) {
		mehmet := e.agent("mehmet", nil)
		mehmet.refused(wire.CodeNotHolder, "GET", ordersPath, nil)
		mehmet.refused(wire.CodeNotHolder, "GET", fmt.Sprintf("/api/v1/conversations/%d/shop/products?q=termos", conv.ID), nil)
	})

	t.Run("an answer is reused for a minute", func(t *testing.T) {
		before := len(shop.operations())
		var again wire.ShopPanel
		ayse.mustDo("GET", ordersPath, nil, &again, http.StatusOK)
		if len(shop.operations()) != before || !again.Stores[0].Cached {
			t.Fatalf("asked the shop again: %v", shop.operations()[before:])
		}
	})

	t.Run("the agent sends the tracking link", func(t *testing.T) {
		o := panel.Stores[0].Orders[1]
		ayse.reply(conv.ID, fmt.Sprintf("%s numaralı siparişiniz %s ile yolda: %s", o.Number, o.Carrier, o.TrackingURL))
		eventually(t, 5*time.Second, "the text sent", func() bool {
			for _, r := range graph.sends() {
				if bytes.Contains(r.Body, []byte("gonderi-sorgula?code=304918277651")) {
					return true
				}
			}
			return false
		})
	})

	t.Run("the agent finds a product and sends it: the image with name, price and link as its caption", func(t *testing.T) {
		var found wire.ShopProductSearch
		ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/shop/products?q=termos", conv.ID), nil, &found, http.StatusOK)
		if len(found.Stores) != 1 || len(found.Stores[0].Products) != 1 {
			t.Fatalf("products: %+v", found)
		}
		p := found.Stores[0].Products[0]
		var m wire.Message
		ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/products/send", conv.ID),
			wire.SendProductRequest{StoreID: store.ID, ProductID: p.ID, IdempotencyKey: "product-1"}, &m, http.StatusCreated)
		caption := "Çelik Termos 500 ml\n899,90 TL\nhttps://anadolukahve.example.com.tr/products/celik-termos-500-ml"
		if m.Body != caption || len(m.Attachments) != 1 || m.Attachments[0].Kind != "image" || m.Attachments[0].Size != int64(len(photo)) {
			t.Fatalf("message: %+v", m)
		}
		eventually(t, 5*time.Second, "the image sent with its caption", func() bool {
			for _, r := range graph.sends() {
				var sent map[string]any
				json.Unmarshal(r.Body, &sent)
				img, _ := sent["image"].(map[string]any)
				if sent["type"] == "image" && img["caption"] == caption {
					return true
				}
			}
			return false
		})
		uploads := 0
		for _, r := range graph.requests() {
			if r.Path == "/v23.0/"+waPhoneID+"/media" && bytes.Contains(r.Body, photo[:64]) {
				uploads++
			}
		}
		if uploads != 1 {
			t.Fatalf("the product image uploaded %d times", uploads)
		}
	})

	t.Run("order actions only for the roles the admin permits", func(t *testing.T) {
		action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Notify: true, Confirm: true}
		ayse.refused(wire.CodeShopActionNotAllowed, "POST", ordersPath+"/action", action)
		admin.mustDo("PATCH", fmt.Sprintf("/api/v1/shop-stores/%d", store.ID),
			wire.ShopStoreRequest{ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}}, &store, http.StatusOK)
		ayse.mustDo("GET", ordersPath, nil, &panel, http.StatusOK)
		if got := panel.Stores[0].Actions; len(got) != 2 || got[0] != "cancel" || got[1] != "add_tracking" {
			t.Fatalf("actions: %v", got)
		}
	})

	t.Run("a cancel needs confirmation, follows Shopify's job and is in the timeline with the actor", func(t *testing.T) {
		action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Notify: true}
		ayse.refused(wire.CodeShopConfirmRequired, "POST", ordersPath+"/action", action)
		action.Confirm = true
		var res wire.ShopOrderActionResult
		ayse.mustDo("POST", ordersPath+"/action", action, &res, http.StatusOK)
		ops := shop.operations()
		if res.Pending || ops[len(ops)-2] != "SantralOrderCancel" || ops[len(ops)-1] != "SantralJob" {
			t.Fatalf("result %+v after %v", res, ops)
		}
		if res.Timeline.Kind != "shop_order_action" || res.Timeline.ActorID == nil || *res.Timeline.ActorID != ayse.user.ID ||
			!strings.Contains(string(res.Timeline.Data), `"number":"#1057"`) || !strings.Contains(string(res.Timeline.Data), `"ok":true`) {
			t.Fatalf("timeline: %+v %s", res.Timeline, res.Timeline.Data)
		}
		d := ayse.conversation(conv.ID)
		if last := d.Timeline[len(d.Timeline)-1]; last.ID != res.Timeline.ID {
			t.Fatalf("not in the conversation's timeline: %+v", d.Timeline)
		}
	})

	t.Run("the platform's refusal comes back in its words, and is recorded", func(t *testing.T) {
		action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true}
		status, werr := errorOf(t, ayse, "POST", ordersPath+"/action", action)
		if status != 422 || werr.Code != wire.CodeShopRefused || werr.Message != "Shopify refused: Order has already been cancelled" {
			t.Fatalf("%d %+v", status, werr)
		}
		d := ayse.conversation(conv.ID)
		last := d.Timeline[len(d.Timeline)-1]
		if last.Kind != "shop_order_action" || !strings.Contains(string(last.Data), `"ok":false`) || !strings.Contains(string(last.Data), "already been cancelled") {
			t.Fatalf("timeline: %s", last.Data)
		}
		ayse.refused(wire.CodeShopActionUnsupported, "POST", ordersPath+"/action",
			wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/1", Action: "set_status", Status: wire.ShopStatusShipped, Confirm: true})
	})

	t.Run("a store that stops answering: the panel says since when, and the conversation goes on", func(t *testing.T) {
		shop.setDown(true)
		defer shop.setDown(false)
		admin.mustDo("PATCH", fmt.Sprintf("/api/v1/shop-stores/%d", store.ID), wire.ShopStoreRequest{Name: "Anadolu Kahve"}, &store, http.StatusOK) // drops the cache
		var p wire.ShopPanel
		done := make(chan struct{})
		var status int
		go func() {
			defer close(done)
			status, _ = ayse.do("GET", ordersPath+"?number=1042", nil, &p)
		}()
		// While the store holds the panel's request, the conversation goes on: a reply is
		// accepted and reaches WhatsApp.
		<-shop.held
		ayse.reply(conv.ID, "Sipariş sisteminden yanıt bekliyorum, bir dakika lütfen.")
		eventually(t, 5*time.Second, "the reply sent while the store hangs", func() bool {
			for _, r := range graph.sends() {
				if bytes.Contains(r.Body, []byte("bir dakika lütfen")) {
					return true
				}
			}
			return false
		})
		<-done
		if status != http.StatusOK {
			t.Fatalf("panel while the store hangs: %d", status)
		}
		st := p.Stores[0]
		if st.Error == nil || st.Error.Code != wire.CodeShopUnreachable || st.UnreachableSince == 0 {
			t.Fatalf("store: %+v", st)
		}
		since := st.UnreachableSince
		// Asked again at once: the failure comes back without another wait, with the same time.
		ayse.mustDo("GET", ordersPath+"?number=1042", nil, &p, http.StatusOK)
		if p.Stores[0].UnreachableSince != since {
			t.Fatalf("since moved: %+v", p.Stores[0])
		}
		var list []wire.ShopStore
		admin.mustDo("GET", "/api/v1/shop-stores", nil, &list, http.StatusOK)
		if list[0].UnreachableSince != since || list[0].LastError == "" {
			t.Fatalf("admin view: %+v", list[0])
		}
		ayse.reply(conv.ID, "Mağaza sistemine şu an ulaşamıyorum, birazdan bakacağım.")
	})
}

// errorOf makes a request that must fail and returns its typed error whole (message too).
func errorOf(t *testing.T, c *client, method, path string, body any) (int, wire.Error) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var eb wire.ErrorBody
	if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("%s %s: %d without a typed error: %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, eb.Error
}
