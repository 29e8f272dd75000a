/**
 * Compare runs in the app (issue 16): a second run beside the first; the overlaid charts hold
 * both runs (one colour each, test dashed); the comparison table's values, differences and
 * ratios are the fixture references'; the 3D view shows the run picked; a run is renamed; the
 * comparison report downloads and poppler reads both runs in it.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MetricsResult } from '../../shared/schema.ts';
import { MNIST } from '../fixtures.ts';
import { pdfText } from '../report/poppler.ts';
import { skipReason, startApp, waitForClose, RESULTS, type App } from './harness.ts';

const reason = skipReason();
const dump = (e: string) => `${MNIST}/mnist_small_epoch${e}.npz`;
const ref = (e: string): MetricsResult =>
  JSON.parse(
    readFileSync(`${MNIST}/reference/mnist_small_epoch${e}.json`, 'utf8'),
  ) as MetricsResult;
const dir = mkdtempSync(join(tmpdir(), 'nc-e2e-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cell(app: App, row: string, col: string, run: string): Promise<number> {
  const v = await app.page
    .locator(
      `[data-testid="compare-table"] tr[data-row="${row}"] td[data-col="${col}"][data-run="${run}"]`,
    )
    .getAttribute('data-value');
  return Number(v);
}

describe.skipIf(reason)('compare runs in the app', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('overlays two runs, compares them at their last points, shows one in 3D, exports the comparison', async () => {
    app = await startApp();
    const { page } = app;
    await page
      .locator('[data-testid="open-input"]')
      .setInputFiles(['001', '005', '020', '080'].map(dump));
    await waitForClose(app, 'nc1', ref('080').nc1!, 60_000);
    // The second run: two of the same dumps (copies, so they read as other files).
    const short = ['001', '005'].map((e) => {
      const to = join(dir, `short_epoch${e}.npz`);
      copyFileSync(dump(e), to);
      return to;
    });
    await page.locator('[data-testid="add-run-input"]').setInputFiles(short);
    await page.locator('[data-testid="compare-view"]').waitFor({ timeout: 60_000 });

    const runIds = await page
      .locator('[data-testid="run-entry"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-run')));
    expect(runIds).toEqual(['main', 'r2']);

    // The NC1 chart: both runs, each at its own epochs (4 and 2 points on the train line).
    const chart = page.locator('[data-testid="compare-nc1"]');
    expect(
      await chart.locator('circle[data-run="main"][data-series="main:nc1:train"]').count(),
    ).toBe(4);
    expect(await chart.locator('circle[data-run="r2"][data-series="r2:nc1:train"]').count()).toBe(
      2,
    );
    const strokes = await chart
      .locator('polyline')
      .evaluateAll((els) => els.map((e) => e.getAttribute('stroke')));
    expect(new Set(strokes).size).toBe(2);

    // The table at each run's last point: epoch 80 against epoch 5, as the references give them.
    const a = ref('080');
    const b = ref('005');
    const close = (x: number, y: number) =>
      expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)));
    for (const [key, value] of [
      ['nc1', (m: MetricsResult) => m.nc1!],
      ['etf_error_means', (m: MetricsResult) => m.nc2.etf_error_means!],
      ['self_duality', (m: MetricsResult) => m.nc3.self_duality!],
    ] as const) {
      close(await cell(app, `${key}:train`, 'value', 'main'), value(a));
      close(await cell(app, `${key}:train`, 'value', 'r2'), value(b));
      close(await cell(app, `${key}:train`, 'diff', 'r2'), value(b) - value(a));
      close(await cell(app, `${key}:train`, 'ratio', 'r2'), value(b) / value(a));
    }
    // At epoch 5 both runs are read at epoch 5: no difference.
    await page.locator('[data-testid="compare-at"]').selectOption('5');
    await page.waitForFunction(() =>
      (globalThis as unknown as { document: Document }).document
        .querySelector('[data-testid="compare-where"]')
        ?.textContent?.includes('epoch 5 ·'),
    );
    expect(await cell(app, 'nc1:train', 'diff', 'r2')).toBe(0);
    await page.locator('[data-testid="compare-at"]').selectOption('');

    // Rename the second run: the table and the legend follow.
    const name = page.locator('[data-testid="run-entry"][data-run="r2"] [data-testid="run-name"]');
    await name.fill('short');
    await name.press('Enter');
    await page.locator('[data-testid="compare-table"] th', { hasText: 'Δ short' }).waitFor();
    await page
      .locator('[data-testid="compare-nc1"] text', { hasText: 'short test' })
      .first()
      .waitFor();

    // The 3D view (and its trajectories) show the run picked.
    await page.locator('[data-testid="view-run"]').selectOption('r2');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: Document }).document.querySelectorAll(
          '[data-testid="collapse-view"] [data-testid="trajectory-nc1"] circle[data-series="nc1:train"]',
        ).length === 2,
    );
    await app.shot('compare');
    await page.screenshot({ path: join(RESULTS, 'compare-runs.png'), fullPage: true });
    await page
      .locator('[data-testid="compare-view"]')
      .screenshot({ path: join(RESULTS, 'compare-view.png') });

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.click('[data-testid="export-compare"]'),
    ]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^compare-.*short.*\.pdf$/);
    const text = pdfText(file);
    expect(text).toContain('Comparison of 2 runs');
    expect(text).toContain('Appendix B: run short');
    expect(app.errors).toEqual([]);
  });
});
