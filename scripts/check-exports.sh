#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The shared library must export exactly the symbols its version script
# lists: nothing internal leaks, nothing public goes missing.
#
# Usage: check-exports.sh LIBRARY VERSION_SCRIPT
set -euo pipefail
lib=${1:?usage: check-exports.sh LIBRARY VERSION_SCRIPT}
map=${2:?usage: check-exports.sh LIBRARY VERSION_SCRIPT}

want=$(sed -n 's/^[[:space:]]*\(vision_[a-z0-9_]*\);.*/\1/p' "$map" | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "R" || $2 == "B" { sub(/@.*/, "", $3); print $3 }' | sort)
if [ "$want" != "$have" ]; then
	echo "check-exports: $lib exports differ from $map:" >&2
	diff <(echo "$want") <(echo "$have") >&2 || true
	exit 1
fi
echo "check-exports: $(echo "$have" | wc -l) symbols, as listed"
