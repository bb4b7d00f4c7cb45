// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-run, the tool, run as a program on the CPU fallback: its
 * predictions on Fashion-MNIST test images (from the IDX file, and from
 * PGM, PPM, PNG and JPEG files written here) against libvision called
 * directly on pixels this test reads itself (vision_infer() and
 * vision_top_k() on the same frames), its accuracy against the labels
 * file, its JSON output parsed by a strict parser written here (and the
 * latency percentiles recomputed from the per-frame latencies by the
 * nearest-rank formula), the profile against a profiled request of our
 * own, Ctrl-C, the progress line on a terminal and never off one, and
 * every exit status with its message: bad model (the validator's reason,
 * compared with what vision_model_load_memory() says), missing and
 * corrupt images, no device, bad command lines.
 *
 * The tool is build/bin/vision-run next to this test's directory (or
 * $VISION_RUN_BIN), the model build/models/fmnist_cnn.vnm (or
 * $VISION_RUN_MODEL); the -san build of this test runs the same plain
 * tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <zlib.h>

#include <vision/vision.h>

#include "file_test_util.h"
#include "tool_test_util.h"

#include "kselftest_harness.h"

#define FMNIST "/usr/share/datasets/fashion-mnist/"
#define IMAGES FMNIST "t10k-images-idx3-ubyte.gz"
#define LABELS FMNIST "t10k-labels-idx1-ubyte.gz"
#define IMG_W 28
#define IMG_H 28
#define IMG_PX (IMG_W * IMG_H)
/* Images this test reads and classifies itself. */
#define N_REF 40
#define MAX_CLASSES 64

/* ---- paths -------------------------------------------------------------- */

static const char *tool(void)
{
	return exe_rel("VISION_RUN_BIN", "../bin/vision-run");
}

static const char *model_path(void)
{
	return exe_rel("VISION_RUN_MODEL", "../models/fmnist_cnn.vnm");
}

/* ---- running the tool ----------------------------------------------------- */

#define RUN(r, ...) RUN_TOOL(tool(), r, __VA_ARGS__)

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- a strict JSON parser ------------------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	double num;
	char *str;
	size_t n;
	struct jv **v;
	char **k;
};

static void jfree(struct jv *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		jfree(j->v[i]);
		if (j->k)
			free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->str);
	free(j);
}

static void jws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *jstring(const char **p)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap), *ns;
	const char *q = *p;

	if (!s || *q != '"') {
		free(s);
		return NULL;
	}
	for (q++;; q++) {
		unsigned int cp;
		char enc[4];
		int len = 1, i;

		if (!*q || (unsigned char)*q < 0x20)
			goto bad;
		if (*q == '"')
			break;
		enc[0] = *q;
		if (*q == '\\') {
			q++;
			switch (*q) {
			case '"':
			case '\\':
			case '/':
				enc[0] = *q;
				break;
			case 'b':
				enc[0] = '\b';
				break;
			case 'f':
				enc[0] = '\f';
				break;
			case 'n':
				enc[0] = '\n';
				break;
			case 'r':
				enc[0] = '\r';
				break;
			case 't':
				enc[0] = '\t';
				break;
			case 'u':
				cp = 0;
				for (i = 1; i <= 4; i++) {
					if (hexval(q[i]) < 0)
						goto bad;
					cp = cp * 16 + hexval(q[i]);
				}
				q += 4;
				/* BMP only; enough for this tool. */
				if (cp >= 0xd800 && cp <= 0xdfff)
					goto bad;
				if (cp < 0x80) {
					enc[0] = cp;
				} else if (cp < 0x800) {
					enc[0] = 0xc0 | cp >> 6;
					enc[1] = 0x80 | (cp & 0x3f);
					len = 2;
				} else {
					enc[0] = 0xe0 | cp >> 12;
					enc[1] = 0x80 | ((cp >> 6) & 0x3f);
					enc[2] = 0x80 | (cp & 0x3f);
					len = 3;
				}
				break;
			default:
				goto bad;
			}
		}
		if (n + len + 1 > cap) {
			cap *= 2;
			ns = realloc(s, cap);
			if (!ns)
				goto bad;
			s = ns;
		}
		memcpy(s + n, enc, len);
		n += len;
	}
	s[n] = 0;
	*p = q + 1;
	return s;
bad:
	free(s);
	return NULL;
}

static struct jv *jvalue(const char **p, int depth);

static int jpush(struct jv *j, struct jv *v, char *key)
{
	struct jv **nv = realloc(j->v, (j->n + 1) * sizeof(*nv));
	char **nk;

	if (!nv)
		return -1;
	j->v = nv;
	if (j->t == J_OBJ) {
		nk = realloc(j->k, (j->n + 1) * sizeof(*nk));
		if (!nk)
			return -1;
		j->k = nk;
		j->k[j->n] = key;
	}
	j->v[j->n++] = v;
	return 0;
}

