/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * DOC: ONNX import
 *
 * Reads an ONNX ModelProto (opsets 9 to 18 of the default domain) into the
 * float graph IR (graph.h) through the protobuf-c bindings generated from
 * onnx.proto at build time. Every tensor gets a static shape: a symbolic or
 * zero batch dimension of a graph input becomes 1, any other symbolic
 * dimension is an error. Nodes whose inputs are all constant are evaluated
 * on the spot (this is how the Shape/Gather/Unsqueeze/Concat chains PyTorch
 * emits in front of a Reshape become a constant shape); the graph that
 * comes out holds only nodes that depend on a graph input.
 *
 * Pre-quantized (QDQ) models keep their QuantizeLinear/DequantizeLinear
 * nodes; their scales and zero points are also recorded on the tensors
 * they quantize (&struct vis_quant), and DequantizeLinear of a constant is
 * folded into float weights that remember their quantization.
 *
 * Anything outside the supported set fails, naming the node and its
 * operator type; nothing is skipped silently. External tensor data is
 * refused. Errors return a negative errno with a message in @err.
 */
#ifndef LIBVISION_ONNX_IMPORT_H
#define LIBVISION_ONNX_IMPORT_H

#include <stddef.h>

#include "graph.h"

/* Lowest and highest default-domain opset accepted. */
#define VIS_ONNX_OPSET_MIN 9
#define VIS_ONNX_OPSET_MAX 18
/* Largest tensor the importer creates, in elements. */
#define VIS_ONNX_MAX_ELEMS (1ll << 26)

/* Import the serialized ModelProto in @buf; *@out owned by the caller. */
int vis_onnx_import(const void *buf, size_t len, struct vis_graph **out,
		    struct vis_error *err);

/**
 * struct vis_onnx_const - a graph input fixed to a value at import
 * @name: the graph input's name
 * @value: its value (dtype, shape, data); copied
 *
 * Static shapes need the inputs that decide shapes (a Reshape's shape, a
 * Resize's sizes, ...) known at import; a model that takes them as graph
 * inputs can have them bound here. Bound inputs stop being graph inputs.
 */
struct vis_onnx_const {
	const char *name;
	const struct vis_tensor *value;
};

/* vis_onnx_import() with @n inputs bound to constants. */
int vis_onnx_import_consts(const void *buf, size_t len,
			   const struct vis_onnx_const *consts, int n,
			   struct vis_graph **out, struct vis_error *err);

/* Same, from a file. */
int vis_onnx_import_file(const char *path, struct vis_graph **out,
			 struct vis_error *err);

/*
 * Read a serialized TensorProto (the input_N.pb and output_N.pb files of
 * ONNX's tests) into @t: name, dtype, shape and float values (owned). Free with
 * vis_onnx_tensor_free().
 */
int vis_onnx_read_tensor(const void *buf, size_t len, struct vis_tensor *t,
			 struct vis_error *err);
void vis_onnx_tensor_free(struct vis_tensor *t);

#endif /* LIBVISION_ONNX_IMPORT_H */
