// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Module unload and reload: the module cannot go while the device is
 * open, goes cleanly when it is not, and comes back with its parameters.
 * Needs CAP_SYS_MODULE and $VISION_KO (the module file to load).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

static int cores(void)
{
	uint64_t v = 0;
	int fd = vision_open();

	if (fd < 0)
		return fd;
	if (vision_get_param(fd, DRM_VISION_PARAM_NUM_CORES, 0, &v))
		v = 0;
	close(fd);
	return (int)v;
}

FIXTURE(module)
{
	int unused;
};

FIXTURE_SETUP(module)
{
	char path[256];

	if (geteuid() != 0 || !getenv("VISION_KO"))
		SKIP(return, "needs root and VISION_KO");
	ASSERT_EQ(0, vision_find_node(path, sizeof(path)));
}

/* Leave the module loaded with default parameters, whatever happened. */
FIXTURE_TEARDOWN(module)
{
	char path[256];

	if (vision_find_node(path, sizeof(path))) {
		vision_module_unload();
		vision_module_load("");
	}
}

TEST_F(module, busy_while_open)
{
	int fd = vision_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, vision_module_unload());
	/* Still fully usable. */
	EXPECT_LT(0, cores());
	close(fd);
}

TEST_F(module, unload_reload)
{
	char path[256];
	int round;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, vision_module_unload());
		ASSERT_EQ(-ENODEV, vision_find_node(path, sizeof(path)));
		ASSERT_EQ(0, vision_module_load(""));
		ASSERT_EQ(0, vision_find_node(path, sizeof(path)));
		ASSERT_LT(0, cores());
	}
}

TEST_F(module, cores_parameter)
{
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load("cores=3"));
	ASSERT_EQ(3, cores());
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load("cores=8"));
	ASSERT_EQ(8, cores());
	ASSERT_EQ(0, vision_module_unload());

	/* Out of range: refused at load, nothing left behind. */
	ASSERT_EQ(-EINVAL, vision_module_load("cores=9"));
	ASSERT_EQ(-EINVAL, vision_module_load("cores=-1"));
	ASSERT_EQ(-ENODEV, cores());

	ASSERT_EQ(0, vision_module_load(""));
	ASSERT_LT(0, cores());
}

TEST_HARNESS_MAIN
