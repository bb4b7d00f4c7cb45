// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * float_ref: the outputs ONNX Runtime (npm onnxruntime-node, CPU, float32)
 * gives for the project's models on the first N Fashion-MNIST test
 * images, so that tests/host/models_float_test.c can hold libvision's
 * float interpreter to them.
 *
 *   node tests/ort/float_ref.mjs --ort-dir DIR --out-dir DIR [--count N]
 *        MODEL.onnx...
 *
 * For each model writes OUT/NAME.txt: one line per image, the model's
 * first output as space-separated floats (%.9g, so they read back
 * exactly). Inputs are [1,1,28,28] float32, pixel / 255, as the models
 * were trained (models/README.md).
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

function usage(msg) {
	console.error(`float_ref: ${msg}`);
	console.error('usage: float_ref.mjs --ort-dir DIR --out-dir DIR ' +
		'[--count N] MODEL.onnx...');
	process.exit(2);
}

const args = process.argv.slice(2);
let ortDir = null;
let outDir = null;
let count = 200;
const models = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--ort-dir')
		ortDir = args[++i];
	else if (args[i] === '--out-dir')
		outDir = args[++i];
	else if (args[i] === '--count')
		count = Number(args[++i]);
	else if (args[i].startsWith('--'))
		usage(`unknown option ${args[i]}`);
	else
		models.push(args[i]);
}
if (!ortDir || !outDir || !models.length)
	usage('need --ort-dir, --out-dir and a model');
if (!Number.isInteger(count) || count < 1 || count > 10000)
	usage('--count must be 1..10000');

const require = createRequire(path.resolve(ortDir, 'package.json'));
const ort = require('onnxruntime-node');

/* IDX: magic 0x803, count, rows, cols, then bytes. */
const idx = gunzipSync(readFileSync(IMAGES));
if (idx.readUInt32BE(0) !== 0x803)
	throw new Error(`${IMAGES}: not an IDX image file`);
const [n, rows, cols] = [idx.readUInt32BE(4), idx.readUInt32BE(8),
	idx.readUInt32BE(12)];
if (rows !== 28 || cols !== 28 || n < count)
	throw new Error(`${IMAGES}: unexpected shape ${n}x${rows}x${cols}`);

mkdirSync(outDir, { recursive: true });
for (const file of models) {
	const session = await ort.InferenceSession.create(file, {
		executionProviders: ['cpu'],
		intraOpNumThreads: 1,
	});
	const inName = session.inputNames[0];
	const outName = session.outputNames[0];
	const lines = [];
	for (let i = 0; i < count; i++) {
		const px = idx.subarray(16 + i * 784, 16 + (i + 1) * 784);
		const x = Float32Array.from(px, (p) => p / 255);
		const feeds = { [inName]: new ort.Tensor('float32', x,
			[1, 1, 28, 28]) };
		const out = (await session.run(feeds))[outName].data;
		lines.push(Array.from(out, (v) => v.toPrecision(9)).join(' '));
	}
	const name = path.basename(file, '.onnx');
	writeFileSync(path.join(outDir, `${name}.txt`), lines.join('\n') + '\n');
	console.error(`float_ref: ${name}: ${count} images`);
}
