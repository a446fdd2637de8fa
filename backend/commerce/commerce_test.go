package commerce

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/secrets"
	"santral/backend/shop"
	"santral/backend/store"
	"santral/backend/wire"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "santral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _ := secrets.New(make([]byte, secrets.KeySize))
	if err := st.UseSecrets(context.Background(), box); err != nil {
		t.Fatal(err)
	}
	return st
}

// ideasoft is a local Ideasoft that rotates the refresh token on every refresh and refuses a
// refresh token it has replaced.
type ideasoft struct {
	mu      sync.Mutex
	refresh string
	access  string
	n       int
}

func (s *ideasoft) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/oauth/v2/token" {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != s.refresh {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid refresh token"}`))
			return
		}
		s.n++
		s.refresh, s.access = "refresh-"+strconv.Itoa(s.n+1), "access-"+strconv.Itoa(s.n+1)
		w.Write([]byte(`{"access_token":"` + s.access + `","expires_in":86400,"token_type":"bearer","refresh_token":"` + s.refresh + `"}`))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.access {
		w.WriteHeader(401)
		return
	}
	w.Write([]byte(`[]`))
}

func TestIdeasoftRefreshTokenKeptForEveryNode(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	shopSrv := &ideasoft{refresh: "refresh-1", access: "access-1"}
	hs := httptest.NewServer(shopSrv)
	defer hs.Close()
	log := slog.New(slog.DiscardHandler)
	nodeA, nodeB := New(st, nil, nil, Options{}, log), New(st, nil, nil, Options{}, log)
	var id int64
	if _, err := st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.SaveShop(store.ShopRow{Platform: "ideasoft", Name: "Anadolu", Enabled: true, Config: store.ShopConfig{BaseURL: hs.URL},
			Secrets: map[string]string{"client_id": "c", "client_secret": "s", "access_token": "access-1", "refresh_token": "refresh-1",
				"expires": strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Node A refreshes (the token expired): Ideasoft replaces the refresh token.
	if res, err := nodeA.Test(ctx, id); err != nil || !res.OK {
		t.Fatalf("node A: %+v %v", res, err)
	}
	row, _ := st.ShopRow(ctx, id)
	if row.Secrets["refresh_token"] != "refresh-2" || row.Secrets["access_token"] != "access-2" {
		t.Fatalf("the new pair is not kept: %v", row.Secrets["refresh_token"])
	}
	// Node B builds its client from the row: it uses the new pair, not the replaced one.
	if res, err := nodeB.Test(ctx, id); err != nil || !res.OK {
		t.Fatalf("node B: %+v %v", res, err)
	}
	// Node A again, with its client: still fine.
	if res, err := nodeA.Test(ctx, id); err != nil || !res.OK {
		t.Fatalf("node A again: %+v %v", res, err)
	}
	if shopSrv.n != 1 {
		t.Errorf("%d refreshes, want 1", shopSrv.n)
	}
}

func TestTestConnectionNamesTheStep(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	hs := httptest.NewServer(&ideasoft{refresh: "other", access: "x"})
	defer hs.Close()
	s := New(st, nil, nil, Options{}, slog.New(slog.DiscardHandler))
	var id int64
	st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.SaveShop(store.ShopRow{Platform: "ideasoft", Name: "A", Enabled: true, Config: store.ShopConfig{BaseURL: hs.URL},
			Secrets: map[string]string{"client_id": "c", "client_secret": "s", "refresh_token": "revoked"}})
		return err
	})
	res, err := s.Test(ctx, id)
	if err != nil || res.OK || res.Code != wire.CodeShopAuthFailed || res.Step != "token" || res.Message != "Ideasoft refused Santral's credentials (HTTP 400): Invalid refresh token" {
		t.Fatalf("%+v %v", res, err)
	}
	// Not authorised yet: said before any call.
	row, _ := st.ShopRow(ctx, id) // a save writes back the version it read (SaveShop)
	row.Secrets = map[string]string{"client_id": "c", "client_secret": "s"}
	if _, err := st.Tx(ctx, func(tx *store.Tx) error { _, err := tx.SaveShop(row); return err }); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Test(ctx, id); res.Code != wire.CodeShopNotAuthorized || res.Step != "authorize" {
		t.Fatalf("%+v", res)
	}
}

func TestWireErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		code wire.Code
		msg  string
	}{
		{&shop.Error{Kind: shop.KindRefused, Platform: shop.Ticimax, Message: "Sipariş bulunamadı."}, wire.CodeShopRefused, "Ticimax refused: Sipariş bulunamadı."},
		{&shop.Error{Kind: shop.KindThrottled, Platform: shop.Shopify}, wire.CodeShopThrottled, "Shopify's rate limit: try again in a few seconds"},
		{&shop.Error{Kind: shop.KindUnreachable, Platform: shop.Ideasoft, Status: 503, Message: "Service Unavailable"}, wire.CodeShopUnreachable, "Ideasoft could not be reached (HTTP 503): Service Unavailable"},
		{context.DeadlineExceeded, wire.CodeShopUnreachable, "the store did not answer in time"},
	} {
		got := wireError(c.err)
		if got.Code != c.code || got.Message != c.msg {
			t.Errorf("%v: %s %q, want %s %q", c.err, got.Code, got.Message, c.code, c.msg)
		}
	}
}

// A store that refuses and one that does not answer are logged without a credential.
func TestFailuresLoggedWithoutCredentials(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	refusing := httptest.NewServer(&ideasoft{refresh: "other", access: "x"})
	defer refusing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	s := New(st, nil, nil, Options{PanelTimeout: 2 * time.Second}, log)
	secretsUsed := []string{"s3cr3t-client-secret", "r3fr3sh-token-value", "shpat_s3cr3t_token", "TICIMAXYETKIKODU000000000000XY"}
	for _, r := range []store.ShopRow{
		{Platform: "ideasoft", Name: "A", Enabled: true, Config: store.ShopConfig{BaseURL: refusing.URL},
			Secrets: map[string]string{"client_id": "c", "client_secret": secretsUsed[0], "refresh_token": secretsUsed[1]}},
		{Platform: "shopify", Name: "B", Enabled: true, Config: store.ShopConfig{BaseURL: closed.URL}, Secrets: map[string]string{"access_token": secretsUsed[2]}},
		{Platform: "ticimax", Name: "C", Enabled: true, Config: store.ShopConfig{BaseURL: closed.URL}, Secrets: map[string]string{"auth_code": secretsUsed[3]}},
	} {
		var id int64
		st.Tx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = tx.SaveShop(r)
			return err
		})
		if res, err := s.Test(ctx, id); err != nil || res.OK {
			t.Fatalf("%s: %+v %v", r.Platform, res, err)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, secret := range secretsUsed {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("%q is in the log:\n%s", secret, logs.String())
		}
	}
}

// A Ticimax store through the service: the member found by the WhatsApp number, the order
// with its tracking link built from the carrier table.
func TestTicimaxOrdersThroughThePanel(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "shop", "testdata", "ticimax", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ticimax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("SOAPAction") {
		case `"http://tempuri.org/IUyeServis/SelectUyeIdByMailOrTel"`:
			w.Write(read("select_uye_id_by_mail_or_tel.response.xml"))
		case `"http://tempuri.org/ISiparisServis/SelectSiparis"`:
			w.Write(read("select_siparis.response.xml"))
		default:
			w.WriteHeader(500)
			w.Write(read("soap_fault.response.xml"))
		}
	}))
	defer ticimax.Close()
	s := New(st, nil, nil, Options{}, slog.New(slog.DiscardHandler))
	st.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.SaveShop(store.ShopRow{Platform: "ticimax", Name: "Örnek Mağaza", Enabled: true, Config: store.ShopConfig{BaseURL: ticimax.URL,
			ActionRoles: []wire.Role{wire.RoleAdmin}}, Secrets: map[string]string{"auth_code": "ORNEKYETKIKODU0000000000000000"}})
		return err
	})
	c := wire.Conversation{ID: 1, Channel: wire.Channel{Type: "whatsapp"}, Contact: wire.Contact{ExternalID: "905321234567"}}
	panel, err := s.Orders(ctx, wire.User{ID: 1, Role: wire.RoleAgent}, c, "")
	if err != nil || len(panel.Stores) != 1 || len(panel.Stores[0].Orders) != 1 {
		t.Fatalf("panel %+v %v", panel, err)
	}
	o := panel.Stores[0].Orders[0]
	if o.Number != "TCM2611031940" || o.Status != wire.ShopStatusShipped || o.TrackingURL != "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651" {
		t.Fatalf("order %+v", o)
	}
	// An agent's role is not among the store's action roles: no actions offered.
	if len(panel.Stores[0].Actions) != 0 {
		t.Errorf("actions %v", panel.Stores[0].Actions)
	}
	admin, _ := s.Orders(ctx, wire.User{ID: 2, Role: wire.RoleAdmin}, c, "")
	if got := admin.Stores[0].Actions; len(got) != 3 {
		t.Errorf("admin's actions %v", got)
	}
}
