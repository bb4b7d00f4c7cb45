/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: activation memory planning. Each arena buffer lives
 * from the operator that writes it to the last operator that reads it;
 * buffers whose lifetimes overlap must not share bytes, the others may.
 * Placement is greedy by size (largest first, each at the lowest aligned
 * offset free during its whole lifetime), as TFLite's
 * GreedyMemoryPlanner does.
 */
#ifndef LIBVISION_MEM_PLAN_H
#define LIBVISION_MEM_PLAN_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct mem_plan_buf - one buffer
 * @size: bytes
 * @first: first operator index it is live at (written; -1: before op 0)
 * @last: last operator index it is live at (read), >= @first
 * @offset: out: its place in the arena
 */
struct mem_plan_buf {
	uint64_t size;
	int64_t first;
	int64_t last;
	uint64_t offset;
};

/*
 * Place @n buffers; offsets are multiples of @align (a power of two).
 * *@planned receives the arena size, *@naive the sum of the aligned
 * sizes. Returns 0, -ENOMEM or -EINVAL.
 */
int mem_plan(struct mem_plan_buf *bufs, size_t n, uint64_t align,
	     uint64_t *planned, uint64_t *naive);

#endif /* LIBVISION_MEM_PLAN_H */
