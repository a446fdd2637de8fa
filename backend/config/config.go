// Package config is santrald's one settings struct: defaults, then environment (SANTRAL_*), then
// flags; secrets may come from files (SANTRAL_*_FILE). It is passed explicitly, never global.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"santral/backend/auth"
)

// Config holds every setting of santrald.
type Config struct {
	Addr string // listen address
	// MetricsAddr is where GET /metrics is served, apart from the API ("" : not served). Kept
	// off the API's address so that the door the internet reaches never shows it.
	MetricsAddr   string
	DataDir       string // where the database (and later media) live
	DB            string // PostgreSQL URL several nodes share; empty: SQLite in DataDir (may hold a password: never logged)
	DBCommitters  int    // group commits a node runs at once on PostgreSQL (README "Several nodes")
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

	// PingInterval is how often every open socket is pinged (and a peer that misses a ping is
	// let go); 0: 20 s. No flag: the desktop app gives up on a silent link after 60 s, so this
	// stays well under it; tests shorten it.
	PingInterval time.Duration

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

	// ReportMaxConversations bounds the conversations one report reads (report_too_large).
	ReportMaxConversations int

	// SecretKey encrypts stored credentials (base64 or hex of 32 bytes, from SANTRAL_SECRET_KEY);
	// else SecretKeyFile holds it; else the data directory's secret.key, created on first start.
	SecretKey     string
	SecretKeyFile string
	SendTimeout   time.Duration // deadline of any request to a provider; also how long its answer may stall
	SendTimePerMB time.Duration // added to a send's deadline per MiB of its file (the slowest upload assumed)
	DrainTimeout  time.Duration // on SIGTERM, how long the send in flight may take to finish

	// S3 puts media in an S3-compatible bucket that every node reads, instead of DataDir/media.
	S3 S3
	// NATS is the server (or comma-separated servers) through which nodes sharing the database
	// wake each other's event readers after a commit; empty: they hear each other by the poll.
	// May hold credentials: never logged (see NATSName).
	NATS        string
	NATSSubject string // prefix of the wake subject, <prefix>.<database id>.wake
}

// S3 is an S3-compatible object store for media, used when Bucket is set. The keys come from
// the environment only (SANTRAL_S3_ACCESS_KEY, SANTRAL_S3_SECRET_KEY or their _FILE), never
// from flags, which show in the process list; they are never logged.
type S3 struct {
	Endpoint  string // https://host[:port] or http://host:port
	Bucket    string
	Region    string // empty: asked of the server
	Prefix    string // prepended to every object name, e.g. "santral/"; may be empty
	AccessKey string
	SecretKey string
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
		DBCommitters:   4,
		SendBackoff:    2 * time.Second,

		UploadRetention:          24 * time.Hour,
		SessionLifetime:          30 * 24 * time.Hour,
		SessionIdle:              7 * 24 * time.Hour,
		MediaQuota:               20 << 30,
		VisitorUploadsPerDay:     20,
		VisitorUploadBytesPerDay: 50 << 20,
		ReportMaxConversations:   50_000,
		SendTimeout:              30 * time.Second,
		SendTimePerMB:            4 * time.Second,
		DrainTimeout:             25 * time.Second,

		NATSSubject: "santral",
	}
}

// DatabasePath is the SQLite file in the data directory.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "santral.db") }

// DatabaseName says which database santrald uses, for logs: the SQLite file, or PostgreSQL's
// host and database (never the user or password).
func (c Config) DatabaseName() string {
	if c.DB == "" {
		return c.DatabasePath()
	}
	u, err := url.Parse(c.DB)
	if err != nil {
		return "postgres"
	}
	return "postgres://" + u.Host + u.Path
}

// checkDatabaseURL says what is wrong with a --db value, without repeating it (it may hold a
// password).
func checkDatabaseURL(v string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return fmt.Errorf("must be a postgres:// URL (scheme %q); leave it empty for SQLite in the data directory", u.Scheme)
	case u.Host == "" && u.Query().Get("host") == "":
		return errors.New("names no server (postgres://user@host:5432/database)")
	case strings.Trim(u.Path, "/") == "":
		return errors.New("names no database (postgres://user@host:5432/database)")
	}
	return nil
}

