// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Camera capture: a V4L2 capture node opened through libv4l2 with its
 * conversion disabled (the device's input stage converts, the CPU never
 * does), a format both sides read, and one of three ways for frames to
 * reach the device, best first:
 *
 * - zero-copy: the camera's MMAP buffers, exported once each with
 *   VIDIOC_EXPBUF and imported into the device at open; the device reads
 *   each frame where the camera wrote it;
 * - dmabuf: the device's buffers, exported and given to the camera
 *   (V4L2_MEMORY_DMABUF); the camera writes into the device's memory;
 * - copy: MMAP buffers, each frame copied by the CPU into a device buffer.
 *
 * A path that fails while being set up (no EXPBUF, an import or export
 * refused, no DMABUF I/O) is undone completely and the next one tried.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libv4l2.h>
#include <linux/videodev2.h>

#include "vision_accel.h"
#include "internal.h"

#define VIS_CAM_DEFAULT_BUFFERS 4
#define VIS_CAM_MIN_BUFFERS 2
#define VIS_CAM_MAX_BUFFERS 32
#define VIS_CAM_DEFAULT_TIMEOUT_MS 2000
#define VIS_CAM_FLAGS (VISION_CAMERA_NO_ZERO_COPY | VISION_CAMERA_NO_DMABUF)

/* How the input stage lays out a format, to check the driver's strides. */
enum vis_cam_layout {
	VIS_CAM_PACKED, /* one plane, @bpp bytes per pixel */
	VIS_CAM_YUV422, /* one plane, 4 bytes per pair of pixels */
	VIS_CAM_NV, /* Y plane, then a half-height interleaved CbCr plane */
};

/* One DRM_VISION_FORMAT_* bit: its V4L2 pixel format and layout. */
struct vis_cam_format {
	uint64_t bit;
	uint32_t fourcc;
	uint8_t layout;
	uint8_t bpp;
};

static const struct vis_cam_format vis_cam_formats[] = {
	{ DRM_VISION_FORMAT_RGB24, V4L2_PIX_FMT_RGB24, VIS_CAM_PACKED, 3 },
	{ DRM_VISION_FORMAT_BGR24, V4L2_PIX_FMT_BGR24, VIS_CAM_PACKED, 3 },
	{ DRM_VISION_FORMAT_RGB32, V4L2_PIX_FMT_RGB32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_BGR32, V4L2_PIX_FMT_BGR32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_XRGB32, V4L2_PIX_FMT_XRGB32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_ARGB32, V4L2_PIX_FMT_ARGB32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_XBGR32, V4L2_PIX_FMT_XBGR32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_ABGR32, V4L2_PIX_FMT_ABGR32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_RGBX32, V4L2_PIX_FMT_RGBX32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_RGBA32, V4L2_PIX_FMT_RGBA32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_BGRX32, V4L2_PIX_FMT_BGRX32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_BGRA32, V4L2_PIX_FMT_BGRA32, VIS_CAM_PACKED, 4 },
	{ DRM_VISION_FORMAT_YUYV, V4L2_PIX_FMT_YUYV, VIS_CAM_YUV422, 2 },
	{ DRM_VISION_FORMAT_YVYU, V4L2_PIX_FMT_YVYU, VIS_CAM_YUV422, 2 },
	{ DRM_VISION_FORMAT_UYVY, V4L2_PIX_FMT_UYVY, VIS_CAM_YUV422, 2 },
	{ DRM_VISION_FORMAT_VYUY, V4L2_PIX_FMT_VYUY, VIS_CAM_YUV422, 2 },
	{ DRM_VISION_FORMAT_NV12, V4L2_PIX_FMT_NV12, VIS_CAM_NV, 1 },
	{ DRM_VISION_FORMAT_NV21, V4L2_PIX_FMT_NV21, VIS_CAM_NV, 1 },
	{ DRM_VISION_FORMAT_GREY, V4L2_PIX_FMT_GREY, VIS_CAM_PACKED, 1 },
};

