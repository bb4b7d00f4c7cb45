#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install ONNX Runtime (npm onnxruntime-node, the peer engine benchmarks
# and cross-checks compare against) into DIR/node_modules, unless the
# version bench/ort/package.json names is there already.
#
# Usage: scripts/ort-install.sh DIR
set -euo pipefail

dir=${1:?usage: ort-install.sh DIR}
top=$(cd "$(dirname "$0")/.." && pwd)

command -v npm >/dev/null || { echo "ort-install: npm not found" >&2; exit 1; }
if [ -d "$dir/node_modules/onnxruntime-node" ] &&
   cmp -s "$top/bench/ort/package.json" "$dir/package.json"; then
	exit 0
fi
mkdir -p "$dir"
cp "$top/bench/ort/package.json" "$dir/package.json"
# The package bundles its native library; its install script would fetch
# GPU runtimes we do not use.
(cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip \
	npm install --no-audit --no-fund --loglevel=error)
