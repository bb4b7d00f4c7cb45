// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vision authors
 *
 * The project's compiled model on the device: models/fmnist_cnn.onnx,
 * compiled by vision-compile at build time and copied into the VM with the
 * Fashion-MNIST test set, classifies the first test images as GREY camera
 * frames through the device's input stage, 64 frames per SUBMIT. Every
 * output must equal, byte for byte, what libvision's CPU engine computes
 * on the same frame, and the device's accuracy must be that of a working
 * classifier. Skips when the data was not copied in (make check does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "dataset.h"
#include "vision_accel.h"
#include "vision_util.h"

#include "kselftest_harness.h"

#define DATA "/opt/vision/data/"
#define MODEL DATA "fmnist_cnn.vnm"
#define IMAGES DATA "t10k-images-idx3-ubyte.gz"
#define LABELS DATA "t10k-labels-idx1-ubyte.gz"
#define COUNT 1024
#define BATCH 64
#define PIXELS (28 * 28)
#define CLASSES 10
#define SEC 1000000000ll

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *p = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && st.st_size > 0) {
		p = malloc(st.st_size);
		if (p && read(fd, p, st.st_size) != st.st_size) {
			free(p);
			p = NULL;
		}
		*size = st.st_size;
	}
	close(fd);
	return p;
}

/* Index of the largest output, the first among equals. */
static int argmax(const int8_t *v, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

TEST(fmnist_cnn_device_equals_cpu)
{
	struct drm_vision_model_info info;
	struct vis_dataset *ds = NULL;
	struct vis_error err = { "" };
	uint32_t in_h, out_h;
	uint8_t *frames, *out, *ref;
	int correct = 0, same = 0, fd;
	size_t size;
	void *blob;

	blob = read_file(MODEL, &size);
	if (!blob)
		SKIP(return, "no %s (make check copies it in)", MODEL);
	fd = vision_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vision_model_create(fd, blob, size, &info));
	ASSERT_EQ(CLASSES, info.output_size);
	ASSERT_EQ(0, vis_dataset_open(
			     IMAGES,
			     &(struct vis_dataset_opts){ .labels = LABELS },
			     &ds, &err))
	TH_LOG("%s", err.msg);
	ASSERT_LE(COUNT, vis_dataset_count(ds));

	/* A batch of GREY frames, one after the other, and their outputs. */
	ASSERT_EQ(0, vision_bo_create(fd, BATCH * PIXELS, DRM_VISION_BO_WC,
				      &in_h, NULL));
	ASSERT_EQ(0, vision_bo_create(fd, BATCH * CLASSES, 0, &out_h, NULL));
	frames = vision_bo_mmap(fd, in_h, NULL);
	out = vision_bo_mmap(fd, out_h, NULL);
	ASSERT_NE(NULL, frames);
	ASSERT_NE(NULL, out);
	ref = malloc(CLASSES);
	ASSERT_NE(NULL, ref);

	for (int base = 0; base < COUNT; base += BATCH) {
		struct drm_vision_job jobs[BATCH];
		int32_t st = 1;

		memset(jobs, 0, sizeof(jobs));
		for (int i = 0; i < BATCH; i++) {
			struct vis_image img = { 0 };

			ASSERT_EQ(0, vis_dataset_read(ds, base + i, &img, &err))
			TH_LOG("%s", err.msg);
			ASSERT_EQ(PIXELS, img.width * img.height);
			memcpy(frames + i * PIXELS, img.pixels, PIXELS);
			vis_image_release(&img);
			jobs[i] = (struct drm_vision_job){
				.model_handle = info.handle,
				.input_type = DRM_VISION_JOB_INPUT_FRAME,
				.in_handle = in_h,
				.out_handle = out_h,
				.out_offset = i * CLASSES,
				.frame = {
					.fourcc = V4L2_PIX_FMT_GREY,
					.width = 28,
					.height = 28,
					.num_planes = 1,
					.offsets = { i * PIXELS },
					.strides = { 28 },
				},
			};
		}
		ASSERT_EQ(0, vision_submit(fd, jobs, BATCH, 0));
		ASSERT_EQ(0, vision_bo_wait(fd, out_h, 60 * SEC, &st));
		ASSERT_EQ(0, st);

		for (int i = 0; i < BATCH; i++) {
			const int8_t *o = (const int8_t *)out + i * CLASSES;

			ASSERT_EQ(0, vision_ref_frame(
					     blob, size, &jobs[i].frame, frames,
					     BATCH * PIXELS, ref, CLASSES));
			same += !memcmp(ref, o, CLASSES);
			correct += argmax(o, CLASSES) ==
				   vis_dataset_label(ds, base + i);
		}
	}
	TH_LOG("device: %d of %d test images right (%.2f%%), %d of %d outputs equal to the CPU's",
	       correct, COUNT, 100.0 * correct / COUNT, same, COUNT);
	ASSERT_EQ(COUNT, same);
	/* The whole test set scores 92.7% in int8 (quantize_test). */
	ASSERT_LE(COUNT * 88 / 100, correct);

	free(ref);
	vis_dataset_free(ds);
	close(fd);
	free(blob);
}

TEST_HARNESS_MAIN
