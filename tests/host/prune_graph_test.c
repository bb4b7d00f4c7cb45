// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Graph-level pruning (libvision/prune_graph.c) before quantization:
 *
 * - models/fmnist_cnn.onnx pruned on 500 Fashion-MNIST training images
 *   (50% and 70% reconstruct, 2:4, 50% magnitude), quantized, and run
 *   through the int8 engine on all 10,000 test images: the issue's
 *   targets against the float top-1 (within 1.0, 2.5 and 1.5 points),
 *   reconstruct ahead of magnitude; the masks in the graph's weights are
 *   exactly the requested sparsity, 2:4 along K;
 * - one conv alone, so the interpreter is the reference: after bias
 *   correction the mean output over the calibration inputs is the
 *   unpruned one; the output error the interpreter measures stays within
 *   the one reported; reconstruct's is below magnitude's;
 * - block4 with blocks shared by aligned groups of rows (@block_rows):
 *   every group of every pruned layer has the same zero blocks in each
 *   row, the layer the requested fraction of zero blocks within half a
 *   group; on fmnist_cnn at 64 rows and 50%, the logits' error against
 *   the unpruned graph on test images is below that of the same mask
 *   without re-solve and of shared columns chosen by magnitude, top-1 is
 *   printed and above a floor, and the quantizer writes the pruned layers
 *   BLOCK4; on one conv (groups of 4, 8 and 64 over 12 rows) exactly half
 *   the blocks go and the interpreter's output error is below that of the
 *   same mask without re-solve; with an odd number of block columns the
 *   larger of two counts as near is pruned, so the layer is written
 *   BLOCK4;
 * - bad options and inputs are refused and leave the graph as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "float_interp.h"
#include "fmnist_eval.h"
#include "graph_passes.h"
#include "prune.h"
#include "prune_graph.h"
#include "quantize.h"
#include "engine_test_util.h"

#include "kselftest_harness.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static float frand(void)
{
	return xorshift_unit(&rng);
}

/* The weights of node @ni. */
static const struct vis_tensor *weights(const struct vis_graph *g, int ni)
{
	return &g->tensors[g->nodes[ni].inputs[1]];
}

static size_t count_zeros(const float *w, size_t n)
{
	size_t i, z = 0;

	for (i = 0; i < n; i++)
		z += w[i] == 0;
	return z;
}

/*
 * The masks in @g's weights, counted here: every pruned layer holds
 * exactly the requested zeros, N:M groups along K at most N nonzero.
 */
static void check_masks(struct __test_metadata *_metadata,
			const struct vis_graph *g,
			const struct prune_graph_report *rep,
			const struct prune_graph_opts *o)
{
	size_t i, r, j, k, pruned = 0;

	for (i = 0; i < rep->nlayers; i++) {
		const struct prune_graph_layer *l = &rep->layers[i];
		const struct vis_tensor *w = weights(g, l->node);
		size_t n = (size_t)vis_tensor_numel(w);
		size_t z = count_zeros(w->data, n);

		EXPECT_EQ(l->rows * l->cols, n);
		EXPECT_EQ(l->zeros, z);
		if (l->skipped) {
			/* The first conv: K = 9 < PRUNE_GRAPH_MIN_K. */
			EXPECT_LT(l->cols, PRUNE_GRAPH_MIN_K);
			continue;
		}
		pruned++;
		if (o->method != PRUNE_GRAPH_NM) {
			EXPECT_EQ(prune_target_zeros(o->sparsity, n), z);
			continue;
		}
		EXPECT_EQ(n / o->nm_m * (o->nm_m - o->nm_n), z);
		for (r = 0; r < l->rows; r++) {
			for (j = 0; j < l->cols; j += o->nm_m) {
				size_t nz = 0;

				for (k = j; k < j + o->nm_m && k < l->cols; k++)
					nz += w->data[r * l->cols + k] != 0;
				ASSERT_LE(nz, o->nm_n);
			}
		}
	}
	/* conv2, conv3 and the FC. */
	EXPECT_EQ(3, pruned);
}

struct config {
	const char *name;
	enum prune_graph_method method;
	double sparsity;
	double max_loss; /* points below float top-1; < 0: no target */
	double top1;
};

/*
 * The whole-test-set runs take 10-40 s on two cores, more on a busy
 * machine; the harness's default limit is 30 s.
 */
FIXTURE(fmnist){};
FIXTURE_SETUP(fmnist)
{
}
FIXTURE_TEARDOWN(fmnist)
{
}

