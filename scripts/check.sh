#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test run behind `make check`: static checks, host tests (plain,
# AddressSanitizer+UBSan, valgrind), then the kselftests and guest tests
# inside QEMU on each kernel. Ends with "N passed, N failed, N skipped" and
# exits non-zero on any failure.
#
# Usage: check.sh --kvers "KVER..." [--host BIN]... [--selftest BIN]...
#                 [--guest-test BIN]... [--no-lint]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvers= lint=1
hosts=() selftests=() guest_tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--kvers) kvers=$2; shift 2 ;;
	--host) hosts+=("$2"); shift 2 ;;
	--selftest) selftests+=("$2"); shift 2 ;;
	--guest-test) guest_tests+=("$2"); shift 2 ;;
	--no-lint) lint=0; shift ;;
	*) echo "check: unknown argument $1" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
failures=()
logdir=$top/build/check
mkdir -p "$logdir"

# count NAME LOG RC: add a kselftest binary's totals (or its exit status).
count() {
	local name=$1 log=$2 rc=$3 totals re
	totals=$(grep -E '^# Totals: pass:' "$log" | tail -n1)
	re='pass:([0-9]+) fail:([0-9]+) xfail:([0-9]+) xpass:([0-9]+) skip:([0-9]+) error:([0-9]+)'
	if [[ $totals =~ $re ]]; then
		local p=$((BASH_REMATCH[1] + BASH_REMATCH[3]))
		local f=$((BASH_REMATCH[2] + BASH_REMATCH[4] + BASH_REMATCH[6]))
		passed=$((passed + p)) failed=$((failed + f))
		skipped=$((skipped + BASH_REMATCH[5]))
		if [ "$f" -gt 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 4 ]; }; then
			[ "$f" -eq 0 ] && failed=$((failed + 1))
			failures+=("$name (exit $rc, see $log)")
		fi
	elif [ "$rc" = 4 ]; then
		skipped=$((skipped + 1))
	elif [ "$rc" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name (exit $rc, see $log)")
	fi
}

step() {
	printf '\n==== %s\n' "$*"
}

if [ "$lint" = 1 ]; then
	step "lint"
	make -s -C "$top" lint > "$logdir/lint.log" 2>&1
	rc=$?
	cat "$logdir/lint.log"
	count lint "$logdir/lint.log" "$rc"
fi

for bin in "${hosts[@]}"; do
	name=$(basename "$bin")
	step "host: $name"
	log=$logdir/host-$name.log
	(cd "$top" && "$bin") > "$log" 2>&1
	rc=$?
	grep -E '^(ok|not ok) |^# Totals' "$log"
	count "host $name" "$log" "$rc"

	case $name in *-san) continue ;; esac
	step "host (valgrind): $name"
	log=$logdir/host-$name-valgrind.log
	(cd "$top" && valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite "$bin") > "$log" 2>&1
	rc=$?
	grep -E '^(ok|not ok) |^# Totals|^==[0-9]+==' "$log"
	count "valgrind $name" "$log" "$rc"
done

vm_args=()
for t in "${selftests[@]}"; do vm_args+=(--selftest "$t"); done
for t in "${guest_tests[@]}"; do vm_args+=(--guest-test "$t"); done

for kver in $kvers; do
	step "vm: $kver"
	summary=$logdir/vm-$kver.summary
	rm -f "$summary"
	"$top/tests/vm/run-vm.sh" --kver "$kver" \
		--ko "$top/build/kmod/$kver/vision_accel.ko" --mode check \
		--log "$logdir/vm-$kver.log" --summary "$summary" \
		"${vm_args[@]}" > "$logdir/vm-$kver.out" 2>&1
	rc=$?
	grep -aE '^(ok|not ok) |^# Totals|^vm |^run-vm' "$logdir/vm-$kver.out" | tr -d '\r'
	if [ -f "$summary" ]; then
		read -r p f s < "$summary"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	fi
	if [ "$rc" != 0 ]; then
		[ -f "$summary" ] && [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
		failures+=("vm $kver (see $logdir/vm-$kver.log)")
	fi
done

echo
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
