// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Device node, DRM_IOCTL_VERSION and DRM_IOCTL_VISION_GET_PARAM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

FIXTURE(dev)
{
	int fd;
	char path[256];
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, vision_find_node(self->path, sizeof(self->path)));
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* The node is a char device of the right class, bound to our driver. */
TEST_F(dev, node)
{
	char link[PATH_MAX], sys[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int accel;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));

	/* Kernels with the accel class must expose /dev/accel/accelN. */
	accel = !access("/sys/class/accel", F_OK);
	if (accel) {
		ASSERT_EQ(0, strncmp(self->path, "/dev/accel/accel", 16));
	} else {
		ASSERT_EQ(0, strncmp(self->path, "/dev/dri/renderD", 16));
	}

	snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/device/driver",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	snprintf(target, sizeof(target), "%s", basename(link));
	ASSERT_STREQ(VISION_PLATFORM_NAME, target);
}

TEST_F(dev, version)
{
	char name[32], date[32], desc[64];
	struct drm_version v;

	memset(&v, 0, sizeof(v));
	/* First call with no buffers reports the lengths. */
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_VERSION, &v));
	ASSERT_EQ(strlen("vision"), v.name_len);
	ASSERT_EQ(1, v.version_major);
	ASSERT_EQ(0, v.version_minor);
	ASSERT_LT(0, v.desc_len);

	memset(name, 0, sizeof(name));
	memset(date, 0, sizeof(date));
	memset(desc, 0, sizeof(desc));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	v.date = date;
	v.date_len = sizeof(date) - 1;
	v.desc = desc;
	v.desc_len = sizeof(desc) - 1;
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_VERSION, &v));
	ASSERT_STREQ("vision", name);
	ASSERT_STREQ("Vision NPU accelerator", desc);
}

TEST_F(dev, get_param_valid)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_DEVICE_ID, 0,
				      &v));
	ASSERT_EQ(DRM_VISION_DEVICE_ID_VIRTUAL, v);

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_API_VERSION, 0,
				      &v));
	ASSERT_EQ(DRM_VISION_API_VERSION, v);
	ASSERT_EQ(1, v >> 16);

	/* Loaded with default parameters: one core per CPU, at most 8. */
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES, 0,
				      &v));
	ASSERT_EQ(online < 8 ? online : 8, (long)v);
}

TEST_F(dev, get_param_invalid)
{
	struct drm_vision_get_param args;
	uint64_t v = 0x5a5a;

	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, 3, 0, &v));
	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, 0x80000000u, 0, &v));
	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, UINT32_MAX, 0, &v));
	ASSERT_EQ(0x5a5a, v);

	/* Non-zero padding is rejected, even for a valid parameter. */
	ASSERT_EQ(-EINVAL, vision_get_param(self->fd,
					    DRM_VISION_PARAM_DEVICE_ID, 1, &v));
	ASSERT_EQ(-EINVAL,
		  vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES,
				   0x80000000u, &v));

	/* Bad user pointer. */
	ASSERT_EQ(-1, ioctl(self->fd, DRM_IOCTL_VISION_GET_PARAM, NULL));
	ASSERT_EQ(EFAULT, errno);

	/* A driver ioctl number that does not exist. */
	memset(&args, 0, sizeof(args));
	ASSERT_EQ(-1, ioctl(self->fd,
			    DRM_IOWR(DRM_COMMAND_BASE + 0x3f,
				     struct drm_vision_get_param),
			    &args));
	ASSERT_EQ(EINVAL, errno);
}

/* Several processes open, query and close the device concurrently. */
TEST(open_close_processes)
{
	const int nproc = 8, iters = 50;
	pid_t pids[8];
	int i, status;

	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			for (int n = 0; n < iters; n++) {
				uint64_t v;
				int fd = vision_open();

				if (fd < 0)
					_exit(1);
				if (vision_get_param(fd,
						     DRM_VISION_PARAM_DEVICE_ID,
						     0, &v) ||
				    v != DRM_VISION_DEVICE_ID_VIRTUAL)
					_exit(2);
				close(fd);
			}
			_exit(0);
		}
	}
	for (i = 0; i < nproc; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

/* One fd shared by a parent and a forked child keeps working in both. */
TEST_F(dev, fd_shared_across_fork)
{
	int status;
	pid_t pid;
	uint64_t v;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES, 0,
				       &v) ?
			      1 :
			      0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES, 0,
				      &v));
}

int main(int argc, char **argv)
{
	char path[256];

	if (vision_find_node(path, sizeof(path)))
		ksft_exit_skip("no vision device node\n");
	return test_harness_run(argc, argv);
}
