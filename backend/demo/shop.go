package demo

// The demo's shop: a local store speaking Shopify's GraphQL Admin API (the operations Santral
// sends, in the documented shapes of backend/shop/testdata/shopify) with a Turkish catalogue
// and orders for the demo's customers, so the conversation's shop panel has something to show
// in `make run`. It lives in santrald's process on a loopback port and is connected as the
// workspace's store at every start (its port changes).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"santral/backend/shop"
	"santral/backend/store"
	"santral/backend/wire"
)

// ShopToken is the demo shop's access token (not a secret: the shop is a toy on loopback).
const ShopToken = "shpat_santral_demo"

// ShopName is the demo store's name in the workspace.
const ShopName = "Anadolu Kahve & Ev (demo)"

type demoProduct struct {
	id, title, handle, sku, barcode, price string
	stock                                  int
	color                                  color.RGBA
}

var demoProducts = []demoProduct{
	{"1001", "Çelik Termos 500 ml", "celik-termos-500-ml", "AK-TRM-500", "8680001234561", "899.90", 37, color.RGBA{60, 64, 72, 255}},
	{"1002", "Türk Kahvesi Orta Kavrulmuş 250 g", "turk-kahvesi-250", "AK-TK-250", "8680001100250", "175.00", 240, color.RGBA{110, 70, 40, 255}},
	{"1003", "Bakır Cezve No:3", "bakir-cezve-3", "AK-CZV-03", "8680001100311", "899.90", 12, color.RGBA{184, 115, 51, 255}},
	{"1004", "Porselen Kahve Fincanı Takımı (6'lı)", "porselen-fincan-takimi", "EV-FNC-6", "8680002200016", "1249.00", 8, color.RGBA{230, 230, 240, 255}},
	{"1005", "Cam Çay Bardağı Seti (12'li)", "cam-cay-bardagi-12", "EV-CB-12", "8680002200122", "329.90", 55, color.RGBA{190, 220, 230, 255}},
	{"1006", "Deri Spor Ayakkabı 42", "deri-spor-ayakkabi-42", "GY-AYK-42", "8680003300042", "1899.00", 4, color.RGBA{240, 240, 235, 255}},
	{"1007", "Kapüşonlu Kışlık Mont L", "kapusonlu-mont-l", "GY-MNT-L", "8680003300109", "2499.00", 0, color.RGBA{30, 50, 90, 255}},
	{"1008", "El Yapımı Seramik Kupa", "seramik-kupa", "EV-KUP-01", "8680002200313", "249.90", 31, color.RGBA{200, 90, 70, 255}},
}

type demoLine struct {
	product string // id
	qty     int
}

type demoOrder struct {
	id, name, phone, email           string
	age                              time.Duration // before now
	financial, fulfillment, shipment string
	carrier, tracking                string
	lines                            []demoLine
	cancelled                        bool
}

// The demo customers' orders (backend/demo/demo.go's scripts ask about them).
func demoOrders() []*demoOrder {
	return []*demoOrder{
		{id: "5001", name: "#100482", phone: "+905321112233", email: "elif.yildiz@example.com.tr", age: 26 * time.Hour,
			financial: "PAID", fulfillment: "UNFULFILLED", lines: []demoLine{{"1004", 1}, {"1002", 2}}},
		{id: "5002", name: "#100391", phone: "+905321112233", email: "elif.yildiz@example.com.tr", age: 19 * 24 * time.Hour,
			financial: "PAID", fulfillment: "FULFILLED", shipment: "DELIVERED", carrier: "Aras Kargo", tracking: "5012884401", lines: []demoLine{{"1005", 1}}},
		{id: "5003", name: "#100455", phone: "+905339998877", age: 6 * 24 * time.Hour,
			financial: "PAID", fulfillment: "FULFILLED", shipment: "DELIVERED", carrier: "MNG Kargo", tracking: "MNG7781203", lines: []demoLine{{"1006", 1}}},
		{id: "5004", name: "#100470", phone: "+905417776655", age: 3 * 24 * time.Hour,
			financial: "PAID", fulfillment: "FULFILLED", shipment: "DELIVERED", carrier: "Yurtiçi Kargo", tracking: "304918270001", lines: []demoLine{{"1005", 1}, {"1008", 2}}},
		{id: "5005", name: "#100477", phone: "+905301234567", age: 2 * 24 * time.Hour,
			financial: "PAID", fulfillment: "FULFILLED", shipment: "IN_TRANSIT", carrier: "Yurtiçi Kargo", tracking: "TR2026114455", lines: []demoLine{{"1001", 1}, {"1003", 1}}},
		{id: "5006", name: "#100490", phone: "+905068887766", age: 3 * time.Hour,
			financial: "PENDING", fulfillment: "UNFULFILLED", lines: []demoLine{{"1008", 4}}},
	}
}

