// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Buffer sharing: PRIME export and import of our BOs between files,
 * mmap of the dma-buf, lifetimes in any close order, bad fds, and
 * import of a V4L2 capture buffer from vivid (VIDIOC_EXPBUF) without a
 * copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "model_builder.h"
#include "test_models.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define PAGE 4096ull

static int export_fd_flags(int fd, uint32_t handle, uint32_t flags, int *dmabuf)
{
	struct drm_prime_handle p = { .handle = handle, .flags = flags };

	*dmabuf = -1;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		return -errno;
	*dmabuf = p.fd;
	return 0;
}

static int export_fd(int fd, uint32_t handle, int *dmabuf)
{
	return export_fd_flags(fd, handle, DRM_CLOEXEC | DRM_RDWR, dmabuf);
}

static int import_fd(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };

	*handle = 0;
	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p))
		return -errno;
	*handle = p.handle;
	return 0;
}

static int dmabuf_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	if (ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s))
		return -errno;
	return 0;
}

/* Two fds are the same open file (the same dma-buf). */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

FIXTURE(prime)
{
	int fd;
	int fd2;
	uint32_t handle;
	uint64_t size;
	uint8_t *map;
};

FIXTURE_SETUP(prime)
{
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	self->fd2 = vision_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, vision_bo_create(self->fd, 64 * 1024, 0, &self->handle,
				      NULL));
	self->map = vision_bo_mmap(self->fd, self->handle, &self->size);
	ASSERT_NE(NULL, self->map);
	ASSERT_EQ(64 * 1024, self->size);
	vision_fill_pattern(self->map, self->size, 0xc0ffee);
}

FIXTURE_TEARDOWN(prime)
{
	if (self->map)
		munmap(self->map, self->size);
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

/* The exported fd honours DRM_CLOEXEC and DRM_RDWR. */
TEST_F(prime, export_flags)
{
	int dmabuf, fl;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_LE(0, dmabuf);
	fl = fcntl(dmabuf, F_GETFD);
	ASSERT_TRUE(fl & FD_CLOEXEC);
	fl = fcntl(dmabuf, F_GETFL);
	ASSERT_EQ(O_RDWR, fl & O_ACCMODE);
	close(dmabuf);

	ASSERT_EQ(0, export_fd_flags(self->fd, self->handle, 0, &dmabuf));
	fl = fcntl(dmabuf, F_GETFD);
	ASSERT_FALSE(fl & FD_CLOEXEC);
	close(dmabuf);
}

TEST_F(prime, export_bad)
{
	int dmabuf = -1;

	ASSERT_EQ(-ENOENT, export_fd(self->fd, 0, &dmabuf));
	ASSERT_EQ(-ENOENT, export_fd(self->fd, self->handle + 77, &dmabuf));
	/* Another file's handle. */
	ASSERT_EQ(-ENOENT, export_fd(self->fd2, self->handle, &dmabuf));
	ASSERT_EQ(-EINVAL,
		  export_fd_flags(self->fd, self->handle, 0x1234, &dmabuf));
	ASSERT_EQ(-1, dmabuf);
}

/* Back into the exporting file: the very same handle. */
TEST_F(prime, import_same_file)
{
	uint32_t h;
	int dmabuf, again;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd, dmabuf, &h));
	ASSERT_EQ(self->handle, h);
	/* Exporting again gives the same dma-buf. */
	ASSERT_EQ(0, export_fd(self->fd, self->handle, &again));
	ASSERT_TRUE(same_file(dmabuf, again));
	close(again);
	close(dmabuf);
}

/* Into another file: a new handle on the same memory, not "imported". */
TEST_F(prime, import_other_file)
{
	struct drm_vision_bo_info info;
	uint64_t size;
	uint32_t h, h2;
	uint8_t *q;
	int dmabuf;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h));
	ASSERT_NE(0, h);
	/* Importing twice in one file gives one handle. */
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h2));
	ASSERT_EQ(h, h2);

	ASSERT_EQ(0, vision_bo_info(self->fd2, h, &info));
	ASSERT_EQ(self->size, info.size);
	/* Our own device's buffer: a plain BO, not a foreign dma-buf. */
	ASSERT_EQ(0, info.flags);
	ASSERT_NE(0, info.mmap_offset);

	q = vision_bo_mmap(self->fd2, h, &size);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(self->size, size);
	ASSERT_TRUE(vision_check_pattern(q, size, 0xc0ffee));
	/* Both ways. */
	vision_fill_pattern(q, size, 0xbeef);
	ASSERT_TRUE(vision_check_pattern(self->map, size, 0xbeef));
	vision_fill_pattern(self->map, size, 0xfeed);
	ASSERT_TRUE(vision_check_pattern(q, size, 0xfeed));
	munmap(q, size);
	close(dmabuf);
}

