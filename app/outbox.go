package app

// Replies: stored in the cache's outbox first (durable before the UI shows them), delivered by
// the sync engine exactly once. While connected a reply is sent at once and the Send binding
// waits for the server's answer, so a refusal (not_holder after a transfer was accepted,
// window_closed, …) comes back to the screen the agent typed it on — it is never shown as
// "waiting for the connection" while there is one.

import (
	"strings"
	"time"

	"santral/app/cache"
	"santral/backend/wire"
)

// sendWait bounds how long Send waits for the server's answer to a reply sent while connected;
// a slower answer arrives as an "outbox" event.
const sendWait = 10 * time.Second

// OutboxEvent is the payload of the "outbox" UI event: a reply's new state, and the name of
// its conversation so a refusal can be shown by name when that conversation is not on screen.
type OutboxEvent struct {
	Item         OutboxItem `json:"item"`
	Conversation string     `json:"conversation"`
}

func outboxItem(e cache.OutboxEntry) OutboxItem {
	return OutboxItem{Key: e.Key, ConversationID: e.ConversationID, Body: e.Body, State: e.State, Error: e.Error, CreatedAt: e.CreatedAt, MessageID: e.MessageID, Attachments: e.Attachments}
}

// Send queues a reply in the local outbox; the sync engine delivers it exactly once, now or
// when the connection returns.
func (a *App) Send(conversationID int64, body string) (OutboxItem, error) {
	return a.SendWithAttachments(conversationID, body, nil)
}

// SendWithAttachments queues a reply with files already uploaded (UploadFinish); the text may
// be empty when there is a file. While connected it returns once the server has answered (sent,
// or failed with the server's reason), or after sendWait still sending.
func (a *App) SendWithAttachments(conversationID int64, body string, attachments []wire.Attachment) (OutboxItem, error) {
	c, _, err := a.cached()
	if err != nil {
		return OutboxItem{}, uiError(err)
	}
	// Nothing to send is not a reply to store (the server would refuse it the same way).
	if strings.TrimSpace(body) == "" && len(attachments) == 0 {
		return OutboxItem{}, uiError(wire.Errorf(wire.CodeEmptyMessage, "a message needs text"))
	}
	for _, at := range attachments {
		if at.URL == "" || at.Kind == "" {
			return OutboxItem{}, uiError(wire.Invalid("attachments", "an attachment must be uploaded first"))
		}
	}
	if len(attachments) == 0 {
		attachments = nil
	}
	e := cache.OutboxEntry{Key: newKey(), ConversationID: conversationID, Body: body, State: cache.OutboxQueued, CreatedAt: a.now(), Attachments: attachments}
	answered := a.awaitAnswer(e.Key) // before the engine can see the entry
	defer a.forgetAnswer(e.Key)
	if err := c.Enqueue(e); err != nil {
		return OutboxItem{}, uiError(err)
	}
	a.kick()
	if a.connected() {
		select {
		case <-answered:
		case <-time.After(sendWait):
		}
	}
	if now, ok, _ := c.Entry(e.Key); ok {
		return outboxItem(now), nil
	}
	return outboxItem(e), nil
}

func (a *App) awaitAnswer(key string) <-chan struct{} {
	ch := make(chan struct{})
	a.mu.Lock()
	a.sending[key] = ch
	a.mu.Unlock()
	return ch
}

func (a *App) forgetAnswer(key string) {
	a.mu.Lock()
	delete(a.sending, key)
	a.mu.Unlock()
}

// onOutbox is the engine telling that a reply was sent or refused: a Send waiting on it
// returns, and the UI is told (with the conversation's name, for a notice when it is not on
// screen).
func (a *App) onOutbox(e cache.OutboxEntry) {
	a.mu.Lock()
	if ch, ok := a.sending[e.Key]; ok {
		close(ch)
		delete(a.sending, e.Key)
	}
	c := a.cache
	a.mu.Unlock()
	who := ""
	if c != nil {
		if d, ok, _ := c.Detail(e.ConversationID); ok {
			who = name(d.Conversation.Contact)
		}
	}
	a.emit("outbox", OutboxEvent{Item: outboxItem(e), Conversation: who})
	a.emit("conversation", map[string]int64{"id": e.ConversationID})
}

func (a *App) kick() {
	a.mu.Lock()
	eng := a.engine
	a.mu.Unlock()
	if eng != nil {
		eng.Kick()
	}
}

// RetrySend queues a failed reply again.
func (a *App) RetrySend(key string) error {
	c, _, err := a.cached()
	if err != nil {
		return uiError(err)
	}
	if err := c.Retry(key); err != nil {
		return uiError(err)
	}
	a.kick()
	return nil
}

// DiscardSend drops a reply that was not sent.
func (a *App) DiscardSend(key string) error {
	c, _, err := a.cached()
	if err != nil {
		return uiError(err)
	}
	return uiError(c.Discard(key))
}
