// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Real images through a real V4L2 device: vivid's HDMI video output
 * looped into its HDMI video capture (tools/v4l2_feed.c sets it up and
 * draws the frames). A guest test: in the test VM, init.sh loads vivid
 * with a dedicated loop instance; elsewhere there is no vivid and every
 * test skips.
 *
 * - loop.exact: for each pixel format, random images come back byte for
 *   byte as an independent renderer of the documented frame layout
 *   predicts, tagged, with the latency printed; bad arguments fail
 *   cleanly.
 * - fmnist: Fashion-MNIST test images fed through the loop, captured,
 *   and classified by the device straight from the capture buffers
 *   (VIDIOC_EXPBUF, imported as dma-bufs: no copy). The device's outputs
 *   must equal the CPU's on the same captured bytes, and, the loop and
 *   the 4x nearest upscale being exact, equal the CPU's on the original
 *   28x28 image given as a GREY frame. Accuracy over the labels is
 *   printed and must be sane.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <vision/vision.h>

#include "dataset.h"
#include "errmsg.h"
#include "v4l2_feed.h"

#include "kselftest_harness.h"

#define W V4L2_FEED_WIDTH
#define H V4L2_FEED_HEIGHT
#define CAP_BUFFERS 4
/* Capture frames to wait for a tag before calling the loop broken. */
#define MAX_WAIT_FRAMES 120
#define DATA_DIR "/opt/vision/data"

/* ---- finding the loop ---------------------------------------------------- */

struct loop_nodes {
	char cap[64];
	char out[64];
};

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * $VISION_LOOP_CAPTURE and $VISION_LOOP_OUTPUT (init.sh sets them), else
 * the vivid instance with the highest number that has a video capture
 * and a video output node (init.sh loads a dedicated one last).
 */
static int find_loop(struct loop_nodes *n)
{
	const char *c = getenv("VISION_LOOP_CAPTURE");
	const char *o = getenv("VISION_LOOP_OUTPUT");
	int best = -1, cap_node[100], out_node[100];
	struct dirent *e;
	DIR *d;

	if (c && o) {
		snprintf(n->cap, sizeof(n->cap), "%s", c);
		snprintf(n->out, sizeof(n->out), "%s", o);
		return 0;
	}
	for (int i = 0; i < 100; i++)
		cap_node[i] = out_node[i] = -1;
	d = opendir("/sys/class/video4linux");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], name[64], kind[8];
		int node, inst;

		if (sscanf(e->d_name, "video%d", &node) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name",
			 e->d_name);
		if (read_line(path, name, sizeof(name)) ||
		    sscanf(name, "vivid-%3d-vid-%3s", &inst, kind) != 2 ||
		    inst < 0 || inst >= 100)
			continue;
		if (!strcmp(kind, "cap"))
			cap_node[inst] = node;
		else if (!strcmp(kind, "out"))
			out_node[inst] = node;
	}
	closedir(d);
	for (int i = 0; i < 100; i++)
		if (cap_node[i] >= 0 && out_node[i] >= 0)
			best = i;
	if (best < 0)
		return -1;
	snprintf(n->cap, sizeof(n->cap), "/dev/video%d", cap_node[best]);
	snprintf(n->out, sizeof(n->out), "/dev/video%d", out_node[best]);
	return 0;
}

/* ---- capture: raw V4L2, buffers exported as dma-bufs ------------------ */

struct capture {
	int fd;
	unsigned int n;
	struct vision_frame f;
	void *map[CAP_BUFFERS];
	size_t len[CAP_BUFFERS];
	int dmabuf[CAP_BUFFERS];
	uint32_t last_seq; /* sequence of the newest frame dequeued */
	int have_seq; /* whether any was */
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && errno == EINTR);
	return ret == -1 ? -errno : 0;
}

static void capture_close(struct capture *c)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (c->fd < 0)
		return;
	xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < CAP_BUFFERS; i++) {
		if (c->map[i])
			munmap(c->map[i], c->len[i]);
		if (c->dmabuf[i] >= 0)
			close(c->dmabuf[i]);
	}
	close(c->fd);
	c->fd = -1;
}

