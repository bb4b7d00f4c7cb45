// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision's camera: V4L2 capture through libv4l2 into the device.
 *
 * On the host there is neither vivid nor a device: the argument checks
 * run (they need no camera) and the rest skips. Inside the test VM, with
 * vivid and the driver loaded, frames of vivid's webcam input are
 * classified on the device for several pixel formats and must equal, byte
 * for byte, what the CPU device computes on the same frame bytes; the
 * zero-copy path is proven by the driver's own counters; the dmabuf and
 * copy paths, pipelining, a stall and an unplug are exercised.
 *
 * vivid instance 0 ("platform:vivid-000") is used throughout and left as
 * found; the unplug test disconnects instance 1 ("platform:vivid-001")
 * when there is one, else instance 0, which vivid plugs back in once its
 * last user has closed it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <vision/vision.h>

#include "libvision_test_util.h"
#include "vision_accel.h"

#include "kselftest_harness.h"

#define VIVID_CAM0 "platform:vivid-000"
#define VIVID_CAM1 "platform:vivid-001"

/* vivid's private controls (drivers/media/test-drivers/vivid/vivid-ctrls.c) */
#define VIVID_CID_VIVID_BASE (0x00f00000 | 0xf000)
#define VIVID_CID_PERC_DROPPED (VIVID_CID_VIVID_BASE + 64)
#define VIVID_CID_DISCONNECT (VIVID_CID_VIVID_BASE + 65)

#define IN_H 12
#define IN_W 16
#define CONV_C TEST_MODEL_CONV_C
#define CLASSES TEST_MODEL_CLASSES
#define OUT_SIZE (CLASSES + CONV_C)

/* Frames small enough for TCG: one of the sizes vivid's webcam offers. */
#define CAM_W 320
#define CAM_H 180

/* ---- vivid ------------------------------------------------------------------ */

/*
 * The vivid node of instance @bus_info with all of @caps (device caps);
 * 0 and its path, or -1.
 */
static int vivid_find(const char *bus_info, uint32_t caps, char *path,
		      size_t len)
{
	int ret = -1;
	glob_t g;

	if (glob("/dev/video*", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc && ret < 0; i++) {
		struct v4l2_capability cap;
		uint32_t c;
		int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);

		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    !strcmp((char *)cap.bus_info, bus_info)) {
			c = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
				    cap.device_caps :
				    cap.capabilities;
			if ((c & caps) == caps) {
				snprintf(path, len, "%s", g.gl_pathv[i]);
				ret = 0;
			}
		}
		close(fd);
	}
	globfree(&g);
	return ret;
}

/* Set vivid control @id, checking it is the one named @name. */
static int vivid_set_ctrl(int fd, uint32_t id, const char *name, int32_t value)
{
	struct v4l2_queryctrl q = { .id = id };
	struct v4l2_control c = { .id = id, .value = value };

	if (ioctl(fd, VIDIOC_QUERYCTRL, &q))
		return -errno;
	if (strcmp((char *)q.name, name))
		return -ENOENT;
	return ioctl(fd, VIDIOC_S_CTRL, &c) ? -errno : 0;
}

/* vivid instance 0 delivers every frame again (after a stall test). */
static void vivid_restore(void)
{
	char path[64];
	int fd;

	if (vivid_find(VIVID_CAM0, V4L2_CAP_VIDEO_CAPTURE, path, sizeof(path)))
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	vivid_set_ctrl(fd, VIVID_CID_PERC_DROPPED,
		       "Percentage of Dropped Buffers", 0);
	close(fd);
}

/* ---- the driver's counters (debugfs) -------------------------------------- */

#define DBG_ROOT "/sys/kernel/debug/vision_accel"

/*
 * Counter @name of the device's debugfs "stats" file ("name: value"
 * lines); -ENOENT when there is no such file or counter.
 */
static int driver_stat(const char *name, uint64_t *value)
{
	char path[512], line[256];
	size_t n = strlen(name);
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d = opendir(DBG_ROOT);
	FILE *f = NULL;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) && !f) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DBG_ROOT "/%s/stats", de->d_name);
		f = fopen(path, "r");
	}
	closedir(d);
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			*value = strtoull(line + n + 1, NULL, 10);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* ---- helpers -------------------------------------------------------------- */

/* Every byte the planes of @f span. */
static uint64_t frame_span(const struct vision_frame *f)
{
	if (f->num_planes == 2)
		return f->offsets[1] +
		       (uint64_t)f->strides[1] * ((f->height + 1) / 2);
	return (uint64_t)f->strides[0] * f->height;
}

