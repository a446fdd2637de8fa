package app

import "santral/backend/wire"

// RefreshAgents reads who is online now from the server (the transfer dialog asks when it
// opens: presence changes are not broadcast to every agent) and keeps it in the cache.
func (a *App) RefreshAgents() ([]wire.User, error) {
	cl, c, _, err := a.session()
	if err != nil {
		return nil, uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	var users []wire.User
	if err := cl.Do(cx, "GET", "/api/v1/users", nil, &users); err != nil {
		return nil, uiError(err)
	}
	if err := c.PutAgents(users); err != nil {
		return nil, uiError(err)
	}
	a.emit("inbox", nil)
	return users, nil
}
