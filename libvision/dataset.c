// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Data sets for calibration and evaluation: IDX files (plain or gzip)
 * and directories of PNG/JPEG images, with their labels; the layouts and
 * the labels file format are described in dataset.h. Nothing in a file
 * is trusted: IDX dimensions are checked with overflow-safe arithmetic
 * against the bytes actually present, and memory grows with the data
 * read, never with what a header claims.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"

#define VIS_IDX_MAX_DIMS 4
/* First allocation for an IDX body; it doubles as data arrives. */
#define VIS_IDX_CHUNK (1u << 20)
/* At most this many decoding threads, each with at least this many images. */
#define VIS_LOAD_MAX_THREADS 16
#define VIS_LOAD_MIN_PER_THREAD 32

struct vis_dataset {
	char *path;
	size_t count;
	int32_t *labels; /* NULL: unlabelled */
	uint32_t num_classes;
	/* IDX: the whole uncompressed file, and its geometry. */
	uint8_t *idx;
	uint32_t width;
	uint32_t height;
	uint32_t channels;
	/* Directory: the path of each image. */
	char **files;
};

/* ---- IDX ------------------------------------------------------------------ */

struct vis_idx {
	uint8_t *data; /* the elements, after the header */
	uint32_t ndims;
	uint32_t dims[VIS_IDX_MAX_DIMS];
};

static const char *vis_idx_type_name(uint8_t type)
{
	switch (type) {
	case 0x08:
		return "unsigned bytes";
	case 0x09:
		return "signed bytes";
	case 0x0b:
		return "16-bit integers";
	case 0x0c:
		return "32-bit integers";
	case 0x0d:
		return "floats";
	case 0x0e:
		return "doubles";
	default:
		return NULL;
	}
}

/* "10000x28x28" into @buf. */
static const char *vis_idx_shape(const struct vis_idx *x, char *buf, size_t len)
{
	size_t n = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < x->ndims && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "x" : "",
				      x->dims[i]);
	return buf;
}

