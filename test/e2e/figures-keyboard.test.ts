/**
 * Figures and the keyboard (issue 16): a trajectory chart saved as SVG and as PNG at 2× has
 * the chart's size (420×290, 840×580) and a name with the run and the epoch; the per-class
 * table as LaTeX; keyboard only: the skip link reaches the epoch slider, ↓ opens Export on its
 * first item, the 3D view takes focus; the ETF-error card flags D < C − 1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { skipReason, startApp, waitForValue, RESULTS, type App } from './harness.ts';
import { syntheticDump } from './synthetic.ts';

const reason = skipReason();
const dir = mkdtempSync(join(tmpdir(), 'nc-e2e-figures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function saved(
  app: App,
  click: () => Promise<void>,
): Promise<{ name: string; data: Buffer }> {
  const [download] = await Promise.all([
    app.page.waitForEvent('download', { timeout: 60_000 }),
    click(),
  ]);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  return { name: download.suggestedFilename(), data: readFileSync(file) };
}

const focused = (app: App) =>
  app.page.evaluate(() => {
    const el = (globalThis as unknown as { document: Document }).document.activeElement;
    return el?.getAttribute('data-testid') ?? el?.id ?? el?.tagName ?? null;
  });

describe.skipIf(reason)('figures and keyboard', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('exports a chart as SVG and 2× PNG with the expected size and name; LaTeX table', async () => {
    app = await startApp();
    const { page } = app;
    await waitForValue(page, 'nc1', { timeout: 60_000 });
    const chart = page.locator('[data-testid="trajectory-nc1"]');
    await chart.locator('[data-testid="figure-button"]').click();
    const svg = await saved(app, () => chart.locator('[data-testid="figure-svg"]').click());
    expect(svg.name).toBe('demo-epoch-256-trajectory-nc1.svg');
    expect(svg.data.toString('utf8')).toMatch(/^<svg[^>]* width="420" height="290"/);
    await chart.locator('[data-testid="figure-button"]').click();
    const png = await saved(app, () => chart.locator('[data-testid="figure-png-2x"]').click());
    expect(png.name).toBe('demo-epoch-256-trajectory-nc1@2x.png');
    expect(png.data.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.data.readUInt32BE(16), png.data.readUInt32BE(20)]).toEqual([840, 580]);

    await page.click('[data-testid="export-button"]');
    const tex = await saved(app, () => page.click('[data-testid="export-tex-per-class"]'));
    expect(tex.name).toMatch(/-per-class\.tex$/);
    expect(tex.data.toString('utf8')).toContain('\\begin{tabular}');
    expect(app.errors).toEqual([]);
  });

  it('keyboard only: skip link to the slider, Export with arrow keys, the 3D view', async () => {
    app = await startApp();
    const { page } = app;
    await waitForValue(page, 'nc1', { timeout: 60_000 });
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    expect(await focused(app)).toBe('skip-slider');
    await page.keyboard.press('Enter');
    expect(await focused(app)).toBe('epoch-slider');
    await page.keyboard.press('Home');
    await page.locator('[data-testid="epoch-label"] strong', { hasText: 'Epoch 1' }).waitFor();
    // Back to the top: the next stops are the second skip link, then Open.
    await page.locator('[data-testid="skip-slider"]').focus();
    await page.keyboard.press('Tab');
    expect(await focused(app)).toBe('skip-view');
    await page.keyboard.press('Enter');
    expect(await focused(app)).toBe('etf-view');
    await page.locator('[data-testid="skip-view"]').focus();
    await page.keyboard.press('Tab');
    expect(await focused(app)).toBe('open-button');
    await page.locator('[data-testid="export-button"]').focus();
    await page.keyboard.press('ArrowDown');
    expect(await focused(app)).toBe('export-json');
    await page.keyboard.press('ArrowDown');
    expect(await focused(app)).toBe('export-csv');
    await page.keyboard.press('End');
    expect(await focused(app)).toBe('export-pdf');
    await page.keyboard.press('Escape');
    expect(await focused(app)).toBe('export-button');
    const description = await page.locator('[data-testid="etf-view-description"]').textContent();
    expect(description).toContain('10 class means');
    await page.screenshot({ path: join(RESULTS, 'keyboard.png') });
  });

  it('the ETF-error card flags when no simplex ETF fits (D < C − 1)', async () => {
    const files = syntheticDump(join(dir, 'lowd'), 600, 4, 10, 'lowd');
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    const nc1 = await waitForValue(app.page, 'nc1');
    await app.page.locator('[data-testid="open-input"]').setInputFiles(files);
    await waitForValue(app.page, 'nc1', { not: nc1, timeout: 60_000 });
    const flag = app.page.locator('[data-testid="no-etf-card"]');
    await flag.waitFor();
    expect(await flag.textContent()).toMatch(
      /C = 10 classes need D ≥ 9 dimensions, the\s+features have D = 4/,
    );
    await app.page
      .locator('[data-testid="metric-cards"]')
      .screenshot({ path: join(RESULTS, 'no-etf-card.png') });
  });
});
