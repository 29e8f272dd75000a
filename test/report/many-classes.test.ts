/**
 * Reports of many classes through `nc-lens report` (the CLI, as a child process) on a
 * two-epoch series with C = 1 000 (N = 20 000) and C = 10 000 (N = 50 000), D = 64: the heatmap
 * page is the clustered, block-averaged raster and says what it summarised, the per-class
 * pages are quantiles and the worst and best classes per metric (not a table of every class),
 * the file stays under 20 MB; checked with pdftotext. The full per-class table goes to the
 * CSV. Times are printed (speed is `npm run bench`), not asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeriesResult } from '../../shared/schema.ts';
import { className, manyClassSeries } from '../e2e/many-classes-data.ts';
import { imageCount, pageCount, pdfText } from './poppler.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nc-report-many-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ncLens(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/nc-lens.js'), ...args], {
    env: { ...process.env, NC_LENS_FROM_SOURCE: '1', SOURCE_DATE_EPOCH: '1767225600' },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

describe('nc-lens report with many classes', () => {
  it.each([
    [1_000, 20_000],
    [10_000, 50_000],
  ])(
    'C = %i (N = %i): summarised heatmap and per-class pages, under 20 MB',
    async (c, n) => {
      const data = await manyClassSeries(join(dir, `c${c}`), n, 64, c);
      const out = join(dir, `r${c}.pdf`);
      const t0 = Date.now();
      const r = ncLens(['report', ...data.bundles, data.names, '-o', out]);
      const seconds = (Date.now() - t0) / 1000;
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const bytes = statSync(out).size;
      process.stdout.write(
        `C = ${c}: report (analysis included) ${seconds.toFixed(1)} s, ${(bytes / 1e6).toFixed(2)} MB, ${pageCount(out)} pages\n`,
      );
      expect(bytes).toBeLessThan(20e6);
      expect(pageCount(out)).toBeLessThan(30);
      const text = pdfText(out).replace(/\s+/g, ' ');
      // Heatmap: a raster of blocks, ordered by the clustering, and says what it summarised.
      expect(text).toContain('Cosines between class means');
      expect(text).toContain(`every pair of the ${c.toLocaleString('en')} classes`);
      expect(text).toMatch(/ordered by angle in the plane of the two leading principal directions/);
      expect(text).toMatch(/summarised: the [\d,]+ classes are cut into 512 blocks/);
      expect(text).toMatch(/Image: \d+ × \d+ pixels, 512 × 512 cells/);
      expect(imageCount(out)).toBeGreaterThanOrEqual(1);
      // Per-class pages: quantiles and worst/best per metric, the full table sent to the CSV.
      expect(text).toContain(`${c.toLocaleString('en')} classes at epoch 2`);
      expect(text).toContain('summarised. A table of every class would run to');
      expect(text).toContain('per-class CSV');
      expect(text).toContain('Quantiles over classes');
      for (const metric of ['Within-class var.', 'cos(w, μ)', 'NCC acc.', 'Classifier acc.'])
        expect(text).toContain(`${metric}: the 10 worst and the 10 best classes`);
      // Classes by name (classes.txt) in the ranked tables (checked at C = 1 000, where the
      // JSON export is cheap): the first of the worst by within-class variance.
      if (c === 1_000) {
        const json = join(dir, `r${c}.json`);
        const a = ncLens(['analyze', ...data.bundles, data.names, '--json', json, '-q']);
        expect(a.status).toBe(0);
        const series = JSON.parse(readFileSync(json, 'utf8')) as SeriesResult;
        const rows = series.points[1].metrics.per_class;
        const worst = [...rows].sort((x, y) => y.within_var! - x.within_var!)[0];
        expect(text).toContain(`1 ${className(worst.label)} ${worst.label} `);
      }
      // The 3D page marks a few extremes only.
      expect(text).toMatch(/classes: every mean is drawn, but ideal vertices/);
    },
    300_000,
  );

  it('the per-class CSV has every class and its nearest class', async () => {
    const data = await manyClassSeries(join(dir, 'c1000'), 20_000, 64, 1_000);
    const csv = join(dir, 'per-class.csv');
    const r = ncLens(['analyze', ...data.bundles, '--per-class-csv', csv, '-q']);
    expect(r.stderr).toBe('');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    expect(header).toContain('nearest');
    expect(header).toContain('nearest_distance');
    // One row per class (of the point shown: the last epoch).
    expect(lines.length - 1).toBe(1_000);
    const nearest = lines.slice(1).map((l) => Number(l.split(',')[header.indexOf('nearest')]));
    expect(nearest.every((k) => Number.isInteger(k) && k >= 0 && k < 1_000)).toBe(true);
  }, 120_000);
});
