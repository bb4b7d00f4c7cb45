// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-run: classify images, a data set or camera frames with a
 * compiled model on the vision NPU (or the CPU fallback), and report the
 * predictions, the accuracy, the speed and, optionally, where the time
 * went. Documentation/vision-run.rst is its manual.
 *
 * Every input reaches the model as a frame (struct vision_frame): images
 * as GREY or RGB24 pixels, camera frames as captured. The model's input
 * stage then converts, resizes and quantizes them, the same way on a
 * device and on the CPU, so an image file and a camera frame of the same
 * pixels give the same result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vision/vision.h>

#include "run.h"
#include "v4l2_feed.h"

#define FOURCC(a, b, c, d)                                          \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | \
	 (uint32_t)(d) << 24)
#define FOURCC_GREY FOURCC('G', 'R', 'E', 'Y')
#define FOURCC_RGB24 FOURCC('R', 'G', 'B', '3')

/* The input stage's frame size limit (Documentation/input-stage.rst). */
#define MAX_FRAME_DIM 65536u
/* Classes shown per frame unless --top-k says otherwise. */
#define DEFAULT_TOP_K 5u
/* Progress is shown once a run has lasted this long, then refreshed. */
#define PROGRESS_AFTER_NS 1000000000ull
#define PROGRESS_EVERY_NS 200000000ull

enum source {
	SRC_NONE,
	SRC_IMAGES, /* --images and --idx */
	SRC_CAMERA,
	SRC_FEED, /* --feed: images through a V4L2 output to the camera */
};

struct options {
	const char *model;
	const char *device;
	const char *camera;
	const char *feed;
	const char *labels;
	const char **images; /* --images and --idx paths, in order */
	size_t num_images;
	bool idx; /* --idx given */
	uint64_t frames; /* 0: all */
	unsigned int top_k; /* 0: default */
	bool json;
	bool profile;
	bool quiet;
	bool info;
	struct vision_camera_config cam;
	bool cam_set; /* a camera option was given */
};

/* Per-operator sums of the profiles, for the averages. */
struct prof_sum {
	uint64_t count; /* profiles summed */
	uint32_t num_ops;
	char **names;
	char **types;
	uint64_t *ns;
	uint64_t *cycles;
	uint64_t queue_ns;
	uint64_t input_ns;
	uint64_t total_ns;
};

/* One inference in flight. */
struct slot {
	struct vision_request *req;
	struct vision_camera_frame *cf; /* camera frame held, or NULL */
	struct vision_frame frame; /* image frames */
	uint64_t t_ready;
	uint64_t seq; /* frame number in this run */
	size_t item; /* image index (images, feed) */
	int32_t label; /* -1: none */
};

struct run {
	const struct options *o;
	enum source src;
	struct vision_device *dev;
	struct vision_model *model;
	struct vision_tensor_info out; /* output 0: the class scores */
	uint32_t classes;
	unsigned int k;
	uint32_t *top;
	float *scores;

	struct run_images imgs;
	int32_t *labels;
	size_t num_labels;
	struct vis_image img;
	uint8_t *grey; /* feed: image as grey */
	size_t next_item;

	struct vision_camera *cam;
	struct v4l2_feed *feed;
	struct vision_frame cam_fmt;
	uint64_t corrupt; /* frames the camera marked corrupt, skipped */

	/* results */
	uint64_t submitted;
	uint64_t frames;
	uint64_t labelled;
	uint64_t correct;
	uint64_t *lat;
	size_t lat_cap;
	uint64_t t_start;
	uint64_t t_end;
	struct prof_sum prof;

	bool progress;
	bool progress_shown;
	uint64_t progress_at;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vision-run -m MODEL SOURCE [OPTIONS]\n"
		"       vision-run --info [--device PATH] [--json]\n"
		"\n"
		"Sources (one):\n"
		"  -c, --camera DEV        V4L2 capture device (/dev/videoN)\n"
		"  -I, --images PATH...    PNG, JPEG, PGM, PPM or IDX files, or\n"
		"                          directories of image files\n"
		"      --idx FILE          IDX images (MNIST format, .gz too)\n"
		"      --feed OUT          with --camera and --idx: show the\n"
		"                          images on the V4L2 output OUT and\n"
		"                          classify them as captured\n"
		"\n"
		"Options:\n"
		"  -m, --model FILE        compiled model (.vnm)\n"
		"  -l, --labels FILE       true classes of --images/--idx:\n"
		"                          IDX labels, or one integer per line\n"
		"  -n, --frames N          stop after N frames (default: all\n"
		"                          images; camera: until Ctrl-C)\n"
		"  -k, --top-k K           classes shown per frame (default 5)\n"
		"  -d, --device PATH|cpu   device node or the CPU (default:\n"
		"                          $VISION_DEVICE, else the first vision\n"
		"                          device, else the CPU)\n"
		"  -j, --json              JSON Lines output\n"
		"  -p, --profile           per-layer time table\n"
		"  -q, --quiet             summary only, no per-frame lines\n"
		"      --format FOURCC     camera pixel format (YUYV, NV12...)\n"
		"      --size WxH          camera frame size\n"
		"      --buffers N         camera buffers (2-32, default 4)\n"
		"      --timeout MS        camera stall timeout (default 2000)\n"
		"      --camera-path P     best camera path allowed: zero-copy,\n"
		"                          dmabuf or copy\n"
		"  -i, --info              print the device and its parameters\n"
		"  -V, --version           print the libvision version\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 usage, 3 no device, 4 bad\n"
		"model, 5 unsupported camera format, 6 bad image or data set,\n"
		"7 camera error.\n");
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vision-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vision-run --help'.\n", stderr);
	return EXIT_USAGE;
}