// shopServer is the demo shop's state: orders can be cancelled and given tracking numbers.
type shopServer struct {
	mu     sync.Mutex
	orders []*demoOrder
	start  time.Time
	base   string
}

// StartShop serves the demo shop on a loopback port until ctx ends and returns its address.
func StartShop(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: unable to start the demo shop: %w", err)
	}
	s := &shopServer{orders: demoOrders(), start: time.Now(), base: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return s.base, nil
}

// ConnectShop makes the demo shop the workspace's store (created once; its address updated at
// every start). Agents may act on its orders, so the demo shows the order actions.
func ConnectShop(ctx context.Context, st *store.Store, baseURL string) error {
	rows, err := st.ShopRows(ctx)
	if err != nil {
		return err
	}
	row := store.ShopRow{Platform: "shopify", Name: ShopName, Enabled: true,
		Config:  store.ShopConfig{ActionRoles: []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}},
		Secrets: map[string]string{"access_token": ShopToken}}
	for _, r := range rows {
		if r.Name == ShopName && r.Platform == "shopify" {
			row = r
		}
	}
	row.Config.BaseURL = baseURL
	_, err = st.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.SaveShop(row)
		return err
	})
	return err
}

var (
	opName     = regexp.MustCompile(`^(?:query|mutation)\s+(\w+)`)
	searchTerm = regexp.MustCompile(`(\w+):"?([^"\s)*]+)\*?"?`)
)

func money(amount string) map[string]any {
	return map[string]any{"shopMoney": map[string]any{"amount": amount, "currencyCode": "TRY"}}
}

func (s *shopServer) product(id string) (demoProduct, bool) {
	for _, p := range demoProducts {
		if p.id == id {
			return p, true
		}
	}
	return demoProduct{}, false
}

func (s *shopServer) productNode(p demoProduct) map[string]any {
	return map[string]any{
		"id": "gid://shopify/Product/" + p.id, "title": p.title, "handle": p.handle, "status": "ACTIVE", "vendor": "Anadolu Kahve",
		"productType": "", "onlineStoreUrl": "https://anadolukahve.example.com.tr/products/" + p.handle, "totalInventory": p.stock,
		"featuredMedia": map[string]any{"preview": map[string]any{"image": map[string]any{"url": s.base + "/images/" + p.id + ".png", "altText": p.title}}},
		"priceRangeV2": map[string]any{"minVariantPrice": map[string]any{"amount": p.price, "currencyCode": "TRY"},
			"maxVariantPrice": map[string]any{"amount": p.price, "currencyCode": "TRY"}},
		"variants": map[string]any{"nodes": []any{map[string]any{"id": "gid://shopify/ProductVariant/" + p.id, "title": "Default Title", "sku": p.sku,
			"barcode": p.barcode, "price": p.price, "compareAtPrice": nil, "inventoryQuantity": p.stock, "availableForSale": p.stock > 0}}},
	}
}

