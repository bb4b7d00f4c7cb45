// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision's runtime: buffers, models, synchronous and asynchronous
 * inference, batches, profiles, top-k and dequantization. On the host it
 * runs on the CPU fallback and checks every result against the engine
 * run directly (vis_engine_run() on the portable kernels); inside the
 * test VM the "hw" tests also run on the real device and require its
 * results to equal the CPU's byte for byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vision/vision.h>

#include "engine_test_util.h"
#include "libvision_test_util.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

#define V4L2_RGB24 0x33424752u /* RGB3 */
#define V4L2_NV12 0x3231564eu
#define V4L2_YUYV 0x56595559u

#define IN_H 8
#define IN_W 8
#define CONV_C TEST_MODEL_CONV_C
#define CLASSES TEST_MODEL_CLASSES

static const char *const class_names[CLASSES] = {
	"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal",  "Shirt",   "Sneaker",  "Bag",   "Boot",
};

#define OUT_SIZE (CLASSES + CONV_C)
#define IN_SIZE (IN_H * IN_W * 3)

/* ---- the independent reference: the engine, run by hand --------------- */

struct ref {
	struct vis_model m;
	uint8_t *arena;
	uint8_t *scratch;
};

static int ref_open(struct ref *r, const void *blob, size_t size)
{
	int ret = vis_model_validate(&r->m, blob, size, NULL);

	if (ret)
		return ret;
	r->arena = aligned_alloc(64, (r->m.arena_size + 63) / 64 * 64 + 64);
	r->scratch = malloc(r->m.scratch_size + 1);
	if (!r->arena || !r->scratch)
		return -ENOMEM;
	memset(r->arena, 0, r->m.arena_size);
	return 0;
}

static void ref_close(struct ref *r)
{
	free(r->arena);
	free(r->scratch);
}

static int ref_finish(struct ref *r, uint8_t *out)
{
	struct vis_exec x = {
		.model = &r->m,
		.arena = r->arena,
		.scratch = r->scratch,
		.k = &vis_kernels_portable,
	};
	size_t off = 0;
	int ret = vis_engine_run(&x);

	for (uint32_t i = 0; !ret && i < r->m.num_outputs; i++) {
		const struct vision_model_tensor *t =
			&r->m.tensors[r->m.outputs[i].tensor];

		memcpy(out + off, r->arena + t->offset, t->size);
		off += t->size;
	}
	return ret;
}

static int ref_tensor(struct ref *r, const void *in, uint8_t *out)
{
	const struct vision_model_tensor *t = &r->m.tensors[r->m.input->tensor];

	memcpy(r->arena + t->offset, in, t->size);
	return ref_finish(r, out);
}

/* A frame of the public description, its planes in @base (@size bytes). */
static int ref_frame(struct ref *r, const struct vision_frame *f,
		     const uint8_t *base, size_t size, uint8_t *out)
{
	struct vis_frame vf = {
		.fourcc = f->fourcc,
		.width = f->width,
		.height = f->height,
		.crop_x = f->crop_x,
		.crop_y = f->crop_y,
		.crop_w = f->crop_width ? f->crop_width : f->width,
		.crop_h = f->crop_height ? f->crop_height : f->height,
	};
	struct vis_exec x = {
		.model = &r->m,
		.arena = r->arena,
		.scratch = r->scratch,
		.k = &vis_kernels_portable,
	};
	int ret;

	for (uint32_t i = 0; i < f->num_planes; i++) {
		vf.planes[i] = base + f->offsets[i];
		vf.strides[i] = f->strides[i];
		vf.plane_sizes[i] = size - f->offsets[i];
	}
	ret = vis_input_check(&r->m, &vf);
	if (ret)
		return ret;
	vis_input_run(&x, &vf, 0, vis_input_rows(&r->m));
	return ref_finish(r, out);
}

/* ---- frames ------------------------------------------------------------- */

struct frame_buf {
	struct vision_frame f;
	uint8_t *data;
	size_t size;
};

/* A @w x @h frame of @fourcc with random pixels and padded lines. */
static void make_frame(struct frame_buf *fb, uint32_t fourcc, uint32_t w,
		       uint32_t h)
{
	memset(fb, 0, sizeof(*fb));
	fb->f.fourcc = fourcc;
	fb->f.width = w;
	fb->f.height = h;
	fb->f.num_planes = 1;
	switch (fourcc) {
	case V4L2_NV12:
		fb->f.num_planes = 2;
		fb->f.strides[0] = w + 8;
		fb->f.strides[1] = w + 8;
		fb->f.offsets[1] = (uint64_t)fb->f.strides[0] * h;
		fb->size =
			fb->f.offsets[1] + (uint64_t)fb->f.strides[1] * h / 2;
		break;
	case V4L2_YUYV:
		fb->f.strides[0] = w * 2 + 4;
		fb->size = (size_t)fb->f.strides[0] * h;
		break;
	default:
		fb->f.strides[0] = w * 3 + 5;
		fb->size = (size_t)fb->f.strides[0] * h;
		break;
	}
	fb->data = malloc(fb->size);
	rnd_fill((int8_t *)fb->data, fb->size);
}

/* ---- helpers -------------------------------------------------------------- */

