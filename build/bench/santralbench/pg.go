package main

// santrald on PostgreSQL: -db names a server (a postgres:// URL of any database on it, whose user
// may create databases); every santrald the bench starts — or every cluster of them — gets a
// new database there, dropped when it stops (kept with -keep).

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// defaultPostgres is the server the cluster scenario uses when -db is not given: the one every
// development and CI machine runs (trust authentication).
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=5"

type pgServer struct {
	admin *sql.DB
	base  *url.URL
	mu    sync.Mutex
	seq   int
}

func openPostgres(ctx context.Context, raw string) (*pgServer, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-db must be a postgres:// URL")
	}
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL at %s: %w", u.Host, err)
	}
	return &pgServer{admin: db, base: u}, nil
}

// create makes a new, empty database and returns its URL and what drops it.
func (s *pgServer) create(ctx context.Context, keep bool) (string, func(), error) {
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("santralbench_%d_%d_%d", time.Now().Unix(), os.Getpid(), s.seq)
	s.mu.Unlock()
	quoted := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+quoted); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u := *s.base
	u.Path = "/" + name
	drop := func() {
		if !keep {
			s.admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+quoted+` WITH (FORCE)`)
		}
	}
	return u.String(), drop, nil
}

// postgres is the run's PostgreSQL server: -db's, or the local one for the cluster scenario.
func (b *bench) postgres(ctx context.Context) (*pgServer, error) {
	if b.pg != nil {
		return b.pg, nil
	}
	raw := or(b.opt.DB, or(b.opt.ClusterDB, defaultPostgres))
	pg, err := openPostgres(ctx, raw)
	if err != nil {
		return nil, err
	}
	b.pg = pg
	return pg, nil
}

// redactDB is a postgres:// URL without its user and password, for the printed header.
func redactDB(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
