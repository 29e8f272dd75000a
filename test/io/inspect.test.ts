import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture } from './reference.ts';

const BIN = new URL('../../bin/nc-lens.js', import.meta.url).pathname;

function inspect(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'inspect', ...args], {
    env: { ...process.env, NC_LENS_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('nc-lens inspect', () => {
  it('prints each array with dtype, shape, bytes and guessed role', () => {
    const r = inspect(
      fixture('features_f4.npy'),
      fixture('labels_i8.npy'),
      fixture('bundle_torchnames.npz'),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/features_f4\.npy {2}\(npy, 1024128 bytes\)/);
    expect(r.stdout).toMatch(/^ {2}features_f4 +f4 +8000×32 +1024000 +features$/m);
    expect(r.stdout).toMatch(/^ {2}labels_i8 +i8 +8000 +64000 +labels$/m);
    expect(r.stdout).toMatch(/bundle_torchnames\.npz {2}\(npz, 1090338 bytes\)/);
    expect(r.stdout).toMatch(/^ {2}penultimate +f4 +8000×32 +1024000 +features$/m);
    expect(r.stdout).toMatch(/^ {2}fc\.weight +f4 +10×32 +1280 +weight$/m);
    expect(r.stdout).toMatch(/^ {2}fc\.bias +f4 +10 +40 +bias$/m);
  });

  it('--json gives the same facts to machines', () => {
    const r = inspect('--json', fixture('bundle_layers.npz'), fixture('weight.pb'));
    expect(r.code).toBe(0);
    const { files } = JSON.parse(r.stdout);
    expect(files).toEqual([
      {
        file: fixture('bundle_layers.npz'),
        format: 'npz',
        bytes: 1600754,
        arrays: [
          { name: 'layer1', dtype: 'f4', shape: [8000, 16], bytes: 512000, role: 'layer' },
          { name: 'layer2', dtype: 'f4', shape: [8000, 32], bytes: 1024000, role: 'layer' },
          { name: 'labels', dtype: 'i8', shape: [8000], bytes: 64000, role: 'labels' },
        ],
      },
      {
        file: fixture('weight.pb'),
        format: 'onnx-tensor',
        bytes: 1297,
        arrays: [{ name: 'weight', dtype: 'f4', shape: [10, 32], bytes: 1280, role: 'weight' }],
      },
    ]);
  });

  it('a bad file exits 2 with one line naming it, and prints nothing on stdout', () => {
    const r = inspect(fixture('features_f4.npy'), fixture('bad/object_dtype.npy'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLineError(
      r.stderr,
      /^nc-lens inspect: .*object_dtype\.npy: expected a numeric dtype .*, found an object dtype/,
    );
  });

  it('a missing file exits 2 naming it', () => {
    const r = inspect('/nonexistent/feats.npy');
    expect(r.code).toBe(2);
    expectOneLineError(
      r.stderr,
      /^nc-lens inspect: \/nonexistent\/feats\.npy: expected a readable file, found no such file$/,
    );
  });

  it('an ONNX model is described: inputs, outputs, the classifier found', () => {
    const r = inspect(path.join(FIXTURES, 'mnist-mlp/mnist_small.onnx'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mnist_small\.onnx {2}\(onnx-model, \d+ bytes\)/);
    expect(r.stdout).toMatch(/^ {2}input +input +float32 +n×784$/m);
    expect(r.stdout).toMatch(/^ {2}output +features +float32 +n×32$/m);
    expect(r.stdout).toMatch(
      /^ {2}classifier {2}Gemm .*: features → logits, weight 10×32 \+ bias$/m,
    );
  });

  it('no files or an unknown option exit 2', () => {
    const none = inspect();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: nc-lens inspect FILE\.\.\. \[--json\]/);
    const unknown = inspect('--frobnicate', fixture('bias.npy'));
    expect(unknown.code).toBe(2);
    expectOneLineError(
      unknown.stderr,
      /^nc-lens inspect: expected options --json or --help, found '--frobnicate'$/,
    );
  });
});
