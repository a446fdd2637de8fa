// Package webchat holds the website chat widget: the script shops embed, the messages it
// exchanges with santrald over its WebSocket, and the visitor identity and file rules.
package webchat

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"mime"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"santral/backend/wire"
)

// Script is widget.js, served at GET /widget.js.
//
//go:embed widget.js
var Script []byte

// MaxFileSize is the largest file a visitor may upload.
const MaxFileSize = 10 << 20

// Session is the visitor identity POST /webchat/session issues or re-confirms.
type Session struct {
	VisitorID     string `json:"visitor_id"`
	VisitorSecret string `json:"visitor_secret"`
	Name          string `json:"name,omitempty"`
	New           bool   `json:"new"` // a fresh identity: the one sent (if any) was unknown or wrong
}

// SessionRequest asks for an identity; the stored one is sent back to keep it. Name, email and
// phone are what the visitor (or the shop's page, for a logged-in customer) gave: kept on the
// visitor and on the customer's contact; empty ones keep what was given before.
type SessionRequest struct {
	VisitorID     string `json:"visitor_id,omitempty"`
	VisitorSecret string `json:"visitor_secret,omitempty"`
	Name          string `json:"name,omitempty"`
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"`
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{2,30}$`)

// Check trims what the visitor gave and refuses what cannot be a name, an e-mail address or a
// phone number (the visitor is there to correct it).
func (r *SessionRequest) Check() error {
	r.Name, r.Email, r.Phone = strings.TrimSpace(r.Name), strings.TrimSpace(r.Email), strings.TrimSpace(r.Phone)
	if utf8.RuneCountInString(r.Name) > 100 || strings.ContainsFunc(r.Name, unicode.IsControl) {
		return wire.Invalid("name", "the name can be at most 100 characters on one line")
	}
	if r.Email != "" {
		addr, err := mail.ParseAddress(r.Email)
		if err != nil || addr.Address != r.Email || len(r.Email) > 254 {
			return wire.Invalid("email", "not an e-mail address")
		}
	}
	if r.Phone != "" && !phonePattern.MatchString(r.Phone) {
		return wire.Invalid("phone", "not a phone number")
	}
	return nil
}

// File is an uploaded file as the widget sees it; Key goes back in a message to send it.
type File struct {
	wire.Attachment
	Key string `json:"key"`
}

// ClientFrame is what the widget sends on the socket. The first frame is "auth": the visitor's
// identity and the last message id the widget has, sent in the socket rather than its URL
// (proxies and access logs keep URLs). Then "message" frames.
type ClientFrame struct {
	Type          string `json:"type"` // auth | message
	VisitorID     string `json:"visitor_id,omitempty"`
	VisitorSecret string `json:"visitor_secret,omitempty"`
	After         int64  `json:"after,omitempty"`
	ID            string `json:"id,omitempty"` // the widget's message id: a resend stores once
	Text          string `json:"text,omitempty"`
	Attachments   []File `json:"attachments,omitempty"`
	// Choice is the id of a chatbot flow's button the visitor pressed (Text is its title).
	Choice string `json:"choice,omitempty"`
}

// ServerFrame is what santrald sends on the socket: a message of the conversation (the
// visitor's own, echoed so every open tab shows it, or an agent's), an ack, or an error.
type ServerFrame struct {
	Type        string            `json:"type"` // ready | message | ack | error
	ID          any               `json:"id,omitempty"`
	Direction   string            `json:"direction,omitempty"` // in: from the visitor; out: from an agent
	Text        string            `json:"text,omitempty"`
	Attachments []wire.Attachment `json:"attachments,omitempty"`
	ClientID    string            `json:"client_id,omitempty"`
	At          int64             `json:"at,omitempty"`
	Code        wire.Code         `json:"code,omitempty"`
	Message     string            `json:"message,omitempty"`
	// Choices are a chatbot flow's buttons under its question: pressing one sends a message
	// with its title as text and its id as choice.
	Choices []wire.InteractiveChoice `json:"choices,omitempty"`
}

var (
	visitorPattern  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// NewSecret returns a random 128-bit hex token.
func NewSecret() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// HashSecret is what the store keeps of a visitor secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a secret with its stored hash in constant time.
func SecretMatches(secret, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(hash)) == 1
}

// ValidVisitorID reports whether id has the shape santrald issues.
func ValidVisitorID(id string) bool { return visitorPattern.MatchString(id) }

// ValidClientID reports whether a widget message id is acceptable.
func ValidClientID(id string) bool { return clientIDPattern.MatchString(id) }

// ExternalID is the stored message id of a widget message: the same client id twice stores once.
func ExternalID(visitorID, clientID string) string { return "wc-" + visitorID + "-" + clientID }

// ClientIDOf returns the widget's id of a visitor's stored message ("" for others).
func ClientIDOf(visitorID, externalID string) string {
	return strings.TrimPrefix(externalID, "wc-"+visitorID+"-")
}

// allowed are the file types a visitor may send: images, PDF and common office documents.
var allowed = map[string]string{
	"image/jpeg": "image", "image/png": "image", "image/gif": "image", "image/webp": "image",
	"application/pdf": "document", "text/plain": "document", "text/csv": "document",
	"application/msword": "document",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
	"application/vnd.ms-excel": "document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
	"application/vnd.oasis.opendocument.text":                           "document",
	"application/vnd.oasis.opendocument.spreadsheet":                    "document",
}

// Classify returns a file's attachment kind and mime type from its declared type or, failing
// that, its name; ok is false for a type visitors may not send.
func Classify(name, declared string) (kind, mimeType string, ok bool) {
	if mt, _, err := mime.ParseMediaType(declared); err == nil {
		if k, found := allowed[mt]; found {
			return k, mt, true
		}
	}
	if mt, _, err := mime.ParseMediaType(mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))); err == nil {
		if k, found := allowed[mt]; found {
			return k, mt, true
		}
	}
	return "", "", false
}
