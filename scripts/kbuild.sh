#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vision_accel.ko for one installed kernel, in its own output
# directory, with W=1 and sparse (C=2). Any compiler or sparse warning
# fails the build.
#
# Usage: kbuild.sh KVER OUTDIR
set -euo pipefail

kver=${1:?usage: kbuild.sh KVER OUTDIR}
out=${2:?usage: kbuild.sh KVER OUTDIR}
kdir=/lib/modules/$kver/build
top=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -d "$kdir" ]; then
	echo "kbuild: no headers for $kver ($kdir)" >&2
	exit 1
fi

# Kbuild writes objects next to the sources: give each kernel its own copy
# (mtimes preserved, so rebuilds stay incremental).
mkdir -p "$out"
cp -a "$top/Kbuild" "$out/"
for d in driver uapi scripts; do
	mkdir -p "$out/$d"
	cp -a "$top/$d/." "$out/$d/"
done

log=$out/build.log
if ! make -C "$kdir" M="$(cd "$out" && pwd)" W=1 C=2 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "kbuild: $kver: build failed" >&2
	exit 1
fi
# sparse reports through the CHECK step without failing make.
if grep -E 'warning:|error:' "$log" >&2; then
	echo "kbuild: $kver: warnings are errors" >&2
	exit 1
fi
echo "kbuild: $kver: $out/vision_accel.ko"
