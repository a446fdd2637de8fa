package routing

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// The admin's settings. Changing a limit or switching automatic assignment on may let queued
// conversations be assigned, so these go through the same transaction as every rule.

// PutSettings validates and saves the workspace settings.
func (s *Service) PutSettings(ctx context.Context, set wire.Settings) (wire.Settings, error) {
	switch {
	case set.DefaultLimit < 0 || set.DefaultLimit > 100:
		return set, wire.Invalid("default_limit", "the default limit must be between 0 and 100")
	case set.HardCap < 0 || set.HardCap > 1000:
		return set, wire.Invalid("hard_cap", "the hard cap must be between 0 (none) and 1000")
	case set.OfferTimeoutSeconds < 1 || set.OfferTimeoutSeconds > 3600:
		return set, wire.Invalid("offer_timeout_seconds", "the transfer offer timeout must be between 1 and 3600 seconds")
	case set.OfflineGraceSeconds < 1 || set.OfflineGraceSeconds > 3600:
		return set, wire.Invalid("offline_grace_seconds", "the offline grace period must be between 1 and 3600 seconds")
	}
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.PutSettings(set); err != nil {
			return err
		}
		return tx.Append(wire.EventSettingsChanged, 0, store.Everyone, set)
	})
	return set, err
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// ValidateUser checks a user request; creating needs username, display name, password and role.
func ValidateUser(r wire.UserRequest, creating bool) error {
	if creating && (r.Username == nil || r.DisplayName == nil || r.Password == nil || r.Role == nil) {
		return wire.Invalid("username", "username, display_name, password and role are required")
	}
	if r.Username != nil && !usernamePattern.MatchString(*r.Username) {
		return wire.Invalid("username", "a username is 2–32 lowercase letters, digits, '.', '_' or '-'")
	}
	if r.DisplayName != nil && (strings.TrimSpace(*r.DisplayName) == "" || utf8.RuneCountInString(*r.DisplayName) > 80) {
		return wire.Invalid("display_name", "a display name is 1–80 characters")
	}
	if r.Password != nil && (len(*r.Password) < 8 || len(*r.Password) > 72) {
		return wire.Invalid("password", "a password is 8–72 characters")
	}
	if r.Role != nil {
		switch *r.Role {
		case wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent:
		default:
			return wire.Invalid("role", "role must be admin, supervisor or agent")
		}
	}
	if r.AutoLimit != nil && (*r.AutoLimit < 0 || *r.AutoLimit > 100) {
		return wire.Invalid("auto_limit", "an auto-assignment limit is between 0 (never) and 100")
	}
	if r.HardCap != nil && (*r.HardCap < 0 || *r.HardCap > 1000) {
		return wire.Invalid("hard_cap", "a hard cap is between 0 (none) and 1000")
	}
	return nil
}

// CreateUser adds a user; passwordHash is already hashed.
func (s *Service) CreateUser(ctx context.Context, r wire.UserRequest, passwordHash string) (wire.User, error) {
	if err := ValidateUser(r, true); err != nil {
		return wire.User{}, err
	}
	var out wire.User
	err := s.do(ctx, func(tx *store.Tx) error {
		id, err := tx.CreateUser(*r.Username, strings.TrimSpace(*r.DisplayName), passwordHash, *r.Role, r.AutoLimit, r.HardCap)
		if err != nil {
			return err
		}
		u, err := tx.User(id)
		out = u.User
		if err != nil {
			return err
		}
		return tx.Append(wire.EventUserUpdated, 0, store.Everyone, wire.PresenceData{User: out})
	})
	return out, err
}

// UpdateUser changes a user. Disabling a user takes them offline (their conversations follow
// the offline rule) and ends their sessions; a new password ends their sessions but keep (the
// hash of the session asking, when a user changes their own password; else ""); a new role
// makes their open streams re-check what they may see.
func (s *Service) UpdateUser(ctx context.Context, id int64, r wire.UserRequest, passwordHash, keep string) (wire.User, error) {
	if err := ValidateUser(r, false); err != nil {
		return wire.User{}, err
	}
	var out wire.User
	err := s.do(ctx, func(tx *store.Tx) error {
		before, err := tx.User(id)
		if err != nil {
			return err
		}
		if err := tx.UpdateUser(id, r, passwordHash); err != nil {
			return err
		}
		if r.Disabled != nil && *r.Disabled {
			if err := s.changePresence(tx, id, wire.Offline, ""); err != nil {
				return err
			}
			if err := tx.EndSessions(id, ""); err != nil {
				return err
			}
		} else if passwordHash != "" {
			if err := tx.EndSessions(id, keep); err != nil {
				return err
			}
		}
		if r.Role != nil && *r.Role != before.Role {
			if err := tx.SessionsEnded(id); err != nil {
				return err
			}
		}
		u, err := tx.User(id)
		out = u.User
		if err != nil {
			return err
		}
		return tx.Append(wire.EventUserUpdated, 0, store.Everyone, wire.PresenceData{User: out})
	})
	return out, err
}

