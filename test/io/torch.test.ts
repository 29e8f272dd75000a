/**
 * PyTorch files: fixtures written at test time by Debian's python3-torch
 * (test/io/torch-fixtures.py), each compared value by value to the .npz numpy wrote of the
 * same arrays. Hostile pickles are refused, naming the global, and run nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFile } from '../../main/io/index.ts';
import { guessSetRoles } from '../../main/io/roles.ts';
import { openPlanned } from '../../main/plan/run.ts';
import type { Container } from '../../main/io/types.ts';
import { runCli } from '../cli.ts';
import { tempDir } from './tmp.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch-fixtures.py', import.meta.url));
const hasTorch =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) {
  console.warn(`test/io/torch.test.ts skipped: ${PYTHON} cannot import torch and numpy`);
}

describe.skipIf(!hasTorch)('PyTorch files (.pt/.pth/.bin)', () => {
  const tmp = tempDir();
  beforeAll(() => {
    execFileSync(PYTHON, [SCRIPT, tmp.dir], { stdio: 'pipe' });
  }, 60_000);
  afterAll(() => tmp.remove());

  async function withFile<T>(name: string, f: (c: Container) => Promise<T>): Promise<T> {
    const c = await openFile(tmp.file(name));
    try {
      return await f(c);
    } finally {
      await c.close();
    }
  }

  /** Every array of NAME.pt equals the same-named array of NAME.npz, value by value. */
  async function sameAsNpz(name: string, expectedNames: string[]): Promise<void> {
    await withFile(`${name}.pt`, async (pt) =>
      withFile(`${name}.npz`, async (npz) => {
        expect(pt.format).toBe('torch');
        expect(pt.arrays.map((a) => a.name)).toEqual(expectedNames);
        for (const a of pt.arrays) {
          const r = npz.arrays.find((b) => b.name === a.name)!;
          expect(a.shape, a.name).toEqual(r.shape);
          const want = await r.readRows(0, r.rows);
          expect(Array.from(await a.readRows(0, a.rows)), a.name).toEqual(Array.from(want));
          // Row ranges in pieces read the same values as the whole.
          const parts: number[] = [];
          for (let s = 0; s < a.rows; s += 7) parts.push(...(await a.readRows(s, s + 7)));
          expect(parts, `${a.name} by row ranges`).toEqual(Array.from(want));
          if (a.readFeatures) {
            const f = await a.readFeatures(1, a.rows);
            expect(Array.from(f), `${a.name} readFeatures`).toEqual(
              Array.from(want.subarray(a.rowSize)),
            );
          }
        }
      }),
    );
  }

  it('a dict of tensors', () => sameAsNpz('dict', ['features', 'labels', 'fc.weight', 'fc.bias']));
  it('a state_dict (OrderedDict with _metadata)', () =>
    sameAsNpz('state_dict', ['0.weight', '0.bias', '2.weight', '2.bias']));
  it('strided, transposed, offset and permuted tensors', () =>
    sameAsNpz('strided', ['transposed', 'offset', 'step', 'permuted', 'sparse_rows']));
  it('float64/32/16, bfloat16, int8–64, uint8, bool and a 0-D tensor', async () => {
    await sameAsNpz('dtypes', [
      'f64',
      'f32',
      'f16',
      'bf16',
      'i8',
      'i32',
      'i16',
      'i8bit',
      'u8',
      'bool',
      'scalar',
    ]);
    await withFile('dtypes.pt', async (c) => {
      const dtypes = Object.fromEntries(c.arrays.map((a) => [a.name, a.dtype]));
      expect(dtypes).toMatchObject({ f16: 'f2', bf16: 'bf16', i8: 'i8', u8: 'u1', bool: 'b1' });
    });
  });
  it('the legacy (pre-1.6) format', async () => {
    await sameAsNpz('legacy', ['features', 'labels', 'fc.weight', 'fc.bias']);
    await sameAsNpz('legacy_strided', ['t']);
  });
  it('a tuple, a nested dict (non-tensors skipped), a Parameter, a bare tensor, a shared storage', async () => {
    await sameAsNpz('tuple', ['0', '1']);
    await sameAsNpz('nested', ['train.features', 'train.labels', 'test.features', 'test.labels']);
    await sameAsNpz('parameter', ['w']);
    await sameAsNpz('bare', ['bare']);
    await sameAsNpz('shared', ['features', 'half']);
  });

  it('roles from the keys: a dict bundle, a nested train/test split', async () => {
    for (const [file, want] of [
      [
        'dict.pt',
        { features: 'features', labels: 'labels', 'fc.weight': 'weight', 'fc.bias': 'bias' },
      ],
      [
        'nested.pt',
        {
          'train.features': 'features',
          'train.labels': 'labels',
          'test.features': 'test_features',
          'test.labels': 'test_labels',
        },
      ],
    ] as const) {
      await withFile(file, async (c) => {
        const roles = guessSetRoles([c.arrays]);
        expect(Object.fromEntries(c.arrays.map((a) => [a.name, roles.get(a)]))).toEqual(want);
      });
    }
  });

  it('a state_dict beside features gives the classifier: the last C×D weight and its bias', async () => {
    const planned = await openPlanned([tmp.file('features16.npz'), tmp.file('state_dict.pt')]);
    try {
      const sd = planned.sources[1];
      const roles = Object.fromEntries(sd.arrays.map((a) => [a.name, sd.roles.get(a)]));
      expect(roles).toEqual({
        '0.weight': 'ignore',
        '0.bias': 'ignore',
        '2.weight': 'weight',
        '2.bias': 'bias',
      });
      expect(planned.plan.kind).toBe('single');
      expect(planned.plan.files.map((f) => f.used)).toEqual([true, true]);
    } finally {
      await planned.close();
    }
  });

  it('hostile pickles are refused with one line naming the global, and nothing runs', async () => {
    const cases: [string, RegExp][] = [
      [
        'hostile_system.pt',
        /hostile_system\.pt:hostile_system\/data\.pkl: .*found global posix\.system, refused and not run$/,
      ],
      ['hostile_eval.pth', /hostile_eval\.pth:.*found global builtins\.eval, refused and not run$/],
      ['hostile_raw.bin', /hostile_raw\.bin: .*found global posix\.system, refused and not run$/],
      [
        'module.pt',
        /module\.pt:.*found global torch\.nn\.modules\.container\.Sequential, refused and not run \(save model\.state_dict\(\), not the model\)$/,
      ],
    ];
    for (const [name, message] of cases) {
      const error = await openFile(tmp.file(name)).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.name, name).toBe('NcLensError');
      expect(error?.message, name).toMatch(message);
      expect(error?.message).not.toContain('\n');
    }
    expect(existsSync(tmp.file('SENTINEL'))).toBe(false);
    expect(readdirSync(tmp.dir)).not.toContain('SENTINEL');
  });

  it('other files named .pt are refused in one line naming the zip format', async () => {
    writeFileSync(tmp.file('notes.pt'), 'not a checkpoint at all');
    writeFileSync(tmp.file('truncated.pt'), readFileSync(tmp.file('dict.pt')).subarray(0, 300));
    const notes = await openFile(tmp.file('notes.pt')).catch((e: Error) => e);
    expect((notes as Error).message).toMatch(
      /notes\.pt: expected a PyTorch file as torch\.save\(\.\.\., _use_new_zipfile_serialization=True\) writes it, found another format$/,
    );
    const cut = await openFile(tmp.file('truncated.pt')).catch((e: Error) => e);
    expect((cut as Error).name).toBe('NcLensError');
    expect((cut as Error).message).toMatch(/^\S*truncated\.pt: expected /);
  });

  it('the CLI refuses a hostile file with exit 2 and one line', async () => {
    const r = await runCli(['inspect', tmp.file('hostile_system.pt')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/posix\.system, refused and not run/);
    expect(existsSync(tmp.file('SENTINEL'))).toBe(false);
  });
});
