// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * In-memory model builder: collects tensors, operators, constant data, the
 * input stage, outputs and names, then lays them out as one blob exactly
 * as uapi/drm/vision_model.h describes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"
#include "vis_engine.h"

#define VMB_BAD_ID 0xffffffffu

struct vmb {
	struct vision_model_tensor *tensors;
	/* For each tensor: the tensor it is a view of, or VMB_BAD_ID. */
	uint32_t *view_of;
	size_t cap_view;
	uint32_t num_tensors;
	uint32_t cap_tensors;

	struct vision_model_op *ops;
	uint32_t num_ops;
	uint32_t cap_ops;

	uint8_t *consts;
	size_t const_size;
	size_t cap_consts;

	struct vision_model_input_stage input;

	struct vision_model_output *outputs;
	uint32_t num_outputs;
	uint32_t cap_outputs;

	char *names;
	size_t names_size;
	size_t cap_names;
	/* Open-addressed set of name offsets, for storing each name once. */
	uint32_t *name_hash;
	size_t hash_cap;
	size_t hash_used;

	uint64_t arena_next;
	int err;
};

static void vmb_fail(struct vmb *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Make room for @need elements of @elem bytes in *@p of capacity *@cap. */
static bool vmb_grow(struct vmb *b, void **p, size_t *cap, size_t need,
		     size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return true;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			vmb_fail(b, -ENOMEM);
			return false;
		}
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem) {
		vmb_fail(b, -ENOMEM);
		return false;
	}
	np = realloc(*p, ncap * elem);
	if (!np) {
		vmb_fail(b, -ENOMEM);
		return false;
	}
	*p = np;
	*cap = ncap;
	return true;
}

static bool vmb_grow32(struct vmb *b, void **p, uint32_t *cap, size_t need,
		       size_t elem)
{
	size_t c = *cap;

	if (need > UINT32_MAX) {
		vmb_fail(b, -EINVAL);
		return false;
	}
	if (!vmb_grow(b, p, &c, need, elem))
		return false;
	*cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
	return true;
}

struct vmb *vmb_new(void)
{
	struct vmb *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->input.tensor = 0;
	return b;
}

void vmb_free(struct vmb *b)
{
	if (!b)
		return;
	free(b->tensors);
	free(b->view_of);
	free(b->ops);
	free(b->consts);
	free(b->outputs);
	free(b->names);
	free(b->name_hash);
	free(b);
}

static uint32_t vmb_float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static uint64_t vmb_hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Append @len bytes (a NUL-terminated string included) to the names. */
static uint32_t vmb_names_append(struct vmb *b, const char *s, size_t len)
{
	size_t off = b->names_size;

	if (off + len > UINT32_MAX - 1) {
		vmb_fail(b, -EINVAL);
		return VISION_MODEL_NO_NAME;
	}
	if (!vmb_grow(b, (void **)&b->names, &b->cap_names, off + len, 1))
		return VISION_MODEL_NO_NAME;
	memcpy(b->names + off, s, len);
	b->names_size = off + len;
	return (uint32_t)off;
}

static bool vmb_hash_rehash(struct vmb *b)
{
	size_t ncap = b->hash_cap ? b->hash_cap * 2 : 64;
	uint32_t *nh;
	size_t i;

	if (ncap > SIZE_MAX / sizeof(*nh)) {
		vmb_fail(b, -ENOMEM);
		return false;
	}
	nh = malloc(ncap * sizeof(*nh));
	if (!nh) {
		vmb_fail(b, -ENOMEM);
		return false;
	}
	for (i = 0; i < ncap; i++)
		nh[i] = VISION_MODEL_NO_NAME;
	for (i = 0; i < b->hash_cap; i++) {
		uint32_t off = b->name_hash[i];
		size_t j;

		if (off == VISION_MODEL_NO_NAME)
			continue;
		j = vmb_hash_str(b->names + off) & (ncap - 1);
		while (nh[j] != VISION_MODEL_NO_NAME)
			j = (j + 1) & (ncap - 1);
		nh[j] = off;
	}
	free(b->name_hash);
	b->name_hash = nh;
	b->hash_cap = ncap;
	return true;
}

