// Command santrald is Santral's central routing server. `santrald backup` copies its database
// while it runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"santral/backend/backup"
	"santral/backend/config"
	"santral/backend/server"
	"santral/backend/version"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version" || os.Args[1] == "version") {
		fmt.Println("santrald", version.Version)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "backup" {
		os.Exit(runBackup(os.Args[2:]))
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(os.Stdout)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The address first: a port in use must stop santrald before it creates a database, an
	// admin or prints a password that would belong to nothing.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("unable to listen; is another santrald running? Choose another address with --addr or SANTRAL_ADDR",
			"addr", cfg.Addr, "err", err)
		os.Exit(1)
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			log.Error("unable to listen for metrics; choose another address with --metrics-addr or SANTRAL_METRICS_ADDR",
				"addr", cfg.MetricsAddr, "err", err)
			os.Exit(1)
		}
	}
	srv, err := server.New(ctx, cfg, log, os.Stdout)
	if err != nil {
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		log.Error("unable to start", "err", err)
		os.Exit(1)
	}
	log.Info("santrald listening", "version", version.Version, "addr", ln.Addr().String(), "data", cfg.DataDir, "database", cfg.DatabaseName(), "media", cfg.MediaName(), "demo", cfg.Demo, "sandbox", cfg.Sandbox)
	if metricsLn != nil {
		log.Info("metrics", "url", "http://"+metricsLn.Addr().String()+"/metrics")
	}
	if err := srv.ServeAll(ctx, ln, metricsLn); err != nil {
		log.Error("stopped with error", "err", err)
		os.Exit(1)
	}
	log.Info("santrald stopped")
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// runBackup is `santrald backup --data DIR --to FILE`: an online copy of the SQLite database,
// safe while santrald runs (see package backup). It prints where the copy is and reminds that
// the secret key is not in it.
func runBackup(args []string) int {
	fs := flag.NewFlagSet("santrald backup", flag.ContinueOnError)
	data := os.Getenv("SANTRAL_DATA")
	if data == "" {
		data = config.Default().DataDir
	}
	fs.StringVar(&data, "data", data, "santrald's data directory (SANTRAL_DATA)")
	to := fs.String("to", "", "the file to write the copy to (replaced when it exists)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: santrald backup [--data DIR] --to FILE")
		fmt.Fprintln(fs.Output(), "Copies the SQLite database while santrald runs, checks the copy, then puts it at FILE.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	cfg := config.Default()
	cfg.DataDir = data
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := backup.SQLite(ctx, cfg.DatabasePath(), *to)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("backup: %s (%d bytes, %d pages, integrity ok)\n", c.Path, c.Bytes, c.Pages)
	key := cfg.KeyPath()
	if k := os.Getenv("SANTRAL_SECRET_KEY_FILE"); k != "" {
		key = k
	}
	if abs, err := filepath.Abs(key); err == nil {
		key = abs
	}
	fmt.Printf("backup: the credentials in it are sealed with the secret key (%s, or SANTRAL_SECRET_KEY): keep a copy of the key too, apart from the backups\n", key)
	fmt.Printf("backup: media files are not in it: copy %s too (media in S3 are kept by the object store: use its versioning or replication)\n",
		filepath.Join(cfg.DataDir, "media"))
	return 0
}
