// ONNX Runtime on the engine benchmark's workloads, timed the way
// brainserve-engine-bench times the engine, for tests/bench/run_ort_compare.sh.
//
// Usage:
//   node ort_bench.mjs --models=DIR --threads=T [--repetitions=5]
//       [--min_time_s=0.2] [--out=FILE.json] [--api=native|async]
//       [--invariance=1]
//
// DIR is what brainserve-onnx-export wrote (manifest.json, <W>.onnx, inputs
// and the engine's outputs). For every (workload, batch) row it
// 1. creates a session with intraOpNumThreads = T, interOpNumThreads = 1,
//    sequential execution and all graph optimizations;
// 2. runs the benchmark's input once and checks every output element against
//    the engine's, |ort - engine| <= 1e-3 * (|engine| + rms(engine)) (the
//    engine benchmark's own engine-versus-raw tolerance), and exits 1 on a
//    mismatch: a peer that computes something else is not timed;
// 3. per repetition (rows shuffled, so they interleave in time), runs the row
//    for at least min_time_s and records the mean wall time and process CPU
//    time per call, in microseconds.
//
// --api=native (the default) calls the session's native run() directly, as
// onnxruntime-node's own InferenceSession.run() does after one setImmediate
// hop; --api=async goes through the public promise API to show that hop.
//
// --invariance=1 times nothing: for every row with a batch over 1 it runs
// each sample alone and reports how many samples (and output elements) differ
// in any bit from the same sample computed inside the batch.
//
// Output (stdout summary, --out JSON): rows named
// "ort/<W>/batch:<B>/threads:<T>", like the engine benchmark's
// "engine/<W>/batch:<B>/threads:<T>".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const { binding, initOrt } = require('onnxruntime-node/dist/binding.js');

function parseArgs(argv) {
  const args = { repetitions: 5, min_time_s: 0.2, api: 'native', invariance: '0' };
  for (const a of argv) {
    const m = /^--([a-z_]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`unknown argument: ${a}`);
    args[m[1]] = m[2];
  }
  for (const required of ['models', 'threads']) {
    if (args[required] === undefined) throw new Error(`--${required} is required`);
  }
  args.threads = Number(args.threads);
  args.repetitions = Number(args.repetitions);
  args.min_time_s = Number(args.min_time_s);
  if (!(args.threads >= 1)) throw new Error('--threads must be >= 1');
  if (!['native', 'async'].includes(args.api)) throw new Error('--api: native or async');
  return args;
}

function readFloats(file) {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

const sessionOptions = (threads) => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});

// One way to call the model: run(tensor) -> output Float32Array.
async function openSession(modelPath, threads, api) {
  if (api === 'async') {
    const session = await ort.InferenceSession.create(modelPath, sessionOptions(threads));
    return async (tensor) => (await session.run({ input: tensor })).output.data;
  }
  initOrt();
  const session = new binding.InferenceSession();
  session.loadModel(modelPath, sessionOptions(threads));
  return (tensor) => session.run({ input: tensor }, { output: null }, {}).output.data;
}

function check(name, got, want) {
  if (got.length !== want.length) {
    throw new Error(`${name}: ${got.length} outputs, the engine has ${want.length}`);
  }
  let squares = 0;
  for (const w of want) squares += w * w;
  const rms = Math.sqrt(squares / want.length);
  let maxDiff = 0;
  for (let i = 0; i < want.length; ++i) {
    const diff = Math.abs(got[i] - want[i]);
    maxDiff = Math.max(maxDiff, diff);
    if (!(diff <= 1e-3 * (Math.abs(want[i]) + rms))) {
      throw new Error(`${name}: element ${i}: ONNX Runtime ${got[i]}, engine ${want[i]}`);
    }
  }
  return maxDiff;
}

