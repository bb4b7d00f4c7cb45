// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * Scheduling, synchronisation and recovery: syncobjs in and out, implicit
 * sync on BOs, priorities, many threads and processes at once, files
 * closed or killed with jobs in flight, debugfs fault injection (failed,
 * skipped and hung jobs, the timeout and the reset that follows), fdinfo
 * and module unload right after work. Every output is compared with
 * libvision's CPU engine.
 *
 * Tests that need a short job timeout reload the module with
 * job_timeout_ms=300 (root and $VISION_KO) and load it back with default
 * parameters when done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sync_file.h>
#include <sys/syscall.h>

#include "test_models.h"
#include "vis_engine.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define BO_SIZE (64u << 10)
#define SENTINEL 0xa5
#define SEC 1000000000ll
#define WAIT_NS (20 * SEC)
#define NUM_INPUTS 8
/* Input slots in a BO: model m, input k at IN_OFF(m, k). */
#define IN_OFF(m, k) ((uint64_t)(m)*4096 + (uint64_t)(k)*512)

enum { M_CLS, M_SPARSE, M_MISC, NUM_MODELS };

/* Models, inputs and their outputs as libvision computes them. */
struct refs {
	struct tm_model tm[NUM_MODELS];
	uint64_t in_size[NUM_MODELS];
	uint64_t out_size[NUM_MODELS];
	uint8_t in[NUM_MODELS][NUM_INPUTS][512];
	uint8_t out[NUM_MODELS][NUM_INPUTS][512];
};

/* The models of @r loaded on @fd, and an input and an output BO. */
struct dev {
	int fd;
	struct drm_vision_model_info info[NUM_MODELS];
	uint32_t in, out;
	uint8_t *inp, *outp;
	uint64_t in_size, out_size;
};

static int refs_init(struct refs *r)
{
	uint32_t seed = 99;
	struct vis_model m;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = tm_classifier_default(&r->tm[M_CLS]);
	ret = ret ?: tm_sparse(&r->tm[M_SPARSE], 7);
	ret = ret ?: tm_misc(&r->tm[M_MISC], 11);
	for (int i = 0; !ret && i < NUM_MODELS; i++) {
		ret = vis_model_validate(&m, r->tm[i].blob, r->tm[i].size,
					 NULL);
		if (ret)
			break;
		r->in_size[i] = m.tensors[m.input->tensor].size;
		r->out_size[i] = 0;
		for (uint32_t o = 0; o < m.num_outputs; o++)
			r->out_size[i] += m.tensors[m.outputs[o].tensor].size;
		if (r->in_size[i] > 512 || r->out_size[i] > 512)
			return -E2BIG;
		for (int k = 0; !ret && k < NUM_INPUTS; k++) {
			for (int b = 0; b < 512; b++)
				r->in[i][k][b] = (uint8_t)(tm_rand(&seed) >> 3);
			ret = vision_ref_tensor(r->tm[i].blob, r->tm[i].size,
						r->in[i][k], r->out[i][k],
						r->out_size[i]);
		}
	}
	return ret;
}

static void refs_fini(struct refs *r)
{
	for (int i = 0; i < NUM_MODELS; i++)
		free(r->tm[i].blob);
}

/* Load @r's models on @fd; inputs in their slots, output BO sentinel. */
static int dev_init(struct dev *d, int fd, const struct refs *r)
{
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	for (int i = 0; !ret && i < NUM_MODELS; i++)
		ret = vision_model_create(fd, r->tm[i].blob, r->tm[i].size,
					  &d->info[i]);
	ret = ret ?: vision_bo_create(fd, BO_SIZE, 0, &d->in, NULL);
	ret = ret ?: vision_bo_create(fd, BO_SIZE, 0, &d->out, NULL);
	if (ret)
		return ret;
	d->inp = vision_bo_mmap(fd, d->in, &d->in_size);
	d->outp = vision_bo_mmap(fd, d->out, &d->out_size);
	if (!d->inp || !d->outp)
		return -errno;
	for (int i = 0; i < NUM_MODELS; i++)
		for (int k = 0; k < NUM_INPUTS; k++)
			memcpy(d->inp + IN_OFF(i, k), r->in[i][k], 512);
	memset(d->outp, SENTINEL, d->out_size);
	return 0;
}

static void dev_fini(struct dev *d)
{
	if (d->inp)
		munmap(d->inp, d->in_size);
	if (d->outp)
		munmap(d->outp, d->out_size);
	d->inp = NULL;
	d->outp = NULL;
}

/* Job: model @m on input slot @k of @d's input BO, to @out_off. */
static struct drm_vision_job job_of(const struct dev *d, int m, int k,
				    uint64_t out_off)
{
	struct drm_vision_job j;

	memset(&j, 0, sizeof(j));
	j.model_handle = d->info[m].handle;
	j.in_handle = d->in;
	j.out_handle = d->out;
	j.in_offset = IN_OFF(m, k);
	j.out_offset = out_off;
	return j;
}

/* ---- syncobj, sync_file, debugfs and fdinfo helpers -------------------- */

static int syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create args = { 0 };

	if (ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &args))
		return -errno;
	*handle = args.handle;
	return 0;
}

