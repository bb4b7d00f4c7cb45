#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks: checkpatch --strict over the kernel-side sources,
# kernel-doc -Werror over the uapi headers, and clang-format (the kernel's
# own .clang-format) over every C file.
#
# Usage: lint.sh KSRC "KERNEL_FILES" "UAPI_HEADERS" "ALL_C_FILES"
set -uo pipefail

ksrc=${1:?usage: lint.sh KSRC KERNEL_FILES UAPI_HEADERS ALL_C_FILES}
read -ra kernel_files <<<"$2"
read -ra uapi_files <<<"$3"
read -ra c_files <<<"$4"
rc=0

echo "lint: checkpatch --strict (${#kernel_files[@]} files)"
if ! perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse \
	--show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
	--file "${kernel_files[@]}"; then
	rc=1
fi

echo "lint: kernel-doc -Werror (${#uapi_files[@]} files)"
if ! perl "$ksrc/scripts/kernel-doc" -Werror -Wall -none "${uapi_files[@]}"; then
	rc=1
fi

echo "lint: clang-format (${#c_files[@]} files)"
if ! clang-format --style="file:$ksrc/.clang-format" --dry-run -Werror \
	"${c_files[@]}"; then
	echo "lint: run 'make format' to fix" >&2
	rc=1
fi

[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
