// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * v4l2_feed: grey images with a readable tag through a V4L2 video output
 * device, and the vivid set-up that loops that output into a capture
 * device. See v4l2_feed.h for the frame layout.
 *
 * Plain ioctl()s: an output device needs no format conversion, so
 * libv4l2 would add nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/v4l2-dv-timings.h>
#include <linux/videodev2.h>

#include "v4l2_feed.h"

#define FEED_BUFFERS 4
/* Wait for the device to give a buffer back: a few frames at any rate. */
#define FEED_TIMEOUT_MS 2000
#define TAG_X 8
#define TAG_Y 8
#define BLOCK 8
#define IMAGE_X 8
#define IMAGE_Y 24
/* Luma thresholds of a block that reads as black or white. */
#define TAG_BLACK_MAX 64
#define TAG_WHITE_MIN 192

struct feed_buffer {
	void *ptr;
	size_t len;
	bool queued;
};

struct v4l2_feed {
	int fd;
	uint32_t fourcc;
	uint32_t width;
	uint32_t height;
	uint32_t stride;
	uint32_t sizeimage;
	unsigned int nbuf;
	bool streaming;
	struct feed_buffer buf[FEED_BUFFERS];
};

/* The one place that calls ioctl(): retries interrupted calls. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && errno == EINTR);
	return ret == -1 ? -errno : 0;
}

static uint32_t device_caps(const struct v4l2_capability *cap)
{
	return cap->capabilities & V4L2_CAP_DEVICE_CAPS ? cap->device_caps :
							  cap->capabilities;
}

/* ---- tag ------------------------------------------------------------- */

static uint8_t crc8(uint32_t v)
{
	uint8_t crc = 0;

	for (int i = 3; i >= 0; i--) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (int b = 0; b < 8; b++)
			crc = crc & 0x80 ? (uint8_t)(crc << 1) ^ 0x07 :
					   (uint8_t)(crc << 1);
	}
	return crc;
}

/* The strip's bits, first block first. */
static void tag_bits(uint32_t tag, uint8_t bits[V4L2_FEED_TAG_BLOCKS])
{
	static const uint8_t start[4] = { 1, 0, 1, 1 };
	static const uint8_t end[4] = { 0, 1, 0, 0 };
	uint8_t crc = crc8(tag);
	int n = 0;

	for (int i = 0; i < 4; i++)
		bits[n++] = start[i];
	for (int i = 31; i >= 0; i--)
		bits[n++] = (tag >> i) & 1;
	for (int i = 7; i >= 0; i--)
		bits[n++] = (crc >> i) & 1;
	for (int i = 0; i < 4; i++)
		bits[n++] = end[i];
}

/* ---- drawing ----------------------------------------------------------- */

static uint8_t grey_to_luma(uint8_t v)
{
	return (uint8_t)(16 + (219 * v + 127) / 255);
}

static bool format_supported(uint32_t fourcc)
{
	return fourcc == V4L2_PIX_FMT_GREY || fourcc == V4L2_PIX_FMT_YUYV ||
	       fourcc == V4L2_PIX_FMT_NV12 || fourcc == V4L2_PIX_FMT_RGB24;
}

/* Bytes per pixel of the first plane. */
static uint32_t format_bpp(uint32_t fourcc)
{
	switch (fourcc) {
	case V4L2_PIX_FMT_YUYV:
		return 2;
	case V4L2_PIX_FMT_RGB24:
		return 3;
	default:
		return 1;
	}
}

/*
 * Set pixels [x, x + n) of row y to grey value v. x and n are even for
 * the subsampled formats: every caller draws at even positions.
 */
