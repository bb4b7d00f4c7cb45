// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Models: read a .vnm file, check it with the engine's validator (the one
 * the kernel runs, so the user gets its precise reason), load it into the
 * device, and describe its input, outputs and labels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vision_accel.h"
#include "internal.h"

static const char *const vis_section_names[VISION_MODEL_SECTION_COUNT] = {
	[VISION_MODEL_SECTION_TENSORS] = "tensors",
	[VISION_MODEL_SECTION_OPS] = "ops",
	[VISION_MODEL_SECTION_CONST] = "const",
	[VISION_MODEL_SECTION_INPUT] = "input",
	[VISION_MODEL_SECTION_OUTPUTS] = "outputs",
	[VISION_MODEL_SECTION_NAMES] = "names",
};

/* Fill @e (may be NULL) and its one-line text; returns @err. */
static int vis_model_fail(struct vision_model_error *e, int err,
			  const char *section, uint32_t index,
			  const char *field, const char *fmt, ...)
{
	char idx[16] = "";
	va_list ap;

	if (!e)
		return err;
	memset(e, 0, sizeof(*e));
	e->err = err;
	e->index = index;
	snprintf(e->section, sizeof(e->section), "%s", section);
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	if (index != VISION_MODEL_ERROR_NO_INDEX)
		snprintf(idx, sizeof(idx), "[%u]", index);
	snprintf(e->text, sizeof(e->text), "%s%s%s%s: %s", e->section, idx,
		 *e->field ? "." : "", e->field, e->message);
	return err;
}

static int vis_model_fail_validator(struct vision_model_error *e,
				    const struct vis_engine_error *ve)
{
	const char *section = ve->section < VISION_MODEL_SECTION_COUNT ?
				      vis_section_names[ve->section] :
				      "header";

	return vis_model_fail(e, ve->err, section,
			      ve->index == VIS_ERR_NO_INDEX ?
				      VISION_MODEL_ERROR_NO_INDEX :
				      ve->index,
			      ve->field, "%s", ve->msg);
}

struct vision_model *vis_model_get(struct vision_model *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void vision_model_free(struct vision_model *model)
{
	struct vision_device *dev;

	if (!model || __atomic_sub_fetch(&model->refs, 1, __ATOMIC_ACQ_REL))
		return;
	dev = model->dev;
	/* A model is a GEM object: its handle closes like a BO's. */
	if (!dev->cpu)
		vis_gem_close(dev, model->handle);
	if (model->labels)
		for (uint32_t i = 0; i < model->m.num_outputs; i++)
			free(model->labels[i]);
	free(model->labels);
	free(model->prepared);
	free(model->blob);
	free(model);
	vis_device_put(dev);
}

/* Index every label once, so lookups are O(1). */
static int vis_model_index_labels(struct vision_model *model)
{
	const struct vis_model *m = &model->m;

	model->labels = calloc(m->num_outputs ? m->num_outputs : 1,
			       sizeof(*model->labels));
	if (!model->labels)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->num_outputs; i++) {
		const struct vision_model_output *o = &m->outputs[i];
		const char *s;

		if (!o->num_labels)
			continue;
		model->labels[i] = calloc(o->num_labels, sizeof(char *));
		if (!model->labels[i])
			return -ENOMEM;
		/* The validator checked they lie in the names section. */
		s = m->names + o->labels;
		for (uint32_t j = 0; j < o->num_labels; j++) {
			model->labels[i][j] = s;
			s += strlen(s) + 1;
		}
	}
	return 0;
}

static int vis_model_create_device(struct vision_model *model,
				   struct vision_model_error *e)
{
	struct drm_vision_model_create args = {
		.data = (uintptr_t)model->blob,
		.size = model->m.size,
	};
	int ret;

