#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the few kernel-tree files the build uses (kselftest harness,
# checkpatch and its data, kernel-doc, the kernel .clang-format) from
# Debian's linux-source tarball into OUTDIR. Nothing from the kernel tree
# is committed; this runs once per build directory.
#
# Usage: kernel-files.sh OUTDIR
set -euo pipefail

out=${1:?usage: kernel-files.sh OUTDIR}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
if [ -z "$tarball" ]; then
	echo "kernel-files: linux-source-6.12 is not installed" >&2
	exit 1
fi

members=(
	.clang-format
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
)
top=$(basename "$tarball" | sed 's/\.tar\..*//')

tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xf "$tarball" -C "$tmp" "${members[@]/#/$top/}"
rm -rf "$out"
mv "$tmp/$top" "$out"
touch "$out/.stamp"
