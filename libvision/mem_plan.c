// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Activation memory planning: greedy by size with lifetimes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mem_plan.h"

static uint64_t mp_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool mp_live_together(const struct mem_plan_buf *a,
			     const struct mem_plan_buf *b)
{
	return a->first <= b->last && b->first <= a->last;
}

/* Largest first; ties by earlier start, so the order is deterministic. */
static int mp_cmp(const void *pa, const void *pb, void *priv)
{
	const struct mem_plan_buf *bufs = priv;
	const struct mem_plan_buf *a = &bufs[*(const size_t *)pa];
	const struct mem_plan_buf *b = &bufs[*(const size_t *)pb];

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

static int mp_cmp_offset(const void *pa, const void *pb, void *priv)
{
	const struct mem_plan_buf *bufs = priv;
	uint64_t a = bufs[*(const size_t *)pa].offset;
	uint64_t b = bufs[*(const size_t *)pb].offset;

	return a < b ? -1 : a > b;
}

int mem_plan(struct mem_plan_buf *bufs, size_t n, uint64_t align,
	     uint64_t *planned, uint64_t *naive)
{
	size_t *order, *placed, i, j, np = 0;
	uint64_t total = 0, sum = 0;

	if (!align || (align & (align - 1)))
		return -EINVAL;
	order = calloc(n + 1, sizeof(*order));
	placed = calloc(n + 1, sizeof(*placed));
	if (!order || !placed) {
		free(order);
		free(placed);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (bufs[i].last < bufs[i].first) {
			free(order);
			free(placed);
			return -EINVAL;
		}
		order[i] = i;
		sum += mp_align(bufs[i].size, align);
	}
	qsort_r(order, n, sizeof(*order), mp_cmp, bufs);
	for (i = 0; i < n; i++) {
		struct mem_plan_buf *b = &bufs[order[i]];
		uint64_t off = 0;

		/*
		 * Walk the placed buffers by offset; the first gap before a
		 * conflicting buffer that is large enough takes it.
		 */
		for (j = 0; j < np; j++) {
			const struct mem_plan_buf *p = &bufs[placed[j]];

			if (!mp_live_together(b, p))
				continue;
			if (p->offset >= off + b->size)
				break;
			if (p->offset + p->size > off)
				off = mp_align(p->offset + p->size, align);
		}
		b->offset = off;
		placed[np++] = order[i];
		qsort_r(placed, np, sizeof(*placed), mp_cmp_offset, bufs);
		if (off + b->size > total)
			total = off + b->size;
	}
	free(order);
	free(placed);
	*planned = mp_align(total, align);
	*naive = sum;
	return 0;
}
