/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_ENGINE_H__
#define __VIS_ENGINE_H__

/**
 * DOC: engine interface
 *
 * The int8 engine executes validated models. It never allocates: the
 * caller provides the model blob, the arena (activation memory) and the
 * per-worker scratch memory. Work is cut into *units* (for most operators
 * one output row) so a caller can spread an operator over threads
 * (libvision) or run it in short chunks with cancellation checks and SIMD
 * sections in between (the kernel).
 *
 * Flow: vis_model_validate() once per model; then per inference the input
 * stage (vis_input_run()) or a copy fills the input tensor, and
 * vis_engine_run() or vis_engine_op_run() over every operator computes
 * the outputs in the arena.
 */

#include "vis_engine_compat.h"

/* Section index used in errors about the header itself. */
#define VIS_ERR_SECTION_HEADER 0xff
/* Entry index used in errors that are not about one entry. */
#define VIS_ERR_NO_INDEX 0xffffffffu

/**
 * struct vis_engine_error - where and why a model was rejected
 * @err: negative errno (-EINVAL for malformed, -E2BIG for limits,
 *	-EOPNOTSUPP for unsupported versions or operators)
 * @section: &enum vision_model_section_type, or %VIS_ERR_SECTION_HEADER
 * @index: entry index within the section, or %VIS_ERR_NO_INDEX
 * @field: name of the offending member, NUL-terminated
 * @msg: human-readable reason, NUL-terminated
 */
struct vis_engine_error {
	int err;
	u32 section;
	u32 index;
	char field[32];
	char msg[96];
};

/**
 * struct vis_model - a validated model: a view into its blob
 * @blob: the model bytes; must stay valid and unchanged while in use
 * @size: size of @blob
 * @hdr: the header
 * @tensors: tensor table
 * @num_tensors: entries in @tensors
 * @ops: operator table
 * @num_ops: entries in @ops
 * @consts: constant-data section
 * @const_size: size of @consts
 * @input: input stage
 * @outputs: output table
 * @num_outputs: entries in @outputs
 * @names: names section
 * @names_size: size of @names
 * @arena_size: activation memory needed, bytes
 * @scratch_size: per-worker scratch memory vis_engine_op_run() needs
 * @macs: multiply-accumulates of one inference (for reports)
 * @prepared_size: bytes of the weights laid out for the kernels that
 *	vis_model_prepare() writes; 0 when no operator has any
 * @prepared: NULL, or those bytes, set by the model's owner after
 *	vis_model_prepare(); must stay valid and unchanged while in use
 */
struct vis_model {
	const u8 *blob;
	u64 size;
	const struct vision_model_header *hdr;
	const struct vision_model_tensor *tensors;
	u32 num_tensors;
	const struct vision_model_op *ops;
	u32 num_ops;
	const u8 *consts;
	u64 const_size;
	const struct vision_model_input_stage *input;
	const struct vision_model_output *outputs;
	u32 num_outputs;
	const char *names;
	u64 names_size;
	u64 arena_size;
	u64 scratch_size;
	u64 macs;
	u64 prepared_size;
	const u8 *prepared;
};

/**
 * vis_model_validate() - check every byte of a model before it is used
 * @m: receives the validated view
 * @blob: the model
 * @size: its size in bytes
 * @err: receives the reason on failure; may be NULL
 *
 * A model that passes cannot make the engine read or write outside the
 * blob, the arena or the scratch memory of the sizes @m reports.
 *
 * Return: 0, or a negative errno (also in @err->err).
 */
int vis_model_validate(struct vis_model *m, const void *blob, u64 size,
		       struct vis_engine_error *err);

/**
 * vis_model_prepare() - lay out a model's weights for the kernels, once
 * @m: validated model
 * @buf: @m->prepared_size bytes, 64-byte aligned
 *
 * Operators then read weights already in the form their kernels take
 * (packed dense convolutions: rows interleaved, sums and folded biases
 * precomputed) instead of preparing them on every run. Optional: a model
 * whose @prepared is NULL gives the same results, bit for bit, more
 * slowly. The layout does not depend on the kernel table.
 */
