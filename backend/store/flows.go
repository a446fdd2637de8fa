package store

// Chatbot flows: the flows and their immutable versions, and the runs of conversations through
// them. A conversation in a flow is in state 'flow' (neither queued nor held: it counts against
// no agent's capacity), and its run row holds where it is — the flow, the version it started on,
// the step, the attributes collected, the step's deadline. Every change of a run is a
// conditional UPDATE on its seq (and, for a timeout, on the deadline; for an HTTP step's answer,
// on the claim's lease), so a timer fires once and an answer advances the run once, whichever
// node gets there.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

// The conversation's state gains 'flow'; flows, versions and runs get their tables; a message
// remembers the flow that sent it and its choices; Telegram's button presses are answered by
// stored jobs (callback_answers).
func migrateFlows(tx *sql.Tx, d dialect) error {
	if err := allowFlowState(tx, d); err != nil {
		return err
	}
	stmts := []string{
		`ALTER TABLE conversations ADD COLUMN flow_id INTEGER`,
		`ALTER TABLE conversations ADD COLUMN flow_agent_id INTEGER`,
		`ALTER TABLE messages ADD COLUMN interactive TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE messages ADD COLUMN flow_id INTEGER`,
		`CREATE TABLE flows (
			id                INTEGER PRIMARY KEY,
			name              TEXT NOT NULL,
			latest_version    INTEGER NOT NULL DEFAULT 0,
			published_version INTEGER NOT NULL DEFAULT 0,
			archived          INTEGER NOT NULL DEFAULT 0,
			created_at        BIGINT NOT NULL,
			updated_at        BIGINT NOT NULL
		)`,
		`CREATE TABLE flow_versions (
			flow_id      INTEGER NOT NULL REFERENCES flows(id),
			version      INTEGER NOT NULL,
			definition   TEXT NOT NULL,
			created_by   INTEGER REFERENCES users(id),
			created_at   BIGINT NOT NULL,
			published_at BIGINT NOT NULL DEFAULT 0,
			PRIMARY KEY (flow_id, version)
		)`,
		`CREATE TABLE flow_runs (
			id              INTEGER PRIMARY KEY,
			conversation_id INTEGER NOT NULL REFERENCES conversations(id),
			flow_id         INTEGER NOT NULL,
			version         INTEGER NOT NULL,
			state           TEXT NOT NULL CHECK (state IN ('waiting', 'http', 'done')),
			step            TEXT NOT NULL DEFAULT '',
			seq             INTEGER NOT NULL DEFAULT 0,
			lease           INTEGER NOT NULL DEFAULT 0,
			attributes      TEXT NOT NULL DEFAULT '{}',
			tries           INTEGER NOT NULL DEFAULT 0,
			deadline        BIGINT NOT NULL DEFAULT 0,
			started_by      INTEGER REFERENCES users(id),
			started_at      BIGINT NOT NULL,
			ended_at        BIGINT NOT NULL DEFAULT 0,
			outcome         TEXT NOT NULL DEFAULT '',
			FOREIGN KEY (flow_id, version) REFERENCES flow_versions(flow_id, version)
		)`,
		// One running flow per conversation: two nodes starting one at once cannot both.
		`CREATE UNIQUE INDEX flow_runs_one_active ON flow_runs(conversation_id) WHERE state <> 'done'`,
		`CREATE INDEX flow_runs_conversation ON flow_runs(conversation_id, id)`,
		// The sweep's questions: which waits timed out, which HTTP steps are due.
		`CREATE INDEX flow_runs_due ON flow_runs(deadline) WHERE state <> 'done' AND deadline > 0`,
		`CREATE TABLE callback_answers (
			id          INTEGER PRIMARY KEY,
			channel_id  INTEGER NOT NULL REFERENCES channels(id),
			callback_id TEXT NOT NULL,
			state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
			attempts    INTEGER NOT NULL DEFAULT 0,
			next_try_at BIGINT NOT NULL,
			created_at  BIGINT NOT NULL,
			UNIQUE (channel_id, callback_id)
		)`,
		`CREATE INDEX callback_answers_due ON callback_answers(next_try_at) WHERE state = 'pending'`,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(d.rebind(s)); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	return nil
}

const (
	stateCheck     = `CHECK (state IN ('queued', 'assigned', 'ended'))`
	flowStateCheck = `CHECK (state IN ('queued', 'assigned', 'ended', 'flow'))`
)

// allowFlowState widens the conversations' state CHECK to 'flow'. PostgreSQL replaces the
// constraint. SQLite cannot alter a constraint; widening a CHECK changes nothing stored, so the
// table's definition is edited in place, the documented way (sqlite.org/lang_altertable.html,
// "making other kinds of table schema changes": writable_schema, then a new schema_version so
// every connection reloads it), inside the migration's transaction.
func allowFlowState(tx *sql.Tx, d dialect) error {
	if d.name == "postgres" {
		for _, q := range []string{
			`ALTER TABLE conversations DROP CONSTRAINT conversations_state_check`,
			`ALTER TABLE conversations ADD CONSTRAINT conversations_state_check ` + flowStateCheck,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	}
	var version int
	if err := tx.QueryRow(`PRAGMA schema_version`).Scan(&version); err != nil {
		return err
	}
	var def string
	if err := tx.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'conversations'`).Scan(&def); err != nil {
		return err
	}
	if !containsOnce(def, stateCheck) {
		return fmt.Errorf("the conversations table's state constraint is not the one expected")
	}
	if _, err := tx.Exec(`PRAGMA writable_schema = ON`); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'conversations'`,
		stateCheck, flowStateCheck); err != nil {
		return err
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA schema_version = %d`, version+1)); err != nil {
		return err
	}
	_, err := tx.Exec(`PRAGMA writable_schema = OFF`)
	return err
}

func containsOnce(s, sub string) bool {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n == 1
}

// Flows.

const flowColumns = `id, name, latest_version, published_version, archived, created_at, updated_at`

func scanFlow(row interface{ Scan(...any) error }) (wire.Flow, error) {
	var f wire.Flow
	var archived int
	err := row.Scan(&f.ID, &f.Name, &f.LatestVersion, &f.PublishedVersion, &archived, &f.CreatedAt, &f.UpdatedAt)
	f.Archived = archived != 0
	return f, err
}

// CreateFlow stores a new flow with its first version.
func (t *Tx) CreateFlow(name string, def []byte, by int64) (wire.Flow, error) {
	id, err := t.insert(`INSERT INTO flows (name, latest_version, created_at, updated_at) VALUES (?, 1, ?, ?)`, name, t.Now, t.Now)
	if err != nil {
		return wire.Flow{}, fmt.Errorf("store: unable to create flow: %w", err)
	}
	if err := t.insertVersion(id, 1, def, by); err != nil {
		return wire.Flow{}, err
	}
	return t.Flow(id)
}

func (t *Tx) insertVersion(flowID int64, version int, def []byte, by int64) error {
	var author any
	if by != 0 {
		author = by
	}
	if _, err := t.exec(`INSERT INTO flow_versions (flow_id, version, definition, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		flowID, version, string(def), author, t.Now); err != nil {
		return fmt.Errorf("store: unable to store flow version: %w", err)
	}
	return nil
}

// SaveFlow renames a flow (name non-nil) and, with a definition, adds its next version: a
// version is never changed, so conversations running on it finish as they started. Archived
// flows are not_found.
func (t *Tx) SaveFlow(id int64, name *string, def []byte, by int64) (wire.Flow, error) {
	var version int
	bump := 0
	if def != nil {
		bump = 1
	}
	var newName any
	if name != nil {
		newName = *name
	}
	err := t.queryRow(`UPDATE flows SET latest_version = latest_version + ?, name = COALESCE(?, name), updated_at = ?
		WHERE id = ? AND archived = 0 RETURNING latest_version`, bump, newName, t.Now, id).Scan(&version)
	if err != nil {
		return wire.Flow{}, wireNotFound(err, "flow")
	}
	if def != nil {
		if err := t.insertVersion(id, version, def, by); err != nil {
			return wire.Flow{}, err
		}
	}
	return t.Flow(id)
}

// PublishFlow makes a version the one new conversations start on.
func (t *Tx) PublishFlow(id int64, version int) (bool, error) {
	ok, err := t.execOne(`UPDATE flows SET published_version = ?, updated_at = ? WHERE id = ? AND archived = 0 AND latest_version >= ?`,
		version, t.Now, id, version)
	if err != nil || !ok {
		return false, err
	}
	_, err = t.exec(`UPDATE flow_versions SET published_at = ? WHERE flow_id = ? AND version = ? AND published_at = 0`, t.Now, id, version)
	return err == nil, err
}

// ArchiveFlow takes a flow out of use: no new conversation starts on it; running ones finish.
func (t *Tx) ArchiveFlow(id int64) (bool, error) {
	return t.execOne(`UPDATE flows SET archived = 1, updated_at = ? WHERE id = ? AND archived = 0`, t.Now, id)
}

// Flow reads a flow (without its definition).
func (t *Tx) Flow(id int64) (wire.Flow, error) {
	f, err := scanFlow(t.queryRow(`SELECT `+flowColumns+` FROM flows WHERE id = ?`, id))
	return f, wireNotFound(err, "flow")
}

// Flow reads a flow (without its definition).
func (s *Store) Flow(ctx context.Context, id int64) (wire.Flow, error) {
	f, err := scanFlow(s.readRow(ctx, `SELECT `+flowColumns+` FROM flows WHERE id = ?`, id))
	return f, wireNotFound(err, "flow")
}

// Flows lists flows by name: every one that is not archived, or (published) only those agents
// can hand conversations to.
func (s *Store) Flows(ctx context.Context, published bool) ([]wire.Flow, error) {
	rows, err := s.readRows(ctx, `SELECT `+flowColumns+` FROM flows WHERE archived = 0 AND (? = 0 OR published_version > 0)
		ORDER BY name, id`, boolInt(&published))
	if err != nil {
		return nil, fmt.Errorf("store: unable to list flows: %w", err)
	}
	defer rows.Close()
	out := []wire.Flow{}
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlowVersion reads one version's definition (JSON).
func (s *Store) FlowVersion(ctx context.Context, id int64, version int) ([]byte, error) {
	var def string
	err := s.readRow(ctx, `SELECT definition FROM flow_versions WHERE flow_id = ? AND version = ?`, id, version).Scan(&def)
	return []byte(def), wireNotFound(err, "flow version")
}

// FlowVersion reads one version's definition (JSON) inside the transaction.
func (t *Tx) FlowVersion(id int64, version int) ([]byte, error) {
	var def string
	err := t.queryRow(`SELECT definition FROM flow_versions WHERE flow_id = ? AND version = ?`, id, version).Scan(&def)
	return []byte(def), wireNotFound(err, "flow version")
}

// Runs.

// FlowRun is a conversation's way through a flow.
type FlowRun struct {
	ID, ConversationID, FlowID int64
	Version                    int
	State                      string // RunWaiting, RunHTTP, RunDone
	Step                       string // "" before the first step
	Seq                        int64  // advances with every change: the condition of the next one
	Lease                      int64  // the HTTP step's claim
	Attributes                 map[string]string
	Tries                      int
	Deadline                   int64 // waiting: the timeout (0: none); http: when it may be claimed
	StartedBy                  int64
	StartedAt                  int64
	Outcome                    string
}

// Run states.
const (
	RunWaiting = "waiting" // for the customer (or the step's timeout)
	RunHTTP    = "http"    // for the HTTP step's call
	RunDone    = "done"
)

const runColumns = `id, conversation_id, flow_id, version, state, step, seq, lease, attributes, tries, deadline,
	COALESCE(started_by, 0), started_at, outcome`

func scanRun(row interface{ Scan(...any) error }) (FlowRun, error) {
	var r FlowRun
	var attrs string
	err := row.Scan(&r.ID, &r.ConversationID, &r.FlowID, &r.Version, &r.State, &r.Step, &r.Seq, &r.Lease, &attrs, &r.Tries,
		&r.Deadline, &r.StartedBy, &r.StartedAt, &r.Outcome)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
		return r, fmt.Errorf("store: flow run %d has corrupt attributes: %w", r.ID, err)
	}
	if r.Attributes == nil {
		r.Attributes = map[string]string{}
	}
	return r, nil
}

// StartRun records that a conversation enters a flow version, before its first step.
func (t *Tx) StartRun(convID, flowID int64, version int, startedBy int64) (FlowRun, error) {
	var by any
	if startedBy != 0 {
		by = startedBy
	}
	id, err := t.insert(`INSERT INTO flow_runs (conversation_id, flow_id, version, state, started_by, started_at)
		VALUES (?, ?, ?, 'waiting', ?, ?)`, convID, flowID, version, by, t.Now)
	if isUniqueViolation(err) {
		return FlowRun{}, wire.Errorf(wire.CodeConversationInFlow, "a chatbot flow is already talking to this customer")
	}
	if err != nil {
		return FlowRun{}, fmt.Errorf("store: unable to start flow run: %w", err)
	}
	return FlowRun{ID: id, ConversationID: convID, FlowID: flowID, Version: version, State: RunWaiting,
		Attributes: map[string]string{}, StartedBy: startedBy, StartedAt: t.Now}, nil
}

// ActiveRun returns the conversation's running flow, if any.
func (t *Tx) ActiveRun(convID int64) (FlowRun, bool, error) {
	r, err := scanRun(t.queryRow(`SELECT `+runColumns+` FROM flow_runs WHERE conversation_id = ? AND state <> 'done'`, convID))
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	return r, err == nil, err
}

// FlowRunByID reads a run.
func (t *Tx) FlowRunByID(id int64) (FlowRun, error) {
	r, err := scanRun(t.queryRow(`SELECT `+runColumns+` FROM flow_runs WHERE id = ?`, id))
	return r, wireNotFound(err, "flow run")
}

// How an update of a run is conditioned, beyond its seq.
type RunCondition int

const (
	OnAnswer  RunCondition = iota // the run is not done (the customer answered, the flow started)
	OnTimeout                     // the run waits and its deadline has passed
	OnHTTP                        // the run waits for the HTTP step of the claim r.Lease
)

// UpdateRun writes the run's new step, attributes, tries, state and deadline (RunDone with
// r.Outcome ends it) if it is still at seq and cond holds; false: another decision changed it
// first (an answer raced a timeout, a late HTTP answer after its claim was lost), and nothing is
// written.
func (t *Tx) UpdateRun(r FlowRun, seq int64, cond RunCondition) (bool, error) {
	attrs, err := json.Marshal(r.Attributes)
	if err != nil {
		return false, err
	}
	ended := int64(0)
	if r.State == RunDone {
		ended = t.Now
	}
	q := `UPDATE flow_runs SET state = ?, step = ?, attributes = ?, tries = ?, deadline = ?, seq = seq + 1, ended_at = ?, outcome = ?
		WHERE id = ? AND seq = ? AND state <> 'done'`
	args := []any{r.State, r.Step, string(attrs), r.Tries, r.Deadline, ended, r.Outcome, r.ID, seq}
	switch cond {
	case OnTimeout:
		q += ` AND state = 'waiting' AND deadline > 0 AND deadline <= ?`
		args = append(args, t.Now)
	case OnHTTP:
		q += ` AND state = 'http' AND lease = ?`
		args = append(args, r.Lease)
	}
	ok, err := t.execOne(q, args...)
	if err != nil {
		return false, fmt.Errorf("store: unable to update flow run: %w", err)
	}
	return ok, nil
}

// ClaimHTTPRun claims a due HTTP step for this node until `until`: its lease number is the
// condition under which the call's answer is recorded (a claim that ran out, and was claimed
// again elsewhere, records nothing).
func (t *Tx) ClaimHTTPRun(id, seq, until int64) (int64, bool, error) {
	var lease int64
	err := t.queryRow(`UPDATE flow_runs SET deadline = ?, lease = lease + 1
		WHERE id = ? AND seq = ? AND state = 'http' AND deadline <= ? RETURNING lease`, until, id, seq, t.Now).Scan(&lease)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: unable to claim an HTTP step: %w", err)
	}
	return lease, true, nil
}

// DueRun names a run whose deadline has come.
type DueRun struct {
	ID, ConversationID, Seq int64
}

// DueFlowRuns lists runs in state (RunWaiting: timed out; RunHTTP: an HTTP step to call)
// whose deadline is at or before now, oldest first.
func (s *Store) DueFlowRuns(ctx context.Context, state string, now int64, limit int) ([]DueRun, error) {
	rows, err := s.readRows(ctx, `SELECT id, conversation_id, seq FROM flow_runs
		WHERE state <> 'done' AND deadline > 0 AND deadline <= ? AND state = ? ORDER BY deadline, id LIMIT ?`, now, state, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read due flow runs: %w", err)
	}
	defer rows.Close()
	var out []DueRun
	for rows.Next() {
		var d DueRun
		if err := rows.Scan(&d.ID, &d.ConversationID, &d.Seq); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Conversations and flows.

// HandToFlow moves a conversation agentID holds into a flow: it leaves the agent (their active
// count drops at once), and is neither queued nor held while the flow talks.
func (t *Tx) HandToFlow(convID, agentID, flowID int64) (bool, error) {
	t.assignable = true
	ok, err := t.execOne(`UPDATE conversations SET state = 'flow', agent_id = NULL, flow_id = ?, flow_agent_id = ?, queue_rank = 0,
		skip_agent_id = NULL WHERE id = ? AND state = 'assigned' AND agent_id = ?`, flowID, agentID, convID, agentID)
	if err != nil {
		return false, fmt.Errorf("store: unable to hand conversation to a flow: %w", err)
	}
	return ok, nil
}

// EnterFlow sends a conversation that has just entered the queue through a flow first (a
// channel's default flow).
func (t *Tx) EnterFlow(convID, flowID int64) (bool, error) {
	ok, err := t.execOne(`UPDATE conversations SET state = 'flow', flow_id = ? WHERE id = ? AND state = 'queued'`, flowID, convID)
	if err != nil {
		return false, fmt.Errorf("store: unable to send conversation through a flow: %w", err)
	}
	return ok, nil
}

// QueueFromFlow puts a conversation a flow hands over into the queue, entering it now; atHead
// before every conversation of normal rank.
func (t *Tx) QueueFromFlow(convID int64, atHead bool) (bool, error) {
	t.assignable = true
	rank := 0
	if atHead {
		rank = -1
	}
	ok, err := t.execOne(`UPDATE conversations SET state = 'queued', queued_at = ?, queue_rank = ?, flow_id = NULL, flow_agent_id = NULL
		WHERE id = ? AND state = 'flow'`, t.Now, rank, convID)
	if err != nil {
		return false, fmt.Errorf("store: unable to queue conversation from a flow: %w", err)
	}
	return ok, nil
}

// EndFromFlow ends a conversation in a flow with an end reason (endedBy 0: the flow itself).
func (t *Tx) EndFromFlow(convID, reasonID, endedBy int64) (bool, error) {
	var by any
	if endedBy != 0 {
		by = endedBy
	}
	ok, err := t.execOne(`UPDATE conversations SET state = 'ended', ended_at = ?, end_reason_id = ?, ended_by = ?, flow_id = NULL, flow_agent_id = NULL
		WHERE id = ? AND state = 'flow'`, t.Now, reasonID, by, convID)
	if err != nil {
		return false, fmt.Errorf("store: unable to end conversation from a flow: %w", err)
	}
	return ok, nil
}

// ConversationAttributes lists a conversation's runs through flows, oldest first, and what they
// collected (a later run's value of an attribute replaces an earlier one's).
func (s *Store) ConversationAttributes(ctx context.Context, convID int64) (wire.ConversationAttributes, error) {
	out := wire.ConversationAttributes{Attributes: map[string]string{}, Runs: []wire.FlowRunSummary{}}
	rows, err := s.readRows(ctx, `SELECT r.id, r.flow_id, f.name, r.version, COALESCE(r.started_by, 0), r.started_at, r.ended_at,
		r.state, r.step, r.outcome, r.attributes FROM flow_runs r JOIN flows f ON f.id = r.flow_id
		WHERE r.conversation_id = ? ORDER BY r.id`, convID)
	if err != nil {
		return out, fmt.Errorf("store: unable to read flow runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r wire.FlowRunSummary
		var by int64
		var state, attrs string
		if err := rows.Scan(&r.ID, &r.FlowID, &r.FlowName, &r.Version, &by, &r.StartedAt, &r.EndedAt, &state, &r.Step, &r.Outcome, &attrs); err != nil {
			return out, err
		}
		if by != 0 {
			r.StartedBy = &by
		}
		if state == RunDone {
			r.Step = ""
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(attrs), &m); err != nil {
			return out, fmt.Errorf("store: flow run %d has corrupt attributes: %w", r.ID, err)
		}
		for k, v := range m {
			out.Attributes[k] = v
		}
		out.Runs = append(out.Runs, r)
	}
	return out, rows.Err()
}

// FlowsDue reports whether a flow timer or HTTP step is due (the sweep's cheap first look).
func (s *Store) FlowsDue(ctx context.Context, now int64) (bool, error) {
	return s.exists(ctx, `SELECT 1 FROM flow_runs WHERE state <> 'done' AND deadline > 0 AND deadline <= ?`, now)
}

// SetDefaultFlow sets a channel's default flow (0: none) in its settings, read and written
// under the channel's lock so a concurrent change of its other settings is not lost.
func (t *Tx) SetDefaultFlow(channelID, flowID int64) error {
	var raw string
	if err := t.queryRow(`SELECT config FROM channels WHERE id = ?`+t.s.dialect.lockRows, channelID).Scan(&raw); err != nil {
		return wireNotFound(err, "channel")
	}
	var cfg ChannelConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("store: channel %d has corrupt settings: %w", channelID, err)
	}
	cfg.DefaultFlowID = flowID
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = t.exec(`UPDATE channels SET config = ? WHERE id = ?`, string(b), channelID)
	return err
}
