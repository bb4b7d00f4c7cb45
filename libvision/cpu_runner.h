/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: runs validated models on the CPU with the shared
 * engine, spreading each operator's work units over a pool of threads.
 */
#ifndef LIBVISION_CPU_RUNNER_H
#define LIBVISION_CPU_RUNNER_H

#include "vis_engine.h"

struct vis_cpu_runner;

/*
 * A runner with @nthreads workers in all (the calling thread counts as
 * one; 0 means one per online CPU). Returns 0 or a negative errno.
 */
int vis_cpu_runner_new(unsigned int nthreads, struct vis_cpu_runner **out);
void vis_cpu_runner_free(struct vis_cpu_runner *r);
unsigned int vis_cpu_runner_threads(const struct vis_cpu_runner *r);

/*
 * Run every operator of @m on @arena (m->arena_size bytes) with kernel
 * table @k (NULL: the best for this CPU). @op_done, if not NULL, is
 * called on the calling thread after each operator. Results are
 * identical whatever the thread count. One run at a time per runner.
 * Returns 0 or -ENOMEM.
 */
int vis_cpu_run(struct vis_cpu_runner *r, const struct vis_model *m, u8 *arena,
		const struct vis_kernels *k,
		void (*op_done)(void *priv, unsigned int op), void *priv);

/*
 * Run the input stage of @m on frame @f (checked with vis_input_check())
 * into @arena. Returns 0, or the vis_input_check() error.
 */
int vis_cpu_run_input(struct vis_cpu_runner *r, const struct vis_model *m,
		      u8 *arena, const struct vis_frame *f);

#endif /* LIBVISION_CPU_RUNNER_H */
