package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"santral/backend/channels"
)

// Limits checked before calling the Send API.
const (
	MaxTextMessenger  = 2000     // characters
	MaxTextInstagram  = 1000     // characters
	MaxAttachment     = 25 << 20 // bytes, Messenger (and Instagram video, audio, files)
	MaxImageInstagram = 8 << 20  // bytes
	// maxFetch bounds an inbound attachment download; the platforms' own limit is 25 MB.
	maxFetch = 100 << 20
)

// Client sends on one Facebook page or Instagram account through the Graph Send API.
type Client struct {
	base      string
	version   string
	accountID string
	token     string
	instagram bool
	http      *http.Client
}

var (
	_ channels.Sender  = (*Client)(nil)
	_ channels.Fetcher = (*Client)(nil)
)

// NewClient returns a client for the page (or, with instagram, the Instagram account) accountID.
// baseURL is https://graph.facebook.com in production; version is like "v23.0". A nil
// httpClient gets one that gives up on a silent server but not on a slow 25 MB upload.
func NewClient(baseURL, version, accountID, token string, instagram bool, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = channels.NewHTTPClient(channels.DefaultTimeouts.Floor)
	}
	return &Client{
		base:      strings.TrimRight(baseURL, "/"),
		version:   strings.Trim(version, "/"),
		accountID: accountID,
		token:     token,
		instagram: instagram,
		http:      httpClient,
	}
}

func (c *Client) channelName() string {
	if c.instagram {
		return "Instagram"
	}
	return "Messenger"
}

// refuse is a send this adapter will not attempt: never retried.
func refuse(title, detail string) error {
	return &channels.SendError{Title: title, Detail: detail}
}

type sendRecipient struct {
	ID string `json:"id"`
}

type sendMessage struct {
	Text         string          `json:"text,omitempty"`
	Attachment   *sendAttachment `json:"attachment,omitempty"`
	QuickReplies []quickReply    `json:"quick_replies,omitempty"`
}

type sendAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		IsReusable bool `json:"is_reusable"`
	} `json:"payload"`
}

type sendRequest struct {
	Recipient     sendRecipient `json:"recipient"`
	MessagingType string        `json:"messaging_type"`
	Tag           string        `json:"tag,omitempty"`
	Message       sendMessage   `json:"message"`
}

// attachmentType is the Send API's name for an outbound media kind.
var attachmentType = map[string]string{"image": "image", "video": "video", "audio": "audio", "document": "file"}

// Send sends a text, or one uploaded attachment (multipart "filedata"). The Send API carries no
// caption, so text together with an attachment is refused: send them as two messages.
// HumanAgent sends with messaging_type MESSAGE_TAG and tag HUMAN_AGENT (the 7-day window).
func (c *Client) Send(ctx context.Context, m channels.Outbound) (channels.Sent, error) {
	if err := c.check(m); err != nil {
		return channels.Sent{}, err
	}
	req := sendRequest{Recipient: sendRecipient{ID: m.To}, MessagingType: "RESPONSE"}
	if m.HumanAgent {
		req.MessagingType, req.Tag = "MESSAGE_TAG", "HUMAN_AGENT"
	}
	endpoint := c.base + "/" + c.version + "/" + url.PathEscape(c.accountID) + "/messages"
	if m.Media == nil {
		req.Message.Text = m.Text
		qr, err := quickReplies(m.Interactive)
		if err != nil {
			return channels.Sent{}, err
		}
		req.Message.QuickReplies = qr
		body, err := json.Marshal(req)
		if err != nil {
			return channels.Sent{}, fmt.Errorf("meta: unable to encode message: %w", err)
		}
		return c.post(ctx, endpoint, "application/json", bytes.NewReader(body), nil)
	}
	return c.upload(ctx, endpoint, req, m.Media)
}

func (c *Client) check(m channels.Outbound) error {
	name := c.channelName()
	switch {
	case m.To == "":
		return refuse("no recipient", "")
	case m.Template != nil:
		return refuse("templates are WhatsApp only", name+" has no message templates")
	case m.Media == nil && m.Text == "":
		return refuse("empty message", "")
	}
	if m.Media == nil {
		limit := MaxTextMessenger
		if c.instagram {
			limit = MaxTextInstagram
		}
		if n := utf8.RuneCountInString(m.Text); n > limit {
			return refuse("text too long", fmt.Sprintf("%d characters; %s allows %d", n, name, limit))
		}
		return nil
	}
	md := m.Media
	if m.Text != "" || md.Caption != "" {
		return refuse("text with an attachment", name+" carries no caption; send the text as its own message")
	}
	if _, ok := attachmentType[md.Kind]; !ok {
		return refuse("unsupported attachment", fmt.Sprintf("%s cannot send %q", name, md.Kind))
	}
	if md.Open == nil {
		return refuse("attachment without content", "")
	}
	if limit := c.mediaLimit(md.Kind); md.Size > limit {
		return refuse("attachment too large", fmt.Sprintf("%d bytes; %s allows %d for %s", md.Size, name, limit, md.Kind))
	}
	return nil
}

func (c *Client) mediaLimit(kind string) int64 {
	if c.instagram && kind == "image" {
		return MaxImageInstagram
	}
	return MaxAttachment
}