void vis_model_prepare(const struct vis_model *m, u8 *buf);

/**
 * vis_model_name() - a name from the names section
 * @m: validated model
 * @off: offset in the names section, or VISION_MODEL_NO_NAME
 *
 * Return: the NUL-terminated name, or "" for VISION_MODEL_NO_NAME.
 */
const char *vis_model_name(const struct vis_model *m, u32 off);

/**
 * vis_crc32() - CRC-32 (IEEE, reflected, zlib-compatible)
 * @crc: previous value, 0 to start
 * @buf: data
 * @len: its length
 *
 * Return: the updated CRC.
 */
u32 vis_crc32(u32 crc, const void *buf, u64 len);

/**
 * struct vis_dw_args - one call of &vis_kernels.dw_conv
 * @taps: input pointers, @ntaps per output pixel: tap t of pixel p reads
 *	the @c int8 values at taps[p * @ntaps + t] (padded taps point at
 *	values equal to the input zero point); with a nonzero @tap_step,
 *	only the @ntaps of pixel 0 (see vis_dw_tap())
 * @tap_step: 0, or the bytes between the inputs of consecutive pixels,
 *	the same for every tap: tap t of pixel p reads taps[t] + p *
 *	@tap_step (a run of pixels none of whose taps is padded)
 * @npix: output pixels, >= 1
 * @ntaps: taps per pixel, >= 1
 * @c: channels, >= 1
 * @w: filter values, w[t * @c + ch]
 * @bias: per channel, with -in_zp * sum over t of w[t][ch] folded in
 * @mult: per-channel Q31 multipliers, 0 or in [2^30, 2^31)
 * @shift: per-channel exponents, in [-31, 30]
 * @out: output of pixel p, channel ch at out[p * @out_stride + ch]
 * @out_stride: bytes between the outputs of consecutive pixels
 * @out_zp: output zero point, in [-128, 127]
 * @act_min: lower activation bound, >= -128
 * @act_max: upper activation bound, <= 127
 * @tmp: %VIS_DW_TMP bytes of scratch, any alignment, for the kernel's
 *	per-call tables (nothing in it is kept between calls)
 *
 * For every pixel p and channel ch: acc = bias[ch] + sum over t of
 * vis_dw_tap(a, p, t)[ch] * w[t * c + ch], wrapping in int32; v =
 * vis_mbqm(acc, mult[ch], shift[ch]) clamped to [-256, 256]; the output is
 * v + out_zp clamped to [@act_min, @act_max]. Nothing outside the bytes
 * named here (and @tmp) is read or written.
 */
struct vis_dw_args {
	const s8 *const *taps;
	u32 npix;
	u32 ntaps;
	u32 c;
	const s8 *w;
	const s32 *bias;
	const s32 *mult;
	const s32 *shift;
	s8 *out;
	size_t out_stride;
	s32 out_zp;
	s32 act_min;
	s32 act_max;
	void *tmp;
	size_t tap_step;
};

/* The input of tap @t of pixel @p of a &struct vis_dw_args call. */
static inline const s8 *vis_dw_tap(const struct vis_dw_args *a, u32 p, u32 t)
{
	if (a->tap_step)
		return a->taps[t] + (size_t)p * a->tap_step;
	return a->taps[(size_t)p * a->ntaps + t];
}

/* Bytes of &struct vis_dw_args.tmp. */
#define VIS_DW_TMP 8192

