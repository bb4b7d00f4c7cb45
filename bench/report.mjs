// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * report: joins the JSON of bench_engine (vision) and bench_ort.mjs (ONNX
 * Runtime) into one table. Ratios are ORT ms / vision ms, so > 1 means
 * vision is faster; the sparse table gives dense ms / sparse ms.
 *
 *   node bench/report.mjs VISION.json [ORT.json]
 */
import { readFileSync } from 'node:fs';

function load(file) {
	try {
		return JSON.parse(readFileSync(file, 'utf8'));
	} catch (e) {
		process.stderr.write(`report: ${file}: ${e.message}\n`);
		return null;
	}
}

const [visionFile, ortFile] = process.argv.slice(2);
if (!visionFile) {
	process.stderr.write('usage: node bench/report.mjs VISION.json [ORT.json]\n');
	process.exit(2);
}
const vision = load(visionFile);
const ort = ortFile ? load(ortFile) : null;
const vres = vision ? vision.results : [];
const ores = ort ? ort.results : [];

const fmt = (v, d = 2) => (v === undefined || v === null ? '-' :
	v.toFixed(d));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
const multi = (t) => t > 1;

/* Best kernels (vision's choice) for a model and thread class. */
function visionMs(net, weights, threadsMulti, kernels = null) {
	const r = vres.find((x) => x.net === net && x.weights === weights &&
			    multi(x.threads) === threadsMulti &&
			    (kernels ? x.kernels === kernels :
			     x.kernels !== 'portable' ||
			     vision.best_kernels === 'portable'));
	return r ? r.median_ms : null;
}

function ortMs(net, flavour, threadsMulti) {
	const r = ores.find((x) => x.net === net && x.flavour === flavour &&
			    multi(x.threads) === threadsMulti);
	return r ? r.median_ms : null;
}

const nets = [...new Set([...vres.map((r) => r.net),
			  ...ores.map((r) => r.net)])];
const cpus = (vision && vision.cpus) || (ort && ort.cpus) || '?';
const int8Act = (ores.find((r) => r.flavour === 'int8') || {}).act;

const line = (cols, widths) => cols.map((c, i) =>
	i ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))
	.join('  ');

console.log('');
console.log(`== vision int8 vs ONNX Runtime ${ort ? ort.version : '(missing)'}` +
	    ` (median ms per inference; ratio = ORT ms / vision ms, > 1: vision faster)`);
console.log(`   vision kernels: ${vision ? vision.best_kernels : '-'};` +
	    ` ORT int8: QDQ, ${int8Act || '-'} activations, s8 weights;` +
	    ` all threads = ${cpus}`);
let w = [14, 7, 10, 10, 10, 12, 12, 12];
console.log(line(['network', 'threads', 'vision', 'ORT int8', 'ORT fp32',
		  'vs ORT int8', 'vs ORT fp32', 'vis portable'], w));
for (const net of nets) {
	for (const m of [false, true]) {
		const v = visionMs(net, 'dense', m);
		const oi = ortMs(net, 'int8', m);
		const of = ortMs(net, 'fp32', m);
		const vp = m ? null : visionMs(net, 'dense', m, 'portable');
		console.log(line([net, m ? `all` : '1', fmt(v), fmt(oi), fmt(of),
				  ratio(oi, v), ratio(of, v), fmt(vp)], w));
	}
}

const sparseNets = [...new Set(vres.filter((r) => r.weights !== 'dense')
	.map((r) => r.net))];
if (sparseNets.length) {
	console.log('');
	console.log('== vision sparse (50% of 1x4 blocks pruned; x64: the ' +
		    'same blocks in each 64 rows) vs dense (median ms; ' +
		    'speedup = dense ms / sparse ms)');
	w = [14, 7, 10, 13, 13, 14, 13, 16, 14];
	console.log(line(['network', 'threads', 'dense', 'pruned dense',
			  'sparse BLOCK4', 'vs dense', 'BLOCK4 x64',
			  'x64 vs dense', 'vs pruned dense'], w));
	for (const net of sparseNets) {
		for (const m of [false, true]) {
			const d = visionMs(net, 'dense', m);
			const pd = visionMs(net, 'pruned50-dense', m);
			const sp = visionMs(net, 'sparse50-block4', m);
			const sq = visionMs(net, 'sparse50-block4x64', m);
			console.log(line([net, m ? 'all' : '1', fmt(d), fmt(pd),
					  fmt(sp), ratio(d, sp), fmt(sq),
					  ratio(d, sq), ratio(pd, sp)], w));
		}
		const p = vres.find((r) => r.net === net &&
				    r.weights === 'sparse50-block4' &&
				    r.kernels === 'portable');
		const pd = vres.find((r) => r.net === net &&
				     r.weights === 'pruned50-dense' &&
				     r.kernels === 'portable');
		if (p && pd)
			console.log(line([net, '1 port.', '', fmt(pd.median_ms),
					  fmt(p.median_ms), '', '', '',
					  ratio(pd.median_ms, p.median_ms)], w));
	}
}

if (vres.length) {
	console.log('');
	console.log('== vision models');
	w = [30, 8, 9, 9, 12];
	console.log(line(['model', 'GMACs', 'file MiB', 'arena MiB',
			  'validate ms'], w));
	const seen = new Set();
	for (const r of vres) {
		if (seen.has(r.model))
			continue;
		seen.add(r.model);
		console.log(line([r.model, fmt(r.macs / 1e9, 3),
				  fmt(r.file_size / 1048576),
				  fmt(r.arena_size / 1048576),
				  fmt(r.validate_ms, 3)], w));
	}
	if (vision.output_mismatches)
		console.log(`WARNING: ${vision.output_mismatches} output ` +
			    'mismatches between configurations (see bench_engine stderr)');
}
