package main

// Authenticode signing with osslsigncode, when a certificate is given:
//
//	SANTRAL_SIGN_PFX            the PKCS#12 file (certificate and key)
//	SANTRAL_SIGN_PFX_PASSWORD   its password, or SANTRAL_SIGN_PFX_PASSWORD_FILE naming a file
//	SANTRAL_SIGN_TIMESTAMP      an RFC 3161 timestamp server (e.g. http://timestamp.digicert.com);
//	                            empty: no timestamp (the signature then expires with the certificate)
//
// Without SANTRAL_SIGN_PFX nothing is signed (a developer's or CI's unsigned build) and sign
// says so. The NSIS script calls `dist sign` on the installer and on the uninstaller it embeds
// (!finalize, !uninstfinalize), so all three files are signed.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

type signer struct {
	pfx, password, timestamp string
}

// signerFromEnv returns the configured signer, or nil when no certificate is given.
func signerFromEnv() (*signer, error) {
	pfx := os.Getenv("SANTRAL_SIGN_PFX")
	if pfx == "" {
		return nil, nil
	}
	if _, err := os.Stat(pfx); err != nil {
		return nil, fmt.Errorf("SANTRAL_SIGN_PFX: %w", err)
	}
	pw := os.Getenv("SANTRAL_SIGN_PFX_PASSWORD")
	if f := os.Getenv("SANTRAL_SIGN_PFX_PASSWORD_FILE"); f != "" {
		if pw != "" {
			return nil, errors.New("set SANTRAL_SIGN_PFX_PASSWORD or SANTRAL_SIGN_PFX_PASSWORD_FILE, not both")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("SANTRAL_SIGN_PFX_PASSWORD_FILE: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	return &signer{pfx: pfx, password: pw, timestamp: os.Getenv("SANTRAL_SIGN_TIMESTAMP")}, nil
}

// sign signs file in place (osslsigncode writes a new file; it replaces the old one).
func (s *signer) sign(file string) error {
	out := file + ".signed"
	os.Remove(out)
	// The password is handed over in a file (-readpass), so it never shows in the process list.
	pwFile, err := os.CreateTemp("", "santral-sign-")
	if err != nil {
		return err
	}
	defer os.Remove(pwFile.Name())
	pwFile.WriteString(s.password)
	pwFile.Close()
	args := []string{"sign", "-pkcs12", s.pfx, "-readpass", pwFile.Name(), "-n", "Santral", "-i", "https://santral.local", "-h", "sha256"}
	if s.timestamp != "" {
		args = append(args, "-ts", s.timestamp)
	}
	args = append(args, "-in", file, "-out", out)
	cmd := exec.Command("osslsigncode", args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		os.Remove(out)
		return fmt.Errorf("osslsigncode sign %s: %v\n%s", file, err, buf.String())
	}
	return os.Rename(out, file)
}

func signCommand(args []string) error {
	s, err := signerFromEnv()
	if err != nil {
		return err
	}
	if s == nil {
		for _, f := range args {
			fmt.Println("not signed (no SANTRAL_SIGN_PFX):", f)
		}
		return nil
	}
	for _, f := range args {
		if err := s.sign(f); err != nil {
			return err
		}
		fmt.Println("signed", f)
	}
	return nil
}

// Signature is what osslsigncode verify says about a file.
type Signature struct {
	Signed    bool   // a signature is there and verifies against the CA
	Subject   string // the signer's certificate subject
	Timestamp bool   // countersigned by a timestamp server
	Output    string
}

var subjectLine = regexp.MustCompile(`(?m)^\s*Subject:\s*(.+)$`)

// verify runs osslsigncode verify and reads its output: its exit status alone is not enough
// (it reports some failures with 0), so a file counts as signed only when the output says
// "Signature verification: ok" and nothing failed.
func verify(file, ca string) (Signature, error) {
	args := []string{"verify", "-in", file}
	if ca != "" {
		args = append(args, "-CAfile", ca)
	}
	out, err := exec.Command("osslsigncode", args...).CombinedOutput()
	s := Signature{Output: string(out)}
	text := string(out)
	s.Signed = err == nil && strings.Contains(text, "Signature verification: ok") &&
		!strings.Contains(text, "Signature verification: failed") && !strings.Contains(text, "No signature found")
	if m := subjectLine.FindStringSubmatch(text); m != nil {
		s.Subject = strings.TrimSpace(m[1])
	}
	s.Timestamp = s.Signed && !strings.Contains(text, "Timestamp is not available")
	return s, nil
}

func verifyCommand(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	ca := fs.String("ca", "", "the CA certificate (PEM) the signatures must chain to")
	subject := fs.String("subject", "", "the signer's subject must contain this")
	fs.Parse(args)
	if fs.NArg() == 0 {
		return errors.New("verify: no files")
	}
	var bad []string
	for _, f := range fs.Args() {
		s, err := verify(f, *ca)
		if err != nil {
			return err
		}
		switch {
		case !s.Signed:
			bad = append(bad, f)
			fmt.Printf("NOT SIGNED  %s\n%s\n", f, indent(s.Output))
		case *subject != "" && !strings.Contains(s.Subject, *subject):
			bad = append(bad, f)
			fmt.Printf("WRONG SIGNER %s: %q\n", f, s.Subject)
		default:
			fmt.Printf("signed      %s (%s)\n", f, s.Subject)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verify: %d of %d files are not signed as they should be", len(bad), fs.NArg())
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