static struct jv *jvalue(const char **p, int depth)
{
	struct jv *j = calloc(1, sizeof(*j)), *e;
	const char *q;
	char *key, *end;

	if (!j || depth > 32)
		goto bad;
	jws(p);
	q = *p;
	if (*q == '{' || *q == '[') {
		char close = *q == '{' ? '}' : ']';

		j->t = *q == '{' ? J_OBJ : J_ARR;
		*p = q + 1;
		jws(p);
		if (**p == close) {
			(*p)++;
			return j;
		}
		for (;;) {
			key = NULL;
			if (j->t == J_OBJ) {
				jws(p);
				key = jstring(p);
				if (!key)
					goto bad;
				jws(p);
				if (**p != ':') {
					free(key);
					goto bad;
				}
				(*p)++;
			}
			e = jvalue(p, depth + 1);
			if (!e || jpush(j, e, key)) {
				free(key);
				jfree(e);
				goto bad;
			}
			jws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (**p != close)
				goto bad;
			(*p)++;
			return j;
		}
	}
	if (*q == '"') {
		j->t = J_STR;
		j->str = jstring(p);
		if (!j->str)
			goto bad;
		return j;
	}
	if (!strncmp(q, "true", 4) || !strncmp(q, "false", 5)) {
		j->t = J_BOOL;
		j->b = *q == 't';
		*p = q + (j->b ? 4 : 5);
		return j;
	}
	if (!strncmp(q, "null", 4)) {
		j->t = J_NULL;
		*p = q + 4;
		return j;
	}
	/* JSON numbers: no leading '+', no bare '.', no hex, no nan/inf. */
	if (*q == '-' || (*q >= '0' && *q <= '9')) {
		const char *d = q + (*q == '-');

		if (*d < '0' || *d > '9' ||
		    (d[0] == '0' && d[1] >= '0' && d[1] <= '9'))
			goto bad;
		for (end = (char *)d;
		     (*end >= '0' && *end <= '9') || *end == '.' ||
		     *end == 'e' || *end == 'E' || *end == '+' || *end == '-';
		     end++)
			;
		j->t = J_NUM;
		j->num = strtod(q, &key);
		if (key != end || !isfinite(j->num))
			goto bad;
		*p = end;
		return j;
	}
bad:
	jfree(j);
	return NULL;
}

/* Parse one whole line; NULL unless it is exactly one JSON value. */
static struct jv *jparse(const char *s, size_t len)
{
	char *copy = strndup(s, len);
	const char *p = copy;
	struct jv *j;

	if (!copy)
		return NULL;
	j = jvalue(&p, 0);
	if (j) {
		jws(&p);
		if (*p) {
			jfree(j);
			j = NULL;
		}
	}
	free(copy);
	return j;
}

static struct jv *jget(const struct jv *o, const char *key)
{
	size_t i;

