#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Copyright (C) 2026 The vision authors
#
# What compression costs on the project's models: compiles each model in
# every configuration vision-compile offers (calibration methods, pruning
# methods and sparsities, accuracy-budget mode), runs every result on the
# CPU over the 10,000 Fashion-MNIST test images with vision-run, and
# prints one Markdown table: int8 top-1, change against the float model,
# weight sparsity, model bytes and ms/image (single inference latency,
# p50). Numbers, not pass/fail; the accuracy targets are asserted by the
# host tests.
#
#   scripts/compression-table.sh [--models "cnn mobilenet"] [--quick]
#
# --quick uses 2,000 test images instead of 10,000. Needs `make tools`.
# Everything generated goes under build/table/.

set -euo pipefail
cd "$(dirname "$0")/.."

MODELS="cnn mobilenet"
COUNT=10000
while [ $# -gt 0 ]; do
	case "$1" in
	--models) MODELS=${2:?--models needs a value}; shift ;;
	--quick) COUNT=2000 ;;
	-h | --help) sed -n '5,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "compression-table: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

FMNIST=/usr/share/datasets/fashion-mnist
TRAIN=$FMNIST/train-images-idx3-ubyte.gz
IMAGES=$FMNIST/t10k-images-idx3-ubyte.gz
LABELS=$FMNIST/t10k-labels-idx1-ubyte.gz
COMPILE=build/bin/vision-compile
RUN=build/bin/vision-run
O=build/table
for f in "$COMPILE" "$RUN" "$TRAIN" "$IMAGES" "$LABELS"; do
	[ -r "$f" ] || { echo "compression-table: missing $f (make tools?)" >&2; exit 1; }
done
mkdir -p "$O"

# name|vision-compile options. Budget mode measures on the first 2,000
# training images, never on the test set the table reports.
CONFIGS=(
	"int8 minmax|--calib-method minmax"
	"int8 percentile (default)|--calib-method percentile"
	"int8 mse|--calib-method mse"
	"int8 kl|--calib-method kl"
	"int8, no bias correction|--no-bias-correction"
	"magnitude 30%|--prune 0.3 --prune-method magnitude"
	"magnitude 50%|--prune 0.5 --prune-method magnitude"
	"magnitude 70%|--prune 0.7 --prune-method magnitude"
	"reconstruct 30%|--prune 0.3 --prune-method reconstruct"
	"reconstruct 50%|--prune 0.5 --prune-method reconstruct"
	"reconstruct 70%|--prune 0.7 --prune-method reconstruct"
	"2:4|--prune-method 2:4"
	"block4 50%|--prune 0.5 --prune-method block4"
	"channel 30%|--prune 0.3 --prune-method channel"
	"channel 50%|--prune 0.5 --prune-method channel"
	"budget 1.0 (reconstruct)|--accuracy-budget 1.0 --prune-method reconstruct --eval $TRAIN --eval-labels $FMNIST/train-labels-idx1-ubyte.gz --eval-count 2000"
)

# The float model's top-1 on the test set, from the training record.
float_top1() {
	python3 -c 'import json, sys
print(json.load(open("models/metrics.json"))["models"]["fmnist_" + sys.argv[1]]["float_top1_pct"])' "$1"
}

printf '| model | configuration | int8 top-1 | vs float | weight zeros | model bytes | ms/image |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for model in $MODELS; do
	onnx=models/fmnist_$model.onnx
	fl=$(float_top1 "$model")
	printf '| %s | float (PyTorch) | %s | | | %s | |\n' "$model" "$fl" \
		"$(stat -c %s "$onnx")"
	for c in "${CONFIGS[@]}"; do
		name=${c%%|*}
		opts=${c#*|}
		tag=$(echo "$model-$name" | tr -c 'a-zA-Z0-9\n' _)
		vnm=$O/$tag.vnm
		# shellcheck disable=SC2086 # options are words
		if ! "$COMPILE" "$onnx" -o "$vnm" --calib "$TRAIN" \
			--report "$O/$tag.json" $opts > "$O/$tag.log" 2>&1; then
			printf '| %s | %s | failed: %s | | | | |\n' "$model" "$name" \
				"$(tail -1 "$O/$tag.log")"
			continue
		fi
		"$RUN" -m "$vnm" --device cpu --idx "$IMAGES" --labels "$LABELS" \
			--frames "$COUNT" -q > "$O/$tag.run" 2>&1
		acc=$(sed -n 's/^accuracy: *\([0-9.]*\)%.*/\1/p' "$O/$tag.run")
		p50=$(sed -n 's/^latency: *p50 \([0-9.]*\) ms.*/\1/p' "$O/$tag.run")
		zeros=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
p, b = r.get("pruning") or {}, r.get("accuracy_budget") or {}
if p.get("weights"):
	print("%.1f%%" % (100 * p["zeros"] / p["weights"]))
elif b.get("all_weights"):
	print("%.1f%%" % (100 * b["pruned"] / b["all_weights"]))' "$O/$tag.json")
		delta=$(python3 -c "import sys; a, f = sys.argv[1:]; print(f'{float(a) - float(f):+.2f}')" \
			"${acc:-nan}" "$fl")
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$name" \
			"${acc:-?}" "$delta" "$zeros" "$(stat -c %s "$vnm")" "${p50:-?}"
	done
done
