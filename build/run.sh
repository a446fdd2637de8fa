#!/usr/bin/env bash
# `make run`: installs what the machine lacks (build/deps.sh), builds, then starts santrald in
# demo mode on SQLite and the desktop app signed in against it. With a display, the app opens
# in a window. Without one, it says so and serves the same app (real UI, real Go side) through
# Wails' dev bridge on a virtual display: open the URL printed in a browser.
#
# It prints progress, then the URL, the demo users and where the logs are — santrald's and the
# app's own output go to files in the data directory — and only once each has really started.
# --no-build starts what bin/ holds already (make santrald app app-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. build/lib.sh
export PATH="$PATH:/usr/local/go/bin"
addr=${SANTRAL_ADDR:-127.0.0.1:8080}
data=${SANTRAL_DATA:-$root/santral-data}
bridge=${SANTRAL_BRIDGE:-127.0.0.1:34115}

pids=()
out=""
stop() {
  if [ -n "$step_pid" ]; then kill "$step_pid" 2>/dev/null || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$out" ]; then rm -f "$out"; fi
}
trap stop EXIT
trap 'echo; exit 130' INT TERM # Ctrl-C: stop everything quietly

if [ "${1:-}" != --no-build ]; then
  ./build/deps.sh run
  mkdir -p bin
  blog=$root/bin/build.log
  : >"$blog"
  step "building the frontend" "$blog" make --no-print-directory frontend
  step "building santrald (the first build compiles SQLite: a few minutes)" "$blog" make --no-print-directory santrald
  step "building the app (first build takes a few minutes)" "$blog" make --no-print-directory app app-dev
fi

# listening PID: whether the process holds a listening TCP socket — then what answers on its
# address is this process, not another program that had the address first.
listening() {
  local inodes
  inodes=$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')
  [ -n "$inodes" ] && awk -v want="$inodes" '
    BEGIN { n = split(want, a, "\n"); for (i = 1; i <= n; i++) s[a[i]] = 1 }
    FNR > 1 && $4 == "0A" && ($10 in s) { found = 1 }
    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# started PID URL SECONDS: waits until the process listens and URL answers, or it exits.
started() {
  local deadline=$((SECONDS + $3))
  while kill -0 "$1" 2>/dev/null; do
    if listening "$1" && curl -fs -o /dev/null --max-time 2 "$2"; then return 0; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
  return 1
}

# failed WHAT LOG FROM: says WHAT did not start and shows this run's end of LOG.
failed() {
  say "$1 did not start. The end of its log ($2):"
  tail -n "+$3" "$2" | tail -n 15 | sed 's/^/    /'
  exit 1
}

mkdir -p -m 750 "$data"
data=$(cd "$data" && pwd)
log=$data/santrald.log
applog=$data/app.log
printf -- '--- %s make run\n' "$(date -Is)" >>"$log"
from=$(wc -l <"$log")
# santrald's standard output carries only the first start's admin password: kept in a private
# temporary file to show it here, never in a log.
out=$(mktemp)
./bin/santrald --demo --data "$data" --addr "$addr" >"$out" 2>>"$log" &
santrald=$!
pids+=("$santrald")
started "$santrald" "http://$addr/healthz" 120 || failed santrald "$log" "$from"

echo
say "santrald: http://$addr   (log: $log)"
grep -E 'First start|shown once' "$out" | sed 's/^ */  /' || true
rm -f "$out"
say "demo users: agents ayse, mehmet, zeynep, emre and supervisor selin — password demo1234"
export SANTRAL_SERVER_URL="http://$addr"

printf -- '--- %s make run\n' "$(date -Is)" >>"$applog"
from=$(wc -l <"$applog")
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  ./bin/santral >>"$applog" 2>&1 &
  app=$!
  pids+=("$app")
  say "desktop app: opening a window   (log: $applog)"
else
  if ! command -v Xvfb >/dev/null; then
    say "No display and no Xvfb: install xvfb to serve the app in a browser, or run with a display."
    say "Ctrl-C stops santrald."
    wait "$santrald"
    exit 0
  fi
  dfile=$(mktemp)
  Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$dfile" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$dfile" ] && break; sleep 0.1; done
  display=$(tr -d '[:space:]' <"$dfile")
  rm -f "$dfile"
  [ -n "$display" ] || { say "Xvfb did not start: no virtual display for the app."; exit 1; }
  # A session bus of its own, stopped with it (else GTK autolaunches one that outlives the run),
  # and no accessibility bus on a screen nobody reads.
  if command -v dbus-daemon >/dev/null; then
    bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
    pids+=("$(sed -n 2p <<<"$bus")")
    DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$bus")
    export DBUS_SESSION_BUS_ADDRESS
  fi
  DISPLAY=":$display" NO_AT_BRIDGE=1 ./bin/santral-dev -assetdir frontend/dist -devserver "$bridge" >>"$applog" 2>&1 &
  app=$!
  pids+=("$app")
  started "$app" "http://$bridge/" 120 || failed "the desktop app (dev bridge on $bridge)" "$applog" "$from"
  say "No display here: serving the desktop app through the dev bridge."
  say "Open http://$bridge in a browser (server URL is filled in; log in as ayse / demo1234)."
  say "(app log: $applog)"
fi
say "Ctrl-C stops santrald and the app."

# Whichever stops first ends the run: a closed window is the user's choice; anything else is
# reported.
status=0
wait -n -p gone "$santrald" "$app" || status=$?
if [ "$gone" = "$santrald" ]; then
  say "santrald stopped (exit status $status); see $log"
  exit 1
fi
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && ((status == 0)); then
  exit 0
fi
say "the desktop app stopped (exit status $status); see $applog"
exit 1
