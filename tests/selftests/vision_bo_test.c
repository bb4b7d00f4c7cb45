// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Buffer objects: DRM_IOCTL_VISION_BO_CREATE, BO_INFO, BO_WAIT, mmap,
 * GEM_CLOSE, handles across files and processes, the per-file memory
 * statistics in fdinfo and the device state in debugfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define PAGE 4096ull
#define MAX_BO (1ull << 30)

static int bo_create_raw(int fd, struct drm_vision_bo_create *args)
{
	if (ioctl(fd, DRM_IOCTL_VISION_BO_CREATE, args))
		return -errno;
	return 0;
}

static int bo_create_size(int fd, uint64_t size, uint32_t flags)
{
	struct drm_vision_bo_create args = { .size = size, .flags = flags };

	return bo_create_raw(fd, &args);
}

static int bo_info_raw(int fd, struct drm_vision_bo_info *args)
{
	if (ioctl(fd, DRM_IOCTL_VISION_BO_INFO, args))
		return -errno;
	return 0;
}

static int bo_wait_raw(int fd, struct drm_vision_bo_wait *args)
{
	if (ioctl(fd, DRM_IOCTL_VISION_BO_WAIT, args))
		return -errno;
	return 0;
}

/* True if @len bytes at @p are all @byte. */
static int all_bytes(const void *p, size_t len, uint8_t byte)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != byte)
			return 0;
	return 1;
}

FIXTURE(bo)
{
	int fd;
};

FIXTURE_SETUP(bo)
{
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bo)
{
	close(self->fd);
}

/* A new BO has a handle and an mmap offset and the page-rounded size. */
TEST_F(bo, create_basic)
{
	struct drm_vision_bo_create c = { .size = 3 * PAGE + 1 };
	struct drm_vision_bo_info info;

	ASSERT_EQ(0, bo_create_raw(self->fd, &c));
	ASSERT_NE(0, c.handle);
	ASSERT_NE(0, c.mmap_offset);
	ASSERT_EQ(0, c.mmap_offset % PAGE);
	/* In-only members are left as they were. */
	ASSERT_EQ(3 * PAGE + 1, c.size);
	ASSERT_EQ(0, c.flags);
	ASSERT_EQ(0, c.pad);

	ASSERT_EQ(0, vision_bo_info(self->fd, c.handle, &info));
	ASSERT_EQ(c.handle, info.handle);
	ASSERT_EQ(4 * PAGE, info.size);
	ASSERT_EQ(0, info.flags);
	ASSERT_EQ(c.mmap_offset, info.mmap_offset);
	ASSERT_EQ(0, info.pad);
}

TEST_F(bo, create_rounding)
{
	static const uint64_t sizes[][2] = {
		{ 1, PAGE },
		{ PAGE - 1, PAGE },
		{ PAGE, PAGE },
		{ PAGE + 1, 2 * PAGE },
		{ (1 << 20) + 1, (1 << 20) + PAGE },
		{ MAX_BO - 1, MAX_BO },
	};
	uint32_t handles[6];

	for (int i = 0; i < 6; i++) {
		struct drm_vision_bo_info info;

		ASSERT_EQ(0, vision_bo_create(self->fd, sizes[i][0], 0,
					      &handles[i], NULL));
		ASSERT_EQ(0, vision_bo_info(self->fd, handles[i], &info));
		EXPECT_EQ(sizes[i][1], info.size)
		TH_LOG("size %" PRIu64, sizes[i][0]);
		/* Handles of one file are distinct. */
		for (int j = 0; j < i; j++)
			ASSERT_NE(handles[j], handles[i]);
	}
}

TEST_F(bo, create_size_zero)
{
	ASSERT_EQ(-EINVAL, bo_create_size(self->fd, 0, 0));
	ASSERT_EQ(-EINVAL, bo_create_size(self->fd, 0, DRM_VISION_BO_WC));
}

