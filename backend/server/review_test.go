package server_test

// Defects found in review (issues 11, 12): each test fails on the code as it was merged.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/store/storetest"
	"santral/backend/wire"
)

// The dashboard's "today" starts at day_start, which the app sends as its local midnight. Any
// other value used to be taken as given: day_start=1 read every conversation the workspace
// ever had (and their timelines) into memory on each dashboard load.
func TestDashboardDayStartIsBoundedToToday(t *testing.T) {
	e := start(t)
	sup := e.user(wire.RoleSupervisor, "selin", nil)
	sup.refused(wire.CodeInvalid, "GET", "/api/v1/dashboard?day_start=1", nil)
	week := time.Now().Add(-7 * 24 * time.Hour).UnixMilli()
	sup.refused(wire.CodeInvalid, "GET", fmt.Sprintf("/api/v1/dashboard?day_start=%d", week), nil)
	future := time.Now().Add(72 * time.Hour).UnixMilli()
	sup.refused(wire.CodeInvalid, "GET", fmt.Sprintf("/api/v1/dashboard?day_start=%d", future), nil)
	// A local midnight, whatever the time zone, is within the last day and a bit.
	y, m, d := time.Now().Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, time.Local).UnixMilli()
	sup.mustDo("GET", fmt.Sprintf("/api/v1/dashboard?day_start=%d", midnight), nil, nil, http.StatusOK)
	sup.mustDo("GET", "/api/v1/dashboard", nil, nil, http.StatusOK)
}

// shopForActions connects a local Shopify whose order actions agents may run, and gives the
// agent a conversation.
func shopForActions(t *testing.T) (e *env, shop *shopifyShop, store wire.ShopStore, ayse *client, conv int64) {
	e = start(t)
	const token = "shpat_review_secret_0000"
	shop = newShopifyShop(t, token)
	admin := e.admin()
	admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu Kahve", BaseURL: shop.URL,
		Credentials: map[string]string{"access_token": token}, ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}},
		&store, http.StatusCreated)
	ayse = e.agent("ayse", nil)
	ayse.online()
	// The customer's phone is the one the shop's customer #1057 and #1042 belong to.
	var res wire.SandboxInboundResult
	(&client{t: t, base: e.url}).mustDo("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: "c1", Name: "Ayşe Yılmaz",
		Phone: "+905321234567", MessageID: "c1-1", Text: "Siparişim nerede?"}, &res, http.StatusOK)
	conv = res.ConversationID
	if !held(ayse.mine())[conv] {
		t.Fatal("Ayşe should hold the conversation")
	}
	return e, shop, store, ayse, conv
}

func (s *shopifyShop) cancelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancels
}

// "An agent must also hold the conversation" (README, order actions): an ended conversation
// is held by nobody, yet its last holder could still cancel orders from it — agent_id stays on
// an ended conversation as its last holder.
func TestAnEndedConversationsLastHolderCannotActOnOrders(t *testing.T) {
	e, shop, store, ayse, conv := shopForActions(t)
	ayse.end(conv, e.admin().endReason("Çözüldü"))
	action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true}
	ayse.refused(wire.CodeNotHolder, "POST", fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", conv), action)
	if n := shop.cancelCount(); n != 0 {
		t.Fatalf("the shop was asked to cancel %d times", n)
	}
}

// timeline.added carries wire.TimelineData ({"entry": …}) for a note; an order action's used to
// carry the bare entry, so a reader decoding the event's one payload type got an empty entry.
func TestShopActionTimelineEventHasTheTimelinePayload(t *testing.T) {
	_, _, store, ayse, conv := shopForActions(t)
	w := watch(ayse)
	action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true}
	var res wire.ShopOrderActionResult
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", conv), action, &res, http.StatusOK)
	ev := w.until(within, "timeline.added for the order action", func(ev wire.Event) bool {
		return ev.Type == wire.EventTimelineAdded && ev.ConversationID == conv
	})
	var d wire.TimelineData
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Entry.ID != res.Timeline.ID || d.Entry.Kind != "shop_order_action" {
		t.Fatalf("timeline.added data %s: %+v (%v)", ev.Data, d, err)
	}
}

