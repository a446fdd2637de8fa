package meta

import (
	"bytes"
	"context"
	"encoding/json"
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
)

const (
	version = "v23.0"
	token   = "EAAGm0PX4ZCpsBAtesttoken"
)

// received is one request as the fake Graph API saw it.
type received struct {
	method, path, auth, contentType string
	json                            map[string]any    // application/json body
	fields                          map[string]string // multipart form fields
	file                            *receivedFile
}

type receivedFile struct {
	field, name, contentType string
	data                     []byte
}

// graph is a local server speaking the Graph Send API: it records every request and answers
// with status and body.
type graph struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	status   int
	body     string
	header   http.Header
}

func newGraph(t *testing.T) *graph {
	g := &graph{status: http.StatusOK, body: `{"recipient_id":"6729101843819203","message_id":"m_sent1"}`}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := received{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
		mt, params, _ := mime.ParseMediaType(rec.contentType)
		switch mt {
		case "application/json":
			if err := json.NewDecoder(r.Body).Decode(&rec.json); err != nil {
				t.Errorf("request body is not JSON: %v", err)
			}
		case "multipart/form-data":
			rec.fields = map[string]string{}
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					g.record(rec)
					return
				}
				data, _ := io.ReadAll(p)
				if p.FileName() != "" {
					rec.file = &receivedFile{field: p.FormName(), name: p.FileName(), contentType: p.Header.Get("Content-Type"), data: data}
				} else {
					rec.fields[p.FormName()] = string(data)
				}
			}
		}
		g.record(rec)
		for k, v := range g.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(g.status)
		io.WriteString(w, g.body)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graph) record(r received) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r)
}

func (g *graph) seen() []received {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]received(nil), g.requests...)
}

func (g *graph) only(t *testing.T) received {
	t.Helper()
	reqs := g.seen()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func jsonValue(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q is not a JSON object: %v", s, err)
	}
	return v
}

func TestSendText(t *testing.T) {
	tests := []struct {
		name      string
		instagram bool
		account   string
		out       channels.Outbound
		wantPath  string
		wantBody  string
	}{
		{"messenger reply", false, pageID,
			channels.Outbound{To: customerID, Text: "Evet, kapıda ödeme var."},
			"/v23.0/" + pageID + "/messages",
			`{"recipient":{"id":"6729101843819203"},"messaging_type":"RESPONSE","message":{"text":"Evet, kapıda ödeme var."}}`},
		{"messenger human agent", false, pageID,
			channels.Outbound{To: customerID, Text: "Kargonuz yarın çıkıyor.", HumanAgent: true},
			"/v23.0/" + pageID + "/messages",
			`{"recipient":{"id":"6729101843819203"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"Kargonuz yarın çıkıyor."}}`},
		{"instagram reply", true, igID,
			channels.Outbound{To: "1054786322945120", Text: "M beden stokta."},
			"/v23.0/" + igID + "/messages",
			`{"recipient":{"id":"1054786322945120"},"messaging_type":"RESPONSE","message":{"text":"M beden stokta."}}`},
		{"instagram human agent", true, igID,
			channels.Outbound{To: "1054786322945120", Text: "Yarın döneceğim.", HumanAgent: true},
			"/v23.0/" + igID + "/messages",
			`{"recipient":{"id":"1054786322945120"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"Yarın döneceğim."}}`},
		{"messenger at the limit", false, pageID,
			channels.Outbound{To: customerID, Text: strings.Repeat("ş", MaxTextMessenger)},
			"/v23.0/" + pageID + "/messages",
			`{"recipient":{"id":"6729101843819203"},"messaging_type":"RESPONSE","message":{"text":"` + strings.Repeat("ş", MaxTextMessenger) + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t)
			c := NewClient(g.URL+"/", version, tt.account, token, tt.instagram, g.Client())
			sent, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if sent != (channels.Sent{ExternalID: "m_sent1"}) {
				t.Errorf("sent = %+v", sent)
			}
			r := g.only(t)
			if r.method != http.MethodPost || r.path != tt.wantPath || r.auth != "Bearer "+token || r.contentType != "application/json" {
				t.Errorf("request %s %s auth %q type %q", r.method, r.path, r.auth, r.contentType)
			}
			if want := jsonValue(t, tt.wantBody); !reflect.DeepEqual(r.json, want) {
				t.Errorf("body %v\nwant %v", r.json, want)
			}
		})
	}
}