/* One V4L2 buffer and what the device sees of it. */
struct vis_cam_buf {
	struct vision_camera_frame frame; /* handed out while @held */
	struct vision_bo *bo; /* the import, or the device's buffer */
	void *map; /* V4L2 mapping (MMAP) or the BO's (DMABUF) */
	size_t map_len; /* 0 when @map is the BO's */
	uint8_t *copy_dst; /* copy path: @bo's mapping */
	int dmabuf_fd; /* dmabuf path: @bo exported, queued as m.fd */
	bool queued; /* owned by the camera */
	bool held; /* owned by the caller */
};

/*
 * Thread-safety: one thread at a time (see the header), so no lock; the
 * fd may be polled concurrently, which touches none of this.
 */
struct vision_camera {
	struct vision_device *dev; /* a reference */
	int fd; /* libv4l2-managed V4L2 fd */
	enum vision_camera_path path;
	uint32_t memory; /* V4L2_MEMORY_MMAP or V4L2_MEMORY_DMABUF */
	struct vision_frame format; /* crop zero */
	uint64_t frame_bytes; /* every byte the planes span */
	uint64_t buf_bytes; /* device buffer size: sizeimage or more */
	unsigned int timeout_ms;
	unsigned int num_bufs;
	struct vis_cam_buf *bufs;
	bool streaming;
	bool gone; /* unplugged: ioctls say ENODEV */
	bool have_seq;
	uint32_t last_seq;
	struct vision_camera_stats stats;
};

/* V4L2 ioctls go through libv4l2; EINTR is retried, EAGAIN is not. */
static int vis_cam_ioctl(struct vision_camera *cam, unsigned long req,
			 void *arg)
{
	int ret;

	do {
		ret = v4l2_ioctl(cam->fd, req, arg);
	} while (ret == -1 && errno == EINTR);
	if (ret != -1)
		return 0;
	ret = -errno;
	if (ret == -ENODEV)
		cam->gone = true;
	return ret;
}

static const struct vis_cam_format *vis_cam_format_find(uint32_t fourcc)
{
	for (size_t i = 0;
	     i < sizeof(vis_cam_formats) / sizeof(*vis_cam_formats); i++)
		if (vis_cam_formats[i].fourcc == fourcc)
			return &vis_cam_formats[i];
	return NULL;
}

const char *vision_camera_path_name(enum vision_camera_path path)
{
	switch (path) {
	case VISION_CAMERA_ZERO_COPY:
		return "zero-copy";
	case VISION_CAMERA_DMABUF:
		return "dmabuf";
	case VISION_CAMERA_COPY:
		return "copy";
	}
	return "unknown";
}

/* ---- format ---------------------------------------------------------------- */

/*
 * The first format the camera offers (its own preference order) that the
 * device reads, or @want if both do. Emulated formats are skipped: they
 * would be a CPU conversion, which is the input stage's job.
 */
static int vis_cam_pick_format(struct vision_camera *cam, uint64_t dev_mask,
			       uint32_t want, const struct vis_cam_format **out)
{
	struct v4l2_fmtdesc d;
	int ret;

	if (want) {
		const struct vis_cam_format *f = vis_cam_format_find(want);

		if (!f || !(dev_mask & f->bit))
			return -EOPNOTSUPP;
	}
	for (uint32_t i = 0;; i++) {
		const struct vis_cam_format *f;

		memset(&d, 0, sizeof(d));
		d.index = i;
		d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		ret = vis_cam_ioctl(cam, VIDIOC_ENUM_FMT, &d);
		if (ret == -EINVAL)
			return -EOPNOTSUPP; /* end of the list */
		if (ret)
			return ret;
		if (d.flags &
		    (V4L2_FMT_FLAG_EMULATED | V4L2_FMT_FLAG_COMPRESSED))
			continue;
		f = vis_cam_format_find(d.pixelformat);
		if (!f || !(dev_mask & f->bit))
			continue;
		if (!want || want == f->fourcc) {
			*out = f;
			return 0;
		}
	}
}

/*
 * Describe the negotiated format as the device's frame: the driver's
 * bytesperline and sizeimage are honoured, and checked to hold the frame.
 */
