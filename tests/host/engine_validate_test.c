// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The model validator against malformed models: every header and
 * section-table field, every tensor, operator, output and input-stage
 * field, truncation at every length, and random single-byte mutations.
 * A model the validator accepts is run, so that with the -san build any
 * read or write outside the blob, the arena or the scratch memory is
 * caught: each buffer is allocated with exactly the size the model
 * reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "vis_engine.h"
#include "model_builder.h"
#include "../fuzz/test_models.h"

#include "kselftest_harness.h"

/* Wildcard for the expected section or index of an error. */
#define ANY 0xfffffffeu
#define NUM_MODELS 3

static struct vision_model_header *hdr(void *blob)
{
	return blob;
}

static void *section(void *blob, unsigned int s)
{
	return (uint8_t *)blob + hdr(blob)->sections[s].offset;
}

static struct vision_model_tensor *tens(void *blob)
{
	return section(blob, VISION_MODEL_SECTION_TENSORS);
}

static struct vision_model_op *ops(void *blob)
{
	return section(blob, VISION_MODEL_SECTION_OPS);
}

static struct vision_model_output *outs(void *blob)
{
	return section(blob, VISION_MODEL_SECTION_OUTPUTS);
}

static struct vision_model_input_stage *stage(void *blob)
{
	return section(blob, VISION_MODEL_SECTION_INPUT);
}

static uint64_t sec_size(void *blob, unsigned int s)
{
	return hdr(blob)->sections[s].size;
}

static uint8_t *dup_blob(const struct tm_model *m)
{
	uint8_t *p = malloc(m->size);

	if (p)
		memcpy(p, m->blob, m->size);
	return p;
}

/* Feed the input stage frames of a few formats, if the model takes them. */
static void run_input_stage(const struct vis_exec *x)
{
	static const struct {
		uint32_t fourcc;
		uint32_t bpp_num, bpp_den; /* bytes per pixel of plane 0 */
		int nv;
	} fmts[] = {
		{ V4L2_PIX_FMT_RGB24, 3, 1, 0 },
		{ V4L2_PIX_FMT_BGR24, 3, 1, 0 },
		{ V4L2_PIX_FMT_YUYV, 2, 1, 0 },
		{ V4L2_PIX_FMT_GREY, 1, 1, 0 },
		{ V4L2_PIX_FMT_NV12, 1, 1, 1 },
	};
	const uint32_t w = 22, h = 14;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct vis_frame f;
		uint8_t *p0, *p1 = NULL;
		size_t s0, s1 = 0, j;

		memset(&f, 0, sizeof(f));
		f.fourcc = fmts[i].fourcc;
		f.width = w;
		f.height = h;
		f.strides[0] = w * fmts[i].bpp_num / fmts[i].bpp_den;
		s0 = (size_t)f.strides[0] * h;
		p0 = malloc(s0);
		if (fmts[i].nv) {
			f.strides[1] = w;
			s1 = (size_t)w * h / 2;
			p1 = malloc(s1);
		}
		if (!p0 || (fmts[i].nv && !p1)) {
			free(p0);
			free(p1);
			return;
		}
		for (j = 0; j < s0; j++)
			p0[j] = (uint8_t)(j * 7);
		for (j = 0; j < s1; j++)
			p1[j] = (uint8_t)(j * 13);
		f.planes[0] = p0;
		f.planes[1] = p1;
		f.plane_sizes[0] = s0;
		f.plane_sizes[1] = s1;
		f.crop_x = 1;
		f.crop_y = 2;
		f.crop_w = w - 3;
		f.crop_h = h - 2;
		if (!vis_input_check(x->model, &f))
			vis_input_run(x, &f, 0, vis_input_rows(x->model));
		free(p0);
		free(p1);
	}
}

/*
 * Run a validated model with kernel table @k: arena and scratch of exactly
 * the reported sizes. On success *@arena_out (if given) keeps the arena.
 */
static int run_model(const struct vis_model *vm, const struct vis_kernels *k,
		     int with_input, uint8_t **arena_out)
{
	struct vis_exec x;
	void *arena = NULL;
	uint8_t *scratch;
	int ret;

	if (posix_memalign(&arena, 64, vm->arena_size ? vm->arena_size : 1))
		return -ENOMEM;
	scratch = malloc(vm->scratch_size ? vm->scratch_size : 1);
	if (!scratch) {
		free(arena);
		return -ENOMEM;
	}
	/* Deterministic contents, so runs can be compared. */
	memset(arena, 0x11, vm->arena_size);
	memset(&x, 0, sizeof(x));
	x.model = vm;
	x.arena = arena;
	x.scratch = scratch;
	x.k = k;
	if (with_input)
		run_input_stage(&x);
	ret = vis_engine_run(&x);
	free(scratch);
	if (arena_out && !ret)
		*arena_out = arena;
	else
		free(arena);
	return ret;
}

/*
 * Validate a private copy of exactly @size bytes, so ASan sees any read
 * past the end; an accepted model is also run.
 */
static int validate_copy(const void *blob, size_t size,
			 struct vis_engine_error *e)
{
	struct vis_model vm;
	void *copy = malloc(size ? size : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, blob, size);
	ret = vis_model_validate(&vm, copy, size, e);
	if (!ret) {
		run_model(&vm, &vis_kernels_portable, 1, NULL);
		run_model(&vm, vis_kernels_best(), 0, NULL);
	}
	free(copy);
	return ret;
}

static void expect_reject(struct __test_metadata *_metadata, const void *blob,
			  size_t size, uint32_t sec, uint32_t index,
			  const char *what, int line)
{
	struct vis_engine_error e;
	int ret = validate_copy(blob, size, &e);

	EXPECT_GT(0, ret)
	{
		TH_LOG("line %d: %s: accepted", line, what);
	}
	if (ret >= 0)
		return;
	EXPECT_EQ(ret, e.err);
	if (sec != ANY)
		EXPECT_EQ(sec, e.section)
		{
			TH_LOG("line %d: %s: rejected in section %u index %u (%s: %s)",
			       line, what, e.section, e.index, e.field, e.msg);
		}
	if (index != ANY)
		EXPECT_EQ(index, e.index)
		{
			TH_LOG("line %d: %s: rejected in section %u index %u (%s: %s)",
			       line, what, e.section, e.index, e.field, e.msg);
		}
}

/*
 * Copy model @m to `b`, apply the statements, fix the CRC and expect the
 * validator to reject the result in section @sec at entry @idx.
 */
#define MUTATE(m, sec, idx, ...)                                               \
	do {                                                                   \
		uint8_t *b = dup_blob(m);                                      \
		ASSERT_NE(NULL, b);                                            \
		__VA_ARGS__;                                                   \
		vmb_fix_crc(b, (m)->size);                                     \
		expect_reject(_metadata, b, (m)->size, sec, idx, #__VA_ARGS__, \
			      __LINE__);                                       \
		free(b);                                                       \
	} while (0)