static int syncobj_wait(int fd, uint32_t handle, int64_t rel_ns, uint32_t flags)
{
	struct drm_syncobj_wait args = {
		.handles = (uintptr_t)&handle,
		.timeout_nsec = vision_now_ns() + rel_ns,
		.count_handles = 1,
		.flags = flags,
	};

	if (ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &args))
		return -errno;
	return 0;
}

/* Share a syncobj with another file; returns its handle there. */
static int syncobj_share(int from, uint32_t handle, int to, uint32_t *out)
{
	struct drm_syncobj_handle args = { .handle = handle };
	int ret = 0;

	if (ioctl(from, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &args))
		return -errno;
	args.handle = 0;
	if (ioctl(to, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &args))
		ret = -errno;
	close(args.fd);
	*out = args.handle;
	return ret;
}

/*
 * Status of a syncobj's fence as sync_file reports it: 1 signalled,
 * 0 active, or the fence's negative error. -errno on failure (returned
 * as a large negative value: below -4095).
 */
static int syncobj_status(int fd, uint32_t handle)
{
	struct drm_syncobj_handle args = {
		.handle = handle,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	struct sync_file_info info;
	int ret;

	if (ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &args))
		return -10000 - errno;
	memset(&info, 0, sizeof(info));
	ret = ioctl(args.fd, SYNC_IOC_FILE_INFO, &info) ? -10000 - errno :
							  info.status;
	close(args.fd);
	return ret;
}

/* Sum of "@key=N" over the per-core lines of debugfs state. */
static long long state_sum(int fd, const char *key)
{
	char buf[16384], pat[32];
	long long sum = 0;
	int found = 0;

	if (vision_debugfs_read(fd, "state", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pat, sizeof(pat), " %s=", key);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *p;

		if (strncmp(line, "core ", 5))
			continue;
		p = strstr(line, pat);
		if (!p)
			return -1;
		sum += strtoll(p + strlen(pat), NULL, 10);
		found = 1;
	}
	return found ? sum : -1;
}

/* Live models in debugfs state: "model id=" lines. */
static int state_models(int fd)
{
	char buf[16384];
	int n = 0;

	if (vision_debugfs_read(fd, "state", buf, sizeof(buf)) < 0)
		return -1;
	for (char *p = buf; (p = strstr(p, "model id=")); p++)
		n++;
	return n;
}

/*
 * Faults hit the next jobs to *run*, not to be submitted: wait until the
 * armed ones are used up ("mode 0") before queueing jobs that must not be
 * hit. 0, or -ETIMEDOUT.
 */
