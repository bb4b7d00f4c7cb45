// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * CPU execution of models: a fixed pool of threads that take chunks of
 * an operator's work units from a shared counter. Operators run one after
 * the other (each reads what the previous wrote); within one, units are
 * independent, so the split cannot change the result.
 *
 * An inference hands the workers one operator after another, tens of
 * microseconds each: waking a sleeping thread per operator costs as much
 * as the work. So the hand-over is a generation counter the workers spin
 * on (with a pause hint) for a while after each task, and the caller
 * spins on the pending count; only past VIS_CPU_SPIN rounds do they sleep
 * on the condition variables, between inferences.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "cpu_runner.h"

/* What the workers are asked to do for one operator (or the input). */
struct vis_cpu_task {
	const struct vis_model *m;
	u8 *arena;
	const struct vis_kernels *k;
	const struct vis_frame *frame; /* input stage when not NULL */
	u32 op;
	u32 units;
	u32 grain;
};

struct vis_cpu_runner {
	unsigned int nthreads;
	pthread_t *threads;
	/* Per worker (index 0 is the caller): scratch of scratch_size. */
	u8 **scratch;
	u64 scratch_size;

	/*
	 * task is written before generation is bumped (release) and read
	 * after it is seen (acquire); pending, generation and quit are
	 * atomic. lock orders going to sleep against waking: sleepers and
	 * caller_waiting are changed and read under it.
	 */
	pthread_mutex_t lock;
	pthread_cond_t start;
	pthread_cond_t done;
	struct vis_cpu_task task;
	u64 generation;
	unsigned int pending; /* workers still busy with this generation */
	bool quit;
	unsigned int sleepers; /* workers blocked on start */
	bool caller_waiting; /* the caller blocked on done */

	u32 next; /* next unit to hand out; atomic */
};

/* Rounds of spinning before sleeping: about 100 us. */
#define VIS_CPU_SPIN 4000

/*
 * One round: a pause hint, and every 64th round the CPU to whoever else
 * is runnable, so that on a busy machine a spinner does not hold up the
 * thread it waits for.
 */
static inline void vis_cpu_relax(unsigned int spin)
{
	if (spin % 64 == 63) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

struct vis_cpu_worker {
	struct vis_cpu_runner *r;
	unsigned int index;
};

static void vis_cpu_work(struct vis_cpu_runner *r, const struct vis_cpu_task *t,
			 unsigned int index)
{
	struct vis_exec x = {
		.model = t->m,
		.arena = t->arena,
		.scratch = r->scratch[index],
		.k = t->k,
	};

	for (;;) {
		u32 begin = __atomic_fetch_add(&r->next, t->grain,
					       __ATOMIC_RELAXED);
		u32 end;

		if (begin >= t->units)
			break;
		end = begin + t->grain < t->units ? begin + t->grain : t->units;
		if (t->frame)
			vis_input_run(&x, t->frame, begin, end);
		else
			vis_engine_op_run(&x, t->op, begin, end);
	}
}

/* The next generation after @seen (or @seen when quitting). */
static u64 vis_cpu_next(struct vis_cpu_runner *r, u64 seen)
{
	unsigned int spin;
	u64 g;

	for (spin = 0; spin < VIS_CPU_SPIN; spin++) {
		g = __atomic_load_n(&r->generation, __ATOMIC_ACQUIRE);
		if (g != seen || __atomic_load_n(&r->quit, __ATOMIC_ACQUIRE))
			return g;
		vis_cpu_relax(spin);
	}
	pthread_mutex_lock(&r->lock);
	r->sleepers++;
	while (!__atomic_load_n(&r->quit, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&r->generation, __ATOMIC_ACQUIRE) == seen)
		pthread_cond_wait(&r->start, &r->lock);
	r->sleepers--;
	pthread_mutex_unlock(&r->lock);
	return __atomic_load_n(&r->generation, __ATOMIC_ACQUIRE);
}

static void *vis_cpu_thread(void *arg)
{
	struct vis_cpu_worker *w = arg;
	struct vis_cpu_runner *r = w->r;
	u64 seen = 0;

	for (;;) {
		struct vis_cpu_task t;

		seen = vis_cpu_next(r, seen);
		if (__atomic_load_n(&r->quit, __ATOMIC_ACQUIRE))
			break;
		t = r->task;
		vis_cpu_work(r, &t, w->index);
		if (__atomic_sub_fetch(&r->pending, 1, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&r->lock);
			if (r->caller_waiting)
				pthread_cond_signal(&r->done);
			pthread_mutex_unlock(&r->lock);
		}
	}
	free(w);
	return NULL;
}

unsigned int vis_cpu_runner_threads(const struct vis_cpu_runner *r)
{
	return r->nthreads;
}

void vis_cpu_runner_free(struct vis_cpu_runner *r)
{
	unsigned int i;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	__atomic_store_n(&r->quit, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&r->start);
	pthread_mutex_unlock(&r->lock);
	for (i = 1; i < r->nthreads; i++)
		if (r->threads[i])
			pthread_join(r->threads[i], NULL);
	for (i = 0; i < r->nthreads; i++)
		free(r->scratch[i]);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->start);
	pthread_mutex_destroy(&r->lock);
	free(r->scratch);
	free(r->threads);
	free(r);
}

