#!/usr/bin/env bash
# Retrains the sample models (not part of CI): runs every samples/models/<name>/train.py with Debian's python
# (python3-torch, python3-sklearn, python3-onnx, numpy), which rewrites weights.h and model.onnx next to it and
# test.jsonl.gz, golden.jsonl, training-report.json under samples/src/main/resources/samples/<name>/.
# Then rebuild the binaries with samples/build.sh and check them with samples/check_native.sh.
# Training is seeded and single-process; ~1 min on 2 cores. Only the report's "seconds" changes between runs
# on the same machine (other CPUs or torch builds may give different weights).
#
#   samples/train.sh            # every model
#   samples/train.sh digits-mlp # one model
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c "import torch, numpy, sklearn, onnx" 2>/dev/null \
  || { echo "samples/train.sh: $PY lacks torch/numpy/sklearn/onnx: apt-get install python3-torch python3-sklearn python3-onnx" >&2; exit 1; }
if [ $# -gt 0 ]; then models=("$@"); else
  models=(); for d in "$HERE"/models/*/; do [ -f "$d/train.py" ] && models+=("$(basename "$d")"); done
fi
for m in "${models[@]}"; do
  echo "== $m"
  (cd "$HERE/models/$m" && "$PY" train.py)
done
echo "samples/train.sh: done; now run samples/build.sh and samples/check_native.sh"
