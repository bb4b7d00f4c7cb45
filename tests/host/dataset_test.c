// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Calibration and evaluation data: IDX parsing against the real
 * Fashion-MNIST files (label order, histogram and pixel sums computed
 * independently with Python's gzip module), PNG and JPEG decoding of
 * images written here with libpng and libjpeg (PNG exact for every
 * colour type and depth, JPEG within tolerance of the pattern encoded),
 * resize against a plain double-precision reference (and exactly on
 * identity and integer downscales), the normalisation formula, directory
 * layouts and labels files, and malformed input of every kind: truncated
 * and corrupt IDX, gzip, PNG and JPEG files, absurd dimensions, label
 * count mismatches, empty directories, wrong image sizes. Fixtures are
 * generated into a temporary directory at run time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include "dataset.h"
#include "engine_test_util.h"
#include "file_test_util.h"

#include "kselftest_harness.h"

#define FMNIST "/usr/share/datasets/fashion-mnist/"

/* ---- files ------------------------------------------------------------------ */

struct buf {
	uint8_t *p;
	size_t n;
};

#define write_str(path, s) write_file(path, s, strlen(s))

static struct buf read_file(const char *path)
{
	struct buf b = { 0 };
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st))
		goto out;
	b.p = malloc(st.st_size + 1);
	if (b.p)
		b.n = fread(b.p, 1, st.st_size, f);
out:
	if (f)
		fclose(f);
	return b;
}

static int write_gz(const char *path, const void *p, size_t n)
{
	gzFile gz = gzopen(path, "wb9");
	int ok;

	if (!gz)
		return -1;
	ok = gzwrite(gz, p, (unsigned int)n) == (int)n;
	return gzclose(gz) != Z_OK || !ok ? -1 : 0;
}

/* An IDX file of unsigned bytes in memory: header, then @payload. */
static struct buf idx_make(uint8_t type, uint32_t ndims, const uint32_t *dims,
			   const uint8_t *payload, size_t n)
{
	struct buf b;
	uint32_t i;

	b.n = 4 + 4 * ndims + n;
	b.p = malloc(b.n + 1);
	b.p[0] = 0;
	b.p[1] = 0;
	b.p[2] = type;
	b.p[3] = (uint8_t)ndims;
	for (i = 0; i < ndims; i++) {
		b.p[4 + 4 * i] = dims[i] >> 24;
		b.p[5 + 4 * i] = dims[i] >> 16;
		b.p[6 + 4 * i] = dims[i] >> 8;
		b.p[7 + 4 * i] = dims[i];
	}
	if (n)
		memcpy(b.p + 4 + 4 * ndims, payload, n);
	return b;
}

static int idx_write(const char *path, uint32_t ndims, const uint32_t *dims,
		     const uint8_t *payload, size_t n, bool gz)
{
	struct buf b = idx_make(0x08, ndims, dims, payload, n);
	int r = gz ? write_gz(path, b.p, b.n) : write_file(path, b.p, b.n);

	free(b.p);
	return r;
}

/* ---- PNG and JPEG writers (the test's own, straight libpng/libjpeg) ------- */

static void png_mem_write(png_structp png, png_bytep p, size_t n)
{
	struct buf *b = png_get_io_ptr(png);
	uint8_t *q = realloc(b->p, b->n + n);

	if (!q)
		png_error(png, "oom");
	memcpy(q + b->n, p, n);
	b->p = q;
	b->n += n;
}

static void png_mem_flush(png_structp png)
{
	(void)png;
}

struct png_spec {
	uint32_t w, h;
	int type; /* PNG_COLOR_TYPE_* */
	int depth;
	bool interlace;
	int npal; /* palette entries */
	png_color pal[256];
	png_byte trans[256]; /* palette alpha */
	int ntrans;
	png_color_16 trans_col; /* grey/RGB transparent colour */
	bool has_trans_col;
};

/* @rows: w x h samples per channel, in the PNG's own depth. */
static struct buf png_encode(const struct png_spec *s, const uint16_t *samples,
			     int nch)
{
	struct buf b = { 0 };
	png_structp png;
	png_infop info;
	uint8_t *row = NULL;
	size_t rb = ((size_t)s->w * nch * s->depth + 7) / 8;
	uint32_t x, y;
	int c, passes, pass;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	row = calloc(1, rb);
	if (setjmp(png_jmpbuf(png))) {
		free(b.p);
		b.p = NULL;
		goto out;
	}
	png_set_write_fn(png, &b, png_mem_write, png_mem_flush);
	png_set_IHDR(png, info, s->w, s->h, s->depth, s->type,
		     s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (s->npal)
		png_set_PLTE(png, info, s->pal, s->npal);
	if (s->ntrans)
		png_set_tRNS(png, info, s->trans, s->ntrans, NULL);
	if (s->has_trans_col)
		png_set_tRNS(png, info, NULL, 0, &s->trans_col);
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	for (pass = 0; pass < passes; pass++) {
		for (y = 0; y < s->h; y++) {
			memset(row, 0, rb);
			for (x = 0; x < s->w; x++) {
				for (c = 0; c < nch; c++) {
					uint32_t v = samples[((size_t)y * s->w +
							      x) * nch +
							     c];
					size_t bit = ((size_t)x * nch + c) *
						     s->depth;

					if (s->depth == 16) {
						row[bit / 8] = v >> 8;
						row[bit / 8 + 1] = v & 0xff;
					} else {
						row[bit / 8] |=
							v << (8 - s->depth -
							      bit % 8);
					}
				}
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, NULL);
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	return b;
}

/* @comps 1 (grey), 3 (RGB) or 4 (CMYK). */
static struct buf jpeg_encode(const uint8_t *px, uint32_t w, uint32_t h,
			      int comps, int quality, bool progressive)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	unsigned long n = 0;
	struct buf b = { 0 };
	JSAMPROW row;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &n);
	c.image_width = w;
	c.image_height = h;
	c.input_components = comps;
	c.in_color_space = comps == 1 ? JCS_GRAYSCALE :
			   comps == 3 ? JCS_RGB :
					JCS_CMYK;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		row = (JSAMPROW)(px + (size_t)c.next_scanline * w * comps);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	b.p = out;
	b.n = n;
	return b;
}

/* A smooth pattern JPEG reproduces closely at high quality. */
static uint8_t pattern(uint32_t x, uint32_t y, int c, uint32_t w, uint32_t h)
{
	double u = (double)x / (w - 1), v = (double)y / (h - 1);

	switch (c) {
	case 0:
		return (uint8_t)lround(255 * u);
	case 1:
		return (uint8_t)lround(255 * v);
	default:
		return (uint8_t)lround(127.5 + 100 * sin(3 * u + 2 * v));
	}
}

static uint8_t *pattern_image(uint32_t w, uint32_t h, int comps)
{
	uint8_t *p = malloc((size_t)w * h * comps);
	uint32_t x, y;
	int c;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < comps; c++)
				p[((size_t)y * w + x) * comps + c] =
					pattern(x, y, comps == 1 ? 2 : c, w, h);
	return p;
}

/* Write a grey PNG of @w x @h with pixel (x, y) = (x * 7 + y * 3 + seed). */
static int write_grey_png(const char *path, uint32_t w, uint32_t h, int seed)
{
	struct png_spec s = {
		.w = w, .h = h, .type = PNG_COLOR_TYPE_GRAY, .depth = 8
	};
	uint16_t *v = malloc((size_t)w * h * sizeof(*v));
	struct buf b;
	uint32_t i;
	int r;

	for (i = 0; i < w * h; i++)
		v[i] = (uint16_t)((i % w) * 7 + (i / w) * 3 + seed) & 0xff;
	b = png_encode(&s, v, 1);
	r = b.p ? write_file(path, b.p, b.n) : -1;
	free(b.p);
	free(v);
	return r;
}

/* ---- references -------------------------------------------------------------- */

/*
 * Bilinear resize with half-pixel centres, written from the definition:
 * source coordinate (o + 0.5) * in / out - 0.5, clamped to the image,
 * linear weights from the two nearest source pixels, in double.
 */
