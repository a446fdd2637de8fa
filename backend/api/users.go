package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"time"

	"santral/backend/auth"
	"santral/backend/quick"
	"santral/backend/store"
	"santral/backend/wire"
)

func (a *API) userByToken(ctx context.Context, token string) (wire.User, error) {
	hash := auth.HashToken(token)
	ls, err := a.store.SessionUser(ctx, hash, a.opt.SessionIdle.Milliseconds())
	if errors.Is(err, store.ErrNotFound) {
		return wire.User{}, wire.Errorf(wire.CodeUnauthorized, "the session has expired or was signed out: log in again")
	}
	if err != nil {
		return wire.User{}, err
	}
	// An idle expiry needs to know the session is in use; a write at most every so often.
	if idle := a.opt.SessionIdle; idle > 0 && store.Now()-ls.LastSeen >= min(time.Minute, idle/10).Milliseconds() {
		if err := a.routing.TouchSession(ctx, hash); err != nil {
			return wire.User{}, err
		}
	}
	u, err := a.store.User(ctx, ls.UserID)
	return u.User, err
}

// sessionLive reports whether a stream opened for u with token may go on: the session still
// exists and the user's role is what the stream was opened with.
func (a *API) sessionLive(ctx context.Context, token string, u wire.User) (bool, error) {
	ls, err := a.store.SessionUser(ctx, auth.HashToken(token), a.opt.SessionIdle.Milliseconds())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now, err := a.store.User(ctx, ls.UserID)
	if err != nil {
		return false, err
	}
	return now.Role == u.Role, nil
}

// login checks a username and password. Failures back off (see loginGuard); what is logged
// names the user only when the username exists — a mistyped field may hold a password.
func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req wire.LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	addr := a.clientAddr(r)
	if wait := a.limits.logins.begin(req.Username, addr); wait > 0 {
		a.log.InfoContext(r.Context(), "login refused", "reason", "too many failures", "client", addr)
		return retryLater(w, wire.CodeTooManyAttempts, wait, "too many failed logins: try again in %d seconds", int64(math.Ceil(wait.Seconds())))
	}
	u, err := a.store.UserByUsername(r.Context(), req.Username)
	if err != nil && wire.CodeOf(err) != wire.CodeNotFound {
		a.limits.logins.abandoned(req.Username, addr)
		return err
	}
	if !auth.CheckPassword(u.PasswordHash, req.Password) || u.Disabled {
		switch {
		case u.ID == 0:
			a.log.InfoContext(r.Context(), "login refused", "reason", "unknown username", "client", addr)
		case u.Disabled:
			a.log.InfoContext(r.Context(), "login refused", "reason", "user disabled", "user_id", u.ID, "client", addr)
		default:
			a.log.InfoContext(r.Context(), "login refused", "reason", "wrong password", "user_id", u.ID, "client", addr)
		}
		return wire.Errorf(wire.CodeBadCredentials, "wrong username or password")
	}
	a.limits.logins.succeeded(req.Username, addr)
	token, hash := auth.NewToken()
	expires := store.Now() + a.opt.SessionLifetime.Milliseconds()
	if err := a.routing.StartSession(r.Context(), hash, u.ID, expires); err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "login", "user_id", u.ID, "client", addr)
	return writeJSON(w, http.StatusOK, wire.LoginResponse{Token: token, ExpiresAt: expires, User: u.User})
}

// logout ends the session and takes the user offline: PRODUCT.md's offline is "not connected /
// logged out".
func (a *API) logout(w http.ResponseWriter, r *http.Request, u wire.User) error {
	token, _ := r.Context().Value(ctxKey{}).(string)
	if err := a.routing.EndSession(r.Context(), auth.HashToken(token)); err != nil {
		return err
	}
	if _, err := a.routing.SetPresence(r.Context(), u.ID, wire.Offline, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changePassword: a user changes their own password, proving the current one (counted like a
// login, so a stolen token cannot guess it). Their other sessions end; this one stays.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.PasswordChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := validateUser(wire.UserRequest{Password: &req.NewPassword}, false); err != nil {
		var e *wire.Error
		if errors.As(err, &e) {
			return wire.Invalid("new_password", "%s", e.Message)
		}
		return err
	}
	addr := a.clientAddr(r)
	if wait := a.limits.logins.begin(u.Username, addr); wait > 0 {
		return retryLater(w, wire.CodeTooManyAttempts, wait, "too many wrong passwords: try again in %d seconds", int64(math.Ceil(wait.Seconds())))
	}
	row, err := a.store.User(r.Context(), u.ID)
	if err != nil {
		a.limits.logins.abandoned(u.Username, addr)
		return err
	}
	if !auth.CheckPassword(row.PasswordHash, req.CurrentPassword) {
		a.log.InfoContext(r.Context(), "password change refused", "reason", "wrong current password", "user_id", u.ID, "client", addr)
		return &wire.Error{Code: wire.CodeBadCredentials, Field: "current_password", Message: "the current password is wrong"}
	}
	a.limits.logins.succeeded(u.Username, addr)
	hash, err := auth.HashPassword(req.NewPassword, a.opt.PasswordCost)
	if err != nil {
		return err
	}
	token, _ := r.Context().Value(ctxKey{}).(string)
	if err := a.routing.ChangePassword(r.Context(), u.ID, hash, auth.HashToken(token)); err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "password changed", "user_id", u.ID)
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
	// Changing one's own password keeps the session asking; a reset of another's ends them all.
	keep := ""
	if id == u.ID {
		token, _ := r.Context().Value(ctxKey{}).(string)
		keep = auth.HashToken(token)
	}
	out, err := a.routing.UpdateUser(r.Context(), id, req, hash, keep)
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
