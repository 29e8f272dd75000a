/**
 * Isolate and inspect (issue 16) end to end in Chromium, on the MNIST fixture series: a class
 * selected from the per-class table is highlighted in the 3-D view, the heatmap and the table
 * (Shift adds, Escape clears; the legend, a heatmap cell and a 3-D point select too); the
 * drill-down panel's confusion rows, nearest classes and trajectories; the sample cloud's
 * misclassified and disagreeing highlights and a sample's tooltip; the test split in the
 * geometry views; the heatmap and the 3-D view as figures. Every number is checked against
 * the fixture references or a float64 computation in numpy (python3) written here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CANVAS, canvasShot, comparePngs, settle, viewAt } from './canvas.ts';
import {
  RESULTS,
  dispatchDrop,
  serverState,
  skipReason,
  stageFiles,
  startApp,
  waitForValue,
  type App,
} from './harness.ts';
import { className, manyClassSeries } from './many-classes-data.ts';
import type { SeriesResult } from '../../shared/schema.ts';
import { MNIST } from '../fixtures.ts';

const EPOCHS = ['001', '005', '020', '080'];
const FILES = EPOCHS.map((e) => `${MNIST}/mnist_small_epoch${e}.npz`);
const reference = (e: string) =>
  JSON.parse(readFileSync(`${MNIST}/reference/mnist_small_epoch${e}.json`, 'utf8')) as {
    per_class: { label: number; count: number; within_var: number; classifier_accuracy: number }[];
    nc4: { classifier_accuracy: number; ncc_mismatch: number; ncc_accuracy: number };
  };

/** The class inspected: the one the classifier gets most wrong at epoch 1. */
const CLASS = 8;

interface Direct {
  cls: number[];
  ncc: number[];
  y: number[];
  confusion_cls: number[];
  confusion_ncc: number[];
  nearest: [number, number][];
  test_cos: number[][];
  /** Test samples the classifier gets wrong (among the training classes). */
  test_wrong: number;
}

/** Float64 decisions, confusion rows, nearest classes and test cosines, by numpy. */
function direct(epoch: string): Direct {
  const script = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
h = z['features'].astype(np.float64); y = z['labels'].astype(np.int64)
W = z['weight'].astype(np.float64); b = z['bias'].astype(np.float64)
labels = np.unique(y)
mu = np.stack([h[y == l].mean(0) for l in labels])
cls = labels[np.argmax(h @ W[labels].T + b[labels], 1)]
d2 = ((h[:, None, :] - mu[None, :, :]) ** 2).sum(2)
ncc = labels[np.argmin(d2, 1)]
k = int(sys.argv[2])
conf = lambda p: [int(((y == k) & (p == l)).sum()) for l in labels]
dist = np.sqrt(((mu - mu[k]) ** 2).sum(1))
order = [int(i) for i in np.argsort(dist, kind='stable') if i != k][:5]
th = z['test_features'].astype(np.float64); ty = z['test_labels'].astype(np.int64)
tl = np.unique(ty)
tmu = np.stack([th[ty == l].mean(0) for l in tl]); tc = tmu - tmu.mean(0)
tn = tc / np.linalg.norm(tc, axis=1, keepdims=True)
twrong = int((labels[np.argmax(th @ W[labels].T + b[labels], 1)] != ty).sum())
print(json.dumps(dict(cls=cls.tolist(), ncc=ncc.tolist(), y=y.tolist(),
  confusion_cls=conf(cls), confusion_ncc=conf(ncc),
  nearest=[[int(labels[i]), float(dist[i])] for i in order], test_cos=(tn @ tn.T).tolist(),
  test_wrong=twrong)))
`;
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', script, `${MNIST}/mnist_small_epoch${epoch}.npz`, String(CLASS)],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`numpy reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Direct;
}