static double ref_bilinear(const uint8_t *img, uint32_t w, uint32_t h,
			   uint32_t nch, uint32_t c, uint32_t ox, uint32_t oy,
			   uint32_t ow, uint32_t oh)
{
	double sx = (ox + 0.5) * w / ow - 0.5, sy = (oy + 0.5) * h / oh - 0.5;
	double fx, fy, a, b, cc, d;
	uint32_t x0, y0, x1, y1;

	sx = fmin(fmax(sx, 0.0), w - 1.0);
	sy = fmin(fmax(sy, 0.0), h - 1.0);
	x0 = (uint32_t)floor(sx);
	y0 = (uint32_t)floor(sy);
	x1 = x0 + 1 < w ? x0 + 1 : x0;
	y1 = y0 + 1 < h ? y0 + 1 : y0;
	fx = sx - x0;
	fy = sy - y0;
	a = img[((size_t)y0 * w + x0) * nch + c];
	b = img[((size_t)y0 * w + x1) * nch + c];
	cc = img[((size_t)y1 * w + x0) * nch + c];
	d = img[((size_t)y1 * w + x1) * nch + c];
	return a * (1 - fx) * (1 - fy) + b * fx * (1 - fy) +
	       cc * (1 - fx) * fy + d * fx * fy;
}

static struct vis_preprocess pp_plain(uint32_t w, uint32_t h, uint32_t color,
				      uint32_t resize)
{
	struct vis_preprocess pp = {
		.width = w,
		.height = h,
		.color = color,
		.resize = resize,
		.layout = VIS_PP_NCHW,
		.std = { 1, 1, 1 },
	};
	return pp;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- Fashion-MNIST --------------------------------------------------------------- */

/* Reference values computed with Python's gzip module from the files. */
TEST(fashion_mnist_t10k)
{
	static const int32_t first[10] = { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 };
	struct vis_dataset_opts o = { .labels = FMNIST
				      "t10k-labels-idx1-ubyte.gz" };
	struct vis_image img = { 0 };
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	uint64_t total = 0, sum0 = 0, sum_last = 0;
	size_t hist[10] = { 0 }, i, k;
	int ret;

	if (access(FMNIST "t10k-images-idx3-ubyte.gz", R_OK))
		SKIP(return, "install dataset-fashion-mnist");
	ret = vis_dataset_open(FMNIST "t10k-images-idx3-ubyte.gz", &o, &ds,
			       &err);
	ASSERT_EQ(0, ret) TH_LOG("%s", err.msg);
	ASSERT_EQ(10000, vis_dataset_count(ds));
	ASSERT_TRUE(vis_dataset_is_idx(ds));
	ASSERT_TRUE(vis_dataset_has_labels(ds));
	for (i = 0; i < 10; i++)
		EXPECT_EQ(first[i], vis_dataset_label(ds, i));
	for (i = 0; i < 10000; i++) {
		int32_t l = vis_dataset_label(ds, i);

		ASSERT_TRUE(l >= 0 && l < 10);
		hist[l]++;
		ASSERT_EQ(0, vis_dataset_read(ds, i, &img, &err));
		ASSERT_EQ(28, img.width);
		ASSERT_EQ(28, img.height);
		ASSERT_EQ(1, img.channels);
		for (k = 0; k < 784; k++) {
			total += img.pixels[k];
			if (i == 0)
				sum0 += img.pixels[k];
			if (i == 9999)
				sum_last += img.pixels[k];
		}
		if (i == 0)
			EXPECT_EQ(110, img.pixels[14 * 28 + 14]);
	}
	for (i = 0; i < 10; i++)
		EXPECT_EQ(1000, hist[i]);
	EXPECT_EQ(573469082ull, total);
	EXPECT_EQ(33456, sum0);
	EXPECT_EQ(24390, sum_last);
	EXPECT_EQ(-1, vis_dataset_label(ds, 10000));
	EXPECT_EQ(-ERANGE, vis_dataset_read(ds, 10000, &img, &err));
	vis_image_release(&img);
	vis_dataset_free(ds);
}

TEST(fashion_mnist_train_labels)
{
	static const int32_t first[10] = { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 };
	struct vis_error err = { "" };
	size_t n = 0, hist[10] = { 0 }, i;
	int32_t *l = NULL;

	if (access(FMNIST "train-labels-idx1-ubyte.gz", R_OK))
		SKIP(return, "install dataset-fashion-mnist");
	ASSERT_EQ(0, vis_labels_read(FMNIST "train-labels-idx1-ubyte.gz", &l,
				     &n, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(60000, n);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(first[i], l[i]);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(l[i] >= 0 && l[i] < 10);
		hist[l[i]]++;
	}
	for (i = 0; i < 10; i++)
		EXPECT_EQ(6000, hist[i]);
	free(l);
	/* An image file is no labels file. */
	EXPECT_EQ(-EINVAL, vis_labels_read(FMNIST "t10k-images-idx3-ubyte.gz",
					   &l, &n, &err));
	EXPECT_NE(NULL, strstr(err.msg, "dimensions"));
}

/*
 * All 10,000 test images into float NCHW, checked against the pixels
 * read independently with zlib, and timed: well under a second.
 */
TEST(fashion_mnist_load_speed)
{
	const char *path = FMNIST "t10k-images-idx3-ubyte.gz";
	struct vis_preprocess pp = pp_plain(28, 28, VISION_MODEL_COLOR_GREY,
					    VISION_MODEL_RESIZE_BILINEAR);
	struct vis_dataset_opts o = { .labels = FMNIST
				      "t10k-labels-idx1-ubyte.gz" };
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	uint8_t *raw;
	int32_t *labels;
	double t0, t1, limit = 1.0;
	float *out;
	size_t i, bad = 0;
	gzFile gz;

	/* Instrumented runs are slower; the plain run holds the real bound. */
#if defined(__SANITIZE_ADDRESS__)
	limit = 10.0;
#endif
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		limit = 60.0;
#endif
	if (access(path, R_OK))
		SKIP(return, "install dataset-fashion-mnist");
	pp.mean[0] = 0.2860f;
	pp.std[0] = 0.3530f;
	out = malloc(10000 * 784 * sizeof(*out));
	labels = malloc(10000 * sizeof(*labels));
	raw = malloc(16 + 10000 * 784);
	ASSERT_NE(NULL, out);

	t0 = now();
	ASSERT_EQ(0, vis_dataset_open(path, &o, &ds, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_dataset_load(ds, NULL, 10000, &pp, out, labels, &err))
	TH_LOG("%s", err.msg);
	t1 = now();
	TH_LOG("open + decode + 10000 images to float: %.1f ms",
	       (t1 - t0) * 1e3);
	EXPECT_LT(t1 - t0, limit);

	gz = gzopen(path, "rb");
	ASSERT_EQ(16 + 10000 * 784, gzread(gz, raw, 16 + 10000 * 784));
	gzclose(gz);
	for (i = 0; i < 10000 * 784; i++) {
		float want = ((float)raw[16 + i] / 255.0f - 0.2860f) / 0.3530f;

		bad += fabsf(out[i] - want) > 1e-5f;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(9, labels[0]);
	EXPECT_EQ(5, labels[9999]);
	free(raw);
	free(labels);
	free(out);
	vis_dataset_free(ds);
}

/* A path in a local buffer: pathf()'s buffers are reused. */
#define LOCAL_PATH(var, fmt, ...) \
	char var[4096];           \
	snprintf(var, sizeof(var), fmt, __VA_ARGS__)

/* ---- IDX files ------------------------------------------------------------------ */

FIXTURE(tmp)
{
	char dir[64];
};

FIXTURE_SETUP(tmp)
{
	strcpy(self->dir, "/tmp/vis-dataset-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(tmp)
{
	rm_tree(self->dir);
}

TEST_F(tmp, idx_round_trip)
{
	static const uint32_t d3[3] = { 5, 3, 4 }, d4[4] = { 2, 3, 2, 3 },
			      dl[1] = { 5 };
	uint8_t px[60], lab[5] = { 3, 1, 4, 1, 5 };
	struct vis_dataset_opts o = { 0 };
	struct vis_image img = { 0 };
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	char name[256];
	int gz, i;

	for (i = 0; i < 60; i++)
		px[i] = (uint8_t)(i * 37 + 11);
	for (gz = 0; gz < 2; gz++) {
		char *img_path = pathf("%s/img%d", self->dir, gz);
		char *lab_path = pathf("%s/lab%d", self->dir, gz);

		ASSERT_EQ(0, idx_write(img_path, 3, d3, px, 60, gz));
		ASSERT_EQ(0, idx_write(lab_path, 1, dl, lab, 5, gz));
		o.labels = lab_path;
		ASSERT_EQ(0, vis_dataset_open(img_path, &o, &ds, &err))
		TH_LOG("%s", err.msg);
		ASSERT_EQ(5, vis_dataset_count(ds));
		for (i = 0; i < 5; i++) {
			ASSERT_EQ(0, vis_dataset_read(ds, i, &img, &err));
			ASSERT_EQ(4, img.width);
			ASSERT_EQ(3, img.height);
			ASSERT_EQ(1, img.channels);
			EXPECT_EQ(0, memcmp(img.pixels, px + 12 * i, 12));
			EXPECT_EQ(lab[i], vis_dataset_label(ds, i));
		}
		vis_dataset_name(ds, 3, name, sizeof(name));
		EXPECT_EQ(0, strcmp(name, pathf("%s[3]", img_path)));
		vis_dataset_free(ds);
	}

	/* idx4: N x H x W x 3, RGB interleaved. */
	ASSERT_EQ(0,
		  idx_write(pathf("%s/rgb", self->dir), 4, d4, px, 36, false));
	ASSERT_EQ(0,
		  vis_dataset_open(pathf("%s/rgb", self->dir), NULL, &ds, &err))
	TH_LOG("%s", err.msg);
	EXPECT_FALSE(vis_dataset_has_labels(ds));
	EXPECT_EQ(-1, vis_dataset_label(ds, 0));
	ASSERT_EQ(0, vis_dataset_read(ds, 1, &img, &err));
	EXPECT_EQ(3, img.channels);
	EXPECT_EQ(2, img.width);
	EXPECT_EQ(3, img.height);
	EXPECT_EQ(0, memcmp(img.pixels, px + 18, 18));
	vis_dataset_free(ds);

	/* Labels as text, one per line, with comments and CRLF. */
	ASSERT_EQ(0, write_str(pathf("%s/l.txt", self->dir),
			       "# labels\r\n3\r\n1\n\n4\n1\n5\n"));
	o.labels = pathf("%s/l.txt", self->dir);
	ASSERT_EQ(0,
		  vis_dataset_open(pathf("%s/img0", self->dir), &o, &ds, &err))
	TH_LOG("%s", err.msg);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(lab[i], vis_dataset_label(ds, i));
	vis_dataset_free(ds);
	vis_image_release(&img);
}

/* Open @path, expect @code and @what in the message, no data set. */
#define EXPECT_OPEN_FAILS(path, opts, code, what)                    \
	do {                                                         \
		struct vis_dataset *_ds = (void *)1;                 \
		struct vis_error _e = { "" };                        \
		int _r = vis_dataset_open(path, opts, &_ds, &_e);    \
                                                                     \
		EXPECT_EQ(code, _r) TH_LOG("%s: %s", path, _e.msg);  \
		EXPECT_EQ(NULL, _ds);                                \
		EXPECT_NE(NULL, strstr(_e.msg, what))                \
		TH_LOG("message \"%s\" lacks \"%s\"", _e.msg, what); \
		if (!_r)                                             \
			vis_dataset_free(_ds);                       \
	} while (0)

TEST_F(tmp, idx_malformed)
{
	static const uint32_t d3[3] = { 10, 4, 4 };
	uint8_t px[160] = { 0 };
	char *p = pathf("%s/bad", self->dir);
	struct buf b;

	/* Missing file, empty file, wrong magic, other element types. */
	EXPECT_OPEN_FAILS(pathf("%s/none", self->dir), NULL, -ENOENT,
			  "No such file");
	ASSERT_EQ(0, write_str(p, ""));
	EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "not an IDX file");
	b = idx_make(0x08, 3, d3, px, 160);
	b.p[1] = 1;
	ASSERT_EQ(0, write_file(p, b.p, b.n));
	EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "not an IDX file");
	b.p[1] = 0;
	b.p[2] = 0x0d;
	ASSERT_EQ(0, write_file(p, b.p, b.n));
	EXPECT_OPEN_FAILS(p, NULL, -ENOTSUP, "floats");
	b.p[2] = 0x07;
	ASSERT_EQ(0, write_file(p, b.p, b.n));
	EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "not an IDX file");
	b.p[2] = 0x08;

	/* Truncated anywhere in the header or the body; one byte too many. */
	for (size_t n = 1; n < b.n; n += n < 20 ? 1 : 37) {
		ASSERT_EQ(0, write_file(p, b.p, n));
		EXPECT_OPEN_FAILS(p, NULL, -EINVAL,
				  n < 4	 ? "not an IDX" :
				  n < 16 ? "truncated IDX header" :
					   "truncated");
	}
	ASSERT_EQ(0, write_file(p, b.p, b.n));
	{
		struct vis_dataset *ds;
		struct vis_error err;

		ASSERT_EQ(0, vis_dataset_open(p, NULL, &ds, &err));
		vis_dataset_free(ds);
	}
	b.p[b.n] = 0;
	ASSERT_EQ(0, write_file(p, b.p, b.n + 1));
	EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "more data than");
	free(b.p);

	/* Absurd and impossible dimensions. */
	{
		static const uint32_t huge3[3] = { 65536, 65536, 65536 },
				      max4[4] = { ~0u, ~0u, ~0u, ~0u },
				      zero_n[3] = { 0, 28, 28 },
				      zero_w[3] = { 5, 28, 0 },
				      big_img[3] = { 1, 16384, 16384 },
				      two_ch[4] = { 2, 2, 2, 2 },
				      dims2[2] = { 2, 2 };

		ASSERT_EQ(0, idx_write(p, 3, huge3, px, 160, false));
		EXPECT_OPEN_FAILS(p, NULL, -EFBIG, "65536x65536x65536");
		ASSERT_EQ(0, idx_write(p, 4, max4, px, 160, true));
		EXPECT_OPEN_FAILS(p, NULL, -EFBIG, "exceed");
		ASSERT_EQ(0, idx_write(p, 3, zero_n, NULL, 0, false));
		EXPECT_OPEN_FAILS(p, NULL, -ENOENT, "no images");
		ASSERT_EQ(0, idx_write(p, 3, zero_w, NULL, 0, false));
		EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "IDX images of 0x28");
		/* 256 Mpixel claimed, nothing there: refused unread. */
		ASSERT_EQ(0, idx_write(p, 3, big_img, px, 160, false));
		EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "truncated");
		ASSERT_EQ(0, idx_write(p, 4, two_ch, px, 16, false));
		EXPECT_OPEN_FAILS(p, NULL, -ENOTSUP, "2 channels");
		ASSERT_EQ(0, idx_write(p, 2, dims2, px, 4, false));
		EXPECT_OPEN_FAILS(p, NULL, -EINVAL, "2 dimensions");
	}
	/* A directory where a file is expected, a file that is no IDX. */
	EXPECT_OPEN_FAILS("/dev/null", NULL, -EINVAL, "not a regular file");
}