static int wait_fault_used(int fd)
{
	char buf[64];
	unsigned int n;

	for (int i = 0; i < 500; i++) {
		if (vision_debugfs_read(fd, "fault", buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%*s %u", &n) == 1 && !n)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Poll state until no model is left (models die with their jobs). */
static int wait_no_models(void)
{
	int fd = vision_open(), n = -1;

	if (fd < 0)
		return fd;
	for (int i = 0; i < 200; i++) {
		n = state_models(fd);
		if (n <= 0)
			break;
		usleep(50000);
	}
	close(fd);
	return n;
}

/* Value of fdinfo key @key ("drm-engine-npu:") of @fd; -1 if absent. */
static long long fdinfo_value(int fd, const char *key)
{
	char path[64], buf[8192], *p;
	int f;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, key);
	if (!p)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

static int fdinfo_has(int fd, const char *text)
{
	char path[64], buf[8192];
	int f;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* ---- the worker: submit, wait, compare, many times ----------------------- */

struct worker {
	int fd; /* shared fd, or -1: open one */
	uint32_t seed;
	int iters;
	const struct refs *refs;
	int jobs; /* jobs checked */
	char err[160]; /* first failure, empty if none */
};

/* Each round: 1 to 3 jobs (one submit or several), wait, check. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct refs *r = w->refs;
	int fd = w->fd >= 0 ? w->fd : vision_open();
	struct dev d;
	int ret;

	if (fd < 0) {
		snprintf(w->err, sizeof(w->err), "open: %d", fd);
		return NULL;
	}
	ret = dev_init(&d, fd, r);
	if (ret) {
		snprintf(w->err, sizeof(w->err), "dev_init: %d", ret);
		goto out;
	}
	for (int it = 0; it < w->iters && !w->err[0]; it++) {
		struct drm_vision_job j[3];
		int m[3], k[3], n = 1 + tm_rand(&w->seed) % 3;
		uint32_t prio = it % 4 == 3 ? DRM_VISION_SUBMIT_PRIORITY_HIGH :
					      DRM_VISION_SUBMIT_PRIORITY_NORMAL;
		int32_t st = 1;

		for (int i = 0; i < n; i++) {
			m[i] = tm_rand(&w->seed) % NUM_MODELS;
			k[i] = tm_rand(&w->seed) % NUM_INPUTS;
			j[i] = job_of(&d, m[i], k[i], 512 * i + it % 7);
		}
		memset(d.outp, SENTINEL, 2048);
		if (it & 1) {
			ret = vision_submit(fd, j, n, prio);
		} else {
			ret = 0;
			for (int i = 0; i < n && !ret; i++)
				ret = vision_submit(fd, &j[i], 1, prio);
		}
		ret = ret ?: vision_bo_wait(fd, d.out, WAIT_NS, &st);
		if (ret || st) {
			snprintf(w->err, sizeof(w->err),
				 "iter %d: submit/wait %d status %d", it, ret,
				 st);
			break;
		}
		for (int i = 0; i < n; i++) {
			if (memcmp(d.outp + j[i].out_offset, r->out[m[i]][k[i]],
				   r->out_size[m[i]])) {
				snprintf(w->err, sizeof(w->err),
					 "iter %d job %d: model %d in %d: bad",
					 it, i, m[i], k[i]);
				break;
			}
			w->jobs++;
		}
	}
	dev_fini(&d);
	/* On a shared fd, give the handles back. */
	if (w->fd >= 0) {
		for (int i = 0; i < NUM_MODELS; i++)
			vision_gem_close(fd, d.info[i].handle);
		vision_gem_close(fd, d.in);
		vision_gem_close(fd, d.out);
	}
out:
	if (w->fd < 0)
		close(fd);
	return NULL;
}

/* ---- fixture: the module as loaded, one file ---------------------------- */

FIXTURE(sched)
{
	struct refs r;
	struct dev d;
};

FIXTURE_SETUP(sched)
{
	int fd = vision_open();

	self->d.fd = -1;
	if (fd == -ENODEV)
		SKIP(return, "no vision device");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, refs_init(&self->r));
	ASSERT_EQ(0, dev_init(&self->d, fd, &self->r));
}

FIXTURE_TEARDOWN(sched)
{
	if (self->d.fd >= 0) {
		vision_debugfs_write(self->d.fd, "fault", "none");
		dev_fini(&self->d);
		close(self->d.fd);
	}
	refs_fini(&self->r);
}

/* Output of job @j of model @m on input @k is libvision's. */
static int out_ok_(const struct dev *d, const struct refs *r,
		   const struct drm_vision_job *j, int m, int k)
{
	return !memcmp(d->outp + j->out_offset, r->out[m][k], r->out_size[m]);
}

#define out_ok(self, j, m, k) out_ok_(&(self)->d, &(self)->r, j, m, k)

/* The out_syncobj gets the job's fence; waiting on it is enough. */
TEST_F(sched, out_syncobj)
{
	struct drm_vision_job j = job_of(&self->d, M_CLS, 2, 100);
	uint32_t s = 0;

	ASSERT_EQ(0, syncobj_create(self->d.fd, &s));
	/* No fence yet: a plain wait fails. */
	ASSERT_EQ(-EINVAL, syncobj_wait(self->d.fd, s, 0, 0));
	j.out_syncobj = s;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, syncobj_wait(self->d.fd, s, WAIT_NS,
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
	/* Signalled means written: no BO_WAIT before looking. */
	ASSERT_TRUE(out_ok(self, &j, M_CLS, 2));
	ASSERT_EQ(1, syncobj_status(self->d.fd, s));
}

/*
 * Job n reads what job n-1 wrote, each a submit of its own, with
 * syncobjs from one to the next; X and Y swap roles.
 */
TEST_F(sched, syncobj_chain)
{
	const int models[] = { M_MISC, M_CLS, M_SPARSE, M_MISC, M_MISC, M_CLS };
	const int n = ARRAY_SIZE(models);
	uint32_t bo[2], s[6];
	uint8_t *p[2], *ref = malloc(512);
	uint64_t size;
	uint32_t seed = 5;

	ASSERT_NE(NULL, ref);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0,
			  vision_bo_create(self->d.fd, 4096, 0, &bo[i], NULL));
		p[i] = vision_bo_mmap(self->d.fd, bo[i], &size);
		ASSERT_NE(NULL, p[i]);
	}
	for (int b = 0; b < 4096; b++)
		p[0][b] = (uint8_t)tm_rand(&seed);
	memset(p[1], 0x3c, 4096);
	/* Job i reads bo[i % 2] at 0 and writes bo[(i + 1) % 2] at 0. */
	for (int i = 0; i < n; i++) {
		struct drm_vision_job j = job_of(&self->d, models[i], 0, 0);

		ASSERT_EQ(0, syncobj_create(self->d.fd, &s[i]));
		j.in_handle = bo[i % 2];
		j.in_offset = 0;
		j.out_handle = bo[(i + 1) % 2];
		j.in_syncobj = i ? s[i - 1] : 0;
		j.out_syncobj = s[i];
		ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	}
	/* What each BO must hold at the end, computed along the chain. */
	{
		uint8_t *x[2];

		x[0] = malloc(4096);
		x[1] = malloc(4096);
		ASSERT_NE(NULL, x[0]);
		ASSERT_NE(NULL, x[1]);
		seed = 5;
		for (int b = 0; b < 4096; b++)
			x[0][b] = (uint8_t)tm_rand(&seed);
		memset(x[1], 0x3c, 4096);
		for (int i = 0; i < n; i++) {
			int mm = models[i];

			ASSERT_EQ(0, vision_ref_tensor(self->r.tm[mm].blob,
						       self->r.tm[mm].size,
						       x[i % 2], ref,
						       self->r.out_size[mm]));
			memcpy(x[(i + 1) % 2], ref, self->r.out_size[mm]);
		}
		ASSERT_EQ(0,
			  syncobj_wait(self->d.fd, s[n - 1], WAIT_NS,
				       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
		EXPECT_EQ(0, memcmp(x[0], p[0], 4096));
		EXPECT_EQ(0, memcmp(x[1], p[1], 4096));
		free(x[0]);
		free(x[1]);
	}
	free(ref);
}

/* The same chain with no syncobjs: BO fences alone order the jobs. */
TEST_F(sched, implicit_chain)
{
	uint32_t bo[2];
	uint8_t *p[2], *x[2], ref[512];
	uint64_t size;
	uint32_t seed = 77;
	const int n = 12;

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0,
			  vision_bo_create(self->d.fd, 4096, 0, &bo[i], NULL));
		p[i] = vision_bo_mmap(self->d.fd, bo[i], &size);
		ASSERT_NE(NULL, p[i]);
		x[i] = malloc(4096);
		ASSERT_NE(NULL, x[i]);
	}
	for (int b = 0; b < 4096; b++)
		p[0][b] = x[0][b] = (uint8_t)tm_rand(&seed);
	memset(p[1], 0, 4096);
	memset(x[1], 0, 4096);
	for (int i = 0; i < n; i++) {
		int m = i % 3 == 2 ? M_CLS : M_MISC;
		struct drm_vision_job j = job_of(&self->d, m, 0, 0);

		j.in_handle = bo[i % 2];
		j.in_offset = 0;
		j.out_handle = bo[(i + 1) % 2];
		ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
		ASSERT_EQ(0, vision_ref_tensor(self->r.tm[m].blob,
					       self->r.tm[m].size, x[i % 2],
					       ref, self->r.out_size[m]));
		memcpy(x[(i + 1) % 2], ref, self->r.out_size[m]);
	}
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, bo[n % 2], WAIT_NS, NULL));
	ASSERT_EQ(0,
		  vision_bo_wait(self->d.fd, bo[(n + 1) % 2], WAIT_NS, NULL));
	EXPECT_EQ(0, memcmp(x[0], p[0], 4096));
	EXPECT_EQ(0, memcmp(x[1], p[1], 4096));
	free(x[0]);
	free(x[1]);
}

