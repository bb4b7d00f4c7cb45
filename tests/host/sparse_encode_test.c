// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * BLOCK4 weights from the compiler (libvision/sparse_encode.c) and the
 * block pruning that makes them pay (prune_block_mask(), prune_graph()
 * with PRUNE_GRAPH_BLOCK4):
 *
 * - the encoder's output, read back by a decoder written here from the
 *   format's description (uapi/drm/vision_model.h), reproduces the dense
 *   int8 weights exactly, with the size the format implies for the
 *   non-zero blocks counted here;
 * - the block mask prunes whole blocks, the exact count, by the group OBS
 *   saliency recomputed here with a Gauss-Jordan inverse;
 * - models/fmnist_cnn.onnx pruned to 50% of its blocks: the pruned layers
 *   are written BLOCK4 (auto), the validator accepts the model, its
 *   weights decode to the dense model's, and every operator's output
 *   equals the dense model's byte for byte on random and real images;
 *   int8 top-1 against float and the engine's time dense vs BLOCK4 are
 *   printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_test_util.h"
#include "fmnist_eval.h"
#include "prune.h"
#include "prune_graph.h"
#include "quantize.h"
#include "sparse_encode.h"
#include "vis_engine.h"

#include "kselftest_harness.h"

/* models/metrics.json: fmnist_cnn's float top-1 on the 10,000 images. */
#define FMNIST_CNN_FLOAT_TOP1 92.76

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * Decode @size bytes of BLOCK4 into @rows x @k dense int8 @w, checking
 * every rule of the format. 0, or the number of the rule broken.
 */
static int decode(const uint8_t *enc, size_t size, size_t rows, size_t k,
		  int8_t *w)
{
	size_t kb = (k + 3) / 4, nb, r, j, i;
	const uint8_t *col, *val;

	if (size < (rows + 1) * 4)
		return 1;
	nb = get32(enc + rows * 4);
	if (get32(enc) != 0)
		return 2;
	if (size != (rows + 1) * 4 + nb * 4 + nb * 4)
		return 3;
	col = enc + (rows + 1) * 4;
	val = col + nb * 4;
	memset(w, 0, rows * k);
	for (r = 0; r < rows; r++) {
		uint32_t b = get32(enc + r * 4), e = get32(enc + (r + 1) * 4);

		if (e < b || e > nb)
			return 4;
		for (j = b; j < e; j++) {
			uint32_t c = get32(col + j * 4);

			if (c >= kb || (j > b && c <= get32(col + (j - 1) * 4)))
				return 5;
			for (i = 0; i < 4; i++) {
				int8_t v = (int8_t)val[j * 4 + i];

				if (c * 4 + i >= k) {
					if (v)
						return 6; /* padding lane */
					continue;
				}
				w[r * k + c * 4 + i] = v;
			}
		}
	}
	return 0;
}

/* Non-zero blocks of 4 along each row, counted plainly. */
static size_t count_blocks(const int8_t *w, size_t rows, size_t k)
{
	size_t r, j, n = 0;

	for (r = 0; r < rows; r++)
		for (j = 0; j < k; j += 4) {
			size_t i, nz = 0;

			for (i = j; i < j + 4 && i < k; i++)
				nz |= w[r * k + i] != 0;
			n += nz;
		}
	return n;
}

TEST(encode_then_decode_is_exact)
{
	static const size_t ks[] = { 1, 3, 4, 5, 9, 16, 37, 128, 289 };
	static const double dens[] = { 0, 0.1, 0.5, 0.9, 1 };
	size_t ki, di, rows, n = 0, nb;
	int trials = 0;

	rng_seed(7);
	for (ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++)
		for (di = 0; di < sizeof(dens) / sizeof(dens[0]); di++)
			for (rows = 1; rows <= 33; rows += 16) {
				size_t k = ks[ki], i;
				int8_t *w = malloc(rows * k),
				       *back = malloc(rows * k);
				uint8_t *enc;
				size_t sz;

				ASSERT_NE(NULL, w);
				ASSERT_NE(NULL, back);
				/* Whole blocks kept with probability dens. */
				for (i = 0; i < rows * k; i++) {
					if (i % k % 4 == 0)
						n = rnd_unit() < dens[di];
					w[i] = n ? (int8_t)rnd_range(-128,
								     127) :
						   0;
				}
				/* Some lone zeros inside kept blocks too. */
				for (i = 0; i < rows * k; i += 7)
					w[i] = 0;
				sz = vis_block4_size(w, rows, k, &nb);
				EXPECT_EQ(count_blocks(w, rows, k), nb);
				EXPECT_EQ((rows + 1) * 4 + 8 * nb, sz);
				enc = malloc(sz);
				ASSERT_NE(NULL, enc);
				ASSERT_EQ(0, vis_block4_encode(w, rows, k, enc,
							       sz));
				ASSERT_EQ(0, decode(enc, sz, rows, k, back));
				EXPECT_EQ(0, memcmp(w, back, rows * k));
				free(enc);
				free(w);
				free(back);
				trials++;
			}
	TH_LOG("%d matrices", trials);
}