/* DRM_VISION_FORMAT_* of a V4L2 format (uapi/drm/vision_accel.h), or 0. */
static uint64_t format_bit(uint32_t fourcc)
{
	static const uint32_t fourccs[] = {
		V4L2_PIX_FMT_RGB24,  V4L2_PIX_FMT_BGR24,  V4L2_PIX_FMT_RGB32,
		V4L2_PIX_FMT_BGR32,  V4L2_PIX_FMT_XRGB32, V4L2_PIX_FMT_ARGB32,
		V4L2_PIX_FMT_XBGR32, V4L2_PIX_FMT_ABGR32, V4L2_PIX_FMT_RGBX32,
		V4L2_PIX_FMT_RGBA32, V4L2_PIX_FMT_BGRX32, V4L2_PIX_FMT_BGRA32,
		V4L2_PIX_FMT_YUYV,   V4L2_PIX_FMT_YVYU,	  V4L2_PIX_FMT_UYVY,
		V4L2_PIX_FMT_VYUY,   V4L2_PIX_FMT_NV12,	  V4L2_PIX_FMT_NV21,
		V4L2_PIX_FMT_GREY,
	};

	_Static_assert(DRM_VISION_FORMAT_RGB24 == 1ull << 0 &&
			       DRM_VISION_FORMAT_YUYV == 1ull << 12 &&
			       DRM_VISION_FORMAT_NV12 == 1ull << 16 &&
			       DRM_VISION_FORMAT_GREY == 1ull << 18,
		       "format bits follow the uapi order");
	for (size_t i = 0; i < sizeof(fourccs) / sizeof(*fourccs); i++)
		if (fourccs[i] == fourcc)
			return 1ull << i;
	return 0;
}

/*
 * What a camera may leave behind: open fds, and mappings of V4L2 buffers,
 * dma-bufs and device buffers.
 */
static int count_leakables(void)
{
	static const char *const kinds[] = { "/dev/video", "dmabuf",
					     "/dev/accel", "/dev/dri" };
	char line[512];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	FILE *f;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
			n += strstr(line, kinds[i]) != NULL;
	fclose(f);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- arguments: no camera needed ------------------------------------------ */

TEST(bad_arguments)
{
	struct vision_camera_config cfg;
	struct vision_camera *cam = (struct vision_camera *)1;
	struct vision_device *cpu;

	ASSERT_EQ(0, vision_device_open(VISION_DEVICE_CPU, &cpu));
	ASSERT_EQ(-EINVAL, vision_camera_open(cpu, "/dev/video0", NULL, NULL));
	ASSERT_EQ(-EINVAL, vision_camera_open(NULL, "/dev/video0", NULL, &cam));
	ASSERT_EQ(NULL, cam);
	ASSERT_EQ(-EINVAL, vision_camera_open(cpu, NULL, NULL, &cam));

	/* Configurations are refused before the node is even opened. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.reserved[3] = 1;
	ASSERT_EQ(-EINVAL,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));
	memset(&cfg, 0, sizeof(cfg));
	cfg.num_buffers = 1;
	ASSERT_EQ(-EINVAL,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));
	cfg.num_buffers = 33;
	ASSERT_EQ(-EINVAL,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));
	cfg.num_buffers = 0;
	cfg.flags = 4;
	ASSERT_EQ(-EINVAL,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));
	ASSERT_EQ(NULL, cam);
	/* The limits themselves are fine: the node is what fails. */
	cfg.flags = VISION_CAMERA_NO_ZERO_COPY | VISION_CAMERA_NO_DMABUF;
	cfg.num_buffers = 32;
	ASSERT_EQ(-ENOENT,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));
	cfg.num_buffers = 2;
	ASSERT_EQ(-ENOENT,
		  vision_camera_open(cpu, "/nonexistent/video", &cfg, &cam));

	vision_camera_close(NULL);
	ASSERT_EQ(-EINVAL, vision_camera_format(NULL, NULL));
	ASSERT_EQ(-EINVAL, vision_camera_get_stats(NULL, NULL));
	ASSERT_EQ(-EINVAL, vision_camera_dequeue(NULL, NULL));
	ASSERT_EQ(-EINVAL, vision_camera_requeue(NULL, NULL));
	ASSERT_EQ(-EINVAL, vision_camera_start(NULL));
	ASSERT_EQ(-EINVAL, vision_camera_stop(NULL));

	ASSERT_STREQ("zero-copy",
		     vision_camera_path_name(VISION_CAMERA_ZERO_COPY));
	ASSERT_STREQ("dmabuf", vision_camera_path_name(VISION_CAMERA_DMABUF));
	ASSERT_STREQ("copy", vision_camera_path_name(VISION_CAMERA_COPY));
	ASSERT_STREQ("unknown", vision_camera_path_name(0));
	ASSERT_STREQ("unknown", vision_camera_path_name(4));
	vision_device_close(cpu);
}

