/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DRV_H__
#define __VIS_DRV_H__

#define VIS_DRIVER_NAME "vision"
#define VIS_DRIVER_DESC "Vision NPU accelerator"
#define VIS_DRIVER_DATE_STR "20261128"
#define VIS_DRIVER_MAJOR 1
#define VIS_DRIVER_MINOR 0

/* Name of the platform device the virtual NPU is registered as. */
#define VIS_PLATFORM_NAME "vision-vnpu"

#endif /* __VIS_DRV_H__ */
