package build

// build/run.sh (what `make run` starts) with the real santrald that make builds: it must never
// announce a server that did not start — above all when another santrald already answers on
// the address, where a health check alone would succeed.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunScriptNeverAnnouncesASantraldThatDidNotStart(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("make", "-C", root, "-s", "santrald").CombinedOutput(); err != nil {
		t.Fatalf("make santrald: %v\n%s", err, out)
	}
	bin := filepath.Join(root, "bin", "santrald")

	// A program that holds an address and answers nothing.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	// Another santrald (an earlier `make run`, say), healthy on its address.
	other := freeAddr(t)
	first := exec.Command(bin, "--addr", other, "--data", t.TempDir(), "--log-level", "warn")
	first.Env = append(hermetic(), "SANTRAL_ADMIN_PASSWORD=other-admin-password")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	waitHealthy(t, "http://"+other+"/healthz")

	for _, tc := range []struct {
		name, addr string
		env        []string
		says       []string
	}{
		{"address held by another program", silent.Addr().String(), nil,
			[]string{"santrald did not start", silent.Addr().String(), "address already in use"}},
		{"address held by another santrald", other, nil, []string{"santrald did not start", other, "address already in use"}},
		{"bad environment value", freeAddr(t), []string{"SANTRAL_SWEEP_INTERVAL=fast"},
			[]string{"santrald did not start", "SANTRAL_SWEEP_INTERVAL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(root, "build", "run.sh"), "--no-build")
			cmd.Dir = root
			cmd.Env = append(hermetic(), "SANTRAL_ADDR="+tc.addr, "SANTRAL_DATA="+data)
			cmd.Env = append(cmd.Env, tc.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("run.sh did not finish within 60s:\n%s", out.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Errorf("run.sh exited with %v, want a failure status", err)
			}
			for _, s := range tc.says {
				if !strings.Contains(out.String(), s) {
					t.Errorf("run.sh's output does not say %q:\n%s", s, out.String())
				}
			}
			for _, banner := range []string{"santrald: http://", "demo users", "First start", "Open http://", "opening a window"} {
				if strings.Contains(out.String(), banner) {
					t.Errorf("run.sh announced %q although santrald did not start:\n%s", banner, out.String())
				}
			}
			if _, err := os.Stat(filepath.Join(data, "santral.db")); err == nil {
				t.Errorf("a database was created in %s although santrald did not start", data)
			}
		})
	}
}

// hermetic is this process's environment without SANTRAL_* settings and without a display.
func hermetic() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SANTRAL_") && !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			env = append(env, kv)
		}
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 30s", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