/* The limit is exact and sizes near 2^64 do not wrap when rounded. */
TEST_F(bo, create_too_big)
{
	static const uint64_t sizes[] = {
		MAX_BO + 1,	MAX_BO + PAGE,	   2 * MAX_BO,
		1ull << 63,	UINT64_MAX - PAGE, UINT64_MAX - PAGE + 2,
		UINT64_MAX - 1, UINT64_MAX,
	};
	uint64_t max;
	uint32_t h;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MAX_BO_SIZE, 0,
				      &max));
	ASSERT_EQ(MAX_BO, max);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-E2BIG, bo_create_size(self->fd, sizes[i], 0))
		TH_LOG("size %#" PRIx64, sizes[i]);
	}

	/* Exactly the maximum is fine: shmem pages come on first use. */
	ASSERT_EQ(0, vision_bo_create(self->fd, MAX_BO, 0, &h, NULL));
	ASSERT_EQ(0, vision_gem_close(self->fd, h));
}

/* A BO of the largest size maps whole; its last page works like the first. */
TEST_F(bo, max_size_mappable)
{
	uint64_t size;
	uint8_t *p;
	uint32_t h;

	ASSERT_EQ(0, vision_bo_create(self->fd, MAX_BO, 0, &h, NULL));
	p = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(MAX_BO, size);
	ASSERT_EQ(0, p[0]);
	ASSERT_EQ(0, p[size - 1]);
	p[0] = 0x11;
	p[size / 2] = 0x22;
	p[size - 1] = 0x33;
	ASSERT_EQ(0, munmap(p, size));
	p = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0x11, p[0]);
	ASSERT_EQ(0x22, p[size / 2]);
	ASSERT_EQ(0x33, p[size - 1]);
	ASSERT_EQ(0, p[size - 2]);
	munmap(p, size);
}

TEST_F(bo, create_bad_flags)
{
	static const uint32_t flags[] = {
		1u << 1,
		1u << 30,
		DRM_VISION_BO_IMPORTED,
		DRM_VISION_BO_IMPORTED | DRM_VISION_BO_WC,
		DRM_VISION_BO_WC | (1u << 5),
		UINT32_MAX,
	};
	struct drm_vision_bo_create c;

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		memset(&c, 0, sizeof(c));
		c.size = PAGE;
		c.flags = flags[i];
		EXPECT_EQ(-EINVAL, bo_create_raw(self->fd, &c))
		TH_LOG("flags %#x", flags[i]);
		/* Nothing was created. */
		EXPECT_EQ(0, c.handle);
	}
}

TEST_F(bo, create_pad)
{
	struct drm_vision_bo_create c = { .size = PAGE, .pad = 1 };

	ASSERT_EQ(-EINVAL, bo_create_raw(self->fd, &c));
	c.pad = 1ull << 63;
	ASSERT_EQ(-EINVAL, bo_create_raw(self->fd, &c));
	c.pad = 0;
	ASSERT_EQ(0, bo_create_raw(self->fd, &c));
}

/* WC is accepted, reported back, and the mapping works as usual. */
TEST_F(bo, create_wc)
{
	struct drm_vision_bo_info info;
	uint64_t size;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, vision_bo_create(self->fd, 8 * PAGE, DRM_VISION_BO_WC, &h,
				      NULL));
	ASSERT_EQ(0, vision_bo_info(self->fd, h, &info));
	ASSERT_EQ(DRM_VISION_BO_WC, info.flags);
	ASSERT_EQ(8 * PAGE, info.size);

	p = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, p);
	ASSERT_TRUE(all_bytes(p, size, 0));
	vision_fill_pattern(p, size, 0x1234);
	ASSERT_EQ(0, munmap(p, size));
	p = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, p);
	ASSERT_TRUE(vision_check_pattern(p, size, 0x1234));
	munmap(p, size);
}

/* A NULL or unmapped argument pointer faults cleanly. */
TEST_F(bo, bad_arg_pointer)
{
	static const unsigned long cmds[] = {
		DRM_IOCTL_VISION_BO_CREATE,
		DRM_IOCTL_VISION_BO_INFO,
		DRM_IOCTL_VISION_BO_WAIT,
	};
	void *bad = (void *)16;

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], NULL));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], bad));
		EXPECT_EQ(EFAULT, errno);
	}
}

