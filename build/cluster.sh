#!/usr/bin/env bash
# `make cluster`: three santrald nodes sharing one database, each on its own port with its own
# --node name and its own metrics address, and no load balancer: a client talks to whichever
# node it likes, and what one node commits reaches the sockets of the others.
#
# By default the three share one SQLite file in CLUSTER_DATA (several processes on one SQLite
# file are supported; a node hears the others' commits by its 1 s poll of the event log). With
# CLUSTER_DB=postgres://… they share that database instead (--db), and with CLUSTER_NATS=nats://…
# they wake each other through NATS (--nats) — in both cases the data directory (media, the
# secret key every node must share) stays CLUSTER_DATA. With CLUSTER_S3=http://host:port/bucket
# (or …/bucket/prefix) the media go to that S3 bucket instead (--s3-endpoint, --s3-bucket,
# --s3-prefix), with the keys from SANTRAL_S3_ACCESS_KEY and SANTRAL_S3_SECRET_KEY (or _FILE)
# in the environment.
#
#   CLUSTER_DATA            data directory (default ./cluster-data)
#   CLUSTER_PORTS           the three API ports (default "8081 8082 8083")
#   CLUSTER_METRICS_PORTS   the three metrics ports (default "9181 9182 9183")
#   CLUSTER_HOST            the address they listen on (default 127.0.0.1)
#   CLUSTER_DB, CLUSTER_NATS, CLUSTER_S3   see above (default: none)
#   CLUSTER_DEMO            1 (default): node1 seeds the demo users and simulates customers
#   CLUSTER_ADMIN_PASSWORD  the first start's admin password (default: generated, printed)
#   CLUSTER_BIN             the santrald binary (default bin/santrald: make santrald)
#
# It prints each node's URL, metrics URL and log once all three are ready (GET /readyz), then
# "cluster ready"; Ctrl-C (or SIGTERM) stops the three with SIGTERM and waits for them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/build/lib.sh"
bin=${CLUSTER_BIN:-$root/bin/santrald}
data=${CLUSTER_DATA:-$root/cluster-data}
host=${CLUSTER_HOST:-127.0.0.1}
read -r -a ports <<<"${CLUSTER_PORTS:-8081 8082 8083}"
read -r -a mports <<<"${CLUSTER_METRICS_PORTS:-9181 9182 9183}"
db=${CLUSTER_DB:-}
nats=${CLUSTER_NATS:-}
s3=${CLUSTER_S3:-}
demo=${CLUSTER_DEMO:-1}

if ((${#ports[@]} != 3 || ${#mports[@]} != 3)); then
  say "CLUSTER_PORTS and CLUSTER_METRICS_PORTS must each name three ports"
  exit 2
fi
s3args=()
if [ -n "$s3" ]; then
  if [[ ! "$s3" =~ ^(https?://[^/@]+)/([^/]+)(/(.*))?$ ]]; then
    say "CLUSTER_S3 must be http(s)://host:port/bucket or http(s)://host:port/bucket/prefix"
    exit 2
  fi
  s3args=(--s3-endpoint "${BASH_REMATCH[1]}" --s3-bucket "${BASH_REMATCH[2]}")
  if [ -n "${BASH_REMATCH[4]}" ]; then s3args+=(--s3-prefix "${BASH_REMATCH[4]}"); fi
  if [ -z "${SANTRAL_S3_ACCESS_KEY:-}${SANTRAL_S3_ACCESS_KEY_FILE:-}" ] || [ -z "${SANTRAL_S3_SECRET_KEY:-}${SANTRAL_S3_SECRET_KEY_FILE:-}" ]; then
    say "CLUSTER_S3 needs the bucket's keys in SANTRAL_S3_ACCESS_KEY and SANTRAL_S3_SECRET_KEY (or their _FILE)"
    exit 2
  fi
fi
if [ ! -x "$bin" ]; then
  say "no santrald at $bin: run make santrald first (or set CLUSTER_BIN)"
  exit 2
fi

pids=()
out=""
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$out" ]; then rm -f "$out"; fi
}
trap stop EXIT
trap 'echo; exit 130' INT TERM

mkdir -p -m 750 "$data"
data=$(cd "$data" && pwd)
if [ -n "${CLUSTER_ADMIN_PASSWORD:-}" ]; then
  export SANTRAL_ADMIN_PASSWORD=$CLUSTER_ADMIN_PASSWORD
fi
# The first start's admin password goes to node1's standard output only: kept in a private
# temporary file to show it here, never in a log.
out=$(mktemp)

# ready PID URL SECONDS: waits until URL answers 200, or the process exits.
ready() {
  local deadline=$((SECONDS + $3))
  while kill -0 "$1" 2>/dev/null; do
    if curl -fs -o /dev/null --max-time 2 "$2"; then return 0; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
  return 1
}

# launch N starts node N in the background (this shell's child, so it can be waited for).
declare -A from
launch() {
  local n=$1 i=$(($1 - 1))
  local args=(--node "node$n" --addr "$host:${ports[$i]}" --metrics-addr "$host:${mports[$i]}" --data "$data" --sandbox)
  if [ -n "$db" ]; then args+=(--db "$db"); fi
  if [ -n "$nats" ]; then args+=(--nats "$nats"); fi
  args+=("${s3args[@]}")
  if [ "$n" = 1 ] && [ "$demo" = 1 ]; then args+=(--demo); fi
  local log=$data/node$n.log
  printf -- '--- %s make cluster\n' "$(date -Is)" >>"$log"
  from[$n]=$(wc -l <"$log")
  if [ "$n" = 1 ]; then
    "$bin" "${args[@]}" >"$out" 2>>"$log" &
  else
    "$bin" "${args[@]}" >/dev/null 2>>"$log" &
  fi
  pids[$i]=$!
}

# await N waits until node N is ready, or says why it did not start and stops.
await() {
  local n=$1 i=$(($1 - 1))
  if ! ready "${pids[$i]}" "http://$host:${ports[$i]}/readyz" 120; then
    say "node$n did not start. The end of its log ($data/node$n.log):"
    tail -n "+${from[$n]}" "$data/node$n.log" | tail -n 15 | sed 's/^/    /'
    exit 1
  fi
}

# node1 alone first: on a new database it runs the migrations and creates the admin, which
# three nodes racing through a first start would each try. Then the other two together.
launch 1
await 1
launch 2
launch 3
await 2
await 3

# URLs as shown: without the user, password or token they may hold.
shown() { printf '%s' "$1" | sed -E 's#//[^@/,]*@#//#g'; }
where="one SQLite database ($data/santral.db)"
if [ -n "$db" ]; then where="the database $(shown "$db")"; fi
wake="each polls the event log every second"
files="media in $data/media"
if [ -n "$s3" ]; then files="media in $s3"; fi
if [ -n "$nats" ]; then wake="they wake each other through NATS ($(shown "$nats"))"; fi
echo
say "cluster: three santrald nodes on $where; $wake; $files; no load balancer"
for n in 1 2 3; do
  say "node$n: http://$host:${ports[$((n - 1))]}   metrics: http://$host:${mports[$((n - 1))]}/metrics   log: $data/node$n.log"
done
grep -E 'First start|shown once' "$out" | sed 's/^ */  /' || true
rm -f "$out"
out=""
if [ "$demo" = 1 ]; then
  say "demo users (node1 seeded them, every node serves them): ayse, mehmet, zeynep, emre, selin — password demo1234"
fi
say "cluster ready. Ctrl-C stops the three nodes."

status=0
wait -n "${pids[@]}" || status=$?
say "a node stopped (exit status $status); see $data/node*.log"
exit 1