	ret = vis_ioctl(model->dev->fd, DRM_IOCTL_VISION_MODEL_CREATE, &args);
	if (ret == -E2BIG)
		return vis_model_fail(e, ret, "device",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "needs more memory than a core has");
	if (ret == -ENOSPC)
		return vis_model_fail(e, ret, "device",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "the device's model memory is full");
	if (ret)
		return vis_model_fail(e, ret, "device",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "refused: %s", vision_strerror(ret));
	model->handle = args.info.handle;
	model->input_size = args.info.input_size;
	model->output_size = args.info.output_size;
	model->profile_size = args.info.profile_size;
	return 0;
}

/*
 * On the CPU device, lay the weights out for the kernels once, as the
 * driver does at MODEL_CREATE: inferences then skip that work. Only for
 * kernel tables that use the packed layout.
 */
static int vis_model_prepare_cpu(struct vision_model *model,
				 struct vision_model_error *e)
{
	struct vis_model *m = &model->m;

	if (!m->prepared_size || !vis_kernels_best()->gemm_s8_packed)
		return 0;
	if (m->prepared_size > SIZE_MAX - 63)
		return vis_model_fail(e, -ENOMEM, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "out of memory");
	model->prepared = aligned_alloc(64, (m->prepared_size + 63) / 64 * 64);
	if (!model->prepared)
		return vis_model_fail(e, -ENOMEM, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "out of memory");
	vis_model_prepare(m, model->prepared);
	m->prepared = model->prepared;
	return 0;
}

/* Takes over @blob (64-byte aligned, @size bytes). */
static int vis_model_create(struct vision_device *dev, void *blob, size_t size,
			    struct vision_model **out,
			    struct vision_model_error *e)
{
	struct vis_engine_error ve = { 0 };
	struct vision_model *model;
	const struct vis_model *m;
	int ret;

	model = calloc(1, sizeof(*model));
	if (!model) {
		free(blob);
		return vis_model_fail(e, -ENOMEM, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "out of memory");
	}
	model->refs = 1;
	model->dev = vis_device_get(dev);
	model->blob = blob;
	m = &model->m;

	ret = vis_model_validate(&model->m, blob, size, &ve);
	if (ret) {
		vis_model_fail_validator(e, &ve);
		goto err_free;
	}
	ret = vis_model_index_labels(model);
	if (ret) {
		vis_model_fail(e, ret, "file", VISION_MODEL_ERROR_NO_INDEX, "",
			       "out of memory");
		goto err_free;
	}
	model->input_size = m->tensors[m->input->tensor].size;
	for (uint32_t i = 0; i < m->num_outputs; i++)
		model->output_size += m->tensors[m->outputs[i].tensor].size;
	model->profile_size =
		sizeof(struct drm_vision_profile) +
		(uint64_t)m->num_ops * sizeof(struct drm_vision_profile_op);
	if (!dev->cpu) {
		ret = vis_model_create_device(model, e);
		if (ret)
			goto err_free;
	} else {
		ret = vis_model_prepare_cpu(model, e);
		if (ret)
			goto err_free;
	}
	*out = model;
	return 0;

err_free:
	vision_model_free(model);
	return ret;
}

/* A copy the engine may read with vector loads. */
static void *vis_blob_alloc(size_t size)
{
	return aligned_alloc(64, (size + 63) / 64 * 64 + (size ? 0 : 64));
}

int vision_model_load_memory(struct vision_device *dev, const void *data,
			     size_t size, struct vision_model **out,
			     struct vision_model_error *err)
{
	void *blob;

	if (out)
		*out = NULL;
	if (!dev || !out || (!data && size))
		return vis_model_fail(err, -EINVAL, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "invalid argument");
	if (size > VISION_MODEL_MAX_SIZE)
		return vis_model_fail(err, -E2BIG, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "%zu bytes, more than the %u allowed",
				      size, VISION_MODEL_MAX_SIZE);
	blob = vis_blob_alloc(size);
	if (!blob)
		return vis_model_fail(err, -ENOMEM, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "out of memory");
	if (size)
		memcpy(blob, data, size);
	return vis_model_create(dev, blob, size, out, err);
}

/*
 * Read, not mmap: a file truncated under a mapping would fault, and the
 * blob must not change between validation and use.
 */
