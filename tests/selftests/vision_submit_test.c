// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * DRM_IOCTL_VISION_SUBMIT: jobs on tensors and on camera frames compute
 * exactly what libvision's CPU engine computes, at any offsets, many to a
 * submit, with profiles. Every malformed submit fails with its errno and
 * queues nothing: the output BO keeps its sentinel bytes after a BO_WAIT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "test_models.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define BO_SIZE (64u << 10)
#define SENTINEL 0xa5
#define WAIT_NS (20ll * 1000000000)
#define JOB_SIZE sizeof(struct drm_vision_job)

enum { M_CLS, M_SPARSE, M_MISC, NUM_MODELS };

FIXTURE(submit)
{
	int fd;
	struct tm_model tm[NUM_MODELS];
	struct drm_vision_model_info info[NUM_MODELS];
	uint32_t in, out;
	uint8_t *inp, *outp;
	uint64_t in_size, out_size;
};

FIXTURE_SETUP(submit)
{
	uint32_t seed = 1234;

	self->fd = vision_open();
	if (self->fd == -ENODEV)
		SKIP(return, "no vision device");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_classifier_default(&self->tm[M_CLS]));
	ASSERT_EQ(0, tm_sparse(&self->tm[M_SPARSE], 7));
	ASSERT_EQ(0, tm_misc(&self->tm[M_MISC], 11));
	for (int i = 0; i < NUM_MODELS; i++)
		ASSERT_EQ(0, vision_model_create(self->fd, self->tm[i].blob,
						 self->tm[i].size,
						 &self->info[i]));
	ASSERT_EQ(0, vision_bo_create(self->fd, BO_SIZE, 0, &self->in, NULL));
	ASSERT_EQ(0, vision_bo_create(self->fd, BO_SIZE, 0, &self->out, NULL));
	self->inp = vision_bo_mmap(self->fd, self->in, &self->in_size);
	ASSERT_NE(NULL, self->inp);
	self->outp = vision_bo_mmap(self->fd, self->out, &self->out_size);
	ASSERT_NE(NULL, self->outp);
	for (uint64_t i = 0; i < self->in_size; i++)
		self->inp[i] = (uint8_t)(tm_rand(&seed) >> 5);
	memset(self->outp, SENTINEL, self->out_size);
}

FIXTURE_TEARDOWN(submit)
{
	for (int i = 0; i < NUM_MODELS; i++)
		free(self->tm[i].blob);
	if (self->fd >= 0)
		close(self->fd);
}

/* A valid tensor-input job of model @m. */
static struct drm_vision_job tensor_job(FIXTURE_DATA(submit) * self, int m,
					uint64_t in_off, uint64_t out_off)
{
	struct drm_vision_job j;

	memset(&j, 0, sizeof(j));
	j.model_handle = self->info[m].handle;
	j.input_type = DRM_VISION_JOB_INPUT_TENSOR;
	j.in_handle = self->in;
	j.out_handle = self->out;
	j.in_offset = in_off;
	j.out_offset = out_off;
	return j;
}

/* SUBMIT with every member of the args chosen by the caller. */
static int raw_submit(int fd, const void *jobs, uint32_t n, uint32_t stride,
		      uint32_t priority, uint32_t flags, uint64_t reserved)
{
	struct drm_vision_submit args = {
		.jobs = (uintptr_t)jobs,
		.num_jobs = n,
		.job_struct_size = stride,
		.priority = priority,
		.flags = flags,
		.reserved = reserved,
	};

	if (ioctl(fd, DRM_IOCTL_VISION_SUBMIT, &args))
		return -errno;
	return 0;
}

/* Wait for both BOs; the last writer of the output must have succeeded. */
static void wait_ok(struct __test_metadata *_metadata,
		    FIXTURE_DATA(submit) * self)
{
	int32_t st = -1;

	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, &st));
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->in, WAIT_NS, NULL));
}

/* The output of tensor job @m at @out_off equals libvision's. */
static void check_tensor(struct __test_metadata *_metadata,
			 FIXTURE_DATA(submit) * self, int m, const uint8_t *in,
			 const uint8_t *out)
{
	size_t n = self->info[m].output_size;
	uint8_t *ref = malloc(n);

	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, vision_ref_tensor(self->tm[m].blob, self->tm[m].size, in,
				       ref, n));
	EXPECT_EQ(0, memcmp(ref, out, n))
	{
		TH_LOG("model %d: output differs from libvision", m);
	}
	free(ref);
}

/* The output of frame job @j (input BO @bo) equals libvision's. */
static void check_frame(struct __test_metadata *_metadata,
			FIXTURE_DATA(submit) * self, int m,
			const struct drm_vision_job *j, const uint8_t *bo,
			uint64_t bo_size, const uint8_t *out)
{
	size_t n = self->info[m].output_size;
	uint8_t *ref = malloc(n);

	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, vision_ref_frame(self->tm[m].blob, self->tm[m].size,
				      &j->frame, bo, bo_size, ref, n));
	EXPECT_EQ(0, memcmp(ref, out, n))
	{
		TH_LOG("model %d fourcc %.4s: output differs from libvision", m,
		       (const char *)&j->frame.fourcc);
	}
	free(ref);
}

/* Bytes [@from, @to) of the output BO still hold the sentinel. */
static int untouched(FIXTURE_DATA(submit) * self, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (self->outp[i] != SENTINEL)
			return 0;
	return 1;
}

