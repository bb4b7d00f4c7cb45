// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-compile, the tool, run as a program: the top-1 its report gives
 * for --eval (float, pruned float, int8) against this test's own
 * evaluation (tests/host/fmnist_eval.c: the float interpreter on the same
 * images, and the written .vnm run on the engine through its own input
 * stage on the raw pixels, which must agree exactly); the exit status of
 * every bad --eval (usage, unreadable, empty, wrong size, labels outside
 * the model's classes); the progress bar on a terminal (drawn, at most
 * five times a second, erased at the end) and never off one or with -q;
 * --block-rows: every bad value and a method other than block4 are usage
 * errors, and at 64 the report's pruned float top-1 is this test's own
 * pruning's, the written layers are BLOCK4 with every aligned 64-row
 * group storing at most half the block columns, and every operator's
 * output equals that of the same model written dense, byte for byte,
 * with and without the engine's prepared weights.
 *
 * The tool is build/bin/vision-compile next to this test's directory (or
 * $VISION_COMPILE_BIN); the model and data paths are those of the other
 * compiler tests (run from the source tree). The -san build runs the same
 * plain tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_test_util.h"
#include "file_test_util.h"
#include "fmnist_eval.h"
#include "prune_graph.h"
#include "tool_test_util.h"
#include "vision/vision.h"

#include "kselftest_harness.h"

#define IMAGES FMNIST "t10k-images-idx3-ubyte.gz"
#define LABELS FMNIST "t10k-labels-idx1-ubyte.gz"
#define CALIB FMNIST "train-images-idx3-ubyte.gz"
/* Small, so the whole test stays well under half a minute. */
#define N_CALIB "100"
#define N_EVAL 300
#define N_EVAL_S "300"

static const char *tool(void)
{
	return exe_rel("VISION_COMPILE_BIN", "../bin/vision-compile");
}

#define RUN(r, ...) RUN_TOOL(tool(), r, __VA_ARGS__)

/* ---- the report ----------------------------------------------------------- */

/* @key's number in the report's "eval" object; NAN when null or absent. */
static double eval_num(const char *json, const char *key)
{
	const char *e = json ? strstr(json, "\"eval\": {") : NULL;
	const char *end = e ? strchr(e, '}') : NULL;
	char pat[64];
	const char *k;

	if (!e || !end)
		return NAN;
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	k = strstr(e, pat);
	if (!k || k > end || !strncmp(k + strlen(pat), "null", 4))
		return NAN;
	return strtod(k + strlen(pat), NULL);
}

/* The first @n test images and labels, and the set itself. */
struct evalset {
	struct vis_dataset *ds;
	float *x;
	int32_t labels[N_EVAL];
};

static int evalset_load(struct evalset *e)
{
	struct vis_dataset_opts o = { .labels = LABELS };
	struct vis_preprocess pp = fmnist_pp();

	memset(e, 0, sizeof(*e));
	if (vis_dataset_open(IMAGES, &o, &e->ds, NULL))
		return -1;
	e->x = malloc(N_EVAL * 784 * sizeof(float));
	if (!e->x)
		return -1;
	return vis_dataset_load(e->ds, NULL, N_EVAL, &pp, e->x, e->labels,
				NULL);
}

static void evalset_free(struct evalset *e)
{
	vis_dataset_free(e->ds);
	free(e->x);
}

/* Top-1 of the .vnm at @path on the engine, from the raw pixels. */
static double vnm_top1(const char *path, const struct evalset *e, size_t n)
{
	struct vis_qmodel qm = { 0 };
	double t;

	qm.blob = read_all(path, &qm.size);
	if (!qm.blob)
		return -1;
	t = fmnist_top1(NULL, &qm, e->ds, NULL, e->labels, n);
	free(qm.blob);
	return t;
}