TEST_F(tmp, idx_gzip_corrupt)
{
	static const uint32_t d3[3] = { 50, 28, 28 };
	char *p = pathf("%s/img.gz", self->dir);
	char *q = pathf("%s/cut.gz", self->dir);
	struct vis_dataset *ds;
	struct vis_error err;
	uint8_t *px = malloc(50 * 784);
	struct buf gz;
	size_t i, n;
	int ret;

	rng_seed(6);
	for (i = 0; i < 50 * 784; i++)
		px[i] = (uint8_t)(rnd() & 0x3f); /* compressible, not trivial */
	ASSERT_EQ(0, idx_write(p, 3, d3, px, 50 * 784, true));
	gz = read_file(p);
	ASSERT_GT(gz.n, 100);
	ASSERT_EQ(0, vis_dataset_open(p, NULL, &ds, &err))
	TH_LOG("%s", err.msg);
	vis_dataset_free(ds);

	/* Every cut of the gzip stream fails, with no leak or crash. */
	for (n = 0; n < gz.n; n += n < 64 ? 1 : 97) {
		ASSERT_EQ(0, write_file(q, gz.p, n));
		err.msg[0] = '\0';
		ret = vis_dataset_open(q, NULL, &ds, &err);
		EXPECT_NE(0, ret) TH_LOG("cut at %zu of %zu", n, gz.n);
		EXPECT_NE('\0', err.msg[0]);
		if (!ret)
			vis_dataset_free(ds);
	}
	/* Only the last byte of the trailer (length) missing. */
	ASSERT_EQ(0, write_file(q, gz.p, gz.n - 1));
	EXPECT_OPEN_FAILS(q, NULL, -EINVAL, "gzip");
	/* CRC of the trailer wrong. */
	gz.p[gz.n - 6] ^= 0x55;
	ASSERT_EQ(0, write_file(q, gz.p, gz.n));
	EXPECT_OPEN_FAILS(q, NULL, -EINVAL, "gzip");
	gz.p[gz.n - 6] ^= 0x55;
	/* A flipped bit in the deflate stream: an error, whatever it hits. */
	for (i = 20; i < gz.n - 8; i += 53) {
		gz.p[i] ^= 0x10;
		ASSERT_EQ(0, write_file(q, gz.p, gz.n));
		ret = vis_dataset_open(q, NULL, &ds, &err);
		EXPECT_NE(0, ret) TH_LOG("bit flipped at %zu", i);
		if (!ret)
			vis_dataset_free(ds);
		gz.p[i] ^= 0x10;
	}
	free(gz.p);
	free(px);
}