/**
 * struct vis_add_args - the operands of one element-wise int8 ADD
 * @zp1: zero point of input 1, in [-128, 127]
 * @zp2: zero point of input 2, in [-128, 127]
 * @zp_out: output zero point, in [-128, 127]
 * @lshift: left shift of both inputs, in [0, 20]
 * @m1: Q31 multiplier of input 1, 0 or in [2^30, 2^31)
 * @m2: Q31 multiplier of input 2, likewise
 * @m_out: Q31 multiplier of the sum, likewise
 * @rs1: right shift of input 1, in [0, 31]
 * @rs2: right shift of input 2, in [0, 31]
 * @rs_out: right shift of the sum, in [0, 31]
 * @lo: lower activation bound, >= -128
 * @hi: upper activation bound, <= 127, >= @lo
 *
 * TFLite's AddElementwise: with a = (x - @zp1) << @lshift and b = (y -
 * @zp2) << @lshift, s = RDBPOT(SRDHM(a, @m1), @rs1) + RDBPOT(SRDHM(b,
 * @m2), @rs2), the output is clamp(RDBPOT(SRDHM(s, @m_out), @rs_out) +
 * @zp_out, @lo, @hi) (SRDHM as vis_srdhm(), RDBPOT as vis_rdbpot()).
 */
struct vis_add_args {
	s32 zp1;
	s32 zp2;
	s32 zp_out;
	s32 lshift;
	s32 m1;
	s32 m2;
	s32 m_out;
	s32 rs1;
	s32 rs2;
	s32 rs_out;
	s32 lo;
	s32 hi;
};

