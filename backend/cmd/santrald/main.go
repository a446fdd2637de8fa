// Command santrald is Santral's central routing server.
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
	"syscall"

	"santral/backend/config"
	"santral/backend/server"
)

func main() {
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
	srv, err := server.New(ctx, cfg, log, os.Stdout)
	if err != nil {
		ln.Close()
		log.Error("unable to start", "err", err)
		os.Exit(1)
	}
	log.Info("santrald listening", "addr", ln.Addr().String(), "data", cfg.DataDir, "database", cfg.DatabaseName(), "demo", cfg.Demo, "sandbox", cfg.Sandbox)
	if err := srv.Serve(ctx, ln); err != nil {
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
