/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * DOC: error messages of the compiler and data loaders
 *
 * Library-internal functions return a negative errno and, where the caller
 * passes a &struct vis_error, a message for people: which node, file or
 * field, and what is wrong with it.
 */
#ifndef LIBVISION_ERRMSG_H
#define LIBVISION_ERRMSG_H

/**
 * struct vis_error - why an operation failed, for people
 * @msg: NUL-terminated message; empty when nothing failed
 */
struct vis_error {
	char msg[512];
};

/* Fill @err (may be NULL) from @fmt and return -@errnum. */
int vis_errorf(struct vis_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Store "@name: <format>" in @err (may be NULL; @name too) and return
 * @code, a negative errno, so a caller can pass on what it was given.
 */
int vis_error_file(struct vis_error *err, int code, const char *name,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* LIBVISION_ERRMSG_H */
