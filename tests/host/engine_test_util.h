/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Helpers shared by the engine host tests: a seeded xorshift64* RNG,
 * TFLite's QuantizeMultiplier, one-operator models (built with the model
 * builder, validated, run on exactly-sized arena and scratch buffers
 * filled with garbage) and the list of kernel tables to try.
 */
#ifndef TESTS_ENGINE_TEST_UTIL_H
#define TESTS_ENGINE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vis_engine.h"
#include "model_builder.h"

/* ---- random numbers ------------------------------------------------------ */

/* xorshift64* state: set it directly or through rng_seed(). */
extern uint64_t rng_state;

void rng_seed(uint64_t seed);

/*
 * Plain xorshift64 over the caller's own @state: a float uniform in
 * [-1, 1), for tests that keep a generator of their own.
 */
float xorshift_unit(uint64_t *state);
uint32_t rnd(void);
/* Uniform in [lo, hi]. */
int32_t rnd_range(int32_t lo, int32_t hi);
/* Uniform in [0, 1). */
double rnd_unit(void);
void rnd_fill(int8_t *p, size_t n);
/* A Q31 multiplier, often at the edges of its range. */
int32_t rnd_multiplier(void);
/* An activation range: often the full int8 range, else a random one. */
void rnd_act(int32_t *lo, int32_t *hi);

/* TFLite QuantizeMultiplier: real = m * 2^(shift - 31). */
struct vision_model_requant quantize(double real);

/* Clamp in 64 bits: the zero point is added without overflow. */
static inline int8_t clamp64(int64_t v, int32_t lo, int32_t hi)
{
	return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

static inline uint64_t elems(const uint32_t s[4])
{
	return (uint64_t)s[0] * s[1] * s[2] * s[3];
}

/* ---- kernel tables --------------------------------------------------------- */

/* Every table the engine may have; vis_kernels_by_name() is NULL for
 * those this CPU lacks. */
#define NUM_KERNEL_TABLES 5
extern const char *const kernel_table_names[NUM_KERNEL_TABLES];

/* @k: each kernel table this CPU has, @i an unsigned loop index. */
#define for_each_kernel_table(k, i)                   \
	for ((i) = 0; (i) < NUM_KERNEL_TABLES; (i)++) \
		if (((k) = vis_kernels_by_name(kernel_table_names[i])))

/* ---- models fed through a GREY frame ----------------------------------- */

struct model {
	void *blob;
	size_t size;
	uint32_t op; /* index of the operator under test */
	uint64_t frame_off;
	uint64_t frame_elems;
	uint64_t out_off;
	uint64_t out_elems;
};

/* The input-stage tensor: a GREY [1,H,W,1] frame. */
uint32_t add_frame(struct vmb *b, uint32_t h, uint32_t w, int32_t zp);
/* RESHAPE of @src to @shape: a view at the same offset. */
uint32_t add_reshape(struct vmb *b, uint32_t src, const uint32_t shape[4]);
/* A frame of @shape's elements viewed as @shape. */
uint32_t add_input(struct vmb *b, const uint32_t shape[4], int32_t zp,
		   uint32_t *frame);
/*
 * An operand of @shape: a frame viewed as @shape, or (@as_const) an
 * all-zero constant, with a 1x1 frame beside it as the input stage.
 */
uint32_t add_input_or_const(struct vmb *b, const uint32_t shape[4], int32_t zp,
			    bool as_const, uint32_t *frame);
uint32_t add_table(struct vmb *b, const int8_t table[256]);
uint32_t add_identity_table(struct vmb *b);
/* LUT of @src through @table into a new tensor with zero point @zp. */
uint32_t add_lut(struct vmb *b, uint32_t src, const uint32_t shape[4],
		 uint32_t table, int32_t zp);
/* MAX_POOL 1x1 with strides (@sh, @sw): picks rows and columns. */
uint32_t add_pick(struct vmb *b, uint32_t src, uint32_t h, uint32_t w,
		  uint32_t sh, uint32_t sw, int32_t zp);
/* Output @out, lay out the blob, free @b and remember where things are. */
int finish(struct vmb *b, uint32_t frame, uint32_t out, uint32_t op,
	   struct model *md);
/*
 * Validate, fill the frame, run on the portable kernels, copy the output.
 * @by_units: run every operator one unit at a time, last unit first, to
 * show the units are independent.
 */
int run_model(const struct model *md, const int8_t *frame, int8_t *out,
	      bool by_units, struct vis_engine_error *err);
/* Validation must fail at operator md->op, in the ops section. */
bool rejected_at_op_log(const char *test, const struct model *md);
#define rejected_at_op(meta, md) rejected_at_op_log((meta)->name, md)
/* Run @md on @fr both ways and compare with @want; false on mismatch. */
bool run_and_compare_log(const char *test, const struct model *md,
			 const int8_t *fr, const int8_t *want,
			 const char *what);
#define run_and_compare(meta, md, fr, want, what) \
	run_and_compare_log((meta)->name, md, fr, want, what)
/*
 * Finish @b (NULL: false), fill a random frame, let @ref compute the
 * expected output of case @k from it and run_and_compare().
 */
typedef void frame_ref_fn(const void *k, const int8_t *frame, int8_t *want);
bool check_frame_model_log(const char *test, struct vmb *b, uint32_t frame,
			   uint32_t out, uint32_t op, frame_ref_fn *ref,
			   const void *k, const char *what);
#define check_frame_model(meta, b, frame, out, op, ref, k, what) \
	check_frame_model_log((meta)->name, b, frame, out, op, ref, k, what)

/* ---- one operator on an input of any shape ------------------------------ */

struct one_op {
	void *blob;
	size_t size;
	uint32_t op_index;
	uint64_t in_off;
	uint64_t out_off;
	uint64_t elems_in;
	uint64_t elems_out;
};

enum input_kind {
	INPUT_ARENA,
	INPUT_CONST_INT8,
	INPUT_CONST_INT32,
};

/*
 * A model running one operator @type on an input of @ishape. The input
 * stage accepts only [1,H,W,1|3] tensors, so other shapes are made by a
 * RESHAPE view of a [1, N*H, W*C, 1] input.
 */
int build_one_op(uint32_t type, const uint32_t ishape[4], int32_t izp,
		 const uint32_t oshape[4], int32_t ozp, float oscale,
		 const union vision_model_op_params *p, enum input_kind kind,
		 struct one_op *o);
/* Validation of @o must fail at its operator, in the ops section. */
bool one_op_rejected_log(const char *test, const struct one_op *o,
			 const char *what);
#define one_op_rejected(meta, o, what) \
	one_op_rejected_log((meta)->name, o, what)
/* Validate, fill the input, run on the portable kernels, copy the output. */
int run_one_op(const struct one_op *o, const int8_t *input, int8_t *output,
	       struct vis_engine_error *err);

#endif /* TESTS_ENGINE_TEST_UTIL_H */
