package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env is a fake process environment for Load.
func env(kv map[string]string) func(string) string {
	return func(name string) string { return kv[name] }
}

// s3Keys are the S3 keys in the environment (the secret is a value the errors must not repeat).
var s3Keys = map[string]string{"SANTRAL_S3_ACCESS_KEY": "ak", "SANTRAL_S3_SECRET_KEY": "hunter2"}

// A value santrald cannot use stops start-up with a message naming where it came from; nothing
// is silently ignored.
func TestLoadRefusesBadEnvironment(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "folder")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // every one must appear in the error
	}{
		{"duration", map[string]string{"SANTRAL_SWEEP_INTERVAL": "fast"}, nil, []string{"SANTRAL_SWEEP_INTERVAL", `"fast"`}},
		{"duration without unit", map[string]string{"SANTRAL_SEND_BACKOFF": "2"}, nil, []string{"SANTRAL_SEND_BACKOFF", `"2"`}},
		{"bool", map[string]string{"SANTRAL_DEMO": "maybe"}, nil, []string{"SANTRAL_DEMO", `"maybe"`}},
		{"bool of the sandbox", map[string]string{"SANTRAL_SANDBOX": "on"}, nil, []string{"SANTRAL_SANDBOX", `"on"`}},
		{"missing secret file", map[string]string{"SANTRAL_ADMIN_PASSWORD_FILE": "/nonexistent"}, nil,
			[]string{"SANTRAL_ADMIN_PASSWORD_FILE", "/nonexistent"}},
		{"secret file is a folder", map[string]string{"SANTRAL_SANDBOX_TOKEN_FILE": unreadable}, nil,
			[]string{"SANTRAL_SANDBOX_TOKEN_FILE", unreadable}},
		{"empty secret file", map[string]string{"SANTRAL_SANDBOX_TOKEN_FILE": empty}, nil,
			[]string{"SANTRAL_SANDBOX_TOKEN_FILE", empty, "empty"}},
		{"value and file both set", map[string]string{"SANTRAL_ADMIN_PASSWORD": "x", "SANTRAL_ADMIN_PASSWORD_FILE": empty}, nil,
			[]string{"SANTRAL_ADMIN_PASSWORD", "SANTRAL_ADMIN_PASSWORD_FILE"}},
		{"a bad value is refused even when a flag overrides it", map[string]string{"SANTRAL_STREAM_POLL": "soon"},
			[]string{"--stream-poll", "1s"}, []string{"SANTRAL_STREAM_POLL", `"soon"`}},
		{"every bad value is named at once", map[string]string{"SANTRAL_DEMO": "maybe", "SANTRAL_EVENT_RETENTION": "forever"}, nil,
			[]string{"SANTRAL_DEMO", "SANTRAL_EVENT_RETENTION"}},
		{"negative interval", map[string]string{"SANTRAL_SWEEP_INTERVAL": "-1s"}, nil, []string{"--sweep-interval", "SANTRAL_SWEEP_INTERVAL", "positive"}},
		{"zero simulation pace in demo", map[string]string{"SANTRAL_DEMO": "1", "SANTRAL_SIMULATE_EVERY": "0s"}, nil,
			[]string{"SANTRAL_SIMULATE_EVERY"}},
		{"address without port", map[string]string{"SANTRAL_ADDR": "localhost"}, nil, []string{"SANTRAL_ADDR", `"localhost"`}},
		{"metrics address without port", map[string]string{"SANTRAL_METRICS_ADDR": "localhost"}, nil, []string{"SANTRAL_METRICS_ADDR", `"localhost"`}},
		{"metrics on the API's address", nil, []string{"--addr", "127.0.0.1:8080", "--metrics-addr", "127.0.0.1:8080"},
			[]string{"--metrics-addr", "SANTRAL_METRICS_ADDR", "address of their own"}},
		{"log level", map[string]string{"SANTRAL_LOG_LEVEL": "loud"}, nil, []string{"SANTRAL_LOG_LEVEL", `"loud"`}},
		{"log format", map[string]string{"SANTRAL_LOG_FORMAT": "xml"}, nil, []string{"SANTRAL_LOG_FORMAT", `"xml"`}},
		{"bad flag value", nil, []string{"--sweep-interval", "fast"}, []string{"sweep-interval", "fast"}},
		{"password cost", nil, []string{"--password-cost", "40"}, []string{"--password-cost"}},
		{"database that is not PostgreSQL", map[string]string{"SANTRAL_DB": "mysql://u:hunter2@db/santral"}, nil,
			[]string{"--db", "SANTRAL_DB", "postgres://"}},
		{"database without a server", nil, []string{"--db", "postgres:///santral"}, []string{"--db", "no server"}},
		{"database without a name", nil, []string{"--db", "postgres://u:hunter2@db:5432"}, []string{"--db", "no database"}},
		{"S3 settings without a bucket", map[string]string{"SANTRAL_S3_ENDPOINT": "https://s3.example", "SANTRAL_S3_SECRET_KEY": "hunter2"}, nil,
			[]string{"--s3-endpoint", "SANTRAL_S3_SECRET_KEY", "--s3-bucket (SANTRAL_S3_BUCKET) is not"}},
		{"a bucket without a server", map[string]string{"SANTRAL_S3_ACCESS_KEY": "ak", "SANTRAL_S3_SECRET_KEY": "hunter2"},
			[]string{"--s3-bucket", "santral"}, []string{"--s3-endpoint", "required"}},
		{"a server without a scheme", s3Keys, []string{"--s3-bucket", "santral", "--s3-endpoint", "minio:9000"},
			[]string{"--s3-endpoint", `"minio:9000"`, "http://"}},
		{"a server with a path", s3Keys, []string{"--s3-bucket", "santral", "--s3-endpoint", "https://s3.example/santral"},
			[]string{"--s3-endpoint", "no path"}},
		{"keys in the server's URL", nil, []string{"--s3-bucket", "santral", "--s3-endpoint", "https://ak:hunter2@s3.example"},
			[]string{"--s3-endpoint", "must not hold keys", "SANTRAL_S3_ACCESS_KEY"}},
		{"a bucket without keys", nil, []string{"--s3-bucket", "santral", "--s3-endpoint", "https://s3.example"},
			[]string{"SANTRAL_S3_ACCESS_KEY", "SANTRAL_S3_SECRET_KEY"}},
		{"a bucket name S3 refuses", s3Keys, []string{"--s3-bucket", "Santral_Media", "--s3-endpoint", "https://s3.example"},
			[]string{"--s3-bucket", `"Santral_Media"`}},
		{"a prefix from the root", s3Keys, []string{"--s3-bucket", "santral", "--s3-endpoint", "https://s3.example", "--s3-prefix", "/media"},
			[]string{"--s3-prefix", `"/media"`}},
		{"NATS that is not NATS", map[string]string{"SANTRAL_NATS": "redis://u:hunter2@bus:6379"}, nil,
			[]string{"--nats", "SANTRAL_NATS", "nats://"}},
		{"NATS without a server", nil, []string{"--nats", "nats://u:hunter2@:4222"}, []string{"--nats", "no server"}},
		{"NATS list with a bad member", nil, []string{"--nats", "nats://a:4222,,nats://b:4222"}, []string{"--nats", "URL 2", "empty"}},
		{"wake subject with a wildcard", map[string]string{"SANTRAL_NATS_SUBJECT": "santral.>"}, nil,
			[]string{"--nats-subject", "SANTRAL_NATS_SUBJECT"}},
		{"wake subject with an empty word", nil, []string{"--nats-subject", "santral..prod"}, []string{"--nats-subject"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil {
				t.Fatalf("Load accepted %v %v", tc.env, tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the database password", err)
			}
		})
	}
}

func TestLoadReadsEnvironmentFilesAndFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "password")
	if err := os.WriteFile(secret, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbURL := filepath.Join(dir, "db")
	if err := os.WriteFile(dbURL, []byte("postgres://santral:hunter2@db.internal:5432/santral\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		check func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return reflect.DeepEqual(c, Default()) }},
		{"environment", map[string]string{"SANTRAL_ADDR": "127.0.0.1:9999", "SANTRAL_DATA": "/srv/santral", "SANTRAL_SWEEP_INTERVAL": "2s"}, nil,
			func(c Config) bool {
				return c.Addr == "127.0.0.1:9999" && c.DataDir == "/srv/santral" && c.SweepInterval == 2*time.Second
			}},
		{"flags override the environment", map[string]string{"SANTRAL_ADDR": "127.0.0.1:9999", "SANTRAL_SWEEP_INTERVAL": "2s", "SANTRAL_DEMO": "true"},
			[]string{"--addr", "127.0.0.1:7777", "--sweep-interval", "3s", "--demo=false"},
			func(c Config) bool {
				return c.Addr == "127.0.0.1:7777" && c.SweepInterval == 3*time.Second && !c.Demo && !c.Sandbox
			}},
		{"booleans as strconv reads them", map[string]string{"SANTRAL_DEMO": "1", "SANTRAL_SANDBOX": "FALSE"}, nil,
			func(c Config) bool { return c.Demo && c.Sandbox }},
		{"secret from a file, trimmed", map[string]string{"SANTRAL_ADMIN_PASSWORD_FILE": secret}, nil,
			func(c Config) bool { return c.AdminPassword == "from-a-file" }},
		{"PostgreSQL from a file (it holds a password)", map[string]string{"SANTRAL_DB_FILE": dbURL}, nil,
			func(c Config) bool {
				return c.DB == "postgres://santral:hunter2@db.internal:5432/santral" && c.DatabaseName() == "postgres://db.internal:5432/santral"
			}},
		{"NATS servers, credentials kept out of their name", map[string]string{"SANTRAL_NATS": "nats://santral:hunter2@n1:4222, tls://s3cr3t-token@n2:4222"},
			[]string{"--nats-subject", "shop.prod"},
			func(c Config) bool {
				return c.NATS == "nats://santral:hunter2@n1:4222, tls://s3cr3t-token@n2:4222" && c.NATSSubject == "shop.prod" &&
					c.NATSName() == "nats://n1:4222,tls://n2:4222"
			}},
		{"SQLite when no database is named", nil, nil,
			func(c Config) bool { return c.DB == "" && c.DatabaseName() == filepath.Join(c.DataDir, "santral.db") }},
		{"media in S3, the keys from files", map[string]string{"SANTRAL_S3_BUCKET": "santral-media", "SANTRAL_S3_ENDPOINT": "http://minio.internal:9000",
			"SANTRAL_S3_ACCESS_KEY_FILE": secret, "SANTRAL_S3_SECRET_KEY_FILE": dbURL}, []string{"--s3-prefix", "prod", "--s3-region", "eu-central-1"},
			func(c Config) bool {
				return c.S3 == S3{Endpoint: "http://minio.internal:9000", Bucket: "santral-media", Region: "eu-central-1", Prefix: "prod",
					AccessKey: "from-a-file", SecretKey: "postgres://santral:hunter2@db.internal:5432/santral"} &&
					c.S3.ObjectPrefix() == "prod/" && c.MediaName() == "s3://santral-media/prod/ at http://minio.internal:9000"
			}},
		{"media in the data directory by default", nil, nil,
			func(c Config) bool { return c.S3 == S3{} && c.MediaName() == filepath.Join(c.DataDir, "media") }},
		{"empty variables count as unset", map[string]string{"SANTRAL_SWEEP_INTERVAL": "", "SANTRAL_ADMIN_PASSWORD_FILE": ""}, nil,
			func(c Config) bool { return c.SweepInterval == Default().SweepInterval && c.AdminPassword == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.args, env(tc.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}
