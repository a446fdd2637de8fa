package store

import (
	"context"
	"database/sql"
	"fmt"

	"santral/backend/wire"
)

// UserRow is a user with the fields only the server sees.
type UserRow struct {
	wire.User
	PasswordHash    string
	OfflineDeadline int64
}

const userColumns = `u.id, u.username, u.display_name, u.password_hash, u.role, u.auto_limit, u.hard_cap,
	u.presence, u.presence_reason, u.presence_since, u.last_assigned_at, u.offline_deadline, u.disabled,
	(SELECT COUNT(*) FROM conversations c WHERE c.agent_id = u.id AND c.state = 'assigned')`

func scanUser(row interface{ Scan(...any) error }, defaultLimit int, defaultCap int) (UserRow, error) {
	var u UserRow
	var autoLimit, hardCap sql.NullInt64
	var disabled int
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Role, &autoLimit, &hardCap,
		&u.Presence, &u.PresenceReason, &u.PresenceSince, &u.LastAssignedAt, &u.OfflineDeadline, &disabled, &u.Active)
	if err != nil {
		return u, err
	}
	u.AutoLimit, u.HardCap = nullIntP(autoLimit), nullIntP(hardCap)
	u.Disabled = disabled != 0
	u.EffectiveLimit = defaultLimit
	if u.AutoLimit != nil {
		u.EffectiveLimit = *u.AutoLimit
	}
	return u, nil
}

// EffectiveHardCap is the user's manual pull cap (0 = none).
func (u UserRow) EffectiveHardCap(s wire.Settings) int {
	if u.HardCap != nil {
		return *u.HardCap
	}
	return s.HardCap
}

// User reads one user inside the transaction.
func (t *Tx) User(id int64) (UserRow, error) {
	set, err := t.Settings()
	if err != nil {
		return UserRow{}, err
	}
	u, err := scanUser(t.queryRow(`SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id), set.DefaultLimit, set.HardCap)
	if err != nil {
		return u, wireNotFound(err, "user")
	}
	return u, nil
}

// User reads one user.
func (s *Store) User(ctx context.Context, id int64) (UserRow, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return UserRow{}, err
	}
	u, err := scanUser(s.readRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id), set.DefaultLimit, set.HardCap)
	if err != nil {
		return u, wireNotFound(err, "user")
	}
	return u, nil
}

// UserByUsername reads one user by login name.
func (s *Store) UserByUsername(ctx context.Context, username string) (UserRow, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return UserRow{}, err
	}
	u, err := scanUser(s.readRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.username = ?`, username), set.DefaultLimit, set.HardCap)
	if err != nil {
		return u, wireNotFound(err, "user")
	}
	return u, nil
}