#define S_HDR VIS_ERR_SECTION_HEADER
#define S_TENSORS VISION_MODEL_SECTION_TENSORS
#define S_OPS VISION_MODEL_SECTION_OPS
#define S_CONST VISION_MODEL_SECTION_CONST
#define S_INPUT VISION_MODEL_SECTION_INPUT
#define S_OUTPUTS VISION_MODEL_SECTION_OUTPUTS
#define S_NAMES VISION_MODEL_SECTION_NAMES

FIXTURE(models)
{
	struct tm_model m[NUM_MODELS];
};

FIXTURE_SETUP(models)
{
	ASSERT_EQ(0, tm_classifier_default(&self->m[0]));
	ASSERT_EQ(0, tm_sparse(&self->m[1], 0));
	ASSERT_EQ(0, tm_misc(&self->m[2], 0));
}

FIXTURE_TEARDOWN(models)
{
	int i;

	for (i = 0; i < NUM_MODELS; i++)
		free(self->m[i].blob);
}

/* The builder lays out what vision_model.h describes. */
TEST_F(models, builder_layout)
{
	static const uint32_t entry[VISION_MODEL_SECTION_COUNT] = {
		[VISION_MODEL_SECTION_TENSORS] =
			sizeof(struct vision_model_tensor),
		[VISION_MODEL_SECTION_OPS] = sizeof(struct vision_model_op),
		[VISION_MODEL_SECTION_OUTPUTS] =
			sizeof(struct vision_model_output),
	};
	int i, s;

	for (i = 0; i < NUM_MODELS; i++) {
		struct tm_model *m = &self->m[i];
		struct vision_model_header *h = m->blob;
		uint32_t crc = h->crc32;
		const char *names;
		uint64_t end = sizeof(*h);

		ASSERT_EQ(VISION_MODEL_MAGIC, h->magic);
		ASSERT_EQ(VISION_MODEL_VERSION, h->version);
		ASSERT_EQ(sizeof(*h), h->header_size);
		ASSERT_EQ(m->size, h->file_size);
		ASSERT_EQ(0, h->flags);
		for (s = 0; s < VISION_MODEL_SECTION_COUNT; s++) {
			const struct vision_model_section *sc = &h->sections[s];

			ASSERT_LE(end, sc->offset);
			ASSERT_EQ(0, sc->offset % 8);
			ASSERT_EQ(entry[s], sc->entry_size);
			if (entry[s]) {
				ASSERT_EQ((uint64_t)sc->count * entry[s],
					  sc->size);
			} else {
				ASSERT_EQ(0, sc->count);
			}
			end = sc->offset + sc->size;
		}
		ASSERT_EQ(m->size, end);
		ASSERT_EQ(0, h->sections[VISION_MODEL_SECTION_CONST].offset %
				     VISION_MODEL_CONST_ALIGN);
		ASSERT_EQ(m->num_tensors,
			  h->sections[VISION_MODEL_SECTION_TENSORS].count);
		ASSERT_EQ(m->num_ops,
			  h->sections[VISION_MODEL_SECTION_OPS].count);
		ASSERT_EQ(m->num_outputs,
			  h->sections[VISION_MODEL_SECTION_OUTPUTS].count);
		ASSERT_EQ(sizeof(struct vision_model_input_stage),
			  sec_size(m->blob, VISION_MODEL_SECTION_INPUT));
		names = section(m->blob, VISION_MODEL_SECTION_NAMES);
		ASSERT_EQ('\0',
			  names[sec_size(m->blob, VISION_MODEL_SECTION_NAMES) -
				1]);

		/* CRC of the blob with the crc member zero. */
		h->crc32 = 0;
		ASSERT_EQ(crc, vis_crc32(0, m->blob, m->size));
		vmb_fix_crc(m->blob, m->size);
		ASSERT_EQ(crc, h->crc32);
	}

	/* Names are stored once: both convs share their weights' name. */
	{
		void *blob = self->m[0].blob;
		const char *names = section(blob, VISION_MODEL_SECTION_NAMES);
		struct vision_model_tensor *t = tens(blob);
		uint64_t n = sec_size(blob, VISION_MODEL_SECTION_NAMES);
		const char *p = memmem(names, n, "conv.weights", 13);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(NULL, memmem(p + 1, n - (p + 1 - names),
				       "conv.weights", 13));
		ASSERT_EQ(t[1].name, t[4].name);
		ASSERT_STREQ("input", names + t[0].name);
		/* Unnamed tensors and ops in the third model. */
		ASSERT_EQ(VISION_MODEL_NO_NAME, tens(self->m[2].blob)[0].name);
		ASSERT_EQ(VISION_MODEL_NO_NAME, ops(self->m[2].blob)[0].name);
		/* Per-tensor weights have no channel scales. */
		ASSERT_EQ(0xffffffffu, t[9].channel_scales);
		ASSERT_NE(0xffffffffu, t[1].channel_scales);
	}
}

TEST(builder_errors)
{
	uint32_t shape[4] = { 1, 2, 2, 1 };
	struct vmb *b = vmb_new();
	uint32_t a, in[1];
	void *blob = NULL;
	size_t size = 0;

	ASSERT_NE(NULL, b);
	a = vmb_arena_tensor(b, shape, 0, 1.0f, "a");
	ASSERT_EQ(0, a);
	ASSERT_EQ(1, vmb_arena_tensor(b, shape, 0, 1.0f, "b"));
	ASSERT_EQ(16, vmb_tensor_at(b, 1)->offset);
	vmb_set_offset(b, 1, 128);
	ASSERT_EQ(192, vmb_arena_size(b));
	in[0] = 7; /* no such tensor */
	vmb_op(b, VISION_MODEL_OP_RESHAPE, in, 1, 1, NULL, NULL);
	vmb_output(b, 1, NULL, 0);
	ASSERT_EQ(-EINVAL, vmb_finish(b, &blob, &size));
	ASSERT_EQ(NULL, blob);
	vmb_free(b);

	b = vmb_new();
	ASSERT_NE(NULL, b);
	/* Bad alignment of constant data. */
	vmb_const(b, "abc", 3, 3);
	ASSERT_EQ(-EINVAL, vmb_finish(b, &blob, &size));
	vmb_free(b);
}

TEST_F(models, valid_models_validate)
{
	int i;

	for (i = 0; i < NUM_MODELS; i++) {
		struct tm_model *m = &self->m[i];
		struct vis_engine_error e;
		struct vis_model vm;
		int ret;

		ret = vis_model_validate(&vm, m->blob, m->size, &e);
		EXPECT_EQ(0, ret)
		{
			TH_LOG("model %d: section %u index %u %s: %s", i,
			       e.section, e.index, e.field, e.msg);
		}
		if (ret)
			continue;
		EXPECT_EQ(m->num_tensors, vm.num_tensors);
		EXPECT_EQ(m->num_ops, vm.num_ops);
		EXPECT_EQ(m->num_outputs, vm.num_outputs);
		EXPECT_EQ(hdr(m->blob)->arena_size, vm.arena_size);
		EXPECT_EQ(0, vm.arena_size % 64);
	}
}