/*
 * @bad must be refused with @err, alone and as the third of four jobs
 * whose others are good; either way nothing may run.
 */
static void expect_refused(struct __test_metadata *_metadata,
			   FIXTURE_DATA(submit) * self,
			   const struct drm_vision_job *bad, int err)
{
	struct drm_vision_job jobs[4] = {
		tensor_job(self, M_CLS, 0, 0),
		tensor_job(self, M_SPARSE, 512, 1024),
		*bad,
		tensor_job(self, M_MISC, 1024, 2048),
	};

	ASSERT_EQ(err, vision_submit(self->fd, bad, 1, 0));
	ASSERT_EQ(err, vision_submit(self->fd, jobs, 4, 0));
	/* Had anything been queued, the wait would let it write. */
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->in, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
}

/* ---- success paths ---------------------------------------------------- */

TEST_F(submit, tensor_job)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);
	uint64_t n = self->info[M_CLS].output_size;

	ASSERT_EQ(self->tm[M_CLS].size, self->info[M_CLS].model_size);
	ASSERT_EQ(0, vision_submit(self->fd, &j, 1, 0));
	wait_ok(_metadata, self);
	check_tensor(_metadata, self, M_CLS, self->inp, self->outp);
	/* Exactly output_size bytes are written, nothing after them. */
	ASSERT_TRUE(untouched(self, n, self->out_size));
}

/* Each test model, several inputs, one submit per job. */
TEST_F(submit, every_model)
{
	for (int m = 0; m < NUM_MODELS; m++) {
		for (int rep = 0; rep < 3; rep++) {
			uint64_t in_off = 4096 * rep + 64 * m;
			struct drm_vision_job j =
				tensor_job(self, m, in_off, 0);

			memset(self->outp, SENTINEL, self->out_size);
			ASSERT_EQ(0, vision_submit(self->fd, &j, 1, 0));
			wait_ok(_metadata, self);
			check_tensor(_metadata, self, m, self->inp + in_off,
				     self->outp);
			ASSERT_TRUE(untouched(self, self->info[m].output_size,
					      self->out_size));
		}
	}
}

/* Eight jobs of mixed models in one submit, each its own input/output. */
TEST_F(submit, eight_jobs)
{
	struct drm_vision_job j[8];

	for (int i = 0; i < 8; i++)
		j[i] = tensor_job(self, i % NUM_MODELS, 1000 * i + i,
				  512 * i + 3);
	ASSERT_EQ(0, vision_submit(self->fd, j, 8, 0));
	wait_ok(_metadata, self);
	for (int i = 0; i < 8; i++) {
		int m = i % NUM_MODELS;

		check_tensor(_metadata, self, m, self->inp + j[i].in_offset,
			     self->outp + j[i].out_offset);
		ASSERT_TRUE(untouched(
			self, j[i].out_offset + self->info[m].output_size,
			512 * (i + 1) + 3));
	}
}

/* DRM_VISION_PARAM_MAX_JOBS jobs in one submit. */
TEST_F(submit, max_jobs)
{
	struct drm_vision_job j[64];
	uint64_t max = 0;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MAX_JOBS, 0,
				      &max));
	ASSERT_EQ(64, max);
	for (int i = 0; i < 64; i++)
		j[i] = tensor_job(self, M_CLS, 900 * i, 32 * i);
	ASSERT_EQ(0, vision_submit(self->fd, j, 64, 0));
	wait_ok(_metadata, self);
	for (int i = 0; i < 64; i++)
		check_tensor(_metadata, self, M_CLS, self->inp + 900 * i,
			     self->outp + 32 * i);
	ASSERT_TRUE(untouched(self, 32 * 63 + 20, self->out_size));
}

/* Unaligned input and output offsets; bytes around the output untouched. */
TEST_F(submit, out_offset)
{
	uint64_t out_off = self->out_size - self->info[M_MISC].output_size;
	struct drm_vision_job j[2] = {
		tensor_job(self, M_MISC, 13, 4001),
		/* The very end of the BO. */
		tensor_job(self, M_MISC, 8191, out_off),
	};

	ASSERT_EQ(0, vision_submit(self->fd, j, 2, 0));
	wait_ok(_metadata, self);
	check_tensor(_metadata, self, M_MISC, self->inp + 13,
		     self->outp + 4001);
	check_tensor(_metadata, self, M_MISC, self->inp + 8191,
		     self->outp + out_off);
	ASSERT_TRUE(untouched(self, 0, 4001));
	ASSERT_TRUE(untouched(self, 4001 + self->info[M_MISC].output_size,
			      out_off));
}

/* Input and output in one BO, at disjoint (even adjacent) ranges. */
TEST_F(submit, same_bo_disjoint)
{
	uint64_t isz = self->info[M_CLS].input_size;
	uint64_t osz = self->info[M_CLS].output_size;
	struct drm_vision_job j[2] = {
		tensor_job(self, M_CLS, 0, 16384),
		tensor_job(self, M_CLS, 32768, 32768 + isz),
	};
	uint8_t *copy = malloc(self->in_size);

	ASSERT_NE(NULL, copy);
	memcpy(copy, self->inp, self->in_size);
	j[0].out_handle = self->in;
	j[1].out_handle = self->in;
	ASSERT_EQ(0, vision_submit(self->fd, j, 2, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->in, WAIT_NS, NULL));
	check_tensor(_metadata, self, M_CLS, copy, self->inp + 16384);
	check_tensor(_metadata, self, M_CLS, copy + 32768,
		     self->inp + 32768 + isz);
	/* The inputs themselves are unchanged. */
	ASSERT_EQ(0, memcmp(copy, self->inp, 16384));
	ASSERT_EQ(0, memcmp(copy + 16384 + osz, self->inp + 16384 + osz,
			    32768 + isz - 16384 - osz));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
	free(copy);
}