/* Nodes that are no V4L2 capture device, and ones that do not exist. */
TEST(not_a_camera)
{
	char tmp[] = "/tmp/vision-camera-XXXXXX";
	struct vision_camera *cam = (struct vision_camera *)1;
	struct vision_device *cpu;
	int fd;

	ASSERT_EQ(0, vision_device_open(VISION_DEVICE_CPU, &cpu));
	ASSERT_EQ(-ENODEV, vision_camera_open(cpu, "/dev/null", NULL, &cam));
	ASSERT_EQ(NULL, cam);
	ASSERT_EQ(-ENOENT,
		  vision_camera_open(cpu, "/dev/no-such-video", NULL, &cam));
	ASSERT_EQ(-EISDIR, vision_camera_open(cpu, "/dev", NULL, &cam));
	fd = mkstemp(tmp);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "VYUY", 4));
	close(fd);
	ASSERT_EQ(-ENODEV, vision_camera_open(cpu, tmp, NULL, &cam));
	ASSERT_EQ(NULL, cam);
	unlink(tmp);
	vision_device_close(cpu);
}

/* ---- vivid and the device ------------------------------------------------- */

FIXTURE(cam)
{
	struct dev_pair d;
	char node[64];
};

FIXTURE_SETUP(cam)
{
	struct vision_model_error err;

	DEV_PAIR_OPEN_OR_SKIP(&self->d);
	if (vivid_find(VIVID_CAM0, V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING,
		       self->node, sizeof(self->node)))
		SKIP(return, "no single-planar capture node of %s (vivid)",
			   VIVID_CAM0);
	vivid_restore();
	/*
	 * input [1,12,16,3] -> conv -> pool -> FC: outputs the logits, then
	 * the pooled features.
	 */
	ASSERT_EQ(0, dev_pair_load(&self->d, IN_H, IN_W, 23, NULL, &err))
	TH_LOG("%s", err.text);
}

FIXTURE_TEARDOWN(cam)
{
	vivid_restore();
	dev_pair_close(&self->d);
}

/*
 * @f through @model (its buffer, read in place) equals the CPU device on
 * a copy of the frame's bytes. A real picture: vivid's test pattern is
 * not one byte repeated.
 */
static void check_frame(struct __test_metadata *_metadata,
			FIXTURE_DATA(cam) * self, struct vision_model *model,
			const struct vision_camera_frame *f)
{
	uint64_t span = frame_span(&f->frame);
	const uint8_t *p = f->data;
	uint8_t out[OUT_SIZE], ref[OUT_SIZE];
	struct vision_input vi = {
		.data = f->data,
		.size = span,
		.frame = &f->frame,
	};
	uint64_t k = 1;

	ASSERT_EQ(&f->frame, f->input.frame);
	ASSERT_NE(NULL, f->input.bo);
	ASSERT_EQ(NULL, f->input.data);
	ASSERT_LE(span, vision_bo_size(f->input.bo));
	while (k < span && p[k] == p[0])
		k++;
	ASSERT_GT(span, k);
	memset(out, 0x5a, sizeof(out));
	ASSERT_EQ(0, vision_infer(model, &f->input, out, OUT_SIZE));
	ASSERT_EQ(0, vision_infer(self->d.cpu_model, &vi, ref, OUT_SIZE));
	ASSERT_EQ(0, memcmp(out, ref, OUT_SIZE))
	TH_LOG("frame %u: device and CPU differ", f->sequence);
}

/*
 * Open @node on @dev with @cfg, check the format against V4L2's own
 * G_FMT, capture @n frames and check each against the CPU; the counters
 * of the camera and of the driver are the caller's to check.
 */