TEST_F(bo, info_bad)
{
	struct drm_vision_bo_info info;
	uint32_t h;

	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, 0, &info));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, 1, &info));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, 12345, &info));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, UINT32_MAX, &info));

	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &h, NULL));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, h + 1, &info));
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.pad = 1;
	ASSERT_EQ(-EINVAL, bo_info_raw(self->fd, &info));
	info.pad = 1ull << 63;
	ASSERT_EQ(-EINVAL, bo_info_raw(self->fd, &info));
	/* Out members carry nothing in: garbage there is overwritten. */
	memset(&info, 0xa5, sizeof(info));
	info.handle = h;
	info.pad = 0;
	ASSERT_EQ(0, bo_info_raw(self->fd, &info));
	ASSERT_EQ(PAGE, info.size);
	ASSERT_EQ(0, info.flags);
}

/* Data written through one mapping is seen through another. */
TEST_F(bo, mmap_round_trip)
{
	const uint64_t len = 64 * 1024 + PAGE;
	uint64_t off, size;
	uint8_t *p, *q;
	uint32_t h;

	ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, &off));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(all_bytes(p, len, 0));
	vision_fill_pattern(p, len, 0xdeadbeef);

	/* A second mapping of the same BO. */
	q = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(len, size);
	ASSERT_TRUE(vision_check_pattern(q, len, 0xdeadbeef));
	q[len - 1] = 0x42;
	ASSERT_EQ(0x42, p[len - 1]);
	munmap(q, len);
	munmap(p, len);

	/* And after both are gone. */
	q = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0x42, q[len - 1]);
	ASSERT_TRUE(vision_check_pattern(q, len - 4, 0xdeadbeef));
	munmap(q, len);
}

/* Freed pages never show up in a new BO: every BO starts zeroed. */
TEST_F(bo, zeroed_on_create)
{
	const uint64_t len = 256 * 1024;

	for (int round = 0; round < 8; round++) {
		uint64_t size;
		uint32_t h;
		void *p;

		ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, NULL));
		p = vision_bo_mmap(self->fd, h, &size);
		ASSERT_NE(NULL, p);
		ASSERT_TRUE(all_bytes(p, size, 0))
		TH_LOG("round %d: new BO not zeroed", round);
		memset(p, 0xff, size);
		munmap(p, size);
		ASSERT_EQ(0, vision_gem_close(self->fd, h));
	}
}

/* Only the exact offset of a BO maps, and only up to its size. */
TEST_F(bo, mmap_bad)
{
	const size_t len = 4 * PAGE;
	uint64_t off;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, &off));

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 off + PAGE);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 off + 64 * PAGE);
	ASSERT_EQ(MAP_FAILED, p);
	/* Beyond the end of the BO. */
	p = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 off);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 1024 * PAGE, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_EQ(MAP_FAILED, p);

	/* A shorter mapping from the start is fine. */
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, PAGE);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, len);
}

/* A mapping keeps the BO alive after its handle is closed. */
TEST_F(bo, mmap_outlives_handle)
{
	struct drm_vision_bo_info info;
	const size_t len = 16 * PAGE;
	uint64_t off;
	uint32_t h;
	uint8_t *p;

	ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, &off));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	vision_fill_pattern(p, len, 77);
	ASSERT_EQ(0, vision_gem_close(self->fd, h));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, h, &info));

	ASSERT_TRUE(vision_check_pattern(p, len, 77));
	memset(p, 0x11, len);
	ASSERT_TRUE(all_bytes(p, len, 0x11));
	/* The handle is gone, so the offset no longer maps in this file. */
	ASSERT_EQ(MAP_FAILED,
		  mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, off));
	ASSERT_EQ(0, munmap(p, len));
}

TEST_F(bo, gem_close)
{
	struct drm_vision_bo_info info;
	uint32_t a, b;

	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &a, NULL));
	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &b, NULL));
	ASSERT_EQ(0, vision_gem_close(self->fd, a));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, a, &info));
	/* The other one is unaffected. */
	ASSERT_EQ(0, vision_bo_info(self->fd, b, &info));
	/* Closing twice or closing nothing fails. */
	ASSERT_EQ(-EINVAL, vision_gem_close(self->fd, a));
	ASSERT_EQ(-EINVAL, vision_gem_close(self->fd, 0));
	ASSERT_EQ(-EINVAL, vision_gem_close(self->fd, 9999));
	ASSERT_EQ(0, vision_gem_close(self->fd, b));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, b, &info));
}

