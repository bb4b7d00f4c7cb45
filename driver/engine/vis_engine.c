// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: executor
 *
 * Runs a validated model's operators in order. Each operator is cut into
 * chunks of whole units of at most VIS_ENGINE_CHUNK_MACS work; between
 * chunks the caller's should_stop() is polled, and SIMD sections
 * (kernel_fpu_begin() in the kernel) never span more than one chunk.
 */

#include "vis_ops.h"

static const struct vis_op_desc *const vis_op_descs[VISION_MODEL_OP_COUNT] = {
	[VISION_MODEL_OP_CONV_2D] = &vis_op_conv2d,
	[VISION_MODEL_OP_FULLY_CONNECTED] = &vis_op_fully_connected,
	[VISION_MODEL_OP_ADD] = &vis_op_add,
	[VISION_MODEL_OP_MUL] = &vis_op_mul,
	[VISION_MODEL_OP_MAX_POOL] = &vis_op_max_pool,
	[VISION_MODEL_OP_AVG_POOL] = &vis_op_avg_pool,
	[VISION_MODEL_OP_GLOBAL_AVG_POOL] = &vis_op_global_avg_pool,
	[VISION_MODEL_OP_CONCAT] = &vis_op_concat,
	[VISION_MODEL_OP_PAD] = &vis_op_pad,
	[VISION_MODEL_OP_RESHAPE] = &vis_op_reshape,
	[VISION_MODEL_OP_LUT] = &vis_op_lut,
	[VISION_MODEL_OP_SOFTMAX] = &vis_op_softmax,
	[VISION_MODEL_OP_RESIZE] = &vis_op_resize,
};

const struct vis_op_desc *vis_op_desc_get(u32 type)
{
	if (type >= ARRAY_SIZE(vis_op_descs))
		return NULL;
	return vis_op_descs[type];
}

u32 vis_engine_op_units(const struct vis_model *m, u32 op)
{
	const struct vision_model_op *o = &m->ops[op];

	return vis_op_desc_get(o->type)->units(m, o);
}

u64 vis_engine_op_unit_macs(const struct vis_model *m, u32 op)
{
	const struct vision_model_op *o = &m->ops[op];
	u64 macs = vis_op_desc_get(o->type)->unit_macs(m, o);

	return macs ? macs : 1;
}

void vis_engine_op_run(const struct vis_exec *x, u32 op, u32 begin, u32 end)
{
	const struct vision_model_op *o = &x->model->ops[op];

	if (begin < end)
		vis_op_desc_get(o->type)->run(x, o, begin, end);
}

void vis_model_prepare(const struct vis_model *m, u8 *buf)
{
	u64 *off = (u64 *)buf, pos = vis_prepared_table_size(m), size;
	u32 op;

	for (op = 0; op < m->num_ops; op++) {
		const struct vision_model_op *o = &m->ops[op];
		const struct vis_op_desc *d = vis_op_desc_get(o->type);

		off[op] = 0;
		size = d->prepared_size ? d->prepared_size(m, o) : 0;
		if (!size)
			continue;
		off[op] = pos;
		d->prepare(m, o, buf + pos);
		pos += ALIGN(size, VIS_PREPARED_ALIGN);
		vis_cond_resched();
	}
}

int vis_engine_run(const struct vis_exec *x)
{
	const struct vis_model *m = x->model;
	u32 op;

	for (op = 0; op < m->num_ops; op++) {
		u32 units = vis_engine_op_units(m, op);
		u64 cost = vis_engine_op_unit_macs(m, op);
		u32 step, u;

		/* Whole units per chunk, at least one. */
		step = cost >= VIS_ENGINE_CHUNK_MACS ?
			       1 :
			       (u32)min_t(u64, VIS_ENGINE_CHUNK_MACS / cost,
					  U32_MAX);
		for (u = 0; u < units; u += min(step, units - u)) {
			u32 end = u + min(step, units - u);

			if (x->should_stop && x->should_stop(x->priv))
				return -ECANCELED;
			if (x->k->needs_fpu)
				vis_simd_begin();
			vis_engine_op_run(x, op, u, end);
			if (x->k->needs_fpu)
				vis_simd_end();
			vis_cond_resched();
		}
		if (x->op_done)
			x->op_done(x->priv, op);
	}
	return 0;
}
