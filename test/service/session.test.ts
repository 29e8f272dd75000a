import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { rejection } from './rejection.ts';
import { FORMATS, MNIST } from '../fixtures.ts';
import { pdfText } from '../report/poppler.ts';

const reference = (name: string) =>
  JSON.parse(readFileSync(`${MNIST}/reference/${name}.json`, 'utf8')) as MetricsResult;

describe('AnalysisService: files and roles', () => {
  it('opens a bundle and guesses the role of each array', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const state = await s.open([{ path: `${MNIST}/mnist_small_epoch080.npz` }]);
    expect(state.files).toHaveLength(1);
    const f = state.files[0];
    expect(f.name).toBe('mnist_small_epoch080.npz');
    const roles = Object.fromEntries(f.arrays.map((a) => [a.name, a.role]));
    expect(roles).toMatchObject({
      features: 'features',
      labels: 'labels',
      weight: 'weight',
      bias: 'bias',
    });
    expect(f.arrays.find((a) => a.name === 'features')?.shape).toEqual([8000, 32]);
    await s.dispose();
  });

  it('guesses separate one-array files together', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const state = await s.open([
      { path: `${FORMATS}/features_f4.npy` },
      { path: `${FORMATS}/labels_i8.npy` },
    ]);
    expect(state.files.map((f) => f.arrays[0].role)).toEqual(['features', 'labels']);
    await s.dispose();
  });

  it('refuses a drop where no file opens, by name, and leaves the session as it was', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    await s.open([{ path: `${FORMATS}/bundle_stored.npz` }]);
    const before = await s.state();
    const e = await rejection(s.open([{ path: `${FORMATS}/bad/truncated.npy` }]));
    expect(e.message).toContain('truncated.npy');
    expect(e.code).toBe('bad-input');
    expect(await s.state()).toEqual(before);
    await s.dispose();
  });

  it('lists an unusable file of a drop as ignored, with the reason, and opens the rest', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const { files } = await s.open([
      { path: `${MNIST}/mnist_small_epoch001.npz` },
      { path: `${FORMATS}/bad/truncated.npy` },
    ]);
    expect(files.map((f) => f.name)).toEqual(['mnist_small_epoch001.npz', 'truncated.npy']);
    expect(files[0].ignored).toBeUndefined();
    expect(files[1].ignored).toMatch(/^truncated\.npy: expected .*found/);
    await s.dispose();
  });

  it('Open replaces, Add files adds, the same file is listed once, Close all empties', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const e001 = { path: `${MNIST}/mnist_small_epoch001.npz` };
    const e005 = { path: `${MNIST}/mnist_small_epoch005.npz` };
    await s.open([{ path: `${FORMATS}/features_f4.npy` }, { path: `${FORMATS}/labels_i8.npy` }]);
    const names = (st: { files: { name: string }[] }) => st.files.map((f) => f.name);
    expect(names(await s.open([e001, e001]))).toEqual(['mnist_small_epoch001.npz']);
    expect(names(await s.open([e001, e005], { add: true }))).toEqual([
      'mnist_small_epoch001.npz',
      'mnist_small_epoch005.npz',
    ]);
    const closed = await s.closeAll();
    expect(closed.files).toEqual([]);
    expect(closed.result).toBeNull();
    await s.dispose();
  });

  it('shows uploads by their name, never their temp path', async () => {
    const s = new AnalysisService({
      shell: 'browser',
      resolveUpload: () => ({ path: `${FORMATS}/bad/not_npy.npy`, name: 'mine.npy' }),
    });
    const e = await rejection(s.open([{ uploadId: 'x', name: 'mine.npy' }]));
    expect(e.message).toContain('mine.npy');
    expect(e.message).not.toContain(FORMATS);
    expect(e.file).toBe('mine.npy');
  });

  it('rejects relative paths, folders among files and unknown ids', async () => {
    const s = new AnalysisService({ shell: 'electron' });
    expect((await rejection(s.open([{ path: 'features.npy' }]))).message).toMatch(/absolute path/);
    const bundle = { path: `${FORMATS}/bundle_stored.npz` };
    expect((await rejection(s.open([bundle, { path: FORMATS }]))).message).toMatch(/a folder/);
    expect((await rejection(s.open([{ uploadId: 'u', name: 'a.npy' }]))).message).toMatch(/a.npy/);
    expect((await rejection(s.setRole('f9:x', 'features'))).code).toBe('bad-input');
    expect((await rejection(s.closeFile('f9'))).code).toBe('bad-input');
  });

  it('changes a role and closes a file', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const { files } = await s.open([{ path: `${FORMATS}/bundle_stored.npz` }]);
    const bias = files[0].arrays.find((a) => a.name === 'bias')!;
    const after = await s.setRole(bias.id, 'ignore');
    expect(after.files[0].arrays.find((a) => a.id === bias.id)?.role).toBe('ignore');
    await rejection(s.setRole(bias.id, 'nonsense' as never));
    expect((await s.closeFile(files[0].id)).files).toHaveLength(0);
  });
});

