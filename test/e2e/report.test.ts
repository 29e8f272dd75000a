/**
 * Export from the app, end to end: the browser shell in Chromium, Export → PDF report and
 * Export → CSV, the downloads captured and checked with the real poppler tools, against the
 * values the app shows (`data-value` of `[data-metric]`).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/metric-names.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { expectNumber, expectRenders, fourDigits, SECTIONS } from '../report/checks.ts';
import { imageCount, pageCount, pdfText } from '../report/poppler.ts';
import { RESULTS, shownValue, skipReason, startApp, waitForValue } from './harness.ts';
import type { App, PageGlobals } from './harness.ts';
import { MNIST } from '../fixtures.ts';

const reference = JSON.parse(
  readFileSync(`${MNIST}/reference/mnist_small_epoch080.json`, 'utf8'),
) as MetricsResult;

const reason = skipReason();
if (reason) console.warn(reason);

/** Chooses Export → `format` in the app and saves the download it starts; returns the file. */
async function exported(app: App, format: string, dir: string): Promise<string> {
  await app.page.locator('[data-testid="export-button"]').click();
  const [download] = await Promise.all([
    app.page.waitForEvent('download', { timeout: 60_000 }),
    app.page.locator(`[data-testid="export-${format}"]`).click(),
  ]);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

/** The headline values the app shows, by metric key (the training split). */
async function shownValues(app: App): Promise<Map<string, number>> {
  const shown = new Map<string, number>();
  for (const def of METRICS) {
    const v = await shownValue(app.page, def.key);
    if (v !== null) shown.set(def.key, v);
  }
  return shown;
}

/** The CSV's header → value of its one row. */
function csvRow(file: string): Map<string, string> {
  const [header, row, ...rest] = readFileSync(file, 'utf8').trimEnd().split('\n');
  expect(rest).toEqual([]);
  const cells = row.split(',');
  return new Map(header.split(',').map((h, i) => [h, cells[i]]));
}

describe.skipIf(reason)('exports from the app (browser shell)', () => {
  let app: App;
  let dir: string;
  let shown: Map<string, number>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nc-lens-e2e-export-'));
    app = await startApp();
    // The first start opens the demo; wait for it, then open the fixture in its place.
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await app.page
      .locator('[data-testid="open-input"]')
      .setInputFiles([`${MNIST}/mnist_small_epoch080.npz`]);
    await app.page.waitForFunction(
      (expected) => {
        const { document } = globalThis as unknown as PageGlobals;
        const v = document.querySelector('[data-metric="nc1"]')?.getAttribute('data-value');
        return Math.abs(Number(v) - expected) < 1e-9;
      },
      reference.nc1!,
      { timeout: 60_000, polling: 100 },
    );
    shown = await shownValues(app);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the headline metrics it is about to export', () => {
    for (const key of ['nc1', 'cdnv', 'equinorm_means', 'self_duality', 'ncc_mismatch'])
      expect(shown.get(key), key).toBeCloseTo(
        METRICS.find((m) => m.key === key)!.value(reference)!,
        9,
      );
  });

  it('Export → PDF report downloads a report that poppler reads and renders', async () => {
    const pdf = await exported(app, 'pdf', dir);
    expect(pdf).toMatch(/\.pdf$/);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(pageCount(pdf)).toBeGreaterThanOrEqual(5);
    expect(expectRenders(pdf, dir)).toBe(pageCount(pdf));
    const text = pdfText(pdf);
    for (const s of SECTIONS) expect(text).toContain(s);
    expect(text).toMatch(/N = 8000 samples, D = 32 features, C = 10 classes/);
    // Every value the app shows is in the report, at 4 significant digits.
    expect(shown.size).toBeGreaterThanOrEqual(15);
    for (const [key, value] of shown) expectNumber(text, fourDigits(value), key);
    // The 3D view is the app's canvas as the user left it: a picture, not the vector drawing.
    expect(imageCount(pdf)).toBeGreaterThanOrEqual(1);
    await app.shot('export-pdf');
    // Kept beside the screenshots, for a person to look at.
    copyFileSync(pdf, join(RESULTS, 'export.pdf'));
    expect(app.errors).toEqual([]);
  }, 120_000);

  it('Export → CSV downloads the values the app shows', async () => {
    const csv = await exported(app, 'csv', dir);
    expect(csv).toMatch(/\.csv$/);
    const row = csvRow(csv);
    expect(row.get('n')).toBe('8000');
    for (const [key, value] of shown) expect(Number(row.get(key)), key).toBe(value);
    expect(app.errors).toEqual([]);
  }, 120_000);
});