/* The informative floats may hold anything, NaN included. */
TEST_F(models, informative_fields)
{
	struct tm_model *m = &self->m[0];
	struct vis_engine_error e;
	struct vis_model vm;
	uint8_t *b = dup_blob(m);
	uint32_t i, nan = 0x7fc00001;

	ASSERT_NE(NULL, b);
	for (i = 0; i < m->num_tensors; i++)
		tens(b)[i].scale = nan;
	for (i = 0; i < 3; i++) {
		stage(b)->mean[i] = nan;
		stage(b)->std[i] = 0;
	}
	vmb_fix_crc(b, m->size);
	EXPECT_EQ(0, vis_model_validate(&vm, b, m->size, &e))
	{
		TH_LOG("%u/%u %s: %s", e.section, e.index, e.field, e.msg);
	}
	free(b);
}

TEST_F(models, valid_models_run)
{
	const struct vis_kernels *best = vis_kernels_best();
	int i;

	ASSERT_NE(NULL, best);
	ASSERT_EQ(&vis_kernels_portable, vis_kernels_by_name("portable"));
	for (i = 0; i < NUM_MODELS; i++) {
		struct tm_model *m = &self->m[i];
		uint8_t *a1 = NULL, *a2 = NULL;
		struct vis_model vm;

		if (vis_model_validate(&vm, m->blob, m->size, NULL))
			continue; /* reported by valid_models_validate */
		ASSERT_EQ(0, run_model(&vm, &vis_kernels_portable, 0, &a1));
		ASSERT_EQ(0, run_model(&vm, best, 0, &a2));
		/* SIMD and portable kernels agree bit for bit. */
		EXPECT_EQ(0, memcmp(a1, a2, vm.arena_size))
		{
			TH_LOG("model %d: %s differs from portable", i,
			       best->name);
		}
		free(a1);
		free(a2);
		/* And the input stage runs on synthetic frames. */
		ASSERT_EQ(0, run_model(&vm, best, 1, NULL));
	}
}

TEST_F(models, misaligned_blob)
{
	struct tm_model *m = &self->m[0];
	struct vis_engine_error e;
	struct vis_model vm;
	uint8_t *b = malloc(m->size + 8);

	ASSERT_NE(NULL, b);
	memcpy(b + 4, m->blob, m->size);
	EXPECT_GT(0, vis_model_validate(&vm, b + 4, m->size, &e));
	/* A rejected model leaves no usable view behind. */
	EXPECT_EQ(0, vm.num_ops);
	EXPECT_EQ(NULL, vm.blob);
	free(b);
}

/* Every length short of the whole model is rejected, without a crash. */
TEST_F_TIMEOUT(models, truncated, 120)
{
	int i;

	for (i = 0; i < NUM_MODELS; i++) {
		struct tm_model *m = &self->m[i];
		struct vis_engine_error e;
		uint8_t *b = dup_blob(m);
		size_t len;

		ASSERT_NE(NULL, b);
		for (len = 0; len < m->size; len++) {
			int ret = validate_copy(m->blob, len, &e);

			EXPECT_GT(0, ret)
			{
				TH_LOG("model %d cut to %zu bytes accepted", i,
				       len);
			}
			/* Also with a header that agrees with the length. */
			if (len < sizeof(struct vision_model_header))
				continue;
			hdr(b)->file_size = len;
			vmb_fix_crc(b, len);
			ret = validate_copy(b, len, &e);
			EXPECT_GT(0, ret)
			{
				TH_LOG("model %d cut to %zu bytes (header fixed) accepted",
				       i, len);
			}
		}
		free(b);
	}
}

TEST_F(models, crc_mismatch)
{
	struct tm_model *m = &self->m[0];
	struct vis_engine_error e;
	uint8_t *b = dup_blob(m);
	size_t pos;

	ASSERT_NE(NULL, b);
	/* Flip one bit anywhere (CRC not fixed): always caught. */
	for (pos = 0; pos < m->size; pos += 7) {
		int ret;

		b[pos] ^= 1u << (pos % 8);
		ret = validate_copy(b, m->size, &e);
		EXPECT_GT(0, ret);
		/* Past the fields checked before the CRC: the CRC. */
		if (pos >= offsetof(struct vision_model_header, sections)) {
			EXPECT_EQ(-EINVAL, ret);
			EXPECT_STREQ("crc32", e.field);
		}
		b[pos] ^= 1u << (pos % 8);
	}
	hdr(b)->crc32 ^= 0x80000000u;
	EXPECT_EQ(-EINVAL, validate_copy(b, m->size, &e));
	EXPECT_EQ(VIS_ERR_SECTION_HEADER, e.section);
	EXPECT_STREQ("crc32", e.field);
	hdr(b)->crc32 = 0;
	EXPECT_EQ(-EINVAL, validate_copy(b, m->size, &e));
	free(b);
}

TEST_F(models, header_fields)
{
	struct tm_model *m = &self->m[0];
	struct vision_model_header *h = m->blob;
	uint64_t size = m->size;
	uint64_t need = 0;
	uint32_t i;

	/* The end of the highest arena tensor: the least valid arena_size. */
	for (i = 0; i < m->num_tensors; i++) {
		const struct vision_model_tensor *t = &tens(m->blob)[i];

		if (t->location == VISION_MODEL_LOC_ARENA &&
		    t->offset + t->size > need)
			need = t->offset + t->size;
	}

	MUTATE(m, S_HDR, ANY, hdr(b)->magic = 0);
	MUTATE(m, S_HDR, ANY, hdr(b)->magic = 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->magic = VISION_MODEL_MAGIC + 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->magic = 0x564e4d31); /* byte-swapped */
	MUTATE(m, S_HDR, ANY, hdr(b)->magic = 0xffffffff);
	MUTATE(m, S_HDR, ANY, hdr(b)->version = 0);
	MUTATE(m, S_HDR, ANY, hdr(b)->version = VISION_MODEL_VERSION + 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->version = 0xffffffff);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = 0);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = sizeof(*h) - 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = sizeof(*h) + 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = sizeof(*h) + 8);
	MUTATE(m, S_HDR, ANY, hdr(b)->header_size = 0xffffffff);
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = 0);
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = size - 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = size + 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = size + (1ull << 32));
	MUTATE(m, S_HDR, ANY, hdr(b)->file_size = UINT64_MAX);
	MUTATE(m, ANY, ANY, hdr(b)->arena_size = 0);
	MUTATE(m, ANY, ANY, hdr(b)->arena_size = 1);
	MUTATE(m, ANY, ANY, hdr(b)->arena_size = need - 1);
	MUTATE(m, S_HDR, ANY,
	       hdr(b)->arena_size = (uint64_t)VISION_MODEL_MAX_ARENA + 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->arena_size = 1ull << 32);
	MUTATE(m, S_HDR, ANY, hdr(b)->arena_size = UINT64_MAX);
	MUTATE(m, S_HDR, ANY, hdr(b)->flags = 1);
	MUTATE(m, S_HDR, ANY, hdr(b)->flags = 0x80000000u);
	for (i = 0; i < 3; i++) {
		MUTATE(m, S_HDR, ANY, hdr(b)->reserved[i] = 1);
		MUTATE(m, S_HDR, ANY, hdr(b)->reserved[i] = 0xffffffff);
	}
}