/*
 * Write after read: a later job overwriting a BO must wait for the
 * earlier job that reads it; and write after write keeps the last one.
 */
TEST_F(sched, implicit_war_waw)
{
	for (int round = 0; round < 8; round++) {
		int k = round % NUM_INPUTS, k2 = (round + 3) % NUM_INPUTS;
		struct drm_vision_job rd = job_of(&self->d, M_CLS, k, 0);
		struct drm_vision_job wr = job_of(&self->d, M_MISC, k2, 0);
		struct drm_vision_job wr2 = job_of(&self->d, M_MISC, k, 0);
		uint32_t tmp;
		uint8_t *tp;
		uint64_t size;

		ASSERT_EQ(0, vision_bo_create(self->d.fd, 4096, 0, &tmp, NULL));
		tp = vision_bo_mmap(self->d.fd, tmp, &size);
		ASSERT_NE(NULL, tp);
		/* rd: in slot (CLS, k) -> out 0; wr: misc -> over that slot. */
		wr.out_handle = self->d.in;
		wr.out_offset = IN_OFF(M_CLS, k);
		wr.in_handle = tmp;
		wr.in_offset = 0;
		memcpy(tp, self->r.in[M_MISC][k2], 512);
		ASSERT_EQ(0, vision_submit(self->d.fd, &rd, 1, 0));
		ASSERT_EQ(0, vision_submit(self->d.fd, &wr, 1, 0));
		/* Then two writers of one range: the second wins. */
		wr2.out_offset = 1024;
		wr.out_handle = self->d.out;
		wr.out_offset = 1024;
		ASSERT_EQ(0, vision_submit(self->d.fd, &wr, 1, 0));
		ASSERT_EQ(0, vision_submit(self->d.fd, &wr2, 1, 0));
		ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.in, WAIT_NS,
					    NULL));
		ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS,
					    NULL));
		EXPECT_TRUE(out_ok(self, &rd, M_CLS, k));
		EXPECT_TRUE(out_ok(self, &wr2, M_MISC, k));
		EXPECT_EQ(0, memcmp(self->d.inp + IN_OFF(M_CLS, k),
				    self->r.out[M_MISC][k2],
				    self->r.out_size[M_MISC]));
		/* Put the input slot back for the next round. */
		memcpy(self->d.inp + IN_OFF(M_CLS, k), self->r.in[M_CLS][k],
		       512);
		munmap(tp, size);
		vision_gem_close(self->d.fd, tmp);
	}
}

/* HIGH priority (tests run as root: CAP_SYS_NICE) works, mixed with NORMAL. */
TEST_F(sched, high_priority)
{
	uint64_t caps = 0;
	struct drm_vision_job j[16];

	ASSERT_EQ(0, vision_get_param(self->d.fd, DRM_VISION_PARAM_CAPABILITIES,
				      0, &caps));
	ASSERT_TRUE(caps & DRM_VISION_CAP_PRIORITY);
	for (int i = 0; i < 16; i++) {
		j[i] = job_of(&self->d, i % NUM_MODELS, i % NUM_INPUTS,
			      256 * i);
		ASSERT_EQ(0,
			  vision_submit(
				  self->d.fd, &j[i], 1,
				  i % 2 ? DRM_VISION_SUBMIT_PRIORITY_HIGH :
					  DRM_VISION_SUBMIT_PRIORITY_NORMAL));
	}
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, NULL));
	for (int i = 0; i < 16; i++)
		EXPECT_TRUE(
			out_ok(self, &j[i], i % NUM_MODELS, i % NUM_INPUTS));
}

