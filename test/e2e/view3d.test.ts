/**
 * The 3-D simplex-ETF view and the charts end to end: `nc-lens serve` in Debian's Chromium with
 * software WebGL (SwiftShader). Pictures are compared pixel by pixel from real screenshots of
 * the canvas, decoded in the page.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CANVAS, canvasShot, comparePngs, settle, viewAt } from './canvas.ts';
import { skipReason, startApp, waitForValue } from './harness.ts';
import type { App } from './harness.ts';
import { MNIST } from '../fixtures.ts';

const EPOCHS = ['001', '005', '020', '080'].map((e) => `${MNIST}/mnist_small_epoch${e}.npz`);

const reason = skipReason();
if (reason) console.warn(reason);

/** What the play test installs in the page. */
interface Recorder {
  shownSeen: string[];
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: Record<string, unknown>): void;
  };
}

describe.skipIf(reason)('3-D view and charts end to end', () => {
  let app: App;
  let page: Page;
  let points: number;

  beforeAll(async () => {
    app = await startApp();
    page = app.page;
    // The first start opens the demo; wait for it, then open the fixture series instead.
    await waitForValue(page, 'nc1', { timeout: 90_000 }).catch(() => undefined);
    await page.locator('[data-testid="open-input"]').setInputFiles(EPOCHS);
    await page
      .locator('[data-testid="file-list"]', { hasText: 'mnist_small_epoch080' })
      .waitFor({ timeout: 120_000 });
    // Four epochs: the slider runs 0..3 once the series is analysed.
    await page.waitForSelector('[data-testid="epoch-slider"][max="3"]', { timeout: 90_000 });
    points = Number(await page.locator('[data-testid="epoch-slider"]').getAttribute('max')) + 1;
    await page.waitForSelector(`${CANVAS}:not([data-vertices="0"])`, { timeout: 30_000 });
    await viewAt(page, points - 1);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('draws a picture that changes when the epoch slider moves', async () => {
    const last = await canvasShot(page);
    await page.locator('[data-testid="epoch-slider"]').fill('0');
    await viewAt(page, 0);
    const first = await canvasShot(page);
    await app.shot('view3d-epoch-first');
    const d = await comparePngs(page, last, first);
    expect(d.drawn).toBeGreaterThan(0.005); // not blank
    expect(d.changed).toBeGreaterThan(0.002); // the means moved
    expect(await page.locator(CANVAS).getAttribute('data-vertices')).toBe('10');
    await page.locator('[data-testid="epoch-slider"]').fill(String(points - 1));
    await viewAt(page, points - 1);
    const back = await comparePngs(page, last, await canvasShot(page));
    expect(back.changed).toBeLessThan(0.002); // the same epoch draws the same picture
  });

  it('plays the series from the first epoch to the last, moving forward through each', async () => {
    await page.locator('[data-testid="epoch-slider"]').fill('0');
    await viewAt(page, 0);
    // Record every position the view passes through while it plays.
    await page.locator('.canvas-box').evaluate((box) => {
      const seen: string[] = [];
      (globalThis as unknown as Recorder).shownSeen = seen;
      const { MutationObserver } = globalThis as unknown as Recorder;
      new MutationObserver(() => seen.push(box.getAttribute('data-shown') ?? '')).observe(box, {
        attributes: true,
        attributeFilter: ['data-shown'],
      });
    });
    await page.locator('[data-testid="play"]').click();
    await viewAt(page, points - 1);
    await expect.poll(() => page.locator('[data-testid="play"]').textContent()).toBe('Play');
    expect(await page.locator('[data-testid="epoch-slider"]').inputValue()).toBe('3');
    const seen = (await page.evaluate(() => (globalThis as unknown as Recorder).shownSeen)).map(
      Number,
    );
    expect(seen).toEqual([...seen].sort((x, y) => x - y)); // forward only
    for (const stop of [1, 2]) expect(seen).toContain(stop); // rests at every epoch
    expect(seen.length).toBeGreaterThan(6); // animated, not jumped
  });

  it('toggles layers: hiding the ideal ETF changes the picture, showing it restores it', async () => {
    const before = await canvasShot(page);
    await page.locator('[data-layer="ideal"]').uncheck();
    await settle(page);
    const hidden = await canvasShot(page);
    await page.locator('[data-layer="ideal"]').check();
    await settle(page);
    const shown = await canvasShot(page);
    expect((await comparePngs(page, before, hidden)).changed).toBeGreaterThan(0.001);
    expect((await comparePngs(page, before, shown)).changed).toBeLessThan(0.002);
    await page.locator('[data-layer="means"]').uncheck();
    expect(await page.locator(CANVAS).getAttribute('data-vertices')).toBe('0');
    await page.locator('[data-layer="means"]').check();
  });

  it('names a class on hover, and zooms and resets the camera', async () => {
    const label = page.locator('[data-testid="etf-view"] ~ .labels span').first();
    const [box, canvas] = [await label.boundingBox(), await page.locator(CANVAS).boundingBox()];
    // A label sits up and to the right of its sphere.
    await page.mouse.move(box!.x - 6, box!.y + box!.height + 4);
    const tip = page.locator('[data-testid="etf-tooltip"]');
    await expect.poll(() => tip.textContent()).toMatch(/samples.*‖μ − μ_G‖/);
    await page.mouse.move(canvas!.x + 2, canvas!.y + 2);
    await expect.poll(() => tip.count()).toBe(0);
    const before = await canvasShot(page);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await settle(page);
    expect((await comparePngs(page, before, await canvasShot(page))).changed).toBeGreaterThan(
      0.002,
    );
    await page.locator('[data-testid="reset-view"]').click();
    await settle(page);
    expect((await comparePngs(page, before, await canvasShot(page))).changed).toBeLessThan(0.002);
  });

  it('shows exactly 4 vertices in exact mode, as a picture of its own', async () => {
    const pca = await canvasShot(page);
    await page.locator('[data-testid="mode-exact"]').click();
    await page.waitForSelector(`${CANVAS}[data-vertices="4"]`);
    await settle(page);
    await app.shot('view3d-exact');
    expect((await comparePngs(page, pca, await canvasShot(page))).changed).toBeGreaterThan(0.002);
    await expect(page.locator('[data-testid="view-caption"]').textContent()).resolves.toContain(
      'no projection loss',
    );
    // Dropping the fourth class leaves a triangle.
    await page.locator('[data-testid="class-pickers"] select').nth(3).selectOption('');
    await page.waitForSelector(`${CANVAS}[data-vertices="3"]`);
    await page.locator('[data-testid="mode-pca"]').click();
    await page.waitForSelector(`${CANVAS}[data-vertices="10"]`);
  });

  it('exports the view as a non-empty PNG of the canvas size', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid="export-png"]').click(),
    ]);
    const png = readFileSync((await download.path())!);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const size = await page.locator(CANVAS).evaluate((c) => {
      const canvas = c as unknown as { width: number; height: number };
      return [canvas.width, canvas.height];
    });
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual(size);
    expect(png.length).toBeGreaterThan(5_000);
  });

  it('plots one trajectory point per series epoch; clicking one selects that epoch', async () => {
    const nc1 = page.locator('[data-testid="trajectory-nc1"] circle[data-series="nc1:train"]');
    expect(await nc1.count()).toBe(points);
    const xs = await nc1.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-x'))));
    expect(xs).toEqual([1, 5, 20, 80]);
    await nc1.nth(1).click();
    await expect.poll(() => page.locator('[data-testid="epoch-slider"]').inputValue()).toBe('1');
    await viewAt(page, 1);
    await page.locator('[data-testid="trajectory-nc1"] circle[data-index="1"]').first().hover();
    await expect(
      page.locator('[data-testid="trajectory-nc1"] [role="tooltip"]').textContent(),
    ).resolves.toMatch(/NC1 at epoch 5: \d/);
  });

  it('draws the cosine heatmap of the selected epoch with a pair on hover', async () => {
    const cells = page.locator('[data-testid="cosine-heatmap"] rect[data-i]');
    expect(await cells.count()).toBe(100);
    await page.locator('[data-testid="cosine-heatmap"] rect[data-i="2"][data-j="7"]').hover();
    await expect(
      page.locator('[data-testid="cosine-heatmap"] [role="tooltip"]').textContent(),
    ).resolves.toMatch(/2 × 7: cos [-−]?\d.*ideal [-−]0\.1111/);
    // Page errors only: the console also carries SwiftShader's performance notes.
    expect(
      app.errors.filter((e) => !/GL Driver|GPU stall|Failed to load resource/.test(e)),
    ).toEqual([]);
  });
});
