// Package config is santrald's one settings struct: defaults, then environment (SANTRAL_*), then
// flags; secrets may come from files (SANTRAL_*_FILE). It is passed explicitly, never global.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"santral/backend/auth"
)

// Config holds every setting of santrald.
type Config struct {
	Addr          string // listen address
	DataDir       string // where the database (and later media) live
	Demo          bool   // seed a demo workspace and simulate customers
	AdminPassword string // first start's admin password; generated and printed when empty
	LogLevel      string // debug, info, warn, error
	LogFormat     string // text or json

	Sandbox      bool   // enable the sandbox channel (on in demo mode)
	SandboxToken string // when set, sandbox calls must send X-Sandbox-Token

	NodeID         string        // this process's name among several nodes; random when empty
	SweepInterval  time.Duration // how often stored deadlines are checked
	StreamPoll     time.Duration // how often streams re-read the log without a local wake
	EventRetention time.Duration // events older than this are pruned; older cursors resync
	SimulateEvery  time.Duration // demo: average time between simulated customer messages
	PasswordCost   int           // bcrypt cost for new passwords
	SendBackoff    time.Duration // first retry delay of a failed send (doubles per attempt)
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		DataDir:        "./santral-data",
		LogLevel:       "info",
		LogFormat:      "text",
		SweepInterval:  500 * time.Millisecond,
		StreamPoll:     time.Second,
		EventRetention: 14 * 24 * time.Hour,
		SimulateEvery:  20 * time.Second,
		PasswordCost:   auth.DefaultCost,
		SendBackoff:    2 * time.Second,
	}
}

// DatabasePath is the SQLite file in the data directory.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "santral.db") }

// Validate reports every setting that cannot work, each named by its flag and variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(flagName, envName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: --%s (SANTRAL_%s) %s", flagName, envName, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "ADDR", "%q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)
	}
	if c.DataDir == "" {
		bad("data", "DATA", "is required")
	}
	for _, d := range []struct {
		flagName, envName string
		value             time.Duration
	}{
		{"sweep-interval", "SWEEP_INTERVAL", c.SweepInterval},
		{"stream-poll", "STREAM_POLL", c.StreamPoll},
		{"event-retention", "EVENT_RETENTION", c.EventRetention},
		{"send-backoff", "SEND_BACKOFF", c.SendBackoff},
	} {
		if d.value <= 0 {
			bad(d.flagName, d.envName, "must be positive, not %s", d.value)
		}
	}
	if c.Demo && c.SimulateEvery <= 0 {
		bad("simulate-every", "SIMULATE_EVERY", "must be positive in demo mode, not %s", c.SimulateEvery)
	}
	if c.PasswordCost < 4 || c.PasswordCost > 31 {
		errs = append(errs, fmt.Errorf("config: --password-cost must be between 4 and 31, not %d", c.PasswordCost))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "LOG_LEVEL", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "LOG_FORMAT", "%q is not text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}

// Load builds the config from defaults, the environment and the command-line arguments (flags
// win over the environment). Every SANTRAL_* variable that is set must be usable: a value that
// does not parse or a *_FILE that cannot be read stops start-up with its name, even when a flag
// overrides it — a typo must not go unnoticed. -h/--help returns flag.ErrHelp (see Usage).
func Load(args []string, getenv func(string) string) (Config, error) {
	c := Default()
	fs, errs := flags(&c, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("config: %w (santrald --help lists the flags)", err)
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	if c.Demo {
		c.Sandbox = true
	}
	return c, c.Validate()
}

// Usage writes santrald's flags with the environment variable that sets each.
func Usage(w io.Writer) {
	c := Default()
	fs, _ := flags(&c, func(string) string { return "" })
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: santrald [flags]")
	fmt.Fprintln(w, "Each flag may be set in the environment instead (named in brackets); a flag wins over the")
	fmt.Fprintln(w, "environment. Any SANTRAL_X may be read from a file named by SANTRAL_X_FILE.")
	fs.PrintDefaults()
}

// flags fills c from the environment and registers the flags that override it. The returned
// errors name each environment variable that was set but cannot be used.
func flags(c *Config, getenv func(string) string) (*flag.FlagSet, []error) {
	fs := flag.NewFlagSet("santrald", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Load reports parse errors itself; Usage prints the list
	var errs []error
	// env returns SANTRAL_<name>, or the trimmed content of the file SANTRAL_<name>_FILE names.
	env := func(name string) (string, bool) {
		key, fileKey := "SANTRAL_"+name, "SANTRAL_"+name+"_FILE"
		v, path := getenv(key), getenv(fileKey)
		switch {
		case v != "" && path != "":
			errs = append(errs, fmt.Errorf("config: both %s and %s are set; set one", key, fileKey))
			return "", false
		case v != "":
			return v, true
		case path == "":
			return "", false
		}
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: %s: cannot read %s: %w", fileKey, path, errors.Unwrap(err)))
			return "", false
		}
		v = strings.TrimSpace(string(b))
		if v == "" {
			errs = append(errs, fmt.Errorf("config: %s: the file %s is empty", fileKey, path))
			return "", false
		}
		return v, true
	}
	invalid := func(envName, value, want string) {
		errs = append(errs, fmt.Errorf("config: SANTRAL_%s=%q is not %s", envName, value, want))
	}
	str := func(p *string, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			*p = v
		}
		fs.StringVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	boolean := func(p *bool, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			if b, err := strconv.ParseBool(v); err != nil {
				invalid(envName, v, "true or false (or 1 or 0)")
			} else {
				*p = b
			}
		}
		fs.BoolVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	dur := func(p *time.Duration, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			if d, err := time.ParseDuration(v); err != nil {
				invalid(envName, v, "a duration (e.g. 500ms, 2s, 336h)")
			} else {
				*p = d
			}
		}
		fs.DurationVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	integer := func(p *int, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			if n, err := strconv.Atoi(v); err != nil {
				invalid(envName, v, "a whole number")
			} else {
				*p = n
			}
		}
		fs.IntVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	str(&c.Addr, "addr", "ADDR", "listen address")
	str(&c.DataDir, "data", "DATA", "data directory")
	boolean(&c.Demo, "demo", "DEMO", "seed a demo workspace and simulate customers")
	str(&c.AdminPassword, "admin-password", "ADMIN_PASSWORD", "first start's admin password (also _FILE)")
	str(&c.LogLevel, "log-level", "LOG_LEVEL", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "LOG_FORMAT", "text or json")
	boolean(&c.Sandbox, "sandbox", "SANDBOX", "enable the sandbox channel")
	str(&c.SandboxToken, "sandbox-token", "SANDBOX_TOKEN", "token sandbox calls must send (also _FILE)")
	str(&c.NodeID, "node", "NODE", "this node's name")
	dur(&c.SweepInterval, "sweep-interval", "SWEEP_INTERVAL", "how often deadlines are checked")
	dur(&c.StreamPoll, "stream-poll", "STREAM_POLL", "how often streams re-read the event log")
	dur(&c.EventRetention, "event-retention", "EVENT_RETENTION", "how long events are kept for resuming clients")
	dur(&c.SendBackoff, "send-backoff", "SEND_BACKOFF", "first retry delay of a failed send to a channel")
	dur(&c.SimulateEvery, "simulate-every", "SIMULATE_EVERY", "demo: average time between simulated customer messages")
	integer(&c.PasswordCost, "password-cost", "PASSWORD_COST", "bcrypt cost for new passwords (4–31)")
	return fs, errs
}