static void crop(struct vision_frame *f, uint32_t x, uint32_t y, uint32_t w,
		 uint32_t h)
{
	f->crop_x = x;
	f->crop_y = y;
	f->crop_width = w;
	f->crop_height = h;
}

/* The frame in @fb's memory as an input. */
static struct vision_input frame_input(struct frame_buf *fb)
{
	return (struct vision_input){ .data = fb->data,
				      .size = fb->size,
				      .frame = &fb->f };
}

static char *write_temp(const void *data, size_t size)
{
	char *path = strdup("/tmp/vision-runtime-XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static void random_input(int8_t *in, size_t n, uint64_t seed)
{
	rng_seed(seed);
	rnd_fill(in, n);
}

FIXTURE(cpu)
{
	struct vision_device *dev;
	struct vision_model *model;
	void *blob;
	size_t size;
	char *path;
	struct ref ref;
};

FIXTURE_SETUP(cpu)
{
	struct vision_model_error err;

	/*
	 * input [1,8,8,3] -> conv -> pool -> FC: the labelled logits, then
	 * the pooled features.
	 */
	self->blob = build_classifier(IN_H, IN_W, 7, class_names, &self->size);
	ASSERT_NE(NULL, self->blob);
	ASSERT_EQ(0, ref_open(&self->ref, self->blob, self->size));
	self->path = write_temp(self->blob, self->size);
	ASSERT_NE(NULL, self->path);
	ASSERT_EQ(0, vision_device_open(VISION_DEVICE_CPU, &self->dev));
	ASSERT_EQ(0,
		  vision_model_load(self->dev, self->path, &self->model, &err))
	TH_LOG("%s", err.text);
}

FIXTURE_TEARDOWN(cpu)
{
	vision_model_free(self->model);
	vision_device_close(self->dev);
	if (self->path)
		unlink(self->path);
	free(self->path);
	ref_close(&self->ref);
	free(self->blob);
}

TEST_F(cpu, device_is_cpu)
{
	uint64_t v;

	ASSERT_EQ(1, vision_device_is_cpu(self->dev));
	ASSERT_STREQ("cpu", vision_device_path(self->dev));
	ASSERT_EQ(-1, vision_device_fd(self->dev));
	ASSERT_EQ(0, vision_device_get_param(self->dev, VISION_PARAM_DEVICE_ID,
					     &v));
	ASSERT_EQ(VISION_DEVICE_ID_CPU, v);
	ASSERT_EQ(0, vision_device_get_param(self->dev, VISION_PARAM_MAX_JOBS,
					     &v));
	ASSERT_EQ(64, v);
	ASSERT_EQ(0, vision_device_get_param(self->dev,
					     VISION_PARAM_INPUT_FORMATS, &v));
	/* RGB24 (bit 0), YUYV (bit 12), NV12 (bit 16), GREY (bit 18). */
	ASSERT_EQ(0x51001, v & 0x51001);
	ASSERT_EQ(-EOPNOTSUPP,
		  vision_device_get_param(self->dev,
					  VISION_PARAM_CORE_SRAM_SIZE, &v));
	ASSERT_STREQ("max_jobs", vision_param_name(VISION_PARAM_MAX_JOBS));
}

TEST(open_selection)
{
	struct vision_device *dev = NULL;

	setenv("VISION_DEVICE", "cpu", 1);
	ASSERT_EQ(0, vision_device_open(NULL, &dev));
	ASSERT_EQ(1, vision_device_is_cpu(dev));
	vision_device_close(dev);

	setenv("VISION_DEVICE", "/nonexistent/accel9", 1);
	ASSERT_EQ(-ENOENT, vision_device_open(NULL, &dev));
	/* An explicit choice is never replaced by the CPU. */
	ASSERT_EQ(-ENOENT, vision_device_open_flags(
				   NULL, VISION_OPEN_FALLBACK_CPU, &dev));
	ASSERT_EQ(NULL, dev);
	unsetenv("VISION_DEVICE");

	ASSERT_EQ(-EINVAL, vision_device_open_flags(NULL, 0x80, &dev));
	ASSERT_EQ(0, vision_device_open_flags(NULL, VISION_OPEN_FALLBACK_CPU,
					      &dev));
	/* The CPU only when there is no device. */
	if (vision_device_is_cpu(dev)) {
		struct vision_device *hw;

		ASSERT_EQ(-ENODEV, vision_device_open(NULL, &hw));
	}
	vision_device_close(dev);
}

TEST_F(cpu, model_info)
{
	struct vision_tensor_info ti;
	struct vision_model_info mi;

	ASSERT_EQ(0, vision_model_get_info(self->model, &mi));
	ASSERT_EQ(IN_SIZE, mi.input_size);
	ASSERT_EQ(OUT_SIZE, mi.output_size);
	ASSERT_EQ(self->size, mi.model_size);
	ASSERT_EQ(2, mi.num_outputs);
	ASSERT_EQ(3, mi.num_ops);
	ASSERT_EQ(VISION_COLOR_RGB, mi.input_color);
	/* conv 8*8 pixels * 4 * 3*3*3, pool 8*8*4 adds, fc 10*4. */
	ASSERT_EQ(IN_H * IN_W * CONV_C * 27 + IN_H * IN_W * CONV_C +
			  CLASSES * CONV_C,
		  mi.macs);

	ASSERT_EQ(0, vision_model_input(self->model, &ti));
	ASSERT_EQ(1, ti.shape[0]);
	ASSERT_EQ(IN_H, ti.shape[1]);
	ASSERT_EQ(IN_W, ti.shape[2]);
	ASSERT_EQ(3, ti.shape[3]);
	ASSERT_EQ(VISION_TYPE_INT8, ti.type);
	ASSERT_EQ(-1, ti.zero_point);
	ASSERT_EQ(1.0f / 128, ti.scale);
	ASSERT_EQ(IN_SIZE, ti.size);
	ASSERT_STREQ("image", ti.name);

	ASSERT_EQ(0, vision_model_output(self->model, 0, &ti));
	ASSERT_EQ(CLASSES, ti.shape[3]);
	ASSERT_EQ(7, ti.zero_point);
	ASSERT_EQ(0.125f, ti.scale);
	ASSERT_EQ(0, ti.offset);
	ASSERT_EQ(CLASSES, ti.num_labels);
	ASSERT_STREQ("logits", ti.name);

	ASSERT_EQ(0, vision_model_output(self->model, 1, &ti));
	ASSERT_EQ(CONV_C, ti.shape[3]);
	ASSERT_EQ(3, ti.zero_point);
	ASSERT_EQ(0.05f, ti.scale);
	ASSERT_EQ(CLASSES, ti.offset);
	ASSERT_EQ(0, ti.num_labels);
	ASSERT_STREQ("features", ti.name);

	ASSERT_EQ(-ERANGE, vision_model_output(self->model, 2, &ti));
	ASSERT_EQ(-EINVAL, vision_model_output(NULL, 0, &ti));
	ASSERT_EQ(-EINVAL, vision_model_get_info(self->model, NULL));

	for (int i = 0; i < CLASSES; i++)
		ASSERT_STREQ(class_names[i],
			     vision_model_label(self->model, 0, i));
	ASSERT_EQ(NULL, vision_model_label(self->model, 0, CLASSES));
	ASSERT_EQ(NULL, vision_model_label(self->model, 1, 0));
	ASSERT_EQ(NULL, vision_model_label(self->model, 2, 0));
}

TEST_F(cpu, infer_tensor_equals_engine)
{
	int8_t in[IN_SIZE];
	uint8_t out[OUT_SIZE + 8], want[OUT_SIZE];
	struct vision_input vi = { .data = in, .size = IN_SIZE };

	for (int seed = 1; seed <= 20; seed++) {
		random_input(in, sizeof(in), seed);
		memset(out, 0xa5, sizeof(out));
		ASSERT_EQ(0, ref_tensor(&self->ref, in, want));
		ASSERT_EQ(0, vision_infer(self->model, &vi, out, sizeof(out)));
		ASSERT_EQ(0, memcmp(want, out, OUT_SIZE));
		/* Nothing past output_size is written. */
		ASSERT_EQ(0xa5, out[OUT_SIZE]);
	}
}

TEST_F(cpu, infer_frames_equal_engine)
{
	static const uint32_t fourccs[] = { V4L2_RGB24, V4L2_NV12, V4L2_YUYV };
	uint8_t out[OUT_SIZE], want[OUT_SIZE];

	rng_seed(99);
	for (unsigned int i = 0; i < 3; i++) {
		struct frame_buf fb;
		struct vision_input vi;

		make_frame(&fb, fourccs[i], 40, 30);
		/* Whole frame, then a crop. */
		for (int cropped = 0; cropped < 2; cropped++) {
			if (cropped)
				crop(&fb.f, 6, 4, 20, 16);
			vi = frame_input(&fb);
			ASSERT_EQ(0, ref_frame(&self->ref, &fb.f, fb.data,
					       fb.size, want));
			ASSERT_EQ(0, vision_infer(self->model, &vi, out,
						  sizeof(out)));
			ASSERT_EQ(0, memcmp(want, out, OUT_SIZE))
			TH_LOG("fourcc %x crop %d", fourccs[i], cropped);
		}
		free(fb.data);
	}
}

TEST_F(cpu, bad_inputs)
{
	int8_t in[IN_SIZE] = { 0 };
	uint8_t out[OUT_SIZE];
	struct vision_input vi = { .data = in, .size = IN_SIZE };
	struct vision_request *req = (void *)1;
	struct vision_frame f;
	struct frame_buf fb;
	struct vision_bo *bo;

	ASSERT_EQ(-EINVAL, vision_infer(NULL, &vi, out, sizeof(out)));
	ASSERT_EQ(-EINVAL, vision_infer(self->model, NULL, out, sizeof(out)));
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, NULL, sizeof(out)));
	ASSERT_EQ(-ENOSPC, vision_infer(self->model, &vi, out, OUT_SIZE - 1));
	vi.size = IN_SIZE - 1;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.size = IN_SIZE + 1;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.size = IN_SIZE;
	vi.data = NULL;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));

	/* Both memory and a buffer; a buffer too small at its offset. */
	ASSERT_EQ(0, vision_bo_create(self->dev, IN_SIZE, 0, &bo));
	vi = (struct vision_input){ .data = in, .size = IN_SIZE, .bo = bo };
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi = (struct vision_input){
		.bo = bo, .offset = vision_bo_size(bo) - IN_SIZE + 1
	};
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.offset = UINT64_MAX;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.offset = vision_bo_size(bo) - IN_SIZE;
	ASSERT_EQ(0, vision_infer(self->model, &vi, out, sizeof(out)));
	vision_bo_free(bo);

	/* Frames: unknown format, planes beyond the memory, bad crop. */
	make_frame(&fb, V4L2_RGB24, 16, 16);
	vi = (struct vision_input){ .data = fb.data,
				    .size = fb.size,
				    .frame = &f };
	f = fb.f;
	f.fourcc = 0x31313131;
	ASSERT_EQ(-EOPNOTSUPP,
		  vision_infer(self->model, &vi, out, sizeof(out)));
	f = fb.f;
	f.num_planes = 2;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	f = fb.f;
	/* The last line's padding is not read; its last pixel is. */
	vi.size = fb.size - 5;
	ASSERT_EQ(0, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.size = fb.size - 6;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.size = fb.size;
	crop(&f, 10, 0, 7, 4);
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	f = fb.f;
	vi.offset = 64;
	ASSERT_EQ(-EINVAL, vision_infer(self->model, &vi, out, sizeof(out)));
	vi.offset = 0;
	ASSERT_EQ(0, vision_infer(self->model, &vi, out, sizeof(out)));
	free(fb.data);

	/* Submissions: counts and flags. */
	vi = (struct vision_input){ .data = in, .size = IN_SIZE };
	ASSERT_EQ(-EINVAL, vision_submit(self->model, &vi, 0, 0, &req));
	ASSERT_EQ(NULL, req);
	ASSERT_EQ(-EINVAL, vision_submit(self->model, &vi, 1, 0x100, &req));
	ASSERT_EQ(-EINVAL, vision_submit(self->model, NULL, 1, 0, &req));
	ASSERT_EQ(-EINVAL, vision_submit(self->model, &vi, 1, 0, NULL));
	{
		struct vision_input many[65];

		for (int i = 0; i < 65; i++)
			many[i] = vi;
		ASSERT_EQ(-E2BIG,
			  vision_submit(self->model, many, 65, 0, &req));
		/* One bad input refuses the whole batch. */
		many[40].size = 1;
		ASSERT_EQ(-EINVAL,
			  vision_submit(self->model, many, 64, 0, &req));
	}
	ASSERT_EQ(-EINVAL, vision_request_wait(NULL, 0));
	vision_request_free(NULL);
}

