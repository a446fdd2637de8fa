package commerce

// A product's image is fetched by the server from an address the shop's API gave: the shop
// (or whoever can edit its catalogue) chooses where santrald connects. So the fetch goes only
// to the store's own site or its platform's image CDN, never to a private, loopback or
// link-local address unless the admin configured the store's base URL there, follows at most
// a few redirects (each hop checked again) and is bounded in time and size.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"santral/backend/media"
	"santral/backend/store"
	"santral/backend/wire"
)

const (
	// maxProductImage bounds a product image fetched to send (WhatsApp images: 5 MB).
	maxProductImage = 5 << 20
	// maxImageRedirects: a shop's image link may redirect (to its CDN) a few times, no more.
	maxImageRedirects = 3
	// imageTimeout bounds the whole fetch, redirects and body included.
	imageTimeout = 10 * time.Second
)

// imageCDNs are the platforms' image hosts beside the store's own site (a leading dot: any
// host under it). Shopify's featuredMedia URLs are on cdn.shopify.com (RESEARCH.md 1.4);
// Ideasoft's images are on the shop's <shop>.myideasoft.com host (fixtures), which a store
// connected under its own domain does not cover; Ticimax serves them from the store's own
// domain (static.<shop>), which the site rule covers.
var imageCDNs = map[string][]string{
	"shopify":  {"cdn.shopify.com"},
	"ideasoft": {".myideasoft.com"},
}

// imagePolicy says where one store's product images may be fetched from.
type imagePolicy struct {
	platform string
	// base is the store's base URL host with its port ("127.0.0.1:5000", "magaza.com.tr:443"):
	// the one address that may be private or loopback, because the admin chose it.
	base string
	// site is the base host without a leading "www.": its subdomains are the store's own.
	site string
}

func newImagePolicy(r store.ShopRow) (imagePolicy, error) {
	u, err := url.Parse(r.Config.BaseURL)
	if err != nil || u.Hostname() == "" {
		return imagePolicy{}, fmt.Errorf("the store's base URL %q has no host", r.Config.BaseURL)
	}
	host := strings.ToLower(u.Hostname())
	return imagePolicy{platform: r.Platform, base: hostPort(host, u.Port(), u.Scheme), site: strings.TrimPrefix(host, "www.")}, nil
}

func hostPort(host, port, scheme string) string {
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// check refuses an address outside the policy; nil when santrald may connect to it (the
// address it resolves to is checked again at connect time).
func (p imagePolicy) check(u *url.URL) error {
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q is not an http(s) address", u.Scheme+":")
	}
	if u.User != nil {
		return errors.New("an image address with a user name is not fetched")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return errors.New("the image address has no host")
	}
	if hostPort(host, u.Port(), u.Scheme) == p.base {
		return nil
	}
	// Any other host: https on its standard port, and the store's own site or its CDN.
	if u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") {
		return fmt.Errorf("%s is not the store's address: only https there", u.Host)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return fmt.Errorf("%s is not the store's address", host)
	}
	if host == p.site || strings.HasSuffix(host, "."+p.site) {
		return nil
	}
	for _, cdn := range imageCDNs[p.platform] {
		if host == cdn || (strings.HasPrefix(cdn, ".") && strings.HasSuffix(host, cdn)) {
			return nil
		}
	}
	return fmt.Errorf("%s is neither the store's site nor its platform's image host", host)
}

// publicAddr reports whether santrald may connect to ip for a host other than the store's
// configured one: not loopback, private, link-local, unspecified, multicast or shared
// (carrier-grade NAT) space.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() && !ip.IsUnspecified() && !sharedSpace.Contains(ip)
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// client is an HTTP client for one store's images: no proxy from the environment (the
// check is on the address santrald itself connects to), every connection's address checked
// after resolution (so a name that resolves to 169.254.169.254 is refused however it was
// reached), every redirect checked against the policy.
func (p imagePolicy) client(base *http.Client) *http.Client {
	check := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !publicAddr(ap.Addr()) {
			return errRefusedAddress{address}
		}
		return nil
	}}
	plain := &net.Dialer{Timeout: 5 * time.Second}
	var tr *http.Transport
	if t, ok := base.Transport.(*http.Transport); ok && t != nil {
		tr = t.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.EqualFold(addr, p.base) {
			return plain.DialContext(ctx, network, addr)
		}
		return check.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: imageTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > maxImageRedirects {
			return errPolicy{fmt.Errorf("more than %d redirects", maxImageRedirects)}
		}
		if err := p.check(req.URL); err != nil {
			return errPolicy{fmt.Errorf("a redirect to %s: %w", req.URL.Redacted(), err)}
		}
		return nil
	}}
}

// errPolicy is a redirect the policy refuses.
type errPolicy struct{ err error }

func (e errPolicy) Error() string { return e.err.Error() }

type errRefusedAddress struct{ addr string }

func (e errRefusedAddress) Error() string {
	return fmt.Sprintf("%s is a private, loopback or link-local address", e.addr)
}

// imageRefused is the typed error of an image address outside the policy.
func imageRefused(err error) *wire.Error {
	return wire.Errorf(wire.CodeShopImageRefused, "the product image was not fetched: %v", err)
}

// fetchImage stores a product's image as the agent's upload in the conversation, so the reply
// carries it like any file the agent attached. An address outside the store's policy is
// shop_image_refused.
func (s *Service) fetchImage(ctx context.Context, r store.ShopRow, agentID, convID int64, imageURL string) (wire.Attachment, error) {
	pol, err := newImagePolicy(r)
	if err != nil {
		return wire.Attachment{}, imageRefused(err)
	}
	u, err := url.Parse(imageURL)
	if err != nil {
		return wire.Attachment{}, imageRefused(fmt.Errorf("not an address: %q", imageURL))
	}
	if err := pol.check(u); err != nil {
		return wire.Attachment{}, imageRefused(err)
	}
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return wire.Attachment{}, imageRefused(err)
	}
	hc := pol.client(s.opt.Images)
	defer hc.CloseIdleConnections() // a transport per fetch: leave no connection behind
	resp, err := hc.Do(req)
	if err != nil {
		var refused errRefusedAddress
		var policy errPolicy
		if errors.As(err, &refused) {
			return wire.Attachment{}, imageRefused(refused)
		}
		if errors.As(err, &policy) {
			return wire.Attachment{}, imageRefused(policy)
		}
		return wire.Attachment{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return wire.Attachment{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > maxProductImage {
		return wire.Attachment{}, fmt.Errorf("the image is %d bytes, over %d", resp.ContentLength, maxProductImage)
	}
	mime, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	mime = strings.TrimSpace(strings.ToLower(mime))
	if mime != "image/jpeg" && mime != "image/png" {
		return wire.Attachment{}, fmt.Errorf("the image is %q, not JPEG or PNG", mime)
	}
	key, size, err := s.files.Put(ctx, resp.Body, maxProductImage)
	if errors.Is(err, media.ErrTooLarge) {
		return wire.Attachment{}, fmt.Errorf("the image is over %d bytes", maxProductImage)
	}
	if err != nil {
		return wire.Attachment{}, err
	}
	name := "urun.jpg"
	if mime == "image/png" {
		name = "urun.png"
	}
	att := wire.Attachment{Kind: "image", Name: name, MimeType: mime, Size: size, URL: "/api/v1/media/" + key}
	if _, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.RecordUpload(key, convID, agentID, att) }); err != nil {
		return wire.Attachment{}, err
	}
	return att, nil
}