// SaveEndReason creates (id 0) or changes an end reason.
func (s *Service) SaveEndReason(ctx context.Context, id int64, r wire.EndReasonRequest) (wire.EndReason, error) {
	label := strings.TrimSpace(r.Label)
	if label == "" || utf8.RuneCountInString(label) > 80 {
		return wire.EndReason{}, wire.Invalid("label", "an end reason is 1–80 characters")
	}
	active := r.Active == nil || *r.Active
	out := wire.EndReason{ID: id, Label: label, Active: active, Position: r.Position}
	err := s.do(ctx, func(tx *store.Tx) error {
		var err error
		if id == 0 {
			out.ID, err = tx.CreateEndReason(label, r.Position)
			if err == nil && !active {
				err = tx.UpdateEndReason(out.ID, label, active, r.Position)
			}
		} else {
			err = tx.UpdateEndReason(id, label, active, r.Position)
		}
		if err != nil {
			return err
		}
		return tx.Append(wire.EventEndReasonsChanged, 0, store.Everyone, out)
	})
	return out, err
}

var shortcutPattern = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,32}$`)

// SaveQuickMessage creates (id 0) or changes a quick message. Shared ones belong to admins;
// personal ones to their owner.
func (s *Service) SaveQuickMessage(ctx context.Context, actor wire.User, id int64, r wire.QuickMessageRequest) (wire.QuickMessage, error) {
	r.Shortcut = strings.TrimPrefix(strings.TrimSpace(r.Shortcut), "/")
	switch {
	case strings.TrimSpace(r.Title) == "" || utf8.RuneCountInString(r.Title) > 80:
		return wire.QuickMessage{}, wire.Invalid("title", "a title is 1–80 characters")
	case !shortcutPattern.MatchString(r.Shortcut):
		return wire.QuickMessage{}, wire.Invalid("shortcut", "a shortcut is 1–32 letters, digits, '_' or '-'")
	case strings.TrimSpace(r.Body) == "" || utf8.RuneCountInString(r.Body) > MaxMessageLength:
		return wire.QuickMessage{}, wire.Invalid("body", "the text is 1–%d characters", MaxMessageLength)
	case r.Shared && actor.Role != wire.RoleAdmin:
		return wire.QuickMessage{}, wire.Errorf(wire.CodeForbidden, "only admins manage shared quick messages")
	}
	var out wire.QuickMessage
	err := s.do(ctx, func(tx *store.Tx) error {
		owner := actor.ID
		if id != 0 {
			q, err := tx.QuickMessage(id)
			if err != nil {
				return err
			}
			if err := canEditQuick(actor, q); err != nil {
				return err
			}
			owner = 0
			if q.OwnerID != nil {
				owner = *q.OwnerID
			}
		} else if r.Shared {
			owner = 0
		}
		saved, err := tx.SaveQuickMessage(id, owner, strings.TrimSpace(r.Title), r.Shortcut, r.Body)
		if err != nil {
			return err
		}
		if out, err = tx.QuickMessage(saved); err != nil {
			return err
		}
		return tx.Append(wire.EventQuickMessagesChanged, 0, quickAudience(out), out)
	})
	return out, err
}

// DeleteQuickMessage removes a quick message the actor may manage.
func (s *Service) DeleteQuickMessage(ctx context.Context, actor wire.User, id int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		q, err := tx.QuickMessage(id)
		if err != nil {
			return err
		}
		if err := canEditQuick(actor, q); err != nil {
			return err
		}
		if err := tx.DeleteQuickMessage(id); err != nil {
			return err
		}
		return tx.Append(wire.EventQuickMessagesChanged, 0, quickAudience(q), map[string]any{"deleted_id": id})
	})
}

func canEditQuick(actor wire.User, q wire.QuickMessage) error {
	if q.OwnerID == nil && actor.Role != wire.RoleAdmin {
		return wire.Errorf(wire.CodeForbidden, "only admins manage shared quick messages")
	}
	if q.OwnerID != nil && *q.OwnerID != actor.ID {
		return wire.Errorf(wire.CodeNotFound, "quick message not found")
	}
	return nil
}

func quickAudience(q wire.QuickMessage) store.Audience {
	if q.OwnerID == nil {
		return store.Everyone
	}
	return store.Users(*q.OwnerID)
}