/* An idle BO waits for nothing, whatever the timeout. */
TEST_F(bo, wait_idle)
{
	static const int64_t timeouts[] = { 0, -1, INT64_MIN, INT64_MAX };
	struct drm_vision_bo_wait w;
	int32_t status = 12345;
	int64_t t0;
	uint32_t h;

	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &h, NULL));
	ASSERT_EQ(0, vision_bo_wait(self->fd, h, 1000000000, &status));
	ASSERT_EQ(0, status);
	/* Past deadline: polls, and the BO is idle. */
	status = 12345;
	ASSERT_EQ(0, vision_bo_wait(self->fd, h, -1000000000, &status));
	ASSERT_EQ(0, status);

	for (size_t i = 0; i < ARRAY_SIZE(timeouts); i++) {
		memset(&w, 0, sizeof(w));
		w.handle = h;
		w.timeout_ns = timeouts[i];
		w.job_status = -1;
		t0 = vision_now_ns();
		EXPECT_EQ(0, bo_wait_raw(self->fd, &w))
		TH_LOG("timeout %" PRId64, timeouts[i]);
		EXPECT_EQ(0, w.job_status);
		/* Returned at once, even with an infinite deadline. */
		EXPECT_GT(1000000000, vision_now_ns() - t0);
	}
}

TEST_F(bo, wait_bad)
{
	struct drm_vision_bo_wait w;
	uint32_t h;

	ASSERT_EQ(-ENOENT, vision_bo_wait(self->fd, 0, 0, NULL));
	ASSERT_EQ(-ENOENT, vision_bo_wait(self->fd, 4242, 0, NULL));

	ASSERT_EQ(0, vision_bo_create(self->fd, PAGE, 0, &h, NULL));
	memset(&w, 0, sizeof(w));
	w.handle = h;
	w.pad = 1;
	ASSERT_EQ(-EINVAL, bo_wait_raw(self->fd, &w));
	w.pad = 0;
	w.pad2 = 1;
	ASSERT_EQ(-EINVAL, bo_wait_raw(self->fd, &w));
	w.pad2 = 0x80000000u;
	ASSERT_EQ(-EINVAL, bo_wait_raw(self->fd, &w));
	w.pad2 = 0;
	/* job_status is out only: garbage in is fine. */
	w.job_status = 0x5a5a5a5a;
	ASSERT_EQ(0, bo_wait_raw(self->fd, &w));
	ASSERT_EQ(0, w.job_status);
}

/* Many BOs at once, then all closed: distinct handles and offsets. */
TEST_F(bo, many)
{
	const int n = 1000;
	uint32_t *h = calloc(n, sizeof(*h));
	uint64_t *off = calloc(n, sizeof(*off));
	struct drm_vision_bo_info info;

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, off);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(0, vision_bo_create(self->fd, PAGE * (1 + i % 3), 0,
					      &h[i], &off[i]));
		for (int j = 0; j < i; j++) {
			ASSERT_NE(h[j], h[i]);
			ASSERT_NE(off[j], off[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(0, vision_bo_info(self->fd, h[i], &info));
		ASSERT_EQ(PAGE * (1 + i % 3), info.size);
		ASSERT_EQ(off[i], info.mmap_offset);
	}
	for (int i = 0; i < n; i += 2)
		ASSERT_EQ(0, vision_gem_close(self->fd, h[i]));
	for (int i = 0; i < n; i++)
		ASSERT_EQ(i % 2 ? 0 : -ENOENT,
			  vision_bo_info(self->fd, h[i], &info));
	for (int i = 1; i < n; i += 2)
		ASSERT_EQ(0, vision_gem_close(self->fd, h[i]));
	for (int i = 0; i < n; i++)
		ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, h[i], &info));
	free(off);
	free(h);
}

/* Handles belong to the file: another open of the device cannot use them. */
TEST_F(bo, other_file)
{
	struct drm_vision_bo_info info;
	int32_t status;
	uint64_t off;
	uint32_t h, h2;
	void *p;
	int fd2;

	ASSERT_EQ(0, vision_bo_create(self->fd, 2 * PAGE, 0, &h, &off));
	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(-ENOENT, vision_bo_info(fd2, h, &info));
	ASSERT_EQ(-ENOENT, vision_bo_wait(fd2, h, 0, &status));
	ASSERT_EQ(-EINVAL, vision_gem_close(fd2, h));
	/* The mmap offset is not this file's either. */
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd2, off);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EACCES, errno);

	/* fd2's own first BO has its own handle space and offset. */
	ASSERT_EQ(0, vision_bo_create(fd2, PAGE, 0, &h2, NULL));
	ASSERT_EQ(0, vision_bo_info(fd2, h2, &info));
	ASSERT_EQ(PAGE, info.size);
	ASSERT_NE(off, info.mmap_offset);
	/* The first file's BO is untouched. */
	ASSERT_EQ(0, vision_bo_info(self->fd, h, &info));
	ASSERT_EQ(2 * PAGE, info.size);
	close(fd2);
	ASSERT_EQ(0, vision_bo_info(self->fd, h, &info));
}

