// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * The host tests' file helpers: see file_test_util.h.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "file_test_util.h"

#define PATHF_BUFS 16

char *pathf(const char *fmt, ...)
{
	static char bufs[PATHF_BUFS][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % PATHF_BUFS];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, PATH_MAX, fmt, ap);
	va_end(ap);
	return b;
}

int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) || !ok ? -1 : 0;
}

char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, r;
	char *b = malloc(cap + 1), *nb;

	if (!f || !b) {
		if (f)
			fclose(f);
		free(b);
		return NULL;
	}
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		nb = realloc(b, 2 * cap + 1);
		if (!nb) {
			free(b);
			fclose(f);
			return NULL;
		}
		b = nb;
		cap *= 2;
	}
	fclose(f);
	b[n] = 0;
	if (len)
		*len = n;
	return b;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