/* Corrupt @blob in place at @off, keeping the CRC right when @fix_crc. */
static int load_corrupt(struct vision_device *dev, const void *blob,
			size_t size, size_t off, uint8_t xor, bool fix_crc,
			struct vis_engine_error *want,
			struct vision_model_error *got)
{
	uint8_t *copy = malloc(size);
	struct vision_model *m = NULL;
	struct vis_model vm;
	char *path;
	int ret;

	memcpy(copy, blob, size);
	copy[off] ^= xor;
	if (fix_crc)
		vmb_fix_crc(copy, size);
	vis_model_validate(&vm, copy, size, want);
	path = write_temp(copy, size);
	ret = vision_model_load(dev, path, &m, got);
	unlink(path);
	free(path);
	free(copy);
	vision_model_free(m);
	return ret;
}

TEST_F(cpu, bad_model_files)
{
	const struct vision_model_header *h = self->blob;
	struct vision_model_error e;
	struct vis_engine_error ve;
	struct vision_model *m = (void *)1;
	char *path;
	size_t op0;

	ASSERT_EQ(-ENOENT,
		  vision_model_load(self->dev, "/nonexistent/m.vnm", &m, &e));
	ASSERT_EQ(NULL, m);
	ASSERT_EQ(-ENOENT, e.err);
	ASSERT_STREQ("file", e.section);
	ASSERT_NE(NULL, strstr(e.text, "/nonexistent/m.vnm"));
	ASSERT_EQ(-EISDIR, vision_model_load(self->dev, "/tmp", &m, &e));
	ASSERT_EQ(-EINVAL, vision_model_load(self->dev, NULL, &m, &e));
	ASSERT_EQ(-EINVAL, vision_model_load(self->dev, self->path, NULL, &e));
	/* A NULL error struct is allowed. */
	ASSERT_EQ(-ENOENT,
		  vision_model_load(self->dev, "/nonexistent", &m, NULL));

	/* Empty and truncated files: the header is at fault. */
	path = write_temp(self->blob, 0);
	ASSERT_EQ(-EINVAL, vision_model_load(self->dev, path, &m, &e));
	ASSERT_STREQ("header", e.section);
	unlink(path);
	free(path);
	for (size_t cut = 1; cut < self->size; cut += self->size / 7) {
		path = write_temp(self->blob, self->size - cut);
		ASSERT_EQ(-EINVAL, vision_model_load(self->dev, path, &m, &e));
		ASSERT_STREQ("header", e.section);
		ASSERT_NE(0, e.message[0]);
		unlink(path);
		free(path);
	}

	/* A flipped bit without a fixed CRC: the CRC is wrong. */
	ASSERT_EQ(-EINVAL, load_corrupt(self->dev, self->blob, self->size,
					self->size - 1, 1, false, &ve, &e));
	ASSERT_STREQ("header", e.section);
	ASSERT_STREQ("crc32", e.field);

	/*
	 * An operator naming a tensor that does not exist, CRC fixed: the
	 * reason is the validator's, at ops[1].
	 */
	op0 = h->sections[VISION_MODEL_SECTION_OPS].offset;
	ASSERT_EQ(-EINVAL,
		  load_corrupt(
			  self->dev, self->blob, self->size,
			  op0 + sizeof(struct vision_model_op) +
				  offsetof(struct vision_model_op, inputs) + 2,
			  0x40, true, &ve, &e));
	ASSERT_EQ(ve.err, e.err);
	ASSERT_STREQ("ops", e.section);
	ASSERT_EQ(1, e.index);
	ASSERT_EQ(ve.index, e.index);
	ASSERT_STREQ(ve.field, e.field);
	ASSERT_STREQ(ve.msg, e.message);
	ASSERT_EQ(0, strncmp(e.text, "ops[1].", 7));
	ASSERT_NE(NULL, strstr(e.text, ve.msg));

	/* The same reasons from memory. */
	ASSERT_EQ(-EINVAL, vision_model_load_memory(self->dev, self->blob,
						    self->size / 2, &m, &e));
	ASSERT_STREQ("header", e.section);
	ASSERT_EQ(-EINVAL,
		  vision_model_load_memory(self->dev, NULL, 10, &m, &e));
	ASSERT_EQ(-E2BIG, vision_model_load_memory(
				  self->dev, self->blob,
				  (size_t)VISION_MODEL_MAX_SIZE + 1, &m, &e));
	ASSERT_EQ(0, vision_model_load_memory(self->dev, self->blob, self->size,
					      &m, &e));
	vision_model_free(m);
}