/* Exactly @len bytes unless the file ends or fails: bytes read or -1. */
static long long vis_gz_read(gzFile gz, uint8_t *buf, size_t len)
{
	size_t got = 0;
	int n;

	while (got < len) {
		size_t want = len - got < (1u << 30) ? len - got : (1u << 30);

		n = gzread(gz, buf + got, (unsigned int)want);
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (long long)got;
}

/* The gzip layer's error, if any: 0, or a message and -EINVAL/-EIO. */
static int vis_gz_error(gzFile gz, const char *path, struct vis_error *err)
{
	int errnum;
	const char *msg = gzerror(gz, &errnum);

	if (errnum == Z_OK)
		return 0;
	if (errnum == Z_ERRNO)
		return vis_error_file(err, -EIO, path, "read error");
	if (errnum == Z_MEM_ERROR)
		return vis_error_file(err, -ENOMEM, path, "out of memory");
	return vis_error_file(err, -EINVAL, path, "corrupt gzip data: %s", msg);
}

/* Header fields after the magic: the dimensions, checked. */
static int vis_idx_dims(gzFile gz, const char *path, struct vis_idx *x,
			uint64_t *total, struct vis_error *err)
{
	uint8_t be[4 * VIS_IDX_MAX_DIMS];
	bool zero = false;
	char shape[64];
	uint32_t i;
	long long n;

	n = vis_gz_read(gz, be, 4 * (size_t)x->ndims);
	if (n < 0)
		return vis_gz_error(gz, path, err);
	if (n < 4 * x->ndims)
		return vis_error_file(err, -EINVAL, path,
				      "truncated IDX header (%u dimensions)",
				      x->ndims);
	for (i = 0; i < x->ndims; i++) {
		x->dims[i] = (uint32_t)be[4 * i] << 24 |
			     (uint32_t)be[4 * i + 1] << 16 |
			     (uint32_t)be[4 * i + 2] << 8 | be[4 * i + 3];
		zero |= !x->dims[i];
	}
	/* Divide before multiplying: 65536^3 must not wrap into range. */
	*total = zero ? 0 : 1;
	for (i = 0; i < x->ndims && !zero; i++) {
		if (*total > VIS_IDX_MAX_BYTES / x->dims[i])
			return vis_error_file(
				err, -EFBIG, path,
				"IDX dimensions %s exceed the limit of %llu bytes",
				vis_idx_shape(x, shape, sizeof(shape)),
				VIS_IDX_MAX_BYTES);
		*total *= x->dims[i];
	}
	if (*total >= SIZE_MAX)
		return vis_error_file(err, -EFBIG, path,
				      "IDX dimensions %s: too large here",
				      vis_idx_shape(x, shape, sizeof(shape)));
	return 0;
}

/*
 * The elements after the header: exactly @total bytes, then the end.
 * The buffer grows with the data read, never on the header's word alone.
 */
static int vis_idx_body(gzFile gz, const char *path, struct vis_idx *x,
			uint64_t total, struct vis_error *err)
{
	size_t cap = total < VIS_IDX_CHUNK ? total : VIS_IDX_CHUNK;
	size_t got = 0;
	char shape[64];
	long long n;
	uint8_t *p;
	int ret;

	for (;;) {
		/* One spare byte, for the probe past the end below. */
		p = realloc(x->data, cap + 1);
		if (!p)
			return vis_error_file(err, -ENOMEM, path,
					      "out of memory");
		x->data = p;
		n = vis_gz_read(gz, x->data + got, cap - got);
		if (n < 0)
			return vis_gz_error(gz, path, err);
		got += (size_t)n;
		if (got < cap || got == total)
			break;
		cap = total - cap > cap ? 2 * cap : total;
	}
	ret = vis_gz_error(gz, path, err);
	if (ret)
		return ret;
	if (got < total)
		return vis_error_file(
			err, -EINVAL, path,
			"truncated: the IDX header declares %s (%llu bytes of data) but the file has %zu",
			vis_idx_shape(x, shape, sizeof(shape)),
			(unsigned long long)total, got);
	n = vis_gz_read(gz, x->data + got, 1);
	if (n < 0)
		return vis_gz_error(gz, path, err);
	ret = vis_gz_error(gz, path, err);
	if (ret)
		return ret;
	if (n)
		return vis_error_file(
			err, -EINVAL, path,
			"more data than the IDX header declares (%s)",
			vis_idx_shape(x, shape, sizeof(shape)));
	return 0;
}

/*
 * Read the IDX file @path (plain or gzip) with @min_dims to @max_dims
 * dimensions of unsigned bytes into @x; the caller frees x->data.
 */
static int vis_idx_read(const char *path, uint32_t min_dims, uint32_t max_dims,
			struct vis_idx *x, struct vis_error *err)
{
	uint8_t magic[4];
	const char *type;
	uint64_t total = 0;
	struct stat st;
	long long n;
	gzFile gz;
	int fd, ret;

	memset(x, 0, sizeof(*x));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return vis_error_file(err, -EINVAL, path, "not a regular file");
	}
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return vis_error_file(err, -ENOMEM, path, "out of memory");
	}
	gzbuffer(gz, 1u << 17);

	n = vis_gz_read(gz, magic, sizeof(magic));
	if (n < 0) {
		ret = vis_gz_error(gz, path, err);
		goto out;
	}
	type = n == 4 && !magic[0] && !magic[1] ? vis_idx_type_name(magic[2]) :
						  NULL;
	if (!type) {
		ret = vis_error_file(err, -EINVAL, path,
				     "not an IDX file (bad magic number)");
		goto out;
	}
	if (magic[2] != 0x08) {
		ret = vis_error_file(
			err, -ENOTSUP, path,
			"IDX elements are %s; only unsigned bytes are supported",
			type);
		goto out;
	}
	x->ndims = magic[3];
	if (x->ndims < min_dims || x->ndims > max_dims) {
		ret = vis_error_file(
			err, -EINVAL, path,
			"IDX file of %u dimensions; expected %s", x->ndims,
			max_dims == 1 ? "1 (labels)" : "3 or 4 (images)");
		goto out;
	}
	ret = vis_idx_dims(gz, path, x, &total, err);
	if (ret)
		goto out;
	ret = vis_idx_body(gz, path, x, total, err);
out:
	gzclose_r(gz);
	if (ret) {
		free(x->data);
		x->data = NULL;
	}
	return ret;
}

/* ---- labels files ------------------------------------------------------ */

/* Labels as read from a file: @names is set for "NAME LABEL" files. */
struct vis_label_list {
	int32_t *labels;
	struct vis_strs names;
	size_t n;
	size_t cap;
};

