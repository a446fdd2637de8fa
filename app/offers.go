package app

// A transfer offer that did not go through tells its sender (issue 11, the agent's polish): the
// receiver rejected it, it was withdrawn (they went on break, a supervisor moved the
// conversation) or it expired — the conversation is still theirs. The UI shows it in words
// ("offer-failed"); an unfocused window also raises an OS notification.

import (
	"fmt"

	"santral/app/cache"
	"santral/app/notify"
	"santral/backend/wire"
)

// OfferFailedEvent is the payload of "offer-failed".
type OfferFailedEvent struct {
	Offer  wire.TransferOffer `json:"offer"`
	ToName string             `json:"to_name"` // the receiver's display name ("" when unknown)
}

var offerFailedTexts = map[Language]map[wire.OfferState]string{
	"tr": {wire.OfferRejected: "%s aktarımı reddetti", wire.OfferWithdrawn: "%s kişisine aktarım geri çekildi", wire.OfferExpired: "%s aktarıma yanıt vermedi"},
	"en": {wire.OfferRejected: "%s declined the transfer", wire.OfferWithdrawn: "The transfer to %s was withdrawn", wire.OfferExpired: "%s did not answer the transfer"},
}

func (a *App) offersFailed(list []wire.TransferOffer, c *cache.Cache, focused, sound bool, lang Language) {
	for _, o := range list {
		ev := OfferFailedEvent{Offer: o}
		if c != nil {
			if u, ok := c.Agent(o.ToAgentID); ok {
				ev.ToName = u.DisplayName
			}
		}
		a.emit("offer-failed", ev)
		if !focused {
			t, ok := offerFailedTexts[lang]
			if !ok {
				t = offerFailedTexts["tr"]
			}
			a.notify(notify.Notification{Title: fmt.Sprintf(t[o.State], ev.ToName), ConversationID: o.ConversationID, Sound: sound})
		}
	}
}
