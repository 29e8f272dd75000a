/**
 * Issue 12: onnxruntime wrote `$TMPDIR/mat-debug-<pid>.log`, `$TMPDIR/.ses` and
 * `$HOME/.cache/Microsoft/DeveloperTools/.onnxruntime/` on every model run. A model run of
 * `nc-lens analyze --model` (the model's session and the engine's) with a TMPDIR and HOME of
 * its own leaves both as empty as it found them.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import { MNIST } from '../fixtures.ts';

const home = mkdtempSync(join(tmpdir(), 'nc-lens-home-'));
const tmp = mkdtempSync(join(tmpdir(), 'nc-lens-tmp-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Everything under `dir`. The CLI runs from the TypeScript source here, so tsx (the tests'
 * loader, not NC Lens) keeps its compile cache in TMPDIR/tsx-UID; that is left out.
 */
function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .filter((p) => !/^tsx-\d+(\/|$)/.test(p));
}

describe('leftovers of a model run', () => {
  it('no file is left in TMPDIR or HOME after nc-lens analyze --model', async () => {
    const r = await runCli(
      [
        'analyze',
        '--model',
        join(MNIST, 'mnist_small.onnx'),
        '--inputs',
        join(MNIST, 'mnist_small_test_inputs.npy'),
        '--labels',
        join(MNIST, 'mnist_small_test_input_labels.npy'),
        '--json',
        '-',
      ],
      undefined,
      { HOME: home, TMPDIR: tmp },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(2000);
    expect(listAll(tmp)).toEqual([]);
    expect(listAll(home)).toEqual([]);
  }, 120_000);
});
