package server

import (
	"fmt"
	"net/http"
	"time"

	"santral/backend/channels"
	"santral/backend/channels/meta"
	"santral/backend/channels/telegram"
	"santral/backend/channels/whatsapp"
	"santral/backend/store"
	"santral/backend/wire"
)

// providers builds the adapters that call channel providers, all through one HTTP client with
// no whole-request timeout: a send's deadline grows with its file (see outbox), and an answer
// that stops arriving for readIdle is cut off.
type providers struct {
	http *http.Client
}

func newProviders(readIdle time.Duration) providers {
	return providers{http: channels.NewHTTPClient(readIdle)}
}

// fetcherFor builds the adapter that downloads a channel account's inbound media.
func (p providers) fetcherFor(ch store.ChannelRow) (channels.Fetcher, error) {
	s, err := p.senderFor(ch)
	if err != nil {
		return nil, err
	}
	f, ok := s.(channels.Fetcher)
	if !ok {
		return nil, fmt.Errorf("no media downloads on %s channels", ch.Type)
	}
	return f, nil
}

// senderFor builds the adapter that sends on a channel account, from its stored settings.
func (p providers) senderFor(ch store.ChannelRow) (channels.Sender, error) {
	providerHTTP := p.http
	token := ch.Secrets["token"]
	if token == "" {
		return nil, fmt.Errorf("the %s channel has no token", ch.Name)
	}
	switch ch.Type {
	case wire.ChannelWhatsApp:
		return whatsapp.NewClient(ch.Config.BaseURL, ch.Config.APIVersion, ch.Config.AccountID, ch.Config.WABAID, token, providerHTTP), nil
	case wire.ChannelMessenger, wire.ChannelInstagram:
		return meta.NewClient(ch.Config.BaseURL, ch.Config.APIVersion, ch.Config.AccountID, token, ch.Type == wire.ChannelInstagram, providerHTTP), nil
	case wire.ChannelTelegram:
		return telegram.NewClient(ch.Config.BaseURL, token, providerHTTP), nil
	}
	return nil, fmt.Errorf("no sender for %s channels", ch.Type)
}
