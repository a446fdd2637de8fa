package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"santral/backend/channels"
	"santral/backend/channels/meta"
	"santral/backend/channels/telegram"
	"santral/backend/channels/whatsapp"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/wire"
)

// Provider webhooks, one endpoint per channel account: verified on the raw bytes before any
// parsing, stored (deduplicated on the provider's ids) before the 200 — providers deliver at
// least once and retry anything else. A message that cannot be stored is recorded as rejected,
// and the others in the delivery are still stored.

const maxWebhookBody = 1 << 20

// accountCache keeps channel accounts read for webhooks for a second: a busy channel's
// deliveries would otherwise read and decrypt its credentials on every one. A changed secret or
// a switched-off channel takes effect within that second (and the switch is checked again
// inside every message's transaction).
type accountCache struct {
	mu sync.Mutex
	m  map[int64]cachedAccount
}

type cachedAccount struct {
	row   store.ChannelRow
	until time.Time
}

const accountTTL = time.Second

// forget drops an account changed on this node, so its next delivery reads it afresh.
func (c *accountCache) forget(id int64) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func (c *accountCache) get(ctx context.Context, s *store.Store, id int64) (store.ChannelRow, error) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && time.Now().Before(e.until) {
		return e.row, nil
	}
	row, err := s.ChannelRow(ctx, id)
	if err != nil {
		return row, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[int64]cachedAccount{}
	}
	c.m[id] = cachedAccount{row: row, until: time.Now().Add(accountTTL)}
	c.mu.Unlock()
	return row, nil
}

func (a *API) webhookChannel(r *http.Request) (store.ChannelRow, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.ChannelRow{}, err
	}
	ch, err := a.webhookAccounts.get(r.Context(), a.store, id)
	if err != nil {
		return ch, err
	}
	if ch.Type == wire.ChannelSandbox {
		return ch, wire.Errorf(wire.CodeNotFound, "the sandbox channel has no webhook")
	}
	return ch, nil
}