const reason = skipReason();
if (reason) console.warn(reason);
const dir = mkdtempSync(join(tmpdir(), 'nc-e2e-explore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attr = (page: Page, sel: string, name: string) => page.locator(sel).getAttribute(name);

describe.skipIf(reason)('isolate and inspect a class, the samples, the test split', () => {
  let app: App;
  let page: Page;
  let first: Direct;

  beforeAll(async () => {
    first = direct('001');
    app = await startApp();
    page = app.page;
    await waitForValue(page, 'nc1', { timeout: 90_000 }).catch(() => undefined);
    await page.locator('[data-testid="open-input"]').setInputFiles(FILES);
    await page
      .locator('[data-testid="file-list"]', { hasText: 'mnist_small_epoch080' })
      .waitFor({ timeout: 120_000 });
    await page.waitForSelector('[data-testid="epoch-slider"][max="3"]', { timeout: 90_000 });
    await page.waitForSelector(`${CANVAS}:not([data-vertices="0"])`, { timeout: 30_000 });
    await viewAt(page, 3);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('a class picked in the table is highlighted in the 3-D view, the heatmap and the table', async () => {
    const before = await canvasShot(page);
    const row = page.locator(`[data-testid="per-class-table"] tr[data-label="${CLASS}"]`);
    await row.click();
    await page.waitForSelector(`${CANVAS}[data-selected="${CLASS}"][data-bright="1"]`);
    await settle(page);
    // The other classes dim: the picture changes.
    expect((await comparePngs(page, before, await canvasShot(page))).changed).toBeGreaterThan(
      0.002,
    );
    // The heatmap outlines the class's row and column and veils the rest.
    const heat = page.locator('[data-testid="cosine-heatmap"]');
    expect(await heat.locator('[data-highlight]').getAttribute('data-highlight')).toBe(
      String(CLASS),
    );
    expect(await heat.locator('[data-role="chosen"]').count()).toBe(2);
    expect(await row.getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('[data-testid="per-class-table"] tr.dim').count()).toBe(9);
    await app.shot('explore-selected-class');
    // Shift adds a class; Escape clears.
    await page
      .locator('[data-testid="per-class-table"] tr[data-label="3"]')
      .click({ modifiers: ['Shift'] });
    await page.waitForSelector(`${CANVAS}[data-selected="3,${CLASS}"][data-bright="2"]`);
    expect(await heat.locator('[data-role="chosen"]').count()).toBe(4);
    await page.keyboard.press('Escape');
    await page.waitForSelector(`${CANVAS}[data-selected=""][data-bright="10"]`);
    expect(await heat.locator('[data-highlight]').count()).toBe(0);
    expect(await page.locator('[data-testid="per-class-table"] tr.dim').count()).toBe(0);
    await settle(page);
    expect((await comparePngs(page, before, await canvasShot(page))).changed).toBeLessThan(0.002);
  });

  it('the legend, a heatmap cell, a 3-D class mean and the class search select too', async () => {
    await page.locator(`[data-testid="legend-item"][data-class="2"]`).click();
    await page.waitForSelector(`${CANVAS}[data-selected="2"]`);
    // The legend is one tab stop: arrow keys move along it, Enter selects.
    expect(await page.locator('[data-testid="legend-item"][tabindex="0"]').count()).toBe(1);
    await page.locator('[data-testid="legend-item"][data-class="0"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${CANVAS}[data-selected="3"]`);
    // A heatmap cell selects its row's class.
    await page.locator('[data-testid="cosine-heatmap"] rect[data-i="5"][data-j="1"]').click();
    await page.waitForSelector(`${CANVAS}[data-selected="5"]`);
    await page.keyboard.press('Escape');
    // A class mean in the 3-D view: its label sits up and to the right of its sphere.
    await page.locator(CANVAS).scrollIntoViewIfNeeded();
    await settle(page);
    const label = page.locator('[data-testid="etf-view"] ~ .labels span').first();
    const name = (await label.textContent())!.trim();
    const box = (await label.boundingBox())!;
    await page.mouse.click(box.x - 6, box.y + box.height + 4);
    await page.waitForSelector(`${CANVAS}[data-selected="${name}"]`);
    expect(await page.locator('[data-testid="class-panel-name"]').textContent()).toBe(name);
    await page.locator('[data-testid="class-find"]').fill('7');
    await page.locator('[data-testid="class-find"]').press('Enter');
    await page.waitForSelector(`${CANVAS}[data-selected="7"]`);
    await page.keyboard.press('Escape');
  });

  it('the drill-down: confusion rows and nearest classes as numpy finds them, trajectories as the references', async () => {
    await page.locator('[data-testid="epoch-slider"]').fill('0');
    await viewAt(page, 0);
    await page.locator(`[data-testid="per-class-table"] tr[data-label="${CLASS}"]`).click();
    const panel = page.locator('[data-testid="class-panel"]');
    await panel.locator(`[data-testid="class-facts"][data-label="${CLASS}"]`).waitFor();
    for (const [id, counts] of [
      ['classifier', first.confusion_cls],
      ['ncc', first.confusion_ncc],
    ] as const) {
      const cells = await panel
        .locator(`[data-testid="class-confusion-${id}"] tr`)
        .evaluateAll((trs) =>
          trs.map((tr) => [tr.getAttribute('data-label'), Number(tr.getAttribute('data-count'))]),
        );
      // Correct first, then the most frequent wrong classes (at most 5), then the rest.
      expect(cells[0]).toEqual(['', counts[CLASS]]);
      const wrong = counts
        .map((count, label) => ({ label, count }))
        .filter((w) => w.label !== CLASS && w.count > 0)
        .sort((a, b) => b.count - a.count || a.label - b.label);
      const listed = wrong.slice(0, 5);
      expect(cells.slice(1, 1 + listed.length)).toEqual(
        listed.map((w) => [String(w.label), w.count]),
      );
      const rest = wrong.slice(5).reduce((s, w) => s + w.count, 0);
      if (rest) expect(cells[cells.length - 1]).toEqual(['', rest]);
      expect(cells.length).toBe(1 + listed.length + (rest ? 1 : 0));
    }
    const nearest = await panel
      .locator('[data-testid="class-nearest"] li')
      .evaluateAll((lis) =>
        lis.map((li) => [
          Number(li.getAttribute('data-label')),
          Number(li.getAttribute('data-value')),
        ]),
      );
    expect(nearest.map((n) => n[0])).toEqual(first.nearest.map((n) => n[0]));
    nearest.forEach(([, d], i) => expect(d).toBeCloseTo(first.nearest[i][1], 9));
    // Within-class variance over the four epochs: the references' per-class values.
    const marks = await panel
      .locator('[data-testid="class-class-within-var"] [data-index][data-series]')
      .evaluateAll((els) =>
        els
          .filter((e) => e.getAttribute('data-series') === `${8}:train`)
          .map((e) => [Number(e.getAttribute('data-index')), Number(e.getAttribute('data-value'))]),
      );
    expect(marks.length).toBe(4);
    for (const [i, v] of marks) {
      const want = reference(EPOCHS[i]).per_class.find((r) => r.label === CLASS)!.within_var;
      expect(Math.abs(v - want)).toBeLessThanOrEqual(1e-6 * want);
    }
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: join(RESULTS, 'explore-class-panel.png') });
    await page.keyboard.press('Escape');
  });

  it('highlights exactly the misclassified and the disagreeing samples; a sample names its row and decisions', async () => {
    // Epoch 1 (on screen): every row of the dump is in the cloud.
    const n = first.y.length;
    const wrong = first.cls.filter((p, i) => p !== first.y[i]).length;
    const disagree = first.cls.filter((p, i) => p !== first.ncc[i]).length;
    const ref = reference('001').nc4;
    expect(wrong).toBe(Math.round((1 - ref.classifier_accuracy) * n));
    expect(disagree).toBe(Math.round(ref.ncc_mismatch * n));
    await page.locator('[data-testid="sample-highlight"]').selectOption('classifier-wrong');
    await page.waitForSelector(`${CANVAS}[data-marked="${wrong}"]`);
    await page.locator('[data-testid="sample-highlight"]').selectOption('disagree');
    await page.waitForSelector(`${CANVAS}[data-marked="${disagree}"]`);
    await page.locator('[data-testid="sample-colour"]').selectOption('classifier');
    await settle(page);
    await app.shot('explore-samples-disagree');
    // Hover over the canvas until a sample (not a class mean) is under the pointer.
    await page.locator(CANVAS).scrollIntoViewIfNeeded();
    const box = (await page.locator(CANVAS).boundingBox())!;
    const tip = page.locator('[data-testid="sample-tooltip"]');
    let found = false;
    for (let gy = 0.3; gy <= 0.7 && !found; gy += 0.02) {
      for (let gx = 0.3; gx <= 0.7 && !found; gx += 0.02) {
        await page.mouse.move(box.x + gx * box.width, box.y + gy * box.height);
        found = (await tip.count()) > 0;
      }
    }
    expect(found).toBe(true);
    const row = Number(await tip.getAttribute('data-row'));
    const text = (await tip.textContent())!;
    expect(text).toContain(`sample ${row} of the dump`);
    expect(text).toContain(`label ${first.y[row]}`);
    expect(text).toContain(`classifier: ${first.cls[row]}`);
    expect(text).toContain(`NCC: ${first.ncc[row]}`);
    await page.locator('[data-testid="sample-highlight"]').selectOption('none');
    await page.locator('[data-testid="sample-colour"]').selectOption('class');
    await page.waitForSelector(`${CANVAS}[data-marked="0"]`);
  });

  it('shows the test split in the geometry views with the per-class table’s toggle', async () => {
    const last = direct('080');
    await page.locator('[data-testid="epoch-slider"]').fill('3');
    await viewAt(page, 3);
    const train = await canvasShot(page);
    await page.locator('[data-testid="per-class-split-test"]').click();
    await page.locator('[data-testid="geometry-test-note"]').waitFor();
    expect(await attr(page, '[data-testid="geometry-split-test"]', 'aria-pressed')).toBe('true');
    await page.waitForSelector(`${CANVAS}[data-vertices="10"]`);
    await settle(page);
    expect((await comparePngs(page, train, await canvasShot(page))).changed).toBeGreaterThan(0.002);
    const cells = await page
      .locator('[data-testid="cosine-heatmap"] rect[data-i]')
      .evaluateAll((rs) =>
        rs.map((r) => [
          Number(r.getAttribute('data-i')),
          Number(r.getAttribute('data-j')),
          Number(r.getAttribute('data-value')),
        ]),
      );
    expect(cells.length).toBe(100);
    for (const [i, j, v] of cells) expect(Math.abs(v - last.test_cos[i][j])).toBeLessThan(1e-9);
    // The test split's own samples: its misclassified ones highlighted (every test row is in it).
    await page.locator('[data-testid="sample-highlight"]').selectOption('classifier-wrong');
    await page.waitForSelector(`${CANVAS}[data-marked="${last.test_wrong}"]`);
    expect(last.test_wrong).toBeGreaterThan(0);
    await app.shot('explore-test-split');
    await page.locator('[data-testid="sample-highlight"]').selectOption('none');
    await page.locator('[data-testid="geometry-split-train"]').click();
    expect(await attr(page, '[data-testid="per-class-split-train"]', 'aria-pressed')).toBe('true');
  });

  it('saves the heatmap as SVG and 2× PNG, and the 3-D view as a 2× PNG and as SVG', async () => {
    const save = async (click: () => Promise<void>) => {
      const [download] = await Promise.all([page.waitForEvent('download'), click()]);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      return { name: download.suggestedFilename(), data: readFileSync(file) };
    };
    const heat = page.locator('[data-testid="cosine-heatmap"]');
    await heat.locator('[data-testid="figure-button"]').click();
    const svg = await save(() => heat.locator('[data-testid="figure-svg"]').click());
    expect(svg.name).toMatch(/epoch-80-cosine-heatmap\.svg$/);
    const [, w, h] = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg.data.toString('utf8'))!;
    await heat.locator('[data-testid="figure-button"]').click();
    const png = await save(() => heat.locator('[data-testid="figure-png-2x"]').click());
    expect(png.name).toMatch(/epoch-80-cosine-heatmap@2x\.png$/);
    expect([png.data.readUInt32BE(16), png.data.readUInt32BE(20)]).toEqual([2 * +w, 2 * +h]);
    const bar = page.locator('[data-testid="collapse-view"] .bar');
    await bar.locator('[data-testid="figure-button"]').click();
    const view = await save(() => bar.locator('[data-testid="figure-png-2x"]').click());
    expect(view.name).toMatch(/epoch-80-etf-view@2x\.png$/);
    const canvas = (await page.locator(CANVAS).boundingBox())!;
    expect(view.data.readUInt32BE(16)).toBe(2 * Math.round(canvas.width));
    expect(view.data.readUInt32BE(20)).toBe(2 * Math.round(canvas.height));
    // The 3-D view as vectors, seen from the camera as it was left (turned by arrow keys): the
    // SVG's mean labels lie as the three.js view's own labels do (correlated in x and in y; the
    // SVG is orthographic, the canvas perspective).
    await page.locator(CANVAS).focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowUp');
    await settle(page);
    const onScreen = new Map<string, [number, number]>();
    for (const span of await page.locator('[data-testid="etf-view"] ~ .labels span').all()) {
      const b = (await span.boundingBox())!;
      onScreen.set((await span.textContent())!.trim(), [b.x, b.y]);
    }
    await bar.locator('[data-testid="figure-button"]').click();
    const vector = await save(() => bar.locator('[data-testid="figure-svg"]').click());
    expect(vector.name).toMatch(/epoch-80-etf-view\.svg$/);
    const pairs: [number, number, number, number][] = [];
    for (const m of vector.data
      .toString('utf8')
      .matchAll(/<text x="([-\d.]+)" y="([-\d.]+)"[^>]*font-weight="bold"[^>]*>([^<]+)<\/text>/g)) {
      const at = onScreen.get(m[3]);
      if (at) pairs.push([+m[1], +m[2], at[0], at[1]]);
    }
    expect(pairs.length).toBeGreaterThanOrEqual(5);
    expect(correlation(pairs.map((p) => [p[0], p[2]]))).toBeGreaterThan(0.9);
    expect(correlation(pairs.map((p) => [p[1], p[3]]))).toBeGreaterThan(0.9);
    expect(app.errors).toEqual([]);
  });
});

/** Pearson correlation of pairs. */
function correlation(xy: [number, number][]): number {
  const n = xy.length;
  const [mx, my] = [0, 1].map((k) => xy.reduce((s, p) => s + p[k], 0) / n);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of xy) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** C = 10 000 (N = 50 000, D = 64): the selection works through every view, nothing per class. */
describe.skipIf(reason)('class selection at C = 10 000', () => {
  it('selects a class from the legend search: 3-D view, cosine map, table and drill-down agree', async () => {
    const data = await manyClassSeries(join(dir, 'many'), 50_000, 64, 10_000);
    const app = await startApp();
    try {
      const { page } = app;
      const demo = await waitForValue(page, 'nc1', { timeout: 60_000 });
      await stageFiles(page, [...data.bundles, data.names]);
      await dispatchDrop(page);
      await waitForValue(page, 'nc1', { not: demo, timeout: 240_000 });
      await page.waitForSelector(`${CANVAS}:not([data-vertices="0"])`, { timeout: 180_000 });
      await page.waitForSelector('[data-testid="cosine-canvas"]', { timeout: 180_000 });
      const state = await serverState(app.served);
      const series = state.result as SeriesResult;
      const m = series.points[series.points.length - 1].metrics;
      const wanted = 7_321;
      await page.locator('[data-testid="class-search"]').fill(String(wanted));
      // Main-thread long tasks from the selection to every view showing it (printed, not asserted).
      await page.evaluate(() => {
        const g = globalThis as unknown as {
          __long: number[];
          PerformanceObserver: new (cb: (l: { getEntries(): { duration: number }[] }) => void) => {
            observe(o: { type: string }): void;
          };
        };
        g.__long = [];
        new g.PerformanceObserver((l) => {
          for (const e of l.getEntries()) g.__long.push(e.duration);
        }).observe({ type: 'longtask' });
      });
      await page.locator('[data-testid="class-search"]').press('Enter');
      await page.waitForSelector(`${CANVAS}[data-selected="${wanted}"][data-bright="1"]`);
      await page.locator('[data-testid="class-nearest"]').waitFor();
      await settle(page);
      const long = await page.evaluate(
        () => (globalThis as unknown as { __long: number[] }).__long,
      );
      console.log(
        `C = 10 000: selecting a class: ${long.length} long tasks, longest ${Math.round(Math.max(0, ...long))} ms`,
      );
      expect(await attr(page, '[data-testid="cosine-canvas"]', 'data-selected')).toBe(
        String(wanted),
      );
      expect(await page.locator('[data-testid="class-panel-name"]').textContent()).toBe(
        className(wanted),
      );
      // Nearest classes by mean distance: a direct float64 scan of the means.
      const g = m.geometry!;
      const d = m.d;
      const dist = Array.from({ length: m.c }, (_, l) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += (g.means[wanted * d + t] - g.means[l * d + t]) ** 2;
        return { l, v: Math.sqrt(s) };
      })
        .filter((x) => x.l !== wanted)
        .sort((a, b) => a.v - b.v || a.l - b.l)
        .slice(0, 5);
      const nearest = await page
        .locator('[data-testid="class-nearest"] li')
        .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-label'))));
      expect(nearest).toEqual(dist.map((x) => x.l));
      // The table shows the class alone with 'selected' and marks it.
      await page.locator('[data-testid="per-class-only-selected"]').click();
      const row = page.locator(`[data-testid="per-class-table"] tr[data-label="${wanted}"]`);
      expect(await row.getAttribute('aria-selected')).toBe('true');
      expect(await attr(page, '[data-testid="per-class-table"]', 'data-rows')).toBe('1');
      // A click on the cosine map selects the row's class; Shift adds.
      await page.locator('[data-testid="cosine-canvas"]').scrollIntoViewIfNeeded();
      const map = (await page.locator('[data-testid="cosine-canvas"]').boundingBox())!;
      const gutter = Number(await attr(page, '[data-testid="cosine-canvas"]', 'data-gutter'));
      await page.keyboard.down('Shift');
      await page.mouse.click(map.x + gutter + 20, map.y + gutter + 30);
      await page.keyboard.up('Shift');
      await page.waitForFunction(
        () =>
          (
            (globalThis as unknown as { document: Document }).document
              .querySelector('[data-testid="etf-view"]')
              ?.getAttribute('data-selected') ?? ''
          ).split(',').length === 2,
      );
      await app.shot('explore-10000-classes');
      // The cosine map as a figure: PNG at 2× of the map, its gutter and its colour bar.
      const side = Number(await attr(page, '[data-testid="cosine-canvas"]', 'data-side'));
      const box = page.locator('[data-testid="cosine-map"]');
      await box.locator('[data-testid="figure-button"]').click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        box.locator('[data-testid="figure-png-2x"]').click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/epoch-2-cosine-map@2x\.png$/);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const png = readFileSync(file);
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([
        2 * (gutter + side + 150),
        2 * (gutter + side),
      ]);
      await page.keyboard.press('Escape');
      await page.waitForSelector(`${CANVAS}[data-selected=""][data-bright="10000"]`);
      expect(app.errors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 600_000);
});
