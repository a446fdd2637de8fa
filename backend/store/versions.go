package store

// The admin's app versions (minimum, latest, download address) live beside the routing
// settings in the settings table, under their own key.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

const appVersionsKey = "app_versions"

// AppVersions reads the app versions the workspace accepts (empty fields when never set).
func (s *Store) AppVersions(ctx context.Context) (wire.AppVersions, error) {
	var raw string
	var v wire.AppVersions
	err := s.readRow(ctx, `SELECT value FROM settings WHERE key = ?`, appVersionsKey).Scan(&raw)
	if err == sql.ErrNoRows {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("store: unable to read app versions: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, fmt.Errorf("store: app versions are corrupt: %w", err)
	}
	return v, nil
}

// PutAppVersions replaces them.
func (t *Tx) PutAppVersions(v wire.AppVersions) error {
	raw, _ := json.Marshal(v)
	_, err := t.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, appVersionsKey, string(raw))
	if err != nil {
		return fmt.Errorf("store: unable to save app versions: %w", err)
	}
	return nil
}