static int vis_cam_describe(struct vision_camera *cam,
			    const struct vis_cam_format *f,
			    const struct v4l2_pix_format *pix)
{
	struct vision_frame *fr = &cam->format;
	uint64_t row, bpl = pix->bytesperline, span;

	if (!pix->width || !pix->height)
		return -EPROTO;
	switch (f->layout) {
	case VIS_CAM_YUV422:
		row = ((uint64_t)pix->width + 1) / 2 * 4;
		break;
	default:
		row = (uint64_t)pix->width * f->bpp;
		break;
	}
	/* A driver may leave bytesperline 0: lines are then packed. */
	if (!bpl)
		bpl = row;
	if (bpl < row || bpl > UINT32_MAX)
		return -EPROTO;

	memset(fr, 0, sizeof(*fr));
	fr->fourcc = f->fourcc;
	fr->width = pix->width;
	fr->height = pix->height;
	fr->num_planes = 1;
	fr->strides[0] = (uint32_t)bpl;
	span = bpl * pix->height;
	if (f->layout == VIS_CAM_NV) {
		/* Single-planar NV12/NV21: CbCr right after the Y plane. */
		fr->num_planes = 2;
		fr->offsets[1] = span;
		fr->strides[1] = (uint32_t)bpl;
		span += bpl * ((pix->height + 1) / 2);
	}
	cam->frame_bytes = span;
	cam->buf_bytes = pix->sizeimage > span ? pix->sizeimage : span;
	return 0;
}

/* Field orders whose buffer holds one whole frame line after line. */
static bool vis_cam_field_ok(uint32_t field)
{
	return field == V4L2_FIELD_NONE || field == V4L2_FIELD_ANY ||
	       field == V4L2_FIELD_INTERLACED ||
	       field == V4L2_FIELD_INTERLACED_TB ||
	       field == V4L2_FIELD_INTERLACED_BT;
}

static int vis_cam_negotiate(struct vision_camera *cam,
			     const struct vision_camera_config *cfg)
{
	const struct vis_cam_format *f = NULL;
	struct v4l2_format fmt;
	uint64_t mask;
	int ret;

	ret = vision_device_get_param(cam->dev, VISION_PARAM_INPUT_FORMATS,
				      &mask);
	if (ret)
		return ret;
	ret = vis_cam_pick_format(cam, mask, cfg->fourcc, &f);
	if (ret)
		return ret;

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ret = vis_cam_ioctl(cam, VIDIOC_G_FMT, &fmt);
	if (ret)
		return ret;
	fmt.fmt.pix.pixelformat = f->fourcc;
	if (cfg->width)
		fmt.fmt.pix.width = cfg->width;
	if (cfg->height)
		fmt.fmt.pix.height = cfg->height;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	/* Let the driver compute both for the new size. */
	fmt.fmt.pix.bytesperline = 0;
	fmt.fmt.pix.sizeimage = 0;
	ret = vis_cam_ioctl(cam, VIDIOC_S_FMT, &fmt);
	if (ret)
		return ret;
	/* The driver may substitute a format: only ours will do. */
	if (fmt.fmt.pix.pixelformat != f->fourcc ||
	    !vis_cam_field_ok(fmt.fmt.pix.field))
		return -EOPNOTSUPP;
	return vis_cam_describe(cam, f, &fmt.fmt.pix);
}

/* ---- buffers --------------------------------------------------------------- */

static int vis_cam_reqbufs(struct vision_camera *cam, uint32_t memory,
			   unsigned int count, unsigned int *got)
{
	struct v4l2_requestbuffers req = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};
	int ret = vis_cam_ioctl(cam, VIDIOC_REQBUFS, &req);

	if (ret)
		return ret;
	if (got)
		*got = req.count;
	return 0;
}

/* Undo vis_cam_setup_*(): every buffer, mapping, fd and the V4L2 queue. */
static void vis_cam_free_bufs(struct vision_camera *cam)
{
	if (!cam->bufs)
		return;
	for (unsigned int i = 0; i < cam->num_bufs; i++) {
		struct vis_cam_buf *b = &cam->bufs[i];

		if (b->bo) {
			/* No inference may still read what V4L2 reuses. */
			vision_bo_wait(b->bo, -1);
			vision_bo_free(b->bo);
		}
		if (b->map_len)
			v4l2_munmap(b->map, b->map_len);
		if (b->dmabuf_fd >= 0)
			close(b->dmabuf_fd);
	}
	free(cam->bufs);
	cam->bufs = NULL;
	/* Frees the camera's memory; an exported dma-buf lives on. */
	vis_cam_reqbufs(cam, cam->memory, 0, NULL);
	cam->num_bufs = 0;
}

