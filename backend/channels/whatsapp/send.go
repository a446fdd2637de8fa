package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"santral/backend/channels"
	"santral/backend/wire"
)

// Limits the Cloud API documents, checked before calling it.
const (
	MaxText    = 4096 // characters of a text body
	MaxCaption = 1024 // characters of a media caption
)

// mediaLimits are the largest files the Cloud API takes, by kind. Animated stickers may be
// 500 KB, but nothing here tells them from static ones, so the static limit applies.
var mediaLimits = map[string]int64{
	"image":    5 << 20,
	"audio":    16 << 20,
	"video":    16 << 20,
	"document": 100 << 20,
	"sticker":  100 << 10,
}

// captioned are the media kinds that carry a caption; audio and stickers do not.
var captioned = map[string]bool{"image": true, "video": true, "document": true}

// messageRequest is POST /{phone-number-id}/messages (send_text_request.json, send_template_request.json).
type messageRequest struct {
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type"`
	To               string        `json:"to,omitempty"`
	Recipient        string        `json:"recipient,omitempty"` // a business-scoped user id
	Type             string        `json:"type"`
	Text             *textBody     `json:"text,omitempty"`
	Template         *templateBody `json:"template,omitempty"`
	Image            *mediaBody    `json:"image,omitempty"`
	Video            *mediaBody    `json:"video,omitempty"`
	Audio            *mediaBody    `json:"audio,omitempty"`
	Sticker          *mediaBody    `json:"sticker,omitempty"`
	Document         *mediaBody    `json:"document,omitempty"`
	Interactive      *interactive  `json:"interactive,omitempty"`
}

type textBody struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type templateBody struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []templateComponent `json:"components,omitempty"`
}

type templateComponent struct {
	Type       string              `json:"type"`
	Parameters []templateParameter `json:"parameters"`
}

type templateParameter struct {
	Type string `json:"type"`
	// ParameterName names the placeholder a NAMED template's parameter fills.
	ParameterName string `json:"parameter_name,omitempty"`
	Text          string `json:"text"`
}

