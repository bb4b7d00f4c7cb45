/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DEBUGFS_H__
#define __VIS_DEBUGFS_H__

struct vis_device;

void vis_debugfs_init(struct vis_device *vdev);
void vis_debugfs_fini(struct vis_device *vdev);
void vis_debugfs_module_init(void);
void vis_debugfs_module_fini(void);

#endif /* __VIS_DEBUGFS_H__ */
