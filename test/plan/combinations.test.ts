/**
 * The combination table (issue 11): each set of input files gives the same plan and the same
 * numbers through the CLI (`nc-lens analyze --json -`, a child process), the app's service
 * (AnalysisService) and the report, and the fixture references where they apply.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult, MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { openFile } from '../../main/io/index.ts';
import { encodeNpy, writeNpz } from '../../main/io/write-npz.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { runCli } from '../cli.ts';
import { FORMATS, MNIST } from '../fixtures.ts';
import { tempDir } from '../io/tmp.ts';
import { pdfText } from '../report/poppler.ts';

const reference = (epoch: string) =>
  (
    JSON.parse(
      readFileSync(`${MNIST}/reference/mnist_small_epoch${epoch}.json`, 'utf8'),
    ) as MetricsResult
  ).nc1!;
const e = (epoch: string) => `${MNIST}/mnist_small_epoch${epoch}.npz`;
const tmp = tempDir();

/** Arrays of the epoch-80 dump as loose .npy files, plus a few odd ones. */
beforeAll(async () => {
  const c = await openFile(e('080'));
  const read = async (name: string) => {
    const a = c.arrays.find((x) => x.name === name)!;
    return { a, v: await a.readRows(0, a.rows) };
  };
  const f = await read('features');
  const l = await read('labels');
  const w = await read('weight');
  const b = await read('bias');
  await c.close();
  const ints = (v: Float64Array) => BigInt64Array.from(v, (x) => BigInt(x));
  writeFileSync(tmp.file('features.npy'), encodeNpy(Float32Array.from(f.v), f.a.shape));
  writeFileSync(tmp.file('labels.npy'), encodeNpy(ints(l.v), l.a.shape));
  writeFileSync(tmp.file('weight.npy'), encodeNpy(Float32Array.from(w.v), w.a.shape));
  writeFileSync(tmp.file('bias.npy'), encodeNpy(Float32Array.from(b.v), b.a.shape));
  writeFileSync(tmp.file('mm_features.npy'), encodeNpy(Float32Array.from(f.v), f.a.shape));
  writeFileSync(tmp.file('mm_labels.npy'), encodeNpy(ints(l.v.subarray(1)), [l.a.rows - 1]));
  writeFileSync(tmp.file('short_labels.npy'), encodeNpy(ints(l.v.subarray(1)), [l.a.rows - 1]));
  // `b` holds N integer labels: shape beats the one-letter name.
  await writeNpz(tmp.file('xb.npz'), {
    X: { data: Float32Array.from(f.v), shape: f.a.shape },
    b: { data: ints(l.v), shape: l.a.shape },
  });
  copyFileSync(`${MNIST}/mnist_small_log.json`, tmp.file('log.json'));
});
afterAll(() => tmp.remove());

interface Case {
  name: string;
  files: () => string[];
  kind: 'single' | 'epochs' | 'layers' | 'model';
  /** Reference NC1 per point, where the fixture references apply. */
  nc1?: string[];
  /** Base names the plan ignores. */
  ignored?: string[];
  /** The service does not list a second copy of a file at all. */
  unlisted?: string[];
}

const CASES: Case[] = [
  { name: 'single dump', files: () => [e('080')], kind: 'single', nc1: ['080'] },
  {
    name: 'split .npy files',
    files: () => ['features', 'labels', 'weight', 'bias'].map((n) => tmp.file(`${n}.npy`)),
    kind: 'single',
    nc1: ['080'],
  },
  { name: 'epochs', files: () => [e('001'), e('005')], kind: 'epochs', nc1: ['001', '005'] },
  {
    name: 'epochs given out of order',
    files: () => [e('080'), e('001'), e('020')],
    kind: 'epochs',
    nc1: ['001', '020', '080'],
  },
  {
    name: 'epochs + weight.npy (the issue example)',
    files: () => [e('001'), e('005'), tmp.file('weight.npy')],
    kind: 'epochs',
    nc1: ['001', '005'],
    ignored: ['weight.npy'],
  },
  {
    name: 'epochs + a stray .json log',
    files: () => [e('001'), e('005'), tmp.file('log.json')],
    kind: 'epochs',
    nc1: ['001', '005'],
    ignored: ['log.json'],
  },
  {
    name: 'epochs + loose features/labels of mismatched N',
    files: () => [e('001'), e('005'), tmp.file('mm_features.npy'), tmp.file('mm_labels.npy')],
    kind: 'epochs',
    nc1: ['001', '005'],
    ignored: ['mm_features.npy', 'mm_labels.npy'],
  },
  {
    name: 'a dump + loose labels it already has',
    files: () => [e('080'), tmp.file('labels.npy')],
    kind: 'single',
    nc1: ['080'],
    ignored: ['labels.npy'],
  },
  {
    name: 'duplicates',
    files: () => [e('020'), e('020')],
    kind: 'single',
    nc1: ['020'],
    ignored: ['mnist_small_epoch020.npz'],
    unlisted: ['mnist_small_epoch020.npz'],
  },
  {
    name: 'features X and labels b',
    files: () => [tmp.file('xb.npz')],
    kind: 'single',
    nc1: ['080'],
  },
  { name: 'layers', files: () => [`${FORMATS}/bundle_layers.npz`], kind: 'layers' },
  {
    name: 'model + inputs + labels',
    files: () => [
      `${MNIST}/mnist_small.onnx`,
      `${MNIST}/mnist_small_test_inputs.npy`,
      `${MNIST}/mnist_small_test_input_labels.npy`,
      tmp.file('log.json'),
    ],
    kind: 'model',
    ignored: ['log.json'],
  },
  {
    name: 'inputs + their test-named labels, no model',
    files: () => [
      `${MNIST}/mnist_small_test_inputs.npy`,
      `${MNIST}/mnist_small_test_input_labels.npy`,
    ],
    kind: 'single',
  },
];

