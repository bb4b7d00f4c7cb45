// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Monotonic time: deadlines and timed waits that a change of the wall
 * clock cannot stretch or cut short.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"

int64_t vis_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t vis_deadline(int64_t timeout_ns)
{
	int64_t now;

	if (timeout_ns < 0)
		return -1;
	now = vis_now_ns();
	/* Saturate: a huge timeout means "practically never". */
	return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

void vis_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int vis_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			int64_t deadline_ns)
{
	struct timespec ts;

	if (deadline_ns < 0) {
		pthread_cond_wait(cond, lock);
		return 0;
	}
	if (vis_now_ns() >= deadline_ns)
		return -ETIMEDOUT;
	ts.tv_sec = deadline_ns / 1000000000;
	ts.tv_nsec = deadline_ns % 1000000000;
	return pthread_cond_timedwait(cond, lock, &ts) == ETIMEDOUT ?
		       -ETIMEDOUT :
		       0;
}
