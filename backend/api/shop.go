package api

import (
	"html"
	"net/http"

	"santral/backend/wire"
)

// The shop in the conversation: admins connect stores; whoever may read a conversation sees
// its contact's orders and searches products; the holder sends a product; permitted roles act
// on orders. The rules are backend/commerce's; these handlers only read requests and write
// answers.

func init() {
	for code, status := range map[wire.Code]int{
		wire.CodeShopNotConnected: 404, wire.CodeShopOrderNotFound: 404, wire.CodeShopProductNotFound: 404,
		wire.CodeShopUnreachable: 503, wire.CodeShopAuthFailed: 502, wire.CodeShopRefused: 422, wire.CodeShopThrottled: 429,
		wire.CodeShopActionNotAllowed: 403, wire.CodeShopActionUnsupported: 400, wire.CodeShopConfirmRequired: 400,
		wire.CodeShopNotAuthorized: 409, wire.CodeShopOrderNotCustomer: 403, wire.CodeShopActionPending: 409,
		wire.CodeShopImageRefused: 422,
	} {
		statusOf[code] = status
	}
}

// shopRoutes adds the shop's routes to the route table.
func (a *API) shopRoutes(mux *http.ServeMux, any, admin []wire.Role) {
	mux.Handle("GET /api/v1/shop-stores", a.authed(a.shopOn(a.listShopStores), admin...))
	mux.Handle("POST /api/v1/shop-stores", a.authed(a.shopOn(a.createShopStore), admin...))
	mux.Handle("PATCH /api/v1/shop-stores/{id}", a.authed(a.shopOn(a.updateShopStore), admin...))
	mux.Handle("DELETE /api/v1/shop-stores/{id}", a.authed(a.shopOn(a.deleteShopStore), admin...))
	mux.Handle("POST /api/v1/shop-stores/{id}/test", a.authed(a.shopOn(a.testShopStore), admin...))
	mux.Handle("POST /api/v1/shop-stores/{id}/authorize-link", a.authed(a.shopOn(a.shopAuthorizeLink), admin...))
	mux.Handle("POST /api/v1/shop-stores/authorize", a.authed(a.shopOn(a.shopAuthorize), admin...))
	mux.Handle("GET /integrations/ideasoft/callback", a.public(a.ideasoftCallback))
	mux.Handle("GET /api/v1/conversations/{id}/shop/orders", a.authed(a.shopOn(a.conversationOrders), any...))
	mux.Handle("GET /api/v1/conversations/{id}/shop/products", a.authed(a.shopOn(a.conversationProducts), any...))
	mux.Handle("POST /api/v1/conversations/{id}/shop/orders/action", a.authed(a.shopOn(a.orderAction), any...))
	mux.Handle("POST /api/v1/conversations/{id}/shop/products/send", a.authed(a.shopOn(a.sendProduct), any...))
}

// shopOn answers shop_not_connected when the server runs without the shop service.
func (a *API) shopOn(fn authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, u wire.User) error {
		if a.opt.Shop == nil {
			return wire.Errorf(wire.CodeShopNotConnected, "no store can be connected on this server")
		}
		return fn(w, r, u)
	}
}

func (a *API) listShopStores(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.opt.Shop.Stores(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) createShopStore(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.ShopStoreRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := a.opt.Shop.Save(r.Context(), 0, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, st)
}

func (a *API) updateShopStore(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.ShopStoreRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := a.opt.Shop.Save(r.Context(), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) deleteShopStore(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.opt.Shop.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) testShopStore(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.opt.Shop.Test(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) shopAuthorizeLink(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.opt.Shop.AuthorizeStart(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) shopAuthorize(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.ShopAuthorizeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := a.opt.Shop.Authorize(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// ideasoftCallback is where Ideasoft sends the admin's browser back: the state Santral issued
// names the store, so the code is exchanged without a login (the state is the proof).
func (a *API) ideasoftCallback(w http.ResponseWriter, r *http.Request) error {
	if a.opt.Shop == nil {
		return wire.Errorf(wire.CodeShopNotConnected, "no store can be connected on this server")
	}
	q := r.URL.Query()
	_, err := a.opt.Shop.Authorize(r.Context(), wire.ShopAuthorizeRequest{Code: q.Get("code"), State: q.Get("state")})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	text := "Ideasoft mağazası bağlandı; bu pencereyi kapatabilirsiniz. / The Ideasoft store is connected; you can close this window."
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadRequest
		text = "Bağlantı kurulamadı / The store could not be connected: " + err.Error()
	}
	w.WriteHeader(status)
	_, werr := w.Write([]byte("<!doctype html><meta charset=utf-8><title>Santral</title><p>" + html.EscapeString(text) + "</p>"))
	return werr
}

func (a *API) conversationOrders(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	number := r.URL.Query().Get("number")
	if len([]rune(number)) > 64 {
		return wire.Invalid("number", "an order number can be at most 64 characters")
	}
	panel, err := a.opt.Shop.Orders(r.Context(), u, c, number)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, panel)
}

func (a *API) conversationProducts(w http.ResponseWriter, r *http.Request, u wire.User) error {
	if _, err := a.readableConversation(r, u); err != nil {
		return err
	}
	res, err := a.opt.Shop.Products(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) orderAction(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	var req wire.ShopOrderActionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.opt.Shop.Act(r.Context(), u, c, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *API) sendProduct(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.SendProductRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := a.opt.Shop.SendProduct(r.Context(), u, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}
