/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_BACKEND_H__
#define __VIS_BACKEND_H__

struct vis_core;
struct vis_device;
struct vis_job;

/**
 * struct vis_backend_ops - what the job path needs from an NPU
 * @name: for logs and debugfs
 * @init: set up a core before its first job; 0 or a negative errno
 * @fini: tear a core down; no job runs on it any more
 * @run: start @job on @core, which runs nothing else. The backend calls
 *	vis_job_done() exactly once when the job ends, from any context that
 *	may sleep, possibly before @run returns
 * @cancel: ask the job on @core to end early, with
 *	&vis_core.cancel_status; it still ends through vis_job_done()
 * @reset: after @cancel, wait until @core runs nothing and bring it back
 *	to a clean state for the next job
 *
 * The job path (vis_job.c) guarantees one job per core at a time and calls
 * @cancel and @reset only from the scheduler's timeout handler, with the
 * core's scheduler stopped.
 */
struct vis_backend_ops {
	const char *name;
	int (*init)(struct vis_core *core);
	void (*fini)(struct vis_core *core);
	void (*run)(struct vis_core *core, struct vis_job *job);
	void (*cancel)(struct vis_core *core);
	void (*reset)(struct vis_core *core);
};

/* The virtual NPU: runs jobs on the CPU with the in-kernel engine. */
extern const struct vis_backend_ops vis_backend_vnpu;

/* Fault injection: completes, fails or hangs jobs on command. */
extern const struct vis_backend_ops vis_backend_fault;

/* The backend for the next job: fault injection while armed. */
const struct vis_backend_ops *vis_backend_pick(struct vis_core *core);

int vis_fault_parse(struct vis_device *vdev, char *buf);
int vis_fault_show(struct vis_device *vdev, char *buf, size_t len);

#endif /* __VIS_BACKEND_H__ */
