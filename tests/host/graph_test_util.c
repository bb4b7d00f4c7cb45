// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Hand-built float graphs for the host tests: see graph_test_util.h.
 */
#include <stdlib.h>

#include "graph_test_util.h"

int tg_tensor(struct vis_graph *g, const char *name, int rank, int64_t d0,
	      int64_t d1, int64_t d2, int64_t d3)
{
	int64_t d[4] = { d0, d1, d2, d3 };

	return vis_graph_add_tensor(g, name, VIS_DT_FLOAT, rank, d);
}

int tg_node(struct vis_graph *g, const char *name, int op, int nin,
	    const int *in, int out)
{
	int id = vis_graph_add_node(g, name, op), i;

	if (id < 0)
		return id;
	for (i = 0; i < nin; i++)
		g->nodes[id].inputs[i] = in[i];
	g->nodes[id].ninputs = nin;
	g->nodes[id].outputs[0] = out;
	g->nodes[id].noutputs = 1;
	return id;
}

struct vis_graph *tg_begin(const char *name, int c, int hw, int *x)
{
	struct vis_graph *g = vis_graph_create();

	if (!g)
		return NULL;
	*x = tg_tensor(g, name, 4, 1, c, hw, hw);
	g->tensors[*x].layout = VIS_LAYOUT_NCHW;
	g->inputs = malloc(sizeof(int));
	g->outputs = malloc(sizeof(int));
	g->inputs[0] = *x;
	g->ninputs = g->noutputs = 1;
	return g;
}
