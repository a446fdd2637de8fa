package app

// The inbox and the conversation actions. Each action is one server call: the server decides
// (who may pull, transfer, end, take up; the queue order; the window) and the stream brings the
// outcome to the cache. A refusal reaches the UI with the server's code.

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"santral/app/cache"
	"santral/app/client"
	"santral/backend/quick"
	"santral/backend/wire"
)

// Inbox reads the main screen from the cache.
func (a *App) Inbox() (Inbox, error) {
	c, me, err := a.cached()
	if err != nil {
		return Inbox{}, uiError(err)
	}
	l, err := c.Lists(me.ID)
	if err != nil {
		return Inbox{}, uiError(err)
	}
	in := Inbox{Queue: l.Queue, Offers: l.Offers, Agents: l.Agents, EndReasons: l.EndReasons, QuickMessages: l.QuickMessages,
		Workspace: l.Workspace, Mine: []InboxItem{}, ServerTime: a.now()}
	for _, h := range l.Mine {
		in.Mine = append(in.Mine, InboxItem{Conversation: h.Conversation, Unread: h.Unread})
		in.UnreadTotal += h.Unread
	}
	return in, nil
}

// unreadable reports a refusal that means "you may not read this conversation (any more)".
func unreadable(err error) bool {
	switch wire.CodeOf(err) {
	case wire.CodeNotHolder, wire.CodeForbidden, wire.CodeNotFound:
		return true
	}
	return false
}

// OpenConversation shows a conversation: fresh from the server when it answers, from the cache
// otherwise. It is marked read. A conversation the server no longer lets this user read (another
// agent holds it now) opens as its cached routing fields, the refusal and this app's unsent
// replies to it — never its messages.
func (a *App) OpenConversation(id int64) (ConversationView, error) {
	c, _, err := a.cached()
	if err != nil {
		return ConversationView{}, uiError(err)
	}
	cl, _, _, _ := a.session()
	a.mu.Lock()
	a.open = id
	eng := a.engine
	a.mu.Unlock()
	if eng != nil {
		eng.SetOpen(id)
	}
	c.MarkRead(id)
	defer a.refreshTitle()
	cx, cancel := ctx()
	defer cancel()
	v := ConversationView{}
	var d wire.ConversationDetail
	err = client.ErrOffline
	if cl != nil {
		d, err = cl.Conversation(cx, id)
	}
	switch {
	case err == nil:
		c.PutDetail(d)
	case errors.Is(err, client.ErrOffline):
		var ok bool
		if d, ok, err = c.Detail(id); err != nil || !ok {
			return v, uiError(&wire.Error{Code: client.CodeOffline, Message: "this conversation is not available offline"})
		}
		v.FromCache = true
		if d.Conversation.Redacted {
			v.Refused = &wire.Error{Code: wire.CodeNotHolder, Message: "another agent holds this conversation now"}
		}
	case unreadable(err):
		cached, ok, _ := c.Detail(id)
		if !ok {
			return v, uiError(err)
		}
		d = wire.ConversationDetail{Conversation: cached.Conversation}
		v.Refused = client.AsError(err)
	default:
		return v, uiError(err)
	}
	v.Conversation, v.Messages, v.Timeline, v.Earlier, v.PendingOffer = d.Conversation, d.Messages, d.Timeline, d.Earlier, d.PendingOffer
	v.WindowClosesAt = d.WindowClosesAt
	v.Attributes, v.FlowRuns = d.Attributes, d.FlowRuns
	if v.WindowClosesAt == 0 {
		v.WindowClosesAt = d.Conversation.WindowClosesAt
	}
	if v.Refused != nil {
		v.Messages, v.Timeline, v.Earlier, v.PendingOffer, v.WindowClosesAt = nil, nil, nil, nil, 0
		v.Conversation.LastMessagePreview = ""
	}
	if v.Refused != nil {
		v.Attributes, v.FlowRuns = nil, nil
	}
	if v.Attributes == nil {
		v.Attributes = map[string]string{}
	}
	if v.FlowRuns == nil {
		v.FlowRuns = []wire.FlowRunSummary{}
	}
	if v.Messages == nil {
		v.Messages = []wire.Message{}
	}
	if v.Timeline == nil {
		v.Timeline = []wire.TimelineEntry{}
	}
	if v.Earlier == nil {
		v.Earlier = []wire.Conversation{}
	}
	if v.Tags = d.Tags; v.Tags == nil || v.Refused != nil {
		v.Tags = []wire.Tag{}
	}
	unsent, _ := c.Unsent(id)
	v.Outbox = []OutboxItem{}
	for _, e := range unsent {
		v.Outbox = append(v.Outbox, outboxItem(e))
	}
	return v, nil
}

