/**
 * A training run followed live in Chromium (issue 15): `nc-lens serve --watch` on an empty
 * folder, five epoch dumps copied in one by one (one written slowly, in pieces), and the page
 * shows 1, 2, … 5 points without a reload; the newest epoch is followed unless the user picked
 * another; a training log marks the terminal phase. The numbers shown are checked against a
 * direct float64 computation from the arrays written.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../../main/io/write-npz.ts';
import { directMetrics } from '../engine/direct.ts';
import { uniform } from './synthetic.ts';
import { skipReason, startApp, waitForClose, type App, type PageGlobals } from './harness.ts';

const reason = skipReason();
const root = mkdtempSync(path.join(tmpdir(), 'nc-lens-live-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const N = 400;
const D = 12;
const C = 5;

/** Epoch `e`'s dump: class means that grow apart with e, unit noise; and its rows for the reference. */
async function dump(dir: string, e: number): Promise<{ file: string; h: number[][]; y: number[] }> {
  const r = uniform(1000 + e);
  const normal = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const means = Array.from({ length: C }, () => Array.from({ length: D }, normal));
  const f = new Float32Array(N * D);
  const labels = new BigInt64Array(N);
  for (let i = 0; i < N; i++) {
    labels[i] = BigInt(i % C);
    for (let t = 0; t < D; t++) f[i * D + t] = means[i % C][t] * e + normal();
  }
  const file = path.join(dir, `epoch_${String(e).padStart(4, '0')}.npz`);
  await writeNpz(file, {
    features: { data: f, shape: [N, D] },
    labels: { data: labels, shape: [N] },
  });
  const h = Array.from({ length: N }, (_, i) => Array.from(f.subarray(i * D, (i + 1) * D)));
  return { file, h, y: Array.from(labels, Number) };
}

async function shownPoints(app: App, count: number): Promise<void> {
  await app.page.waitForFunction(
    (n) =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('[data-testid="live-points"]')
        ?.getAttribute('data-points') === String(n) &&
      (globalThis as unknown as PageGlobals).document
        .querySelector('[data-testid="live-status"]')
        ?.getAttribute('data-analyzing') === 'false',
    count,
    { timeout: 60_000, polling: 100 },
  );
}

describe.skipIf(reason)('a run followed live (serve --watch)', () => {
  it("Open folder… in the browser uploads the folder's dumps: one series", async () => {
    const folder = path.join(root, 'picked');
    mkdirSync(folder);
    const dumps = [];
    for (let e = 1; e <= 3; e++) dumps.push(await dump(folder, e));
    writeFileSync(path.join(folder, '.hidden.npz'), 'a temp file of a writer');
    writeFileSync(path.join(folder, 'run.json'), JSON.stringify({ epochs: [] }));
    const app = await startApp();
    try {
      await app.page.locator('[data-testid="open-folder-input"]').setInputFiles(folder);
      await app.page
        .locator('[data-testid="epoch-label"]', { hasText: '3 of 3' })
        .waitFor({ timeout: 60_000 });
      expect(await app.page.locator('[data-testid="series-table"] tbody tr').count()).toBe(3);
      // Only the dumps: not the log, not the writer's hidden temp file.
      expect(await app.page.locator('[data-testid="file-entry"]').count()).toBe(3);
      await waitForClose(app, 'nc1', directMetrics({ h: dumps[2].h, y: dumps[2].y }).nc1);
      expect(app.errors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('shows 1, 2, … 5 points as the dumps land, without a reload; a training log marks the terminal phase', async () => {
    const made = path.join(root, 'made');
    mkdirSync(made);
    const dumps = [];
    for (let e = 1; e <= 5; e++) dumps.push(await dump(made, e));
    const run = path.join(root, 'run');
    mkdirSync(run);
    const app = await startApp({
      args: ['--watch', run],
      env: { NC_LENS_CACHE_DIR: path.join(root, 'cache') },
    });
    try {
      const { page } = app;
      await page.locator('[data-testid="live-status"]').waitFor({ timeout: 30_000 });
      // Set once: a reload would lose it.
      await page.evaluate(() => {
        (globalThis as unknown as { liveMark: number }).liveMark = 15;
      });
      let loads = 0;
      page.on('load', () => loads++);
      await shownPoints(app, 0);

      for (const [i, d] of dumps.entries()) {
        const target = path.join(run, path.basename(d.file));
        if (i === 2) {
          // Written slowly: pieces 300 ms apart, never analysed half-written.
          const bytes = readFileSync(d.file);
          const handle = await open(target, 'w');
          const piece = Math.ceil(bytes.length / 5);
          for (let at = 0; at < bytes.length; at += piece) {
            await handle.write(bytes.subarray(at, at + piece));
            await new Promise((r) => setTimeout(r, 300));
          }
          await handle.close();
        } else copyFileSync(d.file, target);
        await shownPoints(app, i + 1);
        if (i === 3) {
          // The user picks epoch 2: a new epoch no longer moves the view.
          await page.locator('[data-testid="epoch-slider"]').fill('1');
          await page.locator('[data-testid="epoch-label"]', { hasText: 'Epoch 2' }).waitFor();
        }
      }
      expect(await page.locator('[data-testid="series-table"] tbody tr').count()).toBe(5);
      await page.locator('[data-testid="epoch-label"]', { hasText: 'Epoch 2' }).waitFor();
      expect(await page.locator('[data-testid="epoch-label"]').textContent()).toMatch(/2 of 5/);
      // Epoch 2 on screen: its NC1 against the direct float64 computation.
      await waitForClose(app, 'nc1', directMetrics({ h: dumps[1].h, y: dumps[1].y }).nc1);
      // Back to the newest: followed again.
      await page.locator('[data-testid="epoch-slider"]').fill('4');
      await waitForClose(app, 'nc1', directMetrics({ h: dumps[4].h, y: dumps[4].y }).nc1);

      writeFileSync(
        path.join(run, 'train_log.json'),
        JSON.stringify(
          [1, 2, 3, 4, 5].map((epoch) => ({
            epoch,
            train_loss: 1 / epoch,
            train_acc: epoch >= 3 ? 1 : 0.6 + 0.1 * epoch,
          })),
        ),
      );
      await page
        .locator('[data-testid="live-terminal"]', { hasText: '3' })
        .waitFor({ timeout: 30_000 });
      // The marker is a vertical line (a zero-width box: attached, never "visible").
      await page
        .locator('[data-testid="trajectories"] [data-marker="terminal-phase"]')
        .first()
        .waitFor({ state: 'attached', timeout: 30_000 });
      // At epoch 3's point (index 2) of the chart it is drawn in.
      const chart = page
        .locator('[data-testid="trajectories"] svg', {
          has: page.locator('[data-marker="terminal-phase"]'),
        })
        .first();
      const markerX = await chart.locator('[data-marker="terminal-phase"]').getAttribute('x1');
      const pointX = await chart.locator('circle[data-index="2"]').first().getAttribute('cx');
      expect(Number(markerX)).toBeCloseTo(Number(pointX), 1);
      await app.shot('live-run');

      expect(
        await page.evaluate(() => (globalThis as unknown as { liveMark?: number }).liveMark),
      ).toBe(15);
      expect(loads).toBe(0);
      expect(app.errors).toEqual([]);
    } finally {
      await app.close();
    }
  }, 180_000);
});