	if (!o || o->t != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (!strcmp(o->k[i], key))
			return o->v[i];
	return NULL;
}

static const char *jstr(const struct jv *o, const char *key)
{
	struct jv *v = jget(o, key);

	return v && v->t == J_STR ? v->str : NULL;
}

static double jnum(const struct jv *o, const char *key)
{
	struct jv *v = jget(o, key);

	return v && v->t == J_NUM ? v->num : NAN;
}

/* JSON Lines: every line one object; returns how many, or -1. */
static int jlines(const char *s, struct jv **out, int max)
{
	int n = 0;

	while (*s) {
		const char *nl = strchr(s, '\n');

		if (!nl || n == max)
			return -1;
		out[n] = jparse(s, nl - s);
		if (!out[n] || out[n]->t != J_OBJ)
			return -1;
		n++;
		s = nl + 1;
	}
	return n;
}

static void jlines_free(struct jv **v, int n)
{
	while (n-- > 0)
		jfree(v[n]);
}

/* ---- the reference: data read here, libvision called directly --------- */

static int read_idx_gz(const char *path, uint32_t magic, size_t hdr,
		       size_t bytes, uint8_t *out)
{
	uint8_t h[16];
	gzFile f = gzopen(path, "rb");
	int ok;

	if (!f)
		return -1;
	ok = gzread(f, h, hdr) == (int)hdr &&
	     (uint32_t)(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) == magic &&
	     gzread(f, out, bytes) == (int)bytes;
	gzclose(f);
	return ok ? 0 : -1;
}

struct ref {
	struct vision_device *dev;
	struct vision_model *model;
	struct vision_tensor_info out;
	struct vision_model_info info;
	uint32_t classes;
	uint8_t px[N_REF][IMG_PX];
	uint8_t label[N_REF];
};

static struct ref *ref_open(void)
{
	struct ref *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (read_idx_gz(IMAGES, 0x803, 16, sizeof(r->px), &r->px[0][0]) ||
	    read_idx_gz(LABELS, 0x801, 8, sizeof(r->label), r->label) ||
	    vision_device_open("cpu", &r->dev) ||
	    vision_model_load(r->dev, model_path(), &r->model, NULL) ||
	    vision_model_output(r->model, 0, &r->out) ||
	    vision_model_get_info(r->model, &r->info) ||
	    r->out.type != VISION_TYPE_INT8 || r->out.size > MAX_CLASSES) {
		vision_model_free(r->model);
		vision_device_close(r->dev);
		free(r);
		return NULL;
	}
	r->classes = r->out.size;
	return r;
}

static void ref_close(struct ref *r)
{
	if (!r)
		return;
	vision_model_free(r->model);
	vision_device_close(r->dev);
	free(r);
}

/*
 * Classify @w x @h pixels (@ch 1: GREY, 3: RGB24) and give the classes
 * best first (all of them) and the dequantized scores by class.
 */
static int ref_classify(struct ref *r, const uint8_t *px, uint32_t w,
			uint32_t h, uint32_t ch, uint32_t *top, float *score)
{
	struct vision_frame f = {
		.fourcc = ch == 1 ? 0x59455247u /* GREY */ :
				    0x33424752u /* RGB3 */,
		.width = w,
		.height = h,
		.num_planes = 1,
		.strides = { w * ch },
	};
	struct vision_input in = {
		.data = px,
		.size = (uint64_t)w * h * ch,
		.frame = &f,
	};
	int8_t out[4096];
	const int8_t *q;
	uint32_t i;

	if (r->info.output_size > sizeof(out) ||
	    vision_infer(r->model, &in, out, sizeof(out)))
		return -1;
	q = out + r->out.offset;
	if (vision_top_k(q, r->classes, r->classes, top) != (int)r->classes)
		return -1;
	/* The documented formula, not vision_dequantize(). */
	for (i = 0; i < r->classes; i++)
		score[i] = (float)(q[i] - r->out.zero_point) * r->out.scale;
	return 0;
}

/*
 * Check a frame object: @k top classes equal to the reference's, with
 * the same scores (printed with 9 digits: the same float).
 */
static int check_frame(const struct ref *r, const struct jv *fr,
		       const uint32_t *top, const float *score, uint32_t k)
{
	struct jv *t = jget(fr, "top");
	uint32_t j;

	if (!t || t->t != J_ARR || t->n != k)
		return -1;
	for (j = 0; j < k; j++) {
		double c = jnum(t->v[j], "class");
		struct jv *l = jget(t->v[j], "label");
		const char *ml;

		if (c != top[j] ||
		    (float)jnum(t->v[j], "score") != score[top[j]])
			return -1;
		ml = vision_model_label(r->model, 0, top[j]);
		if (!l ||
		    (ml ? l->t != J_STR || strcmp(l->str, ml) : l->t != J_NULL))
			return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ---- image files -------------------------------------------------------- */

static int write_pgm(const char *path, const uint8_t *px, int rgb, int wide)
{
	uint8_t buf[64 + IMG_PX * 6];
	int n, i, c, ch = rgb ? 3 : 1, bps = wide ? 2 : 1;

	/* A comment in the header, as some writers add. */
	n = sprintf((char *)buf, "P%c\n# test\n%d %d\n%d\n", rgb ? '6' : '5',
		    IMG_W, IMG_H, wide ? 65535 : 255);
	for (i = 0; i < IMG_PX; i++)
		for (c = 0; c < ch; c++) {
			if (bps == 2) {
				/* v * 257 scales back to v exactly. */
				buf[n++] = px[i];
				buf[n++] = px[i];
			} else {
				buf[n++] = px[i];
			}
		}
	return write_file(path, buf, n);
}

static int write_jpeg(const char *path, const uint8_t *px)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	JSAMPROW row;
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = IMG_W;
	c.image_height = IMG_H;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < IMG_H) {
		row = (JSAMPROW)(px + c.next_scanline * IMG_W);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return fclose(f) ? -1 : 0;
}

/* Decode a grey JPEG here (libjpeg's defaults), for the reference. */
static int read_jpeg(const char *path, uint8_t *px)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	JSAMPROW row;
	FILE *f = fopen(path, "rb");
	int ok;

	if (!f)
		return -1;
	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, f);
	jpeg_read_header(&d, TRUE);
	jpeg_start_decompress(&d);
	ok = d.output_width == IMG_W && d.output_height == IMG_H &&
	     d.output_components == 1;
	while (ok && d.output_scanline < IMG_H) {
		row = px + d.output_scanline * IMG_W;
		jpeg_read_scanlines(&d, &row, 1);
	}
	if (ok)
		jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	fclose(f);
	return ok ? 0 : -1;
}

