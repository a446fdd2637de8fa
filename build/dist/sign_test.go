package main

import (
	"io"
	"net/http"
	"net/http/httptest"
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

// need skips a test whose tools are missing on a developer's machine; in CI
// (SANTRAL_TEST_TOOLS_REQUIRED=1, set by .ci/run after build/deps.sh test) a missing tool fails it.
func need(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SANTRAL_TEST_TOOLS_REQUIRED") == "1" {
				t.Fatalf("%s is not installed, and SANTRAL_TEST_TOOLS_REQUIRED=1 (build/deps.sh test installs it)", tool)
			}
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

	if s, _ := verify(exe, ca, ""); s.Signed {
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
	// Each case sets both sources: the one it tests, and the other empty.
	for _, c := range []struct {
		name  string
		setup func()
	}{
		{"password from the environment", func() {
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", "")
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", strings.TrimSpace(string(pw)))
		}},
		{"password from a file", func() {
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD", "")
			t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", filepath.Join(certs, "pfx-password"))
		}},
	} {
		name := c.name
		c.setup()
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
		got, _ := verify(file, ca, "")
		if !got.Signed || !strings.Contains(got.Subject, "CN=Santral Test Signing") || got.Timestamp {
			t.Fatalf("%s: %+v", name, got)
		}
		// Another CA did not issue it.
		if got, _ := verify(file, filepath.Join(other, "ca.pem"), ""); got.Signed {
			t.Fatalf("%s: verified against another CA:\n%s", name, got.Output)
		}
		// One byte changed in the code: the digest no longer matches.
		b, _ = os.ReadFile(file)
		b[len(b)/3] ^= 0xff
		os.WriteFile(file, b, 0o755)
		if got, _ := verify(file, ca, ""); got.Signed {
			t.Fatalf("%s: a tampered file verified:\n%s", name, got.Output)
		}
	}
}

// timestampServer is an RFC 3161 time-stamp authority on a loopback port: openssl ts -reply
// answering each request with a token signed by its own test CA (what a public TSA such as
// DigiCert's does over HTTP). It returns the server and the CA that certifies it.
func timestampServer(t *testing.T, dir string) (*httptest.Server, string) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test TSA CA", "-keyout", "ca.key", "-out", "ca.pem",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Santral Test TSA", "-keyout", "tsa.key", "-out", "tsa.csr")
	os.WriteFile(filepath.Join(dir, "tsa.ext"), []byte("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n"), 0o644)
	run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "tsa.ext", "-out", "tsa.pem")
	os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "tsa.cnf"), []byte(`[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
`), 0o644)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "want an RFC 3161 query", http.StatusBadRequest)
			return
		}
		q, _ := io.ReadAll(r.Body)
		os.WriteFile(filepath.Join(dir, "q.tsq"), q, 0o644)
		cmd := exec.Command("openssl", "ts", "-reply", "-queryfile", "q.tsq", "-config", "tsa.cnf", "-inkey", "tsa.key", "-signer", "tsa.pem", "-chain", "ca.pem", "-out", "r.tsr")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		reply, _ := os.ReadFile(filepath.Join(dir, "r.tsr"))
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	return srv, filepath.Join(dir, "ca.pem")
}

// SANTRAL_SIGN_TIMESTAMP names the time-stamp server: the signature then carries its token
// (verified against the TSA's CA), and a server that cannot be reached fails the signing
// rather than leaving an unsigned file behind.
func TestSignWithATimestampServer(t *testing.T) {
	need(t, "osslsigncode", "openssl")
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if out, err := exec.Command("../windows/test-cert.sh", certs).CombinedOutput(); err != nil {
		t.Fatalf("test-cert.sh: %v\n%s", err, out)
	}
	tsa, tsaCA := timestampServer(t, filepath.Join(dir, "tsa"))
	exe := windowsProgram(t, dir)
	t.Setenv("SANTRAL_SIGN_PFX", filepath.Join(certs, "santral-test.pfx"))
	t.Setenv("SANTRAL_SIGN_PFX_PASSWORD_FILE", filepath.Join(certs, "pfx-password"))
	t.Setenv("SANTRAL_SIGN_TIMESTAMP", tsa.URL)
	s, err := signerFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sign(exe); err != nil {
		t.Fatal(err)
	}
	got, _ := verify(exe, filepath.Join(certs, "ca.pem"), tsaCA)
	if !got.Signed || !got.Timestamp {
		t.Fatalf("want a signature with a timestamp, got %+v:\n%s", got, got.Output)
	}

	unsigned := windowsProgram(t, filepath.Join(dir, "again"))
	before, _ := os.ReadFile(unsigned)
	tsa.Close()
	if err := s.sign(unsigned); err == nil {
		t.Fatal("signing succeeded with the time-stamp server down")
	}
	after, _ := os.ReadFile(unsigned)
	if string(before) != string(after) {
		t.Fatal("a failed signing changed the file")
	}
}