static int vis_cam_alloc_bufs(struct vision_camera *cam, uint32_t memory,
			      unsigned int want)
{
	unsigned int got = 0;
	int ret;

	cam->memory = memory;
	ret = vis_cam_reqbufs(cam, memory, want, &got);
	if (ret)
		return ret;
	if (got < VIS_CAM_MIN_BUFFERS || got > VIS_CAM_MAX_BUFFERS) {
		vis_cam_reqbufs(cam, memory, 0, NULL);
		return got ? -EPROTO : -ENOMEM;
	}
	cam->bufs = calloc(got, sizeof(*cam->bufs));
	if (!cam->bufs) {
		vis_cam_reqbufs(cam, memory, 0, NULL);
		return -ENOMEM;
	}
	cam->num_bufs = got;
	for (unsigned int i = 0; i < got; i++)
		cam->bufs[i].dmabuf_fd = -1;
	return 0;
}

/* Map MMAP buffer @i for the CPU; it must hold a whole frame. */
static int vis_cam_map(struct vision_camera *cam, unsigned int i)
{
	struct vis_cam_buf *b = &cam->bufs[i];
	struct v4l2_buffer vb = {
		.index = i,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	void *p;
	int ret;

	ret = vis_cam_ioctl(cam, VIDIOC_QUERYBUF, &vb);
	if (ret)
		return ret;
	if (vb.length < cam->frame_bytes)
		return -EPROTO;
	p = v4l2_mmap(NULL, vb.length, PROT_READ, MAP_SHARED, cam->fd,
		      vb.m.offset);
	if (p == MAP_FAILED)
		return -errno;
	b->map = p;
	b->map_len = vb.length;
	return 0;
}

/* Export MMAP buffer @i once and import it into the device. */
static int vis_cam_import(struct vision_camera *cam, unsigned int i)
{
	struct v4l2_exportbuffer exp = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.index = i,
		.flags = O_RDWR | O_CLOEXEC,
	};
	int ret;

	ret = vis_cam_ioctl(cam, VIDIOC_EXPBUF, &exp);
	if (ret)
		return ret;
	ret = vision_bo_import_dmabuf(cam->dev, exp.fd, &cam->bufs[i].bo);
	/* The buffer holds its own reference to the dma-buf. */
	close(exp.fd);
	if (ret)
		return ret;
	if (vision_bo_size(cam->bufs[i].bo) < cam->frame_bytes)
		return -EPROTO;
	cam->stats.imports++;
	return 0;
}

static int vis_cam_setup_zero_copy(struct vision_camera *cam, unsigned int want)
{
	int ret = vis_cam_alloc_bufs(cam, V4L2_MEMORY_MMAP, want);

	for (unsigned int i = 0; !ret && i < cam->num_bufs; i++) {
		ret = vis_cam_map(cam, i);
		if (!ret)
			ret = vis_cam_import(cam, i);
	}
	return ret;
}

static int vis_cam_setup_dmabuf(struct vision_camera *cam, unsigned int want)
{
	int ret = vis_cam_alloc_bufs(cam, V4L2_MEMORY_DMABUF, want);

	for (unsigned int i = 0; !ret && i < cam->num_bufs; i++) {
		struct vis_cam_buf *b = &cam->bufs[i];
		struct v4l2_buffer vb = {
			.index = i,
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_DMABUF,
		};

		/* Cached: the camera writes it, the CPU may read it. */
		ret = vision_bo_create(cam->dev, cam->buf_bytes, 0, &b->bo);
		if (!ret)
			ret = vision_bo_export_dmabuf(b->bo, &b->dmabuf_fd);
		if (!ret)
			ret = vision_bo_map(b->bo, &b->map);
		if (ret)
			break;
		/*
		 * Attach and map the dma-buf now, so that a camera that
		 * cannot write into it fails here, while another path can
		 * still be taken, rather than at the first frame.
		 */
		vb.m.fd = b->dmabuf_fd;
		vb.length = (uint32_t)vision_bo_size(b->bo);
		ret = vis_cam_ioctl(cam, VIDIOC_PREPARE_BUF, &vb);
		if (ret == -ENOTTY)
			ret = 0; /* cannot check: found out at start */
	}
	return ret;
}