TEST_F_TIMEOUT(fmnist, fmnist_cnn_pruned_int8, 180)
{
	struct config cfg[] = {
		{ "50% reconstruct", PRUNE_GRAPH_RECONSTRUCT, 0.5, 1.0, 0 },
		{ "70% reconstruct", PRUNE_GRAPH_RECONSTRUCT, 0.7, 2.5, 0 },
		{ "2:4 reconstruct", PRUNE_GRAPH_NM, 0, 1.5, 0 },
		{ "50% magnitude", PRUNE_GRAPH_MAGNITUDE, 0.5, -1, 0 },
	};
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct prune_graph_report rep;
	struct prune_graph_opts po;
	struct vis_quant_opts qo;
	struct vis_qmodel *qm = NULL;
	struct vis_graph *g, *pg;
	size_t ncal = 0, n, i, c, ncfg = sizeof(cfg) / sizeof(cfg[0]);
	float *cal, *x;
	int32_t *labels;
	double fl, q8, t0, tp;

	g = fmnist_load(FMNIST_CNN_ONNX, &err);
	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	cal = fmnist_calib_set(500, &ncal, &err);
	ASSERT_NE(NULL, cal) TH_LOG("%s", err.msg);
	ASSERT_EQ(500, ncal);
	/* Under the sanitizers a fifth of the test set, one config. */
	ASSERT_EQ(0, fmnist_test_set(SANITIZED ? 2000 : SIZE_MAX, &ds, &x,
				     &labels, &n, &err))
	TH_LOG("%s", err.msg);
	if (SANITIZED)
		ncfg = 1;
	fl = fmnist_top1(g, NULL, ds, x, labels, n);
	ASSERT_GT(fl, 0);
	if (n == 10000)
		/* The trainer's figure (models/metrics.json), from PyTorch. */
		EXPECT_LT(fabs(fl - 92.76), 0.055);

	for (c = 0; c < ncfg; c++) {
		pg = vis_graph_clone(g);
		ASSERT_NE(NULL, pg);
		prune_graph_opts_init(&po);
		po.method = cfg[c].method;
		po.sparsity = cfg[c].sparsity;
		t0 = fmnist_now();
		ASSERT_EQ(0, prune_graph(pg, cal, ncal, &po, &rep, &err))
		TH_LOG("%s: %s", cfg[c].name, err.msg);
		tp = fmnist_now() - t0;
		check_masks(_metadata, pg, &rep, &po);
		for (i = 0; i < rep.nlayers; i++)
			TH_LOG("  %s %-40s %4zux%-5zu sparsity %5.1f%% rel err %.4f%s",
			       cfg[c].name, rep.layers[i].name,
			       rep.layers[i].rows, rep.layers[i].cols,
			       100.0 * rep.layers[i].zeros /
				       (rep.layers[i].rows *
					rep.layers[i].cols),
			       rep.layers[i].rel_err,
			       rep.layers[i].skipped ? " (skipped)" : "");
		vis_quant_opts_init(&qo);
		ASSERT_EQ(0, vis_quantize(pg, cal, ncal, &qo, &qm, &err))
		TH_LOG("%s", err.msg);
		q8 = fmnist_top1(NULL, qm, ds, NULL, labels, n);
		ASSERT_GT(q8, 0);
		cfg[c].top1 = q8;
		TH_LOG("%s: pruned in %.1f s, %.1f%% of all conv/FC weights zero",
		       cfg[c].name, tp, 100.0 * rep.zeros / rep.weights);
		vis_qmodel_free(qm);
		qm = NULL;
		prune_graph_report_free(&rep);
		vis_graph_destroy(pg);
	}

	TH_LOG("int8 top-1 on %zu Fashion-MNIST test images (float %.2f%%):", n,
	       fl);
	for (c = 0; c < ncfg; c++)
		TH_LOG("  %-16s %6.2f%% (%+.2f points)", cfg[c].name,
		       cfg[c].top1, cfg[c].top1 - fl);
	for (c = 0; c < ncfg && n == 10000; c++)
		if (cfg[c].max_loss >= 0)
			EXPECT_GE(cfg[c].top1, fl - cfg[c].max_loss)
	TH_LOG("%s misses its target", cfg[c].name);
	if (ncfg == 4)
		EXPECT_GT(cfg[0].top1, cfg[3].top1);

	free(x);
	free(labels);
	free(cal);
	vis_dataset_free(ds);
	vis_graph_destroy(g);
}
/* ---- blocks shared by groups of rows ---------------------------------------- */