/* Without CAP_SYS_NICE, HIGH is refused with -EPERM and queues nothing. */
TEST_F(sched, high_priority_needs_cap)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop CAP_SYS_NICE from");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct c[2];
		struct drm_vision_job j;
		struct dev d;
		int fd, ret;
		int32_t st = 1;

		if (syscall(SYS_capget, &h, c))
			_exit(10);
		c[CAP_TO_INDEX(CAP_SYS_NICE)].effective &=
			~CAP_TO_MASK(CAP_SYS_NICE);
		if (syscall(SYS_capset, &h, c))
			_exit(11);
		fd = vision_open();
		if (fd < 0 || dev_init(&d, fd, &self->r))
			_exit(12);
		j = job_of(&d, M_CLS, 6, 0);
		ret = vision_submit(fd, &j, 1, DRM_VISION_SUBMIT_PRIORITY_HIGH);
		if (ret != -EPERM)
			_exit(13);
		if (vision_bo_wait(fd, d.out, WAIT_NS, NULL) ||
		    d.outp[0] != SENTINEL)
			_exit(14);
		ret = vision_submit(fd, &j, 1,
				    DRM_VISION_SUBMIT_PRIORITY_NORMAL);
		ret = ret ?: vision_bo_wait(fd, d.out, WAIT_NS, &st);
		if (ret || st ||
		    memcmp(d.outp, self->r.out[M_CLS][6],
			   self->r.out_size[M_CLS]))
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 13: HIGH accepted without the capability. */
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* An in_syncobj already signalled holds nothing back. */
TEST_F(sched, in_syncobj_signalled)
{
	struct drm_syncobj_create args = {
		.flags = DRM_SYNCOBJ_CREATE_SIGNALED,
	};
	struct drm_vision_job j = job_of(&self->d, M_SPARSE, 2, 0);
	int32_t st = 1;

	ASSERT_EQ(0, ioctl(self->d.fd, DRM_IOCTL_SYNCOBJ_CREATE, &args));
	j.in_syncobj = args.handle;
	/* Both ways at once: in and out the same syncobj. */
	j.out_syncobj = args.handle;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, syncobj_wait(self->d.fd, args.handle, WAIT_NS, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(out_ok(self, &j, M_SPARSE, 2));
	EXPECT_EQ(1, syncobj_status(self->d.fd, args.handle));
}

/* Four threads, two on the fixture's file and two on their own. */
TEST_F_TIMEOUT(sched, threads, 120)
{
	struct worker w[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = i < 2 ? self->d.fd : -1;
		w[i].seed = 1000 + i;
		w[i].iters = 200;
		w[i].refs = &self->r;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_run, &w[i]));
	}
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	for (int i = 0; i < 4; i++) {
		EXPECT_STREQ("", w[i].err)
		{
			TH_LOG("thread %d", i);
		}
		EXPECT_LE(200, w[i].jobs);
	}
}

/* Two processes, each with its own file, at the same time. */
TEST_F_TIMEOUT(sched, processes, 120)
{
	pid_t pid[2];
	int status;

	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			struct worker w = {
				.fd = -1,
				.seed = 77 + i,
				.iters = 100,
				.refs = &self->r,
			};

			worker_run(&w);
			if (w.err[0])
				fprintf(stderr, "# child %d: %s\n", i, w.err);
			_exit(w.err[0] || w.jobs < 100);
		}
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		{
			TH_LOG("child %d failed (status 0x%x)", i, status);
		}
	}
}

/* Submit many jobs on a new file; return the fd without waiting. */
static int busy_file(const struct refs *r, int njobs)
{
	struct drm_vision_job j[16];
	struct dev d;
	int fd = vision_open(), ret;

	if (fd < 0)
		return fd;
	ret = dev_init(&d, fd, r);
	for (int n = 0; !ret && n < njobs; n += 16) {
		int c = njobs - n < 16 ? njobs - n : 16;

		for (int i = 0; i < c; i++)
			j[i] = job_of(&d, (n + i) % NUM_MODELS, i % NUM_INPUTS,
				      512 * i);
		ret = vision_submit(fd, j, c, 0);
	}
	dev_fini(&d);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* One normal job on a fresh file, checked; 0 or a negative errno. */
static int one_good_job(const struct refs *r)
{
	struct drm_vision_job j;
	struct dev d;
	int fd = vision_open(), ret;
	int32_t st = 1;

	if (fd < 0)
		return fd;
	ret = dev_init(&d, fd, r);
	if (!ret) {
		j = job_of(&d, M_CLS, 3, 64);
		ret = vision_submit(fd, &j, 1, 0);
		ret = ret ?: vision_bo_wait(fd, d.out, WAIT_NS, &st);
		if (!ret && (st || memcmp(d.outp + 64, r->out[M_CLS][3],
					  r->out_size[M_CLS])))
			ret = -EBADMSG;
	}
	dev_fini(&d);
	close(fd);
	return ret;
}

/* Closing a file with jobs queued leaks nothing; the device goes on. */
TEST_F(sched, close_in_flight)
{
	/* Only files of this test may hold models. */
	dev_fini(&self->d);
	close(self->d.fd);
	self->d.fd = -1;
	for (int round = 0; round < 3; round++) {
		int fd = busy_file(&self->r, 20);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, one_good_job(&self->r));
	}
	ASSERT_EQ(0, wait_no_models());
}

