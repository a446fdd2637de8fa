// Command santral is the desktop app for agents (Wails). Wiring only: the app's Go side is in
// app/, its UI in frontend/ (built into frontend/dist and embedded here).
package main

import (
	"embed"
	"io/fs"
	"log/slog"
	"os"
	"slices"

	"santral/app"
)

//go:embed all:frontend/dist
var dist embed.FS

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		log.Error("the UI is missing from this build", "err", err)
		os.Exit(1)
	}
	dir := os.Getenv("SANTRAL_APP_DIR") // a second profile on one machine (tests, shared PCs)
	if dir == "" {
		dir = app.DefaultDir()
	}
	a := app.New(app.Config{Dir: dir, Version: version, Dashboard: slices.Contains(os.Args[1:], "--dashboard")}, log)
	if err := app.RunWindow(a, assets); err != nil {
		log.Error("the window failed", "err", err)
		os.Exit(1)
	}
}
