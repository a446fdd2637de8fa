package routing

import (
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// The channels' messaging windows (PRODUCT.md rule 12), in one place. WhatsApp: free-form only
// within 24 hours of the customer's last message (by the customer's time, customersTime),
// templates after. Messenger and Instagram: 24
// hours, or 7 days with the HUMAN_AGENT tag where the account is approved for it. Telegram, the
// website chat and the sandbox: no window.
const (
	day                = 24 * time.Hour
	humanAgentWindow   = 7 * day
	windowWhatsApp     = day
	windowMetaStandard = day
)

// Window is the state of a conversation's messaging window at a moment.
type Window struct {
	Open       bool
	ClosesAt   int64 // unix ms; 0 when the channel has no window
	HumanAgent bool  // open only through the HUMAN_AGENT tag
}

// customersTime is when a customer's message counts as sent, for the window and as shown: the
// provider's timestamp (Meta redelivers for days: a message 25 hours old opens no window), but
// never later than its arrival (a provider clock ahead of ours must not stretch the window past
// 24 hours from now). Not given, or before 1970, it is the arrival.
func customersTime(sent time.Time, arrival int64) int64 {
	ms := sent.UnixMilli()
	if sent.IsZero() || ms <= 0 || ms > arrival {
		return arrival
	}
	return ms
}

// WindowAt tells whether a free-form message may be sent on the channel now.
func WindowAt(ch store.ChannelRow, lastInbound, now int64) Window {
	var length time.Duration
	switch ch.Type {
	case wire.ChannelWhatsApp:
		length = windowWhatsApp
	case wire.ChannelMessenger, wire.ChannelInstagram:
		length = windowMetaStandard
	default:
		return Window{Open: true}
	}
	closes := lastInbound + length.Milliseconds()
	if now < closes {
		return Window{Open: true, ClosesAt: closes}
	}
	if ch.Config.HumanAgent && (ch.Type == wire.ChannelMessenger || ch.Type == wire.ChannelInstagram) {
		extended := lastInbound + humanAgentWindow.Milliseconds()
		if now < extended {
			return Window{Open: true, ClosesAt: extended, HumanAgent: true}
		}
		closes = extended
	}
	return Window{Open: false, ClosesAt: closes}
}

// FreeFormUntil is the last moment a free-form message may be sent on the channel after a
// customer message at lastInbound (the HUMAN_AGENT extension included); 0 when the channel
// has no window. The app shows it as the window's closing time and compares it with now.
func FreeFormUntil(ch store.ChannelRow, lastInbound int64) int64 {
	switch ch.Type {
	case wire.ChannelWhatsApp:
		return lastInbound + windowWhatsApp.Milliseconds()
	case wire.ChannelMessenger, wire.ChannelInstagram:
		if ch.Config.HumanAgent {
			return lastInbound + humanAgentWindow.Milliseconds()
		}
		return lastInbound + windowMetaStandard.Milliseconds()
	}
	return 0
}
