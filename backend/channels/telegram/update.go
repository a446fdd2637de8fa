// Package telegram is the Telegram Bot API adapter: webhook updates authenticated by the
// secret_token header, sends through sendMessage/sendPhoto/sendDocument/sendVideo/sendAudio, and
// downloads through getFile.
package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"santral/backend/channels"
)

// VerifySecret checks the X-Telegram-Bot-Api-Secret-Token header against the secret_token given
// to setWebhook. Both sides are hashed first so the comparison takes the same time whatever
// their lengths.
func VerifySecret(header, secret string) error {
	if secret == "" || header == "" {
		return channels.ErrBadSignature
	}
	got, want := sha256.Sum256([]byte(header)), sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return channels.ErrBadSignature
	}
	return nil
}

// update is decoded in two steps: the envelope, then its message, so a message that does not
// decode is recorded under the update's id instead of refusing the update.
type update struct {
	UpdateID      *int64          `json:"update_id"`
	Message       json.RawMessage `json:"message"`
	EditedMessage json.RawMessage `json:"edited_message"`
	CallbackQuery json.RawMessage `json:"callback_query"`
}

type user struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID int64 `json:"id"`
	user
}

type file struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
}

type photoSize struct {
	file
	Width  int `json:"width"`
	Height int `json:"height"`
}

type message struct {
	MessageID int64       `json:"message_id"`
	From      *user       `json:"from"`
	Chat      *chat       `json:"chat"`
	Date      int64       `json:"date"`
	EditDate  int64       `json:"edit_date"`
	Text      string      `json:"text"`
	Caption   string      `json:"caption"`
	Photo     []photoSize `json:"photo"`
	Document  *file       `json:"document"`
	Video     *file       `json:"video"`
	VideoNote *file       `json:"video_note"`
	Audio     *file       `json:"audio"`
	Voice     *file       `json:"voice"`
	Sticker   *struct {
		file
		IsAnimated bool `json:"is_animated"`
		IsVideo    bool `json:"is_video"`
	} `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location"`
	Contact *struct {
		PhoneNumber string `json:"phone_number"`
		FirstName   string `json:"first_name"`
		LastName    string `json:"last_name"`
	} `json:"contact"`
	ReplyToMessage *struct {
		MessageID int64 `json:"message_id"`
	} `json:"reply_to_message"`
}

var errMalformed = errors.New("telegram: malformed update")

// ParseUpdate turns one webhook update into a Webhook with at most one message. ExternalID is
// the update_id (Telegram's redelivery dedupe key; message_id is only unique within a chat),
// "u<update_id>" for an edited message; SenderID is the chat id, the conversation key. ReplyTo
// is the replied-to message_id, which is what Send returns for our messages. AccountID stays
// empty: an update does not name its bot, the webhook URL does. Update kinds other than
// message and edited_message, and messages carrying nothing Santral shows (service messages,
// polls, dice), give an empty Webhook and no error; a message without a chat id becomes a Reject.
func ParseUpdate(raw []byte) (channels.Webhook, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return channels.Webhook{}, fmt.Errorf("telegram: unable to parse update: %w", err)
	}
	if u.UpdateID == nil {
		return channels.Webhook{}, fmt.Errorf("%w: no update_id", errMalformed)
	}
	body, id := u.Message, fmt.Sprint(*u.UpdateID)
	if isNull(body) && isNull(u.EditedMessage) && !isNull(u.CallbackQuery) {
		return parseCallback(u.CallbackQuery, id, raw), nil
	}
	if isNull(body) && !isNull(u.EditedMessage) {
		body, id = u.EditedMessage, "u"+id
	}
	if isNull(body) {
		return channels.Webhook{}, nil
	}
	var m *message
	if err := json.Unmarshal(body, &m); err != nil {
		return channels.Webhook{Rejects: []channels.Reject{{ExternalID: id, Reason: "malformed message: " + err.Error(), Raw: raw}}}, nil
	}
	if m == nil || m.Chat == nil || m.Chat.ID == 0 {
		// Nothing to route it by: recorded, and the update is still acknowledged (a refusal
		// would have Telegram redeliver it, and hold back the bot's later updates, for hours).
		return channels.Webhook{Rejects: []channels.Reject{{ExternalID: id, Reason: "message without chat id", Raw: raw}}}, nil
	}
	in := channels.Inbound{
		ExternalID: id,
		SenderID:   fmt.Sprint(m.Chat.ID),
		Body:       m.Text,
		Raw:        raw,
	}
	if m.Date > 0 {
		in.At = time.Unix(m.Date, 0).UTC()
	}
	if m.EditDate != 0 {
		in.At = time.Unix(m.EditDate, 0).UTC()
	}
	if in.Body == "" {
		in.Body = m.Caption
	}
	if m.From != nil {
		in.Name = displayName(*m.From)
	}
	if in.Name == "" {
		in.Name = displayName(m.Chat.user)
	}
	if m.ReplyToMessage != nil && m.ReplyToMessage.MessageID != 0 {
		in.ReplyTo = fmt.Sprint(m.ReplyToMessage.MessageID)
	}
	in.Attachments = attachments(m)
	if c := m.Contact; c != nil && in.Body == "" {
		in.Body = strings.TrimSpace(strings.TrimSpace(c.FirstName+" "+c.LastName) + " " + c.PhoneNumber)
	}
	if in.Body == "" && len(in.Attachments) == 0 {
		return channels.Webhook{}, nil
	}
	return channels.Webhook{Messages: []channels.Inbound{in}}, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func displayName(u user) string {
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		return name
	}
	return u.Username
}

func attachments(m *message) []channels.Media {
	var out []channels.Media
	add := func(kind string, f *file) {
		if f != nil && f.FileID != "" {
			out = append(out, channels.Media{Kind: kind, Ref: f.FileID, Name: f.FileName, MimeType: f.MimeType, Size: f.FileSize})
		}
	}
	// photo lists the sizes smallest to largest; pick by area rather than trust the order.
	var best *photoSize
	for i := range m.Photo {
		p := &m.Photo[i]
		if p.FileID != "" && (best == nil || p.Width*p.Height >= best.Width*best.Height) {
			best = p
		}
	}
	if best != nil {
		out = append(out, channels.Media{Kind: "image", Ref: best.FileID, MimeType: "image/jpeg", Size: best.FileSize})
	}
	// An animation (GIF) comes with a document copy too: the document carries it.
	add("document", m.Document)
	add("video", m.Video)
	add("video", m.VideoNote)
	add("audio", m.Audio)
	add("audio", m.Voice)
	if s := m.Sticker; s != nil && s.FileID != "" {
		mt := "image/webp"
		switch {
		case s.IsAnimated:
			mt = "application/x-tgsticker"
		case s.IsVideo:
			mt = "video/webm"
		}
		out = append(out, channels.Media{Kind: "sticker", Ref: s.FileID, MimeType: mt, Size: s.FileSize})
	}
	if l := m.Location; l != nil {
		out = append(out, channels.Media{Kind: "location", Latitude: l.Latitude, Longitude: l.Longitude})
	}
	return out
}