/* ---- fixture ------------------------------------------------------------- */

FIXTURE(run)
{
	struct ref *ref;
	char dir[64];
};

FIXTURE_SETUP(run)
{
	struct stat st;

	/* The CPU fallback, wherever this runs. */
	setenv("VISION_DEVICE", "cpu", 1);
	ASSERT_EQ(0, stat(tool(), &st))
	TH_LOG("no %s: make build/bin/vision-run", tool());
	ASSERT_EQ(0, stat(model_path(), &st))
	TH_LOG("no %s: make build/models/fmnist_cnn.vnm", model_path());
	self->ref = ref_open();
	ASSERT_NE(NULL, self->ref);
	strcpy(self->dir, "/tmp/vision_run_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(run)
{
	ref_close(self->ref);
	rm_tree(self->dir);
}

/* ---- predictions ------------------------------------------------------------ */

/* --idx with labels, as JSON: every frame, the accuracy, the percentiles. */
TEST_F(run, idx_json_matches_reference)
{
	struct jv *lines[N_REF + 2];
	double lat[N_REF], p;
	uint32_t top[MAX_CLASSES];
	float score[MAX_CLASSES];
	struct result r;
	int i, n, correct = 0;
	struct jv *s, *l;
	char src[64];

	RUN(&r, "-m", model_path(), "--idx", IMAGES, "--labels", LABELS,
	    "--frames", "40", "--top-k", "3", "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	EXPECT_STREQ("", r.err);
	n = jlines(r.out, lines, N_REF + 2);
	ASSERT_EQ(N_REF + 1, n) TH_LOG("output: %s", r.out);

	for (i = 0; i < N_REF; i++) {
		ASSERT_EQ(0, ref_classify(self->ref, self->ref->px[i], IMG_W,
					  IMG_H, 1, top, score));
		ASSERT_STREQ("frame", jstr(lines[i], "type"));
		EXPECT_EQ(i, jnum(lines[i], "frame"));
		snprintf(src, sizeof(src), "%s[%d]", IMAGES, i);
		EXPECT_STREQ(src, jstr(lines[i], "source"));
		EXPECT_EQ(0, check_frame(self->ref, lines[i], top, score, 3))
		TH_LOG("frame %d", i);
		EXPECT_EQ(self->ref->label[i], jnum(lines[i], "truth"));
		l = jget(lines[i], "correct");
		ASSERT_NE(NULL, l);
		EXPECT_EQ(top[0] == self->ref->label[i], l->b);
		correct += top[0] == self->ref->label[i];
		lat[i] = jnum(lines[i], "latency_ms");
		EXPECT_TRUE(lat[i] > 0 && lat[i] < 60000);
	}
	/* The project's model is ~90% right on Fashion-MNIST. */
	EXPECT_GE(correct, N_REF * 3 / 4);

	s = lines[N_REF];
	ASSERT_STREQ("summary", jstr(s, "type"));
	EXPECT_EQ(N_REF, jnum(s, "frames"));
	EXPECT_EQ(N_REF, jnum(s, "labelled"));
	EXPECT_EQ(correct, jnum(s, "correct"));
	EXPECT_TRUE(fabs(jnum(s, "accuracy") - (double)correct / N_REF) < 1e-6);
	EXPECT_STREQ("cpu", jstr(s, "device"));
	EXPECT_STREQ(model_path(), jstr(s, "model"));
	ASSERT_NE(NULL, jget(s, "interrupted"));
	EXPECT_FALSE(jget(s, "interrupted")->b);
	EXPECT_EQ(NULL, jget(s, "camera_path"));
	EXPECT_TRUE(jnum(s, "fps") > 0);
	/* Nearest rank: the value at ceil(p / 100 * n) of the sorted n. */
	qsort(lat, N_REF, sizeof(lat[0]), cmp_double);
	p = jnum(jget(s, "latency_ms"), "p50");
	EXPECT_EQ(lat[(int)ceil(0.50 * N_REF) - 1], p);
	p = jnum(jget(s, "latency_ms"), "p95");
	EXPECT_EQ(lat[(int)ceil(0.95 * N_REF) - 1], p);
	p = jnum(jget(s, "latency_ms"), "p99");
	EXPECT_EQ(lat[(int)ceil(0.99 * N_REF) - 1], p);

	jlines_free(lines, n);
	result_free(&r);
}

/* The text output: one line per frame, then the summary's accuracy. */
TEST_F(run, idx_text)
{
	uint32_t top[MAX_CLASSES];
	float score[MAX_CLASSES];
	char want[256], *line, *save = NULL;
	struct result r;
	int i, correct = 0;

	RUN(&r, "-m", model_path(), "--idx", IMAGES, "--labels", LABELS, "-n",
	    "10", "-k", "1");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	/* Not a terminal: no progress line, nothing on stderr. */
	EXPECT_STREQ("", r.err);
	line = strtok_r(r.out, "\n", &save);
	for (i = 0; i < 10; i++) {
		const char *l;

		ASSERT_EQ(0, ref_classify(self->ref, self->ref->px[i], IMG_W,
					  IMG_H, 1, top, score));
		correct += top[0] == self->ref->label[i];
		l = vision_model_label(self->ref->model, 0, top[0]);
		snprintf(want, sizeof(want), "%d %s[%d]: [%u]%s%s %.4f  truth ",
			 i, IMAGES, i, top[0], l ? " " : "", l ? l : "",
			 score[top[0]]);
		ASSERT_NE(NULL, line);
		EXPECT_EQ(0, strncmp(line, want, strlen(want)))
		TH_LOG("got '%s', want '%s...'", line, want);
		EXPECT_NE(NULL, strstr(line, top[0] == self->ref->label[i] ?
						     " ok" :
						     " WRONG"));
		line = strtok_r(NULL, "\n", &save);
	}
	while (line && strncmp(line, "accuracy:", 9))
		line = strtok_r(NULL, "\n", &save);
	ASSERT_NE(NULL, line);
	snprintf(want, sizeof(want), "accuracy:  %.2f%% (%d/10)",
		 correct * 10.0, correct);
	EXPECT_STREQ(want, line);
	result_free(&r);
}

/*
 * The same pixels as PGM, 16-bit PGM, PPM, grey and RGB PNG, and JPEG
 * (decoded here too) in a directory: sorted order, other files ignored,
 * names escaped in JSON (quotes, backslashes, control and non-UTF-8
 * bytes), labels from a text file.
 */
TEST_F(run, image_files)
{
	/* File i shows test image img[i]; names sort in this order. */
	static const char *const names[] = {
		"a0.pgm",     "a1-16bit.PGM", "a2.ppm",		 "a3.png",
		"a4-rgb.png", "a5.jpg",	      "b \"q\\t\tx.pgm", "c\xff.pgm",
	};
	static const int img[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	const int n = sizeof(names) / sizeof(names[0]);
	uint8_t jpx[IMG_PX];
	struct jv *lines[16];
	uint32_t top[MAX_CLASSES];
	float score[MAX_CLASSES];
	char labels[64] = "", *path;
	struct result r;
	int i, m, correct = 0;

	for (i = 0; i < n; i++) {
		const uint8_t *px = self->ref->px[img[i]];

		path = pathf("%s/%s", self->dir, names[i]);
		switch (i) {
		case 0:
		case 6:
		case 7:
			ASSERT_EQ(0, write_pgm(path, px, 0, 0));
			break;
		case 1:
			ASSERT_EQ(0, write_pgm(path, px, 0, 1));
			break;
		case 2:
			ASSERT_EQ(0, write_pgm(path, px, 1, 0));
			break;
		case 3:
		case 4:
			ASSERT_EQ(0, write_png(path, px, IMG_W, IMG_H, i == 4));
			break;
		case 5:
			ASSERT_EQ(0, write_jpeg(path, px));
			break;
		}
		sprintf(labels + strlen(labels), "%d\n",
			self->ref->label[img[i]]);
	}
	/* Not images: ignored. */
	ASSERT_EQ(0, write_file(pathf("%s/.hidden.png", self->dir), "x", 1));
	ASSERT_EQ(0, write_file(pathf("%s/notes.txt", self->dir), "x", 1));
	ASSERT_EQ(0, mkdir(pathf("%s/sub.png", self->dir), 0755));
	ASSERT_EQ(0, write_file(pathf("%s/labels.txt", self->dir), labels,
				strlen(labels)));

	RUN(&r, "-m", model_path(), "--images", self->dir, "--labels",
	    pathf("%s/labels.txt", self->dir), "--json", "--top-k", "99");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	m = jlines(r.out, lines, 16);
	ASSERT_EQ(n + 1, m) TH_LOG("output: %s", r.out);
	for (i = 0; i < n; i++) {
		const uint8_t *px = self->ref->px[img[i]];

		if (i == 5) {
			ASSERT_EQ(0,
				  read_jpeg(pathf("%s/%s", self->dir, names[i]),
					    jpx));
			px = jpx;
		}
		ASSERT_EQ(0, ref_classify(self->ref, px, IMG_W, IMG_H, 1, top,
					  score));
		correct += top[0] == self->ref->label[img[i]];
		/* A byte that is not UTF-8 comes out as U+FFFD. */
		EXPECT_STREQ(i == 7 ? pathf("%s/c\xef\xbf\xbd.pgm", self->dir) :
				      pathf("%s/%s", self->dir, names[i]),
			     jstr(lines[i], "source"));
		/* --top-k above the classes: all of them. */
		EXPECT_EQ(0, check_frame(self->ref, lines[i], top, score,
					 self->ref->classes))
		TH_LOG("%s", names[i]);
		EXPECT_EQ(self->ref->label[img[i]], jnum(lines[i], "truth"));
	}
	EXPECT_EQ(correct, jnum(lines[n], "correct"));
	EXPECT_EQ(n, jnum(lines[n], "labelled"));
	jlines_free(lines, m);
	result_free(&r);

	/* Files named one by one keep their order; --frames stops early. */
	RUN(&r, "-m", model_path(), "--json", "--images",
	    pathf("%s/a2.ppm", self->dir), pathf("%s/a0.pgm", self->dir),
	    pathf("%s/a3.png", self->dir), "-n", "2");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	m = jlines(r.out, lines, 16);
	ASSERT_EQ(3, m);
	EXPECT_STREQ(pathf("%s/a2.ppm", self->dir), jstr(lines[0], "source"));
	EXPECT_STREQ(pathf("%s/a0.pgm", self->dir), jstr(lines[1], "source"));
	EXPECT_EQ(NULL, jget(lines[2], "accuracy"));
	jlines_free(lines, m);
	result_free(&r);
}

/* --profile: the operators of our own profiled request, in order. */
TEST_F(run, profile)
{
	struct vision_frame f = { .fourcc = 0x59455247u,
				  .width = IMG_W,
				  .height = IMG_H,
				  .num_planes = 1,
				  .strides = { IMG_W } };
	struct vision_input in = { .data = self->ref->px[0],
				   .size = IMG_PX,
				   .frame = &f };
	struct vision_request *req;
	struct vision_profile pr;
	struct jv *lines[8], *p, *ops;
	struct result r;
	double pct = 0;
	uint32_t i;
	int m;

	ASSERT_EQ(0, vision_submit(self->ref->model, &in, 1,
				   VISION_SUBMIT_PROFILE, &req));
	ASSERT_EQ(0, vision_request_wait(req, -1));
	ASSERT_EQ(0, vision_request_profile(req, 0, &pr));

	RUN(&r, "-m", model_path(), "--idx", IMAGES, "-n", "3", "--profile",
	    "--json");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	m = jlines(r.out, lines, 8);
	ASSERT_EQ(4, m);
	p = jget(lines[3], "profile");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(3, jnum(p, "inferences"));
	ops = jget(p, "ops");
	ASSERT_NE(NULL, ops);
	ASSERT_EQ(pr.num_ops, ops->n);
	ASSERT_EQ(self->ref->info.num_ops, ops->n);
	for (i = 0; i < pr.num_ops; i++) {
		EXPECT_EQ(i, jnum(ops->v[i], "index"));
		EXPECT_STREQ(pr.ops[i].name, jstr(ops->v[i], "name"));
		EXPECT_STREQ(pr.ops[i].type, jstr(ops->v[i], "type"));
		/* Cycles count work, the same every inference. */
		EXPECT_EQ((double)pr.ops[i].cycles, jnum(ops->v[i], "cycles"));
		EXPECT_TRUE(jnum(ops->v[i], "us") >= 0);
		pct += jnum(ops->v[i], "percent");
	}
	pct += jnum(p, "input_percent");
	EXPECT_TRUE(pct > 0 && pct <= 100.01) TH_LOG("sum %f%%", pct);
	jlines_free(lines, m);
	result_free(&r);

	RUN(&r, "-m", model_path(), "--idx", IMAGES, "-n", "2", "--profile",
	    "-q");
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "profile: average of 2 inferences"));
	EXPECT_NE(NULL, strstr(r.out, pr.ops[0].name));
	/* -q: the summary only. */
	EXPECT_EQ(NULL, strstr(r.out, "[0]"));
	result_free(&r);
	vision_request_free(req);
}

TEST_F(run, info)
{
	struct result r;
	struct jv *j;

	RUN(&r, "--info", "--json", "--device", "cpu");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	j = jparse(r.out, strlen(r.out));
	ASSERT_NE(NULL, j);
	EXPECT_STREQ("cpu", jstr(j, "device"));
	EXPECT_STREQ(vision_version_string(), jstr(j, "libvision"));
	EXPECT_EQ(VISION_DEVICE_ID_CPU, jnum(j, "device_id"));
	jfree(j);
	result_free(&r);
}

/* ---- Ctrl-C and progress ------------------------------------------------- */

/* SIGINT: the frames so far, then the summary, exit status 0. */
TEST_F(run, sigint_ends_with_summary)
{
	const char *const args[] = { "-m",   model_path(), "--idx",
				     IMAGES, "--json",	   NULL };
	struct jv *lines[10001];
	struct result r = { 0 };
	struct child c;
	int i, m, frames;

	ASSERT_EQ(0, spawn_tool(&c, tool(), args));
	/* Until a few frames are out. */
	for (i = 0; i < 3000; i++) {
		char *o = read_all(c.out_path, NULL);
		size_t n = o ? count_lines(o) : 0;

		free(o);
		if (n >= 5)
			break;
		usleep(10000);
	}
	kill(c.pid, SIGINT);
	ASSERT_EQ(0, wait_child(&c, &r));
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	m = jlines(r.out, lines, 10001);
	ASSERT_GT(m, 1);
	frames = m - 1;
	EXPECT_LT(frames, 10000) TH_LOG("the run ended before SIGINT");
	EXPECT_STREQ("summary", jstr(lines[m - 1], "type"));
	EXPECT_EQ(frames, jnum(lines[m - 1], "frames"));
	ASSERT_NE(NULL, jget(lines[m - 1], "interrupted"));
	EXPECT_TRUE(jget(lines[m - 1], "interrupted")->b);
	jlines_free(lines, m);
	result_free(&r);
}

/*
 * On a terminal, a long run shows its progress on stderr. The test set
 * four times over: once alone runs for about a second, when the
 * progress line would only start.
 */
TEST_F(run, progress_on_terminal)
{
	char buf[65536];
	const char *const args[] = { "-m",   model_path(), "--images",
				     IMAGES, IMAGES,	   IMAGES,
				     IMAGES, "-q",	   NULL };
	size_t len = 0;
	bool seen = false;
	int master, st, i;
	pid_t pid;

	master = spawn_on_pty(tool(), args, true, &pid);
	ASSERT_GE(master, 0);

	/* Read until the progress line shows (it starts after 1 s). */
	for (i = 0; i < 2000 && !seen; i++) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10) <= 0)
			continue;
		n = read(master, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = 0;
		seen = strstr(buf, "\r") && strstr(buf, " fps") &&
		       strstr(buf, "/40000 frames");
		if (len > sizeof(buf) / 2)
			len = 0;
	}
	kill(pid, SIGINT);
	/* Drain so the child never blocks on a full terminal. */
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };

		if (poll(&pfd, 1, 2000) <= 0 || read(master, buf, 4096) <= 0)
			break;
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(master);
	EXPECT_TRUE(seen) TH_LOG("no progress line on the terminal");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- errors ---------------------------------------------------------------- */

