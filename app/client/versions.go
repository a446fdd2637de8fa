package client

import (
	"context"
	"errors"

	"santral/backend/wire"
)

// AppVersions asks the server which app versions it accepts (no token needed), trying each
// node of the list in turn as Login does.
func (c *Client) AppVersions(ctx context.Context) (wire.AppVersionsInfo, error) {
	var res wire.AppVersionsInfo
	var err error
	for range c.servers {
		if err = c.Do(ctx, "GET", "/api/v1/app-versions", nil, &res); !errors.Is(err, ErrOffline) || !c.Failover() {
			break
		}
	}
	return res, err
}

// CodeUpdateRequired refuses a sign-in from an app older than the server's minimum version.
const CodeUpdateRequired wire.Code = "update_required"
