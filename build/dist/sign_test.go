package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A Windows program to sign: a tiny one, cross-compiled (no cgo) into the test's folder.
func windowsProgram(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "hello")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hello\") }\n"), 0o644)
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

func need(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (build/deps.sh test installs it)", tool)
		}
	}
}

// A test certificate from build/windows/test-cert.sh signs a program; the verifier's output
// says so only for the right CA and an untouched file. The password comes from the
// environment or from a file, never from the command line.
func TestSignAndVerifyWithATestCertificate(t *testing.T) {
	need(t, "osslsigncode", "openssl")
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if out, err := exec.Command("../windows/test-cert.sh", certs).CombinedOutput(); err != nil {
		t.Fatalf("test-cert.sh: %v\n%s", err, out)
	}
	other := filepath.Join(dir, "other")
	if out, err := exec.Command("../windows/test-cert.sh", other).CombinedOutput(); err != nil {
		t.Fatalf("test-cert.sh: %v\n%s", err, out)
	}
	exe := windowsProgram(t, dir)
	ca := filepath.Join(certs, "ca.pem")

	if s, _ := verify(exe, ca); s.Signed {
		t.Fatalf("an unsigned program verified:\n%s", s.Output)
	}
	pw, _ := os.ReadFile(filepath.Join(certs, "pfx-password"))

	// Nothing configured: nothing signed, no error (a developer's build).
	t.Setenv("SANTRAL_SIGN_PFX", "")
	if s, err := signerFromEnv(); s != nil || err != nil {
		t.Fatalf("no PFX: %v %v", s, err)
	}
	// Both password sources at once is a mistake.
	t.Setenv("SANTRAL_SIGN_PFX", filepath.Join(certs, "santral-test.pfx"))
	t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", strings.TrimSpace(string(pw)))
	t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", filepath.Join(certs, "pfx-password"))
	if _, err := signerFromEnv(); err == nil {
		t.Fatal("both password sources were accepted")
	}
	// A wrong password fails loudly.
	t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", "")
	t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", "wrong")
	if s, _ := signerFromEnv(); s.sign(exe) == nil {
		t.Fatal("a wrong password signed")
	}
	for name, setup := range map[string]func(){
		"password from the environment": func() { t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", strings.TrimSpace(string(pw))) },
		"password from a file": func() {
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", "")
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", filepath.Join(certs, "pfx-password"))
		},
	} {
		setup()
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".exe")
		b, _ := os.ReadFile(exe)
		os.WriteFile(file, b, 0o755)
		s, err := signerFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.sign(file); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, _ := verify(file, ca)
		if !got.Signed || !strings.Contains(got.Subject, "CN=Santral Test Signing") || got.Timestamp {
			t.Fatalf("%s: %+v", name, got)
		}
		// Another CA did not issue it.
		if got, _ := verify(file, filepath.Join(other, "ca.pem")); got.Signed {
			t.Fatalf("%s: verified against another CA:\n%s", name, got.Output)
		}
		// One byte changed in the code: the digest no longer matches.
		b, _ = os.ReadFile(file)
		b[len(b)/3] ^= 0xff
		os.WriteFile(file, b, 0o755)
		if got, _ := verify(file, ca); got.Signed {
			t.Fatalf("%s: a tampered file verified:\n%s", name, got.Output)
		}
	}
}
