// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2026 The vision authors
 */

/**
 * DOC: model validator
 *
 * The kernel trusts nothing in a model blob. This file checks what is
 * common to every model: the header and its CRC, the section table, every
 * tensor, the operator table's ids and order, the outputs and the names;
 * each operator's own rules are checked by its &struct vis_op_desc.check
 * and the input stage by vis_input_stage_check(). All arithmetic on sizes
 * and offsets is overflow-checked, and every error names the section,
 * entry and field at fault.
 */

#include "vis_input.h"
#include "vis_ops.h"

/* The file format is ABI: these sizes never change within a version. */
static_assert(sizeof(struct vision_model_header) == 192, "header size");
static_assert(sizeof(struct vision_model_tensor) == 72, "tensor size");
static_assert(sizeof(struct vision_model_op) == 128, "op size");
static_assert(sizeof(union vision_model_op_params) == 64, "params size");
static_assert(sizeof(struct vision_model_binary) == 64, "binary size");
static_assert(sizeof(struct vision_model_input_stage) == 80, "input size");
static_assert(sizeof(struct vision_model_output) == 32, "output size");

/* Copy at most @n - 1 bytes and terminate: no libc in both homes. */
static void vis_strlcpy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/**
 * vis_err() - record why a model is rejected
 * @e: error to fill; may be NULL
 * @err: negative errno
 * @section: section index or VIS_ERR_SECTION_HEADER
 * @index: entry index or VIS_ERR_NO_INDEX
 * @field: member name
 * @msg: reason
 *
 * Return: @err.
 */
int vis_err(struct vis_engine_error *e, int err, u32 section, u32 index,
	    const char *field, const char *msg)
{
	if (e) {
		e->err = err;
		e->section = section;
		e->index = index;
		vis_strlcpy(e->field, field, sizeof(e->field));
		vis_strlcpy(e->msg, msg, sizeof(e->msg));
	}
	return err;
}

#define vis_hdr_err(e, field, msg)                                           \
	vis_err(e, -EINVAL, VIS_ERR_SECTION_HEADER, VIS_ERR_NO_INDEX, field, \
		msg)

/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320), four bits at a
 * time: a 16-entry table keeps it small and identical in both homes.
 */
static const u32 vis_crc32_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/**
 * vis_crc32() - CRC-32 (IEEE, reflected, zlib-compatible)
 * @crc: previous value, 0 to start
 * @buf: data
 * @len: its length
 *
 * Return: the updated CRC.
 */
u32 vis_crc32(u32 crc, const void *buf, u64 len)
{
	const u8 *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ vis_crc32_nibble[crc & 15];
		crc = (crc >> 4) ^ vis_crc32_nibble[crc & 15];
	}
	return ~crc;
}

/**
 * vis_check_const() - check a range of the constant-data section
 * @m: model being validated
 * @off: offset in the constant-data section
 * @size: bytes needed from @off
 * @align: required alignment of @off (power of two)
 *
 * Return: true when [@off, @off + @size) lies in the section and @off is
 * aligned.
 */
bool vis_check_const(const struct vis_model *m, u64 off, u64 size, u32 align)
{
	u64 end;

	if (check_add_overflow(off, size, &end))
		return false;
	return end <= m->const_size && (off & (align - 1)) == 0;
}

/**
 * vis_model_name() - a name from the names section
 * @m: validated model
 * @off: offset in the names section, or VISION_MODEL_NO_NAME
 *
 * Return: the NUL-terminated name, or "" for VISION_MODEL_NO_NAME.
 */
const char *vis_model_name(const struct vis_model *m, u32 off)
{
	if (off == VISION_MODEL_NO_NAME || off >= m->names_size)
		return "";
	return m->names + off;
}

static bool vis_name_ok(const struct vis_model *m, u32 off)
{
	/* The section ends in NUL, so any offset inside it is a string. */
	return off == VISION_MODEL_NO_NAME || off < m->names_size;
}

static bool vis_all_zero(const u32 *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i])
			return false;
	return true;
}

struct vis_section_rule {
	const char *name;
	u32 entry_size; /* 0: not a table */
	u32 max_count;
	u32 align;
};

static const struct vis_section_rule vis_section_rules[] = {
	[VISION_MODEL_SECTION_TENSORS] = { "tensors",
					   sizeof(struct vision_model_tensor),
					   VISION_MODEL_MAX_TENSORS, 8 },
	[VISION_MODEL_SECTION_OPS] = { "ops", sizeof(struct vision_model_op),
				       VISION_MODEL_MAX_OPS, 8 },
	[VISION_MODEL_SECTION_CONST] = { "const", 0, 0,
					 VISION_MODEL_CONST_ALIGN },
	[VISION_MODEL_SECTION_INPUT] = { "input", 0, 0, 8 },
	[VISION_MODEL_SECTION_OUTPUTS] = { "outputs",
					   sizeof(struct vision_model_output),
					   VISION_MODEL_MAX_OUTPUTS, 8 },
	[VISION_MODEL_SECTION_NAMES] = { "names", 0, 0, 8 },
};