/* Inputs of every kind in one batch: memory tensors, buffer tensors at an
 * offset, memory frames, buffer frames. */
TEST_F(cpu, batch_and_async)
{
	enum { N = 6 };
	struct vision_input vi[N];
	uint8_t want[N][OUT_SIZE];
	int8_t tensors[N][IN_SIZE];
	struct frame_buf fb[N];
	struct vision_request *req;
	struct vision_bo *bo;
	struct pollfd pfd;
	uint8_t *map;
	int ret;

	ASSERT_EQ(0, vision_bo_create(self->dev, 3 * 4096, VISION_BO_WC, &bo));
	ASSERT_EQ(0, vision_bo_map(bo, (void **)&map));
	memset(fb, 0, sizeof(fb));
	for (int i = 0; i < N; i++) {
		memset(&vi[i], 0, sizeof(vi[i]));
		random_input(tensors[i], IN_SIZE, 100 + i);
		switch (i % 3) {
		case 0:
			vi[i].data = tensors[i];
			vi[i].size = IN_SIZE;
			ASSERT_EQ(0,
				  ref_tensor(&self->ref, tensors[i], want[i]));
			break;
		case 1:
			vi[i].bo = bo;
			vi[i].offset = 1000 * i + 3;
			memcpy(map + vi[i].offset, tensors[i], IN_SIZE);
			ASSERT_EQ(0,
				  ref_tensor(&self->ref, tensors[i], want[i]));
			break;
		case 2:
			make_frame(&fb[i], i == 2 ? V4L2_NV12 : V4L2_YUYV,
				   24 + i, 20);
			vi[i].data = fb[i].data;
			vi[i].size = fb[i].size;
			vi[i].frame = &fb[i].f;
			ASSERT_EQ(0, ref_frame(&self->ref, &fb[i].f, fb[i].data,
					       fb[i].size, want[i]));
			break;
		}
	}
	ASSERT_EQ(0, vision_submit(self->model, vi, N, 0, &req));
	/* Inputs in memory were copied: scribbling on them is harmless. */
	for (int i = 0; i < N; i++) {
		memset(tensors[i], 0x55, IN_SIZE);
		if (fb[i].data)
			memset(fb[i].data, 0x55, fb[i].size);
	}
	ASSERT_EQ(N, vision_request_count(req));
	ret = vision_request_wait(req, 0);
	ASSERT_TRUE(ret == 0 || ret == -ETIMEDOUT);
	pfd.fd = vision_request_fd(req);
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, vision_request_wait(req, 0));
	/* Readable stays readable: waiting again is fine. */
	ASSERT_EQ(0, vision_request_wait(req, -1));
	for (int i = 0; i < N; i++) {
		const void *data;
		size_t size;

		ASSERT_EQ(0, vision_request_status(req, i));
		ASSERT_EQ(0, vision_request_output(req, i, &data, &size));
		ASSERT_EQ(OUT_SIZE, size);
		ASSERT_EQ(0, memcmp(want[i], data, OUT_SIZE))
		TH_LOG("inference %d", i);
		free(fb[i].data);
	}
	ASSERT_EQ(-ERANGE, vision_request_status(req, N));
	{
		const void *data;
		struct vision_profile p;

		ASSERT_EQ(-ERANGE, vision_request_output(req, N, &data, NULL));
		ASSERT_EQ(-ENODATA, vision_request_profile(req, 0, &p));
	}
	/* The buffer is idle once the request is done. */
	ASSERT_EQ(0, vision_bo_wait(bo, 0));
	vision_request_free(req);
	vision_bo_free(bo);
}

