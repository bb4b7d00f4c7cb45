#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel releases of Debian's two test kernels (6.1 and 6.12),
# oldest first, as resolved by their meta packages.
for meta in linux-headers-amd64 linux-headers-6.12-amd64; do
	dpkg-query -W -f='${Depends}\n' "$meta" 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
done | tr '\n' ' '
echo
