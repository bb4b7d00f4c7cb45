// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

int vis_errorf(struct vis_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

int vis_error_file(struct vis_error *err, int code, const char *name,
		   const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err)
		return code;
	if (name)
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", name);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return code;
}