func (s *shopServer) orderNode(o *demoOrder) map[string]any {
	var lines []any
	var total int64
	for i, l := range o.lines {
		p, _ := s.product(l.product)
		m, _ := shop.ParseMoney(p.price, "TRY")
		total += m.Minor * int64(l.qty)
		lines = append(lines, map[string]any{"id": fmt.Sprintf("gid://shopify/LineItem/%s%d", o.id, i), "title": p.title, "variantTitle": nil,
			"sku": p.sku, "quantity": l.qty, "originalUnitPriceSet": money(p.price)})
	}
	var fulfillments []any
	if o.tracking != "" {
		fulfillments = append(fulfillments, map[string]any{"id": "gid://shopify/Fulfillment/" + o.id, "displayStatus": o.shipment,
			"createdAt":    s.start.Add(-o.age + 20*time.Hour).UTC().Format(time.RFC3339),
			"trackingInfo": []any{map[string]any{"company": o.carrier, "number": o.tracking, "url": shop.TrackingURL(o.carrier, o.tracking)}}})
	}
	n := map[string]any{
		"id": "gid://shopify/Order/" + o.id, "name": o.name, "createdAt": s.start.Add(-o.age).UTC().Format(time.RFC3339),
		"cancelledAt": nil, "cancelReason": nil, "displayFinancialStatus": o.financial, "displayFulfillmentStatus": o.fulfillment,
		"statusPageUrl": "https://anadolukahve.example.com.tr/orders/" + o.id,
		"totalPriceSet": money(wire.Money{Minor: total, Currency: "TRY"}.String()),
		"lineItems":     map[string]any{"nodes": lines}, "fulfillments": fulfillments,
	}
	if fulfillments == nil {
		n["fulfillments"] = []any{}
	}
	if o.cancelled {
		n["cancelledAt"], n["cancelReason"] = time.Now().UTC().Format(time.RFC3339), "CUSTOMER"
	}
	return n
}

func cost() map[string]any {
	return map[string]any{"cost": map[string]any{"requestedQueryCost": 10, "actualQueryCost": 5,
		"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": 1995, "restoreRate": 100.0}}}
}

