// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vis_engine.h"
#include "vision_accel.h"
#include "vision_util.h"

int vision_driver_name(int fd, char *name, size_t len)
{
	struct drm_version v;

	memset(&v, 0, sizeof(v));
	memset(name, 0, len);
	v.name = name;
	v.name_len = len - 1;
	if (ioctl(fd, DRM_IOCTL_VERSION, &v))
		return -errno;
	return 0;
}

int vision_find_node(char *path, size_t len)
{
	static const char *const patterns[] = {
		"/dev/accel/accel*",
		"/dev/dri/renderD*",
	};
	int ret = -ENODEV;

	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		glob_t g;

		if (glob(patterns[p], 0, NULL, &g))
			continue;
		for (size_t i = 0; i < g.gl_pathc && ret; i++) {
			char name[64];
			int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);

			if (fd < 0)
				continue;
			if (!vision_driver_name(fd, name, sizeof(name)) &&
			    !strcmp(name, "vision")) {
				snprintf(path, len, "%s", g.gl_pathv[i]);
				ret = 0;
			}
			close(fd);
		}
		globfree(&g);
		if (!ret)
			break;
	}
	return ret;
}

int vision_open(void)
{
	char path[256];
	int ret, fd;

	ret = vision_find_node(path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int vision_get_param(int fd, uint32_t param, uint32_t pad, uint64_t *value)
{
	struct drm_vision_get_param args = { .param = param, .pad = pad };

	if (ioctl(fd, DRM_IOCTL_VISION_GET_PARAM, &args))
		return -errno;
	*value = args.value;
	return 0;
}

int vision_module_load(const char *params)
{
	const char *ko = getenv("VISION_KO");
	int fd, ret = 0;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

int vision_module_unload(void)
{
	if (syscall(SYS_delete_module, VISION_MODULE_NAME, O_NONBLOCK))
		return -errno;
	return 0;
}

int vision_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle,
		     uint64_t *mmap_offset)
{
	struct drm_vision_bo_create args = { .size = size, .flags = flags };

	if (ioctl(fd, DRM_IOCTL_VISION_BO_CREATE, &args))
		return -errno;
	*handle = args.handle;
	if (mmap_offset)
		*mmap_offset = args.mmap_offset;
	return 0;
}

int vision_bo_info(int fd, uint32_t handle, struct drm_vision_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	if (ioctl(fd, DRM_IOCTL_VISION_BO_INFO, info))
		return -errno;
	return 0;
}

int64_t vision_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int vision_bo_wait(int fd, uint32_t handle, int64_t rel_timeout_ns,
		   int32_t *status)
{
	struct drm_vision_bo_wait args = {
		.handle = handle,
		.timeout_ns = vision_now_ns() + rel_timeout_ns,
	};

	if (ioctl(fd, DRM_IOCTL_VISION_BO_WAIT, &args))
		return -errno;
	if (status)
		*status = args.job_status;
	return 0;
}

void *vision_bo_mmap(int fd, uint32_t handle, uint64_t *size)
{
	struct drm_vision_bo_info info;
	void *p;
	int ret;

	ret = vision_bo_info(fd, handle, &info);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.mmap_offset);
	if (p == MAP_FAILED)
		return NULL;
	if (size)
		*size = info.size;
	return p;
}

int vision_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close args = { .handle = handle };

	if (ioctl(fd, DRM_IOCTL_GEM_CLOSE, &args))
		return -errno;
	return 0;
}

int vision_model_create(int fd, const void *blob, uint64_t size,
			struct drm_vision_model_info *info)
{
	struct drm_vision_model_create args = {
		.data = (uintptr_t)blob,
		.size = size,
	};

	if (ioctl(fd, DRM_IOCTL_VISION_MODEL_CREATE, &args))
		return -errno;
	if (info)
		*info = args.info;
	return 0;
}

int vision_model_info(int fd, uint32_t handle,
		      struct drm_vision_model_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	if (ioctl(fd, DRM_IOCTL_VISION_MODEL_INFO, info))
		return -errno;
	return 0;
}

int vision_submit(int fd, const struct drm_vision_job *jobs, uint32_t n,
		  uint32_t priority)
{
	struct drm_vision_submit args = {
		.jobs = (uintptr_t)jobs,
		.num_jobs = n,
		.job_struct_size = sizeof(*jobs),
		.priority = priority,
	};

	if (ioctl(fd, DRM_IOCTL_VISION_SUBMIT, &args))
		return -errno;
	return 0;
}

int vision_debugfs_dir(int fd, char *path, size_t len)
{
	struct stat st;

	/* One directory per device, named after its platform device. */
	if (fstat(fd, &st))
		return -errno;
	snprintf(path, len, "/sys/kernel/debug/%s/%s", VISION_MODULE_NAME,
		 VISION_PLATFORM_NAME);
	return 0;
}

