import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INPUT_OPTIONS } from '../../main/cli/inputs.ts';
import { pageCount, pdfText } from './poppler.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = new URL('../../../shared/fixtures/mnist-mlp/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nc-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ncLens(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/nc-lens.js'), ...args], {
    // A fixed report date (the reproducible-builds convention), so runs either side of
    // midnight still match.
    env: { ...process.env, NC_LENS_FROM_SOURCE: '1', SOURCE_DATE_EPOCH: '1767225600' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('nc-lens report', () => {
  it('writes the report of a fixture', () => {
    const file = join(FIXTURES, 'mnist_small_epoch080.npz');
    const out = join(dir, 'r.pdf');
    const r = ncLens(['report', file, '-o', out, '--title', 'CLI report']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*r\.pdf/);
    expect(pageCount(out)).toBeGreaterThanOrEqual(5);
    const text = pdfText(out);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(text).toContain('CLI report');
    expect(text).toMatch(/Date\s+2026-01-01/);
    expect(text).toContain(sha.slice(0, 16));
    expect(text).toContain('The simplex ETF in 3D');

    // Same inputs, same bytes: nothing run-dependent (timings, random IDs) enters the file.
    const again = join(dir, 'r2.pdf');
    expect(ncLens(['report', file, '-o', again, '--title', 'CLI report']).status).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });

  it('marks the terminal phase from a training log', () => {
    const files = ['001', '005'].map((e) => join(FIXTURES, `mnist_small_epoch${e}.npz`));
    const out = join(dir, 's.pdf');
    const log = join(FIXTURES, 'mnist_small_log.json');
    const r = ncLens(['report', ...files, '-o', out, '--train-log', log]);
    expect(r.status).toBe(0);
    // Neither epoch 1 nor 5 reaches 100%; the log places the terminal phase at epoch 20, after
    // the last point, so it is stated rather than drawn off the axis.
    const text = pdfText(out).replace(/\s+/g, ' ');
    expect(text).toContain(
      'Training accuracy first reaches 100% at epoch 20 (from the training log), after the last point shown.',
    );
  });

  it('takes the input options of nc-lens analyze: an ONNX model run on its inputs', () => {
    const model = join(FIXTURES, 'mnist_small.onnx');
    const inputs = ['--model', model, '--inputs', join(FIXTURES, 'mnist_small_test_inputs.npy')];
    inputs.push('--labels', join(FIXTURES, 'mnist_small_test_input_labels.npy'));
    const analyzed = ncLens(['analyze', ...inputs, '--json', '-']);
    expect(analyzed.status).toBe(0);
    const nc1 = (JSON.parse(analyzed.stdout) as { nc1: number }).nc1;
    const out = join(dir, 'm.pdf');
    const r = ncLens(['report', ...inputs, '-o', out, '--centering', 'class-means']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = pdfText(out);
    for (const name of ['mnist_small.onnx', 'mnist_small_test_inputs.npy'])
      expect(text).toMatch(new RegExp(`${name}: [\\d.]+ [KM]B`));
    expect(text).toContain('N = 2000 samples');
    expect(text).toMatch(new RegExp(`NC1\\s+${nc1.toPrecision(4).replace('.', '\\.')}\\s`));
  });

  it('--help lists every input option of nc-lens analyze', () => {
    const r = ncLens(['report', '--help']);
    expect(r.status).toBe(0);
    for (const name of Object.keys(INPUT_OPTIONS)) expect(r.stdout).toContain(`--${name} `);
    expect(r.stdout).toContain('--output FILE');
  });

  it('refuses bad input with exit 2 and one line', () => {
    const missingOut = ncLens(['report', join(FIXTURES, 'mnist_small_epoch001.npz')]);
    expect(missingOut.status).toBe(2);
    expect(missingOut.stderr.trim().split('\n')).toHaveLength(1);
    expect(missingOut.stderr).toContain('expected an output file');

    const badCentering = ncLens([
      'report',
      'x.npz',
      '-o',
      join(dir, 'x.pdf'),
      '--centering',
      'median',
    ]);
    expect(badCentering.status).toBe(2);
    expect(badCentering.stderr).toContain("found 'median'");
  });
});
