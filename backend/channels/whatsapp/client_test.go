package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/channels"
	"santral/backend/wire"
)

const (
	testVersion = "v23.0"
	testWABA    = "102290129340398"
	testToken   = "EAAG-test-token"
)

// request is what the fake Graph API saw.
type request struct {
	Method, Path, RawQuery, Auth, ContentType string
	ContentLength                             int64
	Body                                      []byte
}

// fakeGraph is a local server speaking the Cloud API's documented format; answer decides each
// reply from the request, and every request is recorded to be checked field by field.
type fakeGraph struct {
	*httptest.Server
	answer func(w http.ResponseWriter, r *http.Request, body []byte)

	mu   sync.Mutex
	seen []request
}

func newGraph(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeGraph {
	t.Helper()
	g := &fakeGraph{answer: answer}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.seen = append(g.seen, request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"),
			ContentLength: r.ContentLength, Body: body})
		g.mu.Unlock()
		g.answer(w, r, body)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *fakeGraph) requests() []request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]request(nil), g.seen...)
}

func (g *fakeGraph) client() *Client {
	return NewClient(g.URL, testVersion, ourNumber, testWABA, testToken, g.Client())
}

func respond(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// sameJSON compares two JSON documents by structure, not by spelling.
func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("request body\n got: %s\nwant: %s", got, want)
	}
}

func checkGraphCall(t *testing.T, r request, method, path string) {
	t.Helper()
	if r.Method != method || r.Path != path {
		t.Errorf("request %s %s; want %s %s", r.Method, r.Path, method, path)
	}
	if r.Auth != "Bearer "+testToken {
		t.Errorf("Authorization %q; want the bearer token", r.Auth)
	}
}

