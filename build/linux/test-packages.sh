#!/usr/bin/env bash
# Installs the .debs on this machine (root; CI's machines are fresh) and checks them: the
# packages' metadata (dependencies, conffiles, version), santrald started exactly as its
# systemd unit says (user, environment, environment file, command line — no systemd runs here),
# then the installed app opened under Xvfb against it: its window shows the sign-in screen and
# santrald's log shows the app asking it which versions it accepts. Then both are purged (the
# machine's /etc/santral/config.json must not outlive the test: the app tests read that path).
#   build/linux/test-packages.sh DIST VERSION
set -euo pipefail
dist=$(realpath "$1")
version=$2
cd "$(dirname "$0")/../.."
art=${DIST_ARTIFACTS:-build/e2e/artifacts/packages}
mkdir -p "$art"
art=$(realpath "$art")
app40="$dist/santral_${version}_amd64.deb"
app41="$dist/santral-webkit2-41_${version}_amd64.deb"
server="$dist/santrald_${version}_amd64.deb"
fail() { echo "test-packages: FAIL $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
for f in "$app40" "$app41" "$server"; do [ -s "$f" ] || fail "missing $f"; done

# ---- metadata -------------------------------------------------------------------------------
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$app40" Package)" = santral ] && [ "$(field "$app41" Package)" = santral ] && [ "$(field "$server" Package)" = santrald ] || fail "package names"
for f in "$app40" "$app41" "$server"; do [ "$(field "$f" Version)" = "$version" ] || fail "$(basename "$f"): version $(field "$f" Version)"; done
grep -q 'libwebkit2gtk-4.0-37' <<<"$(field "$app40" Depends)" || fail "santral does not depend on WebKitGTK 4.0: $(field "$app40" Depends)"
grep -q 'libwebkit2gtk-4.1-0' <<<"$(field "$app41" Depends)" || fail "the webkit2_41 build does not depend on WebKitGTK 4.1: $(field "$app41" Depends)"
conffiles() { dpkg-deb --ctrl-tarfile "$1" | tar -xO ./conffiles; }
[ "$(conffiles "$app40")" = /etc/santral/config.json ] || fail "santral's conffiles: $(conffiles "$app40")"
[ "$(conffiles "$server")" = /etc/santral/santrald.env ] || fail "santrald's conffiles: $(conffiles "$server")"
files40=$(dpkg-deb -c "$app40")
grep -q ' ./usr/share/applications/santral.desktop$' <<<"$files40" || fail "no desktop entry"
grep -q ' ./usr/share/applications/santral-dashboard.desktop$' <<<"$files40" || fail "no desktop entry for the dashboard window"
grep -q ' ./usr/share/icons/hicolor/256x256/apps/santral.png$' <<<"$files40" || fail "no icon"
grep -q ' ./lib/systemd/system/santrald.service$' <<<"$(dpkg-deb -c "$server")" || fail "no systemd unit"
echo "test-packages: metadata ok (dependencies, conffiles, desktop entry, icon, unit)"

# ---- install ----------------------------------------------------------------------------------
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  dpkg --purge santral santrald >/dev/null 2>&1 || true
  rm -rf /var/lib/santrald /etc/santral "$work"
}
trap cleanup EXIT
dpkg -i "$server" "$app40" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
[ "$(santral --version)" = "santral $version" ] || fail "santral --version: $(santral --version)"
[ "$(santrald --version)" = "santrald $version" ] || fail "santrald --version: $(santrald --version)"
id santrald >/dev/null || fail "no santrald user"
[ "$(stat -c '%U %a' /var/lib/santrald)" = "santrald 750" ] || fail "/var/lib/santrald: $(stat -c '%U %a' /var/lib/santrald)"
[ "$(stat -c '%G %a' /etc/santral/santrald.env)" = "santrald 640" ] || fail "santrald.env: $(stat -c '%G %a' /etc/santral/santrald.env)"
systemd-analyze verify /lib/systemd/system/santrald.service 2>"$work/verify.log" || { cat "$work/verify.log"; fail "systemd-analyze verify"; }
echo "test-packages: installed; --version of both is $version; user, data directory, unit ok"

