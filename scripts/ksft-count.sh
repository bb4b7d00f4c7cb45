# SPDX-License-Identifier: GPL-2.0
#
# Sourced by check.sh and verdict.sh: tally one kselftest binary's result
# into the caller's passed/failed/skipped counters and problems array.

# ksft_count NAME RC < OUTPUT
# Uses the harness's "# Totals:" lines when there are any, else the exit
# status alone (0 pass, 4 skip, else fail). xfail counts as a pass, xpass
# and error as failures, as kselftest.h does; a non-zero, non-skip exit
# with no failed test (a crash after the totals) is a failure too.
ksft_count() {
	local name=$1 rc=$2 line p=0 f=0 s=0 seen=0
	local re='pass:([0-9]+) fail:([0-9]+) xfail:([0-9]+) xpass:([0-9]+) skip:([0-9]+) error:([0-9]+)'

	# Several harness runs in one output (e.g. one per emulated CPU) add up.
	while read -r line; do
		[[ $line =~ $re ]] || continue
		seen=1
		p=$((p + BASH_REMATCH[1] + BASH_REMATCH[3]))
		f=$((f + BASH_REMATCH[2] + BASH_REMATCH[4] + BASH_REMATCH[6]))
		s=$((s + BASH_REMATCH[5]))
	done < <(grep -aE '^# Totals: pass:')

	if [ "$seen" = 1 ]; then
		passed=$((passed + p)) failed=$((failed + f))
		skipped=$((skipped + s))
		if [ "$f" -gt 0 ]; then
			problems+=("$name: $f failed")
		elif [ "$rc" != 0 ] && [ "$rc" != 4 ]; then
			failed=$((failed + 1))
			problems+=("$name exited $rc")
		fi
	elif [ "$rc" = 4 ]; then
		skipped=$((skipped + 1))
	elif [ "$rc" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		problems+=("$name exited $rc")
	fi
}