// Without an http.Client or a version, the defaults still reach the configured base URL.
func TestNewClientDefaults(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 200, fixture(t, "send_response.json"))
	})
	c := NewClient(g.URL+"/", "", ourNumber, testWABA, testToken, nil)
	if _, err := c.Send(context.Background(), channels.Outbound{To: ayse, Text: "Merhaba"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	checkGraphCall(t, g.requests()[0], "POST", "/"+DefaultVersion+"/"+ourNumber+"/messages")
}

func TestSendTextAndTemplate(t *testing.T) {
	sendResponse := fixture(t, "send_response.json")
	tests := []struct {
		name string
		out  channels.Outbound
		want []byte
	}{
		{"text", channels.Outbound{To: ayse, Text: "Merhaba Ayşe Hanım, siparişiniz bugün kargoya verilecek.", IdempotencyKey: "santral-1"},
			fixture(t, "send_text_request.json")},
		{"template", channels.Outbound{To: mehmet, Text: "Merhaba Mehmet, #1043 numaralı siparişinizle ilgili size yazıyoruz.",
			Template: &channels.Template{Name: "siparis_durumu", Language: "tr", BodyParams: []string{"Mehmet", "#1043"}}},
			fixture(t, "send_template_request.json")},
		{"named template: each parameter with its name", channels.Outbound{To: mehmet,
			Template: &channels.Template{Name: "kargo_bilgisi", Language: "tr", BodyParams: []string{"Mehmet", "#1043"}, ParamNames: []string{"musteri_adi", "siparis_no"}}},
			[]byte(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"905441112233","type":"template",
				"template":{"name":"kargo_bilgisi","language":{"code":"tr"},"components":[{"type":"body","parameters":[
				{"type":"text","parameter_name":"musteri_adi","text":"Mehmet"},{"type":"text","parameter_name":"siparis_no","text":"#1043"}]}]}}`)},
		{"template without parameters", channels.Outbound{To: mehmet,
			Template: &channels.Template{Name: "hosgeldiniz", Language: "tr"}},
			[]byte(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"905441112233","type":"template",
				"template":{"name":"hosgeldiniz","language":{"code":"tr"}}}`)},
		{"username-only customer", channels.Outbound{To: "TR.13491208655302741918", Text: "Merhaba Can Bey"},
			[]byte(`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"TR.13491208655302741918",
				"type":"text","text":{"preview_url":false,"body":"Merhaba Can Bey"}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) { respond(w, 200, sendResponse) })
			sent, err := g.client().Send(context.Background(), tt.out)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if sent.ExternalID != ourMessage {
				t.Errorf("ExternalID %q; want %q", sent.ExternalID, ourMessage)
			}
			reqs := g.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests; want 1", len(reqs))
			}
			checkGraphCall(t, reqs[0], "POST", "/v23.0/"+ourNumber+"/messages")
			if reqs[0].ContentType != "application/json" {
				t.Errorf("Content-Type %q", reqs[0].ContentType)
			}
			sameJSON(t, reqs[0].Body, tt.want)
		})
	}
}

// file is an outbound attachment whose opening and closing the test can see.
type file struct {
	data   []byte
	mu     sync.Mutex
	opened bool
	closed bool
}

func (f *file) Open() (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = true
	return &fileReader{Reader: bytes.NewReader(f.data), f: f}, nil
}

func (f *file) state() (opened, closed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opened, f.closed
}

type fileReader struct {
	io.Reader
	f *file
}

func (r *fileReader) Close() error {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.closed = true
	return nil
}

// uploaded is the multipart form the fake Graph API received.
type uploaded struct {
	fields            map[string]string
	filename, ctype   string
	data              []byte
	lengthWasDeclared bool
}

func readUpload(t *testing.T, r request) uploaded {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.ContentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("upload Content-Type %q", r.ContentType)
	}
	up := uploaded{fields: map[string]string{}, lengthWasDeclared: r.ContentLength >= 0}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		b, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			up.filename, up.ctype, up.data = p.FileName(), p.Header.Get("Content-Type"), b
			continue
		}
		up.fields[p.FormName()] = string(b)
	}
	return up
}

func TestSendMedia(t *testing.T) {
	jpeg := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 4096)
	pdf := []byte("%PDF-1.7 fatura 1043")
	tests := []struct {
		name      string
		media     channels.OutboundMedia
		text      string
		file      []byte
		declared  bool // Size given, so the upload has a Content-Length
		wantType  string
		wantMedia string // the media object of the message
	}{
		{"image with caption", channels.OutboundMedia{Kind: "image", Name: "kargo.jpg", MimeType: "image/jpeg", Caption: "Kargo fişiniz"},
			"", jpeg, true, "image/jpeg", `{"id":"4490709327384033","caption":"Kargo fişiniz"}`},
		{"document takes its file name; text becomes the caption", channels.OutboundMedia{Kind: "document", Name: "fatura-1043.pdf", MimeType: "application/pdf"},
			"Faturanız ektedir", pdf, true, "application/pdf", `{"id":"4490709327384033","caption":"Faturanız ektedir","filename":"fatura-1043.pdf"}`},
		{"audio, size unknown", channels.OutboundMedia{Kind: "audio", Name: "not.ogg", MimeType: "audio/ogg; codecs=opus"},
			"", []byte("OggS sesli not"), false, "audio/ogg", `{"id":"4490709327384033"}`},
		{"document, type from the name", channels.OutboundMedia{Kind: "document", Name: "iade-formu.pdf"},
			"", pdf, true, "application/pdf", `{"id":"4490709327384033","filename":"iade-formu.pdf"}`},
		{"video", channels.OutboundMedia{Kind: "video", Name: "kutu.mp4", MimeType: "video/mp4", Caption: "Paketleme"},
			"", []byte("....ftypmp42"), true, "video/mp4", `{"id":"4490709327384033","caption":"Paketleme"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if strings.HasSuffix(r.URL.Path, "/media") {
					respond(w, 200, []byte(`{"id":"4490709327384033"}`))
					return
				}
				respond(w, 200, fixture(t, "send_response.json"))
			})
			f := &file{data: tt.file}
			md := tt.media
			md.Open = f.Open
			if tt.declared {
				md.Size = int64(len(tt.file))
			}
			sent, err := g.client().Send(context.Background(), channels.Outbound{To: ayse, Text: tt.text, Media: &md})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if sent.ExternalID != ourMessage {
				t.Errorf("ExternalID %q", sent.ExternalID)
			}
			reqs := g.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests; want upload then message", len(reqs))
			}
			checkGraphCall(t, reqs[0], "POST", "/v23.0/"+ourNumber+"/media")
			up := readUpload(t, reqs[0])
			wantFields := map[string]string{"messaging_product": "whatsapp", "type": tt.wantType}
			if !reflect.DeepEqual(up.fields, wantFields) {
				t.Errorf("upload fields %v; want %v", up.fields, wantFields)
			}
			if up.filename != md.Name || up.ctype != tt.wantType || !bytes.Equal(up.data, tt.file) {
				t.Errorf("upload file %q (%s), %d bytes; want %q (%s), %d bytes", up.filename, up.ctype, len(up.data), md.Name, tt.wantType, len(tt.file))
			}
			if up.lengthWasDeclared != tt.declared {
				t.Errorf("upload Content-Length %d; declared size %v", reqs[0].ContentLength, tt.declared)
			}
			checkGraphCall(t, reqs[1], "POST", "/v23.0/"+ourNumber+"/messages")
			kind := tt.media.Kind
			sameJSON(t, reqs[1].Body, []byte(`{"messaging_product":"whatsapp","recipient_type":"individual","to":"`+ayse+
				`","type":"`+kind+`","`+kind+`":`+tt.wantMedia+`}`))
			if _, closed := f.state(); !closed {
				t.Error("media file left open")
			}
		})
	}
}

