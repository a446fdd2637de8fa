package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"santral/backend/secrets"
	"santral/backend/wire"
)

func TestShopCredentialsSealedAndNeverInTheView(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		box, _ := secrets.New(make([]byte, secrets.KeySize))
		if err := s.UseSecrets(ctx, box); err != nil {
			t.Fatal(err)
		}
		var id int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			id, err = tx.SaveShop(ShopRow{Platform: "ticimax", Name: "Örnek Mağaza", Enabled: true,
				Config:  ShopConfig{BaseURL: "https://www.ornekmagaza.com.tr", ActionRoles: []wire.Role{wire.RoleAdmin}},
				Secrets: map[string]string{"auth_code": "ORNEKYETKIKODU0000000000000000"}})
			return err
		})
		var stored string
		if err := s.readRow(ctx, `SELECT secrets FROM shop_stores WHERE id = ?`, id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !secrets.IsSealed(stored) || strings.Contains(stored, "ORNEKYETKI") {
			t.Fatalf("stored in the clear: %s", stored)
		}
		if sealed, _ := s.HasSealedSecrets(ctx); !sealed {
			t.Error("HasSealedSecrets misses shop credentials")
		}
		r, err := s.ShopRow(ctx, id)
		if err != nil || r.Secrets["auth_code"] != "ORNEKYETKIKODU0000000000000000" {
			t.Fatalf("row %+v, %v", r, err)
		}
		v := r.View()
		if len(v.Credentials) != 1 || v.Credentials[0] != "auth_code" || !v.Authorized {
			t.Errorf("view %+v", v)
		}
		// A ciphertext moved to another row does not open there.
		var other int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			other, err = tx.SaveShop(ShopRow{Platform: "shopify", Name: "x", Config: ShopConfig{BaseURL: "https://x"}})
			if err != nil {
				return err
			}
			_, err = tx.exec(`UPDATE shop_stores SET secrets = ? WHERE id = ?`, stored, other)
			return err
		})
		if _, err := s.ShopRow(ctx, other); err == nil {
			t.Error("a moved ciphertext opened")
		}
	})
}

func TestShopTokenRefreshKeepsTheNewestPair(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		box, _ := secrets.New(make([]byte, secrets.KeySize))
		s.UseSecrets(ctx, box)
		var id int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			id, err = tx.SaveShop(ShopRow{Platform: "ideasoft", Name: "Anadolu", Enabled: true, Config: ShopConfig{BaseURL: "https://a"},
				Secrets: map[string]string{"client_id": "c", "client_secret": "s", "refresh_token": "r1"}})
			return err
		})
		r, _ := s.ShopRow(ctx, id)
		// Two nodes refresh from the same version: one pair is kept, the other node learns it lost.
		v2, ok, err := s.ReplaceShopSecret(ctx, id, r.Version, map[string]string{"refresh_token": "r2"})
		if err != nil || !ok {
			t.Fatalf("first: %v %v", ok, err)
		}
		if _, ok, err := s.ReplaceShopSecret(ctx, id, r.Version, map[string]string{"refresh_token": "r2-other"}); err != nil || ok {
			t.Fatalf("second from the old version: %v %v", ok, err)
		}
		r, _ = s.ShopRow(ctx, id)
		if r.Secrets["refresh_token"] != "r2" || r.Secrets["client_secret"] != "s" || r.Version != v2 {
			t.Errorf("row %+v", r)
		}
	})
}

func TestShopUnreachableSinceTheFirstFailure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var id int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			id, err = tx.SaveShop(ShopRow{Platform: "shopify", Name: "x", Enabled: true, Config: ShopConfig{BaseURL: "https://x"}})
			return err
		})
		s.MarkShopUnreachable(ctx, id, 1000, "timeout")
		s.MarkShopUnreachable(ctx, id, 2000, "connection refused")
		r, _ := s.ShopRow(ctx, id)
		if r.UnreachableSince != 1000 || r.LastError != "connection refused" {
			t.Errorf("row %+v", r)
		}
		s.MarkShopReachable(ctx, id)
		r, _ = s.ShopRow(ctx, id)
		if r.UnreachableSince != 0 || r.LastError != "" {
			t.Errorf("row %+v", r)
		}
		inTx(t, s, func(tx *Tx) error { return tx.DeleteShop(id) })
		if _, err := s.ShopRow(ctx, id); wire.CodeOf(err) != wire.CodeNotFound {
			t.Errorf("deleted: %v", err)
		}
	})
}

func TestShopCredentialsNeedAKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		_, err := s.Tx(context.Background(), func(tx *Tx) error {
			_, err := tx.SaveShop(ShopRow{Platform: "shopify", Name: "x", Config: ShopConfig{BaseURL: "https://x"}, Secrets: map[string]string{"access_token": "shpat"}})
			return err
		})
		if err == nil {
			t.Fatal("credentials stored without a key")
		}
	})
}