void vis_strs_free(struct vis_strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Append @str (taken over, freed on failure); 0 or -ENOMEM. */
static int vis_strs_add(struct vis_strs *s, char *str)
{
	char **v;

	if (!str)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;

		v = reallocarray(s->v, cap, sizeof(*v));
		if (!v) {
			free(str);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

static int vis_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Byte order, as Python's sorted(): independent of the locale. */
static void vis_strs_sort(struct vis_strs *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), vis_strcmp_p);
}

static void vis_label_list_free(struct vis_label_list *l)
{
	free(l->labels);
	vis_strs_free(&l->names);
	memset(l, 0, sizeof(*l));
}

static int vis_label_add(struct vis_label_list *l, int32_t label)
{
	int32_t *v;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;

		v = reallocarray(l->labels, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->labels = v;
		l->cap = cap;
	}
	l->labels[l->n++] = label;
	return 0;
}

static bool vis_is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* One non-blank, non-comment line of a text labels file, trimmed. */
static int vis_labels_line(struct vis_label_list *l, char *s, const char *path,
			   size_t lineno, struct vis_error *err)
{
	char *tok = s + strlen(s), *end;
	bool named;
	long v;

	while (tok > s && !vis_is_sep(tok[-1]))
		tok--;
	named = tok > s;
	if (l->n && named != !!l->names.n)
		return vis_error_file(
			err, -EINVAL, path,
			"line %zu: mixes \"NAME LABEL\" and \"LABEL\" lines",
			lineno);
	errno = 0;
	v = strtol(tok, &end, 10);
	if (!*tok || *end || errno || v < 0 || v > INT32_MAX || *tok == '+')
		return vis_error_file(
			err, -EINVAL, path,
			"line %zu: \"%s\" is not a label (a non-negative integer)",
			lineno, tok);
	if (named) {
		end = tok;
		while (end > s && vis_is_sep(end[-1]))
			end--;
		*end = '\0';
		if (vis_strs_add(&l->names, strdup(s)))
			return vis_error_file(err, -ENOMEM, path,
					      "out of memory");
	}
	if (vis_label_add(l, (int32_t)v))
		return vis_error_file(err, -ENOMEM, path, "out of memory");
	return 0;
}

static int vis_labels_text(const char *path, struct vis_label_list *l,
			   struct vis_error *err)
{
	size_t cap = 0, lineno = 0, len;
	char *line = NULL, *s;
	ssize_t got;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)got)) {
			ret = vis_error_file(
				err, -EINVAL, path,
				"line %zu: NUL byte: not a text labels file",
				lineno);
			break;
		}
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		len = strlen(s);
		while (len && (vis_is_sep(s[len - 1]) || s[len - 1] == '\n' ||
			       s[len - 1] == '\r'))
			s[--len] = '\0';
		if (!len || *s == '#')
			continue;
		ret = vis_labels_line(l, s, path, lineno, err);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = vis_error_file(err, -EIO, path, "read error");
	if (!ret && !l->n)
		ret = vis_error_file(err, -EINVAL, path, "no labels");
	free(line);
	fclose(f);
	return ret;
}

/* An IDX label file if it starts like one (or like gzip), else text. */
static int vis_labels_load(const char *path, struct vis_label_list *l,
			   struct vis_error *err)
{
	uint8_t head[4] = { 0 };
	struct vis_idx x;
	ssize_t n;
	size_t i;
	int fd, ret;

	memset(l, 0, sizeof(*l));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	if (!(n >= 2 &&
	      ((head[0] == 0x1f && head[1] == 0x8b) || (!head[0] && !head[1]))))
		ret = vis_labels_text(path, l, err);
	else if (!(ret = vis_idx_read(path, 1, 1, &x, err))) {
		l->n = x.dims[0];
		l->labels = malloc((l->n ? l->n : 1) * sizeof(*l->labels));
		if (l->labels) {
			for (i = 0; i < l->n; i++)
				l->labels[i] = x.data[i];
		} else {
			ret = vis_error_file(err, -ENOMEM, path,
					     "out of memory");
		}
		free(x.data);
	}
	if (ret)
		vis_label_list_free(l);
	return ret;
}

int vis_labels_read(const char *path, int32_t **labels, size_t *count,
		    struct vis_error *err)
{
	struct vis_label_list l;
	int ret;