func TestSendRefusals(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   []byte
		want   channels.SendError
	}{
		{"throughput limit is retried", 400, nil, fixture(t, "send_error_130429.json"), channels.SendError{HTTPStatus: 400, Code: 130429,
			Title: "(#130429) Rate limit hit", Detail: "Cloud API message throughput has been reached.", Retry: true}},
		{"closed window is not", 400, nil, fixture(t, "send_error_131047.json"), channels.SendError{HTTPStatus: 400, Code: 131047,
			Title: "(#131047) Re-engagement message", Detail: windowText, Retry: false}},
		{"expired token is not", 401, nil, []byte(`{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1"}}`),
			channels.SendError{HTTPStatus: 401, Code: 190, Title: "Error validating access token: Session has expired"}},
		{"string error_data still reads", 400, nil, []byte(`{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":"{\"blame_field_specs\":[[\"to\"]]}"}}`),
			channels.SendError{HTTPStatus: 400, Code: 100, Title: "(#100) Invalid parameter"}},
		{"5xx without a Graph error may have been processed behind it", 502, nil, []byte(`<html>Bad Gateway</html>`),
			channels.SendError{HTTPStatus: 502, Title: "Bad Gateway", Unknown: true}},
		{"5xx with a transient code is retried", 500, nil, []byte(`{"error":{"message":"(#131000) Something went wrong","code":131000}}`),
			channels.SendError{HTTPStatus: 500, Code: 131000, Title: "(#131000) Something went wrong", Retry: true}},
		{"5xx with a permanent code is not", 500, nil, fixture(t, "send_error_131047.json"), channels.SendError{HTTPStatus: 500, Code: 131047,
			Title: "(#131047) Re-engagement message", Detail: windowText}},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "7"}, []byte(`{}`), channels.SendError{HTTPStatus: 429, Title: "Too Many Requests",
			Retry: true, RetryAfter: 7 * time.Second}},
		{"unreadable 2xx is not retried", 200, nil, []byte(`<html>ok</html>`),
			channels.SendError{HTTPStatus: 200, Title: "unreadable answer to a send", Unknown: true,
				Detail: "whatsapp: unreadable answer from /v23.0/106540352242922/messages: invalid character '<' looking for beginning of value"}},
		{"accepted without an id is not retried", 200, nil, []byte(`{"messaging_product":"whatsapp","messages":[]}`),
			channels.SendError{HTTPStatus: 200, Title: "send accepted without a message id", Unknown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				respond(w, tt.status, tt.body)
			})
			_, err := g.client().Send(context.Background(), channels.Outbound{To: ayse, Text: "Merhaba"})
			se, ok := channels.AsSendError(err)
			if !ok {
				t.Fatalf("Send error %v is not a SendError", err)
			}
			if *se != tt.want {
				t.Fatalf("SendError\n got: %+v\nwant: %+v", *se, tt.want)
			}
		})
	}
}

// A send that provably never reached the Graph API is retried; one that may have (the whole
// request left, no answer came) is delivery unknown.
func TestSendWithoutAnswer(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {})
		c := g.client()
		g.Close()
		_, err := c.Send(context.Background(), channels.Outbound{To: ayse, Text: "Merhaba"})
		if se, ok := channels.AsSendError(err); !ok || !se.Retry {
			t.Fatalf("err = %v; want a retryable SendError", err)
		}
	})
	t.Run("timeout after the whole request left", func(t *testing.T) {
		g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := g.client().Send(ctx, channels.Outbound{To: ayse, Text: "Merhaba"})
		if se, ok := channels.AsSendError(err); !ok || se.Retry || !se.Unknown {
			t.Fatalf("err = %v; want a delivery-unknown SendError", err)
		}
	})
}

