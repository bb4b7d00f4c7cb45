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
#include "vision_model.h"
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

	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, 11, 0, &v));
	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, 12, 0, &v));
	ASSERT_EQ(-EINVAL, vision_get_param(self->fd, 0x100, 0, &v));
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

/* Loaded with default parameters: sram_mb=16. */
TEST_F(dev, param_core_sram_size)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CORE_SRAM_SIZE,
				      0, &v));
	ASSERT_LE(1 << 20, v);
	ASSERT_EQ(0, v % (1 << 20));
	ASSERT_EQ(16 << 20, v);
}

TEST_F(dev, param_max_model_size)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MAX_MODEL_SIZE,
				      0, &v));
	ASSERT_EQ(VISION_MODEL_MAX_SIZE, v);
}

/* All 19 pixel formats, and no bit beyond them. */
TEST_F(dev, param_input_formats)
{
	static const uint64_t formats[] = {
		DRM_VISION_FORMAT_RGB24,  DRM_VISION_FORMAT_BGR24,
		DRM_VISION_FORMAT_RGB32,  DRM_VISION_FORMAT_BGR32,
		DRM_VISION_FORMAT_XRGB32, DRM_VISION_FORMAT_ARGB32,
		DRM_VISION_FORMAT_XBGR32, DRM_VISION_FORMAT_ABGR32,
		DRM_VISION_FORMAT_RGBX32, DRM_VISION_FORMAT_RGBA32,
		DRM_VISION_FORMAT_BGRX32, DRM_VISION_FORMAT_BGRA32,
		DRM_VISION_FORMAT_YUYV,	  DRM_VISION_FORMAT_YVYU,
		DRM_VISION_FORMAT_UYVY,	  DRM_VISION_FORMAT_VYUY,
		DRM_VISION_FORMAT_NV12,	  DRM_VISION_FORMAT_NV21,
		DRM_VISION_FORMAT_GREY,
	};
	uint64_t v, all = 0;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_INPUT_FORMATS,
				      0, &v));
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		EXPECT_TRUE(v & formats[i])
		TH_LOG("format bit %zu missing", i);
		all |= formats[i];
	}
	ASSERT_EQ(19, __builtin_popcountll(all));
	ASSERT_EQ(all, v);
}

TEST_F(dev, param_capabilities)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_CAPABILITIES,
				      0, &v));
	ASSERT_EQ(DRM_VISION_CAP_SPARSE | DRM_VISION_CAP_CAMERA_INPUT |
			  DRM_VISION_CAP_PROFILE | DRM_VISION_CAP_PRIORITY,
		  v);
}

/* True if /proc/cpuinfo lists CPU flag @flag. */
static int cpu_has(const char *flag)
{
	char line[8192], word[64];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	snprintf(word, sizeof(word), " %s", flag);
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, word); p && !found;
		     p = strstr(p + 1, word)) {
			char end = p[strlen(word)];

			found = end == ' ' || end == '\n' || end == 0;
		}
		break;
	}
	fclose(f);
	return found;
}

/* A level the CPU really has, on the CPU's architecture. */
TEST_F(dev, param_simd_level)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_SIMD_LEVEL, 0,
				      &v));
	ASSERT_GE(DRM_VISION_SIMD_NEON_DOTPROD, v);
#if defined(__x86_64__)
	ASSERT_NE(DRM_VISION_SIMD_NEON_DOTPROD, v);
	if (v >= DRM_VISION_SIMD_AVX2)
		ASSERT_TRUE(cpu_has("avx2"));
	if (v >= DRM_VISION_SIMD_AVX512BW)
		ASSERT_TRUE(cpu_has("avx512bw"));
	if (v == DRM_VISION_SIMD_AVX512VNNI)
		ASSERT_TRUE(cpu_has("avx512_vnni"));
#elif defined(__aarch64__)
	ASSERT_TRUE(v == DRM_VISION_SIMD_PORTABLE ||
		    v == DRM_VISION_SIMD_NEON_DOTPROD);
#endif
}

TEST_F(dev, param_max_bo_size)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MAX_BO_SIZE, 0,
				      &v));
	ASSERT_EQ(1ull << 30, v);
}

TEST_F(dev, param_max_jobs)
{
	uint64_t v;

	ASSERT_EQ(0,
		  vision_get_param(self->fd, DRM_VISION_PARAM_MAX_JOBS, 0, &v));
	ASSERT_EQ(64, v);
}

/* Loaded with default parameters: model_mem_mb=256. */
TEST_F(dev, param_model_memory)
{
	uint64_t v;

	ASSERT_EQ(0, vision_get_param(self->fd, DRM_VISION_PARAM_MODEL_MEMORY,
				      0, &v));
	ASSERT_EQ(256ull << 20, v);
}