/* A forked child shares the file: the parent's handles and mappings work. */
TEST_F(bo, fork_shares_file)
{
	const size_t len = 8 * PAGE;
	struct drm_vision_bo_info info;
	uint32_t h, hc = 0;
	int pipefd[2], status;
	uint8_t *p;
	pid_t pid;

	ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, NULL));
	p = vision_bo_mmap(self->fd, h, NULL);
	ASSERT_NE(NULL, p);
	vision_fill_pattern(p, len, 1);
	ASSERT_EQ(0, pipe(pipefd));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t *q;

		/* The inherited mapping and a fresh one both see the data. */
		if (!vision_check_pattern(p, len, 1))
			_exit(1);
		if (vision_bo_info(self->fd, h, &info) || info.size != len)
			_exit(2);
		q = vision_bo_mmap(self->fd, h, NULL);
		if (!q || !vision_check_pattern(q, len, 1))
			_exit(3);
		vision_fill_pattern(q, len, 2);
		/* A BO the child creates lands in the same file. */
		if (vision_bo_create(self->fd, PAGE, 0, &hc, NULL))
			_exit(4);
		if (write(pipefd[1], &hc, sizeof(hc)) != sizeof(hc))
			_exit(5);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(vision_check_pattern(p, len, 2));
	ASSERT_EQ(sizeof(hc), read(pipefd[0], &hc, sizeof(hc)));
	ASSERT_NE(h, hc);
	ASSERT_EQ(0, vision_bo_info(self->fd, hc, &info));
	ASSERT_EQ(PAGE, info.size);
	close(pipefd[0]);
	munmap(p, len);
}