/* A process killed with jobs in flight leaves a working device. */
TEST_F(sched, sigkill_in_flight)
{
	dev_fini(&self->d);
	close(self->d.fd);
	self->d.fd = -1;
	for (int round = 0; round < 2; round++) {
		int pipefd[2], status;
		char c = 0;
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd[3];

			for (int i = 0; i < 3; i++)
				fd[i] = busy_file(&self->r, 32);
			c = fd[0] >= 0 && fd[1] >= 0 && fd[2] >= 0;
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		ASSERT_EQ(1, c);
		ASSERT_EQ(0, one_good_job(&self->r));
	}
	ASSERT_EQ(0, wait_no_models());
}

/* The device's own per-core counters count completed jobs. */
TEST_F(sched, state_counts_jobs)
{
	struct drm_vision_job j[10];
	long long before = state_sum(self->d.fd, "jobs"), after = -1;

	ASSERT_LE(0, before);
	for (int i = 0; i < 10; i++)
		j[i] = job_of(&self->d, M_SPARSE, i % NUM_INPUTS, 128 * i);
	ASSERT_EQ(0, vision_submit(self->d.fd, j, 10, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, NULL));
	for (int i = 0; i < 100; i++) {
		after = state_sum(self->d.fd, "jobs");
		if (after >= before + 10)
			break;
		usleep(20000);
	}
	EXPECT_EQ(before + 10, after);
	for (int i = 0; i < 10; i++)
		EXPECT_TRUE(out_ok(self, &j[i], M_SPARSE, i % NUM_INPUTS));
}

/* fdinfo names the driver and the client; busy time grows with jobs. */
TEST_F(sched, fdinfo_engine)
{
	struct drm_vision_job j[8];
	long long before, after = -1;

	ASSERT_TRUE(fdinfo_has(self->d.fd, "drm-driver:\tvision\n"));
	ASSERT_TRUE(fdinfo_has(self->d.fd, "drm-client-id:\t"));
	ASSERT_TRUE(fdinfo_has(self->d.fd, "drm-total-memory:") ||
		    fdinfo_has(self->d.fd, "drm-memory-"));
	before = fdinfo_value(self->d.fd, "drm-engine-npu:\t");
	ASSERT_LE(0, before);
	ASSERT_TRUE(fdinfo_has(self->d.fd, " ns\n"));
	for (int i = 0; i < 8; i++)
		j[i] = job_of(&self->d, M_CLS, i, 256 * i);
	ASSERT_EQ(0, vision_submit(self->d.fd, j, 8, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, NULL));
	for (int i = 0; i < 100; i++) {
		after = fdinfo_value(self->d.fd, "drm-engine-npu:\t");
		if (after > before)
			break;
		usleep(20000);
	}
	EXPECT_LT(before, after);
	/* Another file's counter did not move. */
	{
		int fd2 = vision_open();

		ASSERT_LE(0, fd2);
		EXPECT_EQ(0, fdinfo_value(fd2, "drm-engine-npu:\t"));
		close(fd2);
	}
}

/* "fail": the job ends with -EIO, in BO_WAIT and on its fence. */
TEST_F(sched, fault_fail)
{
	struct drm_vision_job j = job_of(&self->d, M_CLS, 1, 0);
	long long failed = state_sum(self->d.fd, "failed");
	int32_t st = 0;
	uint32_t s = 0;

	ASSERT_LE(0, failed);
	ASSERT_EQ(0, syncobj_create(self->d.fd, &s));
	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "fail"));
	j.out_syncobj = s;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, syncobj_wait(self->d.fd, s, WAIT_NS,
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(-EIO, st);
	EXPECT_EQ(-EIO, syncobj_status(self->d.fd, s));
	/* One job only: the next runs. */
	j.out_syncobj = 0;
	j.out_offset = 512;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(out_ok(self, &j, M_CLS, 1));
	EXPECT_EQ(failed + 1, state_sum(self->d.fd, "failed"));
}

/* "complete": status 0, the model never ran, the output is untouched. */
TEST_F(sched, fault_complete)
{
	struct drm_vision_job j = job_of(&self->d, M_MISC, 4, 0);
	int32_t st = 1;

	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "complete"));
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	for (uint64_t i = 0; i < self->d.out_size; i++)
		ASSERT_EQ(SENTINEL, self->d.outp[i]);
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(out_ok(self, &j, M_MISC, 4));
}

