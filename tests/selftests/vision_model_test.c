// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Models: DRM_IOCTL_VISION_MODEL_CREATE and MODEL_INFO. Valid models
 * report what the userspace validator finds in them; malformed blobs,
 * bad pointers and sizes are refused without harm; the SRAM and model
 * memory limits hold; models are immutable, unmappable, per file, shared
 * with PRIME, and freed on close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_builder.h"
#include "test_models.h"
#include "vis_engine.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define PAGE 4096ull
#define NUM_TM 3

static int model_create_raw(int fd, struct drm_vision_model_create *args)
{
	if (ioctl(fd, DRM_IOCTL_VISION_MODEL_CREATE, args))
		return -errno;
	return 0;
}

/* MODEL_CREATE of @size bytes at @data; the new handle in *@handle. */
static int create_ptr(int fd, const void *data, uint64_t size, uint32_t *handle)
{
	struct drm_vision_model_create c = {
		.data = (uintptr_t)data,
		.size = size,
	};
	int ret = model_create_raw(fd, &c);

	if (!ret && handle)
		*handle = c.info.handle;
	return ret;
}

static int model_info_raw(int fd, struct drm_vision_model_info *info)
{
	if (ioctl(fd, DRM_IOCTL_VISION_MODEL_INFO, info))
		return -errno;
	return 0;
}

/*
 * Input [1,4,4,3] -> LUT -> output [1,4,4,3]; the output sits at arena
 * offset @out_offset (0: right after the input), which sets the arena size.
 */
static int lut_model(struct tm_model *m, uint64_t out_offset)
{
	uint32_t shape[4] = { 1, 4, 4, 3 };
	uint32_t tshape[4] = { 1, 1, 1, 256 };
	struct vmb *b = vmb_new();
	uint32_t ins[2], out;
	int8_t table[256];

	memset(m, 0, sizeof(*m));
	if (!b)
		return -ENOMEM;
	for (int i = 0; i < 256; i++)
		table[i] = (int8_t)(127 - i);
	ins[0] = vmb_arena_tensor(b, shape, 0, 1.0f / 64, "in");
	ins[1] = vmb_const_tensor(b, tshape, VISION_MODEL_TYPE_INT8, 0, 1.0f,
				  NULL, VISION_MODEL_ENC_DENSE, table,
				  sizeof(table), "table");
	out = vmb_arena_tensor(b, shape, 0, 1.0f / 64, "out");
	if (out_offset)
		vmb_set_offset(b, out, out_offset);
	vmb_op(b, VISION_MODEL_OP_LUT, ins, 2, out, NULL, "lut");
	tm_input_stage(b, ins[0], VISION_MODEL_COLOR_RGB,
		       VISION_MODEL_RESIZE_NEAREST);
	vmb_output(b, out, NULL, 0);
	m->num_ops = 1;
	m->num_outputs = 1;
	return tm_finish(b, m);
}

/*
 * GREY input [1,32,32,1] -> FULLY_CONNECTED to @cout: a model of about
 * @cout KiB of weights, with some scratch; output at @out_offset if not 0.
 */
static int fc_model(struct tm_model *m, uint32_t cout, uint64_t out_offset)
{
	uint32_t shape[4] = { 1, 32, 32, 1 };
	struct vmb *b = vmb_new();
	uint32_t seed = cout, in, fc;

	memset(m, 0, sizeof(*m));
	if (!b)
		return -ENOMEM;
	in = vmb_arena_tensor(b, shape, 0, 1.0f / 64, NULL);
	fc = tm_fc(b, in, 32 * 32, cout, &seed, NULL);
	if (out_offset)
		vmb_set_offset(b, fc, out_offset);
	tm_input_stage(b, in, VISION_MODEL_COLOR_GREY,
		       VISION_MODEL_RESIZE_NEAREST);
	vmb_output(b, fc, NULL, 0);
	m->num_ops = 1;
	m->num_outputs = 1;
	return tm_finish(b, m);
}

/* What MODEL_INFO must say about @blob, from the userspace validator. */
static int expected_info(const void *blob, size_t size,
			 struct drm_vision_model_info *e, uint64_t *scratch)
{
	const struct vision_model_tensor *t;
	struct vis_model m;
	int ret;

	ret = vis_model_validate(&m, blob, size, NULL);
	if (ret)
		return ret;
	memset(e, 0, sizeof(*e));
	t = &m.tensors[m.input->tensor];
	e->flags = DRM_VISION_MODEL_HAS_INPUT_STAGE;
	memcpy(e->input_shape, t->shape, sizeof(e->input_shape));
	e->input_type = t->type;
	e->input_zero_point = t->zero_point;
	e->input_scale = t->scale;
	e->num_outputs = m.num_outputs;
	e->input_size = t->size;
	for (uint32_t i = 0; i < m.num_outputs; i++)
		e->output_size += m.tensors[m.outputs[i].tensor].size;
	e->profile_size =
		sizeof(struct drm_vision_profile) +
		(uint64_t)m.num_ops * sizeof(struct drm_vision_profile_op);
	e->num_ops = m.num_ops;
	e->arena_size = m.arena_size;
	e->macs = m.macs;
	e->model_size = size;
	/* The arena, 64-byte aligned, then the scratch memory. */
	e->sram_size = ((m.arena_size + 63) & ~63ull) + m.scratch_size;
	if (scratch)
		*scratch = m.scratch_size;
	return 0;
}