// An admin's save (a new name, the action roles) reads the row, then writes it back whole. A
// token refresh committed in between (another node's panel call) used to be overwritten with
// the pair it replaced — Ideasoft has already rotated that refresh token, so the store was
// disconnected until an admin authorised it again. The save must lose to the refresh instead.
func TestShopSaveDoesNotOverwriteARefreshedPair(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		box, _ := secrets.New(make([]byte, secrets.KeySize))
		s.UseSecrets(ctx, box)
		var id int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			id, err = tx.SaveShop(ShopRow{Platform: "ideasoft", Name: "Anadolu", Enabled: true, Config: ShopConfig{BaseURL: "https://a"},
				Secrets: map[string]string{"client_id": "c", "client_secret": "s", "refresh_token": "r1"}})
			return err
		})
		read, _ := s.ShopRow(ctx, id) // the admin's save reads the row…
		if _, ok, err := s.ReplaceShopSecret(ctx, id, read.Version, map[string]string{"refresh_token": "r2"}); err != nil || !ok {
			t.Fatalf("refresh: %v %v", ok, err)
		}
		read.Name = "Anadolu Kahve" // …and writes it back after the refresh
		_, err := s.Tx(ctx, func(tx *Tx) error { _, err := tx.SaveShop(read); return err })
		if !errors.Is(err, ErrShopChanged) {
			t.Errorf("a save from a stale row: %v, want ErrShopChanged", err)
		}
		r, _ := s.ShopRow(ctx, id)
		if r.Secrets["refresh_token"] != "r2" {
			t.Fatalf("the refreshed pair was overwritten: refresh_token %q", r.Secrets["refresh_token"])
		}
	})
}

// An Ideasoft authorisation state is used up by one conditional statement: of callers racing
// with the same state, on any backend, exactly one gets it; an expired or unknown one nobody.
func TestShopOAuthStateIsTakenOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		box, _ := secrets.New(make([]byte, secrets.KeySize))
		s.UseSecrets(ctx, box)
		var id int64
		inTx(t, s, func(tx *Tx) error {
			var err error
			id, err = tx.SaveShop(ShopRow{Platform: "ideasoft", Name: "Anadolu", Enabled: true, Config: ShopConfig{BaseURL: "https://a"},
				Secrets: map[string]string{"client_id": "c", "client_secret": "s"}})
			return err
		})
		const now = 1_800_000_000_000
		if err := s.SetShopOAuthState(ctx, id, "hash-1", now+60_000); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.TakeShopOAuthState(ctx, id, "hash-other", now); err != nil || ok {
			t.Fatalf("another state taken: %v %v", ok, err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.TakeShopOAuthState(ctx, id, "hash-1", now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d callers took the state, want 1", won)
		}
		s.SetShopOAuthState(ctx, id, "hash-2", now+60_000)
		if ok, _ := s.TakeShopOAuthState(ctx, id, "hash-2", now+60_000); ok {
			t.Fatal("an expired state was taken")
		}
	})
}

// One pending action per order, on every backend: a second begins refused until the first
// finishes; a pending row older than the stale bound (its node stopped mid-call) gives way.
func TestShopActionPendingOncePerOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		agent := createAgent(t, s, "ayse")
		conv := openConversation(t, s, 1000, customer{"905321234567", "Ayşe", ""})
		begin := func(now int64) (int64, error) {
			var id int64
			_, err := s.Tx(context.Background(), func(tx *Tx) error {
				tx.Now = now
				var err error
				id, err = tx.BeginShopAction(conv, 1, "gid://shopify/Order/6120457788417", "cancel", agent, now-60_000)
				return err
			})
			return id, err
		}
		first, err := begin(10_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := begin(10_001_000); !errors.Is(err, ErrShopActionPending) {
			t.Fatalf("a second while the first is pending: %v", err)
		}
		inTx(t, s, func(tx *Tx) error { return tx.FinishShopAction(first, true) })
		stuck, err := begin(10_002_000)
		if err != nil {
			t.Fatalf("after the first finished: %v", err)
		}
		// Its node stopped: a minute later it no longer blocks the order.
		if _, err := begin(10_002_000 + 60_001); err != nil {
			t.Fatalf("after the stale bound: %v", err)
		}
		var state string
		if err := s.readRow(context.Background(), `SELECT state FROM shop_actions WHERE id = ?`, stuck).Scan(&state); err != nil || state != "abandoned" {
			t.Fatalf("the stale row: %q %v", state, err)
		}
	})
}
