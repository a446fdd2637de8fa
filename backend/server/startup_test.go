package server_test

// Start-up against the real santrald binary: what it cannot use stops it before it touches the
// data directory, with a message naming the culprit.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"santral/backend/media/s3test"
)

func TestSantraldRefusesToStartWithoutTouchingItsData(t *testing.T) {
	bin := buildSantrald(t)

	// Another program holds this address for the whole test.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	free := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s3 := s3test.Start(t, "santral-media")
	bucket := func(name, accessKey string) []string {
		return []string{"SANTRAL_S3_ENDPOINT=" + s3.URL, "SANTRAL_S3_BUCKET=" + name,
			"SANTRAL_S3_ACCESS_KEY=" + accessKey, "SANTRAL_S3_SECRET_KEY=" + s3test.SecretKey}
	}

	for _, tc := range []struct {
		name     string
		args     []string
		env      []string
		exitCode int
		names    []string // what the message must name
	}{
		{"port in use", []string{"--addr", busy, "--demo"}, nil, 1, []string{busy, "address already in use"}},
		{"bad duration in the environment", []string{"--addr", free}, []string{"SANTRAL_SWEEP_INTERVAL=fast"}, 2,
			[]string{"SANTRAL_SWEEP_INTERVAL", "fast"}},
		{"bad bool in the environment", []string{"--addr", free}, []string{"SANTRAL_DEMO=maybe"}, 2, []string{"SANTRAL_DEMO", "maybe"}},
		{"unreadable secret file", []string{"--addr", free}, []string{"SANTRAL_ADMIN_PASSWORD_FILE=/nonexistent/admin-password"}, 2,
			[]string{"SANTRAL_ADMIN_PASSWORD_FILE", "/nonexistent/admin-password"}},
		{"unknown flag", []string{"--addr", free, "--sweep", "1s"}, nil, 2, []string{"-sweep"}},
		{"a media bucket that does not exist", []string{"--addr", free}, bucket("santral-missing", s3test.AccessKey), 1,
			[]string{`bucket \"santral-missing\"`, s3.URL, "does not exist"}},
		{"media keys S3 refuses", []string{"--addr", free}, bucket("santral-media", "someone-else"), 1,
			[]string{`bucket \"santral-media\"`, "refused santrald's keys", "SANTRAL_S3_ACCESS_KEY"}},
		{"S3 keys without a bucket", []string{"--addr", free}, []string{"SANTRAL_S3_ACCESS_KEY=x"}, 2,
			[]string{"SANTRAL_S3_ACCESS_KEY", "--s3-bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			cmd := exec.Command(bin, append(tc.args, "--data", data)...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "SANTRAL_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, tc.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("santrald did not exit within 30s; output:\n%s", out.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.exitCode {
				t.Errorf("santrald exited with %v, want exit status %d", err, tc.exitCode)
			}
			for _, name := range tc.names {
				if !strings.Contains(out.String(), name) {
					t.Errorf("the message does not name %q:\n%s", name, out.String())
				}
			}
			if strings.Contains(out.String(), s3test.SecretKey) {
				t.Errorf("santrald printed the S3 secret key:\n%s", out.String())
			}
			if strings.Contains(out.String(), "First start") || strings.Contains(out.String(), "Demo workspace") {
				t.Errorf("santrald printed credentials although it did not start:\n%s", out.String())
			}
			if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("the data directory holds %v although santrald did not start", names)
			}
		})
	}
}
