#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the model validator and the engine with libFuzzer: builds
# tests/fuzz/fuzz_model.c with the engine (clang, ASan + UBSan), writes a
# seed corpus of valid models with tests/fuzz/make_corpus.c, fuzzes for
# FUZZ_SECONDS (default 60) and prints a one-line summary. Exits non-zero
# on any crash, leak, sanitizer report or timeout.
#
# Usage: scripts/fuzz.sh [extra libFuzzer options]
# Env:   FUZZ_SECONDS, CLANG (default clang), O (default build), FUZZ_JOBS
# Needs: clang-14 and libclang-rt-14-dev (Debian bookworm).
set -euo pipefail

cd "$(dirname "$0")/.."
CLANG=${CLANG:-clang}
O=${O:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
out=$O/fuzz

if ! command -v "$CLANG" >/dev/null; then
	echo "fuzz: $CLANG not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 1
fi

common=(-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra
	-Wno-unused-parameter -Iuapi/drm -Idriver/engine -Ilibvision
	-Itests/fuzz)
# -Werror for the fuzz sources only: the engine is held to it by the Makefile
# (gcc), and a clang-only warning there must not stop the fuzzing.
strict=(-Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla)
# shellcheck disable=SC2054 # commas inside one flag
san=(-fsanitize=address,undefined -fno-sanitize-recover=all)

# The engine as the Makefile builds it: SIMD files of this architecture
# only, each with its ISA flags.
engine=()
for f in driver/engine/*.c; do
	case $f in
	*/vis_simd_x86_*) [ "$(uname -m)" = x86_64 ] || continue ;;
	*/vis_simd_arm64_*) [ "$(uname -m)" = aarch64 ] || continue ;;
	*/vis_simd_*) continue ;;
	esac
	engine+=("$f")
done

# build DIR EXTRA-FLAGS...: compile the engine into DIR, print the objects
build() {
	local dir=$1 f o
	shift
	mkdir -p "$dir"
	for f in "${engine[@]}"; do
		o=$dir/$(basename "${f%.c}").o
		# shellcheck disable=SC2046
		"$CLANG" "${common[@]}" "$@" \
			$(scripts/simd-flags.sh "$(basename "${f%.c}")") \
			-c -o "$o" "$f" >&2
		echo "$o"
	done
}

mapfile -t fuzz_objs < <(build "$out/obj" "${san[@]}" -fsanitize=fuzzer-no-link)
"$CLANG" "${common[@]}" "${san[@]}" -fsanitize=fuzzer "${strict[@]}" \
	-o "$out/fuzz_model" \
	tests/fuzz/fuzz_model.c "${fuzz_objs[@]}"

# The corpus tool: no fuzzer instrumentation, still sanitized.
mapfile -t tool_objs < <(build "$out/obj-tool" "${san[@]}")
"$CLANG" "${common[@]}" "${san[@]}" "${strict[@]}" -o "$out/make_corpus" \
	tests/fuzz/make_corpus.c libvision/model_builder.c "${tool_objs[@]}"

rm -rf "$out/corpus" "$out/artifacts"
mkdir -p "$out/corpus" "$out/work" "$out/artifacts"
"$out/make_corpus" "$out/corpus"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$out/fuzz.log
rc=0
# New inputs go to work/; the seeds stay as generated.
"$out/fuzz_model" -max_total_time="$FUZZ_SECONDS" -timeout=20 \
	-rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
	-artifact_prefix="$out/artifacts/" ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS} \
	"$@" "$out/work" "$out/corpus" >"$log" 2>&1 || rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
units=$(find "$out/work" "$out/corpus" -type f | wc -l)
crashes=$(find "$out/artifacts" -type f | wc -l)
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
	grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -20 >&2
	echo "fuzz: FAILED (exit $rc) after ${runs:-?} runs in ${FUZZ_SECONDS}s, $crashes artifact(s) in $out/artifacts, log $log"
	exit 1
fi
echo "fuzz: ok, ${runs:-?} runs in ${FUZZ_SECONDS}s, coverage ${cov:-?}, corpus $units, 0 crashes"
