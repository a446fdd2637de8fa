package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"santral/backend/channels"
)

// Bot API limits, checked before calling.
const (
	MaxText     = 4096     // characters, sendMessage
	MaxCaption  = 1024     // characters, media captions
	MaxPhoto    = 10 << 20 // bytes, sendPhoto upload
	MaxFile     = 50 << 20 // bytes, sendDocument/sendVideo/sendAudio upload
	MaxDownload = 20 << 20 // bytes, what getFile lets a bot download
)

// Client sends and downloads for one bot. The bot token is part of every URL, so no error
// it returns carries a URL (or the token).
type Client struct {
	base  string
	token string
	http  *http.Client
}

var (
	_ channels.Sender  = (*Client)(nil)
	_ channels.Fetcher = (*Client)(nil)
)

// NewClient returns a client for the bot with this token; baseURL is https://api.telegram.org
// in production. A nil httpClient gets one that gives up on a silent server but not on a slow
// 50 MB upload.
func NewClient(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = channels.NewHTTPClient(channels.DefaultTimeouts.Floor)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: httpClient}
}

// uploads maps an outbound media kind to its method, file field and size limit.
var uploads = map[string]struct {
	method, field string
	limit         int64
}{
	"image":    {"sendPhoto", "photo", MaxPhoto},
	"document": {"sendDocument", "document", MaxFile},
	"video":    {"sendVideo", "video", MaxFile},
	"audio":    {"sendAudio", "audio", MaxFile},
}

// refuse is a send this adapter will not attempt: never retried.
func refuse(title, detail string) error {
	return &channels.SendError{Title: title, Detail: detail}
}

// Send sends a text with sendMessage, or uploads one file with sendPhoto, sendDocument,
// sendVideo or sendAudio. A file's caption is Media.Caption, or Text when Caption is empty;
// both set and different is refused rather than guessing which one the agent meant. Text is sent as plain
// text (no parse_mode), so nothing an agent types is read as markup.
func (c *Client) Send(ctx context.Context, m channels.Outbound) (channels.Sent, error) {
	if err := check(m); err != nil {
		return channels.Sent{}, err
	}
	chatID := chatIDValue(m.To)
	if m.Media == nil {
		markup, err := inlineKeyboard(m.Interactive)
		if err != nil {
			return channels.Sent{}, err
		}
		body, err := json.Marshal(struct {
			ChatID      any                   `json:"chat_id"`
			Text        string                `json:"text"`
			ReplyMarkup *inlineKeyboardMarkup `json:"reply_markup,omitempty"`
		}{chatID, m.Text, markup})
		if err != nil {
			return channels.Sent{}, fmt.Errorf("telegram: unable to encode message: %w", err)
		}
		return c.call(ctx, "sendMessage", "application/json", bytes.NewReader(body), nil)
	}
	return c.upload(ctx, m, fmt.Sprint(chatID))
}

// chatIDValue sends numeric chat ids as JSON numbers, anything else (a @channel) as a string.
func chatIDValue(to string) any {
	if n, err := strconv.ParseInt(to, 10, 64); err == nil {
		return n
	}
	return to
}

func caption(m channels.Outbound) string {
	if m.Media.Caption != "" {
		return m.Media.Caption
	}
	return m.Text
}

func check(m channels.Outbound) error {
	switch {
	case m.To == "":
		return refuse("no recipient", "")
	case m.Template != nil:
		return refuse("templates are WhatsApp only", "Telegram has no message templates")
	case m.Media == nil && m.Text == "":
		return refuse("empty message", "")
	}
	if m.Media == nil {
		if n := utf8.RuneCountInString(m.Text); n > MaxText {
			return refuse("text too long", fmt.Sprintf("%d characters; Telegram allows %d", n, MaxText))
		}
		return nil
	}
	md := m.Media
	up, ok := uploads[md.Kind]
	switch {
	case !ok:
		return refuse("unsupported attachment", fmt.Sprintf("Telegram upload of %q is not supported", md.Kind))
	case md.Open == nil:
		return refuse("attachment without content", "")
	case md.Size > up.limit:
		return refuse("attachment too large", fmt.Sprintf("%d bytes; %s allows %d", md.Size, up.method, up.limit))
	case m.Text != "" && md.Caption != "" && m.Text != md.Caption:
		return refuse("text and caption both set", "send the text as its own message")
	}
	if n := utf8.RuneCountInString(caption(m)); n > MaxCaption {
		return refuse("caption too long", fmt.Sprintf("%d characters; Telegram allows %d", n, MaxCaption))
	}
	return nil
}

