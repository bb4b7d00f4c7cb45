// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libFuzzer target for the model validator: every input is validated as a
 * model; one that passes is run (input stage on a synthetic frame, then
 * every operator) with the portable kernels and with the best kernels of
 * this CPU, on an arena and scratch of exactly the reported sizes, and the
 * two runs must agree bit for bit. Build and run with scripts/fuzz.sh.
 *
 * A random change almost never keeps the CRC right, so the custom mutator
 * below repairs the CRC (and file_size) of most mutants: without it the
 * fuzzer would hardly get past vis_check_header().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vis_engine.h"

/* Larger models are validated but not run (the fuzzer's memory limit). */
#define FUZZ_MAX_ARENA (64u << 20)
#define FUZZ_MAX_SCRATCH (64u << 20)
/* Nor run when one inference costs more than this (the fuzzer's timeout). */
#define FUZZ_MAX_MACS (64ull << 20)

#define FOURCC(a, b, c, d)                                              \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
	 ((uint32_t)(d) << 24))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	const size_t crc_at = offsetof(struct vision_model_header, crc32);
	uint64_t file_size;
	uint32_t crc = 0;

	size = LLVMFuzzerMutate(data, size, max_size);
	if (size < sizeof(struct vision_model_header))
		return size;
	/* Mostly: file_size follows the length; a few keep a stale one. */
	if (seed % 4) {
		file_size = size;
		memcpy(data + offsetof(struct vision_model_header, file_size),
		       &file_size, sizeof(file_size));
	}
	/* One mutant in 16 keeps its stale CRC, to fuzz the check itself. */
	if (seed % 16) {
		memcpy(data + crc_at, &crc, sizeof(crc));
		crc = vis_crc32(0, data, size);
		memcpy(data + crc_at, &crc, sizeof(crc));
	}
	return size;
}

/* A frame of one of a few formats and sizes, chosen by @sel. */
static int make_frame(struct vis_frame *f, uint8_t **p0, uint8_t **p1,
		      uint32_t sel)
{
	static const uint32_t fourccs[] = {
		FOURCC('R', 'G', 'B', '3'), FOURCC('B', 'G', 'R', '3'),
		FOURCC('X', 'R', '2', '4'), FOURCC('Y', 'U', 'Y', 'V'),
		FOURCC('U', 'Y', 'V', 'Y'), FOURCC('N', 'V', '1', '2'),
		FOURCC('N', 'V', '2', '1'), FOURCC('G', 'R', 'E', 'Y'),
	};
	static const uint32_t bpp[] = { 3, 3, 4, 2, 2, 1, 1, 1 };
	uint32_t fmt = sel % 8, w, h, i;
	size_t s0, s1 = 0;

	memset(f, 0, sizeof(*f));
	w = 1 + (sel >> 3) % 64;
	h = 1 + (sel >> 9) % 48;
	if (fmt >= 3 && fmt <= 6)
		w = (w + 1) & ~1u; /* whole 4:2:2 pairs, 4:2:0 blocks */
	if (fmt == 5 || fmt == 6)
		h = (h + 1) & ~1u;
	f->fourcc = fourccs[fmt];
	f->width = w;
	f->height = h;
	f->strides[0] = w * bpp[fmt] + (sel >> 15) % 3;
	s0 = (size_t)f->strides[0] * h;
	if (fmt == 5 || fmt == 6) {
		f->strides[1] = w;
		s1 = (size_t)w * (h / 2);
	}
	*p0 = malloc(s0);
	*p1 = s1 ? malloc(s1) : NULL;
	if (!*p0 || (s1 && !*p1)) {
		free(*p0);
		free(*p1);
		return -1;
	}
	for (i = 0; i < s0; i++)
		(*p0)[i] = (uint8_t)(i * 31 + sel);
	for (i = 0; i < s1; i++)
		(*p1)[i] = (uint8_t)(i * 17 + 128);
	f->planes[0] = *p0;
	f->planes[1] = *p1;
	f->plane_sizes[0] = s0;
	f->plane_sizes[1] = s1;
	f->crop_x = (sel >> 17) % w;
	f->crop_y = (sel >> 23) % h;
	f->crop_w = w - f->crop_x;
	f->crop_h = h - f->crop_y;
	return 0;
}

/* Input stage then every operator; the arena is left for comparison. */
static void run(const struct vis_model *m, const struct vis_kernels *k,
		uint8_t *arena, uint8_t *scratch, uint32_t sel)
{
	struct vis_exec x;
	struct vis_frame f;
	uint8_t *p0, *p1;

	memset(&x, 0, sizeof(x));
	x.model = m;
	x.arena = arena;
	x.scratch = scratch;
	x.k = k;
	memset(arena, 0x5a, m->arena_size);
	if (!make_frame(&f, &p0, &p1, sel)) {
		if (!vis_input_check(m, &f))
			vis_input_run(&x, &f, 0, vis_input_rows(m));
		free(p0);
		free(p1);
	}
	if (vis_engine_run(&x))
		__builtin_trap(); /* no should_stop: cannot be cancelled */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vis_kernels *best = vis_kernels_best();
	struct vis_engine_error err;
	uint8_t *a1 = NULL, *a2 = NULL, *scratch = NULL;
	struct vis_model m;
	void *blob;
	uint32_t sel;
	int ret;

	/* Exactly @size bytes, 8-byte aligned, so ASan sees every overread. */
	blob = malloc(size ? size : 1);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	ret = vis_model_validate(&m, blob, size, &err);
	if (ret) {
		/* Errors are reported consistently. */
		if (ret > 0 || err.err != ret)
			__builtin_trap();
		goto out;
	}
	if (m.arena_size > FUZZ_MAX_ARENA ||
	    m.scratch_size > FUZZ_MAX_SCRATCH || m.macs > FUZZ_MAX_MACS)
		goto out;

	sel = vis_crc32(0, data, size);
	if (posix_memalign((void **)&a1, 64, m.arena_size ? m.arena_size : 1))
		goto out;
	scratch = malloc(m.scratch_size ? m.scratch_size : 1);
	if (!scratch)
		goto out;
	run(&m, vis_kernels_by_name("portable"), a1, scratch, sel);
	if (best && best != &vis_kernels_portable) {
		if (posix_memalign((void **)&a2, 64,
				   m.arena_size ? m.arena_size : 1))
			goto out;
		run(&m, best, a2, scratch, sel);
		/* SIMD kernels match the portable reference exactly. */
		if (memcmp(a1, a2, m.arena_size))
			__builtin_trap();
	}
out:
	free(a1);
	free(a2);
	free(scratch);
	free(blob);
	return 0;
}
