package api

import (
	"net/http"

	"santral/backend/version"
	"santral/backend/wire"
)

// appVersions answers GET /api/v1/app-versions without a login: an app too old to be used
// must be told so on its sign-in screen.
func (a *API) appVersions(w http.ResponseWriter, r *http.Request) error {
	v, err := a.store.AppVersions(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.AppVersionsInfo{AppVersions: v, ServerVersion: version.Version})
}

func (a *API) putAppVersions(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var v wire.AppVersions
	if err := decode(w, r, &v); err != nil {
		return err
	}
	out, err := a.routing.PutAppVersions(r.Context(), v)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.AppVersionsInfo{AppVersions: out, ServerVersion: version.Version})
}
