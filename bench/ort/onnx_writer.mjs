// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * A minimal ONNX writer: just enough of the protobuf wire format (varints
 * and length-delimited fields) to serialise a ModelProto with one graph of
 * nodes, attributes, raw-data initializers and typed inputs/outputs.
 * Field numbers are those of onnx/onnx.proto (ONNX 1.x); no dependency.
 */

/* TensorProto.DataType */
export const DT = Object.freeze({
	FLOAT: 1,
	UINT8: 2,
	INT8: 3,
	INT32: 6,
	INT64: 7,
});

/* AttributeProto.AttributeType */
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/* Growable byte buffer with protobuf primitives. */
class Writer {
	constructor() {
		this.buf = new Uint8Array(256);
		this.len = 0;
	}

	reserve(n) {
		if (this.len + n <= this.buf.length)
			return;
		let cap = this.buf.length * 2;
		while (cap < this.len + n)
			cap *= 2;
		const nb = new Uint8Array(cap);
		nb.set(this.buf.subarray(0, this.len));
		this.buf = nb;
	}

	byte(b) {
		this.reserve(1);
		this.buf[this.len++] = b;
	}

	/* Varint of a non-negative or negative (two's complement, 64-bit)
	 * integer, given as a Number or a BigInt. */
	varint(v) {
		let x = BigInt.asUintN(64, BigInt(v));
		while (x >= 0x80n) {
			this.byte(Number(x & 0x7fn) | 0x80);
			x >>= 7n;
		}
		this.byte(Number(x));
	}

	tag(field, wire) {
		this.varint((field << 3) | wire);
	}

	bytes(b) {
		this.reserve(b.length);
		this.buf.set(b, this.len);
		this.len += b.length;
	}

	/* Field helpers. */
	int(field, v) {
		this.tag(field, WIRE_VARINT);
		this.varint(v);
	}

	float(field, v) {
		const b = new Uint8Array(4);
		new DataView(b.buffer).setFloat32(0, v, true);
		this.tag(field, WIRE_FIXED32);
		this.bytes(b);
	}

	lenDelim(field, b) {
		this.tag(field, WIRE_LEN);
		this.varint(b.length);
		this.bytes(b);
	}

	string(field, s) {
		this.lenDelim(field, utf8.encode(s));
	}

	message(field, fn) {
		const w = new Writer();
		fn(w);
		this.lenDelim(field, w.finish());
	}

	/* Packed repeated int64. */
	packedInts(field, arr) {
		const w = new Writer();
		for (const v of arr)
			w.varint(v);
		this.lenDelim(field, w.finish());
	}

	finish() {
		return this.buf.subarray(0, this.len);
	}
}

/* Wrap a value to force an attribute type. */
export const attrFloat = (v) => ({ __onnxAttr: 'float', v });
export const attrInts = (v) => ({ __onnxAttr: 'ints', v });

/* TensorProto: dims=1, data_type=2, name=8, raw_data=9 */
function writeTensor(w, t) {
	for (const d of t.dims)
		w.int(1, d);
	w.int(2, t.dataType);
	w.string(8, t.name);
	w.lenDelim(9, t.raw);
}

/* AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20 */
function writeAttribute(w, name, value) {
	w.string(1, name);
	if (value && value.__onnxAttr === 'float') {
		w.float(2, value.v);
		w.int(20, AT.FLOAT);
	} else if (value && value.__onnxAttr === 'ints') {
		for (const v of value.v)
			w.int(8, v);
		w.int(20, AT.INTS);
	} else if (Array.isArray(value)) {
		if (value.every(Number.isInteger)) {
			for (const v of value)
				w.int(8, v);
			w.int(20, AT.INTS);
		} else {
			for (const v of value)
				w.float(7, v);
			w.int(20, AT.FLOATS);
		}
	} else if (typeof value === 'string') {
		w.string(4, value);
		w.int(20, AT.STRING);
	} else if (typeof value === 'number' || typeof value === 'bigint') {
		if (typeof value === 'bigint' || Number.isInteger(value)) {
			w.int(3, value);
			w.int(20, AT.INT);
		} else {
			w.float(2, value);
			w.int(20, AT.FLOAT);
		}
	} else if (value && value.raw) {
		w.message(5, (t) => writeTensor(t, value));
		w.int(20, AT.TENSOR);
	} else {
		throw new Error(`attribute ${name}: unsupported value`);
	}
}