static void run_frames(struct __test_metadata *_metadata,
		       FIXTURE_DATA(cam) * self, struct vision_device *dev,
		       struct vision_model *model,
		       const struct vision_camera_config *cfg, int n,
		       enum vision_camera_path want_path,
		       struct vision_camera_stats *stats)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct vision_camera *cam;
	struct vision_frame fr;
	uint32_t last_seq = 0;
	int leakables = count_leakables();

	ASSERT_LE(0, leakables);
	ASSERT_EQ(0, vision_camera_open(dev, self->node, cfg, &cam));
	ASSERT_EQ(want_path, vision_camera_path(cam))
	TH_LOG("path %s", vision_camera_path_name(vision_camera_path(cam)));
	ASSERT_EQ(0, vision_camera_format(cam, &fr));
	ASSERT_EQ(0, ioctl(vision_camera_fd(cam), VIDIOC_G_FMT, &fmt));
	ASSERT_EQ(fmt.fmt.pix.pixelformat, fr.fourcc);
	if (cfg && cfg->fourcc)
		ASSERT_EQ(cfg->fourcc, fr.fourcc);
	ASSERT_EQ(fmt.fmt.pix.width, fr.width);
	ASSERT_EQ(fmt.fmt.pix.height, fr.height);
	ASSERT_EQ(fmt.fmt.pix.bytesperline, fr.strides[0]);
	if (fr.fourcc == V4L2_PIX_FMT_NV12 || fr.fourcc == V4L2_PIX_FMT_NV21) {
		ASSERT_EQ(2, fr.num_planes);
		ASSERT_EQ((uint64_t)fmt.fmt.pix.bytesperline * fr.height,
			  fr.offsets[1]);
		ASSERT_EQ(fmt.fmt.pix.bytesperline, fr.strides[1]);
	} else {
		ASSERT_EQ(1, fr.num_planes);
		ASSERT_EQ(0, fr.offsets[1]);
		ASSERT_EQ(0, fr.strides[1]);
	}
	ASSERT_EQ(0, fr.offsets[0]);
	ASSERT_GE(fmt.fmt.pix.sizeimage, frame_span(&fr));
	ASSERT_EQ(0, fr.crop_x | fr.crop_y | fr.crop_width | fr.crop_height);

	ASSERT_EQ(0, vision_camera_start(cam));
	for (int i = 0; i < n; i++) {
		struct vision_camera_frame *f;

		ASSERT_EQ(0, vision_camera_dequeue(cam, &f));
		ASSERT_EQ(0, memcmp(&fr, &f->frame, sizeof(fr)));
		ASSERT_LE(frame_span(&fr), f->bytesused);
		if (i)
			ASSERT_LT(last_seq, f->sequence);
		last_seq = f->sequence;
		ASSERT_LT(0, f->timestamp_ns);
		/* Odd frames: a crop off the centre, even for 4:2:x. */
		if (i & 1) {
			f->frame.crop_x = fr.width / 4 & ~1u;
			f->frame.crop_y = fr.height / 3 & ~1u;
			f->frame.crop_width = fr.width / 2 & ~1u;
			f->frame.crop_height = fr.height / 2 & ~1u;
		}
		check_frame(_metadata, self, model, f);
		ASSERT_EQ(0, vision_camera_requeue(cam, f));
	}
	ASSERT_EQ(0, vision_camera_get_stats(cam, stats));
	ASSERT_EQ(n, stats->frames);
	ASSERT_EQ(0, stats->reserved[0] | stats->reserved[1] |
			     stats->reserved[2] | stats->reserved[3]);
	ASSERT_EQ(0, vision_camera_stop(cam));
	vision_camera_close(cam);
	ASSERT_EQ(leakables, count_leakables());
}

/*
 * The format asked for, on the zero-copy path by default: no byte
 * copied, one import per buffer for the whole run, and the driver read
 * every frame in place from an imported dma-buf.
 */
