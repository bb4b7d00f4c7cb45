// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * bench_ort: the networks of bench/bench_engine.c (MobileNetV2 1.0,
 * ResNet-18, SqueezeNet 1.1, 224x224, the same layer shapes) as ONNX
 * models, timed with ONNX Runtime (npm onnxruntime-node, CPU execution
 * provider, graphOptimizationLevel 'all'), in two flavours:
 *
 *   fp32  Conv/Relu/Clip/Add/MaxPool/GlobalAveragePool/Flatten/Gemm/
 *         Concat, NCHW, float weights
 *   int8  QDQ as onnxruntime.quantization writes it (QuantFormat.QDQ,
 *         per-channel int8 weights, int32 biases, activations uint8 or
 *         int8 with Relu/Clip folded into the QuantizeLinear range); ORT
 *         fuses the groups into QLinearConv, QLinearAdd, QGemm, ...
 *
 * Progress goes to stderr, results as JSON to stdout. Options:
 *
 *   --runs N            timed runs per configuration (env BENCH_RUNS, 20)
 *   --max-seconds S     stop after S seconds once 3 runs are done
 *                       (env BENCH_MAX_SECONDS, 6)
 *   --only NAMES        comma-separated network names
 *   --flavours LIST     fp32,int8 (default both)
 *   --act u8|s8         int8 activation type (default u8: ORT's x86 MLAS
 *                       runs U8S8 natively with AVX-512 VNNI/AVX2; S8S8
 *                       measured 1.7-3x slower here)
 *   --out-dir DIR       where the .onnx files go (build/bench/onnx)
 *   --ort-dir DIR       directory whose node_modules holds
 *                       onnxruntime-node (build/bench/ort)
 *   --dump-optimized    also save ORT's optimized graphs next to them
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DT, Graph, encodeModel } from './onnx_writer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

/* ---- options ---------------------------------------------------------- */

function parseArgs(argv) {
	const o = {
		runs: Number(process.env.BENCH_RUNS) || 20,
		maxSeconds: Number(process.env.BENCH_MAX_SECONDS) || 6,
		only: null,
		flavours: ['fp32', 'int8'],
		act: 'u8',
		outDir: path.join(repo, 'build', 'bench', 'onnx'),
		ortDir: path.join(repo, 'build', 'bench', 'ort'),
		dumpOptimized: false,
	};
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		const v = argv[i + 1];
		const need = () => {
			if (v === undefined)
				throw new Error(`${a} needs a value`);
			i++;
			return v;
		};
		if (a === '--runs')
			o.runs = Math.max(3, parseInt(need(), 10));
		else if (a === '--max-seconds')
			o.maxSeconds = Number(need());
		else if (a === '--only')
			o.only = need().split(',');
		else if (a === '--flavours')
			o.flavours = need().split(',');
		else if (a === '--act')
			o.act = need();
		else if (a === '--out-dir')
			o.outDir = path.resolve(need());
		else if (a === '--ort-dir')
			o.ortDir = path.resolve(need());
		else if (a === '--dump-optimized')
			o.dumpOptimized = true;
		else
			throw new Error(`unknown option ${a}`);
	}
	if (!['u8', 's8'].includes(o.act))
		throw new Error('--act must be u8 or s8');
	for (const f of o.flavours)
		if (!['fp32', 'int8'].includes(f))
			throw new Error(`unknown flavour ${f}`);
	return o;
}

function loadOrt(ortDir) {
	const tries = [import.meta.url, path.join(ortDir, 'package.json'),
		       path.join(here, 'package.json')];
	for (const from of tries) {
		try {
			return createRequire(from)('onnxruntime-node');
		} catch (e) {
			if (e.code !== 'MODULE_NOT_FOUND')
				throw e;
		}
	}
	throw new Error(`onnxruntime-node not found (looked from ${ortDir}); ` +
			`run: cd ${ortDir} && ONNXRUNTIME_NODE_INSTALL=skip npm install`);
}

/* ---- deterministic random numbers --------------------------------------- */

function makeRng(seed) {
	let s = seed >>> 0;
	const next = () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		unit: next,
		int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
		normal: () => {
			const u = Math.max(next(), 1e-12);
			return Math.sqrt(-2 * Math.log(u)) *
				Math.cos(2 * Math.PI * next());
		},
	};
}