static void fill_span(const struct v4l2_feed *f, uint8_t *p, uint32_t x,
		      uint32_t y, uint32_t n, uint8_t v)
{
	uint8_t *row = p + (size_t)y * f->stride;
	uint8_t l;

	switch (f->fourcc) {
	case V4L2_PIX_FMT_GREY:
		memset(row + x, v, n);
		break;
	case V4L2_PIX_FMT_RGB24:
		memset(row + (size_t)x * 3, v, (size_t)n * 3);
		break;
	case V4L2_PIX_FMT_YUYV:
		l = grey_to_luma(v);
		row += (size_t)x * 2;
		for (uint32_t i = 0; i < n; i++) {
			row[2 * i] = l;
			row[2 * i + 1] = 128;
		}
		break;
	case V4L2_PIX_FMT_NV12:
		memset(row + x, grey_to_luma(v), n);
		/* Chroma stays 128, written once by clear_frame(). */
		break;
	}
}

static void clear_frame(const struct v4l2_feed *f, uint8_t *p)
{
	switch (f->fourcc) {
	case V4L2_PIX_FMT_NV12:
		memset(p, 16, (size_t)f->stride * f->height);
		memset(p + (size_t)f->stride * f->height, 128,
		       (size_t)f->stride * (f->height / 2));
		break;
	case V4L2_PIX_FMT_YUYV:
		for (uint32_t y = 0; y < f->height; y++)
			fill_span(f, p, 0, y, f->width, 0);
		break;
	default:
		memset(p, 0, (size_t)f->stride * f->height);
		break;
	}
}

static uint32_t scale_for(const struct v4l2_feed *f, uint32_t w, uint32_t h)
{
	uint32_t k = V4L2_FEED_MAX_SCALE;

	if ((f->width - 2 * IMAGE_X) / w < k)
		k = (f->width - 2 * IMAGE_X) / w;
	if ((f->height - IMAGE_Y - 8) / h < k)
		k = (f->height - IMAGE_Y - 8) / h;
	return k;
}

static void draw_frame(const struct v4l2_feed *f, uint8_t *p,
		       const uint8_t *grey, uint32_t w, uint32_t h, uint32_t k,
		       uint32_t tag)
{
	uint8_t bits[V4L2_FEED_TAG_BLOCKS];

	clear_frame(f, p);
	tag_bits(tag, bits);
	for (uint32_t y = 0; y < BLOCK; y++)
		for (int b = 0; b < V4L2_FEED_TAG_BLOCKS; b++)
			if (bits[b])
				fill_span(f, p, TAG_X + b * BLOCK, TAG_Y + y,
					  BLOCK, 255);

	for (uint32_t y = 0; y < h * k; y++) {
		const uint8_t *src = grey + (size_t)(y / k) * w;

		for (uint32_t x = 0; x < w * k; x++) {
			uint8_t *q = p + (size_t)(IMAGE_Y + y) * f->stride;
			uint8_t v = src[x / k];

			switch (f->fourcc) {
			case V4L2_PIX_FMT_GREY:
				q[IMAGE_X + x] = v;
				break;
			case V4L2_PIX_FMT_NV12:
				q[IMAGE_X + x] = grey_to_luma(v);
				break;
			case V4L2_PIX_FMT_RGB24:
				q += (size_t)(IMAGE_X + x) * 3;
				q[0] = v;
				q[1] = v;
				q[2] = v;
				break;
			case V4L2_PIX_FMT_YUYV:
				q += (size_t)(IMAGE_X + x) * 2;
				q[0] = grey_to_luma(v);
				q[1] = 128;
				break;
			}
		}
	}
}

/* ---- reading the tag ------------------------------------------------- */

/* Luma-like value of pixel (x, y): what the tag thresholds apply to. */
static uint8_t pixel_value(const struct vision_frame *fmt, const uint8_t *data,
			   uint32_t x, uint32_t y)
{
	const uint8_t *row =
		data + fmt->offsets[0] + (size_t)y * fmt->strides[0];

	switch (fmt->fourcc) {
	case V4L2_PIX_FMT_YUYV:
		return row[(size_t)x * 2];
	case V4L2_PIX_FMT_RGB24:
		return row[(size_t)x * 3 + 1];
	default: /* GREY, NV12 luma */
		return row[x];
	}
}