int vis_cpu_runner_new(unsigned int nthreads, struct vis_cpu_runner **out)
{
	struct vis_cpu_runner *r;
	unsigned int i;

	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n > 0 ? (unsigned int)n : 1;
	}
	if (nthreads > 256)
		nthreads = 256;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->nthreads = nthreads;
	r->threads = calloc(nthreads, sizeof(*r->threads));
	r->scratch = calloc(nthreads, sizeof(*r->scratch));
	if (!r->threads || !r->scratch) {
		free(r->threads);
		free(r->scratch);
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->start, NULL);
	pthread_cond_init(&r->done, NULL);

	for (i = 1; i < nthreads; i++) {
		struct vis_cpu_worker *w = malloc(sizeof(*w));

		if (w) {
			w->r = r;
			w->index = i;
		}
		if (!w ||
		    pthread_create(&r->threads[i], NULL, vis_cpu_thread, w)) {
			free(w);
			r->nthreads = i; /* join only those started */
			vis_cpu_runner_free(r);
			return -ENOMEM;
		}
	}
	*out = r;
	return 0;
}

/* Every worker gets scratch of at least @size bytes. */
static int vis_cpu_scratch(struct vis_cpu_runner *r, u64 size)
{
	unsigned int i;

	if (size <= r->scratch_size)
		return 0;
	for (i = 0; i < r->nthreads; i++) {
		/* 64-byte alignment for vector loads. */
		void *p = aligned_alloc(64, (size + 63) & ~(u64)63);

		if (!p)
			return -ENOMEM;
		free(r->scratch[i]);
		r->scratch[i] = p;
	}
	r->scratch_size = size;
	return 0;
}

/* Run one task on all workers and wait for them. */
static void vis_cpu_dispatch(struct vis_cpu_runner *r, struct vis_cpu_task *t,
			     u64 unit_cost)
{
	unsigned int spin;

	/*
	 * One chunk per thread: operators set up per call (weight packing,
	 * bias folding), so fewer, larger calls beat finer balancing.
	 */
	t->grain = (t->units + r->nthreads - 1) / r->nthreads;
	/* Tiny operators: threads would cost more than they save. */
	if (r->nthreads == 1 || t->units == 1 ||
	    (u64)t->units * unit_cost < 65536) {
		__atomic_store_n(&r->next, 0, __ATOMIC_RELAXED);
		t->grain = t->units;
		vis_cpu_work(r, t, 0);
		return;
	}

	r->task = *t;
	__atomic_store_n(&r->next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->pending, r->nthreads - 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->generation, 1, __ATOMIC_RELEASE);
	/* Sleepers check the generation under the lock before waiting. */
	pthread_mutex_lock(&r->lock);
	if (r->sleepers)
		pthread_cond_broadcast(&r->start);
	pthread_mutex_unlock(&r->lock);

	vis_cpu_work(r, t, 0);

	for (spin = 0; spin < VIS_CPU_SPIN; spin++) {
		if (!__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE))
			return;
		vis_cpu_relax(spin);
	}
	pthread_mutex_lock(&r->lock);
	r->caller_waiting = true;
	while (__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&r->done, &r->lock);
	r->caller_waiting = false;
	pthread_mutex_unlock(&r->lock);
}

int vis_cpu_run(struct vis_cpu_runner *r, const struct vis_model *m, u8 *arena,
		const struct vis_kernels *k,
		void (*op_done)(void *priv, unsigned int op), void *priv)
{
	u32 op;

	if (vis_cpu_scratch(r, m->scratch_size))
		return -ENOMEM;
	for (op = 0; op < m->num_ops; op++) {
		struct vis_cpu_task t = {
			.m = m,
			.arena = arena,
			.k = k ? k : vis_kernels_best(),
			.op = op,
			.units = vis_engine_op_units(m, op),
		};

		vis_cpu_dispatch(r, &t, vis_engine_op_unit_macs(m, op));
		if (op_done)
			op_done(priv, op);
	}
	return 0;
}

int vis_cpu_run_input(struct vis_cpu_runner *r, const struct vis_model *m,
		      u8 *arena, const struct vis_frame *f)
{
	const struct vision_model_tensor *t = &m->tensors[m->input->tensor];
	struct vis_cpu_task task = {
		.m = m,
		.arena = arena,
		.k = vis_kernels_best(),
		.frame = f,
		.units = vis_input_rows(m),
	};
	int ret;

	ret = vis_input_check(m, f);
	if (ret)
		return ret;
	if (vis_cpu_scratch(r, m->scratch_size))
		return -ENOMEM;
	/* Per row: width * channels pixels, a few dozen operations each. */
	vis_cpu_dispatch(r, &task, (u64)t->shape[2] * t->shape[3] * 32);
	return 0;
}