/* The WC flag belongs to the BO and shows in the importing file too. */
TEST_F(prime, import_keeps_flags)
{
	struct drm_vision_bo_info info;
	uint32_t wc, h;
	int dmabuf;

	ASSERT_EQ(0, vision_bo_create(self->fd, 3 * PAGE, DRM_VISION_BO_WC, &wc,
				      NULL));
	ASSERT_EQ(0, export_fd(self->fd, wc, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h));
	ASSERT_EQ(0, vision_bo_info(self->fd2, h, &info));
	ASSERT_EQ(DRM_VISION_BO_WC, info.flags);
	ASSERT_EQ(3 * PAGE, info.size);
	close(dmabuf);
}

/* The dma-buf fd itself maps the BO's memory. */
TEST_F(prime, dmabuf_mmap)
{
	uint8_t *d;
	int dmabuf;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(self->size, (uint64_t)lseek(dmabuf, 0, SEEK_END));
	d = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf,
		 0);
	ASSERT_NE(MAP_FAILED, d)
	TH_LOG("mmap of the dma-buf: %s", strerror(errno));
	ASSERT_EQ(0, dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_TRUE(vision_check_pattern(d, self->size, 0xc0ffee));
	vision_fill_pattern(d, self->size, 0x5150);
	ASSERT_EQ(0, dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_TRUE(vision_check_pattern(self->map, self->size, 0x5150));
	/* No more than the BO. */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->size + PAGE, PROT_READ,
				   MAP_SHARED, dmabuf, 0));
	munmap(d, self->size);
	close(dmabuf);
}

/* Exporter's handle and file gone first: the importer keeps the memory. */
TEST_F(prime, lifetime_exporter_first)
{
	uint32_t h;
	uint8_t *q;
	int dmabuf;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h));
	ASSERT_EQ(0, vision_gem_close(self->fd, self->handle));
	munmap(self->map, self->size);
	self->map = NULL;
	close(self->fd);
	self->fd = -1;
	close(dmabuf);

	q = vision_bo_mmap(self->fd2, h, NULL);
	ASSERT_NE(NULL, q);
	ASSERT_TRUE(vision_check_pattern(q, self->size, 0xc0ffee));
	munmap(q, self->size);
	ASSERT_EQ(0, vision_gem_close(self->fd2, h));
}

/* The dma-buf fd alone keeps the BO: re-import after every handle is gone. */
TEST_F(prime, lifetime_fd_only)
{
	struct drm_vision_bo_info info;
	uint32_t h;
	uint8_t *q;
	int dmabuf;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	munmap(self->map, self->size);
	self->map = NULL;
	ASSERT_EQ(0, vision_gem_close(self->fd, self->handle));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, self->handle, &info));

	ASSERT_EQ(0, import_fd(self->fd, dmabuf, &h));
	ASSERT_EQ(0, vision_bo_info(self->fd, h, &info));
	ASSERT_EQ(self->size, info.size);
	close(dmabuf);
	q = vision_bo_mmap(self->fd, h, NULL);
	ASSERT_NE(NULL, q);
	ASSERT_TRUE(vision_check_pattern(q, self->size, 0xc0ffee));
	munmap(q, self->size);
}

/* The importer closes first; the exporter is unaffected and can re-share. */
TEST_F(prime, lifetime_importer_first)
{
	uint32_t h;
	int dmabuf;

	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h));
	close(dmabuf);
	ASSERT_EQ(0, vision_gem_close(self->fd2, h));
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_TRUE(vision_check_pattern(self->map, self->size, 0xc0ffee));

	/* A fresh export after the old dma-buf died works as well. */
	self->fd2 = vision_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, export_fd(self->fd, self->handle, &dmabuf));
	ASSERT_EQ(0, import_fd(self->fd2, dmabuf, &h));
	close(dmabuf);
	vision_fill_pattern(self->map, self->size, 99);
	{
		uint8_t *q = vision_bo_mmap(self->fd2, h, NULL);

		ASSERT_NE(NULL, q);
		ASSERT_TRUE(vision_check_pattern(q, self->size, 99));
		munmap(q, self->size);
	}
}

