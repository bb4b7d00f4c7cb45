// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: debugfs
 *
 * In ``/sys/kernel/debug/vision_accel/<device>/`` (``vision-vnpu`` for the
 * virtual NPU): one place on every kernel, where the DRM core's own
 * per-device directory moved between releases:
 *
 * ``state``
 *	one line per core (jobs run, failed, timed out, resets, jobs queued,
 *	busy time), one line per live model, the last job errors.
 * ``stats``
 *	what the cores read their inputs from, one ``name: value`` per
 *	line: ``tensor_inputs``, ``frames_native`` (camera frames in the
 *	device's own buffers) and ``frames_imported`` (frames read in place
 *	from imported dma-bufs, e.g. V4L2 buffers: the zero-copy path).
 * ``fault``
 *	fault injection (see vis_backend_fault.c): write ``none`` or
 *	``complete|fail|hang [count]``; read back the armed mode and count.
 * ``kernels``
 *	the engine's kernel table for jobs and for preparing models created
 *	from now on: write ``portable``, ``avx2``, ... (one this CPU
 *	supports; ``best`` for vis_kernels_best()); read back its name.
 *	Every table computes the same bytes: this is for testing the paths
 *	the CPU would not take, e.g. prepared weights in a guest without
 *	AVX-512.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vis_backend.h"
#include "vis_debugfs.h"
#include "vis_device.h"
#include "vis_model.h"

static int vis_dbg_state_show(struct seq_file *s, void *unused)
{
	struct vis_device *vdev = s->private;
	struct vis_model_obj *mo;
	u32 i, slot;

	seq_printf(s, "backend: %s, timeout %u ms, sram %zu bytes\n",
		   vdev->backend->name, vdev->job_timeout_ms, vdev->sram_size);
	for (i = 0; i < vdev->num_cores; i++) {
		struct vis_core *c = &vdev->cores[i];

		seq_printf(s, "core %u: jobs=%lld failed=%lld timeouts=%lld ",
			   i, (s64)atomic64_read(&c->jobs),
			   (s64)atomic64_read(&c->failed),
			   (s64)atomic64_read(&c->timeouts));
		seq_printf(s, "resets=%lld queued=%d busy_ns=%lld\n",
			   (s64)atomic64_read(&c->resets),
			   atomic_read(&c->queued),
			   (s64)atomic64_read(&c->busy_ns));
	}

	seq_printf(s, "models: %lld bytes of %llu\n",
		   (s64)atomic64_read(&vdev->model_mem), vdev->model_mem_max);
	mutex_lock(&vdev->models_lock);
	list_for_each_entry(mo, &vdev->models, node) {
		seq_printf(s, "model id=%llu size=%llu ops=%u arena=%llu",
			   mo->id, mo->m.size, mo->m.num_ops, mo->m.arena_size);
		seq_printf(s, " prepared=%llu\n", mo->prepared_size);
	}
	mutex_unlock(&vdev->models_lock);

	seq_puts(s, "last errors:\n");
	spin_lock(&vdev->err_lock);
	for (i = 0; i < VIS_ERR_RING; i++) {
		slot = (vdev->err_next + i) % VIS_ERR_RING;
		if (!vdev->errs[slot].status)
			continue;
		seq_printf(s, "job %llu core %u status %d at %llu ns\n",
			   vdev->errs[slot].seqno, vdev->errs[slot].core,
			   vdev->errs[slot].status, vdev->errs[slot].time_ns);
	}
	spin_unlock(&vdev->err_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vis_dbg_state);

static int vis_dbg_stats_show(struct seq_file *s, void *unused)
{
	struct vis_device *vdev = s->private;

	seq_printf(s, "tensor_inputs: %lld\n",
		   (s64)atomic64_read(&vdev->inputs.tensors));
	seq_printf(s, "frames_native: %lld\n",
		   (s64)atomic64_read(&vdev->inputs.frames_native));
	seq_printf(s, "frames_imported: %lld\n",
		   (s64)atomic64_read(&vdev->inputs.frames_imported));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vis_dbg_stats);

static ssize_t vis_dbg_fault_read(struct file *f, char __user *buf, size_t n,
				  loff_t *ppos)
{
	struct vis_device *vdev = f->private_data;
	char text[32];
	int len = vis_fault_show(vdev, text, sizeof(text));

	return simple_read_from_buffer(buf, n, ppos, text, len);
}

static ssize_t vis_dbg_fault_write(struct file *f, const char __user *buf,
				   size_t n, loff_t *ppos)
{
	struct vis_device *vdev = f->private_data;
	char text[32];
	int ret;

	if (n >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, buf, n))
		return -EFAULT;
	text[n] = 0;
	ret = vis_fault_parse(vdev, text);
	return ret ? ret : (ssize_t)n;
}

static const struct file_operations vis_dbg_fault_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vis_dbg_fault_read,
	.write = vis_dbg_fault_write,
	.llseek = default_llseek,
};

static ssize_t vis_dbg_kernels_read(struct file *f, char __user *buf, size_t n,
				    loff_t *ppos)
{
	struct vis_device *vdev = f->private_data;
	char text[32];
	int len = scnprintf(text, sizeof(text), "%s\n",
			    READ_ONCE(vdev->kernels)->name);

	return simple_read_from_buffer(buf, n, ppos, text, len);
}

static ssize_t vis_dbg_kernels_write(struct file *f, const char __user *buf,
				     size_t n, loff_t *ppos)
{
	struct vis_device *vdev = f->private_data;
	const struct vis_kernels *k;
	char text[32];

	if (n >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, buf, n))
		return -EFAULT;
	text[n] = 0;
	strim(text);
	k = strcmp(text, "best") ? vis_kernels_by_name(text) :
				   vis_kernels_best();
	if (!k)
		return -EINVAL;
	WRITE_ONCE(vdev->kernels, k);
	return n;
}

static const struct file_operations vis_dbg_kernels_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vis_dbg_kernels_read,
	.write = vis_dbg_kernels_write,
	.llseek = default_llseek,
};

static struct dentry *vis_debugfs_root;

/**
 * vis_debugfs_init() - create the device's debugfs files
 * @vdev: the device, registered
 *
 * Failure is not an error: debugfs is optional.
 */
void vis_debugfs_init(struct vis_device *vdev)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev_name(vdev->drm.dev), vis_debugfs_root);
	vdev->debugfs = dir;
	debugfs_create_file("state", 0444, dir, vdev, &vis_dbg_state_fops);
	debugfs_create_file("stats", 0444, dir, vdev, &vis_dbg_stats_fops);
	debugfs_create_file("fault", 0600, dir, vdev, &vis_dbg_fault_fops);
	debugfs_create_file("kernels", 0600, dir, vdev, &vis_dbg_kernels_fops);
}

/**
 * vis_debugfs_fini() - remove them; calls in progress are waited for
 * @vdev: the device
 */
void vis_debugfs_fini(struct vis_device *vdev)
{
	debugfs_remove_recursive(vdev->debugfs);
	vdev->debugfs = NULL;
}

/** vis_debugfs_module_init() - the module's debugfs directory */
void vis_debugfs_module_init(void)
{
	vis_debugfs_root = debugfs_create_dir("vision_accel", NULL);
}

/** vis_debugfs_module_fini() - remove it, after every device */
void vis_debugfs_module_fini(void)
{
	debugfs_remove_recursive(vis_debugfs_root);
}
