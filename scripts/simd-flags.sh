#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Compiler ISA flags of one engine SIMD file, by its base name. The single
# list both the userspace Makefile and Kbuild use, so the two homes of the
# engine compile each SIMD file for the same ISA.
#
# Usage: simd-flags.sh BASENAME
# Files are named vis_simd_<arch>_<isa>[_<what>].c: the ISA part decides.
case $1 in
vis_simd_x86_avx2 | vis_simd_x86_avx2_*) echo "-mavx2 -mfma" ;;
vis_simd_x86_avx512 | vis_simd_x86_avx512_*)
	echo "-mavx512f -mavx512bw -mavx512vl -mavx512dq" ;;
vis_simd_x86_avx512vnni | vis_simd_x86_avx512vnni_*)
	echo "-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni" ;;
vis_simd_arm64_neon | vis_simd_arm64_neon_*) echo "-march=armv8.2-a+dotprod" ;;
*) echo "" ;;
esac