long v4l2_feed_tag(const struct vision_frame *fmt, const void *data)
{
	uint8_t bits[V4L2_FEED_TAG_BLOCKS], want[V4L2_FEED_TAG_BLOCKS];
	uint32_t tag = 0;

	if (!fmt || !data || !format_supported(fmt->fourcc) ||
	    fmt->width < V4L2_FEED_MIN_WIDTH || fmt->height < TAG_Y + BLOCK ||
	    fmt->strides[0] < fmt->width * format_bpp(fmt->fourcc))
		return -1;

	for (int b = 0; b < V4L2_FEED_TAG_BLOCKS; b++) {
		bool black = true, white = true;

		for (uint32_t y = 0; y < BLOCK; y++) {
			for (uint32_t x = 0; x < BLOCK; x++) {
				uint8_t v = pixel_value(fmt, data,
							TAG_X + b * BLOCK + x,
							TAG_Y + y);

				black &= v < TAG_BLACK_MAX;
				white &= v > TAG_WHITE_MIN;
			}
		}
		if (black == white)
			return -1;
		bits[b] = white;
	}
	for (int i = 0; i < 32; i++)
		tag = tag << 1 | bits[4 + i];
	tag_bits(tag, want);
	if (memcmp(bits, want, sizeof(bits)))
		return -1;
	return (long)tag;
}

/* ---- the output device ------------------------------------------------ */

static int queue(struct v4l2_feed *f, unsigned int i);

int v4l2_feed_open(const char *path, uint32_t fourcc, uint32_t width,
		   uint32_t height, struct v4l2_feed **out)
{
	struct v4l2_requestbuffers req;
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	struct v4l2_feed *f;
	uint32_t min_stride, type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	int ret;

	if (!path || !out || width < V4L2_FEED_MIN_WIDTH ||
	    height < V4L2_FEED_MIN_HEIGHT || width % 2 || height % 2)
		return -EINVAL;
	*out = NULL;
	if (!format_supported(fourcc))
		return -EOPNOTSUPP;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fourcc = fourcc;
	f->width = width;
	f->height = height;
	f->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (f->fd < 0) {
		ret = -errno;
		goto err_free;
	}

	memset(&cap, 0, sizeof(cap));
	ret = xioctl(f->fd, VIDIOC_QUERYCAP, &cap);
	if (ret == -ENOTTY ||
	    (!ret && (!(device_caps(&cap) & V4L2_CAP_VIDEO_OUTPUT) ||
		      !(device_caps(&cap) & V4L2_CAP_STREAMING))))
		ret = -ENODEV;
	if (ret)
		goto err_close;

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	fmt.fmt.pix.width = width;
	fmt.fmt.pix.height = height;
	fmt.fmt.pix.pixelformat = fourcc;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(f->fd, VIDIOC_S_FMT, &fmt);
	if (ret)
		goto err_close;
	min_stride = width * format_bpp(fourcc);
	if (fmt.fmt.pix.pixelformat != fourcc || fmt.fmt.pix.width != width ||
	    fmt.fmt.pix.height != height ||
	    fmt.fmt.pix.field != V4L2_FIELD_NONE ||
	    fmt.fmt.pix.bytesperline < min_stride) {
		ret = -EINVAL;
		goto err_close;
	}
	f->stride = fmt.fmt.pix.bytesperline;
	f->sizeimage = fmt.fmt.pix.sizeimage;
	if ((uint64_t)f->stride * height *
		    (fourcc == V4L2_PIX_FMT_NV12 ? 3 : 2) / 2 >
	    f->sizeimage) {
		ret = -EINVAL;
		goto err_close;
	}

	memset(&req, 0, sizeof(req));
	req.count = FEED_BUFFERS;
	req.type = type;
	req.memory = V4L2_MEMORY_MMAP;
	ret = xioctl(f->fd, VIDIOC_REQBUFS, &req);
	if (ret)
		goto err_close;
	if (req.count < 2) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	f->nbuf = req.count < FEED_BUFFERS ? req.count : FEED_BUFFERS;
	for (unsigned int i = 0; i < f->nbuf; i++) {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = type;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		ret = xioctl(f->fd, VIDIOC_QUERYBUF, &b);
		if (ret)
			goto err_unmap;
		if (b.length < f->sizeimage) {
			ret = -EINVAL;
			goto err_unmap;
		}
		f->buf[i].ptr = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
				     MAP_SHARED, f->fd, b.m.offset);
		if (f->buf[i].ptr == MAP_FAILED) {
			f->buf[i].ptr = NULL;
			ret = -errno;
			goto err_unmap;
		}
		f->buf[i].len = b.length;
	}

	ret = xioctl(f->fd, VIDIOC_STREAMON, &type);
	if (ret)
		goto err_unmap;
	f->streaming = true;
	/*
	 * Show black at once, so that a capture started now already gets
	 * the loop: vb2 drivers may wait for two buffers before they start.
	 */
	for (unsigned int i = 0; i < 2; i++) {
		clear_frame(f, f->buf[i].ptr);
		ret = queue(f, i);
		if (ret)
			goto err_streamoff;
	}
	*out = f;
	return 0;