TEST_F_TIMEOUT(cam, zero_copy_formats, 60)
{
	static const uint32_t fourccs[] = {
		V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_RGB24,
		V4L2_PIX_FMT_UYVY, V4L2_PIX_FMT_NV21, V4L2_PIX_FMT_BGR24,
		V4L2_PIX_FMT_GREY,
	};

	for (size_t i = 0; i < sizeof(fourccs) / sizeof(*fourccs); i++) {
		struct vision_camera_config cfg = {
			.fourcc = fourccs[i],
			.width = CAM_W,
			.height = CAM_H,
			.num_buffers = 3,
		};
		struct vision_camera_stats st;
		uint64_t imp0 = 0, imp1 = 0;
		int have = driver_stat("frames_imported", &imp0);

		TH_LOG("%.4s", (const char *)&fourccs[i]);
		run_frames(_metadata, self, self->d.dev, self->d.model, &cfg, 5,
			   VISION_CAMERA_ZERO_COPY, &st);
		ASSERT_EQ(0, st.copied_bytes);
		/* Once per buffer, at open: not per frame. */
		ASSERT_EQ(3, st.imports);
		if (have) {
			TH_LOG("no frames_imported in " DBG_ROOT
			       "/*/stats: zero copy not proven by the driver");
		} else {
			ASSERT_EQ(0, driver_stat("frames_imported", &imp1));
			ASSERT_EQ(5, imp1 - imp0);
		}
	}
}

/* No fourcc: the first format vivid offers that the device reads. */
TEST_F(cam, default_format)
{
	struct v4l2_fmtdesc d = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct vision_camera *cam;
	struct vision_frame fr;
	uint64_t mask;
	uint32_t first = 0;
	int fd;

	ASSERT_EQ(0, vision_device_get_param(
			     self->d.dev, VISION_PARAM_INPUT_FORMATS, &mask));
	/* The bits: see uapi/drm/vision_accel.h. */
	ASSERT_TRUE(mask & DRM_VISION_FORMAT_YUYV);
	ASSERT_TRUE(mask & DRM_VISION_FORMAT_NV12);
	ASSERT_TRUE(mask & DRM_VISION_FORMAT_RGB24);
	fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* The size the camera has now is kept. */
	fmt.fmt.pix.width = 640;
	fmt.fmt.pix.height = 360;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
	ASSERT_EQ(0, ioctl(fd, VIDIOC_S_FMT, &fmt));
	for (d.index = 0; !first && !ioctl(fd, VIDIOC_ENUM_FMT, &d); d.index++)
		if (mask & format_bit(d.pixelformat))
			first = d.pixelformat;
	close(fd);
	ASSERT_NE(0, first);

	ASSERT_EQ(0, vision_camera_open(self->d.dev, self->node, NULL, &cam));
	ASSERT_EQ(0, vision_camera_format(cam, &fr));
	ASSERT_EQ(first, fr.fourcc);
	ASSERT_EQ(fmt.fmt.pix.width, fr.width);
	ASSERT_EQ(fmt.fmt.pix.height, fr.height);
	ASSERT_EQ(VISION_CAMERA_ZERO_COPY, vision_camera_path(cam));
	vision_camera_close(cam);

	/* Formats vivid offers but the device does not read, or not at all. */
	{
		struct vision_camera_config cfg = {
			.fourcc = v4l2_fourcc('Y', 'U', '1', '2'),
		};

		ASSERT_EQ(-EOPNOTSUPP,
			  vision_camera_open(self->d.dev, self->node, &cfg,
					     &cam));
		cfg.fourcc = v4l2_fourcc('M', 'J', 'P', 'G');
		ASSERT_EQ(-EOPNOTSUPP,
			  vision_camera_open(self->d.dev, self->node, &cfg,
					     &cam));
		ASSERT_EQ(NULL, cam);
	}
}

/*
 * The fallbacks, forced: the dmabuf path (the camera writes into the
 * device's buffers, which the driver counts as its own), then the copy.
 * Neither touches the driver's import counter.
 */
