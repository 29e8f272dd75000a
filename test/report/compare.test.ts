/**
 * Compare runs (issue 16): `nc-lens report --compare` writes the comparison report (checked
 * with pdftotext), its table's differences and ratios are those of the fixture references,
 * and the overlaid charts come from the one registry with one colour per run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareCharts, defaultXScale, xAxis } from '../../shared/charts/registry.ts';
import { comparisonTable } from '../../shared/compare.ts';
import { formatNumber } from '../../shared/format.ts';
import type { MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { MNIST } from '../fixtures.ts';
import { pdfText } from './poppler.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nc-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ref = (e: string): MetricsResult =>
  JSON.parse(
    readFileSync(`${MNIST}/reference/mnist_small_epoch${e}.json`, 'utf8'),
  ) as MetricsResult;
const dump = (e: string) => `${MNIST}/mnist_small_epoch${e}.npz`;

/** A series made of the fixture references (the engine's numbers, computed independently). */
function seriesOf(epochs: string[]): SeriesResult {
  return {
    schema: 'nc-lens/series@1',
    kind: 'epochs',
    settings: ref(epochs[0]).settings,
    warnings: [],
    points: epochs.map((e, i) => ({
      index: i,
      label: `mnist_small_epoch${e}`,
      epoch: Number(e),
      // A test split made of the same reference numbers: the table and charts read it apart.
      metrics: { ...ref(e), test: ref(e) },
    })),
  } as unknown as SeriesResult;
}

describe('compare runs', () => {
  it('the comparison table: differences and ratios against the first run', () => {
    const a = { id: 'a', name: 'long', result: seriesOf(['001', '005', '020', '080']) };
    const b = { id: 'b', name: 'short', result: seriesOf(['001', '005']) };
    const last = comparisonTable([a, b]);
    const nc1 = last.rows.find((r) => r.key === 'nc1' && r.split === 'train')!;
    expect(nc1.values[0]).toBe(ref('080').nc1);
    expect(nc1.values[1]).toBe(ref('005').nc1);
    expect(nc1.diffs[1]).toBeCloseTo(ref('005').nc1! - ref('080').nc1!, 12);
    expect(nc1.ratios[1]).toBeCloseTo(ref('005').nc1! / ref('080').nc1!, 12);
    // At epoch 20: the short run's last point before it (epoch 5).
    const at20 = comparisonTable([a, b], 20);
    expect(at20.points.map((p) => p.where)).toEqual(['epoch 20', 'epoch 5']);
    const test = at20.rows.find((r) => r.key === 'ncc_accuracy' && r.split === 'test')!;
    expect(test.values).toEqual([ref('020').nc4.ncc_accuracy, ref('005').nc4.ncc_accuracy]);
  });

  it('overlaid charts: one line per run and split, each at its own epochs, log x', () => {
    const a = { id: 'a', name: 'long', result: seriesOf(['001', '005', '020', '080']) };
    const b = { id: 'b', name: 'short', result: seriesOf(['001', '005']) };
    const charts = compareCharts([a, b]);
    const nc1 = charts.find((c) => c.id === 'nc1')!;
    expect(nc1.options.series.map((s) => s.name)).toEqual([
      'long',
      'long test',
      'short',
      'short test',
    ]);
    expect(nc1.options.series.map((s) => !!s.dashed)).toEqual([false, true, false, true]);
    expect(nc1.options.series[0].color).toBe(nc1.options.series[1].color);
    expect(nc1.options.series[0].color).not.toBe(nc1.options.series[2].color);
    expect(nc1.options.x).toEqual([1, 5, 20, 80]);
    expect(nc1.options.series[2].xs).toEqual([1, 5]);
    expect(nc1.options.xScale).toBe('log');
    // Metrics of W alone have no test line.
    expect(charts.find((c) => c.id === 'etf_error_weights')!.options.series).toHaveLength(2);
  });

  it('the x axis: log past a decade, linear by choice, step and wall time from a run log', () => {
    expect(defaultXScale([1, 5, 20, 80])).toBe('log');
    expect(defaultXScale([10, 20, 40])).toBe('linear');
    const s = seriesOf(['001', '005', '020']);
    expect(xAxis(s).scale).toBe('log');
    expect(xAxis(s, { scale: 'linear' }).scale).toBe('linear');
    const log = [
      { epoch: 1, step: 100, wall_time: 3.5 },
      { epoch: 5, step: 500, wall_time: 17 },
      { epoch: 20, step: 2000, wall_time: 70 },
    ];
    expect(xAxis(s, { quantity: 'time' }, log)).toMatchObject({
      x: [3.5, 17, 70],
      label: 'wall time (s)',
    });
    expect(xAxis(s, { quantity: 'step' }, log)).toMatchObject({
      x: [100, 500, 2000],
      label: 'step',
    });
    // No log: the epoch axis.
    expect(xAxis(s, { quantity: 'time' })).toMatchObject({ x: [1, 5, 20], label: 'epoch' });
  });

  it('nc-lens report --compare: summary of runs, table, overlaid charts, per-run appendix', () => {
    const folder = join(dir, 'long');
    mkdirSync(folder);
    for (const e of ['001', '005', '020', '080'])
      copyFileSync(dump(e), join(folder, `mnist_small_epoch${e}.npz`));
    writeFileSync(
      join(folder, 'log.json'),
      JSON.stringify([1, 5, 20, 80].map((epoch) => ({ epoch, wall_time: epoch * 2.5 }))),
    );
    const out = join(dir, 'c.pdf');
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin/nc-lens.js'),
        'report',
        '--compare',
        folder,
        `short=${dump('001')},${dump('005')}`,
        '--at',
        '20',
        '--x',
        'time',
        '-o',
        out,
      ],
      { env: { ...process.env, NC_LENS_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = pdfText(out);
    expect(text).toContain('Comparison of 2 runs');
    expect(text).toMatch(/long\s+4 epochs: 1, 5, 20, 80/);
    expect(text).toMatch(/short\s+2 epochs: 1, 5/);
    expect(text).toContain('Comparison at epoch 20');
    expect(text).toContain('long: epoch 20; short: epoch 5');
    // The NC1 row: both values, their difference and ratio, as the fixture references give them.
    const a = ref('020').nc1!;
    const b = ref('005').nc1!;
    const row = [a, b, b - a, b / a].map((v) =>
      formatNumber(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    );
    expect(text).toMatch(new RegExp(`NC1\\s+${row.join('\\s+')}`));
    expect(text).toContain('Trajectories, run against run');
    expect(text).toContain('wall time (s) / epoch');
    expect(text).toContain('Appendix A: run long');
    expect(text).toContain('Appendix B: run short');
  });

  it('nc-lens report --x: the single-run report draws the x axis asked for (default log)', () => {
    const files = ['001', '005', '020', '080'].map(dump);
    const report = (extra: string[]) => {
      const out = join(dir, `x${extra.join('')}.pdf`);
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'bin/nc-lens.js'), 'report', ...files, ...extra, '-o', out],
        { env: { ...process.env, NC_LENS_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.stderr).toBe('');
      return pdfText(out);
    };
    expect(report([])).toContain('epoch (log scale)');
    expect(report(['--x', 'epoch-linear'])).not.toContain('epoch (log scale)');
  });

  it('a run that cannot be read: one line naming it, exit 2', () => {
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin/nc-lens.js'),
        'report',
        '--compare',
        join(dir, 'nope'),
        dump('001'),
        '-o',
        join(dir, 'x.pdf'),
      ],
      { env: { ...process.env, NC_LENS_FROM_SOURCE: '1' }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('nope');
  });
});
