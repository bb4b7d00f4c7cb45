// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Per-layer sparsity under an accuracy budget: see prune_budget.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "float_interp.h"
#include "prune_budget.h"
#include "vis_engine.h"

#define PB_MAX_THREADS 64

void prune_budget_opts_init(struct prune_budget_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->budget = 1.0;
	o->method = PRUNE_GRAPH_RECONSTRUCT;
}

/* ---- top-1 ------------------------------------------------------------------ */

struct pb_job {
	const struct vis_graph *g;
	const struct vis_qmodel *qm;
	const float *x;
	const int32_t *labels;
	size_t elems, begin, end, correct;
	int ret;
};

static size_t pb_argmax(const float *v, size_t n)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static void pb_float_job(struct pb_job *j)
{
	size_t nout =
		(size_t)vis_tensor_numel(&j->g->tensors[j->g->outputs[0]]);
	float *out = malloc(nout * sizeof(*out));
	struct vis_interp *ip = NULL;
	size_t i;

	j->ret = out ? vis_interp_create(j->g, 1, &ip, NULL) : -ENOMEM;
	for (i = j->begin; !j->ret && i < j->end; i++) {
		const float *in = j->x + i * j->elems;

		j->ret = vis_interp_run(ip, &in, &out, NULL);
		if (!j->ret && (int64_t)pb_argmax(out, nout) == j->labels[i])
			j->correct++;
	}
	vis_interp_destroy(ip);
	free(out);
}

static void pb_int8_job(struct pb_job *j)
{
	const struct calib_qparams *qp = &j->qm->in_qp;
	struct vis_model m;
	struct vis_exec ex;
	u8 *arena = NULL, *scratch = NULL;
	const int8_t *out;
	int8_t *in;
	size_t i, k, nout = j->qm->out_elems[0], best;

	j->ret = vis_model_validate(&m, j->qm->blob, j->qm->size, NULL);
	if (j->ret)
		return;
	arena = aligned_alloc(64, (m.arena_size + 63) / 64 * 64 + 64);
	scratch = malloc(m.scratch_size + 1);
	if (!arena || !scratch) {
		j->ret = -ENOMEM;
		goto out;
	}
	memset(&ex, 0, sizeof(ex));
	ex.model = &m;
	ex.arena = arena;
	ex.scratch = scratch;
	ex.k = vis_kernels_best();
	in = (int8_t *)(arena + m.tensors[m.input->tensor].offset);
	out = (const int8_t *)(arena + m.tensors[m.outputs[0].tensor].offset);
	for (i = j->begin; !j->ret && i < j->end; i++) {
		const float *x = j->x + i * j->elems;

		/* As vis_quant_compare() feeds the engine. */
		for (k = 0; k < j->elems; k++) {
			double v = round((double)x[k] / qp->scale) +
				   qp->zero_point;

			in[k] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
		}
		j->ret = vis_engine_run(&ex);
		for (best = 0, k = 1; k < nout; k++)
			if (out[k] > out[best])
				best = k;
		if (!j->ret && (int64_t)best == j->labels[i])
			j->correct++;
	}
out:
	free(arena);
	free(scratch);
}

static void *pb_thread(void *arg)
{
	struct pb_job *j = arg;

	if (j->qm)
		pb_int8_job(j);
	else
		pb_float_job(j);
	return NULL;
}

static unsigned int pb_threads(unsigned int nthreads)
{
	long n = nthreads ? (long)nthreads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PB_MAX_THREADS ? PB_MAX_THREADS : (unsigned)n;
}

