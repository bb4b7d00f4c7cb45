// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The image object: its pixel buffer, error messages, and loading an
 * image file by its content.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

/* Largest image file read: far above any real 64 Mpixel PNG or JPEG. */
#define VIS_IMAGE_MAX_FILE (1ull << 30)

void vis_image_release(struct vis_image *img)
{
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}

int vis_image_reserve(struct vis_image *img, uint64_t width, uint64_t height,
		      uint32_t channels, const char *name,
		      struct vis_error *err)
{
	uint64_t px;
	size_t bytes;
	uint8_t *p;

	if (!width || !height)
		return vis_error_file(err, -EINVAL, name,
				      "image has a zero dimension (%llux%llu)",
				      (unsigned long long)width,
				      (unsigned long long)height);
	if (channels != 1 && channels != 3)
		return vis_error_file(err, -EINVAL, name,
				      "%u channels (1 or 3 supported)",
				      channels);
	/* Each factor is checked first, so the product cannot wrap. */
	if (width > VIS_IMAGE_MAX_PIXELS || height > VIS_IMAGE_MAX_PIXELS ||
	    width * height > VIS_IMAGE_MAX_PIXELS)
		return vis_error_file(
			err, -EFBIG, name,
			"image of %llux%llu is too large (at most %llu pixels)",
			(unsigned long long)width, (unsigned long long)height,
			VIS_IMAGE_MAX_PIXELS);
	px = width * height;
	bytes = (size_t)(px * channels);
	if (bytes > img->cap) {
		p = realloc(img->pixels, bytes);
		if (!p)
			return vis_error_file(
				err, -ENOMEM, name,
				"out of memory for a %llux%llu image",
				(unsigned long long)width,
				(unsigned long long)height);
		img->pixels = p;
		img->cap = bytes;
	}
	img->width = (uint32_t)width;
	img->height = (uint32_t)height;
	img->channels = channels;
	return 0;
}

bool vis_image_is_png(const uint8_t *data, size_t size)
{
	static const uint8_t sig[8] = { 0x89, 'P',  'N',  'G',
					'\r', '\n', 0x1a, '\n' };

	return size >= sizeof(sig) && !memcmp(data, sig, sizeof(sig));
}

bool vis_image_is_jpeg(const uint8_t *data, size_t size)
{
	/* SOI, then the first marker's 0xff. */
	return size >= 3 && data[0] == 0xff && data[1] == 0xd8 &&
	       data[2] == 0xff;
}

/* The whole of regular file @path, up to @max bytes, in a malloc'd buffer. */
static int vis_file_read(const char *path, uint64_t max, uint8_t **data,
			 size_t *size, struct vis_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		ret = vis_error_file(err, -errno, path, "%s", strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = vis_error_file(err, -EINVAL, path, "not a regular file");
		goto err_close;
	}
	if ((uint64_t)st.st_size > max) {
		ret = vis_error_file(err, -EFBIG, path,
				     "file of %lld bytes is too large",
				     (long long)st.st_size);
		goto err_close;
	}
	/* One spare byte: malloc(0) is never asked for. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = vis_error_file(err, -ENOMEM, path, "out of memory");
		goto err_close;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = vis_error_file(err, -errno, path, "%s",
					     strerror(errno));
			goto err_free;
		}
		if (!n)
			break; /* shrunk while read: take what is there */
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;

err_free:
	free(buf);
err_close:
	close(fd);
	return ret;
}

int vis_image_load(const char *path, struct vis_image *img,
		   struct vis_error *err)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int ret;

	ret = vis_file_read(path, VIS_IMAGE_MAX_FILE, &data, &size, err);
	if (ret)
		return ret;
	if (vis_image_is_png(data, size))
		ret = vis_image_decode_png(data, size, path, img, err);
	else if (vis_image_is_jpeg(data, size))
		ret = vis_image_decode_jpeg(data, size, path, img, err);
	else
		ret = vis_error_file(err, -ENOTSUP, path,
				     "not a PNG or JPEG image");
	free(data);
	return ret;
}