static int vis_cam_setup_copy(struct vision_camera *cam, unsigned int want)
{
	int ret = vis_cam_alloc_bufs(cam, V4L2_MEMORY_MMAP, want);

	for (unsigned int i = 0; !ret && i < cam->num_bufs; i++) {
		struct vis_cam_buf *b = &cam->bufs[i];

		ret = vis_cam_map(cam, i);
		/* Write-combined: the CPU only writes it. */
		if (!ret)
			ret = vision_bo_create(cam->dev, cam->frame_bytes,
					       VISION_BO_WC, &b->bo);
		if (!ret)
			ret = vision_bo_map(b->bo, (void **)&b->copy_dst);
	}
	return ret;
}

/*
 * Set up the best path allowed; a path that fails is undone and the next
 * one tried. The copy path's error is the one reported.
 */
static int vis_cam_setup(struct vision_camera *cam, uint32_t flags,
			 unsigned int want)
{
	int ret;

	if (!(flags & VISION_CAMERA_NO_ZERO_COPY)) {
		cam->path = VISION_CAMERA_ZERO_COPY;
		ret = vis_cam_setup_zero_copy(cam, want);
		if (!ret)
			return 0;
		vis_cam_free_bufs(cam);
		cam->stats.imports = 0;
		if (ret == -ENODEV && cam->gone)
			return ret;
	}
	if (!(flags & VISION_CAMERA_NO_DMABUF)) {
		cam->path = VISION_CAMERA_DMABUF;
		ret = vis_cam_setup_dmabuf(cam, want);
		if (!ret)
			return 0;
		vis_cam_free_bufs(cam);
		if (ret == -ENODEV && cam->gone)
			return ret;
	}
	cam->path = VISION_CAMERA_COPY;
	ret = vis_cam_setup_copy(cam, want);
	if (ret)
		vis_cam_free_bufs(cam);
	return ret;
}

/* ---- open and close -------------------------------------------------------- */

static int vis_cam_check_config(const struct vision_camera_config *cfg)
{
	for (size_t i = 0; i < sizeof(cfg->reserved) / sizeof(*cfg->reserved);
	     i++)
		if (cfg->reserved[i])
			return -EINVAL;
	if (cfg->flags & ~VIS_CAM_FLAGS)
		return -EINVAL;
	if (cfg->num_buffers && (cfg->num_buffers < VIS_CAM_MIN_BUFFERS ||
				 cfg->num_buffers > VIS_CAM_MAX_BUFFERS))
		return -EINVAL;
	return 0;
}

/*
 * Open @path through libv4l2, without its conversions. The capabilities
 * are checked first with a plain ioctl: libv4l2 prints its own failures
 * to stderr, which a library must not do for a mere wrong path.
 */
static int vis_cam_open_node(struct vision_camera *cam, const char *path)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int fd, ret;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENXIO ? -ENODEV : -errno;
	memset(&cap, 0, sizeof(cap));
	do {
		ret = ioctl(fd, VIDIOC_QUERYCAP, &cap);
	} while (ret == -1 && errno == EINTR);
	if (ret) {
		ret = -errno;
		close(fd);
		/* No V4L2 ioctls: not a video device. */
		return ret == -ENOTTY || ret == -EINVAL ? -ENODEV : ret;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
							 cap.capabilities;
	/* Single-planar capture with streaming I/O. */
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		close(fd);
		return -ENODEV;
	}
	if (v4l2_fd_open(fd, V4L2_DISABLE_CONVERSION) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	cam->fd = fd;
	return 0;
}

void vision_camera_close(struct vision_camera *cam)
{
	if (!cam)
		return;
	vision_camera_stop(cam);
	if (cam->fd >= 0) {
		vis_cam_free_bufs(cam);
		v4l2_close(cam->fd);
	}
	vis_device_put(cam->dev);
	free(cam);
}

