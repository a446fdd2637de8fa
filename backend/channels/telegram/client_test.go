package telegram

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

const token = "7012345678:AAHk9sQ-santralTestToken_x1"

// received is one request as the fake Bot API saw it.
type received struct {
	method, path, contentType string
	json                      map[string]any
	fields                    map[string]string
	file                      *receivedFile
}

type receivedFile struct {
	field, name, contentType string
	data                     []byte
}

type reply struct {
	status int
	body   string
}

// botAPI is a local server speaking the Bot API: it records every request and answers from
// replies by path (the method or file path after the bot token).
type botAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	replies  map[string]reply
}

func newBotAPI(t *testing.T, replies map[string]reply) *botAPI {
	b := &botAPI{replies: replies}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := received{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type")}
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
				if err != nil {
					break
				}
				data, _ := io.ReadAll(p)
				if p.FileName() != "" {
					rec.file = &receivedFile{field: p.FormName(), name: p.FileName(), contentType: p.Header.Get("Content-Type"), data: data}
				} else {
					rec.fields[p.FormName()] = string(data)
				}
			}
		}
		b.mu.Lock()
		b.requests = append(b.requests, rec)
		b.mu.Unlock()
		rep, ok := b.replies[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *botAPI) seen() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.requests...)
}

func sendOK(t *testing.T, methods ...string) map[string]reply {
	body := string(fixture(t, "sendmessage_response.json"))
	replies := map[string]reply{}
	for _, m := range methods {
		replies["/bot"+token+"/"+m] = reply{200, body}
	}
	return replies
}

