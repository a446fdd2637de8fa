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