static_assert(ARRAY_SIZE(vis_section_rules) == VISION_MODEL_SECTION_COUNT,
	      "a rule for every section");

static int vis_check_header(const u8 *blob, u64 size,
			    struct vis_engine_error *e)
{
	const struct vision_model_header *h = (const void *)blob;
	static const u8 zero[4];
	u32 crc;

	if (size < sizeof(*h))
		return vis_hdr_err(e, "file_size", "shorter than the header");
	if (size > VISION_MODEL_MAX_SIZE)
		return vis_err(e, -E2BIG, VIS_ERR_SECTION_HEADER,
			       VIS_ERR_NO_INDEX, "file_size",
			       "larger than VISION_MODEL_MAX_SIZE");
	if (h->magic != VISION_MODEL_MAGIC)
		return vis_hdr_err(e, "magic", "not a vision model");
	if (h->version != VISION_MODEL_VERSION)
		return vis_err(e, -EOPNOTSUPP, VIS_ERR_SECTION_HEADER,
			       VIS_ERR_NO_INDEX, "version",
			       "unsupported format version");
	if (h->header_size != sizeof(*h))
		return vis_hdr_err(e, "header_size", "wrong header size");
	if (h->file_size != size)
		return vis_hdr_err(e, "file_size", "does not match the blob");
	if (h->flags)
		return vis_hdr_err(e, "flags", "must be zero");
	if (!vis_all_zero(h->reserved, ARRAY_SIZE(h->reserved)))
		return vis_hdr_err(e, "reserved", "must be zero");
	if (h->arena_size > VISION_MODEL_MAX_ARENA)
		return vis_err(e, -E2BIG, VIS_ERR_SECTION_HEADER,
			       VIS_ERR_NO_INDEX, "arena_size",
			       "larger than VISION_MODEL_MAX_ARENA");

	/* The CRC covers the blob with the crc member read as zero. */
	crc = vis_crc32(0, blob, offsetof(struct vision_model_header, crc32));
	crc = vis_crc32(crc, zero, sizeof(zero));
	crc = vis_crc32(crc,
			blob + offsetof(struct vision_model_header, crc32) +
				sizeof(h->crc32),
			size - offsetof(struct vision_model_header, crc32) -
				sizeof(h->crc32));
	if (crc != h->crc32)
		return vis_hdr_err(e, "crc32", "checksum mismatch");
	return 0;
}

static int vis_check_sections(const struct vision_model_header *h, u64 size,
			      struct vis_engine_error *e)
{
	u32 i, j;

	for (i = 0; i < VISION_MODEL_SECTION_COUNT; i++) {
		const struct vision_model_section *s = &h->sections[i];
		const struct vis_section_rule *r = &vis_section_rules[i];
		u64 end, bytes;

		if (check_add_overflow(s->offset, s->size, &end) ||
		    s->offset < sizeof(*h) || end > size)
			return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX,
				       "offset", "section outside the blob");
		if (s->offset & (r->align - 1))
			return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX,
				       "offset", "section misaligned");
		if (r->entry_size) {
			if (s->entry_size != r->entry_size)
				return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX,
					       "entry_size",
					       "wrong entry size");
			if (!s->count)
				return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX,
					       "count", "empty table");
			if (s->count > r->max_count)
				return vis_err(e, -E2BIG, i, VIS_ERR_NO_INDEX,
					       "count", "too many entries");
			bytes = (u64)s->count * s->entry_size;
			if (bytes != s->size)
				return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX,
					       "size",
					       "not count * entry_size");
		} else if (s->count || s->entry_size) {
			return vis_err(e, -EINVAL, i, VIS_ERR_NO_INDEX, "count",
				       "must be zero for this section");
		}
	}

	if (h->sections[VISION_MODEL_SECTION_INPUT].size !=
	    sizeof(struct vision_model_input_stage))
		return vis_err(e, -EINVAL, VISION_MODEL_SECTION_INPUT,
			       VIS_ERR_NO_INDEX, "size", "not one input stage");
	if (!h->sections[VISION_MODEL_SECTION_NAMES].size)
		return vis_err(e, -EINVAL, VISION_MODEL_SECTION_NAMES,
			       VIS_ERR_NO_INDEX, "size", "empty names section");

	/* No two non-empty sections share a byte. */
	for (i = 0; i < VISION_MODEL_SECTION_COUNT; i++) {
		const struct vision_model_section *a = &h->sections[i];

		for (j = i + 1; j < VISION_MODEL_SECTION_COUNT; j++) {
			const struct vision_model_section *b = &h->sections[j];

			if (!a->size || !b->size)
				continue;
			/* Ends fit: both were checked against the blob. */
			if (a->offset < b->offset + b->size &&
			    b->offset < a->offset + a->size)
				return vis_err(e, -EINVAL, j, VIS_ERR_NO_INDEX,
					       "offset", "sections overlap");
		}
	}
	return 0;
}

