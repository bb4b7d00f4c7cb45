// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

const char *vision_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	/* What these mean coming from libvision, not from libc in general. */
	switch (err) {
	case 0:
		return "Success";
	case ENODEV:
		return "No vision device (or it was unplugged)";
	case ENOTTY:
		return "Not a vision device";
	default:
		break;
	}
	/* Thread-safe, unlike strerror(), and never localised. */
	s = strerrordesc_np(err);
	return s ? s : "Unknown error";
}