	ret = vis_labels_load(path, &l, err);
	if (ret)
		return ret;
	if (l.names.n) {
		vis_label_list_free(&l);
		return vis_error_file(
			err, -EINVAL, path,
			"\"NAME LABEL\" lines need a directory of images");
	}
	*labels = l.labels;
	*count = l.n;
	return 0;
}

/* ---- directories ----------------------------------------------------------- */

static bool vis_is_image_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
		!strcasecmp(dot, ".jpeg"));
}

char *vis_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *s;

	if (asprintf(&s, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
		     name) < 0)
		return NULL;
	return s;
}

int vis_dir_list(const char *dir, bool (*is_image)(const char *name),
		 struct vis_strs *files, struct vis_strs *dirs,
		 struct vis_error *err)
{
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return vis_error_file(err, -errno, dir, "%s", strerror(errno));
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				ret = vis_error_file(err, -errno, dir, "%s",
						     strerror(errno));
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		/* Follows symbolic links; a dangling one is not an image. */
		if (fstatat(dirfd(d), de->d_name, &st, 0))
			continue;
		if (S_ISDIR(st.st_mode) && dirs)
			ret = vis_strs_add(dirs, strdup(de->d_name));
		else if (S_ISREG(st.st_mode) && is_image(de->d_name))
			ret = vis_strs_add(files, strdup(de->d_name));
		if (ret) {
			ret = vis_error_file(err, ret, dir, "out of memory");
			break;
		}
	}
	closedir(d);
	vis_strs_sort(files);
	if (dirs)
		vis_strs_sort(dirs);
	return ret;
}

/* The label index of class directory @name. */
static int vis_class_index(const struct vis_dataset_opts *o,
			   const struct vis_strs *dirs, size_t d,
			   const char *dir, struct vis_error *err)
{
	uint32_t i;

	if (!o || !o->classes)
		return (int)d;
	for (i = 0; i < o->num_classes; i++)
		if (o->classes[i] && !strcmp(o->classes[i], dirs->v[d]))
			return (int)i;
	return vis_error_file(
		err, -EINVAL, dir,
		"subdirectory \"%s\" is not one of the %u class names",
		dirs->v[d], o->num_classes);
}

/* DIR/CLASS/NAME: each subdirectory is a class. */
static int vis_dir_classes(struct vis_dataset *ds, const struct vis_strs *dirs,
			   const struct vis_dataset_opts *o,
			   struct vis_label_list *l, struct vis_error *err)
{
	struct vis_strs files = { 0 };
	size_t d, f;
	char *sub;
	int ret = 0, label;

	if (o && o->labels)
		return vis_error_file(
			err, -EINVAL, ds->path,
			"class subdirectories label the images; a labels file (%s) does not apply",
			o->labels);
	if (dirs->n > INT32_MAX)
		return vis_error_file(err, -EFBIG, ds->path,
				      "too many classes");
	for (d = 0; d < dirs->n && !ret; d++) {
		label = vis_class_index(o, dirs, d, ds->path, err);
		if (label < 0)
			return label;
		sub = vis_path_join(ds->path, dirs->v[d]);
		if (!sub)
			return vis_error_file(err, -ENOMEM, ds->path,
					      "out of memory");
		ret = vis_dir_list(sub, vis_is_image_name, &files, NULL, err);
		for (f = 0; f < files.n && !ret; f++) {
			ret = vis_strs_add(&l->names,
					   vis_path_join(sub, files.v[f]));
			if (!ret)
				ret = vis_label_add(l, label);
			if (ret)
				ret = vis_error_file(err, ret, ds->path,
						     "out of memory");
		}
		vis_strs_free(&files);
		free(sub);
	}
	ds->num_classes = o && o->classes ? o->num_classes : (uint32_t)dirs->n;
	return ret;
}

static int vis_name_index(const struct vis_strs *sorted, const char *name)
{
	char *const *p = bsearch(&name, sorted->v, sorted->n, sizeof(char *),
				 vis_strcmp_p);

	return p ? (int)(p - sorted->v) : -1;
}