static int capture_open(struct capture *c, const char *path, uint32_t fourcc)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_requestbuffers req;
	struct v4l2_format fmt;
	int ret;

	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < CAP_BUFFERS; i++)
		c->dmabuf[i] = -1;
	c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	fmt.fmt.pix.width = W;
	fmt.fmt.pix.height = H;
	fmt.fmt.pix.pixelformat = fourcc;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(c->fd, VIDIOC_S_FMT, &fmt);
	if (ret)
		goto err;
	if (fmt.fmt.pix.pixelformat != fourcc || fmt.fmt.pix.width != W ||
	    fmt.fmt.pix.height != H) {
		ret = -EINVAL;
		goto err;
	}
	c->f.fourcc = fourcc;
	c->f.width = W;
	c->f.height = H;
	c->f.num_planes = 1;
	c->f.strides[0] = fmt.fmt.pix.bytesperline;
	if (fourcc == V4L2_PIX_FMT_NV12) {
		c->f.num_planes = 2;
		c->f.offsets[1] = (uint64_t)fmt.fmt.pix.bytesperline * H;
		c->f.strides[1] = fmt.fmt.pix.bytesperline;
	}

	memset(&req, 0, sizeof(req));
	req.count = CAP_BUFFERS;
	req.type = type;
	req.memory = V4L2_MEMORY_MMAP;
	ret = xioctl(c->fd, VIDIOC_REQBUFS, &req);
	if (ret)
		goto err;
	if (req.count < CAP_BUFFERS) {
		ret = -ENOMEM;
		goto err;
	}
	c->n = CAP_BUFFERS;
	for (unsigned int i = 0; i < c->n; i++) {
		struct v4l2_exportbuffer exp = {
			.type = type,
			.index = i,
			.flags = O_RDWR | O_CLOEXEC,
		};
		struct v4l2_buffer b = {
			.type = type,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		ret = xioctl(c->fd, VIDIOC_QUERYBUF, &b);
		if (ret)
			goto err;
		c->map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, c->fd,
				 b.m.offset);
		if (c->map[i] == MAP_FAILED) {
			c->map[i] = NULL;
			ret = -errno;
			goto err;
		}
		c->len[i] = b.length;
		ret = xioctl(c->fd, VIDIOC_EXPBUF, &exp);
		if (ret)
			goto err;
		c->dmabuf[i] = exp.fd;
		ret = xioctl(c->fd, VIDIOC_QBUF, &b);
		if (ret)
			goto err;
	}
	ret = xioctl(c->fd, VIDIOC_STREAMON, &type);
	if (ret)
		goto err;
	return 0;
err:
	capture_close(c);
	return ret;
}

/* The next frame: its buffer index and sequence, or -errno. */
static int capture_dequeue(struct capture *c, uint32_t *seq)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct v4l2_buffer b;
	int ret;

	for (;;) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		ret = xioctl(c->fd, VIDIOC_DQBUF, &b);
		if (ret != -EAGAIN)
			break;
		ret = poll(&pfd, 1, 5000);
		if (ret == 0)
			return -ETIMEDOUT;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
	if (ret)
		return ret;
	*seq = b.sequence;
	c->last_seq = b.sequence;
	c->have_seq = 1;
	return (int)b.index;
}

static int capture_requeue(struct capture *c, unsigned int i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = i,
	};

	return xioctl(c->fd, VIDIOC_QBUF, &b);
}

