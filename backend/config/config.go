// Package config is santrald's one settings struct: defaults, then environment (SANTRAL_*), then
// flags; secrets may come from files (SANTRAL_*_FILE). It is passed explicitly, never global.
package config

import (
	"errors"
	"flag"
	"fmt"
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
	SendTimeout    time.Duration // deadline of any request to a provider; also how long its answer may stall
	SendTimePerMB  time.Duration // added to a send's deadline per MiB of its file (the slowest upload assumed)
	DrainTimeout   time.Duration // on SIGTERM, how long the send in flight may take to finish
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
		SendTimeout:    30 * time.Second,
		SendTimePerMB:  4 * time.Second,
		DrainTimeout:   25 * time.Second,
	}
}

// DatabasePath is the SQLite file in the data directory.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "santral.db") }

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("config: --addr is required")
	case c.DataDir == "":
		return errors.New("config: --data is required")
	case c.SweepInterval <= 0 || c.StreamPoll <= 0 || c.EventRetention <= 0:
		return errors.New("config: intervals must be positive")
	case c.PasswordCost < 4 || c.PasswordCost > 31:
		return errors.New("config: --password-cost must be between 4 and 31")
	case c.Demo && c.SimulateEvery <= 0:
		return errors.New("config: --simulate-every must be positive")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: unknown log level %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: unknown log format %q", c.LogFormat)
	}
	return nil
}

// Load builds the config from defaults, the environment and the command-line arguments.
func Load(args []string, getenv func(string) string) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet("santrald", flag.ContinueOnError)
	env := func(name string) string {
		if v := getenv("SANTRAL_" + name); v != "" {
			return v
		}
		if path := getenv("SANTRAL_" + name + "_FILE"); path != "" {
			if b, err := os.ReadFile(path); err == nil {
				return strings.TrimSpace(string(b))
			}
		}
		return ""
	}
	str := func(p *string, flagName, envName, usage string) {
		if v := env(envName); v != "" {
			*p = v
		}
		fs.StringVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	boolean := func(p *bool, flagName, envName, usage string) {
		if v := env(envName); v != "" {
			b, _ := strconv.ParseBool(v)
			*p = b
		}
		fs.BoolVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	dur := func(p *time.Duration, flagName, envName, usage string) {
		if v := env(envName); v != "" {
			if d, err := time.ParseDuration(v); err == nil {
				*p = d
			}
		}
		fs.DurationVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
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
	dur(&c.SendTimeout, "send-timeout", "SEND_TIMEOUT", "deadline of any request to a channel provider, and the wait for its answer")
	dur(&c.SendTimePerMB, "send-time-per-mb", "SEND_TIME_PER_MB", "added to a send's deadline per MiB of its file")
	dur(&c.DrainTimeout, "drain-timeout", "DRAIN_TIMEOUT", "on SIGTERM, how long the send in flight may take to finish")
	dur(&c.SimulateEvery, "simulate-every", "SIMULATE_EVERY", "demo: average time between simulated customer messages")
	fs.IntVar(&c.PasswordCost, "password-cost", c.PasswordCost, "bcrypt cost for new passwords (4–31)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Demo {
		c.Sandbox = true
	}
	return c, c.Validate()
}