TEST(encode_bad_arguments)
{
	int8_t w[8] = { 1, 0, 0, 0, 0, 0, 0, 2 };
	uint8_t out[64];
	size_t nb = 99;

	EXPECT_EQ(0, vis_block4_size(w, 0, 8, &nb));
	EXPECT_EQ(0, nb);
	EXPECT_EQ(0, vis_block4_size(w, 1, 0, NULL));
	EXPECT_EQ(4 * 2 + 8 * 2, vis_block4_size(w, 1, 8, NULL));
	/* The size must be exactly the encoding's. */
	EXPECT_EQ(-EINVAL, vis_block4_encode(w, 1, 8, out, 23));
	EXPECT_EQ(-EINVAL, vis_block4_encode(w, 1, 8, out, 25));
	EXPECT_EQ(-EINVAL, vis_block4_encode(NULL, 1, 8, out, 24));
	EXPECT_EQ(0, vis_block4_encode(w, 1, 8, out, 24));
	/* An all-zero matrix: row pointers only. */
	memset(w, 0, sizeof(w));
	EXPECT_EQ(4 * 3, vis_block4_size(w, 2, 4, &nb));
	EXPECT_EQ(0, nb);
}

/* Gauss-Jordan inverse of the n x n @a (n <= 8) into @inv. */
static int gj_inverse(const double *a, int n, double *inv)
{
	double m[8][16];
	int i, j, r, p;

	for (i = 0; i < n; i++)
		for (j = 0; j < 2 * n; j++)
			m[i][j] = j < n ? a[i * n + j] : (j - n == i);
	for (i = 0; i < n; i++) {
		p = i;
		for (r = i + 1; r < n; r++)
			if (fabs(m[r][i]) > fabs(m[p][i]))
				p = r;
		if (fabs(m[p][i]) < 1e-300)
			return -1;
		for (j = 0; j < 2 * n; j++) {
			double t = m[i][j];

			m[i][j] = m[p][j];
			m[p][j] = t;
		}
		for (r = 0; r < n; r++) {
			double f = m[r][i] / m[i][i];

			if (r == i)
				continue;
			for (j = 0; j < 2 * n; j++)
				m[r][j] -= f * m[i][j];
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			inv[i * n + j] = m[i][j + n] / m[i][i];
	return 0;
}

struct sal {
	double s;
	size_t idx;
};

static int sal_cmp(const void *pa, const void *pb)
{
	const struct sal *a = pa, *b = pb;

	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	return a->idx < b->idx ? -1 : 1;
}

TEST(block_mask_by_group_saliency)
{
	enum { ROWS = 6, K = 10, NX = 40, KB = 3 };
	double x[NX * K], h[K * K], hd[K * K], hinv[K * K], sub[16], si[16];
	float w[ROWS * K];
	uint8_t keep[ROWS * K], want[ROWS * KB];
	struct sal s[ROWS * KB];
	double lambda = 0, md = 0;
	size_t i, j, r, b, z;
	int n;

	rng_seed(11);
	/* Correlated inputs: saliency differs from plain block norms. */
	for (n = 0; n < NX; n++) {
		double common = rnd_unit() - 0.5;

		for (j = 0; j < K; j++)
			x[n * K + j] = (rnd_unit() - 0.5) + (j % 3) * common;
	}
	for (i = 0; i < K; i++)
		for (j = 0; j < K; j++) {
			h[i * K + j] = 0;
			for (n = 0; n < NX; n++)
				h[i * K + j] += x[n * K + i] * x[n * K + j];
		}
	for (i = 0; i < ROWS * K; i++)
		w[i] = (float)(rnd_unit() - 0.5);
	for (i = 0; i < K; i++)
		md += h[i * K + i] / K;
	lambda = PRUNE_PERCDAMP * md;
	memcpy(hd, h, sizeof(hd));
	for (i = 0; i < K; i++)
		hd[i * K + i] += lambda;
	/* (H + lambda I)^-1 by blocks of 5 would do; all of it here. */
	{
		double m[K][2 * K];
		size_t p, c;

		for (i = 0; i < K; i++)
			for (j = 0; j < 2 * K; j++)
				m[i][j] = j < K ? hd[i * K + j] : (j - K == i);
		for (i = 0; i < K; i++) {
			for (p = 0; p < K; p++) {
				double f;

				if (p == i)
					continue;
				f = m[p][i] / m[i][i];
				for (c = 0; c < 2 * K; c++)
					m[p][c] -= f * m[i][c];
			}
		}
		for (i = 0; i < K; i++)
			for (j = 0; j < K; j++)
				hinv[i * K + j] = m[i][j + K] / m[i][i];
	}
	for (b = 0; b < KB; b++) {
		size_t c0 = b * 4, m = K - c0 < 4 ? K - c0 : 4;

		for (i = 0; i < m; i++)
			for (j = 0; j < m; j++)
				sub[i * m + j] = hinv[(c0 + i) * K + c0 + j];
		ASSERT_EQ(0, gj_inverse(sub, (int)m, si));
		for (r = 0; r < ROWS; r++) {
			double v = 0;

			for (i = 0; i < m; i++)
				for (j = 0; j < m; j++)
					v += w[r * K + c0 + i] * si[i * m + j] *
					     w[r * K + c0 + j];
			s[r * KB + b].s = v;
			s[r * KB + b].idx = r * KB + b;
		}
	}
	qsort(s, ROWS * KB, sizeof(s[0]), sal_cmp);
	z = prune_target_zeros(0.5, ROWS * KB);
	memset(want, 1, sizeof(want));
	for (i = 0; i < z; i++)
		want[s[i].idx] = 0;
	ASSERT_EQ(0, prune_block_mask(w, ROWS, K, h, 4, 0.5, 0, 1, keep));
	for (r = 0; r < ROWS; r++)
		for (j = 0; j < K; j++)
			EXPECT_EQ(want[r * KB + j / 4], keep[r * K + j])
	TH_LOG("row %zu col %zu", r, j);
	/* Not just the smallest block norms (the test would be weaker). */
	{
		struct sal nrm[ROWS * KB];
		int differ = 0;

		for (i = 0; i < ROWS * KB; i++) {
			size_t rr = i / KB, c0 = i % KB * 4;

			nrm[i].s = 0;
			nrm[i].idx = i;
			for (j = c0; j < c0 + 4 && j < K; j++)
				nrm[i].s += w[rr * K + j] * w[rr * K + j];
		}
		qsort(nrm, ROWS * KB, sizeof(nrm[0]), sal_cmp);
		for (i = 0; i < z; i++)
			differ += want[nrm[i].idx] != 0;
		TH_LOG("%d of %zu pruned blocks differ from a norm ranking",
		       differ, z);
	}
	EXPECT_EQ(-EINVAL, prune_block_mask(w, ROWS, K, h, 0, 0.5, 0, 1, keep));
	EXPECT_EQ(-EINVAL, prune_block_mask(w, ROWS, K, h, 4, 1.5, 0, 1, keep));
	EXPECT_EQ(-EINVAL,
		  prune_block_mask(w, ROWS, K, NULL, 4, 0.5, 0, 1, keep));
}

/* Whether the two models' operators wrote the same bytes. */
static int outputs_equal(const struct q8_runner *a, const struct q8_runner *b)
{
	uint32_t i;

	for (i = 0; i < a->m.num_ops; i++) {
		const struct vision_model_tensor *ta =
			&a->m.tensors[a->m.ops[i].output];
		const struct vision_model_tensor *tb =
			&b->m.tensors[b->m.ops[i].output];

		if (ta->size != tb->size ||
		    memcmp(a->arena + ta->offset, b->arena + tb->offset,
			   ta->size))
			return 0;
	}
	return 1;
}

/* Seconds per frame of @r over @n frames of @pix (28x28 each). */
static double time_frames(struct q8_runner *r, const uint8_t *pix, size_t n)
{
	double t0 = fmnist_now();
	size_t i;

	for (i = 0; i < n; i++)
		if (q8_runner_frame(r, pix + (i % 64) * 784, 28, 28, 1))
			return -1;
	return (fmnist_now() - t0) / (double)n;
}

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

TEST_F_TIMEOUT(fmnist, fmnist_cnn_block4_pruned, 180)
{
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct vis_qmodel *qd = NULL, *qb = NULL;
	struct prune_graph_report rep = { 0 };
	struct prune_graph_opts po;
	struct vis_quant_opts o;
	struct q8_runner rd, rb;
	struct vis_image img = { 0 };
	struct vis_graph *g, *g0;
	size_t ncal = 0, n, i, nb4 = 0, same = 0, trials = 0;
	uint64_t st = 99;
	uint8_t *pix;
	int32_t *labels;
	float *cal, *x;
	double f0, q8, td, tb, t0;

	g = fmnist_load(FMNIST_CNN_ONNX, &err);
	g0 = fmnist_load(FMNIST_CNN_ONNX, &err);
	ASSERT_NE(NULL, g) TH_LOG("%s", err.msg);
	ASSERT_NE(NULL, g0);
	/* Under the sanitizers, fewer images keep it within its time. */
	cal = fmnist_calib_set(SANITIZED ? 100 : 500, &ncal, &err);
	ASSERT_NE(NULL, cal) TH_LOG("%s", err.msg);
	prune_graph_opts_init(&po);
	po.method = PRUNE_GRAPH_BLOCK4;
	po.sparsity = 0.5;
	po.nthreads = 2;
	t0 = fmnist_now();
	ASSERT_EQ(0, prune_graph(g, cal, ncal, &po, &rep, &err))
	TH_LOG("%s", err.msg);
	TH_LOG("pruned in %.1f s", fmnist_now() - t0);
	for (i = 0; i < rep.nlayers; i++)
		TH_LOG("  %-32s %zu x %zu: %zu zeros%s", rep.layers[i].name,
		       rep.layers[i].rows, rep.layers[i].cols,
		       rep.layers[i].zeros,
		       rep.layers[i].skipped ? " (kept dense)" : "");

	vis_quant_opts_init(&o);
	o.nthreads = 2;
	o.weights_encoding = VIS_WENC_DENSE;
	ASSERT_EQ(0, vis_quantize(g, cal, ncal, &o, &qd, &err))
	TH_LOG("%s", err.msg);
	o.weights_encoding = VIS_WENC_AUTO;
	ASSERT_EQ(0, vis_quantize(g, cal, ncal, &o, &qb, &err))
	TH_LOG("%s", err.msg);
	/* The validator accepts both (q8_runner_init validates). */
	ASSERT_EQ(0, q8_runner_init(&rd, qd));
	ASSERT_EQ(0, q8_runner_init(&rb, qb));
	ASSERT_EQ(qd->nlayers, qb->nlayers);
	ASSERT_EQ(rd.m.num_ops, rb.m.num_ops);
	for (i = 0; i < qb->nlayers; i++) {
		const struct vis_qlayer *l = &qb->layers[i];
		const struct vision_model_op *op = &rb.m.ops[i];
		const struct vision_model_tensor *w, *wd;
		size_t rows, k;
		int8_t *back;

		if (!l->dense_bytes)
			continue;
		w = &rb.m.tensors[op->inputs[1]];
		wd = &rd.m.tensors[rd.m.ops[i].inputs[1]];
		rows = w->shape[0];
		k = (size_t)w->shape[1] * w->shape[2] * w->shape[3];
		EXPECT_EQ(rows * k, l->dense_bytes);
		EXPECT_EQ(w->size, l->enc_bytes);
		EXPECT_EQ(l->encoding, w->encoding);
		EXPECT_EQ(VISION_MODEL_ENC_DENSE, wd->encoding);
		TH_LOG("  %-32s %s %llu -> %llu bytes", l->name,
		       l->encoding ? "BLOCK4" : "dense",
		       (unsigned long long)l->dense_bytes,
		       (unsigned long long)l->enc_bytes);
		if (w->encoding != VISION_MODEL_ENC_BLOCK4) {
			/* Only the unpruned first layer (K = 9) stays dense. */
			EXPECT_LT(k, PRUNE_GRAPH_MIN_K);
			continue;
		}
		nb4++;
		back = malloc(rows * k);
		ASSERT_NE(NULL, back);
		ASSERT_EQ(0, decode(rb.m.consts + w->offset, w->size, rows, k,
				    back));
		EXPECT_EQ(0, memcmp(back, rd.m.consts + wd->offset, rows * k));
		/* Half the blocks, so the values and columns match dense. */
		EXPECT_LE(w->size - (rows + 1) * 4, rows * ((k + 3) / 4 * 4));
		free(back);
	}
	EXPECT_EQ(3, nb4);

	/* Every operator's output, byte for byte: random frames first. */
	pix = malloc(64 * 784);
	ASSERT_NE(NULL, pix);
	for (i = 0; i < 64 * 784; i++)
		pix[i] = (uint8_t)((xorshift_unit(&st) + 1) * 127.99);
	for (i = 0; i < 64; i++, trials++) {
		ASSERT_EQ(0, q8_runner_frame(&rd, pix + i * 784, 28, 28, 1));
		ASSERT_EQ(0, q8_runner_frame(&rb, pix + i * 784, 28, 28, 1));
		same += outputs_equal(&rd, &rb);
	}

	ASSERT_EQ(0, fmnist_test_set(SANITIZED ? 300 : SIZE_MAX, &ds, &x,
				     &labels, &n, &err))
	TH_LOG("%s", err.msg);
	for (i = 0; i < (SANITIZED ? 50 : 200); i++, trials++) {
		ASSERT_EQ(0, vis_dataset_read(ds, i, &img, NULL));
		ASSERT_EQ(0, q8_runner_frame(&rd, img.pixels, 28, 28, 1));
		ASSERT_EQ(0, q8_runner_frame(&rb, img.pixels, 28, 28, 1));
		same += outputs_equal(&rd, &rb);
	}
	vis_image_release(&img);
	EXPECT_EQ(trials, same);

	/* Accuracy and timing, reported. */
	/*
	 * The float model's top-1 on all 10,000 is the trainer's figure
	 * (models/metrics.json, checked by quantize_test); the interpreter
	 * is too slow to run it again here within the time limit.
	 */
	f0 = n == 10000 ? FMNIST_CNN_FLOAT_TOP1 :
			  fmnist_top1(g0, NULL, ds, x, labels, n);
	q8 = fmnist_top1(NULL, qb, ds, NULL, labels, n);
	TH_LOG("fmnist_cnn on %zu test images: float %.2f%%, block4 50%% + int8 (BLOCK4) %.2f%% (%+.2f points)",
	       n, f0, q8, q8 - f0);
	TH_LOG("model bytes: dense %zu, BLOCK4 %zu; weights %llu -> %llu",
	       qd->size, qb->size, (unsigned long long)qd->weight_bytes,
	       (unsigned long long)qb->weight_bytes);
	EXPECT_GT(q8, 0);
	/* Loose: block pruning is coarser than unstructured. */
	EXPECT_LE(f0 - q8, SANITIZED ? 6.0 : 3.0);
	td = time_frames(&rd, pix, SANITIZED ? 64 : 2000);
	tb = time_frames(&rb, pix, SANITIZED ? 64 : 2000);
	TH_LOG("engine, one thread: dense %.1f us/frame, BLOCK4 %.1f us/frame (%.2fx)",
	       td * 1e6, tb * 1e6, td / tb);

	free(pix);
	free(x);
	free(labels);
	q8_runner_fini(&rd);
	q8_runner_fini(&rb);
	vis_qmodel_free(qd);
	vis_qmodel_free(qb);
	prune_graph_report_free(&rep);
	vis_dataset_free(ds);
	free(cal);
	vis_graph_destroy(g);
	vis_graph_destroy(g0);
}

TEST_HARNESS_MAIN