// MediaName says where media live, for logs: the folder, or the bucket and its server (never
// the keys).
func (c Config) MediaName() string {
	if c.S3.Bucket == "" {
		return filepath.Join(c.DataDir, "media")
	}
	return "s3://" + c.S3.Bucket + "/" + c.S3.ObjectPrefix() + " at " + c.S3.Endpoint
}

// ObjectPrefix is what precedes a file's key in its object name: the prefix as a folder.
func (s S3) ObjectPrefix() string {
	if s.Prefix == "" || strings.HasSuffix(s.Prefix, "/") {
		return s.Prefix
	}
	return s.Prefix + "/"
}

// problems says what cannot work in the S3 settings, each named by its flag or variable.
func (s S3) problems() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("config: "+format, args...)) }
	if s.Bucket == "" {
		for _, v := range []struct{ value, name string }{
			{s.Endpoint, "--s3-endpoint (SANTRAL_S3_ENDPOINT)"}, {s.Region, "--s3-region (SANTRAL_S3_REGION)"},
			{s.Prefix, "--s3-prefix (SANTRAL_S3_PREFIX)"}, {s.AccessKey, "SANTRAL_S3_ACCESS_KEY"}, {s.SecretKey, "SANTRAL_S3_SECRET_KEY"},
		} {
			if v.value != "" {
				bad("%s is set but --s3-bucket (SANTRAL_S3_BUCKET) is not: set the bucket to keep media in S3, or unset it to keep them in the data directory", v.name)
			}
		}
		return errs
	}
	// The bucket naming rules every S3-compatible server shares (3–63 lower-case letters,
	// digits, dots and hyphens).
	if !bucketName.MatchString(s.Bucket) {
		bad("--s3-bucket (SANTRAL_S3_BUCKET) %q is not a bucket name (3–63 lower-case letters, digits, '.' and '-')", s.Bucket)
	}
	if u, err := url.Parse(s.Endpoint); s.Endpoint == "" {
		bad("--s3-endpoint (SANTRAL_S3_ENDPOINT) is required with --s3-bucket, e.g. https://s3.eu-central-1.amazonaws.com or http://minio.internal:9000")
	} else if err == nil && u.User != nil {
		// Not repeated: the value holds a key.
		bad("--s3-endpoint (SANTRAL_S3_ENDPOINT) must not hold keys: put them in SANTRAL_S3_ACCESS_KEY and SANTRAL_S3_SECRET_KEY")
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		bad("--s3-endpoint (SANTRAL_S3_ENDPOINT) %q is not https://host[:port] or http://host[:port] (no path)", s.Endpoint)
	}
	if strings.HasPrefix(s.Prefix, "/") || strings.Contains(s.Prefix, "//") || strings.ContainsAny(s.Prefix, "\\\x00") {
		bad("--s3-prefix (SANTRAL_S3_PREFIX) %q must not start with '/' nor hold '//', '\\' or NUL", s.Prefix)
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		bad("--s3-bucket needs SANTRAL_S3_ACCESS_KEY and SANTRAL_S3_SECRET_KEY (or their _FILE) in the environment")
	}
	return errs
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// NATSName says which NATS servers santrald uses, for logs: each URL without its user,
// password or token.
func (c Config) NATSName() string { return RedactNATS(c.NATS) }

// RedactNATS is a --nats value with the credentials of each URL left out.
func RedactNATS(v string) string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		u, err := url.Parse(f)
		switch {
		case f == "":
			continue
		case err != nil || u.Host == "":
			out = append(out, "(unreadable URL)")
		default:
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return strings.Join(out, ",")
}