/* ---- network construction ------------------------------------------------- */

const ACT_NONE = 0;
const ACT_RELU = 1;
const ACT_RELU6 = 2;

/*
 * Emits one network in the chosen flavour. A value is
 * { name, c, h, w, q } where q = { scale, zp } for quantized (int8 flavour)
 * tensors.
 */
class Net {
	constructor(name, flavour, act, seed) {
		this.g = new Graph(name);
		this.flavour = flavour;
		this.int8 = flavour === 'int8';
		this.qtype = act === 's8' ? DT.INT8 : DT.UINT8;
		this.qmin = act === 's8' ? -128 : 0;
		this.qmid = act === 's8' ? 0 : 128;
		this.rng = makeRng(seed);
	}

	scalar(prefix, dt, v) {
		const name = this.g.uniq(prefix);
		let a;
		if (dt === DT.FLOAT)
			a = new Float32Array([v]);
		else if (dt === DT.UINT8)
			a = new Uint8Array([v]);
		else if (dt === DT.INT8)
			a = new Int8Array([v]);
		else
			a = new Int32Array([v]);
		return this.g.initializer(name, dt, [], a);
	}

	/* Quantization parameters of an activation's output. */
	outQ(act) {
		if (act === ACT_RELU)
			return { scale: 0.05, zp: this.qmin };
		if (act === ACT_RELU6)
			return { scale: 6 / 255, zp: this.qmin };
		return { scale: 0.08, zp: this.qmid + this.rng.int(-16, 16) };
	}

	dq(x) {
		const out = this.g.uniq(`${x.name}_dq`);
		this.g.node('DequantizeLinear', [x.name,
			this.scalar('s', DT.FLOAT, x.q.scale),
			this.scalar('zp', this.qtype, x.q.zp)], [out]);
		return out;
	}

	q(fname, q, meta, name) {
		const out = name || this.g.uniq('q');
		this.g.node('QuantizeLinear', [fname,
			this.scalar('s', DT.FLOAT, q.scale),
			this.scalar('zp', this.qtype, q.zp)], [out]);
		return { name: out, ...meta, q };
	}

	input() {
		this.g.input('input', this.int8 ? this.qtype : DT.FLOAT,
			     [1, 3, 224, 224]);
		return { name: 'input', c: 3, h: 224, w: 224,
			 q: { scale: 1 / 128, zp: this.qmid } };
	}

	/* Float activation after a float op. */
	activation(fname, act) {
		if (act === ACT_NONE)
			return fname;
		const out = this.g.uniq('act');
		if (act === ACT_RELU)
			this.g.node('Relu', [fname], [out]);
		else
			this.g.node('Clip', [fname,
				this.scalar('min', DT.FLOAT, 0),
				this.scalar('max', DT.FLOAT, 6)], [out]);
		return out;
	}