/* A truncated model: status 4 and the validator's own reason. */
TEST_F(run, bad_model)
{
	struct vision_model_error err;
	struct vision_model *m = NULL;
	char *path = pathf("%s/trunc.vnm", self->dir);
	char *data, want[512];
	struct result r;
	size_t len;

	data = read_all(model_path(), &len);
	ASSERT_NE(NULL, data);
	ASSERT_GT(len, 300);
	ASSERT_EQ(0, write_file(path, data, 300));
	memset(&err, 0, sizeof(err));
	EXPECT_NE(0, vision_model_load_memory(self->ref->dev, data, 300, &m,
					      &err));
	free(data);
	ASSERT_NE(0, err.text[0]);

	RUN(&r, "-m", path, "--idx", IMAGES);
	EXPECT_EQ(4, r.status);
	snprintf(want, sizeof(want), "vision-run: %s: %s\n", path, err.text);
	EXPECT_STREQ(want, r.err);
	EXPECT_STREQ("", r.out);
	result_free(&r);

	/* Not a model at all, and no file. */
	ASSERT_EQ(0, write_file(path, "hello", 5));
	RUN(&r, "-m", path, "--idx", IMAGES);
	EXPECT_EQ(4, r.status);
	EXPECT_NE(NULL, strstr(r.err, path));
	result_free(&r);
	RUN(&r, "-m", pathf("%s/none.vnm", self->dir), "--idx", IMAGES);
	EXPECT_EQ(4, r.status);
	EXPECT_NE(NULL, strstr(r.err, "No such file"));
	result_free(&r);
}

