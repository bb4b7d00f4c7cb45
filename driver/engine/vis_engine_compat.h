/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_ENGINE_COMPAT_H__
#define __VIS_ENGINE_COMPAT_H__

/**
 * DOC: engine compatibility shim
 *
 * The engine is compiled into vision_accel.ko and into libvision. This is
 * the only file that knows which: it provides the kernel's fixed-width
 * types, errno values, overflow helpers, memcpy/memset and the few macros
 * engine code uses, from the kernel headers or from libc, so that no
 * engine source needs an #ifdef __KERNEL__.
 */

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#ifdef __BIG_ENDIAN
#error "the vision engine reads little-endian models natively"
#endif

/* Vector registers may only be touched inside these, in short sections. */
#if defined(CONFIG_X86_64)
#include <asm/fpu/api.h>
#define vis_simd_begin() kernel_fpu_begin()
#define vis_simd_end() kernel_fpu_end()
#elif defined(CONFIG_ARM64)
#include <asm/neon.h>
#define vis_simd_begin() kernel_neon_begin()
#define vis_simd_end() kernel_neon_end()
#else
#define vis_simd_begin() \
	do {             \
	} while (0)
#define vis_simd_end() \
	do {           \
	} while (0)
#endif

/* Between chunks: long inferences must not hog the CPU. */
#define vis_cond_resched() cond_resched()

/* Validation-time allocations only; never inside operator kernels. */
#define vis_zalloc(size) kvzalloc(size, GFP_KERNEL_ACCOUNT)
#define vis_free(p) kvfree(p)

#else /* !__KERNEL__ */
/* The libc equivalents live with libvision, the userspace home. */
#include "vis_engine_user.h"
#endif /* __KERNEL__ */

/*
 * CPU features the SIMD kernel tables need (vis_kernels.c), in each home;
 * false on other architectures. The x86 probes also require that the OS
 * saves the register state (XCR0) the instructions use: the kernel through
 * cpu_has_xfeatures(), userspace through libgcc, whose
 * __builtin_cpu_supports() reports AVX2 and AVX-512 only when XGETBV says
 * so.
 */
#if defined(__KERNEL__) && defined(CONFIG_X86_64)
#include <asm/cpufeature.h>

static inline bool vis_cpu_has_avx2(void)
{
	return boot_cpu_has(X86_FEATURE_AVX2) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL);
}

static inline bool vis_cpu_has_avx512bw(void)
{
	return boot_cpu_has(X86_FEATURE_AVX512BW) &&
	       boot_cpu_has(X86_FEATURE_AVX512VL) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM |
					 XFEATURE_MASK_AVX512,
				 NULL);
}

static inline bool vis_cpu_has_avx512vnni(void)
{
	return vis_cpu_has_avx512bw() && boot_cpu_has(X86_FEATURE_AVX512_VNNI);
}
#elif !defined(__KERNEL__) && defined(__x86_64__)
static inline bool vis_cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

static inline bool vis_cpu_has_avx512bw(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl");
}

static inline bool vis_cpu_has_avx512vnni(void)
{
	return vis_cpu_has_avx512bw() && __builtin_cpu_supports("avx512vnni");
}
#else
static inline bool vis_cpu_has_avx2(void)
{
	return false;
}

static inline bool vis_cpu_has_avx512bw(void)
{
	return false;
}

static inline bool vis_cpu_has_avx512vnni(void)
{
	return false;
}
#endif

#if defined(__KERNEL__) && defined(CONFIG_ARM64)
#include <asm/cpufeature.h>

static inline bool vis_cpu_has_asimddp(void)
{
	return cpu_have_named_feature(ASIMDDP);
}
#elif !defined(__KERNEL__) && defined(__aarch64__)
#include <sys/auxv.h>

static inline bool vis_cpu_has_asimddp(void)
{
	return getauxval(AT_HWCAP) & HWCAP_ASIMDDP;
}
#else
static inline bool vis_cpu_has_asimddp(void)
{
	return false;
}
#endif

/*
 * NEON intrinsics for the arm64 SIMD file, the only one built with
 * +dotprod: the kernel's wrapper makes arm_neon.h agree with its int64_t.
 */
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#ifdef __KERNEL__
#include <asm/neon-intrinsics.h>
#else
#include <arm_neon.h>
#endif
#endif

/*
 * The SIMD kernel tables (struct vis_kernels, vis_engine.h). Each exists
 * only in builds for its architecture and may be used only when its
 * vis_cpu_has_*() probe is true.
 */
struct vis_kernels;
extern const struct vis_kernels vis_kernels_avx2;
extern const struct vis_kernels vis_kernels_avx512bw;
extern const struct vis_kernels vis_kernels_avx512vnni;
extern const struct vis_kernels vis_kernels_neon_dotprod;

/* Model structures are read in place, little-endian on every target. */
#include "vision_model.h"

#endif /* __VIS_ENGINE_COMPAT_H__ */