/* Requests outlive the handles the user drops, and may be dropped early. */
TEST_F(cpu, lifetimes)
{
	int8_t in[IN_SIZE];
	uint8_t want[OUT_SIZE];
	struct vision_input vi = { .data = in, .size = IN_SIZE };
	struct vision_request *reqs[8];
	const void *data;

	random_input(in, sizeof(in), 5);
	ASSERT_EQ(0, ref_tensor(&self->ref, in, want));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, vision_submit(self->model, &vi, 1, 0, &reqs[i]));
	/* Model and device go; requests keep them. */
	vision_model_free(self->model);
	self->model = NULL;
	vision_device_close(self->dev);
	self->dev = NULL;
	/* Some freed while queued or running, the others completed. */
	for (int i = 0; i < 8; i += 2)
		vision_request_free(reqs[i]);
	for (int i = 1; i < 8; i += 2) {
		ASSERT_EQ(0, vision_request_wait(reqs[i], -1));
		ASSERT_EQ(0, vision_request_output(reqs[i], 0, &data, NULL));
		ASSERT_EQ(0, memcmp(want, data, OUT_SIZE));
		vision_request_free(reqs[i]);
	}
}

TEST_F(cpu, profile)
{
	int8_t in[IN_SIZE] = { 0 };
	struct vision_input vi = { .data = in, .size = IN_SIZE };
	struct vision_request *req;
	struct vision_profile p;
	uint64_t sum = 0;

	ASSERT_EQ(0, vision_submit(self->model, &vi, 1, VISION_SUBMIT_PROFILE,
				   &req));
	ASSERT_EQ(0, vision_request_wait(req, -1));
	ASSERT_EQ(0, vision_request_profile(req, 0, &p));
	ASSERT_EQ(3, p.num_ops);
	ASSERT_EQ(0, p.core);
	ASSERT_STREQ("conv1", p.ops[0].name);
	ASSERT_STREQ("conv_2d", p.ops[0].type);
	ASSERT_STREQ("gap", p.ops[1].name);
	ASSERT_STREQ("global_avg_pool", p.ops[1].type);
	ASSERT_STREQ("logits", p.ops[2].name);
	ASSERT_STREQ("fully_connected", p.ops[2].type);
	/* One cycle per multiply-accumulate: 8*8 pixels * 4 * 3*3*3. */
	ASSERT_EQ(IN_H * IN_W * CONV_C * 27, p.ops[0].cycles);
	ASSERT_EQ(CLASSES * CONV_C, p.ops[2].cycles);
	for (uint32_t i = 0; i < p.num_ops; i++)
		sum += p.ops[i].ns;
	ASSERT_LE(sum + p.input_ns, p.total_ns);
	vision_request_free(req);
}