TEST_F(run, bad_images)
{
	static const uint8_t png_head[] = { 0x89, 'P',	'N', 'G', '\r', '\n',
					    0x1a, '\n', 0,   0,	  0,	13,
					    'I',  'H',	'D', 'R' };
	char *missing = pathf("%s/missing.png", self->dir);
	char *corrupt = pathf("%s/corrupt.png", self->dir);
	char *text = pathf("%s/text.png", self->dir);
	char *pgm = pathf("%s/short.pgm", self->dir);
	char *lab = pathf("%s/labels.txt", self->dir);
	struct result r;

	RUN(&r, "-m", model_path(), "--images", missing);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, missing));
	EXPECT_NE(NULL, strstr(r.err, "No such file"));
	result_free(&r);

	ASSERT_EQ(0, write_file(corrupt, png_head, sizeof(png_head)));
	RUN(&r, "-m", model_path(), "--images", corrupt);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, corrupt)) TH_LOG("%s", r.err);
	result_free(&r);

	ASSERT_EQ(0, write_file(text, "hello", 5));
	RUN(&r, "-m", model_path(), "--images", text);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, text));
	result_free(&r);

	/* A PGM header promising more pixels than the file has. */
	ASSERT_EQ(0, write_file(pgm, "P5 28 28 255\nabc", 16));
	RUN(&r, "-m", model_path(), "--images", pgm);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, "truncated PNM")) TH_LOG("%s", r.err);
	result_free(&r);

	/* A bad image after a good one: the run fails at the bad one. */
	ASSERT_EQ(0, write_pgm(pgm, self->ref->px[0], 0, 0));
	RUN(&r, "-m", model_path(), "--images", pgm, corrupt);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, corrupt));
	result_free(&r);

	/* Labels that do not match the images. */
	ASSERT_EQ(0, write_file(lab, "1\n2\n", 4));
	RUN(&r, "-m", model_path(), "--idx", IMAGES, "--labels", lab);
	EXPECT_EQ(6, r.status);
	EXPECT_NE(NULL, strstr(r.err, "2 labels for 10000 images"));
	result_free(&r);
	ASSERT_EQ(0, write_file(lab, "x\n", 2));
	RUN(&r, "-m", model_path(), "--idx", IMAGES, "--labels", lab);
	EXPECT_EQ(6, r.status);
	result_free(&r);

	/* A directory without images. */
	RUN(&r, "-m", model_path(), "--images", self->dir);
	EXPECT_EQ(6, r.status);
	result_free(&r);
}

