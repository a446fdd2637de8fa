# Shell functions shared by build/deps.sh and build/run.sh (sourced, not run).

# say prints one line of progress.
say() { printf '  %s\n' "$*"; }

# elapsed prints the seconds since $1 (a $SECONDS value) as 45s or 2m05s.
elapsed() {
  local s=$((SECONDS - $1))
  if ((s < 60)); then printf '%ds' "$s"; else printf '%dm%02ds' $((s / 60)) $((s % 60)); fi
}

# step LABEL LOG COMMAND...: runs COMMAND with its output appended to LOG, showing LABEL and a
# running clock (on a terminal; elsewhere a line every 30 s) instead of minutes of silence. On
# failure it shows the end of LOG and returns the command's status.
step_pid=""
step() {
  local label=$1 log=$2 start=$SECONDS last=$SECONDS status=0
  shift 2
  if [ -t 1 ]; then printf '  %s… ' "$label"; else printf '  %s…\n' "$label"; fi
  "$@" >>"$log" 2>&1 &
  step_pid=$!
  while kill -0 "$step_pid" 2>/dev/null; do
    sleep 0.5
    if [ -t 1 ]; then
      printf '\r  %s… %s ' "$label" "$(elapsed "$start")"
    elif ((SECONDS - last >= 30)); then
      printf '    … %s\n' "$(elapsed "$start")"
      last=$SECONDS
    fi
  done
  wait "$step_pid" || status=$?
  step_pid=""
  if ((status == 0)); then
    if [ -t 1 ]; then printf '\r  %s… done (%s)\n' "$label" "$(elapsed "$start")"; else printf '    done (%s)\n' "$(elapsed "$start")"; fi
    return 0
  fi
  [ -t 1 ] && printf '\n'
  say "FAILED after $(elapsed "$start") (whole log: $log); its end:"
  tail -n 40 "$log" | sed 's/^/    /'
  return "$status"
}
