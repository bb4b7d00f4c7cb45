/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Library-internal: the images the compiler calibrates and evaluates on.
 *
 * A data set is one of:
 *
 * - an IDX image file (idx3-ubyte: N x H x W grey, or an idx4-ubyte
 *   N x H x W x C with C = 1 or 3), plain or gzip-compressed (detected
 *   from the content), read whole into memory;
 * - a directory of PNG and JPEG files (*.png, *.jpg, *.jpeg, any case;
 *   hidden files and other files ignored), decoded one at a time on
 *   demand, in one of two layouts:
 *
 *   flat: DIR/NAME.png ... in byte order of NAME (as Python's sorted());
 *   unlabelled unless a labels file is given;
 *
 *   classes: DIR/CLASS/NAME.png ..., no image directly in DIR, as
 *   torchvision's ImageFolder: the label of an image is the index of its
 *   CLASS among the subdirectory names in byte order, or, when class
 *   names are given (the model's labels), the index of CLASS among them;
 *   images are ordered by class, then name.
 *
 * Labels file (@labels in struct vis_dataset_opts), any layout but
 * classes: an IDX label file (idx1-ubyte, plain or gzip), or text with
 * one label per line (a non-negative integer) in the data set's order,
 * or "NAME LABEL" per line (NAME relative to DIR, separated from LABEL
 * by spaces, tabs or a comma) for a flat directory; blank lines and
 * lines starting with '#' are skipped. The number of labels must equal
 * the number of images, and every image must be named once.
 *
 * Errors are negative errno values, with a message in the struct
 * vis_error (if not NULL) naming the file and the reason.
 */
#ifndef LIBVISION_DATASET_H
#define LIBVISION_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct vis_dataset;

/* Largest IDX file accepted, uncompressed: 4 GiB. */
#define VIS_IDX_MAX_BYTES (1ull << 32)

struct vis_dataset_opts {
	/* A labels file (see above), or NULL. */
	const char *labels;
	/* Classes layout: the class names in label order, or NULL. */
	const char *const *classes;
	uint32_t num_classes;
};

/*
 * Open the IDX file or directory @path; @opts may be NULL. Returns 0 and
 * the data set in @out, or -ENOENT (missing, or a directory without
 * images), -EINVAL (malformed file, labels that do not match), -ENOTSUP
 * (an IDX element type other than unsigned byte), -EFBIG (dimensions
 * beyond VIS_IDX_MAX_BYTES or VIS_IMAGE_MAX_PIXELS), -ENOMEM, or the
 * errno of a failed read.
 */
int vis_dataset_open(const char *path, const struct vis_dataset_opts *opts,
		     struct vis_dataset **out, struct vis_error *err);
void vis_dataset_free(struct vis_dataset *ds);

size_t vis_dataset_count(const struct vis_dataset *ds);
bool vis_dataset_is_idx(const struct vis_dataset *ds);
bool vis_dataset_has_labels(const struct vis_dataset *ds);
/* Label of image @i, or -1 without labels or out of range. */
int32_t vis_dataset_label(const struct vis_dataset *ds, size_t i);
/* Number of classes a classes-layout directory found (0 otherwise). */
uint32_t vis_dataset_num_classes(const struct vis_dataset *ds);

/*
 * How image @i is named in messages: its file path, or "FILE[i]" for an
 * IDX file. Returns the length snprintf() would, like snprintf().
 */
int vis_dataset_name(const struct vis_dataset *ds, size_t i, char *buf,
		     size_t len);

/*
 * Image @i into @img (whose buffer is reused). Safe to call from several
 * threads at once with different @img. Returns 0, -ERANGE, or the
 * decoder's error (see vis_image_load()).
 */
int vis_dataset_read(const struct vis_dataset *ds, size_t i,
		     struct vis_image *img, struct vis_error *err);

/*
 * Image @i through the preprocessing @pp (checked with
 * vis_preprocess_check()) into @out; @scratch holds the decoded image.
 */
int vis_dataset_tensor(const struct vis_dataset *ds, size_t i,
		       const struct vis_preprocess *pp,
		       struct vis_image *scratch, float *out,
		       struct vis_error *err);

/*
 * Choose min(@n, count) images for calibration into @idx, ascending: the
 * first ones, or with @random a uniformly random subset drawn from
 * @seed (the same seed, the same subset). Returns how many.
 */
size_t vis_dataset_pick(const struct vis_dataset *ds, size_t n, bool random,
			uint64_t seed, size_t *idx);

/*
 * Images @idx[0..@n) (the first @n if @idx is NULL) through @pp into
 * @out, one tensor after another (n x the elems of
 * vis_preprocess_check()), and their labels into @labels (if not NULL;
 * -1 without labels). Decodes on several threads. On failure, reports
 * the failing image with the lowest position in @idx.
 */
int vis_dataset_load(const struct vis_dataset *ds, const size_t *idx, size_t n,
		     const struct vis_preprocess *pp, float *out,
		     int32_t *labels, struct vis_error *err);

/*
 * Read a labels file on its own (IDX label file, or one label per line)
 * into a malloc'd array. Returns 0 or a negative errno.
 */
int vis_labels_read(const char *path, int32_t **labels, size_t *count,
		    struct vis_error *err);

/* ---- directories (shared with vision-run) ------------------------------- */

/* A growable list of malloc'd strings. */
struct vis_strs {
	char **v;
	size_t n;
	size_t cap;
};

void vis_strs_free(struct vis_strs *s);

/* "@dir/@name", without a second '/' after @dir; malloc'd, NULL: ENOMEM. */
char *vis_path_join(const char *dir, const char *name);

/*
 * Names of the regular files of @dir that @is_image accepts (into
 * @files) and of its subdirectories (into @dirs, if not NULL), each in
 * byte order (as Python's sorted()). Hidden entries are skipped and
 * symbolic links followed; a dangling one is skipped. Returns 0 or a
 * negative errno with a message naming @dir; @files and @dirs are the
 * caller's to free either way.
 */
int vis_dir_list(const char *dir, bool (*is_image)(const char *name),
		 struct vis_strs *files, struct vis_strs *dirs,
		 struct vis_error *err);

#endif /* LIBVISION_DATASET_H */