err_streamoff:
	xioctl(f->fd, VIDIOC_STREAMOFF, &type);
err_unmap:
	for (unsigned int i = 0; i < FEED_BUFFERS; i++)
		if (f->buf[i].ptr)
			munmap(f->buf[i].ptr, f->buf[i].len);
err_close:
	close(f->fd);
err_free:
	free(f);
	return ret;
}

void v4l2_feed_close(struct v4l2_feed *f)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	if (!f)
		return;
	if (f->streaming)
		xioctl(f->fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < f->nbuf; i++)
		if (f->buf[i].ptr)
			munmap(f->buf[i].ptr, f->buf[i].len);
	close(f->fd);
	free(f);
}

/* Take back every buffer the device is done with; never blocks. */
static int reclaim(struct v4l2_feed *f)
{
	for (;;) {
		struct v4l2_buffer b;
		int ret;

		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
		b.memory = V4L2_MEMORY_MMAP;
		ret = xioctl(f->fd, VIDIOC_DQBUF, &b);
		if (ret == -EAGAIN)
			return 0;
		/* A buffer flagged as errored is still ours again. */
		if (ret && ret != -EIO)
			return ret;
		if (b.index >= f->nbuf)
			return -EIO;
		f->buf[b.index].queued = false;
	}
}

/* A buffer not queued, waiting for one if needed; its index or -errno. */
static int free_buffer(struct v4l2_feed *f)
{
	for (int tries = 0; tries < 2; tries++) {
		struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };
		int ret = reclaim(f);

		if (ret)
			return ret;
		for (unsigned int i = 0; i < f->nbuf; i++)
			if (!f->buf[i].queued)
				return (int)i;
		if (tries)
			break;
		do {
			ret = poll(&pfd, 1, FEED_TIMEOUT_MS);
		} while (ret < 0 && errno == EINTR);
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			return -ENODEV;
	}
	return -ETIMEDOUT;
}

static int queue(struct v4l2_feed *f, unsigned int i)
{
	struct v4l2_buffer b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = i;
	b.bytesused = f->sizeimage;
	b.field = V4L2_FIELD_NONE;
	ret = xioctl(f->fd, VIDIOC_QBUF, &b);
	if (!ret)
		f->buf[i].queued = true;
	return ret;
}

int v4l2_feed_put(struct v4l2_feed *f, const uint8_t *grey, uint32_t w,
		  uint32_t h, uint32_t tag)
{
	uint32_t k;
	int i;

	if (!f || !grey || !w || !h)
		return -EINVAL;
	k = scale_for(f, w, h);
	if (!k)
		return -E2BIG;

	i = free_buffer(f);
	if (i < 0)
		return i;
	draw_frame(f, f->buf[i].ptr, grey, w, h, k, tag);
	return queue(f, (unsigned int)i);
}

