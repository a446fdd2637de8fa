package routing

import (
	"context"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// Sessions: a login is a stored token hash; ending one (signing out, a password change, a
// disabled user, expiry) writes sessions.ended in the same transaction, and every node closes
// that user's streams whose session is gone at once.

// StartSession records a login token's hash.
func (s *Service) StartSession(ctx context.Context, tokenHash string, userID, expiresAt int64) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.CreateSession(tokenHash, userID, expiresAt) })
	return err
}

// EndSession signs one session out.
func (s *Service) EndSession(ctx context.Context, tokenHash string) error {
	return s.do(ctx, func(tx *store.Tx) error { return tx.DeleteSession(tokenHash) })
}

// TouchSession records that a session was used (idle expiry).
func (s *Service) TouchSession(ctx context.Context, tokenHash string) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.TouchSession(tokenHash) })
	return err
}

// ChangePassword sets a user's own new password (already hashed) and ends their other
// sessions; keep is the hash of the session asking.
func (s *Service) ChangePassword(ctx context.Context, userID int64, passwordHash, keep string) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUser(userID, wire.UserRequest{}, passwordHash); err != nil {
			return err
		}
		return tx.EndSessions(userID, keep)
	})
}

// EndExpiredSessions ends sessions past their lifetime or unused for idle (0: no idle expiry).
func (s *Service) EndExpiredSessions(ctx context.Context, idle time.Duration) error {
	if due, err := s.store.SessionsExpired(ctx, store.Now(), idle.Milliseconds()); err != nil || !due {
		return err
	}
	return s.do(ctx, func(tx *store.Tx) error { return tx.EndExpiredSessions(idle.Milliseconds()) })
}