// Mean wall and process CPU µs per call over at least minTimeS.
async function timeRow(row, minTimeS) {
  let iterations = row.iterations;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (row.sync) {
    for (let i = 0; i < iterations; ++i) row.run(row.tensor);
  } else {
    for (let i = 0; i < iterations; ++i) await row.run(row.tensor);
  }
  let elapsed = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  // Grow the count for the next repetition if this one was short.
  if (elapsed < minTimeS * 1e6) {
    row.iterations = Math.ceil((iterations * minTimeS * 1e6 * 1.2) / Math.max(elapsed, 1));
  }
  return { real: elapsed / iterations, cpu: (cpu.user + cpu.system) / iterations };
}

function shuffle(a) {
  for (let i = a.length - 1; i > 0; --i) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// Samples of `x` ([batch, ...shape]) whose output alone differs in any bit
// from their rows of `full` (the batch's output).
async function batchInvariance(run, x, batch, shape, full) {
  const per = x.length / batch;
  const outPer = full.length / batch;
  let samples = 0;
  let elements = 0;
  for (let r = 0; r < batch; ++r) {
    const alone = await run(new ort.Tensor('float32', x.slice(r * per, (r + 1) * per), [1, ...shape]));
    let d = 0;
    for (let i = 0; i < outPer; ++i) if (!Object.is(alone[i], full[r * outPer + i])) ++d;
    elements += d;
    if (d > 0) ++samples;
  }
  return { samples, elements, of_elements: full.length };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(args.models, 'manifest.json')));
  const rows = [];
  for (const entry of manifest) {
    const run = await openSession(path.join(args.models, entry.model), args.threads, args.api);
    for (const batch of entry.batches) {
      const stem = path.join(args.models, `${entry.workload}.batch${batch}`);
      const input = readFloats(`${stem}.input.f32`);
      const tensor = new ort.Tensor('float32', input, [batch, ...entry.input_shape]);
      const name = `ort/${entry.workload}/batch:${batch}/threads:${args.threads}`;
      const output = await run(tensor);
      const maxDiff = check(name, output, readFloats(`${stem}.expected.f32`));
      if (args.invariance === '1') {
        if (batch > 1) {
          const d = await batchInvariance(run, input, batch, entry.input_shape,
            Float32Array.from(output));
          console.log(`${name}: alone vs in the batch, ${d.samples}/${batch} samples differ ` +
            `(${d.elements}/${d.of_elements} output elements)`);
        }
        continue;
      }
      // Warm up for 0.1 s; the iteration count then aims at min_time_s.
      const row = { name, run, sync: args.api === 'native', tensor, maxDiff, iterations: 1, real: [], cpu: [] };
      const warm = process.hrtime.bigint();
      let calls = 0;
      while (Number(process.hrtime.bigint() - warm) < 1e8) {
        await run(tensor);
        ++calls;
      }
      row.iterations = Math.max(1, Math.ceil((calls * args.min_time_s) / 0.1));
      rows.push(row);
    }
  }
  if (args.invariance === '1') return;
  for (let r = 0; r < args.repetitions; ++r) {
    for (const row of shuffle([...rows])) {
      const t = await timeRow(row, args.min_time_s);
      row.real.push(t.real);
      row.cpu.push(t.cpu);
    }
  }
  const result = {
    context: {
      onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
      node: process.version,
      api: args.api,
      threads: args.threads,
      repetitions: args.repetitions,
      min_time_s: args.min_time_s,
    },
    benchmarks: rows.map((row) => ({
      name: row.name,
      max_abs_diff: row.maxDiff,
      real_time_us: row.real,
      cpu_time_us: row.cpu,
    })),
  };
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(result, null, 1));
  for (const row of result.benchmarks) {
    console.log(`${row.name.padEnd(28)} p50 ${median(row.real_time_us).toFixed(1).padStart(9)} µs` +
      `  cpu ${median(row.cpu_time_us).toFixed(1).padStart(9)} µs  max |ort - engine| ${row.max_abs_diff.toExponential(1)}`);
  }
}

main().catch((e) => {
  console.error(`ort_bench: ${e.message}`);
  process.exit(1);
});
