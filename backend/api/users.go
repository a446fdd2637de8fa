package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"santral/backend/auth"
	"santral/backend/quick"
	"santral/backend/store"
	"santral/backend/wire"
)

const sessionLifetime = 30 * 24 * time.Hour

func (a *API) userByToken(ctx context.Context, token string) (wire.User, error) {
	id, err := a.store.SessionUser(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return wire.User{}, wire.Errorf(wire.CodeUnauthorized, "the session has expired or was signed out: log in again")
	}
	if err != nil {
		return wire.User{}, err
	}
	u, err := a.store.User(ctx, id)
	return u.User, err
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req wire.LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := a.store.UserByUsername(r.Context(), req.Username)
	if err != nil && wire.CodeOf(err) != wire.CodeNotFound {
		return err
	}
	if !auth.CheckPassword(u.PasswordHash, req.Password) || u.Disabled {
		a.log.Info("login refused", "username", req.Username)
		return wire.Errorf(wire.CodeBadCredentials, "wrong username or password")
	}
	token, hash := auth.NewToken()
	expires := store.Now() + sessionLifetime.Milliseconds()
	if _, err := a.store.Tx(r.Context(), func(tx *store.Tx) error { return tx.CreateSession(hash, u.ID, expires) }); err != nil {
		return err
	}
	a.log.Info("login", "user_id", u.ID)
	return writeJSON(w, http.StatusOK, wire.LoginResponse{Token: token, ExpiresAt: expires, User: u.User})
}

// logout ends the session and takes the user offline: PRODUCT.md's offline is "not connected /
// logged out".
func (a *API) logout(w http.ResponseWriter, r *http.Request, u wire.User) error {
	token, _ := r.Context().Value(ctxKey{}).(string)
	if _, err := a.store.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeleteSession(auth.HashToken(token)) }); err != nil {
		return err
	}
	if _, err := a.routing.SetPresence(r.Context(), u.ID, wire.Offline, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, u wire.User) error {
	return writeJSON(w, http.StatusOK, u)
}

func (a *API) setPresence(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.PresenceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SetPresence(r.Context(), u.ID, req.Presence, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, u wire.User) error {
	users, err := a.store.Users(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, users)
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.UserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := validateUser(req, true); err != nil {
		return err
	}
	hash, err := auth.HashPassword(*req.Password, a.opt.PasswordCost)
	if err != nil {
		return err
	}
	out, err := a.routing.CreateUser(r.Context(), req, hash)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// updateUser: admins change anything; supervisors change limits only (dashboard action).
func (a *API) updateUser(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.UserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if u.Role == wire.RoleSupervisor {
		limitsOnly := wire.UserRequest{AutoLimit: req.AutoLimit, HardCap: req.HardCap, ClearAutoLimit: req.ClearAutoLimit, ClearHardCap: req.ClearHardCap}
		if req != limitsOnly {
			return wire.Errorf(wire.CodeForbidden, "supervisors can change limits only")
		}
	}
	hash := ""
	if req.Password != nil {
		if err := validateUser(wire.UserRequest{Password: req.Password}, false); err != nil {
			return err
		}
		if hash, err = auth.HashPassword(*req.Password, a.opt.PasswordCost); err != nil {
			return err
		}
	}
	out, err := a.routing.UpdateUser(r.Context(), id, req, hash)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request, u wire.User) error {
	set, err := a.store.Settings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}

func (a *API) putSettings(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var set wire.Settings
	if err := decode(w, r, &set); err != nil {
		return err
	}
	out, err := a.routing.PutSettings(r.Context(), set)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listChannels(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.Channels(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) listEndReasons(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.EndReasons(r.Context(), r.URL.Query().Get("all") == "1" && u.Role == wire.RoleAdmin)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) createEndReason(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.EndReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveEndReason(r.Context(), 0, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) updateEndReason(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.EndReasonRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveEndReason(r.Context(), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listQuickMessages(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.QuickMessages(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) createQuickMessage(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.QuickMessageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveQuickMessage(r.Context(), u, 0, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) updateQuickMessage(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.QuickMessageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveQuickMessage(r.Context(), u, id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) deleteQuickMessage(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.routing.DeleteQuickMessage(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// renderQuickMessage fills a quick message's variables for a conversation the user may read.
func (a *API) renderQuickMessage(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	qid, err := pathID(r, "qid")
	if err != nil {
		return err
	}
	list, err := a.store.QuickMessages(r.Context(), u.ID)
	if err != nil {
		return err
	}
	for _, q := range list {
		if q.ID == qid {
			text := quick.Render(q.Body, quick.Vars{CustomerName: c.Contact.Name, CustomerPhone: c.Contact.Phone, AgentName: u.DisplayName})
			return writeJSON(w, http.StatusOK, wire.RenderedQuickMessage{Text: text})
		}
	}
	return wire.Errorf(wire.CodeNotFound, "quick message not found")
}
