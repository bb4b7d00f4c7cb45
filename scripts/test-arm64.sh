#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-build the engine and the SIMD kernel test for arm64 and run it under
# qemu-aarch64 (user mode): once on a CPU with the dot-product extension,
# where the neon-dotprod table must match the portable one, and once on a
# Cortex-A53, which lacks it, where those tests must SKIP.
#
# Needs gcc-aarch64-linux-gnu and qemu-user (scripts/install-deps.sh).
#
# Usage: test-arm64.sh [OUTDIR]   (default build/arm64)
# ENGINE_ONLY_CFLAGS: the extra flags the Makefile gives engine files
# (default: the same as it, -Wno-unused-parameter).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/arm64}
cc=${CROSS_COMPILE:-aarch64-linux-gnu-}gcc
kselftest=$top/build/ksrc/tools/testing/selftests

if [ ! -f "$kselftest/kselftest_harness.h" ]; then
	echo "test-arm64: no kselftest harness; run 'make' first" >&2
	exit 1
fi

cd "$top"
cflags=(-std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wformat=2 -Wvla -Werror -O2 -g
	-Ilibvision/include -Ilibvision -Iuapi/drm -Idriver/engine)
mkdir -p "$out/obj"
rm -f "$out/libengine.a" "$out"/obj/*.o

# The whole engine, as the aarch64 libvision would build it: portable
# files plus the arm64 SIMD files with their ISA flags.
for src in driver/engine/*.c; do
	base=$(basename "$src" .c)
	case $base in vis_simd_*) case $base in vis_simd_arm64_*) ;; *) continue ;; esac ;; esac
	# shellcheck disable=SC2046,SC2086 # the flags are words
	"$cc" "${cflags[@]}" ${ENGINE_ONLY_CFLAGS--Wno-unused-parameter} \
		$(scripts/simd-flags.sh "$base") \
		-c -o "$out/obj/$base.o" "$src"
done
ar rcs "$out/libengine.a" "$out"/obj/*.o

"$cc" "${cflags[@]}" -isystem "$kselftest" -Wno-unused-parameter \
	-Wno-sign-compare -Wno-missing-prototypes -Itests/host -static \
	-o "$out/engine_simd_test" tests/host/engine_simd_test.c \
	"$out/libengine.a"

rc=0
echo "test-arm64: qemu-aarch64 -cpu max (dot product)"
qemu-aarch64 -cpu max "$out/engine_simd_test" || rc=1
echo "test-arm64: qemu-aarch64 -cpu cortex-a53 (no dot product)"
qemu-aarch64 -cpu cortex-a53 "$out/engine_simd_test" || rc=1
exit $rc