/* The offset of @name in the names section, storing it once. */
static uint32_t vmb_name(struct vmb *b, const char *name)
{
	uint32_t off;
	size_t j;

	if (!name)
		return VISION_MODEL_NO_NAME;
	if ((b->hash_used + 1) * 2 > b->hash_cap && !vmb_hash_rehash(b))
		return VISION_MODEL_NO_NAME;
	j = vmb_hash_str(name) & (b->hash_cap - 1);
	while (b->name_hash[j] != VISION_MODEL_NO_NAME) {
		if (!strcmp(b->names + b->name_hash[j], name))
			return b->name_hash[j];
		j = (j + 1) & (b->hash_cap - 1);
	}
	off = vmb_names_append(b, name, strlen(name) + 1);
	if (off == VISION_MODEL_NO_NAME)
		return off;
	b->name_hash[j] = off;
	b->hash_used++;
	return off;
}

static struct vision_model_tensor *vmb_new_tensor(struct vmb *b, uint32_t *id)
{
	struct vision_model_tensor *t;

	if (b->num_tensors >= VISION_MODEL_NO_TENSOR - 1) {
		vmb_fail(b, -EINVAL);
		return NULL;
	}
	if (!vmb_grow32(b, (void **)&b->tensors, &b->cap_tensors,
			(size_t)b->num_tensors + 1, sizeof(*b->tensors)))
		return NULL;
	if (!vmb_grow(b, (void **)&b->view_of, &b->cap_view,
		      (size_t)b->num_tensors + 1, sizeof(*b->view_of)))
		return NULL;
	*id = b->num_tensors++;
	b->view_of[*id] = VMB_BAD_ID;
	t = &b->tensors[*id];
	memset(t, 0, sizeof(*t));
	t->channel_scales = 0xffffffffu;
	t->name = VISION_MODEL_NO_NAME;
	return t;
}

/* Element count of @shape, or false on overflow. */
static bool vmb_elems(const uint32_t shape[4], uint64_t *n)
{
	uint64_t e = 1;
	int i;

	for (i = 0; i < 4; i++)
		if (__builtin_mul_overflow(e, (uint64_t)shape[i], &e))
			return false;
	*n = e;
	return true;
}