/*
 * Each aligned group of @grows rows of every pruned layer has the same
 * all-zero blocks of 4 in every row, and the layer's zero blocks (row by
 * row) are prune_target_zeros() of them within half a group of rows.
 * Returns the layers pruned.
 */
static size_t check_shared(struct __test_metadata *_metadata,
			   const struct vis_graph *g,
			   const struct prune_graph_report *rep,
			   double sparsity, size_t grows)
{
	size_t i, r, b, j, pruned = 0;

	for (i = 0; i < rep->nlayers; i++) {
		const struct prune_graph_layer *l = &rep->layers[i];
		const float *w = weights(g, l->node)->data;
		size_t nb = (l->cols + 3) / 4, zb = 0, differ = 0, z, tol;
		uint8_t *zero;

		if (l->skipped)
			continue;
		pruned++;
		zero = calloc(l->rows * nb, 1);
		ASSERT_NE(NULL, zero);
		for (r = 0; r < l->rows; r++) {
			for (b = 0; b < nb; b++) {
				size_t nz = 0;

				for (j = b * 4; j < b * 4 + 4 && j < l->cols;
				     j++)
					nz += w[r * l->cols + j] != 0;
				zero[r * nb + b] = !nz;
				zb += !nz;
			}
			/* The same zero blocks as the group's first row. */
			differ += memcmp(zero + r * nb,
					 zero + r / grows * grows * nb,
					 nb) != 0;
		}
		EXPECT_EQ(0, differ)
		TH_LOG("%s: %zu rows differ from their group of %zu", l->name,
		       differ, grows);
		z = prune_target_zeros(sparsity, l->rows * nb);
		tol = (grows < l->rows ? grows : l->rows) / 2;
		EXPECT_LE(zb, z + tol) TH_LOG("%s", l->name);
		EXPECT_GE(zb + tol, z) TH_LOG("%s", l->name);
		/* The weights' zeros are the blocks' (K a multiple of 4). */
		if (l->cols % 4 == 0)
			EXPECT_EQ(zb * 4, l->zeros) TH_LOG("%s", l->name);
		free(zero);
	}
	return pruned;
}

/*
 * The references the re-solve must beat, in @g (a copy of the unpruned
 * graph): with @mag clear, the zero blocks of @pg's pruned layers applied
 * to the unpruned weights, biases as they were; with @mag set, the same
 * count of block columns per group of @grows rows, those of smallest sum
 * of squared unpruned weights over the group, zeroed.
 */
static void mask_like(struct __test_metadata *_metadata, struct vis_graph *g,
		      const struct vis_graph *pg,
		      const struct prune_graph_report *rep, size_t grows,
		      bool mag)
{
	size_t i, r, b, j, g0;

	for (i = 0; i < rep->nlayers; i++) {
		const struct prune_graph_layer *l = &rep->layers[i];
		const float *wp = weights(pg, l->node)->data;
		float *w = weights(g, l->node)->data;
		size_t nb = (l->cols + 3) / 4, cnt;
		struct {
			double norm;
			size_t b;
		} * col;

		if (l->skipped)
			continue;
		col = malloc(nb * sizeof(*col));
		ASSERT_NE(NULL, col);
		for (g0 = 0; g0 < l->rows; g0 += grows) {
			size_t m = l->rows - g0 < grows ? l->rows - g0 : grows;

			/* The group's zero columns in @pg: its first row's. */
			for (cnt = 0, b = 0; b < nb; b++) {
				size_t nz = 0;

				for (j = b * 4; j < b * 4 + 4 && j < l->cols;
				     j++)
					nz += wp[g0 * l->cols + j] != 0;
				col[b].b = b;
				col[b].norm = nz ? 1 : 0;
				cnt += !nz;
				if (!mag)
					continue;
				col[b].norm = 0;
				for (r = g0; r < g0 + m; r++)
					for (j = b * 4;
					     j < b * 4 + 4 && j < l->cols; j++)
						col[b].norm +=
							(double)w[r * l->cols +
								  j] *
							w[r * l->cols + j];
			}
			/* Selection sort: the @cnt smallest first. */
			for (b = 0; b < cnt; b++) {
				size_t best = b;

				for (j = b + 1; j < nb; j++)
					if (col[j].norm < col[best].norm)
						best = j;
				if (best != b) {
					double tn = col[b].norm;
					size_t tb = col[b].b;

					col[b] = col[best];
					col[best].norm = tn;
					col[best].b = tb;
				}
				for (r = g0; r < g0 + m; r++)
					for (j = col[b].b * 4;
					     j < col[b].b * 4 + 4 &&
					     j < l->cols;
					     j++)
						w[r * l->cols + j] = 0;
			}
		}
		free(col);
	}
}

