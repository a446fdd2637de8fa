package app

// Shop bindings: the conversation's side panel (the contact's orders, product search, sending
// a product, order actions) and the admins' connected stores. The server decides who may see
// and do what; the app only asks and passes the answer on.

import (
	"fmt"
	"net/url"

	"santral/backend/wire"
)

// ShopOrders is the contact's orders in every connected store (number "": by the contact's
// phone and e-mail; else that order number). A store that does not answer comes back with its
// error and since when, not as a failure of the call.
func (a *App) ShopOrders(conversationID int64, number string) (wire.ShopPanel, error) {
	var p wire.ShopPanel
	path := fmt.Sprintf("/api/v1/conversations/%d/shop/orders", conversationID)
	if number != "" {
		path += "?number=" + url.QueryEscape(number)
	}
	err := a.call("GET", path, nil, &p)
	if p.Stores == nil {
		p.Stores = []wire.ShopOrders{}
	}
	return p, err
}

// ShopProducts searches the stores' products by name, SKU or barcode.
func (a *App) ShopProducts(conversationID int64, query string) (wire.ShopProductSearch, error) {
	var p wire.ShopProductSearch
	err := a.call("GET", fmt.Sprintf("/api/v1/conversations/%d/shop/products?q=%s", conversationID, url.QueryEscape(query)), nil, &p)
	if p.Stores == nil {
		p.Stores = []wire.ShopProducts{}
	}
	return p, err
}

// SendProduct sends a product into the conversation as the holder's message (the server reads
// the product from the shop and sends it through the channel's normal rules).
func (a *App) SendProduct(conversationID, storeID int64, productID string) (wire.Message, error) {
	var m wire.Message
	return m, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/products/send", conversationID),
		wire.SendProductRequest{StoreID: storeID, ProductID: productID, IdempotencyKey: newKey()}, &m)
}

// ShopOrderAction cancels an order, sets its status or adds a tracking number — after the
// agent confirmed in the UI (req.Confirm).
func (a *App) ShopOrderAction(conversationID int64, req wire.ShopOrderActionRequest) (wire.ShopOrderActionResult, error) {
	var r wire.ShopOrderActionResult
	return r, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/shop/orders/action", conversationID), req, &r)
}

// ShopStores lists the connected stores (admins): settings, credential names only.
func (a *App) ShopStores() ([]wire.ShopStore, error) {
	var list []wire.ShopStore
	err := a.call("GET", "/api/v1/shop-stores", nil, &list)
	if list == nil {
		list = []wire.ShopStore{}
	}
	return list, err
}

// SaveShopStore connects a store (id 0) or changes one; a credential sent replaces the stored
// one.
func (a *App) SaveShopStore(id int64, req wire.ShopStoreRequest) (wire.ShopStore, error) {
	var out wire.ShopStore
	if id == 0 {
		return out, a.call("POST", "/api/v1/shop-stores", req, &out)
	}
	req.Platform = ""
	return out, a.call("PATCH", fmt.Sprintf("/api/v1/shop-stores/%d", id), req, &out)
}

// TestShopStore asks the store once and says what failed.
func (a *App) TestShopStore(id int64) (wire.ShopTestResult, error) {
	var r wire.ShopTestResult
	return r, a.call("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", id), nil, &r)
}
