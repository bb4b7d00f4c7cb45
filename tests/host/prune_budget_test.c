// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The accuracy-budget search (libvision/prune_budget.c) on
 * models/fmnist_mobilenet.onnx with a budget of 1.0 point. The search
 * evaluates on 1000 Fashion-MNIST TRAINING images (not the ones that
 * judge it); the chosen model is then quantized and run through the int8
 * engine's own input stage (tests/host/fmnist_eval.c, an evaluation
 * independent of the library's) on all 10,000 TEST images. There its
 * top-1 must be within 1.0 + 0.5 points of the float model's: the 0.5 is
 * slack for the split between the search's images and the test images.
 * The search must reach some sparsity and its own measured drop must be
 * within the budget; the zeros it reports are counted here in the graph.
 * Bad budgets, missing labels and no evaluation images are refused.
 *
 * Under the sanitizers: the small CNN with 2:4 (one pruning), 100
 * evaluation and 200 test images, no accuracy target.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmnist_eval.h"
#include "prune_budget.h"
#include "quantize.h"

#include "kselftest_harness.h"

/* The first @n training images and their labels. */
static float *train_set(size_t n, int32_t **labels, struct vis_error *err)
{
	struct vis_dataset_opts dopts = { .labels = FMNIST
					  "train-labels-idx1-ubyte.gz" };
	struct vis_preprocess pp = fmnist_pp();
	struct vis_dataset *ds;
	float *x = malloc(n * 784 * sizeof(float));

	*labels = malloc(n * sizeof(**labels));
	if (!x || !*labels ||
	    vis_dataset_open(FMNIST "train-images-idx3-ubyte.gz", &dopts, &ds,
			     err)) {
		free(x);
		return NULL;
	}
	if (vis_dataset_load(ds, NULL, n, &pp, x, *labels, err)) {
		free(x);
		x = NULL;
	}
	vis_dataset_free(ds);
	return x;
}

static size_t count_zeros(const struct vis_graph *g,
			  const struct prune_budget_layer *l)
{
	const float *w = g->tensors[g->nodes[l->node].inputs[1]].data;
	size_t i, z = 0;

	for (i = 0; i < l->weights; i++)
		z += w[i] == 0;
	return z;
}

FIXTURE(budget){};
FIXTURE_SETUP(budget)
{
}
FIXTURE_TEARDOWN(budget)
{
}

