// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-compile: ONNX float model + calibration images -> int8 .vnm
 * model for the vision NPU, with a per-layer report of what
 * quantization cost (SQNR and cosine similarity against the float model).
 * With --prune, the float model is first pruned one-shot on the same
 * calibration images (prune_graph.h) and the report lists each layer's
 * sparsity and relative output error. With --accuracy-budget, the
 * per-layer sparsities are searched for instead (prune_budget.h) on the
 * labelled --eval images, and the report lists the choice and the float
 * and int8 top-1 it measured. With --eval (budget or not), the report
 * gives the top-1 on those images of the float graph, of the pruned float
 * graph when pruned and of the int8 model written. Long steps draw a
 * progress bar on stderr when it is a terminal (progress.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "graph_passes.h"
#include "onnx_import.h"
#include "prune_budget.h"
#include "progress.h"
#include "prune_graph.h"
#include "quantize.h"

/* Exit codes: distinct per failure class so scripts can tell them apart. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_MODEL = 3, /* unreadable or malformed ONNX */
	EXIT_UNSUPPORTED = 4, /* an operator the engine cannot run */
	EXIT_CALIB = 5, /* unreadable calibration data */
	EXIT_CALIB_EMPTY = 6, /* no calibration images */
	EXIT_CALIB_SIZE = 7, /* an image of the wrong size */
	EXIT_OUTPUT = 8, /* writing the model or report failed */
};

/* Calibration inputs the per-layer comparison runs. */
#define COMPARE_SAMPLES 8
/* Evaluation runs in this many pieces at least, for the progress bar. */
#define EVAL_PIECES 20
#define EVAL_PIECE_MIN 64

struct args {
	const char *model;
	const char *out;
	const char *calib;
	const char *labels;
	const char *report;
	size_t count;
	struct vis_quant_opts q;
	struct prune_graph_opts prune;
	bool do_prune;
	double budget; /* < 0: no accuracy budget */
	const char *eval;
	const char *eval_labels;
	size_t eval_count;
	int quiet;
};

/**
 * struct eval_top1 - top-1 on the --eval images, percent
 * @images: how many
 * @float_top1: the float graph as imported
 * @pruned_top1: the pruned float graph (NAN when not pruned)
 * @int8_top1: the int8 model written
 */
struct eval_top1 {
	size_t images;
	double float_top1;
	double pruned_top1;
	double int8_top1;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s MODEL.onnx -o MODEL.vnm --calib DIR|IDX [options]\n"
		"\n"
		"  -o, --output FILE          the int8 model to write\n"
		"  -c, --calib DIR|IDX        calibration images (PNG/JPEG folder or IDX)\n"
		"  -n, --calib-count N        images to calibrate on (default 500)\n"
		"  -m, --calib-method M       minmax|percentile|mse|kl (default percentile)\n"
		"  -p, --percentile P         for percentile (default 99.99)\n"
		"  -l, --labels FILE          class labels, one per line\n"
		"      --prune SPARSITY       prune each conv/FC layer to this fraction\n"
		"                             of zero weights, in (0, 1), before quantizing\n"
		"      --prune-method M       reconstruct|magnitude|2:4 (default\n"
		"                             reconstruct; 2:4 needs no SPARSITY)\n"
		"                             or block4: whole blocks of 4 along K, which\n"
		"                             the BLOCK4 encoding then skips, or channel:\n"
		"                             that fraction of whole filters removed\n"
		"      --block-rows N         block4: prune the same blocks in every row\n"
		"                             of each aligned group of N output channels,\n"
		"                             a power of two up to 64 (default 1: each row\n"
		"                             its own; 64: the blocks the engine skips)\n"
		"      --weights-encoding E   auto|dense|block4: how conv/FC weights are\n"
		"                             stored (default auto: BLOCK4 when at least\n"
		"                             half their blocks of 4 are zero)\n"
		"      --no-bias-correction   keep the biases as they are (by default each\n"
		"                             is corrected for its weights' rounding)\n"
		"      --input-format F       rgb|bgr|grey: the channel order the model\n"
		"                             was trained on (default: grey for one\n"
		"                             channel, rgb for three)\n"
		"      --accuracy-budget PCT  choose per-layer sparsities costing at most\n"
		"                             PCT points of int8 top-1 against float on\n"
		"                             the --eval images (with --prune-method)\n"
		"      --eval IDX|DIR         labelled images: the report gives float,\n"
		"                             pruned and int8 top-1 on them (and\n"
		"                             --accuracy-budget searches with them)\n"
		"      --eval-labels FILE     their labels (IDX or text; a folder of\n"
		"                             class subfolders needs none)\n"
		"      --eval-count N         use the first N (default 2000)\n"
		"      --mean M[,M,M]         preprocessing mean (x = (p/255 - mean) / std)\n"
		"      --std S[,S,S]          preprocessing standard deviation\n"
		"  -r, --report FILE          write the report as JSON\n"
		"  -q, --quiet                no table, no progress bar\n"
		"  -h, --help                 this text\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 usage, 3 bad model, 4 unsupported\n"
		"operator, 5 unreadable calibration data, 6 empty calibration set,\n"
		"7 calibration image of the wrong size, 8 output not written;\n"
		"5, 6 and 7 also for the --eval images and labels.\n",
		prog);
}