/* Squared error of @g's logits against @y0 (@n x 10) on @x. */
static double logits_err(const struct vis_graph *g, const float *x,
			 const float *y0, size_t n, float *y)
{
	struct vis_interp *ip = NULL;
	double e = 0;
	size_t i, j;

	if (vis_interp_create(g, 2, &ip, NULL))
		return -1;
	for (i = 0; i < n; i++) {
		const float *in = x + i * 784;
		float *out = y + i * 10;

		if (vis_interp_run(ip, &in, &out, NULL)) {
			vis_interp_destroy(ip);
			return -1;
		}
		if (!y0)
			continue;
		for (j = 0; j < 10; j++)
			e += ((double)out[j] - y0[i * 10 + j]) *
			     ((double)out[j] - y0[i * 10 + j]);
	}
	vis_interp_destroy(ip);
	return e;
}

TEST_F_TIMEOUT(fmnist, fmnist_cnn_block_rows, 180)
{
	const size_t grows = 64;
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct prune_graph_report rep;
	struct prune_graph_opts po;
	struct vis_quant_opts qo;
	struct vis_qmodel *qm = NULL;
	struct vis_graph *g, *pg, *gm, *gg;
	size_t ncal = 0, n, i, nb4 = 0;
	float *cal, *x, *y0, *y;
	int32_t *labels;
	double fl, pt, mt, q8, ep, em, eg, t0;

	g = fmnist_load(FMNIST_CNN_ONNX, &err);
	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	cal = fmnist_calib_set(SANITIZED ? 100 : 500, &ncal, &err);
	ASSERT_NE(NULL, cal) TH_LOG("%s", err.msg);
	ASSERT_EQ(0, fmnist_test_set(SANITIZED ? 300 : 2000, &ds, &x, &labels,
				     &n, &err))
	TH_LOG("%s", err.msg);
	pg = vis_graph_clone(g);
	gm = vis_graph_clone(g);
	gg = vis_graph_clone(g);
	y0 = malloc(n * 10 * sizeof(*y0));
	y = malloc(n * 10 * sizeof(*y));
	ASSERT_TRUE(pg && gm && gg && y0 && y);

	prune_graph_opts_init(&po);
	po.method = PRUNE_GRAPH_BLOCK4;
	po.sparsity = 0.5;
	po.block_rows = grows;
	po.nthreads = 2;
	t0 = fmnist_now();
	ASSERT_EQ(0, prune_graph(pg, cal, ncal, &po, &rep, &err))
	TH_LOG("%s", err.msg);
	TH_LOG("pruned in %.1f s", fmnist_now() - t0);
	/* conv2 (32 rows: one short group), conv3 (64), the FC (10). */
	EXPECT_EQ(3, check_shared(_metadata, pg, &rep, 0.5, grows));
	for (i = 0; i < rep.nlayers; i++)
		TH_LOG("  %-40s %4zux%-5zu sparsity %5.1f%% rel err %.4f%s",
		       rep.layers[i].name, rep.layers[i].rows,
		       rep.layers[i].cols,
		       100.0 * rep.layers[i].zeros /
			       (rep.layers[i].rows * rep.layers[i].cols),
		       rep.layers[i].rel_err,
		       rep.layers[i].skipped ? " (skipped)" : "");
	mask_like(_metadata, gm, pg, &rep, grows, false);
	mask_like(_metadata, gg, pg, &rep, grows, true);
	/* The references hold the same pattern of the same size. */
	EXPECT_EQ(3, check_shared(_metadata, gm, &rep, 0.5, grows));
	EXPECT_EQ(3, check_shared(_metadata, gg, &rep, 0.5, grows));

	/* Logits against the unpruned graph's, on held-out images. */
	ASSERT_EQ(0, logits_err(g, x, NULL, n, y0));
	ep = logits_err(pg, x, y0, n, y);
	em = logits_err(gm, x, y0, n, y);
	eg = logits_err(gg, x, y0, n, y);
	TH_LOG("logits error^2 on %zu test images: re-solved %.4g, same mask unsolved %.4g, shared magnitude %.4g",
	       n, ep, em, eg);
	EXPECT_GT(ep, 0);
	EXPECT_LT(ep, 0.5 * em);
	EXPECT_LT(ep, 0.5 * eg);

	fl = fmnist_top1(g, NULL, ds, x, labels, n);
	pt = fmnist_top1(pg, NULL, ds, x, labels, n);
	mt = fmnist_top1(gg, NULL, ds, x, labels, n);
	vis_quant_opts_init(&qo);
	qo.nthreads = 2;
	ASSERT_EQ(0, vis_quantize(pg, cal, ncal, &qo, &qm, &err))
	TH_LOG("%s", err.msg);
	/* Auto encoding: every pruned layer (half its blocks) is BLOCK4. */
	for (i = 0; i < qm->nlayers; i++)
		nb4 += qm->layers[i].dense_bytes &&
		       qm->layers[i].encoding == VISION_MODEL_ENC_BLOCK4;
	EXPECT_EQ(3, nb4);
	q8 = fmnist_top1(NULL, qm, ds, NULL, labels, n);
	TH_LOG("top-1 on %zu test images: float %.2f%%, block4 50%% shared by %zu rows: float %.2f%% (%+.2f), int8 %.2f%% (%+.2f); shared magnitude %.2f%%",
	       n, fl, grows, pt, pt - fl, q8, q8 - fl, mt);
	ASSERT_GT(fl, 50);
	/*
	 * Generous: 3.5 points lost on all 10,000 when written, 4.8 on the
	 * first 2000; magnitude on the same pattern loses 32.
	 */
	EXPECT_GE(pt, fl - (SANITIZED ? 15 : 10));
	EXPECT_GE(q8, fl - (SANITIZED ? 15 : 10));
	EXPECT_GT(pt, mt);

	vis_qmodel_free(qm);
	prune_graph_report_free(&rep);
	free(y0);
	free(y);
	free(x);
	free(labels);
	free(cal);
	vis_dataset_free(ds);
	vis_graph_destroy(gg);
	vis_graph_destroy(gm);
	vis_graph_destroy(pg);
	vis_graph_destroy(g);
}