// upload streams a multipart request: chat_id, caption, and the file under the method's field.
func (c *Client) upload(ctx context.Context, m channels.Outbound, chatID string) (channels.Sent, error) {
	md, up := m.Media, uploads[m.Media.Kind]
	file, err := md.Open()
	if err != nil {
		return channels.Sent{}, fmt.Errorf("telegram: unable to open attachment: %w", err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		defer file.Close()
		werr = writeUpload(mw, file, up.field, up.limit, md, chatID, caption(m))
		pw.CloseWithError(werr)
	}()
	sent, err := c.call(ctx, up.method, mw.FormDataContentType(), pr, pr)
	<-done
	if errors.Is(werr, errTooLarge) {
		// The file was bigger than announced: the aborted request must not be retried.
		return channels.Sent{}, refuse("attachment too large", fmt.Sprintf("over %d bytes; %s allows %d", up.limit, up.method, up.limit))
	}
	return sent, err
}

var errTooLarge = errors.New("attachment over the limit")

func writeUpload(mw *multipart.Writer, file io.Reader, field string, limit int64, md *channels.OutboundMedia, chatID, caption string) error {
	if err := mw.WriteField("chat_id", chatID); err != nil {
		return err
	}
	if caption != "" {
		if err := mw.WriteField("caption", caption); err != nil {
			return err
		}
	}
	return channels.WriteFilePart(mw, field, *md, file, limit, errTooLarge)
}

// apiResponse is every Bot API answer: ok with a result, or an error_code and description.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call POSTs to a Bot API method and returns its decoded result through Sent for the send
// methods; abort, when set, is closed after the response so an upload still being written stops.
func (c *Client) call(ctx context.Context, method, contentType string, body io.Reader, abort *io.PipeReader) (channels.Sent, error) {
	var result struct {
		MessageID int64 `json:"message_id"`
		Chat      struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	}
	if err := c.do(ctx, method, contentType, body, abort, &result); err != nil {
		return channels.Sent{}, err
	}
	if result.MessageID == 0 {
		// The message may well have gone out: retrying could send it twice.
		return channels.Sent{}, &channels.SendError{HTTPStatus: http.StatusOK, Title: "response without message_id", Unknown: true}
	}
	return channels.Sent{ExternalID: SentID(result.Chat.ID, result.MessageID)}, nil
}

// SentID names a message the bot sent. Telegram's message_id is unique only within a chat and
// shares no namespace with the update_id inbound messages are stored under, so the chat goes
// into the name too.
func SentID(chatID, messageID int64) string {
	return fmt.Sprintf("sent-%d-%d", chatID, messageID)
}

// do calls a method and decodes its result into out. Every error is a *channels.SendError with
// the token removed: retryable when the request provably never reached Telegram or the Bot API
// says so (429, its own 5xx answer), Unknown when it may have been carried out (no answer once
// the whole request had left, an answer that cannot be read, a 5xx page from something in
// front of the Bot API).
func (c *Client) do(ctx context.Context, method, contentType string, body io.Reader, abort *io.PipeReader, out any) error {
	if abort != nil {
		defer abort.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/bot"+c.token+"/"+method, body)
	if err != nil {
		return &channels.SendError{Title: "invalid request", Detail: c.redact(transportDetail(err))}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := channels.Do(c.http, req, "Telegram")
	if err != nil {
		se, _ := channels.AsSendError(err)
		se.Title, se.Detail = c.redact(se.Title), c.redact(se.Detail)
		return se
	}
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r apiResponse
	fromBotAPI := rerr == nil && json.Unmarshal(raw, &r) == nil && (r.OK || r.ErrorCode != 0)
	if !fromBotAPI {
		r = apiResponse{} // not the Bot API talking (a proxy's error page): classify on the status
	}
	if resp.StatusCode/100 == 2 && (rerr != nil || !fromBotAPI) {
		return &channels.SendError{HTTPStatus: resp.StatusCode, Title: "unreadable answer", Unknown: true}
	}
	if r.OK && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return &channels.SendError{HTTPStatus: resp.StatusCode, Title: "unexpected result", Detail: c.redact(err.Error()), Unknown: true}
		}
		return nil
	}
	se := &channels.SendError{HTTPStatus: resp.StatusCode, Code: r.ErrorCode, Title: c.redact(r.Description)}
	if se.Code == 0 {
		se.Code = resp.StatusCode
	}
	if se.Title == "" {
		se.Title = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || se.Code == http.StatusTooManyRequests:
		se.Retry = true
	case fromBotAPI:
		se.Retry = se.Code >= 500 // the Bot API's own answer that it failed
	case resp.StatusCode >= 500:
		se.Unknown = true
	}
	if r.Parameters != nil && r.Parameters.RetryAfter > 0 {
		se.RetryAfter = time.Duration(r.Parameters.RetryAfter) * time.Second
	}
	return se
}

// transportDetail describes a failure without the request URL, which holds the token.
func transportDetail(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// redact removes the token from anything that reaches an error, whatever wrapped it.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.token, "<token>")
	return strings.ReplaceAll(s, url.PathEscape(c.token), "<token>")
}

// Fetch downloads an inbound file: getFile for its path, then GET /file/bot<token>/<path>.
// Files over the 20 MB bots may download are refused before the download.
func (c *Client) Fetch(ctx context.Context, m channels.Media) (io.ReadCloser, string, error) {
	if m.Ref == "" {
		return nil, "", errors.New("telegram: attachment without file_id")
	}
	if m.Size > MaxDownload {
		return nil, "", fmt.Errorf("telegram: file of %d bytes is over the %d bots may download", m.Size, MaxDownload)
	}
	body, _ := json.Marshal(map[string]string{"file_id": m.Ref})
	var f struct {
		FilePath string `json:"file_path"`
		FileSize int64  `json:"file_size"`
	}
	if err := c.do(ctx, "getFile", "application/json", bytes.NewReader(body), nil, &f); err != nil {
		return nil, "", fmt.Errorf("telegram: getFile: %w", err)
	}
	if f.FileSize > MaxDownload {
		return nil, "", fmt.Errorf("telegram: file of %d bytes is over the %d bots may download", f.FileSize, MaxDownload)
	}
	if f.FilePath == "" || strings.HasPrefix(f.FilePath, "/") || strings.Contains(f.FilePath, "..") {
		return nil, "", errors.New("telegram: getFile gave no usable file_path")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/file/bot"+c.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, "", fmt.Errorf("telegram: unable to build download request: %s", c.redact(transportDetail(err)))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("telegram: unable to download file: %s", c.redact(transportDetail(err)))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram: unable to download file: http %d", resp.StatusCode)
	}
	if resp.ContentLength > MaxDownload {
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram: file of %d bytes is over the %d bots may download", resp.ContentLength, MaxDownload)
	}
	return channels.CapBody(resp.Body, MaxDownload, fmt.Errorf("telegram: file larger than %d bytes", MaxDownload)), contentType(resp.Header.Get("Content-Type"), m.MimeType, f.FilePath), nil
}

// contentType prefers what the update announced: Telegram's file server often answers
// application/octet-stream.
func contentType(served, announced, filePath string) string {
	if announced != "" {
		return announced
	}
	if served != "" && served != "application/octet-stream" {
		return served
	}
	if t := mime.TypeByExtension(path.Ext(filePath)); t != "" {
		return t
	}
	if served != "" {
		return served
	}
	return "application/octet-stream"
}