/* Compare every member but the handle; log the first difference. */
#define ASSERT_INFO_EQ(e, g)                                                   \
	do {                                                                   \
		ASSERT_EQ((e)->flags, (g)->flags);                             \
		for (int _i = 0; _i < 4; _i++)                                 \
			ASSERT_EQ((e)->input_shape[_i], (g)->input_shape[_i]); \
		ASSERT_EQ((e)->input_type, (g)->input_type);                   \
		ASSERT_EQ((e)->input_zero_point, (g)->input_zero_point);       \
		ASSERT_EQ((e)->input_scale, (g)->input_scale);                 \
		ASSERT_EQ((e)->num_outputs, (g)->num_outputs);                 \
		ASSERT_EQ((e)->input_size, (g)->input_size);                   \
		ASSERT_EQ((e)->output_size, (g)->output_size);                 \
		ASSERT_EQ((e)->profile_size, (g)->profile_size);               \
		ASSERT_EQ((e)->num_ops, (g)->num_ops);                         \
		ASSERT_EQ(0, (g)->pad);                                        \
		ASSERT_EQ((e)->arena_size, (g)->arena_size);                   \
		ASSERT_EQ((e)->macs, (g)->macs);                               \
		ASSERT_EQ((e)->model_size, (g)->model_size);                   \
		ASSERT_EQ((e)->sram_size, (g)->sram_size);                     \
		ASSERT_EQ(0, (g)->reserved);                                   \
	} while (0)

/* Number of "model id=" lines in debugfs state; -1 if unreadable. */
static int state_models(int fd, char *buf, size_t len)
{
	const char *l;
	int n = 0;

	if (vision_debugfs_read(fd, "state", buf, len) < 0)
		return -1;
	for (l = strstr(buf, "model id="); l; l = strstr(l + 1, "model id="))
		n++;
	return n;
}

FIXTURE(model)
{
	int fd;
	struct tm_model tm[NUM_TM];
};

FIXTURE_SETUP(model)
{
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_classifier_default(&self->tm[0]));
	ASSERT_EQ(0, tm_sparse(&self->tm[1], 7));
	ASSERT_EQ(0, tm_misc(&self->tm[2], 11));
}

FIXTURE_TEARDOWN(model)
{
	for (int i = 0; i < NUM_TM; i++)
		free(self->tm[i].blob);
	close(self->fd);
}

/* CREATE fills info with what the model holds; MODEL_INFO agrees. */
TEST_F(model, create_info)
{
	for (int i = 0; i < NUM_TM; i++) {
		struct drm_vision_model_info e, got, again;
		const struct tm_model *tm = &self->tm[i];

		ASSERT_EQ(0, expected_info(tm->blob, tm->size, &e, NULL));
		/* The builder's own bookkeeping agrees with the validator. */
		ASSERT_EQ(tm->num_ops, e.num_ops);
		ASSERT_EQ(tm->num_outputs, e.num_outputs);

		ASSERT_EQ(0, vision_model_create(self->fd, tm->blob, tm->size,
						 &got));
		ASSERT_NE(0, got.handle);
		ASSERT_INFO_EQ(&e, &got);

		ASSERT_EQ(0, vision_model_info(self->fd, got.handle, &again));
		ASSERT_EQ(got.handle, again.handle);
		ASSERT_INFO_EQ(&e, &again);
	}
}

/* The classifier's numbers, worked out by hand from tm_classifier(). */
TEST_F(model, classifier_values)
{
	struct drm_vision_model_info info;
	float scale = 1.0f / 128;
	uint32_t scale_bits;

	memcpy(&scale_bits, &scale, sizeof(scale_bits));
	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	ASSERT_EQ(DRM_VISION_MODEL_HAS_INPUT_STAGE, info.flags);
	ASSERT_EQ(1, info.input_shape[0]);
	ASSERT_EQ(8, info.input_shape[1]);
	ASSERT_EQ(8, info.input_shape[2]);
	ASSERT_EQ(3, info.input_shape[3]);
	ASSERT_EQ(VISION_MODEL_TYPE_INT8, info.input_type);
	ASSERT_EQ(-1, info.input_zero_point);
	ASSERT_EQ(scale_bits, info.input_scale);
	ASSERT_EQ(2, info.num_outputs);
	ASSERT_EQ(8 * 8 * 3, info.input_size);
	/* Softmax over 10 classes and the 10 logits. */
	ASSERT_EQ(10 + 10, info.output_size);
	ASSERT_EQ(6, info.num_ops);
	ASSERT_EQ(48 + 6 * 16, info.profile_size);
	ASSERT_EQ(self->tm[0].size, info.model_size);
	ASSERT_LE(8 * 8 * 3 + 2 * 8 * 8 * 8, info.arena_size);
	ASSERT_LT(0, info.macs);
}

