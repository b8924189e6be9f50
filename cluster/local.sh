#!/usr/bin/env bash
# N ranks of qcs on this machine: a debugging run, or one rank per socket of one node.
# Each rank takes the node's cores divided by N as compute threads (qcs does that by itself
# unless train.threads says otherwise); ranks are not bound to cores, so those threads can run.
#
# Usage: cluster/local.sh N QCS_ARGS...
#   cluster/local.sh 2 train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/two
# QCS=path/to/qcs picks the binary (default: the release build, else the debug build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ranks=${1:?usage: cluster/local.sh N QCS_ARGS...}
shift
qcs=${QCS:-$here/.build/release/qcs}
[ -x "$qcs" ] || qcs=$here/.build/debug/qcs
[ -x "$qcs" ] || { echo "cluster/local.sh: no qcs build; run swift build -c release first" >&2; exit 1; }
root=()
[ "$(id -u)" -ne 0 ] || root=(--allow-run-as-root)
cores=$(nproc)
echo "cluster/local.sh: $ranks ranks x $(( cores / ranks > 0 ? cores / ranks : 1 )) threads on $(hostname) ($cores cores)" >&2
exec mpirun "${root[@]}" --oversubscribe --bind-to none -np "$ranks" "$qcs" "$@"
