/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Files for the host tests that write their own inputs: scratch paths,
 * whole files written and read at once, and a directory tree removed.
 */
#ifndef TESTS_FILE_TEST_UTIL_H
#define TESTS_FILE_TEST_UTIL_H

#include <stddef.h>

/*
 * printf into one of 16 static buffers used in turn: a path that lives
 * until 16 more have been made.
 */
char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write @n bytes at @p to a new @path; 0 or -1. */
int write_file(const char *path, const void *p, size_t n);

/*
 * The whole of @path, NUL-terminated, its length in *@len (if @len);
 * free() it. NULL when it cannot be read or on no memory.
 */
char *read_all(const char *path, size_t *len);

/* Remove @dir and everything below it, links not followed. */
void rm_tree(const char *dir);

#endif /* TESTS_FILE_TEST_UTIL_H */