double prune_budget_top1(const struct vis_graph *g, const struct vis_qmodel *qm,
			 const float *x, const int32_t *labels, size_t n,
			 unsigned int nthreads)
{
	struct pb_job j[PB_MAX_THREADS];
	pthread_t t[PB_MAX_THREADS];
	unsigned int i, nt = pb_threads(nthreads), started = 0;
	size_t correct = 0;
	int ret = 0;

	if (!g || !x || !labels || !n)
		return -EINVAL;
	if (nt > n)
		nt = (unsigned int)n;
	for (i = 0; i < nt; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		j[i].g = g;
		j[i].qm = qm;
		j[i].x = x;
		j[i].labels = labels;
		j[i].elems =
			(size_t)vis_tensor_numel(&g->tensors[g->inputs[0]]);
		j[i].begin = n * i / nt;
		j[i].end = n * (i + 1) / nt;
	}
	/* The calling thread takes the first share. */
	for (i = 1; i < nt; i++) {
		if (pthread_create(&t[i], NULL, pb_thread, &j[i])) {
			ret = -EAGAIN;
			break;
		}
		started++;
	}
	if (!ret)
		pb_thread(&j[0]);
	for (i = 1; i <= started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < nt; i++) {
		if (!ret)
			ret = j[i].ret;
		correct += j[i].correct;
	}
	return ret ? ret : 100.0 * (double)correct / (double)n;
}

/* ---- the search ----------------------------------------------------------- */

/* The bias of node @ni, made zeros when missing (changes nothing). */
static int pb_ensure_bias(struct vis_graph *g, int ni)
{
	struct vis_node *n = &g->nodes[ni];
	int64_t dims[1];
	int t;

	if (n->ninputs >= 3 && n->inputs[2] >= 0)
		return 0;
	dims[0] = g->tensors[n->inputs[1]].dims[0];
	t = vis_graph_add_tensor(g, NULL, VIS_DT_FLOAT, 1, dims);
	if (t < 0 || vis_tensor_alloc_data(&g->tensors[t]))
		return -ENOMEM;
	g->nodes[ni].inputs[2] = t;
	g->nodes[ni].ninputs = 3;
	return 0;
}

/* Layer @ni's weights and bias from @src (same graph, another pruning). */
static void pb_take(struct vis_graph *dst, const struct vis_graph *src, int ni)
{
	const struct vis_node *s = &src->nodes[ni];
	const struct vis_node *d = &dst->nodes[ni];
	const struct vis_tensor *sw = &src->tensors[s->inputs[1]];
	const struct vis_tensor *sb = &src->tensors[s->inputs[2]];

	memcpy(dst->tensors[d->inputs[1]].data, sw->data,
	       (size_t)vis_tensor_numel(sw) * sizeof(float));
	memcpy(dst->tensors[d->inputs[2]].data, sb->data,
	       (size_t)vis_tensor_numel(sb) * sizeof(float));
}

struct pb_state {
	struct vis_graph *g; /* the caller's, gets the result */
	struct vis_graph *orig; /* unpruned, biases everywhere */
	struct vis_graph *pruned[PRUNE_BUDGET_NCAND];
	struct prune_budget_report *rep;
	int *level; /* per layer: candidate index + 1, 0 dense */
	const float *eval;
	const int32_t *labels;
	size_t neval;
	unsigned int nthreads;
};

static double pb_gain(const struct prune_budget_layer *l, int lv)
{
	return lv ? l->cand[lv - 1] * (double)l->weights : 0;
}

static double pb_cost(const struct prune_budget_layer *l, int lv)
{
	return lv ? l->drop[lv - 1] : 0;
}

/* Step 4 of the DOC. */
static void pb_greedy(struct pb_state *s, double budget)
{
	struct prune_budget_report *r = s->rep;
	double used = 0;
	size_t i;

	for (;;) {
		double best = -1, bc = 0;
		size_t bi = 0;
		int lv, bl = 0;

		for (i = 0; i < r->nlayers; i++) {
			const struct prune_budget_layer *l = &r->layers[i];

			for (lv = s->level[i] + 1;
			     l->prunable && lv <= (int)l->ncand; lv++) {
				double dc = pb_cost(l, lv) -
					    pb_cost(l, s->level[i]);
				double dg = pb_gain(l, lv) -
					    pb_gain(l, s->level[i]);
				double score = dg / (dc > 1e-9 ? dc : 1e-9);

				if (used + dc > budget + 1e-9 || dg <= 0)
					continue;
				if (score > best) {
					best = score;
					bi = i;
					bl = lv;
					bc = dc;
				}
			}
		}
		if (best < 0)
			return;
		used += bc;
		s->level[bi] = bl;
	}
}