/* The same blob twice is two models; closing one leaves the other. */
TEST_F(model, create_twice)
{
	struct drm_vision_model_info a, b;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[1].blob,
					 self->tm[1].size, &a));
	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[1].blob,
					 self->tm[1].size, &b));
	ASSERT_NE(a.handle, b.handle);
	ASSERT_EQ(0, vision_gem_close(self->fd, a.handle));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, a.handle, &a));
	ASSERT_EQ(0, vision_model_info(self->fd, b.handle, &a));
	ASSERT_EQ(b.num_ops, a.num_ops);
}

/* info is out only: whatever the caller leaves in it is ignored. */
TEST_F(model, create_info_in_ignored)
{
	struct drm_vision_model_create c;
	struct drm_vision_model_info e;

	ASSERT_EQ(0,
		  expected_info(self->tm[2].blob, self->tm[2].size, &e, NULL));
	memset(&c, 0xa5, sizeof(c));
	c.data = (uintptr_t)self->tm[2].blob;
	c.size = self->tm[2].size;
	c.flags = 0;
	c.pad = 0;
	ASSERT_EQ(0, model_create_raw(self->fd, &c));
	ASSERT_NE(0, c.info.handle);
	ASSERT_NE(0xa5a5a5a5u, c.info.handle);
	ASSERT_INFO_EQ(&e, &c.info);
}

TEST_F(model, create_bad_pointer)
{
	const struct tm_model *tm = &self->tm[0];
	uint8_t *map;

	ASSERT_EQ(-EFAULT, create_ptr(self->fd, NULL, tm->size, NULL));
	ASSERT_EQ(-EFAULT, create_ptr(self->fd, (void *)1, tm->size, NULL));
	ASSERT_EQ(-EFAULT,
		  create_ptr(self->fd, (void *)-4096l, tm->size, NULL));
	/* Kernel addresses are not user memory. */
	ASSERT_EQ(-EFAULT, create_ptr(self->fd, (void *)0xffff888000000000ull,
				      tm->size, NULL));

	/* A blob whose pages are not readable. */
	map = mmap(NULL, 2 * PAGE + tm->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	memcpy(map + PAGE, tm->blob, tm->size);
	ASSERT_EQ(0, mprotect(map, 2 * PAGE + tm->size, PROT_NONE));
	ASSERT_EQ(-EFAULT, create_ptr(self->fd, map + PAGE, tm->size, NULL));
	munmap(map, 2 * PAGE + tm->size);
}

/* A blob that ends right at an unmapped page: the kernel reads no further. */
TEST_F(model, create_blob_at_page_end)
{
	const struct tm_model *tm = &self->tm[0];
	size_t span = (tm->size + PAGE - 1) / PAGE * PAGE;
	uint32_t h;
	uint8_t *map;

	map = mmap(NULL, span + PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + span, PAGE, PROT_NONE));
	memcpy(map + span - tm->size, tm->blob, tm->size);
	ASSERT_EQ(0, create_ptr(self->fd, map + span - tm->size, tm->size, &h));
	ASSERT_NE(0, h);
	/* One byte more reaches the unmapped page: a bad pointer. */
	ASSERT_EQ(-EFAULT, create_ptr(self->fd, map + span - tm->size,
				      tm->size + 1, NULL));
	munmap(map, span + PAGE);
}

TEST_F(model, create_bad_size)
{
	const struct tm_model *tm = &self->tm[0];
	uint8_t *big;
	uint64_t max;

	ASSERT_EQ(-EINVAL, create_ptr(self->fd, tm->blob, 0, NULL));
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, tm->blob, 4, NULL));
	ASSERT_EQ(-EINVAL,
		  create_ptr(self->fd, tm->blob,
			     sizeof(struct vision_model_header) - 1, NULL));
	ASSERT_EQ(-EINVAL,
		  create_ptr(self->fd, tm->blob,
			     sizeof(struct vision_model_header), NULL));

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MAX_MODEL_SIZE,
				      0, &max));
	ASSERT_EQ(VISION_MODEL_MAX_SIZE, max);
	/* Too big is refused before anything is read. */
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, tm->blob, max + 1, NULL));
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, tm->blob, UINT64_MAX, NULL));
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, tm->blob, 1ull << 63, NULL));
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, NULL, max + 1, NULL));

	/* One byte more or less than the blob. */
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, tm->blob, tm->size - 1, NULL));
	big = calloc(1, tm->size + 8);
	ASSERT_NE(NULL, big);
	memcpy(big, tm->blob, tm->size);
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, big, tm->size + 1, NULL));
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, big, tm->size + 8, NULL));
	ASSERT_EQ(0, create_ptr(self->fd, big, tm->size, NULL));
	free(big);
}

