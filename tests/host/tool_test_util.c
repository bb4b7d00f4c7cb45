// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Running the project's tools from the host tests: see tool_test_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <png.h>

#include "file_test_util.h"
#include "tool_test_util.h"

#define MAX_ARGS 62

extern char **environ;

const char *exe_rel(const char *env, const char *rel)
{
	static char bufs[2][PATH_MAX];
	static int next;
	char self[PATH_MAX], *b = bufs[next++ % 2];
	ssize_t n;

	if (getenv(env))
		return getenv(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return rel;
	self[n] = 0;
	snprintf(b, PATH_MAX, "%s/%s", dirname(self), rel);
	return b;
}

void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* @argv: @tool, then @args; room for MAX_ARGS + 2. */
static void make_argv(const char **argv, const char *tool,
		      const char *const *args)
{
	int i;

	argv[0] = tool;
	for (i = 0; args[i] && i < MAX_ARGS; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
}

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A new scratch file named after this test: its fd, or -1. */
static int scratch(char *path, size_t size, const char *what)
{
	int n = snprintf(path, size, "/tmp/%s.%s.XXXXXX",
			 program_invocation_short_name, what);

	if (n < 0 || (size_t)n >= size) {
		path[0] = 0;
		return -1;
	}
	return mkstemp(path);
}

int spawn_tool(struct child *c, const char *tool, const char *const *args)
{
	posix_spawn_file_actions_t fa;
	const char *argv[MAX_ARGS + 2];
	int fo, fe, ret;

	make_argv(argv, tool, args);
	fo = scratch(c->out_path, sizeof(c->out_path), "out");
	fe = scratch(c->err_path, sizeof(c->err_path), "err");
	ret = fo < 0 || fe < 0;
	if (!ret) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
						 0);
		posix_spawn_file_actions_adddup2(&fa, fo, 1);
		posix_spawn_file_actions_adddup2(&fa, fe, 2);
		ret = posix_spawn(&c->pid, argv[0], &fa, NULL,
				  (char *const *)argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
	if (!ret)
		return 0;
	if (fo >= 0)
		unlink(c->out_path);
	if (fe >= 0)
		unlink(c->err_path);
	return -1;
}

int wait_child(struct child *c, struct result *r)
{
	int st;

	if (waitpid(c->pid, &st, 0) != c->pid)
		return -1;
	r->status = exit_status(st);
	r->out = read_all(c->out_path, NULL);
	r->err = read_all(c->err_path, &r->err_len);
	unlink(c->out_path);
	unlink(c->err_path);
	return r->out && r->err ? 0 : -1;
}

int run_tool(struct result *r, const char *tool, const char *const *args)
{
	struct child c;

	memset(r, 0, sizeof(*r));
	if (spawn_tool(&c, tool, args))
		return -1;
	return wait_child(&c, r);
}

int spawn_on_pty(const char *tool, const char *const *args, bool out_on_pty,
		 pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	const char *argv[MAX_ARGS + 2];
	char *slave;
	int master, ret;

	make_argv(argv, tool, args);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		return -1;
	slave = grantpt(master) || unlockpt(master) ? NULL : ptsname(master);
	if (!slave) {
		close(master);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_on_pty) {
		posix_spawn_file_actions_addopen(&fa, 1, slave, O_RDWR, 0);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
						 0);
		posix_spawn_file_actions_addopen(&fa, 2, slave, O_RDWR, 0);
	}
	ret = posix_spawn(pid, argv[0], &fa, NULL, (char *const *)argv,
			  environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		close(master);
		return -1;
	}
	return master;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int run_on_pty(const char *tool, const char *const *args, char *buf, size_t cap,
	       size_t *len, double *secs, int *status)
{
	double t0 = now();
	int master, st, i;
	pid_t pid;

	*len = 0;
	master = spawn_on_pty(tool, args, false, &pid);
	if (master < 0)
		return -1;
	/* Until the child has closed the terminal (EIO) or 60 s. */
	for (i = 0; i < 600; i++) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				goto reaped;
			continue;
		}
		n = read(master, buf + *len, cap - 1 - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	waitpid(pid, &st, 0);
reaped:
	*secs = now() - t0;
	/* Whatever is still buffered. */
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 0) <= 0)
			break;
		n = read(master, buf + *len, cap - 1 - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	buf[*len] = 0;
	close(master);
	*status = exit_status(st);
	return 0;
}

int write_png(const char *path, const uint8_t *px, int w, int h, bool rgb)
{
	size_t ch = rgb ? 3 : 1, row = (size_t)w * ch, i, c;
	uint8_t *rows = malloc(row * h);
	png_structp png;
	png_infop info;
	FILE *f;
	int y;

	if (!rows)
		return -1;
	for (i = 0; i < (size_t)w * h; i++)
		for (c = 0; c < ch; c++)
			rows[i * ch + c] = px[i];
	f = fopen(path, "wb");
	if (!f) {
		free(rows);
		return -1;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		free(rows);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8,
		     rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, rows + row * y);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(rows);
	return fclose(f) ? -1 : 0;
}