/* Step 5: swap the chosen layers into @s->g, quantize, measure. */
static int pb_measure(struct pb_state *s, const float *calib, size_t ncalib,
		      const struct vis_quant_opts *qo, struct vis_error *err)
{
	struct prune_budget_report *r = s->rep;
	struct vis_qmodel *qm = NULL;
	double top1;
	size_t i;
	int ret;

	r->predicted = 0;
	for (i = 0; i < r->nlayers; i++) {
		struct prune_budget_layer *l = &r->layers[i];
		int lv = s->level[i];

		if (!l->prunable)
			continue;
		pb_take(s->g, lv ? s->pruned[lv - 1] : s->orig, l->node);
		l->sparsity = lv ? l->cand[lv - 1] : 0;
		l->predicted = pb_cost(l, lv);
		r->predicted += l->predicted;
	}
	ret = vis_quantize(s->g, calib, ncalib, qo, &qm, err);
	if (ret)
		return ret;
	top1 = prune_budget_top1(s->g, qm, s->eval, s->labels, s->neval,
				 s->nthreads);
	vis_qmodel_free(qm);
	if (top1 < 0)
		return vis_errorf(err, (int)-top1, "int8 evaluation failed");
	r->int8_top1 = top1;
	r->tries++;
	return 0;
}

/* Step 5's back-off: false when every layer is dense already. */
static bool pb_back_off(struct pb_state *s)
{
	struct prune_budget_report *r = s->rep;
	double worst = -1;
	size_t i, wi = 0;

	for (i = 0; i < r->nlayers; i++) {
		const struct prune_budget_layer *l = &r->layers[i];
		double per;

		if (!s->level[i])
			continue;
		/* Ties (free layers): the most sparse goes first. */
		per = pb_cost(l, s->level[i]) / pb_gain(l, s->level[i]) +
		      1e-12 * l->cand[s->level[i] - 1];
		if (per > worst) {
			worst = per;
			wi = i;
		}
	}
	if (worst < 0)
		return false;
	s->level[wi]--;
	return true;
}

/* The layer list and per-layer candidates; biases made explicit. */
static int pb_layers(struct pb_state *s, const float *calib, size_t ncalib,
		     const struct prune_budget_opts *o, struct vis_error *err)
{
	static const double cands[] = PRUNE_BUDGET_CANDIDATES;
	struct prune_budget_report *r = s->rep;
	struct vis_graph *g = s->orig;
	struct prune_graph_report pr = { 0 };
	struct prune_graph_opts po;
	size_t i, k;
	int ret;

	prune_graph_opts_init(&po);
	po.method = o->method;
	po.nthreads = o->nthreads;
	po.progress = o->progress;
	po.progress_ctx = o->progress_ctx;
	/* The first candidate's pruning says which layers are prunable. */
	po.sparsity = cands[0];
	s->pruned[0] = vis_graph_clone(g);
	if (!s->pruned[0])
		return vis_errorf(err, ENOMEM, "out of memory");
	ret = prune_graph(s->pruned[0], calib, ncalib, &po, &pr, err);
	if (ret)
		return ret;
	r->layers = calloc(pr.nlayers ? pr.nlayers : 1, sizeof(*r->layers));
	s->level = calloc(pr.nlayers ? pr.nlayers : 1, sizeof(*s->level));
	if (!r->layers || !s->level) {
		prune_graph_report_free(&pr);
		return vis_errorf(err, ENOMEM, "out of memory");
	}
	r->nlayers = pr.nlayers;
	for (i = 0; i < pr.nlayers; i++) {
		struct prune_budget_layer *l = &r->layers[i];

		l->name = strdup(pr.layers[i].name);
		l->node = pr.layers[i].node;
		l->weights = pr.layers[i].rows * pr.layers[i].cols;
		l->prunable = !pr.layers[i].skipped;
		r->all_weights += l->weights;
		if (!l->name) {
			ret = vis_errorf(err, ENOMEM, "out of memory");
			break;
		}
		if (!l->prunable)
			continue;
		r->prunable_weights += l->weights;
		if (o->method == PRUNE_GRAPH_NM) {
			l->ncand = 1;
			l->cand[0] = 1.0 - (double)po.nm_n / po.nm_m;
		} else {
			l->ncand = PRUNE_BUDGET_NCAND;
			for (k = 0; k < PRUNE_BUDGET_NCAND; k++)
				l->cand[k] = cands[k];
		}
		ret = pb_ensure_bias(s->orig, l->node);
		if (!ret)
			ret = pb_ensure_bias(s->g, l->node);
		if (ret) {
			vis_errorf(err, -ret, "out of memory");
			break;
		}
	}
	prune_graph_report_free(&pr);
	return ret;
}