/* ---- one conv, the interpreter as reference -------------------------------- */

#define SC_C 8
#define SC_O 12
#define SC_HW 10
#define SC_N 64
#define SC_IN (SC_C * SC_HW * SC_HW)
#define SC_OUT (SC_O * SC_HW * SC_HW)

static int sc_tensor(struct vis_graph *g, const char *name, int rank,
		     int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
	int64_t d[4] = { d0, d1, d2, d3 };

	return vis_graph_add_tensor(g, name, VIS_DT_FLOAT, rank, d);
}

/*
 * x [1, @cin, HW, HW] NCHW -> 3x3 conv to @cout, pad 1, no activation,
 * then NHWC.
 */
static struct vis_graph *conv_graph(int cin, int cout)
{
	struct vis_graph *g = vis_graph_create();
	int x, w, b, y, n, i;
	struct vis_attrs *a;

	if (!g)
		return NULL;
	/* The same weights every time. */
	rng = 0x2545f4914f6cdd1dull;
	x = sc_tensor(g, "x", 4, 1, cin, SC_HW, SC_HW);
	w = sc_tensor(g, "w", 4, cout, cin, 3, 3);
	b = sc_tensor(g, "b", 1, cout, 0, 0, 0);
	y = sc_tensor(g, "y", 4, 1, cout, SC_HW, SC_HW);
	if (x < 0 || w < 0 || b < 0 || y < 0 ||
	    vis_tensor_alloc_data(&g->tensors[w]) ||
	    vis_tensor_alloc_data(&g->tensors[b]))
		goto fail;
	g->tensors[x].layout = g->tensors[y].layout = VIS_LAYOUT_NCHW;
	for (i = 0; i < cout * cin * 9; i++)
		g->tensors[w].data[i] = 0.3f * frand();
	for (i = 0; i < cout; i++)
		g->tensors[b].data[i] = 0.1f * frand();
	n = vis_graph_add_node(g, "conv", VIS_OP_CONV);
	if (n < 0)
		goto fail;
	g->nodes[n].inputs[0] = x;
	g->nodes[n].inputs[1] = w;
	g->nodes[n].inputs[2] = b;
	g->nodes[n].ninputs = 3;
	g->nodes[n].outputs[0] = y;
	g->nodes[n].noutputs = 1;
	a = &g->nodes[n].attrs;
	a->kernel[0] = a->kernel[1] = 3;
	a->strides[0] = a->strides[1] = 1;
	a->dilations[0] = a->dilations[1] = 1;
	a->pads[0] = a->pads[1] = a->pads[2] = a->pads[3] = 1;
	a->group = 1;
	a->layout = VIS_LAYOUT_NCHW;
	g->inputs = malloc(sizeof(int));
	g->outputs = malloc(sizeof(int));
	if (!g->inputs || !g->outputs)
		goto fail;
	g->inputs[0] = x;
	g->outputs[0] = y;
	g->ninputs = g->noutputs = 1;
	if (vis_graph_optimize(g, VIS_PASS_ALL, NULL))
		goto fail;
	return g;
fail:
	vis_graph_destroy(g);
	return NULL;
}

