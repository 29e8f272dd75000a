import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import {
  datasetFromRoles,
  guessRoles,
  openDataset,
  type OpenedDataset,
} from '../../main/io/index.ts';
import { memoryArray } from '../../main/io/memory.ts';
import type { ArrayInfo, ArraySource, DType, Role } from '../../main/io/types.ts';
import { FIXTURES, firstDifference, fixture, ref } from './reference.ts';

function info(name: string, shape: number[], dtype: DType = 'f4'): ArrayInfo {
  return { name, file: `${name}.npy`, dtype, shape, bytes: 0 };
}

function guessed(arrays: ArrayInfo[]): Record<string, Role> {
  const roles = guessRoles(arrays);
  return Object.fromEntries(arrays.map((a) => [a.name, roles.get(a)!]));
}

let opened: OpenedDataset | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

async function rejection(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw new Error(`expected an NcLensError, got ${String(e)}`);
  expect(e.message).not.toContain('\n');
  return e.message;
}

describe('guessRoles', () => {
  it('recognises the common names of every role, train and test', () => {
    const names: [string, Role][] = [
      ['features', 'features'],
      ['feats', 'features'],
      ['embeddings', 'features'],
      ['penultimate', 'features'],
      ['h', 'features'],
      ['X', 'features'],
      ['labels', 'labels'],
      ['targets', 'labels'],
      ['y', 'labels'],
      ['weight', 'weight'],
      ['W', 'weight'],
      ['fc.weight', 'weight'],
      ['classifier.weight', 'weight'],
      ['head.weight', 'weight'],
      ['bias', 'bias'],
      ['b', 'bias'],
      ['fc.bias', 'bias'],
      ['logits', 'logits'],
      ['test_features', 'test_features'],
      ['X_test', 'test_features'],
      ['y_test', 'test_labels'],
      ['test_logits', 'test_logits'],
      ['features_train', 'features'],
      ['labels_be_i8', 'labels'],
      ['weight_T', 'weight'],
    ];
    for (const [name, role] of names) {
      expect([name, guessed([info(name, [4, 2])])[name]]).toEqual([name, role]);
    }
    expect(guessed([info('inputs', [4, 784]), info('features', [4, 2])]).inputs).toBe('ignore');
  });

  it('single letters count only as a whole name', () => {
    expect(guessed([info('conv_b_out', [10])]).conv_b_out).toBe('ignore');
    expect(guessed([info('b', [10])]).b).toBe('bias');
  });

  it('several numbered layers are layers; a single one is the features', () => {
    expect(
      guessed([info('layer1', [8, 4]), info('layer2', [8, 6]), info('labels', [8], 'i8')]),
    ).toEqual({
      layer1: 'layer',
      layer2: 'layer',
      labels: 'labels',
    });
    expect(guessed([info('block4', [8, 4]), info('labels', [8], 'i8')]).block4).toBe('features');
  });

  it('falls back to shapes when names say nothing', () => {
    const arrays = [
      info('a', [500, 64]),
      info('c', [500], 'i8'),
      info('m', [10, 64]),
      info('z', [7]),
    ];
    expect(guessed(arrays)).toEqual({ a: 'features', c: 'labels', m: 'weight', z: 'ignore' });
  });
});