static int vision_debugfs_open(int fd, const char *name, int flags)
{
	char dir[200], path[300];
	int ret, f;

	ret = vision_debugfs_dir(fd, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = open(path, flags | O_CLOEXEC);
	return f < 0 ? -errno : f;
}

int vision_debugfs_write(int fd, const char *name, const char *text)
{
	int f = vision_debugfs_open(fd, name, O_WRONLY);
	ssize_t n;

	if (f < 0)
		return f;
	n = write(f, text, strlen(text));
	close(f);
	if (n < 0)
		return -errno;
	return 0;
}

int vision_debugfs_read(int fd, const char *name, char *buf, size_t len)
{
	int f = vision_debugfs_open(fd, name, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (f < 0)
		return f;
	while (got + 1 < len) {
		n = read(f, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(f);
			return (int)n;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	close(f);
	return (int)got;
}

int64_t vision_debugfs_stat(int fd, const char *key)
{
	char buf[512], *line;
	size_t klen = strlen(key);
	int n = vision_debugfs_read(fd, "stats", buf, sizeof(buf));

	if (n < 0)
		return n;
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == ':')
			return strtoll(line + klen + 1, NULL, 10);
	}
	return -ENOENT;
}

/* Run @m on its arena (input filled) and gather the outputs into @out. */
static int vision_ref_finish(const struct vis_model *m, uint8_t *arena,
			     void *out, size_t out_size)
{
	uint8_t *scratch = malloc(m->scratch_size + 1);
	struct vis_exec x = {
		.model = m,
		.arena = arena,
		.scratch = scratch,
		.k = &vis_kernels_portable,
	};
	size_t len = 0;
	int ret;

	if (!scratch)
		return -ENOMEM;
	ret = vis_engine_run(&x);
	free(scratch);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < m->num_outputs; i++)
		len += m->tensors[m->outputs[i].tensor].size;
	if (len != out_size)
		return -EMSGSIZE;
	len = 0;
	for (uint32_t i = 0; i < m->num_outputs; i++) {
		const struct vision_model_tensor *t =
			&m->tensors[m->outputs[i].tensor];

		memcpy((uint8_t *)out + len, arena + t->offset, t->size);
		len += t->size;
	}
	return 0;
}

/* A zeroed, 64-byte aligned arena for @m. */
static uint8_t *vision_ref_arena(const struct vis_model *m)
{
	size_t size = (m->arena_size + 63) / 64 * 64 + 64;
	uint8_t *arena = aligned_alloc(64, size);

	if (arena)
		memset(arena, 0, size);
	return arena;
}

int vision_ref_tensor(const void *blob, size_t size, const void *in, void *out,
		      size_t out_size)
{
	const struct vision_model_tensor *t;
	struct vis_model m;
	uint8_t *arena;
	int ret;

	ret = vis_model_validate(&m, blob, size, NULL);
	if (ret)
		return ret;
	arena = vision_ref_arena(&m);
	if (!arena)
		return -ENOMEM;
	t = &m.tensors[m.input->tensor];
	memcpy(arena + t->offset, in, t->size);
	ret = vision_ref_finish(&m, arena, out, out_size);
	free(arena);
	return ret;
}

int vision_ref_frame(const void *blob, size_t size,
		     const struct drm_vision_frame *f, const void *bo,
		     uint64_t bo_size, void *out, size_t out_size)
{
	struct vis_frame vf = {
		.fourcc = f->fourcc,
		.width = f->width,
		.height = f->height,
		.crop_x = f->crop_x,
		.crop_y = f->crop_y,
		.crop_w = f->crop_width,
		.crop_h = f->crop_height,
	};
	struct vis_model m;
	struct vis_exec x;
	uint8_t *arena;
	int ret;

	ret = vis_model_validate(&m, blob, size, NULL);
	if (ret)
		return ret;
	/* All-zero crop: the whole frame. */
	if (!f->crop_x && !f->crop_y && !f->crop_width && !f->crop_height) {
		vf.crop_w = f->width;
		vf.crop_h = f->height;
	}
	for (uint32_t i = 0; i < 2 && i < f->num_planes; i++) {
		if (f->offsets[i] >= bo_size)
			return -EINVAL;
		vf.planes[i] = (const uint8_t *)bo + f->offsets[i];
		vf.strides[i] = f->strides[i];
		vf.plane_sizes[i] = bo_size - f->offsets[i];
	}
	ret = vis_input_check(&m, &vf);
	if (ret)
		return ret;
	arena = vision_ref_arena(&m);
	if (!arena)
		return -ENOMEM;
	memset(&x, 0, sizeof(x));
	x.model = &m;
	x.arena = arena;
	x.k = &vis_kernels_portable;
	vis_input_run(&x, &vf, 0, vis_input_rows(&m));
	ret = vision_ref_finish(&m, arena, out, out_size);
	free(arena);
	return ret;
}

void vision_fill_pattern(void *p, size_t len, uint32_t seed)
{
	uint32_t *w = p;

	for (size_t i = 0; i < len / 4; i++)
		w[i] = seed ^ (uint32_t)(i * 2654435761u);
}

int vision_check_pattern(const void *p, size_t len, uint32_t seed)
{
	const uint32_t *w = p;

	for (size_t i = 0; i < len / 4; i++)
		if (w[i] != (seed ^ (uint32_t)(i * 2654435761u)))
			return 0;
	return 1;
}
