package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"santral/backend/wire"
)

// Ideasoft's authorisation code flow through santrald: the admin's link carries a state, the
// callback exchanges the code (the documented form), the pair is kept sealed, and a forged or
// used state is refused.
func TestIdeasoftAuthorisationThroughSantrald(t *testing.T) {
	e := start(t)
	admin := e.admin()
	var mu sync.Mutex
	var tokenForms []string
	ideasoft := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/v2/token":
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			tokenForms = append(tokenForms, string(b))
			mu.Unlock()
			w.Write(shopFixture(t, "ideasoft", "oauth_token.response.json"))
		case "/admin-api/orders":
			if r.Header.Get("Authorization") != "Bearer MmQ0ZjZhOGMwZTJiNGQ2Zjg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg" {
				w.WriteHeader(401)
				return
			}
			w.Write([]byte(`[]`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer ideasoft.Close()
	redirect := e.url + "/integrations/ideasoft/callback"
	var st wire.ShopStore
	admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "ideasoft", Name: "Anadolu", BaseURL: ideasoft.URL, RedirectURI: redirect,
		Credentials: map[string]string{"client_id": "3_4x9kq2m7a0w8gso0c4wk8s00cgwc", "client_secret": "2c7b9e0d1f4a4c8e9b6a3d5f7e1c0b2a"}}, &st, http.StatusCreated)
	if st.Authorized {
		t.Fatal("authorised before the flow")
	}
	var res wire.ShopTestResult
	admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", st.ID), nil, &res, http.StatusOK)
	if res.OK || res.Code != wire.CodeShopNotAuthorized || res.Step != "authorize" {
		t.Fatalf("test before the flow: %+v", res)
	}
	var link wire.ShopAuthorizeStart
	admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/authorize-link", st.ID), nil, &link, http.StatusOK)
	u, _ := url.Parse(link.URL)
	state := u.Query().Get("state")
	if u.Path != "/panel/auth" || u.Query().Get("client_id") != "3_4x9kq2m7a0w8gso0c4wk8s00cgwc" || u.Query().Get("response_type") != "code" ||
		u.Query().Get("redirect_uri") != redirect || state == "" {
		t.Fatalf("link: %s", link.URL)
	}
	callback := func(code, state string) int {
		res, err := http.Get(redirect + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := callback("NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1", state+"x"); got != 400 {
		t.Fatalf("a forged state: %d", got)
	}
	if got := callback("NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1", state); got != 200 {
		t.Fatalf("callback: %d", got)
	}
	want := "grant_type=authorization_code&client_id=3_4x9kq2m7a0w8gso0c4wk8s00cgwc&client_secret=2c7b9e0d1f4a4c8e9b6a3d5f7e1c0b2a&code=NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1&redirect_uri=" + url.QueryEscape(redirect)
	mu.Lock()
	forms := append([]string(nil), tokenForms...)
	mu.Unlock()
	if len(forms) != 1 || forms[0] != want {
		t.Fatalf("token requests: %q", forms)
	}
	if got := callback("NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1", state); got != 400 {
		t.Fatalf("a used state: %d", got)
	}
	var list []wire.ShopStore
	admin.mustDo("GET", "/api/v1/shop-stores", nil, &list, http.StatusOK)
	raw, _ := json.Marshal(list)
	if !list[0].Authorized || bytes.Contains(raw, []byte("MmQ0ZjZh")) || bytes.Contains(raw, []byte("OTdkYzBi")) || bytes.Contains(raw, []byte("2c7b9e0d")) {
		t.Fatalf("after the flow: %s", raw)
	}
	admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/test", st.ID), nil, &res, http.StatusOK)
	if !res.OK {
		t.Fatalf("test after the flow: %+v", res)
	}
}

// Two callbacks with the same state at once (a replay, a double-clicked link, two nodes): the
// state is used up in one conditional statement before the code goes to Ideasoft, so exactly
// one is exchanged and the other refused. Ideasoft holds the first exchange until the second
// callback has its answer, so the second is decided while the first is still running.
func TestIdeasoftReplayedCallbackDuringTheExchangeIsRefused(t *testing.T) {
	e := start(t)
	admin := e.admin()
	arrived, release := make(chan struct{}, 4), make(chan struct{})
	var mu sync.Mutex
	exchanges := 0
	ideasoft := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/v2/token" {
			w.WriteHeader(404)
			return
		}
		mu.Lock()
		exchanges++
		first := exchanges == 1
		mu.Unlock()
		if first {
			arrived <- struct{}{}
			<-release
		}
		w.Write(shopFixture(t, "ideasoft", "oauth_token.response.json"))
	}))
	defer ideasoft.Close()
	redirect := e.url + "/integrations/ideasoft/callback"
	var st wire.ShopStore
	admin.mustDo("POST", "/api/v1/shop-stores", wire.ShopStoreRequest{Platform: "ideasoft", Name: "Anadolu", BaseURL: ideasoft.URL, RedirectURI: redirect,
		Credentials: map[string]string{"client_id": "3_4x9kq2m7a0w8gso0c4wk8s00cgwc", "client_secret": "2c7b9e0d1f4a4c8e9b6a3d5f7e1c0b2a"}}, &st, http.StatusCreated)
	var link wire.ShopAuthorizeStart
	admin.mustDo("POST", fmt.Sprintf("/api/v1/shop-stores/%d/authorize-link", st.ID), nil, &link, http.StatusOK)
	u, _ := url.Parse(link.URL)
	callback := redirect + "?code=NGY3ZTI1OWQzYjJiYzE4ZDdlM2Q1&state=" + url.QueryEscape(u.Query().Get("state"))
	get := func() int {
		res, err := http.Get(callback)
		if err != nil {
			t.Error(err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	first := make(chan int, 1)
	go func() { first <- get() }()
	<-arrived
	second := get()
	close(release)
	if a := <-first; a != 200 || second != 400 {
		t.Fatalf("first callback %d, second %d: want 200 and 400", a, second)
	}
	mu.Lock()
	defer mu.Unlock()
	if exchanges != 1 {
		t.Fatalf("the code was exchanged %d times", exchanges)
	}
}
