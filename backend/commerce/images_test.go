package commerce

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"santral/backend/store"
	"santral/backend/wire"
)

// Where a store's product images may come from: the store's own address (whatever it is,
// since the admin chose it), its site's other hosts and its platform's CDN over https, and
// nothing else.
func TestProductImageAddressPolicy(t *testing.T) {
	for _, c := range []struct {
		platform, base, image string
		ok                    bool
	}{
		{"shopify", "https://anadolu.myshopify.com", "https://cdn.shopify.com/s/files/1/0882/2030/3617/files/termos.jpg?v=1", true},
		{"shopify", "https://anadolu.myshopify.com", "http://cdn.shopify.com/s/files/termos.jpg", false},
		{"shopify", "https://anadolu.myshopify.com", "https://cdn.shopify.com:8443/termos.jpg", false},
		{"shopify", "https://anadolu.myshopify.com", "https://evil.example.com/termos.jpg", false},
		{"ticimax", "https://www.ornekmagaza.com.tr", "https://static.ornekmagaza.com.tr/UrunResimleri/buyuk/celik-termos-antrasit.jpg", true},
		{"ticimax", "https://www.ornekmagaza.com.tr", "https://ornekmagaza.com.tr.evil.example/x.jpg", false},
		{"ticimax", "https://www.ornekmagaza.com.tr", "https://cdn.shopify.com/x.jpg", false},
		{"ideasoft", "https://anadolukahve.myideasoft.com", "https://anadolukahve.myideasoft.com/idea/ab/11/myassets/products/290/termos.jpg", true},
		{"ideasoft", "https://www.anadolukahve.com.tr", "https://anadolukahve.myideasoft.com/idea/ab/11/myassets/products/290/termos.jpg", true},
		{"ideasoft", "https://www.anadolukahve.com.tr", "https://myideasoft.com.evil.example/x.jpg", false},
		{"shopify", "https://anadolu.myshopify.com", "https://anadolukahve.myideasoft.com/x.jpg", false},
		{"shopify", "http://127.0.0.1:5000", "http://127.0.0.1:5000/files/termos.jpg", true},
		{"shopify", "http://127.0.0.1:5000", "http://127.0.0.1:5001/files/termos.jpg", false},
		{"shopify", "http://127.0.0.1:5000", "http://169.254.169.254/latest/meta-data/", false},
		{"shopify", "https://anadolu.myshopify.com", "https://169.254.169.254/latest/meta-data/", false},
		{"shopify", "https://anadolu.myshopify.com", "file:///etc/passwd", false},
		{"shopify", "https://anadolu.myshopify.com", "https://user:pw@cdn.shopify.com/x.jpg", false},
	} {
		pol, err := newImagePolicy(store.ShopRow{Platform: c.platform, Config: store.ShopConfig{BaseURL: c.base}})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(c.image)
		if err := pol.check(u); (err == nil) != c.ok {
			t.Errorf("%s, store %s: %s: allowed %v, want %v (%v)", c.platform, c.base, c.image, err == nil, c.ok, err)
		}
	}
	for addr, public := range map[string]bool{"127.0.0.1": false, "10.1.2.3": false, "192.168.1.1": false, "172.16.0.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fd00::1": false,
		"::ffff:127.0.0.1": false, "23.227.38.65": true, "2620:127:f00f::1": true} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != public {
			t.Errorf("%s public: %v, want %v", addr, got, public)
		}
	}
}

// Through the fetch itself: a store on this machine may serve its images and redirect among
// its own paths, but not redirect more than three times, and not to another port of this
// machine; neither is ever asked. Each refusal is shop_image_refused.
func TestProductImageFetchFollowsOnlyTheStoresOwnRedirects(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/elsewhere.jpg":
			http.Redirect(w, r, other.URL+"/x.jpg", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n > 0 {
				http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
				return
			}
			w.Header().Set("Content-Type", "text/plain") // reached: the redirects were followed
		}
	}))
	defer shopSrv.Close()
	s := New(openStore(t), nil, nil, Options{}, slog.New(slog.DiscardHandler))
	row := store.ShopRow{ID: 1, Platform: "shopify", Config: store.ShopConfig{BaseURL: shopSrv.URL}}
	for path, refused := range map[string]bool{"/elsewhere.jpg": true, "/hop/4": true, "/hop/3": false} {
		_, err := s.fetchImage(context.Background(), row, 1, 1, shopSrv.URL+path)
		if got := wire.CodeOf(err) == wire.CodeShopImageRefused; got != refused || err == nil {
			t.Errorf("%s: %v, refused %v, want %v", path, err, got, refused)
		}
	}
	if _, err := s.fetchImage(context.Background(), row, 1, 1, other.URL+"/x.jpg"); wire.CodeOf(err) != wire.CodeShopImageRefused {
		t.Errorf("another port of this machine: %v", err)
	}
	if n := otherHits.Load(); n != 0 {
		t.Fatalf("the other server was asked %d times", n)
	}
}