func media(kind, name, mimeType string, data []byte) *channels.OutboundMedia {
	return &channels.OutboundMedia{Kind: kind, Name: name, MimeType: mimeType, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func TestSendAttachment(t *testing.T) {
	data := []byte("%PDF-1.7 iade formu")
	tests := []struct {
		name      string
		instagram bool
		out       channels.Outbound
		wantPath  string
		fields    map[string]string // JSON-valued fields compared as JSON
		file      receivedFile
	}{
		{"messenger document is a file", false,
			channels.Outbound{To: customerID, Media: media("document", "iade-formu.pdf", "application/pdf", data)},
			"/v23.0/" + pageID + "/messages",
			map[string]string{
				"recipient":      `{"id":"6729101843819203"}`,
				"messaging_type": "RESPONSE",
				"message":        `{"attachment":{"type":"file","payload":{"is_reusable":false}}}`,
			},
			receivedFile{"filedata", "iade-formu.pdf", "application/pdf", data}},
		{"messenger image as human agent", false,
			channels.Outbound{To: customerID, HumanAgent: true, Media: media("image", "kargo.jpg", "image/jpeg", data)},
			"/v23.0/" + pageID + "/messages",
			map[string]string{
				"recipient":      `{"id":"6729101843819203"}`,
				"messaging_type": "MESSAGE_TAG",
				"tag":            "HUMAN_AGENT",
				"message":        `{"attachment":{"type":"image","payload":{"is_reusable":false}}}`,
			},
			receivedFile{"filedata", "kargo.jpg", "image/jpeg", data}},
		{"messenger video", false,
			channels.Outbound{To: customerID, Media: media("video", "kutu.mp4", "video/mp4", data)},
			"/v23.0/" + pageID + "/messages",
			map[string]string{
				"recipient":      `{"id":"6729101843819203"}`,
				"messaging_type": "RESPONSE",
				"message":        `{"attachment":{"type":"video","payload":{"is_reusable":false}}}`,
			},
			receivedFile{"filedata", "kutu.mp4", "video/mp4", data}},
		{"instagram audio without a name or type", true,
			channels.Outbound{To: "1054786322945120", Media: media("audio", "", "", data)},
			"/v23.0/" + igID + "/messages",
			map[string]string{
				"recipient":      `{"id":"1054786322945120"}`,
				"messaging_type": "RESPONSE",
				"message":        `{"attachment":{"type":"audio","payload":{"is_reusable":false}}}`,
			},
			receivedFile{"filedata", "file", "application/octet-stream", data}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t)
			account := pageID
			if tt.instagram {
				account = igID
			}
			c := NewClient(g.URL, version, account, token, tt.instagram, g.Client())
			sent, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if sent.ExternalID != "m_sent1" {
				t.Errorf("sent = %+v", sent)
			}
			r := g.only(t)
			if r.method != http.MethodPost || r.path != tt.wantPath || r.auth != "Bearer "+token || !strings.HasPrefix(r.contentType, "multipart/form-data; boundary=") {
				t.Errorf("request %s %s auth %q type %q", r.method, r.path, r.auth, r.contentType)
			}
			if len(r.fields) != len(tt.fields) {
				t.Errorf("fields %v, want %v", r.fields, tt.fields)
			}
			for k, want := range tt.fields {
				got, ok := r.fields[k]
				if strings.HasPrefix(want, "{") {
					if !ok || !reflect.DeepEqual(jsonValue(t, got), jsonValue(t, want)) {
						t.Errorf("field %s = %q, want %s", k, got, want)
					}
				} else if got != want {
					t.Errorf("field %s = %q, want %q", k, got, want)
				}
			}
			if r.file == nil || !reflect.DeepEqual(*r.file, tt.file) {
				t.Errorf("file %+v, want %+v", r.file, tt.file)
			}
		})
	}
}

