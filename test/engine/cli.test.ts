import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleNode } from '../../scripts/build.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import { mismatches } from './direct.ts';
import { FORMATS, MNIST } from '../fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** `nc-lens analyze ARGS...`, from the source or the bundle `cli`. */
const nclens = (args: string[], cli?: string) => runCli(['analyze', ...args], cli);

const reference = (name: string) =>
  JSON.parse(readFileSync(`${MNIST}/reference/${name}.json`, 'utf8'));

describe('nc-lens analyze', () => {
  it('--json - writes only the JSON to stdout, matching the reference', async () => {
    const r = await nclens([`${MNIST}/mnist_small_epoch080.npz`, '--json', '-']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(mismatches(result, reference('mnist_small_epoch080'))).toEqual([]);
    expect(result.geometry.means).toHaveLength(10 * 32);
    expect(result.test.n).toBe(2000);
  });

  it('--centering samples', async () => {
    const r = await nclens([
      '--centering',
      'samples',
      `${MNIST}/mnist_small_epoch080.npz`,
      '--json',
      '-',
    ]);
    expect(r.code).toBe(0);
    expect(mismatches(JSON.parse(r.stdout), reference('mnist_small_epoch080.samples'))).toEqual([]);
  });

  it('prints a table of headline metrics with their meanings', async () => {
    const r = await nclens([`${MNIST}/mnist_small_epoch001.npz`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/N=8000, D=32, C=10 \(test N=2000\)/);
    expect(r.stdout).toMatch(/^nc1\s+0\.2752\s+\S+\s+Within-class/m);
    expect(r.stdout).toMatch(/^classifier_accuracy\s+0\.9456\s+0\.9205/m);
  });

  it('several bundles: a series, one row per epoch in epoch order', async () => {
    const files = ['020', '001', '080', '005'].map((e) => `${MNIST}/mnist_small_epoch${e}.npz`);
    const r = await nclens(files);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toEqual([1, 5, 20, 80]);
  });

  it('separate files named by role, --json OUT and --quiet', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'nclens-')), 'r.json');
    const r = await nclens([
      '--features',
      `${FORMATS}/features_f4.npy`,
      '--labels',
      `${FORMATS}/labels_i8.npy`,
      '--weight',
      `${FORMATS}/weight.npy`,
      '--json',
      out,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.schema).toBe('nc-lens/metrics@1');
    expect(result.nc3.self_duality).not.toBeNull();
  });

  it('exit 2 with one line for bad input', async () => {
    const missing = await nclens(['/nonexistent/acts.npz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/\/nonexistent\/acts\.npz/);

    const nan = await nclens([
      '--features',
      `${FORMATS}/bad/features_nan.npy`,
      '--labels',
      `${FORMATS}/labels_i8.npy`,
    ]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/features_nan\.npy.*NaN at row \d+/);

    for (const args of [
      [],
      ['--bogus'],
      [`${MNIST}/mnist_small_epoch001.npz`, '--centering', 'median'],
    ]) {
      const r = await nclens(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--device: cpu computes; cuda without its provider, or an unknown device, is exit 2 in one line', async () => {
    const file = `${MNIST}/mnist_small_epoch080.npz`;
    const cpu = await nclens([file, '--device', 'cpu', '--json', '-']);
    expect(cpu.code).toBe(0);
    expect(JSON.parse(cpu.stdout).engine).toMatchObject({ backend: 'onnxruntime', device: 'cpu' });
    // These machines have no CUDA provider: the request is refused before any work.
    const cuda = await nclens([file, '--device', 'cuda', '--json', '-']);
    expect(cuda.code).toBe(2);
    expect(cuda.stdout).toBe('');
    expect(cuda.stderr.trim().split('\n')).toHaveLength(1);
    expect(cuda.stderr).toMatch(
      /--device cuda where onnxruntime-node has its CUDA execution provider/,
    );
    const tpu = await nclens([file, '--device', 'tpu']);
    expect(tpu.code).toBe(2);
    expect(tpu.stderr.trim()).toBe("nc-lens analyze: expected --device cpu or cuda, found 'tpu'");
  });

  it('--help lists every option', async () => {
    const r = await nclens(['--help']);
    expect(r.code).toBe(0);
    for (const opt of [
      '--features',
      '--labels',
      '--weight',
      '--bias',
      '--logits',
      '--centering',
      '--json',
      '--quiet',
    ]) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('built as scripts/build.js does, runs from its bundle', async () => {
    mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    const outdir = mkdtempSync(path.join(ROOT, 'test-results/engine-build-'));
    await bundleNode(outdir);
    const r = await nclens(
      [`${MNIST}/mnist_small_epoch020.npz`, '--threads', '2', '--json', '-'],
      path.join(outdir, 'cli.js'),
    );
    rmSync(outdir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result.engine).toMatchObject({ threads: 2 });
    expect(mismatches(result, reference('mnist_small_epoch020'))).toEqual([]);
  });
});
