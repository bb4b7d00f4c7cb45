// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Seed corpus for fuzz_model: writes a dozen varied valid models, built
 * with the model builder, into the directory given on the command line.
 * Each is checked with the validator first; exits non-zero if any model
 * fails to build or validate.
 *
 * Usage: make_corpus DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vis_engine.h"
#include "model_builder.h"
#include "test_models.h"

static int write_model(const char *dir, const char *name, struct tm_model *m,
		       int ret)
{
	struct vis_engine_error err;
	struct vis_model vm;
	char path[4096];
	FILE *f;

	if (ret) {
		fprintf(stderr, "make_corpus: %s: build failed: %s\n", name,
			strerror(-ret));
		return 1;
	}
	ret = vis_model_validate(&vm, m->blob, m->size, &err);
	if (ret) {
		fprintf(stderr,
			"make_corpus: %s: invalid: section %u index %u %s: %s\n",
			name, err.section, err.index, err.field, err.msg);
		free(m->blob);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.vnm", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(m->blob, 1, m->size, f) != m->size) {
		fprintf(stderr, "make_corpus: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(m->blob);
		return 1;
	}
	free(m->blob);
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct tm_opts cls[] = {
		{ 8, 8, 3, 8, 10, 42, 1, VISION_MODEL_COLOR_RGB },
		{ 1, 1, 3, 1, 1, 1, 0, VISION_MODEL_COLOR_RGB },
		{ 5, 7, 3, 4, 3, 2, 1, VISION_MODEL_COLOR_BGR },
		{ 12, 9, 1, 6, 16, 3, 1, VISION_MODEL_COLOR_GREY },
		{ 16, 16, 3, 16, 5, 4, 0, VISION_MODEL_COLOR_RGB },
		{ 3, 17, 1, 2, 2, 5, 0, VISION_MODEL_COLOR_GREY },
	};
	struct tm_model m;
	char name[64];
	unsigned int i;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(cls); i++) {
		snprintf(name, sizeof(name), "classifier-%u", i);
		bad |= write_model(argv[1], name, &m,
				   tm_classifier(&m, &cls[i]));
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "sparse-%u", i);
		bad |= write_model(argv[1], name, &m,
				   tm_sparse(&m, 7 + i * 11));
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "misc-%u", i);
		bad |= write_model(argv[1], name, &m, tm_misc(&m, 99 + i * 13));
	}
	return bad;
}