TEST_F(model, create_flags_pad)
{
	struct drm_vision_model_create c;

	memset(&c, 0, sizeof(c));
	c.data = (uintptr_t)self->tm[0].blob;
	c.size = self->tm[0].size;
	c.flags = 1;
	ASSERT_EQ(-EINVAL, model_create_raw(self->fd, &c));
	c.flags = 0x80000000u;
	ASSERT_EQ(-EINVAL, model_create_raw(self->fd, &c));
	c.flags = 0;
	c.pad = 1;
	ASSERT_EQ(-EINVAL, model_create_raw(self->fd, &c));
	c.pad = 0;
	ASSERT_EQ(0, model_create_raw(self->fd, &c));
}

/* Bad magic, bad CRC, bad version: each alone is refused. */
TEST_F(model, create_corrupt)
{
	const struct tm_model *tm = &self->tm[0];
	struct vision_model_header *h;
	uint8_t *b = malloc(tm->size);

	ASSERT_NE(NULL, b);
	h = (struct vision_model_header *)b;

	memcpy(b, tm->blob, tm->size);
	h->magic ^= 1;
	vmb_fix_crc(b, tm->size);
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, b, tm->size, NULL));

	memcpy(b, tm->blob, tm->size);
	h->crc32 ^= 0x80;
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, b, tm->size, NULL));

	/* A flipped byte in the weights, CRC left stale. */
	memcpy(b, tm->blob, tm->size);
	b[tm->size / 2] ^= 0x01;
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, b, tm->size, NULL));

	memcpy(b, tm->blob, tm->size);
	h->file_size += 8;
	vmb_fix_crc(b, tm->size);
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, b, tm->size, NULL));

	/* The untouched blob still loads. */
	memcpy(b, tm->blob, tm->size);
	ASSERT_EQ(0, create_ptr(self->fd, b, tm->size, NULL));
	free(b);
}

/*
 * Kernel and userspace validator agree on a blob: both refuse it, or the
 * kernel accepts it (unless it does not fit the SRAM) with matching info.
 */
static int agree(struct __test_metadata *_metadata, int fd, const void *blob,
		 size_t size, uint64_t sram, const char *what, size_t at)
{
	struct drm_vision_model_info e, got;
	int user, kern;
	uint32_t h;

	user = expected_info(blob, size, &e, NULL);
	kern = create_ptr(fd, blob, size, &h);
	if (user) {
		EXPECT_EQ(user, kern)
		TH_LOG("%s at %zu: user %d kernel %d", what, at, user, kern);
		return kern == 0;
	}
	if (e.sram_size > sram) {
		EXPECT_EQ(-E2BIG, kern)
		TH_LOG("%s at %zu: sram %" PRIu64 " kernel %d", what, at,
		       e.sram_size, kern);
		return kern == 0;
	}
	EXPECT_EQ(0, kern)
	TH_LOG("%s at %zu: valid in userspace, kernel %d", what, at, kern);
	if (kern)
		return 0;
	EXPECT_EQ(0, vision_model_info(fd, h, &got));
	EXPECT_EQ(e.num_ops, got.num_ops);
	EXPECT_EQ(e.output_size, got.output_size);
	EXPECT_EQ(e.arena_size, got.arena_size);
	EXPECT_EQ(0, vision_gem_close(fd, h));
	return 1;
}

/* Every byte of the header flipped, CRC fixed up or not. */
TEST_F(model, header_byte_flips)
{
	const struct tm_model *tm = &self->tm[0];
	uint8_t *b = malloc(tm->size);
	uint64_t sram;
	int accepted = 0;

	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &sram));
	for (size_t i = 0; i < sizeof(struct vision_model_header); i++) {
		static const uint8_t masks[] = { 0x01, 0x80, 0xff };

		for (int m = 0; m < 3; m++) {
			memcpy(b, tm->blob, tm->size);
			b[i] ^= masks[m];
			/* A stale CRC alone must be caught. */
			ASSERT_NE(0, create_ptr(self->fd, b, tm->size, NULL))
			TH_LOG("byte %zu ^ %#x accepted with a stale CRC", i,
			       masks[m]);
			vmb_fix_crc(b, tm->size);
			accepted += agree(_metadata, self->fd, b, tm->size,
					  sram, "header flip", i);
		}
	}
	/* Still alive and still working. */
	ASSERT_EQ(0, create_ptr(self->fd, tm->blob, tm->size, NULL));
	TH_LOG("%d header variants accepted", accepted);
	free(b);
}

