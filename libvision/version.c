// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 */
#include "internal.h"

#define VIS_STR_(x) #x
#define VIS_STR(x) VIS_STR_(x)

unsigned int vision_version_number(void)
{
	return VISION_VERSION_NUMBER;
}

const char *vision_version_string(void)
{
	return VIS_STR(VISION_VERSION_MAJOR) "." VIS_STR(
		VISION_VERSION_MINOR) "." VIS_STR(VISION_VERSION_PATCH);
}
