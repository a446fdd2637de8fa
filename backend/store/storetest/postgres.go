// Package storetest gives tests real databases: a new, empty PostgreSQL database per test on
// the server named by SANTRAL_TEST_POSTGRES (the local one by default), dropped when the test
// ends, so parallel runs on one server never meet.
//
// When the server cannot be reached the PostgreSQL half of a test is skipped with the reason —
// unless SANTRAL_TEST_POSTGRES_REQUIRED=1 (CI, make test), when it fails.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Environment variables.
const (
	ServerEnv   = "SANTRAL_TEST_POSTGRES"          // a postgres:// URL of a server (any database on it)
	RequiredEnv = "SANTRAL_TEST_POSTGRES_REQUIRED" // "1": an unreachable server fails the test
)

// DefaultServer is the server used when SANTRAL_TEST_POSTGRES is not set: the development and
// CI machines run one with trust authentication.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=5"

const prefix = "santral_test_"

var (
	once    sync.Once
	admin   *sql.DB
	server  *url.URL
	openErr error
	counter atomic.Int64
)

// Required reports whether the PostgreSQL half of the tests must run.
func Required() bool {
	v, _ := strconv.ParseBool(os.Getenv(RequiredEnv))
	return v
}

func connect() {
	raw := os.Getenv(ServerEnv)
	if raw == "" {
		raw = DefaultServer
	}
	server, openErr = url.Parse(raw)
	if openErr != nil {
		openErr = fmt.Errorf("%s is not a URL: %w", ServerEnv, openErr)
		return
	}
	admin, openErr = sql.Open("pgx", raw)
	if openErr != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if openErr = admin.PingContext(ctx); openErr != nil {
		openErr = fmt.Errorf("PostgreSQL at %s: %w", server.Host, openErr)
		return
	}
	dropStale(ctx)
}

// dropStale removes databases a crashed run left, a day after they were made (the name says when).
func dropStale(ctx context.Context) {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'santral\_test\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		if at, err := strconv.ParseInt(stamp, 10, 64); err == nil && time.Since(time.Unix(at, 0)) > 24*time.Hour {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+quoteIdent(name)+` WITH (FORCE)`)
	}
}

// Postgres returns the URL of a new, empty database for this test, dropped when it ends.
func Postgres(tb testing.TB) string {
	tb.Helper()
	once.Do(connect)
	if openErr != nil {
		if Required() {
			tb.Fatalf("PostgreSQL is required (%s=1) but cannot be used: %v", RequiredEnv, openErr)
		}
		tb.Skipf("PostgreSQL not reachable (%v): set %s to a server's URL, or %s=1 to make this a failure", openErr, ServerEnv, RequiredEnv)
	}
	name := fmt.Sprintf("%s%d_%d_%d", prefix, time.Now().Unix(), os.Getpid(), counter.Add(1))
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+quoteIdent(name)); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+quoteIdent(name)+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u := *server
	u.Path = "/" + name
	return u.String()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
