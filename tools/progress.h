/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * A one-line progress bar on stderr for vision-compile's long steps
 * (calibration, pruning layer by layer, evaluation). The library reports
 * through the progress callbacks of its options structs and never prints;
 * progress_update() is such a callback. Only drawn when enabled (stderr a
 * terminal, not -q), at most every PROGRESS_EVERY_NS, so logs and pipes
 * never see a carriage return or an escape sequence.
 */
#ifndef TOOLS_PROGRESS_H
#define TOOLS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most five redraws a second. */
#define PROGRESS_EVERY_NS 200000000ull

/**
 * struct progress - the bar's state
 * @on: drawing enabled
 * @shown: a bar is on the terminal's current line
 * @at: CLOCK_MONOTONIC nanoseconds of the last draw (0: none yet)
 */
struct progress {
	bool on;
	bool shown;
	uint64_t at;
};

/* @on: draw at all (the caller checks isatty(STDERR_FILENO) and -q). */
void progress_init(struct progress *p, bool on);

/*
 * The callback (@ctx a &struct progress): @step, @done of @total, drawn
 * unless the last draw is less than PROGRESS_EVERY_NS old.
 */
void progress_update(void *ctx, const char *step, size_t done, size_t total);

/* Erase the bar, before anything else goes to stderr or at the end. */
void progress_clear(struct progress *p);

#endif /* TOOLS_PROGRESS_H */
