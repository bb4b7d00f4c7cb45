// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "internal.h"

int vis_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));

	return ret == -1 ? -errno : ret;
}