/* A larger job struct with a zero tail is a newer userspace: accepted. */
TEST_F(submit, job_struct_larger_zero_tail)
{
	static const uint32_t strides[] = { JOB_SIZE + 8, 256, 4096 };

	for (int s = 0; s < 3; s++) {
		uint32_t stride = strides[s];
		uint8_t *buf = calloc(3, stride);

		ASSERT_NE(NULL, buf);
		memset(self->outp, SENTINEL, self->out_size);
		for (int i = 0; i < 3; i++) {
			struct drm_vision_job j =
				tensor_job(self, i, 100 * i, 1000 * i);

			memcpy(buf + (size_t)i * stride, &j, sizeof(j));
		}
		ASSERT_EQ(0, raw_submit(self->fd, buf, 3, stride, 0, 0, 0));
		wait_ok(_metadata, self);
		for (int i = 0; i < 3; i++)
			check_tensor(_metadata, self, i, self->inp + 100 * i,
				     self->outp + 1000 * i);
		free(buf);
	}
}

/* Fill a profile; check it against the model and the clock. */
TEST_F(submit, profile)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);
	const struct drm_vision_model_info *info = &self->info[M_CLS];
	struct drm_vision_profile_op *ops;
	struct drm_vision_profile *p;
	uint64_t cores = 0, psize, cycles = 0;
	uint32_t prof;
	int64_t t0, t1;
	uint8_t *pp;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES, 0,
				      &cores));
	ASSERT_EQ(sizeof(*p) + info->num_ops * sizeof(*ops),
		  info->profile_size);
	ASSERT_EQ(self->tm[M_CLS].num_ops, info->num_ops);
	ASSERT_EQ(0, vision_bo_create(self->fd, 4096, 0, &prof, NULL));
	pp = vision_bo_mmap(self->fd, prof, &psize);
	ASSERT_NE(NULL, pp);
	memset(pp, SENTINEL, psize);

	j.flags = DRM_VISION_JOB_PROFILE;
	j.profile_handle = prof;
	j.profile_offset = 136;
	t0 = vision_now_ns();
	ASSERT_EQ(0, vision_submit(self->fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, prof, WAIT_NS, NULL));
	wait_ok(_metadata, self);
	t1 = vision_now_ns();
	check_tensor(_metadata, self, M_CLS, self->inp, self->outp);

	p = (struct drm_vision_profile *)(pp + 136);
	EXPECT_EQ(info->num_ops, p->num_ops);
	EXPECT_GT(cores, p->core);
	EXPECT_LE(t0, (int64_t)p->queued_ns);
	EXPECT_LE(p->queued_ns, p->start_ns);
	EXPECT_LT(0, p->total_ns);
	EXPECT_GE(p->total_ns, p->input_ns);
	EXPECT_GE(t1, (int64_t)(p->start_ns + p->total_ns));
	EXPECT_EQ(0, p->reserved);
	ops = (struct drm_vision_profile_op *)(p + 1);
	for (uint32_t i = 0; i < info->num_ops; i++) {
		EXPECT_GE(p->total_ns, ops[i].duration_ns);
		cycles += ops[i].cycles;
	}
	EXPECT_LT(0, cycles);
	/* Nothing around the profile is written. */
	for (uint64_t i = 0; i < psize; i++) {
		if (i >= 136 && i < 136 + info->profile_size)
			continue;
		ASSERT_EQ(SENTINEL, pp[i]);
	}
	munmap(pp, psize);
}

/* ---- camera frames ---------------------------------------------------- */

/* A frame job of model @m; the caller fills the frame. */
static struct drm_vision_job frame_job(FIXTURE_DATA(submit) * self, int m,
				       uint32_t fourcc, uint32_t w, uint32_t h,
				       uint64_t off, uint32_t stride,
				       uint64_t out_off)
{
	struct drm_vision_job j = tensor_job(self, m, 0, out_off);

	j.input_type = DRM_VISION_JOB_INPUT_FRAME;
	j.frame.fourcc = fourcc;
	j.frame.width = w;
	j.frame.height = h;
	j.frame.num_planes = 1;
	j.frame.offsets[0] = off;
	j.frame.strides[0] = stride;
	return j;
}

static void run_frame(struct __test_metadata *_metadata,
		      FIXTURE_DATA(submit) * self, int m,
		      const struct drm_vision_job *j)
{
	uint64_t n = self->info[m].output_size;
	int64_t native, imported, tensors;

	ASSERT_TRUE(self->info[m].flags & DRM_VISION_MODEL_HAS_INPUT_STAGE);
	memset(self->outp, SENTINEL, self->out_size);
	native = vision_debugfs_stat(self->fd, "frames_native");
	imported = vision_debugfs_stat(self->fd, "frames_imported");
	tensors = vision_debugfs_stat(self->fd, "tensor_inputs");
	ASSERT_LE(0, native);
	ASSERT_LE(0, imported);
	ASSERT_LE(0, tensors);
	ASSERT_EQ(0, vision_submit(self->fd, j, 1, 0));
	wait_ok(_metadata, self);
	/* A frame in one of our own BOs, and nothing else, was read. */
	ASSERT_EQ(native + 1, vision_debugfs_stat(self->fd, "frames_native"));
	ASSERT_EQ(imported, vision_debugfs_stat(self->fd, "frames_imported"));
	ASSERT_EQ(tensors, vision_debugfs_stat(self->fd, "tensor_inputs"));
	check_frame(_metadata, self, m, j, self->inp, self->in_size,
		    self->outp + j->out_offset);
	ASSERT_TRUE(untouched(self, 0, j->out_offset));
	ASSERT_TRUE(untouched(self, j->out_offset + n, self->out_size));
}