	layer(x, { cout, k = 1, s = 1, p = 0, groups = 1, act = ACT_NONE,
		   fc = false, like = null, name }) {
		const cin = x.c / groups;
		const fanin = fc ? x.c * x.h * x.w : cin * k * k;
		const oh = fc ? 1 : Math.floor((x.h + 2 * p - k) / s) + 1;
		const ow = fc ? 1 : Math.floor((x.w + 2 * p - k) / s) + 1;
		const wdims = fc ? [cout, fanin] : [cout, cin, k, k];
		const n = cout * fanin;
		const std = Math.sqrt(2 / fanin);
		const meta = { c: cout, h: oh, w: ow };
		const attrs = fc ? { transB: 1 } : {
			kernel_shape: [k, k], strides: [s, s],
			pads: [p, p, p, p], dilations: [1, 1], group: groups,
		};
		let xin = x.name;
		let wname, bname;

		if (fc) {
			const flat = this.g.uniq(`${name}_flat`);
			this.g.node('Flatten', [x.name], [flat], { axis: 1 });
			xin = flat;
		}
		if (!this.int8) {
			const w = new Float32Array(n);
			const b = new Float32Array(cout);
			for (let i = 0; i < n; i++)
				w[i] = this.rng.normal() * std;
			for (let i = 0; i < cout; i++)
				b[i] = this.rng.normal() * 0.01;
			wname = this.g.initializer(`${name}.weight`, DT.FLOAT,
						   wdims, w);
			bname = this.g.initializer(`${name}.bias`, DT.FLOAT,
						   [cout], b);
			const y = this.g.uniq(name);
			this.g.node(fc ? 'Gemm' : 'Conv', [xin, wname, bname],
				    [y], attrs, name);
			return { name: this.activation(y, act), ...meta };
		}

		/* int8 QDQ: DQ(x), DQ(w per channel), DQ(bias int32). */
		const w = new Int8Array(n);
		const b = new Int32Array(cout);
		const ws = new Float32Array(cout);
		const bs = new Float32Array(cout);
		for (let i = 0; i < n; i++)
			w[i] = this.rng.int(-127, 127);
		for (let i = 0; i < cout; i++) {
			ws[i] = (std / 73) * (0.8 + 0.4 * this.rng.unit());
			bs[i] = x.q.scale * ws[i];
			b[i] = this.rng.int(-1000, 1000);
		}
		const xq = fc ? { ...x, name: xin } : x;
		const xf = this.dq(xq);
		wname = this.g.initializer(`${name}.weight`, DT.INT8, wdims, w);
		const wf = this.g.uniq(`${name}.weight_dq`);
		this.g.node('DequantizeLinear', [wname,
			this.g.initializer(this.g.uniq('ws'), DT.FLOAT,
					   [cout], ws),
			this.g.initializer(this.g.uniq('wzp'), DT.INT8,
					   [cout], new Int8Array(cout))],
			[wf], { axis: 0 });
		bname = this.g.initializer(`${name}.bias`, DT.INT32, [cout], b);
		const bf = this.g.uniq(`${name}.bias_dq`);
		this.g.node('DequantizeLinear', [bname,
			this.g.initializer(this.g.uniq('bs'), DT.FLOAT,
					   [cout], bs),
			this.g.initializer(this.g.uniq('bzp'), DT.INT32,
					   [cout], new Int32Array(cout))],
			[bf], { axis: 0 });
		const y = this.g.uniq(name);
		this.g.node(fc ? 'Gemm' : 'Conv', [xf, wf, bf], [y], attrs,
			    name);
		/* Relu/Clip folded into the quantization range, as ORT's
		 * quantizer does. */
		return this.q(y, like ? like.q : this.outQ(act), meta);
	}

	conv(x, cout, k, s, p, groups, act, name) {
		return this.layer(x, { cout, k, s, p, groups, act, name });
	}

	fc(x, cout, name) {
		return this.layer(x, { cout, fc: true, name });
	}

	maxPool(x, k, s, p) {
		const meta = { c: x.c, h: Math.floor((x.h + 2 * p - k) / s) + 1,
			       w: Math.floor((x.w + 2 * p - k) / s) + 1 };
		const attrs = { kernel_shape: [k, k], strides: [s, s],
				pads: [p, p, p, p] };
		const y = this.g.uniq('maxpool');
		if (!this.int8) {
			this.g.node('MaxPool', [x.name], [y], attrs);
			return { name: y, ...meta };
		}
		this.g.node('MaxPool', [this.dq(x)], [y], attrs);
		return this.q(y, x.q, meta);
	}

	globalAvgPool(x) {
		const y = this.g.uniq('gap');
		const meta = { c: x.c, h: 1, w: 1 };
		if (!this.int8) {
			this.g.node('GlobalAveragePool', [x.name], [y]);
			return { name: y, ...meta };
		}
		this.g.node('GlobalAveragePool', [this.dq(x)], [y]);
		return this.q(y, { scale: x.q.scale * 0.5,
				   zp: this.qmin + this.rng.int(28, 68) }, meta);
	}

	add(a, b, act) {
		const y = this.g.uniq('add');
		const meta = { c: a.c, h: a.h, w: a.w };
		if (!this.int8) {
			this.g.node('Add', [a.name, b.name], [y]);
			return { name: this.activation(y, act), ...meta };
		}
		this.g.node('Add', [this.dq(a), this.dq(b)], [y]);
		const q = this.outQ(act);
		q.scale = Math.max(a.q.scale, b.q.scale) * 1.5;
		return this.q(y, q, meta);
	}

	concat(a, b) {
		const y = this.g.uniq('cat');
		const meta = { c: a.c + b.c, h: a.h, w: a.w };
		if (!this.int8) {
			this.g.node('Concat', [a.name, b.name], [y],
				    { axis: 1 });
			return { name: y, ...meta };
		}
		this.g.node('Concat', [this.dq(a), this.dq(b)], [y],
			    { axis: 1 });
		return this.q(y, a.q, meta);
	}