/* Labels of a flat directory from "NAME LABEL" lines in @l. */
static int vis_dir_named_labels(struct vis_dataset *ds,
				const struct vis_strs *files,
				const struct vis_label_list *l,
				const char *lpath, struct vis_error *err)
{
	size_t i;
	int k;

	for (i = 0; i < files->n; i++)
		ds->labels[i] = -1;
	for (i = 0; i < l->n; i++) {
		k = vis_name_index(files, l->names.v[i]);
		if (k < 0)
			return vis_error_file(err, -EINVAL, lpath,
					      "\"%s\" is not an image in %s",
					      l->names.v[i], ds->path);
		if (ds->labels[k] >= 0)
			return vis_error_file(err, -EINVAL, lpath,
					      "\"%s\" is labelled twice",
					      l->names.v[i]);
		ds->labels[k] = l->labels[i];
	}
	for (i = 0; i < files->n; i++)
		if (ds->labels[i] < 0)
			return vis_error_file(
				err, -EINVAL, lpath,
				"no label for %s/%s (%zu images, %zu labels)",
				ds->path, files->v[i], files->n, l->n);
	return 0;
}

/* DIR/NAME: one directory of images. */
static int vis_dir_flat(struct vis_dataset *ds, struct vis_strs *files,
			const struct vis_strs *dirs,
			const struct vis_dataset_opts *o,
			struct vis_label_list *l, struct vis_error *err)
{
	struct vis_strs sub = { 0 };
	size_t i;
	char *p;
	int ret;

	/* Images beside class directories: which layout is meant is unclear. */
	for (i = 0; i < dirs->n; i++) {
		p = vis_path_join(ds->path, dirs->v[i]);
		if (!p)
			return vis_error_file(err, -ENOMEM, ds->path,
					      "out of memory");
		ret = vis_dir_list(p, vis_is_image_name, &sub, NULL, err);
		free(p);
		if (!ret && sub.n)
			ret = vis_error_file(
				err, -EINVAL, ds->path,
				"has both images and subdirectories of images (%s/%s); use one layout",
				dirs->v[i], sub.v[0]);
		vis_strs_free(&sub);
		if (ret)
			return ret;
	}
	if (o && o->labels) {
		ret = vis_labels_load(o->labels, l, err);
		if (ret)
			return ret;
		if (l->names.n) {
			ds->labels = calloc(files->n, sizeof(*ds->labels));
			if (!ds->labels)
				return vis_error_file(err, -ENOMEM, o->labels,
						      "out of memory");
			ret = vis_dir_named_labels(ds, files, l, o->labels,
						   err);
			if (ret)
				return ret;
			vis_label_list_free(l);
		}
	}
	/* The list now holds the paths of the images. */
	for (i = 0; i < files->n; i++) {
		p = vis_path_join(ds->path, files->v[i]);
		if (!p)
			return vis_error_file(err, -ENOMEM, ds->path,
					      "out of memory");
		free(files->v[i]);
		files->v[i] = p;
	}
	return 0;
}

static int vis_dir_open(struct vis_dataset *ds,
			const struct vis_dataset_opts *o,
			struct vis_label_list *l, struct vis_error *err)
{
	struct vis_strs files = { 0 }, dirs = { 0 };
	int ret;

	ret = vis_dir_list(ds->path, vis_is_image_name, &files, &dirs, err);
	if (ret)
		goto out;
	if (files.n) {
		ret = vis_dir_flat(ds, &files, &dirs, o, l, err);
		if (ret)
			goto out;
		ds->files = files.v;
		ds->count = files.n;
		memset(&files, 0, sizeof(files));
	} else {
		ret = vis_dir_classes(ds, &dirs, o, l, err);
		if (ret)
			goto out;
		ds->files = l->names.v;
		ds->count = l->names.n;
		memset(&l->names, 0, sizeof(l->names));
	}
	if (!ds->count)
		ret = vis_error_file(
			err, -ENOENT, ds->path,
			"no PNG or JPEG images (*.png, *.jpg, *.jpeg) here or in its subdirectories");
out:
	vis_strs_free(&files);
	vis_strs_free(&dirs);
	return ret;
}

static int vis_idx_open(struct vis_dataset *ds,
			const struct vis_dataset_opts *o,
			struct vis_label_list *l, struct vis_error *err)
{
	struct vis_idx x;
	int ret;

