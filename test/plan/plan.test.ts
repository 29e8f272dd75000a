import { describe, expect, it } from 'vitest';
import { makePlan, type PlanFile } from '../../main/plan/plan.ts';
import { guessSetRoles } from '../../main/io/roles.ts';
import type { ArrayInfo } from '../../main/io/types.ts';

const bundle = (name: string): PlanFile => ({
  key: name,
  name,
  identity: name,
  arrays: [
    { name: 'features', shape: [8, 4], role: 'features' },
    { name: 'labels', shape: [8], role: 'labels' },
    { name: 'weight', shape: [3, 4], role: 'weight' },
  ],
});
const loose = (name: string, role: PlanFile['arrays'][number]['role']): PlanFile => ({
  key: name,
  name,
  identity: name,
  arrays: [{ name, shape: [8], role }],
});

describe('makePlan', () => {
  it('epoch dumps in epoch order; a file whose roles they fill is ignored, one they lack fills', () => {
    const plan = makePlan([
      bundle('run_e005.npz'),
      bundle('run_e001.npz'),
      loose('w.npy', 'weight'),
      loose('b.npy', 'bias'),
    ]);
    expect(plan.kind).toBe('epochs');
    expect(plan.points.map((p) => [p.label, p.epoch, p.files])).toEqual([
      ['run_e001', 1, ['run_e001.npz', 'b.npy']],
      ['run_e005', 5, ['run_e005.npz', 'b.npy']],
    ]);
    expect(plan.files.map((f) => [f.name, f.used, f.reason])).toEqual([
      ['run_e005.npz', true, undefined],
      ['run_e001.npz', true, undefined],
      ['w.npy', false, 'its weight come from the epoch dumps'],
      ['b.npy', true, undefined],
    ]);
  });

  it('an unopenable file, a second copy and a file with no role are ignored with the reason', () => {
    const plan = makePlan([
      bundle('a.npz'),
      { ...bundle('a.npz'), key: 'again' },
      { key: 'log', name: 'log.json', arrays: [], problem: 'log.json: expected .npy, found JSON' },
      loose('z.npy', 'ignore'),
    ]);
    expect(plan.kind).toBe('single');
    expect(plan.files.map((f) => f.reason)).toEqual([
      undefined,
      'the same file as a.npz',
      'log.json: expected .npy, found JSON',
      'no array has a role',
    ]);
  });

  it('a model plan uses the model and its inputs and labels only', () => {
    const plan = makePlan([
      { key: 'm', name: 'm.onnx', arrays: [], model: true },
      { key: 'x', name: 'x.npy', arrays: [{ name: 'x', shape: [8, 2], role: 'inputs' }] },
      loose('y.npy', 'labels'),
      bundle('dump.npz'),
    ]);
    expect(plan.kind).toBe('model');
    expect(plan.points[0].files).toEqual(['m', 'x', 'y.npy']);
    expect(plan.files[3].reason).toBe('its features come from running the model m.onnx');
  });

  it('layers: several layer arrays, or one beside the features', () => {
    const layered: PlanFile = {
      key: 'l',
      name: 'l.npz',
      arrays: [
        { name: 'layer1', shape: [8, 4], role: 'layer' },
        { name: 'features', shape: [8, 4], role: 'features' },
        { name: 'labels', shape: [8], role: 'labels' },
      ],
    };
    expect(makePlan([layered]).kind).toBe('layers');
  });
});

const info = (name: string, shape: number[], dtype: ArrayInfo['dtype'] = 'f4'): ArrayInfo => ({
  name,
  file: `${name}.npy`,
  dtype,
  shape,
  bytes: 0,
});

describe('guessSetRoles: the files opened together', () => {
  it('a 1-D int64 array of length N named b is the labels, not a bias', () => {
    const x = info('X', [100, 8]);
    const b = info('b', [100], 'i8');
    const roles = guessSetRoles([[x, b]]);
    expect([roles.get(x), roles.get(b)]).toEqual(['features', 'labels']);
    const bias = info('b', [10]);
    expect(guessSetRoles([[x, info('y', [100], 'i8'), bias]]).get(bias)).toBe('bias');
  });

  it('test-named labels beside the only features label them', () => {
    const x = info('mnist_small_test_inputs', [2000, 784]);
    const y = info('mnist_small_test_input_labels', [2000], 'i8');
    const roles = guessSetRoles([[x], [y]]);
    expect([roles.get(x), roles.get(y)]).toEqual(['features', 'labels']);
  });

  it('each bundle by itself; a loose classifier read in the light of their features', () => {
    const a = [info('features', [8, 4]), info('labels', [8], 'i8')];
    const b = [info('features', [8, 4]), info('labels', [8], 'i8')];
    const m = info('classifier', [3, 4]);
    const roles = guessSetRoles([a, b, [m]]);
    expect([...a, ...b].map((x) => roles.get(x))).toEqual([
      'features',
      'labels',
      'features',
      'labels',
    ]);
    expect(roles.get(m)).toBe('weight');
  });
});