static uint64_t vmb_align64(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

uint32_t vmb_arena_tensor(struct vmb *b, const uint32_t shape[4],
			  int32_t zero_point, float scale, const char *name)
{
	struct vision_model_tensor *t;
	uint32_t id, nm;
	uint64_t n, off;

	if (!vmb_elems(shape, &n)) {
		vmb_fail(b, -EINVAL);
		return VMB_BAD_ID;
	}
	nm = vmb_name(b, name);
	t = vmb_new_tensor(b, &id);
	if (!t)
		return VMB_BAD_ID;
	off = vmb_align64(b->arena_next, VISION_MODEL_TENSOR_ALIGN);
	memcpy(t->shape, shape, sizeof(t->shape));
	t->type = VISION_MODEL_TYPE_INT8;
	t->location = VISION_MODEL_LOC_ARENA;
	t->offset = off;
	t->size = n;
	t->zero_point = zero_point;
	t->scale = vmb_float_bits(scale);
	t->encoding = VISION_MODEL_ENC_DENSE;
	t->name = nm;
	if (__builtin_add_overflow(off, n, &b->arena_next))
		vmb_fail(b, -EINVAL);
	return id;
}

uint32_t vmb_const(struct vmb *b, const void *data, size_t size, uint32_t align)
{
	size_t off;

	if (align < 8 || (align & (align - 1))) {
		vmb_fail(b, -EINVAL);
		return 0;
	}
	off = (size_t)vmb_align64(b->const_size, align);
	if (off < b->const_size || off + size < off ||
	    off + size > UINT32_MAX) {
		vmb_fail(b, -EINVAL);
		return 0;
	}
	if (!vmb_grow(b, (void **)&b->consts, &b->cap_consts, off + size, 1))
		return 0;
	memset(b->consts + b->const_size, 0, off - b->const_size);
	if (size) {
		if (data)
			memcpy(b->consts + off, data, size);
		else
			memset(b->consts + off, 0, size);
	}
	b->const_size = off + size;
	return (uint32_t)off;
}

uint32_t vmb_const_tensor(struct vmb *b, const uint32_t shape[4], uint32_t type,
			  int32_t zero_point, float scale,
			  const float *channel_scales, uint32_t encoding,
			  const void *data, size_t size, const char *name)
{
	struct vision_model_tensor *t;
	uint32_t id, nm, off, cs = 0xffffffffu;

	off = vmb_const(b, data, size, VISION_MODEL_TENSOR_ALIGN);
	if (channel_scales)
		cs = vmb_const(b, channel_scales,
			       (size_t)shape[0] * sizeof(float),
			       VISION_MODEL_TENSOR_ALIGN);
	nm = vmb_name(b, name);
	t = vmb_new_tensor(b, &id);
	if (!t)
		return VMB_BAD_ID;
	memcpy(t->shape, shape, sizeof(t->shape));
	t->type = type;
	t->location = VISION_MODEL_LOC_CONST;
	t->offset = off;
	t->size = size;
	t->zero_point = zero_point;
	t->scale = vmb_float_bits(scale);
	t->channel_scales = cs;
	t->encoding = encoding;
	t->name = nm;
	return id;
}

uint32_t vmb_view_tensor(struct vmb *b, uint32_t src, const uint32_t shape[4],
			 const char *name)
{
	struct vision_model_tensor *t, *s;
	uint32_t id, nm;
	uint64_t n;

	if (src >= b->num_tensors ||
	    b->tensors[src].location != VISION_MODEL_LOC_ARENA ||
	    !vmb_elems(shape, &n) || n != b->tensors[src].size) {
		vmb_fail(b, -EINVAL);
		return VMB_BAD_ID;
	}
	nm = vmb_name(b, name);
	t = vmb_new_tensor(b, &id);
	if (!t)
		return VMB_BAD_ID;
	s = &b->tensors[src];
	*t = *s;
	memcpy(t->shape, shape, sizeof(t->shape));
	t->name = nm;
	/* A view of a view follows the same storage. */
	b->view_of[id] = b->view_of[src] != VMB_BAD_ID ? b->view_of[src] : src;
	return id;
}

void vmb_set_offset(struct vmb *b, uint32_t id, uint64_t offset)
{
	uint32_t i, root;

	if (id >= b->num_tensors ||
	    b->tensors[id].location != VISION_MODEL_LOC_ARENA) {
		vmb_fail(b, -EINVAL);
		return;
	}
	root = b->view_of[id] != VMB_BAD_ID ? b->view_of[id] : id;
	/* The tensor, its storage and every view of that storage move. */
	for (i = 0; i < b->num_tensors; i++)
		if (i == root || b->view_of[i] == root)
			b->tensors[i].offset = offset;
}

uint32_t vmb_op(struct vmb *b, uint32_t type, const uint32_t *inputs,
		uint32_t num_inputs, uint32_t output,
		const union vision_model_op_params *params, const char *name)
{
	struct vision_model_op *op;
	uint32_t i, idx, nm;

	if (num_inputs > VISION_MODEL_MAX_OP_INPUTS ||
	    (num_inputs && !inputs) || output >= b->num_tensors) {
		vmb_fail(b, -EINVAL);
		return VMB_BAD_ID;
	}
	for (i = 0; i < num_inputs; i++) {
		if (inputs[i] >= b->num_tensors &&
		    inputs[i] != VISION_MODEL_NO_TENSOR) {
			vmb_fail(b, -EINVAL);
			return VMB_BAD_ID;
		}
	}
	nm = vmb_name(b, name);
	if (!vmb_grow32(b, (void **)&b->ops, &b->cap_ops,
			(size_t)b->num_ops + 1, sizeof(*b->ops)))
		return VMB_BAD_ID;
	idx = b->num_ops++;
	op = &b->ops[idx];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->name = nm;
	op->num_inputs = num_inputs;
	for (i = 0; i < VISION_MODEL_MAX_OP_INPUTS; i++)
		op->inputs[i] = i < num_inputs ? inputs[i] :
						 VISION_MODEL_NO_TENSOR;
	op->output = output;
	if (params)
		op->params = *params;
	return idx;
}

struct vision_model_conv vmb_conv_params(uint32_t stride, uint32_t pad,
					 uint32_t groups, int32_t act_min,
					 int32_t act_max)
{
	struct vision_model_conv c;

	memset(&c, 0, sizeof(c));
	c.stride_h = stride;
	c.stride_w = stride;
	c.dilation_h = 1;
	c.dilation_w = 1;
	c.pad_top = pad;
	c.pad_left = pad;
	c.pad_bottom = pad;
	c.pad_right = pad;
	c.groups = groups;
	c.act_min = act_min;
	c.act_max = act_max;
	return c;
}

struct vision_model_pool vmb_pool_params(uint32_t filter, uint32_t stride,
					 uint32_t pad, int32_t act_min,
					 int32_t act_max)
{
	struct vision_model_pool p;

	memset(&p, 0, sizeof(p));
	p.filter_h = filter;
	p.filter_w = filter;
	p.stride_h = stride;
	p.stride_w = stride;
	p.pad_top = pad;
	p.pad_left = pad;
	p.pad_bottom = pad;
	p.pad_right = pad;
	p.act_min = act_min;
	p.act_max = act_max;
	return p;
}

uint32_t vmb_conv2d(struct vmb *b, uint32_t type, uint32_t in,
		    const struct vmb_weights *w,
		    const struct vision_model_conv *params,
		    const uint32_t oshape[4], int32_t zero_point, float scale,
		    const char *name, uint32_t *wid, uint32_t *bid)
{
	const uint32_t cout = w->shape[0];
	const uint32_t bshape[4] = { 1, 1, 1, cout };
	union vision_model_op_params p;
	uint32_t ids[3], out;

	ids[0] = in;
	ids[1] = vmb_const_tensor(b, w->shape, VISION_MODEL_TYPE_INT8, 0,
				  w->scale, w->channel_scales, w->encoding,
				  w->data, w->size, w->name);
	ids[2] = vmb_const_tensor(b, bshape, VISION_MODEL_TYPE_INT32, 0,
				  w->bias_scale, NULL, VISION_MODEL_ENC_DENSE,
				  w->bias, (size_t)cout * sizeof(*w->bias),
				  w->bias_name);
	memset(&p, 0, sizeof(p));
	p.conv = *params;
	p.conv.requant =
		vmb_const(b, w->requant, (size_t)cout * sizeof(*w->requant), 8);
	out = vmb_arena_tensor(b, oshape, zero_point, scale, name);
	vmb_op(b, type, ids, 3, out, &p, name);
	if (wid)
		*wid = ids[1];
	if (bid)
		*bid = ids[2];
	return out;
}

void vmb_input(struct vmb *b, const struct vision_model_input_stage *stage)
{
	if (!stage) {
		vmb_fail(b, -EINVAL);
		return;
	}
	b->input = *stage;
}

void vmb_output(struct vmb *b, uint32_t id, const char *const *labels,
		uint32_t num_labels)
{
	struct vision_model_output *o;
	uint32_t i, first = VISION_MODEL_NO_NAME;

	if (id >= b->num_tensors || (num_labels && !labels)) {
		vmb_fail(b, -EINVAL);
		return;
	}
	/* Labels are consecutive strings, so they are never shared. */
	for (i = 0; i < num_labels; i++) {
		const char *l = labels[i] ? labels[i] : "";
		uint32_t off = vmb_names_append(b, l, strlen(l) + 1);

		if (off == VISION_MODEL_NO_NAME)
			return;
		if (!i)
			first = off;
	}
	if (!vmb_grow32(b, (void **)&b->outputs, &b->cap_outputs,
			(size_t)b->num_outputs + 1, sizeof(*b->outputs)))
		return;
	o = &b->outputs[b->num_outputs++];
	memset(o, 0, sizeof(*o));
	o->tensor = id;
	o->num_labels = num_labels;
	o->labels = first;
}

struct vision_model_tensor *vmb_tensor_at(struct vmb *b, uint32_t id)
{
	return id < b->num_tensors ? &b->tensors[id] : NULL;
}

struct vision_model_op *vmb_op_at(struct vmb *b, uint32_t index)
{
	return index < b->num_ops ? &b->ops[index] : NULL;
}

uint64_t vmb_arena_size(const struct vmb *b)
{
	uint64_t end = 0;
	uint32_t i;

	for (i = 0; i < b->num_tensors; i++) {
		const struct vision_model_tensor *t = &b->tensors[i];

		if (t->location == VISION_MODEL_LOC_ARENA &&
		    t->offset + t->size > end &&
		    t->offset + t->size >= t->offset)
			end = t->offset + t->size;
	}
	return vmb_align64(end, 64);
}

static void vmb_section(struct vision_model_header *h, uint32_t type,
			uint64_t *pos, uint64_t align, uint64_t size,
			uint32_t count, uint32_t entry_size)
{
	struct vision_model_section *s = &h->sections[type];

	*pos = vmb_align64(*pos, align);
	s->offset = *pos;
	s->size = size;
	s->count = count;
	s->entry_size = entry_size;
	*pos += size;
}

int vmb_finish(struct vmb *b, void **blob, size_t *size)
{
	struct vision_model_header h;
	const struct vision_model_section *s;
	uint64_t pos = sizeof(h);
	static const char nul;
	const char *names = b->names;
	size_t names_size = b->names_size;
	uint8_t *out;

	*blob = NULL;
	*size = 0;
	if (b->err)
		return b->err;
	/* The names section always ends with a NUL, even with no names. */
	if (!names_size) {
		names = &nul;
		names_size = 1;
	}

	memset(&h, 0, sizeof(h));
	h.magic = VISION_MODEL_MAGIC;
	h.version = VISION_MODEL_VERSION;
	h.header_size = sizeof(h);
	h.arena_size = vmb_arena_size(b);
	vmb_section(&h, VISION_MODEL_SECTION_TENSORS, &pos, 8,
		    (uint64_t)b->num_tensors * sizeof(*b->tensors),
		    b->num_tensors, sizeof(*b->tensors));
	vmb_section(&h, VISION_MODEL_SECTION_OPS, &pos, 8,
		    (uint64_t)b->num_ops * sizeof(*b->ops), b->num_ops,
		    sizeof(*b->ops));
	vmb_section(&h, VISION_MODEL_SECTION_CONST, &pos,
		    VISION_MODEL_CONST_ALIGN, b->const_size, 0, 0);
	vmb_section(&h, VISION_MODEL_SECTION_INPUT, &pos, 8, sizeof(b->input),
		    0, 0);
	vmb_section(&h, VISION_MODEL_SECTION_OUTPUTS, &pos, 8,
		    (uint64_t)b->num_outputs * sizeof(*b->outputs),
		    b->num_outputs, sizeof(*b->outputs));
	vmb_section(&h, VISION_MODEL_SECTION_NAMES, &pos, 8, names_size, 0, 0);
	h.file_size = pos;
	if (pos > SIZE_MAX)
		return -ENOMEM;

	out = calloc(1, (size_t)pos);
	if (!out)
		return -ENOMEM;
	memcpy(out, &h, sizeof(h));
	s = h.sections;
	if (b->num_tensors)
		memcpy(out + s[VISION_MODEL_SECTION_TENSORS].offset, b->tensors,
		       s[VISION_MODEL_SECTION_TENSORS].size);
	if (b->num_ops)
		memcpy(out + s[VISION_MODEL_SECTION_OPS].offset, b->ops,
		       s[VISION_MODEL_SECTION_OPS].size);
	if (b->const_size)
		memcpy(out + s[VISION_MODEL_SECTION_CONST].offset, b->consts,
		       b->const_size);
	memcpy(out + s[VISION_MODEL_SECTION_INPUT].offset, &b->input,
	       sizeof(b->input));
	if (b->num_outputs)
		memcpy(out + s[VISION_MODEL_SECTION_OUTPUTS].offset, b->outputs,
		       s[VISION_MODEL_SECTION_OUTPUTS].size);
	memcpy(out + s[VISION_MODEL_SECTION_NAMES].offset, names, names_size);
	vmb_fix_crc(out, (size_t)pos);
	*blob = out;
	*size = (size_t)pos;
	return 0;
}

void vmb_fix_crc(void *blob, size_t size)
{
	uint8_t *p = blob;
	uint32_t crc = 0;

	if (size < sizeof(struct vision_model_header))
		return;
	memcpy(p + offsetof(struct vision_model_header, crc32), &crc,
	       sizeof(crc));
	crc = vis_crc32(0, p, size);
	memcpy(p + offsetof(struct vision_model_header, crc32), &crc,
	       sizeof(crc));
}