	ret = vis_idx_read(ds->path, 3, 4, &x, err);
	if (ret)
		return ret;
	ds->idx = x.data;
	ds->count = x.dims[0];
	ds->height = x.dims[1];
	ds->width = x.dims[2];
	ds->channels = x.ndims == 4 ? x.dims[3] : 1;
	if (ds->channels != 1 && ds->channels != 3)
		return vis_error_file(
			err, -ENOTSUP, ds->path,
			"IDX images of %u channels (1 or 3 supported)",
			ds->channels);
	if (!ds->count)
		return vis_error_file(err, -ENOENT, ds->path,
				      "the IDX file holds no images");
	if (!ds->width || !ds->height ||
	    (uint64_t)ds->width * ds->height > VIS_IMAGE_MAX_PIXELS)
		return vis_error_file(
			err, ds->width && ds->height ? -EFBIG : -EINVAL,
			ds->path, "IDX images of %ux%u", ds->width, ds->height);
	if (o && o->classes)
		ds->num_classes = o->num_classes;
	return o && o->labels ? vis_labels_load(o->labels, l, err) : 0;
}

int vis_dataset_open(const char *path, const struct vis_dataset_opts *opts,
		     struct vis_dataset **out, struct vis_error *err)
{
	struct vis_label_list l = { 0 };
	struct vis_dataset *ds;
	struct stat st;
	int ret;

	*out = NULL;
	if (stat(path, &st))
		return vis_error_file(err, -errno, path, "%s", strerror(errno));
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return vis_error_file(err, -ENOMEM, path, "out of memory");
	ds->path = strdup(path);
	if (!ds->path) {
		ret = vis_error_file(err, -ENOMEM, path, "out of memory");
		goto err;
	}
	if (S_ISDIR(st.st_mode))
		ret = vis_dir_open(ds, opts, &l, err);
	else
		ret = vis_idx_open(ds, opts, &l, err);
	if (ret)
		goto err;

	/* Labels in order (named ones were placed by vis_dir_flat()). */
	if (l.n && !ds->labels) {
		if (l.names.n) {
			ret = vis_error_file(
				err, -EINVAL, opts->labels,
				"\"NAME LABEL\" lines need a flat directory of images");
			goto err;
		}
		if (l.n != ds->count) {
			ret = vis_error_file(
				err, -EINVAL, opts->labels,
				"%zu labels for the %zu images of %s", l.n,
				ds->count, path);
			goto err;
		}
		ds->labels = l.labels;
		l.labels = NULL;
	}
	vis_label_list_free(&l);
	*out = ds;
	return 0;

err:
	vis_label_list_free(&l);
	vis_dataset_free(ds);
	return ret;
}

void vis_dataset_free(struct vis_dataset *ds)
{
	size_t i;

	if (!ds)
		return;
	if (ds->files) {
		for (i = 0; i < ds->count; i++)
			free(ds->files[i]);
		free(ds->files);
	}
	free(ds->idx);
	free(ds->labels);
	free(ds->path);
	free(ds);
}

/* ---- access ------------------------------------------------------------------- */

size_t vis_dataset_count(const struct vis_dataset *ds)
{
	return ds->count;
}

bool vis_dataset_is_idx(const struct vis_dataset *ds)
{
	return ds->idx != NULL;
}

bool vis_dataset_has_labels(const struct vis_dataset *ds)
{
	return ds->labels != NULL;
}

int32_t vis_dataset_label(const struct vis_dataset *ds, size_t i)
{
	return ds->labels && i < ds->count ? ds->labels[i] : -1;
}

uint32_t vis_dataset_num_classes(const struct vis_dataset *ds)
{
	return ds->num_classes;
}

int vis_dataset_name(const struct vis_dataset *ds, size_t i, char *buf,
		     size_t len)
{
	if (ds->files && i < ds->count)
		return snprintf(buf, len, "%s", ds->files[i]);
	return snprintf(buf, len, "%s[%zu]", ds->path, i);
}

int vis_dataset_read(const struct vis_dataset *ds, size_t i,
		     struct vis_image *img, struct vis_error *err)
{
	char name[PATH_MAX + 32];
	size_t bytes;
	int ret;

	if (i >= ds->count)
		return vis_error_file(err, -ERANGE, ds->path,
				      "image %zu of %zu", i, ds->count);
	if (ds->files)
		return vis_image_load(ds->files[i], img, err);
	vis_dataset_name(ds, i, name, sizeof(name));
	ret = vis_image_reserve(img, ds->width, ds->height, ds->channels, name,
				err);
	if (ret)
		return ret;
	bytes = (size_t)ds->width * ds->height * ds->channels;
	memcpy(img->pixels, ds->idx + i * bytes, bytes);
	return 0;
}