TEST(top_k_and_dequantize)
{
	const int8_t v[] = { 5, -3, 127, 5, -128, 127, 0, 5 };
	uint32_t idx[8];
	float f[8];

	/* By value, ties by index: 127@2, 127@5, 5@0, 5@3, 5@7, 0@6, ... */
	ASSERT_EQ(8, vision_top_k(v, 8, 8, idx));
	ASSERT_EQ(2, idx[0]);
	ASSERT_EQ(5, idx[1]);
	ASSERT_EQ(0, idx[2]);
	ASSERT_EQ(3, idx[3]);
	ASSERT_EQ(7, idx[4]);
	ASSERT_EQ(6, idx[5]);
	ASSERT_EQ(1, idx[6]);
	ASSERT_EQ(4, idx[7]);
	memset(idx, 0xff, sizeof(idx));
	ASSERT_EQ(4, vision_top_k(v, 8, 4, idx));
	ASSERT_EQ(3, idx[3]);
	ASSERT_EQ(0xffffffff, idx[4]);
	ASSERT_EQ(3, vision_top_k(v, 3, 10, idx));
	ASSERT_EQ(2, idx[0]);
	ASSERT_EQ(0, idx[1]);
	ASSERT_EQ(1, idx[2]);
	ASSERT_EQ(0, vision_top_k(v, 8, 0, idx));
	ASSERT_EQ(0, vision_top_k(NULL, 0, 5, NULL));
	ASSERT_EQ(-EINVAL, vision_top_k(NULL, 8, 1, idx));
	ASSERT_EQ(-EINVAL, vision_top_k(v, 8, 1, NULL));

	/* (q - zp) * scale by hand: zp 7, scale 0.125. */
	ASSERT_EQ(0, vision_dequantize(v, 8, 7, 0.125f, f));
	ASSERT_EQ(-0.25f, f[0]);
	ASSERT_EQ(-1.25f, f[1]);
	ASSERT_EQ(15.0f, f[2]);
	ASSERT_EQ(-16.875f, f[4]);
	ASSERT_EQ(-0.875f, f[6]);
	ASSERT_EQ(0, vision_dequantize(NULL, 0, 0, 1.0f, NULL));
	ASSERT_EQ(-EINVAL, vision_dequantize(v, 8, 0, 1.0f, NULL));
}