TEST_F(models, section_table)
{
	struct tm_model *m = &self->m[0];
	struct vision_model_header *h = m->blob;
	uint64_t size = m->size;
	unsigned int s;

	for (s = 0; s < VISION_MODEL_SECTION_COUNT; s++) {
		const struct vision_model_section *sc = &h->sections[s];
		uint64_t off = sc->offset, sz = sc->size;
		uint64_t next = s + 1 < VISION_MODEL_SECTION_COUNT ?
					h->sections[s + 1].offset :
					size;
		uint32_t es = sc->entry_size, cnt = sc->count;
		struct vision_model_section *t;

#define SEC (t = &hdr(b)->sections[s])
		/* offset */
		MUTATE(m, ANY, ANY, SEC->offset = 0);
		MUTATE(m, ANY, ANY, SEC->offset = 1);
		MUTATE(m, ANY, ANY, SEC->offset = off + 1);
		MUTATE(m, ANY, ANY, SEC->offset = off + 8);
		MUTATE(m, ANY, ANY, SEC->offset = off - 8);
		MUTATE(m, ANY, ANY, SEC->offset = size);
		MUTATE(m, ANY, ANY, SEC->offset = size - sz + 8);
		MUTATE(m, ANY, ANY, SEC->offset = 1ull << 32);
		MUTATE(m, ANY, ANY, SEC->offset = UINT64_MAX - 7);
		/* offset + size overflows to a small number */
		MUTATE(m, ANY, ANY, SEC->offset = UINT64_MAX - 63;
		       t->size = 64 + 8);
		MUTATE(m, ANY, ANY, SEC->size = UINT64_MAX - off + 9);
		/* size */
		if (sz)
			MUTATE(m, ANY, ANY, SEC->size = 0);
		MUTATE(m, ANY, ANY, SEC->size = sz - 1);
		MUTATE(m, ANY, ANY, SEC->size = next - off + 1);
		MUTATE(m, ANY, ANY, SEC->size = size);
		MUTATE(m, ANY, ANY, SEC->size = 1ull << 32);
		MUTATE(m, ANY, ANY, SEC->size = UINT64_MAX);
		/* grown into the next section, which moved along */
		if (s != VISION_MODEL_SECTION_INPUT &&
		    s + 1 < VISION_MODEL_SECTION_COUNT)
			MUTATE(m, ANY, ANY, SEC->size = sz + 8;
			       hdr(b)->sections[s + 1].offset += 8);
		/* count and entry_size */
		MUTATE(m, s, ANY, SEC->count = cnt + 1);
		MUTATE(m, s, ANY, SEC->count = 0xffffffff);
		MUTATE(m, s, ANY, SEC->entry_size = es + 1);
		MUTATE(m, s, ANY, SEC->entry_size = 0xffffffff);
		if (cnt) {
			MUTATE(m, s, ANY, SEC->count = 0);
			MUTATE(m, s, ANY, SEC->count = cnt - 1);
			MUTATE(m, s, ANY, SEC->entry_size = 0);
			MUTATE(m, s, ANY, SEC->entry_size = es - 1);
			/* consistent count/size, but the wrong entry size */
			MUTATE(m, s, ANY, SEC->entry_size = es + 8;
			       t->size = (uint64_t)cnt * (es + 8));
			MUTATE(m, s, ANY, SEC->entry_size = es / 2;
			       t->count = cnt * 2);
			/* Fewer entries: dangling ids (dropping an output
			 * would be valid).
			 */
			if (cnt > 1 && s != VISION_MODEL_SECTION_OUTPUTS)
				MUTATE(m, ANY, ANY, SEC->count = 1;
				       t->size = es);
		} else {
			MUTATE(m, s, ANY, SEC->count = 1);
			MUTATE(m, s, ANY, SEC->entry_size = 8);
			MUTATE(m, s, ANY, SEC->count = 1;
			       t->entry_size = (uint32_t)sz);
		}
#undef SEC
		(void)t;
	}
	/* Two sections swapped in the table. */
	MUTATE(m, ANY, ANY, {
		struct vision_model_section tmp = hdr(b)->sections[0];

		hdr(b)->sections[0] = hdr(b)->sections[1];
		hdr(b)->sections[1] = tmp;
	});
	/* Sections sharing bytes. */
	MUTATE(m, ANY, ANY,
	       hdr(b)->sections[S_OUTPUTS].offset =
		       hdr(b)->sections[S_INPUT].offset;
	       hdr(b)->sections[S_OUTPUTS].size = 32;
	       hdr(b)->sections[S_OUTPUTS].count = 1);
}