/**
 * struct vis_kernels - hot loops, chosen at run time by CPU features
 * @name: "portable", "avx2", "avx512bw", "neon-dotprod", ...
 * @needs_fpu: the loops use vector registers: in the kernel, call them
 *	only between kernel_fpu_begin() and kernel_fpu_end()
 * @gemm_s8: for @np patches (1..4) of @k int8 values each (@k a multiple of
 *	4; patch p at @a + p * @k) and @n weight rows (row r at @b + r * @k),
 *	acc[p * @n + r] = sum over i of a[p][i] * b[r][i], exactly, in int32
 * @dot_block4: BLOCK4-sparse row times @np patches: for the @nblk blocks
 *	with columns @col and values @val (4 each), acc[p] = sum over blocks j
 *	and i < 4 of a[p][col[j] * 4 + i] * val[j * 4 + i]; patch stride @k
 * @requant_s8: the GEMM epilogue: for @n channels i, out[i] =
 *	clamp(clamp(MBQM(@acc[i] + @bias[i], @rq[i]), -256, 256) + @zp, @lo,
 *	@hi), the sum taken modulo 2^32, MBQM as vis_mbqm(); every @rq[i]
 *	valid (vis_check_requant()), -128 <= @lo <= @hi <= 127
 * @gemm_s8_packed: @np (1..%VIS_GEMM_PIX) patches of @k int8 values (@k a
 *	multiple of 4; patch p at @a + p * @lda), stored biased to unsigned
 *	(byte i holds a[p][i] XOR 0x80, that is a[p][i] + 128, so SIMD
 *	kernels can feed them to unsigned-by-signed products as they are),
 *	times @n weight rows packed
 *	%VIS_GEMM_NR to a block: row j * %VIS_GEMM_NR + r, value i at @bp[j *
 *	%VIS_GEMM_NR * @k + (i / 4) * 4 * %VIS_GEMM_NR + r * 4 + i % 4], rows
 *	past @n zero; @bsum[r] the sum of row r, for the ALIGN(@n,
 *	%VIS_GEMM_NR) rows. acc[p * @ldc + r] = sum over i of a[p][i] *
 *	b[r][i], exactly, for r < @n (nothing else written). NULL when the
 *	table has no faster way than @gemm_s8
 * @dw_conv: depthwise convolution of a run of output pixels, channels
 *	innermost; see &struct vis_dw_args for the exact contract
 * @block4_tile: BLOCK4-sparse rows times a tile of @np (1..%VIS_BLOCK4_TILE)
 *	output pixels packed block-interleaved: with L = vis_block4_lanes(@np),
 *	the 4 values of reduction block kb of pixel p at @a[(kb * L + p) * 4],
 *	all L lanes of every block a column names readable. For each of the
 *	@nr rows r, the blocks j from @pos[r] on, before @end[r] and before
 *	the first with col[j] >= @kend (columns increase within a row; values
 *	@val, 4 each), add to acc[p * @ldc + r] (@ldc >= @nr) the sum over
 *	them and i < 4 of (a[(col[j] * L + p) * 4 + i] - @zp) * val[j * 4 +
 *	i], modulo 2^32, for p < @np, and advance @pos[r] past them. @zp in
 *	[-128, 127]; nothing else is written. Calls with increasing @kend
 *	walk the tile in L1-sized slices
 * @block4_tile32: as @block4_tile, for @np (1..%VIS_BLOCK4_TILE32) pixels
 *	in a tile of L = vis_block4_lanes32(@np) lanes whose values are
 *	biased: block kb of pixel p at @a[(kb * L + p) * 4] holds the input
 *	XOR 0x80 (as unsigned, input + 128); the sums are of the inputs less
 *	@zp, as in @block4_tile. @tmp: 16 * %VIS_BLOCK4_TILE32 s32 of
 *	scratch. NULL when the table has no faster way than @block4_tile
 * @block4_pack: pack @np (1..@lanes) patches for @block4_tile or
 *	@block4_tile32: tile[(kb * @lanes + p) * 4 + i] = src[p][kb * 4 + i]
 *	XOR byte i of @flip for kb < @nkb, p < @np, i < 4, and zero for the
 *	lanes p in [@np, @lanes); @lanes is 8, 16 or 32
 * @requant_px: @requant_s8 for @np pixels with split, prepared channel
 *	operands: out[p * @ldo + i] = clamp(clamp(MBQM(@acc[p * @ldacc + i] +
 *	@bias[i], @mult[i], @shift[i]), -256, 256) + @zp, @lo, @hi) for p <
 *	@np, i < @n; each (@mult[i], @shift[i]) a valid multiplier. NULL
 *	when the table has no faster way than @requant_s8 per pixel
 * @max_pool: one MAX_POOL output pixel: out[ch] = clamp(max over y < @ny,
 *	x < @nx of @in[y * @ystride + x * @c + ch], @lo, @hi) for ch < @c;
 *	@ny, @nx, @c >= 1, -128 <= @lo <= @hi <= 127; nothing else is read
 * @add_s8: @n elements of ADD, out[i] from @a[i] and @b[i] as &struct
 *	vis_add_args says
 * @gemm_s8_kidx: @gemm_s8_packed over the @nk groups of four reduction
 *	values @kidx[j] (increasing) a quad of @n (1..%VIS_GEMM_QUAD) rows
 *	keeps: group j of row r at @bp[(r / %VIS_GEMM_NR) * @nk * 4 *
 *	%VIS_GEMM_NR + j * 4 * %VIS_GEMM_NR + (r % %VIS_GEMM_NR) * 4 + i],
 *	multiplying patch bytes @kidx[j] * 4 + i (biased, as for
 *	@gemm_s8_packed); acc[p * @ldc + r] = the sum of those products,
 *	exactly, for r < @n (nothing else written); @bsum[r] the sum of row
 *	r's values, for the ALIGN(@n, %VIS_GEMM_NR) rows, rows past @n zero.
 *	NULL when the table has no faster way than the portable one
 * @copy_flip: @dst[i] = @src[i] XOR @flip for i < @n (the buffers do not
 *	overlap; nothing else written); gathers patches biased for
 *	@gemm_s8_packed. NULL when the table has no faster way than
 *	vis_copy_flip_ref()
 */
