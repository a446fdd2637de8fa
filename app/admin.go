package app

// Admin bindings: channel accounts and their templates. The server checks the role; the app
// only asks.

import (
	"fmt"

	"santral/backend/wire"
)

// ChannelAccounts lists the channel accounts (admins): settings and which credentials are set,
// never their values.
func (a *App) ChannelAccounts() ([]wire.ChannelAccount, error) {
	var list []wire.ChannelAccount
	err := a.call("GET", "/api/v1/channel-accounts", nil, &list)
	if list == nil {
		list = []wire.ChannelAccount{}
	}
	return list, err
}

// SaveChannelAccount creates a channel account (id 0) or changes one: only the fields sent
// change, and a credential sent replaces the stored one.
func (a *App) SaveChannelAccount(id int64, req wire.ChannelRequest) (wire.ChannelAccount, error) {
	var out wire.ChannelAccount
	if id == 0 {
		return out, a.call("POST", "/api/v1/channel-accounts", req, &out)
	}
	req.Type = "" // a channel's type never changes
	return out, a.call("PATCH", fmt.Sprintf("/api/v1/channel-accounts/%d", id), req, &out)
}

// SyncTemplates fetches a WhatsApp account's approved templates from Meta.
func (a *App) SyncTemplates(id int64) ([]wire.Template, error) {
	var list []wire.Template
	err := a.call("POST", fmt.Sprintf("/api/v1/channel-accounts/%d/templates/sync", id), nil, &list)
	if list == nil {
		list = []wire.Template{}
	}
	return list, err
}
