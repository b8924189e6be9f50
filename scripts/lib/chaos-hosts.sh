#!/usr/bin/env bash
# scripts/chaos --hosts N --minutes M --every S [QCS_BINARY]: see scripts/chaos.
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=$1; shift
minutes=3 every=60 memory_every=0
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --memory-every) memory_every=$2; shift 2 ;;
    *) break ;;
  esac
done
qcs=$(realpath -m "${1:-.build/release/qcs}")
[ "$(id -u)" -eq 0 ] || { echo "chaos --hosts: needs root (network namespaces)"; exit 64; }
scripts/setup >/dev/null
[ -x "$qcs" ] || swift build -c release --product qcs >/dev/null
work=$(mktemp -d)
export QCS_NETNS_STATE="$work/netns.made"
shm=/dev/shm/qcs-chaos-$$
cleanup() {
  pkill -9 -f -- "$work/" 2>/dev/null || true
  rm -rf "$shm"
  cluster/netns/hosts down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cluster/netns/hosts up "$hosts" >/dev/null
grep -m1 "model name" /proc/cpuinfo | sed 's/^.*: /cpu: /'
agent=$(realpath cluster/netns/rsh-agent)
list=$(seq -s, -f "qh%g:1" 1 "$hosts")

"$qcs" synth --out "$work/data" --count 200 --test-count 7 --seed 4 >/dev/null 2>&1
cat > "$work/chaos.yaml" <<YAML
model: {preset: tiny}
data: {kind: rafdb, root: $work/data}
optim: {optimizer: sgd, lr: 0.05}
train: {epochs: 100000, batch_size: 12, eval_every: 0, threads: 1}
checkpoint: {every: 4, keep: 2, memory_every: $memory_every, memory_dir: $shm}
distributed: {sync_batch_statistics: true}
YAML

supervise() {  # supervise RUN: qcs launch on every host, in the background; $! is its pid
  timeout $((minutes * 60 + 300)) "$qcs" launch --run-dir "$1" --hosts "$list" --host-cooldown 10 --grow-check 2 \
    --max-restarts 1000 --stall-seconds 60 \
    --mca plm_rsh_agent="$agent" --mca oob_tcp_if_include=198.18.7.0/24 --mca btl_tcp_if_include=198.18.7.0/24 \
    --mca btl=tcp,self --mpirun-options="--prefix /usr" -- --config "$work/chaos.yaml" > "$1.log" 2>&1 &
}
steps() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('step', 0))" "$1/status.json" 2>/dev/null || echo 0; }
finish() {  # finish RUN PID: stop the run through its supervisor and wait for it
  timeout 60 "$qcs" ctl "$1" stop > /dev/null 2>&1 || true
  wait "$2" 2>/dev/null || true
}

# The failure-free twin runs at most 3 minutes: it only sets the step time.
calm_minutes=$(( minutes < 3 ? minutes : 3 ))
supervise "$work/calm"
pid=$!
sleep $((calm_minutes * 60))
calm=$(steps "$work/calm")
finish "$work/calm" "$pid"
echo "failure-free: $calm steps in $calm_minutes min on $hosts hosts"

supervise "$work/chaos"
pid=$!
start=$(date +%s)
: > "$work/kills"
while [ $(( $(date +%s) - start + every )) -le $((minutes * 60)) ]; do
  sleep "$every"
  host=qh$(( RANDOM % hosts + 1 ))
  victim=""
  for p in $(ip netns pids "$host" 2>/dev/null); do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "qcs train --run-dir $work/chaos "; then victim=$p; fi
  done
  if [ -n "$victim" ]; then
    python3 -c "import time; print(f'{time.time():.3f} $host')" >> "$work/kills"
    kill -9 "$victim" 2>/dev/null || true
  else
    echo "  $(date +%T): $host runs no rank now (left out, or between jobs): no kill"
  fi
done
sleep $(( minutes * 60 - ($(date +%s) - start) > 0 ? minutes * 60 - ($(date +%s) - start) : 0 ))
kept=$(steps "$work/chaos")
finish "$work/chaos" "$pid"

python3 - "$work/kills" "$work/chaos/launch/events.jsonl" "$calm" "$calm_minutes" "$kept" "$minutes" <<'PY'
import datetime, json, sys
kills = [(float(t), h) for t, h in (l.split() for l in open(sys.argv[1]) if l.strip())]
events = [json.loads(l) for l in open(sys.argv[2])]
def when(e): return datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
recoveries = [(when(e), e) for e in events if e["event"] == "recovered"]
times, redone, recovered = [], 0, 0
for i, (t, host) in enumerate(kills):
    end = kills[i + 1][0] if i + 1 < len(kills) else float("inf")
    after = [(w, e) for w, e in recoveries if t < w < end]
    if after:
        w, e = after[0]
        recovered += 1
        times.append(w - t)
        redone += e["steps_redone"]
        print(f"  failure {i + 1}: {host}'s rank killed; next step {w - t:.1f} s later, {e['steps_redone']} step(s) redone")
    else:
        print(f"  failure {i + 1}: {host}'s rank killed; NOT recovered before the next kill or the end")
calm_steps, calm_wall = int(sys.argv[3]), 60 * float(sys.argv[4])
kept, wall = int(sys.argv[5]), 60 * float(sys.argv[6])
step_seconds = calm_wall / calm_steps if calm_steps else 0
calm = round(wall / step_seconds) if step_seconds else 0
# Goodput in time: the share of the run's wall time not lost to failures (each recovery, and the
# steps done again at the failure-free step time). The step-count ratio against the failure-free
# twin is printed beside it; on a machine whose cores the full set of ranks oversubscribes, the
# shrunken phases run faster and that ratio overstates.
lost = sum(times) + redone * step_seconds
goodput = max(0.0, 1 - lost / wall) if wall else 0
mean = sum(times) / len(times) if times else 0
worst = max(times) if times else 0
print(f"chaos: {kept} steps kept against {calm} failure-free in the same time (ratio {kept / calm if calm else 0:.2f}); "
      f"{lost:.1f} s of {wall:.0f} s lost to failures")
print(f"summary: failures={len(kills)} recovered={recovered} mean_recovery_s={mean:.1f} worst_recovery_s={worst:.1f} "
      f"steps_redone={redone} goodput={goodput:.2f}")
sys.exit(0 if recovered == len(kills) else 1)
PY