/* Latency of the frames put so far, in capture frames and milliseconds. */
struct latency {
	unsigned int n;
	unsigned int frames_min, frames_max, frames_sum;
	double ms_min, ms_max, ms_sum;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void latency_add(struct latency *l, unsigned int frames, double ms)
{
	if (!l->n || frames < l->frames_min)
		l->frames_min = frames;
	if (!l->n || frames > l->frames_max)
		l->frames_max = frames;
	if (!l->n || ms < l->ms_min)
		l->ms_min = ms;
	if (!l->n || ms > l->ms_max)
		l->ms_max = ms;
	l->frames_sum += frames;
	l->ms_sum += ms;
	l->n++;
}

/*
 * Put @img with @tag, then dequeue capture frames until one carries the
 * tag; returns its buffer index (still dequeued: requeue it) or -errno.
 * The latency counts capture frames by sequence number from the newest
 * frame seen before the put (none before the first put: not counted).
 */
static int feed_and_capture(struct v4l2_feed *feed, struct capture *c,
			    const uint8_t *img, uint32_t w, uint32_t h,
			    uint32_t tag, struct latency *lat)
{
	uint32_t before = c->last_seq, seq = 0;
	int have_before = c->have_seq;
	double t0 = now_ms();
	int ret = v4l2_feed_put(feed, img, w, h, tag);

	if (ret)
		return ret;
	for (int n = 0; n < MAX_WAIT_FRAMES; n++) {
		int i = capture_dequeue(c, &seq);

		if (i < 0)
			return i;
		if (v4l2_feed_tag(&c->f, c->map[i]) == (long)tag) {
			if (have_before)
				latency_add(lat, seq - before, now_ms() - t0);
			return i;
		}
		ret = capture_requeue(c, (unsigned int)i);
		if (ret)
			return ret;
	}
	return -ETIMEDOUT;
}

/* ---- an independent renderer of the documented frame layout ---------- */

/* What the frame's pixel (x, y) must hold, as bytes of the format. */
static uint8_t layout_grey(const uint8_t *img, uint32_t w, uint32_t h,
			   uint32_t k, uint32_t tag, uint32_t x, uint32_t y)
{
	if (y >= 8 && y < 16 && x >= 8 && x < 8 + 8 * 48) {
		uint32_t b = (x - 8) / 8, crc = 0, bits;

		if (b < 4)
			return (0xb >> (3 - b)) & 1 ? 255 : 0;
		if (b < 36)
			return (tag >> (35 - b)) & 1 ? 255 : 0;
		if (b >= 44)
			return (0x4 >> (47 - b)) & 1 ? 255 : 0;
		/* CRC-8, polynomial x^8 + x^2 + x + 1, bit by bit over 32. */
		bits = tag;
		for (int i = 31; i >= 0; i--) {
			uint32_t top = ((crc >> 7) & 1) ^ ((bits >> i) & 1);

			crc = (crc << 1) & 0xff;
			if (top)
				crc ^= 0x07;
		}
		return (crc >> (43 - b)) & 1 ? 255 : 0;
	}
	if (x >= 8 && x < 8 + w * k && y >= 24 && y < 24 + h * k)
		return img[(y - 24) / k * w + (x - 8) / k];
	return 0;
}

static uint8_t limited(uint8_t v)
{
	return (uint8_t)(16 + (219 * v + 127) / 255);
}

/* Number of bytes of the captured frame that differ from the layout. */
static size_t frame_diff(const struct vision_frame *f, const uint8_t *p,
			 const uint8_t *img, uint32_t w, uint32_t h, uint32_t k,
			 uint32_t tag)
{
	size_t bad = 0;

	for (uint32_t y = 0; y < f->height; y++) {
		const uint8_t *row = p + (size_t)y * f->strides[0];

		for (uint32_t x = 0; x < f->width; x++) {
			uint8_t v = layout_grey(img, w, h, k, tag, x, y);

			switch (f->fourcc) {
			case V4L2_PIX_FMT_GREY:
				bad += row[x] != v;
				break;
			case V4L2_PIX_FMT_RGB24:
				bad += row[3 * x] != v;
				bad += row[3 * x + 1] != v;
				bad += row[3 * x + 2] != v;
				break;
			case V4L2_PIX_FMT_YUYV:
				bad += row[2 * x] != limited(v);
				bad += row[2 * x + 1] != 128;
				break;
			case V4L2_PIX_FMT_NV12:
				bad += row[x] != limited(v);
				if (y % 2 == 0)
					bad += p[f->offsets[1] +
						 (size_t)(y / 2) * f->strides[1] +
						 x] != 128;
				break;
			}
		}
	}
	return bad;
}

/* ---- loop.exact: every format, byte for byte ------------------------ */

FIXTURE(loop)
{
	struct loop_nodes nodes;
	struct v4l2_feed *feed;
	struct capture cap;
	struct latency lat;
};

FIXTURE_VARIANT(loop)
{
	uint32_t fourcc;
	const char *name;
};

FIXTURE_VARIANT_ADD(loop, grey){
	.fourcc = V4L2_PIX_FMT_GREY,
	.name = "GREY",
};

FIXTURE_VARIANT_ADD(loop, yuyv){
	.fourcc = V4L2_PIX_FMT_YUYV,
	.name = "YUYV",
};

FIXTURE_VARIANT_ADD(loop, nv12){
	.fourcc = V4L2_PIX_FMT_NV12,
	.name = "NV12",
};

FIXTURE_VARIANT_ADD(loop, rgb24){
	.fourcc = V4L2_PIX_FMT_RGB24,
	.name = "RGB24",
};

FIXTURE_SETUP(loop)
{
	self->feed = NULL;
	self->cap.fd = -1;
	memset(&self->lat, 0, sizeof(self->lat));
	if (find_loop(&self->nodes))
		SKIP(return, "no vivid instance with video capture and output");
	ASSERT_EQ(0,
		  v4l2_feed_loop_setup(self->nodes.cap, self->nodes.out, W, H))
	TH_LOG("loop %s -> %s", self->nodes.out, self->nodes.cap);
	ASSERT_EQ(0, v4l2_feed_open(self->nodes.out, variant->fourcc, W, H,
				    &self->feed));
	ASSERT_EQ(0,
		  capture_open(&self->cap, self->nodes.cap, variant->fourcc));
}

FIXTURE_TEARDOWN(loop)
{
	capture_close(&self->cap);
	v4l2_feed_close(self->feed);
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	/* xorshift32: a fixed, seedable sequence. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

TEST_F(loop, exact)
{
	/* Sizes: Fashion-MNIST's, one the scale cannot divide, a strip. */
	static const uint32_t sizes[][2] = {
		{ 28, 28 }, { 37, 19 }, { 150, 1 }, { 28, 28 }
	};
	enum { FRAMES = 8 };
	struct vision_frame region;
	uint8_t img[150 * 28];

	rng_state = 0x12345678u ^ variant->fourcc;
	for (uint32_t t = 0; t < FRAMES; t++) {
		uint32_t w = sizes[t % 4][0], h = sizes[t % 4][1];
		uint32_t tag = rng(), k;
		int i;

		for (uint32_t p = 0; p < w * h; p++)
			img[p] = (uint8_t)rng();
		/* Both extremes, to cover the whole range. */
		img[0] = 0;
		img[w * h - 1] = 255;
		ASSERT_EQ(0, v4l2_feed_region(self->feed, w, h, &region));
		k = region.crop_width / w;
		ASSERT_EQ(8, region.crop_x);
		ASSERT_EQ(24, region.crop_y);
		ASSERT_EQ(w * k, region.crop_width);
		ASSERT_EQ(h * k, region.crop_height);
		ASSERT_LE(1, k);
		ASSERT_GE(V4L2_FEED_MAX_SCALE, k);

		i = feed_and_capture(self->feed, &self->cap, img, w, h, tag,
				     &self->lat);
		ASSERT_LE(0, i)
		TH_LOG("frame %u: %s", t, strerror(-i));
		ASSERT_EQ(0, frame_diff(&self->cap.f, self->cap.map[i], img, w,
					h, k, tag))
		TH_LOG("%s frame %u (%ux%u, scale %u) differs", variant->name,
		       t, w, h, k);
		ASSERT_EQ(0, capture_requeue(&self->cap, (unsigned int)i));
	}
	TH_LOG("%s: %u frames exact; latency %u..%u capture frames (mean %.1f), %.0f..%.0f ms (mean %.0f)",
	       variant->name, FRAMES, self->lat.frames_min,
	       self->lat.frames_max, (double)self->lat.frames_sum / self->lat.n,
	       self->lat.ms_min, self->lat.ms_max,
	       self->lat.ms_sum / self->lat.n);
}

/*
 * YUYV and NV12 carry grey as limited-range luma: what the device's input
 * stage makes of it (Documentation/input-stage.rst: luma =
 * (298 (Y - 16) + 128) >> 8, clamped) is every grey level within one
 * step. Pure arithmetic: runs everywhere.
 */
TEST(luma_round_trip)
{
	for (int v = 0; v < 256; v++) {
		int y = limited((uint8_t)v);
		int back = (298 * (y - 16) + 128) >> 8;

		back = back < 0 ? 0 : back > 255 ? 255 : back;
		ASSERT_GE(1, abs(back - v)) TH_LOG("grey %d", v);
	}
}

TEST_F(loop, bad_arguments)
{
	struct vision_frame f = self->cap.f, region;
	uint8_t img[28 * 28] = { 0 }, *frame;
	struct v4l2_feed *other;
	size_t size = (size_t)f.strides[0] * H * 2;
	int i;

	ASSERT_EQ(-EINVAL, v4l2_feed_put(self->feed, NULL, 28, 28, 1));
	ASSERT_EQ(-EINVAL, v4l2_feed_put(self->feed, img, 0, 28, 1));
	ASSERT_EQ(-EINVAL, v4l2_feed_put(NULL, img, 28, 28, 1));
	ASSERT_EQ(-E2BIG, v4l2_feed_put(self->feed, img, W, 1, 1));
	ASSERT_EQ(-E2BIG, v4l2_feed_region(self->feed, 1, H, &region));
	ASSERT_EQ(-EINVAL, v4l2_feed_region(self->feed, 28, 28, NULL));
	/* A streaming output takes no second feed. */
	ASSERT_EQ(-EBUSY, v4l2_feed_open(self->nodes.out, variant->fourcc, W, H,
					 &other));
	ASSERT_EQ(-ENOENT, v4l2_feed_loop_setup("/dev/nonexistent",
						self->nodes.out, W, H));
	ASSERT_EQ(-ENODEV,
		  v4l2_feed_loop_setup(self->nodes.out, self->nodes.cap, W, H));
	ASSERT_EQ(-EINVAL, v4l2_feed_loop_setup(self->nodes.cap,
						self->nodes.out, 641, 480));
	ASSERT_EQ(-ENODEV, v4l2_feed_open(self->nodes.cap, variant->fourcc, W,
					  H, &other));
	ASSERT_EQ(-EOPNOTSUPP,
		  v4l2_feed_open(self->nodes.out, V4L2_PIX_FMT_MJPEG, W, H,
				 &other));
	ASSERT_EQ(-EINVAL, v4l2_feed_open(self->nodes.out, variant->fourcc, 100,
					  H, &other));

	/* A good frame reads; any damaged block or the CRC does not. */
	i = feed_and_capture(self->feed, &self->cap, img, 28, 28, 0xdeadbeef,
			     &self->lat);
	ASSERT_LE(0, i);
	frame = malloc(size);
	ASSERT_NE(NULL, frame);
	memcpy(frame, self->cap.map[i],
	       size < self->cap.len[i] ? size : self->cap.len[i]);
	ASSERT_EQ(0, capture_requeue(&self->cap, (unsigned int)i));
	ASSERT_EQ(0xdeadbeefL, v4l2_feed_tag(&f, frame));
	for (uint32_t b = 0; b < 48; b += 5) {
		uint32_t bpp = variant->fourcc == V4L2_PIX_FMT_RGB24 ? 3 :
			       variant->fourcc == V4L2_PIX_FMT_YUYV  ? 2 :
								       1;
		uint8_t *px = frame + 12 * (size_t)f.strides[0] +
			      (8 + 8 * b + 3) * bpp;
		uint8_t old[3];

		/* A mid grey pixel makes the block unreadable. */
		memcpy(old, px, bpp);
		memset(px, 128, bpp);
		ASSERT_EQ(-1, v4l2_feed_tag(&f, frame)) TH_LOG("block %u", b);
		memcpy(px, old, bpp);
	}
	ASSERT_EQ(0xdeadbeefL, v4l2_feed_tag(&f, frame));
	/* A whole flipped data block: the CRC catches it. */
	for (uint32_t y = 8; y < 16; y++)
		for (uint32_t x = 8 + 8 * 20; x < 8 + 8 * 21; x++) {
			uint32_t bpp =
				variant->fourcc == V4L2_PIX_FMT_RGB24 ? 3 :
				variant->fourcc == V4L2_PIX_FMT_YUYV  ? 2 :
									1;
			uint8_t *px =
				frame + y * (size_t)f.strides[0] + x * bpp;

			for (uint32_t c = 0; c < bpp; c++)
				if (bpp != 2 || c == 0)
					px[c] = px[c] > 128 ? 16 : 235;
		}
	ASSERT_EQ(-1, v4l2_feed_tag(&f, frame));
	f.width = 100;
	ASSERT_EQ(-1, v4l2_feed_tag(&f, frame));
	f = self->cap.f;
	f.fourcc = V4L2_PIX_FMT_MJPEG;
	ASSERT_EQ(-1, v4l2_feed_tag(&f, frame));
	ASSERT_EQ(-1, v4l2_feed_tag(NULL, frame));
	ASSERT_EQ(-1, v4l2_feed_tag(&self->cap.f, NULL));
	free(frame);
}

/* ---- Fashion-MNIST through the loop, classified from the buffers ----- */

static const char *data_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("VISION_DATA_DIR");