TEST_F(prime, import_bad_fd)
{
	int pipefd[2], closed, memfd;
	uint32_t h = 0;

	ASSERT_EQ(-EBADF, import_fd(self->fd, -1, &h));
	closed = dup(0);
	ASSERT_LE(0, closed);
	close(closed);
	ASSERT_EQ(-EBADF, import_fd(self->fd, closed, &h));
	/* Open files that are not dma-bufs. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(-EINVAL, import_fd(self->fd, pipefd[0], &h));
	close(pipefd[0]);
	close(pipefd[1]);
	memfd = memfd_create("notdmabuf", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, PAGE));
	ASSERT_EQ(-EINVAL, import_fd(self->fd, memfd, &h));
	close(memfd);
	/* The device fd itself is not a dma-buf. */
	ASSERT_EQ(-EINVAL, import_fd(self->fd, self->fd2, &h));
	ASSERT_EQ(0, h);
}

/* ---- vivid ----------------------------------------------------------- */

/* Open vivid's single-planar capture node; -1 (and @why) if there is none. */
static int vivid_open(char *why, size_t len)
{
	int found_vivid = 0, ret = -1;
	glob_t g;

	snprintf(why, len, "no /dev/video* node (vivid not loaded?)");
	if (glob("/dev/video*", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc && ret < 0; i++) {
		struct v4l2_capability cap;
		uint32_t caps;
		int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);

		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) ||
		    strcmp((char *)cap.driver, "vivid")) {
			close(fd);
			continue;
		}
		found_vivid = 1;
		caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
			       cap.device_caps :
			       cap.capabilities;
		if ((caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (caps & V4L2_CAP_STREAMING))
			ret = fd;
		else
			close(fd);
	}
	globfree(&g);
	if (ret < 0 && found_vivid)
		snprintf(why, len,
			 "vivid has no single-planar streaming capture node");
	else if (ret < 0)
		snprintf(why, len, "no vivid node among /dev/video*");
	return ret;
}

#define NBUF 2

FIXTURE(vivid)
{
	int fd;
	int vfd;
	struct v4l2_format fmt;
	int dmabuf[NBUF];
	uint32_t handle[NBUF];
	void *vmap[NBUF];
	uint32_t vlen[NBUF];
};

FIXTURE_SETUP(vivid)
{
	struct v4l2_requestbuffers req;
	char why[128];

	for (int i = 0; i < NBUF; i++) {
		self->dmabuf[i] = -1;
		self->vmap[i] = NULL;
	}
	self->fd = vision_open();
	ASSERT_LE(0, self->fd);
	self->vfd = vivid_open(why, sizeof(why));
	if (self->vfd < 0)
		SKIP(return, "%s", why);

	/* Small YUYV frames; vivid's webcam input rounds to a size it has. */
	memset(&self->fmt, 0, sizeof(self->fmt));
	self->fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	self->fmt.fmt.pix.width = 64;
	self->fmt.fmt.pix.height = 48;
	self->fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	self->fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_S_FMT, &self->fmt));
	ASSERT_EQ(V4L2_PIX_FMT_YUYV, self->fmt.fmt.pix.pixelformat);
	ASSERT_LT(0, self->fmt.fmt.pix.sizeimage);

	memset(&req, 0, sizeof(req));
	req.count = NBUF;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_REQBUFS, &req));
	ASSERT_LE(NBUF, req.count);

	for (int i = 0; i < NBUF; i++) {
		struct v4l2_exportbuffer exp;
		struct v4l2_buffer buf;

		memset(&exp, 0, sizeof(exp));
		exp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		exp.index = i;
		exp.flags = O_RDWR | O_CLOEXEC;
		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_EXPBUF, &exp));
		self->dmabuf[i] = exp.fd;

		memset(&buf, 0, sizeof(buf));
		buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		buf.memory = V4L2_MEMORY_MMAP;
		buf.index = i;
		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_QUERYBUF, &buf));
		self->vlen[i] = buf.length;
		self->vmap[i] = mmap(NULL, buf.length, PROT_READ | PROT_WRITE,
				     MAP_SHARED, self->vfd, buf.m.offset);
		ASSERT_NE(MAP_FAILED, self->vmap[i]);

		ASSERT_EQ(0, import_fd(self->fd, self->dmabuf[i],
				       &self->handle[i]));
		ASSERT_NE(0, self->handle[i]);
	}
}

FIXTURE_TEARDOWN(vivid)
{
	for (int i = 0; i < NBUF; i++) {
		if (self->vmap[i] && self->vmap[i] != MAP_FAILED)
			munmap(self->vmap[i], self->vlen[i]);
		if (self->dmabuf[i] >= 0)
			close(self->dmabuf[i]);
	}
	if (self->vfd >= 0)
		close(self->vfd);
	close(self->fd);
}