/* Every byte of every test model changed, with a valid CRC. */
TEST_F(model, body_byte_flips)
{
	uint64_t sram;
	int accepted = 0, tried = 0;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &sram));
	for (int t = 0; t < NUM_TM; t++) {
		const struct tm_model *tm = &self->tm[t];
		uint8_t *b = malloc(tm->size);

		ASSERT_NE(NULL, b);
		for (size_t i = sizeof(struct vision_model_header);
		     i < tm->size; i++) {
			memcpy(b, tm->blob, tm->size);
			b[i] ^= (uint8_t)(0x5a + i);
			vmb_fix_crc(b, tm->size);
			accepted += agree(_metadata, self->fd, b, tm->size,
					  sram, "body flip", i);
			tried++;
		}
		free(b);
	}
	TH_LOG("%d of %d body variants accepted", accepted, tried);
	ASSERT_EQ(0, create_ptr(self->fd, self->tm[0].blob, self->tm[0].size,
				NULL));
}

/* Random bytes, with a plausible header or not: never accepted. */
TEST_F(model, random_garbage)
{
	uint32_t seed = 0x1badf00d;
	uint8_t *b = malloc(64 * 1024);

	ASSERT_NE(NULL, b);
	for (int round = 0; round < 400; round++) {
		size_t size = 1 + tm_rand(&seed) % (64 * 1024);
		struct vision_model_header *h = (void *)b;
		int ret;

		for (size_t i = 0; i < size; i++)
			b[i] = (uint8_t)tm_rand(&seed);
		if (round % 2 && size >= sizeof(*h)) {
			h->magic = VISION_MODEL_MAGIC;
			h->version = VISION_MODEL_VERSION;
			h->header_size = sizeof(*h);
			h->file_size = size;
			vmb_fix_crc(b, size);
		}
		ret = create_ptr(self->fd, b, size, NULL);
		ASSERT_NE(0, ret)
		TH_LOG("round %d: %zu random bytes accepted", round, size);
		ASSERT_TRUE(ret == -EINVAL || ret == -EOPNOTSUPP ||
			    ret == -E2BIG)
		TH_LOG("round %d: error %d", round, ret);
	}
	free(b);
}

/* Arena (plus scratch) beyond a core's SRAM is -E2BIG; up to it is fine. */
TEST_F(model, arena_vs_sram)
{
	struct drm_vision_model_info info;
	uint64_t sram, scratch;
	struct tm_model m;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &sram));
	ASSERT_LE(1 << 20, sram);

	/* Arena exactly the SRAM: fits. */
	ASSERT_EQ(0, lut_model(&m, sram - 64));
	ASSERT_EQ(0, expected_info(m.blob, m.size, &info, &scratch));
	ASSERT_EQ(sram, info.arena_size);
	ASSERT_EQ(0, scratch);
	ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size, &info));
	ASSERT_EQ(sram, info.arena_size);
	ASSERT_EQ(sram, info.sram_size);
	free(m.blob);

	/* One tensor alignment more: does not. */
	ASSERT_EQ(0, lut_model(&m, sram));
	ASSERT_EQ(0, expected_info(m.blob, m.size, &info, NULL));
	ASSERT_EQ(sram + 64, info.arena_size);
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, m.blob, m.size, NULL));
	free(m.blob);

	/* Scratch counts too: the arena alone fits, with scratch it does not. */
	ASSERT_EQ(0, fc_model(&m, 64, sram - 4096));
	ASSERT_EQ(0, expected_info(m.blob, m.size, &info, &scratch));
	ASSERT_LT(4096 - 64, scratch);
	ASSERT_GE(sram, info.arena_size);
	ASSERT_LT(sram, info.sram_size);
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, m.blob, m.size, NULL));
	free(m.blob);
	ASSERT_EQ(0, fc_model(&m, 64, sram - 64 - scratch - 4096));
	ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size, &info));
	ASSERT_EQ(sram - 4096, info.sram_size);
	free(m.blob);
}

/* Changing the caller's buffer after CREATE changes nothing. */
TEST_F(model, blob_copied)
{
	const struct tm_model *tm = &self->tm[1];
	struct drm_vision_model_info before, after;
	uint8_t *b = malloc(tm->size);

	ASSERT_NE(NULL, b);
	memcpy(b, tm->blob, tm->size);
	ASSERT_EQ(0, vision_model_create(self->fd, b, tm->size, &before));
	memset(b, 0xee, tm->size);
	ASSERT_EQ(0, vision_model_info(self->fd, before.handle, &after));
	ASSERT_EQ(before.handle, after.handle);
	ASSERT_INFO_EQ(&before, &after);
	/* The scribbled buffer itself is no model. */
	ASSERT_EQ(-EINVAL, create_ptr(self->fd, b, tm->size, NULL));
	free(b);
}

