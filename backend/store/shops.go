package store

// Connected shops (Shopify, Ticimax, Ideasoft): their settings, their credentials sealed with
// the secret key (never returned, never logged), who may run order actions, and whether the
// shop answers — "unreachable since" is a row value, so every node's panel says the same.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"santral/backend/wire"
)

// migrateShopStores adds the connected shops.
func migrateShopStores(tx *sql.Tx, d dialect) error {
	_, err := tx.Exec(d.rebind(`CREATE TABLE shop_stores (
		id                INTEGER PRIMARY KEY,
		platform          TEXT NOT NULL CHECK (platform IN ('shopify', 'ticimax', 'ideasoft')),
		name              TEXT NOT NULL,
		config            TEXT NOT NULL DEFAULT '{}',
		secrets           TEXT NOT NULL DEFAULT '{}',
		enabled           INTEGER NOT NULL DEFAULT 1,
		unreachable_since BIGINT NOT NULL DEFAULT 0,
		last_error        TEXT NOT NULL DEFAULT '',
		version           INTEGER NOT NULL DEFAULT 1,
		created_at        BIGINT NOT NULL,
		updated_at        BIGINT NOT NULL
	)`))
	return err
}

// ShopConfig is a shop's settings (no secrets).
type ShopConfig struct {
	BaseURL     string      `json:"base_url"`
	APIVersion  string      `json:"api_version,omitempty"`
	RedirectURI string      `json:"redirect_uri,omitempty"`
	ActionRoles []wire.Role `json:"action_roles"`
}

// ShopRow is a connected shop with its credentials, for the server's own use only.
type ShopRow struct {
	ID               int64
	Platform         string
	Name             string
	Enabled          bool
	Config           ShopConfig
	Secrets          map[string]string
	UnreachableSince int64
	LastError        string
	// Version changes with every write of settings or credentials: a node's built client for
	// the shop is stale once the row's version moved.
	Version int64
}

// View is the admin's view: settings and the names of the credentials set.
func (r ShopRow) View() wire.ShopStore {
	v := wire.ShopStore{ID: r.ID, Platform: r.Platform, Name: r.Name, BaseURL: r.Config.BaseURL, APIVersion: r.Config.APIVersion,
		RedirectURI: r.Config.RedirectURI, Enabled: r.Enabled, ActionRoles: r.Config.ActionRoles, Credentials: []string{},
		UnreachableSince: r.UnreachableSince, LastError: r.LastError, Authorized: true}
	if v.ActionRoles == nil {
		v.ActionRoles = []wire.Role{}
	}
	for k, val := range r.Secrets {
		if val != "" && k != "oauth_state" && k != "expires" {
			v.Credentials = append(v.Credentials, k)
		}
	}
	sort.Strings(v.Credentials)
	if r.Platform == "ideasoft" {
		v.Authorized = r.Secrets["refresh_token"] != ""
	}
	return v
}

const shopColumns = `id, platform, name, config, secrets, enabled, unreachable_since, last_error, version`

func shopContext(id int64) string { return "shop_stores.secrets/" + strconv.FormatInt(id, 10) }

func (s *Store) scanShop(row interface{ Scan(...any) error }) (ShopRow, error) {
	var r ShopRow
	var cfg, sec string
	var enabled int
	if err := row.Scan(&r.ID, &r.Platform, &r.Name, &cfg, &sec, &enabled, &r.UnreachableSince, &r.LastError, &r.Version); err != nil {
		return r, err
	}
	r.Enabled = enabled != 0
	if err := json.Unmarshal([]byte(cfg), &r.Config); err != nil {
		return r, fmt.Errorf("store: shop %d has corrupt settings: %w", r.ID, err)
	}
	plain := []byte(sec)
	if sec != "{}" {
		if s.secrets == nil {
			return r, fmt.Errorf("store: shop %d has encrypted credentials and no secret key is set", r.ID)
		}
		var err error
		if plain, err = s.secrets.Open(sec, shopContext(r.ID)); err != nil {
			return r, fmt.Errorf("store: the secret key does not open the credentials of shop %d: %w", r.ID, err)
		}
	}
	if err := json.Unmarshal(plain, &r.Secrets); err != nil {
		return r, fmt.Errorf("store: shop %d has corrupt credentials: %w", r.ID, err)
	}
	if r.Secrets == nil {
		r.Secrets = map[string]string{}
	}
	return r, nil
}

// sealShop is the credentials column for a shop: always sealed; without a key only an empty
// set may be stored.
func (s *Store) sealShop(id int64, sec map[string]string) (string, error) {
	clean := map[string]string{}
	for k, v := range sec {
		if v != "" {
			clean[k] = v
		}
	}
	if len(clean) == 0 {
		return "{}", nil
	}
	if s.secrets == nil {
		return "", errors.New("store: no secret key is set: shop credentials cannot be stored")
	}
	raw, _ := json.Marshal(clean)
	return s.secrets.Seal(raw, shopContext(id)), nil
}

