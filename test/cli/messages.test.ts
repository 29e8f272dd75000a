/**
 * What the CLI says to someone finding their way: did-you-mean for options and commands, the
 * British spellings it accepts, no arguments, -q with nothing to write, a table that fits the
 * terminal, and the columns of a single split.
 */
import { describe, expect, it } from 'vitest';
import { closest } from '../../main/cli/suggest.ts';
import { runCli } from '../cli.ts';
import { MNIST } from '../fixtures.ts';

const EPOCH1 = `${MNIST}/mnist_small_epoch001.npz`;
const SERIES = ['001', '005', '020', '080'].map((e) => `${MNIST}/mnist_small_epoch${e}.npz`);

/** stderr as lines, without the empty last one. */
const lines = (s: string) => s.trimEnd().split('\n');

describe('did-you-mean', () => {
  it('finds typos, swaps and unique prefixes, and nothing for what is far from every word', () => {
    const options = ['centering', 'features', 'features-tensor', 'labels', 'json', 'csv'];
    expect(closest('centerng', options)).toBe('centering');
    expect(closest('lables', options)).toBe('labels');
    expect(closest('feat', options)).toBe(undefined); // a prefix of two options
    expect(closest('centeri', options)).toBe('centering');
    expect(closest('zzz', options)).toBe(undefined);
    expect(closest('anlayze', ['inspect', 'analyze', 'report', 'serve'])).toBe('analyze');
  });

  it('an unknown option is one line naming it and the closest option', async () => {
    const r = await runCli(['analyze', EPOCH1, '--centerng', 'samples']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "nc-lens analyze: expected an option of `nc-lens analyze --help`, found '--centerng'; did you mean '--centering'?",
    ]);
    expect(r.stdout).toBe('');
  });

  it('inspect too', async () => {
    const r = await runCli(['inspect', EPOCH1, '--jsn']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "nc-lens inspect: expected options --json or --help, found '--jsn'; did you mean '--json'?",
    ]);
  });

  it('an option far from every known one is named without a guess', async () => {
    const r = await runCli(['report', '--colour', 'red']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "nc-lens report: expected an option of `nc-lens report --help`, found '--colour'",
    ]);
  });

  it('a missing option value is one line, without Node’s advice about --', async () => {
    const r = await runCli(['analyze', EPOCH1, '--centering']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^nc-lens analyze: expected options as in .*--centering/);
    expect(r.stderr).not.toContain('positional');
  });

  it('a misspelled command is one line with the closest command', async () => {
    const r = await runCli(['anlayze', EPOCH1]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "nc-lens: unknown command 'anlayze'; did you mean 'analyze'?",
    ]);
    const far = await runCli(['frobnicate']);
    expect(lines(far.stderr)).toEqual([
      "nc-lens: unknown command 'frobnicate'; commands: inspect, analyze, report, serve, stats, cache, merge, status",
    ]);
  });
});

describe('British spellings', () => {
  it('`analyse` and `--centring` are the same as `analyze` and `--centering`', async () => {
    const british = await runCli(['analyse', EPOCH1, '--centring', 'samples', '--json', '-']);
    const american = await runCli(['analyze', EPOCH1, '--centering=samples', '--json', '-']);
    expect(british.stderr).toBe('');
    expect(british.code).toBe(0);
    const strip = (s: string) => {
      const r = JSON.parse(s) as { engine?: unknown };
      delete r.engine;
      return r;
    };
    expect(strip(british.stdout)).toEqual(strip(american.stdout));
    expect(JSON.parse(british.stdout).settings.centering).toBe('samples');
  });

  it('--help names the alias', async () => {
    const r = await runCli(['analyze', '--help']);
    expect(r.stdout).toMatch(/--centering MODE .*\(also --centring\)/);
  });
});

describe('no arguments and -q', () => {
  it('`nc-lens` alone prints the usage on stdout and exits 0', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^usage: nc-lens <command>/);
    expect(r.stdout).toContain('analyze');
  });

  it('-q with nothing to write says so, before any work, exit 2', async () => {
    const r = await runCli(['analyze', EPOCH1, '-q']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'nc-lens analyze: expected --json OUT, --csv OUT or --per-class-csv OUT with -q (it prints no table), found no output requested',
    ]);
    expect(r.stdout).toBe('');
  });
});

describe('tables', () => {
  it('a series fits an 80-column terminal and says which columns it left out', async () => {
    const wide = await runCli(['analyze', ...SERIES]);
    const narrow = await runCli(['analyze', ...SERIES], undefined, { COLUMNS: '80' });
    expect(narrow.code).toBe(0);
    const width = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));
    expect(width(wide.stdout)).toBeGreaterThan(80);
    expect(width(narrow.stdout)).toBeLessThanOrEqual(80);
    const header = narrow.stdout.split('\n').find((l) => l.startsWith('epoch '));
    expect(header?.split(/\s+/).slice(0, 3)).toEqual(['epoch', 'nc1', 'etf_error_means']);
    const note = narrow.stdout.replace(/\n/g, ' ');
    expect(note).toMatch(/left out to fit 80 columns: .*nc1_quotient/);
    expect(note).toContain('(--csv OUT or --json OUT has every metric)');
    expect(narrow.stdout.split('\n').filter((l) => /^\d+\s/.test(l))).toHaveLength(4);
  });

  it('metrics of W alone are shown once, not repeated for the test split', async () => {
    const r = await runCli(['analyze', EPOCH1]);
    expect(r.stdout).toMatch(/^metric\s+train\s+test\s+meaning/m);
    const row = r.stdout.split('\n').find((l) => l.startsWith('equinorm_weights '));
    expect(row?.trim().split(/\s{2,}/)).toHaveLength(3); // name, value, meaning
    expect(r.stdout).toMatch(/^classifier_accuracy\s+0\.9456\s+0\.9205/m);
    expect(r.stdout).toContain('*_weights metrics depend on W alone');
  });

  it('held-out inputs run through a model are not labelled train', async () => {
    const r = await runCli([
      'analyze',
      '--model',
      `${MNIST}/mnist_small.onnx`,
      '--inputs',
      `${MNIST}/mnist_small_test_inputs.npy`,
      '--labels',
      `${MNIST}/mnist_small_test_input_labels.npy`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mnist_small\.onnx, mnist_small_test_inputs\.npy, .*: N=2000/);
    expect(r.stdout).toMatch(/^metric\s+value\s+meaning/m);
    expect(r.stdout).not.toMatch(/\btrain\b/);
  });
});
