package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"santral/backend/routing"
	"santral/backend/wire"
)

var validateUser = routing.ValidateUser

func (a *API) readableConversation(r *http.Request, u wire.User) (wire.Conversation, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return wire.Conversation{}, err
	}
	c, err := a.store.Conversation(r.Context(), id)
	if err != nil {
		return c, err
	}
	if !routing.CanRead(u, c, a.offeredTo(r.Context(), c)) {
		return c, wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
	}
	return c, nil
}

// offeredTo is the receiver of the conversation's pending transfer offer (0: none).
func (a *API) offeredTo(ctx context.Context, c wire.Conversation) int64 {
	if c.PendingOfferID == nil {
		return 0
	}
	if o, err := a.store.Offer(ctx, *c.PendingOfferID); err == nil && o.State == wire.OfferPending {
		return o.ToAgentID
	}
	return 0
}

// page answers a list of conversations, with the fields the rules derive.
func (a *API) page(w http.ResponseWriter, r *http.Request, p wire.ConversationPage) error {
	if err := a.routing.Summaries(r.Context(), p.Conversations); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// listConversations serves the inbox tabs: view=mine (default), queue, history, ended.
func (a *API) listConversations(w http.ResponseWriter, r *http.Request, u wire.User) error {
	q := r.URL.Query()
	switch view := q.Get("view"); view {
	case "", "mine":
		list, err := a.store.HeldBy(r.Context(), u.ID)
		if err != nil {
			return err
		}
		return a.page(w, r, wire.ConversationPage{Conversations: list})
	case "queue":
		list, err := a.store.Queue(r.Context(), 500)
		if err != nil {
			return err
		}
		return a.page(w, r, wire.ConversationPage{Conversations: list})
	case "history", "ended":
		f, err := historyFilter(r)
		if err != nil {
			return err
		}
		if view == "ended" {
			f.State = wire.Ended
		}
		viewer := u.ID
		if u.Role.Staff() {
			viewer = 0
		}
		page, err := a.store.History(r.Context(), f, viewer)
		if err != nil {
			return err
		}
		return a.page(w, r, page)
	default:
		return wire.Invalid("view", "view must be mine, queue, history or ended")
	}
}

func historyFilter(r *http.Request) (wire.HistoryFilter, error) {
	q := r.URL.Query()
	f := wire.HistoryFilter{Text: q.Get("q"), Customer: q.Get("customer"), Cursor: q.Get("cursor")}
	if len(f.Text) > 200 || len(f.Customer) > 100 {
		return f, wire.Invalid("q", "the search text is too long")
	}
	var err error
	for name, dst := range map[string]*int64{"channel_id": &f.ChannelID, "agent_id": &f.AgentID, "end_reason_id": &f.EndReasonID, "tag_id": &f.TagID} {
		if *dst, err = queryInt(r, name); err != nil {
			return f, err
		}
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return f, err
	}
	f.Limit = int(limit)
	if f.From, err = queryTime(r, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return f, err
	}
	return f, nil
}

// queryTime reads a time as unix milliseconds, RFC 3339, or a date (YYYY-MM-DD, UTC).
func queryTime(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, wire.Invalid(name, "%s must be a date (2026-11-26), an RFC 3339 time or unix milliseconds", name)
}

func (a *API) pull(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.routing.Pull(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := wire.ConversationDetail{Conversation: c}
	// The newest 1,000; older ones page in through GET …/messages?after=.
	if d.Messages, err = a.store.LatestMessages(ctx, c.ID, 1000); err != nil {
		return err
	}
	if d.Timeline, err = a.store.Timeline(ctx, c.ID); err != nil {
		return err
	}
	if d.Tags, err = a.store.ConversationTags(ctx, c.ID); err != nil {
		return err
	}
	earlier, err := a.store.ContactConversations(ctx, c.Contact.ID, 21)
	if err != nil {
		return err
	}
	// Each earlier conversation as this reader may see it: one another agent holds now shows
	// who holds it, not what was said.
	d.Earlier = []wire.Conversation{}
	for _, e := range earlier {
		if e.ID != c.ID {
			d.Earlier = append(d.Earlier, routing.ForReader(u, e, a.offeredTo(ctx, e)))
		}
	}
	if err := a.routing.Summaries(ctx, d.Earlier); err != nil {
		return err
	}
	if d.PendingOffer, err = a.store.PendingOffer(ctx, c.ID); err != nil {
		return err
	}
	ch, err := a.store.ChannelRow(ctx, c.Channel.ID)
	if err != nil {
		return err
	}
	d.WindowClosesAt = routing.FreeFormUntil(ch, c.LastInboundAt)
	d.Conversation.WindowClosesAt = d.WindowClosesAt
	attrs, err := a.routing.ConversationAttributes(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(attrs.Attributes) > 0 {
		d.Attributes = attrs.Attributes
	}
	if len(attrs.Runs) > 0 {
		d.FlowRuns = attrs.Runs
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit == 0 || limit > 1000 {
		limit = 1000
	}
	list, err := a.store.Messages(r.Context(), c.ID, after, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) sendMessage(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.SendMessageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := a.routing.Reply(r.Context(), u.ID, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (a *API) transfer(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.TransferRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	o, err := a.routing.Transfer(r.Context(), u.ID, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

func (a *API) end(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.EndRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := a.routing.End(r.Context(), u, id, req.EndReasonID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) takeUp(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.routing.TakeUp(r.Context(), u.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) returnToQueue(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.routing.ReturnToQueue(r.Context(), u.ID, id); err != nil {
		return err
	}
	c, err := a.store.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) listTransfers(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.OffersFor(r.Context(), u.ID, u.Role.Staff())
	if err != nil {
		return err
	}
	if err := a.routing.OfferCustomers(r.Context(), list); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) getTransfer(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.store.Offer(r.Context(), id)
	if err != nil {
		return err
	}
	if !u.Role.Staff() && o.FromAgentID != u.ID && o.ToAgentID != u.ID {
		return wire.Errorf(wire.CodeNotFound, "transfer offer not found")
	}
	one := []wire.TransferOffer{o}
	if err := a.routing.OfferCustomers(r.Context(), one); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, one[0])
}

func (a *API) acceptTransfer(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.routing.Accept(r.Context(), u.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) rejectTransfer(w http.ResponseWriter, r *http.Request, u wire.User) error {
	return a.resolveTransfer(w, r, u, a.routing.Reject)
}

func (a *API) cancelTransfer(w http.ResponseWriter, r *http.Request, u wire.User) error {
	return a.resolveTransfer(w, r, u, a.routing.Cancel)
}

func (a *API) resolveTransfer(w http.ResponseWriter, r *http.Request, u wire.User, fn func(ctx context.Context, agentID, offerID int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := fn(r.Context(), u.ID, id); err != nil {
		return err
	}
	o, err := a.store.Offer(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}