/* A decimal number in [min, max], nothing else. */
static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return usage_error("%s: '%s' is not a number", opt, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return usage_error("%s: '%s' is not a number", opt, s);
	if (errno || v < min || v > max)
		return usage_error("%s: %s is out of range [%" PRIu64
				   ", %" PRIu64 "]",
				   opt, s, min, max);
	*out = v;
	return 0;
}

/* parse_num() for a 32-bit option; @max fits in 32 bits. */
static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	uint64_t v;

	if (parse_num(opt, s, min, max, &v))
		return EXIT_USAGE;
	*out = v;
	return 0;
}

static int parse_fourcc(const char *s, uint32_t *out)
{
	char c[4] = { ' ', ' ', ' ', ' ' };
	size_t n = strlen(s), i;

	if (!n || n > 4)
		return usage_error("--format: '%s' is not a fourcc (YUYV...)",
				   s);
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return usage_error("--format: '%s' is not a fourcc", s);
		c[i] = s[i];
	}
	*out = FOURCC(c[0], c[1], c[2], c[3]);
	return 0;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		goto bad;
	a = strtoul(s, &end, 10);
	if (*end != 'x' || end[1] < '0' || end[1] > '9')
		goto bad;
	b = strtoul(end + 1, &end, 10);
	if (*end || !a || !b || a > MAX_FRAME_DIM || b > MAX_FRAME_DIM)
		goto bad;
	*w = a;
	*h = b;
	return 0;
bad:
	return usage_error("--size: '%s' is not WIDTHxHEIGHT (e.g. 640x480)",
			   s);
}

enum {
	OPT_IDX = 0x100,
	OPT_FEED,
	OPT_FORMAT,
	OPT_SIZE,
	OPT_BUFFERS,
	OPT_TIMEOUT,
	OPT_CAMERA_PATH,
};

/* One of the camera options (OPT_FORMAT...) into @cam; 0 or EXIT_USAGE. */
static int parse_cam_opt(int opt, const char *arg,
			 struct vision_camera_config *cam)
{
	switch (opt) {
	case OPT_FORMAT:
		return parse_fourcc(arg, &cam->fourcc);
	case OPT_SIZE:
		return parse_size(arg, &cam->width, &cam->height);
	case OPT_BUFFERS:
		return parse_u32("--buffers", arg, 2, 32, &cam->num_buffers);
	case OPT_TIMEOUT:
		return parse_u32("--timeout", arg, 1, 3600000,
				 &cam->timeout_ms);
	default: /* OPT_CAMERA_PATH */
		if (!strcmp(arg, "zero-copy"))
			cam->flags = 0;
		else if (!strcmp(arg, "dmabuf"))
			cam->flags = VISION_CAMERA_NO_ZERO_COPY;
		else if (!strcmp(arg, "copy"))
			cam->flags = VISION_CAMERA_NO_ZERO_COPY |
				     VISION_CAMERA_NO_DMABUF;
		else
			return usage_error(
				"--camera-path: '%s' is not zero-copy, dmabuf or copy",
				arg);
		return 0;
	}
}