/* "fail 3" fails exactly the next three jobs; reads back as set. */
TEST_F(sched, fault_count)
{
	char buf[64];

	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "fail 3"));
	ASSERT_LT(0,
		  vision_debugfs_read(self->d.fd, "fault", buf, sizeof(buf)));
	ASSERT_STREQ("fail 3\n", buf);
	for (int i = 0; i < 5; i++) {
		struct drm_vision_job j = job_of(&self->d, M_SPARSE, i, 0);
		int32_t st = 1;

		memset(self->d.outp, SENTINEL, 512);
		ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
		ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS,
					    &st));
		if (i < 3) {
			EXPECT_EQ(-EIO, st);
		} else {
			EXPECT_EQ(0, st);
			EXPECT_TRUE(out_ok(self, &j, M_SPARSE, i));
		}
	}
	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "none"));
	ASSERT_LT(0,
		  vision_debugfs_read(self->d.fd, "fault", buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "none", 4));
}

TEST_F(sched, fault_invalid)
{
	static const char *const bad[] = {
		"bogus", "fail x", "FAIL", "hang -1", "complete 1 2", "failure"
	};
	struct drm_vision_job j = job_of(&self->d, M_CLS, 0, 0);
	int32_t st = 1;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL,
			  vision_debugfs_write(self->d.fd, "fault", bad[i]))
		{
			TH_LOG("\"%s\" accepted", bad[i]);
		}
	}
	/* Nothing armed: a job runs normally. */
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(out_ok(self, &j, M_CLS, 0));
}

/* ---- fixture: the module reloaded with parameters ------------------------ */

static int module_reload(const char *params)
{
	int ret = -EBUSY;

	/* Teardown may come right after files closed: allow a moment. */
	for (int i = 0; i < 100; i++) {
		ret = vision_module_unload();
		if (ret != -EWOULDBLOCK && ret != -EBUSY && ret != -EAGAIN)
			break;
		usleep(50000);
	}
	if (ret && ret != -ENOENT)
		return ret;
	return vision_module_load(params);
}

FIXTURE(reload)
{
	struct refs r;
	struct dev d;
};

FIXTURE_SETUP(reload)
{
	int fd;

	self->d.fd = -1;
	if (geteuid() != 0 || !getenv("VISION_KO"))
		SKIP(return, "needs root and VISION_KO");
	ASSERT_EQ(0, module_reload("job_timeout_ms=300"));
	fd = vision_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, refs_init(&self->r));
	ASSERT_EQ(0, dev_init(&self->d, fd, &self->r));
}

/* Back to the default load, whatever the test left open. */
FIXTURE_TEARDOWN(reload)
{
	if (self->d.fd >= 0)
		vision_debugfs_write(self->d.fd, "fault", "none");
	dev_fini(&self->d);
	close_range(3, ~0u, 0);
	refs_fini(&self->r);
	EXPECT_EQ(0, module_reload(""));
}

/* A hung job times out: -ETIMEDOUT everywhere, then the core is reset. */
TEST_F(reload, hang_timeout)
{
	struct drm_vision_job j = job_of(&self->d, M_CLS, 5, 0);
	int32_t st = 0;
	uint32_t s = 0;

	ASSERT_EQ(0, state_sum(self->d.fd, "timeouts"));
	ASSERT_EQ(0, syncobj_create(self->d.fd, &s));
	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "hang"));
	j.out_syncobj = s;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, syncobj_wait(self->d.fd, s, WAIT_NS,
				  DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(-ETIMEDOUT, st);
	EXPECT_EQ(-ETIMEDOUT, syncobj_status(self->d.fd, s));
	/* Recovery: the next job runs and is right. */
	j.out_syncobj = 0;
	j.out_offset = 1024;
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_TRUE(out_ok(self, &j, M_CLS, 5));
	EXPECT_EQ(1, state_sum(self->d.fd, "timeouts"));
	EXPECT_LE(1, state_sum(self->d.fd, "resets"));
}

/* BO_WAIT on a busy BO gives up at its timeout; input BOs are busy too. */
TEST_F(reload, bo_wait_busy)
{
	struct drm_vision_job j = job_of(&self->d, M_SPARSE, 0, 0);
	struct drm_vision_bo_wait w = { .handle = self->d.out };
	int64_t t0, t1;
	int32_t st = 0;

	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "hang"));
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	/* A timeout in the past polls. */
	w.timeout_ns = 0;
	ASSERT_EQ(-1, ioctl(self->d.fd, DRM_IOCTL_VISION_BO_WAIT, &w));
	ASSERT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(-ETIMEDOUT,
		  vision_bo_wait(self->d.fd, self->d.in, 20000000, NULL));
	t0 = vision_now_ns();
	ASSERT_EQ(-ETIMEDOUT,
		  vision_bo_wait(self->d.fd, self->d.out, 50000000, NULL));
	t1 = vision_now_ns();
	EXPECT_LE(50000000, t1 - t0);
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(-ETIMEDOUT, st);
	/* Idle now: polling succeeds. */
	w.timeout_ns = 0;
	ASSERT_EQ(0, ioctl(self->d.fd, DRM_IOCTL_VISION_BO_WAIT, &w));
	EXPECT_EQ(-ETIMEDOUT, w.job_status);
}