// upload streams the attachment as the documented multipart send: recipient, messaging_type,
// tag and message as form fields (JSON where the API takes objects), the file as "filedata".
func (c *Client) upload(ctx context.Context, endpoint string, req sendRequest, md *channels.OutboundMedia) (channels.Sent, error) {
	req.Message.Attachment = &sendAttachment{Type: attachmentType[md.Kind]}
	recipient, _ := json.Marshal(req.Recipient)
	message, _ := json.Marshal(req.Message)
	file, err := md.Open()
	if err != nil {
		return channels.Sent{}, fmt.Errorf("meta: unable to open attachment: %w", err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	limit := c.mediaLimit(md.Kind)
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		defer file.Close()
		werr = writeUpload(mw, file, limit, md, [][2]string{
			{"recipient", string(recipient)},
			{"messaging_type", req.MessagingType},
			{"tag", req.Tag},
			{"message", string(message)},
		})
		pw.CloseWithError(werr)
	}()
	sent, err := c.post(ctx, endpoint, mw.FormDataContentType(), pr, pr)
	<-done
	if errors.Is(werr, errTooLarge) {
		// The file was bigger than announced: the aborted request must not be retried.
		return channels.Sent{}, refuse("attachment too large", fmt.Sprintf("over %d bytes; %s allows %d for %s", limit, c.channelName(), limit, md.Kind))
	}
	return sent, err
}

var errTooLarge = errors.New("attachment over the limit")

func writeUpload(mw *multipart.Writer, file io.Reader, limit int64, md *channels.OutboundMedia, fields [][2]string) error {
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	return channels.WriteFilePart(mw, "filedata", *md, file, limit, errTooLarge)
}

type sendResponse struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

type graphError struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		IsTransient  bool   `json:"is_transient"`
		FBTraceID    string `json:"fbtrace_id"`
	} `json:"error"`
}

// retryCodes are Graph's transient and rate-limit codes: unknown error, service unavailable,
// application/user/page request limits, and Messenger's own rate limit.
var retryCodes = map[int]bool{1: true, 2: true, 4: true, 17: true, 32: true, 613: true}

// post sends one request; abort, when set, is closed after the response so an upload still
// being written stops.
func (c *Client) post(ctx context.Context, endpoint, contentType string, body io.Reader, abort *io.PipeReader) (channels.Sent, error) {
	if abort != nil {
		defer abort.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return channels.Sent{}, fmt.Errorf("meta: unable to build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	// Every send here (a text, or the file itself) is a message the customer may see: a
	// failure after the whole request left is "delivery unknown" (channels.Do).
	resp, err := channels.Do(c.http, req, c.channelName())
	if err != nil {
		return channels.Sent{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		var ok sendResponse
		if err != nil || json.Unmarshal(raw, &ok) != nil || ok.MessageID == "" {
			// The message may well have gone out: retrying could send it twice.
			return channels.Sent{}, &channels.SendError{HTTPStatus: resp.StatusCode, Title: "response without message_id", Unknown: true}
		}
		return channels.Sent{ExternalID: ok.MessageID}, nil
	}
	return channels.Sent{}, classify(resp, raw)
}

// classify reads a refusal. A Graph error says what happened, so its code (and is_transient)
// decides, on a 5xx too; a 5xx without one comes from something in front of the Graph API, and
// the send may have been processed behind it.
func classify(resp *http.Response, raw []byte) *channels.SendError {
	se := &channels.SendError{HTTPStatus: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	var ge graphError
	fromGraph := json.Unmarshal(raw, &ge) == nil && ge.Error != nil
	if fromGraph {
		e := ge.Error
		se.Code, se.Title = e.Code, e.Message
		se.Detail = fmt.Sprintf("type=%s subcode=%d fbtrace_id=%s", e.Type, e.ErrorSubcode, e.FBTraceID)
		se.Retry = retryCodes[e.Code] || e.IsTransient
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		se.Retry = true
	case resp.StatusCode >= 500 && !fromGraph:
		se.Unknown = true
	}
	// A permission refusal such as sending outside the messaging window (10, subcode 2018278)
	// or a person who is unavailable (551): waiting does not help.
	if se.Code == 10 || se.Code == 551 {
		se.Retry = false
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 && se.Retry {
		se.RetryAfter = time.Duration(s) * time.Second
	}
	return se
}

// Fetch downloads an inbound attachment from the URL the webhook carried. Those URLs are signed
// CDN links: no token is sent with them.
func (c *Client) Fetch(ctx context.Context, m channels.Media) (io.ReadCloser, string, error) {
	u, err := url.Parse(m.Ref)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", fmt.Errorf("meta: attachment reference is not a URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("meta: unable to build attachment request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("meta: unable to fetch attachment: %s", urlless(err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("meta: unable to fetch attachment: http %d", resp.StatusCode)
	}
	if resp.ContentLength > maxFetch {
		resp.Body.Close()
		return nil, "", fmt.Errorf("meta: attachment of %d bytes is over %d", resp.ContentLength, maxFetch)
	}
	ctype := resp.Header.Get("Content-Type")
	if ctype == "" {
		ctype = m.MimeType
	}
	return channels.CapBody(resp.Body, maxFetch, fmt.Errorf("meta: attachment larger than %d bytes", maxFetch)), ctype, nil
}

// urlless describes a transport failure without the request URL (a signed CDN link).
func urlless(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
