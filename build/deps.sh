#!/usr/bin/env bash
# Installs the Debian packages Santral needs and this machine lacks, saying which, as root or
# through sudo. Used by `make run` (build/run.sh) and CI (.ci/run):
#   build/deps.sh run    to build and run santrald and the desktop app
#   build/deps.sh test   the same plus what the tests use (browser, screenshots, keyring)
# Go and Node.js are checked, not installed: Debian 12 packages older ones than Santral needs.
set -euo pipefail
cd "$(dirname "$0")/.."
. build/lib.sh
export PATH="$PATH:/usr/local/go/bin"

# Wails (GTK + WebKitGTK) to build the desktop app; Xvfb for a real window without a screen;
# D-Bus for notifications.
packages=(gcc make curl libgtk-3-dev libwebkit2gtk-4.0-dev xvfb dbus)
case "${1:-run}" in
  run) ;;
  # Chromium for the browser end-to-end test; ImageMagick and x11-utils to take and check
  # screenshots; emoji glyphs for the composer; gnome-keyring and secret-tool for the OS
  # credential store the app keeps its token in. With their recommended packages: the set the
  # tests were verified with (fonts, codecs and helpers WebKit and Chromium expect). nats-server:
  # the tests of nodes waking each other run one of their own, to stop and start it.
  test) packages+=(dbus-x11 x11-utils imagemagick chromium fonts-noto-color-emoji gnome-keyring libsecret-tools nats-server)
    # make dist / dist-test (README "IT"): the app against WebKitGTK 4.1 too, the Windows app
    # cross-compiled (mingw-w64) and packed (NSIS), signed (osslsigncode), installed under Wine.
    packages+=(libwebkit2gtk-4.1-dev gcc-mingw-w64-x86-64 nsis osslsigncode openssl wine wine64) ;;
  *) echo "usage: build/deps.sh [run|test]" >&2; exit 2 ;;
esac

if ! command -v dpkg >/dev/null 2>&1; then
  say "not a Debian system: install the equivalents of ${packages[*]} yourself"
else
  missing=()
  for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "packages: everything needed is installed"
  else
    if [ "$(id -u)" = 0 ]; then
      as_root=(env)
    elif command -v sudo >/dev/null 2>&1; then
      as_root=(sudo env)
      say "installing needs root: sudo may ask for your password"
    else
      say "missing Debian packages: ${missing[*]}"
      say "run as root: apt-get install ${missing[*]}"
      exit 1
    fi
    log=$(mktemp --suffix=.apt.log)
    install() {
      "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    }
    step "installing packages: ${missing[*]} (about a minute)" "$log" install
    rm -f "$log" # kept when it failed: step named it
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  say "Go is required (1.26 or newer; Debian 12's is too old): https://go.dev/dl/ — then run this again"
  exit 1
fi
node_major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\).*/\1/p')
if [ -z "$node_major" ] || ((node_major < 20)) || ! command -v npm >/dev/null 2>&1; then
  say "Node.js 20 or newer with npm is required (Debian 12's is 18): https://nodejs.org/ — then run this again"
  exit 1
fi