static void fallback_paths(struct __test_metadata *_metadata,
			   FIXTURE_DATA(cam) * self, uint32_t fourcc)
{
	struct vision_camera_config cfg = {
		.fourcc = fourcc,
		.width = CAM_W,
		.height = CAM_H,
		.flags = VISION_CAMERA_NO_ZERO_COPY,
	};
	struct vision_camera_stats st;
	uint64_t imp0 = 0, imp1 = 0, nat0 = 0, nat1 = 0;
	int have = driver_stat("frames_imported", &imp0) ||
		   driver_stat("frames_native", &nat0);
	struct vision_camera *cam;
	struct vision_frame fr;

	run_frames(_metadata, self, self->d.dev, self->d.model, &cfg, 4,
		   VISION_CAMERA_DMABUF, &st);
	ASSERT_EQ(0, st.copied_bytes);
	ASSERT_EQ(0, st.imports);
	if (!have) {
		ASSERT_EQ(0, driver_stat("frames_imported", &imp1));
		ASSERT_EQ(0, driver_stat("frames_native", &nat1));
		ASSERT_EQ(imp0, imp1);
		ASSERT_EQ(4, nat1 - nat0);
	} else {
		TH_LOG("no driver stats in " DBG_ROOT "/*/stats");
	}

	cfg.flags = VISION_CAMERA_NO_ZERO_COPY | VISION_CAMERA_NO_DMABUF;
	run_frames(_metadata, self, self->d.dev, self->d.model, &cfg, 4,
		   VISION_CAMERA_COPY, &st);
	ASSERT_EQ(0, st.imports);
	/* Each frame, every byte of its planes, exactly once. */
	ASSERT_EQ(0, vision_camera_open(self->d.dev, self->node, &cfg, &cam));
	ASSERT_EQ(0, vision_camera_format(cam, &fr));
	vision_camera_close(cam);
	ASSERT_LT(0, st.copied_bytes);
	ASSERT_EQ(4 * frame_span(&fr), st.copied_bytes);
	if (!have) {
		ASSERT_EQ(0, driver_stat("frames_imported", &imp0));
		ASSERT_EQ(imp1, imp0);
	}

	/* Without the dmabuf path only, zero copy is still first. */
	cfg.flags = VISION_CAMERA_NO_DMABUF;
	run_frames(_metadata, self, self->d.dev, self->d.model, &cfg, 2,
		   VISION_CAMERA_ZERO_COPY, &st);
	ASSERT_EQ(0, st.copied_bytes);
}

/*
 * The fallbacks, forced: the dmabuf path (the camera writes into the
 * device's buffers, which the driver counts as its own), then the copy.
 * Neither touches the driver's import counter.
 */
TEST_F_TIMEOUT(cam, fallback_paths, 60)
{
	fallback_paths(_metadata, self, V4L2_PIX_FMT_YUYV);
	fallback_paths(_metadata, self, V4L2_PIX_FMT_NV12);
}

/*
 * The same camera on the CPU device: the dma-bufs are mapped (zero
 * copy); the dmabuf path is not possible (CPU memory is no dma-buf), so
 * without zero-copy frames are copied.
 */
TEST_F(cam, cpu_device)
{
	struct vision_camera_config cfg = {
		.fourcc = V4L2_PIX_FMT_NV12,
		.width = CAM_W,
		.height = CAM_H,
	};
	struct vision_camera_stats st;

	run_frames(_metadata, self, self->d.cpu, self->d.cpu_model, &cfg, 3,
		   VISION_CAMERA_ZERO_COPY, &st);
	ASSERT_EQ(0, st.copied_bytes);
	ASSERT_EQ(4, st.imports);
	cfg.flags = VISION_CAMERA_NO_ZERO_COPY;
	run_frames(_metadata, self, self->d.cpu, self->d.cpu_model, &cfg, 3,
		   VISION_CAMERA_COPY, &st);
	ASSERT_LT(0, st.copied_bytes);
}

/*
 * Pipelining: frame n+1 is dequeued while the inference of frame n
 * runs, and only then is n waited for and given back.
 */