TEST(buffers_cpu)
{
	struct vision_device *dev;
	struct vision_bo *bo, *imp;
	void *p, *q;
	char tmpl[] = "/tmp/vision-bo-XXXXXX";
	int fd;

	ASSERT_EQ(0, vision_device_open("cpu", &dev));
	ASSERT_EQ(-EINVAL, vision_bo_create(dev, 0, 0, &bo));
	ASSERT_EQ(NULL, bo);
	ASSERT_EQ(-EINVAL, vision_bo_create(dev, 10, 0x2, &bo));
	ASSERT_EQ(-EINVAL, vision_bo_create(NULL, 10, 0, &bo));
	ASSERT_EQ(-EINVAL, vision_bo_create(dev, 10, 0, NULL));
	ASSERT_EQ(0, vision_bo_create(dev, 10, VISION_BO_WC, &bo));
	ASSERT_EQ(sysconf(_SC_PAGESIZE), vision_bo_size(bo));
	ASSERT_EQ(VISION_BO_WC, vision_bo_flags(bo));
	ASSERT_EQ(0, vision_bo_handle(bo));
	ASSERT_EQ(0, vision_bo_map(bo, &p));
	ASSERT_EQ(0, vision_bo_map(bo, &q));
	ASSERT_EQ(p, q);
	/* Zero-filled. */
	for (size_t i = 0; i < vision_bo_size(bo); i++)
		ASSERT_EQ(0, ((uint8_t *)p)[i]);
	ASSERT_EQ(0, vision_bo_wait(bo, 0));
	ASSERT_EQ(-EOPNOTSUPP, vision_bo_export_dmabuf(bo, &fd));
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(-EINVAL, vision_bo_map(NULL, &p));

	/* Imports: a bad fd, a file that is no dma-buf. */
	ASSERT_EQ(-EBADF, vision_bo_import_dmabuf(dev, -1, &imp));
	ASSERT_EQ(-EBADF, vision_bo_import_dmabuf(dev, 1000, &imp));
	fd = mkstemp(tmpl);
	ASSERT_LE(0, fd);
	unlink(tmpl);
	ASSERT_EQ(-EINVAL, vision_bo_import_dmabuf(dev, fd, &imp));
	ASSERT_EQ(NULL, imp);
	close(fd);
	vision_bo_free(bo);
	vision_bo_free(NULL);
	vision_device_close(dev);
}

/* ---- the real device: everything equal to the CPU --------------------- */

FIXTURE(hw)
{
	struct dev_pair d;
};

FIXTURE_SETUP(hw)
{
	struct vision_model_error err;

	DEV_PAIR_OPEN_OR_SKIP(&self->d);
	ASSERT_EQ(0, vision_device_is_cpu(self->d.dev));
	ASSERT_EQ(0, dev_pair_load(&self->d, IN_H, IN_W, 7, class_names, &err))
	TH_LOG("%s", err.text);
}

FIXTURE_TEARDOWN(hw)
{
	dev_pair_close(&self->d);
}

TEST_F(hw, model_info_matches_cpu)
{
	struct vision_model_info a, b;

	ASSERT_EQ(0, vision_model_get_info(self->d.model, &a));
	ASSERT_EQ(0, vision_model_get_info(self->d.cpu_model, &b));
	ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
	ASSERT_STREQ("Boot", vision_model_label(self->d.model, 0, 9));
}

TEST_F(hw, bad_model_reason)
{
	uint8_t *copy = malloc(self->d.size);
	struct vision_model_error e;
	struct vision_model *m;

	memcpy(copy, self->d.blob, self->d.size);
	copy[self->d.size - 1] ^= 1;
	ASSERT_EQ(-EINVAL, vision_model_load_memory(self->d.dev, copy,
						    self->d.size, &m, &e));
	ASSERT_STREQ("header", e.section);
	ASSERT_STREQ("crc32", e.field);
	free(copy);
}

TEST_F(hw, tensors_and_frames_equal_cpu)
{
	static const uint32_t fourccs[] = { V4L2_RGB24, V4L2_NV12, V4L2_YUYV };
	uint8_t a[OUT_SIZE], b[OUT_SIZE];
	int8_t in[IN_SIZE];
	struct vision_input vi = { .data = in, .size = IN_SIZE };

	for (int seed = 1; seed <= 10; seed++) {
		random_input(in, sizeof(in), seed);
		ASSERT_EQ(0, vision_infer(self->d.model, &vi, a, sizeof(a)));
		ASSERT_EQ(0,
			  vision_infer(self->d.cpu_model, &vi, b, sizeof(b)));
		ASSERT_EQ(0, memcmp(a, b, OUT_SIZE));
	}
	rng_seed(3);
	for (unsigned int i = 0; i < 3; i++) {
		struct frame_buf fb;

		make_frame(&fb, fourccs[i], 64, 48);
		crop(&fb.f, 8, 2, 40, 30);
		vi = frame_input(&fb);
		ASSERT_EQ(0, vision_infer(self->d.model, &vi, a, sizeof(a)));
		ASSERT_EQ(0,
			  vision_infer(self->d.cpu_model, &vi, b, sizeof(b)));
		ASSERT_EQ(0, memcmp(a, b, OUT_SIZE))
		TH_LOG("fourcc %x", fourccs[i]);
		/* Refused alike: a frame beyond its memory (padding < 9). */
		vi.size = fb.size - 9;
		ASSERT_EQ(-EINVAL,
			  vision_infer(self->d.model, &vi, a, sizeof(a)));
		ASSERT_EQ(-EINVAL,
			  vision_infer(self->d.cpu_model, &vi, b, sizeof(b)));
		free(fb.data);
	}
}

