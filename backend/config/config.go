// Package config is santrald's one settings struct: defaults, then environment (SANTRAL_*), then
// flags; secrets may come from files (SANTRAL_*_FILE). It is passed explicitly, never global.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
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
	StreamPoll     time.Duration // how often the node re-reads the log without a local wake
	StreamQueue    int           // events a socket may have waiting before it catches up from the log
	EventRetention time.Duration // events older than this are pruned; older cursors resync
	SimulateEvery  time.Duration // demo: average time between simulated customer messages
	PasswordCost   int           // bcrypt cost for new passwords
	SendBackoff    time.Duration // first retry delay of a failed send (doubles per attempt)
	// UploadRetention is how long a file an agent or a website visitor uploaded may wait to be
	// sent; older unsent uploads are removed from the media store.
	UploadRetention time.Duration

	// Sessions: a login token lasts SessionLifetime from login, and ends earlier after
	// SessionIdle without use (0: no idle expiry).
	SessionLifetime time.Duration
	SessionIdle     time.Duration

	// TrustedProxies are the addresses (CIDRs or IPs, comma-separated) of reverse proxies whose
	// X-Forwarded-For names the client; empty: the TCP peer is the client.
	TrustedProxies string

	// Media quotas: the media store's total size (0: no limit), and what one website visitor
	// may upload in 24 hours.
	MediaQuota               int64
	VisitorUploadsPerDay     int
	VisitorUploadBytesPerDay int64

	// SecretKey encrypts stored credentials (base64 or hex of 32 bytes, from SANTRAL_SECRET_KEY);
	// else SecretKeyFile holds it; else the data directory's secret.key, created on first start.
	SecretKey     string
	SecretKeyFile string
	SendTimeout   time.Duration // deadline of any request to a provider; also how long its answer may stall
	SendTimePerMB time.Duration // added to a send's deadline per MiB of its file (the slowest upload assumed)
	DrainTimeout  time.Duration // on SIGTERM, how long the send in flight may take to finish
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
		StreamQueue:    1024,
		EventRetention: 14 * 24 * time.Hour,
		SimulateEvery:  20 * time.Second,
		PasswordCost:   auth.DefaultCost,
		SendBackoff:    2 * time.Second,

		UploadRetention:          24 * time.Hour,
		SessionLifetime:          30 * 24 * time.Hour,
		SessionIdle:              7 * 24 * time.Hour,
		MediaQuota:               20 << 30,
		VisitorUploadsPerDay:     20,
		VisitorUploadBytesPerDay: 50 << 20,
		SendTimeout:              30 * time.Second,
		SendTimePerMB:            4 * time.Second,
		DrainTimeout:             25 * time.Second,
	}
}

// DatabasePath is the SQLite file in the data directory.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "santral.db") }

// KeyPath is the secret key file: SecretKeyFile, or secret.key in the data directory.
func (c Config) KeyPath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	return filepath.Join(c.DataDir, "secret.key")
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("config: --addr is required")
	case c.DataDir == "":
		return errors.New("config: --data is required")
	case c.SweepInterval <= 0 || c.StreamPoll <= 0 || c.EventRetention <= 0 || c.UploadRetention <= 0:
		return errors.New("config: intervals must be positive")
	case c.StreamQueue < 1:
		return errors.New("config: --stream-queue must be at least 1")
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
	integer := func(p *int, flagName, envName, usage string) {
		if v := env(envName); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				*p = n
			}
		}
		fs.IntVar(p, flagName, *p, usage+" (SANTRAL_"+envName+")")
	}
	size := func(p *int64, flagName, envName, usage string) {
		if v := env(envName); v != "" {
			if n, err := ParseSize(v); err == nil {
				*p = n
			}
		}
		fs.Func(flagName, usage+" (SANTRAL_"+envName+")", func(v string) error {
			n, err := ParseSize(v)
			*p = n
			return err
		})
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
	dur(&c.UploadRetention, "upload-retention", "UPLOAD_RETENTION", "how long an uploaded file may wait unsent before it is removed")
	dur(&c.SendTimeout, "send-timeout", "SEND_TIMEOUT", "deadline of any request to a channel provider, and the wait for its answer")
	dur(&c.SendTimePerMB, "send-time-per-mb", "SEND_TIME_PER_MB", "added to a send's deadline per MiB of its file")
	dur(&c.DrainTimeout, "drain-timeout", "DRAIN_TIMEOUT", "on SIGTERM, how long the send in flight may take to finish")
	dur(&c.SimulateEvery, "simulate-every", "SIMULATE_EVERY", "demo: average time between simulated customer messages")
	fs.IntVar(&c.PasswordCost, "password-cost", c.PasswordCost, "bcrypt cost for new passwords (4–31)")
	fs.IntVar(&c.StreamQueue, "stream-queue", c.StreamQueue, "events a socket may have waiting before it catches up from the log")
	dur(&c.SessionLifetime, "session-lifetime", "SESSION_LIFETIME", "how long a login lasts")
	dur(&c.SessionIdle, "session-idle", "SESSION_IDLE", "a login unused this long ends (0: never)")
	str(&c.TrustedProxies, "trusted-proxies", "TRUSTED_PROXIES", "reverse proxies (CIDRs) whose X-Forwarded-For names the client")
	size(&c.MediaQuota, "media-quota", "MEDIA_QUOTA", "total size of stored media, e.g. 20GB (0: no limit)")
	integer(&c.VisitorUploadsPerDay, "visitor-uploads-per-day", "VISITOR_UPLOADS_PER_DAY", "files one website visitor may upload in 24 hours")
	size(&c.VisitorUploadBytesPerDay, "visitor-upload-bytes-per-day", "VISITOR_UPLOAD_BYTES_PER_DAY", "bytes one website visitor may upload in 24 hours, e.g. 50MB")
	// The key itself only from the environment: a flag's value shows in the process list.
	c.SecretKey = getenv("SANTRAL_SECRET_KEY")
	if v := getenv("SANTRAL_SECRET_KEY_FILE"); v != "" {
		c.SecretKeyFile = v
	}
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file holding the key that encrypts stored credentials (SANTRAL_SECRET_KEY_FILE; default <data>/secret.key)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Demo {
		c.Sandbox = true
	}
	return c, c.Validate()
}

// ParseSize reads a byte count: a number with an optional KB, MB, GB or TB suffix (powers of
// 1024; KiB, MiB… are accepted too).
func ParseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("config: %q is not a size (e.g. 500MB, 20GB)", v)
	}
	return n * mult, nil
}

// ParseTrustedProxies reads --trusted-proxies: comma-separated CIDRs or single addresses.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("config: --trusted-proxies: %q is not an address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