/* 60-90 s on two cores; the harness's default is 30. */
TEST_F_TIMEOUT(budget, one_point, 300)
{
	struct vis_dataset_opts dopts = { .labels = FMNIST
					  "t10k-labels-idx1-ubyte.gz" };
	struct vis_preprocess pp = fmnist_pp();
	struct vis_error err = { { 0 } };
	struct prune_budget_report rep;
	struct prune_budget_opts o;
	struct vis_quant_opts qo;
	struct vis_qmodel *qm = NULL;
	struct vis_dataset *ds = NULL;
	struct vis_graph *g, *g0;
	size_t ncal = 0, nev = SANITIZED ? 100 : 1000, n, i;
	float *cal, *ev, *x;
	int32_t *evl = NULL, *labels;
	double fl, q8, t0;
	uint64_t zeros = 0;

	/* Under the sanitizers: the small CNN, 2:4 (one pruning). */
	g = fmnist_load(SANITIZED ? FMNIST_CNN_ONNX : FMNIST_MOBILENET_ONNX,
			&err);
	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	g0 = vis_graph_clone(g);
	ASSERT_NE(NULL, g0);
	cal = fmnist_calib_set(SANITIZED ? 64 : 200, &ncal, &err);
	ASSERT_NE(NULL, cal) TH_LOG("%s", err.msg);
	ev = train_set(nev, &evl, &err);
	ASSERT_NE(NULL, ev) TH_LOG("%s", err.msg);

	prune_budget_opts_init(&o);
	o.budget = 1.0;
	if (SANITIZED)
		o.method = PRUNE_GRAPH_NM;
	t0 = fmnist_now();
	ASSERT_EQ(0, prune_budget(g, cal, ncal, ev, evl, nev, &o, &rep, &err))
	TH_LOG("%s", err.msg);
	TH_LOG("search: %.1f s, %u int8 tries", fmnist_now() - t0, rep.tries);
	for (i = 0; i < rep.nlayers; i++) {
		const struct prune_budget_layer *l = &rep.layers[i];

		TH_LOG("  %-36.36s %7zu weights sparsity %5.1f%% predicted %.2f%s",
		       l->name, l->weights, 100 * l->sparsity, l->predicted,
		       l->prunable ? "" : " (kept dense)");
		EXPECT_EQ(count_zeros(g, l), l->zeros);
		zeros += l->zeros;
		if (!l->prunable)
			EXPECT_EQ(0, l->sparsity);
	}
	EXPECT_EQ(zeros, rep.zeros);
	TH_LOG("search on %zu training images: float %.2f%%, int8 %.2f%% (predicted drop %.2f), %.1f%% of prunable, %.1f%% of all weights pruned",
	       nev, rep.float_top1, rep.int8_top1, rep.predicted,
	       100.0 * rep.pruned / rep.prunable_weights,
	       100.0 * rep.pruned / rep.all_weights);
	EXPECT_TRUE(rep.met);
	EXPECT_GE(rep.int8_top1, rep.float_top1 - o.budget);
	EXPECT_GT(rep.pruned, 0);

	/* Judge it on the test set with the test's own evaluation. */
	ASSERT_EQ(0, vis_dataset_open(FMNIST "t10k-images-idx3-ubyte.gz",
				      &dopts, &ds, &err))
	TH_LOG("%s", err.msg);
	n = SANITIZED ? 200 : vis_dataset_count(ds);
	x = malloc(n * 784 * sizeof(float));
	labels = malloc(n * sizeof(*labels));
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, labels);
	ASSERT_EQ(0, vis_dataset_load(ds, NULL, n, &pp, x, labels, &err));
	fl = fmnist_top1(g0, NULL, ds, x, labels, n);
	vis_quant_opts_init(&qo);
	ASSERT_EQ(0, vis_quantize(g, cal, ncal, &qo, &qm, &err))
	TH_LOG("%s", err.msg);
	q8 = fmnist_top1(NULL, qm, ds, NULL, labels, n);
	TH_LOG("%zu test images: float %.2f%%, pruned int8 %.2f%% (%+.2f)", n,
	       fl, q8, q8 - fl);
	ASSERT_GT(fl, 0);
	if (!SANITIZED)
		EXPECT_GE(q8, fl - (o.budget + 0.5));

	vis_qmodel_free(qm);
	prune_budget_report_free(&rep);
	vis_dataset_free(ds);
	free(x);
	free(labels);
	free(ev);
	free(evl);
	free(cal);
	vis_graph_destroy(g0);
	vis_graph_destroy(g);
}

TEST(bad_inputs)
{
	struct vis_error err = { { 0 } };
	struct prune_budget_opts o;
	struct vis_graph *g = fmnist_load(FMNIST_CNN_ONNX, &err);
	const double bad[] = { -0.5, NAN, INFINITY };
	int32_t *lab = NULL;
	float *x;
	size_t i;

	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	x = train_set(8, &lab, &err);
	ASSERT_NE(NULL, x) TH_LOG("%s", err.msg);
	prune_budget_opts_init(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.budget = bad[i];
		err.msg[0] = 0;
		EXPECT_EQ(-EINVAL,
			  prune_budget(g, x, 8, x, lab, 8, &o, NULL, &err));
		TH_LOG("budget %g: %s", bad[i], err.msg);
		EXPECT_NE(NULL, strstr(err.msg, "budget"));
	}
	o.budget = 1;
	EXPECT_EQ(-EINVAL, prune_budget(g, x, 8, x, NULL, 8, &o, NULL, &err));
	TH_LOG("no labels: %s", err.msg);
	EXPECT_NE(NULL, strstr(err.msg, "labelled"));
	EXPECT_EQ(-EINVAL, prune_budget(g, x, 8, x, lab, 0, &o, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "evaluation"));
	EXPECT_EQ(-EINVAL, prune_budget(g, x, 0, x, lab, 8, &o, NULL, &err));
	EXPECT_NE(NULL, strstr(err.msg, "calibration"));
	lab[3] = 10;
	EXPECT_EQ(-EINVAL, prune_budget(g, x, 8, x, lab, 8, &o, NULL, &err));
	TH_LOG("label 10: %s", err.msg);
	lab[3] = 0;
	o.method = (enum prune_graph_method)7;
	EXPECT_EQ(-EINVAL, prune_budget(g, x, 8, x, lab, 8, &o, NULL, &err));
	EXPECT_LT(prune_budget_top1(g, NULL, x, lab, 0, 1), 0);
	free(x);
	free(lab);
	vis_graph_destroy(g);
}

TEST_HARNESS_MAIN
