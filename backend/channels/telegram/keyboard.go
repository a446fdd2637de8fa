package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"santral/backend/channels"
	"santral/backend/wire"
)

// Inline keyboards (a chatbot flow's questions): one button per row, each carrying our choice
// id as callback_data (1–64 bytes: an id, never the title, whose Turkish letters count double).
// The press arrives as a callback_query update, which the bot answers with answerCallbackQuery
// so the customer's app stops showing progress (sendmessage_inline_keyboard_request.json,
// update_callback_query.json, answercallbackquery_request.json).

const maxCallbackData = 64

type inlineKeyboardMarkup struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

func inlineKeyboard(it *wire.Interactive) (*inlineKeyboardMarkup, error) {
	if it == nil || it.Style != wire.StyleInlineKeyboard {
		return nil, nil
	}
	m := &inlineKeyboardMarkup{}
	for _, c := range it.Choices {
		if c.Title == "" || c.ID == "" || len(c.ID) > maxCallbackData {
			return nil, refuse("inline keyboard button", fmt.Sprintf("%q: callback data is 1 to %d bytes", c.ID, maxCallbackData))
		}
		m.InlineKeyboard = append(m.InlineKeyboard, []inlineButton{{Text: c.Title, CallbackData: c.ID}})
	}
	if len(m.InlineKeyboard) == 0 {
		return nil, refuse("inline keyboard without buttons", "")
	}
	return m, nil
}

// AnswerCallback acknowledges a button press (answerCallbackQuery with its id).
func (c *Client) AnswerCallback(ctx context.Context, callbackID string) error {
	body, err := json.Marshal(struct {
		CallbackQueryID string `json:"callback_query_id"`
	}{callbackID})
	if err != nil {
		return err
	}
	var ok bool
	return c.do(ctx, "answerCallbackQuery", "application/json", bytes.NewReader(body), nil, &ok)
}

type callbackQuery struct {
	ID      string `json:"id"`
	From    *user  `json:"from"`
	Message *struct {
		Chat *chat `json:"chat"`
	} `json:"message"`
	Data string `json:"data"`
}

// parseCallback turns a press of one of our inline buttons into the customer's message: its
// callback data is the choice (and, until the flow names the choice's title, the text); the
// update_id dedupes it like any update; CallbackID asks for the press to be answered.
func parseCallback(body json.RawMessage, id string, raw []byte) channels.Webhook {
	var q *callbackQuery
	if err := json.Unmarshal(body, &q); err != nil || q == nil {
		return channels.Webhook{Rejects: []channels.Reject{{ExternalID: id, Reason: "malformed callback query", Raw: raw}}}
	}
	var chatID int64
	if q.Message != nil && q.Message.Chat != nil {
		chatID = q.Message.Chat.ID
	}
	if chatID == 0 || q.Data == "" {
		// A press on a message sent in inline mode (no chat) or a game's button: not one of our
		// questions, nothing to route.
		return channels.Webhook{}
	}
	if q.ID == "" {
		return channels.Webhook{Rejects: []channels.Reject{{ExternalID: id, Reason: "callback query without id", Raw: raw}}}
	}
	in := channels.Inbound{ExternalID: id, SenderID: fmt.Sprint(chatID), Body: q.Data, Choice: q.Data, CallbackID: q.ID, Raw: raw}
	if q.From != nil {
		in.Name = displayName(*q.From)
	}
	return channels.Webhook{Messages: []channels.Inbound{in}}
}