// Every app opens download_url to install an update; a plain-http address could be swapped on
// the way for another installer. Only https, or plain http on this machine (a local mirror).
func TestAppDownloadAddressMustBeHTTPS(t *testing.T) {
	e := start(t)
	admin := e.admin()
	admin.refused(wire.CodeDownloadURLNotHTTPS, "PUT", "/api/v1/app-versions",
		wire.AppVersions{Latest: "1.4.2", DownloadURL: "http://it.example.com/santral/Santral-Setup.exe"})
	admin.refused(wire.CodeDownloadURLNotHTTPS, "PUT", "/api/v1/app-versions",
		wire.AppVersions{Latest: "1.4.2", DownloadURL: "http://10.0.0.5/santral/"})
	for _, ok := range []string{"https://it.example.com/santral/", "http://127.0.0.1:8081/santral/", "http://localhost/santral/", "http://[::1]/s/"} {
		var got wire.AppVersionsInfo
		admin.mustDo("PUT", "/api/v1/app-versions", wire.AppVersions{Latest: "1.4.2", DownloadURL: ok}, &got, http.StatusOK)
	}
}

// A product image's address comes from the shop's catalogue, and santrald fetches it: the
// image must not lead santrald anywhere else. Here the store's image redirects to another
// server on this machine (standing for a cloud's metadata address or an internal service):
// that server is never asked, and the product still goes out as its text.
func TestProductImageRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	e := start(t)
	graph := newGraph(t)
	const token = "shpat_review_image_0000"
	shop := newShopifyShop(t, token)
	var mu sync.Mutex
	internalHits := 0
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		internalHits++
		mu.Unlock()
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer internal.Close()
	shop.mu.Lock()
	shop.imageRedirect = internal.URL + "/latest/meta-data/iam/security-credentials.jpg"
	shop.mu.Unlock()
	admin := e.admin()
	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp Mağaza", graph.URL, "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "v"}},
		&ch, http.StatusCreated)
	var st wire.ShopStore
	admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu Kahve", BaseURL: shop.URL,
		Credentials: map[string]string{"access_token": token}}, &st, http.StatusCreated)
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
	var found wire.ShopProductSearch
	ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/shop/products?q=termos", conv.ID), nil, &found, http.StatusOK)
	if len(found.Stores) != 1 || len(found.Stores[0].Products) != 1 {
		t.Fatalf("products: %+v", found)
	}
	var m wire.Message
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/products/send", conv.ID),
		wire.SendProductRequest{StoreID: st.ID, ProductID: found.Stores[0].Products[0].ID, IdempotencyKey: "product-ssrf"}, &m, http.StatusCreated)
	mu.Lock()
	hits := internalHits
	mu.Unlock()
	if hits != 0 || len(m.Attachments) != 0 || !strings.HasPrefix(m.Body, "Çelik Termos 500 ml") {
		t.Fatalf("the redirect was followed (%d requests to the other host); message %+v", hits, m)
	}
}

