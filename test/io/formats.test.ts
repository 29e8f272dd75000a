import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openFile } from '../../main/io/index.ts';
import type { ArraySource, Container } from '../../main/io/types.ts';
import { FORMATS, firstDifference, fixture, ref, transposed } from './reference.ts';

type RefName = keyof typeof ref | 'weightT';

const reference: Record<RefName, () => Float64Array> = {
  ...ref,
  weightT: () => transposed(ref.weight(), 10, 32),
};

/** Every good fixture: its arrays (in file order), their shapes, dtypes and reference data. */
const EXPECTED: Record<string, { name: string; dtype: string; shape: number[]; ref: RefName }[]> = {
  'bias.npy': [{ name: 'bias', dtype: 'f4', shape: [10], ref: 'bias' }],
  'bias.pb': [{ name: 'bias', dtype: 'f4', shape: [10], ref: 'bias' }],
  'bundle_deflate.npz': bundle(['features', 'labels', 'weight', 'bias']),
  'bundle_stored.npz': bundle(['features', 'labels', 'weight', 'bias']),
  'bundle_torchnames.npz': [
    { name: 'penultimate', dtype: 'f4', shape: [8000, 32], ref: 'features' },
    { name: 'targets', dtype: 'i8', shape: [8000], ref: 'labels' },
    { name: 'fc.weight', dtype: 'f4', shape: [10, 32], ref: 'weight' },
    { name: 'fc.bias', dtype: 'f4', shape: [10], ref: 'bias' },
  ],
  'bundle_zip64.npz': bundle(['features', 'labels']),
  'bundle_layers.npz': [
    { name: 'layer1', dtype: 'f4', shape: [8000, 16], ref: 'layer1' },
    { name: 'layer2', dtype: 'f4', shape: [8000, 32], ref: 'features' },
    { name: 'labels', dtype: 'i8', shape: [8000], ref: 'labels' },
  ],
  'features.pb': [{ name: 'features', dtype: 'f4', shape: [8000, 32], ref: 'features' }],
  'features_floatdata.pb': [{ name: 'features', dtype: 'f4', shape: [8000, 32], ref: 'features' }],
  'features_f16.pb': [{ name: 'features', dtype: 'f2', shape: [8000, 32], ref: 'featuresHalf' }],
  'features_4d.npy': [
    { name: 'features_4d', dtype: 'f4', shape: [8000, 2, 16, 1], ref: 'features' },
  ],
  'features_be_f4.npy': features('features_be_f4', 'f4'),
  'features_f2.npy': [{ name: 'features_f2', dtype: 'f2', shape: [8000, 32], ref: 'featuresHalf' }],
  'features_f4.npy': features('features_f4', 'f4'),
  'features_f8.npy': features('features_f8', 'f8'),
  'features_fortran.npy': features('features_fortran', 'f4'),
  'features_v2.npy': features('features_v2', 'f4'),
  'features_v3.npy': features('features_v3', 'f4'),
  'labels.pb': [{ name: 'labels', dtype: 'i8', shape: [8000], ref: 'labels' }],
  'labels_be_i8.npy': labels('labels_be_i8', 'i8'),
  'labels_f4.npy': labels('labels_f4', 'f4'),
  'labels_i2.npy': labels('labels_i2', 'i2'),
  'labels_i4.npy': labels('labels_i4', 'i4'),
  'labels_i8.npy': labels('labels_i8', 'i8'),
  'labels_u1.npy': labels('labels_u1', 'u1'),
  'labels_u2.npy': labels('labels_u2', 'u2'),
  'logits.npy': [{ name: 'logits', dtype: 'f4', shape: [8000, 10], ref: 'logits' }],
  'weight.npy': [{ name: 'weight', dtype: 'f4', shape: [10, 32], ref: 'weight' }],
  'weight.pb': [{ name: 'weight', dtype: 'f4', shape: [10, 32], ref: 'weight' }],
  // Stored D×C: the reader returns it as stored; openDataset transposes (roles.test.ts).
  'weight_T.npy': [{ name: 'weight_T', dtype: 'f4', shape: [32, 10], ref: 'weightT' }],
};

function bundle(names: ('features' | 'labels' | 'weight' | 'bias')[]) {
  const shapes = { features: [8000, 32], labels: [8000], weight: [10, 32], bias: [10] };
  return names.map((name) => ({
    name,
    dtype: name === 'labels' ? 'i8' : 'f4',
    shape: shapes[name],
    ref: name,
  }));
}

function features(name: string, dtype: string) {
  return [{ name, dtype, shape: [8000, 32], ref: 'features' as const }];
}

function labels(name: string, dtype: string) {
  return [{ name, dtype, shape: [8000], ref: 'labels' as const }];
}

/** Reads in uneven chunks so chunk boundaries fall everywhere, including mid-stream. */
async function readInChunks(a: ArraySource, chunk = 997): Promise<Float64Array> {
  const out = new Float64Array(a.rows * a.rowSize);
  for (let s = 0; s < a.rows; s += chunk) {
    const part = await a.readRows(s, Math.min(a.rows, s + chunk));
    expect(part.length).toBe((Math.min(a.rows, s + chunk) - s) * a.rowSize);
    out.set(part, s * a.rowSize);
  }
  return out;
}

const opened: Container[] = [];
afterAll(() => Promise.all(opened.map((c) => c.close())));

describe('every fixture in fixtures/formats loads to the reference values', () => {
  it('the table covers every fixture file', () => {
    const files = readdirSync(FORMATS).filter((f) => /\.(npy|npz|pb|safetensors)$/.test(f));
    expect(Object.keys(EXPECTED).sort()).toEqual(files.sort());
  });

  for (const [file, arrays] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const container = await openFile(fixture(file));
      opened.push(container);
      expect(container.arrays.map((a) => a.name)).toEqual(arrays.map((a) => a.name));
      for (const [i, want] of arrays.entries()) {
        const a = container.arrays[i];
        expect(a.dtype).toBe(want.dtype);
        expect(a.shape).toEqual(want.shape);
        expect(a.rows).toBe(want.shape[0]);
        const values = await readInChunks(a);
        // Exact equality: float32 → float64 and float16 → float64 are both exact widenings.
        expect(firstDifference(values, reference[want.ref]())).toBe('none');
      }
    });
  }

  it('float16 values are the float32 data rounded to half precision', async () => {
    const f4 = ref.features();
    const f2 = ref.featuresHalf();
    const off = f4.findIndex((v, i) => Math.abs(f2[i] - v) > Math.abs(v) * 2 ** -11 + 2 ** -25);
    expect(off).toBe(-1);
  });

  it('reads arbitrary row ranges, backwards, and clamps past the end (deflated entry)', async () => {
    const container = await openFile(fixture('bundle_deflate.npz'));
    opened.push(container);
    const features = container.arrays[0];
    const all = ref.features();
    const late = await features.readRows(7000, 7010);
    const early = await features.readRows(3, 5);
    const pastEnd = await features.readRows(7990, 9000);
    expect(firstDifference(late, all.subarray(7000 * 32, 7010 * 32))).toBe('none');
    expect(firstDifference(early, all.subarray(3 * 32, 5 * 32))).toBe('none');
    expect(firstDifference(pastEnd, all.subarray(7990 * 32))).toBe('none');
  });

  it('reads a middle row range of a Fortran-order array', async () => {
    const container = await openFile(fixture('features_fortran.npy'));
    opened.push(container);
    const rows = await container.arrays[0].readRows(4000, 4003);
    expect(firstDifference(rows, ref.features().subarray(4000 * 32, 4003 * 32))).toBe('none');
  });
});
