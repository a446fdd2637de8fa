// Command santral is the desktop app for agents (Wails). Wiring only: the app's Go side is in
// app/, its UI in frontend/ (built into frontend/dist and embedded here).
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"

	"santral/app"
	"santral/backend/version"
)

//go:embed all:frontend/dist
var dist embed.FS

func main() {
	// The version is stamped at build time (-ldflags "-X santral/backend/version.Version=…",
	// build/version.sh): the one santrald, the packages and the update check use.
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		attachConsole()
		fmt.Println("santral", version.Version)
		return
	}
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
	a := app.New(app.Config{Dir: dir, Version: version.Version, Dashboard: slices.Contains(os.Args[1:], "--dashboard")}, log)
	if err := app.RunWindow(a, assets); err != nil {
		log.Error("the window failed", "err", err)
		os.Exit(1)
	}
}