// Limits are checked before Meta is called: the fake Graph API must see nothing.
func TestSendLimitsRefusedBeforeCalling(t *testing.T) {
	media := func(kind, name, mimeType string, size int64, caption string) *channels.OutboundMedia {
		return &channels.OutboundMedia{Kind: kind, Name: name, MimeType: mimeType, Size: size, Caption: caption,
			Open: func() (io.ReadCloser, error) {
				t.Error("media opened for a message that breaks a limit")
				return io.NopCloser(strings.NewReader("")), nil
			}}
	}
	tpl := func(params ...string) *channels.Template {
		return &channels.Template{Name: "siparis_durumu", Language: "tr", BodyParams: params}
	}
	tests := []struct {
		name string
		out  channels.Outbound
		rule string
		max  int64
	}{
		{"no recipient", channels.Outbound{Text: "Merhaba"}, RuleNoRecipient, 0},
		{"nothing to send", channels.Outbound{To: ayse, Text: "  "}, RuleEmpty, 0},
		{"text of 4097 characters", channels.Outbound{To: ayse, Text: strings.Repeat("ş", 4097)}, RuleTextTooLong, MaxText},
		{"caption of 1025 characters", channels.Outbound{To: ayse, Media: media("image", "a.jpg", "image/jpeg", 10, strings.Repeat("ç", 1025))}, RuleCaptionTooLong, MaxCaption},
		{"text as caption of 1025 characters", channels.Outbound{To: ayse, Text: strings.Repeat("ç", 1025), Media: media("image", "a.jpg", "image/jpeg", 10, "")}, RuleCaptionTooLong, MaxCaption},
		{"image over 5 MB", channels.Outbound{To: ayse, Media: media("image", "a.jpg", "image/jpeg", 5<<20+1, "")}, RuleMediaTooLarge, 5 << 20},
		{"audio over 16 MB", channels.Outbound{To: ayse, Media: media("audio", "a.ogg", "audio/ogg", 16<<20+1, "")}, RuleMediaTooLarge, 16 << 20},
		{"video over 16 MB", channels.Outbound{To: ayse, Media: media("video", "a.mp4", "video/mp4", 16<<20+1, "")}, RuleMediaTooLarge, 16 << 20},
		{"document over 100 MB", channels.Outbound{To: ayse, Media: media("document", "a.pdf", "application/pdf", 100<<20+1, "")}, RuleMediaTooLarge, 100 << 20},
		{"sticker over 100 KB", channels.Outbound{To: ayse, Media: media("sticker", "a.webp", "image/webp", 100<<10+1, "")}, RuleMediaTooLarge, 100 << 10},
		{"audio takes no caption", channels.Outbound{To: ayse, Media: media("audio", "a.ogg", "audio/ogg", 10, "dinleyin")}, RuleNoCaption, 0},
		{"sticker takes no text", channels.Outbound{To: ayse, Text: "selam", Media: media("sticker", "a.webp", "image/webp", 10, "")}, RuleNoCaption, 0},
		{"unknown kind", channels.Outbound{To: ayse, Media: media("gif", "a.gif", "image/gif", 10, "")}, RuleMediaKind, 0},
		{"no type and no extension", channels.Outbound{To: ayse, Media: media("document", "fatura", "", 10, "")}, RuleMediaType, 0},
		{"malformed type", channels.Outbound{To: ayse, Media: media("document", "a.pdf", "application/pdf\r\nX-Evil: 1", 10, "")}, RuleMediaType, 0},
		{"media without content", channels.Outbound{To: ayse, Media: &channels.OutboundMedia{Kind: "image", MimeType: "image/jpeg"}}, RuleEmpty, 0},
		{"template without language", channels.Outbound{To: ayse, Template: &channels.Template{Name: "siparis_durumu"}}, RuleTemplate, 0},
		{"template parameter with a new line", channels.Outbound{To: ayse, Template: tpl("Mehmet", "#1043\nyarın")}, RuleTemplateParam, 0},
		{"template parameter with five spaces", channels.Outbound{To: ayse, Template: tpl("Mehmet     Bey", "#1043")}, RuleTemplateParam, 0},
		{"empty template parameter", channels.Outbound{To: ayse, Template: tpl("", "#1043")}, RuleTemplateParam, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				respond(w, 200, fixture(t, "send_response.json"))
			})
			_, err := g.client().Send(context.Background(), tt.out)
			var le *LimitError
			if !errors.As(err, &le) || le.Rule != tt.rule || le.Max != tt.max {
				t.Fatalf("err = %v; want LimitError %s (max %d)", err, tt.rule, tt.max)
			}
			if se, ok := channels.AsSendError(err); !ok || se.Retry {
				t.Fatalf("err = %v; want a non-retryable SendError", err)
			}
			if n := len(g.requests()); n != 0 {
				t.Fatalf("the Graph API saw %d requests", n)
			}
		})
	}
}