// call is a server action: the server decides, the stream brings the outcome to the cache.
func (a *App) call(method, path string, body, out any) error {
	cl, _, _, err := a.session()
	if err != nil {
		return uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	return uiError(cl.Do(cx, method, path, body, out))
}

// Pull takes the oldest conversation from the queue.
func (a *App) Pull() (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", "/api/v1/queue/pull", nil, &c)
}

// Transfer offers a conversation to another online agent with a note.
func (a *App) Transfer(conversationID, toAgentID int64, note string) (wire.TransferOffer, error) {
	var o wire.TransferOffer
	return o, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conversationID), wire.TransferRequest{ToAgentID: toAgentID, Note: note}, &o)
}

// AcceptTransfer accepts an offer addressed to the user.
func (a *App) AcceptTransfer(offerID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", offerID), nil, &c)
}

// RejectTransfer declines an offer.
func (a *App) RejectTransfer(offerID int64) error {
	return a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", offerID), nil, nil)
}

// CancelTransfer takes back an offer the user sent.
func (a *App) CancelTransfer(offerID int64) error {
	return a.call("POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", offerID), nil, nil)
}

// End ends a conversation with a reason (0: none chosen; the server says one is required).
func (a *App) End(conversationID, endReasonID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/end", conversationID), wire.EndRequest{EndReasonID: endReasonID}, &c)
}

// TakeUp starts an ended conversation again.
func (a *App) TakeUp(conversationID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", conversationID), nil, &c)
}

// History searches the history or ended tab (online only: the server holds the history).
func (a *App) History(q HistoryQuery) (wire.ConversationPage, error) {
	v := url.Values{}
	view := q.View
	if view != ViewEnded {
		view = ViewHistory
	}
	v.Set("view", string(view))
	for k, s := range map[string]string{"q": q.Text, "customer": q.Customer, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	// Dates are the agent's local days; the server takes instants (unix ms). "To" is inclusive.
	for k, day := range map[string]string{"from": q.From, "to": q.To} {
		if day == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", day, time.Local)
		if err != nil {
			return wire.ConversationPage{Conversations: []wire.Conversation{}}, uiError(wire.Invalid(k, "%s must be a date (YYYY-MM-DD)", k))
		}
		if k == "to" {
			t = t.AddDate(0, 0, 1)
		}
		v.Set(k, fmt.Sprint(t.UnixMilli()))
	}
	for k, n := range map[string]int64{"channel_id": q.ChannelID, "agent_id": q.AgentID, "end_reason_id": q.EndReasonID, "tag_id": q.TagID} {
		if n != 0 {
			v.Set(k, fmt.Sprint(n))
		}
	}
	var page wire.ConversationPage
	err := a.call("GET", "/api/v1/conversations?"+v.Encode(), nil, &page)
	if page.Conversations == nil {
		page.Conversations = []wire.Conversation{}
	}
	return page, err
}

// RenderQuickMessage fills a quick message's variables for a conversation, from the cache so it
// works offline (the variables are backend/quick's, the same code the server runs).
func (a *App) RenderQuickMessage(conversationID, quickMessageID int64) (string, error) {
	c, me, err := a.cached()
	if err != nil {
		return "", uiError(err)
	}
	q, ok := c.QuickMessage(quickMessageID)
	if !ok {
		return "", uiError(wire.Errorf(wire.CodeNotFound, "quick message not found"))
	}
	return quick.Render(q.Body, quickVars(c, me, conversationID)), nil
}

// QuickMessagePreviews is every cached quick message filled in for one conversation, by id: the
// composer's popup shows the text as it would be sent, not its {{customer.name}} variables.
func (a *App) QuickMessagePreviews(conversationID int64) (map[int64]string, error) {
	c, me, err := a.cached()
	if err != nil {
		return map[int64]string{}, uiError(err)
	}
	list, err := c.QuickMessages()
	if err != nil {
		return map[int64]string{}, uiError(err)
	}
	vars := quickVars(c, me, conversationID)
	out := make(map[int64]string, len(list))
	for _, q := range list {
		out[q.ID] = quick.Render(q.Body, vars)
	}
	return out, nil
}

// quickVars are the values a quick message may refer to in one conversation, from the cache.
func quickVars(c *cache.Cache, me wire.User, conversationID int64) quick.Vars {
	vars := quick.Vars{AgentName: me.DisplayName}
	if d, ok, _ := c.Detail(conversationID); ok {
		vars.CustomerName, vars.CustomerPhone = d.Conversation.Contact.Name, d.Conversation.Contact.Phone
	}
	return vars
}

// Templates lists the approved templates of a conversation's channel, each marked paid or free
// by the server as of now.
func (a *App) Templates(conversationID int64) ([]wire.Template, error) {
	var list []wire.Template
	err := a.call("GET", fmt.Sprintf("/api/v1/conversations/%d/templates", conversationID), nil, &list)
	if list == nil {
		list = []wire.Template{}
	}
	return list, err
}

// SendTemplate sends an approved template with its parameters (the only message a closed
// window allows).
func (a *App) SendTemplate(conversationID, templateID int64, params []string) (wire.Message, error) {
	if params == nil {
		params = []string{}
	}
	var m wire.Message
	return m, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/template", conversationID),
		wire.SendTemplateRequest{TemplateID: templateID, Params: params, IdempotencyKey: newKey()}, &m)
}
