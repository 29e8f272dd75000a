/**
 * An ONNX model in the browser shell, end to end: the model dropped together with its inputs
 * and labels is run by the server (real onnxruntime) and its metrics shown; a model with no
 * classifier opens, an alert asks for its features tensor, and the pick is analysed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MetricsResult } from '../../shared/schema.ts';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openModelDataset } from '../../main/onnx/index.ts';
import {
  dropFiles,
  shownValue,
  skipReason,
  startApp,
  waitForClose,
  waitForValue,
} from './harness.ts';
import { writeNoClassifierModel } from '../onnx/models.ts';
import type { App } from './harness.ts';
import { MNIST } from '../fixtures.ts';
import type { ArraySource } from '../../main/io/types.ts';
import { directMetrics } from '../engine/direct.ts';

const MODEL = `${MNIST}/mnist_small.onnx`;
const INPUTS = `${MNIST}/mnist_small_test_inputs.npy`;
const LABELS = `${MNIST}/mnist_small_test_input_labels.npy`;

const reason = skipReason();
if (reason) console.warn(reason);

/** What the engine gives for a model run on the fixture inputs (no service in between). */
async function engineResult(featuresTensor?: string, model = MODEL): Promise<MetricsResult> {
  const { dataset, close } = await openModelDataset({
    model,
    inputs: INPUTS,
    labels: LABELS,
    featuresTensor,
  });
  try {
    return await analyzeDataset(dataset, { centering: 'class-means' });
  } finally {
    await close();
  }
}

/**
 * The metrics computed in float64 straight from what onnxruntime gives for the fixture inputs
 * (the features and the classifier's W and b), by the tests' direct formulas, not the engine.
 */
async function directResult(): Promise<ReturnType<typeof directMetrics>> {
  const { dataset, close } = await openModelDataset({
    model: MODEL,
    inputs: INPUTS,
    labels: LABELS,
  });
  try {
    const rows = async (a: ArraySource) => {
      const v = await a.readRows(0, a.rows);
      return Array.from({ length: a.rows }, (_, i) =>
        Array.from(v.subarray(i * a.rowSize, (i + 1) * a.rowSize)),
      );
    };
    const w = dataset.weight!;
    return directMetrics({
      h: await rows(dataset.train.features),
      y: (await rows(dataset.train.labels)).map((r) => r[0]),
      w: Array.from({ length: w.rows }, (_, k) =>
        Array.from(w.data.subarray(k * w.cols, (k + 1) * w.cols)),
      ),
      b: dataset.bias ? Array.from(dataset.bias) : undefined,
    });
  } finally {
    await close();
  }
}

describe.skipIf(reason)('an ONNX model in the browser shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nc-lens-e2e-onnx-'));
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("drops a model with its inputs and labels and shows the engine's metrics", async () => {
    const expected = await engineResult();
    const direct = await directResult();
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await dropFiles(app.page, [MODEL, INPUTS, LABELS]);
    await waitForClose(app, 'nc1', expected.nc1!, 60_000);
    for (const [key, value] of [
      ['cdnv', expected.cdnv],
      ['self_duality', expected.nc3.self_duality],
      ['ncc_mismatch', expected.nc4.ncc_mismatch],
    ] as const) {
      expect(await shownValue(app.page, key), key).toBeCloseTo(value!, 9);
    }
    // …and the same numbers from the independent float64 computation on the model's outputs.
    for (const [key, value] of [
      ['nc1', direct.nc1],
      ['cdnv', direct.cdnv],
      ['self_duality', direct.nc3.self_duality],
      ['ncc_mismatch', direct.nc4.ncc_mismatch],
    ] as const) {
      const shown = (await shownValue(app.page, key))!;
      expect(Math.abs(shown - value!), key).toBeLessThanOrEqual(
        1e-6 * Math.max(Math.abs(value!), 1e-9),
      );
    }
    const summary = app.page.locator('[data-testid="model-summary"]');
    await expect(summary.textContent()).resolves.toContain('/fc/Gemm: W 10 × 32, b 10');
    const picker = app.page.locator('[data-testid="model-features-select"]');
    expect(await picker.inputValue()).toBe('features');
    const roles = app.page.locator('[data-testid^="role-select-mnist_small_test_input"]');
    expect(
      await roles.evaluateAll((els) => els.map((e) => (e as { value?: string }).value)),
    ).toEqual(['inputs', 'labels']);
    await app.shot('onnx-model');
    // Another tensor as features: the model runs again and its metrics replace the first.
    const hidden = '/body/body.2/Relu_output_0';
    const fromHidden = await engineResult(hidden);
    await picker.selectOption(hidden);
    await waitForClose(app, 'nc1', fromHidden.nc1!, 60_000);
    expect(fromHidden.d).toBe(256);
    // No array role can help here: the card says which tensor the classifier applies to.
    const reason = app.page.locator('[data-family="nc3"] [data-testid="empty-reason"]');
    expect((await reason.textContent())?.replace(/\s+/g, ' ')).toContain(
      "the model's classifier applies only to its input; pick features as the features tensor",
    );
    expect(app.errors).toEqual([]);
  }, 180_000);

  it('opens a model with no classifier, asks for a features tensor, then analyses the pick', async () => {
    const model = writeNoClassifierModel(dir);
    const expected = await engineResult('y', model);
    app = await startApp();
    const before = await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await dropFiles(app.page, [model, INPUTS, LABELS]);
    const alert = app.page.locator('[role="alert"]', { hasText: 'relu_only.onnx' });
    await alert.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await alert.textContent()).toContain('expected a features tensor to be picked');
    expect(await shownValue(app.page, 'nc1')).toBe(before);
    const summary = app.page.locator('[data-testid="model-summary"]');
    await expect(summary.textContent()).resolves.toContain('no linear classifier found');
    const picker = app.page.locator('[data-testid="model-features-select"]');
    expect(await picker.inputValue()).toBe('');
    await app.shot('onnx-no-classifier');
    await picker.selectOption('y');
    await waitForClose(app, 'nc1', expected.nc1!, 60_000);
    expect(expected.nc3.self_duality).toBeNull();
    const reason = app.page.locator('[data-family="nc3"] [data-testid="empty-reason"]');
    expect((await reason.textContent())?.replace(/\s+/g, ' ')).toContain(
      'the model has no final linear classifier',
    );
    await alert.waitFor({ state: 'detached', timeout: 10_000 });
  }, 180_000);
});