TEST_F(model, info_bad)
{
	struct drm_vision_model_info info, ok;
	uint32_t bo, *words = (uint32_t *)&info;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &ok));
	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &bo, NULL));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, bo, &info));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, 0, &info));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, ok.handle + 100, &info));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, UINT32_MAX, &info));

	/* Every member but the handle must be zero on input. */
	for (size_t w = 1; w < sizeof(info) / 4; w++) {
		memset(&info, 0, sizeof(info));
		info.handle = ok.handle;
		words[w] = 1u << (w % 32);
		EXPECT_EQ(-EINVAL, model_info_raw(self->fd, &info))
		TH_LOG("word %zu of the info not checked", w);
	}
	memset(&info, 0, sizeof(info));
	info.handle = ok.handle;
	ASSERT_EQ(0, model_info_raw(self->fd, &info));
	ASSERT_INFO_EQ(&ok, &info);
}

/* Models are not BOs: BO_INFO refuses them, so they have no mmap offset. */
TEST_F(model, not_a_bo)
{
	struct drm_vision_model_info info;
	struct drm_vision_bo_info bi;
	uint32_t bo;
	uint64_t off;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, info.handle, &bi));
	ASSERT_EQ(-ENOENT, vision_bo_wait(self->fd, info.handle, 0, NULL));
	ASSERT_EQ(NULL, vision_bo_mmap(self->fd, info.handle, NULL));

	/*
	 * Nothing near a BO's offset maps a model either: a model created
	 * between two BOs would take an offset between theirs if it had one.
	 */
	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &bo, &off));
	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	for (uint64_t o = off + PAGE; o < off + 64 * PAGE; o += PAGE)
		ASSERT_EQ(MAP_FAILED,
			  mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd, o));
}

TEST_F(model, close)
{
	struct drm_vision_model_info info;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[2].blob,
					 self->tm[2].size, &info));
	ASSERT_EQ(0, vision_gem_close(self->fd, info.handle));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, info.handle, &info));
	ASSERT_EQ(-EINVAL, vision_gem_close(self->fd, info.handle));
}

/* Another open of the device cannot see this file's models. */
TEST_F(model, per_file)
{
	struct drm_vision_model_info info, other;
	int fd2 = vision_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	ASSERT_EQ(-ENOENT, vision_model_info(fd2, info.handle, &other));
	ASSERT_EQ(-EINVAL, vision_gem_close(fd2, info.handle));
	close(fd2);
	ASSERT_EQ(0, vision_model_info(self->fd, info.handle, &other));
}

/* Create and close many times: debugfs lists no model left behind. */
TEST_F(model, no_leak)
{
	const struct tm_model *tm = &self->tm[0];
	struct drm_vision_model_info info;
	char *text = malloc(1 << 16);
	char want[128];
	int base, n;

	ASSERT_NE(NULL, text);
	base = state_models(self->fd, text, 1 << 16);
	ASSERT_LE(0, base);

	/* A live model is listed with its size, ops and arena. */
	ASSERT_EQ(0, vision_model_create(self->fd, tm->blob, tm->size, &info));
	n = state_models(self->fd, text, 1 << 16);
	ASSERT_EQ(base + 1, n);
	snprintf(want, sizeof(want), " size=%zu ops=%u arena=%" PRIu64,
		 tm->size, info.num_ops, (uint64_t)info.arena_size);
	ASSERT_NE(NULL, strstr(text, want))
	TH_LOG("no \"%s\" in:\n%s", want, text);
	ASSERT_EQ(0, vision_gem_close(self->fd, info.handle));

	for (int i = 0; i < 500; i++) {
		ASSERT_EQ(0, vision_model_create(self->fd, tm->blob, tm->size,
						 &info));
		ASSERT_EQ(0, vision_gem_close(self->fd, info.handle));
	}
	ASSERT_EQ(base, state_models(self->fd, text, 1 << 16))
	TH_LOG("state:\n%s", text);

	/* Models left open are freed with the file. */
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(0, vision_model_create(self->fd, tm->blob, tm->size,
						 NULL));
	ASSERT_EQ(base + 20, state_models(self->fd, text, 1 << 16));
	close(self->fd);
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(base, state_models(self->fd, text, 1 << 16))
	TH_LOG("state:\n%s", text);
	free(text);
}

static int prime_export(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle p = {
		.handle = handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
	};

	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		return -errno;
	*dmabuf = p.fd;
	return 0;
}

static int prime_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p))
		return -errno;
	*handle = p.handle;
	return 0;
}