describe('openDataset', () => {
  it('bundle_torchnames.npz: penultimate, targets, fc.weight, fc.bias', async () => {
    opened = await openDataset([fixture('bundle_torchnames.npz')]);
    const { dataset } = opened;
    expect(dataset.roles).toEqual({
      penultimate: 'features',
      targets: 'labels',
      'fc.weight': 'weight',
      'fc.bias': 'bias',
    });
    expect(dataset.train.features.name).toBe('penultimate');
    expect(firstDifference(dataset.weight!.data, ref.weight())).toBe('none');
    expect(firstDifference(dataset.bias!, ref.bias())).toBe('none');
    expect(firstDifference(await dataset.train.labels.readRows(0, 8000), ref.labels())).toBe(
      'none',
    );
  });

  it('weight_T.npy (D×C) is recognised and transposed to C×D', async () => {
    opened = await openDataset(
      ['features_f4.npy', 'labels_i8.npy', 'weight_T.npy', 'bias.npy'].map(fixture),
    );
    const { weight, warnings, roles } = opened.dataset;
    expect(roles.weight_T).toBe('weight');
    expect([weight!.rows, weight!.cols]).toEqual([10, 32]);
    expect(firstDifference(weight!.data, ref.weight())).toBe('none');
    expect(warnings.join('\n')).toMatch(
      /weight_T\.npy: weight stored D×C \(32×10\), transposed to C×D/,
    );
  });

  it('separate files: features, labels, weight, bias and logits', async () => {
    opened = await openDataset(
      ['features_f4.npy', 'labels_u1.npy', 'weight.npy', 'bias.npy', 'logits.npy'].map(fixture),
    );
    const { train, weight, warnings } = opened.dataset;
    expect(train.features.name).toBe('features_f4');
    expect(train.logits?.name).toBe('logits');
    expect(train.labels.dtype).toBe('u1');
    expect(weight!.rows).toBe(10);
    expect(warnings).toEqual([]);
  });

  it('bundle_layers.npz: layers in bundle order, the last one as features', async () => {
    opened = await openDataset([fixture('bundle_layers.npz')]);
    const { layers, train, roles } = opened.dataset;
    expect(layers?.map((l) => [l.name, l.features.rowSize])).toEqual([
      ['layer1', 16],
      ['layer2', 32],
    ]);
    expect(train.features.name).toBe('layer2');
    expect(roles).toEqual({ layer1: 'layer', layer2: 'layer', labels: 'labels' });
  });

  it('a bundle with test_* arrays gets a test split', async () => {
    opened = await openDataset([path.join(FIXTURES, 'mnist-mlp/mnist_small_epoch080.npz')]);
    const { test, train } = opened.dataset;
    expect(train.features.rows).toBe(8000);
    expect(test?.features.rows).toBe(2000);
    expect(test?.labels.rows).toBe(2000);
    expect(test?.logits?.rowSize).toBe(10);
  });

  it('ambiguity lists the candidates; an override resolves it by array name', async () => {
    const files = ['features_f4.npy', 'features_f8.npy', 'labels_i8.npy'].map(fixture);
    expect(await rejection(openDataset(files))).toMatch(
      /expected one features array \(set the role explicitly\), found 2 candidates: .*features_f4\.npy, .*features_f8\.npy$/,
    );
    opened = await openDataset(files, { features: 'features_f8' });
    expect(opened.dataset.train.features.dtype).toBe('f8');
    expect(opened.dataset.roles.features_f4).toBe('ignore');
  });

  it('overrides by file path and by file.npz:array', async () => {
    opened = await openDataset([fixture('bundle_stored.npz')], {
      labels: fixture('labels_u2.npy'),
      weight: `${fixture('bundle_torchnames.npz')}:fc.weight`,
    });
    const { train, weight, roles } = opened.dataset;
    expect(train.labels.dtype).toBe('u2');
    expect(roles).toMatchObject({
      labels: 'ignore',
      weight: 'ignore',
      labels_u2: 'labels',
      'fc.weight': 'weight',
    });
    expect(firstDifference(weight!.data, ref.weight())).toBe('none');
    expect(opened.containers).toHaveLength(3);
  });

  it('an override naming nothing that exists says what there is', async () => {
    expect(
      await rejection(openDataset([fixture('bundle_stored.npz')], { weight: 'fc.weight' })),
    ).toMatch(
      /bundle_stored\.npz: expected an array 'fc\.weight' for weight, found only features, labels, weight, bias$/,
    );
  });

  it('missing labels are reported with what was found', async () => {
    expect(await rejection(openDataset([fixture('features_f4.npy')]))).toMatch(
      /features_f4\.npy: expected a labels array \(N class indices\), found only features_f4$/,
    );
  });
});

describe('datasetFromRoles', () => {
  const features = memoryArray(
    'f',
    [6, 3],
    Float64Array.from({ length: 18 }, (_, i) => i),
    'f4',
    'f.npy',
  );
  const labels = memoryArray('y', [6], [0, 1, 2, 0, 1, 4], 'i8', 'y.npy');

  function roles(entries: [ArraySource, Role][]): Map<ArraySource, Role> {
    return new Map(entries);
  }

  it('refuses labels beyond the classifier outputs', async () => {
    const weight = memoryArray('w', [4, 3], new Float64Array(12), 'f4', 'w.npy');
    const arrays = [features, labels, weight];
    const message = await rejection(
      datasetFromRoles(
        arrays,
        roles([
          [features, 'features'],
          [labels, 'labels'],
          [weight, 'weight'],
        ]),
      ),
    );
    expect(message).toBe(
      "y.npy: expected labels below 4 (the classifier's number of outputs), found label 4",
    );
  });

  it('reports NaN in the weight with its row, and a bias of the wrong length', async () => {
    const data = new Float64Array(15);
    data[3 * 3 + 1] = NaN;
    const weight = memoryArray('w', [5, 3], data, 'f4', 'w.npy');
    expect(
      await rejection(
        datasetFromRoles(
          [features, labels, weight],
          roles([
            [features, 'features'],
            [labels, 'labels'],
            [weight, 'weight'],
          ]),
        ),
      ),
    ).toBe('w.npy: expected finite weight, found NaN at row 3');
    const good = memoryArray('w', [5, 3], new Float64Array(15), 'f4', 'w.npy');
    const bias = memoryArray('b', [4], new Float64Array(4), 'f4', 'b.npy');
    expect(
      await rejection(
        datasetFromRoles(
          [features, labels, good, bias],
          roles([
            [features, 'features'],
            [labels, 'labels'],
            [good, 'weight'],
            [bias, 'bias'],
          ]),
        ),
      ),
    ).toBe('b.npy: expected a bias of length 5 (one per class), found shape 4');
  });

  it('test features must have the training width', async () => {
    const tf = memoryArray('tf', [2, 4], new Float64Array(8), 'f4', 'tf.npy');
    const tl = memoryArray('tl', [2], [0, 1], 'i8', 'tl.npy');
    expect(
      await rejection(
        datasetFromRoles(
          [features, labels, tf, tl],
          roles([
            [features, 'features'],
            [labels, 'labels'],
            [tf, 'test_features'],
            [tl, 'test_labels'],
          ]),
        ),
      ),
    ).toBe('tf.npy: expected test features N×3 like the training features, found 2×4');
  });
});
