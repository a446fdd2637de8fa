package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpens(t *testing.T) {
	k, _ := ParseKey(NewKey())
	box, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte(`{"token":"EAAG-abc"}`), "channels.secrets/1")
	if !IsSealed(sealed) || strings.Contains(sealed, "EAAG") {
		t.Fatalf("sealed value %q", sealed)
	}
	if again := box.Seal([]byte(`{"token":"EAAG-abc"}`), "channels.secrets/1"); again == sealed {
		t.Fatal("the same value sealed twice gives the same text: the nonce is not random")
	}
	plain, err := box.Open(sealed, "channels.secrets/1")
	if err != nil || !bytes.Equal(plain, []byte(`{"token":"EAAG-abc"}`)) {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := box.Open(sealed, "channels.secrets/2"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("opened for another row: %v", err)
	}
	other, _ := ParseKey(NewKey())
	box2, _ := New(other)
	if _, err := box2.Open(sealed, "channels.secrets/1"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("opened with another key: %v", err)
	}
	tampered := sealed[:len(sealed)-4] + "AAAA"
	if _, err := box.Open(tampered, "channels.secrets/1"); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	for _, s := range []string{NewKey(), NewKey() + "\n", hexKey} {
		if k, err := ParseKey(s); err != nil || len(k) != KeySize {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "short", strings.Repeat("a", 100)} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

func TestCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k, err := CreateKeyFile(path)
	if err != nil || len(k) != KeySize {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if k2, _ := ParseKey(string(text)); !bytes.Equal(k, k2) {
		t.Fatal("the file does not hold the key returned")
	}
	if _, err := CreateKeyFile(path); err == nil {
		t.Fatal("an existing key file was replaced")
	}
}