/* The report at @rep of tool run @r, which must have succeeded. */
static char *eval_report(struct __test_metadata *_metadata,
			 const struct result *r, const char *rep)
{
	char *json;

	ASSERT_EQ(0, r->status) TH_LOG("stderr: %s", r->err);
	json = read_all(rep, NULL);
	ASSERT_NE(NULL, json);
	return json;
}

/* The float model, evaluated here as the tool evaluates it. */
static struct vis_graph *float_model(struct __test_metadata *_metadata)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g = fmnist_load(FMNIST_CNN_ONNX, &err);

	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	return g;
}

/* The report's top-1 @key is @here, printed with 4 decimals. */
static void expect_top1(struct __test_metadata *_metadata, const char *json,
			const char *key, double here)
{
	EXPECT_LT(fabs(eval_num(json, key) - here), 1e-3)
	TH_LOG("%s: tool %f, here %f", key, eval_num(json, key), here);
}

static void eval_free(char *json, struct vis_graph *g, struct evalset *e,
		      struct result *r)
{
	free(json);
	vis_graph_destroy(g);
	evalset_free(e);
	result_free(r);
}

/* ---- --eval ------------------------------------------------------------------ */

/* No pruning: float and int8 top-1 as this test measures them. */
TEST(eval_float_int8)
{
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	char rep[] = "/tmp/vision_compile_test.json.XXXXXX";
	struct result r;
	struct evalset e;
	struct vis_graph *g;
	char *json, line[128];
	double ft, qt;

	close(mkstemp(vnm));
	close(mkstemp(rep));
	RUN(&r, FMNIST_CNN_ONNX, "-o", vnm, "--calib", CALIB, "--calib-count",
	    N_CALIB, "--eval", IMAGES, "--eval-labels", LABELS, "--eval-count",
	    N_EVAL_S, "-r", rep);
	json = eval_report(_metadata, &r, rep);
	/* Not a terminal: nothing at all on stderr. */
	EXPECT_EQ(0, r.err_len) TH_LOG("stderr: %s", r.err);

	ASSERT_EQ(0, evalset_load(&e));
	g = float_model(_metadata);
	ft = fmnist_top1(g, NULL, e.ds, e.x, e.labels, N_EVAL);
	qt = vnm_top1(vnm, &e, N_EVAL);
	ASSERT_GT(ft, 50);
	ASSERT_GT(qt, 50);

	EXPECT_EQ(N_EVAL, eval_num(json, "images"));
	/* Printed with 4 decimals: the same count of correct images. */
	expect_top1(_metadata, json, "float_top1", ft);
	expect_top1(_metadata, json, "int8_top1", qt);
	EXPECT_TRUE(isnan(eval_num(json, "pruned_top1")));
	EXPECT_NE(NULL, strstr(json, "\"pruned_top1\": null"));
	/* And the table's line. */
	snprintf(line, sizeof(line),
		 "top-1 on %d eval images: float %.2f%%, int8 %.2f%% (%+.2f)\n",
		 N_EVAL, ft, qt, qt - ft);
	EXPECT_NE(NULL, strstr(r.out, line))
	TH_LOG("no '%s' in %s", line, r.out);
	eval_free(json, g, &e, &r);
	unlink(vnm);
	unlink(rep);
}

/*
 * Pruned: the pruned float graph (pruned here as the tool does, on the
 * same calibration images) and the int8 model as measured here.
 */
