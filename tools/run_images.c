// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-run: the images to classify. PNG and JPEG are decoded by
 * libvision's loaders (the compiler's, so both tools read an image the
 * same way), IDX files by its data set reader; PGM and PPM here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

/* Largest image file read into memory. */
#define RUN_MAX_FILE (256u << 20)

static int run_items_grow(struct run_images *ri)
{
	struct run_item *n;
	size_t cap;

	if (ri->count < ri->cap)
		return 0;
	cap = ri->cap ? ri->cap * 2 : 64;
	n = realloc(ri->items, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	ri->items = n;
	ri->cap = cap;
	return 0;
}

static int run_add_file(struct run_images *ri, const char *path)
{
	char *p;

	if (run_items_grow(ri))
		return -ENOMEM;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	ri->items[ri->count++] = (struct run_item){ .path = p };
	return 0;
}

/* Whether the file starts like an IDX file, or is gzip (IDX .gz). */
static int run_sniff_idx(const char *path, bool *idx, struct vis_error *err)
{
	unsigned char b[4];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	n = read(fd, b, sizeof(b));
	if (n < 0) {
		int e = -errno;

		close(fd);
		return vis_error_file(err, e, path, "%s", strerror(-e));
	}
	close(fd);
	*idx = (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) ||
	       (n == 4 && !b[0] && !b[1] && b[2] == 0x08 && b[3] >= 1 &&
		b[3] <= 4);
	return 0;
}

static int run_add_idx(struct run_images *ri, const char *path,
		       struct vis_error *err)
{
	struct vis_dataset **sets, *ds;
	size_t i, n;
	int ret;

	sets = realloc(ri->sets, (ri->num_sets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	ri->sets = sets;
	ret = vis_dataset_open(path, NULL, &ds, err);
	if (ret)
		return ret;
	ri->sets[ri->num_sets++] = ds;
	n = vis_dataset_count(ds);
	for (i = 0; i < n; i++) {
		if (run_items_grow(ri))
			return -ENOMEM;
		ri->items[ri->count++] =
			(struct run_item){ .ds = ds, .index = i };
	}
	return 0;
}

static bool run_is_image_name(const char *name)
{
	static const char *const ext[] = { ".png", ".jpg", ".jpeg",
					   ".pgm", ".ppm", ".pnm" };
	const char *dot = strrchr(name, '.');
	size_t i;

	if (name[0] == '.' || !dot)
		return false;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcasecmp(dot, ext[i]))
			return true;
	return false;
}

/* Every image file of @dir (see run_is_image_name()), in byte order. */
static int run_add_dir(struct run_images *ri, const char *dir,
		       struct vis_error *err)
{
	struct vis_strs names = { 0 };
	size_t i;
	char *p;
	int ret = vis_dir_list(dir, run_is_image_name, &names, NULL, err);

	if (!ret && !names.n)
		ret = vis_error_file(err, -ENOENT, dir,
				     "no PNG, JPEG, PGM or PPM files");
	for (i = 0; !ret && i < names.n; i++) {
		p = vis_path_join(dir, names.v[i]);
		if (!p || run_items_grow(ri)) {
			free(p);
			ret = -ENOMEM;
			break;
		}
		ri->items[ri->count++] = (struct run_item){ .path = p };
	}
	vis_strs_free(&names);
	return ret;
}

int run_images_add(struct run_images *ri, const char *path,
		   struct vis_error *err)
{
	struct stat st;
	bool idx = false;
	int ret;

	if (stat(path, &st))
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return run_add_dir(ri, path, err);
	ret = run_sniff_idx(path, &idx, err);
	if (ret)
		return ret;
	if (idx)
		return run_add_idx(ri, path, err);
	/* Checked when decoded, so a bad file fails at its turn. */
	ret = run_add_file(ri, path);
	if (ret)
		return vis_error_file(err, ret, path, "%s", strerror(-ret));
	return 0;
}

void run_images_free(struct run_images *ri)
{
	size_t i;

	for (i = 0; i < ri->count; i++)
		free(ri->items[i].path);
	for (i = 0; i < ri->num_sets; i++)
		vis_dataset_free(ri->sets[i]);
	free(ri->items);
	free(ri->sets);
	memset(ri, 0, sizeof(*ri));
}

void run_images_name(const struct run_images *ri, size_t i, char *buf,
		     size_t len)
{
	const struct run_item *it = &ri->items[i];

	if (it->path)
		snprintf(buf, len, "%s", it->path);
	else
		vis_dataset_name(it->ds, it->index, buf, len);
}

/* ---- PGM / PPM --------------------------------------------------------- */

/* Skip whitespace and '#' comments, then read a decimal number. */
static int run_pnm_num(const uint8_t *d, size_t size, size_t *pos,
		       uint32_t *out)
{
	uint64_t v = 0;
	size_t p = *pos;
	bool any = false;

	for (;;) {
		if (p >= size)
			return -EINVAL;
		if (d[p] == '#') {
			while (p < size && d[p] != '\n')
				p++;
		} else if (d[p] == ' ' || d[p] == '\t' || d[p] == '\n' ||
			   d[p] == '\r' || d[p] == '\v' || d[p] == '\f') {
			p++;
		} else {
			break;
		}
	}
	while (p < size && d[p] >= '0' && d[p] <= '9') {
		v = v * 10 + (d[p] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		p++;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*pos = p;
	*out = (uint32_t)v;
	return 0;
}

int run_pnm_decode(const uint8_t *data, size_t size, const char *name,
		   struct vis_image *img, struct vis_error *err)
{
	uint32_t w, h, maxval, ch, bps;
	size_t pos = 2, i, n;
	uint64_t need;
	int ret;

	if (size < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '6'))
		return vis_error_file(err, -EINVAL, name,
				      "not a binary PGM (P5) or PPM (P6)");
	ch = data[1] == '5' ? 1 : 3;
	if (run_pnm_num(data, size, &pos, &w) ||
	    run_pnm_num(data, size, &pos, &h) ||
	    run_pnm_num(data, size, &pos, &maxval))
		return vis_error_file(err, -EINVAL, name,
				      "malformed PNM header");
	if (!w || !h || !maxval || maxval > 65535)
		return vis_error_file(err, -EINVAL, name,
				      "bad PNM size %ux%u or maxval %u", w, h,
				      maxval);
	/* Exactly one whitespace byte ends the header. */
	if (pos >= size)
		return vis_error_file(err, -EINVAL, name, "truncated PNM");
	if (data[pos] != ' ' && data[pos] != '\t' && data[pos] != '\n' &&
	    data[pos] != '\r')
		return vis_error_file(err, -EINVAL, name,
				      "malformed PNM header");
	pos++;
	ret = vis_image_reserve(img, w, h, ch, name, err);
	if (ret)
		return ret;
	bps = maxval > 255 ? 2 : 1;
	n = (size_t)w * h * ch;
	need = (uint64_t)n * bps;
	if (size - pos < need)
		return vis_error_file(err, -EINVAL, name,
				      "truncated PNM: %zu of %llu pixel bytes",
				      size - pos, (unsigned long long)need);
	for (i = 0; i < n; i++) {
		uint32_t v = bps == 2 ? (uint32_t)data[pos + 2 * i] << 8 |
						data[pos + 2 * i + 1] :
					data[pos + i];

		if (v > maxval)
			return vis_error_file(err, -EINVAL, name,
					      "sample %u above maxval %u", v,
					      maxval);
		img->pixels[i] =
			maxval == 255 ? v : (v * 255 + maxval / 2) / maxval;
	}
	return 0;
}

/* ---- decoding ---------------------------------------------------------- */

static int run_read_file(const char *path, uint8_t **data, size_t *size,
			 struct vis_error *err)
{
	size_t len = 0;
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		e = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = -EINVAL;
		close(fd);
		return vis_error_file(err, e, path, "not a regular file");
	}
	if ((uint64_t)st.st_size > RUN_MAX_FILE) {
		close(fd);
		return vis_error_file(err, -EFBIG, path, "larger than %u MiB",
				      RUN_MAX_FILE >> 20);
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			free(buf);
			goto fail;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	*data = buf;
	*size = len;
	return 0;
fail:
	close(fd);
	return vis_error_file(err, e, path, "%s", strerror(-e));
}

int run_images_read(const struct run_images *ri, size_t i,
		    struct vis_image *img, struct vis_error *err)
{
	const struct run_item *it = &ri->items[i];
	uint8_t *data = NULL;
	size_t size = 0;
	int ret;

	if (!it->path)
		return vis_dataset_read(it->ds, it->index, img, err);
	ret = run_read_file(it->path, &data, &size, err);
	if (ret)
		return ret;
	if (vis_image_is_png(data, size))
		ret = vis_image_decode_png(data, size, it->path, img, err);
	else if (vis_image_is_jpeg(data, size))
		ret = vis_image_decode_jpeg(data, size, it->path, img, err);
	else if (size >= 2 && data[0] == 'P' &&
		 (data[1] == '5' || data[1] == '6'))
		ret = run_pnm_decode(data, size, it->path, img, err);
	else
		ret = vis_error_file(err, -EINVAL, it->path,
				     "not a PNG, JPEG, PGM (P5) or PPM (P6)");
	free(data);
	return ret;
}