/* An imported V4L2 buffer is a BO flagged as imported, big enough. */
TEST_F(vivid, import_info)
{
	for (int i = 0; i < NBUF; i++) {
		struct drm_vision_bo_info info;
		int32_t status = -1;
		uint32_t again;

		ASSERT_EQ(0, vision_bo_info(self->fd, self->handle[i], &info));
		ASSERT_EQ(DRM_VISION_BO_IMPORTED, info.flags);
		ASSERT_LE(self->fmt.fmt.pix.sizeimage, info.size);
		ASSERT_EQ(0, info.size % PAGE);
		ASSERT_EQ((uint64_t)lseek(self->dmabuf[i], 0, SEEK_END),
			  info.size);
		/* Nobody is using it: BO_WAIT returns at once. */
		ASSERT_EQ(0, vision_bo_wait(self->fd, self->handle[i], 0,
					    &status));
		ASSERT_EQ(0, status);
		/* The same dma-buf again: the same handle. */
		ASSERT_EQ(0, import_fd(self->fd, self->dmabuf[i], &again));
		ASSERT_EQ(self->handle[i], again);
	}
	ASSERT_NE(self->handle[0], self->handle[1]);
}

/* Re-exporting an imported BO hands back the original dma-buf. */
TEST_F(vivid, reexport)
{
	int fd;

	ASSERT_EQ(0, export_fd(self->fd, self->handle[0], &fd));
	ASSERT_TRUE(same_file(fd, self->dmabuf[0]));
	close(fd);
}

/*
 * Capture a frame: the driver's mapping of the imported BO, if it maps
 * at all, shows the frame's bytes exactly, as does the dma-buf's own.
 */
TEST_F(vivid, capture_and_map)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct pollfd pfd = { .fd = self->vfd, .events = POLLIN };
	struct drm_vision_bo_info info;
	struct v4l2_buffer buf;
	uint8_t *bo, *d, *v;
	size_t used;

	for (int i = 0; i < NBUF; i++) {
		memset(&buf, 0, sizeof(buf));
		buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		buf.memory = V4L2_MEMORY_MMAP;
		buf.index = i;
		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_QBUF, &buf));
	}
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_STREAMON, &type));
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_DQBUF, &buf));
	ASSERT_GT(NBUF, buf.index);
	used = buf.bytesused;
	ASSERT_LT(0, used);
	ASSERT_GE(self->vlen[buf.index], used);
	v = self->vmap[buf.index];
	/* A real picture: vivid's test pattern is not all one byte. */
	{
		size_t k = 1;

		while (k < used && v[k] == v[0])
			k++;
		ASSERT_GT(used, k);
	}

	/* The dma-buf's own mapping: the reference. */
	d = mmap(NULL, used, PROT_READ, MAP_SHARED, self->dmabuf[buf.index], 0);
	ASSERT_NE(MAP_FAILED, d);
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf[buf.index],
				 DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, memcmp(v, d, used));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf[buf.index],
				 DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(d, used);

	/* Through our device: works and matches, or is refused cleanly. */
	ASSERT_EQ(0, vision_bo_info(self->fd, self->handle[buf.index], &info));
	bo = mmap(NULL, info.size, PROT_READ, MAP_SHARED, self->fd,
		  info.mmap_offset);
	if (bo == MAP_FAILED) {
		TH_LOG("mmap of an imported BO refused: %s", strerror(errno));
		ASSERT_TRUE(errno == EINVAL || errno == EPERM ||
			    errno == EACCES || errno == ENODEV ||
			    errno == EOPNOTSUPP);
	} else {
		ASSERT_EQ(0, memcmp(v, bo, used));
		munmap(bo, info.size);
	}
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_STREAMOFF, &type));
	/* Still a valid BO after streaming. */
	ASSERT_EQ(0, vision_bo_info(self->fd, self->handle[buf.index], &info));
}

/* The BO keeps the V4L2 buffer alive after V4L2 lets go of it. */
/*
 * The whole camera path: frames vivid captured into its own buffers go,
 * through their dma-bufs and PRIME, into frame-input jobs (no copy), and
 * the device computes exactly what the CPU engine computes on the bytes
 * V4L2 shows, for the whole frame and for a crop.
 */
