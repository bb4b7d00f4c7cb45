#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Copyright (C) 2026 The vision authors
#
# The engine benchmark (make bench): builds bench/bench_engine.c against
# the internal libvision archive, times the int8 engine on MobileNetV2,
# ResNet-18 and SqueezeNet 1.1 (plus 50%-sparse twins), times the same
# networks with ONNX Runtime (fp32 and int8 QDQ, bench/ort/bench_ort.mjs;
# onnxruntime-node is installed from npm into build/bench/ort on first
# use), and prints one table with the ratios. Everything generated goes
# under build/bench/.
#
#   scripts/bench.sh [--no-build] [--no-ort] [--only NAMES]
#
# Environment: BENCH_RUNS (timed runs per configuration, default 20),
# BENCH_MAX_SECONDS (per configuration once 3 runs are done, default 6),
# CC, CFLAGS. Numbers are only meaningful on an otherwise idle machine.

set -euo pipefail

cd "$(dirname "$0")/.."
O=build/bench
BUILD=1
ORT=1
ONLY=()

while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) BUILD=0 ;;
	--no-ort) ORT=0 ;;
	--only)
		[ $# -ge 2 ] || { echo "bench.sh: --only needs a value" >&2; exit 2; }
		ONLY=(--only "$2")
		shift
		;;
	-h | --help)
		sed -n '5,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done

mkdir -p "$O"

if [ "$BUILD" = 1 ]; then
	make --no-print-directory build/lib/libvision-internal.a
	# The flags of the host tests (Makefile: VIS_CFLAGS, ENGINE_CFLAGS).
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
		-Wmissing-prototypes -Wformat=2 -Wvla -Werror ${CFLAGS:--O2 -g} \
		-fPIC -fvisibility=hidden -Ilibvision/include -Ilibvision \
		-Iuapi/drm $(pkg-config --cflags libdrm 2>/dev/null) \
		-Idriver/engine -o "$O/bench_engine" bench/bench_engine.c \
		build/lib/libvision-internal.a \
		$(pkg-config --libs libdrm 2>/dev/null) -lpthread -lm
fi
[ -x "$O/bench_engine" ] || { echo "bench.sh: $O/bench_engine missing" >&2; exit 1; }

echo "# $(nproc) CPUs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
rm -f "$O/vision.json" "$O/ort.json"
if ! "$O/bench_engine" --json "$O/vision.json" "${ONLY[@]}"; then
	echo "bench.sh: bench_engine failed (results above are partial)" >&2
	status=1
fi

if [ "$ORT" = 1 ]; then
	command -v node >/dev/null || { echo "bench.sh: node not found" >&2; exit 1; }
	scripts/ort-install.sh "$O/ort"
	echo ""
	echo "# ONNX Runtime"
	if ! node bench/ort/bench_ort.mjs --ort-dir "$O/ort" \
		--out-dir "$O/onnx" "${ONLY[@]}" >"$O/ort.json.tmp"; then
		echo "bench.sh: bench_ort failed" >&2
		status=1
	else
		mv "$O/ort.json.tmp" "$O/ort.json"
	fi
fi

if [ -f "$O/vision.json" ] || [ -f "$O/ort.json" ]; then
	args=()
	[ -f "$O/vision.json" ] && args+=("$O/vision.json") || args+=(/dev/null)
	[ -f "$O/ort.json" ] && args+=("$O/ort.json")
	node bench/report.mjs "${args[@]}"
fi
echo ""
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg); results in $O/vision.json $O/ort.json"
exit $status