// Users lists every user, by display name.
func (s *Store) Users(ctx context.Context) ([]wire.User, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.readRows(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.display_name, u.id`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list users: %w", err)
	}
	defer rows.Close()
	var out []wire.User
	for rows.Next() {
		u, err := scanUser(rows, set.DefaultLimit, set.HardCap)
		if err != nil {
			return nil, fmt.Errorf("store: unable to read user: %w", err)
		}
		out = append(out, u.User)
	}
	return out, rows.Err()
}

// CountUsers reports how many users exist (first start creates the admin when none do).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CountUsers reports inside the transaction how many users exist.
func (t *Tx) CountUsers() (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CreateUser inserts a user; a taken username is username_taken.
func (t *Tx) CreateUser(username, displayName, passwordHash string, role wire.Role, autoLimit, hardCap *int) (int64, error) {
	var al, hc sql.NullInt64
	if autoLimit != nil {
		al = sql.NullInt64{Int64: int64(*autoLimit), Valid: true}
	}
	if hardCap != nil {
		hc = sql.NullInt64{Int64: int64(*hardCap), Valid: true}
	}
	id, err := t.insert(`INSERT INTO users (username, display_name, password_hash, role, auto_limit, hard_cap, presence_since, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, username, displayName, passwordHash, role, al, hc, t.Now, t.Now)
	if isUniqueViolation(err) {
		return 0, wire.Invalid("username", "username %q is taken", username).WithCode(wire.CodeUsernameTaken)
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to create user: %w", err)
	}
	return id, nil
}

// UpdateUser applies the non-nil fields of r.
func (t *Tx) UpdateUser(id int64, r wire.UserRequest, passwordHash string) error {
	t.assignable = true
	sets := []struct {
		col string
		val any
		on  bool
	}{
		{"username", deref(r.Username), r.Username != nil},
		{"display_name", deref(r.DisplayName), r.DisplayName != nil},
		{"password_hash", passwordHash, passwordHash != ""},
		{"role", derefRole(r.Role), r.Role != nil},
		{"auto_limit", derefInt(r.AutoLimit), r.AutoLimit != nil},
		{"hard_cap", derefInt(r.HardCap), r.HardCap != nil},
		{"auto_limit", nil, r.ClearAutoLimit},
		{"hard_cap", nil, r.ClearHardCap},
		{"disabled", boolInt(r.Disabled), r.Disabled != nil},
	}
	for _, s := range sets {
		if !s.on {
			continue
		}
		// Column names come from the fixed list above, never from input.
		_, err := t.exec(`UPDATE users SET `+s.col+` = ? WHERE id = ?`, s.val, id)
		if isUniqueViolation(err) {
			return wire.Invalid("username", "username is taken").WithCode(wire.CodeUsernameTaken)
		}
		if err != nil {
			return fmt.Errorf("store: unable to update user: %w", err)
		}
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefRole(p *wire.Role) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func boolInt(p *bool) int {
	if p != nil && *p {
		return 1
	}
	return 0
}

// SetPresence records a presence change with its timestamp, in users and the presence log.
// It reports false when the presence was already that (nothing recorded).
//
// A user with no live stream connection anywhere gets an offline deadline now+grace, as if they
// had just disconnected: presence is not kept up by HTTP calls alone.
func (t *Tx) SetPresence(userID int64, p wire.Presence, reason string, graceMillis int64) (bool, error) {
	if p == wire.Online {
		t.assignable = true
	}
	changed, err := t.execOne(`UPDATE users SET presence = ?, presence_reason = ?, presence_since = ?,
		offline_deadline = CASE WHEN ? <> 'offline' AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_id = users.id)
			THEN CAST(? AS BIGINT) ELSE 0 END
		WHERE id = ? AND (presence <> ? OR presence_reason <> ?)`, p, reason, t.Now, p, t.Now+graceMillis, userID, p, reason)
	if err != nil {
		return false, fmt.Errorf("store: unable to set presence: %w", err)
	}
	if !changed {
		return false, nil
	}
	if _, err := t.exec(`INSERT INTO presence_log (user_id, presence, reason, at) VALUES (?, ?, ?, ?)`, userID, p, reason, t.Now); err != nil {
		return false, fmt.Errorf("store: unable to log presence: %w", err)
	}
	return true, nil
}

// TouchAssigned stamps the agent's last assignment (ties go to whoever waited longest).
func (t *Tx) TouchAssigned(userID int64) error {
	_, err := t.exec(`UPDATE users SET last_assigned_at = ? WHERE id = ?`, t.Now, userID)
	return err
}

// EligibleAgent is an agent automatic assignment may give a conversation to now.
type EligibleAgent struct {
	ID             int64
	Active, Limit  int
	LastAssignedAt int64
}

// EligibleAgents lists the agents automatic assignment may use: online, enabled, below their
// auto-assignment limit (the workspace default when they have none), with their active counts.
//
// On PostgreSQL the agents it returns are locked until commit, and their counts are read after
// the lock: no other node can assign to them, or change their presence, before this transaction
// commits, so a limit holds however many nodes assign at once. An agent another transaction
// holds is waited for briefly (eligibleWait) and left out if it is still held then: most such
// holds are short (the agent's app connecting or disconnecting somewhere, a presence change)
// and skipping them at once gave the conversation to another agent than the rules' order,
// while two decisions that each hold an agent the other wants must not wait for each other
// (this runs after the decision's own locks, see lock.go).
func (t *Tx) EligibleAgents(defaultLimit int) ([]EligibleAgent, error) {
	const eligible = `SELECT id, active, lim, last_assigned_at FROM (
			SELECT u.id, u.last_assigned_at, COALESCE(u.auto_limit, ?) AS lim,
				(SELECT COUNT(*) FROM conversations c WHERE c.agent_id = u.id AND c.state = 'assigned') AS active
			FROM users u WHERE u.presence = 'online' AND u.disabled = 0
		) a WHERE a.active < a.lim ORDER BY a.id`
	var locked map[int64]bool
	if t.s.dialect.skipLocked != "" {
		ids, err := t.lockEligibleAgents(defaultLimit)
		if err != nil {
			return nil, fmt.Errorf("store: unable to lock eligible agents: %w", err)
		}
		if len(ids) == 0 {
			return nil, nil
		}
		locked = map[int64]bool{}
		for _, id := range ids {
			locked[id] = true
		}
	}
	rows, err := t.query(eligible, defaultLimit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list eligible agents: %w", err)
	}
	defer rows.Close()
	var out []EligibleAgent
	for rows.Next() {
		var a EligibleAgent
		if err := rows.Scan(&a.ID, &a.Active, &a.Limit, &a.LastAssignedAt); err != nil {
			return nil, err
		}
		if locked == nil || locked[a.ID] {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

// eligibleWait bounds how long automatic assignment waits for an eligible agent another
// transaction holds: longer than a short decision takes to commit, short enough that two
// decisions waiting for each other's agents give up quickly (each then skips the other's).
const eligibleWait = "50ms"

// lockEligibleAgents locks the agents that may be eligible (PostgreSQL) and returns their ids.
// The first statement skips the rows other transactions hold and counts the candidates it
// saw; only when some were skipped does it wait for them, under a bound, in a savepoint, so
// that a wait given up costs nothing but the skip.
func (t *Tx) lockEligibleAgents(defaultLimit int) ([]int64, error) {
	const candidates = `SELECT u.id, (SELECT COUNT(*) FROM users v WHERE v.presence = 'online' AND v.disabled = 0
			AND (SELECT COUNT(*) FROM conversations c WHERE c.agent_id = v.id AND c.state = 'assigned') < COALESCE(v.auto_limit, ?))
		FROM users u WHERE u.presence = 'online' AND u.disabled = 0
		AND (SELECT COUNT(*) FROM conversations c WHERE c.agent_id = u.id AND c.state = 'assigned') < COALESCE(u.auto_limit, ?)
		ORDER BY u.id`
	rows, err := t.query(candidates+t.s.dialect.skipLocked, defaultLimit, defaultLimit)
	if err != nil {
		return nil, err
	}
	var ids []int64
	seen := int64(0)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &seen); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(ids)) >= seen {
		return ids, nil // nobody else held one
	}
	// Wait for the others, briefly. Not through t.query: a wait given up here is no conflict
	// of the request's, only of this statement's.
	var before string
	if err := t.tx.QueryRow(`SELECT current_setting('lock_timeout')`).Scan(&before); err != nil {
		return nil, t.note(err)
	}
	if _, err := t.tx.Exec(`SAVEPOINT eligible_agents`); err != nil {
		return nil, t.note(err)
	}
	if _, err := t.tx.Exec(`SELECT set_config('lock_timeout', $1, true)`, eligibleWait); err != nil {
		return nil, t.note(err)
	}
	var waited []int64
	rows, err = t.tx.Query(t.s.q(candidates+t.s.dialect.lockRows), defaultLimit, defaultLimit)
	if err == nil {
		for rows.Next() {
			var id int64
			if err = rows.Scan(&id, &seen); err != nil {
				break
			}
			waited = append(waited, id)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		if _, rbErr := t.tx.Exec(`ROLLBACK TO SAVEPOINT eligible_agents`); rbErr != nil {
			return nil, t.note(rbErr)
		}
		if _, rbErr := t.tx.Exec(`RELEASE SAVEPOINT eligible_agents`); rbErr != nil {
			return nil, t.note(rbErr)
		}
		switch pgCode(err) {
		case pgLockNotAvailable, pgDeadlockDetected:
			return ids, nil // still held: leave them to their own transactions' rounds
		}
		return nil, t.note(err)
	}
	// Keep the locks (release the savepoint), restore the transaction's own bound.
	if _, err := t.tx.Exec(`RELEASE SAVEPOINT eligible_agents`); err != nil {
		return nil, t.note(err)
	}
	if _, err := t.tx.Exec(`SELECT set_config('lock_timeout', $1, true)`, before); err != nil {
		return nil, t.note(err)
	}
	return waited, nil
}

// AssignmentDue reports whether automatic assignment has something to do: a queued
// conversation and an eligible agent it may go to. Each decision assigns what it made possible,
// but on PostgreSQL two decisions on two nodes can each miss what the other did (a conversation
// queued on one while an agent's capacity is freed on the other, neither yet committed); the
// sweep asks this and runs a round when it is so.
func (s *Store) AssignmentDue(ctx context.Context, defaultLimit int) (bool, error) {
	// An empty queue is answered by one lookup in the queue's index, before any agent is looked
	// at: CASE, because SQLite turns an EXISTS in a WHERE into a join and would scan the agents
	// first; the ORDER BY is the queue index's, so the planner picks it.
	var due bool
	err := s.readRow(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM conversations WHERE state = 'queued' ORDER BY queue_rank, queued_at, id)
		THEN EXISTS (SELECT 1 FROM users u WHERE u.presence = 'online' AND u.disabled = 0
		AND (SELECT COUNT(*) FROM conversations c WHERE c.agent_id = u.id AND c.state = 'assigned') < COALESCE(u.auto_limit, ?)
		AND EXISTS (SELECT 1 FROM conversations q WHERE q.state = 'queued' AND (q.skip_agent_id IS NULL OR q.skip_agent_id <> u.id)))
		ELSE FALSE END`, defaultLimit).Scan(&due)
	return due, err
}

// Sessions. Ending sessions always appends sessions.ended for their user in the same
// transaction: every node then closes that user's streams whose session is gone, at once.

// CreateSession stores a login token's hash (never the token).
func (t *Tx) CreateSession(tokenHash string, userID, expiresAt int64) error {
	_, err := t.exec(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, t.Now, expiresAt, t.Now)
	if err != nil {
		return fmt.Errorf("store: unable to create session: %w", err)
	}
	return nil
}

// DeleteSession removes a login token (signing out).
func (t *Tx) DeleteSession(tokenHash string) error {
	var userID int64
	err := t.queryRow(`DELETE FROM sessions WHERE token_hash = ? RETURNING user_id`, tokenHash).Scan(&userID)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: unable to delete session: %w", err)
	}
	return t.SessionsEnded(userID)
}

// EndSessions removes every session of a user but keep (a token hash; "" keeps none): a
// password change or reset, a disabled user.
func (t *Tx) EndSessions(userID int64, keep string) error {
	res, err := t.exec(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep)
	if err != nil {
		return fmt.Errorf("store: unable to end sessions: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return t.SessionsEnded(userID)
}

// SessionsEnded tells every node to re-check the user's open streams: their sessions ended, or
// what the streams were opened with (the role) changed.
func (t *Tx) SessionsEnded(userID int64) error {
	return t.Append(wire.InternalSessionsEnded, 0, Users(userID), wire.SessionsEndedData{UserID: userID})
}

// EndExpiredSessions removes sessions past their lifetime or, when idleMillis > 0, unused for
// that long.
func (t *Tx) EndExpiredSessions(idleMillis int64) error {
	users, err := t.ids(`DELETE FROM sessions WHERE expires_at <= ? OR (CAST(? AS BIGINT) > 0 AND last_seen_at <= ?) RETURNING user_id`,
		t.Now, idleMillis, t.Now-idleMillis)
	if err != nil {
		return fmt.Errorf("store: unable to end expired sessions: %w", err)
	}
	seen := map[int64]bool{}
	for _, id := range users {
		if !seen[id] {
			seen[id] = true
			if err := t.SessionsEnded(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// SessionsExpired reports whether a session is past its lifetime or idle time (the sweep
// takes the write lock only then).
func (s *Store) SessionsExpired(ctx context.Context, now, idleMillis int64) (bool, error) {
	// Two index lookups (an OR of the two would scan every session).
	return s.exists(ctx, `SELECT 1 FROM sessions WHERE expires_at <= ?
		UNION ALL SELECT 1 FROM sessions WHERE CAST(? AS BIGINT) > 0 AND last_seen_at <= ?`, now, idleMillis, now-idleMillis)
}

// TouchSession records that a session was used.
func (t *Tx) TouchSession(tokenHash string) error {
	_, err := t.exec(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, t.Now, tokenHash)
	return err
}

// Session is a live login session.
type Session struct {
	UserID    int64
	ExpiresAt int64
}

// Session returns a live session (of an enabled user) by its token's hash; ErrNotFound when
// it is gone, expired or its user is disabled.
func (s *Store) Session(ctx context.Context, tokenHash string) (Session, error) {
	var out Session
	err := s.readRow(ctx, `SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`, tokenHash, Now()).Scan(&out.UserID, &out.ExpiresAt)
	if err == sql.ErrNoRows {
		return out, ErrNotFound
	}
	return out, err
}

// LiveSession is a session that may act: not expired, not idle too long, its user enabled.
type LiveSession struct {
	UserID   int64
	LastSeen int64
}

// SessionUser returns the live session of a token hash; ErrNotFound when there is none.
// idleMillis > 0 ends sessions unused that long.
func (s *Store) SessionUser(ctx context.Context, tokenHash string, idleMillis int64) (LiveSession, error) {
	var ls LiveSession
	now := Now()
	err := s.readRow(ctx, `SELECT s.user_id, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND (CAST(? AS BIGINT) = 0 OR s.last_seen_at > ?) AND u.disabled = 0`,
		tokenHash, now, idleMillis, now-idleMillis).Scan(&ls.UserID, &ls.LastSeen)
	if err == sql.ErrNoRows {
		return ls, ErrNotFound
	}
	return ls, err
}

// Connections.

// AddConnection records a live stream connection and cancels any pending offline deadline.
//
// The user's row is locked first, here and wherever connections decide the deadline: "no
// connection left" is then read after any other node's connect or disconnect has committed.
func (t *Tx) AddConnection(id string, userID int64, node string) error {
	if err := t.LockUser(userID); err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO connections (id, user_id, node, seen_at) VALUES (?, ?, ?, ?)`, id, userID, node, t.Now); err != nil {
		return fmt.Errorf("store: unable to add connection: %w", err)
	}
	_, err := t.exec(`UPDATE users SET offline_deadline = 0 WHERE id = ?`, userID)
	return err
}

// RemoveConnection drops a connection; when it was the user's last one and they are not
// offline, their offline deadline is set to now+grace.
func (t *Tx) RemoveConnection(id string, userID int64, graceMillis int64) error {
	if err := t.LockUser(userID); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM connections WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: unable to remove connection: %w", err)
	}
	_, err := t.exec(`UPDATE users SET offline_deadline = ? WHERE id = ? AND presence <> 'offline'
		AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_id = users.id)`, t.Now+graceMillis, userID)
	return err
}

// Heartbeat refreshes this node's connections.
func (t *Tx) Heartbeat(node string) error {
	_, err := t.exec(`UPDATE connections SET seen_at = ? WHERE node = ?`, t.Now, node)
	return err
}

// DropStaleConnections removes connections not refreshed since before, left by a node that died,
// and starts the offline grace for users with none left.
func (t *Tx) DropStaleConnections(before, graceMillis int64) error {
	users, err := t.ids(`SELECT DISTINCT user_id FROM connections WHERE seen_at < ? ORDER BY user_id`, before)
	if err != nil || len(users) == 0 {
		return err
	}
	if err := t.lockUsers(users); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM connections WHERE seen_at < ?`, before); err != nil {
		return err
	}
	for _, id := range users {
		if _, err := t.exec(`UPDATE users SET offline_deadline = ? WHERE id = ? AND presence <> 'offline'
			AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_id = users.id)`, t.Now+graceMillis, id); err != nil {
			return err
		}
	}
	return nil
}

// DropNodeConnections removes a node's connections (a restarted process under the same name).
func (t *Tx) DropNodeConnections(node string, graceMillis int64) error {
	users, err := t.ids(`SELECT DISTINCT user_id FROM connections WHERE node = ? ORDER BY user_id`, node)
	if err != nil || len(users) == 0 {
		return err
	}
	if err := t.lockUsers(users); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM connections WHERE node = ?`, node); err != nil {
		return err
	}
	for _, id := range users {
		if _, err := t.exec(`UPDATE users SET offline_deadline = ? WHERE id = ? AND presence <> 'offline'
			AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_id = users.id)`, t.Now+graceMillis, id); err != nil {
			return err
		}
	}
	return nil
}

// DueOffline lists users whose offline deadline has passed, locked until commit: one who
// reconnected on another node meanwhile (their deadline cancelled) is not among them.
func (t *Tx) DueOffline() ([]int64, error) {
	return t.ids(`SELECT id FROM users WHERE offline_deadline > 0 AND offline_deadline <= ? AND presence <> 'offline'
		ORDER BY id`+t.s.dialect.lockRows, t.Now)
}

// lockUsers locks users' rows, ids in increasing order (the lock order).
func (t *Tx) lockUsers(ids []int64) error {
	for _, id := range ids {
		if err := t.LockUser(id); err != nil && wire.CodeOf(err) != wire.CodeNotFound {
			return err
		}
	}
	return nil
}

func (t *Tx) ids(query string, args ...any) ([]int64, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