TEST_F(models, tensor_fields)
{
	struct tm_model *m = &self->m[0];
	void *blob = m->blob;
	uint64_t arena = hdr(blob)->arena_size;
	uint64_t csize = sec_size(blob, VISION_MODEL_SECTION_CONST);
	uint64_t nsize = sec_size(blob, VISION_MODEL_SECTION_NAMES);
	uint32_t a = m->act, w = m->weights, bi = m->bias, id;
	uint64_t asz = tens(blob)[a].size, wsz = tens(blob)[w].size;
	uint32_t i;

	ASSERT_EQ(VISION_MODEL_LOC_ARENA, tens(blob)[a].location);
	ASSERT_EQ(VISION_MODEL_LOC_CONST, tens(blob)[w].location);
	ASSERT_EQ(VISION_MODEL_TYPE_INT32, tens(blob)[bi].type);

	/* Fields every tensor has, on an arena and a constant tensor. */
	for (i = 0; i < 2; i++) {
		id = i ? w : a;
#define T (tens(b)[id])
		MUTATE(m, S_TENSORS, id, T.type = 0);
		MUTATE(m, S_TENSORS, id, T.type = 3);
		MUTATE(m, S_TENSORS, id, T.type = 0xffffffff);
		MUTATE(m, S_TENSORS, id, T.location = 0);
		MUTATE(m, S_TENSORS, id, T.location = 3);
		MUTATE(m, S_TENSORS, id, T.location = 0xffffffff);
		MUTATE(m, S_TENSORS, id, T.offset += 1);
		MUTATE(m, S_TENSORS, id, T.offset += 8);
		MUTATE(m, S_TENSORS, id, T.offset = 1ull << 40);
		MUTATE(m, S_TENSORS, id, T.offset = UINT64_MAX & ~15ull);
		MUTATE(m, S_TENSORS, id, T.size = 0);
		MUTATE(m, S_TENSORS, id, T.size -= 1);
		MUTATE(m, S_TENSORS, id, T.size += 1);
		MUTATE(m, S_TENSORS, id, T.size *= 2);
		MUTATE(m, S_TENSORS, id, T.size = UINT64_MAX);
		MUTATE(m, S_TENSORS, id, T.shape[0] = 0);
		MUTATE(m, S_TENSORS, id, T.shape[3] = 0);
		MUTATE(m, S_TENSORS, id, T.shape[1] = VISION_MODEL_MAX_DIM + 1);
		MUTATE(m, S_TENSORS, id, T.shape[2] = 0xffffffff);
		MUTATE(m, S_TENSORS, id, T.shape[3] *= 2);
		MUTATE(m, S_TENSORS, id, T.shape[0] = VISION_MODEL_MAX_DIM;
		       T.shape[1] = VISION_MODEL_MAX_DIM; T.shape[2] = 1;
		       T.shape[3] = 1);
		/* 2^48 elements: the size fits a u64, not a u32 count */
		MUTATE(m, S_TENSORS, id, T.shape[0] = VISION_MODEL_MAX_DIM;
		       T.shape[1] = VISION_MODEL_MAX_DIM;
		       T.shape[2] = VISION_MODEL_MAX_DIM; T.shape[3] = 1;
		       T.size = 1ull << 48);
		MUTATE(m, S_TENSORS, id, T.flags = 1);
		MUTATE(m, S_TENSORS, id, T.flags = 0x80000000u);
		MUTATE(m, S_TENSORS, id, T.reserved[0] = 1);
		MUTATE(m, S_TENSORS, id, T.reserved[1] = 0xffffffff);
		MUTATE(m, S_TENSORS, id, T.zero_point = 128);
		MUTATE(m, S_TENSORS, id, T.zero_point = -129);
		MUTATE(m, S_TENSORS, id, T.zero_point = INT32_MAX);
		MUTATE(m, S_TENSORS, id, T.zero_point = INT32_MIN);
		MUTATE(m, S_TENSORS, id, T.encoding = 2);
		MUTATE(m, S_TENSORS, id, T.encoding = 0xffffffff);
		MUTATE(m, S_TENSORS, id, T.name = (uint32_t)nsize);
		MUTATE(m, S_TENSORS, id, T.name = 0xfffffffe);
		MUTATE(m, S_TENSORS, id, T.channel_scales = (uint32_t)csize);
		MUTATE(m, S_TENSORS, id, T.channel_scales = 0xfffffffe);
	}

	/* Arena tensor: bounds are the arena. */
	id = a;
	MUTATE(m, S_TENSORS, id, T.offset = arena);
	MUTATE(m, S_TENSORS, id, T.offset = (arena - asz + 16) & ~15ull);
	MUTATE(m, S_TENSORS, id, T.type = VISION_MODEL_TYPE_INT32;
	       T.size = asz * 4);
	MUTATE(m, S_TENSORS, id, T.encoding = VISION_MODEL_ENC_BLOCK4);
	/* A constant-only encoding on an arena tensor, size kept. */
	MUTATE(m, ANY, ANY, T.encoding = VISION_MODEL_ENC_BLOCK4;
	       T.location = VISION_MODEL_LOC_ARENA);

	/* Constant tensor: bounds are the constant data. */
	id = w;
	MUTATE(m, S_TENSORS, id, T.offset = (csize & ~15ull));
	MUTATE(m, S_TENSORS, id, T.offset = ((csize - wsz) & ~15ull) + 16);
	MUTATE(m, S_TENSORS, id, T.type = VISION_MODEL_TYPE_INT32);
	MUTATE(m, S_TENSORS, id, T.channel_scales += 1);
	MUTATE(m, S_TENSORS, id, T.channel_scales += 2);
	MUTATE(m, S_TENSORS, id, T.channel_scales = (uint32_t)csize - 4);
	MUTATE(m, S_TENSORS, id, T.location = VISION_MODEL_LOC_ARENA;
	       T.offset = arena);

	/* INT32 bias: zero point 0, size four bytes per element. */
	id = bi;
	MUTATE(m, S_TENSORS, id, T.zero_point = 1);
	MUTATE(m, S_TENSORS, id, T.zero_point = -1);
	MUTATE(m, S_TENSORS, id, T.type = VISION_MODEL_TYPE_INT8);
	MUTATE(m, S_TENSORS, id, T.size /= 4);
	MUTATE(m, S_TENSORS, id, T.location = VISION_MODEL_LOC_ARENA);
	MUTATE(m, S_TENSORS, id, T.encoding = VISION_MODEL_ENC_BLOCK4);

	/* The last tensor, so the index is not always small. */
	id = m->num_tensors - 1;
	MUTATE(m, S_TENSORS, id, T.shape[0] = 0);
	MUTATE(m, S_TENSORS, id, T.zero_point = -200);

	/* BLOCK4 weights of the sparse model: encoded size never 0. */
	m = &self->m[1];
	id = m->weights;
	ASSERT_EQ(VISION_MODEL_ENC_BLOCK4, tens(m->blob)[id].encoding);
	MUTATE(m, S_TENSORS, id, T.size = 0);
	MUTATE(m, S_TENSORS, id, T.type = VISION_MODEL_TYPE_INT32);
	MUTATE(m, S_TENSORS, id, T.size = 1ull << 40);
	MUTATE(m, S_TENSORS, id, T.offset = UINT64_MAX & ~15ull);
#undef T
}

/* A few corruptions of every tensor and every op of every model. */
TEST_F(models, every_entry)
{
	uint32_t i, id;
	int k;

	for (k = 0; k < NUM_MODELS; k++) {
		struct tm_model *m = &self->m[k];
		uint32_t nt = m->num_tensors;

		for (id = 0; id < nt; id++) {
			const struct vision_model_tensor *t =
				&tens(m->blob)[id];
			int int8 = t->type == VISION_MODEL_TYPE_INT8;

			MUTATE(m, S_TENSORS, id, tens(b)[id].shape[id % 4] = 0);
			MUTATE(m, S_TENSORS, id, tens(b)[id].type = 0);
			MUTATE(m, S_TENSORS, id, tens(b)[id].location = 0);
			MUTATE(m, S_TENSORS, id, tens(b)[id].offset += 4);
			/* an encoded size is its operator's to check */
			MUTATE(m, t->encoding ? ANY : S_TENSORS,
			       t->encoding ? ANY : id, tens(b)[id].size += 16);
			MUTATE(m, S_TENSORS, id, tens(b)[id].flags = 4);
			MUTATE(m, S_TENSORS, id, tens(b)[id].reserved[1] = 4);
			MUTATE(m, S_TENSORS, id,
			       tens(b)[id].zero_point = int8 ? -300 : 5);
			MUTATE(m, S_TENSORS, id, tens(b)[id].encoding = 7);
			MUTATE(m, S_TENSORS, id, tens(b)[id].name = 0x7fffffff);
		}
		for (i = 0; i < m->num_ops; i++) {
			uint32_t n = ops(m->blob)[i].num_inputs;

			MUTATE(m, S_OPS, i, ops(b)[i].type = 0);
			MUTATE(m, S_OPS, i, ops(b)[i].type = 99);
			MUTATE(m, S_OPS, i, ops(b)[i].flags = 1);
			MUTATE(m, S_OPS, i, ops(b)[i].reserved[1] = 1);
			MUTATE(m, S_OPS, i, ops(b)[i].num_inputs = 0);
			MUTATE(m, S_OPS, i, ops(b)[i].num_inputs = 9);
			MUTATE(m, S_OPS, i, ops(b)[i].inputs[0] = nt);
			MUTATE(m, S_OPS, i,
			       ops(b)[i].inputs[n - 1] = 0xfffffffe);
			if (n < VISION_MODEL_MAX_OP_INPUTS)
				MUTATE(m, S_OPS, i, ops(b)[i].inputs[n] = 0);
			MUTATE(m, S_OPS, i, ops(b)[i].output = nt);
			MUTATE(m, S_OPS, i, ops(b)[i].output = m->weights);
			/* reads what a later op (or it) writes */
			MUTATE(m, S_OPS, i, ops(b)[i].inputs[0] = m->last);
			/* writes what an earlier op (or the input) wrote */
			MUTATE(m, S_OPS, i,
			       ops(b)[i].output = i ? ops(b)[i - 1].output :
						      m->input);
		}
		for (i = 0; i < m->num_outputs; i++) {
			MUTATE(m, S_OUTPUTS, i, outs(b)[i].tensor = nt);
			MUTATE(m, S_OUTPUTS, i, outs(b)[i].flags = 1);
			MUTATE(m, S_OUTPUTS, i, outs(b)[i].num_labels += 1);
		}
	}
}

