// Package natstest gives tests real NATS servers: the machine's (SANTRAL_TEST_NATS, by default
// the one every development and CI machine runs on 127.0.0.1:4222), or a private nats-server
// process of the test's own, which it may stop and start again to play an outage.
//
// When the machine's server cannot be reached, or no nats-server binary is installed, the test
// is skipped with the reason — unless SANTRAL_TEST_NATS_REQUIRED=1 (CI, make test), when it
// fails.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables.
const (
	ServerEnv   = "SANTRAL_TEST_NATS"          // a nats:// URL of a running server
	RequiredEnv = "SANTRAL_TEST_NATS_REQUIRED" // "1": an unreachable server fails the test
)

// DefaultServer is used when SANTRAL_TEST_NATS is not set.
const DefaultServer = "nats://127.0.0.1:4222"

// Required reports whether tests needing NATS must run.
func Required() bool {
	v, _ := strconv.ParseBool(os.Getenv(RequiredEnv))
	return v
}

func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	why := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("NATS is required (%s=1) but cannot be used: %s", RequiredEnv, why)
	}
	tb.Skipf("%s: set %s to a server's URL, or %s=1 to make this a failure", why, ServerEnv, RequiredEnv)
}

// URL returns the URL of the machine's NATS server. Tests sharing it keep apart by subject
// (santrald's carries its database's id, new for every test).
func URL(tb testing.TB) string {
	tb.Helper()
	raw := os.Getenv(ServerEnv)
	if raw == "" {
		raw = DefaultServer
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		unavailable(tb, "%s is not a nats:// URL", ServerEnv)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		unavailable(tb, "NATS not reachable at %s (%v)", u.Host, err)
	}
	conn.Close()
	return raw
}

// Server is a nats-server process of the test's own.
type Server struct {
	URL  string
	tb   testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a private nats-server on a free loopback port until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server" // Debian's package; /usr/sbin is not on every user's PATH
		if _, serr := os.Stat(bin); serr != nil {
			unavailable(tb, "no nats-server binary (apt-get install nats-server)")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), tb: tb, bin: bin, port: port}
	s.Resume()
	tb.Cleanup(s.Stop)
	return s
}

// Resume starts the server (again) on its port and waits until it accepts connections.
func (s *Server) Resume() {
	s.tb.Helper()
	if s.cmd != nil {
		s.tb.Fatal("natstest: the server is running already")
	}
	var log strings.Builder
	cmd := exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("natstest: start nats-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			s.cmd = nil
			s.tb.Fatalf("natstest: nats-server exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.tb.Fatalf("natstest: nats-server did not listen within 15 s: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}