struct vis_kernels {
	const char *name;
	bool needs_fpu;
	void (*gemm_s8)(const s8 *a, u32 np, const s8 *b, u32 n, u32 k,
			s32 *acc);
	void (*dot_block4)(const s8 *a, u32 np, u32 k, const u32 *col,
			   const s8 *val, u32 nblk, s32 *acc);
	void (*requant_s8)(const s32 *acc, const s32 *bias,
			   const struct vision_model_requant *rq, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out);
	void (*gemm_s8_packed)(const u8 *a, u32 np, size_t lda, const s8 *bp,
			       const s32 *bsum, u32 n, u32 k, s32 *acc,
			       u32 ldc);
	void (*dw_conv)(const struct vis_dw_args *a);
	void (*block4_tile)(const s8 *a, u32 np, s32 zp, u32 *pos,
			    const u32 *end, u32 kend, u32 nr, const u32 *col,
			    const s8 *val, s32 *acc, u32 ldc);
	void (*block4_tile32)(const s8 *a, u32 np, s32 zp, u32 *pos,
			      const u32 *end, u32 kend, u32 nr, const u32 *col,
			      const s8 *val, s32 *acc, u32 ldc, s32 *tmp);
	void (*block4_pack)(const s8 *const *src, u32 np, u32 nkb, u32 lanes,
			    u32 flip, s8 *tile);
	void (*requant_px)(const s32 *acc, u32 np, u32 ldacc, const s32 *bias,
			   const s32 *mult, const s32 *shift, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out, size_t ldo);
	void (*max_pool)(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
			 s32 lo, s32 hi, s8 *out);
	void (*add_s8)(const s8 *a, const s8 *b, s8 *out, u32 n,
		       const struct vis_add_args *p);
	void (*copy_flip)(s8 *dst, const s8 *src, size_t n, u8 flip);
	void (*gemm_s8_kidx)(const u8 *a, u32 np, size_t lda, const s8 *bp,
			     const u32 *kidx, u32 nk, const s32 *bsum, u32 n,
			     s32 *acc, u32 ldc);
};

/* Rows per packed block and most patches per gemm_s8_packed call. */
#define VIS_GEMM_NR 16
#define VIS_GEMM_PIX 32
/* Rows that share the reduction groups gemm_s8_kidx() walks. */
#define VIS_GEMM_QUAD 64

/* Output pixels per &struct vis_kernels.block4_tile call. */
#define VIS_BLOCK4_TILE 16

/* Output pixels (and lanes) per &struct vis_kernels.block4_tile32 call. */
#define VIS_BLOCK4_TILE32 32

/* Pixel lanes per block of a block4_tile() tile of @np pixels. */
static inline u32 vis_block4_lanes(u32 np)
{
	return np > VIS_BLOCK4_TILE / 2 ? VIS_BLOCK4_TILE : VIS_BLOCK4_TILE / 2;
}

/* Pixel lanes per block of a block4_tile32() tile of @np pixels. */
static inline u32 vis_block4_lanes32(u32 np)
{
	return np > VIS_BLOCK4_TILE ? VIS_BLOCK4_TILE32 : vis_block4_lanes(np);
}

/* The block4_tile members of the SIMD tables (vis_simd_*_sparse.c). */
void vis_block4_tile_avx2(const s8 *a, u32 np, s32 zp, u32 *pos, const u32 *end,
			  u32 kend, u32 nr, const u32 *col, const s8 *val,
			  s32 *acc, u32 ldc);
void vis_block4_tile_avx512bw(const s8 *a, u32 np, s32 zp, u32 *pos,
			      const u32 *end, u32 kend, u32 nr, const u32 *col,
			      const s8 *val, s32 *acc, u32 ldc);
void vis_block4_tile_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				const u32 *end, u32 kend, u32 nr,
				const u32 *col, const s8 *val, s32 *acc,
				u32 ldc);
void vis_block4_tile32_avx512vnni(const s8 *a, u32 np, s32 zp, u32 *pos,
				  const u32 *end, u32 kend, u32 nr,
				  const u32 *col, const s8 *val, s32 *acc,
				  u32 ldc, s32 *tmp);
void vis_block4_tile_neon(const s8 *a, u32 np, s32 zp, u32 *pos, const u32 *end,
			  u32 kend, u32 nr, const u32 *col, const s8 *val,
			  s32 *acc, u32 ldc);

/* The dw_conv members of the SIMD tables (vis_simd_*_dw.c). */
void vis_dw_conv_avx2(const struct vis_dw_args *a);
void vis_dw_conv_avx512(const struct vis_dw_args *a);
void vis_dw_conv_avx512vnni(const struct vis_dw_args *a);
void vis_dw_conv_neon(const struct vis_dw_args *a);