	finish(x) {
		const shape = x.h === 1 && x.w === 1 && this.lastFc ?
			[1, x.c] : [1, x.c, x.h, x.w];
		this.g.output(x.name, this.int8 ? this.qtype : DT.FLOAT, shape);
		return encodeModel(this.g, { opset: 13 });
	}
}

/* MobileNetV2 1.0, torchvision layer shapes (as bench_engine.c). */
function mobilenetV2(n) {
	const cfg = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2],
		     [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
		     [6, 320, 1, 1]];
	let x = n.input();
	let blk = 0;
	x = n.conv(x, 32, 3, 2, 1, 1, ACT_RELU6, 'features.0');
	for (const [t, c, reps, s0] of cfg) {
		for (let j = 0; j < reps; j++) {
			const s = j ? 1 : s0;
			const hid = x.c * t;
			let h = x;
			blk++;
			if (t !== 1)
				h = n.conv(h, hid, 1, 1, 0, 1, ACT_RELU6,
					   `features.${blk}.expand`);
			h = n.conv(h, hid, 3, s, 1, hid, ACT_RELU6,
				   `features.${blk}.dw`);
			h = n.conv(h, c, 1, 1, 0, 1, ACT_NONE,
				   `features.${blk}.project`);
			if (s === 1 && x.c === c)
				h = n.add(h, x, ACT_NONE);
			x = h;
		}
	}
	x = n.conv(x, 1280, 1, 1, 0, 1, ACT_RELU6, 'features.18');
	x = n.globalAvgPool(x);
	n.lastFc = true;
	return n.finish(n.fc(x, 1000, 'classifier'));
}

/* ResNet-18, torchvision layer shapes. */
function resnet18(n) {
	const width = [64, 128, 256, 512];
	let x = n.input();
	x = n.conv(x, 64, 7, 2, 3, 1, ACT_RELU, 'conv1');
	x = n.maxPool(x, 3, 2, 1);
	for (let l = 0; l < 4; l++) {
		for (let j = 0; j < 2; j++) {
			const s = l && !j ? 2 : 1;
			const pre = `layer${l + 1}.${j}`;
			let sc = x;
			let h = n.conv(x, width[l], 3, s, 1, 1, ACT_RELU,
				       `${pre}.conv1`);
			h = n.conv(h, width[l], 3, 1, 1, 1, ACT_NONE,
				   `${pre}.conv2`);
			if (s !== 1 || x.c !== width[l])
				sc = n.conv(x, width[l], 1, s, 0, 1, ACT_NONE,
					    `${pre}.downsample`);
			x = n.add(h, sc, ACT_RELU);
		}
	}
	x = n.globalAvgPool(x);
	n.lastFc = true;
	return n.finish(n.fc(x, 1000, 'fc'));
}

function fire(n, x, sq, e1, e3, idx) {
	const s = n.conv(x, sq, 1, 1, 0, 1, ACT_RELU, `features.${idx}.squeeze`);
	const a = n.conv(s, e1, 1, 1, 0, 1, ACT_RELU,
			 `features.${idx}.expand1x1`);
	const b = n.layer(s, { cout: e3, k: 3, s: 1, p: 1, act: ACT_RELU,
			       like: a, name: `features.${idx}.expand3x3` });
	return n.concat(a, b);
}

/* SqueezeNet 1.1, torchvision layer shapes. */
function squeezenet11(n) {
	let x = n.input();
	x = n.conv(x, 64, 3, 2, 0, 1, ACT_RELU, 'features.0');
	x = n.maxPool(x, 3, 2, 0);
	x = fire(n, x, 16, 64, 64, 3);
	x = fire(n, x, 16, 64, 64, 4);
	x = n.maxPool(x, 3, 2, 0);
	x = fire(n, x, 32, 128, 128, 6);
	x = fire(n, x, 32, 128, 128, 7);
	x = n.maxPool(x, 3, 2, 0);
	x = fire(n, x, 48, 192, 192, 9);
	x = fire(n, x, 48, 192, 192, 10);
	x = fire(n, x, 64, 256, 256, 11);
	x = fire(n, x, 64, 256, 256, 12);
	x = n.conv(x, 1000, 1, 1, 0, 1, ACT_RELU, 'classifier.1');
	return n.finish(n.globalAvgPool(x));
}

