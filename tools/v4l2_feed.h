/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * v4l2_feed: push grey images through a V4L2 video output device, each
 * marked with a tag that can be read back from a captured frame. With
 * vivid's video output looped into its video capture (HDMI output to
 * HDMI input), this puts real images through a real V4L2 capture device:
 * the tests and vision-run's feed mode use it.
 *
 * Frame layout (every format): the frame is black; a tag strip of
 * V4L2_FEED_TAG_BLOCKS blocks of 8x8 pixels starts at (8, 8), each block
 * black (bit 0) or white (bit 1): a start marker 1011, the tag's 32 bits
 * (most significant first), a CRC-8 of the tag's four big-endian bytes
 * (polynomial 0x07, initial value 0) and an end marker 0100. The image
 * starts at (8, 24), scaled up by the integer factor
 * k = min(V4L2_FEED_MAX_SCALE, (width - 16) / w, (height - 32) / h), each
 * pixel a k x k square (nearest neighbour), so that any resize that
 * samples within a pixel's square (nearest, or bilinear with half-pixel
 * centres) gives back the original pixel.
 *
 * Grey value v is written as: GREY v; RGB24 (v, v, v); YUYV and NV12
 * luma 16 + (219 v + 127) / 255 (BT.601 limited range, as cameras send
 * it) with chroma 128. GREY and RGB24 therefore carry v exactly; the YUV
 * formats round it to one of 220 luma levels.
 *
 * Not thread-safe: one thread at a time per feed.
 */
#ifndef VISION_TOOLS_V4L2_FEED_H
#define VISION_TOOLS_V4L2_FEED_H

#include <stdint.h>

#include <vision/vision.h>

/* Size the loop runs at unless told otherwise: 1280x720p24 (CEA-861). */
#define V4L2_FEED_WIDTH 1280
#define V4L2_FEED_HEIGHT 720

/* Largest integer scale factor of the image. */
#define V4L2_FEED_MAX_SCALE 4
/* Blocks of the tag strip: 4 marker + 32 tag + 8 CRC + 4 marker. */
#define V4L2_FEED_TAG_BLOCKS 48
/* Smallest frame that holds the tag strip and a 1x1 image. */
#define V4L2_FEED_MIN_WIDTH (16 + 8 * V4L2_FEED_TAG_BLOCKS)
#define V4L2_FEED_MIN_HEIGHT 34

struct v4l2_feed;

/**
 * v4l2_feed_loop_setup() - loop vivid's video output into its capture
 * @capture_path: vivid video capture node, e.g. "/dev/video6"
 * @output_path: vivid video output node
 * @width: frame width both sides will use; 0 for V4L2_FEED_WIDTH
 * @height: frame height; 0 for V4L2_FEED_HEIGHT
 *
 * Selects the first HDMI input of the capture and the first HDMI output
 * of the output device, sets both to the same standard DV timings of
 * @width x @height at the lowest rate the standards offer (640x480p60,
 * 800x600p56, 1024x768p60, 1280x720p24 or 1920x1080p24),
 * connects them (the "Loop Video" control on kernels before 6.9, the
 * "HDMI NNN-N Is Connected To" control since), and turns vivid's OSD text
 * off ("OSD Text Mode" None) so captured frames carry only the output's
 * pixels. Then give both the same pixel format at @width x @height
 * (v4l2_feed_open() for the output) and stream: vivid copies each
 * displayed output frame into the capture frames, byte for byte. Open the
 * feed before the capture starts streaming: until the output streams,
 * vivid fills every capture frame with noise, which is slow under
 * emulation.
 *
 * Return: 0; -ENOENT, -EACCES from open(); -ENODEV when a node is not a
 * vivid capture (output) node; -ENOTTY when it has no HDMI input (output);
 * -EXDEV when the kernel can only loop within one vivid instance and the
 * nodes are in two; -EINVAL for an unsupported size; -EOPNOTSUPP when a
 * needed control is missing; -EBUSY when a node streams with other
 * settings; another negative errno from V4L2.
 */
int v4l2_feed_loop_setup(const char *capture_path, const char *output_path,
			 uint32_t width, uint32_t height);

/**
 * v4l2_feed_open() - open a V4L2 video output device and start streaming
 * @path: the output node (single-planar API)
 * @fourcc: V4L2_PIX_FMT_GREY, _YUYV, _NV12 or _RGB24
 * @width: frame width, at least V4L2_FEED_MIN_WIDTH
 * @height: frame height, at least V4L2_FEED_MIN_HEIGHT
 * @out: receives the feed
 *
 * Sets the format (the driver must accept it unchanged), maps four MMAP
 * buffers, streams on and shows a black frame (which carries no tag)
 * until the first v4l2_feed_put().
 *
 * Return: 0; -EINVAL for bad arguments or a size or format the driver
 * changed; -ENOENT, -EACCES from open(); -ENODEV when @path is not a
 * streaming video output node; -EOPNOTSUPP for another @fourcc; -ENOMEM;
 * another negative errno from V4L2.
 */
int v4l2_feed_open(const char *path, uint32_t fourcc, uint32_t width,
		   uint32_t height, struct v4l2_feed **out);

/**
 * v4l2_feed_put() - draw an image and its tag into a frame and queue it
 * @f: the feed
 * @grey: @w x @h grey pixels, row after row
 * @w: image width
 * @h: image height
 * @tag: the number to mark the frame with
 *
 * Reclaims the buffers the device is done with, waiting up to two
 * seconds for one when all are queued. The device keeps showing the
 * newest frame until the next one arrives.
 *
 * Return: 0; -EINVAL for a NULL argument or zero size; -E2BIG for an image
 * that does not fit the frame; -ETIMEDOUT when the device returned no
 * buffer in time; -ENODEV when it went away; another negative errno.
 */
int v4l2_feed_put(struct v4l2_feed *f, const uint8_t *grey, uint32_t w,
		  uint32_t h, uint32_t tag);

/**
 * v4l2_feed_close() - stream off, unmap and close; NULL is a no-op
 * @f: the feed
 */
void v4l2_feed_close(struct v4l2_feed *f);

/**
 * v4l2_feed_region() - where a @w x @h image lands in the frame
 * @f: the feed
 * @w: image width
 * @h: image height
 * @crop: its crop_x, crop_y, crop_width and crop_height are set to the
 *        scaled image's rectangle; other members are left alone
 *
 * Return: 0; -EINVAL for a NULL argument or zero size; -E2BIG when the
 * image does not fit.
 */
int v4l2_feed_region(const struct v4l2_feed *f, uint32_t w, uint32_t h,
		     struct vision_frame *crop);

/**
 * v4l2_feed_tag() - read the tag of a captured frame
 * @fmt: the frame's format (fourcc, width, height, offsets, strides);
 *       GREY, YUYV, NV12 or RGB24
 * @data: the frame's bytes, as addressed by @fmt's offsets
 *
 * Every block of the strip must be clearly black or white in every pixel
 * (luma below 64 or above 192), and the markers and the CRC must match,
 * so a test pattern, noise or a torn frame reads as no tag.
 *
 * Return: the tag, 0 to 2^32 - 1 (long has 64 bits on LP64 targets); -1
 * when there is none, it is invalid, or the format is unsupported.
 */
long v4l2_feed_tag(const struct vision_frame *fmt, const void *data);

#endif /* VISION_TOOLS_V4L2_FEED_H */