static int parse_floats(const char *s, float v[3])
{
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtof(s, &end);
		if (end == s || errno || !isfinite(v[i]))
			return -EINVAL;
		if (!*end && i == 0) {
			/* One value: every channel. */
			v[1] = v[2] = v[0];
			return 0;
		}
		if (!*end && i == 2)
			return 0;
		if (*end != ',' || i == 2)
			return -EINVAL;
		s = end + 1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "calib", required_argument, NULL, 'c' },
		{ "calib-count", required_argument, NULL, 'n' },
		{ "calib-method", required_argument, NULL, 'm' },
		{ "percentile", required_argument, NULL, 'p' },
		{ "labels", required_argument, NULL, 'l' },
		{ "mean", required_argument, NULL, 'M' },
		{ "std", required_argument, NULL, 'S' },
		{ "report", required_argument, NULL, 'r' },
		{ "prune", required_argument, NULL, 'P' },
		{ "prune-method", required_argument, NULL, 'X' },
		{ "block-rows", required_argument, NULL, 'R' },
		{ "accuracy-budget", required_argument, NULL, 'B' },
		{ "eval", required_argument, NULL, 'E' },
		{ "eval-labels", required_argument, NULL, 'L' },
		{ "eval-count", required_argument, NULL, 'N' },
		{ "weights-encoding", required_argument, NULL, 'W' },
		{ "input-format", required_argument, NULL, 'F' },
		{ "no-bias-correction", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool has_method = false, has_block_rows = false;
	unsigned long ul;
	struct stat st;
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->count = 500;
	a->budget = -1;
	a->eval_count = 2000;
	vis_quant_opts_init(&a->q);
	prune_graph_opts_init(&a->prune);
	while ((c = getopt_long(argc, argv, "o:c:n:m:p:l:r:qh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'c':
			a->calib = optarg;
			break;
		case 'n':
			errno = 0;
			a->count = strtoul(optarg, &end, 10);
			if (*end || errno || !a->count || optarg[0] == '-') {
				fprintf(stderr,
					"vision-compile: --calib-count: '%s' is not a positive number\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "minmax"))
				a->q.calib.method = CALIB_MINMAX;
			else if (!strcmp(optarg, "percentile"))
				a->q.calib.method = CALIB_PERCENTILE;
			else if (!strcmp(optarg, "mse"))
				a->q.calib.method = CALIB_MSE;
			else if (!strcmp(optarg, "kl"))
				a->q.calib.method = CALIB_KL;
			else {
				fprintf(stderr,
					"vision-compile: --calib-method: '%s' is not minmax, percentile, mse or kl\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			errno = 0;
			a->q.calib.percentile = strtod(optarg, &end);
			if (*end || errno || !(a->q.calib.percentile > 50) ||
			    a->q.calib.percentile > 100) {
				fprintf(stderr,
					"vision-compile: --percentile: '%s' is not in (50, 100]\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			a->labels = optarg;
			break;
		case 'M':
		case 'S':
			if (parse_floats(optarg,
					 c == 'M' ? a->q.mean : a->q.std)) {
				fprintf(stderr,
					"vision-compile: --%s: '%s' is not 1 or 3 numbers\n",
					c == 'M' ? "mean" : "std", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			a->report = optarg;
			break;
		case 'P':
			errno = 0;
			a->prune.sparsity = strtod(optarg, &end);
			if (*end || errno || end == optarg ||
			    !(a->prune.sparsity > 0 && a->prune.sparsity < 1)) {
				fprintf(stderr,
					"vision-compile: --prune: '%s' is not in (0, 1)\n",
					optarg);
				return EXIT_USAGE;
			}
			a->do_prune = true;
			break;
		case 'X':
			if (!strcmp(optarg, "reconstruct"))
				a->prune.method = PRUNE_GRAPH_RECONSTRUCT;
			else if (!strcmp(optarg, "magnitude"))
				a->prune.method = PRUNE_GRAPH_MAGNITUDE;
			else if (!strcmp(optarg, "2:4"))
				a->prune.method = PRUNE_GRAPH_NM;
			else if (!strcmp(optarg, "block4"))
				a->prune.method = PRUNE_GRAPH_BLOCK4;
			else if (!strcmp(optarg, "channel"))
				a->prune.method = PRUNE_GRAPH_CHANNEL;
			else {
				fprintf(stderr,
					"vision-compile: --prune-method: '%s' is not reconstruct, magnitude, 2:4, block4 or channel\n",
					optarg);
				return EXIT_USAGE;
			}
			has_method = true;
			break;
		case 'R':
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (*end || errno || end == optarg ||
			    optarg[0] == '-' || !ul ||
			    ul > PRUNE_GRAPH_MAX_BLOCK_ROWS ||
			    (ul & (ul - 1))) {
				fprintf(stderr,
					"vision-compile: --block-rows: '%s' is not a power of two from 1 to %d\n",
					optarg, PRUNE_GRAPH_MAX_BLOCK_ROWS);
				return EXIT_USAGE;
			}
			a->prune.block_rows = (unsigned int)ul;
			has_block_rows = true;
			break;
		case 'B':
			errno = 0;
			a->budget = strtod(optarg, &end);
			if (*end || errno || end == optarg ||
			    !(a->budget >= 0 && a->budget <= 100)) {
				fprintf(stderr,
					"vision-compile: --accuracy-budget: '%s' is not a number of points in [0, 100]\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'E':
			a->eval = optarg;
			break;
		case 'L':
			a->eval_labels = optarg;
			break;
		case 'N':
			errno = 0;
			a->eval_count = strtoul(optarg, &end, 10);
			if (*end || errno || !a->eval_count ||
			    optarg[0] == '-') {
				fprintf(stderr,
					"vision-compile: --eval-count: '%s' is not a positive number\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'W':
			if (!strcmp(optarg, "auto"))
				a->q.weights_encoding = VIS_WENC_AUTO;
			else if (!strcmp(optarg, "dense"))
				a->q.weights_encoding = VIS_WENC_DENSE;
			else if (!strcmp(optarg, "block4"))
				a->q.weights_encoding = VIS_WENC_BLOCK4;
			else {
				fprintf(stderr,
					"vision-compile: --weights-encoding: '%s' is not auto, dense or block4\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			a->q.no_bias_correction = true;
			break;
		case 'F':
			if (!strcmp(optarg, "rgb"))
				a->q.input_color = VISION_MODEL_COLOR_RGB;
			else if (!strcmp(optarg, "bgr"))
				a->q.input_color = VISION_MODEL_COLOR_BGR;
			else if (!strcmp(optarg, "grey") ||
				 !strcmp(optarg, "gray"))
				a->q.input_color = VISION_MODEL_COLOR_GREY;
			else {
				fprintf(stderr,
					"vision-compile: --input-format: '%s' is not rgb, bgr or grey\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(EXIT_OK);
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !a->out || !a->calib) {
		fprintf(stderr, "vision-compile: %s\n",
			optind > argc - 1 ? "no model given" :
			optind < argc - 1 ? "more than one model given" :
			!a->out		  ? "no output (-o) given" :
				  "no calibration data (--calib) given");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	for (c = 0; c < 3; c++) {
		if (a->q.std[c] == 0) {
			fprintf(stderr,
				"vision-compile: --std must not be 0\n");
			return EXIT_USAGE;
		}
	}
	if (a->budget >= 0 &&
	    (a->do_prune && a->prune.method != PRUNE_GRAPH_NM)) {
		fprintf(stderr,
			"vision-compile: --accuracy-budget chooses the sparsity: no --prune\n");
		return EXIT_USAGE;
	}
	if (a->budget >= 0 && a->prune.method == PRUNE_GRAPH_CHANNEL) {
		fprintf(stderr,
			"vision-compile: --accuracy-budget does not search channel pruning\n");
		return EXIT_USAGE;
	}
	if (a->budget >= 0 && a->prune.method == PRUNE_GRAPH_BLOCK4) {
		fprintf(stderr,
			"vision-compile: --accuracy-budget does not search block4 pruning; use --prune with it\n");
		return EXIT_USAGE;
	}
	if (has_block_rows && a->prune.method != PRUNE_GRAPH_BLOCK4) {
		fprintf(stderr,
			"vision-compile: --block-rows needs --prune-method block4\n");
		return EXIT_USAGE;
	}
	if (a->budget >= 0 && !a->eval) {
		fprintf(stderr,
			"vision-compile: --accuracy-budget needs --eval IMAGES (and --eval-labels LABELS)\n");
		return EXIT_USAGE;
	}
	if (a->eval_labels && !a->eval) {
		fprintf(stderr,
			"vision-compile: --eval-labels needs --eval IMAGES\n");
		return EXIT_USAGE;
	}
	/* A folder may be labelled by its class subfolders instead. */
	if (a->eval && !a->eval_labels &&
	    (stat(a->eval, &st) || !S_ISDIR(st.st_mode))) {
		fprintf(stderr,
			"vision-compile: --eval needs --eval-labels LABELS (or a folder of class subfolders)\n");
		return EXIT_USAGE;
	}
	if (a->budget >= 0)
		a->do_prune = false;
	else if (has_method && a->prune.method == PRUNE_GRAPH_NM)
		a->do_prune = true;
	else if (has_method && !a->do_prune) {
		fprintf(stderr,
			"vision-compile: --prune-method needs --prune SPARSITY\n");
		return EXIT_USAGE;
	}
	a->model = argv[optind];
	return EXIT_OK;
}

/* One label per line; trailing CR/LF dropped, empty lines kept. */
static int read_labels(const char *path, char ***labels, uint32_t *n)
{
	FILE *f = fopen(path, "r");
	char line[1024], **l = NULL, **nl;
	uint32_t cnt = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		nl = realloc(l, (cnt + 1) * sizeof(*l));
		if (!nl)
			goto nomem;
		l = nl;
		l[cnt] = strdup(line);
		if (!l[cnt])
			goto nomem;
		cnt++;
	}
	fclose(f);
	/* A trailing empty line is the file's last newline's doing. */
	while (cnt && !l[cnt - 1][0])
		free(l[--cnt]);
	*labels = l;
	*n = cnt;
	return 0;
nomem:
	fclose(f);
	while (cnt)
		free(l[--cnt]);
	free(l);
	return -ENOMEM;
}

static double json_num(double v)
{
	return isfinite(v) ? v : 999.0;
}

static const char *const prune_methods[] = {
	[PRUNE_GRAPH_MAGNITUDE] = "magnitude",
	[PRUNE_GRAPH_RECONSTRUCT] = "reconstruct",
	[PRUNE_GRAPH_NM] = "2:4",
	[PRUNE_GRAPH_CHANNEL] = "channel",
	[PRUNE_GRAPH_BLOCK4] = "block4",
};
static const char *const wsrc_names[] = {
	[VIS_WSRC_NONE] = "none",
	[VIS_WSRC_CALIBRATED] = "calibrated",
	[VIS_WSRC_GIVEN] = "given",
	[VIS_WSRC_REQUANTIZED] = "requantized",
};

/* Per weighted layer: the encoding chosen, weight bytes dense and written. */
static void print_weights(FILE *f, const struct vis_qmodel *qm)
{
	uint64_t dense = 0, enc = 0;
	uint32_t i, nb4 = 0;

	fprintf(f, "%-24s %-8s %11s %11s %7s %10s %s\n", "weights of",
		"encoding", "dense B", "written B", "ratio", "bias shift",
		"source");
	for (i = 0; i < qm->nlayers; i++) {
		const struct vis_qlayer *l = &qm->layers[i];

		if (!l->dense_bytes)
			continue;
		dense += l->dense_bytes;
		enc += l->enc_bytes;
		nb4 += l->encoding == VISION_MODEL_ENC_BLOCK4;
		fprintf(f,
			"%-24.24s %-8s %11" PRIu64 " %11" PRIu64
			" %6.1f%% %10.3f %s\n",
			l->name,
			l->encoding == VISION_MODEL_ENC_BLOCK4 ? "block4" :
								 "dense",
			l->dense_bytes, l->enc_bytes,
			100.0 * (double)l->enc_bytes / (double)l->dense_bytes,
			l->bias_shift, wsrc_names[l->wsrc]);
	}
	fprintf(f,
		"weights: %" PRIu64 " bytes dense -> %" PRIu64
		" written (%u layers BLOCK4)\n",
		dense, enc, nb4);
}

/* Per pruned layer: weights (float32 bytes) before, non-zero after. */
static void print_prune(FILE *f, const struct prune_graph_report *pr, int json,
			const struct args *a)
{
	char rows[48] = "";
	size_t i;

	if (a->prune.block_rows > 1)
		snprintf(rows, sizeof(rows), ", blocks shared by %u rows",
			 a->prune.block_rows);
	if (json) {
		fprintf(f,
			"  \"pruning\": {\"method\": \"%s\", \"sparsity\": %.4f"
			", \"block_rows\": %u"
			", \"weights\": %" PRIu64 ", \"zeros\": %" PRIu64
			", \"layers\": [\n",
			prune_methods[a->prune.method],
			a->prune.method == PRUNE_GRAPH_NM ? 0.5 :
							    a->prune.sparsity,
			a->prune.block_rows ? a->prune.block_rows : 1,
			pr->weights, pr->zeros);
		for (i = 0; i < pr->nlayers; i++) {
			const struct prune_graph_layer *l = &pr->layers[i];

			fprintf(f,
				"    {\"name\": \"%s\", \"weights\": %zu"
				", \"zeros\": %zu, \"skipped\": %s"
				", \"rel_err\": %.6f}%s\n",
				l->name, l->rows * l->cols, l->zeros,
				l->skipped ? "true" : "false", l->rel_err,
				i + 1 < pr->nlayers ? "," : "");
		}
		fprintf(f, "  ]},\n");
		return;
	}
	fprintf(f, "%-32s %9s %9s %9s %8s %8s\n", "pruned layer", "weights",
		"bytes", "non-zero", "sparsity", "rel err");
	for (i = 0; i < pr->nlayers; i++) {
		const struct prune_graph_layer *l = &pr->layers[i];
		size_t w = l->rows * l->cols;

		fprintf(f, "%-32.32s %9zu %9zu %9zu %7.1f%% %8.4f%s\n", l->name,
			w, w * sizeof(float), w - l->zeros,
			w ? 100.0 * l->zeros / w : 0.0, l->rel_err,
			l->skipped ? " (kept dense)" : "");
	}
	fprintf(f,
		"pruning (%s%s): %" PRIu64 " conv/FC weights (%" PRIu64
		" float32 bytes) -> %" PRIu64 " non-zero (%" PRIu64
		" bytes of values), %.1f%% sparse\n",
		prune_methods[a->prune.method], rows, pr->weights,
		pr->weights * (uint64_t)sizeof(float), pr->weights - pr->zeros,
		(pr->weights - pr->zeros) * (uint64_t)sizeof(float),
		pr->weights ? 100.0 * (double)pr->zeros / (double)pr->weights :
			      0.0);
}

/* The accuracy-budget search: per layer its choice, then the totals. */
static void print_budget(FILE *f, const struct prune_budget_report *br,
			 int json, const struct args *a)
{
	double sp = br->prunable_weights ?
			    (double)br->pruned / br->prunable_weights :
			    0.0;
	double sa = br->all_weights ? (double)br->pruned / br->all_weights :
				      0.0;
	size_t i;

	if (json) {
		fprintf(f,
			"  \"accuracy_budget\": {\"budget\": %.4f, \"method\": \"%s\""
			", \"eval_images\": %zu, \"float_top1\": %.4f"
			", \"int8_top1\": %.4f, \"met\": %s"
			", \"predicted_drop\": %.4f, \"int8_tries\": %u"
			", \"prunable_weights\": %" PRIu64
			", \"all_weights\": %" PRIu64 ", \"pruned\": %" PRIu64
			", \"sparsity_prunable\": %.4f, \"sparsity_all\": %.4f"
			", \"layers\": [\n",
			a->budget, prune_methods[a->prune.method],
			br->eval_count, br->float_top1, br->int8_top1,
			br->met ? "true" : "false", br->predicted, br->tries,
			br->prunable_weights, br->all_weights, br->pruned, sp,
			sa);
		for (i = 0; i < br->nlayers; i++) {
			const struct prune_budget_layer *l = &br->layers[i];

			fprintf(f,
				"    {\"name\": \"%s\", \"weights\": %zu"
				", \"prunable\": %s, \"sparsity\": %.4f"
				", \"zeros\": %zu, \"predicted_drop\": %.4f}%s\n",
				l->name, l->weights,
				l->prunable ? "true" : "false", l->sparsity,
				l->zeros, l->predicted,
				i + 1 < br->nlayers ? "," : "");
		}
		fprintf(f, "  ]},\n");
		return;
	}
	fprintf(f, "%-32s %9s %9s %9s %10s\n", "budget layer", "weights",
		"sparsity", "zeros", "pred drop");
	for (i = 0; i < br->nlayers; i++) {
		const struct prune_budget_layer *l = &br->layers[i];

		fprintf(f, "%-32.32s %9zu %8.1f%% %9zu %10.2f%s\n", l->name,
			l->weights, 100 * l->sparsity, l->zeros, l->predicted,
			l->prunable ? "" : " (kept dense)");
	}
	fprintf(f,
		"accuracy budget %.2f points (%s, %zu eval images): %" PRIu64
		" of %" PRIu64
		" prunable weights pruned (%.1f%%; %.1f%% of all %" PRIu64
		"); top-1 float %.2f%%, int8 %.2f%% (%+.2f; predicted drop %.2f)%s\n",
		a->budget, prune_methods[a->prune.method], br->eval_count,
		br->pruned, br->prunable_weights, 100 * sp, 100 * sa,
		br->all_weights, br->float_top1, br->int8_top1,
		br->int8_top1 - br->float_top1, br->predicted,
		br->met ? "" : " -- BUDGET NOT MET");
}

/* Top-1 on the --eval images: float, pruned float, int8. */
static void print_eval(FILE *f, const struct eval_top1 *ev, int json)
{
	bool pruned = !isnan(ev->pruned_top1);

	if (json) {
		fprintf(f, "  \"eval\": {\"images\": %zu, \"float_top1\": %.4f",
			ev->images, ev->float_top1);
		if (pruned)
			fprintf(f, ", \"pruned_top1\": %.4f", ev->pruned_top1);
		else
			fprintf(f, ", \"pruned_top1\": null");
		fprintf(f, ", \"int8_top1\": %.4f},\n", ev->int8_top1);
		return;
	}
	fprintf(f, "top-1 on %zu eval images: float %.2f%%", ev->images,
		ev->float_top1);
	if (pruned)
		fprintf(f, ", pruned float %.2f%% (%+.2f)", ev->pruned_top1,
			ev->pruned_top1 - ev->float_top1);
	fprintf(f, ", int8 %.2f%% (%+.2f)\n", ev->int8_top1,
		ev->int8_top1 - ev->float_top1);
}

static void print_report(FILE *f, const struct vis_qmodel *qm, int json,
			 const struct args *a, size_t ncalib,
			 const struct prune_graph_report *pr,
			 const struct prune_budget_report *br,
			 const struct eval_top1 *ev)
{
	static const char *const methods[] = { "minmax", "percentile", "mse",
					       "kl" };
	uint32_t i;

	if (json) {
		fprintf(f,
			"{\n  \"model\": \"%s\",\n  \"output\": \"%s\",\n"
			"  \"calib_method\": \"%s\",\n  \"calib_images\": %zu,\n"
			"  \"model_bytes\": %zu,\n  \"macs\": %" PRIu64 ",\n"
			"  \"weight_bytes\": %" PRIu64 ",\n"
			"  \"arena_planned\": %" PRIu64 ",\n"
			"  \"arena_naive\": %" PRIu64 ",\n"
			"  \"bias_correction\": %s,\n"
			"  \"weights_encoding\": \"%s\",\n",
			a->model, a->out, methods[a->q.calib.method], ncalib,
			qm->size, qm->macs, qm->weight_bytes, qm->arena_planned,
			qm->arena_naive,
			a->q.no_bias_correction ? "false" : "true",
			a->q.weights_encoding == VIS_WENC_DENSE	 ? "dense" :
			a->q.weights_encoding == VIS_WENC_BLOCK4 ? "block4" :
								   "auto");
		if (pr)
			print_prune(f, pr, 1, a);
		if (br)
			print_budget(f, br, 1, a);
		if (ev)
			print_eval(f, ev, 1);
		fprintf(f, "  \"layers\": [\n");
		for (i = 0; i < qm->nlayers; i++) {
			const struct vis_qlayer *l = &qm->layers[i];

			fprintf(f,
				"    {\"name\": \"%s\", \"op\": \"%s\", \"macs\": %" PRIu64
				", \"weight_bytes\": %" PRIu64
				", \"scale\": %.9g, \"zero_point\": %d"
				", \"sqnr_db\": %.3f, \"cosine\": %.6f"
				", \"encoding\": \"%s\", \"weights_dense_bytes\": %" PRIu64
				", \"weights_written_bytes\": %" PRIu64
				", \"weights_source\": \"%s\", \"bias_shift\": %.4f}%s\n",
				l->name, l->op, l->macs, l->weight_bytes,
				l->scale, l->zero_point, json_num(l->sqnr_db),
				json_num(l->cosine),
				!l->dense_bytes ? "none" :
				l->encoding == VISION_MODEL_ENC_BLOCK4 ?
						  "block4" :
						  "dense",
				l->dense_bytes, l->enc_bytes,
				wsrc_names[l->wsrc], l->bias_shift,
				i + 1 < qm->nlayers ? "," : "");
		}
		fprintf(f, "  ]\n}\n");
		return;
	}
	if (pr)
		print_prune(f, pr, 0, a);
	if (br)
		print_budget(f, br, 0, a);
	fprintf(f, "%-24s %-16s %10s %9s %8s %8s\n", "layer", "op", "MACs",
		"weights", "SQNR dB", "cosine");
	for (i = 0; i < qm->nlayers; i++) {
		const struct vis_qlayer *l = &qm->layers[i];

		fprintf(f,
			"%-24.24s %-16s %10" PRIu64 " %9" PRIu64
			" %8.2f %8.5f\n",
			l->name, l->op, l->macs, l->weight_bytes, l->sqnr_db,
			l->cosine);
	}
	print_weights(f, qm);
	fprintf(f,
		"total: %" PRIu64 " MACs, %" PRIu64
		" weight bytes; arena %" PRIu64 " bytes planned (naive %" PRIu64
		"); model %zu bytes; calibrated on %zu images (%s)\n",
		qm->macs, qm->weight_bytes, qm->arena_planned, qm->arena_naive,
		qm->size, ncalib, methods[a->q.calib.method]);
	if (ev)
		print_eval(f, ev, 0);
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

/* Which picked image has the wrong size, if any. */
static int find_wrong_size(const struct vis_dataset *ds, const size_t *idx,
			   size_t n, const struct vis_preprocess *pp)
{
	struct vis_image img = { 0 };
	char name[512];
	size_t i;
	int found = 0;

	for (i = 0; i < n && !found; i++) {
		if (vis_dataset_read(ds, idx[i], &img, NULL))
			continue;
		if (img.width != pp->width || img.height != pp->height) {
			vis_dataset_name(ds, idx[i], name, sizeof(name));
			fprintf(stderr,
				"vision-compile: %s is %ux%u; the model takes %ux%u\n",
				name, img.width, img.height, pp->width,
				pp->height);
			found = 1;
		}
	}
	vis_image_release(&img);
	return found;
}

/* The model's preprocessing, as the calibration and evaluation need. */
static int model_pp(const struct args *a, const struct vis_graph *g,
		    struct vis_preprocess *pp, size_t *elems)
{
	const struct vis_tensor *x = &g->tensors[g->inputs[0]];
	struct vis_error err = { { 0 } };
	int color = vis_quant_input_color(&a->q, (uint32_t)x->dims[3]);

	if (color < 0) {
		fprintf(stderr,
			"vision-compile: --input-format does not fit the model's input of %" PRId64
			" channel(s)\n",
			x->dims[3]);
		return EXIT_USAGE;
	}
	memset(pp, 0, sizeof(*pp));
	pp->height = (uint32_t)x->dims[1];
	pp->width = (uint32_t)x->dims[2];
	pp->color = (uint32_t)color;
	pp->resize = a->q.resize;
	pp->layout = VIS_PP_NHWC;
	pp->no_resize = true;
	memcpy(pp->mean, a->q.mean, sizeof(pp->mean));
	memcpy(pp->std, a->q.std, sizeof(pp->std));
	if (vis_preprocess_check(pp, elems, &err)) {
		fprintf(stderr, "vision-compile: %s\n", err.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Every label one of the model's classes (output 0's elements). */
static int check_eval_labels(const struct args *a, const struct vis_graph *g,
			     const int32_t *labels, size_t n)
{
	int64_t classes = vis_tensor_numel(&g->tensors[g->outputs[0]]);
	size_t i;

	for (i = 0; i < n; i++) {
		if (labels[i] >= 0 && labels[i] < classes)
			continue;
		if (labels[i] < 0) {
			fprintf(stderr,
				"vision-compile: %s: image %zu has no label (give --eval-labels)\n",
				a->eval, i);
			return EXIT_USAGE;
		}
		fprintf(stderr,
			"vision-compile: %s: label %d of image %zu is not one of the model's %lld classes\n",
			a->eval_labels ? a->eval_labels : a->eval, labels[i], i,
			(long long)classes);
		return EXIT_CALIB;
	}
	return EXIT_OK;
}

/* The first --eval-count labelled evaluation images, preprocessed. */
static int load_eval(const struct args *a, const struct vis_graph *g,
		     float **data, int32_t **labels, size_t *n)
{
	struct vis_dataset_opts dopts = { .labels = a->eval_labels,
					  .classes = a->q.labels,
					  .num_classes = a->q.num_labels };
	struct vis_error err = { { 0 } };
	struct vis_dataset *ds = NULL;
	struct vis_preprocess pp;
	size_t elems, i, *idx = NULL;
	struct stat st;
	int ret, code = model_pp(a, g, &pp, &elems);

	if (code)
		return code;
	ret = vis_dataset_open(a->eval, &dopts, &ds, &err);
	if (ret) {
		fprintf(stderr, "vision-compile: --eval: %s\n", err.msg);
		/* As for calibration: there but empty. */
		return ret == -ENOENT && !stat(a->eval, &st) &&
				       (!a->eval_labels ||
					!stat(a->eval_labels, &st)) ?
			       EXIT_CALIB_EMPTY :
			       EXIT_CALIB;
	}
	*n = vis_dataset_count(ds);
	if (*n > a->eval_count)
		*n = a->eval_count;
	if (!*n) {
		fprintf(stderr, "vision-compile: %s: no images\n", a->eval);
		vis_dataset_free(ds);
		return EXIT_CALIB_EMPTY;
	}
	*data = malloc(*n * elems * sizeof(float));
	*labels = malloc(*n * sizeof(**labels));
	if (!*data || !*labels) {
		code = EXIT_ERROR;
		goto out;
	}
	ret = vis_dataset_load(ds, NULL, *n, &pp, *data, *labels, &err);
	if (!ret) {
		code = check_eval_labels(a, g, *labels, *n);
		goto out;
	}
	/* As for calibration: a wrong size is told apart. */
	idx = ret == -EINVAL ? malloc(*n * sizeof(*idx)) : NULL;
	for (i = 0; idx && i < *n; i++)
		idx[i] = i;
	if (idx && find_wrong_size(ds, idx, *n, &pp)) {
		code = EXIT_CALIB_SIZE;
	} else {
		fprintf(stderr, "vision-compile: --eval: %s\n", err.msg);
		code = EXIT_CALIB;
	}
out:
	free(idx);
	vis_dataset_free(ds);
	return code;
}

/*
 * Top-1, percent, of the float graph @g (@qm NULL) or of the int8 model
 * @qm on the @n evaluation inputs, in pieces so the bar can move.
 */
static int eval_top1(const struct vis_graph *g, const struct vis_qmodel *qm,
		     const float *x, const int32_t *labels, size_t n,
		     const char *step, struct progress *pb, double *top1)
{
	size_t elems = (size_t)vis_tensor_numel(&g->tensors[g->inputs[0]]);
	size_t piece = n / EVAL_PIECES, done, m, correct = 0;
	double t;

	if (piece < EVAL_PIECE_MIN)
		piece = EVAL_PIECE_MIN;
	for (done = 0; done < n; done += m) {
		m = n - done < piece ? n - done : piece;
		t = prune_budget_top1(g, qm, x + done * elems, labels + done, m,
				      0);
		if (t < 0) {
			progress_clear(pb);
			fprintf(stderr, "vision-compile: %s: %s\n", step,
				strerror((int)-t));
			return EXIT_ERROR;
		}
		/* Back to a count: t is 100 * correct / m. */
		correct += (size_t)llround(t * (double)m / 100.0);
		progress_update(pb, step, done + m, n);
	}
	progress_clear(pb);
	*top1 = 100.0 * (double)correct / (double)n;
	return EXIT_OK;
}

static int load_calib(const struct args *a, const struct vis_graph *g,
		      float **data, size_t *n)
{
	struct vis_preprocess pp;
	struct vis_dataset *ds = NULL;
	struct vis_error err = { { 0 } };
	struct stat st;
	size_t elems, *idx = NULL;
	int ret, code = model_pp(a, g, &pp, &elems);

	if (code)
		return code;
	ret = vis_dataset_open(a->calib, NULL, &ds, &err);
	if (ret) {
		fprintf(stderr, "vision-compile: %s\n", err.msg);
		return ret == -ENOENT && !stat(a->calib, &st) ?
			       EXIT_CALIB_EMPTY :
			       EXIT_CALIB;
	}
	if (!vis_dataset_count(ds)) {
		fprintf(stderr, "vision-compile: %s: no images\n", a->calib);
		vis_dataset_free(ds);
		return EXIT_CALIB_EMPTY;
	}
	idx = calloc(a->count, sizeof(*idx));
	if (!idx) {
		code = EXIT_ERROR;
		goto out;
	}
	*n = vis_dataset_pick(ds, a->count, true, 1, idx);
	*data = malloc(*n * elems * sizeof(float));
	if (!*data) {
		code = EXIT_ERROR;
		goto out;
	}
	ret = vis_dataset_load(ds, idx, *n, &pp, *data, NULL, &err);
	if (ret) {
		if (ret == -EINVAL && find_wrong_size(ds, idx, *n, &pp)) {
			code = EXIT_CALIB_SIZE;
		} else {
			fprintf(stderr, "vision-compile: %s\n", err.msg);
			code = EXIT_CALIB;
		}
		free(*data);
		*data = NULL;
	}
out:
	free(idx);
	vis_dataset_free(ds);
	return code;
}

int main(int argc, char **argv)
{
	struct vis_error err = { { 0 } };
	struct vis_graph *g = NULL;
	struct vis_qmodel *qm = NULL;
	struct prune_graph_report prep = { 0 };
	struct prune_budget_report brep = { 0 };
	struct prune_budget_opts bo;
	struct eval_top1 ev = { .pruned_top1 = NAN };
	struct progress pb;
	int32_t *eval_labels = NULL;
	float *eval = NULL;
	size_t neval = 0;
	char **labels = NULL;
	uint32_t nlabels = 0, i;
	float *calib = NULL;
	size_t ncalib = 0;
	struct args a;
	int ret, code;

	code = parse_args(argc, argv, &a);
	if (code)
		return code;
	progress_init(&pb, !a.quiet && isatty(STDERR_FILENO));
	a.q.progress = progress_update;
	a.q.progress_ctx = &pb;
	a.prune.progress = progress_update;
	a.prune.progress_ctx = &pb;
	if (a.labels) {
		ret = read_labels(a.labels, &labels, &nlabels);
		if (ret) {
			fprintf(stderr, "vision-compile: %s: %s\n", a.labels,
				strerror(-ret));
			return EXIT_USAGE;
		}
		a.q.labels = (const char *const *)labels;
		a.q.num_labels = nlabels;
	}
	/* The importer's messages name the file already. */
	ret = vis_onnx_import_file(a.model, &g, &err);
	if (ret) {
		fprintf(stderr, "vision-compile: %s\n", err.msg);
		code = ret == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_MODEL;
		goto out;
	}
	ret = vis_graph_optimize(g, VIS_PASS_ALL, &err);
	if (ret) {
		fprintf(stderr, "vision-compile: %s: %s\n", a.model, err.msg);
		code = ret == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_MODEL;
		goto out;
	}
	if (g->ninputs != 1 || g->tensors[g->inputs[0]].rank != 4) {
		fprintf(stderr,
			"vision-compile: %s: one 4-D image input is needed\n",
			a.model);
		code = EXIT_UNSUPPORTED;
		goto out;
	}
	code = load_calib(&a, g, &calib, &ncalib);
	if (code)
		goto out;
	if (a.eval) {
		code = load_eval(&a, g, &eval, &eval_labels, &neval);
		if (code)
			goto out;
		ev.images = neval;
	}
	if (a.eval && a.budget < 0) {
		code = eval_top1(g, NULL, eval, eval_labels, neval,
				 "float top-1", &pb, &ev.float_top1);
		if (code)
			goto out;
	}
	if (a.budget >= 0) {
		prune_budget_opts_init(&bo);
		bo.budget = a.budget;
		bo.method = a.prune.method;
		bo.quant = &a.q;
		bo.progress = progress_update;
		bo.progress_ctx = &pb;
		ret = prune_budget(g, calib, ncalib, eval, eval_labels, neval,
				   &bo, &brep, &err);
		progress_clear(&pb);
		/* The search measured the unpruned graph on the same images. */
		ev.float_top1 = brep.float_top1;
		if (ret) {
			fprintf(stderr,
				"vision-compile: %s: accuracy budget: %s\n",
				a.model, err.msg);
			code = ret == -EINVAL ? EXIT_USAGE : EXIT_ERROR;
			goto out;
		}
		if (!brep.met)
			fprintf(stderr,
				"vision-compile: warning: int8 top-1 %.2f%% misses the budget (float %.2f%% - %.2f) even dense\n",
				brep.int8_top1, brep.float_top1, a.budget);
	}
	if (a.do_prune) {
		ret = prune_graph(g, calib, ncalib, &a.prune, &prep, &err);
		progress_clear(&pb);
		if (ret) {
			fprintf(stderr, "vision-compile: %s: pruning: %s\n",
				a.model, err.msg);
			code = EXIT_ERROR;
			goto out;
		}
	}
	if (a.eval && (a.do_prune || a.budget >= 0)) {
		code = eval_top1(g, NULL, eval, eval_labels, neval,
				 "pruned top-1", &pb, &ev.pruned_top1);
		if (code)
			goto out;
	}
	ret = vis_quantize(g, calib, ncalib, &a.q, &qm, &err);
	progress_clear(&pb);
	if (ret) {
		fprintf(stderr, "vision-compile: %s: %s\n", a.model, err.msg);
		code = ret == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_ERROR;
		goto out;
	}
	for (i = 0; i < qm->nlayers; i++)
		if (qm->layers[i].wsrc == VIS_WSRC_REQUANTIZED)
			fprintf(stderr,
				"vision-compile: warning: %s: the model's own int8 weights cannot be kept (not symmetric, another axis, or changed by pruning); requantized\n",
				qm->layers[i].name);
	ret = vis_quant_compare(
		qm, g, calib,
		ncalib < COMPARE_SAMPLES ? ncalib : COMPARE_SAMPLES, 0, &err);
	if (ret) {
		fprintf(stderr, "vision-compile: comparing: %s\n", err.msg);
		code = EXIT_ERROR;
		goto out;
	}
	if (a.eval) {
		code = eval_top1(g, qm, eval, eval_labels, neval, "int8 top-1",
				 &pb, &ev.int8_top1);
		if (code)
			goto out;
	}
	ret = write_file(a.out, qm->blob, qm->size);
	if (ret) {
		fprintf(stderr, "vision-compile: %s: %s\n", a.out,
			strerror(-ret));
		code = EXIT_OUTPUT;
		goto out;
	}
	if (!a.quiet)
		print_report(stdout, qm, 0, &a, ncalib,
			     a.do_prune ? &prep : NULL,
			     a.budget >= 0 ? &brep : NULL, a.eval ? &ev : NULL);
	if (a.report) {
		FILE *f = fopen(a.report, "w");

		if (f)
			print_report(f, qm, 1, &a, ncalib,
				     a.do_prune ? &prep : NULL,
				     a.budget >= 0 ? &brep : NULL,
				     a.eval ? &ev : NULL);
		if (!f || fclose(f)) {
			fprintf(stderr, "vision-compile: %s: %s\n", a.report,
				strerror(errno));
			code = EXIT_OUTPUT;
		}
	}
out:
	progress_clear(&pb);
	for (i = 0; i < nlabels; i++)
		free(labels[i]);
	free(labels);
	free(calib);
	prune_graph_report_free(&prep);
	prune_budget_report_free(&brep);
	free(eval);
	free(eval_labels);
	vis_qmodel_free(qm);
	vis_graph_destroy(g);
	return code;
}
