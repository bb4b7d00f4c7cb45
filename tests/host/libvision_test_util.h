/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Shared by libvision's runtime and camera tests: a small RGB classifier
 * built with the model builder, and a device beside the CPU device with
 * that model loaded on both, so every result on the device can be
 * required to equal the CPU's byte for byte.
 */
#ifndef TESTS_LIBVISION_TEST_UTIL_H
#define TESTS_LIBVISION_TEST_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <vision/vision.h>

/* The classifier's conv channels and classes. */
#define TEST_MODEL_CONV_C 4
#define TEST_MODEL_CLASSES 10

/*
 * input [1,@h,@w,3] (RGB input stage, bilinear) -> conv 3x3 pad 1 ->
 * [1,@h,@w,4] -> global average pool [1,1,1,4] -> fully connected
 * [1,1,1,10]. Outputs: the logits (labelled with @labels, 10 of them,
 * when not NULL), then the pooled features, so a wrong pixel anywhere
 * shows. Weights from engine_test_util's generator seeded with @seed.
 * The blob (malloc'd) and its *@size, or NULL.
 */
void *build_classifier(uint32_t h, uint32_t w, uint64_t seed,
		       const char *const *labels, size_t *size);

/* A device and the CPU device, with the same model loaded on both. */
struct dev_pair {
	struct vision_device *dev, *cpu;
	struct vision_model *model, *cpu_model;
	void *blob;
	size_t size;
};

/*
 * Open the default device (VISION_DEVICE unset) and the CPU device into
 * @p (zeroed first). 0; -ENODEV when there is no device; or the error.
 */
int dev_pair_open(struct dev_pair *p);
/*
 * build_classifier(@h, @w, @seed, @labels) and load it on both devices.
 * 0 or a negative errno with the reason in @err.
 */
int dev_pair_load(struct dev_pair *p, uint32_t h, uint32_t w, uint64_t seed,
		  const char *const *labels, struct vision_model_error *err);
/*
 * In a FIXTURE_SETUP: dev_pair_open(@p), skipping the test when there is
 * no device and failing it on any other error.
 */
#define DEV_PAIR_OPEN_OR_SKIP(p)                          \
	do {                                              \
		int ret_ = dev_pair_open(p);              \
                                                          \
		if (ret_ == -ENODEV)                      \
			SKIP(return, "no vision device"); \
		ASSERT_EQ(0, ret_);                       \
	} while (0)

/* Free everything @p holds. */
void dev_pair_close(struct dev_pair *p);

#endif /* TESTS_LIBVISION_TEST_UTIL_H */
