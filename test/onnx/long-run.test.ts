/**
 * A 50 000-sample run (the fixture's 2 000 test inputs repeated 25 times): progress, speed,
 * and cancellation part-way through.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import type { Progress } from '../../shared/schema.ts';
import { openFile } from '../../main/io/index.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { openModelDataset } from '../../main/onnx/index.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/mnist-mlp');
const MODEL = join(FIXTURES, 'mnist_small.onnx');
const REPEATS = 25;

let tmp: string;
let inputs: string;
let labels: string;

async function firstArray(file: string): Promise<Float64Array> {
  const c = await openFile(file);
  try {
    return await c.arrays[0].readRows(0, c.arrays[0].rows);
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nc-lens-onnx-test-'));
  const x = await firstArray(join(FIXTURES, 'mnist_small_test_inputs.npy'));
  const y = await firstArray(join(FIXTURES, 'mnist_small_test_input_labels.npy'));
  const n = y.length * REPEATS;
  const xs = new Float32Array(x.length * REPEATS);
  const ys = new Int32Array(n);
  for (let r = 0; r < REPEATS; r++) {
    xs.set(x, r * x.length);
    ys.set(y, r * y.length);
  }
  inputs = join(tmp, 'inputs-50k.npy');
  labels = join(tmp, 'labels-50k.npy');
  await writeFile(inputs, encodeNpy(xs, [n, 784]));
  await writeFile(labels, encodeNpy(ys, [n]));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

it('extracts 50 000 samples with rising progress and reports rows/s', async () => {
  const progress: Progress[] = [];
  const t0 = performance.now();
  const { dataset, close } = await openModelDataset({
    model: MODEL,
    inputs,
    labels,
    onProgress: (p) => progress.push(p),
  });
  const seconds = (performance.now() - t0) / 1000;
  try {
    const n = dataset.train.features.rows;
    expect(n).toBe(50_000);
    console.log(
      `onnx extraction: ${n} rows in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} rows/s`,
    );
    const fractions = progress.map((p) => p.fraction);
    expect(fractions.every((f, i) => i === 0 || f > fractions[i - 1])).toBe(true);
    expect(progress.at(-1)).toMatchObject({ fraction: 1, rows: n, totalRows: n });
    // Repeated inputs give repeated features.
    const first = await dataset.train.features.readRows(0, 5);
    const last = await dataset.train.features.readRows(48_000, 48_005);
    expect(Array.from(last)).toEqual(Array.from(first));
  } finally {
    await close();
  }
});

it('stops when cancelled part-way and says so', async () => {
  const controller = new AbortController();
  const progress: Progress[] = [];
  const run = openModelDataset({
    model: MODEL,
    inputs,
    labels,
    signal: controller.signal,
    onProgress: (p) => {
      progress.push(p);
      if (p.fraction >= 0.2) controller.abort();
    },
  });
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isNcLensError(error) && error.code).toBe('cancelled');
  const last = progress.at(-1)!;
  expect(last.fraction).toBeGreaterThanOrEqual(0.2);
  expect(last.fraction).toBeLessThan(0.25);
});
