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
#include <sys/syscall.h>
#include <unistd.h>

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