#define vis_tensor_err(e, i, field, msg) \
	vis_err(e, -EINVAL, VISION_MODEL_SECTION_TENSORS, i, field, msg)

static int vis_check_tensor(const struct vis_model *m, u32 i,
			    struct vis_engine_error *e)
{
	const struct vision_model_tensor *t = &m->tensors[i];
	u64 elems = 1, bytes, end, limit;
	u32 d, esize;

	if (t->flags || !vis_all_zero(t->reserved, ARRAY_SIZE(t->reserved)))
		return vis_tensor_err(e, i, "flags", "must be zero");
	if (!vis_name_ok(m, t->name))
		return vis_tensor_err(e, i, "name",
				      "outside the names section");
	for (d = 0; d < 4; d++) {
		if (t->shape[d] < 1 || t->shape[d] > VISION_MODEL_MAX_DIM)
			return vis_tensor_err(e, i, "shape",
					      "dimension out of range");
		elems *= t->shape[d];
		if (elems > U32_MAX)
			return vis_err(e, -E2BIG, VISION_MODEL_SECTION_TENSORS,
				       i, "shape", "too many elements");
	}

	switch (t->type) {
	case VISION_MODEL_TYPE_INT8:
		esize = 1;
		if (t->zero_point < -128 || t->zero_point > 127)
			return vis_tensor_err(e, i, "zero_point",
					      "outside [-128, 127]");
		break;
	case VISION_MODEL_TYPE_INT32:
		esize = 4;
		if (t->zero_point)
			return vis_tensor_err(e, i, "zero_point",
					      "must be zero for INT32");
		break;
	default:
		return vis_tensor_err(e, i, "type", "unknown type");
	}

	switch (t->location) {
	case VISION_MODEL_LOC_ARENA:
		limit = m->arena_size;
		if (t->type != VISION_MODEL_TYPE_INT8)
			return vis_tensor_err(e, i, "type",
					      "arena tensors are INT8");
		break;
	case VISION_MODEL_LOC_CONST:
		limit = m->const_size;
		break;
	default:
		return vis_tensor_err(e, i, "location", "unknown location");
	}

	switch (t->encoding) {
	case VISION_MODEL_ENC_DENSE:
		bytes = elems * esize;
		if (t->size != bytes)
			return vis_tensor_err(e, i, "size",
					      "not elements * element size");
		break;
	case VISION_MODEL_ENC_BLOCK4:
		if (t->location != VISION_MODEL_LOC_CONST ||
		    t->type != VISION_MODEL_TYPE_INT8)
			return vis_tensor_err(e, i, "encoding",
					      "only constant INT8 is encoded");
		if (!t->size)
			return vis_tensor_err(e, i, "size", "empty encoding");
		break;
	default:
		return vis_tensor_err(e, i, "encoding", "unknown encoding");
	}

	if (t->offset & (VISION_MODEL_TENSOR_ALIGN - 1))
		return vis_tensor_err(e, i, "offset", "misaligned");
	if (check_add_overflow(t->offset, t->size, &end) || end > limit)
		return vis_tensor_err(e, i, "offset",
				      t->location == VISION_MODEL_LOC_ARENA ?
					      "outside the arena" :
					      "outside the constant data");

	if (t->channel_scales != 0xffffffffu &&
	    !vis_check_const(m, t->channel_scales, (u64)t->shape[0] * 4, 4))
		return vis_tensor_err(e, i, "channel_scales",
				      "outside the constant data");
	return 0;
}

/* One bit per tensor: written by an operator already. */
static bool vis_produced(const u32 *bm, u32 id)
{
	return bm[id / 32] & (1u << (id % 32));
}

static void vis_set_produced(u32 *bm, u32 id)
{
	bm[id / 32] |= 1u << (id % 32);
}

static int vis_check_ops(struct vis_model *m, u32 *produced,
			 struct vis_engine_error *e)
{
	u32 in_id = m->input->tensor;
	u32 i, j;

