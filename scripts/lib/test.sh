# The scenario runner of scripts/test-cli, test-ranks and test-hosts (sourced, not run).
#
# A script registers each scenario, a function, by name and then hands its arguments to
# run_scenarios, which runs the named ones (all by default), each in a subshell with its own
# empty folder $dir, and reports every failure at the end instead of stopping at the first:
#
#   scenario corrupt-image "a corrupt image on one rank ends the job"
#   corrupt_image() { ...; ok "..."; }
#   run_scenarios PREFIX "$@"     # PREFIX: the summary's first word ("ranks: 12 passed")
#
# Inside a scenario: `ok TEXT` counts a check that passed; `fail TEXT` ends the scenario as failed
# (the script goes on with the next); `expect_error NAME TEXT COMMAND...` checks a clear refusal;
# `mpirun_np N ARGS...` is scripts/mpirun under a timeout ($MPI_TIMEOUT, 600 s). Scenario names
# are words with dashes; the function is the name with dashes as underscores.
#
# Selector: scripts/test-ranks [--list] [NAME...] [-- BINARIES...] (see each script's usage).

_scenarios=()
declare -A _scenario_text

# scenario NAME TEXT: registers the function NAME (dashes as underscores) with a one-line description.
scenario() {
  _scenarios+=("$1")
  _scenario_text[$1]=$2
}

ok() {
  echo "ok: $*"
  echo x >> "$dir/.passed"
}

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# expect_error NAME TEXT COMMAND...: the command fails (not by a crash or a timeout) and says TEXT.
expect_error() {
  local name=$1 text=$2; shift 2
  local rc=0
  timeout 120 "$@" > "$dir/out.txt" 2>&1 || rc=$?
  [ "$rc" != 0 ] || { cat "$dir/out.txt"; fail "$name: succeeded"; }
  [ "$rc" -lt 124 ] || { cat "$dir/out.txt"; fail "$name: exit $rc (a crash or a timeout, not a message)"; }
  grep -qF -- "$text" "$dir/out.txt" || { cat "$dir/out.txt"; fail "$name: does not say '$text'"; }
  ok "$name"
}

# mpirun_np N ARGS...: N ranks on this machine, bounded by $MPI_TIMEOUT seconds.
mpirun_np() {
  local n=$1; shift
  timeout "${MPI_TIMEOUT:-600}" scripts/mpirun -np "$n" "$@"
}

# rank_pid PATTERN RANK: the pid of the process whose command line matches PATTERN (pgrep -f)
# and whose environment says it is MPI rank RANK; empty when there is none.
rank_pid() {
  local pid
  for pid in $(pgrep -f -- "$1" || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$pid"; return; fi
  done
}

# field FILE KEY: a top-level value of a JSON file.
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# run_scenarios PREFIX [--list] [NAME...]: runs the selected scenarios (all when none is named),
# each in its own folder, then prints every failure and "PREFIX: N passed" (the checks that
# passed); exits 1 when any scenario failed.
run_scenarios() {
  local prefix=$1; shift
  local selected=() name
  for name in "$@"; do
    if [ "$name" = --list ]; then
      for name in "${_scenarios[@]}"; do printf '%-28s %s\n' "$name" "${_scenario_text[$name]}"; done
      exit 0
    fi
    [ -n "${_scenario_text[$name]+x}" ] || { echo "unknown scenario '$name'; --list names them" >&2; exit 64; }
    selected+=("$name")
  done
  [ ${#selected[@]} -gt 0 ] || selected=("${_scenarios[@]}")
  local root passed=0 failed=() start rc
  root=$(mktemp -d)
  for name in "${selected[@]}"; do
    echo "== $prefix $name: ${_scenario_text[$name]}"
    dir="$root/$name"
    mkdir -p "$dir"
    start=$(date +%s)
    # Not `( ... ) || rc=$?`: on the left of || bash ignores set -e inside the subshell, and a
    # failing command without its own `|| fail` would not end the scenario.
    set +e
    ( set -euo pipefail; cd "$OLDPWD_SCENARIO"; "${name//-/_}" )
    rc=$?
    set -e
    [ -f "$dir/.passed" ] && passed=$((passed + $(wc -l < "$dir/.passed")))
    if [ "$rc" != 0 ]; then failed+=("$name"); echo "   $name FAILED after $(( $(date +%s) - start )) s" >&2
    else echo "   $name: $(( $(date +%s) - start )) s"; fi
    # A scenario's processes end with it: none may hold a port, a lock or a core for the next.
    pkill -9 -f -- "$dir/" 2>/dev/null || true
    [ -n "${KEEP_SCENARIO_FILES:-}" ] || rm -rf "$dir"
  done
  [ -n "${KEEP_SCENARIO_FILES:-}" ] && echo "files kept in $root" || rm -rf "$root"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "$prefix: FAILED: ${failed[*]} (rerun one with: $0 ${failed[0]})" >&2
    echo "$prefix: $passed passed"
    exit 1
  fi
  echo "$prefix: $passed passed"
}

# The scripts run from the repository's root; scenarios start there too.
OLDPWD_SCENARIO=$(pwd)