/* Returns -1 to go on, else the exit status (--help, errors). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "camera", required_argument, NULL, 'c' },
		{ "images", required_argument, NULL, 'I' },
		{ "idx", required_argument, NULL, OPT_IDX },
		{ "labels", required_argument, NULL, 'l' },
		{ "feed", required_argument, NULL, OPT_FEED },
		{ "frames", required_argument, NULL, 'n' },
		{ "top-k", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "profile", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "buffers", required_argument, NULL, OPT_BUFFERS },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "camera-path", required_argument, NULL, OPT_CAMERA_PATH },
		{ "info", no_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool images = false;
	int c, i;

	/* Room for every argument: --images takes any number of paths. */
	o->images = calloc(argc, sizeof(*o->images));
	if (!o->images) {
		fprintf(stderr, "vision-run: out of memory\n");
		return EXIT_ERROR;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:c:I:l:n:k:d:jpqiVh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			o->model = optarg;
			break;
		case 'c':
			if (o->camera)
				return usage_error("--camera given twice");
			o->camera = optarg;
			break;
		case 'I':
			images = true;
			o->images[o->num_images++] = optarg;
			break;
		case OPT_IDX:
			o->idx = true;
			o->images[o->num_images++] = optarg;
			break;
		case 'l':
			o->labels = optarg;
			break;
		case OPT_FEED:
			o->feed = optarg;
			break;
		case 'n':
			if (parse_num("--frames", optarg, 1, UINT64_MAX,
				      &o->frames))
				return EXIT_USAGE;
			break;
		case 'k':
			if (parse_u32("--top-k", optarg, 1, 65535, &o->top_k))
				return EXIT_USAGE;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->profile = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_FORMAT:
		case OPT_SIZE:
		case OPT_BUFFERS:
		case OPT_TIMEOUT:
		case OPT_CAMERA_PATH:
			if (parse_cam_opt(c, optarg, &o->cam))
				return EXIT_USAGE;
			o->cam_set = true;
			break;
		case 'i':
			o->info = true;
			break;
		case 'V':
			printf("vision-run (libvision %s)\n",
			       vision_version_string());
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			return usage_error("%s needs a value",
					   argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'",
						   optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	/* Operands: more paths for --images. */
	for (i = optind; i < argc; i++) {
		if (!images)
			return usage_error("unexpected argument '%s'", argv[i]);
		o->images[o->num_images++] = argv[i];
	}

	if (o->info) {
		if (o->model || o->camera || o->num_images || o->feed ||
		    o->labels)
			return usage_error(
				"--info takes no model, input or labels");
		return -1;
	}
	if (!o->model)
		return usage_error("no model (-m MODEL)");
	if (images && o->idx)
		return usage_error("--images and --idx are exclusive");
	if (o->feed) {
		if (!o->camera || !o->idx)
			return usage_error(
				"--feed needs --camera (the capture side) and --idx");
	} else if (o->camera && o->num_images) {
		return usage_error("--camera and --%s are exclusive",
				   images ? "images" : "idx");
	}
	if (!o->camera && !o->num_images)
		return usage_error("no input: --camera, --images or --idx");
	if (o->labels && !o->num_images)
		return usage_error("--labels needs --images or --idx");
	if (o->cam_set && !o->camera)
		return usage_error("camera options need --camera");
	return -1;
}

/* ---- --info ---------------------------------------------------------------- */

static int print_info(struct vision_device *dev, bool json)
{
	uint64_t v[VISION_PARAM_COUNT];
	bool have[VISION_PARAM_COUNT];
	int p, ret;

	for (p = 0; p < VISION_PARAM_COUNT; p++) {
		ret = vision_device_get_param(dev, p, &v[p]);
		/* The CPU has no memory limits to report. */
		have[p] = !ret;
		if (ret && ret != -EOPNOTSUPP) {
			fprintf(stderr, "vision-run: reading %s: %s\n",
				vision_param_name(p), vision_strerror(ret));
			return EXIT_ERROR;
		}
	}

	if (json) {
		printf("{\"device\": ");
		run_json_string(stdout, vision_device_path(dev));
		printf(", \"libvision\": \"%s\"", vision_version_string());
		for (p = 0; p < VISION_PARAM_COUNT; p++)
			if (have[p])
				printf(", \"%s\": %" PRIu64,
				       vision_param_name(p), v[p]);
		printf("}\n");
		return EXIT_OK;
	}

	printf("device:      %s\n", vision_device_path(dev));
	printf("device_id:   0x%04" PRIx64 "\n", v[VISION_PARAM_DEVICE_ID]);
	printf("api_version: %" PRIu64 ".%" PRIu64 "\n",
	       v[VISION_PARAM_API_VERSION] >> 16,
	       v[VISION_PARAM_API_VERSION] & 0xffff);
	printf("num_cores:   %" PRIu64 "\n", v[VISION_PARAM_NUM_CORES]);
	printf("libvision:   %s\n", vision_version_string());
	return EXIT_OK;
}

static int open_device(const char *path, unsigned int flags,
		       struct vision_device **dev)
{
	int ret = vision_device_open_flags(path, flags, dev);

	if (!ret)
		return EXIT_OK;
	fprintf(stderr, "vision-run: %s: %s\n",
		path ? path : "no vision device found", vision_strerror(ret));
	return ret == -ENODEV || ret == -ENOENT || ret == -EACCES ?
		       EXIT_NO_DEVICE :
		       EXIT_ERROR;
}

/* ---- progress ------------------------------------------------------------- */

static void progress_clear(struct run *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

static void progress_draw(struct run *r, uint64_t now)
{
	double s;

	/* Redrawn at most every PROGRESS_EVERY_NS, not after every line. */
	if (!r->progress || now - r->t_start < PROGRESS_AFTER_NS ||
	    now - r->progress_at < PROGRESS_EVERY_NS)
		return;
	s = (now - r->t_start) / 1e9;
	fputs("\r\033[K", stderr);
	if (r->src != SRC_CAMERA)
		fprintf(stderr, "%" PRIu64 "/%zu frames", r->frames,
			r->o->frames && r->o->frames < r->imgs.count ?
				(size_t)r->o->frames :
				r->imgs.count);
	else
		fprintf(stderr, "%" PRIu64 " frames", r->frames);
	fprintf(stderr, ", %.1f fps", r->frames / s);
	if (r->labelled)
		fprintf(stderr, ", accuracy %.2f%%",
			100.0 * r->correct / r->labelled);
	fflush(stderr);
	r->progress_shown = true;
	r->progress_at = now;
}

/* ---- profile ----------------------------------------------------------------- */

static void prof_free(struct prof_sum *p)
{
	uint32_t i;

	for (i = 0; i < p->num_ops && p->names; i++) {
		free(p->names[i]);
		free(p->types[i]);
	}
	free(p->names);
	free(p->types);
	free(p->ns);
	free(p->cycles);
	memset(p, 0, sizeof(*p));
}

static int prof_add(struct prof_sum *p, const struct vision_profile *pr)
{
	uint32_t i;

	if (!p->count) {
		p->names = calloc(pr->num_ops ? pr->num_ops : 1,
				  sizeof(*p->names));
		p->types = calloc(pr->num_ops ? pr->num_ops : 1,
				  sizeof(*p->types));
		p->ns = calloc(pr->num_ops ? pr->num_ops : 1, sizeof(*p->ns));
		p->cycles = calloc(pr->num_ops ? pr->num_ops : 1,
				   sizeof(*p->cycles));
		if (!p->names || !p->types || !p->ns || !p->cycles)
			return -ENOMEM;
		p->num_ops = pr->num_ops;
		for (i = 0; i < pr->num_ops; i++) {
			p->names[i] =
				strdup(pr->ops[i].name ? pr->ops[i].name : "");
			p->types[i] =
				strdup(pr->ops[i].type ? pr->ops[i].type : "");
			if (!p->names[i] || !p->types[i])
				return -ENOMEM;
		}
	}
	/* One model: every profile has the same operators. */
	if (pr->num_ops != p->num_ops)
		return -EPROTO;
	for (i = 0; i < pr->num_ops; i++) {
		p->ns[i] += pr->ops[i].ns;
		p->cycles[i] += pr->ops[i].cycles;
	}
	p->queue_ns += pr->queue_ns;
	p->input_ns += pr->input_ns;
	p->total_ns += pr->total_ns;
	p->count++;
	return 0;
}

/* Percent of the average inference's total time. */
static double prof_pct(const struct prof_sum *p, uint64_t ns)
{
	return p->total_ns ? 100.0 * ns / p->total_ns : 0.0;
}

static void prof_print_text(const struct prof_sum *p)
{
	int nw = strlen("(input stage)"), tw = strlen("type");
	double n = p->count;
	uint32_t i;

	/* Columns as wide as the longest name, up to a limit. */
	for (i = 0; i < p->num_ops; i++) {
		if ((int)strlen(p->names[i]) > nw)
			nw = strlen(p->names[i]);
		if ((int)strlen(p->types[i]) > tw)
			tw = strlen(p->types[i]);
	}
	nw = nw > 64 ? 64 : nw;
	tw = tw > 32 ? 32 : tw;
	printf("\nprofile: average of %" PRIu64 " inferences\n", p->count);
	printf("%4s  %-*s  %-*s %10s %7s %12s\n", "#", nw, "layer", tw, "type",
	       "time(us)", "%", "cycles");
	printf("%4s  %-*s  %-*s %10.1f %6.1f%% %12s\n", "-", nw,
	       "(input stage)", tw, "input", p->input_ns / n / 1e3,
	       prof_pct(p, p->input_ns), "-");
	for (i = 0; i < p->num_ops; i++)
		printf("%4u  %-*s  %-*s %10.1f %6.1f%% %12.0f\n", i, nw,
		       p->names[i], tw, p->types[i], p->ns[i] / n / 1e3,
		       prof_pct(p, p->ns[i]), p->cycles[i] / n);
	printf("total %.1f us per inference (start to completion), queued %.1f us\n",
	       p->total_ns / n / 1e3, p->queue_ns / n / 1e3);
}

static void prof_print_json(const struct prof_sum *p)
{
	double n = p->count;
	uint32_t i;

	printf(", \"profile\": {\"inferences\": %" PRIu64
	       ", \"queue_us\": %.3f, \"input_us\": %.3f"
	       ", \"input_percent\": %.3f, \"total_us\": %.3f, \"ops\": [",
	       p->count, p->queue_ns / n / 1e3, p->input_ns / n / 1e3,
	       prof_pct(p, p->input_ns), p->total_ns / n / 1e3);
	for (i = 0; i < p->num_ops; i++) {
		printf("%s{\"index\": %u, \"name\": ", i ? ", " : "", i);
		run_json_string(stdout, p->names[i]);
		printf(", \"type\": ");
		run_json_string(stdout, p->types[i]);
		printf(", \"us\": %.3f, \"percent\": %.3f, \"cycles\": %.1f}",
		       p->ns[i] / n / 1e3, prof_pct(p, p->ns[i]),
		       p->cycles[i] / n);
	}
	printf("]}");
}

/* ---- one frame ----------------------------------------------------------- */

static void frame_name(const struct run *r, const struct slot *s, char *buf,
		       size_t len)
{
	if (r->src == SRC_CAMERA)
		snprintf(buf, len, "%s#%u", r->o->camera,
			 s->cf ? s->cf->sequence : 0);
	else
		run_images_name(&r->imgs, s->item, buf, len);
}

static void print_class_text(const struct run *r, uint32_t c)
{
	const char *l = vision_model_label(r->model, 0, c);

	printf("[%u]", c);
	if (l)
		printf(" %s", l);
}

static void print_frame(struct run *r, const struct slot *s, uint64_t lat,
			int n)
{
	char name[PATH_MAX + 64];
	int i;

	frame_name(r, s, name, sizeof(name));
	if (r->o->json) {
		printf("{\"type\": \"frame\", \"frame\": %" PRIu64
		       ", \"source\": ",
		       s->seq);
		run_json_string(stdout, name);
		if (r->src != SRC_IMAGES && s->cf)
			printf(", \"sequence\": %u", s->cf->sequence);
		printf(", \"top\": [");
		for (i = 0; i < n; i++) {
			printf("%s{\"class\": %u, \"label\": ", i ? ", " : "",
			       r->top[i]);
			run_json_string(stdout, vision_model_label(r->model, 0,
								   r->top[i]));
			printf(", \"score\": %.9g}", r->scores[r->top[i]]);
		}
		printf("], \"latency_ms\": %.6f", lat / 1e6);
		if (s->label >= 0)
			printf(", \"truth\": %d, \"correct\": %s", s->label,
			       n > 0 && r->top[0] == (uint32_t)s->label ?
				       "true" :
				       "false");
		printf("}\n");
		return;
	}
	if (r->o->quiet)
		return;
	printf("%" PRIu64 " %s:", s->seq, name);
	for (i = 0; i < n; i++) {
		printf(i ? ", " : " ");
		print_class_text(r, r->top[i]);
		printf(" %.4f", r->scores[r->top[i]]);
	}
	if (s->label >= 0) {
		printf("  truth ");
		print_class_text(r, s->label);
		printf(n > 0 && r->top[0] == (uint32_t)s->label ? " ok" :
								  " WRONG");
	}
	printf("\n");
}

static int infer_error(struct run *r, const char *what, int err)
{
	progress_clear(r);
	fprintf(stderr, "vision-run: %s: %s\n", what, vision_strerror(err));
	if (err == -ENODEV)
		return EXIT_NO_DEVICE;
	if (err == -EOPNOTSUPP && r->src != SRC_IMAGES)
		return EXIT_CAMERA_FORMAT;
	return EXIT_ERROR;
}

/* Wait for @s's inference, print it, count it and release its input. */
static int complete(struct run *r, struct slot *s)
{
	struct vision_profile pr;
	const void *data;
	uint64_t t, lat;
	int ret, n;

	ret = vision_request_wait(s->req, -1);
	if (!ret)
		ret = vision_request_output(s->req, 0, &data, NULL);
	if (ret)
		return infer_error(r, "inference", ret);
	t = now_ns();
	r->t_end = t;
	lat = t > s->t_ready ? t - s->t_ready : 0;

	data = (const uint8_t *)data + r->out.offset;
	vision_dequantize(data, r->classes, r->out.zero_point, r->out.scale,
			  r->scores);
	n = vision_top_k(data, r->classes, r->k, r->top);
	if (n < 0)
		return infer_error(r, "top-k", n);

	if (r->o->profile) {
		ret = vision_request_profile(s->req, 0, &pr);
		if (!ret)
			ret = prof_add(&r->prof, &pr);
		if (ret)
			return infer_error(r, "profile", ret);
	}

	if (r->frames == r->lat_cap) {
		uint64_t *l = realloc(r->lat, 2 * r->lat_cap * sizeof(*l));

		if (!l)
			return infer_error(r, "latencies", -ENOMEM);
		r->lat = l;
		r->lat_cap *= 2;
	}
	r->lat[r->frames++] = lat;
	if (s->label >= 0) {
		r->labelled++;
		if (n > 0 && r->top[0] == (uint32_t)s->label)
			r->correct++;
	}
	progress_clear(r);
	print_frame(r, s, lat, n);
	progress_draw(r, t);

	vision_request_free(s->req);
	s->req = NULL;
	if (s->cf) {
		ret = vision_camera_requeue(r->cam, s->cf);
		s->cf = NULL;
		if (ret)
			return infer_error(r, "camera", ret);
	}
	return EXIT_OK;
}

static void slot_release(struct run *r, struct slot *s)
{
	vision_request_free(s->req);
	s->req = NULL;
	if (s->cf)
		vision_camera_requeue(r->cam, s->cf);
	s->cf = NULL;
}

static int camera_error(struct run *r, int err)
{
	progress_clear(r);
	if (err == -ETIMEDOUT)
		fprintf(stderr,
			"vision-run: %s: camera stalled: no frame within %u ms\n",
			r->o->camera,
			r->o->cam.timeout_ms ? r->o->cam.timeout_ms : 2000);
	else if (err == -ENODEV)
		fprintf(stderr, "vision-run: %s: camera disconnected\n",
			r->o->camera);
	else
		fprintf(stderr, "vision-run: %s: %s\n", r->o->camera,
			vision_strerror(err));
	return EXIT_CAMERA;
}

/*
 * Wait until the camera has a frame, in slices, so that Ctrl-C during a
 * stall ends the run at once: -EINTR then, -ETIMEDOUT after the camera
 * timeout, 0 when vision_camera_dequeue() will not wait (a frame, or an
 * error it reports).
 */
static int camera_wait(struct run *r)
{
	uint32_t timeout = r->o->cam.timeout_ms ? r->o->cam.timeout_ms : 2000;
	struct pollfd pfd = { .fd = vision_camera_fd(r->cam),
			      .events = POLLIN };
	uint64_t start = now_ns();
	int ret;

	for (;;) {
		if (interrupted)
			return -EINTR;
		ret = poll(&pfd, 1, 100);
		if (ret > 0 || (ret < 0 && errno != EINTR))
			return 0;
		if (now_ns() - start >= timeout * 1000000ull)
			return -ETIMEDOUT;
	}
}

/* The next camera frame; frames the camera marked corrupt are skipped. */
static int camera_next(struct run *r, struct slot *s)
{
	uint64_t t;
	int ret;

	for (;;) {
		ret = camera_wait(r);
		if (ret)
			return ret;
		ret = vision_camera_dequeue(r->cam, &s->cf);
		if (ret == -EIO) {
			r->corrupt++;
			continue;
		}
		if (ret)
			return ret;
		break;
	}
	/* Latency from capture, when the camera's timestamp is usable. */
	t = now_ns();
	s->t_ready = s->cf->timestamp_ns && s->cf->timestamp_ns <= t &&
				     t - s->cf->timestamp_ns < 10000000000ull ?
			     s->cf->timestamp_ns :
			     t;
	return 0;
}

/* Image @item as a frame on the V4L2 output, until the camera shows it. */
static int feed_next(struct run *r, struct slot *s)
{
	const struct vis_image *img = &r->img;
	uint32_t timeout = r->o->cam.timeout_ms ? r->o->cam.timeout_ms : 2000;
	uint64_t start, npx = (uint64_t)img->width * img->height, i;
	const uint8_t *grey = img->pixels;
	long tag;
	int ret;

	if (img->channels == 3) {
		/* The output shows grey: the device's luma of RGB. */
		uint8_t *g = realloc(r->grey, npx);

		if (!g)
			return -ENOMEM;
		r->grey = g;
		for (i = 0; i < npx; i++) {
			const uint8_t *p = img->pixels + 3 * i;

			g[i] = (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
		}
		grey = g;
	}
	ret = v4l2_feed_put(r->feed, grey, img->width, img->height, s->item);
	if (ret) {
		progress_clear(r);
		fprintf(stderr, "vision-run: %s: %s\n", r->o->feed,
			vision_strerror(ret));
		return EXIT_CAMERA;
	}
	start = now_ns();
	for (;;) {
		ret = camera_next(r, s);
		if (ret == -EINTR)
			return -EINTR;
		if (ret)
			return camera_error(r, ret);
		tag = v4l2_feed_tag(&s->cf->frame, s->cf->data);
		if (tag == (long)s->item)
			break;
		/* An earlier image, or no tag yet: not ours. */
		ret = vision_camera_requeue(r->cam, s->cf);
		s->cf = NULL;
		if (ret)
			return camera_error(r, ret);
		if (now_ns() - start > timeout * 1000000ull) {
			progress_clear(r);
			fprintf(stderr,
				"vision-run: %s: image %zu did not reach %s within %u ms (last tag %ld)\n",
				r->o->feed, s->item, r->o->camera, timeout,
				tag);
			return EXIT_CAMERA;
		}
		if (interrupted)
			return -EINTR;
	}
	ret = v4l2_feed_region(r->feed, img->width, img->height, &s->cf->frame);
	if (ret) {
		progress_clear(r);
		fprintf(stderr, "vision-run: %s: image region: %s\n",
			r->o->feed, vision_strerror(ret));
		return EXIT_CAMERA;
	}
	return EXIT_OK;
}

/*
 * Prepare the next input in @s and submit it. Sets *@done at the end of
 * the input (or on Ctrl-C); returns an exit status.
 */
static int next_input(struct run *r, struct slot *s, bool *done)
{
	struct vision_input in = { 0 };
	struct vis_error verr = { { 0 } };
	char name[PATH_MAX + 64];
	int ret;

	*done = false;
	s->label = -1;
	s->seq = r->submitted;
	if (interrupted || (r->o->frames && s->seq >= r->o->frames)) {
		*done = true;
		return EXIT_OK;
	}

	if (r->src == SRC_CAMERA) {
		ret = camera_next(r, s);
		if (ret == -EINTR) {
			*done = true;
			return EXIT_OK;
		}
		if (ret)
			return camera_error(r, ret);
		in.bo = s->cf->input.bo;
		in.data = s->cf->input.data;
		in.size = s->cf->input.size;
		in.offset = s->cf->input.offset;
		in.frame = &s->cf->frame;
		goto submit;
	}

	if (r->next_item >= r->imgs.count) {
		*done = true;
		return EXIT_OK;
	}
	s->item = r->next_item++;
	if (r->labels)
		s->label = r->labels[s->item];
	ret = run_images_read(&r->imgs, s->item, &r->img, &verr);
	if (!ret &&
	    (r->img.width > MAX_FRAME_DIM || r->img.height > MAX_FRAME_DIM)) {
		run_images_name(&r->imgs, s->item, name, sizeof(name));
		ret = vis_error_file(&verr, -EFBIG, name,
				     "%ux%u is beyond the input stage's %u",
				     r->img.width, r->img.height,
				     MAX_FRAME_DIM);
	}
	if (ret) {
		progress_clear(r);
		if (ret == -ENOMEM)
			fprintf(stderr, "vision-run: out of memory\n");
		else
			fprintf(stderr, "vision-run: %s\n", verr.msg);
		return ret == -ENOMEM ? EXIT_ERROR : EXIT_BAD_INPUT;
	}

	if (r->src == SRC_FEED) {
		ret = feed_next(r, s);
		if (ret == -EINTR) {
			*done = true;
			return EXIT_OK;
		}
		if (ret == -ENOMEM) {
			fprintf(stderr, "vision-run: out of memory\n");
			return EXIT_ERROR;
		}
		if (ret)
			return ret;
		in.bo = s->cf->input.bo;
		in.data = s->cf->input.data;
		in.size = s->cf->input.size;
		in.offset = s->cf->input.offset;
		in.frame = &s->cf->frame;
		goto submit;
	}

	/* An image as a GREY or RGB24 frame, rows packed. */
	s->frame = (struct vision_frame){
		.fourcc = r->img.channels == 1 ? FOURCC_GREY : FOURCC_RGB24,
		.width = r->img.width,
		.height = r->img.height,
		.num_planes = 1,
		.strides = { r->img.width * r->img.channels },
	};
	in.data = r->img.pixels;
	in.size = (uint64_t)r->img.width * r->img.height * r->img.channels;
	in.frame = &s->frame;
	s->t_ready = now_ns();

submit:
	ret = vision_submit(r->model, &in, 1,
			    r->o->profile ? VISION_SUBMIT_PROFILE : 0, &s->req);
	if (ret) {
		frame_name(r, s, name, sizeof(name));
		if (ret == -EINVAL && r->src == SRC_IMAGES) {
			progress_clear(r);
			fprintf(stderr,
				"vision-run: %s: the model cannot read this image as a frame: %s\n",
				name, vision_strerror(ret));
			return EXIT_BAD_INPUT;
		}
		return infer_error(r, name, ret);
	}
	r->submitted++;
	return EXIT_OK;
}

/*
 * The pipeline: input n + 1 is captured (or decoded) and submitted
 * before the result of input n is waited for, so the two overlap.
 */
static int run_loop(struct run *r)
{
	struct slot slots[2];
	int cur = 0, ret = EXIT_OK;
	bool done = false;

	memset(slots, 0, sizeof(slots));
	r->t_start = now_ns();
	r->t_end = r->t_start;
	for (;;) {
		struct slot *s = &slots[cur], *prev = &slots[cur ^ 1];

		ret = next_input(r, s, &done);
		if (ret || done)
			break;
		if (prev->req) {
			ret = complete(r, prev);
			if (ret)
				break;
		}
		cur ^= 1;
	}
	/* The last one in flight. */
	if (!ret && slots[cur ^ 1].req)
		ret = complete(r, &slots[cur ^ 1]);
	slot_release(r, &slots[0]);
	slot_release(r, &slots[1]);
	progress_clear(r);
	return ret;
}

/* ---- summary -------------------------------------------------------------- */

/* A fourcc as four printable characters ('?' for any other byte). */
static const char *fourcc_str(uint32_t fourcc, char buf[5])
{
	int i;

	for (i = 0; i < 4; i++) {
		char c = (fourcc >> (8 * i)) & 0xff;

		buf[i] = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c :
									   '?';
	}
	buf[4] = 0;
	return buf;
}

static void print_summary(struct run *r, const struct vision_camera_stats *st)
{
	double secs = (r->t_end - r->t_start) / 1e9;
	char fcc[5];
	double fps = secs > 0 ? r->frames / secs : 0;
	uint64_t p50 = 0, p95 = 0, p99 = 0;
	const char *path =
		r->cam ? vision_camera_path_name(vision_camera_path(r->cam)) :
			 NULL;

	if (r->frames) {
		run_sort_u64(r->lat, r->frames);
		p50 = run_percentile(r->lat, r->frames, 50);
		p95 = run_percentile(r->lat, r->frames, 95);
		p99 = run_percentile(r->lat, r->frames, 99);
	}
	if (r->o->json) {
		printf("{\"type\": \"summary\", \"frames\": %" PRIu64
		       ", \"seconds\": %.6f, \"fps\": %.3f"
		       ", \"latency_ms\": {\"p50\": %.6f, \"p95\": %.6f, \"p99\": %.6f}",
		       r->frames, secs, fps, p50 / 1e6, p95 / 1e6, p99 / 1e6);
		printf(", \"device\": ");
		run_json_string(stdout, vision_device_path(r->dev));
		printf(", \"model\": ");
		run_json_string(stdout, r->o->model);
		if (r->cam) {
			printf(", \"camera\": ");
			run_json_string(stdout, r->o->camera);
			printf(", \"camera_path\": \"%s\", \"format\": \"%s\""
			       ", \"width\": %u, \"height\": %u",
			       path, fourcc_str(r->cam_fmt.fourcc, fcc),
			       r->cam_fmt.width, r->cam_fmt.height);
			if (st)
				printf(", \"dropped\": %" PRIu64
				       ", \"copied_bytes\": %" PRIu64
				       ", \"imports\": %" PRIu64,
				       st->dropped, st->copied_bytes,
				       st->imports);
			printf(", \"corrupt\": %" PRIu64, r->corrupt);
		}
		if (r->labelled)
			printf(", \"labelled\": %" PRIu64
			       ", \"correct\": %" PRIu64 ", \"accuracy\": %.6f",
			       r->labelled, r->correct,
			       (double)r->correct / r->labelled);
		printf(", \"interrupted\": %s", interrupted ? "true" : "false");
		if (r->o->profile && r->prof.count)
			prof_print_json(&r->prof);
		printf("}\n");
		return;
	}
	if (!r->o->quiet && r->frames)
		printf("\n");
	printf("frames:    %" PRIu64 "%s\n", r->frames,
	       interrupted ? " (interrupted)" : "");
	printf("fps:       %.1f (%.3f s)\n", fps, secs);
	printf("latency:   p50 %.3f ms, p95 %.3f ms, p99 %.3f ms\n", p50 / 1e6,
	       p95 / 1e6, p99 / 1e6);
	printf("device:    %s\n", vision_device_path(r->dev));
	if (r->cam) {
		printf("camera:    %s, %s %ux%u, path %s\n", r->o->camera,
		       fourcc_str(r->cam_fmt.fourcc, fcc), r->cam_fmt.width,
		       r->cam_fmt.height, path);
		if (st)
			printf("           %" PRIu64 " dropped, %" PRIu64
			       " corrupt, %" PRIu64 " bytes copied, %" PRIu64
			       " imports\n",
			       st->dropped, r->corrupt, st->copied_bytes,
			       st->imports);
	}
	if (r->labelled)
		printf("accuracy:  %.2f%% (%" PRIu64 "/%" PRIu64 ")\n",
		       100.0 * r->correct / r->labelled, r->correct,
		       r->labelled);
	if (r->o->profile && r->prof.count)
		prof_print_text(&r->prof);
}

/* ---- setup ------------------------------------------------------------------- */

static int load_model(struct run *r)
{
	struct vision_model_error merr;
	int ret;

	memset(&merr, 0, sizeof(merr));
	ret = vision_model_load(r->dev, r->o->model, &r->model, &merr);
	if (ret) {
		fprintf(stderr, "vision-run: %s: %s\n", r->o->model,
			merr.text[0] ? merr.text : vision_strerror(ret));
		if (ret == -ENOMEM)
			return EXIT_ERROR;
		return ret == -ENODEV ? EXIT_NO_DEVICE : EXIT_BAD_MODEL;
	}
	ret = vision_model_output(r->model, 0, &r->out);
	if (ret) {
		fprintf(stderr, "vision-run: %s: output 0: %s\n", r->o->model,
			vision_strerror(ret));
		return EXIT_BAD_MODEL;
	}
	if (r->out.type != VISION_TYPE_INT8 || !r->out.size ||
	    r->out.size > UINT32_MAX) {
		fprintf(stderr,
			"vision-run: %s: output 0 is not int8 class scores\n",
			r->o->model);
		return EXIT_BAD_MODEL;
	}
	r->classes = r->out.size;
	/* Asking for more classes than there are shows them all. */
	r->k = r->o->top_k ? r->o->top_k : DEFAULT_TOP_K;
	if (r->k > r->classes)
		r->k = r->classes;
	r->top = calloc(r->k, sizeof(*r->top));
	r->scores = calloc(r->classes, sizeof(*r->scores));
	if (!r->top || !r->scores) {
		fprintf(stderr, "vision-run: out of memory\n");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static int open_images(struct run *r)
{
	struct vis_error verr = { { 0 } };
	size_t i;
	int ret;

	for (i = 0; i < r->o->num_images; i++) {
		ret = run_images_add(&r->imgs, r->o->images[i], &verr);
		if (ret == -ENOMEM) {
			fprintf(stderr, "vision-run: out of memory\n");
			return EXIT_ERROR;
		}
		if (ret) {
			fprintf(stderr, "vision-run: %s\n", verr.msg);
			return EXIT_BAD_INPUT;
		}
	}
	if (r->o->labels) {
		ret = vis_labels_read(r->o->labels, &r->labels, &r->num_labels,
				      &verr);
		if (ret) {
			fprintf(stderr, "vision-run: %s\n",
				ret == -ENOMEM ? "out of memory" : verr.msg);
			return ret == -ENOMEM ? EXIT_ERROR : EXIT_BAD_INPUT;
		}
		if (r->num_labels != r->imgs.count) {
			fprintf(stderr,
				"vision-run: %s: %zu labels for %zu images\n",
				r->o->labels, r->num_labels, r->imgs.count);
			return EXIT_BAD_INPUT;
		}
	}
	return EXIT_OK;
}

static int open_camera(struct run *r)
{
	struct vision_camera_config cfg = r->o->cam;
	char fcc[5];
	int ret;

	if (r->src == SRC_FEED) {
		/* vivid: its output looped into its capture, same size. */
		ret = v4l2_feed_loop_setup(r->o->camera, r->o->feed, cfg.width,
					   cfg.height);
		if (ret == -ENODEV) {
			/* Not vivid: the loop is the user's (a cable). */
			fprintf(stderr,
				"vision-run: %s, %s: not vivid, assuming they are looped\n",
				r->o->feed, r->o->camera);
		} else if (ret) {
			fprintf(stderr, "vision-run: looping %s into %s: %s\n",
				r->o->feed, r->o->camera, vision_strerror(ret));
			return EXIT_CAMERA;
		}
		if (!cfg.width) {
			cfg.width = V4L2_FEED_WIDTH;
			cfg.height = V4L2_FEED_HEIGHT;
		}
	}
	ret = vision_camera_open(r->dev, r->o->camera, &cfg, &r->cam);
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr,
			"vision-run: %s: no pixel format this camera offers can be read by %s%s\n",
			r->o->camera, vision_device_path(r->dev),
			r->o->cam.fourcc ? " (or not the --format asked)" : "");
		return EXIT_CAMERA_FORMAT;
	}
	if (ret == -EINVAL && r->o->cam_set) {
		fprintf(stderr, "vision-run: %s: camera options refused: %s\n",
			r->o->camera, vision_strerror(ret));
		return EXIT_CAMERA;
	}
	if (ret == -ENODEV) {
		fprintf(stderr,
			"vision-run: %s: not a streaming video capture device\n",
			r->o->camera);
		return EXIT_CAMERA;
	}
	if (ret)
		return camera_error(r, ret);
	ret = vision_camera_format(r->cam, &r->cam_fmt);
	if (ret)
		return camera_error(r, ret);
	if (r->src == SRC_FEED) {
		ret = v4l2_feed_open(r->o->feed, r->cam_fmt.fourcc,
				     r->cam_fmt.width, r->cam_fmt.height,
				     &r->feed);
		if (ret == -EOPNOTSUPP) {
			fprintf(stderr,
				"vision-run: %s: cannot show %s frames (--format GREY, YUYV, NV12 or RGB3)\n",
				r->o->feed, fourcc_str(r->cam_fmt.fourcc, fcc));
			return EXIT_CAMERA_FORMAT;
		}
		if (ret) {
			fprintf(stderr, "vision-run: %s: %s\n", r->o->feed,
				vision_strerror(ret));
			return EXIT_CAMERA;
		}
	}
	ret = vision_camera_start(r->cam);
	if (ret)
		return camera_error(r, ret);
	return EXIT_OK;
}

static void run_free(struct run *r)
{
	if (r->feed)
		v4l2_feed_close(r->feed);
	vision_camera_close(r->cam);
	vision_model_free(r->model);
	vision_device_close(r->dev);
	run_images_free(&r->imgs);
	vis_image_release(&r->img);
	prof_free(&r->prof);
	free(r->labels);
	free(r->grey);
	free(r->lat);
	free(r->top);
	free(r->scores);
}

static int run(const struct options *o)
{
	struct vision_camera_stats st;
	struct run r = { .o = o };
	bool have_stats = false;
	struct sigaction sa;
	int ret;

	r.src = o->feed ? SRC_FEED : o->camera ? SRC_CAMERA : SRC_IMAGES;
	/* No device found: the CPU runs the model, with the same results. */
	ret = open_device(o->device, VISION_OPEN_FALLBACK_CPU, &r.dev);
	if (ret)
		goto out;
	ret = load_model(&r);
	if (ret)
		goto out;
	if (r.src != SRC_CAMERA) {
		ret = open_images(&r);
		if (ret)
			goto out;
	}

	/* Latencies: one per frame; a camera run grows the array. */
	r.lat_cap = r.src == SRC_CAMERA ? 1024 : r.imgs.count;
	if (o->frames && o->frames < r.lat_cap)
		r.lat_cap = o->frames;
	if (!r.lat_cap)
		r.lat_cap = 1;
	r.lat = malloc(r.lat_cap * sizeof(*r.lat));
	if (!r.lat) {
		fprintf(stderr, "vision-run: out of memory\n");
		ret = EXIT_ERROR;
		goto out;
	}

	/* Ctrl-C ends the run with its summary; a second one kills. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (r.src != SRC_IMAGES) {
		ret = open_camera(&r);
		if (ret)
			goto out;
	}
	r.progress = !o->json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	/* Each frame's line as soon as it is known, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	ret = run_loop(&r);
	if (r.cam && !vision_camera_get_stats(r.cam, &st))
		have_stats = true;
	if (!ret)
		print_summary(&r, have_stats ? &st : NULL);
out:
	fflush(stdout);
	run_free(&r);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o;
	struct vision_device *dev;
	int ret;

	memset(&o, 0, sizeof(o));
	ret = parse_args(argc, argv, &o);
	if (ret >= 0) {
		free(o.images);
		return ret;
	}
	if (o.info) {
		free(o.images);
		ret = open_device(o.device, 0, &dev);
		if (ret)
			return ret;
		ret = print_info(dev, o.json);
		vision_device_close(dev);
		return ret;
	}
	ret = run(&o);
	free(o.images);
	return ret;
}