// zeros is a file of n zero bytes that is never held in memory.
func zeros(n int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(zeroReader{}, n)), nil
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSendRefusedBeforeCalling(t *testing.T) {
	opened := false
	big := func(kind string, size int64) *channels.OutboundMedia {
		return &channels.OutboundMedia{Kind: kind, Name: "x", Size: size, Open: func() (io.ReadCloser, error) {
			opened = true
			return zeros(size)()
		}}
	}
	tests := []struct {
		name      string
		instagram bool
		out       channels.Outbound
	}{
		{"messenger text over 2000 characters", false, channels.Outbound{To: customerID, Text: strings.Repeat("ğ", MaxTextMessenger+1)}},
		{"instagram text over 1000 characters", true, channels.Outbound{To: customerID, Text: strings.Repeat("a", MaxTextInstagram+1)}},
		{"messenger attachment over 25 MB", false, channels.Outbound{To: customerID, Media: big("document", MaxAttachment+1)}},
		{"instagram image over 8 MB", true, channels.Outbound{To: customerID, Media: big("image", MaxImageInstagram+1)}},
		{"instagram video over 25 MB", true, channels.Outbound{To: customerID, Media: big("video", MaxAttachment+1)}},
		{"sticker upload", false, channels.Outbound{To: customerID, Media: big("sticker", 10)}},
		{"text with an attachment", false, channels.Outbound{To: customerID, Text: "formu ekledim", Media: big("document", 10)}},
		{"caption on an attachment", false, channels.Outbound{To: customerID, Media: &channels.OutboundMedia{Kind: "image", Caption: "kutu", Open: zeros(1)}}},
		{"attachment without content", false, channels.Outbound{To: customerID, Media: &channels.OutboundMedia{Kind: "image"}}},
		{"template", false, channels.Outbound{To: customerID, Template: &channels.Template{Name: "siparis", Language: "tr"}}},
		{"empty", false, channels.Outbound{To: customerID}},
		{"no recipient", false, channels.Outbound{Text: "merhaba"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t)
			opened = false
			c := NewClient(g.URL, version, pageID, token, tt.instagram, g.Client())
			_, err := c.Send(context.Background(), tt.out)
			se, ok := channels.AsSendError(err)
			if !ok || se.Retry || se.HTTPStatus != 0 {
				t.Errorf("got %v, want a non-retryable refusal", err)
			}
			if n := len(g.seen()); n != 0 || opened {
				t.Errorf("server saw %d requests (file opened: %v), want none", n, opened)
			}
		})
	}
}

func TestSendInstagramVideoOver8MBIsAllowed(t *testing.T) {
	g := newGraph(t)
	c := NewClient(g.URL, version, igID, token, true, g.Client())
	size := int64(MaxImageInstagram + 1)
	if _, err := c.Send(context.Background(), channels.Outbound{To: customerID, Media: &channels.OutboundMedia{Kind: "video", Size: size, Open: zeros(size)}}); err != nil {
		t.Fatal(err)
	}
	if r := g.only(t); r.file == nil || int64(len(r.file.data)) != size {
		t.Errorf("upload did not carry the whole file")
	}
}

func TestSendFileLargerThanAnnounced(t *testing.T) {
	g := newGraph(t)
	c := NewClient(g.URL, version, pageID, token, false, g.Client())
	_, err := c.Send(context.Background(), channels.Outbound{To: customerID, Media: &channels.OutboundMedia{Kind: "document", Size: 100, Open: zeros(MaxAttachment + 1)}})
	se, ok := channels.AsSendError(err)
	if !ok || se.Retry || se.Title != "attachment too large" {
		t.Fatalf("got %v, want a non-retryable too-large refusal", err)
	}
}