/* RGB24 at an offset, padded lines, cropped; into RGB, GREY, BGR models. */
TEST_F(submit, frame_rgb24)
{
	for (int m = 0; m < NUM_MODELS; m++) {
		struct drm_vision_job j = frame_job(self, m, V4L2_PIX_FMT_RGB24,
						    37, 29, 1000, 37 * 3 + 5,
						    77);

		j.frame.crop_x = 3;
		j.frame.crop_y = 2;
		j.frame.crop_width = 30;
		j.frame.crop_height = 25;
		run_frame(_metadata, self, m, &j);
	}
}

/* YUYV, odd width, whole frame (crop all zero). */
TEST_F(submit, frame_yuyv)
{
	for (int m = 0; m < NUM_MODELS; m++) {
		struct drm_vision_job j = frame_job(self, m, V4L2_PIX_FMT_YUYV,
						    41, 30, 4104, 96, 0);

		run_frame(_metadata, self, m, &j);
	}
}

/* NV12: luma and chroma planes at their own offsets, cropped. */
TEST_F(submit, frame_nv12)
{
	for (int m = 0; m < NUM_MODELS; m++) {
		struct drm_vision_job j = frame_job(self, m, V4L2_PIX_FMT_NV12,
						    33, 21, 256, 40, 4000);

		j.frame.num_planes = 2;
		/* Chroma after a gap, with its own stride. */
		j.frame.offsets[1] = 256 + 40 * 21 + 100;
		j.frame.strides[1] = 36;
		j.frame.crop_x = 1;
		j.frame.crop_y = 3;
		j.frame.crop_width = 31;
		j.frame.crop_height = 17;
		run_frame(_metadata, self, m, &j);
	}
}

/* The whole frame ends exactly at the end of the BO. */
TEST_F(submit, frame_at_bo_end)
{
	uint32_t w = 16, h = 12, stride = 64;
	uint64_t off = self->in_size - (uint64_t)(h - 1) * stride - w * 4;
	struct drm_vision_job j = frame_job(self, M_CLS, V4L2_PIX_FMT_XBGR32, w,
					    h, off, stride, 0);

	run_frame(_metadata, self, M_CLS, &j);
}

/*
 * Every format the device reports, into every model, as one submit of
 * 57 jobs: each a frame of its own size, crop and place.
 */
TEST_F(submit, frame_all_formats)
{
	static const struct {
		uint64_t bit;
		uint32_t fourcc, planes, bpp; /* bpp: plane-0 bytes/pixel */
	} fmts[] = {
		{ DRM_VISION_FORMAT_RGB24, V4L2_PIX_FMT_RGB24, 1, 3 },
		{ DRM_VISION_FORMAT_BGR24, V4L2_PIX_FMT_BGR24, 1, 3 },
		{ DRM_VISION_FORMAT_RGB32, V4L2_PIX_FMT_RGB32, 1, 4 },
		{ DRM_VISION_FORMAT_BGR32, V4L2_PIX_FMT_BGR32, 1, 4 },
		{ DRM_VISION_FORMAT_XRGB32, V4L2_PIX_FMT_XRGB32, 1, 4 },
		{ DRM_VISION_FORMAT_ARGB32, V4L2_PIX_FMT_ARGB32, 1, 4 },
		{ DRM_VISION_FORMAT_XBGR32, V4L2_PIX_FMT_XBGR32, 1, 4 },
		{ DRM_VISION_FORMAT_ABGR32, V4L2_PIX_FMT_ABGR32, 1, 4 },
		{ DRM_VISION_FORMAT_RGBX32, V4L2_PIX_FMT_RGBX32, 1, 4 },
		{ DRM_VISION_FORMAT_RGBA32, V4L2_PIX_FMT_RGBA32, 1, 4 },
		{ DRM_VISION_FORMAT_BGRX32, V4L2_PIX_FMT_BGRX32, 1, 4 },
		{ DRM_VISION_FORMAT_BGRA32, V4L2_PIX_FMT_BGRA32, 1, 4 },
		{ DRM_VISION_FORMAT_YUYV, V4L2_PIX_FMT_YUYV, 1, 2 },
		{ DRM_VISION_FORMAT_YVYU, V4L2_PIX_FMT_YVYU, 1, 2 },
		{ DRM_VISION_FORMAT_UYVY, V4L2_PIX_FMT_UYVY, 1, 2 },
		{ DRM_VISION_FORMAT_VYUY, V4L2_PIX_FMT_VYUY, 1, 2 },
		{ DRM_VISION_FORMAT_NV12, V4L2_PIX_FMT_NV12, 2, 1 },
		{ DRM_VISION_FORMAT_NV21, V4L2_PIX_FMT_NV21, 2, 1 },
		{ DRM_VISION_FORMAT_GREY, V4L2_PIX_FMT_GREY, 1, 1 },
	};
	struct drm_vision_job j[19 * NUM_MODELS];
	uint64_t formats = 0, off = 0;
	int n = 0;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_INPUT_FORMATS,
				      0, &formats));
	for (int f = 0; f < 19; f++) {
		uint32_t w = 20 + f, h = 14 + f % 5;
		uint32_t stride = (w + 1) * fmts[f].bpp + f;
		struct drm_vision_job fj;

		ASSERT_TRUE(formats & fmts[f].bit);
		fj = frame_job(self, 0, fmts[f].fourcc, w, h, off, stride, 0);
		off += (uint64_t)stride * h + 8;
		if (fmts[f].planes == 2) {
			fj.frame.num_planes = 2;
			fj.frame.offsets[1] = off;
			fj.frame.strides[1] = w + 3;
			off += (uint64_t)(w + 3) * ((h + 1) / 2) + 8;
		}
		/* Odd frames cropped, even ones whole. */
		if (f & 1) {
			fj.frame.crop_x = f % 4;
			fj.frame.crop_y = 1;
			fj.frame.crop_width = w - f % 4 - 1;
			fj.frame.crop_height = h - 2;
		}
		for (int m = 0; m < NUM_MODELS; m++) {
			j[n] = fj;
			j[n].model_handle = self->info[m].handle;
			j[n].out_offset = 256 * n;
			n++;
		}
	}
	ASSERT_GE(self->in_size, off);
	ASSERT_EQ(0, vision_submit(self->fd, j, n, 0));
	wait_ok(_metadata, self);
	for (int i = 0; i < n; i++)
		check_frame(_metadata, self, i % NUM_MODELS, &j[i], self->inp,
			    self->in_size, self->outp + j[i].out_offset);
}

