/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-run's helpers: the list of images to classify (run_images.c) and
 * the statistics and JSON output (run_stats.c).
 */
#ifndef VISION_RUN_H
#define VISION_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "errmsg.h"
#include "image.h"

/* Exit codes: distinct per failure class so scripts can tell them apart. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DEVICE = 3,
	EXIT_BAD_MODEL = 4,
	EXIT_CAMERA_FORMAT = 5,
	EXIT_BAD_INPUT = 6,
	EXIT_CAMERA = 7,
};

/* One image: a file, or one image of an IDX file. */
struct run_item {
	char *path; /* a file; NULL for an IDX image */
	const struct vis_dataset *ds; /* the IDX file, or NULL */
	size_t index; /* image within @ds */
};

/* The images of --images / --idx, in the order they are classified. */
struct run_images {
	struct run_item *items;
	size_t count;
	size_t cap;
	struct vis_dataset **sets; /* IDX files opened, owned */
	size_t num_sets;
};

/*
 * Add @path: a PNG, JPEG, PGM or PPM file; an IDX file (plain or gzip),
 * all of its images; or a directory, its image files (by extension,
 * hidden files skipped, not recursive) in byte order of their names.
 * Returns 0 or a negative errno with a message in @err.
 */
int run_images_add(struct run_images *ri, const char *path,
		   struct vis_error *err);
void run_images_free(struct run_images *ri);

/* How image @i is named in output: its path, or "FILE[i]". */
void run_images_name(const struct run_images *ri, size_t i, char *buf,
		     size_t len);

/* Decode image @i into @img (whose buffer is reused). */
int run_images_read(const struct run_images *ri, size_t i,
		    struct vis_image *img, struct vis_error *err);

/*
 * Decode a binary PGM (P5) or PPM (P6) held in memory; maxval 1 to
 * 65535, scaled to 0-255 with rounding. Returns 0, -EINVAL for a
 * malformed or truncated file, -EFBIG, -ENOMEM.
 */
int run_pnm_decode(const uint8_t *data, size_t size, const char *name,
		   struct vis_image *img, struct vis_error *err);

/* ---- run_stats.c ---------------------------------------------------------- */

/* Sort @n values ascending. */
void run_sort_u64(uint64_t *v, size_t n);

/*
 * The @pct-th percentile (0 < @pct <= 100) of @n > 0 sorted values, by
 * the nearest-rank method: the value at rank ceil(pct / 100 * n).
 */
uint64_t run_percentile(const uint64_t *sorted, size_t n, unsigned int pct);

/* Print @s as a JSON string, quotes included; NULL prints null. */
void run_json_string(FILE *f, const char *s);

#endif /* VISION_RUN_H */