TEST(eval_pruned)
{
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	char rep[] = "/tmp/vision_compile_test.json.XXXXXX";
	struct vis_error err = { { 0 } };
	struct prune_graph_opts po;
	struct result r;
	struct evalset e;
	struct vis_graph *g;
	float *calib;
	size_t ncalib;
	char *json;
	double ft, pt, qt;

	close(mkstemp(vnm));
	close(mkstemp(rep));
	RUN(&r, FMNIST_CNN_ONNX, "-o", vnm, "--calib", CALIB, "--calib-count",
	    N_CALIB, "--prune", "0.7", "--eval", IMAGES, "--eval-labels",
	    LABELS, "--eval-count", N_EVAL_S, "-r", rep, "-q");
	json = eval_report(_metadata, &r, rep);
	EXPECT_EQ(0, r.err_len) TH_LOG("stderr: %s", r.err);
	EXPECT_EQ(0, r.out[0]) TH_LOG("-q, yet: %s", r.out);

	ASSERT_EQ(0, evalset_load(&e));
	g = float_model(_metadata);
	ft = fmnist_top1(g, NULL, e.ds, e.x, e.labels, N_EVAL);
	calib = fmnist_calib_set(100, &ncalib, &err);
	ASSERT_NE(NULL, calib) TH_LOG("%s", err.msg);
	prune_graph_opts_init(&po);
	po.sparsity = 0.7;
	ASSERT_EQ(0, prune_graph(g, calib, ncalib, &po, NULL, &err))
	TH_LOG("%s", err.msg);
	pt = fmnist_top1(g, NULL, e.ds, e.x, e.labels, N_EVAL);
	qt = vnm_top1(vnm, &e, N_EVAL);
	ASSERT_GT(pt, 50);

	expect_top1(_metadata, json, "float_top1", ft);
	expect_top1(_metadata, json, "pruned_top1", pt);
	expect_top1(_metadata, json, "int8_top1", qt);
	free(calib);
	eval_free(json, g, &e, &r);
	unlink(vnm);
	unlink(rep);
}

/* ---- --block-rows ---------------------------------------------------------- */

TEST(block_rows_usage)
{
	static const struct {
		const char *method, *rows, *msg;
	} cases[] = {
		{ "block4", "0", "not a power of two from 1 to 64" },
		{ "block4", "3", "not a power of two from 1 to 64" },
		{ "block4", "65", "not a power of two from 1 to 64" },
		{ "block4", "128", "not a power of two from 1 to 64" },
		{ "block4", "x", "not a power of two from 1 to 64" },
		{ "block4", "-64", "not a power of two from 1 to 64" },
		{ "block4", "", "not a power of two from 1 to 64" },
		{ "block4", "16x", "not a power of two from 1 to 64" },
		{ NULL, "64", "--block-rows needs --prune-method block4" },
		{ "magnitude", "64",
		  "--block-rows needs --prune-method block4" },
		{ "reconstruct", "1",
		  "--block-rows needs --prune-method block4" },
		{ "channel", "4", "--block-rows needs --prune-method block4" },
	};
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";

	close(mkstemp(vnm));
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[16] = {
			FMNIST_CNN_ONNX, "-o",	       vnm,  "--calib", CALIB,
			"--calib-count", "20",	       "-q", "--prune", "0.5",
			"--block-rows",	 cases[i].rows
		};
		int n = 12;
		struct result r;

		if (cases[i].method) {
			args[n++] = "--prune-method";
			args[n++] = cases[i].method;
		}
		args[n] = NULL;
		unlink(vnm);
		ASSERT_EQ(0, run_tool(&r, tool(), args));
		EXPECT_EQ(2, r.status)
		TH_LOG("case %u: stderr: %s", i, r.err);
		EXPECT_NE(NULL, strstr(r.err, cases[i].msg))
		TH_LOG("case %u: no '%s' in: %s", i, cases[i].msg, r.err);
		EXPECT_NE(0, access(vnm, F_OK)) TH_LOG("case %u", i);
		result_free(&r);
	}
	unlink(vnm);
}