// A report's figures are computed in memory from every conversation in its range: a range
// holding more than the limit (here 3) is refused with report_too_large before any timeline
// is read, on both backends; a range within it is answered.
func TestReportOverTheConversationLimitIsRefused(t *testing.T) {
	run := func(t *testing.T, e *env) {
		sup := e.user(wire.RoleSupervisor, "selin", nil)
		before := time.Now().Add(-time.Minute).UnixMilli()
		for i := range 4 {
			e.customer(fmt.Sprintf("r%d", i), "Merhaba")
		}
		after := time.Now().Add(time.Minute).UnixMilli()
		path := fmt.Sprintf("/api/v1/reports?by=channel&from=%d&to=%d", before, after)
		sup.refused(wire.CodeReportTooLarge, "GET", path, nil)
		sup.refused(wire.CodeReportTooLarge, "GET", path+"&format=csv", nil)
		var rep wire.Report
		sup.mustDo("GET", fmt.Sprintf("/api/v1/reports?by=channel&from=%d&to=%d", before-3_600_000, before), nil, &rep, http.StatusOK)
		if rep.Total.Conversations != 0 {
			t.Fatalf("an empty range: %+v", rep.Total)
		}
	}
	limit := func(c *config.Config) { c.ReportMaxConversations = 3 }
	t.Run("sqlite", func(t *testing.T) { run(t, startWith(t, limit)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.Postgres(t)
		run(t, startWith(t, func(c *config.Config) { limit(c); c.DB = dsn }))
	})
}

// An order action changes a real customer's order: from a conversation, only the orders of
// that conversation's customer (found by the contact's phone or e-mail) can be acted on. An
// order found by its number may be anyone's: it is shown, and an action on it is refused with
// shop_order_not_customer without asking the shop to change it. A customer without phone or
// e-mail has no orders to act on.
func TestOrderActionOnAnotherCustomersOrderIsRefused(t *testing.T) {
	e, shop, store, ayse, conv := shopForActions(t)
	path := fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", conv)
	ayse.refused(wire.CodeShopOrderNotCustomer, "POST", path,
		wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/5999000000001", Number: "#1001", Action: "cancel", Confirm: true})
	if n := shop.cancelCount(); n != 0 {
		t.Fatalf("the shop was asked to cancel another customer's order (%d)", n)
	}
	// The customer's own order goes.
	var res wire.ShopOrderActionResult
	ayse.mustDo("POST", path, wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057",
		Action: "cancel", Confirm: true}, &res, http.StatusOK)
	// A conversation whose customer has no phone or e-mail: nothing to act on.
	mehmet := e.agent("mehmet", nil)
	mehmet.online()
	other := e.customer("anon", "Merhaba").ConversationID
	if !held(mehmet.mine())[other] {
		t.Fatal("Mehmet should hold the second conversation")
	}
	mehmet.refused(wire.CodeShopOrderNotCustomer, "POST", fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", other),
		wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true})
	if n := shop.cancelCount(); n != 1 {
		t.Fatalf("%d cancels at the shop, want 1", n)
	}
}

// The holder check and a pending row for the action are one transaction before the shop is
// called: while a cancel is at the shop, a second action on the same order (a double click,
// a second agent) is refused with shop_action_pending rather than sent again; once the first
// has its answer, the order can be acted on again.
func TestASecondActionOnAnOrderWhileTheFirstIsAtTheShopIsRefused(t *testing.T) {
	_, shop, store, ayse, conv := shopForActions(t)
	held, release := make(chan struct{}, 1), make(chan struct{})
	shop.mu.Lock()
	shop.cancelHeld, shop.cancelGo = held, release
	shop.mu.Unlock()
	path := fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", conv)
	action := wire.ShopOrderActionRequest{StoreID: store.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true}
	first := make(chan int, 1)
	go func() {
		status, _ := ayse.do("POST", path, action, nil)
		first <- status
	}()
	<-held
	status, code := ayse.do("POST", path, action, nil)
	close(release)
	if status != http.StatusConflict || code != wire.CodeShopActionPending {
		t.Fatalf("the second action while the first is at the shop: %d %s", status, code)
	}
	if s := <-first; s != http.StatusOK {
		t.Fatalf("the first action: %d", s)
	}
	if n := shop.cancelCount(); n != 1 {
		t.Fatalf("%d cancels at the shop, want 1", n)
	}
	// Done: the next attempt reaches the shop (which says it is cancelled already).
	ayse.refused(wire.CodeShopRefused, "POST", path, action)
}
