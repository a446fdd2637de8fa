package app

// What the user is told when applied events matter to them: OS notifications (assignment,
// transfer offer, a customer message while the window is not focused), the window's unread
// count, and the UI's redraw events.

import (
	"fmt"
	"strings"

	"santral/app/cache"
	"santral/app/notify"
	"santral/backend/wire"
)

// LeftEvent is the payload of the "conversation-left" UI event: a conversation that was mine is
// not any more, and how (cache.LeftTransferred, …). The UI locks its composer at once.
type LeftEvent struct {
	ID        int64  `json:"id"`
	Why       string `json:"why"`
	ToAgentID int64  `json:"to_agent_id,omitempty"`
}

// onEffects turns applied events into notifications and redraws.
func (a *App) onEffects(fx cache.Effects) {
	a.mu.Lock()
	focused, sound, lang := a.focused, a.settings.Preferences.Sound, a.settings.Preferences.Language
	c := a.cache
	if fx.MeChanged && c != nil {
		if me, ok, _ := c.Me(); ok {
			a.me = me
		}
	}
	a.mu.Unlock()
	t := texts[lang]
	for _, conv := range fx.AssignedToMe {
		a.notify(notify.Notification{Title: fmt.Sprintf(t.assigned, name(conv.Contact)), Body: conv.LastMessagePreview, ConversationID: conv.ID, Sound: sound})
	}
	for _, o := range fx.OffersToMe {
		from := ""
		if c != nil {
			if u, ok := c.Agent(o.FromAgentID); ok {
				from = u.DisplayName
			}
		}
		a.notify(notify.Notification{Title: fmt.Sprintf(t.offer, from), Body: offerBody(o), ConversationID: o.ConversationID, Sound: sound})
	}
	if !focused {
		for _, m := range fx.CustomerMessages {
			who := ""
			if c != nil {
				if d, ok, _ := c.Detail(m.ConversationID); ok {
					who = name(d.Conversation.Contact)
				}
			}
			a.notify(notify.Notification{Title: fmt.Sprintf(t.message, who), Body: m.Body, ConversationID: m.ConversationID, Sound: sound})
		}
	}
	a.offersFailed(fx.OffersFailed, c, focused, sound, lang)
	// Before the redraws: the UI locks a conversation that left me before it re-reads it.
	for _, l := range fx.Left {
		a.emit("conversation-left", LeftEvent{ID: l.ConversationID, Why: l.Why, ToAgentID: l.ToAgentID})
	}
	if fx.InboxChanged || fx.CatalogChanged {
		a.emit("inbox", nil)
	}
	seen := map[int64]bool{}
	for _, id := range fx.Conversations {
		if !seen[id] {
			seen[id] = true
			a.emit("conversation", map[string]int64{"id": id})
		}
	}
	if fx.MeChanged {
		a.emit("session", nil)
	}
	a.refreshTitle()
}

func (a *App) notify(n notify.Notification) {
	if a.cfg.Dashboard {
		return // the inbox window notifies; the dashboard only shows
	}
	if err := a.notifier.Notify(n); err != nil {
		a.log.Warn("notification failed", "err", err)
	}
}

func name(c wire.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	if c.Phone != "" {
		return c.Phone
	}
	return c.ExternalID
}

var texts = map[Language]struct{ assigned, offer, message string }{
	"tr": {"Yeni sohbet: %s", "Aktarım teklifi: %s", "%s yazdı"},
	"en": {"New conversation: %s", "Transfer offer from %s", "%s wrote"},
}

// openFromNotification brings the window forward on a conversation (a notification click or a
// second launch).
func (a *App) openFromNotification(convID int64) {
	a.log.Info("opening a conversation from a notification or a second launch", "conversation_id", convID)
	a.mu.Lock()
	sh := a.shell
	a.mu.Unlock()
	if sh != nil {
		sh.Show()
	}
	if convID != 0 { // 0: a second launch, which only brings the window forward
		a.emit("open-conversation", map[string]int64{"id": convID})
	}
}

// refreshTitle puts the unread count on the window.
func (a *App) refreshTitle() {
	a.mu.Lock()
	c, me, sh := a.cache, a.me.ID, a.shell
	a.mu.Unlock()
	if sh == nil {
		return
	}
	if a.cfg.Dashboard {
		sh.SetTitle(dashboardTitle(a.language()))
		return
	}
	unread := 0
	if c != nil {
		if l, err := c.Lists(me); err == nil {
			for _, h := range l.Mine {
				unread += h.Unread
			}
		}
	}
	title := "Santral"
	if unread > 0 {
		title = fmt.Sprintf("(%d) Santral", unread)
	}
	sh.SetTitle(title)
}

// offerBody is what an offer's notification says below its title: whom and what (the customer's
// name and last message, as the server puts them on a pending offer), then the sender's note.
func offerBody(o wire.TransferOffer) string {
	var lines []string
	switch {
	case o.CustomerName != "" && o.CustomerMessage != "":
		lines = append(lines, o.CustomerName+": “"+o.CustomerMessage+"”")
	case o.CustomerName != "":
		lines = append(lines, o.CustomerName)
	}
	if o.Note != "" {
		lines = append(lines, o.Note)
	}
	return strings.Join(lines, "\n")
}