/* Whether every operator of @a and @b wrote the same bytes. */
static bool outputs_equal(const struct q8_runner *a, const struct q8_runner *b)
{
	for (uint32_t i = 0; i < a->m.num_ops; i++) {
		const struct vision_model_tensor *ta =
			&a->m.tensors[a->m.ops[i].output];
		const struct vision_model_tensor *tb =
			&b->m.tensors[b->m.ops[i].output];

		if (ta->size != tb->size ||
		    memcmp(a->arena + ta->offset, b->arena + tb->offset,
			   ta->size))
			return false;
	}
	return true;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * BLOCK4 weight tensors of @m, each checked: per aligned group of @grows
 * rows, the distinct block columns its rows store (row pointers, then the
 * columns: uapi/drm/vision_model.h) are at most half the row's blocks.
 */
static unsigned int check_quads(struct __test_metadata *_metadata,
				const struct vis_model *m, size_t grows)
{
	unsigned int nb4 = 0;

	for (uint32_t t = 0; t < m->num_tensors; t++) {
		const struct vision_model_tensor *w = &m->tensors[t];
		const uint8_t *enc = m->consts + w->offset, *col;
		size_t rows = w->shape[0], k, kb, g0, r, j, used;
		uint8_t *seen;

		if (w->encoding != VISION_MODEL_ENC_BLOCK4)
			continue;
		nb4++;
		k = (size_t)w->shape[1] * w->shape[2] * w->shape[3];
		kb = (k + 3) / 4;
		col = enc + (rows + 1) * 4;
		seen = malloc(kb);
		ASSERT_NE(NULL, seen);
		for (g0 = 0; g0 < rows; g0 += grows) {
			memset(seen, 0, kb);
			for (r = g0; r < g0 + grows && r < rows; r++)
				for (j = le32(enc + r * 4);
				     j < le32(enc + (r + 1) * 4); j++) {
					ASSERT_LT(le32(col + j * 4), kb);
					seen[le32(col + j * 4)] = 1;
				}
			for (used = 0, j = 0; j < kb; j++)
				used += seen[j];
			EXPECT_LE(2 * used, kb)
			TH_LOG("tensor %u rows %zu+: %zu of %zu block columns",
			       t, g0, used, kb);
		}
		free(seen);
	}
	return nb4;
}

/*
 * --block-rows 64 at 50%: the pruned float top-1 is this test's pruning's
 * (prune_graph() with the same options on the same images), the int8
 * top-1 the written model's on the engine; the model holds the shared
 * pattern in BLOCK4 and runs byte for byte as its dense twin.
 */
FIXTURE(slow){};
FIXTURE_SETUP(slow)
{
}
FIXTURE_TEARDOWN(slow)
{
}

/* Two compilations and a pruning: past the harness's 30 s when loaded. */
TEST_F_TIMEOUT(slow, block_rows_64, 120)
{
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	char dense[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	char rep[] = "/tmp/vision_compile_test.json.XXXXXX";
	struct vis_error err = { { 0 } };
	struct vis_qmodel qb = { 0 }, qd = { 0 };
	struct q8_runner rb, rd;
	struct vis_image img = { 0 };
	struct prune_graph_opts po;
	struct result r, r2;
	struct evalset e;
	struct vis_graph *g;
	uint8_t *prepared = NULL, pix[784];
	uint64_t st = 7;
	size_t ncalib, i, j, same = 0, trials = 0;
	float *calib;
	char *json;
	double pt, qt;

	close(mkstemp(vnm));
	close(mkstemp(dense));
	close(mkstemp(rep));
	RUN(&r, FMNIST_CNN_ONNX, "-o", vnm, "--calib", CALIB, "--calib-count",
	    N_CALIB, "--prune", "0.5", "--prune-method", "block4",
	    "--block-rows", "64", "--eval", IMAGES, "--eval-labels", LABELS,
	    "--eval-count", N_EVAL_S, "-r", rep, "-q");
	json = eval_report(_metadata, &r, rep);
	EXPECT_NE(NULL, strstr(json, "\"method\": \"block4\""));
	EXPECT_NE(NULL, strstr(json, "\"block_rows\": 64")) TH_LOG("%s", json);
	RUN(&r2, FMNIST_CNN_ONNX, "-o", dense, "--calib", CALIB,
	    "--calib-count", N_CALIB, "--prune", "0.5", "--prune-method",
	    "block4", "--block-rows", "64", "--weights-encoding", "dense",
	    "-q");
	ASSERT_EQ(0, r2.status) TH_LOG("stderr: %s", r2.err);

	ASSERT_EQ(0, evalset_load(&e));
	g = float_model(_metadata);
	calib = fmnist_calib_set(100, &ncalib, &err);
	ASSERT_NE(NULL, calib) TH_LOG("%s", err.msg);
	prune_graph_opts_init(&po);
	po.method = PRUNE_GRAPH_BLOCK4;
	po.sparsity = 0.5;
	po.block_rows = 64;
	ASSERT_EQ(0, prune_graph(g, calib, ncalib, &po, NULL, &err))
	TH_LOG("%s", err.msg);
	pt = fmnist_top1(g, NULL, e.ds, e.x, e.labels, N_EVAL);
	qt = vnm_top1(vnm, &e, N_EVAL);
	TH_LOG("top-1 on %d images: pruned float %.2f%%, int8 %.2f%% (float %.2f%%)",
	       N_EVAL, pt, qt, eval_num(json, "float_top1"));
	ASSERT_GT(qt, 50);
	expect_top1(_metadata, json, "pruned_top1", pt);
	expect_top1(_metadata, json, "int8_top1", qt);

	qb.blob = read_all(vnm, &qb.size);
	qd.blob = read_all(dense, &qd.size);
	ASSERT_NE(NULL, qb.blob);
	ASSERT_NE(NULL, qd.blob);
	ASSERT_EQ(0, q8_runner_init(&rb, &qb));
	ASSERT_EQ(0, q8_runner_init(&rd, &qd));
	ASSERT_EQ(rb.m.num_ops, rd.m.num_ops);
	/* conv2, conv3 and the FC; the first conv (K = 9) is not pruned. */
	EXPECT_EQ(3, check_quads(_metadata, &rb.m, 64));
	EXPECT_EQ(0, check_quads(_metadata, &rd.m, 64));
	if (rb.m.prepared_size) {
		prepared =
			aligned_alloc(64, (rb.m.prepared_size + 63) / 64 * 64);
		ASSERT_NE(NULL, prepared);
		vis_model_prepare(&rb.m, prepared);
	}
	/* Random frames, then test images; unprepared, then prepared. */
	for (i = 0; i < 2 * (SANITIZED ? 20 : 100); i++, trials++) {
		const uint8_t *p = pix;

		rb.m.prepared = i % 2 ? prepared : NULL;
		if (i < (SANITIZED ? 20 : 100)) {
			for (j = 0; j < sizeof(pix); j++)
				pix[j] = (uint8_t)(xorshift_unit(&st) * 127.99 +
						   128);
		} else {
			ASSERT_EQ(0, vis_dataset_read(e.ds, i, &img, NULL));
			p = img.pixels;
		}
		ASSERT_EQ(0, q8_runner_frame(&rb, p, 28, 28, 1));
		ASSERT_EQ(0, q8_runner_frame(&rd, p, 28, 28, 1));
		same += outputs_equal(&rb, &rd);
	}
	EXPECT_EQ(trials, same);
	rb.m.prepared = NULL;

	vis_image_release(&img);
	free(prepared);
	q8_runner_fini(&rb);
	q8_runner_fini(&rd);
	free(qb.blob);
	free(qd.blob);
	free(calib);
	eval_free(json, g, &e, &r);
	result_free(&r2);
	unlink(vnm);
	unlink(dense);
	unlink(rep);
}

#define N_FOLDER 40

/*
 * A folder of class subfolders 0 ... 9 (ImageFolder) needs no labels
 * file: the first N_FOLDER test images written there as PNG.
 */
TEST(eval_class_folders)
{
	char dir[] = "/tmp/vision_compile_test.XXXXXX";
	char vnm[PATH_MAX], rep[PATH_MAX], p[PATH_MAX];
	struct vis_image img = { 0 };
	struct vis_graph *g;
	struct result r;
	struct evalset e;
	char *json;
	double ft, qt;
	int i;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(vnm, sizeof(vnm), "%s/out.vnm", dir);
	snprintf(rep, sizeof(rep), "%s/out.json", dir);
	ASSERT_EQ(0, evalset_load(&e));
	for (i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "%s/%d", dir, i);
		ASSERT_EQ(0, mkdir(p, 0700));
	}
	for (i = 0; i < N_FOLDER; i++) {
		ASSERT_EQ(0, vis_dataset_read(e.ds, (size_t)i, &img, NULL));
		snprintf(p, sizeof(p), "%s/%d/%03d.png", dir, e.labels[i], i);
		ASSERT_EQ(0, write_png(p, img.pixels, 28, 28, false));
	}
	vis_image_release(&img);
	RUN(&r, FMNIST_CNN_ONNX, "-o", vnm, "--calib", CALIB, "--calib-count",
	    N_CALIB, "--eval", dir, "-r", rep, "-q");
	json = eval_report(_metadata, &r, rep);
	g = float_model(_metadata);
	/* The same images in another order: the same top-1. */
	ft = fmnist_top1(g, NULL, e.ds, e.x, e.labels, N_FOLDER);
	qt = vnm_top1(vnm, &e, N_FOLDER);
	EXPECT_EQ(N_FOLDER, eval_num(json, "images"));
	expect_top1(_metadata, json, "float_top1", ft);
	expect_top1(_metadata, json, "int8_top1", qt);
	eval_free(json, g, &e, &r);
	for (i = 0; i < N_FOLDER; i++) {
		snprintf(p, sizeof(p), "%s/%d/%03d.png", dir, e.labels[i], i);
		unlink(p);
	}
	for (i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "%s/%d", dir, i);
		rmdir(p);
	}
	unlink(vnm);
	unlink(rep);
	rmdir(dir);
}