TEST_F(vivid, frame_job)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct pollfd pfd = { .fd = self->vfd, .events = POLLIN };
	const struct v4l2_pix_format *pix = &self->fmt.fmt.pix;
	struct drm_vision_model_info info;
	struct tm_model tm;
	uint8_t *out, *ref;
	int64_t imported;
	uint32_t out_h;

	ASSERT_EQ(0, tm_classifier_default(&tm));
	ASSERT_EQ(0, vision_model_create(self->fd, tm.blob, tm.size, &info));
	ASSERT_EQ(0, vision_bo_create(self->fd, info.output_size, 0, &out_h,
				      NULL));
	out = vision_bo_mmap(self->fd, out_h, NULL);
	ASSERT_NE(NULL, out);
	ref = malloc(info.output_size);
	ASSERT_NE(NULL, ref);

	for (int i = 0; i < NBUF; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_QBUF, &buf));
	}
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_STREAMON, &type));
	imported = vision_debugfs_stat(self->fd, "frames_imported");
	ASSERT_LE(0, imported);

	for (int frame = 0; frame < 4; frame++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};
		struct drm_vision_job job = {
			.model_handle = info.handle,
			.input_type = DRM_VISION_JOB_INPUT_FRAME,
			.out_handle = out_h,
			.frame = {
				.fourcc = V4L2_PIX_FMT_YUYV,
				.width = pix->width,
				.height = pix->height,
				.num_planes = 1,
				.strides = { pix->bytesperline },
			},
		};
		int32_t st = 1;

		ASSERT_EQ(1, poll(&pfd, 1, 10000));
		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_DQBUF, &buf));
		job.in_handle = self->handle[buf.index];
		/* Odd frames: a crop off the centre, even sized for 4:2:2. */
		if (frame & 1) {
			job.frame.crop_x = pix->width / 4 & ~1u;
			job.frame.crop_y = pix->height / 3;
			job.frame.crop_width = pix->width / 2 & ~1u;
			job.frame.crop_height = pix->height / 2;
		}
		memset(out, 0xa5, info.output_size);
		ASSERT_EQ(0, vision_submit(self->fd, &job, 1, 0));
		ASSERT_EQ(0,
			  vision_bo_wait(self->fd, out_h, 10000000000ll, &st));
		ASSERT_EQ(0, st);

		ASSERT_EQ(0,
			  dmabuf_sync(self->dmabuf[buf.index],
				      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		ASSERT_EQ(0, vision_ref_frame(tm.blob, tm.size, &job.frame,
					      self->vmap[buf.index],
					      self->vlen[buf.index], ref,
					      info.output_size));
		ASSERT_EQ(0, dmabuf_sync(self->dmabuf[buf.index],
					 DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		ASSERT_EQ(0, memcmp(ref, out, info.output_size))
		TH_LOG("frame %d (buffer %u) differs from the CPU engine",
		       frame, buf.index);
		ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_QBUF, &buf));
	}
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_STREAMOFF, &type));
	/*
	 * Every frame was read where vivid wrote it: in the imported
	 * dma-buf, not a copy (tests run one at a time, so exactly four).
	 */
	ASSERT_EQ(imported + 4,
		  vision_debugfs_stat(self->fd, "frames_imported"));
	free(ref);
	free(tm.blob);
}

TEST_F(vivid, outlives_v4l2)
{
	struct v4l2_requestbuffers req;
	struct drm_vision_bo_info info;

	for (int i = 0; i < NBUF; i++) {
		/* Something to recognise the buffers by afterwards. */
		vision_fill_pattern(self->vmap[i], self->vlen[i], 1000 + i);
		munmap(self->vmap[i], self->vlen[i]);
		self->vmap[i] = NULL;
		close(self->dmabuf[i]);
		self->dmabuf[i] = -1;
	}
	/* V4L2 frees its buffers; the dma-bufs live on in our BOs. */
	memset(&req, 0, sizeof(req));
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_REQBUFS, &req));
	close(self->vfd);
	self->vfd = -1;

	for (int i = 0; i < NBUF; i++) {
		uint8_t *p;

		ASSERT_EQ(0, vision_bo_info(self->fd, self->handle[i], &info));
		ASSERT_EQ(DRM_VISION_BO_IMPORTED, info.flags);
		/* The memory is still there, if the BO maps at all. */
		p = mmap(NULL, info.size, PROT_READ, MAP_SHARED, self->fd,
			 info.mmap_offset);
		if (p != MAP_FAILED) {
			ASSERT_TRUE(vision_check_pattern(p, self->vlen[i],
							 1000 + i));
			munmap(p, info.size);
		}
	}
	ASSERT_EQ(0, vision_gem_close(self->fd, self->handle[0]));
	ASSERT_EQ(-ENOENT, vision_bo_info(self->fd, self->handle[0], &info));
	/* handle[1] goes with the file. */
}

int main(int argc, char **argv)
{
	char path[256];

	if (vision_find_node(path, sizeof(path)))
		ksft_exit_skip("no vision device node\n");
	return test_harness_run(argc, argv);
}
