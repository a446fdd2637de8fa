#!/usr/bin/env bash
# `make run`: santrald in demo mode on SQLite, and the desktop app signed in against it.
# With a display, the app opens in a window. Without one, it says so and serves the same app
# (real UI, real Go side) through Wails' dev bridge on a virtual display: open the URL printed
# in a browser.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
addr=${SANTRAL_ADDR:-127.0.0.1:8080}
data=${SANTRAL_DATA:-$root/santral-data}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

./bin/santrald --demo --data "$data" --addr "$addr" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
export SANTRAL_SERVER_URL="http://$addr"
echo
echo "  santrald: http://$addr  (demo users: ayse, mehmet, zeynep, emre, selin — password demo1234)"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "  desktop app: opening a window"
  ./bin/santral
else
  bridge=${SANTRAL_BRIDGE:-127.0.0.1:34115}
  if ! command -v Xvfb >/dev/null; then
    echo "  No display and no Xvfb: install xvfb to serve the app in a browser, or run with a display."
    wait "${pids[0]}"
    exit 0
  fi
  dfile=$(mktemp)
  Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$dfile" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$dfile" ] && break; sleep 0.1; done
  echo "  No display here: serving the desktop app through the dev bridge."
  echo "  Open http://$bridge in a browser (server URL is filled in; log in as ayse / demo1234)."
  DISPLAY=":$(tr -d '[:space:]' <"$dfile")" ./bin/santral-dev -assetdir frontend/dist -devserver "$bridge"
fi
