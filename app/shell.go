package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strconv"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"santral/app/notify"
)

// processStart is about when the process started (package variables are set before main).
var processStart = time.Now()

// wailsShell is the window as Wails' runtime offers it.
type wailsShell struct{ ctx context.Context }

func (w wailsShell) Emit(event string, data any) { runtime.EventsEmit(w.ctx, event, data) }
func (w wailsShell) SetTitle(title string)       { runtime.WindowSetTitle(w.ctx, title) }
func (w wailsShell) OpenURL(u string)            { runtime.BrowserOpenURL(w.ctx, u) }
func (w wailsShell) Show() {
	runtime.WindowUnminimise(w.ctx)
	runtime.WindowShow(w.ctx)
}

// RunWindow opens the app's window on the built UI and blocks until it closes. A second launch
// brings this window forward instead of starting another app (single instance); a launch with
// --open=<conversation id> (what a notification may run) opens that conversation.
func RunWindow(a *App, assets fs.FS) error {
	a.resume() // the cache before the page: its first Session and Inbox answer from it
	width, height := a.windowSize()
	title, instance := "Santral", "com.santral.desktop-"
	if a.cfg.Dashboard {
		// Fits 1280×800 and grows to a wall screen; never the inbox's remembered size.
		width, height, title, instance = 1280, 800, dashboardTitle(a.language()), "com.santral.dashboard-"
	}
	return wails.Run(&options.App{
		Title:     title,
		Width:     width,
		Height:    height,
		MinWidth:  900,
		MinHeight: 560,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		BackgroundColour: &options.RGBA{R: 246, G: 247, B: 249, A: 255},
		OnStartup: func(ctx context.Context) {
			shell := wailsShell{ctx: ctx}
			var n notify.Notifier = notify.Nop{}
			if d, err := notify.NewPlatform("Santral", func(convID int64) { a.openFromNotification(convID) }); err == nil {
				n = d
			} else {
				a.log.Info("notifications unavailable", "err", err)
			}
			// The UI says when the inbox first showed (frontend reportInboxShown): logged with the
			// time since the process started, the cold start build/bench/app.sh measures.
			runtime.EventsOn(ctx, "ui-shown", func(data ...any) {
				a.log.Info("inbox shown", "since_start_ms", time.Since(processStart).Milliseconds(), "what", data)
			})
			a.start(shell, n)
		},
		OnBeforeClose: func(ctx context.Context) bool {
			if !a.cfg.Dashboard {
				a.rememberWindowSize(runtime.WindowGetSize(ctx))
			}
			return false
		},
		OnShutdown: func(ctx context.Context) { a.shutdown() },
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: instance + profileID(a.cfg.Dir),
			OnSecondInstanceLaunch: func(data options.SecondInstanceData) {
				for _, arg := range data.Args {
					if v, ok := cutPrefix(arg, "--open="); ok {
						if id, err := strconv.ParseInt(v, 10, 64); err == nil {
							a.openFromNotification(id)
							return
						}
					}
				}
				a.openFromNotification(0)
			},
		},
		Linux: &linux.Options{ProgramName: "santral", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Bind:  []interface{}{a},
	})
}

// profileID names the profile folder, so one app runs per profile (not per machine).
func profileID(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:6])
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