const kindOf = (r: AnalysisResult, planned: Case['kind']): string =>
  r.schema === 'nc-lens/series@1'
    ? (r as SeriesResult).kind
    : planned === 'model'
      ? 'model'
      : 'single';
const nc1s = (r: AnalysisResult): number[] =>
  r.schema === 'nc-lens/series@1'
    ? (r as SeriesResult).points.map((p) => p.metrics.nc1!)
    : [(r as MetricsResult).nc1!];
const ignoredIn = (r: AnalysisResult) =>
  r.warnings.flatMap((w) => /^(.+?) ignored: /.exec(w)?.[1] ?? []).sort();

async function viaCli(files: string[]): Promise<AnalysisResult> {
  const r = await runCli(['analyze', ...files, '--json', '-']);
  expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('warning:'))).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as AnalysisResult;
}

async function viaService(files: string[]) {
  const s = new AnalysisService({ shell: 'electron' });
  try {
    const opened = await s.open(files.map((p) => ({ path: p })));
    const { result } = await s.analyze();
    return { result: result!, files: opened.files };
  } finally {
    await s.dispose();
  }
}

describe('the combination table: CLI, service and references agree', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const files = c.files();
      const [cli, app] = await Promise.all([viaCli(files), viaService(files)]);
      expect(kindOf(cli, c.kind)).toBe(c.kind);
      expect(kindOf(app.result, c.kind)).toBe(c.kind);
      const [a, b] = [nc1s(cli), nc1s(app.result)];
      expect(a).toHaveLength(b.length);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
      if (c.nc1) expect(a).toEqual(c.nc1.map((ep) => expect.closeTo(reference(ep), 6)));
      expect(ignoredIn(cli)).toEqual([...(c.ignored ?? [])].sort());
      const listedIgnored = app.files.filter((f) => f.ignored).map((f) => f.name);
      const expected = (c.ignored ?? []).filter((n) => !(c.unlisted ?? []).includes(n));
      expect(listedIgnored.sort()).toEqual(expected.sort());
      expect(app.files.filter((f) => f.ignored).every((f) => f.ignored!.length > 0)).toBe(true);
    });
  }

  it('mismatched N: the same one-line error (file, expected, found) from both', async () => {
    const files = [tmp.file('features.npy'), tmp.file('short_labels.npy')];
    const cli = await runCli(['analyze', ...files, '--json', '-']);
    expect(cli.code).toBe(2);
    const s = new AnalysisService({ shell: 'electron' });
    await s.open(files.map((p) => ({ path: p })));
    const err = await s.analyze().then(
      () => null,
      (x: Error) => x,
    );
    await s.dispose();
    expect(err?.message).toMatch(/short_labels\.npy.*expected 8000 labels.*found 7999/);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/short_labels\.npy.*expected 8000 labels.*found 7999/);
  });
});

describe('the report lists the files the plan uses, never the ignored ones', () => {
  it('epochs + mismatched loose files: CLI report and app export', async () => {
    const files = [e('001'), e('005'), tmp.file('mm_features.npy'), tmp.file('mm_labels.npy')];
    const out = tmp.file('cli.pdf');
    const r = await runCli(['report', ...files, '-o', out]);
    expect(r.code).toBe(0);
    const s = new AnalysisService({ shell: 'electron' });
    await s.open(files.map((p) => ({ path: p })));
    await s.analyze();
    const pdf = await s.exportResult('pdf');
    await s.dispose();
    writeFileSync(tmp.file('app.pdf'), pdf.data);
    for (const text of [pdfText(out, 1), pdfText(tmp.file('app.pdf'), 1)]) {
      const inputs = text.slice(text.indexOf('Input files'), text.indexOf('\nData '));
      expect(inputs).toContain('mnist_small_epoch001.npz');
      expect(inputs).toContain('mnist_small_epoch005.npz');
      expect(inputs).not.toMatch(/mm_features|mm_labels/);
      // Named once, as ignored, with the reason.
      expect(text).toContain('mm_features.npy ignored: its features come from the epoch dumps');
    }
  });
});