/* Two processes with their own opens cannot reach each other's BOs. */
TEST(processes_isolated)
{
	struct drm_vision_bo_info info;
	struct {
		uint32_t handle;
		uint64_t off;
	} msg;
	int tochild[2], toparent[2], status, fd;
	uint32_t mine;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(tochild));
	ASSERT_EQ(0, pipe(toparent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = vision_open();

		if (cfd < 0)
			_exit(1);
		if (vision_bo_create(cfd, 4 * PAGE, 0, &msg.handle, &msg.off))
			_exit(2);
		if (write(toparent[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(3);
		/* Keep the BO alive until the parent has tried. */
		if (read(tochild[0], &c, 1) != 1)
			_exit(4);
		if (vision_bo_info(cfd, msg.handle, &info))
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(sizeof(msg), read(toparent[0], &msg, sizeof(msg)));
	fd = vision_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, vision_bo_info(fd, msg.handle, &info));
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, fd, msg.off));
	/* Our own BO, probably with the same handle number, is ours. */
	ASSERT_EQ(0, vision_bo_create(fd, PAGE, 0, &mine, NULL));
	ASSERT_EQ(0, vision_bo_info(fd, mine, &info));
	EXPECT_EQ(PAGE, info.size);
	ASSERT_EQ(1, write(tochild[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(fd);
}

/* ---- fdinfo --------------------------------------------------------- */

static int read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

/* The value of "key:\t..." in @text, or NULL. */
static const char *fdinfo_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *l = text;

	while (l && *l) {
		if (!strncmp(l, key, klen) && l[klen] == ':')
			return l + klen + 1 + strspn(l + klen + 1, " \t");
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return NULL;
}

/*
 * Largest memory figure in the fdinfo text, in bytes: "drm-total-memory"
 * and friends from the DRM core (6.5+), or the driver's own
 * "drm-memory-<region>" lines on older kernels. -1 if there is none.
 */
static int64_t fdinfo_memory(const char *text)
{
	int64_t best = -1;
	const char *l = text;

	while (l && *l) {
		const char *colon = strchr(l, ':');
		const char *nl = strchr(l, '\n');

		if (colon && (!nl || colon < nl) &&
		    (!strncmp(l, "drm-memory-", 11) ||
		     (!strncmp(l, "drm-", 4) && colon - l > 7 &&
		      !strncmp(colon - 7, "-memory", 7)))) {
			char unit[8] = "";
			unsigned long long v;
			int64_t bytes;

			if (sscanf(colon + 1, " %llu %7s", &v, unit) >= 1) {
				bytes = (int64_t)v;
				if (!strcmp(unit, "KiB"))
					bytes <<= 10;
				else if (!strcmp(unit, "MiB"))
					bytes <<= 20;
				else if (!strcmp(unit, "GiB"))
					bytes <<= 30;
				if (bytes > best)
					best = bytes;
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return best;
}

TEST_F(bo, fdinfo_identity)
{
	char text[4096], text2[4096];
	const char *v, *v2, *e;
	int fd2;

	ASSERT_LT(0, read_fdinfo(self->fd, text, sizeof(text)));
	v = fdinfo_value(text, "drm-driver");
	ASSERT_NE(NULL, v)
	TH_LOG("fdinfo:\n%s", text);
	ASSERT_EQ(0, strncmp(v, "vision\n", 7));
	ASSERT_NE(NULL, strstr(text, "drm-driver:\tvision\n"));
	v = fdinfo_value(text, "drm-client-id");
	ASSERT_NE(NULL, v);
	ASSERT_TRUE(*v >= '0' && *v <= '9');
	/* No job ran on this file: no engine time yet. */
	e = fdinfo_value(text, "drm-engine-npu");
	ASSERT_NE(NULL, e)
	TH_LOG("fdinfo:\n%s", text);
	ASSERT_EQ(0, strncmp(e, "0 ns\n", 5));

	/* Another open is another client. */
	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, read_fdinfo(fd2, text2, sizeof(text2)));
	v2 = fdinfo_value(text2, "drm-client-id");
	ASSERT_NE(NULL, v2);
	ASSERT_NE(strtoull(v, NULL, 10), strtoull(v2, NULL, 10));
	/* A dup of the same file is the same client. */
	close(fd2);
	fd2 = dup(self->fd);
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, read_fdinfo(fd2, text2, sizeof(text2)));
	v2 = fdinfo_value(text2, "drm-client-id");
	ASSERT_NE(NULL, v2);
	ASSERT_EQ(strtoull(v, NULL, 10), strtoull(v2, NULL, 10));
	close(fd2);
}

/* The per-file memory figure grows by at least a 4 MiB BO and shrinks back. */
TEST_F(bo, fdinfo_memory)
{
	const uint64_t len = 4 << 20;
	char text[4096];
	int64_t before, during, after;
	uint64_t size;
	uint8_t *p;
	uint32_t h;

	ASSERT_LT(0, read_fdinfo(self->fd, text, sizeof(text)));
	before = fdinfo_memory(text);
	ASSERT_LE(0, before)
	TH_LOG("no drm-*-memory or drm-memory-* line in:\n%s", text);

	ASSERT_EQ(0, vision_bo_create(self->fd, len, 0, &h, NULL));
	p = vision_bo_mmap(self->fd, h, &size);
	ASSERT_NE(NULL, p);
	/* Touch every page so it counts as resident too. */
	for (uint64_t i = 0; i < size; i += PAGE)
		p[i] = 1;
	ASSERT_LT(0, read_fdinfo(self->fd, text, sizeof(text)));
	during = fdinfo_memory(text);
	ASSERT_LE(before + (int64_t)len, during)
	TH_LOG("before %" PRId64 " during %" PRId64 ":\n%s", before, during,
	       text);

	munmap(p, size);
	ASSERT_EQ(0, vision_gem_close(self->fd, h));
	ASSERT_LT(0, read_fdinfo(self->fd, text, sizeof(text)));
	after = fdinfo_memory(text);
	ASSERT_GT(during - (int64_t)len + 1, after)
	TH_LOG("after %" PRId64 ":\n%s", after, text);
}

/* ---- debugfs -------------------------------------------------------- */

/* Number of "core N:" lines in debugfs state, numbered 0, 1, ...; or -1. */
static int state_cores(int fd)
{
	char text[8192];
	const char *l;
	unsigned int idx;
	int n = 0;

	if (vision_debugfs_read(fd, "state", text, sizeof(text)) < 0)
		return -1;
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "core ", 5))
			continue;
		if (sscanf(l, "core %u:", &idx) != 1 || idx != (unsigned int)n)
			return -1;
		n++;
	}
	return n;
}

/* debugfs "state" has one "core N: ..." line per core, in order. */
TEST_F(bo, debugfs_state_cores)
{
	static const char *const keys[] = { " jobs=",	  " failed=",
					    " timeouts=", " resets=",
					    " queued=",	  " busy_ns=" };
	char *text = malloc(1 << 16), *l, *nl;
	unsigned int idx, n = 0;
	uint64_t cores;

	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_NUM_CORES, 0,
				      &cores));
	ASSERT_LT(0, vision_debugfs_read(self->fd, "state", text, 1 << 16));
	for (l = text; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		ASSERT_NE(NULL, nl);
		*nl = 0;
		if (strncmp(l, "core ", 5)) {
			*nl = '\n';
			continue;
		}
		ASSERT_EQ(1, sscanf(l, "core %u:", &idx))
		TH_LOG("bad line in state: %s", l);
		ASSERT_EQ(n, idx);
		/* Every counter the contract lists is on the line. */
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			ASSERT_NE(NULL, strstr(l, keys[k]))
			TH_LOG("core %u: no%s", idx, keys[k]);
		}
		*nl = '\n';
		n++;
	}
	ASSERT_EQ(cores, n)
	TH_LOG("state:\n%s", text);
	ASSERT_EQ(cores, state_cores(self->fd));
	ASSERT_NE(NULL, strstr(text, "\nmodels:"));
	ASSERT_NE(NULL, strstr(text, "\nlast errors:"));
	free(text);
}

