// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: fault-injection backend
 *
 * Exercises the error paths of the job path without broken hardware. The
 * debugfs file ``fault`` arms it: ``complete [N]``, ``fail [N]`` or
 * ``hang [N]`` makes the next N jobs (default 1) complete at once without
 * running, fail with -EIO, or never complete until the scheduler's
 * timeout cancels them; ``none`` disarms it. Jobs not taken by it run on
 * the device's real backend.
 */

#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "vis_backend.h"
#include "vis_device.h"
#include "vis_job.h"

static const char *const vis_fault_names[] = {
	[VIS_FAULT_NONE] = "none",
	[VIS_FAULT_COMPLETE] = "complete",
	[VIS_FAULT_FAIL] = "fail",
	[VIS_FAULT_HANG] = "hang",
};

/**
 * vis_backend_pick() - the backend for the job about to run on @core
 * @core: the core
 *
 * Return: the fault-injection backend while it is armed (and then it
 * takes one of its count), else the device's backend.
 */
const struct vis_backend_ops *vis_backend_pick(struct vis_core *core)
{
	struct vis_device *vdev = core->vdev;
	const struct vis_backend_ops *ops = vdev->backend;

	spin_lock(&vdev->fault_lock);
	if (vdev->fault_mode != VIS_FAULT_NONE && vdev->fault_count) {
		core->fault_action = vdev->fault_mode;
		ops = &vis_backend_fault;
		if (!--vdev->fault_count)
			vdev->fault_mode = VIS_FAULT_NONE;
	}
	spin_unlock(&vdev->fault_lock);
	return ops;
}

static int vis_fault_init(struct vis_core *core)
{
	return 0;
}

static void vis_fault_fini(struct vis_core *core)
{
}

static void vis_fault_run(struct vis_core *core, struct vis_job *job)
{
	switch (core->fault_action) {
	case VIS_FAULT_COMPLETE:
		vis_job_done(job, 0);
		break;
	case VIS_FAULT_FAIL:
		vis_job_done(job, -EIO);
		break;
	default:
		/* Hung: only cancel() ends it. */
		spin_lock(&core->lock);
		core->fault_job = job;
		spin_unlock(&core->lock);
		break;
	}
}

static void vis_fault_cancel(struct vis_core *core)
{
	struct vis_job *job;

	spin_lock(&core->lock);
	job = core->fault_job;
	core->fault_job = NULL;
	spin_unlock(&core->lock);
	if (job)
		vis_job_done(job, core->cancel_status);
}

static void vis_fault_reset(struct vis_core *core)
{
	core->vdev->backend->reset(core);
}

const struct vis_backend_ops vis_backend_fault = {
	.name = "fault",
	.init = vis_fault_init,
	.fini = vis_fault_fini,
	.run = vis_fault_run,
	.cancel = vis_fault_cancel,
	.reset = vis_fault_reset,
};

/**
 * vis_fault_parse() - arm or disarm fault injection
 * @vdev: the device
 * @buf: "none", or a mode name and an optional count, NUL-terminated;
 *	cut into words in place
 *
 * Return: 0, or -EINVAL for anything else.
 */
int vis_fault_parse(struct vis_device *vdev, char *buf)
{
	char *word[3] = {}, *p = strim(buf);
	u32 count = 1, mode, n = 0;

	while (n < ARRAY_SIZE(word) && (word[n] = strsep(&p, " \t")))
		if (*word[n])
			n++;
	if (!n || n > 2 || p)
		return -EINVAL;
	for (mode = 0; mode < ARRAY_SIZE(vis_fault_names); mode++)
		if (!strcmp(word[0], vis_fault_names[mode]))
			break;
	if (mode == ARRAY_SIZE(vis_fault_names))
		return -EINVAL;
	if (n == 2 && (mode == VIS_FAULT_NONE ||
		       kstrtou32(word[1], 10, &count) || !count))
		return -EINVAL;

	spin_lock(&vdev->fault_lock);
	vdev->fault_mode = mode;
	vdev->fault_count = mode == VIS_FAULT_NONE ? 0 : count;
	spin_unlock(&vdev->fault_lock);
	return 0;
}

/**
 * vis_fault_show() - the armed mode and remaining count, as text
 * @vdev: the device
 * @buf: receives "mode count\n"
 * @len: size of @buf
 *
 * Return: characters written.
 */
int vis_fault_show(struct vis_device *vdev, char *buf, size_t len)
{
	enum vis_fault_mode mode;
	u32 count;

	spin_lock(&vdev->fault_lock);
	mode = vdev->fault_mode;
	count = vdev->fault_count;
	spin_unlock(&vdev->fault_lock);
	return scnprintf(buf, len, "%s %u\n", vis_fault_names[mode], count);
}