func (s *shopServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/images/") {
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/images/"), ".png")
		p, ok := s.product(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		img := image.NewRGBA(image.Rect(0, 0, 160, 160))
		for y := 0; y < 160; y++ {
			for x := 0; x < 160; x++ {
				img.Set(x, y, p.color)
			}
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.Bytes())
		return
	}
	if r.URL.Path != "/admin/api/"+shop.ShopifyAPIVersion+"/graphql.json" || r.Header.Get("X-Shopify-Access-Token") != ShopToken {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`))
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(400)
		return
	}
	m := opName.FindStringSubmatch(req.Query)
	if m == nil {
		w.WriteHeader(400)
		return
	}
	data := s.answer(m[1], req.Variables)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": data, "extensions": cost()})
}

func (s *shopServer) answer(op string, v map[string]any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	str := func(k string) string { x, _ := v[k].(string); return x }
	switch op {
	case "SantralShop":
		return map[string]any{"shop": map[string]any{"name": ShopName, "currencyCode": "TRY"}}
	case "SantralCustomerOrders":
		id, _ := v["identifier"].(map[string]any)
		phone, _ := id["phoneNumber"].(string)
		email, _ := id["emailAddress"].(string)
		var nodes []any
		for _, o := range s.orders {
			if (phone != "" && o.phone == phone) || (email != "" && strings.EqualFold(o.email, email)) {
				nodes = append([]any{s.orderNode(o)}, nodes...)
			}
		}
		if nodes == nil {
			return map[string]any{"customerByIdentifier": nil}
		}
		return map[string]any{"customerByIdentifier": map[string]any{"id": "gid://shopify/Customer/1", "orders": map[string]any{"nodes": nodes}}}
	case "SantralOrderSearch":
		nodes := []any{}
		for _, t := range searchTerm.FindAllStringSubmatch(str("q"), -1) {
			for _, o := range s.orders {
				if (t[1] == "name" && o.name == t[2]) || (t[1] == "phone" && o.phone == t[2]) || (t[1] == "email" && strings.EqualFold(o.email, t[2])) {
					nodes = append(nodes, s.orderNode(o))
				}
			}
		}
		return map[string]any{"orders": map[string]any{"nodes": nodes}}
	case "SantralProductSearch":
		nodes := []any{}
		words := searchTerm.FindAllStringSubmatch(str("q"), -1)
		for _, p := range demoProducts {
			for _, t := range words {
				w := strings.ToLower(t[2])
				if (t[1] == "title" && strings.Contains(fold(p.title), fold(w))) || (t[1] == "sku" && strings.HasPrefix(strings.ToLower(p.sku), w)) || (t[1] == "barcode" && p.barcode == t[2]) {
					nodes = append(nodes, s.productNode(p))
					break
				}
			}
		}
		return map[string]any{"products": map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": false, "endCursor": nil}}}
	case "SantralProduct":
		p, ok := s.product(strings.TrimPrefix(str("id"), "gid://shopify/Product/"))
		if !ok {
			return map[string]any{"product": nil}
		}
		return map[string]any{"product": s.productNode(p)}
	case "SantralOrderCancel":
		o := s.order(str("orderId"))
		if o == nil {
			return map[string]any{"orderCancel": map[string]any{"job": nil, "orderCancelUserErrors": []any{map[string]any{"field": []string{"orderId"}, "message": "Order does not exist", "code": "NOT_FOUND"}}}}
		}
		if o.cancelled || o.fulfillment == "FULFILLED" {
			msg := "Order has already been cancelled"
			if !o.cancelled {
				msg = "Cannot cancel an order that has been fulfilled"
			}
			return map[string]any{"orderCancel": map[string]any{"job": nil, "orderCancelUserErrors": []any{map[string]any{"field": []string{"orderId"}, "message": msg, "code": "INVALID"}}}}
		}
		o.cancelled = true
		return map[string]any{"orderCancel": map[string]any{"job": map[string]any{"id": "gid://shopify/Job/" + o.id, "done": false}, "orderCancelUserErrors": []any{}}}
	case "SantralJob":
		return map[string]any{"job": map[string]any{"id": str("id"), "done": true}}
	case "SantralFulfillmentOrders":
		o := s.order(str("id"))
		if o == nil {
			return map[string]any{"order": nil}
		}
		status := "OPEN"
		if o.fulfillment == "FULFILLED" || o.cancelled {
			status = "CLOSED"
		}
		return map[string]any{"order": map[string]any{"fulfillmentOrders": map[string]any{"nodes": []any{map[string]any{"id": "gid://shopify/FulfillmentOrder/" + o.id, "status": status}}}}}
	case "SantralFulfill":
		f, _ := v["fulfillment"].(map[string]any)
		lines, _ := f["lineItemsByFulfillmentOrder"].([]any)
		info, _ := f["trackingInfo"].(map[string]any)
		if len(lines) > 0 {
			first, _ := lines[0].(map[string]any)
			id, _ := first["fulfillmentOrderId"].(string)
			if o := s.order(strings.Replace(id, "FulfillmentOrder", "Order", 1)); o != nil {
				o.fulfillment, o.shipment = "FULFILLED", "IN_TRANSIT"
				o.carrier, _ = info["company"].(string)
				o.tracking, _ = info["number"].(string)
			}
		}
		return map[string]any{"fulfillmentCreate": map[string]any{"fulfillment": map[string]any{"id": "gid://shopify/Fulfillment/1"}, "userErrors": []any{}}}
	}
	return nil
}

func (s *shopServer) order(gid string) *demoOrder {
	id := strings.TrimPrefix(gid, "gid://shopify/Order/")
	for _, o := range s.orders {
		if o.id == id {
			return o
		}
	}
	return nil
}

// fold lower-cases the Turkish way without the letters' marks, as Shopify's search matches.
func fold(s string) string {
	return strings.ToLower(strings.NewReplacer("İ", "i", "I", "i", "Ç", "c", "ç", "c", "Ş", "s", "ş", "s", "Ğ", "g", "ğ", "g",
		"Ü", "u", "ü", "u", "Ö", "o", "ö", "o", "ı", "i").Replace(s))
}