// Exactly at the limits is still sent.
func TestSendAtTheLimits(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.HasSuffix(r.URL.Path, "/media") {
			respond(w, 200, []byte(`{"id":"1"}`))
			return
		}
		respond(w, 200, fixture(t, "send_response.json"))
	})
	sticker := &file{data: bytes.Repeat([]byte{'w'}, 100<<10)}
	for _, out := range []channels.Outbound{
		{To: ayse, Text: strings.Repeat("ş", MaxText)},
		{To: ayse, Media: &channels.OutboundMedia{Kind: "image", Name: "a.jpg", MimeType: "image/jpeg", Size: 3,
			Caption: strings.Repeat("ç", MaxCaption), Open: (&file{data: []byte("jpg")}).Open}},
		{To: ayse, Media: &channels.OutboundMedia{Kind: "sticker", Name: "a.webp", MimeType: "image/webp", Open: sticker.Open}},
	} {
		if _, err := g.client().Send(context.Background(), out); err != nil {
			t.Errorf("Send: %v", err)
		}
	}
}

// A file larger than its kind's limit is cut off while streaming, even when its size was not declared.
func TestSendMediaTooLargeWhileStreaming(t *testing.T) {
	for _, declared := range []int64{0, 10} {
		g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) { respond(w, 200, []byte(`{"id":"1"}`)) })
		f := &file{data: bytes.Repeat([]byte{'w'}, 100<<10+1)}
		_, err := g.client().Send(context.Background(), channels.Outbound{To: ayse,
			Media: &channels.OutboundMedia{Kind: "sticker", Name: "a.webp", MimeType: "image/webp", Size: declared, Open: f.Open}})
		if declared == 0 {
			var le *LimitError
			if !errors.As(err, &le) || le.Rule != RuleMediaTooLarge {
				t.Fatalf("undeclared size: err = %v; want media_too_large", err)
			}
		} else if err == nil {
			t.Fatal("declared 10 bytes, sent more: want an error")
		}
		for _, r := range g.requests() {
			if strings.HasSuffix(r.Path, "/messages") {
				t.Fatal("a message was sent after a failed upload")
			}
		}
	}
}

func TestFetch(t *testing.T) {
	photo := bytes.Repeat([]byte{0xff, 0xd8}, 1000)
	var g *fakeGraph
	g = newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch r.URL.Path {
		case "/v23.0/1479537139650973":
			info := fixtureJSON(t, "media_get_response.json")
			// The fixture's lookaside URL, moved onto the local server.
			info["url"] = strings.Replace(info["url"].(string), "https://lookaside.fbsbx.com", g.URL, 1)
			respond(w, 200, mustJSON(t, info))
		case "/whatsapp_business/attachments/":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		default:
			http.NotFound(w, r)
		}
	})
	body, mimeType, err := g.client().Fetch(context.Background(), channels.Media{Kind: "image", Ref: "1479537139650973"})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, photo) || mimeType != "image/jpeg" {
		t.Fatalf("Fetch = %d bytes, %q, %v", len(got), mimeType, err)
	}
	reqs := g.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want 2", len(reqs))
	}
	checkGraphCall(t, reqs[0], "GET", "/v23.0/1479537139650973")
	checkGraphCall(t, reqs[1], "GET", "/whatsapp_business/attachments/")
	if want := "mid=1479537139650973&ext=1764158760&hash=ATuJx3r0"; reqs[1].RawQuery != want {
		t.Errorf("download query %q; want %q", reqs[1].RawQuery, want)
	}
}