int vis_dataset_tensor(const struct vis_dataset *ds, size_t i,
		       const struct vis_preprocess *pp,
		       struct vis_image *scratch, float *out,
		       struct vis_error *err)
{
	char name[PATH_MAX + 32];
	int ret;

	ret = vis_dataset_read(ds, i, scratch, err);
	if (ret)
		return ret;
	vis_dataset_name(ds, i, name, sizeof(name));
	return vis_image_to_tensor(scratch, pp, name, out, err);
}

/* splitmix64: seeds of any value give well-mixed streams. */
static uint64_t vis_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t vis_dataset_pick(const struct vis_dataset *ds, size_t n, bool random,
			uint64_t seed, size_t *idx)
{
	size_t i, k = 0;

	if (n > ds->count)
		n = ds->count;
	/*
	 * Selection sampling (Knuth, TAOCP 3.4.2, algorithm S): each image is
	 * kept with probability (still needed) / (still left), which picks
	 * every n-subset equally often, in order, with no extra memory.
	 */
	for (i = 0; i < ds->count && k < n; i++)
		if (!random || vis_rand(&seed) % (ds->count - i) < n - k)
			idx[k++] = i;
	return k;
}

/* One thread's share of vis_dataset_load(): positions [begin, end). */
struct vis_load_part {
	const struct vis_dataset *ds;
	const size_t *idx;
	const struct vis_preprocess *pp;
	size_t elems;
	float *out;
	int32_t *labels;
	size_t begin;
	size_t end;
	size_t failed; /* position of the first failure */
	int ret;
	struct vis_error err;
	pthread_t thread;
	bool started;
};

static void *vis_load_part_run(void *arg)
{
	struct vis_load_part *p = arg;
	struct vis_image img = { 0 };
	size_t k, i;

	for (k = p->begin; k < p->end; k++) {
		i = p->idx ? p->idx[k] : k;
		p->ret = vis_dataset_tensor(p->ds, i, p->pp, &img,
					    p->out + k * p->elems, &p->err);
		if (p->ret) {
			p->failed = k;
			break;
		}
		if (p->labels)
			p->labels[k] = vis_dataset_label(p->ds, i);
	}
	vis_image_release(&img);
	return NULL;
}

int vis_dataset_load(const struct vis_dataset *ds, const size_t *idx, size_t n,
		     const struct vis_preprocess *pp, float *out,
		     int32_t *labels, struct vis_error *err)
{
	struct vis_load_part part[VIS_LOAD_MAX_THREADS] = { 0 };
	struct vis_load_part *bad = NULL;
	size_t elems, t, nt;
	long cpus;
	int ret;

	ret = vis_preprocess_check(pp, &elems, err);
	if (ret)
		return ret;
	if (!n)
		return 0;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	nt = cpus > 0 ? (size_t)cpus : 1;
	if (nt > VIS_LOAD_MAX_THREADS)
		nt = VIS_LOAD_MAX_THREADS;
	if (nt > (n + VIS_LOAD_MIN_PER_THREAD - 1) / VIS_LOAD_MIN_PER_THREAD)
		nt = (n + VIS_LOAD_MIN_PER_THREAD - 1) /
		     VIS_LOAD_MIN_PER_THREAD;
	for (t = 0; t < nt; t++) {
		part[t] = (struct vis_load_part){
			.ds = ds,
			.idx = idx,
			.pp = pp,
			.elems = elems,
			.out = out,
			.labels = labels,
			.begin = n * t / nt,
			.end = n * (t + 1) / nt,
		};
		/* Part 0 runs here; a thread that fails to start does too. */
		if (t)
			part[t].started = !pthread_create(&part[t].thread, NULL,
							  vis_load_part_run,
							  &part[t]);
	}
	vis_load_part_run(&part[0]);
	for (t = 0; t < nt; t++) {
		if (t && part[t].started)
			pthread_join(part[t].thread, NULL);
		else if (t)
			vis_load_part_run(&part[t]);
		/* Parts are in order: the first failure is the lowest. */
		if (part[t].ret && !bad)
			bad = &part[t];
	}
	if (!bad)
		return 0;
	if (err)
		*err = bad->err;
	return bad->ret;
}
