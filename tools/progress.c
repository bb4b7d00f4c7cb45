// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The progress bar of vision-compile: see progress.h.
 */
#include <stdio.h>
#include <time.h>

#include "progress.h"

#define PROGRESS_WIDTH 30

void progress_init(struct progress *p, bool on)
{
	p->on = on;
	p->shown = false;
	p->at = 0;
}

static uint64_t progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void progress_update(void *ctx, const char *step, size_t done, size_t total)
{
	struct progress *p = ctx;
	char bar[PROGRESS_WIDTH + 1];
	uint64_t now;
	size_t i, fill;

	if (!p || !p->on || !total)
		return;
	now = progress_now();
	if (p->at && now - p->at < PROGRESS_EVERY_NS)
		return;
	if (done > total)
		done = total;
	fill = done * PROGRESS_WIDTH / total;
	for (i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[PROGRESS_WIDTH] = 0;
	/* Back to column 0 and erase: the line is redrawn in place. */
	fprintf(stderr, "\r\033[K%-12s [%s] %3zu%% %zu/%zu", step, bar,
		done * 100 / total, done, total);
	fflush(stderr);
	p->shown = true;
	p->at = now;
}

void progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
}