/* ---- bad --eval ------------------------------------------------------------ */

/* An IDX file: @n images of @h x @w (all 0x80), or @n labels @lab. */
static int write_idx(const char *path, uint32_t n, uint32_t h, uint32_t w,
		     const uint8_t *lab)
{
	size_t body = lab ? n : (size_t)n * h * w, hl = lab ? 8 : 16;
	uint8_t *b = calloc(1, hl + body + 1);
	uint32_t dims[3] = { n, h, w }, i;
	int ret;

	if (!b)
		return -1;
	b[2] = 0x08;
	b[3] = lab ? 1 : 3;
	for (i = 0; i < (lab ? 1u : 3u); i++) {
		b[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
		b[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
		b[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
		b[7 + 4 * i] = (uint8_t)dims[i];
	}
	if (lab)
		memcpy(b + hl, lab, n);
	else
		memset(b + hl, 0x80, body);
	ret = write_file(path, b, hl + body);
	free(b);
	return ret;
}

TEST(bad_eval)
{
	static const uint8_t ok[3] = { 1, 2, 3 }, big[3] = { 1, 12, 3 };
	char dir[] = "/tmp/vision_compile_test.XXXXXX";
	char imgs[PATH_MAX], small[PATH_MAX], none[PATH_MAX], labs[PATH_MAX];
	char bigl[PATH_MAX], nolab[PATH_MAX], junk[PATH_MAX], vnm[PATH_MAX];
	char empty[PATH_MAX], flat[PATH_MAX], flat_png[PATH_MAX];
	static const uint8_t grey[28 * 28];
	const struct {
		const char *eval, *labels;
		int status;
		const char *msg;
	} cases[] = {
		{ IMAGES, NULL, 2, "--eval needs --eval-labels" },
		{ NULL, LABELS, 2, "--eval-labels needs --eval" },
		{ "/nonexistent/eval.idx", LABELS, 5, "--eval" },
		{ junk, LABELS, 5, "--eval" },
		{ IMAGES, "/nonexistent/labels", 5, "--eval" },
		/* 10000 images, 3 labels. */
		{ IMAGES, labs, 5, "--eval" },
		{ none, nolab, 6, "no images" },
		/* An empty folder. */
		{ empty, NULL, 6, "--eval" },
		/* A flat folder: its images have no labels. */
		{ flat, NULL, 2, "image 0 has no label" },
		{ small, labs, 7, "the model takes 28x28" },
		{ imgs, bigl, 5,
		  "label 12 of image 1 is not one of the model's 10 classes" },
	};
	unsigned int i;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(imgs, sizeof(imgs), "%s/imgs.idx", dir);
	snprintf(small, sizeof(small), "%s/small.idx", dir);
	snprintf(none, sizeof(none), "%s/none.idx", dir);
	snprintf(labs, sizeof(labs), "%s/labels.idx", dir);
	snprintf(bigl, sizeof(bigl), "%s/big.idx", dir);
	snprintf(nolab, sizeof(nolab), "%s/nolab.idx", dir);
	snprintf(junk, sizeof(junk), "%s/junk.idx", dir);
	snprintf(vnm, sizeof(vnm), "%s/out.vnm", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	ASSERT_EQ(0, mkdir(empty, 0700));
	snprintf(flat, sizeof(flat), "%s/flat", dir);
	snprintf(flat_png, sizeof(flat_png), "%s/flat/a.png", dir);
	ASSERT_EQ(0, mkdir(flat, 0700));
	ASSERT_EQ(0, write_png(flat_png, grey, 28, 28, false));
	ASSERT_EQ(0, write_idx(imgs, 3, 28, 28, NULL));
	ASSERT_EQ(0, write_idx(small, 3, 27, 27, NULL));
	ASSERT_EQ(0, write_idx(none, 0, 28, 28, NULL));
	ASSERT_EQ(0, write_idx(labs, 3, 0, 0, ok));
	ASSERT_EQ(0, write_idx(bigl, 3, 0, 0, big));
	ASSERT_EQ(0, write_idx(nolab, 0, 0, 0, ok));
	ASSERT_EQ(0, write_file(junk, "not an IDX file at all\n", 23));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[16] = {
			FMNIST_CNN_ONNX, "-o", vnm, "--calib", CALIB,
			"--calib-count", "20", "-q"
		};
		int n = 8;
		struct result r;

		if (cases[i].eval) {
			args[n++] = "--eval";
			args[n++] = cases[i].eval;
		}
		if (cases[i].labels) {
			args[n++] = "--eval-labels";
			args[n++] = cases[i].labels;
		}
		args[n] = NULL;
		ASSERT_EQ(0, run_tool(&r, tool(), args));
		EXPECT_EQ(cases[i].status, r.status)
		TH_LOG("case %u: stderr: %s", i, r.err);
		EXPECT_NE(NULL, strstr(r.err, cases[i].msg))
		TH_LOG("case %u: no '%s' in: %s", i, cases[i].msg, r.err);
		/* Nothing written on failure. */
		EXPECT_NE(0, access(vnm, F_OK)) TH_LOG("case %u", i);
		unlink(vnm);
		result_free(&r);
	}
	unlink(imgs);
	unlink(small);
	unlink(none);
	unlink(labs);
	unlink(bigl);
	unlink(nolab);
	unlink(junk);
	rmdir(empty);
	unlink(flat_png);
	rmdir(flat);
	rmdir(dir);
}

/*
 * --input-format: the channel order goes into the model's input stage,
 * and one that does not fit the model's channel count is a usage error.
 */
TEST(input_format)
{
	static const struct {
		const char *format;
		int status;
		const char *msg;
	} cases[] = {
		{ "grey", 0, "" },
		{ "rgb", 2, "1 channel" },
		{ "bgr", 2, "1 channel" },
		{ "yuv", 2, "not rgb, bgr or grey" },
	};
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	int fd = mkstemp(vnm);

	ASSERT_LE(0, fd);
	close(fd);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const args[] = { FMNIST_CNN_ONNX,
					     "-o",
					     vnm,
					     "--calib",
					     CALIB,
					     "--calib-count",
					     "50",
					     "-q",
					     "--input-format",
					     cases[i].format,
					     NULL };
		struct result r;

		unlink(vnm);
		ASSERT_EQ(0, run_tool(&r, tool(), args));
		EXPECT_EQ(cases[i].status, r.status)
		TH_LOG("%s: stderr: %s", cases[i].format, r.err);
		EXPECT_NE(NULL, strstr(r.err, cases[i].msg))
		TH_LOG("%s: no '%s' in: %s", cases[i].format, cases[i].msg,
		       r.err);
		if (!cases[i].status) {
			struct vision_model_info info;
			struct vision_device *dev;
			struct vision_model *m;

			ASSERT_EQ(0, vision_device_open("cpu", &dev));
			ASSERT_EQ(0, vision_model_load(dev, vnm, &m, NULL));
			ASSERT_EQ(0, vision_model_get_info(m, &info));
			EXPECT_EQ(VISION_COLOR_GREY, info.input_color);
			vision_model_free(m);
			vision_device_close(dev);
		} else {
			EXPECT_NE(0, access(vnm, F_OK));
		}
		result_free(&r);
	}
	unlink(vnm);
}

/* ---- the progress bar ---------------------------------------------------------- */

/* Bars drawn: "\r\033[K" followed by text (not by the next erase). */
static int count_draws(const char *b)
{
	int n = 0;

	while ((b = strstr(b, "\r\033[K"))) {
		b += 4;
		n += *b && *b != '\r';
	}
	return n;
}

TEST(progress_on_terminal)
{
	char vnm[] = "/tmp/vision_compile_test.vnm.XXXXXX";
	const char *const args[] = { FMNIST_CNN_ONNX,
				     "-o",
				     vnm,
				     "--calib",
				     CALIB,
				     "--calib-count",
				     "300",
				     "--prune",
				     "0.5",
				     "--eval",
				     IMAGES,
				     "--eval-labels",
				     LABELS,
				     "--eval-count",
				     "2000",
				     NULL };
	const char *const quiet[] = {
		FMNIST_CNN_ONNX, "-o",	   vnm,
		"--calib",	 CALIB,	   "--calib-count",
		"300",		 "--eval", IMAGES,
		"--eval-labels", LABELS,   "--eval-count",
		"1000",		 "-q",	   NULL
	};
	static char buf[1 << 16];
	size_t len;
	double secs;
	int status, draws;

	close(mkstemp(vnm));
	ASSERT_EQ(0, run_on_pty(tool(), args, buf, sizeof(buf), &len, &secs,
				&status));
	ASSERT_EQ(0, status) TH_LOG("terminal: %s", buf);
	draws = count_draws(buf);
	EXPECT_GE(draws, 1) TH_LOG("no bar on the terminal: '%s'", buf);
	EXPECT_NE(NULL, strstr(buf, "] ")) TH_LOG("%s", buf);
	EXPECT_TRUE(strstr(buf, "float top-1") || strstr(buf, "pruning") ||
		    strstr(buf, "calibrating") || strstr(buf, "int8 top-1"))
	TH_LOG("%s", buf);
	/* One draw per 200 ms at most: the first is free. */
	EXPECT_LE(draws, 1 + (int)(secs * 5))
	TH_LOG("%d draws in %.2f s", draws, secs);
	/* Erased at the end: the terminal's last bytes erase the line. */
	ASSERT_GE(len, 4);
	EXPECT_EQ(0, memcmp(buf + len - 4, "\r\033[K", 4))
	TH_LOG("not erased: '%s'", buf + (len > 80 ? len - 80 : 0));

	/* -q: nothing at all, even on a terminal. */
	ASSERT_EQ(0, run_on_pty(tool(), quiet, buf, sizeof(buf), &len, &secs,
				&status));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, len) TH_LOG("-q, yet: '%s'", buf);
	unlink(vnm);
}

TEST_HARNESS_MAIN
