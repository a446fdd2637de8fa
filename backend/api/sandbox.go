package api

import (
	"crypto/subtle"
	"net/http"

	"santral/backend/routing"
	"santral/backend/wire"
)

// The sandbox channel stands in for real channels: customers write through POST /sandbox/messages
// (idempotent on message_id, as providers' webhooks are), and read agents' replies from
// GET /sandbox/messages. Tests and the demo's simulated customers use it.

func (a *API) sandboxAllowed(r *http.Request) error {
	if a.opt.SandboxChannelID == 0 {
		return wire.Errorf(wire.CodeChannelDisabled, "the sandbox channel is not enabled on this server")
	}
	// --sandbox makes the channel exist; its enabled flag switches it (PATCH /api/v1/channel-accounts/{id}).
	on, err := a.store.ChannelEnabled(r.Context(), a.opt.SandboxChannelID)
	if err != nil {
		return err
	}
	if !on {
		return wire.Errorf(wire.CodeChannelDisabled, "the sandbox channel is switched off")
	}
	if a.opt.SandboxToken != "" {
		got := r.Header.Get("X-Sandbox-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.opt.SandboxToken)) != 1 {
			return wire.Errorf(wire.CodeUnauthorized, "missing or wrong X-Sandbox-Token")
		}
	}
	return nil
}

func (a *API) sandboxInbound(w http.ResponseWriter, r *http.Request) error {
	if err := a.sandboxAllowed(r); err != nil {
		return err
	}
	var in wire.SandboxInbound
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if len(in.SenderID) > 100 || len(in.MessageID) > 200 || len(in.Name) > 100 || len(in.Phone) > 32 {
		return wire.Invalid("sender_id", "sender_id, message_id, name or phone is too long")
	}
	res, err := a.routing.Ingest(r.Context(), routing.Inbound{ChannelID: a.opt.SandboxChannelID, SenderID: in.SenderID,
		Name: in.Name, Phone: in.Phone, ExternalID: in.MessageID, Body: in.Text, Attachments: in.Attachments})
	if err != nil {
		return err
	}
	// 200 only now: the message is committed (durable before acknowledged).
	return writeJSON(w, http.StatusOK, wire.SandboxInboundResult{ConversationID: res.ConversationID, MessageID: res.MessageID, Duplicate: res.Duplicate})
}

func (a *API) sandboxOutbound(w http.ResponseWriter, r *http.Request) error {
	if err := a.sandboxAllowed(r); err != nil {
		return err
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	list, err := a.store.SandboxOutbound(r.Context(), a.opt.SandboxChannelID, r.URL.Query().Get("sender_id"), after, 500)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}
