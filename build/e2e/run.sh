#!/usr/bin/env bash
# End-to-end test of the desktop app, as an agent uses it:
#  - a real santrald (SQLite in a temp dir, sandbox channel);
#  - the real desktop app built with -tags dev, twice (two agents, two profiles), under Xvfb:
#    each serves the real UI and the real Go bindings to a browser (Wails' dev bridge);
#  - a private D-Bus session bus with a notification server that records what the app raises;
#  - Playwright (playwright-core) driving Debian's Chromium through the UI (frontend/e2e/).
# Then the production build starts in a real window under Xvfb and a screenshot must show the
# login screen. Artifacts (screenshots, notifications, logs) go to $E2E_ARTIFACTS.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
art=${E2E_ARTIFACTS:-$root/build/e2e/artifacts}
rm -rf "$art" && mkdir -p "$art"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cp "$work"/*.log "$work"/*.jsonl "$art"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "e2e: building"
go build -tags sqlite_fts5 -o "$work/santrald" ./backend/cmd/santrald
go build -tags dev,sqlite_fts5 -o "$work/santral-dev" .
go build -tags desktop,production,sqlite_fts5 -o "$work/santral" .
go build -o "$work/notifyrecorder" ./build/e2e/notifyrecorder

# Xvfb picks a free display itself (-displayfd): a fixed or random number can collide with
# another X server on the machine.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
[ -s "$work/display" ] || { echo "e2e: FAIL Xvfb did not start"; cat "$work/xvfb.log"; exit 1; }
export DISPLAY=":$(tr -d '[:space:]' <"$work/display")"

# Free ports in a row: santrald, then the two apps' dev bridges, then the supervisors' e2e's
# three (an admin's app, an agent's app, the dashboard window), then the shop's app, then the
# app of the label check (frontend/e2e/labels.mjs).
free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  port=$((20000 + RANDOM % 20000))
  free "$port" && free $((port + 1)) && free $((port + 2)) && free $((port + 3)) && free $((port + 4)) && free $((port + 5)) && free $((port + 6)) && free $((port + 7)) && break
done
export SANTRAL_URL="http://127.0.0.1:$port"
export SANTRAL_ADMIN_PASSWORD="e2e-admin-password"
"$work/santrald" --addr "127.0.0.1:$port" --data "$work/data" --sandbox --sweep-interval 100ms --password-cost 4 >"$work/santrald.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "$SANTRAL_URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$SANTRAL_URL/healthz" >/dev/null 2>&1 || { echo "e2e: FAIL santrald did not start"; cat "$work/santrald.log"; exit 1; }

export E2E_WORK=$work E2E_ARTIFACTS=$art
export E2E_APP_A="http://127.0.0.1:$((port + 1))" E2E_APP_B="http://127.0.0.1:$((port + 2))"
export E2E_APP_C="http://127.0.0.1:$((port + 6))" E2E_APP_LABELS="http://127.0.0.1:$((port + 7))"
export E2E_NOTIFICATIONS="$work/notifications.jsonl"
export E2E_APP_ADMIN="http://127.0.0.1:$((port + 3))" E2E_APP_AGENT="http://127.0.0.1:$((port + 4))" E2E_APP_DASHBOARD="http://127.0.0.1:$((port + 5))"

# Everything that needs the session bus runs inside one private bus.
dbus-run-session -- bash -euo pipefail -c '
  # Whatever happens (a failed step exits at once), nothing started here outlives the bus.
  trap "kill \$(jobs -p) 2>/dev/null || true" EXIT
  # An unlocked OS credential store (Secret Service), as on a GNOME or KDE desktop.
  # (in a keyring folder of its own: a fresh login keyring, unlocked with this password)
  export XDG_DATA_HOME="$E2E_WORK/xdg-data"
  mkdir -p "$XDG_DATA_HOME"
  echo -n e2e-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  dbus-monitor --session "interface=org.freedesktop.Notifications" >"$E2E_WORK/dbus-monitor.log" 2>&1 &
  "$E2E_WORK/notifyrecorder" "$E2E_NOTIFICATIONS" >"$E2E_WORK/notifyrecorder.log" 2>&1 &
  echo $! >"$E2E_WORK/recorder.pid"
  SANTRAL_APP_DIR="$E2E_WORK/profile-a" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_A#http://}" >"$E2E_WORK/app-a.log" 2>&1 &
  SANTRAL_APP_DIR="$E2E_WORK/profile-b" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_B#http://}" >"$E2E_WORK/app-b.log" 2>&1 &
  SANTRAL_APP_DIR="$E2E_WORK/profile-c" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_C#http://}" >"$E2E_WORK/app-c.log" 2>&1 &
  for u in "$E2E_APP_A" "$E2E_APP_B" "$E2E_APP_C"; do
    for _ in $(seq 200); do curl -fs "$u/" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  export E2E_RECORDER_PID=$(cat "$E2E_WORK/recorder.pid")
  node frontend/e2e/e2e.mjs
  echo "e2e: the shop in the conversation"
  node frontend/e2e/shop.mjs
  echo "e2e: no cut labels at 1280×800 and 1024×768, in Turkish and English"
  SANTRAL_APP_DIR="$E2E_WORK/profile-labels" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_LABELS#http://}" >"$E2E_WORK/app-labels.log" 2>&1 &
  for _ in $(seq 200); do curl -fs "$E2E_APP_LABELS/" >/dev/null 2>&1 && break; sleep 0.1; done
  node frontend/e2e/labels.mjs
  # The signed-in app keeps its token in the credential store, not in a file.
  account="profile-$(printf %s "$E2E_WORK/profile-a" | sha256sum | cut -c1-12)"
  stored=$(secret-tool lookup service Santral username "$account" || true)
  if [ -z "$stored" ] || [ -e "$E2E_WORK/profile-a/token" ]; then
    echo "e2e: FAIL the token is not in the OS credential store"; exit 1
  fi
  if grep -rqF "$stored" "$E2E_WORK/profile-a" "$E2E_WORK"/app-a.log; then
    echo "e2e: FAIL the token leaked into the profile folder or the log"; exit 1
  fi
  echo "e2e: the token is in the OS credential store and nowhere in the profile or log"
  # Supervisors and admins (frontend/e2e/dashboard.mjs): an admin'"'"'s app, an agent'"'"'s app and the
  # dashboard window — the same binary with --dashboard (the dev bridge'"'"'s settings from the
  # environment: Wails stops reading flags at the first one it does not know).
  mkdir -p "$E2E_WORK/home-admin/Downloads" # where the CSV export of reports is saved
  HOME="$E2E_WORK/home-admin" SANTRAL_APP_DIR="$E2E_WORK/profile-admin" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_ADMIN#http://}" >"$E2E_WORK/app-admin.log" 2>&1 &
  SANTRAL_APP_DIR="$E2E_WORK/profile-agent" "$E2E_WORK/santral-dev" -assetdir frontend/dist -devserver "${E2E_APP_AGENT#http://}" >"$E2E_WORK/app-agent.log" 2>&1 &
  SANTRAL_APP_DIR="$E2E_WORK/profile-supervisor" assetdir=frontend/dist devserver="${E2E_APP_DASHBOARD#http://}" "$E2E_WORK/santral-dev" --dashboard >"$E2E_WORK/app-dashboard.log" 2>&1 &
  for u in "$E2E_APP_ADMIN" "$E2E_APP_AGENT" "$E2E_APP_DASHBOARD"; do
    for _ in $(seq 200); do curl -fs "$u/" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  node frontend/e2e/dashboard.mjs
  kill $(jobs -p) 2>/dev/null || true
'

echo "e2e: the website chat widget on a shop page"
node frontend/e2e/widget.mjs

echo "e2e: the production build in a real window"
SANTRAL_APP_DIR="$work/profile-window" dbus-run-session -- "$work/santral" >"$work/window.log" 2>&1 &
pids+=($!)
shot="$art/window-login.png"
ok=""
for _ in $(seq 60); do
  sleep 0.5
  if xwininfo -root -tree 2>/dev/null | grep -q '"Santral"'; then
    sleep 2 # let the page render
    import -window root "$shot"
    # The login screen is drawn: the window exists with its title, and the screenshot holds
    # the sign-in button's primary colour (light or dark theme) over a real area — a blank,
    # black or error window has none.
    accent=0
    for colour in '#2f67e0' '#5b8cf0'; do
      n=$(convert "$shot" -fuzz 6% -fill black +opaque "$colour" -fill white -opaque "$colour" -format '%[fx:round(mean*w*h)]' info: 2>/dev/null || echo 0)
      [ "$n" -gt "$accent" ] && accent=$n
    done
    echo "e2e: window found; primary-coloured pixels: $accent"
    if [ "$accent" -gt 3000 ]; then ok=1; fi
    break
  fi
done
[ -n "$ok" ] || { echo "e2e: FAIL the production window did not show the login screen"; exit 1; }

# One app per mode and profile: the inbox and the dashboard window run side by side (a second
# monitor), and launching either again brings its window forward instead of opening another.
# Wails' single-instance lock lives on the session bus, so all of them share one bus here.
echo "e2e: one inbox and one dashboard window per profile"
SANTRAL_APP_DIR="$work/profile-single" dbus-run-session -- bash -euo pipefail -c '
  trap "kill \$(jobs -p) 2>/dev/null || true" EXIT
  app=$0 work=$1 art=$2
  count() { xwininfo -root -tree 2>/dev/null | grep -c "$1" || true; }
  # (the login-screen window above is still open, in another profile: count beyond it)
  await() { for _ in $(seq 60); do [ "$(count "$1")" -gt "$2" ] && return 0; sleep 0.5; done; return 1; }
  before=$(count "\"Santral\"")
  "$app" >"$work/single-inbox.log" 2>&1 &
  await "\"Santral\"" "$before" || { echo "e2e: FAIL the inbox window did not open"; exit 1; }
  "$app" --dashboard >"$work/single-dashboard.log" 2>&1 &
  await "Pano\"" 0 || { echo "e2e: FAIL the dashboard window did not open beside the inbox"; exit 1; }
  inbox=$(count "\"Santral\""); dash=$(count "Pano\"")
  # Each second launch hands over to the running one of its mode (which logs it) and exits
  # by itself (Wails exits 1 on Linux after the hand-over; 124 is the timeout: still running).
  second() {
    rc=0; timeout 20 "$app" "$@" >"$work/single-second.log" 2>&1 || rc=$?
    [ "$rc" != 124 ] || { echo "e2e: FAIL a second launch ($*) did not exit"; exit 1; }
  }
  second; second --dashboard
  for mode in inbox dashboard; do
    grep -q "second launch" "$work/single-$mode.log" || { echo "e2e: FAIL the running $mode was not handed the second launch"; exit 1; }
  done
  [ "$(count "\"Santral\"")" = "$inbox" ] && [ "$(count "Pano\"")" = "$dash" ] ||
    { echo "e2e: FAIL a second launch opened another window"; xwininfo -root -tree | grep Santral; exit 1; }
  sleep 2 # let both render for the screenshot
  import -window root "$art/window-inbox-and-dashboard.png"
  echo "e2e: inbox and dashboard side by side; a second launch of each exited and opened no window"
' "$work/santral" "$work" "$art"
echo "e2e: PASS (artifacts in $art)"