TEST_F(cam, pipelining)
{
	enum { N = 8 };
	struct vision_camera_config cfg = {
		.fourcc = V4L2_PIX_FMT_YUYV,
		.width = CAM_W,
		.height = CAM_H,
		.num_buffers = 4,
	};
	struct vision_camera_frame *f[N];
	struct vision_request *req[N];
	struct vision_camera *cam;

	ASSERT_EQ(0, vision_camera_open(self->d.dev, self->node, &cfg, &cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	for (int n = 0; n <= N; n++) {
		if (n < N) {
			ASSERT_EQ(0, vision_camera_dequeue(cam, &f[n]));
			ASSERT_EQ(0, vision_submit(self->d.model, &f[n]->input,
						   1, 0, &req[n]));
			if (n)
				ASSERT_LT(f[n - 1]->sequence, f[n]->sequence);
		}
		if (n) {
			const void *out;
			uint8_t ref[OUT_SIZE];
			struct vision_input vi = {
				.data = f[n - 1]->data,
				.size = frame_span(&f[n - 1]->frame),
				.frame = &f[n - 1]->frame,
			};

			ASSERT_EQ(0, vision_request_wait(req[n - 1], -1));
			ASSERT_EQ(0, vision_request_output(req[n - 1], 0, &out,
							   NULL));
			ASSERT_EQ(0, vision_infer(self->d.cpu_model, &vi, ref,
						  sizeof(ref)));
			ASSERT_EQ(0, memcmp(out, ref, OUT_SIZE));
			ASSERT_EQ(0, vision_camera_requeue(cam, f[n - 1]));
			vision_request_free(req[n - 1]);
		}
	}
	vision_camera_close(cam);
}

/* Holding frames, giving back the wrong ones, stopping and restarting. */
TEST_F(cam, holding_frames)
{
	struct vision_camera_config cfg = {
		.fourcc = V4L2_PIX_FMT_RGB24,
		.width = CAM_W,
		.height = CAM_H,
		.num_buffers = 2,
	};
	struct vision_camera_frame *a, *b, *c, fake;
	struct vision_request *req;
	struct vision_camera_stats st;
	struct vision_camera *cam;
	int leakables = count_leakables();

	ASSERT_EQ(0, vision_camera_open(self->d.dev, self->node, &cfg, &cam));
	ASSERT_EQ(-EINVAL, vision_camera_dequeue(cam, &a));
	ASSERT_EQ(NULL, a);
	ASSERT_EQ(-EINVAL, vision_camera_dequeue(cam, NULL));
	ASSERT_EQ(0, vision_camera_stop(cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &a));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &b));
	ASSERT_NE(a->index, b->index);
	/* Both buffers held: nothing to capture into. */
	ASSERT_EQ(-EAGAIN, vision_camera_dequeue(cam, &c));
	memset(&fake, 0, sizeof(fake));
	ASSERT_EQ(-EINVAL, vision_camera_requeue(cam, &fake));
	ASSERT_EQ(0, vision_camera_requeue(cam, a));
	ASSERT_EQ(-EINVAL, vision_camera_requeue(cam, a));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &c));
	/* Stopping with a frame held and in use releases it. */
	ASSERT_EQ(0, vision_submit(self->d.model, &b->input, 1, 0, &req));
	ASSERT_EQ(0, vision_camera_stop(cam));
	ASSERT_EQ(0, vision_request_wait(req, 0));
	vision_request_free(req);
	ASSERT_EQ(-EINVAL, vision_camera_requeue(cam, b));
	ASSERT_EQ(-EINVAL, vision_camera_requeue(cam, c));
	ASSERT_EQ(-EINVAL, vision_camera_dequeue(cam, &a));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &a));
	ASSERT_EQ(0, vision_camera_get_stats(cam, &st));
	ASSERT_EQ(4, st.frames);
	ASSERT_EQ(2, st.imports);
	/* Closing with a frame held and streaming on. */
	vision_camera_close(cam);
	ASSERT_EQ(leakables, count_leakables());
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A camera that stops delivering (vivid drops every buffer) times out
 * with -ETIMEDOUT after the configured time, signals notwithstanding,
 * and recovers once frames come again.
 */