	for (i = 0; i < m->num_ops; i++) {
		const struct vision_model_op *op = &m->ops[i];
		const struct vis_op_desc *d = vis_op_desc_get(op->type);
		const struct vision_model_tensor *out;
		u64 macs;
		int ret;

		if (!d)
			return vis_err(e, -EOPNOTSUPP, VISION_MODEL_SECTION_OPS,
				       i, "type", "unknown operator");
		if (op->flags ||
		    !vis_all_zero(op->reserved, ARRAY_SIZE(op->reserved)))
			return vis_op_err(e, i, "flags", "must be zero");
		if (!vis_name_ok(m, op->name))
			return vis_op_err(e, i, "name",
					  "outside the names section");
		if (op->num_inputs < d->min_inputs ||
		    op->num_inputs > d->max_inputs)
			return vis_op_err(e, i, "num_inputs",
					  "wrong operand count");

		for (j = 0; j < VISION_MODEL_MAX_OP_INPUTS; j++) {
			u32 id = op->inputs[j];

			if (j >= op->num_inputs) {
				if (id != VISION_MODEL_NO_TENSOR)
					return vis_op_err(e, i, "inputs",
							  "unused slot in use");
				continue;
			}
			if (id >= m->num_tensors)
				return vis_op_err(e, i, "inputs",
						  "tensor id out of range");
			if (m->tensors[id].location == VISION_MODEL_LOC_ARENA &&
			    id != in_id && !vis_produced(produced, id))
				return vis_op_err(e, i, "inputs",
						  "read before it is written");
			if (id == op->output)
				return vis_op_err(e, i, "output",
						  "also an input");
		}

		if (op->output >= m->num_tensors)
			return vis_op_err(e, i, "output",
					  "tensor id out of range");
		out = &m->tensors[op->output];
		if (out->location != VISION_MODEL_LOC_ARENA ||
		    out->type != VISION_MODEL_TYPE_INT8 ||
		    out->encoding != VISION_MODEL_ENC_DENSE)
			return vis_op_err(e, i, "output",
					  "not a dense INT8 arena tensor");
		if (op->output == in_id || vis_produced(produced, op->output))
			return vis_op_err(e, i, "output", "written twice");
		/*
		 * Kernels read inputs after writing parts of the output, so a
		 * memory plan must not overlay them; RESHAPE's output is a
		 * view of its input by definition.
		 */
		if (op->type != VISION_MODEL_OP_RESHAPE) {
			for (j = 0; j < op->num_inputs; j++) {
				const struct vision_model_tensor *t =
					&m->tensors[op->inputs[j]];

				if (t->location == VISION_MODEL_LOC_ARENA &&
				    t->offset < out->offset + out->size &&
				    out->offset < t->offset + t->size)
					return vis_op_err(e, i, "output",
							  "overlaps an input");
			}
		}

		ret = d->check(m, i, e);
		if (ret)
			return ret;

		vis_set_produced(produced, op->output);
		if (d->scratch)
			m->scratch_size =
				max(m->scratch_size, d->scratch(m, op));
		/* Each operator's part is bounded; the sum saturates. */
		if (d->prepared_size &&
		    check_add_overflow(m->prepared_size,
				       ALIGN(d->prepared_size(m, op),
					     VIS_PREPARED_ALIGN),
				       &m->prepared_size))
			m->prepared_size = U64_MAX;
		if (check_mul_overflow((u64)d->units(m, op),
				       d->unit_macs(m, op), &macs) ||
		    check_add_overflow(m->macs, macs, &m->macs))
			m->macs = U64_MAX;
	}
	/* Too much to prepare: the model runs unprepared. */
	if (m->prepared_size == U64_MAX)
		m->prepared_size = 0;
	else if (m->prepared_size)
		m->prepared_size += vis_prepared_table_size(m);
	return 0;
}

static int vis_check_outputs(const struct vis_model *m, const u32 *produced,
			     struct vis_engine_error *e)
{
	u32 i, l;