/* Float top-1 drop with layer @l alone at candidate @k. */
static int pb_drop(struct pb_state *s, struct vis_graph *work,
		   struct prune_budget_layer *l, unsigned int k,
		   struct vis_error *err)
{
	double top1;

	pb_take(work, s->pruned[k], l->node);
	top1 = prune_budget_top1(work, NULL, s->eval, s->labels, s->neval,
				 s->nthreads);
	if (top1 < 0)
		return vis_errorf(err, (int)-top1, "float evaluation failed");
	l->drop[k] = fmax(0, s->rep->float_top1 - top1);
	return 0;
}

/* Steps 2 and 3 of the DOC. */
static int pb_sensitivity(struct pb_state *s, const float *calib, size_t ncalib,
			  const struct prune_budget_opts *o,
			  struct vis_error *err)
{
	struct prune_budget_report *r = s->rep;
	struct prune_graph_opts po;
	struct vis_graph *work;
	unsigned int k,
		ncand = o->method == PRUNE_GRAPH_NM ? 1 : PRUNE_BUDGET_NCAND;
	static const double cands[] = PRUNE_BUDGET_CANDIDATES;
	size_t i;
	int ret = 0;

	prune_graph_opts_init(&po);
	po.method = o->method;
	po.nthreads = o->nthreads;
	po.progress = o->progress;
	po.progress_ctx = o->progress_ctx;
	for (k = 1; k < ncand && !ret; k++) {
		po.sparsity = cands[k];
		s->pruned[k] = vis_graph_clone(s->orig);
		if (!s->pruned[k])
			return vis_errorf(err, ENOMEM, "out of memory");
		ret = prune_graph(s->pruned[k], calib, ncalib, &po, NULL, err);
	}
	if (ret)
		return ret;
	work = vis_graph_clone(s->orig);
	if (!work)
		return vis_errorf(err, ENOMEM, "out of memory");
	for (i = 0; i < r->nlayers && !ret; i++) {
		struct prune_budget_layer *l = &r->layers[i];

		if (!l->ncand)
			continue;
		/* The sparsest first: free there, free everywhere. */
		k = l->ncand - 1;
		ret = pb_drop(s, work, l, k, err);
		if (!ret && l->drop[k] == 0) {
			while (k--)
				l->drop[k] = 0;
			pb_take(work, s->orig, l->node);
			continue;
		}
		for (k = 0; k + 1 < l->ncand && !ret; k++) {
			ret = pb_drop(s, work, l, k, err);
			/* Sparser can only cost more: stop at the budget. */
			if (l->drop[k] > o->budget)
				l->ncand = k + 1;
		}
		pb_take(work, s->orig, l->node);
		if (o->progress)
			o->progress(o->progress_ctx, "sensitivity", i + 1,
				    r->nlayers);
	}
	vis_graph_destroy(work);
	return ret;
}

static int pb_check(const struct vis_graph *g, const float *calib,
		    size_t ncalib, const float *eval, const int32_t *labels,
		    size_t neval, const struct prune_budget_opts *o,
		    struct vis_error *err)
{
	int64_t classes;
	size_t i;