/* A model shared through PRIME works in the other file. */
TEST_F(model, prime_share)
{
	struct drm_vision_model_info info, other;
	struct drm_vision_bo_info bi;
	uint32_t h2 = 0, again = 0;
	int dmabuf = -1, fd2;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	ASSERT_EQ(0, prime_export(self->fd, info.handle, &dmabuf));
	ASSERT_LE(0, dmabuf);
	/* Imported back into the same file: the same handle. */
	ASSERT_EQ(0, prime_import(self->fd, dmabuf, &again));
	ASSERT_EQ(info.handle, again);

	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, prime_import(fd2, dmabuf, &h2));
	ASSERT_NE(0, h2);
	ASSERT_EQ(0, vision_model_info(fd2, h2, &other));
	ASSERT_EQ(h2, other.handle);
	ASSERT_INFO_EQ(&info, &other);
	/* Still a model there, not a BO. */
	ASSERT_EQ(-ENOENT, vision_bo_info(fd2, h2, &bi));

	/* It outlives the exporting file and the dma-buf fd. */
	close(dmabuf);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, vision_model_info(fd2, h2, &other));
	ASSERT_INFO_EQ(&info, &other);
	ASSERT_EQ(0, vision_gem_close(fd2, h2));
	ASSERT_EQ(-ENOENT, vision_model_info(fd2, h2, &other));
	close(fd2);
}

/* A model's dma-buf cannot be mapped either. */
TEST_F(model, prime_no_mmap)
{
	struct drm_vision_model_info info;
	void *p;
	int dmabuf = -1;

	ASSERT_EQ(0, vision_model_create(self->fd, self->tm[0].blob,
					 self->tm[0].size, &info));
	ASSERT_EQ(0, prime_export(self->fd, info.handle, &dmabuf));
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dmabuf, 0);
	ASSERT_EQ(MAP_FAILED, p);
	close(dmabuf);
	ASSERT_EQ(0, vision_model_info(self->fd, info.handle, &info));
}

/* ---- module parameters ------------------------------------------------- */

/* Tests that reload the module with other parameters; restore the default. */
FIXTURE(reload)
{
	int fd;
};

FIXTURE_SETUP(reload)
{
	self->fd = -1;
	if (geteuid() != 0 || !getenv("VISION_KO"))
		SKIP(return, "needs root and VISION_KO");
	ASSERT_EQ(0, vision_module_unload());
}

/*
 * In the parent, once the test's process (and so every fd and mapping it
 * had) is gone: the module can always be reloaded with defaults then.
 */
FIXTURE_TEARDOWN_PARENT(reload)
{
	vision_module_unload();
	vision_module_load("");
}

/* sram_mb sets the SRAM size and so the largest arena. */
TEST_F(reload, sram_mb)
{
	struct drm_vision_model_info info;
	struct tm_model m;
	uint64_t v;

	ASSERT_EQ(0, vision_module_load("sram_mb=1"));
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &v));
	ASSERT_EQ(1 << 20, v);

	ASSERT_EQ(0, lut_model(&m, (2 << 20) - 64));
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, m.blob, m.size, NULL));
	free(m.blob);
	ASSERT_EQ(0, lut_model(&m, (1 << 20) - 64));
	ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size, &info));
	ASSERT_EQ(1 << 20, info.arena_size);
	free(m.blob);
	ASSERT_EQ(0, lut_model(&m, 1 << 20));
	ASSERT_EQ(-E2BIG, create_ptr(self->fd, m.blob, m.size, NULL));
	free(m.blob);
}

/* model_mem_mb caps live model bytes, device-wide; closing frees room. */
TEST_F(reload, model_mem_mb)
{
	struct drm_vision_model_info info[8];
	struct tm_model m, small;
	uint64_t cap;
	int n, fd2;

	ASSERT_EQ(0, vision_module_load("model_mem_mb=1"));
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MODEL_MEMORY,
				      0, &cap));
	ASSERT_EQ(1 << 20, cap);

	/* About 300 KiB each: three fit in 1 MiB, a fourth does not. */
	ASSERT_EQ(0, fc_model(&m, 300, 0));
	ASSERT_LT(cap / 4, m.size);
	ASSERT_GE(cap / 3, m.size);
	for (n = 0; n < 8; n++) {
		int ret =
			vision_model_create(self->fd, m.blob, m.size, &info[n]);

		if (ret) {
			ASSERT_EQ(-ENOSPC, ret);
			break;
		}
	}
	ASSERT_EQ(3, n);

	/* The cap is the device's, not the file's. */
	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(-ENOSPC, create_ptr(fd2, m.blob, m.size, NULL));
	/* A small model still fits in what is left. */
	ASSERT_EQ(0, lut_model(&small, 0));
	ASSERT_GE(cap - 3 * m.size, small.size);
	ASSERT_EQ(0, create_ptr(fd2, small.blob, small.size, NULL));
	free(small.blob);
	close(fd2);

	/* Freeing one makes room for one. */
	ASSERT_EQ(0, vision_gem_close(self->fd, info[0].handle));
	ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size, &info[0]));
	ASSERT_EQ(-ENOSPC, create_ptr(self->fd, m.blob, m.size, NULL));
	/* Closing the file frees them all. */
	close(self->fd);
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	for (n = 0; n < 3; n++)
		ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size,
						 &info[n]));
	free(m.blob);
}