TEST_F(run, no_device)
{
	struct result r;

	RUN(&r, "-m", model_path(), "--idx", IMAGES, "--device",
	    "/nonexistent/accel0");
	EXPECT_EQ(3, r.status);
	EXPECT_NE(NULL, strstr(r.err, "/nonexistent/accel0"));
	result_free(&r);
	/* Not a vision device. */
	RUN(&r, "--info", "--device", "/dev/null");
	EXPECT_EQ(3, r.status);
	result_free(&r);
}

TEST_F(run, camera_errors)
{
	struct result r;

	RUN(&r, "-m", model_path(), "--camera", "/nonexistent/video0");
	EXPECT_EQ(7, r.status);
	EXPECT_NE(NULL, strstr(r.err, "/nonexistent/video0"));
	result_free(&r);
	/* Not a capture device. */
	RUN(&r, "-m", model_path(), "--camera", "/dev/null");
	EXPECT_EQ(7, r.status);
	EXPECT_NE(NULL, strstr(r.err, "/dev/null"));
	result_free(&r);
}

TEST_F(run, usage_errors)
{
	static const char *const bad[][8] = {
		{ "--bogus" },
		{ "-m" },
		{ "--idx", IMAGES },
		{ "-m", "x.vnm" },
		{ "-m", "x.vnm", "--idx" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--frames", "abc" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--frames", "0" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--frames", "-1" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--frames", "5x" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--top-k", "0" },
		{ "-m", "x.vnm", "--idx", IMAGES, "--top-k", "" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--images", "a" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--idx", IMAGES },
		{ "-m", "x.vnm", "--images", "a", "--idx", IMAGES },
		{ "-m", "x.vnm", "--idx", IMAGES, "extra" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--labels", "l" },
		{ "-m", "x.vnm", "--feed", "/dev/video1", "--idx", IMAGES },
		{ "-m", "x.vnm", "--idx", IMAGES, "--format", "YUYV" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--size", "640" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--buffers", "1" },
		{ "-m", "x.vnm", "--camera", "/dev/video0", "--camera-path",
		  "fast" },
		{ "--info", "-m", "x.vnm" },
	};
	struct result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, run_tool(&r, tool(), bad[i]));
		EXPECT_EQ(2, r.status) TH_LOG("case %zu: %s", i, r.err);
		EXPECT_EQ(0, strncmp(r.err, "vision-run: ", 12))
		TH_LOG("case %zu: %s", i, r.err);
		EXPECT_STREQ("", r.out);
		result_free(&r);
	}
	RUN(&r, "--help");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "Exit status"));
	result_free(&r);
}

TEST_HARNESS_MAIN