/*
 * ValueInfoProto: name=1, type=2; TypeProto.tensor_type=1;
 * Tensor: elem_type=1, shape=2; TensorShapeProto.dim=1; dim_value=1,
 * dim_param=2.
 */
function writeValueInfo(w, vi) {
	w.string(1, vi.name);
	w.message(2, (tp) =>
		tp.message(1, (tt) => {
			tt.int(1, vi.elemType);
			tt.message(2, (sh) => {
				for (const d of vi.shape)
					sh.message(1, (dim) => {
						if (typeof d === 'string')
							dim.string(2, d);
						else
							dim.int(1, d);
					});
			});
		}));
}

/* NodeProto: input=1, output=2, name=3, op_type=4, attribute=5, domain=7 */
function writeNode(w, n) {
	for (const i of n.inputs)
		w.string(1, i);
	for (const o of n.outputs)
		w.string(2, o);
	if (n.name)
		w.string(3, n.name);
	w.string(4, n.opType);
	for (const [k, v] of Object.entries(n.attrs || {}))
		w.message(5, (a) => writeAttribute(a, k, v));
	if (n.domain)
		w.string(7, n.domain);
}

/* An ONNX graph under construction. */
export class Graph {
	constructor(name) {
		this.name = name;
		this.nodes = [];
		this.initializers = [];
		this.inputs = [];
		this.outputs = [];
		this.domains = new Set();
		this.counter = 0;
	}

	/* A fresh value name. */
	uniq(prefix) {
		return `${prefix}_${this.counter++}`;
	}

	/* @raw: a TypedArray (or Uint8Array) holding the little-endian data. */
	initializer(name, dataType, dims, raw) {
		const bytes = raw instanceof Uint8Array ? raw :
			new Uint8Array(raw.buffer, raw.byteOffset,
				       raw.byteLength);
		this.initializers.push({ name, dataType, dims, raw: bytes });
		return name;
	}

	node(opType, inputs, outputs, attrs = {}, name = '', domain = '') {
		if (domain)
			this.domains.add(domain);
		this.nodes.push({ opType, inputs, outputs, attrs, name, domain });
		return outputs;
	}

	input(name, elemType, shape) {
		this.inputs.push({ name, elemType, shape });
	}

	output(name, elemType, shape) {
		this.outputs.push({ name, elemType, shape });
	}
}

/*
 * ModelProto: ir_version=1, producer_name=2, producer_version=3,
 * graph=7, opset_import=8 (OperatorSetIdProto: domain=1, version=2).
 * GraphProto: node=1, name=2, initializer=5, input=11, output=12.
 */
export function encodeModel(g, { opset = 13, irVersion = 7,
				 producer = 'vision-bench' } = {}) {
	const w = new Writer();
	w.int(1, irVersion);
	w.string(2, producer);
	w.string(3, '0.1');
	w.message(7, (gw) => {
		for (const n of g.nodes)
			gw.message(1, (nw) => writeNode(nw, n));
		gw.string(2, g.name);
		for (const t of g.initializers)
			gw.message(5, (tw) => writeTensor(tw, t));
		for (const i of g.inputs)
			gw.message(11, (vw) => writeValueInfo(vw, i));
		for (const o of g.outputs)
			gw.message(12, (vw) => writeValueInfo(vw, o));
	});
	w.message(8, (ow) => {
		ow.string(1, '');
		ow.int(2, opset);
	});
	for (const d of g.domains)
		w.message(8, (ow) => {
			ow.string(1, d);
			ow.int(2, 1);
		});
	return w.finish();
}
