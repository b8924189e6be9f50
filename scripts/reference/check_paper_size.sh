#!/usr/bin/env bash
# Paper-size check: writes the paper model with docs/MODEL.md's initialisation, one image and its
# PyTorch base logits to a safetensors file, then runs qcs on the same file and compares
# (PaperSizeCheckTests).
# Usage: scripts/reference/check_paper_size.sh PYTHON [OUT.safetensors]
#   PYTHON: a Python that has torch (README, "Reference scripts");
#   OUT defaults to /tmp/qcs_paper_check/paper.safetensors (about 270 MB; do not commit it).
set -euo pipefail
python="${1:?usage: scripts/reference/check_paper_size.sh PYTHON [OUT.safetensors] (a Python that has torch)}"
out="${2:-/tmp/qcs_paper_check/paper.safetensors}"
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "check_paper_size: $python cannot import torch; pass a Python that can (README, \"Reference scripts\")" >&2
  exit 2
fi
"$python" "$(dirname "$0")/check_paper_size.py" --out "$out"
# The Swift side: same weights and image through qcs, logits compared (PaperSizeCheckTests).
cd "$(dirname "$0")/../.."
QCS_PAPER_CHECK="$out" swift test --filter PaperSizeCheckTests 2>&1 | grep -E "paper-size check|error|Executed"
