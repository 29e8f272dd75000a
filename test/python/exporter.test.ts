/**
 * The Python exporter (python/nc_lens): the README's training-loop example run as it is, with
 * Debian's python3-torch, and its dumps analysed by NC Lens against a direct float64
 * computation from the arrays numpy reads back; `nc_lens.dump` with numpy alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzePaths } from '../../main/plan/run.ts';
import type { SeriesResult } from '../../shared/schema.ts';
import { directMetrics, mismatches } from '../engine/direct.ts';

const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const env = { ...process.env, PYTHONPATH: path.join(ROOT, 'python'), PYTHONDONTWRITEBYTECODE: '1' };
const can = (mod: string) =>
  spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
const hasNumpy = can('numpy');
const hasTorch = hasNumpy && can('torch');
if (!hasNumpy) console.warn(`test/python skipped: ${PYTHON} cannot import numpy`);
else if (!hasTorch)
  console.warn(`test/python: the PyTorch example skipped (${PYTHON} has no torch)`);

/** The README's example: the python block after the `exporter-example` marker. */
function readmeExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- exporter-example[^>]*-->\s*```python\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no exporter-example block');
  return m[1];
}

/** The arrays of each dump as numpy reads them, in float64, and run.json. */
const READ_BACK = `
import json, sys, glob, os
import numpy as np
out = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.npz'))):
    z = np.load(f)
    out[os.path.basename(f)] = {k: z[k].astype(np.float64).tolist() for k in z.files}
    out[os.path.basename(f)]['dtypes'] = {k: str(z[k].dtype) for k in z.files}
print(json.dumps(out))
`;

interface Dump {
  features: number[][];
  labels: number[];
  weight: number[][];
  bias: number[];
  logits: number[][];
  dtypes: Record<string, string>;
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'nc-lens-py-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!hasTorch)('the README training-loop example (PyTorch)', () => {
  it('writes five epoch dumps and run.json that NC Lens analyses to the direct computation within 1e-6', async () => {
    const cwd = tempDir();
    execFileSync(PYTHON, ['-c', readmeExample()], { cwd, env, stdio: 'pipe' });
    const run = path.join(cwd, 'runs/mlp');
    const files = readdirSync(run).sort();
    expect(files).toEqual([
      'epoch_0001.npz',
      'epoch_0002.npz',
      'epoch_0003.npz',
      'epoch_0004.npz',
      'epoch_0005.npz',
      'run.json',
    ]);
    const dumps = JSON.parse(
      execFileSync(PYTHON, ['-c', READ_BACK, run], { env, maxBuffer: 1 << 28 }).toString(),
    ) as Record<string, Dump>;
    const info = JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ format: 'nc-lens/run@1', model: 'Sequential', dataset: 'toy' });
    expect(info.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2, 3, 4, 5]);

    const result = (await analyzePaths(
      files.filter((f) => f.endsWith('.npz')).map((f) => path.join(run, f)),
    )) as SeriesResult;
    expect(result.kind).toBe('epochs');
    expect(result.points).toHaveLength(5);
    for (const [i, point] of result.points.entries()) {
      const d = dumps[`epoch_000${i + 1}.npz`];
      expect(d.dtypes).toEqual({
        features: 'float32',
        labels: 'int64',
        logits: 'float32',
        weight: 'float32',
        bias: 'float32',
      });
      expect([d.features.length, d.features[0].length, d.weight.length]).toEqual([512, 32, 4]);
      const direct = directMetrics({ h: d.features, y: d.labels, w: d.weight, b: d.bias });
      expect(mismatches(point.metrics, direct, 1e-6, 1e-9)).toEqual([]);
      // run.json's training accuracy and loss are those of the dumped logits.
      const z = d.logits;
      const acc = z.filter((r, n) => r.indexOf(Math.max(...r)) === d.labels[n]).length / z.length;
      const loss =
        z.reduce((s, r, n) => {
          const m = Math.max(...r);
          const lse = m + Math.log(r.reduce((t, v) => t + Math.exp(v - m), 0));
          return s + lse - r[d.labels[n]];
        }, 0) / z.length;
      const entry = info.epochs[i];
      expect(entry.file).toBe(`epoch_000${i + 1}.npz`);
      expect(entry.train_acc).toBeCloseTo(acc, 12);
      expect(Math.abs(entry.train_loss - loss)).toBeLessThan(1e-9 * Math.max(1, loss));
    }
    expect(info.epoch).toBe(5);
  }, 120_000);
});

describe.skipIf(!hasNumpy)('nc_lens.dump with numpy alone', () => {
  const script = `
import sys
sys.modules['torch'] = None  # numpy only: importing torch would fail
import numpy as np, nc_lens, os, json
out = sys.argv[1]
rng = np.random.default_rng(1)
h = rng.normal(size=(40, 6)); y = np.arange(40) % 3
nc_lens.dump(os.path.join(out, 'a.npz'), features=h, labels=y.astype(np.float64),
             weight=rng.normal(size=(3, 6)), bias=[0.5, 0, -1], test_features=h[:9], test_labels=y[:9])
errors = []
for kw in [dict(features=h, labels=y[:5]), dict(features=h, labels=y, weight=np.ones((3, 5))),
           dict(features=h, labels=-y), dict(features=h[0], labels=y[:1]),
           dict(features=h, labels=y, test_features=h)]:
    try:
        nc_lens.dump(os.path.join(out, 'bad.npz'), **kw)
    except ValueError as e:
        errors.append(str(e))
z = np.load(os.path.join(out, 'a.npz'))
print(json.dumps({'files': sorted(os.listdir(out)), 'errors': errors,
                  'dtypes': {k: str(z[k].dtype) for k in z.files},
                  'same': bool(np.array_equal(z['features'], h.astype(np.float32)))}))
`;
  it('writes float32 features and int64 labels, atomically, and refuses bad shapes in one line', () => {
    const dir = tempDir();
    const got = JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { env }).toString());
    expect(got.files).toEqual(['a.npz']);
    expect(got.dtypes).toEqual({
      features: 'float32',
      labels: 'int64',
      weight: 'float32',
      bias: 'float32',
      test_features: 'float32',
      test_labels: 'int64',
    });
    expect(got.same).toBe(true);
    expect(got.errors).toHaveLength(5);
    for (const e of got.errors) expect(e).toMatch(/^nc_lens\.dump: [^\n]+$/);
  });
});
