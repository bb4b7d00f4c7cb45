// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: debugfs
 *
 * ``/sys/kernel/debug/vision_accel/engine_run`` runs a model on the
 * in-kernel engine, so tests can check that the kernel computes exactly
 * what libvision computes on the CPU, SIMD paths and FPU sections
 * included. It is a test hook, not an interface: the job path (model and
 * submit ioctls) replaces it for real work.
 *
 * Protocol, per open file: write ``__u64 total`` (bytes of the whole
 * request, header included), ``__u64 model_size``, the model blob padded
 * to 8 bytes, then the input tensor's bytes, in as many writes as needed.
 * The last byte runs the model; the write returns -EINVAL for a model the
 * validator rejects or an input of the wrong size. Reads then return every
 * output tensor's bytes, in output-table order.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vis_debugfs.h"
#include "vis_engine.h"

/* Requests beyond this are refused; the model format's own cap. */
#define VIS_DBG_MAX_REQUEST ((u64)VISION_MODEL_MAX_SIZE + (64u << 20))
#define VIS_DBG_MAX_ARENA (64u << 20)

static struct dentry *vis_debugfs_root;

/* State of one open file. */
struct vis_dbg_run {
	struct mutex lock; /* protects all below: writes and reads race */
	u64 hdr[2]; /* total, model_size */
	u64 got; /* bytes received, header included */
	u8 *req; /* total - 16 bytes: model, padding, input */
	u8 *out;
	size_t out_len;
};

static int vis_dbg_open(struct inode *inode, struct file *f)
{
	struct vis_dbg_run *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);

	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	f->private_data = r;
	return 0;
}

static int vis_dbg_release(struct inode *inode, struct file *f)
{
	struct vis_dbg_run *r = f->private_data;

	kvfree(r->req);
	kvfree(r->out);
	mutex_destroy(&r->lock);
	kfree(r);
	return 0;
}

static bool vis_dbg_stop(void *priv)
{
	return fatal_signal_pending(current);
}

/* Validate and run the complete request; fill r->out. */
static int vis_dbg_execute(struct vis_dbg_run *r)
{
	u64 model_size = r->hdr[1], in_off = ALIGN(model_size, 8);
	u64 body = r->hdr[0] - sizeof(r->hdr);
	const struct vision_model_tensor *t;
	struct vis_engine_error err;
	struct vis_model m;
	struct vis_exec x = {
		.should_stop = vis_dbg_stop,
	};
	size_t len = 0;
	u8 *arena, *scratch;
	u32 i;
	int ret;

	if (in_off > body)
		return -EINVAL;
	ret = vis_model_validate(&m, r->req, model_size, &err);
	if (ret) {
		pr_debug("vision_accel: engine_run: %s: %s\n", err.field,
			 err.msg);
		return ret;
	}
	t = &m.tensors[m.input->tensor];
	if (body - in_off != t->size || m.arena_size > VIS_DBG_MAX_ARENA)
		return -EINVAL;
	for (i = 0; i < m.num_outputs; i++)
		len += m.tensors[m.outputs[i].tensor].size;

	arena = kvzalloc(m.arena_size, GFP_KERNEL_ACCOUNT);
	scratch = kvmalloc(max_t(u64, m.scratch_size, 1), GFP_KERNEL_ACCOUNT);
	r->out = kvmalloc(max_t(size_t, len, 1), GFP_KERNEL_ACCOUNT);
	if (!arena || !scratch || !r->out) {
		ret = -ENOMEM;
		goto out_free;
	}

	memcpy(arena + t->offset, r->req + in_off, t->size);
	x.model = &m;
	x.arena = arena;
	x.scratch = scratch;
	x.k = vis_kernels_best();
	ret = vis_engine_run(&x);
	if (ret)
		goto out_free;

	for (i = 0, len = 0; i < m.num_outputs; i++) {
		t = &m.tensors[m.outputs[i].tensor];
		memcpy(r->out + len, arena + t->offset, t->size);
		len += t->size;
	}
	r->out_len = len;

out_free:
	if (ret) {
		kvfree(r->out);
		r->out = NULL;
	}
	kvfree(scratch);
	kvfree(arena);
	return ret;
}

static ssize_t vis_dbg_write(struct file *f, const char __user *buf, size_t n,
			     loff_t *ppos)
{
	struct vis_dbg_run *r = f->private_data;
	size_t done = 0;
	int ret = 0;

	mutex_lock(&r->lock);
	while (done < n) {
		u64 want, take;

		if (r->got < sizeof(r->hdr)) {
			/* Still reading the two-word header. */
			take = min_t(u64, sizeof(r->hdr) - r->got, n - done);
			if (copy_from_user((u8 *)r->hdr + r->got, buf + done,
					   take)) {
				ret = -EFAULT;
				break;
			}
			r->got += take;
			done += take;
			if (r->got < sizeof(r->hdr))
				continue;
			if (r->hdr[0] <= sizeof(r->hdr) ||
			    r->hdr[0] > VIS_DBG_MAX_REQUEST ||
			    r->hdr[1] > r->hdr[0] - sizeof(r->hdr)) {
				ret = -EINVAL;
				break;
			}
			r->req = kvmalloc(r->hdr[0] - sizeof(r->hdr),
					  GFP_KERNEL_ACCOUNT);
			if (!r->req) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		want = r->hdr[0] - r->got;
		if (!want) {
			ret = -EBUSY; /* one request per open */
			break;
		}
		take = min_t(u64, want, n - done);
		if (copy_from_user(r->req + (r->got - sizeof(r->hdr)),
				   buf + done, take)) {
			ret = -EFAULT;
			break;
		}
		r->got += take;
		done += take;
		if (r->got == r->hdr[0]) {
			ret = vis_dbg_execute(r);
			if (ret)
				break;
		}
	}
	mutex_unlock(&r->lock);
	return ret ? ret : (ssize_t)done;
}

static ssize_t vis_dbg_read(struct file *f, char __user *buf, size_t n,
			    loff_t *ppos)
{
	struct vis_dbg_run *r = f->private_data;
	ssize_t ret;

	mutex_lock(&r->lock);
	if (!r->out)
		ret = -ENODATA;
	else
		ret = simple_read_from_buffer(buf, n, ppos, r->out, r->out_len);
	mutex_unlock(&r->lock);
	return ret;
}

static const struct file_operations vis_dbg_engine_run_fops = {
	.owner = THIS_MODULE,
	.open = vis_dbg_open,
	.release = vis_dbg_release,
	.write = vis_dbg_write,
	.read = vis_dbg_read,
	.llseek = default_llseek,
};

/**
 * vis_debugfs_init() - create the module's debugfs files
 *
 * Failure is not an error: debugfs is optional.
 */
void vis_debugfs_init(void)
{
	vis_debugfs_root = debugfs_create_dir("vision_accel", NULL);
	debugfs_create_file("engine_run", 0600, vis_debugfs_root, NULL,
			    &vis_dbg_engine_run_fops);
}

/**
 * vis_debugfs_fini() - remove them; open files are waited for
 */
void vis_debugfs_fini(void)
{
	debugfs_remove_recursive(vis_debugfs_root);
}