static struct vis_graph *one_conv(void)
{
	return conv_graph(SC_C, SC_O);
}

/* Outputs of @g on the @SC_N inputs @x, into @y (SC_N x SC_OUT). */
static int run_all(const struct vis_graph *g, const float *x, float *y)
{
	struct vis_interp *ip;
	int i, ret = vis_interp_create(g, 1, &ip, NULL);

	for (i = 0; !ret && i < SC_N; i++) {
		const float *in = x + (size_t)i * SC_IN;
		float *out = y + (size_t)i * SC_OUT;

		ret = vis_interp_run(ip, &in, &out, NULL);
	}
	if (!ret || ip)
		vis_interp_destroy(ip);
	return ret;
}

/* The interpreter's squared output error of @method at 50%. */
static double one_conv_case(struct __test_metadata *_metadata,
			    enum prune_graph_method method, const float *x,
			    const float *y0, const float *bias0)
{
	struct prune_graph_report rep;
	struct prune_graph_opts o;
	struct vis_graph *g = one_conv();
	double mean0[SC_O] = { 0 }, mean1[SC_O] = { 0 }, e = 0, base = 0;
	float *y1 = malloc(sizeof(float) * SC_N * SC_OUT);
	size_t i;

	if (!g || !y1) {
		free(y1);
		vis_graph_destroy(g);
		return -1;
	}
	prune_graph_opts_init(&o);
	o.method = method;
	o.sparsity = 0.5;
	EXPECT_EQ(0, prune_graph(g, x, SC_N, &o, &rep, NULL));
	EXPECT_EQ(1, rep.nlayers);
	EXPECT_EQ(SC_O * SC_C * 9 / 2, rep.zeros);
	EXPECT_EQ(0, run_all(g, x, y1));
	/* NHWC output: the channel varies fastest. */
	for (i = 0; i < (size_t)SC_N * SC_OUT; i++) {
		double b = bias0[i % SC_O];

		mean0[i % SC_O] += y0[i];
		mean1[i % SC_O] += y1[i];
		e += ((double)y1[i] - y0[i]) * ((double)y1[i] - y0[i]);
		base += (y0[i] - b) * (y0[i] - b);
	}
	/* Bias correction keeps the mean output. */
	for (i = 0; i < SC_O; i++)
		EXPECT_LT(fabs(mean1[i] - mean0[i]) / (SC_N * SC_HW * SC_HW),
			  1e-4);
	/* Centering the error only lowers it below the reported one. */
	if (rep.nlayers == 1)
		EXPECT_LE(e, rep.layers[0].rel_err * rep.layers[0].rel_err *
					     base * (1 + 1e-4) +
				     1e-9);
	EXPECT_GT(e, 0);
	prune_graph_report_free(&rep);
	free(y1);
	vis_graph_destroy(g);
	return e;
}

TEST(one_conv_against_interpreter)
{
	struct vis_graph *g = one_conv();
	float *x = malloc(sizeof(float) * SC_N * SC_IN);
	float *y0 = malloc(sizeof(float) * SC_N * SC_OUT);
	float bias0[SC_O];
	double er, em;
	size_t i;

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y0);
	/* Inputs with a non-zero mean, so the bias correction matters. */
	for (i = 0; i < (size_t)SC_N * SC_IN; i++)
		x[i] = 0.5f + 0.5f * frand();
	ASSERT_EQ(0, run_all(g, x, y0));
	memcpy(bias0, g->tensors[g->nodes[0].inputs[2]].data, sizeof(bias0));
	er = one_conv_case(_metadata, PRUNE_GRAPH_RECONSTRUCT, x, y0, bias0);
	em = one_conv_case(_metadata, PRUNE_GRAPH_MAGNITUDE, x, y0, bias0);
	TH_LOG("output error^2: reconstruct %.4g, magnitude %.4g", er, em);
	EXPECT_GT(er, 0);
	/* Independent inputs: H is near diagonal, so the gain is modest. */
	EXPECT_LT(er, 0.9 * em);
	free(x);
	free(y0);
	vis_graph_destroy(g);
}

