/**
 * Layer-wise collapse in the app end to end (issues #3, #5): one bundle with two feature layers
 * of different widths (layer1 8000×16, layer2 8000×32) opens as a layer series. The selector,
 * the tables and the charts speak of layers, the values are the engine's, and the 3-D view
 * draws each layer in its own basis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { analyzePaths } from '../../main/plan/run.ts';
import type { SeriesResult } from '../../shared/schema.ts';
import { CANVAS, canvasShot, comparePngs, viewAt } from './canvas.ts';
import { shownValue, skipReason, startApp, waitForValue } from './harness.ts';
import type { App } from './harness.ts';
import { FORMATS } from '../fixtures.ts';
import { openFile } from '../../main/io/index.ts';
import { directMetrics } from '../engine/direct.ts';

const LAYERS = `${FORMATS}/bundle_layers.npz`;
const SLIDER = '[data-testid="epoch-slider"]';

const reason = skipReason();
if (reason) console.warn(reason);

/** Relative 1e-9: the app's engine may split the sums over other threads than the test's. */
function expectClose(shown: number | null, expected: number, rel = 1e-9): void {
  expect(shown).not.toBeNull();
  expect(Math.abs(shown! - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/** NC1 of each layer computed in float64 straight from the bundle's arrays (not the engine). */
async function directNc1(): Promise<Record<string, number>> {
  const c = await openFile(LAYERS);
  try {
    const rows = async (name: string) => {
      const a = c.arrays.find((x) => x.name === name)!;
      const v = await a.readRows(0, a.rows);
      return Array.from({ length: a.rows }, (_, i) =>
        Array.from(v.subarray(i * a.rowSize, (i + 1) * a.rowSize)),
      );
    };
    const y = (await rows('labels')).map((r) => r[0]);
    const out: Record<string, number> = {};
    for (const layer of ['layer1', 'layer2'])
      out[layer] = directMetrics({ h: await rows(layer), y }).nc1 as number;
    return out;
  } finally {
    await c.close();
  }
}

describe.skipIf(reason)('layer series end to end', () => {
  let app: App;
  let page: Page;
  let engine: SeriesResult;
  let direct: Record<string, number>;

  beforeAll(async () => {
    const computed = analyzePaths([LAYERS]);
    app = await startApp();
    page = app.page;
    // The first start opens the demo; wait for it, then open the layer bundle instead.
    await waitForValue(page, 'nc1', { timeout: 90_000 }).catch(() => undefined);
    await page.locator('[data-testid="open-input"]').setInputFiles([LAYERS]);
    await page
      .locator('[data-testid="epoch-label"]', { hasText: 'Layer layer2' })
      .waitFor({ timeout: 120_000 });
    await page.waitForSelector(`${CANVAS}:not([data-vertices="0"])`, { timeout: 30_000 });
    await viewAt(page, 1);
    const result = await computed;
    if (result.schema !== 'nc-lens/series@1') throw new Error('the engine gave no series');
    engine = result;
    direct = await directNc1();
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('opens on the last layer with a layer selector over layer1 and layer2', async () => {
    expect(engine.kind).toBe('layers');
    expect(engine.points.map((p) => p.layer)).toEqual(['layer1', 'layer2']);
    await expect(page.locator(`label[for="epoch-slider"]`).textContent()).resolves.toBe('Layer');
    expect(await page.locator(SLIDER).getAttribute('min')).toBe('0');
    expect(await page.locator(SLIDER).getAttribute('max')).toBe('1');
    expect(await page.locator(SLIDER).inputValue()).toBe('1');
    const rows = page.locator('[data-testid="series-table"] tbody th');
    expect(await rows.allTextContents()).toEqual(['layer1', 'layer2']);
    expectClose(await shownValue(page, 'nc1'), engine.points[1].metrics.nc1!);
    // …and against the independent float64 computation from the arrays.
    expectClose(await shownValue(page, 'nc1'), direct.layer2, 1e-6);
    await expect(page.locator('[data-testid="result-summary"]').textContent()).resolves.toMatch(
      /32\s+dimensions/,
    );
    await expect(page.locator('[data-testid="view-caption"]').textContent()).resolves.toMatch(
      /own axes per layer, as D differs: 16 vs 32/,
    );
    // A layer series has no epochs and no training phases to speak of.
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/epoch|terminal/i);
    await app.shot('layers-layer2');
  });

  it('shows layer1 when it is selected: its values, its width and a picture of its own', async () => {
    const layer2 = await canvasShot(page);
    await page.locator(SLIDER).fill('0');
    await viewAt(page, 0);
    await expect(page.locator('[data-testid="epoch-label"]').textContent()).resolves.toContain(
      'Layer layer1',
    );
    expectClose(await shownValue(page, 'nc1'), engine.points[0].metrics.nc1!);
    expectClose(await shownValue(page, 'nc1'), direct.layer1, 1e-6);
    await expect(page.locator('[data-testid="result-summary"]').textContent()).resolves.toMatch(
      /16\s+dimensions/,
    );
    expect(await page.locator(CANVAS).getAttribute('data-vertices')).toBe('10');
    const layer1 = await canvasShot(page);
    await app.shot('layers-layer1');
    const d = await comparePngs(page, layer2, layer1);
    expect(d.drawn).toBeGreaterThan(0.005); // not blank
    expect(d.changed).toBeGreaterThan(0.002); // the layers differ
    await page.locator(SLIDER).fill('1');
    await viewAt(page, 1);
    const back = await comparePngs(page, layer2, await canvasShot(page));
    expect(back.changed).toBeLessThan(0.002); // the same layer draws the same picture
  });

  it('plots one trajectory point per layer, named by layer; clicking one selects it', async () => {
    const chart = page.locator('[data-testid="trajectory-nc1"]');
    const nc1 = chart.locator('circle[data-series="nc1:train"]');
    expect(await nc1.count()).toBe(2);
    const values = await nc1.evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));
    engine.points.forEach((p, i) => expectClose(Number(values[i]), p.metrics.nc1!));
    expect(await chart.locator('[data-tick]').allTextContents()).toEqual(['layer1', 'layer2']);
    await nc1.nth(0).hover();
    await expect(chart.locator('[role="tooltip"]').textContent()).resolves.toMatch(
      /^NC1 at layer1: \d/,
    );
    await nc1.nth(0).click();
    await expect.poll(() => page.locator(SLIDER).inputValue()).toBe('0');
    await viewAt(page, 0);
    expectClose(await shownValue(page, 'nc1'), engine.points[0].metrics.nc1!);
    expectClose(await shownValue(page, 'nc1'), direct.layer1, 1e-6);
    // Page errors only: the console also carries SwiftShader's performance notes.
    expect(
      app.errors.filter((e) => !/GL Driver|GPU stall|Failed to load resource/.test(e)),
    ).toEqual([]);
  });
});
