#!/usr/bin/env sh
# Prints Santral's version from git: the one version stamped into santrald, the desktop app and
# every package (make passes it to -ldflags and to build/dist).
#   on a tag v1.4.0                 1.4.0
#   3 commits after it              1.4.0+3.gabc1234      (semver build metadata: not newer for
#                                                          the server's minimum/latest checks;
#                                                          newer for dpkg)
#   uncommitted changes             …+dirty appended
#   no tag yet (or no git)          0.0.0+<commits>.g<sha>
# With -n it prints the four numbers Windows wants (MAJOR.MINOR.PATCH.COMMITS).
set -eu
cd "$(dirname "$0")/.."
numeric=false
[ "${1:-}" = -n ] && numeric=true

if [ -n "${SANTRAL_VERSION:-}" ]; then
  v=$SANTRAL_VERSION # set by a release pipeline that knows better (or a fresh tarball)
elif d=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --long --dirty 2>/dev/null); then
  # v1.4.0-3-gabc1234[-dirty]
  dirty=""
  case $d in *-dirty) dirty=dirty; d=${d%-dirty} ;; esac
  sha=${d##*-}
  rest=${d%-*}
  n=${rest##*-}
  tag=${rest%-*}
  v=${tag#v}
  meta=""
  [ "$n" != 0 ] && meta="$n.$sha"
  [ -n "$dirty" ] && meta="${meta:+$meta.}dirty"
  [ -n "$meta" ] && v="$v+$meta"
elif sha=$(git rev-parse --short=7 HEAD 2>/dev/null); then
  n=$(git rev-list --count HEAD 2>/dev/null || echo 0)
  v="0.0.0+$n.g$sha"
  git diff --quiet HEAD 2>/dev/null || v="$v.dirty"
else
  v="0.0.0+unknown"
fi

if $numeric; then
  base=${v%%+*}
  base=${base%%-*}
  meta=${v#"$base"}
  n=$(printf '%s' "$meta" | sed -n 's/^+\([0-9][0-9]*\)\..*/\1/p')
  echo "$base.${n:-0}"
else
  echo "$v"
fi