/* Jobs queued behind a hung one, on every core, all still run. */
TEST_F(reload, hang_then_queue)
{
	struct drm_vision_job j[12];
	int32_t st = 1;

	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "hang 2"));
	j[0] = job_of(&self->d, M_CLS, 0, 0);
	j[1] = job_of(&self->d, M_CLS, 1, 256);
	ASSERT_EQ(0, vision_submit(self->d.fd, j, 2, 0));
	ASSERT_EQ(0, wait_fault_used(self->d.fd));
	for (int i = 2; i < 12; i++) {
		j[i] = job_of(&self->d, i % NUM_MODELS, i % NUM_INPUTS,
			      256 * i);
		ASSERT_EQ(0, vision_submit(self->d.fd, &j[i], 1, 0));
	}
	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	for (int i = 2; i < 12; i++)
		EXPECT_TRUE(
			out_ok(self, &j[i], i % NUM_MODELS, i % NUM_INPUTS));
	EXPECT_EQ(2, state_sum(self->d.fd, "timeouts"));
	EXPECT_LE(2, state_sum(self->d.fd, "resets"));
}

/*
 * in_syncobj holds a job back: B (another file, unrelated BOs) waits for
 * A's fence while A hangs; C, independent, is not held back.
 */
TEST_F(reload, in_syncobj_waits)
{
	struct drm_vision_job a = job_of(&self->d, M_CLS, 0, 0);
	struct drm_vision_job b, c;
	struct dev d2, d3;
	uint32_t s = 0, s2 = 0;
	int32_t st = 1;
	int fd2 = vision_open(), fd3 = vision_open();
	int c_done;

	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, dev_init(&d2, fd2, &self->r));
	ASSERT_EQ(0, dev_init(&d3, fd3, &self->r));
	ASSERT_EQ(0, syncobj_create(self->d.fd, &s));
	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "hang"));
	a.out_syncobj = s;
	ASSERT_EQ(0, vision_submit(self->d.fd, &a, 1, 0));
	/* A is running (hung) before anything else is queued. */
	ASSERT_EQ(0, wait_fault_used(self->d.fd));
	ASSERT_EQ(0, syncobj_share(self->d.fd, s, fd2, &s2));

	c = job_of(&d3, M_MISC, 1, 0);
	ASSERT_EQ(0, vision_submit(fd3, &c, 1, 0));
	b = job_of(&d2, M_MISC, 1, 0);
	b.in_syncobj = s2;
	ASSERT_EQ(0, vision_submit(fd2, &b, 1, 0));

	c_done = !vision_bo_wait(fd3, d3.out, 150000000, NULL);
	/* A hangs for 300 ms: B cannot be done yet. */
	ASSERT_EQ(-ETIMEDOUT, vision_bo_wait(fd2, d2.out, 0, NULL));
	for (uint64_t i = 0; i < 512; i++)
		ASSERT_EQ(SENTINEL, d2.outp[i]);
	if (!c_done)
		TH_LOG("independent job also waited: one core free? (weak)");

	ASSERT_EQ(0, vision_bo_wait(self->d.fd, self->d.out, WAIT_NS, &st));
	EXPECT_EQ(-ETIMEDOUT, st);
	ASSERT_EQ(0, vision_bo_wait(fd2, d2.out, WAIT_NS, &st));
	/* Run on the error, or cancelled with it: never half done. */
	if (!st)
		EXPECT_EQ(0, memcmp(d2.outp, self->r.out[M_MISC][1],
				    self->r.out_size[M_MISC]));
	ASSERT_EQ(0, vision_bo_wait(fd3, d3.out, WAIT_NS, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, memcmp(d3.outp, self->r.out[M_MISC][1],
			    self->r.out_size[M_MISC]));
	dev_fini(&d2);
	dev_fini(&d3);
	close(fd2);
	close(fd3);
}

/* The module unloads as soon as the last file closes, jobs in flight. */
TEST_F(reload, unload_after_jobs)
{
	char path[256];

	dev_fini(&self->d);
	close(self->d.fd);
	self->d.fd = -1;
	for (int round = 0; round < 2; round++) {
		int fd = busy_file(&self->r, 32);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, vision_module_unload());
		ASSERT_EQ(-ENODEV, vision_find_node(path, sizeof(path)));
		ASSERT_EQ(0, vision_module_load("job_timeout_ms=300"));
		ASSERT_EQ(0, one_good_job(&self->r));
	}
}

/* Even with a hung job in flight: unload waits for its timeout. */
TEST_F(reload, unload_after_hang)
{
	struct drm_vision_job j = job_of(&self->d, M_CLS, 0, 0);

	ASSERT_EQ(0, vision_debugfs_write(self->d.fd, "fault", "hang"));
	ASSERT_EQ(0, vision_submit(self->d.fd, &j, 1, 0));
	ASSERT_EQ(-ETIMEDOUT, vision_bo_wait(self->d.fd, self->d.out, 0, NULL));
	dev_fini(&self->d);
	close(self->d.fd);
	self->d.fd = -1;
	ASSERT_EQ(0, vision_module_unload());
	ASSERT_EQ(0, vision_module_load(""));
	ASSERT_EQ(0, one_good_job(&self->r));
	ASSERT_EQ(0, wait_no_models());
}

TEST_HARNESS_MAIN