TEST_F(tmp, idx_label_mismatch)
{
	static const uint32_t d3[3] = { 5, 2, 2 }, d4[1] = { 4 },
			      d2[2] = { 5, 1 };
	uint8_t px[20] = { 0 }, lab[5] = { 0 };
	struct vis_dataset_opts o = { .labels = pathf("%s/lab", self->dir) };
	char *img = pathf("%s/img", self->dir);

	ASSERT_EQ(0, idx_write(img, 3, d3, px, 20, false));
	ASSERT_EQ(0, idx_write(o.labels, 1, d4, lab, 4, false));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "4 labels for the 5 images");
	ASSERT_EQ(0, idx_write(o.labels, 2, d2, lab, 5, false));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "expected 1 (labels)");
	ASSERT_EQ(0, write_str(o.labels, "1\n2\n3\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "3 labels for the 5 images");
	ASSERT_EQ(0, write_str(o.labels, "1\n2\n-3\n4\n5\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "line 3: \"-3\" is not a label");
	ASSERT_EQ(0, write_str(o.labels, "1\n2\nx3\n4\n5\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "line 3");
	ASSERT_EQ(0, write_str(o.labels, "1\n2\n99999999999\n4\n5\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "line 3");
	ASSERT_EQ(0, write_str(o.labels, "a.png 1\nb.png 2\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "need a flat directory");
	ASSERT_EQ(0, write_file(o.labels, "1\n2\n\0\n4\n5\n", 11));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "line 3: NUL byte");
	ASSERT_EQ(0, write_str(o.labels, "# nothing\n\n"));
	EXPECT_OPEN_FAILS(img, &o, -EINVAL, "no labels");
	o.labels = pathf("%s/none", self->dir);
	EXPECT_OPEN_FAILS(img, &o, -ENOENT, "none");
}

/* ---- PNG ---------------------------------------------------------------------- */

struct png_case {
	const char *name;
	int type;
	int depth;
	bool interlace;
	bool trans;
};

static int png_case_channels(int type)
{
	switch (type) {
	case PNG_COLOR_TYPE_GRAY:
	case PNG_COLOR_TYPE_PALETTE:
		return 1;
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		return 2;
	case PNG_COLOR_TYPE_RGB:
		return 3;
	default:
		return 4;
	}
}

/*
 * Every PNG colour type and depth, decoded exactly: low grey depths
 * scaled by 255 / (2^d - 1), 16 bits rounded to 8, palette looked up,
 * alpha and tRNS dropped.
 */
TEST_F(tmp, png_all_types)
{
	static const struct png_case cases[] = {
		{ "grey1", PNG_COLOR_TYPE_GRAY, 1, false, false },
		{ "grey2", PNG_COLOR_TYPE_GRAY, 2, true, false },
		{ "grey4", PNG_COLOR_TYPE_GRAY, 4, false, true },
		{ "grey8", PNG_COLOR_TYPE_GRAY, 8, false, false },
		{ "grey8-trns", PNG_COLOR_TYPE_GRAY, 8, false, true },
		{ "grey16", PNG_COLOR_TYPE_GRAY, 16, false, false },
		{ "grey16-adam7", PNG_COLOR_TYPE_GRAY, 16, true, true },
		{ "ga8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, false },
		{ "ga16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, false, false },
		{ "rgb8", PNG_COLOR_TYPE_RGB, 8, false, false },
		{ "rgb8-adam7", PNG_COLOR_TYPE_RGB, 8, true, false },
		{ "rgb8-trns", PNG_COLOR_TYPE_RGB, 8, false, true },
		{ "rgb16", PNG_COLOR_TYPE_RGB, 16, false, false },
		{ "rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 8, false, false },
		{ "rgba16-adam7", PNG_COLOR_TYPE_RGB_ALPHA, 16, true, false },
		{ "pal1", PNG_COLOR_TYPE_PALETTE, 1, false, false },
		{ "pal4-trns", PNG_COLOR_TYPE_PALETTE, 4, false, true },
		{ "pal8", PNG_COLOR_TYPE_PALETTE, 8, true, false },
		{ "pal8-trns", PNG_COLOR_TYPE_PALETTE, 8, false, true },
	};
	static const uint32_t sizes[][2] = { { 1, 1 }, { 13, 7 }, { 64, 33 } };
	struct vis_image img = { 0 };
	struct vis_error err = { "" };
	size_t ci, si;

	rng_seed(1);
	for (ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const struct png_case *pc = &cases[ci];

		for (si = 0; si < 3; si++) {
			struct png_spec s = {
				.w = sizes[si][0],
				.h = sizes[si][1],
				.type = pc->type,
				.depth = pc->depth,
				.interlace = pc->interlace,
			};
			int nch = png_case_channels(pc->type);
			uint32_t max = (1u << pc->depth) - 1, i, n = s.w * s.h;
			bool pal = pc->type == PNG_COLOR_TYPE_PALETTE;
			uint16_t *v = malloc((size_t)n * nch * sizeof(*v));
			char *path =
				pathf("%s/%s-%zu.png", self->dir, pc->name, si);
			int outc = pal || nch >= 3 ? 3 : 1, c;
			struct buf b;
			int ret;

			if (pal) {
				s.npal = 1 << pc->depth;
				for (i = 0; i < (uint32_t)s.npal; i++) {
					s.pal[i].red = rnd();
					s.pal[i].green = rnd();
					s.pal[i].blue = rnd();
					s.trans[i] = rnd();
				}
				s.ntrans = pc->trans ? s.npal / 2 : 0;
			} else if (pc->trans) {
				s.has_trans_col = true;
				s.trans_col.gray = max / 2;
				s.trans_col.red = max / 2;
				s.trans_col.green = max / 3;
				s.trans_col.blue = max;
			}
			for (i = 0; i < n * nch; i++)
				v[i] = (uint16_t)(rnd() & max);
			/* Some exact extremes and the transparent colour. */
			v[0] = (uint16_t)max;
			if (n > 2)
				v[nch] = (uint16_t)(max / 2);
			b = png_encode(&s, v, nch);
			ASSERT_NE(NULL, b.p);
			ASSERT_EQ(0, write_file(path, b.p, b.n));
			free(b.p);

			ret = vis_image_load(path, &img, &err);
			ASSERT_EQ(0, ret) TH_LOG("%s", err.msg);
			ASSERT_EQ(s.w, img.width);
			ASSERT_EQ(s.h, img.height);
			ASSERT_EQ(outc, img.channels) TH_LOG("%s", pc->name);
			for (i = 0; i < n; i++) {
				for (c = 0; c < outc; c++) {
					uint32_t raw = pal ? v[i] :
							     v[i * nch + c];
					uint32_t want;

					if (pal)
						want = c == 0 ?
							       s.pal[v[i]].red :
						       c == 1 ?
							       s.pal[v[i]]
								       .green :
							       s.pal[v[i]].blue;
					else
						want = (raw * 255 + max / 2) /
						       max;
					ASSERT_EQ(want,
						  img.pixels[i * outc + c])
					TH_LOG("%s %ux%u pixel %u channel %d raw %u",
					       pc->name, s.w, s.h, i, c, raw);
				}
			}
			free(v);
		}
	}
	vis_image_release(&img);
}

/* A valid 24x16 RGB PNG. */
static struct buf png_sample(void)
{
	struct png_spec s = {
		.w = 24, .h = 16, .type = PNG_COLOR_TYPE_RGB, .depth = 8
	};
	uint16_t v[24 * 16 * 3];
	size_t i;

	for (i = 0; i < 24 * 16 * 3; i++)
		v[i] = (uint16_t)((i * 29) & 0xff);
	return png_encode(&s, v, 3);
}

/* Patch the IHDR width and height and fix its CRC. */
static void png_set_dims(struct buf *b, uint32_t w, uint32_t h)
{
	uint8_t *ihdr = b->p + 8; /* length, "IHDR", 13 bytes, CRC */
	uint32_t crc;
	int i;

	for (i = 0; i < 4; i++) {
		ihdr[8 + i] = (uint8_t)(w >> (24 - 8 * i));
		ihdr[12 + i] = (uint8_t)(h >> (24 - 8 * i));
	}
	crc = (uint32_t)crc32(0, ihdr + 4, 17);
	for (i = 0; i < 4; i++)
		ihdr[21 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

TEST(png_malformed)
{
	struct buf b = png_sample(), c;
	struct vis_image img = { 0 };
	struct vis_error err;
	size_t n, i;
	int ret;

	ASSERT_NE(NULL, b.p);
	ASSERT_EQ(0, vis_image_decode_png(b.p, b.n, "ok.png", &img, &err));

	/* Every truncation fails, naming the file. */
	for (n = 0; n < b.n; n++) {
		err.msg[0] = '\0';
		ret = vis_image_decode_png(b.p, n, "cut.png", &img, &err);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("cut at %zu of %zu", n, b.n);
		EXPECT_EQ(0, strncmp(err.msg, "cut.png: ", 9))
		TH_LOG("%s", err.msg);
	}
	/* Any byte changed: the CRCs catch it (or decoding survives it). */
	c.p = malloc(b.n);
	c.n = b.n;
	for (i = 8; i < b.n; i++) {
		memcpy(c.p, b.p, b.n);
		c.p[i] ^= 0x21;
		ret = vis_image_decode_png(c.p, c.n, "flip.png", &img, &err);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("byte %zu flipped", i);
	}
	/* Dimensions: beyond the image cap, beyond libpng's limits, zero. */
	memcpy(c.p, b.p, b.n);
	png_set_dims(&c, 1000000, 1000000);
	EXPECT_EQ(-EFBIG,
		  vis_image_decode_png(c.p, c.n, "big.png", &img, &err));
	EXPECT_NE(NULL, strstr(err.msg, "too large")) TH_LOG("%s", err.msg);
	png_set_dims(&c, 0x7fffffff, 0x7fffffff);
	EXPECT_EQ(-EINVAL,
		  vis_image_decode_png(c.p, c.n, "huge.png", &img, &err));
	png_set_dims(&c, 0, 16);
	EXPECT_EQ(-EINVAL,
		  vis_image_decode_png(c.p, c.n, "zero.png", &img, &err));
	/* Valid header, too little pixel data for it. */
	png_set_dims(&c, 24, 32);
	EXPECT_EQ(-EINVAL,
		  vis_image_decode_png(c.p, c.n, "short.png", &img, &err));
	EXPECT_EQ(-EINVAL, vis_image_decode_png((const uint8_t *)"GIF89a", 6,
						"x.gif", &img, &err));
	free(c.p);
	free(b.p);
	vis_image_release(&img);
}

/* ---- JPEG --------------------------------------------------------------------- */

TEST(jpeg_decode)
{
	static const struct {
		uint32_t w, h;
		int comps;
		bool progressive;
	} cases[] = {
		{ 64, 48, 3, false }, { 61, 37, 3, true }, { 64, 48, 1, false },
		{ 17, 9, 1, true },   { 1, 1, 3, false },
	};
	struct vis_image img = { 0 };
	struct vis_error err = { "" };
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t w = cases[k].w, h = cases[k].h;
		int comps = cases[k].comps;
		uint8_t *px = pattern_image(w, h, comps);
		struct buf b =
			jpeg_encode(px, w, h, comps, 95, cases[k].progressive);
		double sum = 0;
		int maxd = 0;
		size_t i, n = (size_t)w * h * comps;

		ASSERT_EQ(0,
			  vis_image_decode_jpeg(b.p, b.n, "p.jpg", &img, &err))
		TH_LOG("%s", err.msg);
		ASSERT_EQ(w, img.width);
		ASSERT_EQ(h, img.height);
		ASSERT_EQ(comps, img.channels);
		for (i = 0; i < n; i++) {
			int d = abs((int)img.pixels[i] - px[i]);

			sum += d;
			maxd = d > maxd ? d : maxd;
		}
		TH_LOG("%ux%ux%d%s q95: max |error| %d, mean %.3f", w, h, comps,
		       cases[k].progressive ? " progressive" : "", maxd,
		       sum / n);
		EXPECT_LE(maxd, 8);
		EXPECT_LT(sum / n, 1.5);
		free(b.p);
		free(px);
	}
	vis_image_release(&img);
}

TEST(jpeg_malformed)
{
	uint8_t *px = pattern_image(40, 24, 3);
	struct buf b = jpeg_encode(px, 40, 24, 3, 90, false), p, c;
	struct vis_image img = { 0 };
	struct vis_error err;
	uint8_t cmyk[16 * 8 * 4];
	size_t n, i;
	int ret;

	/* Every truncation, baseline and progressive: an error. */
	p = jpeg_encode(px, 40, 24, 3, 90, true);
	for (n = 0; n < b.n; n++) {
		err.msg[0] = '\0';
		ret = vis_image_decode_jpeg(b.p, n, "cut.jpg", &img, &err);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("cut at %zu of %zu", n, b.n);
		EXPECT_EQ(0, strncmp(err.msg, "cut.jpg: ", 9))
		TH_LOG("%s", err.msg);
	}
	for (n = 0; n < p.n; n++)
		EXPECT_EQ(-EINVAL,
			  vis_image_decode_jpeg(p.p, n, "cut.jpg", &img, &err))
	TH_LOG("progressive cut at %zu of %zu", n, p.n);

	/* Random damage anywhere: an error or an image, never a crash. */
	c.p = malloc(b.n);
	c.n = b.n;
	rng_seed(7);
	for (i = 0; i < 400; i++) {
		memcpy(c.p, b.p, b.n);
		c.p[2 + rnd() % (b.n - 2)] = (uint8_t)rnd();
		c.p[2 + rnd() % (b.n - 2)] = (uint8_t)rnd();
		ret = vis_image_decode_jpeg(c.p, c.n, "bad.jpg", &img, &err);
		EXPECT_TRUE(ret == 0 || ret == -EINVAL || ret == -ENOTSUP ||
			    ret == -EFBIG)
		TH_LOG("%d", ret);
	}
	free(c.p);

	/* SOF0 dimensions patched to 65500 x 65500: refused before decoding. */
	for (i = 2; i + 9 < b.n; i++)
		if (b.p[i] == 0xff && b.p[i + 1] == 0xc0)
			break;
	ASSERT_LT(i + 9, b.n);
	b.p[i + 5] = 0xff;
	b.p[i + 6] = 0xdc;
	b.p[i + 7] = 0xff;
	b.p[i + 8] = 0xdc;
	EXPECT_EQ(-EFBIG,
		  vis_image_decode_jpeg(b.p, b.n, "big.jpg", &img, &err));
	EXPECT_NE(NULL, strstr(err.msg, "65500x65500")) TH_LOG("%s", err.msg);

	/* CMYK: a clear refusal. */
	memset(cmyk, 90, sizeof(cmyk));
	free(b.p);
	b = jpeg_encode(cmyk, 16, 8, 4, 90, false);
	EXPECT_EQ(-ENOTSUP,
		  vis_image_decode_jpeg(b.p, b.n, "cmyk.jpg", &img, &err));
	EXPECT_NE(NULL, strstr(err.msg, "cmyk.jpg: JPEG colour space"))
	TH_LOG("%s", err.msg);
	EXPECT_EQ(-EINVAL, vis_image_decode_jpeg((const uint8_t *)"\xff\xd8", 2,
						 "x.jpg", &img, &err));
	free(b.p);
	free(p.p);
	free(px);
	vis_image_release(&img);
}

/* ---- directories ------------------------------------------------------------------ */

TEST_F(tmp, dir_flat)
{
	uint8_t *px = pattern_image(20, 10, 3);
	struct buf jpg = jpeg_encode(px, 20, 10, 3, 95, false);
	struct vis_image img = { 0 };
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	char name[4096];
	LOCAL_PATH(d, "%s/flat", self->dir);
	LOCAL_PATH(lp, "%s/labels.txt", self->dir);
	struct vis_dataset_opts o = { .labels = lp };

	ASSERT_EQ(0, mkdir(d, 0755));
	ASSERT_EQ(0, write_grey_png(pathf("%s/b.png", d), 8, 6, 1));
	ASSERT_EQ(0, write_grey_png(pathf("%s/a.PNG", d), 8, 6, 2));
	ASSERT_EQ(0, write_file(pathf("%s/c d.jpeg", d), jpg.p, jpg.n));
	/* PNG content under a JPEG name: decoded by content. */
	ASSERT_EQ(0, write_grey_png(pathf("%s/e.jpg", d), 5, 4, 3));
	/* Ignored: hidden, other extensions, an empty subdirectory. */
	ASSERT_EQ(0, write_grey_png(pathf("%s/.hidden.png", d), 8, 6, 4));
	ASSERT_EQ(0, write_str(pathf("%s/README", d), "x"));
	ASSERT_EQ(0, write_str(pathf("%s/notes.png.txt", d), "x"));
	ASSERT_EQ(0, mkdir(pathf("%s/empty", d), 0755));

	ASSERT_EQ(0, vis_dataset_open(d, NULL, &ds, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(4, vis_dataset_count(ds));
	EXPECT_FALSE(vis_dataset_is_idx(ds));
	EXPECT_FALSE(vis_dataset_has_labels(ds));
	/* Byte order: 'a.PNG' < 'b.png' < 'c d.jpeg' < 'e.jpg'. */
	vis_dataset_name(ds, 0, name, sizeof(name));
	EXPECT_EQ(0, strcmp(name, pathf("%s/a.PNG", d)));
	vis_dataset_name(ds, 2, name, sizeof(name));
	EXPECT_EQ(0, strcmp(name, pathf("%s/c d.jpeg", d)));
	ASSERT_EQ(0, vis_dataset_read(ds, 2, &img, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(3, img.channels);
	EXPECT_EQ(20, img.width);
	ASSERT_EQ(0, vis_dataset_read(ds, 3, &img, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(1, img.channels);
	EXPECT_EQ(5, img.width);
	EXPECT_EQ(3, img.pixels[0]); /* seed 3 at (0, 0) */
	vis_dataset_free(ds);

	/* Labels by name, any order, comma or space separated. */
	ASSERT_EQ(0,
		  write_str(o.labels,
			    "e.jpg,7\nc d.jpeg 5\n# x\nb.png\t3\na.PNG 1\n"));
	ASSERT_EQ(0, vis_dataset_open(d, &o, &ds, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(1, vis_dataset_label(ds, 0));
	EXPECT_EQ(3, vis_dataset_label(ds, 1));
	EXPECT_EQ(5, vis_dataset_label(ds, 2));
	EXPECT_EQ(7, vis_dataset_label(ds, 3));
	vis_dataset_free(ds);
	/* In order, one per line. */
	ASSERT_EQ(0, write_str(o.labels, "4\n3\n2\n1\n"));
	ASSERT_EQ(0, vis_dataset_open(d, &o, &ds, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(4, vis_dataset_label(ds, 0));
	EXPECT_EQ(1, vis_dataset_label(ds, 3));
	vis_dataset_free(ds);

	/* Mismatches, each named. */
	ASSERT_EQ(0, write_str(o.labels, "4\n3\n2\n"));
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "3 labels for the 4 images");
	ASSERT_EQ(0, write_str(o.labels, "a.PNG 1\nb.png 2\nc d.jpeg 3\n"));
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "no label for");
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "e.jpg");
	ASSERT_EQ(
		0,
		write_str(o.labels,
			  "a.PNG 1\nb.png 2\nc d.jpeg 3\ne.jpg 1\nf.png 2\n"));
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "\"f.png\" is not an image in");
	ASSERT_EQ(0,
		  write_str(o.labels, "a.PNG 1\nb.png 2\na.PNG 3\ne.jpg 1\n"));
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "\"a.PNG\" is labelled twice");
	ASSERT_EQ(0, write_str(o.labels, "a.PNG 1\n2\n"));
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "line 2: mixes");

	free(jpg.p);
	free(px);
	vis_image_release(&img);
}

TEST_F(tmp, dir_classes)
{
	static const char *const names[] = { "dog", "cat", "ant", "bee" };
	struct vis_dataset_opts o = { .classes = names, .num_classes = 4 };
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	char name[4096];
	LOCAL_PATH(d, "%s/cls", self->dir);

	ASSERT_EQ(0, mkdir(d, 0755));
	ASSERT_EQ(0, mkdir(pathf("%s/dog", d), 0755));
	ASSERT_EQ(0, mkdir(pathf("%s/cat", d), 0755));
	ASSERT_EQ(0, mkdir(pathf("%s/ant", d), 0755));
	ASSERT_EQ(0, write_grey_png(pathf("%s/dog/2.png", d), 4, 4, 0));
	ASSERT_EQ(0, write_grey_png(pathf("%s/dog/1.png", d), 4, 4, 0));
	ASSERT_EQ(0, write_grey_png(pathf("%s/cat/x.png", d), 4, 4, 0));
	ASSERT_EQ(0, write_grey_png(pathf("%s/ant/y.png", d), 4, 4, 0));
	ASSERT_EQ(0, write_str(pathf("%s/ant/z.txt", d), "x"));

	/* As ImageFolder: classes in sorted order, ant=0 cat=1 dog=2. */
	ASSERT_EQ(0, vis_dataset_open(d, NULL, &ds, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(4, vis_dataset_count(ds));
	EXPECT_EQ(3, vis_dataset_num_classes(ds));
	EXPECT_TRUE(vis_dataset_has_labels(ds));
	EXPECT_EQ(0, vis_dataset_label(ds, 0));
	EXPECT_EQ(1, vis_dataset_label(ds, 1));
	EXPECT_EQ(2, vis_dataset_label(ds, 2));
	EXPECT_EQ(2, vis_dataset_label(ds, 3));
	vis_dataset_name(ds, 2, name, sizeof(name));
	EXPECT_EQ(0, strcmp(name, pathf("%s/dog/1.png", d)));
	vis_dataset_free(ds);

	/* With the model's class names: dog=0 cat=1 ant=2. */
	ASSERT_EQ(0, vis_dataset_open(d, &o, &ds, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(4, vis_dataset_num_classes(ds));
	EXPECT_EQ(2, vis_dataset_label(ds, 0));
	EXPECT_EQ(1, vis_dataset_label(ds, 1));
	EXPECT_EQ(0, vis_dataset_label(ds, 3));
	vis_dataset_free(ds);

	ASSERT_EQ(0, mkdir(pathf("%s/emu", d), 0755));
	EXPECT_OPEN_FAILS(
		d, &o, -EINVAL,
		"subdirectory \"emu\" is not one of the 4 class names");
	o.classes = NULL;
	o.labels = "/nonexistent/l.txt";
	EXPECT_OPEN_FAILS(d, &o, -EINVAL, "does not apply");
	/* Images beside class directories: ambiguous. */
	ASSERT_EQ(0, write_grey_png(pathf("%s/top.png", d), 4, 4, 0));
	EXPECT_OPEN_FAILS(d, NULL, -EINVAL, "both images and subdirectories");
}

TEST_F(tmp, dir_empty)
{
	LOCAL_PATH(d, "%s/empty", self->dir);

	ASSERT_EQ(0, mkdir(d, 0755));
	EXPECT_OPEN_FAILS(d, NULL, -ENOENT, "no PNG or JPEG images");
	ASSERT_EQ(0, write_str(pathf("%s/a.txt", d), "x"));
	ASSERT_EQ(0, write_str(pathf("%s/.b.png", d), "x"));
	ASSERT_EQ(0, mkdir(pathf("%s/sub", d), 0755));
	EXPECT_OPEN_FAILS(d, NULL, -ENOENT, "no PNG or JPEG images");
	EXPECT_OPEN_FAILS(pathf("%s/missing", self->dir), NULL, -ENOENT,
			  "missing: No such file");
}

/*
 * Images of several sizes: resized to the model input by default;
 * refused with no_resize, naming the first image of another size.
 * A corrupt image is named too.
 */
TEST_F(tmp, dir_sizes_and_bad_files)
{
	struct vis_preprocess pp = pp_plain(8, 6, VISION_MODEL_COLOR_RGB,
					    VISION_MODEL_RESIZE_BILINEAR);
	struct vis_error err = { "" };
	struct vis_dataset *ds;
	float out[5 * 8 * 6 * 3];
	int32_t labels[5];
	size_t idx[2] = { 4, 2 };
	LOCAL_PATH(d, "%s/mixed", self->dir);

	ASSERT_EQ(0, mkdir(d, 0755));
	ASSERT_EQ(0, write_grey_png(pathf("%s/0.png", d), 8, 6, 0));
	ASSERT_EQ(0, write_grey_png(pathf("%s/1.png", d), 8, 6, 1));
	ASSERT_EQ(0, write_grey_png(pathf("%s/2.png", d), 16, 12, 2));
	ASSERT_EQ(0, write_grey_png(pathf("%s/3.png", d), 8, 6, 3));
	ASSERT_EQ(0, write_grey_png(pathf("%s/4.png", d), 3, 5, 4));
	ASSERT_EQ(0, vis_dataset_open(d, NULL, &ds, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, vis_dataset_load(ds, NULL, 5, &pp, out, labels, &err))
	TH_LOG("%s", err.msg);
	EXPECT_EQ(-1, labels[0]);
	pp.no_resize = true;
	EXPECT_EQ(-EINVAL, vis_dataset_load(ds, NULL, 5, &pp, out, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, pathf("%s/2.png: image is 16x12 but "
					      "the model input is 8x6",
					      d)))
	TH_LOG("%s", err.msg);
	EXPECT_EQ(-EINVAL, vis_dataset_load(ds, idx, 2, &pp, out, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "/4.png: image is 3x5"))
	TH_LOG("%s", err.msg);
	vis_dataset_free(ds);

	/* A corrupt file among good ones: the error names it. */
	ASSERT_EQ(0,
		  write_file(pathf("%s/3.png", d), "\x89PNG\r\n\x1a\nxx", 10));
	pp.no_resize = false;
	ASSERT_EQ(0, vis_dataset_open(d, NULL, &ds, &err));
	EXPECT_EQ(-EINVAL, vis_dataset_load(ds, NULL, 5, &pp, out, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, pathf("%s/3.png: invalid PNG", d)))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(0, write_str(pathf("%s/3.png", d), "GIF89a"));
	EXPECT_EQ(-ENOTSUP,
		  vis_dataset_load(ds, NULL, 5, &pp, out, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "3.png: not a PNG or JPEG"));
	ASSERT_EQ(0, unlink(pathf("%s/3.png", d)));
	EXPECT_EQ(-ENOENT, vis_dataset_load(ds, NULL, 5, &pp, out, NULL, &err));
	vis_dataset_free(ds);
}

/* ---- conversion to tensors ------------------------------------------------------------ */

static uint8_t *random_image(struct vis_image *img, uint32_t w, uint32_t h,
			     uint32_t c)
{
	uint32_t i;

	if (vis_image_reserve(img, w, h, c, "rnd", NULL))
		return NULL;
	for (i = 0; i < w * h * c; i++)
		img->pixels[i] = (uint8_t)rnd();
	return img->pixels;
}

/* Against the double-precision reference, up and down, every colour. */
TEST(resize_bilinear_reference)
{
	static const uint32_t dims[][4] = {
		{ 28, 28, 28, 28 },	{ 28, 28, 14, 14 }, { 28, 28, 32, 32 },
		{ 17, 11, 5, 9 },	{ 5, 9, 17, 11 },   { 1, 1, 4, 3 },
		{ 640, 480, 224, 224 }, { 3, 200, 7, 2 },
	};
	struct vis_image img = { 0 };
	struct vis_error err;
	size_t k;
	uint32_t src_c, color;

	rng_seed(3);
	for (k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
		for (src_c = 1; src_c <= 3; src_c += 2) {
			for (color = 0; color <= VISION_MODEL_COLOR_GREY;
			     color++) {
				uint32_t iw = dims[k][0], ih = dims[k][1];
				uint32_t ow = dims[k][2], oh = dims[k][3];
				struct vis_preprocess pp =
					pp_plain(ow, oh, color,
						 VISION_MODEL_RESIZE_BILINEAR);
				uint32_t nch =
					color == VISION_MODEL_COLOR_GREY ? 1 :
									   3;
				uint8_t *conv = malloc((size_t)iw * ih * 3);
				float *out = malloc((size_t)ow * oh * nch * 4);
				double worst = 0;
				uint32_t x, y, c;
				uint8_t *p;

				p = random_image(&img, iw, ih, src_c);
				ASSERT_NE(NULL, p);
				/* Colour first, as the reference needs. */
				for (size_t i = 0; i < (size_t)iw * ih; i++) {
					const uint8_t *s = p + i * src_c;

					for (c = 0; c < nch; c++) {
						uint8_t v;

						if (src_c == 1)
							v = s[0];
						else if (nch == 1)
							v = (77 * s[0] +
							     150 * s[1] +
							     29 * s[2] + 128) >>
							    8;
						else
							v = s[color == VISION_MODEL_COLOR_BGR ?
								      2 - c :
								      c];
						conv[i * nch + c] = v;
					}
				}
				ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x",
								 out, &err));
				for (c = 0; c < nch; c++)
					for (y = 0; y < oh; y++)
						for (x = 0; x < ow; x++) {
							double r = ref_bilinear(
								conv, iw, ih,
								nch, c, x, y,
								ow, oh);
							double got =
								out[((size_t)c *
									     oh +
								     y) * ow +
								    x] *
								255.0;

							worst = fmax(
								worst,
								fabs(got - r));
						}
				EXPECT_LT(worst, 1e-3)
				TH_LOG("%ux%ux%u -> %ux%u colour %u: %g", iw,
				       ih, src_c, ow, oh, color, worst);
				free(conv);
				free(out);
			}
		}
	}
	vis_image_release(&img);
}

/* Exact: identity, 2x (the 2x2 mean), 3x (the centre pixel), nearest. */
TEST(resize_exact_cases)
{
	struct vis_image img = { 0 };
	struct vis_preprocess pp;
	struct vis_error err;
	float out[48 * 36];
	uint32_t x, y, bad = 0;
	const uint8_t *p;

	rng_seed(4);
	p = random_image(&img, 48, 36, 1);
	ASSERT_NE(NULL, p);

	pp = pp_plain(48, 36, VISION_MODEL_COLOR_GREY,
		      VISION_MODEL_RESIZE_BILINEAR);
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	for (y = 0; y < 36 * 48; y++)
		bad += out[y] != (float)p[y] / 255.0f;
	EXPECT_EQ(0, bad);

	pp.width = 24;
	pp.height = 18;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	for (y = 0; y < 18; y++)
		for (x = 0; x < 24; x++) {
			const uint8_t *q = p + 2 * y * 48 + 2 * x;
			float m = (float)(q[0] + q[1] + q[48] + q[49]) / 4.0f;

			bad += out[y * 24 + x] != m / 255.0f;
		}
	EXPECT_EQ(0, bad);

	pp.width = 16;
	pp.height = 12;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	for (y = 0; y < 12; y++)
		for (x = 0; x < 16; x++)
			bad += out[y * 16 + x] !=
			       (float)p[(3 * y + 1) * 48 + 3 * x + 1] / 255.0f;
	EXPECT_EQ(0, bad);

	/* Nearest, down by 3 (top-left of each block) and up by 2. */
	pp.resize = VISION_MODEL_RESIZE_NEAREST;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	for (y = 0; y < 12; y++)
		for (x = 0; x < 16; x++)
			bad += out[y * 16 + x] !=
			       (float)p[3 * y * 48 + 3 * x] / 255.0f;
	EXPECT_EQ(0, bad);
	p = random_image(&img, 5, 3, 1);
	pp.width = 10;
	pp.height = 6;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	for (y = 0; y < 6; y++)
		for (x = 0; x < 10; x++)
			bad += out[y * 10 + x] !=
			       (float)p[(y / 2) * 5 + x / 2] / 255.0f;
	EXPECT_EQ(0, bad);
	/* Nearest, 7 -> 3: floor(o * 7 / 3) = 0, 2, 4. */
	p = random_image(&img, 7, 1, 1);
	pp.width = 3;
	pp.height = 1;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", out, &err));
	EXPECT_EQ((float)p[0] / 255.0f, out[0]);
	EXPECT_EQ((float)p[2] / 255.0f, out[1]);
	EXPECT_EQ((float)p[4] / 255.0f, out[2]);
	vis_image_release(&img);
}

/*
 * x = (p / 255 - mean) / std per channel, in both layouts; grey
 * replicated to RGB; RGB to grey is BT.601 luma (within rounding of the
 * device's integer weights); BGR swaps.
 */
TEST(normalise_and_colour)
{
	static const float mean[3] = { 0.485f, 0.456f, 0.406f },
			   stdv[3] = { 0.229f, 0.224f, 0.225f };
	struct vis_image img = { 0 };
	struct vis_preprocess pp;
	struct vis_error err;
	float nchw[6 * 4 * 3], nhwc[6 * 4 * 3], g[6 * 4];
	uint32_t i, c, bad = 0;
	const uint8_t *p;

	rng_seed(5);
	p = random_image(&img, 6, 4, 3);
	pp = pp_plain(6, 4, VISION_MODEL_COLOR_RGB,
		      VISION_MODEL_RESIZE_BILINEAR);
	memcpy(pp.mean, mean, sizeof(mean));
	memcpy(pp.std, stdv, sizeof(stdv));
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", nchw, &err));
	pp.layout = VIS_PP_NHWC;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", nhwc, &err));
	for (i = 0; i < 24; i++)
		for (c = 0; c < 3; c++) {
			double want =
				(p[i * 3 + c] / 255.0 - mean[c]) / stdv[c];

			bad += fabs(nchw[c * 24 + i] - want) > 1e-5;
			bad += fabs(nhwc[i * 3 + c] - want) > 1e-5;
		}
	EXPECT_EQ(0, bad);

	pp.color = VISION_MODEL_COLOR_BGR;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", nhwc, &err));
	for (i = 0; i < 24; i++)
		for (c = 0; c < 3; c++) {
			double want =
				(p[i * 3 + 2 - c] / 255.0 - mean[c]) / stdv[c];

			bad += fabs(nhwc[i * 3 + c] - want) > 1e-5;
		}
	EXPECT_EQ(0, bad);

	pp.color = VISION_MODEL_COLOR_GREY;
	pp.mean[0] = 0.5f;
	pp.std[0] = 0.25f;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", g, &err));
	for (i = 0; i < 24; i++) {
		double y = 0.299 * p[i * 3] + 0.587 * p[i * 3 + 1] +
			   0.114 * p[i * 3 + 2];
		double got = (g[i] * 0.25 + 0.5) * 255.0;

		bad += fabs(got - y) > 1.0;
		bad += fabs(got - round(got)) > 1e-3; /* one luma per pixel */
	}
	EXPECT_EQ(0, bad);

	/* Grey source into an RGB model: the same value in each channel. */
	p = random_image(&img, 6, 4, 1);
	memcpy(pp.mean, mean, sizeof(mean));
	memcpy(pp.std, stdv, sizeof(stdv));
	pp.color = VISION_MODEL_COLOR_RGB;
	pp.layout = VIS_PP_NCHW;
	ASSERT_EQ(0, vis_image_to_tensor(&img, &pp, "x", nchw, &err));
	for (i = 0; i < 24; i++)
		for (c = 0; c < 3; c++)
			bad += fabs(nchw[c * 24 + i] -
				    (p[i] / 255.0 - mean[c]) / stdv[c]) > 1e-5;
	EXPECT_EQ(0, bad);
	vis_image_release(&img);
}

/* One field of a valid preprocessing set to a bad value. */
#define PP_BAD(field, value, code)                                           \
	{                                                                    \
#field " = " #value, offsetof(struct vis_preprocess, field), \
			sizeof(((struct vis_preprocess *)0)->field), value,  \
			code                                                 \
	}

TEST(preprocess_invalid)
{
	static const struct {
		const char *what;
		size_t off, size;
		double value;
		int code;
	} bad[] = {
		PP_BAD(std[1], 0, -EINVAL),
		PP_BAD(mean[2], NAN, -EINVAL),
		PP_BAD(std[0], INFINITY, -EINVAL),
		PP_BAD(width, 0, -EINVAL),
		PP_BAD(height, 8193 * 8192, -EFBIG),
		PP_BAD(color, 3, -EINVAL),
		PP_BAD(resize, 2, -EINVAL),
		PP_BAD(layout, 2, -EINVAL),
	};
	struct vis_preprocess ok = pp_plain(8192, 1, VISION_MODEL_COLOR_RGB,
					    VISION_MODEL_RESIZE_NEAREST);
	struct vis_preprocess pp;
	struct vis_error err;
	size_t elems = 0, i;

	ASSERT_EQ(0, vis_preprocess_check(&ok, &elems, &err));
	EXPECT_EQ(8192 * 3, elems);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		float f = (float)bad[i].value;
		uint32_t u = (uint32_t)bad[i].value;

		pp = ok;
		memcpy((char *)&pp + bad[i].off,
		       bad[i].size == sizeof(float) &&
				       bad[i].off >=
					       offsetof(struct vis_preprocess,
							mean) ?
			       (void *)&f :
			       (void *)&u,
		       bad[i].size);
		err.msg[0] = '\0';
		EXPECT_EQ(bad[i].code, vis_preprocess_check(&pp, NULL, &err))
		TH_LOG("%s", bad[i].what);
		EXPECT_NE('\0', err.msg[0]);
	}
	/* Grey model: the unused channels' std may be anything. */
	pp = ok;
	pp.color = VISION_MODEL_COLOR_GREY;
	pp.std[1] = pp.std[2] = 0;
	EXPECT_EQ(0, vis_preprocess_check(&pp, &elems, &err));
	EXPECT_EQ(8192, elems);
}

/* ---- sampling ----------------------------------------------------------------------- */

TEST_F(tmp, pick_samples)
{
	static const uint32_t d3[3] = { 100, 1, 1 };
	uint8_t px[100];
	size_t idx[150], idx2[150], hits[100] = { 0 }, n, i, s;
	struct vis_error err;
	struct vis_dataset *ds;
	char *p = pathf("%s/img", self->dir);

	for (i = 0; i < 100; i++)
		px[i] = (uint8_t)i;
	ASSERT_EQ(0, idx_write(p, 3, d3, px, 100, false));
	ASSERT_EQ(0, vis_dataset_open(p, NULL, &ds, &err));

	n = vis_dataset_pick(ds, 10, false, 0, idx);
	ASSERT_EQ(10, n);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(i, idx[i]);
	EXPECT_EQ(100, vis_dataset_pick(ds, 150, true, 1, idx));
	for (i = 0; i < 100; i++)
		EXPECT_EQ(i, idx[i]);

	/* Random: distinct, ascending, reproducible, seed-dependent. */
	ASSERT_EQ(30, vis_dataset_pick(ds, 30, true, 42, idx));
	ASSERT_EQ(30, vis_dataset_pick(ds, 30, true, 42, idx2));
	EXPECT_EQ(0, memcmp(idx, idx2, 30 * sizeof(*idx)));
	for (i = 1; i < 30; i++)
		EXPECT_LT(idx[i - 1], idx[i]);
	EXPECT_LT(idx[29], 100);
	ASSERT_EQ(30, vis_dataset_pick(ds, 30, true, 43, idx2));
	EXPECT_NE(0, memcmp(idx, idx2, 30 * sizeof(*idx)));

	/* Uniform: each image chosen 30% of the time, over 4000 seeds. */
	for (s = 0; s < 4000; s++) {
		vis_dataset_pick(ds, 30, true, s, idx);
		for (i = 0; i < 30; i++)
			hits[idx[i]]++;
	}
	for (i = 0; i < 100; i++) /* binomial sd ~29: 5 sd */
		EXPECT_TRUE(hits[i] > 1200 - 145 && hits[i] < 1200 + 145)
	TH_LOG("image %zu chosen %zu times", i, hits[i]);
	vis_dataset_free(ds);
}

TEST_HARNESS_MAIN