int vision_camera_open(struct vision_device *dev, const char *path,
		       const struct vision_camera_config *config,
		       struct vision_camera **out)
{
	const struct vision_camera_config defaults = { 0 };
	struct vision_camera *cam;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev || !path)
		return -EINVAL;
	if (!config)
		config = &defaults;
	ret = vis_cam_check_config(config);
	if (ret)
		return ret;

	cam = calloc(1, sizeof(*cam));
	if (!cam)
		return -ENOMEM;
	cam->dev = vis_device_get(dev);
	cam->fd = -1;
	cam->timeout_ms = config->timeout_ms ? config->timeout_ms :
					       VIS_CAM_DEFAULT_TIMEOUT_MS;

	ret = vis_cam_open_node(cam, path);
	if (!ret)
		ret = vis_cam_negotiate(cam, config);
	if (!ret)
		ret = vis_cam_setup(cam, config->flags,
				    config->num_buffers ?
					    config->num_buffers :
					    VIS_CAM_DEFAULT_BUFFERS);
	if (ret) {
		vision_camera_close(cam);
		return ret;
	}
	*out = cam;
	return 0;
}

int vision_camera_format(const struct vision_camera *cam,
			 struct vision_frame *frame)
{
	if (!cam || !frame)
		return -EINVAL;
	*frame = cam->format;
	return 0;
}

enum vision_camera_path vision_camera_path(const struct vision_camera *cam)
{
	return cam->path;
}

int vision_camera_fd(const struct vision_camera *cam)
{
	return cam->fd;
}

int vision_camera_get_stats(const struct vision_camera *cam,
			    struct vision_camera_stats *stats)
{
	if (!cam || !stats)
		return -EINVAL;
	*stats = cam->stats;
	return 0;
}

/* ---- streaming ------------------------------------------------------------- */

static int vis_cam_qbuf(struct vision_camera *cam, unsigned int i)
{
	struct vis_cam_buf *b = &cam->bufs[i];
	struct v4l2_buffer vb = {
		.index = i,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = cam->memory,
	};
	int ret;

	if (cam->memory == V4L2_MEMORY_DMABUF) {
		vb.m.fd = b->dmabuf_fd;
		vb.length = (uint32_t)vision_bo_size(b->bo);
	}
	ret = vis_cam_ioctl(cam, VIDIOC_QBUF, &vb);
	if (!ret)
		b->queued = true;
	return ret;
}

/* STREAMOFF, then wait until no inference reads a frame handed out. */
static int vis_cam_streamoff(struct vision_camera *cam)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int ret = vis_cam_ioctl(cam, VIDIOC_STREAMOFF, &type);

	for (unsigned int i = 0; i < cam->num_bufs; i++) {
		struct vis_cam_buf *b = &cam->bufs[i];

		if (b->held)
			vision_bo_wait(b->bo, -1);
		b->held = false;
		b->queued = false;
	}
	cam->streaming = false;
	return ret;
}

int vision_camera_start(struct vision_camera *cam)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int ret = 0;

	if (!cam)
		return -EINVAL;
	if (cam->gone)
		return -ENODEV;
	if (cam->streaming)
		return 0;
	for (unsigned int i = 0; !ret && i < cam->num_bufs; i++)
		ret = vis_cam_qbuf(cam, i);
	if (!ret)
		ret = vis_cam_ioctl(cam, VIDIOC_STREAMON, &type);
	if (ret) {
		/* STREAMOFF takes back the buffers queued so far. */
		vis_cam_streamoff(cam);
		return ret;
	}
	cam->streaming = true;
	cam->have_seq = false;
	return 0;
}

int vision_camera_stop(struct vision_camera *cam)
{
	int ret;

	if (!cam)
		return -EINVAL;
	if (!cam->streaming)
		return 0;
	ret = vis_cam_streamoff(cam);
	/* An unplugged camera has stopped anyway. */
	return ret == -ENODEV ? 0 : ret;
}

static uint64_t vis_cam_timestamp(const struct v4l2_buffer *vb)
{
	return (uint64_t)vb->timestamp.tv_sec * 1000000000ull +
	       (uint64_t)vb->timestamp.tv_usec * 1000ull;
}