/*
 * Shared blocks on one conv of 12 rows, K = 72: groups of 4 (three), of 8
 * (one, and a short one of 4) and of 64 (one short one of 12), each of
 * which can prune exactly half the blocks. The interpreter's output error on
 * the calibration inputs is below that of the same mask on the unpruned
 * weights, biases unchanged.
 */
TEST(one_conv_block_rows)
{
	static const size_t rows_of[] = { 4, 8, 64 };
	float *x = malloc(sizeof(float) * SC_N * SC_IN);
	float *y0 = malloc(sizeof(float) * SC_N * SC_OUT);
	float *y1 = malloc(sizeof(float) * SC_N * SC_OUT);
	struct vis_graph *g = one_conv(), *pg, *gm;
	struct prune_graph_report rep;
	struct prune_graph_opts o;
	size_t i, c;

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, y0);
	ASSERT_NE(NULL, y1);
	for (i = 0; i < (size_t)SC_N * SC_IN; i++)
		x[i] = 0.5f + 0.5f * frand();
	ASSERT_EQ(0, run_all(g, x, y0));
	for (c = 0; c < sizeof(rows_of) / sizeof(rows_of[0]); c++) {
		double ep = 0, em = 0;

		pg = one_conv();
		gm = one_conv();
		ASSERT_NE(NULL, pg);
		ASSERT_NE(NULL, gm);
		prune_graph_opts_init(&o);
		o.method = PRUNE_GRAPH_BLOCK4;
		o.sparsity = 0.5;
		o.block_rows = (unsigned int)rows_of[c];
		ASSERT_EQ(0, prune_graph(pg, x, SC_N, &o, &rep, NULL));
		ASSERT_EQ(1, rep.nlayers);
		EXPECT_EQ(1,
			  check_shared(_metadata, pg, &rep, 0.5, rows_of[c]));
		/*
		 * 216 row blocks, 108 to prune: 27 columns of 4 rows, 12 of
		 * 8 and 3 of 4 (or 9 of 8 and 9 of 4...), 9 of all 12 rows.
		 */
		EXPECT_EQ(SC_O * SC_C * 9 / 2, rep.zeros);
		mask_like(_metadata, gm, pg, &rep, rows_of[c], false);
		ASSERT_EQ(0, run_all(pg, x, y1));
		for (i = 0; i < (size_t)SC_N * SC_OUT; i++)
			ep += ((double)y1[i] - y0[i]) * ((double)y1[i] - y0[i]);
		ASSERT_EQ(0, run_all(gm, x, y1));
		for (i = 0; i < (size_t)SC_N * SC_OUT; i++)
			em += ((double)y1[i] - y0[i]) * ((double)y1[i] - y0[i]);
		TH_LOG("%zu rows: %zu zeros; output error^2 re-solved %.4g, same mask unsolved %.4g",
		       rows_of[c], rep.zeros, ep, em);
		EXPECT_GT(ep, 0);
		/* Independent inputs: H near diagonal, a modest gain. */
		EXPECT_LT(ep, 0.9 * em);
		prune_graph_report_free(&rep);
		vis_graph_destroy(pg);
		vis_graph_destroy(gm);
	}
	free(x);
	free(y0);
	free(y1);
	vis_graph_destroy(g);
}

/*
 * An odd number of block columns: 64 rows over 3 channels, K = 27, seven
 * columns (the last of 3). Half of 448 row blocks is 3 or 4 columns of
 * 64, as near; the larger is pruned, so the quantizer's auto encoding
 * (at least half the blocks empty) writes the layer BLOCK4.
 */