static int vis_read_file(const char *path, void **blobp, size_t *sizep,
			 struct vision_model_error *e)
{
	struct stat st;
	size_t got = 0;
	void *blob;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return vis_model_fail(e, ret, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "cannot open %s: %s", path,
				      vision_strerror(ret));
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto err_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > VISION_MODEL_MAX_SIZE) {
		close(fd);
		return vis_model_fail(
			e, -E2BIG, "file", VISION_MODEL_ERROR_NO_INDEX, "",
			"%s is not a regular file of at most %u bytes", path,
			VISION_MODEL_MAX_SIZE);
	}
	blob = vis_blob_alloc((size_t)st.st_size);
	if (!blob) {
		ret = -ENOMEM;
		goto err_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)blob + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shrunk under us: validate what is there. */
			if (!n)
				break;
			ret = -errno;
			free(blob);
			goto err_close;
		}
		got += (size_t)n;
	}
	close(fd);
	*blobp = blob;
	*sizep = got;
	return 0;

err_close:
	close(fd);
	return vis_model_fail(e, ret, "file", VISION_MODEL_ERROR_NO_INDEX, "",
			      "cannot read %s: %s", path, vision_strerror(ret));
}

int vision_model_load(struct vision_device *dev, const char *path,
		      struct vision_model **out, struct vision_model_error *err)
{
	size_t size = 0;
	void *blob = NULL;
	int ret;

	if (out)
		*out = NULL;
	if (!dev || !path || !out)
		return vis_model_fail(err, -EINVAL, "file",
				      VISION_MODEL_ERROR_NO_INDEX, "",
				      "invalid argument");
	ret = vis_read_file(path, &blob, &size, err);
	if (ret)
		return ret;
	return vis_model_create(dev, blob, size, out, err);
}

int vision_model_get_info(const struct vision_model *model,
			  struct vision_model_info *info)
{
	const struct vis_model *m;

	if (!model || !info)
		return -EINVAL;
	m = &model->m;
	memset(info, 0, sizeof(*info));
	info->input_size = model->input_size;
	info->output_size = model->output_size;
	info->model_size = m->size;
	info->arena_size = m->arena_size;
	info->macs = m->macs;
	info->num_outputs = m->num_outputs;
	info->num_ops = m->num_ops;
	info->input_color = m->input->color;
	return 0;
}

static void vis_tensor_info(const struct vision_model *model, uint32_t id,
			    struct vision_tensor_info *info)
{
	const struct vision_model_tensor *t = &model->m.tensors[id];

	memset(info, 0, sizeof(*info));
	memcpy(info->shape, t->shape, sizeof(info->shape));
	info->type = t->type;
	info->zero_point = t->zero_point;
	memcpy(&info->scale, &t->scale, sizeof(info->scale));
	info->size = t->size;
	info->name = vis_model_name(&model->m, t->name);
}

int vision_model_input(const struct vision_model *model,
		       struct vision_tensor_info *info)
{
	if (!model || !info)
		return -EINVAL;
	vis_tensor_info(model, model->m.input->tensor, info);
	return 0;
}

int vision_model_output(const struct vision_model *model, unsigned int index,
			struct vision_tensor_info *info)
{
	const struct vis_model *m;
	uint64_t off = 0;

	if (!model || !info)
		return -EINVAL;
	m = &model->m;
	if (index >= m->num_outputs)
		return -ERANGE;
	for (unsigned int i = 0; i < index; i++)
		off += m->tensors[m->outputs[i].tensor].size;
	vis_tensor_info(model, m->outputs[index].tensor, info);
	info->offset = off;
	info->num_labels = m->outputs[index].num_labels;
	return 0;
}

const char *vision_model_label(const struct vision_model *model,
			       unsigned int output, unsigned int index)
{
	if (!model || output >= model->m.num_outputs ||
	    index >= model->m.outputs[output].num_labels)
		return NULL;
	return model->labels[output][index];
}
