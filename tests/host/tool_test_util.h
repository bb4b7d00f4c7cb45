/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * The project's tools run as programs by the host tests: found next to
 * the test binary, started with stdout and stderr captured in files or
 * with a pseudo-terminal for stderr, and their exit status; and PNG
 * inputs for them.
 */
#ifndef TESTS_TOOL_TEST_UTIL_H
#define TESTS_TOOL_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * $@env if set, else @rel taken from this test binary's directory (@rel
 * itself if that cannot be read). Two static buffers used in turn.
 */
const char *exe_rel(const char *env, const char *rel);

/* A finished run of a tool. */
struct result {
	int status; /* exit status, or 128 + signal */
	char *out;
	char *err;
	size_t err_len;
};

void result_free(struct result *r);

/* A tool still running, its stdout and stderr going to two files. */
struct child {
	pid_t pid;
	char out_path[128];
	char err_path[128];
};

/*
 * Start @tool with @args (NULL-terminated, at most 62), stdin from
 * /dev/null; 0 or -1 (nothing left behind).
 */
int spawn_tool(struct child *c, const char *tool, const char *const *args);

/* Reap @c into @r (output read back, files removed); 0 or -1. */
int wait_child(struct child *c, struct result *r);

/* spawn_tool() then wait_child(); @r is always safe to result_free(). */
int run_tool(struct result *r, const char *tool, const char *const *args);

/* run_tool() with the arguments inline, asserting it ran. */
#define RUN_TOOL(tool, r, ...)                                  \
	do {                                                    \
		const char *const a_[] = { __VA_ARGS__, NULL }; \
		ASSERT_EQ(0, run_tool(r, tool, a_));            \
	} while (0)

/*
 * Start @tool with @args and stderr on a new pseudo-terminal, stdout on
 * it too if @out_on_pty (else /dev/null); the terminal's master side, or
 * -1. The caller reads it, reaps *@pid and closes the master.
 */
int spawn_on_pty(const char *tool, const char *const *args, bool out_on_pty,
		 pid_t *pid);

/*
 * @tool with stderr on a new pseudo-terminal (stdout to /dev/null), run
 * to its end (60 s at most): everything it wrote there into @buf (@cap
 * bytes with the NUL), the run's seconds into @secs, its exit status
 * (or 128 + signal) into @status. 0 or -1.
 */
int run_on_pty(const char *tool, const char *const *args, char *buf, size_t cap,
	       size_t *len, double *secs, int *status);

/*
 * A new 8-bit PNG at @path of the @w x @h grey pixels @px: grey, or RGB
 * with the three channels equal if @rgb. 0 or -1.
 */
int write_png(const char *path, const uint8_t *px, int w, int h, bool rgb);

#endif /* TESTS_TOOL_TEST_UTIL_H */