/* Out-of-range limits are refused at load; the largest ones work. */
TEST_F(reload, param_ranges)
{
	static const char *const bad[] = { "sram_mb=0", "sram_mb=257",
					   "model_mem_mb=0",
					   "model_mem_mb=4097" };
	struct drm_vision_model_info info;
	char path[256];
	struct tm_model m;
	uint64_t v;
	int user;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, vision_module_load(bad[i]))
		TH_LOG("%s", bad[i]);
		ASSERT_EQ(-ENODEV, vision_find_node(path, sizeof(path)));
	}

	ASSERT_EQ(0,
		  vision_module_load("cores=1 sram_mb=256 model_mem_mb=4096"));
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &v));
	ASSERT_EQ(256ull << 20, v);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MODEL_MEMORY,
				      0, &v));
	ASSERT_EQ(4096ull << 20, v);

	/* The largest arena the format allows fits the largest SRAM. */
	ASSERT_EQ(0, lut_model(&m, (256ull << 20) - 64));
	ASSERT_EQ(0, vision_model_create(self->fd, m.blob, m.size, &info));
	ASSERT_EQ(256ull << 20, info.sram_size);
	free(m.blob);
	/* Beyond it the model itself is refused, as in userspace. */
	ASSERT_EQ(0, lut_model(&m, 256ull << 20));
	user = expected_info(m.blob, m.size, &info, NULL);
	ASSERT_NE(0, user);
	ASSERT_EQ(user, create_ptr(self->fd, m.blob, m.size, NULL));
	free(m.blob);
}

/* A model shared through PRIME counts once against the cap. */
TEST_F(reload, model_mem_shared)
{
	struct drm_vision_model_info info;
	struct tm_model m, small;
	uint32_t h;
	int fd2;

	ASSERT_EQ(0, vision_module_load("model_mem_mb=1"));
	ASSERT_EQ(0, fc_model(&m, 300, 0));
	ASSERT_EQ(0, lut_model(&small, 0));
	self->fd = vision_open();
	fd2 = vision_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, fd2);
	for (int i = 0; i < 3; i++) {
		struct drm_prime_handle p = { .flags = DRM_CLOEXEC };

		ASSERT_EQ(0,
			  vision_model_create(self->fd, m.blob, m.size, &info));
		p.handle = info.handle;
		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
		ASSERT_EQ(0, ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
		close(p.fd);
	}
	/* Three big models in two files: still room for a small one only. */
	ASSERT_EQ(-ENOSPC, create_ptr(fd2, m.blob, m.size, NULL));
	ASSERT_EQ(0, create_ptr(fd2, small.blob, small.size, &h));
	ASSERT_EQ(0, vision_gem_close(fd2, h));

	/* The exporter goes; the importer keeps all three alive. */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(-ENOSPC, create_ptr(fd2, m.blob, m.size, NULL));
	/* The last user goes: all the memory is back. */
	close(fd2);
	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, create_ptr(fd2, m.blob, m.size, NULL));
	close(fd2);
	free(small.blob);
	free(m.blob);
}

struct race_arg {
	int fd;
	const struct tm_model *m;
	pthread_barrier_t *start;
	int ret;
	uint32_t handle;
};

static void *race_create(void *p)
{
	struct race_arg *a = p;

	pthread_barrier_wait(a->start);
	a->ret = create_ptr(a->fd, a->m->blob, a->m->size, &a->handle);
	return NULL;
}

/* Creators racing for the last model memory never overshoot the cap. */
TEST_F(reload, model_mem_race)
{
	struct race_arg args[8];
	pthread_barrier_t start;
	pthread_t t[8];
	struct tm_model m;
	int fds[2];

	ASSERT_EQ(0, vision_module_load("model_mem_mb=1"));
	ASSERT_EQ(0, fc_model(&m, 300, 0));
	for (int round = 0; round < 10; round++) {
		int ok = 0;

		/* Two files, so the cap must be enforced device-wide. */
		fds[0] = vision_open();
		fds[1] = vision_open();
		ASSERT_LE(0, fds[0]);
		ASSERT_LE(0, fds[1]);
		ASSERT_EQ(0, pthread_barrier_init(&start, NULL, 8));
		for (int i = 0; i < 8; i++) {
			args[i] = (struct race_arg){
				.fd = fds[i % 2],
				.m = &m,
				.start = &start,
			};
			ASSERT_EQ(0, pthread_create(&t[i], NULL, race_create,
						    &args[i]));
		}
		for (int i = 0; i < 8; i++) {
			ASSERT_EQ(0, pthread_join(t[i], NULL));
			if (!args[i].ret)
				ok++;
			else
				ASSERT_EQ(-ENOSPC, args[i].ret);
		}
		pthread_barrier_destroy(&start);
		ASSERT_EQ(3, ok)
		TH_LOG("round %d", round);
		close(fds[0]);
		close(fds[1]);
	}
	free(m.blob);
}

int main(int argc, char **argv)
{
	char path[256];

	if (vision_find_node(path, sizeof(path)))
		ksft_exit_skip("no vision device node\n");
	return test_harness_run(argc, argv);
}
