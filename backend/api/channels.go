package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"santral/backend/channels"
	"santral/backend/channels/whatsapp"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/wire"
)

// providerHTTP is the client for calls to providers made from the API (template sync).
var providerHTTP = &http.Client{Timeout: 30 * time.Second}

// Channel accounts (admins). Credentials are accepted and stored server-side, never returned:
// the answer lists only which ones are set.

var credentialNames = map[string][]string{
	wire.ChannelWhatsApp:  {"token", "app_secret", "verify_token"},
	wire.ChannelMessenger: {"token", "app_secret", "verify_token"},
	wire.ChannelInstagram: {"token", "app_secret", "verify_token"},
	wire.ChannelTelegram:  {"token", "secret_token"},
	wire.ChannelSandbox:   {},
}

var defaultBaseURL = map[string]string{
	wire.ChannelWhatsApp:  "https://graph.facebook.com",
	wire.ChannelMessenger: "https://graph.facebook.com",
	wire.ChannelInstagram: "https://graph.facebook.com",
	wire.ChannelTelegram:  "https://api.telegram.org",
}

func (a *API) listChannelAccounts(w http.ResponseWriter, r *http.Request, u wire.User) error {
	rows, err := a.store.ChannelRows(r.Context())
	if err != nil {
		return err
	}
	out := []wire.ChannelAccount{}
	for _, c := range rows {
		out = append(out, c.Account())
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createChannelAccount(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.ChannelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if _, ok := credentialNames[req.Type]; !ok || req.Type == wire.ChannelSandbox {
		return wire.Invalid("type", "type must be whatsapp, messenger, instagram or telegram")
	}
	c := store.ChannelRow{Channel: wire.Channel{Type: req.Type}, Enabled: true, Secrets: map[string]string{},
		Config: store.ChannelConfig{BaseURL: defaultBaseURL[req.Type], APIVersion: "v23.0"}}
	if req.Type == wire.ChannelTelegram {
		c.Config.APIVersion = ""
	}
	if err := applyChannelRequest(&c, req, true); err != nil {
		return err
	}
	id, err := a.saveChannel(r, c)
	if err != nil {
		return err
	}
	saved, err := a.store.ChannelRow(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, saved.Account())
}

func (a *API) updateChannelAccount(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.ChannelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := a.store.ChannelRow(r.Context(), id)
	if err != nil {
		return err
	}
	if req.Type != "" && req.Type != c.Type {
		return wire.Invalid("type", "a channel's type cannot change")
	}
	if err := applyChannelRequest(&c, req, false); err != nil {
		return err
	}
	if _, err := a.saveChannel(r, c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c.Account())
}

func (a *API) saveChannel(r *http.Request, c store.ChannelRow) (int64, error) {
	id, err := a.routing.SaveChannel(r.Context(), c)
	a.webhookAccounts.forget(c.ID)
	return id, err
}

func applyChannelRequest(c *store.ChannelRow, req wire.ChannelRequest, creating bool) error {
	// The website chat and the sandbox are Santral's own: a name and the on/off switch only.
	if c.Type == wire.ChannelWebchat || c.Type == wire.ChannelSandbox {
		if req.BaseURL != nil || req.APIVersion != nil || req.AccountID != nil || req.WABAID != nil || req.HumanAgent != nil || len(req.Credentials) > 0 {
			return wire.Invalid("enabled", "the %s channel has only a name and the enabled switch", c.Type)
		}
		if req.Name != nil {
			c.Name = strings.TrimSpace(*req.Name)
		}
		if c.Name == "" || len([]rune(c.Name)) > 80 {
			return wire.Invalid("name", "a channel name is 1–80 characters")
		}
		if req.Enabled != nil {
			c.Enabled = *req.Enabled
		}
		return nil
	}
	if req.Name != nil {
		c.Name = strings.TrimSpace(*req.Name)
	}
	if c.Name == "" || len([]rune(c.Name)) > 80 {
		return wire.Invalid("name", "a channel name is 1–80 characters")
	}
	if req.Enabled != nil {
		c.Enabled = *req.Enabled
	}
	if req.BaseURL != nil {
		u, err := url.Parse(*req.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return wire.Invalid("base_url", "the base URL must be an http(s) URL")
		}
		c.Config.BaseURL = strings.TrimRight(*req.BaseURL, "/")
	}
	if req.APIVersion != nil {
		c.Config.APIVersion = *req.APIVersion
	}
	if req.AccountID != nil {
		c.Config.AccountID = strings.TrimSpace(*req.AccountID)
	}
	if req.WABAID != nil {
		c.Config.WABAID = strings.TrimSpace(*req.WABAID)
	}
	if req.HumanAgent != nil {
		if *req.HumanAgent && c.Type != wire.ChannelMessenger && c.Type != wire.ChannelInstagram {
			return wire.Invalid("human_agent", "the HUMAN_AGENT tag exists on Messenger and Instagram only")
		}
		c.Config.HumanAgent = *req.HumanAgent
	}
	allowed := map[string]bool{}
	for _, n := range credentialNames[c.Type] {
		allowed[n] = true
	}
	for k, v := range req.Credentials {
		if !allowed[k] {
			return wire.Invalid("credentials", "unknown credential %q for a %s channel", k, c.Type)
		}
		c.Secrets[k] = v
	}
	if c.Type != wire.ChannelTelegram && c.Config.AccountID == "" {
		return wire.Invalid("account_id", "the account id (phone number id, page id or Instagram id) is required")
	}
	return nil
}

// syncTemplates fetches the WhatsApp account's approved templates.
func (a *API) syncTemplates(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ch, err := a.store.ChannelRow(r.Context(), id)
	if err != nil {
		return err
	}
	if ch.Type != wire.ChannelWhatsApp {
		return wire.Invalid("id", "templates exist on WhatsApp channels only")
	}
	client := whatsapp.NewClient(ch.Config.BaseURL, ch.Config.APIVersion, ch.Config.AccountID, ch.Config.WABAID, ch.Secrets["token"], providerHTTP)
	list, err := client.Templates(r.Context())
	if errors.Is(err, whatsapp.ErrNoWABA) {
		return wire.Invalid("waba_id", "set this channel's WhatsApp Business Account id (waba_id) first")
	}
	if err != nil {
		a.log.WarnContext(r.Context(), "templates: sync failed", "channel_id", ch.ID, "err", err)
		return providerFailure("WhatsApp", err)
	}
	out := make([]wire.Template, 0, len(list))
	for _, t := range list {
		out = append(out, wire.Template{ChannelID: ch.ID, Name: t.Name, Language: t.Language, Category: t.Category, Body: t.Body, Params: t.BodyParams,
			ParameterFormat: t.Format, Parameters: t.Params})
	}
	if err := a.routing.SyncTemplates(r.Context(), ch.ID, out); err != nil {
		return err
	}
	stored, err := a.store.Templates(r.Context(), ch.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, stored)
}

// providerFailure is a provider's refusal as the admin sees it: provider_error with the
// provider's own code and words, never our request's URL or a transport error's details (those
// are in the server log).
func providerFailure(provider string, err error) error {
	se, ok := channels.AsSendError(err)
	switch {
	case ok && se.HTTPStatus != 0:
		msg := fmt.Sprintf("%s refused the request (HTTP %d)", provider, se.HTTPStatus)
		if se.Title != "" {
			msg += ": " + se.Title
		}
		return &wire.Error{Code: wire.CodeProviderError, ProviderCode: se.Code, Message: msg}
	case ok:
		return &wire.Error{Code: wire.CodeProviderError, Message: provider + " could not be reached; try again later"}
	}
	return &wire.Error{Code: wire.CodeProviderError, Message: provider + " answered with something Santral could not read"}
}

// rejectedMessages lists what a channel's deliveries carried that could not be stored as
// messages, newest first, with the provider's JSON.
func (a *API) rejectedMessages(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.store.ChannelRow(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.RejectedMessages(r.Context(), id, 500)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

// conversationTemplates lists the templates the agent may send in a conversation, each marked
// paid or free as of now.
func (a *API) conversationTemplates(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	ch, err := a.store.ChannelRow(r.Context(), c.Channel.ID)
	if err != nil {
		return err
	}
	list, err := a.store.Templates(r.Context(), c.Channel.ID)
	if err != nil {
		return err
	}
	open := routing.WindowAt(ch, c.LastInboundAt, store.Now()).Open
	for i := range list {
		list[i].Paid = routing.Paid(list[i], open)
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) sendTemplate(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.SendTemplateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := a.routing.SendTemplate(r.Context(), u.ID, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

// getMedia serves a stored file to a user who may read its conversation.
func (a *API) getMedia(w http.ResponseWriter, r *http.Request, u wire.User) error {
	key := r.PathValue("key")
	convID, err := a.store.MediaOwner(r.Context(), key)
	if err != nil {
		return err
	}
	c, err := a.store.Conversation(r.Context(), convID)
	if err != nil {
		return err
	}
	if !routing.CanRead(u, c, a.offeredTo(r.Context(), c)) {
		return wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
	}
	if a.opt.Files == nil {
		return wire.Errorf(wire.CodeNotFound, "file not found")
	}
	return a.serveFile(w, r, key, "attachment")
}
