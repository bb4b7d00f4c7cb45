// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * vision-run: run models on the vision NPU. This version reports the
 * device and its parameters (--info); model execution arrives with the
 * engine.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vision/vision.h>

/* Exit codes: distinct per failure class so scripts can tell them apart. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DEVICE = 3,
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s --info [--device PATH] [--json]\n"
		"\n"
		"  -i, --info          print the device and its parameters\n"
		"  -d, --device PATH   device node (default: first vision device)\n"
		"  -j, --json          machine-readable output\n"
		"  -V, --version       print the libvision version\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 usage, 3 no device.\n",
		prog);
}

static int print_info(struct vision_device *dev, int json)
{
	uint64_t v[VISION_PARAM_COUNT];
	int p, ret;

	for (p = 0; p < VISION_PARAM_COUNT; p++) {
		ret = vision_device_get_param(dev, p, &v[p]);
		if (ret) {
			fprintf(stderr, "vision-run: reading %s: %s\n",
				vision_param_name(p), vision_strerror(ret));
			return EXIT_ERROR;
		}
	}

	if (json) {
		printf("{\"device\": \"%s\", \"libvision\": \"%s\"",
		       vision_device_path(dev), vision_version_string());
		for (p = 0; p < VISION_PARAM_COUNT; p++)
			printf(", \"%s\": %" PRIu64, vision_param_name(p),
			       v[p]);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "info", no_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct vision_device *dev;
	int info = 0, json = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "id:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			info = 1;
			break;
		case 'd':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("vision-run (libvision %s)\n",
			       vision_version_string());
			return EXIT_OK;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_OK;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vision-run: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	if (!info) {
		fprintf(stderr, "vision-run: nothing to do (try --info)\n");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}

	ret = vision_device_open(path, &dev);
	if (ret) {
		fprintf(stderr, "vision-run: %s: %s\n",
			path ? path : "no device found", vision_strerror(ret));
		return ret == -ENODEV || ret == -ENOENT ? EXIT_NO_DEVICE :
							  EXIT_ERROR;
	}
	ret = print_info(dev, json);
	vision_device_close(dev);
	return ret;
}