// ShopRow reads a shop with its credentials.
func (s *Store) ShopRow(ctx context.Context, id int64) (ShopRow, error) {
	r, err := s.scanShop(s.readRow(ctx, `SELECT `+shopColumns+` FROM shop_stores WHERE id = ?`, id))
	if err != nil {
		return r, wireNotFound(err, "shop")
	}
	return r, nil
}

// ShopRows lists every shop with its credentials, oldest first.
func (s *Store) ShopRows(ctx context.Context) ([]ShopRow, error) {
	rows, err := s.readRows(ctx, `SELECT `+shopColumns+` FROM shop_stores ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list shops: %w", err)
	}
	defer rows.Close()
	out := []ShopRow{}
	for rows.Next() {
		r, err := s.scanShop(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ErrShopChanged: the shop's row moved (a token refresh) since the row being saved was read.
var ErrShopChanged = errors.New("store: the shop changed since it was read")

// SaveShop inserts (ID 0) or updates a shop's settings and credentials, sealed for its row.
func (t *Tx) SaveShop(r ShopRow) (int64, error) {
	cfg, _ := json.Marshal(r.Config)
	if r.ID == 0 {
		id, err := t.insert(`INSERT INTO shop_stores (platform, name, config, secrets, enabled, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?, ?)`,
			r.Platform, r.Name, string(cfg), boolInt(&r.Enabled), t.Now, t.Now)
		if err != nil {
			return 0, fmt.Errorf("store: unable to create shop: %w", err)
		}
		r.ID, r.Version = id, 1 // the column's default
	}
	sec, err := t.s.sealShop(r.ID, r.Secrets)
	if err != nil {
		return 0, err
	}
	// The row is written back whole, credentials too: only if it is still the version that was
	// read, so a token pair refreshed meanwhile (ReplaceShopSecret) is never put back to the
	// one it replaced — which Ideasoft has already invalidated.
	ok, err := t.execOne(`UPDATE shop_stores SET name = ?, config = ?, secrets = ?, enabled = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		r.Name, string(cfg), sec, boolInt(&r.Enabled), t.Now, r.ID, r.Version)
	if err != nil {
		return 0, fmt.Errorf("store: unable to update shop: %w", err)
	}
	if !ok {
		var exists int
		if err := t.queryRow(`SELECT 1 FROM shop_stores WHERE id = ?`, r.ID).Scan(&exists); err == sql.ErrNoRows {
			return 0, wire.Errorf(wire.CodeNotFound, "shop not found")
		} else if err != nil {
			return 0, fmt.Errorf("store: unable to read shop: %w", err)
		}
		return 0, ErrShopChanged
	}
	return r.ID, nil
}

// DeleteShop removes a shop and its credentials.
func (t *Tx) DeleteShop(id int64) error {
	ok, err := t.execOne(`DELETE FROM shop_stores WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: unable to delete shop: %w", err)
	}
	if !ok {
		return wire.Errorf(wire.CodeNotFound, "shop not found")
	}
	return nil
}

// ReplaceShopSecret sets some credentials of a shop (a refreshed token pair) only if the row
// is still at version: a refresh by another node since then wins, and this one reports false
// so the caller reads the row again rather than overwrite a newer pair with an older one.
func (s *Store) ReplaceShopSecret(ctx context.Context, id, version int64, set map[string]string) (int64, bool, error) {
	var next int64
	var ok bool
	_, err := s.Tx(ctx, func(tx *Tx) error {
		r, err := s.scanShop(tx.queryRow(`SELECT `+shopColumns+` FROM shop_stores WHERE id = ?`, id))
		if err != nil {
			return wireNotFound(err, "shop")
		}
		if r.Version != version {
			return nil
		}
		for k, v := range set {
			r.Secrets[k] = v
		}
		sec, err := s.sealShop(id, r.Secrets)
		if err != nil {
			return err
		}
		if ok, err = tx.execOne(`UPDATE shop_stores SET secrets = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
			sec, tx.Now, id, version); err != nil {
			return err
		}
		next = version + 1
		return nil
	})
	return next, ok, err
}

// MarkShopUnreachable records that a shop stopped answering at `at` (unix ms). The first
// failure sets the time; later ones keep it, so the panel says since when.
func (s *Store) MarkShopUnreachable(ctx context.Context, id, at int64, why string) error {
	if len(why) > 300 {
		why = why[:300]
	}
	_, err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE shop_stores SET unreachable_since = CASE WHEN unreachable_since = 0 THEN ? ELSE unreachable_since END,
			last_error = ? WHERE id = ?`, at, why, id)
		return err
	})
	return err
}

// MarkShopReachable clears the unreachable state (only when set: no write per answer).
func (s *Store) MarkShopReachable(ctx context.Context, id int64) error {
	_, err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE shop_stores SET unreachable_since = 0, last_error = '' WHERE id = ? AND (unreachable_since <> 0 OR last_error <> '')`, id)
		return err
	})
	return err
}