	for (i = 0; i < m->num_outputs; i++) {
		const struct vision_model_output *o = &m->outputs[i];
		const struct vision_model_tensor *t;
		u64 off;

		if (o->flags ||
		    !vis_all_zero(o->reserved, ARRAY_SIZE(o->reserved)))
			return vis_err(e, -EINVAL, VISION_MODEL_SECTION_OUTPUTS,
				       i, "flags", "must be zero");
		if (o->tensor >= m->num_tensors)
			return vis_err(e, -EINVAL, VISION_MODEL_SECTION_OUTPUTS,
				       i, "tensor", "tensor id out of range");
		t = &m->tensors[o->tensor];
		if (t->location != VISION_MODEL_LOC_ARENA ||
		    (!vis_produced(produced, o->tensor) &&
		     o->tensor != m->input->tensor))
			return vis_err(e, -EINVAL, VISION_MODEL_SECTION_OUTPUTS,
				       i, "tensor",
				       "not computed by the model");
		if (!o->num_labels) {
			if (o->labels != VISION_MODEL_NO_NAME)
				return vis_err(e, -EINVAL,
					       VISION_MODEL_SECTION_OUTPUTS, i,
					       "labels",
					       "labels without a count");
			continue;
		}
		if (o->num_labels != vis_tensor_elems(t) ||
		    o->num_labels > VISION_MODEL_MAX_LABELS)
			return vis_err(e, -EINVAL, VISION_MODEL_SECTION_OUTPUTS,
				       i, "num_labels",
				       "not one label per element");
		/* Walk the strings: each must start inside the section. */
		off = o->labels;
		for (l = 0; l < o->num_labels; l++) {
			if (off >= m->names_size)
				return vis_err(e, -EINVAL,
					       VISION_MODEL_SECTION_OUTPUTS, i,
					       "labels",
					       "outside the names section");
			while (m->names[off])
				off++;
			off++;
		}
	}
	return 0;
}

/**
 * vis_model_validate() - check every byte of a model before it is used
 * @m: receives the validated view
 * @blob: the model, 8-byte aligned
 * @size: its size in bytes
 * @err: receives the reason on failure; may be NULL
 *
 * Return: 0, or a negative errno (also in @err->err).
 */
int vis_model_validate(struct vis_model *m, const void *blob, u64 size,
		       struct vis_engine_error *err)
{
	const struct vision_model_header *h = blob;
	const struct vision_model_section *s;
	const u8 *b = blob;
	u32 *produced;
	u32 i;
	int ret;

	memset(m, 0, sizeof(*m));
	if (err)
		memset(err, 0, sizeof(*err));
	if ((uintptr_t)blob & 7)
		return vis_hdr_err(err, "file_size", "blob not 8-byte aligned");

	ret = vis_check_header(b, size, err);
	if (ret)
		return ret;
	ret = vis_check_sections(h, size, err);
	if (ret)
		return ret;

	s = h->sections;
	m->blob = b;
	m->size = size;
	m->hdr = h;
	m->arena_size = h->arena_size;
	m->tensors = (const void *)(b + s[VISION_MODEL_SECTION_TENSORS].offset);
	m->num_tensors = s[VISION_MODEL_SECTION_TENSORS].count;
	m->ops = (const void *)(b + s[VISION_MODEL_SECTION_OPS].offset);
	m->num_ops = s[VISION_MODEL_SECTION_OPS].count;
	m->consts = b + s[VISION_MODEL_SECTION_CONST].offset;
	m->const_size = s[VISION_MODEL_SECTION_CONST].size;
	m->input = (const void *)(b + s[VISION_MODEL_SECTION_INPUT].offset);
	m->outputs = (const void *)(b + s[VISION_MODEL_SECTION_OUTPUTS].offset);
	m->num_outputs = s[VISION_MODEL_SECTION_OUTPUTS].count;
	m->names = (const char *)b + s[VISION_MODEL_SECTION_NAMES].offset;
	m->names_size = s[VISION_MODEL_SECTION_NAMES].size;

	if (m->names[m->names_size - 1] != '\0') {
		ret = vis_err(err, -EINVAL, VISION_MODEL_SECTION_NAMES,
			      VIS_ERR_NO_INDEX, "size",
			      "names section does not end in NUL");
		goto err_clear;
	}

	for (i = 0; i < m->num_tensors; i++) {
		ret = vis_check_tensor(m, i, err);
		if (ret)
			goto err_clear;
	}

	ret = vis_input_stage_check(m, err);
	if (ret)
		goto err_clear;

	produced = vis_zalloc(DIV_ROUND_UP(m->num_tensors, 32) * sizeof(u32));
	if (!produced) {
		ret = vis_err(err, -ENOMEM, VIS_ERR_SECTION_HEADER,
			      VIS_ERR_NO_INDEX, "", "out of memory");
		goto err_clear;
	}
	ret = vis_check_ops(m, produced, err);
	if (!ret)
		ret = vis_check_outputs(m, produced, err);
	vis_free(produced);
	if (ret)
		goto err_clear;
	return 0;

err_clear:
	/* A half-filled view must not be mistaken for a usable model. */
	memset(m, 0, sizeof(*m));
	return ret;
}