// webhookVerify answers Meta's subscription handshake.
func (a *API) webhookVerify(w http.ResponseWriter, r *http.Request) error {
	ch, err := a.webhookChannel(r)
	if err != nil {
		return err
	}
	var challenge string
	var ok bool
	switch ch.Type {
	case wire.ChannelWhatsApp:
		challenge, ok = whatsapp.VerifyHandshake(r.URL.Query(), ch.Secrets["verify_token"])
	case wire.ChannelMessenger, wire.ChannelInstagram:
		challenge, ok = meta.VerifyHandshake(r.URL.Query(), ch.Secrets["verify_token"])
	}
	if !ok || ch.Secrets["verify_token"] == "" {
		a.log.WarnContext(r.Context(), "webhook: verification refused", "channel_id", ch.ID)
		return wire.Errorf(wire.CodeForbidden, "verification token does not match")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.WriteString(w, challenge)
	return err
}

// webhookReceive takes a delivery: verify, parse, store every message and status, then 200.
func (a *API) webhookReceive(w http.ResponseWriter, r *http.Request) error {
	ch, err := a.webhookChannel(r)
	if err != nil {
		return err
	}
	if !ch.Enabled {
		return wire.Errorf(wire.CodeChannelDisabled, "this channel is switched off")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			a.log.WarnContext(r.Context(), "webhook: body too large", "channel_id", ch.ID)
			return wire.Errorf(wire.CodeBodyTooLarge, "the body is larger than %d bytes", maxErr.Limit)
		}
		return wire.Errorf(wire.CodeBadJSON, "the body could not be read")
	}
	var hooks []channels.Webhook
	switch ch.Type {
	case wire.ChannelWhatsApp, wire.ChannelMessenger, wire.ChannelInstagram:
		verify := whatsapp.VerifySignature
		parse := whatsapp.ParseWebhook
		if ch.Type != wire.ChannelWhatsApp {
			verify, parse = meta.VerifySignature, meta.ParseWebhook
		}
		// No app secret configured: nothing can be verified, so nothing is accepted.
		if ch.Secrets["app_secret"] == "" || verify(raw, r.Header.Get("X-Hub-Signature-256"), ch.Secrets["app_secret"]) != nil {
			a.log.WarnContext(r.Context(), "webhook: bad signature", "channel_id", ch.ID, "bytes", len(raw))
			return wire.Errorf(wire.CodeUnauthorized, "bad or missing X-Hub-Signature-256")
		}
		if hooks, err = parse(raw); err != nil {
			a.log.WarnContext(r.Context(), "webhook: malformed delivery", "channel_id", ch.ID, "err", err)
			return wire.Errorf(wire.CodeBadJSON, "the delivery is not a %s webhook", ch.Type)
		}
	case wire.ChannelTelegram:
		if ch.Secrets["secret_token"] == "" || telegram.VerifySecret(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), ch.Secrets["secret_token"]) != nil {
			a.log.WarnContext(r.Context(), "webhook: bad secret token", "channel_id", ch.ID)
			return wire.Errorf(wire.CodeUnauthorized, "bad or missing X-Telegram-Bot-Api-Secret-Token")
		}
		hook, err := telegram.ParseUpdate(raw)
		if err != nil {
			a.log.WarnContext(r.Context(), "webhook: malformed update", "channel_id", ch.ID, "err", err)
			return wire.Errorf(wire.CodeBadJSON, "the delivery is not a Telegram update")
		}
		hooks = []channels.Webhook{hook}
	default:
		return wire.Errorf(wire.CodeNotFound, "no webhook for %s channels", ch.Type)
	}
	var res wire.WebhookResult
	for _, h := range hooks {
		if h.AccountID != "" && ch.Config.AccountID != "" && h.AccountID != ch.Config.AccountID {
			// Delivered for another of the app's numbers/pages: not this channel's to store.
			a.log.WarnContext(r.Context(), "webhook: delivery for another account", "channel_id", ch.ID, "account", h.AccountID)
			continue
		}
		// What cannot be stored as a message is recorded before the 200, never only logged: the
		// provider will not send it again.
		reject := func(rec store.Rejected) error {
			a.log.WarnContext(r.Context(), "webhook: message rejected", "channel_id", ch.ID, "message_id", rec.ExternalID, "reason", rec.Reason)
			if err := a.routing.RecordRejected(r.Context(), ch.ID, rec); err != nil {
				return fmt.Errorf("webhook: unable to record a rejected message: %w", err)
			}
			res.Rejected++
			return nil
		}
		for _, rj := range h.Rejects {
			if err := reject(store.Rejected{ExternalID: rj.ExternalID, SenderID: rj.SenderID, Reason: rj.Reason, Payload: rj.Raw}); err != nil {
				return err
			}
		}
		for _, m := range h.Messages {
			stored, err := a.routing.Ingest(r.Context(), inbound(ch.ID, m))
			switch {
			case wire.CodeOf(err) != "":
				if err := reject(store.Rejected{ExternalID: m.ExternalID, SenderID: m.SenderID, Reason: err.Error(), Payload: m.Raw}); err != nil {
					return err
				}
			case err != nil:
				return fmt.Errorf("webhook: unable to store a message: %w", err)
			case stored.Duplicate:
				res.Duplicates++
			default:
				res.Messages++
			}
		}
		for _, st := range h.Statuses {
			reason := ""
			if st.Err != nil {
				reason = fmt.Sprintf("%d %s: %s", st.Err.Code, st.Err.Title, st.Err.Detail)
			}
			if err := a.routing.ApplyStatus(r.Context(), ch.ID, st.ExternalID, st.Status, reason); err != nil {
				return fmt.Errorf("webhook: unable to record a status: %w", err)
			}
			res.Statuses++
		}
	}
	a.log.DebugContext(r.Context(), "webhook: stored", "channel_id", ch.ID, "messages", res.Messages, "duplicates", res.Duplicates,
		"rejected", res.Rejected, "statuses", res.Statuses)
	return writeJSON(w, http.StatusOK, res)
}

func inbound(channelID int64, m channels.Inbound) routing.Inbound {
	in := routing.Inbound{ChannelID: channelID, SenderID: m.SenderID, Name: m.Name, Phone: m.Phone,
		ExternalID: m.ExternalID, Body: m.Body, SentAt: m.At, Echo: m.Echo, Choice: m.Choice, CallbackID: m.CallbackID}
	for _, md := range m.Attachments {
		in.Attachments = append(in.Attachments, wire.Attachment{Kind: md.Kind, Ref: md.Ref, Name: md.Name, MimeType: md.MimeType,
			Size: md.Size, Caption: md.Caption, Latitude: md.Latitude, Longitude: md.Longitude})
	}
	return in
}