# ---- santrald through its unit ------------------------------------------------------------------
unit=/lib/systemd/system/santrald.service
key() { sed -n "s/^$1=//p" "$unit"; }
# What IT does: settings in the environment file (a conffile), then (re)start. Port 0: a free
# one, read from santrald's log.
printf 'SANTRAL_ADDR=127.0.0.1:0\nSANTRAL_ADMIN_PASSWORD=admin-pass-123\nSANTRAL_PASSWORD_COST=4\n' >>/etc/santral/santrald.env
env_args=()
while read -r kv; do env_args+=("$kv"); done < <(key Environment)
envfile=$(key EnvironmentFile); envfile=${envfile#-}
# EnvironmentFile= wins over Environment=, as in systemd.
while read -r kv; do case $kv in '' | '#'*) ;; *) env_args+=("$kv") ;; esac; done <"$envfile"
read -r -a cmd <<<"$(key ExecStart)"
user=$(key User)
group=$(key Group)
env -i PATH=/usr/bin:/bin "${env_args[@]}" setpriv --reuid "$user" --regid "$group" --init-groups "${cmd[@]}" >"$work/santrald.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"santrald listening".*"addr":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$work/santrald.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/santrald.log"; fail "santrald did not start through its unit's command line"; }
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/santrald.log"; fail "santrald did not start through its unit's command line"; }
[ -s /var/lib/santrald/santral.db ] || fail "santrald's database is not in /var/lib/santrald"
[ "$(stat -c %U /var/lib/santrald/santral.db)" = santrald ] || fail "santral.db is not santrald's"
grep -q '"version":"'"$version"'"' "$work/santrald.log" || fail "santrald did not log its version"
echo "test-packages: santrald runs as $user from the unit's ExecStart, data in /var/lib/santrald"

# ---- the installed app against it, in a window ---------------------------------------------------
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(tr -d '[:space:]' <"$work/display")"
SANTRAL_SERVER_URL="http://127.0.0.1:$port" SANTRAL_APP_DIR="$work/profile" dbus-run-session -- /usr/bin/santral >"$work/app.log" 2>&1 &
pids+=($!)
asked=""
for _ in $(seq 100); do
  grep -q '"route":"GET /api/v1/app-versions"' "$work/santrald.log" && asked=1 && break
  sleep 0.2
done
[ -n "$asked" ] || { tail -20 "$work/app.log"; fail "the installed app never reached santrald"; }
ok=""
for _ in $(seq 60); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Santral"'; then
    sleep 2 # let the page render
    import -window root "$art/installed-app.png"
    n=$(convert "$art/installed-app.png" -fuzz 6% -fill black +opaque '#2f67e0' -fill white -opaque '#2f67e0' -format '%[fx:round(mean*w*h)]' info: 2>/dev/null || echo 0)
    [ "$n" -gt 3000 ] && ok=1
    break
  fi
  sleep 0.5
done
[ -n "$ok" ] || { tail -20 "$work/app.log"; fail "the installed app's window did not show the sign-in screen"; }
echo "test-packages: the installed app opened its window and asked the installed santrald (screenshot $art/installed-app.png)"

# ---- the WebKitGTK 4.1 build ---------------------------------------------------------------------
if dpkg-query -W -f '${db:Status-Status}' libwebkit2gtk-4.1-0 2>/dev/null | grep -q installed; then
  dpkg -i "$app41" >"$work/dpkg41.log" 2>&1 || { cat "$work/dpkg41.log"; fail "dpkg -i the webkit2_41 build"; }
  grep -q "libwebkit2gtk-4.1" <<<"$(ldd /usr/bin/santral)" || fail "the webkit2_41 build does not link WebKitGTK 4.1"
  [ "$(santral --version)" = "santral $version" ] || fail "webkit2_41 santral --version"
  echo "test-packages: the webkit2_41 build installs over it and links WebKitGTK 4.1"
fi

# ---- upgrade keeps IT's config, purge removes the package ----------------------------------------
# (A field the app ignores: other tests on this machine read this path while it exists.)
echo '{"server_url": "", "language": "", "autostart": null, "edited_by": "IT"}' >/etc/santral/config.json
dpkg -i --force-confold "$app40" >/dev/null 2>&1 || fail "reinstall"
grep -q '"edited_by": "IT"' /etc/santral/config.json || fail "an upgrade replaced IT's /etc/santral/config.json"
echo "test-packages: PASS"