void vis_requant_px_avx512(const s32 *acc, u32 np, u32 ldacc, const s32 *bias,
			   const s32 *mult, const s32 *shift, u32 n, s32 zp,
			   s32 lo, s32 hi, s8 *out, size_t ldo);

void vis_block4_pack_avx512(const s8 *const *src, u32 np, u32 nkb, u32 lanes,
			    u32 flip, s8 *tile);
void vis_block4_pack_ref(const s8 *const *src, u32 np, u32 nkb, u32 lanes,
			 u32 flip, s8 *tile);

/* The portable max_pool and add_s8, also in tables without their own. */
void vis_max_pool_ref(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
		      s32 lo, s32 hi, s8 *out);
void vis_add_s8_ref(const s8 *a, const s8 *b, s8 *out, u32 n,
		    const struct vis_add_args *p);

/* The portable copy_flip, for tables without their own. */
void vis_copy_flip_ref(s8 *dst, const s8 *src, size_t n, u8 flip);

/* The element-wise members of the x86 SIMD tables (vis_simd_x86_*_elt.c). */
void vis_max_pool_avx2(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
		       s32 lo, s32 hi, s8 *out);
void vis_max_pool_avx512(const s8 *in, u32 ny, u32 nx, size_t ystride, u32 c,
			 s32 lo, s32 hi, s8 *out);
void vis_add_s8_avx512(const s8 *a, const s8 *b, s8 *out, u32 n,
		       const struct vis_add_args *p);
void vis_copy_flip_avx512(s8 *dst, const s8 *src, size_t n, u8 flip);

/* The portable reference every SIMD table must match bit for bit. */
extern const struct vis_kernels vis_kernels_portable;

/**
 * vis_kernels_best() - the fastest kernel table this CPU supports
 *
 * Return: a static table; the portable one when no SIMD path applies.
 */
const struct vis_kernels *vis_kernels_best(void);

/**
 * vis_kernels_by_name() - a kernel table by name, for tests and benchmarks
 * @name: as in &struct vis_kernels.name
 *
 * Return: the table, or NULL when unknown or not supported by this CPU.
 */
const struct vis_kernels *vis_kernels_by_name(const char *name);

/**
 * struct vis_exec - one inference's execution context
 * @model: the validated model
 * @arena: model->arena_size bytes of activation memory, 64-byte aligned
 * @scratch: model->scratch_size bytes for the worker running the ops
 * @k: kernel table (vis_kernels_best() unless testing)
 * @should_stop: called between chunks of work; true cancels the run. May
 *	be NULL
 * @op_done: called after each operator with its index (profiling). May be
 *	NULL
 * @priv: passed to the callbacks
 */
struct vis_exec {
	const struct vis_model *model;
	u8 *arena;
	u8 *scratch;
	const struct vis_kernels *k;
	bool (*should_stop)(void *priv);
	void (*op_done)(void *priv, u32 op);
	void *priv;
};

/* Upper bound on the work between two should_stop() checks, in MACs. */
#define VIS_ENGINE_CHUNK_MACS 4194304u

/**
 * vis_engine_op_units() - independent work units of an operator
 * @m: validated model
 * @op: operator index
 *
 * Return: the number of units; units may run in any order or in parallel
 * (each with its own scratch memory).
 */
u32 vis_engine_op_units(const struct vis_model *m, u32 op);

/**
 * vis_engine_op_unit_macs() - cost of one unit, for chunking
 * @m: validated model
 * @op: operator index
 *
 * Return: approximate multiply-accumulates (or element operations) per
 * unit, at least 1.
 */
u64 vis_engine_op_unit_macs(const struct vis_model *m, u32 op);

/**
 * vis_engine_op_run() - run units [@begin, @end) of operator @op
 * @x: execution context
 * @op: operator index
 * @begin: first unit
 * @end: one past the last unit, at most vis_engine_op_units()
 */
void vis_engine_op_run(const struct vis_exec *x, u32 op, u32 begin, u32 end);

