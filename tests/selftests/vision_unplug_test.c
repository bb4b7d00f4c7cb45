// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Hot unplug: unbinding the driver from its platform device while a file
 * is open and jobs are in flight. The open file's ioctls fail with
 * -ENODEV, its mappings stay valid, nothing is freed under it, the jobs
 * end, and a rebind brings a working device back. Needs root and
 * $VISION_KO (the module is reloaded with a short job timeout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model_builder.h"
#include "test_models.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define DRIVER_DIR "/sys/bus/platform/drivers/" VISION_PLATFORM_NAME
#define SEC 1000000000ll

static int sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* A model, its input and output BOs, and a job that uses them. */
struct setup {
	struct tm_model tm;
	struct drm_vision_model_info info;
	uint32_t in, out;
	struct drm_vision_job job;
};

static int make_setup(int fd, struct setup *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = tm_classifier_default(&s->tm);
	if (!ret)
		ret = vision_model_create(fd, s->tm.blob, s->tm.size, &s->info);
	if (!ret)
		ret = vision_bo_create(fd, s->info.input_size, 0, &s->in, NULL);
	if (!ret)
		ret = vision_bo_create(fd, s->info.output_size, 0, &s->out,
				       NULL);
	s->job.model_handle = s->info.handle;
	s->job.in_handle = s->in;
	s->job.out_handle = s->out;
	return ret;
}

FIXTURE(unplug)
{
	int fd;
};

FIXTURE_SETUP(unplug)
{
	self->fd = -1;
	if (geteuid() != 0 || !getenv("VISION_KO"))
		SKIP(return, "needs root and VISION_KO");
	if (access(DRIVER_DIR "/unbind", W_OK))
		SKIP(return, "no %s", DRIVER_DIR "/unbind");
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load("job_timeout_ms=300"));
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
}

/* Rebind if a test left the device unbound; default parameters again. */
FIXTURE_TEARDOWN(unplug)
{
	char path[256];

	if (self->fd >= 0)
		close(self->fd);
	if (vision_find_node(path, sizeof(path)))
		sysfs_write(DRIVER_DIR "/bind", VISION_PLATFORM_NAME);
	for (int i = 0; i < 100 && vision_module_unload(); i++)
		usleep(100000);
	vision_module_load("");
}

TEST_F(unplug, ioctls_fail_after_unbind)
{
	struct setup s;
	uint64_t v;
	uint32_t h;

	ASSERT_EQ(0, make_setup(self->fd, &s));
	ASSERT_EQ(0, sysfs_write(DRIVER_DIR "/unbind", VISION_PLATFORM_NAME));

	EXPECT_EQ(-ENODEV, vision_get_param(self->fd,
					    DRM_VISION_PARAM_NUM_CORES, 0, &v));
	EXPECT_EQ(-ENODEV, vision_bo_create(self->fd, 4096, 0, &h, NULL));
	EXPECT_EQ(-ENODEV, vision_submit(self->fd, &s.job, 1, 0));
	EXPECT_EQ(-ENODEV, vision_bo_wait(self->fd, s.out, SEC, NULL));
	free(s.tm.blob);
}

TEST_F(unplug, mapping_survives_unbind)
{
	struct setup s;
	uint8_t *p;

	ASSERT_EQ(0, make_setup(self->fd, &s));
	p = vision_bo_mmap(self->fd, s.in, NULL);
	ASSERT_NE(NULL, p);
	memset(p, 0x5a, s.info.input_size);
	ASSERT_EQ(0, sysfs_write(DRIVER_DIR "/unbind", VISION_PLATFORM_NAME));
	/* The pages belong to the BO, which the open file still holds. */
	for (uint64_t i = 0; i < s.info.input_size; i++)
		ASSERT_EQ(0x5a, p[i]);
	p[0] = 1;
	munmap(p, s.info.input_size);
	free(s.tm.blob);
}

TEST_F(unplug, jobs_in_flight_end_and_rebind_works)
{
	uint8_t *in, *out, *ref;
	struct setup s;
	int32_t st;

	ASSERT_EQ(0, make_setup(self->fd, &s));
	/* One hung job (ended by the timeout) and normal ones behind it. */
	ASSERT_EQ(0, vision_debugfs_write(self->fd, "fault", "hang 1"));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, vision_submit(self->fd, &s.job, 1, 0));
	ASSERT_EQ(0, sysfs_write(DRIVER_DIR "/unbind", VISION_PLATFORM_NAME));
	/* The last reference: teardown waits for the jobs, then frees. */
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, sysfs_write(DRIVER_DIR "/bind", VISION_PLATFORM_NAME));
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	free(s.tm.blob);

	/* The new device computes what the CPU engine computes. */
	ASSERT_EQ(0, make_setup(self->fd, &s));
	in = vision_bo_mmap(self->fd, s.in, NULL);
	out = vision_bo_mmap(self->fd, s.out, NULL);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	for (uint64_t i = 0; i < s.info.input_size; i++)
		in[i] = (uint8_t)(i * 13 + 5);
	ASSERT_EQ(0, vision_submit(self->fd, &s.job, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->fd, s.out, 10 * SEC, &st));
	ASSERT_EQ(0, st);
	ref = malloc(s.info.output_size);
	ASSERT_EQ(0, vision_ref_tensor(s.tm.blob, s.tm.size, in, ref,
				       s.info.output_size));
	ASSERT_EQ(0, memcmp(ref, out, s.info.output_size));
	free(ref);
	free(s.tm.blob);
}

TEST_HARNESS_MAIN