type mediaBody struct {
	ID       string `json:"id"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Send sends an approved template, a media file (uploaded first) or a text, in that order of
// precedence: with a template, Text is only Santral's rendering of it. A media message's caption
// is Media.Caption, or Text when that is empty. Limits are checked before any call to Meta, and
// a refusal comes back as a *channels.SendError (a *LimitError when it was caught here).
// The Cloud API takes no idempotency key: a send retried after a lost answer can arrive twice.
func (c *Client) Send(ctx context.Context, m channels.Outbound) (channels.Sent, error) {
	req, err := buildMessage(m)
	if err != nil {
		return channels.Sent{}, err
	}
	if req.Type != "text" && req.Type != "template" && req.Type != "interactive" {
		id, err := c.upload(ctx, m.Media)
		if err != nil {
			return channels.Sent{}, err
		}
		req.media().ID = id
	}
	var resp struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := c.postJSON(ctx, c.endpoint(c.phoneNumberID, "messages"), req, &resp); err != nil {
		if errors.Is(err, errUnreadableAnswer) {
			// A 2xx we cannot read was most likely accepted: retrying could send it twice.
			return channels.Sent{}, &channels.SendError{HTTPStatus: http.StatusOK, Title: "unreadable answer to a send", Detail: err.Error(), Unknown: true}
		}
		return channels.Sent{}, err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return channels.Sent{}, &channels.SendError{HTTPStatus: http.StatusOK, Title: "send accepted without a message id", Unknown: true}
	}
	return channels.Sent{ExternalID: resp.Messages[0].ID}, nil
}

// media is the object of a media message, named after its type.
func (r *messageRequest) media() *mediaBody {
	switch r.Type {
	case "image":
		return r.Image
	case "video":
		return r.Video
	case "audio":
		return r.Audio
	case "sticker":
		return r.Sticker
	case "document":
		return r.Document
	}
	return nil
}

// buildMessage checks m against the Cloud API's rules and builds its request; a media message
// still needs the id of its upload.
func buildMessage(m channels.Outbound) (*messageRequest, error) {
	req := &messageRequest{MessagingProduct: "whatsapp", RecipientType: "individual"}
	switch {
	case m.To == "":
		return nil, &LimitError{Rule: RuleNoRecipient}
	case isUserID(m.To):
		// Username-only customers are reached by their business-scoped user id, in "recipient".
		req.Recipient = m.To
	default:
		req.To = m.To
	}
	switch {
	case m.Template != nil:
		tpl, err := buildTemplate(m.Template)
		if err != nil {
			return nil, err
		}
		req.Type, req.Template = "template", tpl
	case m.Media != nil:
		md, err := buildMedia(m.Media, m.Text)
		if err != nil {
			return nil, err
		}
		req.Type = m.Media.Kind
		switch m.Media.Kind {
		case "image":
			req.Image = md
		case "video":
			req.Video = md
		case "audio":
			req.Audio = md
		case "sticker":
			req.Sticker = md
		case "document":
			req.Document = md
		}
	case m.Interactive != nil && (m.Interactive.Style == wire.StyleButtons || m.Interactive.Style == wire.StyleList):
		it, err := buildInteractive(m.Text, m.Interactive)
		if err != nil {
			return nil, err
		}
		req.Type, req.Interactive = "interactive", it
	default:
		if strings.TrimSpace(m.Text) == "" {
			return nil, &LimitError{Rule: RuleEmpty}
		}
		if n := utf8.RuneCountInString(m.Text); n > MaxText {
			return nil, &LimitError{Rule: RuleTextTooLong, Max: MaxText, Got: int64(n)}
		}
		req.Type, req.Text = "text", &textBody{Body: m.Text}
	}
	return req, nil
}

// isUserID tells a business-scoped user id ("TR.1349…") from a phone number, which is digits.
func isUserID(to string) bool {
	return strings.ContainsFunc(strings.TrimPrefix(to, "+"), func(r rune) bool { return r < '0' || r > '9' })
}

func buildTemplate(t *channels.Template) (*templateBody, error) {
	if t.Name == "" || t.Language == "" {
		return nil, &LimitError{Rule: RuleTemplate}
	}
	tpl := &templateBody{Name: t.Name}
	tpl.Language.Code = t.Language
	if len(t.BodyParams) == 0 {
		return tpl, nil
	}
	body := templateComponent{Type: "body"}
	if len(t.ParamNames) > 0 && len(t.ParamNames) != len(t.BodyParams) {
		return nil, &LimitError{Rule: RuleTemplateParam}
	}
	for i, p := range t.BodyParams {
		// Meta refuses empty parameters, and ones with new lines, tabs or more than four spaces
		// in a row, with an opaque #100: say which rule it is instead.
		if strings.TrimSpace(p) == "" || strings.ContainsAny(p, "\n\t") || strings.Contains(p, "     ") {
			return nil, &LimitError{Rule: RuleTemplateParam}
		}
		tp := templateParameter{Type: "text", Text: p}
		if len(t.ParamNames) > 0 {
			tp.ParameterName = t.ParamNames[i]
		}
		body.Parameters = append(body.Parameters, tp)
	}
	tpl.Components = []templateComponent{body}
	return tpl, nil
}

func buildMedia(md *channels.OutboundMedia, text string) (*mediaBody, error) {
	limit, known := mediaLimits[md.Kind]
	switch {
	case !known:
		return nil, &LimitError{Rule: RuleMediaKind}
	case md.Open == nil:
		return nil, &LimitError{Rule: RuleEmpty}
	case md.Size > limit:
		return nil, &LimitError{Rule: RuleMediaTooLarge, Max: limit, Got: md.Size}
	case mediaType(md) == "":
		return nil, &LimitError{Rule: RuleMediaType}
	}
	caption := md.Caption
	if caption == "" {
		caption = text
	}
	if caption != "" && !captioned[md.Kind] {
		return nil, &LimitError{Rule: RuleNoCaption}
	}
	if n := utf8.RuneCountInString(caption); n > MaxCaption {
		return nil, &LimitError{Rule: RuleCaptionTooLong, Max: MaxCaption, Got: int64(n)}
	}
	body := &mediaBody{Caption: caption}
	if md.Kind == "document" {
		body.Filename = md.Name
	}
	return body, nil
}

// mediaType is the file's MIME type without parameters, from the file name when none was
// given; "" when there is none or it is not a well-formed type (it goes into upload headers).
func mediaType(md *channels.OutboundMedia) string {
	t := md.MimeType
	if t == "" {
		t = mime.TypeByExtension(path.Ext(md.Name))
	}
	t, _, err := mime.ParseMediaType(t)
	if err != nil || !strings.Contains(t, "/") {
		return ""
	}
	return t
}

// upload sends the file as POST /{phone-number-id}/media (multipart: messaging_product, type,
// file) and returns its media id. The file is streamed, and cut off past the kind's limit.
func (c *Client) upload(ctx context.Context, md *channels.OutboundMedia) (string, error) {
	mimeType := mediaType(md)
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("messaging_product", "whatsapp")
	mw.WriteField("type", mimeType)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", uploadName(md.Name)))
	h.Set("Content-Type", mimeType)
	if _, err := mw.CreatePart(h); err != nil {
		return "", fmt.Errorf("whatsapp: unable to build upload: %w", err)
	}
	// The closing boundary is written by hand so the file can stream between head and tail.
	tail := "\r\n--" + mw.Boundary() + "--\r\n"

	file, err := md.Open()
	if err != nil {
		return "", fmt.Errorf("whatsapp: unable to open media %q: %w", md.Name, err)
	}
	guard := &sizeGuard{r: file, limit: mediaLimits[md.Kind], declared: md.Size}
	body := &uploadBody{Reader: io.MultiReader(bytes.NewReader(head.Bytes()), guard, strings.NewReader(tail)), file: file}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(c.phoneNumberID, "media"), body)
	if err != nil {
		file.Close()
		return "", fmt.Errorf("whatsapp: unable to build request: %w", err)
	}
	if md.Size > 0 {
		req.ContentLength = int64(head.Len()) + md.Size + int64(len(tail))
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.do(req)
	if gerr := guard.failure(); gerr != nil {
		if err == nil {
			resp.Body.Close()
		}
		return "", gerr
	}
	if se, ok := channels.AsSendError(err); ok && se.Unknown {
		// An upload the Graph API may have stored is not a message: the customer sees nothing
		// until the send that names its id, and an unused upload expires. Trying again is safe.
		se.Unknown, se.Retry = false, true
	}
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var uploaded struct {
		ID string `json:"id"`
	}
	if err := jsonDecode(resp.Body, &uploaded); err != nil || uploaded.ID == "" {
		// Nothing reached the customer yet, so trying again is harmless.
		return "", &channels.SendError{HTTPStatus: resp.StatusCode, Title: "media upload answered without an id", Retry: true}
	}
	return uploaded.ID, nil
}

// uploadName keeps a file name to one header line.
func uploadName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		return "file"
	}
	return name
}

// uploadBody closes the file when the transport is done with the request body, which may be
// after Do has returned.
type uploadBody struct {
	io.Reader
	file io.Closer
}

func (b *uploadBody) Close() error { return b.file.Close() }

// sizeGuard stops an upload that goes past the kind's limit or is not the size declared (the
// request's Content-Length was computed from it). The transport reads it on its own goroutine.
type sizeGuard struct {
	r        io.Reader
	limit    int64
	declared int64

	mu   sync.Mutex
	read int64
	err  error
}

func (g *sizeGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.read += int64(n)
	switch {
	case g.read > g.limit:
		g.err = &LimitError{Rule: RuleMediaTooLarge, Max: g.limit, Got: g.read}
	case g.declared > 0 && (g.read > g.declared || (err == io.EOF && g.read != g.declared)):
		g.err = fmt.Errorf("whatsapp: media is not the %d bytes declared (read %d)", g.declared, g.read)
	default:
		return n, err
	}
	return 0, g.err
}

func (g *sizeGuard) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