/**
 * vis_engine_run() - run every operator in order, on the calling thread
 * @x: execution context
 *
 * Checks @x->should_stop at least every %VIS_ENGINE_CHUNK_MACS.
 *
 * Return: 0, or -ECANCELED when stopped.
 */
int vis_engine_run(const struct vis_exec *x);

/**
 * struct vis_frame - a camera frame in memory
 * @fourcc: V4L2 pixel format (V4L2_PIX_FMT_* value)
 * @width: frame width in pixels
 * @height: frame height in pixels
 * @planes: plane base addresses (NV12/NV21: [0] luma, [1] chroma)
 * @strides: bytes per line of each plane
 * @plane_sizes: bytes available from each plane base
 * @crop_x: left of the region to use
 * @crop_y: top of the region
 * @crop_w: width of the region, >= 1
 * @crop_h: height of the region, >= 1
 */
struct vis_frame {
	u32 fourcc;
	u32 width;
	u32 height;
	const u8 *planes[2];
	u32 strides[2];
	u64 plane_sizes[2];
	u32 crop_x;
	u32 crop_y;
	u32 crop_w;
	u32 crop_h;
};

/**
 * struct vis_frame_desc - a frame as a job describes it
 * @fourcc: V4L2 pixel format code
 * @width: pixels
 * @height: pixels
 * @num_planes: 1, or 2 for NV12/NV21
 * @offsets: byte offset of each plane from the buffer's start
 * @strides: bytes per line of each plane
 * @crop_x: crop rectangle; all four zero: the whole frame
 * @crop_y: see @crop_x
 * @crop_w: see @crop_x
 * @crop_h: see @crop_x
 *
 * The members of the uapi's &struct drm_vision_frame and of libvision's
 * public frame, so the kernel and the library check frames alike.
 */
struct vis_frame_desc {
	u32 fourcc;
	u32 width;
	u32 height;
	u32 num_planes;
	u64 offsets[2];
	u32 strides[2];
	u32 crop_x;
	u32 crop_y;
	u32 crop_w;
	u32 crop_h;
};

/**
 * vis_frame_setup() - a frame in a buffer, checked against a model
 * @m: validated model
 * @d: the frame's description
 * @base: start of the buffer holding the planes
 * @size: bytes of the buffer
 * @f: receives the frame
 *
 * Checks the format and its plane count, that every plane starts inside
 * the buffer, that a single-plane format leaves plane 1 zero, then
 * everything vis_input_check() checks.
 *
 * Return: 0, -EOPNOTSUPP for an unsupported format, -EINVAL otherwise.
 */
int vis_frame_setup(const struct vis_model *m, const struct vis_frame_desc *d,
		    const u8 *base, u64 size, struct vis_frame *f);

/**
 * vis_input_check() - check a frame against a model's input stage
 * @m: validated model
 * @f: the frame
 *
 * Checks the format is supported, the crop lies inside the frame, and
 * every byte the input stage will read lies within the planes.
 *
 * Return: 0, -EOPNOTSUPP for an unsupported format, -EINVAL otherwise.
 */
int vis_input_check(const struct vis_model *m, const struct vis_frame *f);

/**
 * vis_input_planes() - planes of a pixel format
 * @fourcc: V4L2 pixel format code
 *
 * Return: 1 or 2 for a format the input stage reads, 0 otherwise.
 */
u32 vis_input_planes(u32 fourcc);

/**
 * vis_input_rows() - independent work units of the input stage
 * @m: validated model
 *
 * Return: the input tensor's height.
 */
u32 vis_input_rows(const struct vis_model *m);

/**
 * vis_input_run() - convert rows [@begin, @end) of the input tensor
 * @x: execution context (arena receives the input tensor)
 * @f: a frame that passed vis_input_check()
 * @begin: first output row
 * @end: one past the last output row
 */
void vis_input_run(const struct vis_exec *x, const struct vis_frame *f,
		   u32 begin, u32 end);

#endif /* __VIS_ENGINE_H__ */