int v4l2_feed_region(const struct v4l2_feed *f, uint32_t w, uint32_t h,
		     struct vision_frame *crop)
{
	uint32_t k;

	if (!f || !crop || !w || !h)
		return -EINVAL;
	k = scale_for(f, w, h);
	if (!k)
		return -E2BIG;
	crop->crop_x = IMAGE_X;
	crop->crop_y = IMAGE_Y;
	crop->crop_width = w * k;
	crop->crop_height = h * k;
	return 0;
}

/* ---- vivid loop set-up ------------------------------------------------ */

/* Find a control by name; 0 and its description, or -EOPNOTSUPP. */
static int find_ctrl(int fd, const char *name, struct v4l2_query_ext_ctrl *q)
{
	uint32_t id = 0;

	for (;;) {
		int ret;

		memset(q, 0, sizeof(*q));
		q->id = id | V4L2_CTRL_FLAG_NEXT_CTRL |
			V4L2_CTRL_FLAG_NEXT_COMPOUND;
		ret = xioctl(fd, VIDIOC_QUERY_EXT_CTRL, q);
		if (ret == -EINVAL)
			return -EOPNOTSUPP;
		if (ret)
			return ret;
		if (!strcmp(q->name, name))
			return 0;
		id = q->id;
	}
}

/* Index of the menu item called @name, or -EOPNOTSUPP. */
static int find_menu_item(int fd, const struct v4l2_query_ext_ctrl *q,
			  const char *name)
{
	for (int64_t i = q->minimum; i <= q->maximum; i++) {
		struct v4l2_querymenu m;
		int ret;

		memset(&m, 0, sizeof(m));
		m.id = q->id;
		m.index = (uint32_t)i;
		ret = xioctl(fd, VIDIOC_QUERYMENU, &m);
		if (ret == -EINVAL)
			continue; /* a skipped item */
		if (ret)
			return ret;
		if (!strcmp((const char *)m.name, name))
			return (int)i;
	}
	return -EOPNOTSUPP;
}

static int set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control c = { .id = id, .value = value };

	return xioctl(fd, VIDIOC_S_CTRL, &c);
}

static int set_menu_ctrl(int fd, const char *ctrl, const char *item)
{
	struct v4l2_query_ext_ctrl q;
	int ret = find_ctrl(fd, ctrl, &q);

	if (ret)
		return ret;
	if (q.type != V4L2_CTRL_TYPE_MENU)
		return -EOPNOTSUPP;
	ret = find_menu_item(fd, &q, item);
	if (ret < 0)
		return ret;
	return set_ctrl(fd, q.id, ret);
}

/*
 * The lowest standard frame rate of each size: vivid's capture and output
 * threads wake once per frame, and fewer wake-ups mean less load under
 * emulation and fewer chances for vivid's timing bug (see
 * Documentation/testing.rst).
 */
static const struct {
	uint32_t width;
	uint32_t height;
	struct v4l2_dv_timings timings;
} feed_timings[] = {
	{ 640, 480, V4L2_DV_BT_DMT_640X480P60 },
	{ 800, 600, V4L2_DV_BT_DMT_800X600P56 },
	{ 1024, 768, V4L2_DV_BT_DMT_1024X768P60 },
	{ 1280, 720, V4L2_DV_BT_CEA_1280X720P24 },
	{ 1920, 1080, V4L2_DV_BT_CEA_1920X1080P24 },
};

#define NUM_TIMINGS (sizeof(feed_timings) / sizeof(feed_timings[0]))

/*
 * Open a vivid node with @cap_flag (capture or output) and select its
 * first HDMI connector; its name ("HDMI 000-0") goes to @name.
 */