func TestSendErrors(t *testing.T) {
	graphErr := func(code, subcode int, msg string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "error_subcode": subcode, "fbtrace_id": "AbCdEf123"}})
		return string(b)
	}
	tests := []struct {
		name   string
		status int
		body   string
		header http.Header
		want   channels.SendError
	}{
		{"outside the window", 400, graphErr(10, 2018278, "(#10) This message is sent outside of allowed window."), nil,
			channels.SendError{HTTPStatus: 400, Code: 10, Title: "(#10) This message is sent outside of allowed window.", Detail: "type=OAuthException subcode=2018278 fbtrace_id=AbCdEf123"}},
		{"person unavailable", 400, graphErr(551, 1545041, "This person isn't available right now."), nil,
			channels.SendError{HTTPStatus: 400, Code: 551, Title: "This person isn't available right now.", Detail: "type=OAuthException subcode=1545041 fbtrace_id=AbCdEf123"}},
		{"no matching user", 400, graphErr(100, 2018001, "No matching user found"), nil,
			channels.SendError{HTTPStatus: 400, Code: 100, Title: "No matching user found", Detail: "type=OAuthException subcode=2018001 fbtrace_id=AbCdEf123"}},
		{"token expired", 401, graphErr(190, 463, "Error validating access token"), nil,
			channels.SendError{HTTPStatus: 401, Code: 190, Title: "Error validating access token", Detail: "type=OAuthException subcode=463 fbtrace_id=AbCdEf123"}},
		{"messenger rate limit", 400, graphErr(613, 0, "Calls to this api have exceeded the rate limit."), http.Header{"Retry-After": {"30"}},
			channels.SendError{HTTPStatus: 400, Code: 613, Title: "Calls to this api have exceeded the rate limit.", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true, RetryAfter: 30 * time.Second}},
		{"app request limit", 400, graphErr(4, 0, "Application request limit reached"), nil,
			channels.SendError{HTTPStatus: 400, Code: 4, Title: "Application request limit reached", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true}},
		{"user request limit", 400, graphErr(17, 0, "User request limit reached"), nil,
			channels.SendError{HTTPStatus: 400, Code: 17, Title: "User request limit reached", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true}},
		{"page request limit", 400, graphErr(32, 0, "Page request limit reached"), nil,
			channels.SendError{HTTPStatus: 400, Code: 32, Title: "Page request limit reached", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true}},
		{"unknown error", 500, graphErr(1, 0, "An unknown error occurred"), nil,
			channels.SendError{HTTPStatus: 500, Code: 1, Title: "An unknown error occurred", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true}},
		{"service unavailable", 503, graphErr(2, 0, "Service temporarily unavailable"), nil,
			channels.SendError{HTTPStatus: 503, Code: 2, Title: "Service temporarily unavailable", Detail: "type=OAuthException subcode=0 fbtrace_id=AbCdEf123", Retry: true}},
		{"window closed even on a 5xx", 500, graphErr(10, 2018278, "outside window"), nil,
			channels.SendError{HTTPStatus: 500, Code: 10, Title: "outside window", Detail: "type=OAuthException subcode=2018278 fbtrace_id=AbCdEf123"}},
		{"5xx without a Graph body may have been processed behind it", 502, `<html>Bad Gateway</html>`, nil,
			channels.SendError{HTTPStatus: 502, Title: "Bad Gateway", Unknown: true}},
		{"4xx without a Graph body", 404, `not found`, nil,
			channels.SendError{HTTPStatus: 404, Title: "Not Found"}},
		{"accepted without message_id", 200, `{"recipient_id":"6729101843819203"}`, nil,
			channels.SendError{HTTPStatus: 200, Title: "response without message_id", Unknown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(t)
			g.status, g.body, g.header = tt.status, tt.body, tt.header
			c := NewClient(g.URL, version, pageID, token, false, g.Client())
			_, err := c.Send(context.Background(), channels.Outbound{To: customerID, Text: "merhaba"})
			se, ok := channels.AsSendError(err)
			if !ok {
				t.Fatalf("got %v, want a SendError", err)
			}
			if *se != tt.want {
				t.Errorf("got  %+v\nwant %+v", *se, tt.want)
			}
		})
	}
}

func TestSendTransportErrorIsRetryable(t *testing.T) {
	g := newGraph(t)
	g.Close()
	c := NewClient(g.URL, version, pageID, token, false, nil)
	_, err := c.Send(context.Background(), channels.Outbound{To: customerID, Text: "merhaba"})
	se, ok := channels.AsSendError(err)
	if !ok || !se.Retry {
		t.Fatalf("got %v, want a retryable SendError", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error carries the token: %v", err)
	}
}

func TestFetch(t *testing.T) {
	var gotAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		if r.URL.Path != "/v/t1.15752-9/example.jpg" || r.URL.Query().Get("oh") != "00_Ab" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		io.WriteString(w, "JPEGDATA")
	}))
	defer srv.Close()
	c := NewClient("http://graph.invalid", version, pageID, token, false, srv.Client())

	body, ctype, err := c.Fetch(context.Background(), channels.Media{Kind: "image", Ref: srv.URL + "/v/t1.15752-9/example.jpg?oh=00_Ab&oe=6760A1B2"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if string(data) != "JPEGDATA" || ctype != "image/jpeg" {
		t.Errorf("got %q %q", data, ctype)
	}
	if _, _, err := c.Fetch(context.Background(), channels.Media{Kind: "image", Ref: srv.URL + "/gone.jpg"}); err == nil {
		t.Error("a 404 download succeeded")
	}
	for _, auth := range gotAuth {
		if auth != "" {
			t.Errorf("the page token was sent to the CDN: %q", auth)
		}
	}
	for _, ref := range []string{"", "not a url", "file:///etc/passwd", "/relative"} {
		if _, _, err := c.Fetch(context.Background(), channels.Media{Ref: ref}); err == nil {
			t.Errorf("Fetch(%q) succeeded", ref)
		}
	}
	if len(gotAuth) != 2 {
		t.Errorf("server saw %d requests, want 2", len(gotAuth))
	}
}
