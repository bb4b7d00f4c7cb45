/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * Float graphs built by hand for the compiler's host tests: tensors,
 * nodes and a graph with one NCHW input.
 */
#ifndef TESTS_GRAPH_TEST_UTIL_H
#define TESTS_GRAPH_TEST_UTIL_H

#include <stdint.h>

#include "graph.h"

/*
 * A float activation tensor named @name (NULL: none) of @rank of the dims
 * @d0..@d3. Its id, or a negative value.
 */
int tg_tensor(struct vis_graph *g, const char *name, int rank, int64_t d0,
	      int64_t d1, int64_t d2, int64_t d3);

/*
 * Node @op named @name (NULL: none) reading tensors @in[0..@nin) and
 * writing tensor @out. Its id, or a negative value.
 */
int tg_node(struct vis_graph *g, const char *name, int op, int nin,
	    const int *in, int out);

/*
 * A new graph whose one input, *@x named @name (NULL: none), is NCHW
 * [1, @c, @hw, @hw]; the caller sets the output. NULL on failure.
 */
struct vis_graph *tg_begin(const char *name, int c, int hw, int *x);

#endif /* TESTS_GRAPH_TEST_UTIL_H */
