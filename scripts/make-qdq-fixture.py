#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (C) 2026 The vision authors
"""Write tests/data/qdq_small.onnx, a pre-quantized (QDQ) model for
tests/host/quantize_qdq_test.c.

The model is what ONNX Runtime's static quantizer produces in QDQ form,
made small and with round, known numbers so the test can restate every
one of them independently:

  input [1,1,8,8] float
  -> QuantizeLinear/DequantizeLinear, uint8, scale 1/255, zero point 0
  -> Conv 4x1x3x3, pad 1, weights int8 per channel (axis 0) through
     DequantizeLinear, bias int32 through DequantizeLinear (scale
     in_scale * w_scale[c]) -> Relu
  -> Q/DQ int8, scale 1/32, zero point -128
  -> Conv 8x4x3x3, stride 2, pad 1, int8 per-channel weights, float bias
     -> Relu
  -> Q/DQ uint8, scale 1/16, zero point 0
  -> Flatten -> Gemm 10x128 (transB), int8 per-channel weights, float bias
  -> Q/DQ int8, scale 1/8, zero point 3 -> output "y" [1,10]

Weights and biases follow closed formulas (qw_*() below), repeated in the
test. Only Debian's python3-onnx is needed. Usage:

  scripts/make-qdq-fixture.py tests/data/qdq_small.onnx
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def qw(o, k, salt):
    """int8 weights [o][k]: a fixed scramble over [-127, 127]."""
    w = np.zeros((o, k), dtype=np.int64)
    for r in range(o):
        for j in range(k):
            w[r, j] = (r * 131 + j * 71 + salt * 29 + (r * j) % 7) % 255 - 127
    return w.astype(np.int8)


def w_scales(o, base):
    """Per-channel weight scales: base * (1 + c / 8), exact in binary32."""
    return np.array([base * (1 + c / 8.0) for c in range(o)], dtype=np.float32)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/qdq_small.onnx"
    inits = []
    nodes = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(arr, name))

    def qdq(x, name, scale, zp, dtype):
        const(name + "_s", np.array(scale, dtype=np.float32))
        const(name + "_z", np.array(zp, dtype=dtype))
        nodes.append(helper.make_node("QuantizeLinear",
                                      [x, name + "_s", name + "_z"],
                                      [name + "_q"], name=name + "_Q"))
        nodes.append(helper.make_node("DequantizeLinear",
                                      [name + "_q", name + "_s", name + "_z"],
                                      [name + "_dq"], name=name + "_DQ"))
        return name + "_dq"

    def weight(name, q, scales, shape):
        const(name + "_q", q.reshape(shape))
        const(name + "_s", scales)
        const(name + "_z", np.zeros(len(scales), dtype=np.int8))
        nodes.append(helper.make_node("DequantizeLinear",
                                      [name + "_q", name + "_s", name + "_z"],
                                      [name], name=name + "_DQ", axis=0))
        return name

    x = qdq("input", "in", 1.0 / 255, 0, np.uint8)

    # conv1: int32 bias through DequantizeLinear, as ORT writes it.
    s1 = w_scales(4, 1.0 / 256)
    w1 = weight("w1", qw(4, 9, 1), s1, (4, 1, 3, 3))
    b1q = np.array([(c * 577) % 4001 - 2000 for c in range(4)], dtype=np.int32)
    const("b1_q", b1q)
    const("b1_s", (np.float32(1.0 / 255) * s1).astype(np.float32))
    const("b1_z", np.zeros(4, dtype=np.int32))
    nodes.append(helper.make_node("DequantizeLinear",
                                  ["b1_q", "b1_s", "b1_z"], ["b1"],
                                  name="b1_DQ", axis=0))
    nodes.append(helper.make_node("Conv", [x, w1, "b1"], ["c1"], name="conv1",
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
    x = qdq("r1", "a1", 1.0 / 32, -128, np.int8)

    s2 = w_scales(8, 1.0 / 512)
    w2 = weight("w2", qw(8, 36, 2), s2, (8, 4, 3, 3))
    const("b2", np.array([0.125 * (c % 3) - 0.1 for c in range(8)],
                         dtype=np.float32))
    nodes.append(helper.make_node("Conv", [x, w2, "b2"], ["c2"], name="conv2",
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                  strides=[2, 2]))
    nodes.append(helper.make_node("Relu", ["c2"], ["r2"], name="relu2"))
    x = qdq("r2", "a2", 1.0 / 16, 0, np.uint8)

    nodes.append(helper.make_node("Flatten", [x], ["f"], name="flatten",
                                  axis=1))
    s3 = w_scales(10, 1.0 / 1024)
    w3 = weight("w3", qw(10, 128, 3), s3, (10, 128))
    const("b3", np.array([0.25 * c - 1 for c in range(10)], dtype=np.float32))
    nodes.append(helper.make_node("Gemm", ["f", w3, "b3"], ["g"], name="fc",
                                  transB=1))
    y = qdq("g", "out", 1.0 / 8, 3, np.int8)
    nodes.append(helper.make_node("Identity", [y], ["y"], name="y"))

    graph = helper.make_graph(
        nodes, "qdq_small",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                       [1, 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits)
    model = helper.make_model(graph, producer_name="make-qdq-fixture",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