/* 0..10 are the parameters, 11 is the first unknown one. */
TEST_F(dev, param_range)
{
	struct drm_vision_get_param args;
	uint64_t v;

	for (uint32_t p = 0; p <= DRM_VISION_PARAM_MODEL_MEMORY; p++) {
		EXPECT_EQ(0, vision_get_param(self->fd, p, 0, &v))
		TH_LOG("param %u", p);
		/* Each one checks its pad too; value is left alone then. */
		memset(&args, 0, sizeof(args));
		args.param = p;
		args.pad = 1;
		args.value = 0x5a5a;
		EXPECT_EQ(-1,
			  ioctl(self->fd, DRM_IOCTL_VISION_GET_PARAM, &args));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0x5a5a, args.value);
	}
	ASSERT_EQ(-EINVAL,
		  vision_get_param(self->fd, DRM_VISION_PARAM_MODEL_MEMORY + 1,
				   0, &v));
}

/* Device facts do not change between files or calls. */
TEST_F(dev, param_stable)
{
	int fd2 = vision_open();

	ASSERT_LE(0, fd2);
	for (uint32_t p = 0; p <= DRM_VISION_PARAM_MODEL_MEMORY; p++) {
		uint64_t a, b, c;

		ASSERT_EQ(0, vision_get_param(self->fd, p, 0, &a));
		ASSERT_EQ(0, vision_get_param(fd2, p, 0, &b));
		ASSERT_EQ(0, vision_get_param(self->fd, p, 0, &c));
		EXPECT_EQ(a, b)
		TH_LOG("param %u", p);
		EXPECT_EQ(a, c)
		TH_LOG("param %u", p);
	}
	close(fd2);
}

/* The first ioctl number after SUBMIT is not one. */
TEST_F(dev, ioctl_unknown)
{
	uint64_t buf[64];

	memset(buf, 0, sizeof(buf));
	for (unsigned int nr = DRM_VISION_SUBMIT + 1; nr < 0x10; nr++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd,
				    _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
					 DRM_COMMAND_BASE + nr, 64),
				    buf));
		EXPECT_EQ(EINVAL, errno);
	}
}

/*
 * An older, shorter struct: the DRM core zero-extends what it copies in
 * and copies out only what the caller has. BO_CREATE with only size,
 * flags and handle still creates the BO and returns its handle; the
 * bytes past the caller's struct are not touched.
 */
TEST_F(dev, ioctl_short_struct)
{
	const unsigned long cmd = _IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
				       DRM_COMMAND_BASE + DRM_VISION_BO_CREATE,
				       16);
	struct drm_vision_bo_create c;
	struct drm_vision_bo_info info;

	memset(&c, 0xa5, sizeof(c));
	c.size = 5000;
	c.flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, cmd, &c));
	ASSERT_NE(0, c.handle);
	ASSERT_NE(0xa5a5a5a5u, c.handle);
	ASSERT_EQ(0xa5a5a5a5a5a5a5a5ull, c.mmap_offset);
	ASSERT_EQ(0xa5a5a5a5a5a5a5a5ull, c.pad);
	memset(&info, 0, sizeof(info));
	info.handle = c.handle;
	ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_VISION_BO_INFO, &info));
	ASSERT_EQ(8192, info.size);
}

/*
 * A newer, longer struct: the DRM core hands the driver only the struct
 * it knows, so the extra tail is ignored and copied back unchanged.
 */
TEST_F(dev, ioctl_long_struct)
{
	const unsigned long cmd =
		_IOC(_IOC_READ | _IOC_WRITE, DRM_IOCTL_BASE,
		     DRM_COMMAND_BASE + DRM_VISION_BO_CREATE,
		     sizeof(struct drm_vision_bo_create) + 16);
	struct {
		struct drm_vision_bo_create c;
		uint64_t tail[2];
	} big;
	struct drm_vision_bo_info info;

	memset(&big, 0, sizeof(big));
	big.c.size = 4096;
	big.tail[0] = 0x1122334455667788ull;
	big.tail[1] = ~0ull;
	ASSERT_EQ(0, ioctl(self->fd, cmd, &big));
	ASSERT_NE(0, big.c.handle);
	ASSERT_NE(0, big.c.mmap_offset);
	ASSERT_EQ(0x1122334455667788ull, big.tail[0]);
	ASSERT_EQ(~0ull, big.tail[1]);
	ASSERT_EQ(0, vision_bo_info(self->fd, big.c.handle, &info));
	ASSERT_EQ(big.c.mmap_offset, info.mmap_offset);
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