/* Concurrent creates and closes on one file never hand out a handle twice. */
struct thread_arg {
	int fd;
	int failed;
	uint32_t handles[200];
};

static void *create_close_thread(void *p)
{
	struct thread_arg *a = p;
	struct drm_vision_bo_info info;

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 200; i++)
			if (vision_bo_create(a->fd, PAGE * (1 + i % 4), 0,
					     &a->handles[i], NULL))
				a->failed++;
		for (int i = 0; i < 200; i++) {
			if (vision_bo_info(a->fd, a->handles[i], &info) ||
			    info.size != PAGE * (1 + i % 4))
				a->failed++;
			if (round < 4 && vision_gem_close(a->fd, a->handles[i]))
				a->failed++;
		}
	}
	return NULL;
}

TEST_F(bo, threads)
{
	struct thread_arg args[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].fd = self->fd;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, create_close_thread,
					    &args[i]));
	}
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, args[i].failed);
	}
	/* The BOs of the last round are all distinct and alive. */
	for (int i = 0; i < 4 * 200; i++)
		for (int j = 0; j < i; j++)
			ASSERT_NE(args[i / 200].handles[i % 200],
				  args[j / 200].handles[j % 200]);
}

/* ---- module lifetime --------------------------------------------------- */

/* Tests that unload and reload the module; the default load is restored. */
FIXTURE(lifecycle)
{
	int unused;
};

FIXTURE_SETUP(lifecycle)
{
	if (geteuid() != 0 || !getenv("VISION_KO"))
		SKIP(return, "needs root and VISION_KO");
}

/*
 * In the parent, once the test's process (and so every fd and mapping it
 * had) is gone: the module can always be reloaded with defaults then.
 */
FIXTURE_TEARDOWN_PARENT(lifecycle)
{
	vision_module_unload();
	vision_module_load("");
}

