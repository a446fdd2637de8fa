package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"santral/backend/channels"
	"santral/backend/wire"
)

// DefaultVersion is the Graph API version used when none is configured.
const DefaultVersion = "v23.0"

// DefaultMaxFetch bounds an inbound media download; 100 MB is the Cloud API's largest media.
const DefaultMaxFetch = 100 << 20

// maxJSONResponse bounds the Graph API's JSON answers, which are a few kilobytes.
const maxJSONResponse = 1 << 20

// Client sends on one WhatsApp business phone number through the Cloud API, downloads the media
// customers send to it, and lists its account's templates.
type Client struct {
	base          string
	version       string
	phoneNumberID string
	wabaID        string
	token         string
	http          *http.Client
	// MaxFetch bounds Fetch downloads, in bytes.
	MaxFetch int64
}

var (
	_ channels.Sender  = (*Client)(nil)
	_ channels.Fetcher = (*Client)(nil)
)

// NewClient returns a client for the phone number phoneNumberID of the WhatsApp Business Account
// wabaID. baseURL is https://graph.facebook.com in production; version is like "v23.0". A nil
// httpClient gets one that gives up on a silent server but not on a slow 100 MB upload.
func NewClient(baseURL, version, phoneNumberID, wabaID, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = channels.NewHTTPClient(channels.DefaultTimeouts.Floor)
	}
	if version = strings.Trim(version, "/"); version == "" {
		version = DefaultVersion
	}
	return &Client{
		base:          strings.TrimRight(baseURL, "/"),
		version:       version,
		phoneNumberID: phoneNumberID,
		wabaID:        wabaID,
		token:         token,
		http:          httpClient,
		MaxFetch:      DefaultMaxFetch,
	}
}

// endpoint is {base}/{version}/{ids…}, each id escaped so a hostile one cannot change the path.
func (c *Client) endpoint(ids ...string) string {
	var b strings.Builder
	b.WriteString(c.base)
	b.WriteString("/")
	b.WriteString(c.version)
	for _, id := range ids {
		b.WriteString("/")
		b.WriteString(url.PathEscape(id))
	}
	return b.String()
}

// validID refuses ids that would be empty path segments or walk up the path.
func validID(id string) bool {
	return id != "" && id != "." && id != ".."
}

// do sends req with the access token and returns a 2xx response, or the classified refusal
// (or failure: see channels.Do).
func (c *Client) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := channels.Do(c.http, req, "WhatsApp")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxJSONResponse))
		return nil, refusal(resp, body)
	}
	return resp, nil
}

// call sends a request and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method, endpoint, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
	if err != nil {
		return fmt.Errorf("whatsapp: unable to build request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := jsonDecode(resp.Body, out); err != nil {
		return fmt.Errorf("%w from %s: %w", errUnreadableAnswer, req.URL.Path, err)
	}
	return nil
}

// errUnreadableAnswer is a 2xx answer that is not the documented JSON.
var errUnreadableAnswer = errors.New("whatsapp: unreadable answer")

func jsonDecode(r io.Reader, out any) error {
	return json.NewDecoder(io.LimitReader(r, maxJSONResponse)).Decode(out)
}

func (c *Client) postJSON(ctx context.Context, endpoint string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("whatsapp: unable to encode request: %w", err)
	}
	return c.call(ctx, http.MethodPost, endpoint, "application/json", bytes.NewReader(body), out)
}

// sameOrigin reports whether u is on the configured Graph API host, where the token may go.
func (c *Client) sameOrigin(u string) bool {
	base, err1 := url.Parse(c.base)
	next, err2 := url.Parse(u)
	return err1 == nil && err2 == nil && base.Scheme == next.Scheme && base.Host == next.Host
}

// Fetch downloads a customer's media in the Cloud API's two steps: GET /{media-id} gives a URL
// that lives five minutes, and that URL wants the same bearer token.
func (c *Client) Fetch(ctx context.Context, m channels.Media) (io.ReadCloser, string, error) {
	if !validID(m.Ref) {
		return nil, "", fmt.Errorf("whatsapp: invalid media id %q", m.Ref)
	}
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
		FileSize int64  `json:"file_size"`
	}
	if err := c.call(ctx, http.MethodGet, c.endpoint(m.Ref), "", nil, &info); err != nil {
		return nil, "", err
	}
	if info.FileSize > c.MaxFetch {
		return nil, "", fmt.Errorf("whatsapp: media %s is %d bytes, more than %d", m.Ref, info.FileSize, c.MaxFetch)
	}
	u, err := url.Parse(info.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, "", fmt.Errorf("whatsapp: media %s has no usable download URL", m.Ref)
	}
	// The token must not travel in clear text when the Graph API itself is reached over TLS.
	if u.Scheme == "http" && strings.HasPrefix(c.base, "https:") {
		return nil, "", fmt.Errorf("whatsapp: media %s download URL is not https", m.Ref)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("whatsapp: unable to build request: %w", err)
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, "", err
	}
	if resp.ContentLength > c.MaxFetch {
		resp.Body.Close()
		return nil, "", fmt.Errorf("whatsapp: media %s is %d bytes, more than %d", m.Ref, resp.ContentLength, c.MaxFetch)
	}
	mimeType := info.MimeType
	if mimeType == "" {
		mimeType = resp.Header.Get("Content-Type")
	}
	if mimeType == "" {
		mimeType = m.MimeType
	}
	return channels.CapBody(resp.Body, c.MaxFetch, ErrTooLarge), mimeType, nil
}

