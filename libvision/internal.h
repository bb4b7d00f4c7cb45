/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-private declarations.
 */
#ifndef LIBVISION_INTERNAL_H
#define LIBVISION_INTERNAL_H

#include <limits.h>

#include "vision/vision.h"

struct vision_device {
	int fd;
	char path[PATH_MAX];
};

/* The one place libvision calls ioctl(): retries EINTR/EAGAIN, -errno. */
int vis_ioctl(int fd, unsigned long request, void *arg);

#endif /* LIBVISION_INTERNAL_H */
