#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check that Documentation/uapi/*.rst documents all of
# uapi/drm/vision_accel.h:
#
# - every DRM_IOCTL_VISION_* macro has a section titled with its name;
# - every other DRM_VISION_* macro appears, as a whole name, in the pages;
# - every struct drm_vision_* has a member table introduced by the comment
#   line ".. members of struct drm_vision_NAME": a simple table with a
#   header row, listing each member as ``name`` (or ``name[N]`` for an
#   array) at the start of a row.
#
# It also reports the reverse, names the pages use that the header does
# not define (typos, retired names): DRM_VISION_* macros, struct names,
# and table rows that are not members of their struct.
#
# Prints what is wrong and exits 1; exits 0 when the pages and the header
# agree, 2 on a usage error. POSIX sh, awk, sed and sort only.
#
# Usage: check-uapi-docs.sh [REPO-ROOT]

if [ $# -gt 1 ]; then
	echo "usage: $0 [REPO-ROOT]" >&2
	exit 2
fi

root=${1:-$(dirname "$0")/..}
hdr=$root/uapi/drm/vision_accel.h
docdir=$root/Documentation/uapi

if [ ! -f "$hdr" ]; then
	echo "check-uapi-docs: $hdr: no such file" >&2
	exit 2
fi
set -- "$docdir"/*.rst
if [ ! -f "$1" ]; then
	echo "check-uapi-docs: $docdir: no .rst files" >&2
	exit 2
fi

out=$(awk '
function strip_comments(line,    out, i) {
	out = ""
	while (line != "") {
		if (in_comment) {
			i = index(line, "*/")
			if (i == 0)
				return out
			line = substr(line, i + 2)
			in_comment = 0
		} else {
			i = index(line, "/*")
			if (i == 0)
				return out line
			out = out substr(line, 1, i - 1)
			line = substr(line, i + 2)
			in_comment = 1
		}
	}
	return out
}

function is_underline(line,    c, i) {
	c = substr(line, 1, 1)
	if (c == "" || index("=-~^\"+*#", c) == 0)
		return 0
	for (i = 2; i <= length(line); i++)
		if (substr(line, i, 1) != c)
			return 0
	return 1
}

function problem(msg) {
	print "P check-uapi-docs: " msg
	bad++
}

# The header: macros, structs and their members.
FILENAME == ARGV[1] {
	$0 = strip_comments($0)
	if ($1 == "#define" && $2 ~ /^DRM_(IOCTL_)?VISION_[A-Z0-9_]+$/) {
		macro[$2] = 1
		nmacro++
		next
	}
	if (!in_struct && $0 ~ /^struct drm_vision_[a-z0-9_]+ *[{]/) {
		cur = $2
		in_struct = 1
		structs[cur] = 1
		nstruct++
		next
	}
	if (in_struct && $0 ~ /^[}];/) {
		in_struct = 0
		next
	}
	if (in_struct && $0 ~ /;/) {
		sub(/;.*/, "")
		name = $NF
		sub(/\[.*/, "", name)
		member[cur, name] = 1
		mlist[++nmember] = cur SUBSEP name
	}
	next
}

# The pages.
FNR == 1 {
	prev = ""
	table = ""
}

{
	where = FILENAME ":" FNR

	# Section titles: a text line underlined by one repeated
	# punctuation character, at least as long as the text.
	if (prev != "" && is_underline($0) && length($0) >= length(prev)) {
		t = prev
		gsub(/``/, "", t)
		gsub(/^[ \t]+|[ \t]+$/, "", t)
		title[t] = 1
	}
	prev = $0

	# Every DRM_VISION_* name used; a trailing "_" is a wildcard
	# (DRM_VISION_PARAM_*), not a name.
	line = $0
	while (match(line, /DRM_(IOCTL_)?VISION_[A-Z0-9_]+/)) {
		n = substr(line, RSTART, RLENGTH)
		line = substr(line, RSTART + RLENGTH)
		if (n ~ /_$/)
			continue
		used[n] = 1
		if (!(n in macro) && !(n in unknown_macro))
			unknown_macro[n] = where
	}

	# Every struct drm_vision_* named.
	line = $0
	while (match(line, /struct drm_vision_[a-z0-9_]+/)) {
		n = substr(line, RSTART + 7, RLENGTH - 7)
		line = substr(line, RSTART + RLENGTH)
		if (!(n in structs) && !(n in unknown_struct))
			unknown_struct[n] = where
	}

	# Member tables.
	if ($0 ~ /^\.\. members of struct drm_vision_[a-z0-9_]+ *$/) {
		table = $NF
		borders = 0
		tabled[table] = 1
		if (!(table in structs))
			unknown_struct[table] = where
		next
	}
	if (table != "") {
		if ($0 ~ /^=+( +=+)*$/) {
			if (++borders == 3)
				table = ""
			next
		}
		if (substr($0, 1, 2) == "``") {
			n = substr($0, 3)
			n = substr(n, 1, index(n, "``") - 1)
			sub(/\[.*/, "", n)
			documented[table, n] = 1
			if (!((table, n) in member))
				problem(where ": struct " table " has no member " \
					"\"" n "\"")
		}
	}
}

END {
	for (m in macro) {
		if (m ~ /^DRM_IOCTL_VISION_/) {
			if (!(m in title))
				problem("no section titled " m)
		} else if (!(m in used)) {
			problem("macro " m " is not documented")
		}
	}
	for (n in unknown_macro)
		problem(unknown_macro[n] ": " n " is not in the header")
	for (s in structs)
		if (!(s in tabled))
			problem("struct " s " has no member table " \
				"(\".. members of struct " s "\")")
	for (s in unknown_struct)
		problem(unknown_struct[s] ": struct " s " is not in the header")
	for (i = 1; i <= nmember; i++) {
		split(mlist[i], sm, SUBSEP)
		if ((sm[1] in tabled) && !(mlist[i] in documented))
			problem("member " sm[1] "." sm[2] " is not documented")
	}
	if (nmacro == 0 || nstruct == 0)
		problem("found no macros or structs in " ARGV[1])
	if (bad) {
		print "S check-uapi-docs: " bad " problem(s)"
		exit 1
	}
	print "S check-uapi-docs: " nmacro " macros, " nstruct " structs, " \
		nmember " members documented"
}
' "$hdr" "$@")
rc=$?

# Problems sorted, so that runs compare; the summary last.
printf '%s\n' "$out" | sed -n 's/^P //p' | sort
printf '%s\n' "$out" | sed -n 's/^S //p'
exit $rc
