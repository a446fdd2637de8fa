package main

// The processes under test: santrald, started from the binary it is given on a fresh data
// directory and a free port, and the baseline server (this same binary in its serving mode).
// Both are children of the bench, so one run is one process tree; their memory and CPU come
// from /proc.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// adminPassword is the admin's password in every santrald the bench starts.
const adminPassword = "bench-admin-password"

// proc is a child process serving HTTP on base.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	dir  string
	log  string
	done chan struct{}
	err  error
	// cleanup runs after the process stopped (its PostgreSQL database dropped); nil: nothing.
	cleanup func()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startSantrald runs santrald on dir (created when missing) with the bench's settings: warn
// logs, the sandbox on, the lowest bcrypt cost (the bench creates thousands of users), and
// loopback as a trusted proxy so each simulated client can come from its own address
// (X-Forwarded-For) instead of tripping the per-address limits meant for the open internet.
func startSantrald(ctx context.Context, bin, dir string, extra ...string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data", dir, "--log-level", "warn",
		"--sandbox", "--password-cost", "4", "--trusted-proxies", "127.0.0.0/8,::1"}, extra...)
	if addr := os.Getenv("BENCH_SANTRALD_METRICS"); addr != "" {
		// To profile a scenario: its santrald serves /metrics and /debug/pprof there.
		args = append(args, "--metrics-addr", addr)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SANTRAL_") { // the caller's own santrald settings are not the bench's
			env = append(env, kv)
		}
	}
	env = append(env, "SANTRAL_ADMIN_PASSWORD="+adminPassword)
	return startProc(ctx, "santrald", bin, args, env, dir, fmt.Sprintf("http://127.0.0.1:%d", port), "/healthz")
}

// startBaseline runs this binary as the baseline server (bare handler, grouped-fsync writer,
// per-request fsync writer, bare WebSocket broadcast) in dir.
func startBaseline(ctx context.Context, dir string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), serveEnv+"="+fmt.Sprintf("127.0.0.1:%d", port), serveDirEnv+"="+dir)
	return startProc(ctx, "baseline", self, nil, env, dir, fmt.Sprintf("http://127.0.0.1:%d", port), "/bare")
}

func startProc(ctx context.Context, name, bin string, args, env []string, dir, base, ready string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	// The child dies with the bench, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, base: base, dir: dir, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before answering (%v):\n%s", name, p.err, tail(logPath))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		if res, err := http.Get(base + ready); err == nil {
			res.Body.Close()
			if res.StatusCode < 500 {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer within a minute:\n%s", name, tail(logPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the process: SIGTERM, and SIGKILL after 10 s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// rss is the process's resident memory in bytes (VmRSS).
func (p *proc) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every Linux we run on.
const clockTick = 100

// cpu is the CPU time the process has used so far, user and system (utime + stime).
func (p *proc) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its ')' are fixed.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTick, nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// raiseFileLimit lifts RLIMIT_NOFILE as far as allowed; the children inherit it. Ten thousand
// sockets need ten thousand descriptors on each side of loopback.
func raiseFileLimit(want uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur >= want {
		return lim.Cur
	}
	try := syscall.Rlimit{Cur: want, Max: max(want, lim.Max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try); err == nil {
		return want
	}
	lim.Cur = lim.Max // not privileged: the hard limit is as far as we may go
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}