TEST_F(models, op_table)
{
	struct tm_model *m = &self->m[0];
	void *blob = m->blob;
	uint32_t nt = m->num_tensors;
	uint64_t nsize = sec_size(blob, VISION_MODEL_SECTION_NAMES);
	const uint32_t add = 2; /* ADD: c1 + c2 */
	uint32_t c1 = ops(blob)[0].output, gap = ops(blob)[3].output;
	uint32_t i;

	ASSERT_EQ(VISION_MODEL_OP_ADD, ops(blob)[add].type);
	ASSERT_EQ(c1, ops(blob)[add].inputs[0]);
#define O (ops(b)[i])
	i = add;
	/* type */
	MUTATE(m, S_OPS, i, O.type = 0);
	MUTATE(m, S_OPS, i, O.type = VISION_MODEL_OP_COUNT);
	MUTATE(m, S_OPS, i, O.type = 0x100);
	MUTATE(m, S_OPS, i, O.type = 0xffffffff);
	/* flags, reserved, name */
	MUTATE(m, S_OPS, i, O.flags = 1);
	MUTATE(m, S_OPS, i, O.reserved[0] = 1);
	MUTATE(m, S_OPS, i, O.reserved[2] = 0x80000000u);
	MUTATE(m, S_OPS, i, O.name = (uint32_t)nsize);
	MUTATE(m, S_OPS, i, O.name = 0xfffffffe);
	/* num_inputs */
	MUTATE(m, S_OPS, i, O.num_inputs = 0);
	MUTATE(m, S_OPS, i, O.num_inputs = 1);
	MUTATE(m, S_OPS, i, O.num_inputs = 3);
	MUTATE(m, S_OPS, i, O.num_inputs = 3; O.inputs[2] = c1);
	MUTATE(m, S_OPS, i, O.num_inputs = VISION_MODEL_MAX_OP_INPUTS + 1);
	MUTATE(m, S_OPS, i, O.num_inputs = 0xffffffff);
	/* input ids */
	MUTATE(m, S_OPS, i, O.inputs[0] = nt);
	MUTATE(m, S_OPS, i, O.inputs[1] = nt + 1000);
	MUTATE(m, S_OPS, i, O.inputs[0] = 0xfffffffe);
	MUTATE(m, S_OPS, i, O.inputs[1] = VISION_MODEL_NO_TENSOR);
	/* unused slots */
	MUTATE(m, S_OPS, i, O.inputs[2] = 0);
	MUTATE(m, S_OPS, i, O.inputs[VISION_MODEL_MAX_OP_INPUTS - 1] = c1);
	MUTATE(m, S_OPS, i, O.inputs[5] = nt);
	/* output id and kind */
	MUTATE(m, S_OPS, i, O.output = nt);
	MUTATE(m, S_OPS, i, O.output = VISION_MODEL_NO_TENSOR);
	MUTATE(m, S_OPS, i, O.output = m->weights);
	MUTATE(m, S_OPS, i, O.output = m->bias);
	MUTATE(m, S_OPS, i, O.output = c1); /* also an input */
	MUTATE(m, S_OPS, i, O.output = m->input); /* the input stage's */
	/* written twice: GLOBAL_AVG_POOL writing conv1's output */
	MUTATE(m, S_OPS, 3, ops(b)[3].output = c1);
	MUTATE(m, S_OPS, 1, ops(b)[1].output = c1);
	MUTATE(m, S_OPS, m->num_ops - 1,
	       ops(b)[m->num_ops - 1].output = ops(b)[4].output);
	/* read before written (topological order) */
	MUTATE(m, S_OPS, i, O.inputs[0] = gap);
	MUTATE(m, S_OPS, i, O.inputs[1] = m->last);
	MUTATE(m, S_OPS, m->num_ops - 1,
	       ops(b)[m->num_ops - 1].inputs[0] = m->last);
	MUTATE(m, S_OPS, 2, {
		struct vision_model_op tmp = ops(b)[2];

		ops(b)[2] = ops(b)[3];
		ops(b)[3] = tmp;
	});
	MUTATE(m, S_OPS, 0, {
		struct vision_model_op tmp = ops(b)[0];

		ops(b)[0] = ops(b)[add];
		ops(b)[add] = tmp;
	});
	/* every op index */
	for (i = 0; i < m->num_ops; i++) {
		MUTATE(m, S_OPS, i, O.type = 0);
		MUTATE(m, S_OPS, i, O.flags = 2);
		MUTATE(m, S_OPS, i, O.inputs[0] = nt);
		MUTATE(m, S_OPS, i, O.inputs[7] = 0);
		MUTATE(m, S_OPS, i, O.output = nt);
		MUTATE(m, S_OPS, i, O.output = m->weights);
		MUTATE(m, S_OPS, i, O.num_inputs = 9);
	}
#undef O
}

/*
 * An operator's output must not share arena bytes with its inputs (only
 * RESHAPE aliases, exactly). Found by random_mutations (iteration 17591):
 * such a model was accepted and CONCAT then memcpy()d between overlapping
 * ranges (ASan memcpy-param-overlap in vis_concat_run()).
 */
TEST_F(models, op_output_overlaps_input)
{
	struct tm_model *m = &self->m[2];
	uint32_t i;

	for (i = 0; i < m->num_ops; i++)
		if (ops(m->blob)[i].type == VISION_MODEL_OP_CONCAT)
			break;
	ASSERT_LT(i, m->num_ops);
	/* The first CONCAT input moved onto the output. */
	MUTATE(m, S_OPS, ANY,
	       tens(b)[ops(b)[i].inputs[0]].offset =
		       tens(b)[ops(b)[i].output].offset);
	/* Partly: 16 bytes into it. */
	MUTATE(m, S_OPS, ANY,
	       tens(b)[ops(b)[i].inputs[1]].offset =
		       tens(b)[ops(b)[i].output].offset + 16);
	/* A CONV_2D of the classifier writing over its own input. */
	m = &self->m[0];
	MUTATE(m, S_OPS, ANY,
	       tens(b)[ops(b)[0].output].offset = tens(b)[m->input].offset);
}