	snprintf(buf, len, "%s/%s", dir ? dir : DATA_DIR, name);
	return buf;
}

/*
 * Two ways to the same buffers: raw V4L2 with each buffer exported
 * (VIDIOC_EXPBUF) and imported into both devices by the test, and
 * libvision's camera (vision_camera_*), which must pick its zero-copy
 * path and copy nothing.
 */
FIXTURE(fmnist)
{
	struct loop_nodes nodes;
	struct v4l2_feed *feed;
	struct capture cap;
	struct vision_camera *cam;
	struct vision_device *dev, *cpu;
	struct vision_model *model, *cpu_model;
	struct vision_bo *bo[CAP_BUFFERS], *cpu_bo[CAP_BUFFERS];
	struct vis_dataset *ds;
};

FIXTURE_VARIANT(fmnist)
{
	int camera;
	unsigned int images;
};

FIXTURE_VARIANT_ADD(fmnist, v4l2){
	.camera = 0,
	.images = 100,
};

FIXTURE_VARIANT_ADD(fmnist, camera){
	.camera = 1,
	.images = 50,
};

FIXTURE_SETUP(fmnist)
{
	char model[256], images[256], labels[256];
	struct vision_camera_config cfg;
	struct vision_model_error err;
	struct vis_dataset_opts opts;
	struct vis_error verr;
	int ret;

	self->feed = NULL;
	self->cap.fd = -1;
	self->cam = NULL;
	self->dev = self->cpu = NULL;
	self->model = self->cpu_model = NULL;
	self->ds = NULL;
	memset(self->bo, 0, sizeof(self->bo));
	memset(self->cpu_bo, 0, sizeof(self->cpu_bo));
	if (find_loop(&self->nodes))
		SKIP(return, "no vivid instance with video capture and output");
	data_path("fmnist_cnn.vnm", model, sizeof(model));
	data_path("t10k-images-idx3-ubyte.gz", images, sizeof(images));
	data_path("t10k-labels-idx1-ubyte.gz", labels, sizeof(labels));
	if (access(model, R_OK) || access(images, R_OK) || access(labels, R_OK))
		SKIP(return, "no %s or the Fashion-MNIST test set", model);

	unsetenv("VISION_DEVICE");
	ret = vision_device_open(NULL, &self->dev);
	ASSERT_EQ(0, ret) TH_LOG("vision device: %s", vision_strerror(ret));
	ASSERT_EQ(0, vision_device_is_cpu(self->dev));
	ASSERT_EQ(0, vision_device_open(VISION_DEVICE_CPU, &self->cpu));
	ASSERT_EQ(0, vision_model_load(self->dev, model, &self->model, &err))
	TH_LOG("%s", err.text);
	ASSERT_EQ(0,
		  vision_model_load(self->cpu, model, &self->cpu_model, &err));

	memset(&opts, 0, sizeof(opts));
	opts.labels = labels;
	ASSERT_EQ(0, vis_dataset_open(images, &opts, &self->ds, &verr))
	TH_LOG("%s", verr.msg);

	ASSERT_EQ(0,
		  v4l2_feed_loop_setup(self->nodes.cap, self->nodes.out, W, H));
	ASSERT_EQ(0, v4l2_feed_open(self->nodes.out, V4L2_PIX_FMT_GREY, W, H,
				    &self->feed));
	if (variant->camera) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.fourcc = V4L2_PIX_FMT_GREY;
		cfg.width = W;
		cfg.height = H;
		cfg.num_buffers = CAP_BUFFERS;
		ret = vision_camera_open(self->dev, self->nodes.cap, &cfg,
					 &self->cam);
		ASSERT_EQ(0, ret) TH_LOG("camera: %s", vision_strerror(ret));
		ASSERT_EQ(VISION_CAMERA_ZERO_COPY,
			  vision_camera_path(self->cam));
		ASSERT_EQ(0, vision_camera_format(self->cam, &self->cap.f));
		ASSERT_EQ(V4L2_PIX_FMT_GREY, self->cap.f.fourcc);
		ASSERT_EQ(W, self->cap.f.width);
		ASSERT_EQ(H, self->cap.f.height);
		ASSERT_EQ(0, vision_camera_start(self->cam));
		return;
	}
	ASSERT_EQ(0,
		  capture_open(&self->cap, self->nodes.cap, V4L2_PIX_FMT_GREY));
	/* Each capture buffer imported once, into both devices: no copy. */
	for (unsigned int i = 0; i < CAP_BUFFERS; i++) {
		ASSERT_EQ(0, vision_bo_import_dmabuf(self->dev,
						     self->cap.dmabuf[i],
						     &self->bo[i]));
		ASSERT_EQ(VISION_BO_IMPORTED, vision_bo_flags(self->bo[i]));
		ASSERT_EQ(0, vision_bo_import_dmabuf(self->cpu,
						     self->cap.dmabuf[i],
						     &self->cpu_bo[i]));
	}
}

