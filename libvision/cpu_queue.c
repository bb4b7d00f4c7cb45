// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The CPU device's job queue: one worker thread takes requests in order
 * and runs each inference with the shared engine (cpu_runner), writing
 * outputs and profiles in the very layout the kernel writes them, so the
 * rest of the library cannot tell the two apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "vision_accel.h"
#include "cpu_runner.h"
#include "internal.h"

/* What the worker keeps between inferences. */
struct vis_cpu_worker_state {
	struct vision_device *dev;
	u8 *arena;
	u64 arena_size;
	/* Profiling of the current inference. */
	struct drm_vision_profile_op *prof_ops;
	const struct vis_model *m;
	int64_t op_ns;
};

/* Threads of the runner: $VISION_CPU_THREADS, else one per CPU. */
static unsigned int vis_cpu_threads(void)
{
	const char *s = getenv("VISION_CPU_THREADS");
	char *end;
	unsigned long n;

	if (!s || !*s)
		return 0;
	n = strtoul(s, &end, 10);
	return *end || n > 256 ? 0 : (unsigned int)n;
}

static void vis_bo_sync(const struct vision_bo *bo, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };

	/* CPU access to another device's buffer is bracketed for coherency. */
	if (bo->dmabuf_fd >= 0)
		vis_ioctl(bo->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static void vis_cpu_op_done(void *priv, unsigned int op)
{
	struct vis_cpu_worker_state *w = priv;
	int64_t now = vis_now_ns();

	w->prof_ops[op].duration_ns = (u64)(now - w->op_ns);
	w->prof_ops[op].cycles = (u64)vis_engine_op_units(w->m, op) *
				 vis_engine_op_unit_macs(w->m, op);
	w->op_ns = now;
}

static int vis_cpu_arena(struct vis_cpu_worker_state *w, u64 size)
{
	u64 aligned = (size + 63) / 64 * 64 + 64;

	if (aligned <= w->arena_size)
		return 0;
	free(w->arena);
	w->arena = aligned_alloc(64, aligned);
	w->arena_size = w->arena ? aligned : 0;
	if (!w->arena)
		return -ENOMEM;
	/* Deterministic even for bytes no tensor covers. */
	memset(w->arena, 0, aligned);
	return 0;
}

/* Run inference @i of @req; returns its status. */
static int vis_cpu_run_one(struct vis_cpu_worker_state *w,
			   struct vis_cpu_runner *runner,
			   struct vision_request *req, unsigned int i)
{
	const struct vision_model *model = req->model;
	const struct vis_model *m = &model->m;
	const struct vis_job_input *in = &req->inputs[i];
	const struct vision_model_tensor *t = &m->tensors[m->input->tensor];
	struct drm_vision_profile *prof = NULL;
	u8 *out = req->out_map + i * req->out_stride;
	int64_t start = vis_now_ns();
	struct vis_frame vf;
	u64 off = 0;
	int ret;

	if (!runner || vis_cpu_arena(w, m->arena_size))
		return -ENOMEM;
	if (req->prof_map) {
		prof = (void *)(req->prof_map + i * req->prof_stride);
		w->prof_ops = (void *)(prof + 1);
		w->m = m;
	}

	vis_bo_sync(in->bo, DMA_BUF_SYNC_START);
	if (in->is_frame) {
		ret = vis_frame_from(model, &in->frame, in->bo->map,
				     in->bo->size, &vf);
		if (!ret)
			ret = vis_cpu_run_input(runner, m, w->arena, &vf);
	} else {
		memcpy(w->arena + t->offset, (u8 *)in->bo->map + in->offset,
		       t->size);
		ret = 0;
	}
	vis_bo_sync(in->bo, DMA_BUF_SYNC_END);
	if (ret)
		return ret;

	w->op_ns = vis_now_ns();
	if (prof)
		prof->input_ns = (u64)(w->op_ns - start);
	ret = vis_cpu_run(runner, m, w->arena, NULL,
			  prof ? vis_cpu_op_done : NULL, w);
	if (ret)
		return ret;
	for (u32 o = 0; o < m->num_outputs; o++) {
		t = &m->tensors[m->outputs[o].tensor];
		memcpy(out + off, w->arena + t->offset, t->size);
		off += t->size;
	}
	if (prof) {
		prof->num_ops = m->num_ops;
		prof->core = 0;
		prof->queued_ns = (u64)req->queued_ns;
		prof->start_ns = (u64)start;
		prof->total_ns = (u64)(vis_now_ns() - start);
	}
	return 0;
}

/* Buffers a request uses: busy while it is queued or running. */
static void vis_cpu_busy(struct vision_request *req, int delta)
{
	for (unsigned int i = 0; i < req->count; i++)
		req->inputs[i].bo->busy += delta;
	req->out_bo->busy += delta;
	if (req->prof_bo)
		req->prof_bo->busy += delta;
}

static void *vis_cpu_worker(void *arg)
{
	struct vis_cpu_worker_state w = { .dev = arg };
	struct vision_device *dev = w.dev;
	struct vis_cpu_runner *runner = NULL;
	struct vision_request *req;
	uint64_t one = 1;
	ssize_t n;

	/* Without a runner every job fails with -ENOMEM, nothing hangs. */
	vis_cpu_runner_new(vis_cpu_threads(), &runner);

	pthread_mutex_lock(&dev->lock);
	for (;;) {
		while (!dev->quit && !dev->queue_head)
			pthread_cond_wait(&dev->queue_cond, &dev->lock);
		if (dev->quit)
			break;
		req = dev->queue_head;
		dev->queue_head = req->next;
		if (!dev->queue_head)
			dev->queue_tail = NULL;
		req->started = true;
		pthread_mutex_unlock(&dev->lock);

		for (unsigned int i = 0; i < req->count; i++)
			__atomic_store_n(&req->status[i],
					 vis_cpu_run_one(&w, runner, req, i),
					 __ATOMIC_RELEASE);
		/*
		 * Statuses and idle buffers first: a poller woken by the
		 * eventfd may look at both. Adding 1 to a fresh eventfd
		 * cannot fail.
		 */
		pthread_mutex_lock(&dev->lock);
		vis_cpu_busy(req, -1);
		pthread_cond_broadcast(&dev->idle_cond);
		pthread_mutex_unlock(&dev->lock);
		n = write(req->fd, &one, sizeof(one));
		(void)n;

		/* From here on the request may be freed. */
		pthread_mutex_lock(&dev->lock);
		req->done = true;
		pthread_cond_broadcast(&dev->idle_cond);
	}
	pthread_mutex_unlock(&dev->lock);
	vis_cpu_runner_free(runner);
	free(w.arena);
	return NULL;
}

int vis_cpu_queue_submit(struct vision_request *req)
{
	struct vision_device *dev = req->model->dev;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (!dev->worker_started) {
		if (pthread_create(&dev->worker, NULL, vis_cpu_worker, dev)) {
			ret = -ENOMEM;
			goto out;
		}
		dev->worker_started = true;
	}
	req->next = NULL;
	if (dev->queue_tail)
		dev->queue_tail->next = req;
	else
		dev->queue_head = req;
	dev->queue_tail = req;
	vis_cpu_busy(req, 1);
	pthread_cond_signal(&dev->queue_cond);
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void vis_cpu_queue_cancel(struct vision_request *req)
{
	struct vision_device *dev = req->model->dev;
	struct vision_request **p;

	pthread_mutex_lock(&dev->lock);
	if (!req->started) {
		for (p = &dev->queue_head; *p; p = &(*p)->next) {
			if (*p != req)
				continue;
			*p = req->next;
			if (dev->queue_tail == req) {
				/* The new tail is the entry before us. */
				dev->queue_tail = NULL;
				for (struct vision_request *r = dev->queue_head;
				     r; r = r->next)
					dev->queue_tail = r;
			}
			vis_cpu_busy(req, -1);
			pthread_cond_broadcast(&dev->idle_cond);
			break;
		}
	} else {
		while (!req->done)
			pthread_cond_wait(&dev->idle_cond, &dev->lock);
	}
	pthread_mutex_unlock(&dev->lock);
}

void vis_cpu_queue_stop(struct vision_device *dev)
{
	if (!dev->worker_started)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->quit = true;
	pthread_cond_broadcast(&dev->queue_cond);
	pthread_mutex_unlock(&dev->lock);
	pthread_join(dev->worker, NULL);
}
