#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compiler ISA flags of one engine SIMD file, by its base name. The single
# list both the userspace Makefile and Kbuild use, so the two homes of the
# engine compile each SIMD file for the same ISA.
#
# Usage: simd-flags.sh BASENAME
case $1 in
vis_simd_x86_avx2) echo "-mavx2 -mfma" ;;
vis_simd_x86_avx512) echo "-mavx512f -mavx512bw -mavx512vl -mavx512dq" ;;
vis_simd_x86_avx512vnni)
	echo "-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni" ;;
vis_simd_arm64_neon) echo "-march=armv8.2-a+dotprod" ;;
*) echo "" ;;
esac