/* Operator parameters (checked by each operator). */
TEST_F(models, op_params)
{
	struct tm_model *m = &self->m[0];
	uint64_t csize = sec_size(m->blob, VISION_MODEL_SECTION_CONST);
	uint32_t i;

#define P (ops(b)[i].params)
	i = 0; /* CONV_2D */
	MUTATE(m, S_OPS, i, P.conv.reserved[0] = 1);
	MUTATE(m, S_OPS, i, P.conv.reserved[3] = 1);
	MUTATE(m, S_OPS, i, P.conv.stride_h = 0);
	MUTATE(m, S_OPS, i, P.conv.dilation_w = 0);
	MUTATE(m, S_OPS, i, P.conv.groups = 0);
	MUTATE(m, S_OPS, i, P.conv.groups = 2);
	MUTATE(m, S_OPS, i, P.conv.act_min = -129);
	MUTATE(m, S_OPS, i, P.conv.act_max = 128);
	MUTATE(m, S_OPS, i, P.conv.act_min = 10; P.conv.act_max = 9);
	MUTATE(m, S_OPS, i, P.conv.requant = (uint32_t)csize);
	MUTATE(m, S_OPS, i, P.conv.requant += 4);
	MUTATE(m, S_OPS, i, P.conv.requant = 0xffffffff);
	MUTATE(m, S_OPS, i, P.conv.pad_top = 0xffffffff);
	MUTATE(m, S_OPS, i, P.conv.pad_left = 5);
	MUTATE(m, S_OPS, i, P.conv.stride_w = 0xffffffff);
	MUTATE(m, S_OPS, i, tens(b)[m->weights].zero_point = 1);
	MUTATE(m, S_OPS, i, ops(b)[i].inputs[1] = ops(b)[i].inputs[2]);
	MUTATE(m, S_OPS, i, ops(b)[i].inputs[2] = ops(b)[i].inputs[1]);
	i = 2; /* ADD */
	MUTATE(m, S_OPS, i, P.binary.left_shift = 21);
	MUTATE(m, S_OPS, i, P.binary.reserved[4] = 1);
	MUTATE(m, S_OPS, i, P.binary.output.shift = 31);
	MUTATE(m, S_OPS, i, P.binary.output.multiplier = 1);
	MUTATE(m, S_OPS, i, P.binary.input1.multiplier = -1);
	MUTATE(m, S_OPS, i, P.binary.act_min = 100; P.binary.act_max = 99);
	i = 3; /* GLOBAL_AVG_POOL */
	MUTATE(m, S_OPS, i, P.pool.filter_h = 1);
	MUTATE(m, S_OPS, i, P.pool.reserved[0] = 1);
	MUTATE(m, S_OPS, i, P.pool.requant.shift = -32);
	i = 4; /* FULLY_CONNECTED */
	MUTATE(m, S_OPS, i, P.conv.stride_h = 2);
	MUTATE(m, S_OPS, i, P.conv.pad_right = 1);
	MUTATE(m, S_OPS, i, P.conv.requant = (uint32_t)csize - 8);
	i = 5; /* SOFTMAX */
	MUTATE(m, S_OPS, i, P.softmax.reserved[12] = 1);
	MUTATE(m, S_OPS, i, P.softmax.input_beta_left_shift = 32);
	MUTATE(m, S_OPS, i, P.softmax.input_beta_left_shift = -1);
	MUTATE(m, S_OPS, i, P.softmax.diff_min = 1);

	/* BLOCK4 encoding of the sparse model's first conv. */
	m = &self->m[1];
	i = 0;
	{
		const struct vision_model_tensor *wt =
			&tens(m->blob)[m->weights];
		uint64_t w_off =
			hdr(m->blob)->sections[S_CONST].offset + wt->offset;
		uint32_t cout = wt->shape[0];
		uint32_t nblk;

		memcpy(&nblk, (uint8_t *)m->blob + w_off + 4 * cout, 4);
		/* Row 0 has two blocks (its middle one is pruned). */
		memcpy(&nblk, (uint8_t *)m->blob + w_off + 4, 4);
		ASSERT_EQ(2, nblk);
		memcpy(&nblk, (uint8_t *)m->blob + w_off + 4 * cout, 4);
#define RP(k) (*(uint32_t *)(b + w_off + 4 * (k)))
#define COL(k) (*(uint32_t *)(b + w_off + 4 * (cout + 1) + 4 * (k)))
		MUTATE(m, S_OPS, i, RP(0) = 1);
		MUTATE(m, S_OPS, i, RP(1) = RP(2) + 1);
		MUTATE(m, S_OPS, i, RP(cout) = nblk + 1);
		MUTATE(m, S_OPS, i, RP(cout) = 0xffffffff);
		MUTATE(m, S_OPS, i, COL(0) = 3); /* 3 blocks per row: 0..2 */
		MUTATE(m, S_OPS, i, COL(0) = 0xffffffff);
		MUTATE(m, S_OPS, i, COL(1) = COL(0));
		MUTATE(m, S_OPS, i, tens(b)[m->weights].size -= 4);
#undef RP
#undef COL
	}
	/* RESHAPE: a view must keep offset and size. */
	for (i = 0; i < m->num_ops; i++)
		if (ops(m->blob)[i].type == VISION_MODEL_OP_RESHAPE)
			break;
	ASSERT_LT(i, m->num_ops);
	MUTATE(m, S_OPS, i, tens(b)[ops(b)[i].output].offset += 16);
	MUTATE(m, S_OPS, i, P.raw[0] = 1);
#undef P
}

TEST_F(models, names_nul)
{
	struct tm_model *m;
	int i;

	for (i = 0; i < NUM_MODELS; i++) {
		m = &self->m[i];
		MUTATE(m, S_NAMES, ANY,
		       ((char *)section(b, S_NAMES))[sec_size(b, S_NAMES) - 1] =
			       'x');
	}
	m = &self->m[2]; /* no names at all: a section of one NUL */
	ASSERT_EQ(1, sec_size(m->blob, S_NAMES));
	MUTATE(m, ANY, ANY, hdr(b)->sections[S_NAMES].size = 0);
	/* A name pointing at the final NUL is the empty string: fine. */
	{
		struct vis_model vm;
		uint8_t *b;

		m = &self->m[0];
		b = dup_blob(m);
		ASSERT_NE(NULL, b);
		tens(b)[0].name = (uint32_t)sec_size(b, S_NAMES) - 1;
		vmb_fix_crc(b, m->size);
		if (!vis_model_validate(&vm, b, m->size, NULL))
			EXPECT_STREQ("", vis_model_name(&vm, tens(b)[0].name));
		free(b);
	}
}

