#!/usr/bin/env bash
# Desktop app figures (`make bench-app`): binary size; cold start to the cached inbox visible
# (the dev bridge in Chromium, and the production app in its own window);
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

# Cold start of the production app in a real window: process launch to the first cached rows
# drawn, as the app logs it ("inbox shown", since_start_ms; the UI reports it after the frame
# that shows them), and whether an empty inbox showed before the rows. RUNS launches, each on a
# fresh copy of the profile; with BASELINE_APP (another build of bin/santral) the two alternate
# in the same run, so the figures stand side by side.
"$work/seedprofile" "$work/prod" "$n"
coldstart() { # <binary> <label> <run>
  local prof="$work/prod-$2-$3" log="$work/prod-$2-$3.log" start pid line
  cp -r "$work/prod" "$prof"
  start=$(date +%s%N)
  SANTRAL_APP_DIR="$prof" dbus-run-session -- "$1" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q 'inbox shown' "$log" && break; sleep 0.05; done
  line=$(grep -m1 'inbox shown' "$log" || true)
  for c in $(pgrep -P "$pid"); do kill "$c" 2>/dev/null || true; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -z "$line" ]; then echo "  $2 run $3: no rows within 30 s (see $log)"; return; fi
  printf '  %s run %s: %s ms (seen by this script after %s ms; empty inbox before the rows: %s)\n' "$2" "$3" \
    "$(sed -E 's/.*since_start_ms=([0-9]+).*/\1/' <<<"$line")" "$(( ($(date +%s%N) - start) / 1000000 ))" \
    "$(grep -q 'empty_before:true' <<<"$line" && echo yes || echo no)"
}
echo "cold start of the production app to its cached inbox ($n conversations):"
for run in $(seq "${RUNS:-3}"); do
  [ -n "${BASELINE_APP:-}" ] && coldstart "$BASELINE_APP" baseline "$run"
  coldstart "$root/bin/santral" this "$run"
done

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