func TestFetchLimits(t *testing.T) {
	var g *fakeGraph
	var size int64 = 183472
	g = newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch r.URL.Path {
		case "/chunked.bin": // no Content-Length: the size shows only while reading
			w.Write(bytes.Repeat([]byte{1}, 600))
			w.(http.Flusher).Flush()
			w.Write(bytes.Repeat([]byte{1}, 600))
		case "/declared.bin":
			w.Header().Set("Content-Length", "1200")
			w.Write(bytes.Repeat([]byte{1}, 1200))
		default:
			// GET /v23.0/{media-id}: the id names the file to serve.
			id := strings.TrimPrefix(r.URL.Path, "/v23.0/")
			respond(w, 200, mustJSON(t, map[string]any{"url": g.URL + "/" + id + ".bin", "mime_type": "image/jpeg", "file_size": size}))
		}
	})
	c := g.client()
	c.MaxFetch = 1000
	ref := func(id string) channels.Media { return channels.Media{Kind: "image", Ref: id} }

	// Announced larger than the limit: refused before downloading.
	if _, _, err := c.Fetch(context.Background(), ref("chunked")); err == nil {
		t.Fatal("want an error for an announced size over the limit")
	}
	if n := len(g.requests()); n != 1 {
		t.Fatalf("%d requests; want only the media lookup", n)
	}
	size = 10
	// Announced small, Content-Length large: refused before reading.
	if _, _, err := c.Fetch(context.Background(), ref("declared")); err == nil {
		t.Fatal("want an error for a Content-Length over the limit")
	}
	// Announced small, turns out large while reading: the read fails rather than truncating.
	body, _, err := c.Fetch(context.Background(), ref("chunked"))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	_, err = io.ReadAll(body)
	body.Close()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("reading past the limit: %v; want ErrTooLarge", err)
	}
}

func TestFetchRefusesBadIDsAndURLs(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 200, []byte(`{"url":"http://lookaside.example/media","mime_type":"image/jpeg","file_size":10}`))
	})
	for _, ref := range []string{"", ".", ".."} {
		if _, _, err := g.client().Fetch(context.Background(), channels.Media{Ref: ref}); err == nil {
			t.Errorf("Fetch(%q): want an error", ref)
		}
	}
	if n := len(g.requests()); n != 0 {
		t.Fatalf("%d requests for invalid ids", n)
	}

	// Over TLS, the token is not sent to a plain-http download URL.
	tlsGraph := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w, 200, []byte(`{"url":"`+g.URL+`/media","mime_type":"image/jpeg","file_size":10}`))
	}))
	defer tlsGraph.Close()
	c := NewClient(tlsGraph.URL, testVersion, ourNumber, testWABA, testToken, tlsGraph.Client())
	if _, _, err := c.Fetch(context.Background(), channels.Media{Ref: "1479537139650973"}); err == nil {
		t.Fatal("want an error for a plain-http download URL")
	}
	if n := len(g.requests()); n != 0 {
		t.Fatalf("the plain-http server saw %d requests", n)
	}
}

func TestFetchMediaGone(t *testing.T) {
	g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		respond(w, 404, []byte(`{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33}}`))
	})
	_, _, err := g.client().Fetch(context.Background(), channels.Media{Ref: "1479537139650973"})
	if se, ok := channels.AsSendError(err); !ok || se.Code != 100 || se.Retry {
		t.Fatalf("err = %v; want a non-retryable refusal with code 100", err)
	}
}

