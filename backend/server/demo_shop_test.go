package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/demo"
	"santral/backend/wire"
)

// The demo workspace connects its local shop (Shopify's format, Turkish data): `make run`
// shows orders and products in the panel, and again after a restart on a new port.
func TestDemoShopInThePanel(t *testing.T) {
	dir := t.TempDir()
	demoMode := func(c *config.Config) {
		c.Demo = true
		c.SimulateEvery = time.Hour // the test's customer only
	}
	e := startWithOn(t, dir, demoMode)
	var stores []wire.ShopStore
	e.admin().mustDo("GET", "/api/v1/shop-stores", nil, &stores, http.StatusOK)
	if len(stores) != 1 || stores[0].Name != demo.ShopName || stores[0].Platform != "shopify" {
		t.Fatalf("stores: %+v", stores)
	}
	var res wire.ShopTestResult
	e.admin().mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", stores[0].ID), nil, &res, http.StatusOK)
	if !res.OK {
		t.Fatalf("test: %+v", res)
	}
	firstURL := stores[0].BaseURL

	ayse := login(t, e.url, "ayse", demo.Password)
	ayse.online()
	var in wire.SandboxInboundResult
	ayse.mustDo("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: "demo-905301234567", Name: "Oğuz Yalçın", Phone: "+905301234567",
		MessageID: "t1", Text: "Kargo takip numaram çalışmıyor."}, &in, http.StatusOK)
	// The demo's channels greet a new conversation with the welcome menu (numbered on the
	// sandbox): "3. Temsilciye bağlan" hands it to the queue, and so to ayse.
	ayse.mustDo("POST", "/sandbox/messages", wire.SandboxInbound{SenderID: "demo-905301234567", Name: "Oğuz Yalçın", Phone: "+905301234567",
		MessageID: "t1-menu", Text: "3"}, nil, http.StatusOK)
	eventually(t, 5*time.Second, "assigned to ayse", func() bool {
		for _, c := range ayse.mine() {
			if c.ID == in.ConversationID {
				return true
			}
		}
		return false
	})
	var panel wire.ShopPanel
	ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/shop/orders", in.ConversationID), nil, &panel, http.StatusOK)
	if len(panel.Stores) != 1 || len(panel.Stores[0].Orders) != 1 {
		t.Fatalf("panel: %+v", panel)
	}
	o := panel.Stores[0].Orders[0]
	if o.Number != "#100477" || o.Status != wire.ShopStatusShipped || o.Carrier != "Yurtiçi Kargo" || o.Tracking != "TR2026114455" ||
		o.TrackingURL == "" || o.Total.Minor != 179980 || len(o.Items) != 2 || len(panel.Stores[0].Actions) == 0 {
		t.Fatalf("order: %+v actions %v", o, panel.Stores[0].Actions)
	}
	var found wire.ShopProductSearch
	ayse.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d/shop/products?q=fincan", in.ConversationID), nil, &found, http.StatusOK)
	if len(found.Stores[0].Products) != 1 || found.Stores[0].Products[0].Name != "Porselen Kahve Fincanı Takımı (6'lı)" {
		t.Fatalf("products: %+v", found)
	}
	var m wire.Message
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/products/send", in.ConversationID),
		wire.SendProductRequest{StoreID: stores[0].ID, ProductID: found.Stores[0].Products[0].ID}, &m, http.StatusCreated)
	if m.Body != "Porselen Kahve Fincanı Takımı (6'lı)\n1.249,00 TL\nhttps://anadolukahve.example.com.tr/products/porselen-fincan-takimi" {
		t.Fatalf("sent: %q", m.Body)
	}
	// A shipped order is not cancelled; the shop says why.
	status, werr := errorOf(t, ayse, "POST", fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", in.ConversationID),
		wire.ShopOrderActionRequest{StoreID: stores[0].ID, OrderID: "gid://shopify/Order/5005", Number: "#100477", Action: "cancel", Confirm: true})
	if status != 422 || werr.Message != "Shopify refused: Cannot cancel an order that has been fulfilled" {
		t.Fatalf("%d %+v", status, werr)
	}

	// After a restart the shop is on another port; the store follows it.
	e.stop()
	e = startWithOn(t, dir, demoMode)
	e.admin().mustDo("GET", "/api/v1/shop-stores", nil, &stores, http.StatusOK)
	if len(stores) != 1 || stores[0].BaseURL == firstURL {
		t.Fatalf("after restart: %+v (was %s)", stores, firstURL)
	}
	e.admin().mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", stores[0].ID), nil, &res, http.StatusOK)
	if !res.OK {
		t.Fatalf("test after restart: %+v", res)
	}
}