// checkNATS says what is wrong with a --nats value, without repeating it (it may hold a
// password or a token).
func checkNATS(v string) error {
	for i, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		u, err := url.Parse(f)
		switch {
		case f == "":
			return fmt.Errorf("URL %d of the list is empty", i+1)
		case err != nil:
			return fmt.Errorf("URL %d is not a URL", i+1)
		case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
			return fmt.Errorf("URL %d must be nats://host:4222 (or tls://, ws://, wss://), not scheme %q", i+1, u.Scheme)
		case u.Hostname() == "":
			return fmt.Errorf("URL %d names no server (nats://host:4222)", i+1)
		}
	}
	return nil
}

// checkSubjectPrefix says what is wrong with a --nats-subject: dot-separated tokens without
// wildcards or spaces.
func checkSubjectPrefix(v string) error {
	for _, tok := range strings.Split(v, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return fmt.Errorf("%q is not a NATS subject prefix (dot-separated words without spaces, * or >)", v)
		}
	}
	return nil
}

// KeyPath is the secret key file: SecretKeyFile, or secret.key in the data directory.
func (c Config) KeyPath() string {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile
	}
	return filepath.Join(c.DataDir, "secret.key")
}

// Validate reports every setting that cannot work, each named by its flag and variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(flagName, envName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: --%s (SANTRAL_%s) %s", flagName, envName, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "ADDR", "%q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics-addr", "METRICS_ADDR", "%q is not host:port (e.g. 127.0.0.1:9464)", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("metrics-addr", "METRICS_ADDR", "%q is the API's address too; give metrics an address of their own", c.MetricsAddr)
		}
	}
	if c.DataDir == "" {
		bad("data", "DATA", "is required")
	}
	if c.DB != "" {
		if err := checkDatabaseURL(c.DB); err != nil {
			bad("db", "DB", "%v", err)
		}
	}
	if c.NATS != "" {
		if err := checkNATS(c.NATS); err != nil {
			bad("nats", "NATS", "%v", err)
		}
	}
	if err := checkSubjectPrefix(c.NATSSubject); err != nil {
		bad("nats-subject", "NATS_SUBJECT", "%v", err)
	}
	for _, d := range []struct {
		flagName, envName string
		value             time.Duration
	}{
		{"sweep-interval", "SWEEP_INTERVAL", c.SweepInterval},
		{"stream-poll", "STREAM_POLL", c.StreamPoll},
		{"event-retention", "EVENT_RETENTION", c.EventRetention},
		{"send-backoff", "SEND_BACKOFF", c.SendBackoff},
		{"upload-retention", "UPLOAD_RETENTION", c.UploadRetention},
		{"session-lifetime", "SESSION_LIFETIME", c.SessionLifetime},
		{"send-timeout", "SEND_TIMEOUT", c.SendTimeout},
		{"send-time-per-mb", "SEND_TIME_PER_MB", c.SendTimePerMB},
		{"drain-timeout", "DRAIN_TIMEOUT", c.DrainTimeout},
	} {
		if d.value <= 0 {
			bad(d.flagName, d.envName, "must be positive, not %s", d.value)
		}
	}
	if c.Demo && c.SimulateEvery <= 0 {
		bad("simulate-every", "SIMULATE_EVERY", "must be positive in demo mode, not %s", c.SimulateEvery)
	}
	if c.SessionIdle < 0 {
		bad("session-idle", "SESSION_IDLE", "must be 0 (never) or positive, not %s", c.SessionIdle)
	}
	if c.StreamQueue < 1 {
		bad("stream-queue", "STREAM_QUEUE", "must be at least 1, not %d", c.StreamQueue)
	}
	if c.MediaQuota < 0 {
		bad("media-quota", "MEDIA_QUOTA", "must be 0 (no limit) or positive")
	}
	if c.ReportMaxConversations < 0 {
		bad("report-max-conversations", "REPORT_MAX_CONVERSATIONS", "must not be negative")
	}
	if c.VisitorUploadsPerDay < 0 || c.VisitorUploadBytesPerDay < 0 {
		bad("visitor-uploads-per-day", "VISITOR_UPLOADS_PER_DAY", "and the bytes per day must not be negative")
	}
	errs = append(errs, c.S3.problems()...)
	if _, err := ParseTrustedProxies(c.TrustedProxies); err != nil {
		bad("trusted-proxies", "TRUSTED_PROXIES", "%v", err)
	}
	if c.DBCommitters < 1 || c.DBCommitters > 16 {
		bad("db-committers", "DB_COMMITTERS", "must be between 1 and 16, not %d", c.DBCommitters)
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
	size := func(p *int64, flagName, envName, usage string) {
		if v, ok := env(envName); ok {
			if n, err := ParseSize(v); err != nil {
				invalid(envName, v, "a size (e.g. 50MB, 20GB, or bytes)")
			} else {
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
	str(&c.MetricsAddr, "metrics-addr", "METRICS_ADDR", "address serving GET /metrics for Prometheus, apart from the API (empty: none)")
	str(&c.DataDir, "data", "DATA", "data directory")
	str(&c.DB, "db", "DB", "PostgreSQL URL shared by several nodes, postgres://user:password@host:5432/santral (also _FILE); empty: SQLite in the data directory")
	integer(&c.DBCommitters, "db-committers", "DB_COMMITTERS", "PostgreSQL: write transactions a node runs at once (1–16, default 4; SQLite always 1)")
	str(&c.NATS, "nats", "NATS", "NATS server(s) through which nodes on one database wake each other, nats://host:4222 (also _FILE); empty: they hear each other by --stream-poll")
	str(&c.NATSSubject, "nats-subject", "NATS_SUBJECT", "prefix of the NATS subject nodes wake each other on (<prefix>.<database id>.wake)")
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
	integer(&c.PasswordCost, "password-cost", "PASSWORD_COST", "bcrypt cost for new passwords (4–31)")
	integer(&c.StreamQueue, "stream-queue", "STREAM_QUEUE", "events a socket may have waiting before it catches up from the log")
	dur(&c.SessionLifetime, "session-lifetime", "SESSION_LIFETIME", "how long a login lasts")
	dur(&c.SessionIdle, "session-idle", "SESSION_IDLE", "a login unused this long ends (0: never)")
	str(&c.TrustedProxies, "trusted-proxies", "TRUSTED_PROXIES", "reverse proxies (CIDRs) whose X-Forwarded-For names the client")
	size(&c.MediaQuota, "media-quota", "MEDIA_QUOTA", "total size of stored media, e.g. 20GB (0: no limit)")
	integer(&c.ReportMaxConversations, "report-max-conversations", "REPORT_MAX_CONVERSATIONS", "conversations one report may read; a longer range is report_too_large")
	integer(&c.VisitorUploadsPerDay, "visitor-uploads-per-day", "VISITOR_UPLOADS_PER_DAY", "files one website visitor may upload in 24 hours")
	size(&c.VisitorUploadBytesPerDay, "visitor-upload-bytes-per-day", "VISITOR_UPLOAD_BYTES_PER_DAY", "bytes one website visitor may upload in 24 hours, e.g. 50MB")
	str(&c.S3.Endpoint, "s3-endpoint", "S3_ENDPOINT", "media in S3: the server, https://host[:port] or http://host:port")
	str(&c.S3.Bucket, "s3-bucket", "S3_BUCKET", "media in S3: the bucket (empty: media in the data directory)")
	str(&c.S3.Region, "s3-region", "S3_REGION", "media in S3: the bucket's region (empty: asked of the server)")
	str(&c.S3.Prefix, "s3-prefix", "S3_PREFIX", "media in S3: put before every object's name, e.g. santral/")
	if v, ok := env("S3_ACCESS_KEY"); ok {
		c.S3.AccessKey = v
	}
	if v, ok := env("S3_SECRET_KEY"); ok {
		c.S3.SecretKey = v
	}
	// The key itself only from the environment: a flag's value shows in the process list.
	c.SecretKey = getenv("SANTRAL_SECRET_KEY")
	if v := getenv("SANTRAL_SECRET_KEY_FILE"); v != "" {
		c.SecretKeyFile = v
	}
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file holding the key that encrypts stored credentials (SANTRAL_SECRET_KEY_FILE; default <data>/secret.key)")
	return fs, errs
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