/* ---- refused submits: the args ----------------------------------------- */

TEST_F(submit, num_jobs_zero)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);

	ASSERT_EQ(-EINVAL, raw_submit(self->fd, &j, 0, JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
}

/* 65 valid jobs: one more than MAX_JOBS. */
TEST_F(submit, num_jobs_65)
{
	struct drm_vision_job j[65];

	for (int i = 0; i < 65; i++)
		j[i] = tensor_job(self, M_CLS, 0, 32 * i);
	ASSERT_EQ(-EINVAL, raw_submit(self->fd, j, 65, JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(-EINVAL,
		  raw_submit(self->fd, j, UINT32_MAX, JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
}

TEST_F(submit, job_struct_size_bad)
{
	static const uint32_t sizes[] = { 0, 1, JOB_SIZE - 1, 4097,
					  UINT32_MAX };
	uint8_t *buf = calloc(2, 8192);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(120, JOB_SIZE);
	for (int s = 0; s < 5; s++) {
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);

		memcpy(buf, &j, sizeof(j));
		ASSERT_EQ(-EINVAL,
			  raw_submit(self->fd, buf, 1, sizes[s], 0, 0, 0));
	}
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
	free(buf);
}

/* A newer struct's members this kernel does not know must be zero. */
TEST_F(submit, job_struct_nonzero_tail)
{
	uint32_t stride = JOB_SIZE + 16;
	uint8_t *buf = calloc(4, 4096);

	ASSERT_NE(NULL, buf);
	for (int i = 0; i < 3; i++) {
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 64 * i);

		memcpy(buf + i * stride, &j, sizeof(j));
	}
	/* Last tail byte of the last job. */
	buf[3 * stride - 1] = 1;
	ASSERT_EQ(-E2BIG, raw_submit(self->fd, buf, 3, stride, 0, 0, 0));
	buf[3 * stride - 1] = 0;
	/* First tail byte of the first job. */
	buf[JOB_SIZE] = 0x80;
	ASSERT_EQ(-E2BIG, raw_submit(self->fd, buf, 3, stride, 0, 0, 0));
	buf[JOB_SIZE] = 0;
	/* The largest stride, non-zero at its very end. */
	memset(buf, 0, 4 * 4096);
	{
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);

		memcpy(buf, &j, sizeof(j));
		buf[4095] = 1;
	}
	ASSERT_EQ(-E2BIG, raw_submit(self->fd, buf, 1, 4096, 0, 0, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
	free(buf);
}

TEST_F(submit, jobs_pointer_bad)
{
	struct drm_vision_job j[2] = {
		tensor_job(self, M_CLS, 0, 0),
		tensor_job(self, M_CLS, 0, 64),
	};
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map;

	ASSERT_EQ(-EFAULT, raw_submit(self->fd, NULL, 1, JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(-EFAULT,
		  raw_submit(self->fd, (void *)8, 1, JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(-EFAULT,
		  raw_submit(self->fd, (void *)-4096L, 1, JOB_SIZE, 0, 0, 0));
	/* The first job readable, the second across into an unmapped page. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	memcpy(map + page - JOB_SIZE - 8, j, JOB_SIZE + 8);
	ASSERT_EQ(-EFAULT, raw_submit(self->fd, map + page - JOB_SIZE - 8, 2,
				      JOB_SIZE, 0, 0, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
	munmap(map, page);
}

TEST_F(submit, priority_bad)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);

	ASSERT_EQ(-EINVAL, raw_submit(self->fd, &j, 1, JOB_SIZE, 2, 0, 0));
	ASSERT_EQ(-EINVAL,
		  raw_submit(self->fd, &j, 1, JOB_SIZE, UINT32_MAX, 0, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
}

TEST_F(submit, flags_reserved_bad)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 0);

	ASSERT_EQ(-EINVAL, raw_submit(self->fd, &j, 1, JOB_SIZE, 0, 1, 0));
	ASSERT_EQ(-EINVAL,
		  raw_submit(self->fd, &j, 1, JOB_SIZE, 0, 1u << 31, 0));
	ASSERT_EQ(-EINVAL, raw_submit(self->fd, &j, 1, JOB_SIZE, 0, 0, 1));
	ASSERT_EQ(-EINVAL,
		  raw_submit(self->fd, &j, 1, JOB_SIZE, 0, 0, 1ull << 63));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
}

/* ---- refused submits: one job ------------------------------------------ */

TEST_F(submit, model_handle_is_bo)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

	j.model_handle = self->in;
	expect_refused(_metadata, self, &j, -ENOENT);
}

TEST_F(submit, bo_handle_is_model)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

	j.in_handle = self->info[M_SPARSE].handle;
	expect_refused(_metadata, self, &j, -ENOENT);
	j = tensor_job(self, M_CLS, 0, 8192);
	j.out_handle = self->info[M_SPARSE].handle;
	expect_refused(_metadata, self, &j, -ENOENT);
	j = tensor_job(self, M_CLS, 0, 8192);
	j.flags = DRM_VISION_JOB_PROFILE;
	j.profile_handle = self->info[M_SPARSE].handle;
	expect_refused(_metadata, self, &j, -ENOENT);
}

TEST_F(submit, handles_unknown)
{
	static const uint32_t bad[] = { 0, 1000, 0x7fffffff, UINT32_MAX };

	for (int i = 0; i < 4; i++) {
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

		j.model_handle = bad[i];
		expect_refused(_metadata, self, &j, -ENOENT);
		j = tensor_job(self, M_CLS, 0, 8192);
		j.in_handle = bad[i];
		expect_refused(_metadata, self, &j, -ENOENT);
		j = tensor_job(self, M_CLS, 0, 8192);
		j.out_handle = bad[i];
		expect_refused(_metadata, self, &j, -ENOENT);
	}
}

/* A handle of another file, whose number names nothing in this one. */
TEST_F(submit, handle_of_other_fd)
{
	struct drm_vision_model_info info;
	struct drm_vision_bo_info bi;
	uint32_t bo = 0, model = 0;
	int fd2 = vision_open();

	ASSERT_LE(0, fd2);
	/* Push fd2's handle numbers past everything this file has. */
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(0, vision_bo_create(fd2, 4096, 0, &bo, NULL));
	ASSERT_EQ(0, vision_model_create(fd2, self->tm[M_CLS].blob,
					 self->tm[M_CLS].size, &info));
	model = info.handle;
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, bo, &bi));
	ASSERT_EQ(-ENOENT, vision_model_info(self->fd, model, &info));

	{
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

		j.model_handle = model;
		expect_refused(_metadata, self, &j, -ENOENT);
		j = tensor_job(self, M_CLS, 0, 8192);
		j.in_handle = bo;
		expect_refused(_metadata, self, &j, -ENOENT);
		j = tensor_job(self, M_CLS, 0, 8192);
		j.out_handle = bo;
		expect_refused(_metadata, self, &j, -ENOENT);
	}
	close(fd2);
}

TEST_F(submit, input_type_bad)
{
	static const uint32_t types[] = { 2, 3, 0x80000000u, UINT32_MAX };

	for (int i = 0; i < 4; i++) {
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

		j.input_type = types[i];
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

TEST_F(submit, job_flags_unknown)
{
	for (int bit = 1; bit < 32; bit += 5) {
		struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

		j.flags = 1u << bit;
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

TEST_F(submit, profile_handle_without_flag)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);
	uint32_t prof;

	ASSERT_EQ(0, vision_bo_create(self->fd, 4096, 0, &prof, NULL));
	j.profile_handle = prof;
	expect_refused(_metadata, self, &j, -EINVAL);
}

/* The profile must fit at its offset: one byte short is refused. */
TEST_F(submit, profile_bo_too_small)
{
	uint64_t need = self->info[M_CLS].profile_size;
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);
	uint32_t prof;

	ASSERT_LT(0, need);
	ASSERT_EQ(0, vision_bo_create(self->fd, 4096, 0, &prof, NULL));
	j.flags = DRM_VISION_JOB_PROFILE;
	j.profile_handle = prof;
	j.profile_offset = 4096 - need + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.profile_offset = 4096;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.profile_offset = UINT64_MAX - need + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.profile_offset = UINT64_MAX;
	expect_refused(_metadata, self, &j, -EINVAL);
	/* Exactly fitting is fine. */
	j.profile_offset = 4096 - need;
	j.out_offset = 0;
	ASSERT_EQ(0, vision_submit(self->fd, &j, 1, 0));
	wait_ok(_metadata, self);
	check_tensor(_metadata, self, M_CLS, self->inp, self->outp);
}

TEST_F(submit, out_bo_too_small)
{
	uint64_t osz = self->info[M_MISC].output_size;
	struct drm_vision_job j = tensor_job(self, M_MISC, 0, 0);
	uint32_t small;

	ASSERT_EQ(0, vision_bo_create(self->fd, 4096, 0, &small, NULL));
	j.out_offset = self->out_size - osz + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.out_offset = self->out_size;
	expect_refused(_metadata, self, &j, -EINVAL);
	/* A BO whose size is smaller than the offset alone. */
	j.out_handle = small;
	j.out_offset = 8192;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, out_offset_overflow)
{
	uint64_t osz = self->info[M_CLS].output_size;
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, UINT64_MAX);

	expect_refused(_metadata, self, &j, -EINVAL);
	/* offset + size wraps to exactly 0. */
	j.out_offset = UINT64_MAX - osz + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.out_offset = 1ull << 63;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, in_offset_past_end)
{
	uint64_t isz = self->info[M_CLS].input_size;
	static const uint64_t extra[] = { 1, 4096 };
	struct drm_vision_job j;

	for (int i = 0; i < 2; i++) {
		j = tensor_job(self, M_CLS, self->in_size - isz + extra[i],
			       8192);
		expect_refused(_metadata, self, &j, -EINVAL);
	}
	j = tensor_job(self, M_CLS, UINT64_MAX, 8192);
	expect_refused(_metadata, self, &j, -EINVAL);
	j = tensor_job(self, M_CLS, UINT64_MAX - isz + 1, 8192);
	expect_refused(_metadata, self, &j, -EINVAL);
}

/* Input and output ranges of one BO that overlap. */
TEST_F(submit, same_bo_overlap)
{
	uint64_t isz = self->info[M_CLS].input_size;
	struct drm_vision_job j = tensor_job(self, M_CLS, 1000, 1000);

	j.out_handle = self->in;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.out_offset = 1000 + isz - 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.out_offset = 1000 - self->info[M_CLS].output_size + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
}

/* A tensor job's frame must be all zero, member by member. */
TEST_F(submit, tensor_job_with_frame)
{
	struct drm_vision_job base = tensor_job(self, M_CLS, 0, 8192);
	struct drm_vision_job j;

	for (size_t b = 0; b < sizeof(j.frame); b += 4) {
		j = base;
		((uint8_t *)&j.frame)[b] = 1;
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

/* ---- refused submits: frames ------------------------------------------- */

static struct drm_vision_job good_frame(FIXTURE_DATA(submit) * self)
{
	return frame_job(self, M_CLS, V4L2_PIX_FMT_RGB24, 32, 24, 0, 96, 8192);
}

/* The reference frame itself is accepted and right. */
TEST_F(submit, frame_good_baseline)
{
	struct drm_vision_job j = good_frame(self);

	run_frame(_metadata, self, M_CLS, &j);
}

TEST_F(submit, frame_in_offset_nonzero)
{
	struct drm_vision_job j = good_frame(self);

	j.in_offset = 64;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, frame_fourcc_unsupported)
{
	static const uint32_t bad[] = { V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_YUV420,
					V4L2_PIX_FMT_RGB565, 0, UINT32_MAX };

	for (int i = 0; i < 5; i++) {
		struct drm_vision_job j = good_frame(self);

		j.frame.fourcc = bad[i];
		expect_refused(_metadata, self, &j, -EOPNOTSUPP);
	}
}

TEST_F(submit, frame_num_planes_wrong)
{
	struct drm_vision_job j;
	static const uint32_t packed[] = { 0, 2, 3 };
	static const uint32_t nv[] = { 0, 1, 3 };

	for (int i = 0; i < 3; i++) {
		j = good_frame(self);
		j.frame.num_planes = packed[i];
		expect_refused(_metadata, self, &j, -EINVAL);
	}
	for (int i = 0; i < 3; i++) {
		j = good_frame(self);
		j.frame.fourcc = V4L2_PIX_FMT_NV12;
		j.frame.strides[0] = 32;
		j.frame.offsets[1] = 4096;
		j.frame.strides[1] = 32;
		j.frame.num_planes = nv[i];
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

TEST_F(submit, frame_plane_outside_bo)
{
	struct drm_vision_job j = good_frame(self);
	uint64_t end = self->in_size;

	/* The last line one byte past the end. */
	j.frame.offsets[0] = end - 23 * 96 - 96 + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.frame.offsets[0] = end;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.frame.offsets[0] = UINT64_MAX - 100;
	expect_refused(_metadata, self, &j, -EINVAL);
	/* A huge stride walks past the end. */
	j = good_frame(self);
	j.frame.strides[0] = (uint32_t)(end / 23);
	expect_refused(_metadata, self, &j, -EINVAL);
	/* NV12 chroma plane past the end; luma fine. */
	j = good_frame(self);
	j.frame.fourcc = V4L2_PIX_FMT_NV12;
	j.frame.num_planes = 2;
	j.frame.strides[0] = 32;
	j.frame.strides[1] = 32;
	j.frame.offsets[1] = end - 12 * 32 + 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.frame.offsets[1] = UINT64_MAX;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, frame_stride_too_small)
{
	struct drm_vision_job j = good_frame(self);

	j.frame.strides[0] = 32 * 3 - 1;
	expect_refused(_metadata, self, &j, -EINVAL);
	j.frame.strides[0] = 0;
	expect_refused(_metadata, self, &j, -EINVAL);
	/* YUYV: 4 bytes per pair of pixels. */
	j = good_frame(self);
	j.frame.fourcc = V4L2_PIX_FMT_YUYV;
	j.frame.strides[0] = 63;
	expect_refused(_metadata, self, &j, -EINVAL);
	/* NV12 chroma: width rounded up to pairs. */
	j = good_frame(self);
	j.frame.fourcc = V4L2_PIX_FMT_NV12;
	j.frame.width = 31;
	j.frame.num_planes = 2;
	j.frame.strides[0] = 31;
	j.frame.offsets[1] = 4096;
	j.frame.strides[1] = 31;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, frame_crop_outside)
{
	static const uint32_t crops[][4] = {
		{ 0, 0, 33, 24 },	 { 0, 0, 32, 25 },
		{ 1, 0, 32, 24 },	 { 0, 1, 32, 24 },
		{ 32, 0, 1, 1 },	 { 0, 24, 1, 1 },
		{ 0, 0, 0, 24 },	 { 0, 0, 32, 0 },
		{ 5, 5, 0, 0 },		 { UINT32_MAX, 0, 2, 1 },
		{ 0, 1, 1, UINT32_MAX },
	};

	for (size_t i = 0; i < ARRAY_SIZE(crops); i++) {
		struct drm_vision_job j = good_frame(self);

		j.frame.crop_x = crops[i][0];
		j.frame.crop_y = crops[i][1];
		j.frame.crop_width = crops[i][2];
		j.frame.crop_height = crops[i][3];
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

TEST_F(submit, frame_size_zero)
{
	struct drm_vision_job j = good_frame(self);

	j.frame.width = 0;
	expect_refused(_metadata, self, &j, -EINVAL);
	j = good_frame(self);
	j.frame.height = 0;
	expect_refused(_metadata, self, &j, -EINVAL);
}

TEST_F(submit, frame_reserved_nonzero)
{
	for (int i = 0; i < 2; i++) {
		struct drm_vision_job j = good_frame(self);

		j.frame.reserved[i] = 1;
		expect_refused(_metadata, self, &j, -EINVAL);
	}
}

/* Packed formats have no second plane: its members must stay zero. */
TEST_F(submit, frame_second_plane_unused)
{
	struct drm_vision_job j = good_frame(self);

	j.frame.offsets[1] = 4096;
	j.frame.strides[1] = 96;
	/* Either refused or ignored; never a fault, and right if run. */
	if (vision_submit(self->fd, &j, 1, 0) == 0) {
		wait_ok(_metadata, self);
		check_frame(_metadata, self, M_CLS, &j, self->inp,
			    self->in_size, self->outp + j.out_offset);
	}
}

/* ---- refused submits: syncobjs, all or nothing -------------------------- */

TEST_F(submit, syncobj_unknown)
{
	struct drm_vision_job j = tensor_job(self, M_CLS, 0, 8192);

	j.in_syncobj = 4242;
	expect_refused(_metadata, self, &j, -ENOENT);
	j.in_syncobj = 0;
	j.out_syncobj = 4242;
	expect_refused(_metadata, self, &j, -ENOENT);
	/* A BO handle is not a syncobj. */
	j.out_syncobj = self->out;
	expect_refused(_metadata, self, &j, -ENOENT);
}

/* One bad job at each position of a submit of four: nothing runs. */
TEST_F(submit, one_bad_job_nothing_queued)
{
	for (int pos = 0; pos < 4; pos++) {
		struct drm_vision_job j[4];

		for (int i = 0; i < 4; i++)
			j[i] = tensor_job(self, i % NUM_MODELS, 256 * i,
					  1024 * i);
		j[pos].out_offset = UINT64_MAX;
		ASSERT_EQ(-EINVAL, vision_submit(self->fd, j, 4, 0));
		j[pos].out_offset = 1024 * pos;
		j[pos].in_handle = 777;
		ASSERT_EQ(-ENOENT, vision_submit(self->fd, j, 4, 0));
		j[pos].in_handle = self->in;
		j[pos].frame.fourcc = V4L2_PIX_FMT_MJPEG;
		j[pos].input_type = DRM_VISION_JOB_INPUT_FRAME;
		j[pos].in_offset = 0;
		j[pos].frame.width = 32;
		j[pos].frame.height = 24;
		j[pos].frame.num_planes = 1;
		j[pos].frame.strides[0] = 96;
		ASSERT_EQ(-EOPNOTSUPP, vision_submit(self->fd, j, 4, 0));
	}
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->out, WAIT_NS, NULL));
	ASSERT_EQ(0, vision_bo_wait(self->fd, self->in, WAIT_NS, NULL));
	ASSERT_TRUE(untouched(self, 0, self->out_size));
	/* And the same jobs, all good, do run. */
	{
		struct drm_vision_job j[4];

		for (int i = 0; i < 4; i++)
			j[i] = tensor_job(self, i % NUM_MODELS, 256 * i,
					  1024 * i);
		ASSERT_EQ(0, vision_submit(self->fd, j, 4, 0));
		wait_ok(_metadata, self);
		for (int i = 0; i < 4; i++)
			check_tensor(_metadata, self, i % NUM_MODELS,
				     self->inp + 256 * i,
				     self->outp + 1024 * i);
	}
}

/* A closed model or BO handle is gone for new jobs. */
TEST_F(submit, closed_handles)
{
	struct drm_vision_job j = tensor_job(self, M_MISC, 0, 8192);
	uint32_t bo;

	ASSERT_EQ(0, vision_bo_create(self->fd, BO_SIZE, 0, &bo, NULL));
	ASSERT_EQ(0, vision_gem_close(self->fd, bo));
	j.in_handle = bo;
	expect_refused(_metadata, self, &j, -ENOENT);
	j = tensor_job(self, M_MISC, 0, 8192);
	ASSERT_EQ(0, vision_gem_close(self->fd, self->info[M_MISC].handle));
	expect_refused(_metadata, self, &j, -ENOENT);
}

TEST_HARNESS_MAIN