/* An exported dma-buf pins the module and the BO after its file closed. */
TEST_F(lifecycle, dmabuf_pins_module)
{
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_vision_bo_info info;
	int fd = vision_open(), fd2;
	uint8_t *m;
	uint32_t h;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vision_bo_create(fd, 8 * PAGE, 0, &h, NULL));
	m = vision_bo_mmap(fd, h, NULL);
	ASSERT_NE(NULL, m);
	vision_fill_pattern(m, 8 * PAGE, 31337);
	munmap(m, 8 * PAGE);
	p.handle = h;
	ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
	close(fd);

	ASSERT_EQ(-EWOULDBLOCK, vision_module_unload());
	/* The BO is whole: a new file imports it with its data. */
	fd2 = vision_open();
	ASSERT_LE(0, fd2);
	p.handle = 0;
	ASSERT_EQ(0, ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
	ASSERT_EQ(0, vision_bo_info(fd2, p.handle, &info));
	ASSERT_EQ(8 * PAGE, info.size);
	m = vision_bo_mmap(fd2, p.handle, NULL);
	ASSERT_NE(NULL, m);
	ASSERT_TRUE(vision_check_pattern(m, 8 * PAGE, 31337));
	munmap(m, 8 * PAGE);
	close(fd2);
	ASSERT_EQ(-EWOULDBLOCK, vision_module_unload());

	close(p.fd);
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load(""));
}

/* A mapping keeps the file, and so the module, after close(). */
TEST_F(lifecycle, mapping_pins_module)
{
	int fd = vision_open();
	uint8_t *m;
	uint32_t h;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vision_bo_create(fd, 4 * PAGE, 0, &h, NULL));
	m = vision_bo_mmap(fd, h, NULL);
	ASSERT_NE(NULL, m);
	close(fd);
	ASSERT_EQ(-EWOULDBLOCK, vision_module_unload());
	vision_fill_pattern(m, 4 * PAGE, 5);
	ASSERT_TRUE(vision_check_pattern(m, 4 * PAGE, 5));
	ASSERT_EQ(0, munmap(m, 4 * PAGE));
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load(""));
}

/*
 * Files closed with everything still in them (BOs, mapped-then-unmapped
 * BOs, imports, models): all freed, the module unloads cleanly.
 */
TEST_F(lifecycle, close_with_leftovers)
{
	struct drm_vision_model_create mc;
	char text[8192];
	int fd = vision_open(), fd2 = vision_open(), fd3;
	uint8_t *blob;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	for (int i = 0; i < 200; i++) {
		struct drm_prime_handle p = { .flags = DRM_CLOEXEC };
		uint64_t size;
		uint32_t h;
		uint8_t *m;

		ASSERT_EQ(0, vision_bo_create(fd, PAGE * (1 + i % 5), 0, &h,
					      NULL));
		if (i % 3)
			continue;
		m = vision_bo_mmap(fd, h, &size);
		ASSERT_NE(NULL, m);
		m[size - 1] = (uint8_t)i;
		munmap(m, size);
		if (i % 2)
			continue;
		p.handle = h;
		ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p));
		ASSERT_EQ(0, ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p));
		close(p.fd);
	}
	/* A garbage model is refused, but nothing may stay behind. */
	blob = calloc(1, 4096);
	ASSERT_NE(NULL, blob);
	memset(&mc, 0, sizeof(mc));
	mc.data = (uintptr_t)blob;
	mc.size = 4096;
	ASSERT_EQ(-1, ioctl(fd, DRM_IOCTL_VISION_MODEL_CREATE, &mc));
	free(blob);
	close(fd);
	close(fd2);

	fd3 = vision_open();
	ASSERT_LE(0, fd3);
	ASSERT_LT(0, vision_debugfs_read(fd3, "state", text, sizeof(text)));
	ASSERT_NE(NULL, strstr(text, "\nmodels: 0 bytes"))
	TH_LOG("state:\n%s", text);
	close(fd3);
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load(""));
}

/* The state file follows the cores parameter. */
TEST_F(lifecycle, state_cores_param)
{
	static const int counts[] = { 1, 3, 8 };
	char param[32];

	for (int i = 0; i < 3; i++) {
		uint64_t v;
		int fd;

		ASSERT_EQ(0, vision_module_unload());
		snprintf(param, sizeof(param), "cores=%d", counts[i]);
		ASSERT_EQ(0, vision_module_load(param));
		fd = vision_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, vision_get_param(fd, DRM_VISION_PARAM_NUM_CORES, 0,
					      &v));
		ASSERT_EQ(counts[i], v);
		ASSERT_EQ(counts[i], state_cores(fd));
		close(fd);
	}
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load(""));
}

int main(int argc, char **argv)
{
	char path[256];

	if (vision_find_node(path, sizeof(path)))
		ksft_exit_skip("no vision device node\n");
	return test_harness_run(argc, argv);
}