TEST_F(cam, stall)
{
	struct vision_camera_config cfg = {
		.fourcc = V4L2_PIX_FMT_YUYV,
		.width = CAM_W,
		.height = CAM_H,
		.timeout_ms = 400,
	};
	struct itimerval it = { .it_interval = { .tv_usec = 30000 },
				.it_value = { .tv_usec = 30000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vision_camera_stats st;
	struct vision_camera_frame *f;
	struct vision_camera *cam;
	int64_t t0 = 0, dt;
	uint32_t first;
	int ret = 0, i;

	ASSERT_EQ(0, vision_camera_open(self->d.dev, self->node, &cfg, &cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &f));
	first = f->sequence;
	ASSERT_EQ(0, vision_camera_requeue(cam, f));
	ASSERT_EQ(0,
		  vivid_set_ctrl(vision_camera_fd(cam), VIVID_CID_PERC_DROPPED,
				 "Percentage of Dropped Buffers", 100));

	/* Interrupted over and over, without SA_RESTART. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	/* Frames captured before the stall may still be waiting. */
	for (i = 0; i < 6; i++) {
		t0 = now_ms();
		ret = vision_camera_dequeue(cam, &f);
		if (ret)
			break;
		ASSERT_EQ(0, vision_camera_requeue(cam, f));
	}
	dt = now_ms() - t0;
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	ASSERT_EQ(-ETIMEDOUT, ret);
	ASSERT_LE(400, dt);
	ASSERT_GT(400 + 2000, dt);

	ASSERT_EQ(0,
		  vivid_set_ctrl(vision_camera_fd(cam), VIVID_CID_PERC_DROPPED,
				 "Percentage of Dropped Buffers", 0));
	ret = vision_camera_dequeue(cam, &f);
	for (i = 0; ret == -ETIMEDOUT && i < 5; i++)
		ret = vision_camera_dequeue(cam, &f);
	ASSERT_EQ(0, ret);
	/* vivid counted the frames it dropped: a gap in the sequence. */
	ASSERT_EQ(0, vision_camera_get_stats(cam, &st));
	ASSERT_LT(0, st.dropped);
	ASSERT_EQ(f->sequence - first + 1 - st.frames, st.dropped);
	vision_camera_close(cam);
}

/*
 * A node that is no capture node (vivid's video output) is refused; a
 * capture node whose camera is unplugged mid-stream (vivid's Disconnect
 * control) fails with -ENODEV, frames already handed out stay readable
 * and the inference on one completes, and close is clean. vivid plugs
 * the instance back in when its last user has gone, so the camera is
 * usable again afterwards. Instance 1 when there is one, so that
 * instance 0 never goes away under anyone else.
 */
TEST_F(cam, unplug)
{
	struct vision_camera_config cfg = {
		.fourcc = V4L2_PIX_FMT_NV12,
		.width = CAM_W,
		.height = CAM_H,
	};
	struct vision_camera_frame *f, *g;
	struct vision_request *req;
	struct vision_camera *cam;
	uint8_t ref[OUT_SIZE];
	const void *out;
	char node[64];
	int hold, leakables;

	if (!vivid_find(VIVID_CAM0, V4L2_CAP_VIDEO_OUTPUT, node, sizeof(node)))
		ASSERT_EQ(-ENODEV,
			  vision_camera_open(self->d.dev, node, NULL, &cam));
	if (vivid_find(VIVID_CAM1, V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING,
		       node, sizeof(node))) {
		TH_LOG("no %s: unplugging %s", VIVID_CAM1, VIVID_CAM0);
		snprintf(node, sizeof(node), "%s", self->node);
	}
	/* A second user: vivid stays unplugged until it closes. */
	hold = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, hold);
	leakables = count_leakables();

	ASSERT_EQ(0, vision_camera_open(self->d.dev, node, &cfg, &cam));
	ASSERT_EQ(VISION_CAMERA_ZERO_COPY, vision_camera_path(cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &f));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &g));
	ASSERT_EQ(0, vision_camera_requeue(cam, g));
	ASSERT_EQ(0, vision_submit(self->d.model, &f->input, 1, 0, &req));

	ASSERT_EQ(0, vivid_set_ctrl(vision_camera_fd(cam), VIVID_CID_DISCONNECT,
				    "Disconnect", 0));
	ASSERT_EQ(-ENODEV, vision_camera_dequeue(cam, &g));
	ASSERT_EQ(NULL, g);
	ASSERT_EQ(-ENODEV, vision_camera_dequeue(cam, &g));
	ASSERT_EQ(-ENODEV, vision_camera_start(cam));

	/* The frame in flight was read from memory the BO still holds. */
	ASSERT_EQ(0, vision_request_wait(req, -1));
	ASSERT_EQ(0, vision_request_output(req, 0, &out, NULL));
	{
		struct vision_input vi = {
			.data = f->data,
			.size = frame_span(&f->frame),
			.frame = &f->frame,
		};

		ASSERT_EQ(0, vision_infer(self->d.cpu_model, &vi, ref,
					  sizeof(ref)));
	}
	ASSERT_EQ(0, memcmp(out, ref, OUT_SIZE));
	vision_request_free(req);
	ASSERT_EQ(-ENODEV, vision_camera_requeue(cam, f));
	ASSERT_EQ(-EINVAL, vision_camera_requeue(cam, f));
	ASSERT_EQ(0, vision_camera_stop(cam));
	vision_camera_close(cam);
	ASSERT_EQ(leakables, count_leakables());
	/* Gone for new users too, while unplugged. */
	ASSERT_EQ(-ENODEV, vision_camera_open(self->d.dev, node, &cfg, &cam));
	ASSERT_EQ(NULL, cam);

	/* Plugged back in: the camera works again. */
	close(hold);
	ASSERT_EQ(0, vision_camera_open(self->d.dev, node, &cfg, &cam));
	ASSERT_EQ(0, vision_camera_start(cam));
	ASSERT_EQ(0, vision_camera_dequeue(cam, &f));
	ASSERT_EQ(0, vision_camera_requeue(cam, f));
	vision_camera_close(cam);
}

TEST_HARNESS_MAIN