// ErrTooLarge is a download that went on past the size limit.
var ErrTooLarge = errors.New("whatsapp: media larger than the limit")

// Template is an approved message template of the business account, as agents pick it.
type Template struct {
	ID         string
	Name       string
	Language   string
	Category   string // MARKETING, UTILITY or AUTHENTICATION: it decides the price
	Body       string // the body text with its {{1}}… or {{first_name}}… placeholders
	BodyParams int    // how many distinct placeholders the body has
	// Format is parameter_format: POSITIONAL (also when Meta leaves it out) or NAMED.
	Format string
	// Params are the body's placeholders in the order they are sent, with the examples the
	// template was approved with (example.body_text or example.body_text_named_params).
	Params []wire.TemplateParameter
}

// maxTemplatePages bounds paging: 50 pages of 100 is far more templates than an account has.
const maxTemplatePages = 50

// ErrNoWABA is a template sync on an account without a valid WhatsApp Business Account id.
var ErrNoWABA = errors.New("whatsapp: no valid WhatsApp Business Account id configured")

// Templates lists the account's templates that can be sent now: APPROVED ones only.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	if !validID(c.wabaID) {
		return nil, ErrNoWABA
	}
	var out []Template
	next := c.endpoint(c.wabaID, "message_templates") + "?limit=100"
	for page := 0; next != ""; page++ {
		if page == maxTemplatePages {
			return nil, fmt.Errorf("whatsapp: more than %d pages of templates", maxTemplatePages)
		}
		// paging.next comes from the answer; the token is only ever sent to the Graph API host.
		if !c.sameOrigin(next) {
			return nil, fmt.Errorf("whatsapp: template paging left the Graph API host: %s", next)
		}
		var resp struct {
			Data []struct {
				ID              string `json:"id"`
				Name            string `json:"name"`
				Language        string `json:"language"`
				Status          string `json:"status"`
				Category        string `json:"category"`
				ParameterFormat string `json:"parameter_format"`
				Components      []struct {
					Type    string `json:"type"`
					Text    string `json:"text"`
					Example struct {
						BodyText    [][]string `json:"body_text"`
						NamedParams []struct {
							Name    string `json:"param_name"`
							Example string `json:"example"`
						} `json:"body_text_named_params"`
					} `json:"example"`
				} `json:"components"`
			} `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.call(ctx, http.MethodGet, next, "", nil, &resp); err != nil {
			return nil, err
		}
		for _, t := range resp.Data {
			if t.Status != "APPROVED" {
				continue
			}
			tpl := Template{ID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category, Format: wire.TemplatePositional}
			if strings.EqualFold(t.ParameterFormat, wire.TemplateNamed) {
				tpl.Format = wire.TemplateNamed
			}
			for _, comp := range t.Components {
				if !strings.EqualFold(comp.Type, "BODY") {
					continue
				}
				tpl.Body = comp.Text
				tpl.BodyParams = countParams(comp.Text)
				examples := map[string]string{}
				for _, p := range comp.Example.NamedParams {
					examples[p.Name] = p.Example
				}
				if len(comp.Example.BodyText) > 0 { // one row of examples, {{1}} first
					for i, v := range comp.Example.BodyText[0] {
						examples[strconv.Itoa(i+1)] = v
					}
				}
				tpl.Params = []wire.TemplateParameter{}
				for _, n := range wire.TemplateParameterNames(comp.Text) {
					tpl.Params = append(tpl.Params, wire.TemplateParameter{Name: n, Example: examples[n]})
				}
			}
			out = append(out, tpl)
		}
		next = resp.Paging.Next
	}
	return out, nil
}

// placeholder is a template variable: positional ({{1}}) or, since 2024, named ({{first_name}}).
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// countParams counts the distinct placeholders of a template text.
func countParams(text string) int {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		seen[m[1]] = true
	}
	return len(seen)
}