static int open_hdmi(const char *path, bool output, char *name, size_t len,
		     char *bus, size_t bus_len, int *out)
{
	uint32_t want = output ? V4L2_CAP_VIDEO_OUTPUT : V4L2_CAP_VIDEO_CAPTURE;
	struct v4l2_capability cap;
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&cap, 0, sizeof(cap));
	ret = xioctl(fd, VIDIOC_QUERYCAP, &cap);
	if (ret == -ENOTTY ||
	    (!ret && (strcmp((const char *)cap.driver, "vivid") ||
		      !(device_caps(&cap) & want))))
		ret = -ENODEV;
	if (ret)
		goto err;
	snprintf(bus, bus_len, "%s", (const char *)cap.bus_info);

	for (uint32_t i = 0;; i++) {
		if (output) {
			struct v4l2_output o = { .index = i };

			ret = xioctl(fd, VIDIOC_ENUMOUTPUT, &o);
			if (!ret && !(o.capabilities & V4L2_OUT_CAP_DV_TIMINGS))
				continue;
			if (!ret) {
				snprintf(name, len, "%s", (const char *)o.name);
				ret = xioctl(fd, VIDIOC_S_OUTPUT, &i);
			}
		} else {
			struct v4l2_input in = { .index = i };

			ret = xioctl(fd, VIDIOC_ENUMINPUT, &in);
			if (!ret && !(in.capabilities & V4L2_IN_CAP_DV_TIMINGS))
				continue;
			if (!ret) {
				snprintf(name, len, "%s",
					 (const char *)in.name);
				ret = xioctl(fd, VIDIOC_S_INPUT, &i);
			}
		}
		if (ret == -EINVAL)
			ret = -ENOTTY; /* no HDMI connector at all */
		break;
	}
	if (ret)
		goto err;
	*out = fd;
	return 0;
err:
	close(fd);
	return ret;
}

int v4l2_feed_loop_setup(const char *capture_path, const char *output_path,
			 uint32_t width, uint32_t height)
{
	char in_name[64], out_name[64], cap_bus[64], out_bus[64];
	char ctrl[96], item[96];
	struct v4l2_query_ext_ctrl q;
	struct v4l2_dv_timings t;
	int cfd = -1, ofd = -1, ret;
	size_t i;

	if (!capture_path || !output_path)
		return -EINVAL;
	if (!width && !height) {
		width = V4L2_FEED_WIDTH;
		height = V4L2_FEED_HEIGHT;
	}
	for (i = 0; i < NUM_TIMINGS; i++)
		if (feed_timings[i].width == width &&
		    feed_timings[i].height == height)
			break;
	if (i == NUM_TIMINGS)
		return -EINVAL;

	ret = open_hdmi(capture_path, false, in_name, sizeof(in_name), cap_bus,
			sizeof(cap_bus), &cfd);
	if (ret)
		return ret;
	ret = open_hdmi(output_path, true, out_name, sizeof(out_name), out_bus,
			sizeof(out_bus), &ofd);
	if (ret)
		goto out;

	t = feed_timings[i].timings;
	ret = xioctl(cfd, VIDIOC_S_DV_TIMINGS, &t);
	if (ret)
		goto out;
	t = feed_timings[i].timings;
	ret = xioctl(ofd, VIDIOC_S_DV_TIMINGS, &t);
	if (ret)
		goto out;

	/* vivid before 6.9: one switch, within one instance. */
	ret = find_ctrl(cfd, "Loop Video", &q);
	if (!ret) {
		if (strcmp(cap_bus, out_bus)) {
			ret = -EXDEV;
			goto out;
		}
		ret = set_ctrl(cfd, q.id, 1);
	} else if (ret == -EOPNOTSUPP) {
		/* Since 6.9: plug the input's cable into the output. */
		snprintf(ctrl, sizeof(ctrl), "%s Is Connected To", in_name);
		snprintf(item, sizeof(item), "Output %s", out_name);
		ret = set_menu_ctrl(cfd, ctrl, item);
	}
	if (ret)
		goto out;

	ret = set_menu_ctrl(cfd, "OSD Text Mode", "None");
out:
	if (ofd >= 0)
		close(ofd);
	close(cfd);
	return ret;
}