describe('AnalysisService: analysis', () => {
  it('shows the reference NC1 of a bundle and exports it', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    await s.open([{ path: `${MNIST}/mnist_small_epoch080.npz` }]);
    const { result } = await s.analyze();
    const m = result as MetricsResult;
    const ref = reference('mnist_small_epoch080');
    expect(m.schema).toBe('nc-lens/metrics@1');
    expect(m.nc1).toBeCloseTo(ref.nc1!, 6);
    expect(m.cdnv).toBeCloseTo(ref.cdnv!, 6);
    const json = await s.exportResult('json');
    expect(JSON.parse(new TextDecoder().decode(json.data)).nc1).toBe(m.nc1);
    const csv = new TextDecoder().decode((await s.exportResult('csv')).data).split('\n');
    const header = csv[0].split(',');
    expect(Number(csv[1].split(',')[header.indexOf('nc1')])).toBeCloseTo(m.nc1!, 12);
    const perClass = new TextDecoder().decode((await s.exportResult('csv-per-class')).data);
    expect(perClass.trim().split('\n')).toHaveLength(1 + 10);
    const pdf = await s.exportResult('pdf', { title: 'epoch 80' });
    expect(pdf.name).toBe('epoch-80.pdf');
    expect(new TextDecoder().decode(pdf.data.subarray(0, 5))).toBe('%PDF-');
    await s.dispose();
  });

  it('treats several bundles as an epoch series and a changed role re-analyses', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const { files } = await s.open(
      ['001', '020', '080'].map((e) => ({ path: `${MNIST}/mnist_small_epoch${e}.npz` })),
    );
    const series = (await s.analyze()).result as SeriesResult;
    expect(series.schema).toBe('nc-lens/series@1');
    expect(series.kind).toBe('epochs');
    expect(series.points.map((p) => p.metrics.nc1)).toEqual(
      ['001', '020', '080'].map((e) => expect.closeTo(reference(`mnist_small_epoch${e}`).nc1!, 6)),
    );
    // Features of the last bundle ignored: two bundles remain in the series.
    await s.setRole(files[2].arrays.find((a) => a.name === 'features')!.id, 'ignore');
    const fewer = (await s.analyze()).result as SeriesResult;
    expect(fewer.points).toHaveLength(2);
    await s.dispose();
  });

  it('exports the point on screen: per-class CSV with an epoch column, PDF pages name it', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    await s.open(
      ['001', '005', '080'].map((e) => ({ path: `${MNIST}/mnist_small_epoch${e}.npz` })),
    );
    await s.analyze();
    await s.selectPoint(1);
    const csv = await s.exportResult('csv-per-class');
    expect(csv.name).toBe('mnist_small-epoch-5-per-class.csv');
    const [header, ...rows] = new TextDecoder().decode(csv.data).trim().split('\n');
    const cols = header.split(',');
    expect(cols.slice(0, 3)).toEqual(['epoch', 'label', 'count']);
    const ref = reference('mnist_small_epoch005').per_class;
    expect(rows).toHaveLength(ref.length);
    for (const [i, row] of rows.entries()) {
      const cells = row.split(',');
      expect(cells[0]).toBe('5');
      expect(Number(cells[cols.indexOf('within_var')])).toBeCloseTo(ref[i].within_var!, 6);
    }
    const pdf = await s.exportResult('pdf');
    expect(pdf.name).toBe('mnist_small-epoch-5.pdf');
    const file = join(tmpdir(), `nc-lens-shown-${process.pid}.pdf`);
    writeFileSync(file, pdf.data);
    const text = pdfText(file);
    rmSync(file);
    expect(text).toContain('at epoch 5 (the point selected in the app)');
    expect(text).not.toContain('at epoch 80 (the last point)');
    await s.dispose();
  });

  it('analyses layers of one bundle as a layer series', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    await s.open([{ path: `${FORMATS}/bundle_layers.npz` }]);
    const series = (await s.analyze()).result as SeriesResult;
    expect(series.kind).toBe('layers');
    expect(series.points.length).toBeGreaterThanOrEqual(2);
    await s.dispose();
  });

  it('cancels an analysis and keeps the earlier result', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    await s.open([{ path: `${MNIST}/mnist_small_epoch080.npz` }]);
    const first = (await s.analyze()).result;
    const running = s.analyze();
    await s.cancel();
    expect((await rejection(running)).code).toBe('cancelled');
    expect((await s.state()).result).toEqual(first);
    await s.dispose();
  });

  it('opens the demo as an epoch series', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    const state = await s.openDemo();
    expect(state.demo).toBe(true);
    expect(state.files.length).toBeGreaterThanOrEqual(2);
    const series = (await s.analyze()).result as SeriesResult;
    expect(series.kind).toBe('epochs');
    expect(series.points).toHaveLength(state.files.length);
    const epochs = series.points.map((p) => p.epoch ?? p.index);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    await s.dispose();
  });
});