const NETS = [
	['mobilenet_v2', mobilenetV2],
	['resnet18', resnet18],
	['squeezenet1_1', squeezenet11],
];

/* ---- timing ------------------------------------------------------------- */

function percentile(sorted, p) {
	return sorted[Math.max(0, Math.ceil(sorted.length * p) - 1)];
}

async function timeSession(ort, file, int8, qtype, threads, o) {
	const opts = {
		graphOptimizationLevel: 'all',
		executionMode: 'sequential',
		intraOpNumThreads: threads,
		interOpNumThreads: 1,
	};
	if (o.dumpOptimized)
		opts.optimizedModelFilePath = file.replace(/\.onnx$/,
							   '.opt.onnx');
	const t0 = performance.now();
	const sess = await ort.InferenceSession.create(file, opts);
	const sessionMs = performance.now() - t0;
	const n = 3 * 224 * 224;
	let input;
	if (!int8) {
		const d = new Float32Array(n);
		for (let i = 0; i < n; i++)
			d[i] = (i * 7919 % 255) / 64 - 2;
		input = new ort.Tensor('float32', d, [1, 3, 224, 224]);
	} else {
		const d = qtype === DT.INT8 ? new Int8Array(n) :
			new Uint8Array(n);
		for (let i = 0; i < n; i++)
			d[i] = (i * 7919) % 255 + (qtype === DT.INT8 ? -128 : 0);
		input = new ort.Tensor(qtype === DT.INT8 ? 'int8' : 'uint8', d,
				       [1, 3, 224, 224]);
	}
	const feeds = { [sess.inputNames[0]]: input };
	for (let i = 0; i < 2; i++) {
		const w0 = performance.now();
		await sess.run(feeds);
		if (performance.now() - w0 > 500)
			break;
	}
	const t = [];
	let spent = 0;
	while (t.length < o.runs) {
		const r0 = performance.now();
		await sess.run(feeds);
		const dt = performance.now() - r0;
		t.push(dt);
		spent += dt;
		if (t.length >= 3 && spent > o.maxSeconds * 1e3)
			break;
	}
	await sess.release();
	t.sort((a, b) => a - b);
	const mid = t.length >> 1;
	return {
		runs: t.length,
		median_ms: t.length & 1 ? t[mid] : (t[mid - 1] + t[mid]) / 2,
		p90_ms: percentile(t, 0.9),
		session_ms: sessionMs,
	};
}

async function main() {
	const o = parseArgs(process.argv);
	const ort = loadOrt(o.ortDir);
	const cpus = os.availableParallelism ? os.availableParallelism() :
		os.cpus().length;
	const results = [];
	mkdirSync(o.outDir, { recursive: true });
	for (const [name, build] of NETS) {
		if (o.only && !o.only.some((s) => name.includes(s)))
			continue;
		for (const flavour of o.flavours) {
			const net = new Net(name, flavour, o.act, 1234);
			const bytes = build(net);
			const tag = flavour === 'int8' ? `int8-${o.act}` : flavour;
			const file = path.join(o.outDir, `${name}-${tag}.onnx`);
			writeFileSync(file, bytes);
			for (const threads of [1, cpus]) {
				const r = await timeSession(ort, file,
					flavour === 'int8', net.qtype, threads, o);
				const row = { net: name, flavour,
					      act: flavour === 'int8' ? o.act : null,
					      threads, file_size: bytes.length,
					      ...r };
				results.push(row);
				process.stderr.write(
					`${name.padEnd(14)} ${tag.padEnd(8)} ` +
					`${String(threads).padStart(2)} thr  ` +
					`median ${r.median_ms.toFixed(2).padStart(8)} ms  ` +
					`p90 ${r.p90_ms.toFixed(2).padStart(8)} ms  ` +
					`(${r.runs} runs, session ` +
					`${r.session_ms.toFixed(0)} ms)\n`);
			}
		}
	}
	process.stdout.write(JSON.stringify({
		engine: 'onnxruntime',
		version: ort.env.versions ? ort.env.versions.node : null,
		cpus,
		results,
	}, null, 2) + '\n');
}

main().catch((e) => {
	process.stderr.write(`bench_ort: ${e.stack || e}\n`);
	process.exit(1);
});
