// Package channels holds what every channel adapter shares: the normalised shapes a provider's
// webhook becomes, the message an agent sends, and the classification of a provider's refusal.
// Each provider lives in its own package (channels/whatsapp, channels/meta, channels/telegram)
// and speaks its documented wire format against a configurable base URL.
package channels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"time"

	"santral/backend/wire"
)

// Inbound is one customer message from a webhook, normalised.
type Inbound struct {
	ExternalID  string // the provider's message id (wamid, mid, update/message id): dedupe key
	SenderID    string // the customer on the channel: wa_id or WhatsApp user id, PSID, IGSID, chat id
	Name        string
	Phone       string
	Body        string
	Attachments []Media
	ReplyTo     string    // the provider id of our message the customer replied to, if any
	At          time.Time // when the customer sent it, by the provider's clock (zero: not given)
	Echo        bool      // our own message coming back (Messenger/Instagram is_echo): recorded as ours
	// Choice is the id of the choice pressed in one of our interactive messages (WhatsApp
	// button_reply/list_reply id, Messenger quick_reply payload, Telegram callback data).
	Choice string
	// CallbackID is a Telegram callback query to answer (answerCallbackQuery).
	CallbackID string
	// Raw is the provider's JSON of this message, kept for the record if it cannot be stored.
	Raw []byte
}

// Reject is an item of a verified delivery that cannot become a message or a status (malformed,
// or without the ids it would be stored under). It is recorded, never dropped silently, and the
// rest of the delivery is stored.
type Reject struct {
	ExternalID string // the provider's id, when it could be read
	SenderID   string
	Reason     string
	Raw        []byte // the provider's JSON of the item
}

// Media is an attachment as a provider announces it: a reference to fetch, not the bytes.
type Media struct {
	Kind     string // image, document, video, audio, sticker, location
	Ref      string // provider media id, file_id, or URL
	Name     string
	MimeType string
	Size     int64
	Caption  string
	// Location, when Kind is "location".
	Latitude, Longitude float64
}

// Status is a delivery status for one of our messages.
type Status struct {
	ExternalID string // the provider id of our message
	Status     wire.MessageStatus
	At         time.Time
	Err        *SendError // set when Status is failed
}

// Webhook is everything one delivery carried.
type Webhook struct {
	AccountID string // which of our numbers/pages/bots it was for (phone_number_id, page id, …)
	Messages  []Inbound
	Statuses  []Status
	Rejects   []Reject
}

// Outbound is what an agent sends.
type Outbound struct {
	To       string // SenderID of the customer
	Text     string
	Media    *OutboundMedia
	Template *Template
	// HumanAgent sends with Messenger/Instagram's HUMAN_AGENT tag (7-day window).
	HumanAgent bool
	// IdempotencyKey identifies this send; adapters pass it on where the provider has one.
	IdempotencyKey string
	// Interactive is a chatbot flow's question with choices, shown the channel's native way
	// (Text is the question).
	Interactive *wire.Interactive
}

// OutboundMedia is a file to send: uploaded the provider's documented way.
type OutboundMedia struct {
	Kind     string // image, document, video, audio
	Name     string
	MimeType string
	Size     int64
	Open     func() (io.ReadCloser, error)
	Caption  string
}

// Template is an approved WhatsApp template with its parameters.
type Template struct {
	Name       string
	Language   string
	BodyParams []string
	// ParamNames are a NAMED template's placeholder names, one per BodyParams entry; empty for
	// a positional template.
	ParamNames []string
}

// Sent is the provider's acceptance of a send.
type Sent struct {
	ExternalID string
}

// SendError is a failed send, classified. Retry says that trying again later can succeed and
// cannot send twice: the provider said so (throughput limits, a 5xx whose body says it is
// transient) or the request provably never reached it (see Do). Unknown says the provider may
// have acted on it (no answer after the whole request had left, or an answer that cannot be
// read): whether the customer got the message is unknown, and it is never sent again by itself.
// Neither: a refusal that needs a person (window closed, undeliverable, bad template).
type SendError struct {
	HTTPStatus int
	Code       int    // the provider's error code (e.g. 131047)
	Title      string // for logs and the UI; decisions use Code
	Detail     string
	Retry      bool
	Unknown    bool
	RetryAfter time.Duration // when the provider says
}

func (e *SendError) Error() string {
	return fmt.Sprintf("channels: provider refused (http %d, code %d): %s %s", e.HTTPStatus, e.Code, e.Title, e.Detail)
}

// AsSendError extracts a *SendError.
func AsSendError(err error) (*SendError, bool) {
	var se *SendError
	ok := errors.As(err, &se)
	return se, ok
}

// Sender sends messages on one channel account.
type Sender interface {
	Send(ctx context.Context, m Outbound) (Sent, error)
}

// Fetcher downloads an inbound attachment through the provider's documented steps.
type Fetcher interface {
	Fetch(ctx context.Context, m Media) (io.ReadCloser, string, error) // body, MIME type
}

// ErrBadSignature is a webhook whose signature does not match: answered 401, never parsed.
var ErrBadSignature = errors.New("channels: bad webhook signature")

// CapBody fails a download that runs past limit bytes with tooLarge, instead of truncating it
// silently (a cut-off file would look whole).
func CapBody(r io.ReadCloser, limit int64, tooLarge error) io.ReadCloser {
	return &cappedBody{r: r, left: limit, tooLarge: tooLarge}
}

type cappedBody struct {
	r        io.ReadCloser
	left     int64
	tooLarge error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte past the limit tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, b.tooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.r.Close() }

// WriteFilePart writes a file as the multipart field, streamed, and closes the form. More than
// limit bytes fails with tooLarge rather than sending a cut-off file.
func WriteFilePart(mw *multipart.Writer, field string, md OutboundMedia, file io.Reader, limit int64, tooLarge error) error {
	name := md.Name
	if name == "" {
		name = "file"
	}
	ctype := md.MimeType
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition(field, name))
	h.Set("Content-Type", ctype)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	n, err := io.Copy(part, io.LimitReader(file, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return tooLarge
	}
	return mw.Close()
}
