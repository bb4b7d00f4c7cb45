// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * The in-kernel engine computes exactly what libvision computes on the
 * CPU: the same models and inputs through the job path (MODEL_CREATE, an
 * input BO, SUBMIT, BO_WAIT, the output BO read through mmap; the kernel
 * runs its SIMD paths in FPU sections) and through the userspace engine
 * (portable and every kernel table this CPU has) give identical bytes.
 * Bad models are refused by MODEL_CREATE and bad ranges by SUBMIT,
 * without harm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_builder.h"
#include "test_models.h"
#include "vis_engine.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define NUM_TM 4
#define WAIT_NS (20ll * 1000000000)

/*
 * Run model @info on the device: input @in (@in_size bytes, which must
 * be the model's input size) in a BO of its own, outputs read back from
 * the output BO. On success *out (malloc'ed) holds @out_size bytes.
 * Returns 0 or the -errno of the step that failed; -EMSGSIZE for a size
 * mismatch, -EIO for a job that did not succeed.
 */
static int kernel_run_model(int fd, const struct drm_vision_model_info *info,
			    const void *in, size_t in_size, size_t out_size,
			    uint8_t **out)
{
	struct drm_vision_job j;
	uint32_t in_bo = 0, out_bo = 0;
	uint64_t in_len, out_len;
	uint8_t *ip = NULL, *op = NULL;
	int32_t st = 0;
	int ret;

	if (info->input_size != in_size || info->output_size != out_size)
		return -EMSGSIZE;
	ret = vision_bo_create(fd, in_size, 0, &in_bo, NULL);
	ret = ret ?: vision_bo_create(fd, out_size, 0, &out_bo, NULL);
	if (ret)
		goto out_bos;
	ip = vision_bo_mmap(fd, in_bo, &in_len);
	op = vision_bo_mmap(fd, out_bo, &out_len);
	if (!ip || !op) {
		ret = -errno;
		goto out_maps;
	}
	/* Input at the end of its BO, output at the end of its own. */
	memset(&j, 0, sizeof(j));
	j.model_handle = info->handle;
	j.in_handle = in_bo;
	j.in_offset = in_len - in_size;
	j.out_handle = out_bo;
	j.out_offset = out_len - out_size;
	memcpy(ip + j.in_offset, in, in_size);
	ret = vision_submit(fd, &j, 1, 0);
	ret = ret ?: vision_bo_wait(fd, out_bo, WAIT_NS, &st);
	if (!ret && st)
		ret = -EIO;
	if (!ret) {
		*out = malloc(out_size);
		if (!*out)
			ret = -ENOMEM;
		else
			memcpy(*out, op + j.out_offset, out_size);
	}
out_maps:
	if (ip)
		munmap(ip, in_len);
	if (op)
		munmap(op, out_len);
out_bos:
	if (in_bo)
		vision_gem_close(fd, in_bo);
	if (out_bo)
		vision_gem_close(fd, out_bo);
	return ret;
}

/* kernel_run_model() on a model created from @blob for the call. */
static int kernel_run(int fd, const void *blob, size_t size, const void *in,
		      size_t in_size, size_t out_size, uint8_t **out)
{
	struct drm_vision_model_info info;
	int ret;

	ret = vision_model_create(fd, blob, size, &info);
	if (ret)
		return ret;
	ret = kernel_run_model(fd, &info, in, in_size, out_size, out);
	vision_gem_close(fd, info.handle);
	return ret;
}

/* Bytes of live models, from the "models:" line of debugfs state. */
static int64_t model_mem(int fd)
{
	char buf[8192], *l;
	int n = vision_debugfs_read(fd, "state", buf, sizeof(buf));

	if (n < 0)
		return n;
	l = strstr(buf, "models: ");
	return l ? strtoll(l + 8, NULL, 10) : -ENOENT;
}

/* Outputs of @m run in userspace with kernel table @k. */
static uint8_t *user_run(const struct vis_model *m, const void *in,
			 const struct vis_kernels *k, size_t *out_size)
{
	const struct vision_model_tensor *t = &m->tensors[m->input->tensor];
	uint8_t *arena = calloc(1, m->arena_size);
	uint8_t *scratch = malloc(m->scratch_size + 1);
	struct vis_exec x = {
		.model = m,
		.arena = arena,
		.scratch = scratch,
		.k = k,
	};
	uint8_t *out;
	size_t len = 0;

	memcpy(arena + t->offset, in, t->size);
	if (vis_engine_run(&x))
		return NULL;
	for (uint32_t i = 0; i < m->num_outputs; i++)
		len += m->tensors[m->outputs[i].tensor].size;
	out = malloc(len);
	len = 0;
	for (uint32_t i = 0; i < m->num_outputs; i++) {
		t = &m->tensors[m->outputs[i].tensor];
		memcpy(out + len, arena + t->offset, t->size);
		len += t->size;
	}
	*out_size = len;
	free(scratch);
	free(arena);
	return out;
}