	if (!g || !o || g->ninputs != 1 || g->noutputs < 1)
		return vis_errorf(
			err, EINVAL,
			"the accuracy budget needs a one-input graph");
	if (!(o->budget >= 0) || !isfinite(o->budget))
		return vis_errorf(err, EINVAL,
				  "accuracy budget %g is not a number >= 0",
				  o->budget);
	if (o->method != PRUNE_GRAPH_MAGNITUDE &&
	    o->method != PRUNE_GRAPH_RECONSTRUCT && o->method != PRUNE_GRAPH_NM)
		return vis_errorf(err, EINVAL, "unknown pruning method");
	if (!calib || !ncalib)
		return vis_errorf(err, EINVAL,
				  "the accuracy budget needs calibration data");
	if (!eval || !labels || !neval)
		return vis_errorf(
			err, EINVAL,
			"the accuracy budget needs labelled evaluation images");
	classes = vis_tensor_numel(&g->tensors[g->outputs[0]]);
	for (i = 0; i < neval; i++)
		if (labels[i] < 0 || labels[i] >= classes)
			return vis_errorf(
				err, EINVAL,
				"evaluation label %d (image %zu) is not one of the model's %lld classes",
				labels[i], i, (long long)classes);
	return 0;
}

int prune_budget(struct vis_graph *g, const float *calib, size_t ncalib,
		 const float *eval, const int32_t *labels, size_t neval,
		 const struct prune_budget_opts *o,
		 struct prune_budget_report *rep, struct vis_error *err)
{
	struct prune_budget_report own = { 0 };
	struct vis_quant_opts qdef;
	const struct vis_quant_opts *qo;
	struct vis_error dummy;
	struct pb_state s = { 0 };
	size_t i, k;
	int ret;

	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	ret = pb_check(g, calib, ncalib, eval, labels, neval, o, err);
	if (ret)
		return ret;
	vis_quant_opts_init(&qdef);
	qo = o->quant ? o->quant : &qdef;
	if (!rep)
		rep = &own;
	memset(rep, 0, sizeof(*rep));
	rep->eval_count = neval;
	s.g = g;
	s.rep = rep;
	s.eval = eval;
	s.labels = labels;
	s.neval = neval;
	s.nthreads = o->nthreads;
	s.orig = vis_graph_clone(g);
	if (!s.orig) {
		ret = vis_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	rep->float_top1 =
		prune_budget_top1(g, NULL, eval, labels, neval, o->nthreads);
	if (rep->float_top1 < 0) {
		ret = vis_errorf(err, (int)-rep->float_top1,
				 "float evaluation failed");
		goto out;
	}
	ret = pb_layers(&s, calib, ncalib, o, err);
	if (!ret)
		ret = pb_sensitivity(&s, calib, ncalib, o, err);
	if (ret)
		goto out;
	pb_greedy(&s, o->budget);
	for (;;) {
		ret = pb_measure(&s, calib, ncalib, qo, err);
		if (ret)
			goto out;
		rep->met = rep->int8_top1 >= rep->float_top1 - o->budget;
		if (rep->met)
			break;
		if (rep->tries >= PRUNE_BUDGET_MAX_TRIES) {
			/* Last resort: all dense, measured as it is. */
			memset(s.level, 0, rep->nlayers * sizeof(*s.level));
		} else if (!pb_back_off(&s)) {
			break;
		}
		if (rep->tries > PRUNE_BUDGET_MAX_TRIES)
			break;
	}
	for (i = 0; i < rep->nlayers; i++) {
		struct prune_budget_layer *l = &rep->layers[i];
		const float *w = g->tensors[g->nodes[l->node].inputs[1]].data;
		size_t z = 0, z0 = 0;

		for (k = 0; k < l->weights; k++)
			z += w[k] == 0;
		w = s.orig->tensors[s.orig->nodes[l->node].inputs[1]].data;
		for (k = 0; k < l->weights; k++)
			z0 += w[k] == 0;
		l->zeros = z;
		rep->zeros += z;
		rep->pruned += z > z0 ? z - z0 : 0;
	}
out:
	for (k = 0; k < PRUNE_BUDGET_NCAND; k++)
		vis_graph_destroy(s.pruned[k]);
	vis_graph_destroy(s.orig);
	free(s.level);
	if (ret)
		prune_budget_report_free(rep);
	prune_budget_report_free(&own);
	return ret;
}

void prune_budget_report_free(struct prune_budget_report *rep)
{
	PRUNE_REPORT_FREE(rep);
}
