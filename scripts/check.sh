#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test run behind `make check`: static checks, host tests (plain,
# AddressSanitizer+UBSan, and valgrind for the lighter ones), then the kselftests and guest tests
# inside QEMU on each kernel. Ends with "N passed, N failed, N skipped" and
# exits non-zero on any failure.
#
# Usage: check.sh --kvers "KVER..." [--host BIN]... [--selftest BIN]...
#                 [--guest-test BIN]... [--cmd NAME=COMMAND]...
#                 [--valgrind BIN]... [--vm-data FILE]... [--no-lint]
# A --host binary also listed with --valgrind runs a third time under it;
# --vm-data files are copied into the test VM's /opt/vision/data.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kvers= lint=1
hosts=() selftests=() guest_tests=() cmds=() valgrind=() vm_data=()
while [ $# -gt 0 ]; do
	case $1 in
	--kvers) kvers=$2; shift 2 ;;
	--host) hosts+=("$2"); shift 2 ;;
	--selftest) selftests+=("$2"); shift 2 ;;
	--guest-test) guest_tests+=("$2"); shift 2 ;;
	--cmd) cmds+=("$2"); shift 2 ;;
	--valgrind) valgrind+=("$2"); shift 2 ;;
	--vm-data) vm_data+=("$2"); shift 2 ;;
	--no-lint) lint=0; shift ;;
	*) echo "check: unknown argument $1" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
problems=()
logdir=$top/build/check
mkdir -p "$logdir"

. "$top/scripts/ksft-count.sh"

# count NAME LOG RC: tally a test binary's log; name the log on failure.
count() {
	local before=${#problems[@]}
	ksft_count "$1" "$3" < "$2"
	[ ${#problems[@]} -gt "$before" ] && problems+=("  (see $2)")
	return 0
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

	case " ${valgrind[*]} " in *" $bin "*) ;; *) continue ;; esac
	step "host (valgrind): $name"
	log=$logdir/host-$name-valgrind.log
	(cd "$top" && valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite "$bin") > "$log" 2>&1
	rc=$?
	grep -E '^(ok|not ok) |^# Totals|^==[0-9]+==' "$log"
	count "valgrind $name" "$log" "$rc"
done

# Other test commands (cross-architecture runs, fuzzing): harness output
# or exit status, counted like a test binary.
for c in "${cmds[@]}"; do
	name=${c%%=*}
	step "$name"
	log=$logdir/$name.log
	(cd "$top" && eval "${c#*=}") > "$log" 2>&1
	rc=$?
	grep -aE '^(ok|not ok) |^# Totals|^[a-z0-9-]+: ' "$log"
	count "$name" "$log" "$rc"
done

vm_args=()
for t in "${selftests[@]}"; do vm_args+=(--selftest "$t"); done
for t in "${guest_tests[@]}"; do vm_args+=(--guest-test "$t"); done
for f in "${vm_data[@]}"; do vm_args+=(--data "$f"); done

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
		problems+=("vm $kver (see $logdir/vm-$kver.log)")
	fi
done

echo
for p in "${problems[@]}"; do
	echo "FAILED: $p"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