// migrateShopStateAndActions moves the Ideasoft authorisation's state out of the sealed
// credentials into columns a single conditional UPDATE can take, and adds the order actions a
// conversation's panel has started: a pending row, written under the holder check, stands for
// the shop call while it runs.
func migrateShopStateAndActions(tx *sql.Tx, d dialect) error {
	for _, stmt := range []string{
		`ALTER TABLE shop_stores ADD COLUMN oauth_state TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE shop_stores ADD COLUMN oauth_state_expires BIGINT NOT NULL DEFAULT 0`,
		`CREATE TABLE shop_actions (
			id              INTEGER PRIMARY KEY,
			conversation_id BIGINT NOT NULL REFERENCES conversations(id),
			store_id        BIGINT NOT NULL,
			order_id        TEXT NOT NULL,
			action          TEXT NOT NULL,
			actor_id        BIGINT NOT NULL,
			state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'abandoned')),
			created_at      BIGINT NOT NULL,
			finished_at     BIGINT NOT NULL DEFAULT 0
		)`,
		// One action at a time on an order: a second cancel while the first is at the shop is
		// refused, not sent.
		`CREATE UNIQUE INDEX shop_actions_pending ON shop_actions(store_id, order_id) WHERE state = 'pending'`,
		`CREATE INDEX shop_actions_conversation ON shop_actions(conversation_id)`,
	} {
		if _, err := tx.Exec(d.rebind(stmt)); err != nil {
			return fmt.Errorf("%.60s…: %w", stmt, err)
		}
	}
	return nil
}

// SetShopOAuthState keeps the hash of the state an Ideasoft authorisation link carries, until
// expires (unix ms). A new link replaces the previous one's.
func (s *Store) SetShopOAuthState(ctx context.Context, id int64, hash string, expires int64) error {
	_, err := s.Tx(ctx, func(tx *Tx) error {
		ok, err := tx.execOne(`UPDATE shop_stores SET oauth_state = ?, oauth_state_expires = ? WHERE id = ?`, hash, expires, id)
		if err != nil {
			return fmt.Errorf("store: unable to keep the authorisation state: %w", err)
		}
		if !ok {
			return wire.Errorf(wire.CodeNotFound, "shop not found")
		}
		return nil
	})
	return err
}

// TakeShopOAuthState uses up an authorisation state: true for exactly one caller with the
// state's hash before it expires, in one conditional statement, so a callback replayed (or
// delivered twice at once, on one node or two) finds it gone.
func (s *Store) TakeShopOAuthState(ctx context.Context, id int64, hash string, now int64) (bool, error) {
	if hash == "" {
		return false, nil
	}
	var ok bool
	_, err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		ok, err = tx.execOne(`UPDATE shop_stores SET oauth_state = '', oauth_state_expires = 0
			WHERE id = ? AND platform = 'ideasoft' AND oauth_state = ? AND oauth_state <> '' AND oauth_state_expires > ?`, id, hash, now)
		if err != nil {
			return fmt.Errorf("store: unable to use the authorisation state: %w", err)
		}
		return nil
	})
	return ok, err
}

// ErrShopActionPending: another action on the same order is at the shop now.
var ErrShopActionPending = errors.New("store: an action on this order is already running")

// BeginShopAction records an order action as pending before the shop is called. A pending row
// on the same order older than staleBefore (unix ms) is from a node that stopped mid-call: it
// is marked abandoned rather than blocking the order for ever. The caller has checked, under
// the conversation's lock in this transaction, that the actor may act.
func (t *Tx) BeginShopAction(convID, storeID int64, orderID, action string, actorID, staleBefore int64) (int64, error) {
	if _, err := t.exec(`UPDATE shop_actions SET state = 'abandoned', finished_at = ? WHERE store_id = ? AND order_id = ? AND state = 'pending' AND created_at < ?`,
		t.Now, storeID, orderID, staleBefore); err != nil {
		return 0, fmt.Errorf("store: unable to clear abandoned shop actions: %w", err)
	}
	id, err := t.insert(`INSERT INTO shop_actions (conversation_id, store_id, order_id, action, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		convID, storeID, orderID, action, actorID, t.Now)
	if isUniqueViolation(err) {
		return 0, ErrShopActionPending
	}
	if err != nil {
		return 0, fmt.Errorf("store: unable to record the shop action: %w", err)
	}
	return id, nil
}

// FinishShopAction records how a pending action ended (done or failed).
func (t *Tx) FinishShopAction(id int64, ok bool) error {
	state := "failed"
	if ok {
		state = "done"
	}
	if _, err := t.exec(`UPDATE shop_actions SET state = ?, finished_at = ? WHERE id = ? AND state = 'pending'`, state, t.Now, id); err != nil {
		return fmt.Errorf("store: unable to record the shop action's end: %w", err)
	}
	return nil
}