FIXTURE_TEARDOWN(fmnist)
{
	for (unsigned int i = 0; i < CAP_BUFFERS; i++) {
		vision_bo_free(self->bo[i]);
		vision_bo_free(self->cpu_bo[i]);
	}
	vision_camera_close(self->cam);
	capture_close(&self->cap);
	v4l2_feed_close(self->feed);
	vis_dataset_free(self->ds);
	vision_model_free(self->model);
	vision_model_free(self->cpu_model);
	vision_device_close(self->dev);
	vision_device_close(self->cpu);
}

/* feed_and_capture() through libvision's camera. */
static int feed_and_dequeue(struct v4l2_feed *feed, struct vision_camera *cam,
			    const uint8_t *img, uint32_t w, uint32_t h,
			    uint32_t tag, struct latency *lat,
			    uint32_t *last_seq, int *have_seq,
			    struct vision_camera_frame **out)
{
	uint32_t before = *last_seq;
	int have_before = *have_seq;
	double t0 = now_ms();
	int ret = v4l2_feed_put(feed, img, w, h, tag);

	if (ret)
		return ret;
	for (int n = 0; n < MAX_WAIT_FRAMES; n++) {
		struct vision_camera_frame *cf;

		ret = vision_camera_dequeue(cam, &cf);
		if (ret)
			return ret;
		*last_seq = cf->sequence;
		*have_seq = 1;
		if (v4l2_feed_tag(&cf->frame, cf->data) == (long)tag) {
			if (have_before)
				latency_add(lat, cf->sequence - before,
					    now_ms() - t0);
			*out = cf;
			return 0;
		}
		ret = vision_camera_requeue(cam, cf);
		if (ret)
			return ret;
	}
	return -ETIMEDOUT;
}