TEST_F(models, output_table)
{
	struct tm_model *m = &self->m[0];
	void *blob = m->blob;
	uint32_t nt = m->num_tensors;
	uint64_t nsize = sec_size(blob, VISION_MODEL_SECTION_NAMES);
	uint32_t i, labels = outs(blob)[0].labels;
	const char *names = section(blob, S_NAMES);
	uint32_t last_label = labels;

	ASSERT_EQ(10, outs(blob)[0].num_labels);
	for (i = 0; i + 1 < 10; i++)
		last_label += strlen(names + last_label) + 1;
#define OU(k) (outs(b)[k])
	for (i = 0; i < 2; i++) {
		MUTATE(m, S_OUTPUTS, i, OU(i).tensor = nt);
		MUTATE(m, S_OUTPUTS, i, OU(i).tensor = VISION_MODEL_NO_TENSOR);
		MUTATE(m, S_OUTPUTS, i, OU(i).tensor = m->weights);
		MUTATE(m, S_OUTPUTS, i, OU(i).tensor = m->bias);
		MUTATE(m, S_OUTPUTS, i, OU(i).flags = 1);
		MUTATE(m, S_OUTPUTS, i, OU(i).reserved[0] = 1);
		MUTATE(m, S_OUTPUTS, i, OU(i).reserved[3] = 0xffffffff);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 9;
		       OU(i).labels = labels);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 11;
		       OU(i).labels = labels);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 0xffffffff;
		       OU(i).labels = labels);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 10;
		       OU(i).labels = VISION_MODEL_NO_NAME);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 10;
		       OU(i).labels = (uint32_t)nsize);
		/* runs off the end of the names section */
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 10;
		       OU(i).labels = last_label);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 0;
		       OU(i).labels = labels);
		MUTATE(m, S_OUTPUTS, i, OU(i).num_labels = 0; OU(i).labels = 0);
	}
	/* The second output has no labels and ten elements. */
	MUTATE(m, S_OUTPUTS, 1, OU(1).labels = 0);
#undef OU
}

TEST_F(models, input_stage)
{
	struct tm_model *m = &self->m[0];
	uint32_t nt = m->num_tensors, i;

#define ST (*stage(b))
	MUTATE(m, S_INPUT, ANY, ST.tensor = nt);
	MUTATE(m, S_INPUT, ANY, ST.tensor = VISION_MODEL_NO_TENSOR);
	MUTATE(m, S_INPUT, ANY, ST.tensor = m->weights);
	MUTATE(m, S_INPUT, ANY, ST.tensor = m->bias);
	MUTATE(m, S_INPUT, ANY, ST.tensor = m->act); /* C = 8 */
	MUTATE(m, S_INPUT, ANY, ST.tensor = m->last); /* [1,1,1,10] */
	MUTATE(m, S_INPUT, ANY, ST.color = VISION_MODEL_COLOR_GREY);
	MUTATE(m, S_INPUT, ANY, ST.color = 3);
	MUTATE(m, S_INPUT, ANY, ST.color = 0xffffffff);
	MUTATE(m, S_INPUT, ANY, ST.resize = 2);
	MUTATE(m, S_INPUT, ANY, ST.resize = 0xffffffff);
	MUTATE(m, S_INPUT, ANY, ST.norm_shift = 31);
	MUTATE(m, S_INPUT, ANY, ST.norm_shift = 0xffffffff);
	for (i = 0; i < 3; i++) {
		MUTATE(m, S_INPUT, ANY, ST.norm_mul[i] = (1 << 22) + 1);
		MUTATE(m, S_INPUT, ANY, ST.norm_mul[i] = -(1 << 22) - 1);
		MUTATE(m, S_INPUT, ANY, ST.norm_mul[i] = INT32_MIN);
		MUTATE(m, S_INPUT, ANY, ST.norm_add[i] = (1 << 30) + 1);
		MUTATE(m, S_INPUT, ANY, ST.norm_add[i] = -(1 << 30) - 1);
		MUTATE(m, S_INPUT, ANY, ST.norm_add[i] = INT32_MIN);
		MUTATE(m, S_INPUT, ANY, ST.reserved[i] = 1);
	}
	MUTATE(m, S_INPUT, ANY, ST.flags = 1);
	/* The input tensor must be [1,H,W,C]. */
	MUTATE(m, S_INPUT, ANY, {
		struct vision_model_tensor *t = &tens(b)[ST.tensor];

		t->shape[0] = 3;
		t->shape[3] = 1;
	});
	MUTATE(m, S_INPUT, ANY, tens(b)[ST.tensor].zero_point = 0;
	       tens(b)[ST.tensor].location = VISION_MODEL_LOC_CONST;
	       tens(b)[ST.tensor].offset = 0);
	/* GREY model: one channel. */
	m = &self->m[1];
	MUTATE(m, S_INPUT, ANY, ST.color = VISION_MODEL_COLOR_RGB);
	MUTATE(m, S_INPUT, ANY, ST.color = VISION_MODEL_COLOR_BGR);
	/* The input tensor written by an operator. */
	m = &self->m[0];
	MUTATE(m, ANY, ANY, ST.tensor = ops(b)[1].output);
#undef ST
}

/*
 * Random single-byte mutations of the valid models: each is rejected or,
 * if accepted, runs without touching memory outside its buffers.
 */
TEST_F_TIMEOUT(models, random_mutations, 600)
{
	/*
	 * VIS_TEST_VERBOSE=1 names each mutation before it is tried;
	 * VIS_TEST_SEED and VIS_TEST_ITERATIONS explore beyond the fixed set.
	 */
	const char *env_seed = getenv("VIS_TEST_SEED");
	const char *env_iter = getenv("VIS_TEST_ITERATIONS");
	uint32_t seed = env_seed ? (uint32_t)strtoul(env_seed, NULL, 0) : 0;
	uint32_t n = env_iter ? (uint32_t)strtoul(env_iter, NULL, 0) : 20000;
	int verbose = !!getenv("VIS_TEST_VERBOSE");
	uint32_t accepted = 0, iter;
	struct vis_engine_error e;

	if (!seed)
		seed = 0x5eed1234u;
	for (iter = 0; iter < n; iter++) {
		struct tm_model *m = &self->m[iter % NUM_MODELS];
		uint8_t *b = dup_blob(m);
		uint32_t r = tm_rand(&seed);
		size_t pos;
		uint8_t x;
		int fixed, ret;

		ASSERT_NE(NULL, b);
		pos = tm_rand(&seed) % m->size;
		/* A quarter in the header and tables, where it matters. */
		if ((r & 6) == 0)
			pos = tm_rand(&seed) %
			      hdr(m->blob)->sections[S_CONST].offset;
		x = (uint8_t)(tm_rand(&seed) % 255 + 1);
		if (r & 8)
			x = (uint8_t)(1u << (tm_rand(&seed) % 8));
		b[pos] ^= x;
		/* One in eight keeps the stale CRC. */
		fixed = (r >> 4) % 8 != 0;
		if (fixed)
			vmb_fix_crc(b, m->size);
		if (verbose)
			fprintf(stderr,
				"# iteration %u: model %u byte %zu ^= %#x%s\n",
				iter, iter % NUM_MODELS, pos, x,
				fixed ? "" : " (stale CRC)");
		ret = validate_copy(b, m->size, &e);
		if (!fixed)
			EXPECT_GT(0, ret)
			{
				TH_LOG("iteration %u: byte %zu ^= %#x accepted with a stale CRC",
				       iter, pos, x);
			}
		if (ret >= 0)
			accepted++;
		else
			EXPECT_EQ(ret, e.err);
		free(b);
	}
	TH_LOG("%u of %u mutated models accepted and run", accepted, n);
}

TEST_HARNESS_MAIN