/* A batch in one submission, polled on its sync_file, with profiles. */
TEST_F(hw, batch_poll_profile)
{
	enum { N = 8 };
	int8_t in[N][IN_SIZE];
	struct vision_input vi[N];
	struct vision_request *req, *creq;
	struct pollfd pfd;
	uint64_t cores;

	for (int i = 0; i < N; i++) {
		random_input(in[i], IN_SIZE, 50 + i);
		vi[i] = (struct vision_input){ .data = in[i], .size = IN_SIZE };
	}
	ASSERT_EQ(0, vision_device_get_param(self->d.dev,
					     VISION_PARAM_NUM_CORES, &cores));
	ASSERT_EQ(0, vision_submit(self->d.model, vi, N, VISION_SUBMIT_PROFILE,
				   &req));
	ASSERT_EQ(0, vision_submit(self->d.cpu_model, vi, N,
				   VISION_SUBMIT_PROFILE, &creq));
	pfd.fd = vision_request_fd(req);
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 30000));
	ASSERT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, vision_request_wait(req, 0));
	ASSERT_EQ(0, vision_request_wait(creq, -1));
	for (int i = 0; i < N; i++) {
		struct vision_profile p, cp;
		const void *a, *b;

		ASSERT_EQ(0, vision_request_output(req, i, &a, NULL));
		ASSERT_EQ(0, vision_request_output(creq, i, &b, NULL));
		ASSERT_EQ(0, memcmp(a, b, OUT_SIZE))
		TH_LOG("job %d", i);
		ASSERT_EQ(0, vision_request_profile(req, i, &p));
		ASSERT_EQ(0, vision_request_profile(creq, i, &cp));
		ASSERT_EQ(3, p.num_ops);
		ASSERT_LT(p.core, cores);
		ASSERT_LT(0, p.total_ns);
		for (uint32_t o = 0; o < p.num_ops; o++) {
			ASSERT_STREQ(cp.ops[o].name, p.ops[o].name);
			ASSERT_EQ(cp.ops[o].cycles, p.ops[o].cycles);
		}
	}
	vision_request_free(req);
	vision_request_free(creq);
}

/*
 * The camera's path: a frame in a dma-buf, imported without a copy; here
 * the dma-buf is a device buffer exported, imported back (the same
 * buffer) and into the CPU device (a mapping of the same pages).
 */
TEST_F(hw, dmabuf_frames)
{
	struct vision_bo *bo, *again, *cbo;
	struct vision_input vi;
	struct frame_buf fb;
	uint8_t a[OUT_SIZE], b[OUT_SIZE], c[OUT_SIZE];
	void *map;
	int fd;

	rng_seed(11);
	make_frame(&fb, V4L2_NV12, 32, 24);
	ASSERT_EQ(0, vision_bo_create(self->d.dev, fb.size, VISION_BO_WC, &bo));
	ASSERT_NE(0, vision_bo_handle(bo));
	ASSERT_EQ(0, vision_bo_map(bo, &map));
	memcpy(map, fb.data, fb.size);
	ASSERT_EQ(0, vision_bo_export_dmabuf(bo, &fd));
	ASSERT_EQ(0, vision_bo_import_dmabuf(self->d.dev, fd, &again));
	/* One handle per buffer in a file: the same object. */
	ASSERT_EQ(bo, again);
	ASSERT_EQ(0, vision_bo_import_dmabuf(self->d.cpu, fd, &cbo));
	ASSERT_EQ(vision_bo_size(bo), vision_bo_size(cbo));
	ASSERT_EQ(VISION_BO_IMPORTED, vision_bo_flags(cbo));
	close(fd);
	vision_bo_free(again);

	vi = (struct vision_input){ .bo = bo, .frame = &fb.f };
	ASSERT_EQ(0, vision_infer(self->d.model, &vi, a, sizeof(a)));
	vi.bo = cbo;
	ASSERT_EQ(0, vision_infer(self->d.cpu_model, &vi, b, sizeof(b)));
	vi = (struct vision_input){ .data = fb.data,
				    .size = fb.size,
				    .frame = &fb.f };
	ASSERT_EQ(0, vision_infer(self->d.cpu_model, &vi, c, sizeof(c)));
	ASSERT_EQ(0, memcmp(a, b, OUT_SIZE));
	ASSERT_EQ(0, memcmp(a, c, OUT_SIZE));
	/* A buffer of one device is no input of another. */
	vi = (struct vision_input){ .bo = cbo, .frame = &fb.f };
	ASSERT_EQ(-EINVAL, vision_infer(self->d.model, &vi, a, sizeof(a)));
	ASSERT_EQ(0, vision_bo_wait(bo, 1000000000));
	vision_bo_free(cbo);
	vision_bo_free(bo);
	free(fb.data);
}

TEST_HARNESS_MAIN