TEST_F(fmnist, predictions_through_loop)
{
	struct vision_camera_stats stats;
	struct vision_tensor_info logits;
	struct vision_model_info info;
	struct vis_image img = { 0 };
	struct latency lat = { 0 };
	uint8_t *a = NULL, *b = NULL, *c = NULL;
	unsigned int correct = 0, n = variant->images;
	struct vis_error verr;
	uint32_t cam_seq = 0;
	int cam_have_seq = 0;

	ASSERT_EQ(0, vision_model_get_info(self->model, &info));
	ASSERT_EQ(0, vision_model_output(self->model, 0, &logits));
	ASSERT_EQ(VISION_COLOR_GREY, info.input_color);
	a = malloc(info.output_size);
	b = malloc(info.output_size);
	c = malloc(info.output_size);
	ASSERT_TRUE(a && b && c);
	if (n > vis_dataset_count(self->ds))
		n = (unsigned int)vis_dataset_count(self->ds);

	for (unsigned int t = 0; t < n; t++) {
		struct vision_camera_frame *cf = NULL;
		struct vision_frame f = self->cap.f, orig;
		struct vision_input vi;
		uint32_t top_dev, top_orig;
		int i = -1, ret, label;

		ASSERT_EQ(0, vis_dataset_read(self->ds, t, &img, &verr))
		TH_LOG("%s", verr.msg);
		ASSERT_EQ(1, img.channels);
		if (self->cam)
			ret = feed_and_dequeue(self->feed, self->cam,
					       img.pixels, img.width,
					       img.height, t, &lat, &cam_seq,
					       &cam_have_seq, &cf);
		else
			ret = i = feed_and_capture(self->feed, &self->cap,
						   img.pixels, img.width,
						   img.height, t, &lat);
		ASSERT_LE(0, ret) TH_LOG("image %u: %s", t, strerror(-ret));

		/*
		 * (a) the device reading the capture buffer in place equals
		 * the CPU on the same bytes.
		 */
		if (cf) {
			ASSERT_EQ(0, v4l2_feed_region(self->feed, img.width,
						      img.height, &cf->frame));
			ASSERT_EQ(0, vision_infer(self->model, &cf->input, a,
						  info.output_size));
			f = cf->frame;
			vi = (struct vision_input){ .data = cf->data,
						    .size = cf->bytesused,
						    .frame = &f };
		} else {
			ASSERT_EQ(0, v4l2_feed_region(self->feed, img.width,
						      img.height, &f));
			vi = (struct vision_input){ .bo = self->bo[i],
						    .frame = &f };
			ASSERT_EQ(0, vision_infer(self->model, &vi, a,
						  info.output_size));
			vi.bo = self->cpu_bo[i];
		}
		ASSERT_EQ(0, vision_infer(self->cpu_model, &vi, b,
					  info.output_size));
		ASSERT_EQ(0, memcmp(a, b, info.output_size))
		TH_LOG("image %u: device and CPU differ on the same frame", t);
		if (cf)
			ret = vision_camera_requeue(self->cam, cf);
		else
			ret = capture_requeue(&self->cap, (unsigned int)i);
		ASSERT_EQ(0, ret);

		/*
		 * (b) = the CPU on the original pixels: the loop copies
		 * bytes and the 4x upscale is undone exactly by the input
		 * stage (every tap falls in one source pixel's square), so
		 * the whole output must match, not only the top class.
		 */
		memset(&orig, 0, sizeof(orig));
		orig.fourcc = V4L2_PIX_FMT_GREY;
		orig.width = img.width;
		orig.height = img.height;
		orig.num_planes = 1;
		orig.strides[0] = img.width;
		vi = (struct vision_input){ .data = img.pixels,
					    .size = (uint64_t)img.width *
						    img.height,
					    .frame = &orig };
		ASSERT_EQ(0, vision_infer(self->cpu_model, &vi, c,
					  info.output_size));
		ASSERT_EQ(0, memcmp(a, c, info.output_size))
		TH_LOG("image %u: looped and original outputs differ", t);

		ASSERT_EQ(1, vision_top_k((const int8_t *)a + logits.offset,
					  logits.shape[3], 1, &top_dev));
		ASSERT_EQ(1, vision_top_k((const int8_t *)c + logits.offset,
					  logits.shape[3], 1, &top_orig));
		ASSERT_EQ(top_orig, top_dev);
		label = vis_dataset_label(self->ds, t);
		ASSERT_LE(0, label);
		correct += (int)top_dev == label;
	}
	if (self->cam) {
		/* Zero copy: nothing copied, one import per buffer. */
		ASSERT_EQ(0, vision_camera_get_stats(self->cam, &stats));
		ASSERT_EQ(0, stats.copied_bytes);
		ASSERT_LE(n, stats.frames);
		ASSERT_GE(32, stats.imports);
	}
	TH_LOG("%u images through %s -> %s (%s): accuracy %.1f%% (%u/%u); latency %u..%u capture frames (mean %.1f), %.0f..%.0f ms (mean %.0f)",
	       n, self->nodes.out, self->nodes.cap,
	       self->cam ? "vision_camera" : "V4L2 + EXPBUF",
	       100.0 * correct / n, correct, n, lat.frames_min, lat.frames_max,
	       (double)lat.frames_sum / lat.n, lat.ms_min, lat.ms_max,
	       lat.ms_sum / lat.n);
	/* The compiled CNN scores about 90% on the test set. */
	ASSERT_LT(80 * n, 100 * correct);
	vis_image_release(&img);
	free(a);
	free(b);
	free(c);
}

TEST_HARNESS_MAIN
