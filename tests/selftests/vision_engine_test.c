// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * The in-kernel engine computes exactly what libvision computes on the
 * CPU: the same models and inputs through debugfs engine_run (kernel,
 * with its SIMD paths in FPU sections) and through the userspace engine
 * (portable and best kernel tables) give identical bytes. Bad models and
 * inputs are refused without harm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_builder.h"
#include "test_models.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

#define ENGINE_RUN "/sys/kernel/debug/vision_accel/engine_run"

/* Send one request; on success *out (malloc'ed) holds the outputs. */
static int kernel_run(const void *blob, size_t size, const void *in,
		      size_t in_size, size_t out_size, uint8_t **out)
{
	size_t pad = (8 - size % 8) % 8;
	uint64_t hdr[2] = { 16 + size + pad + in_size, size };
	size_t total = hdr[0];
	uint8_t *req = calloc(1, total);
	ssize_t n;
	int fd, ret = 0;

	memcpy(req, hdr, sizeof(hdr));
	memcpy(req + 16, blob, size);
	memcpy(req + 16 + size + pad, in, in_size);

	fd = open(ENGINE_RUN, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(req);
		return -errno;
	}
	/* Odd-sized pieces: the protocol must not care how writes split. */
	for (size_t off = 0; off < total && !ret; off += (size_t)n) {
		size_t chunk = total - off < 4093 ? total - off : 4093;

		n = write(fd, req + off, chunk);
		if (n < 0)
			ret = -errno;
	}
	if (!ret) {
		*out = malloc(out_size + 1);
		n = read(fd, *out, out_size + 1);
		if (n < 0)
			ret = -errno;
		else if ((size_t)n != out_size)
			ret = -EMSGSIZE;
		if (ret)
			free(*out);
	}
	close(fd);
	free(req);
	return ret;
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
	struct tm_model tm[3];
};

FIXTURE_SETUP(engine)
{
	if (access(ENGINE_RUN, W_OK))
		SKIP(return, "no %s (module not loaded, or no debugfs)",
			   ENGINE_RUN);
	ASSERT_EQ(0, tm_classifier_default(&self->tm[0]));
	ASSERT_EQ(0, tm_sparse(&self->tm[1], 7));
	ASSERT_EQ(0, tm_misc(&self->tm[2], 11));
}

FIXTURE_TEARDOWN(engine)
{
	for (int i = 0; i < 3; i++)
		free(self->tm[i].blob);
}

TEST_F(engine, kernel_equals_user)
{
	static const char *const tables[] = { "portable", "avx2", "avx512bw",
					      "avx512vnni", "neon-dotprod" };

	for (int i = 0; i < 3; i++) {
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
			for (size_t b = 0; b < t->size; b++)
				in[b] = (uint8_t)(rand() >> 7);
			ref = user_run(&m, in, vis_kernels_by_name("portable"),
				       &out_size);
			ASSERT_NE(NULL, ref);
			ASSERT_EQ(0,
				  kernel_run(self->tm[i].blob, self->tm[i].size,
					     in, t->size, out_size, &kout));
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

TEST_F(engine, bad_requests)
{
	struct tm_model *tm = &self->tm[0];
	struct vis_model m;
	uint8_t *bad, *out = NULL, in[4096] = { 0 };
	size_t in_size;

	ASSERT_EQ(0, vis_model_validate(&m, tm->blob, tm->size, NULL));
	in_size = m.tensors[m.input->tensor].size;
	ASSERT_GE(sizeof(in), in_size);

	/* Corrupt a byte in the middle: the CRC no longer matches. */
	bad = malloc(tm->size);
	memcpy(bad, tm->blob, tm->size);
	bad[tm->size / 2] ^= 0x5a;
	ASSERT_EQ(-EINVAL, kernel_run(bad, tm->size, in, in_size, 1, &out));
	/* Truncated model. */
	ASSERT_EQ(-EINVAL,
		  kernel_run(tm->blob, tm->size - 8, in, in_size, 1, &out));
	/* Input one byte short and one byte long. */
	ASSERT_EQ(-EINVAL,
		  kernel_run(tm->blob, tm->size, in, in_size - 1, 1, &out));
	ASSERT_EQ(-EINVAL,
		  kernel_run(tm->blob, tm->size, in, in_size + 1, 1, &out));
	free(bad);

	/* Header claiming an absurd size. */
	{
		uint64_t hdr[2] = { UINT64_MAX, 16 };
		int fd = open(ENGINE_RUN, O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(-1, write(fd, hdr, sizeof(hdr)));
		ASSERT_EQ(EINVAL, errno);
		/* Nothing ran: nothing to read. */
		ASSERT_EQ(-1, read(fd, in, 1));
		ASSERT_EQ(ENODATA, errno);
		close(fd);
	}
}

TEST_HARNESS_MAIN