func TestTemplates(t *testing.T) {
	var g *fakeGraph
	g = newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.URL.Query().Get("after") == "" {
			// The fixture, plus templates that cannot be sent, and a next page.
			page := fixtureJSON(t, "templates_list_response.json")
			page["data"] = append(page["data"].([]any),
				map[string]any{"name": "yeni_kampanya", "language": "tr", "status": "PENDING", "category": "MARKETING", "id": "3",
					"components": []any{map[string]any{"type": "BODY", "text": "Yeni {{1}}"}}},
				map[string]any{"name": "reddedilen", "language": "tr", "status": "REJECTED", "category": "MARKETING", "id": "4"},
			)
			page["paging"].(map[string]any)["next"] = g.URL + "/v23.0/" + testWABA + "/message_templates?limit=100&after=MjQZD"
			respond(w, 200, mustJSON(t, page))
			return
		}
		respond(w, 200, []byte(`{"data":[{"name":"dogrulama_kodu","language":"en_US","status":"APPROVED","category":"AUTHENTICATION","id":"5",
			"components":[{"type":"BODY","text":"{{1}} is your verification code."},{"type":"BUTTONS"}]},
			{"name":"ad_soyad","language":"tr","status":"APPROVED","category":"UTILITY","id":"6",
			"components":[{"type":"BODY","text":"Sayın {{ad}} {{soyad}}, {{ad}}: siparişiniz hazır."}]},
			{"name":"kargo_bilgisi","language":"tr","status":"APPROVED","category":"UTILITY","id":"8","parameter_format":"NAMED",
			"components":[{"type":"BODY","text":"Merhaba {{musteri_adi}}, {{siparis_no}} numaralı siparişiniz kargoda.",
			"example":{"body_text_named_params":[{"param_name":"musteri_adi","example":"Ayşe"},{"param_name":"siparis_no","example":"#1043"}]}}]},
			{"name":"duraklatilan","language":"tr","status":"PAUSED","category":"MARKETING","id":"7"}],
			"paging":{"cursors":{"before":"MjQZD","after":"NDgZD"}}}`))
	})
	got, err := g.client().Templates(context.Background())
	if err != nil {
		t.Fatalf("Templates: %v", err)
	}
	pos, named := wire.TemplatePositional, wire.TemplateNamed
	type p = wire.TemplateParameter
	want := []Template{
		{ID: "1192339204654487", Name: "siparis_durumu", Language: "tr", Category: "UTILITY",
			Body: "Merhaba {{1}}, {{2}} numaralı siparişinizle ilgili size yazıyoruz.", BodyParams: 2,
			Format: pos, Params: []p{{Name: "1", Example: "Ayşe"}, {Name: "2", Example: "#1043"}}},
		{ID: "844021716911373", Name: "kampanya_duyurusu", Language: "tr", Category: "MARKETING",
			Body: "{{1}}, sepetinizdeki ürünlerde bugüne özel %{{2}} indirim!", BodyParams: 2,
			Format: pos, Params: []p{{Name: "1"}, {Name: "2"}}},
		{ID: "5", Name: "dogrulama_kodu", Language: "en_US", Category: "AUTHENTICATION", Body: "{{1}} is your verification code.", BodyParams: 1,
			Format: pos, Params: []p{{Name: "1"}}},
		{ID: "6", Name: "ad_soyad", Language: "tr", Category: "UTILITY", Body: "Sayın {{ad}} {{soyad}}, {{ad}}: siparişiniz hazır.", BodyParams: 2,
			Format: pos, Params: []p{{Name: "ad"}, {Name: "soyad"}}},
		{ID: "8", Name: "kargo_bilgisi", Language: "tr", Category: "UTILITY", Body: "Merhaba {{musteri_adi}}, {{siparis_no}} numaralı siparişiniz kargoda.",
			BodyParams: 2, Format: named, Params: []p{{Name: "musteri_adi", Example: "Ayşe"}, {Name: "siparis_no", Example: "#1043"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Templates\n got: %+v\nwant: %+v", got, want)
	}
	reqs := g.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests; want 2 pages", len(reqs))
	}
	for _, r := range reqs {
		checkGraphCall(t, r, "GET", "/v23.0/"+testWABA+"/message_templates")
	}
	if reqs[1].RawQuery != "limit=100&after=MjQZD" {
		t.Errorf("second page query %q", reqs[1].RawQuery)
	}
}

// Paging links come from the answer; the token never follows one off the Graph API host, and a
// paging loop ends.
func TestTemplatesPagingBounds(t *testing.T) {
	t.Run("foreign host", func(t *testing.T) {
		g := newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			respond(w, 200, []byte(`{"data":[],"paging":{"next":"https://collector.example/steal"}}`))
		})
		if _, err := g.client().Templates(context.Background()); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("endless", func(t *testing.T) {
		var g *fakeGraph
		g = newGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			respond(w, 200, []byte(`{"data":[],"paging":{"next":"`+g.URL+`/v23.0/`+testWABA+`/message_templates?after=x"}}`))
		})
		if _, err := g.client().Templates(context.Background()); err == nil {
			t.Fatal("want an error")
		}
		if n := len(g.requests()); n != maxTemplatePages {
			t.Fatalf("%d requests; want %d", n, maxTemplatePages)
		}
	})
}