TEST(block_rows_odd_columns)
{
	const size_t in = (size_t)3 * SC_HW * SC_HW;
	struct vis_graph *g = conv_graph(3, 64);
	float *x = malloc(sizeof(float) * SC_N * in);
	struct vis_error err = { { 0 } };
	struct prune_graph_report rep;
	struct prune_graph_opts o;
	struct vis_quant_opts qo;
	struct vis_qmodel *qm = NULL;
	size_t i, nb4 = 0;

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, x);
	for (i = 0; i < SC_N * in; i++)
		x[i] = 0.5f + 0.5f * frand();
	prune_graph_opts_init(&o);
	o.method = PRUNE_GRAPH_BLOCK4;
	o.sparsity = 0.5;
	o.block_rows = 64;
	ASSERT_EQ(0, prune_graph(g, x, SC_N, &o, &rep, &err))
	TH_LOG("%s", err.msg);
	ASSERT_EQ(1, rep.nlayers);
	ASSERT_EQ(27, rep.layers[0].cols);
	EXPECT_EQ(1, check_shared(_metadata, g, &rep, 0.5, 64));
	/* Four columns: three of 4 weights and, or not, the one of 3. */
	EXPECT_TRUE(rep.zeros == 64 * 16 || rep.zeros == 64 * 15)
	TH_LOG("%zu zeros", rep.zeros);
	vis_quant_opts_init(&qo);
	ASSERT_EQ(0, vis_quantize(g, x, SC_N, &qo, &qm, &err))
	TH_LOG("%s", err.msg);
	for (i = 0; i < qm->nlayers; i++)
		nb4 += qm->layers[i].dense_bytes &&
		       qm->layers[i].encoding == VISION_MODEL_ENC_BLOCK4;
	EXPECT_EQ(1, nb4);
	vis_qmodel_free(qm);
	prune_graph_report_free(&rep);
	free(x);
	vis_graph_destroy(g);
}

/* ---- bad input ------------------------------------------------------------- */

TEST(bad_options_leave_the_graph_alone)
{
	struct vis_error err = { { 0 } };
	struct prune_graph_opts o;
	struct vis_graph *g = one_conv();
	float *x = malloc(sizeof(float) * SC_N * SC_IN), w0[SC_O * SC_C * 9];
	const double bad_sparsity[] = { 0, 1, -0.1, 1.5, NAN, INFINITY };
	size_t i;

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, x);
	for (i = 0; i < (size_t)SC_N * SC_IN; i++)
		x[i] = frand();
	memcpy(w0, weights(g, 0)->data, sizeof(w0));
	for (i = 0; i < sizeof(bad_sparsity) / sizeof(bad_sparsity[0]); i++) {
		prune_graph_opts_init(&o);
		o.sparsity = bad_sparsity[i];
		EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
		EXPECT_NE(0, err.msg[0]);
	}
	prune_graph_opts_init(&o);
	EXPECT_EQ(-EINVAL, prune_graph(g, x, 0, &o, NULL, &err));
	TH_LOG("no data: %s", err.msg);
	EXPECT_EQ(-EINVAL, prune_graph(g, NULL, SC_N, &o, NULL, &err));
	EXPECT_EQ(-EINVAL, prune_graph(NULL, x, SC_N, &o, NULL, &err));
	o.method = PRUNE_GRAPH_NM;
	o.nm_n = 4;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	o.nm_n = 0;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	o.method = (enum prune_graph_method)99;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	/* Shared block rows: a power of two up to 64, block4 only. */
	prune_graph_opts_init(&o);
	o.method = PRUNE_GRAPH_BLOCK4;
	for (i = 0; i < 4; i++) {
		static const unsigned int bad_rows[] = { 3, 65, 128, 96 };

		o.block_rows = bad_rows[i];
		EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
		EXPECT_NE(NULL, strstr(err.msg, "power of two"))
		TH_LOG("%u rows: %s", bad_rows[i], err.msg);
	}
	o.block_rows = 64;
	o.method = PRUNE_GRAPH_RECONSTRUCT;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "block4")) TH_LOG("%s", err.msg);
	o.method = PRUNE_GRAPH_CHANNEL;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "block4")) TH_LOG("%s", err.msg);
	/* Non-finite calibration data. */
	prune_graph_opts_init(&o);
	x[SC_IN * 3 + 17] = NAN;
	EXPECT_EQ(-EINVAL, prune_graph(g, x, SC_N, &o, NULL, &err));
	TH_LOG("NaN input: %s", err.msg);
	EXPECT_EQ(0, memcmp(w0, weights(g, 0)->data, sizeof(w0)));
	free(x);
	vis_graph_destroy(g);
}

TEST_HARNESS_MAIN
