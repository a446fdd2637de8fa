#!/usr/bin/env bash
# Desktop app figures (`make bench-app`): binary size; cold start to the cached inbox visible;
# resident memory with 1,000 cached conversations. (frontend/e2e/coldstart.mjs drives Chromium.) The profile's server does not answer, so the
# inbox shown comes from the local cache alone. Needs what the e2e test needs (Xvfb, Chromium).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
n=${CONVERSATIONS:-1000}

go build -tags sqlite_fts5 -o "$work/seedprofile" ./build/bench/seedprofile
[ -x bin/santral ] && [ -x bin/santral-dev ] || make -s app app-dev >/dev/null

printf 'binary size (production, stripped): %s MB\n' "$(awk -v b="$(stat -c %s bin/santral)" 'BEGIN{printf "%.1f", b/1048576}')"

Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(tr -d '[:space:]' <"$work/display")"

# Cold start: process launch to the first cached conversation row drawn (dev bridge + Chromium).
"$work/seedprofile" "$work/cold" "$n"
BENCH_URL=http://127.0.0.1:34190 BENCH_N=$n BENCH_APP="$root/bin/santral-dev" BENCH_PROFILE="$work/cold" node frontend/e2e/coldstart.mjs

# Memory: the production app in a real window, settled, with the cache loaded.
"$work/seedprofile" "$work/mem" "$n"
SANTRAL_APP_DIR="$work/mem" dbus-run-session -- ./bin/santral >"$work/mem.log" 2>&1 &
pids+=($!)
sleep 10
app=$(pgrep -n -x santral || true)
if [ -n "$app" ]; then
  # The Go process plus the WebKit processes it starts.
  tree="$app $(pgrep -P "$app" | tr '\n' ' ')"
  total=0
  for p in $tree; do total=$((total + $(awk '/VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done
  printf 'resident memory with %d cached conversations: app %s MB, app + WebKit processes %s MB\n' "$n" \
    "$(awk -v k="$(awk '/VmRSS/{print $2}' /proc/$app/status)" 'BEGIN{printf "%.0f", k/1024}')" \
    "$(awk -v k="$total" 'BEGIN{printf "%.0f", k/1024}')"
else
  echo "resident memory: the app did not start (see $work/mem.log)"
fi
