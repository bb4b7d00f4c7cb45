/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __VIS_DEBUGFS_H__
#define __VIS_DEBUGFS_H__

void vis_debugfs_init(void);
void vis_debugfs_fini(void);

#endif /* __VIS_DEBUGFS_H__ */