func TestSendMessage(t *testing.T) {
	tests := []struct {
		name string
		to   string
		text string
		want string
	}{
		{"private chat", chatID, "İade kodunuz: IAD-88412", `{"chat_id":5128834410,"text":"İade kodunuz: IAD-88412"}`},
		{"group chat", "-1001234567890", "Merhaba", `{"chat_id":-1001234567890,"text":"Merhaba"}`},
		{"channel username", "@magaza_duyuru", "Merhaba", `{"chat_id":"@magaza_duyuru","text":"Merhaba"}`},
		{"markup is plain text", chatID, "*kalın* <b>değil</b>", `{"chat_id":5128834410,"text":"*kalın* <b>değil</b>"}`},
		{"at the limit", chatID, strings.Repeat("ç", MaxText), `{"chat_id":5128834410,"text":"` + strings.Repeat("ç", MaxText) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newBotAPI(t, sendOK(t, "sendMessage"))
			c := NewClient(api.URL+"/", token, api.Client())
			sent, err := c.Send(context.Background(), channels.Outbound{To: tt.to, Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			if sent != (channels.Sent{ExternalID: "sent-5128834410-1190"}) {
				t.Errorf("sent = %+v", sent)
			}
			reqs := api.seen()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != "/bot"+token+"/sendMessage" || r.contentType != "application/json" {
				t.Errorf("request %s %s %q", r.method, r.path, r.contentType)
			}
			var want map[string]any
			json.Unmarshal([]byte(tt.want), &want)
			if !reflect.DeepEqual(r.json, want) {
				t.Errorf("body %v\nwant %v", r.json, want)
			}
		})
	}
}

func media(kind, name, mimeType, caption string, data []byte) *channels.OutboundMedia {
	return &channels.OutboundMedia{Kind: kind, Name: name, MimeType: mimeType, Caption: caption, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func TestSendUpload(t *testing.T) {
	data := []byte("file bytes")
	tests := []struct {
		name   string
		out    channels.Outbound
		method string
		fields map[string]string
		file   receivedFile
	}{
		{"photo with caption", channels.Outbound{To: chatID, Media: media("image", "kargo.jpg", "image/jpeg", "Kargo fişiniz", data)},
			"sendPhoto", map[string]string{"chat_id": chatID, "caption": "Kargo fişiniz"},
			receivedFile{"photo", "kargo.jpg", "image/jpeg", data}},
		{"document with text as caption", channels.Outbound{To: chatID, Text: "İade formu ekte", Media: media("document", "iade-formu.pdf", "application/pdf", "", data)},
			"sendDocument", map[string]string{"chat_id": chatID, "caption": "İade formu ekte"},
			receivedFile{"document", "iade-formu.pdf", "application/pdf", data}},
		{"video without caption", channels.Outbound{To: chatID, Media: media("video", "kutu.mp4", "video/mp4", "", data)},
			"sendVideo", map[string]string{"chat_id": chatID},
			receivedFile{"video", "kutu.mp4", "video/mp4", data}},
		{"audio without name or type", channels.Outbound{To: chatID, Media: media("audio", "", "", "", data)},
			"sendAudio", map[string]string{"chat_id": chatID},
			receivedFile{"audio", "file", "application/octet-stream", data}},
		{"same text and caption", channels.Outbound{To: chatID, Text: "ek", Media: media("document", "a.txt", "text/plain", "ek", data)},
			"sendDocument", map[string]string{"chat_id": chatID, "caption": "ek"},
			receivedFile{"document", "a.txt", "text/plain", data}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newBotAPI(t, sendOK(t, tt.method))
			c := NewClient(api.URL, token, api.Client())
			sent, err := c.Send(context.Background(), tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if sent.ExternalID != "sent-5128834410-1190" {
				t.Errorf("sent = %+v", sent)
			}
			reqs := api.seen()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != "/bot"+token+"/"+tt.method || !strings.HasPrefix(r.contentType, "multipart/form-data; boundary=") {
				t.Errorf("request %s %s %q", r.method, r.path, r.contentType)
			}
			if !reflect.DeepEqual(r.fields, tt.fields) {
				t.Errorf("fields %v, want %v", r.fields, tt.fields)
			}
			if r.file == nil || !reflect.DeepEqual(*r.file, tt.file) {
				t.Errorf("file %+v, want %+v", r.file, tt.file)
			}
		})
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func zeros(n int64) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(io.LimitReader(zeroReader{}, n)), nil }
}

func TestSendRefusedBeforeCalling(t *testing.T) {
	opened := false
	file := func(kind string, size int64) *channels.OutboundMedia {
		return &channels.OutboundMedia{Kind: kind, Name: "x", Size: size, Open: func() (io.ReadCloser, error) {
			opened = true
			return zeros(size)()
		}}
	}
	withCaption := func(m *channels.OutboundMedia, c string) *channels.OutboundMedia { m.Caption = c; return m }
	tests := []struct {
		name string
		out  channels.Outbound
	}{
		{"text over 4096 characters", channels.Outbound{To: chatID, Text: strings.Repeat("ı", MaxText+1)}},
		{"photo over 10 MB", channels.Outbound{To: chatID, Media: file("image", MaxPhoto+1)}},
		{"document over 50 MB", channels.Outbound{To: chatID, Media: file("document", MaxFile+1)}},
		{"video over 50 MB", channels.Outbound{To: chatID, Media: file("video", MaxFile+1)}},
		{"audio over 50 MB", channels.Outbound{To: chatID, Media: file("audio", MaxFile+1)}},
		{"caption over 1024 characters", channels.Outbound{To: chatID, Media: withCaption(file("image", 10), strings.Repeat("a", MaxCaption+1))}},
		{"text as caption over 1024 characters", channels.Outbound{To: chatID, Text: strings.Repeat("a", MaxCaption+1), Media: file("image", 10)}},
		{"text and a different caption", channels.Outbound{To: chatID, Text: "bir", Media: withCaption(file("image", 10), "iki")}},
		{"sticker upload", channels.Outbound{To: chatID, Media: file("sticker", 10)}},
		{"attachment without content", channels.Outbound{To: chatID, Media: &channels.OutboundMedia{Kind: "document"}}},
		{"template", channels.Outbound{To: chatID, Template: &channels.Template{Name: "x"}}},
		{"empty", channels.Outbound{To: chatID}},
		{"no recipient", channels.Outbound{Text: "merhaba"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newBotAPI(t, sendOK(t, "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio"))
			opened = false
			c := NewClient(api.URL, token, api.Client())
			_, err := c.Send(context.Background(), tt.out)
			se, ok := channels.AsSendError(err)
			if !ok || se.Retry || se.HTTPStatus != 0 {
				t.Errorf("got %v, want a non-retryable refusal", err)
			}
			if n := len(api.seen()); n != 0 || opened {
				t.Errorf("server saw %d requests (file opened: %v), want none", n, opened)
			}
		})
	}
}

func TestSendPhotoLargerThanAnnounced(t *testing.T) {
	api := newBotAPI(t, sendOK(t, "sendPhoto"))
	c := NewClient(api.URL, token, api.Client())
	_, err := c.Send(context.Background(), channels.Outbound{To: chatID, Media: &channels.OutboundMedia{Kind: "image", Size: 10, Open: zeros(MaxPhoto + 1)}})
	se, ok := channels.AsSendError(err)
	if !ok || se.Retry || se.Title != "attachment too large" {
		t.Fatalf("got %v, want a non-retryable too-large refusal", err)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   channels.SendError
	}{
		{"flood control", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`,
			channels.SendError{HTTPStatus: 429, Code: 429, Title: "Too Many Requests: retry after 7", Retry: true, RetryAfter: 7 * time.Second}},
		{"blocked by the user", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
			channels.SendError{HTTPStatus: 403, Code: 403, Title: "Forbidden: bot was blocked by the user"}},
		{"chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`,
			channels.SendError{HTTPStatus: 400, Code: 400, Title: "Bad Request: chat not found"}},
		{"group migrated", 400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}`,
			channels.SendError{HTTPStatus: 400, Code: 400, Title: "Bad Request: group chat was upgraded to a supergroup chat"}},
		{"internal error", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`,
			channels.SendError{HTTPStatus: 500, Code: 500, Title: "Internal Server Error", Retry: true}},
		{"gateway page: may have been processed behind it", 502, `<html>502 Bad Gateway</html>`,
			channels.SendError{HTTPStatus: 502, Code: 502, Title: "Bad Gateway", Unknown: true}},
		{"ok without message_id", 200, `{"ok":true,"result":{"chat":{"id":1}}}`,
			channels.SendError{HTTPStatus: 200, Title: "response without message_id", Unknown: true}},
		{"unreadable 200", 200, `<html>ok</html>`,
			channels.SendError{HTTPStatus: 200, Title: "unreadable answer", Unknown: true}},
		{"ok false on a 200", 200, `{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`,
			channels.SendError{HTTPStatus: 200, Code: 400, Title: "Bad Request: message text is empty"}},
		{"description quoting the token", 401, `{"ok":false,"error_code":401,"description":"Unauthorized: ` + token + `"}`,
			channels.SendError{HTTPStatus: 401, Code: 401, Title: "Unauthorized: <token>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newBotAPI(t, map[string]reply{"/bot" + token + "/sendMessage": {tt.status, tt.body}})
			c := NewClient(api.URL, token, api.Client())
			_, err := c.Send(context.Background(), channels.Outbound{To: chatID, Text: "merhaba"})
			se, ok := channels.AsSendError(err)
			if !ok {
				t.Fatalf("got %v, want a SendError", err)
			}
			if *se != tt.want {
				t.Errorf("got  %+v\nwant %+v", *se, tt.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error carries the token: %v", err)
			}
		})
	}
}

// TestErrorsNeverCarryTheToken goes through every failure whose natural error text holds the
// request URL.
func TestErrorsNeverCarryTheToken(t *testing.T) {
	closed := newBotAPI(t, nil)
	closed.Close()
	getFileOnly := newBotAPI(t, map[string]reply{"/bot" + token + "/getFile": {200, `{"ok":true,"result":{"file_id":"f","file_path":"documents/file_12.pdf"}}`}})

	tests := []struct {
		name  string
		base  string
		call  func(c *Client) error
		retry bool
	}{
		{"send to an unreachable server", closed.URL, func(c *Client) error {
			_, err := c.Send(context.Background(), channels.Outbound{To: chatID, Text: "x"})
			return err
		}, true},
		{"upload to an unreachable server", closed.URL, func(c *Client) error {
			_, err := c.Send(context.Background(), channels.Outbound{To: chatID, Media: media("image", "a.jpg", "image/jpeg", "", []byte("x"))})
			return err
		}, true},
		{"send with a broken base URL", "http://bad host\x7f", func(c *Client) error {
			_, err := c.Send(context.Background(), channels.Outbound{To: chatID, Text: "x"})
			return err
		}, false},
		{"send cancelled", closed.URL, func(c *Client) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := c.Send(ctx, channels.Outbound{To: chatID, Text: "x"})
			return err
		}, true},
		{"getFile on an unreachable server", closed.URL, func(c *Client) error {
			_, _, err := c.Fetch(context.Background(), channels.Media{Ref: "f"})
			return err
		}, true},
		{"download refused", getFileOnly.URL, func(c *Client) error {
			_, _, err := c.Fetch(context.Background(), channels.Media{Ref: "f"})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(NewClient(tt.base, token, nil))
			if err == nil {
				t.Fatal("call succeeded")
			}
			for _, s := range []string{token, "AAHk9sQ", "/bot"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error carries %q: %v", s, err)
				}
			}
			if se, ok := channels.AsSendError(err); ok && se.Retry != tt.retry {
				t.Errorf("retry = %v, want %v (%v)", se.Retry, tt.retry, err)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	pdf := []byte("%PDF-1.7 iade formu")
	api := newBotAPI(t, map[string]reply{
		"/bot" + token + "/getFile":                    {200, string(fixture(t, "getfile_response.json"))},
		"/file/bot" + token + "/documents/file_12.pdf": {200, string(pdf)},
	})
	c := NewClient(api.URL, token, api.Client())
	body, ctype, err := c.Fetch(context.Background(), channels.Media{Kind: "document", Ref: "BQACAgQAAxkBAAIEpGdDocIadeFormu", Name: "iade-formu.pdf", MimeType: "application/pdf", Size: 48211})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, pdf) || ctype != "application/pdf" {
		t.Errorf("got %q %q %v", got, ctype, err)
	}
	reqs := api.seen()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	if r := reqs[0]; r.method != http.MethodPost || r.path != "/bot"+token+"/getFile" || !reflect.DeepEqual(r.json, map[string]any{"file_id": "BQACAgQAAxkBAAIEpGdDocIadeFormu"}) {
		t.Errorf("getFile request %+v", r)
	}
	if r := reqs[1]; r.method != http.MethodGet || r.path != "/file/bot"+token+"/documents/file_12.pdf" {
		t.Errorf("download request %+v", r)
	}

	// Without an announced type, the file path's extension speaks.
	body, ctype, err = c.Fetch(context.Background(), channels.Media{Kind: "document", Ref: "BQACAgQAAxkBAAIEpGdDocIadeFormu"})
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if ctype != "application/pdf" {
		t.Errorf("content type %q", ctype)
	}
}

func TestFetchRefusesOver20MB(t *testing.T) {
	api := newBotAPI(t, map[string]reply{
		"/bot" + token + "/getFile":                {200, `{"ok":true,"result":{"file_id":"big","file_size":20971521,"file_path":"videos/file_3.mp4"}}`},
		"/file/bot" + token + "/videos/file_3.mp4": {200, "x"},
	})
	c := NewClient(api.URL, token, api.Client())

	// The update announced the size: nothing is asked.
	if _, _, err := c.Fetch(context.Background(), channels.Media{Ref: "big", Size: MaxDownload + 1}); err == nil {
		t.Error("a file announced over 20 MB was fetched")
	}
	if n := len(api.seen()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
	// getFile told the size: no download.
	if _, _, err := c.Fetch(context.Background(), channels.Media{Ref: "big"}); err == nil {
		t.Error("a file over 20 MB was downloaded")
	}
	if reqs := api.seen(); len(reqs) != 1 || !strings.HasSuffix(reqs[0].path, "/getFile") {
		t.Errorf("requests %+v, want getFile only", reqs)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name    string
		getFile reply
	}{
		{"file too big for getFile", reply{400, `{"ok":false,"error_code":400,"description":"Bad Request: file is too big"}`}},
		{"no file_path", reply{200, `{"ok":true,"result":{"file_id":"f"}}`}},
		{"file_path escaping", reply{200, `{"ok":true,"result":{"file_id":"f","file_path":"../../etc/passwd"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newBotAPI(t, map[string]reply{"/bot" + token + "/getFile": tt.getFile})
			c := NewClient(api.URL, token, api.Client())
			if _, _, err := c.Fetch(context.Background(), channels.Media{Ref: "f"}); err == nil {
				t.Fatal("fetch succeeded")
			}
			if n := len(api.seen()); n != 1 {
				t.Errorf("server saw %d requests, want getFile only", n)
			}
		})
	}
	if _, _, err := NewClient("http://unused", token, nil).Fetch(context.Background(), channels.Media{}); err == nil {
		t.Error("fetch without file_id succeeded")
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ served, announced, path, want string }{
		{"application/octet-stream", "audio/ogg", "voice/file_1.oga", "audio/ogg"},
		{"image/jpeg", "", "photos/file_2.jpg", "image/jpeg"},
		{"application/octet-stream", "", "documents/file_12.pdf", "application/pdf"},
		{"application/octet-stream", "", "stickers/file_9", "application/octet-stream"},
		{"", "", "stickers/file_9", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := contentType(tt.served, tt.announced, tt.path); got != tt.want {
			t.Errorf("contentType(%q, %q, %q) = %q, want %q", tt.served, tt.announced, tt.path, got, tt.want)
		}
	}
}
