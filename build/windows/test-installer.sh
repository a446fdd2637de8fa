#!/usr/bin/env bash
# Runs the Windows installer silently under Wine (Debian's wine, a fresh prefix) and checks what
# it did: files, shortcuts, the uninstall entry, the machine-wide config.json the app reads, the
# app's --version, refused parameters, an upgrade keeping IT's settings, and the uninstaller
# keeping user data unless /PURGE. With a CA file, the installed app and uninstaller must be
# signed by it (read from osslsigncode verify's output by `dist verify`).
#   build/windows/test-installer.sh dist/santral-…-setup.exe VERSION bin/dist/windows/santral.exe [CA.pem]
# The app itself cannot run here: Go 1.26 programs need bcryptprimitives.dll (ProcessPrng),
# which Debian 12's Wine 8.0 lacks ("fatal error: bcryptprimitives.dll not found"). So the
# installed santral.exe is compared byte for byte with the one that was packed, and its
# stamped version is looked for in it.
set -euo pipefail
installer=$(realpath "$1")
version=$2
packed=$(realpath "$3")
ca=${4:-}
cd "$(dirname "$0")/../.."
dist=bin/dist/santral-dist

export WINEPREFIX
WINEPREFIX=$(mktemp -d /tmp/santral-wine.XXXXXX)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"; }
trap cleanup EXIT
fail() { echo "test-installer: FAIL $*" >&2; exit 1; }
start=$SECONDS

wine wineboot --init >/dev/null 2>&1
# WebView2 counts as installed (Windows 11 has it): the bootstrapper would need the internet.
wine reg add 'HKLM\SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}' /v pv /d 131.0.2903.112 /f >/dev/null 2>&1
c="$WINEPREFIX/drive_c"
app="$c/Program Files/Santral"
config="$c/ProgramData/Santral/config.json"
run() { local s=0; wine "$installer" "$@" >/dev/null 2>&1 || s=$?; echo "$s"; }

# Refused parameters: exit code 2, nothing installed.
for bad in /LANG=de /AUTOSTART=yes /SERVER=santral.firma.com.tr '/SERVER=https://a\b'; do
  [ "$(run /S "$bad")" = 2 ] || fail "$bad was not refused with exit code 2"
done
[ ! -e "$app" ] || fail "a refused install left files"

# The silent install IT runs.
[ "$(run /S /SERVER=https://santral.firma.com.tr /LANG=tr /AUTOSTART=1)" = 0 ] || fail "silent install failed"
for f in "$app/santral.exe" "$app/uninstall.exe" "$c/ProgramData/Microsoft/Windows/Start Menu/Programs/Santral.lnk" "$c/users/Public/Desktop/Santral.lnk" "$c/ProgramData/Microsoft/Windows/Start Menu/Programs/Santral Pano.lnk"; do
  [ -s "$f" ] || fail "missing: ${f#"$c"/}"
done
want=$'{\n  "server_url": "https://santral.firma.com.tr",\n  "language": "tr",\n  "autostart": true\n}'
[ "$(tr -d '\r' <"$config")" = "$want" ] || fail "config.json: $(cat "$config")"
reg=$(wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Santral' 2>/dev/null | tr -d '\r')
grep -q "DisplayVersion.*$version" <<<"$reg" || fail "the uninstall entry lacks the version: $reg"
grep -q 'QuietUninstallString.*uninstall.exe" /S' <<<"$reg" || fail "no quiet uninstall string: $reg"
cmp -s "$app/santral.exe" "$packed" || fail "the installed santral.exe is not the one packed"
grep -aqF "$version" "$app/santral.exe" || fail "santral.exe does not carry version $version"
echo "test-installer: installed silently; config.json, shortcuts, uninstall entry, santral.exe $version ok" >&2

# An upgrade without parameters keeps IT's file; with one, the others are remembered.
[ "$(run /S)" = 0 ] || fail "upgrade failed"
[ "$(tr -d '\r' <"$config")" = "$want" ] || fail "an upgrade without parameters changed config.json"
[ "$(run /S /LANG=en)" = 0 ] || fail "upgrade /LANG=en failed"
grep -q '"server_url": "https://santral.firma.com.tr"' "$config" && grep -q '"language": "en"' "$config" && grep -q '"autostart": true' "$config" ||
  fail "upgrade /LANG=en: $(cat "$config")"
# Several nodes: an argument with a space, which Wine quotes ("/SERVER=https://a, https://b") as
# cmd.exe or Intune pass /SERVER="https://a, https://b".
[ "$(run /S '/SERVER=https://a.firma.com.tr, https://b.firma.com.tr' /AUTOSTART=0)" = 0 ] || fail "upgrade with a list of nodes failed"
grep -q '"server_url": "https://a.firma.com.tr, https://b.firma.com.tr"' "$config" && grep -q '"autostart": false' "$config" ||
  fail "list of nodes: $(cat "$config")"

# The runtime found: no bootstrapper run.
wv=$(wine reg query 'HKLM\Software\Santral' /v WebView2 2>/dev/null | tr -d '\r')
grep -q 'present 131.0.2903.112' <<<"$wv" || fail "WebView2 was not found present: $wv"
# Without the runtime the installer starts Microsoft's bootstrapper (here it cannot run: it is a
# 32-bit program and it needs the internet) and the install completes all the same.
wine reg delete 'HKLM\SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}' /f >/dev/null 2>&1
[ "$(run /S)" = 0 ] || fail "install without WebView2 failed"
wv=$(wine reg query 'HKLM\Software\Santral' /v WebView2 2>/dev/null | tr -d '\r')
grep -q 'bootstrapper exit' <<<"$wv" || fail "the WebView2 bootstrapper was not started: $wv"
[ -s "$app/santral.exe" ] || fail "install without WebView2 left no app"
echo "test-installer: WebView2 found when present; the bootstrapper started when missing" >&2

if [ -n "$ca" ]; then
  "$dist" verify -ca "$ca" "$installer" "$app/santral.exe" "$app/uninstall.exe" || fail "the installed files are not signed"
fi

# Uninstall keeps the users' data and IT's config; /PURGE removes them. The uninstaller copies
# itself to %TEMP% and runs from there; wineserver -w waits until every process has ended.
user="$c/users/$(whoami)/AppData/Roaming/Santral"
mkdir -p "$user" && echo '{}' >"$user/settings.json"
wine "$app/uninstall.exe" /S >/dev/null 2>&1 || fail "uninstall failed"
wineserver -w
[ ! -e "$app/santral.exe" ] || fail "uninstall left santral.exe"
[ ! -e "$c/users/Public/Desktop/Santral.lnk" ] || fail "uninstall left the desktop shortcut"
[ ! -e "$c/ProgramData/Microsoft/Windows/Start Menu/Programs/Santral Pano.lnk" ] || fail "uninstall left the dashboard shortcut"
[ -s "$user/settings.json" ] && [ -s "$config" ] || fail "uninstall removed user data or config.json without /PURGE"
if wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Santral' >/dev/null 2>&1; then fail "the uninstall entry is still there"; fi
[ "$(run /S)" = 0 ] || fail "reinstall failed"
wine "$app/uninstall.exe" /S /PURGE >/dev/null 2>&1 || fail "uninstall /PURGE failed"
wineserver -w
[ ! -e "$user" ] && [ ! -e "$config" ] || fail "uninstall /PURGE kept user data or config.json"
echo "test-installer: PASS (upgrade keeps settings, uninstall keeps data unless /PURGE; $((SECONDS - start)) s under Wine)"