/* Wait for a frame until @deadline; 0 when one may be dequeued. */
static int vis_cam_poll(struct vision_camera *cam, int64_t deadline,
			short *revents)
{
	struct pollfd pfd = { .fd = cam->fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - vis_now_ns();
		int ms, r;

		if (left <= 0)
			return -ETIMEDOUT;
		/* Round up: never wake before the deadline. */
		left = (left + 999999) / 1000000;
		ms = left > INT_MAX ? INT_MAX : (int)left;
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the deadline check decides */
		*revents = pfd.revents;
		return 0;
	}
}

/* Fill the frame handed out for buffer @vb. */
static void vis_cam_fill(struct vision_camera *cam, struct vis_cam_buf *b,
			 const struct v4l2_buffer *vb)
{
	struct vision_camera_frame *f = &b->frame;

	memset(f, 0, sizeof(*f));
	f->frame = cam->format;
	f->input.bo = b->bo;
	f->input.frame = &f->frame;
	f->data = b->map;
	f->bytesused = vb->bytesused;
	f->index = vb->index;
	f->sequence = vb->sequence;
	f->timestamp_ns = vis_cam_timestamp(vb);
}

int vision_camera_dequeue(struct vision_camera *cam,
			  struct vision_camera_frame **out)
{
	struct v4l2_buffer vb;
	struct vis_cam_buf *b;
	unsigned int queued = 0;
	int64_t deadline;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cam)
		return -EINVAL;
	if (cam->gone)
		return -ENODEV;
	if (!cam->streaming)
		return -EINVAL;
	for (unsigned int i = 0; i < cam->num_bufs; i++)
		queued += cam->bufs[i].queued;
	if (!queued)
		return -EAGAIN;

	deadline = vis_now_ns() + (int64_t)cam->timeout_ms * 1000000;
	for (;;) {
		short revents = 0;

		ret = vis_cam_poll(cam, deadline, &revents);
		if (ret)
			return ret;
		memset(&vb, 0, sizeof(vb));
		vb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		vb.memory = cam->memory;
		ret = vis_cam_ioctl(cam, VIDIOC_DQBUF, &vb);
		if (!ret)
			break;
		/* A queue in error is a camera gone (uvcvideo on unplug). */
		if (ret == -ENODEV || ret == -EIO) {
			cam->gone = true;
			return -ENODEV;
		}
		if (ret != -EAGAIN)
			return ret;
		/* Woken without a frame: an error state, or spurious. */
		if (revents & (POLLERR | POLLHUP))
			return -EIO;
	}
	if (vb.index >= cam->num_bufs)
		return -EPROTO;
	b = &cam->bufs[vb.index];
	b->queued = false;

	/* Sequence numbers skipped are frames the camera dropped. */
	if (cam->have_seq && (int32_t)(vb.sequence - cam->last_seq) > 1)
		cam->stats.dropped += vb.sequence - cam->last_seq - 1;
	cam->have_seq = true;
	cam->last_seq = vb.sequence;

	if (vb.flags & V4L2_BUF_FLAG_ERROR) {
		ret = vis_cam_qbuf(cam, vb.index);
		return ret == -ENODEV ? ret : -EIO;
	}
	if (cam->path == VISION_CAMERA_COPY) {
		memcpy(b->copy_dst, b->map, cam->frame_bytes);
		cam->stats.copied_bytes += cam->frame_bytes;
	}
	vis_cam_fill(cam, b, &vb);
	b->held = true;
	cam->stats.frames++;
	*out = &b->frame;
	return 0;
}

int vision_camera_requeue(struct vision_camera *cam,
			  struct vision_camera_frame *frame)
{
	struct vis_cam_buf *b = NULL;
	unsigned int i;
	int ret;

	if (!cam || !frame)
		return -EINVAL;
	/* Ours: the frame of one of our buffers, held by the caller. */
	for (i = 0; i < cam->num_bufs && !b; i++)
		if (&cam->bufs[i].frame == frame)
			b = &cam->bufs[i];
	if (!b || !b->held)
		return -EINVAL;
	/* The camera must not write a frame an inference still reads. */
	ret = vision_bo_wait(b->bo, -1);
	if (ret)
		return ret;
	b->held = false;
	if (cam->gone)
		return -ENODEV;
	return vis_cam_qbuf(cam, i - 1);
}
