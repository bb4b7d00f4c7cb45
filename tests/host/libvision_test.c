// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision: version, errors, device open. Runs on the host, where the
 * device tests skip for lack of a device, and inside the test VM, where
 * they check the library against the real driver.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vision/vision.h>

#include "kselftest_harness.h"

TEST(version_numbers)
{
	char want[32];

	ASSERT_EQ(VISION_VERSION_NUMBER, vision_version_number());
	snprintf(want, sizeof(want), "%d.%d.%d", VISION_VERSION_MAJOR,
		 VISION_VERSION_MINOR, VISION_VERSION_PATCH);
	ASSERT_STREQ(want, vision_version_string());
	ASSERT_EQ(VISION_VERSION_MAJOR * 10000 + VISION_VERSION_MINOR * 100 +
			  VISION_VERSION_PATCH,
		  VISION_VERSION_NUMBER);
}

TEST(error_strings)
{
	ASSERT_STREQ("Success", vision_strerror(0));
	/* Negative and positive codes name the same error. */
	ASSERT_STREQ(vision_strerror(-EINVAL), vision_strerror(EINVAL));
	ASSERT_STREQ("Invalid argument", vision_strerror(-EINVAL));
	ASSERT_NE(NULL, strstr(vision_strerror(-ENODEV), "vision device"));
	ASSERT_STREQ("Unknown error", vision_strerror(-100000));
	ASSERT_STREQ("Unknown error", vision_strerror(-2147483647));
}

TEST(param_names)
{
	ASSERT_STREQ("device_id", vision_param_name(VISION_PARAM_DEVICE_ID));
	ASSERT_STREQ("api_version",
		     vision_param_name(VISION_PARAM_API_VERSION));
	ASSERT_STREQ("num_cores", vision_param_name(VISION_PARAM_NUM_CORES));
	ASSERT_EQ(NULL, vision_param_name(VISION_PARAM_COUNT));
	ASSERT_EQ(NULL, vision_param_name((enum vision_param) - 1));
}

TEST(open_bad_paths)
{
	struct vision_device *dev = (void *)1;
	char longpath[8192];
	char tmpl[] = "/tmp/vision-test-XXXXXX";
	int fd;

	ASSERT_EQ(-EINVAL, vision_device_open("/dev/null", NULL));

	ASSERT_EQ(-ENOENT, vision_device_open("/nonexistent/accel0", &dev));
	ASSERT_EQ(NULL, dev);

	/* A char device that is not DRM. */
	ASSERT_EQ(-ENODEV, vision_device_open("/dev/null", &dev));
	ASSERT_EQ(NULL, dev);

	/* A regular file. */
	fd = mkstemp(tmpl);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "junk", 4));
	close(fd);
	EXPECT_EQ(-ENODEV, vision_device_open(tmpl, &dev));
	unlink(tmpl);

	/* A directory. */
	ASSERT_EQ(-EISDIR, vision_device_open("/tmp", &dev));

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ASSERT_EQ(-ENAMETOOLONG, vision_device_open(longpath, &dev));

	vision_device_close(NULL);
}

TEST(get_param_bad_args)
{
	uint64_t v;

	ASSERT_EQ(-EINVAL,
		  vision_device_get_param(NULL, VISION_PARAM_DEVICE_ID, &v));
}

FIXTURE(device)
{
	struct vision_device *dev;
};

FIXTURE_SETUP(device)
{
	int ret = vision_device_open(NULL, &self->dev);

	if (ret == -ENODEV)
		SKIP(return, "no vision device");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(device)
{
	vision_device_close(self->dev);
}

TEST_F(device, params)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t v;

	ASSERT_EQ(0, vision_device_get_param(self->dev, VISION_PARAM_DEVICE_ID,
					     &v));
	ASSERT_EQ(0x7601, v);
	ASSERT_EQ(0, vision_device_get_param(self->dev,
					     VISION_PARAM_API_VERSION, &v));
	ASSERT_EQ(1, v >> 16);
	ASSERT_EQ(0, vision_device_get_param(self->dev, VISION_PARAM_NUM_CORES,
					     &v));
	ASSERT_EQ(online < 8 ? online : 8, (long)v);

	ASSERT_EQ(-EINVAL,
		  vision_device_get_param(self->dev, VISION_PARAM_COUNT, &v));
	ASSERT_EQ(-EINVAL, vision_device_get_param(
				   self->dev, VISION_PARAM_NUM_CORES, NULL));
}

TEST_F(device, reopen_by_path)
{
	struct vision_device *again;
	struct stat a, b;

	ASSERT_EQ(0, vision_device_open(vision_device_path(self->dev), &again));
	ASSERT_STREQ(vision_device_path(self->dev), vision_device_path(again));
	ASSERT_EQ(0, fstat(vision_device_fd(self->dev), &a));
	ASSERT_EQ(0, fstat(vision_device_fd(again), &b));
	ASSERT_EQ(a.st_rdev, b.st_rdev);
	vision_device_close(again);
}

TEST_HARNESS_MAIN
