/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-private declarations.
 */
#ifndef LIBVISION_INTERNAL_H
#define LIBVISION_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>

#include "vision/vision.h"
#include "vis_engine.h"

struct vis_cpu_runner;

/*
 * Most jobs in one submission, on both paths: the kernel's limit is read
 * from the device, the CPU uses the same number so batches behave alike.
 */
#define VIS_CPU_MAX_JOBS 64

struct vision_device {
	int refs; /* atomic: the user's, plus one per BO, model, request */
	int fd; /* -1 for the CPU device */
	bool cpu;
	uint32_t max_jobs;
	char path[PATH_MAX];

	/* lock protects bos, the CPU queue, worker state and BO busy counts. */
	pthread_mutex_t lock;
	/* Every live BO: a PRIME import of one of ours returns its handle. */
	struct vision_bo *bos;

	/* CPU device: requests queued for the worker thread, FIFO. */
	struct vision_request *queue_head, *queue_tail;
	pthread_cond_t queue_cond; /* work queued, or quit */
	pthread_cond_t idle_cond; /* a job finished (BO waits) */
	pthread_t worker;
	bool worker_started;
	bool quit;
	struct vis_cpu_runner *runner; /* used by the worker only */
};

struct vision_bo {
	int refs; /* atomic: the user's, plus one per request using it */
	struct vision_device *dev;
	struct vision_bo *next; /* in dev->bos, under dev->lock */
	uint32_t handle; /* GEM handle; 0 on the CPU device */
	uint32_t flags; /* VISION_BO_* */
	uint64_t size;
	uint64_t mmap_offset;
	int dmabuf_fd; /* CPU device, imported: the dma-buf, else -1 */
	unsigned int busy; /* CPU jobs using it, under dev->lock */

	pthread_mutex_t map_lock; /* protects map */
	void *map; /* CPU device: always set (memory or dma-buf mapping) */
};

struct vision_model {
	int refs; /* atomic: the user's, plus one per request */
	struct vision_device *dev;
	void *blob; /* owned copy the vis_model points into */
	void *prepared; /* CPU device: m.prepared, owned */
	struct vis_model m;
	uint32_t handle; /* device model handle; 0 on the CPU device */
	uint64_t input_size;
	uint64_t output_size;
	uint64_t profile_size;
	/* Per output, its labels (num_labels pointers into the blob). */
	const char ***labels;
};

/* The one place libvision calls ioctl(): retries EINTR/EAGAIN, -errno. */
int vis_ioctl(int fd, unsigned long request, void *arg);

/* References: every object keeps what it uses alive. */
struct vision_device *vis_device_get(struct vision_device *dev);
void vis_device_put(struct vision_device *dev);
struct vision_bo *vis_bo_get(struct vision_bo *bo);
struct vision_model *vis_model_get(struct vision_model *m);

/* Close a GEM handle of @dev; errors are of no use to the caller. */
void vis_gem_close(struct vision_device *dev, uint32_t handle);

/* CLOCK_MONOTONIC, nanoseconds. */
int64_t vis_now_ns(void);

/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
void vis_cond_init_monotonic(pthread_cond_t *cond);

/*
 * Wait on @cond (with @lock held) until @deadline_ns (CLOCK_MONOTONIC; a
 * negative value: no deadline). Returns 0 or -ETIMEDOUT; the caller
 * re-checks its condition either way.
 */
int vis_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			int64_t deadline_ns);

/* The deadline of a relative timeout (negative: none, returns -1). */
int64_t vis_deadline(int64_t timeout_ns);

/*
 * A camera frame described by @f with its planes in @base (@size
 * bytes), checked exactly as the kernel checks a frame job, into @out.
 * Returns 0, -EINVAL or -EOPNOTSUPP.
 */
int vis_frame_from(const struct vision_model *m, const struct vision_frame *f,
		   const uint8_t *base, uint64_t size, struct vis_frame *out);

/* Status of an inference not yet complete. */
#define VIS_PENDING 1

/* One inference of a request, its input resolved to a buffer. */
struct vis_job_input {
	struct vision_bo *bo; /* a reference: the user's or in_bo */
	uint64_t offset; /* tensor: its offset in @bo */
	bool is_frame;
	struct vision_frame frame; /* offsets from the start of @bo */
};

struct vision_request {
	struct vision_model *model; /* a reference */
	unsigned int count;
	unsigned int flags;
	int64_t queued_ns;
	int fd; /* polls readable when all are complete */
	int *job_fds; /* device: per inference, a sync_file; else NULL */
	int *status; /* per inference: VIS_PENDING, 0 or -errno; atomic */
	struct vis_job_input *inputs;

	struct vision_bo *in_bo; /* copies of inputs given in memory */
	struct vision_bo *out_bo; /* inference i at i * out_stride */
	struct vision_bo *prof_bo; /* profile i at i * prof_stride */
	uint64_t out_stride;
	uint64_t prof_stride;
	uint8_t *out_map;
	uint8_t *prof_map;
	struct vision_profile_op *prof_ops; /* count * num_ops, on demand */

	/* CPU device, under dev->lock. */
	struct vision_request *next; /* in the queue */
	bool started;
	bool done;
};

/*
 * CPU device: queue @req for the worker thread (started on first use) and
 * count its buffers busy. Returns 0 or -ENOMEM.
 */
int vis_cpu_queue_submit(struct vision_request *req);
/* Drop @req from the queue, or wait until the worker is done with it. */
void vis_cpu_queue_cancel(struct vision_request *req);
/* Stop the worker; the queue is empty (requests hold the device). */
void vis_cpu_queue_stop(struct vision_device *dev);

#endif /* LIBVISION_INTERNAL_H */