FIXTURE(engine)
{
	int fd;
	struct tm_model tm[NUM_TM];
};

FIXTURE_SETUP(engine)
{
	static const struct tm_opts big = {
		.h = 24,
		.w = 20,
		.c = 3,
		.feat = 24,
		.classes = 16,
		.seed = 3,
		.color = VISION_MODEL_COLOR_BGR,
	};

	self->fd = vision_open();
	if (self->fd == -ENODEV)
		SKIP(return, "no vision device");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tm_classifier_default(&self->tm[0]));
	ASSERT_EQ(0, tm_sparse(&self->tm[1], 7));
	ASSERT_EQ(0, tm_misc(&self->tm[2], 11));
	/* Big enough for several chunks and full SIMD widths. */
	ASSERT_EQ(0, tm_classifier(&self->tm[3], &big));
}

FIXTURE_TEARDOWN(engine)
{
	/* prepared_weights may have stopped with another table chosen. */
	if (self->fd >= 0)
		vision_debugfs_write(self->fd, "kernels", "best");
	for (int i = 0; i < NUM_TM; i++)
		free(self->tm[i].blob);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(engine, kernel_equals_user)
{
	static const char *const tables[] = { "portable", "avx2", "avx512bw",
					      "avx512vnni", "neon-dotprod" };

	for (int i = 0; i < NUM_TM; i++) {
		struct vis_engine_error err;
		const struct vision_model_tensor *t;
		struct vis_model m;
		uint8_t *in, *kout, *ref;
		size_t out_size;

		ASSERT_EQ(0, vis_model_validate(&m, self->tm[i].blob,
						self->tm[i].size, &err))
		TH_LOG("model %d: %s: %s", i, err.field, err.msg);
		t = &m.tensors[m.input->tensor];
		in = malloc(t->size);
		for (int rep = 0; rep < 4; rep++) {
			/* Saturated inputs first, then random ones. */
			for (size_t b = 0; b < t->size; b++)
				in[b] = rep == 0 ? 0x80 :
					rep == 1 ? 0x7f :
						   (uint8_t)(rand() >> 7);
			ref = user_run(&m, in, vis_kernels_by_name("portable"),
				       &out_size);
			ASSERT_NE(NULL, ref);
			ASSERT_EQ(0, kernel_run(self->fd, self->tm[i].blob,
						self->tm[i].size, in, t->size,
						out_size, &kout));
			EXPECT_EQ(0, memcmp(ref, kout, out_size))
			TH_LOG("model %d: kernel output differs", i);
			for (size_t k = 0; k < 5; k++) {
				const struct vis_kernels *kt =
					vis_kernels_by_name(tables[k]);
				uint8_t *u;
				size_t us;

				if (!kt)
					continue;
				u = user_run(&m, in, kt, &us);
				ASSERT_NE(NULL, u);
				EXPECT_EQ(0, memcmp(ref, u, out_size))
				TH_LOG("model %d: %s differs", i, tables[k]);
				free(u);
			}
			free(kout);
			free(ref);
		}
		free(in);
	}
}

/*
 * Weights prepared at MODEL_CREATE (debugfs "kernels" picks the table; a
 * guest without AVX-512 prepares nothing with its own): a model created
 * under a table with the packed kernels (portable has them) costs the
 * blob plus exactly the prepared size the validator computes, one
 * created under a table without them the blob alone; the memory comes
 * back when it is freed; and every model, prepared or not, gives the
 * userspace engine's bytes under every table.
 */
TEST_F(engine, prepared_weights)
{
	static const char *const tables[] = { "portable", "avx2", "avx512bw",
					      "avx512vnni" };
	uint64_t prepared = 0;
	char orig[32];
	int ret;

	ret = vision_debugfs_read(self->fd, "kernels", orig, sizeof(orig));
	if (ret < 0)
		SKIP(return, "no debugfs kernels file: %d", ret);
	/* Unknown tables are refused. */
	EXPECT_EQ(-EINVAL, vision_debugfs_write(self->fd, "kernels", "nope"));
	for (int i = 0; i < NUM_TM; i++) {
		const struct tm_model *tm = &self->tm[i];
		struct vis_engine_error err;
		struct vis_model m;
		uint8_t *in, *ref;
		size_t in_size, out_size;

		ASSERT_EQ(0, vis_model_validate(&m, tm->blob, tm->size, &err));
		prepared += m.prepared_size;
		in_size = m.tensors[m.input->tensor].size;
		in = malloc(in_size);
		ASSERT_NE(NULL, in);
		for (size_t b = 0; b < in_size; b++)
			in[b] = (uint8_t)(rand() >> 7);
		ref = user_run(&m, in, vis_kernels_by_name("portable"),
			       &out_size);
		ASSERT_NE(NULL, ref);
		for (int c = 0; c < 4; c++) {
			const struct vis_kernels *ck =
				vis_kernels_by_name(tables[c]);
			struct drm_vision_model_info info;
			int64_t before, after, want;

			if (!ck)
				continue;
			ASSERT_EQ(0, vision_debugfs_write(self->fd, "kernels",
							  tables[c]));
			before = model_mem(self->fd);
			ASSERT_LE(0, before);
			ASSERT_EQ(0, vision_model_create(self->fd, tm->blob,
							 tm->size, &info));
			after = model_mem(self->fd);
			want = (int64_t)tm->size;
			if (ck->gemm_s8_packed)
				want += (int64_t)m.prepared_size;
			EXPECT_EQ(want, after - before)
			TH_LOG("model %d created under %s", i, tables[c]);
			for (int r = 0; r < 4; r++) {
				uint8_t *kout;

				if (!vis_kernels_by_name(tables[r]))
					continue;
				ASSERT_EQ(0, vision_debugfs_write(self->fd,
								  "kernels",
								  tables[r]));
				ASSERT_EQ(0, kernel_run_model(self->fd, &info,
							      in, in_size,
							      out_size, &kout));
				EXPECT_EQ(0, memcmp(ref, kout, out_size))
				TH_LOG("model %d created under %s, run under %s",
				       i, tables[c], tables[r]);
				free(kout);
			}
			ASSERT_EQ(0, vision_gem_close(self->fd, info.handle));
			EXPECT_EQ(before, model_mem(self->fd));
		}
		free(ref);
		free(in);
	}
	ASSERT_EQ(0, vision_debugfs_write(self->fd, "kernels", "best"));
	/* Otherwise this test proved nothing about preparation. */
	ASSERT_LT(0, prepared);
}

TEST_F(engine, bad_requests)
{
	struct tm_model *tm = &self->tm[0];
	struct drm_vision_model_info info;
	struct drm_vision_job j;
	struct vis_model m;
	uint8_t *bad, *out = NULL, in[4096] = { 0 };
	size_t in_size, out_size;
	uint32_t bo;
	uint64_t bo_size;
	uint8_t *p;

	ASSERT_EQ(0, vis_model_validate(&m, tm->blob, tm->size, NULL));
	in_size = m.tensors[m.input->tensor].size;
	ASSERT_GE(sizeof(in), in_size);
	out_size = 0;
	for (uint32_t i = 0; i < m.num_outputs; i++)
		out_size += m.tensors[m.outputs[i].tensor].size;

	/* Corrupt a byte in the middle: the CRC no longer matches. */
	bad = malloc(tm->size);
	ASSERT_NE(NULL, bad);
	memcpy(bad, tm->blob, tm->size);
	bad[tm->size / 2] ^= 0x5a;
	ASSERT_EQ(-EINVAL, kernel_run(self->fd, bad, tm->size, in, in_size,
				      out_size, &out));
	/* Truncated model. */
	ASSERT_EQ(-EINVAL, kernel_run(self->fd, tm->blob, tm->size - 8, in,
				      in_size, out_size, &out));
	/* Bad magic, CRC fixed: still malformed. */
	memcpy(bad, tm->blob, tm->size);
	bad[0] ^= 0xff;
	vmb_fix_crc(bad, tm->size);
	ASSERT_EQ(-EINVAL, kernel_run(self->fd, bad, tm->size, in, in_size,
				      out_size, &out));
	free(bad);
	/* A size claiming more than any model may be. */
	ASSERT_EQ(-E2BIG,
		  vision_model_create(self->fd, tm->blob, UINT64_MAX, NULL));
	ASSERT_EQ(-E2BIG, vision_model_create(
				  self->fd, tm->blob,
				  (uint64_t)VISION_MODEL_MAX_SIZE + 1, NULL));

	/* The good model, with input and output one byte short of room. */
	ASSERT_EQ(0, vision_model_create(self->fd, tm->blob, tm->size, &info));
	ASSERT_EQ(in_size, info.input_size);
	ASSERT_EQ(out_size, info.output_size);
	ASSERT_EQ(0, vision_bo_create(self->fd, 4096, 0, &bo, NULL));
	p = vision_bo_mmap(self->fd, bo, &bo_size);
	ASSERT_NE(NULL, p);
	memset(p, 0x11, bo_size);
	memset(&j, 0, sizeof(j));
	j.model_handle = info.handle;
	j.in_handle = bo;
	j.out_handle = bo;
	j.in_offset = bo_size - in_size + 1;
	j.out_offset = 0;
	ASSERT_EQ(-EINVAL, vision_submit(self->fd, &j, 1, 0));
	j.in_offset = 0;
	j.out_offset = bo_size - out_size + 1;
	ASSERT_EQ(-EINVAL, vision_submit(self->fd, &j, 1, 0));
	/* Nothing ran: the BO is as it was. */
	ASSERT_EQ(0, vision_bo_wait(self->fd, bo, WAIT_NS, NULL));
	for (uint64_t i = 0; i < bo_size; i++)
		ASSERT_EQ(0x11, p[i]);
	munmap(p, bo_size);
}

TEST_HARNESS_MAIN
