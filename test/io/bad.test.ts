import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { assertFinite, openDataset, openFile } from '../../main/io/index.ts';
import { FORMATS, fixture } from './reference.ts';

/** Opens a file and reads every array to the end, in chunks, as the engine would. */
async function loadFully(
  file: string,
  check?: (v: Float64Array, row: number, size: number) => void,
) {
  const container = await openFile(file);
  try {
    for (const a of container.arrays) {
      for (let s = 0; s < a.rows; s += 1000) {
        const values = await a.readRows(s, s + 1000);
        check?.(values, s, a.rowSize);
      }
    }
  } finally {
    await container.close();
  }
}

/** The error's message, after checking it is a one-line bad-input error. */
async function failure(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a failure').toBeDefined();
  if (!isNcLensError(e)) throw e;
  expect(e.code).toBe('bad-input');
  expect(e.message).not.toContain('\n');
  return e.message;
}

const features = fixture('features_f4.npy');
const labels = fixture('labels_i8.npy');
const bad = (name: string) => fixture(`bad/${name}`);

/** Each bad fixture → the work that must fail and what its message must say. */
const CASES: Record<string, { fails: () => Promise<unknown>; message: RegExp }> = {
  'empty.npy': {
    fails: () => openFile(bad('empty.npy')),
    message: /empty\.npy: expected an \.npy array, found an empty file$/,
  },
  'not_npy.npy': {
    fails: () => openFile(bad('not_npy.npy')),
    message: /not_npy\.npy: expected the \.npy magic \\x93NUMPY, found "hello worl"$/,
  },
  'truncated.npy': {
    fails: () => openFile(bad('truncated.npy')),
    message:
      /truncated\.npy: expected 1024000 bytes of data for shape \(8000, 32\) <f4, found 511936 bytes$/,
  },
  'bad_header.npy': {
    fails: () => openFile(bad('bad_header.npy')),
    message:
      /bad_header\.npy: expected an \.npy header dict, found unreadable text \(unexpected "garbage:/,
  },
  'huge_header_len.npy': {
    fails: () => openFile(bad('huge_header_len.npy')),
    message:
      /huge_header_len\.npy: expected an \.npy header of 65535 bytes .*, found 100 bytes in all$/,
  },
  'object_dtype.npy': {
    fails: () => openFile(bad('object_dtype.npy')),
    message:
      /object_dtype\.npy: expected a numeric dtype .*, found an object dtype \(pickled .*never unpickled\) '\|O'$/,
  },
  'complex.npy': {
    fails: () => openFile(bad('complex.npy')),
    message: /complex\.npy: expected a numeric dtype .*, found a complex dtype '<c8'$/,
  },
  'structured.npy': {
    fails: () => openFile(bad('structured.npy')),
    message:
      /structured\.npy: expected a plain numeric dtype, found a structured dtype \[\('a', '<f4'\), \('b', '<i4'\)\]$/,
  },
  'features_nan.npy': {
    fails: () =>
      loadFully(bad('features_nan.npy'), (v, row, size) =>
        assertFinite(v, row, size, 'features_nan.npy', 'features'),
      ),
    message: /^features_nan\.npy: expected finite features, found NaN at row 17$/,
  },
  'features_inf.npy': {
    fails: () =>
      loadFully(bad('features_inf.npy'), (v, row, size) =>
        assertFinite(v, row, size, 'features_inf.npy', 'features'),
      ),
    message: /^features_inf\.npy: expected finite features, found Inf at row 5$/,
  },
  'labels_short.npy': {
    fails: () => openDataset([features, bad('labels_short.npy')]),
    message:
      /labels_short\.npy: expected 8000 labels, one per row of .*features_f4\.npy, found 7997$/,
  },
  'labels_negative.npy': {
    fails: () => openDataset([features, bad('labels_negative.npy')]),
    message: /labels_negative\.npy: expected class labels ≥ 0, found -1 at row 0$/,
  },
  'labels_fractional.npy': {
    fails: () => openDataset([features, bad('labels_fractional.npy')]),
    message: /labels_fractional\.npy: expected integer class labels, found 2\.5 at row 3$/,
  },
  'labels_one_class.npy': {
    fails: () => openDataset([features, bad('labels_one_class.npy')]),
    message:
      /labels_one_class\.npy: expected at least 2 classes .*, found a single class \(0\) in 8000 labels$/,
  },
  'weight_wrong_dim.npy': {
    fails: () => openDataset([features, labels, bad('weight_wrong_dim.npy')]),
    message:
      /weight_wrong_dim\.npy: expected classifier weight C×32 or 32×C to match the features' width D=32, found 10×31$/,
  },
  'bundle_corrupt.npz': {
    fails: () => openFile(bad('bundle_corrupt.npz')),
    message: /bundle_corrupt\.npz: expected a zip archive \(\.npz\), found no central directory/,
  },
  'bundle_crc.npz': {
    fails: () => loadFully(bad('bundle_crc.npz')),
    message:
      /bundle_crc\.npz:features\.npy: expected a valid deflate stream, found corrupt data \(invalid distance too far back\)$/,
  },
  'bundle_traversal.npz': {
    fails: () => openFile(bad('bundle_traversal.npz')),
    message:
      /bundle_traversal\.npz: expected entry names inside the archive, found entry '\.\.\/\.\.\/evil\.npy'$/,
  },
  'bundle_bomb.npz': {
    fails: () => openFile(bad('bundle_bomb.npz')),
    message:
      /bundle_bomb\.npz:features\.npy: expected 3276800000 bytes of data for shape \(200000, 4096\) <f4, found 50000000 bytes$/,
  },
  'not_tensor.pb': {
    fails: () => openFile(bad('not_tensor.pb')),
    message:
      /not_tensor\.pb: expected a TensorProto of FLOAT, .*, found data type 0 \(UNDEFINED\)$/,
  },
  'external_traversal.pb': {
    fails: () => openFile(bad('external_traversal.pb')),
    message:
      /external_traversal\.pb: expected external data inside the tensor file's folder, found location '\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd'$/,
  },
};

describe('every file in fixtures/formats/bad fails with a clear one-line message', () => {
  it('the table covers every bad fixture', () => {
    expect(Object.keys(CASES).sort()).toEqual(readdirSync(`${FORMATS}/bad`).sort());
  });

  for (const [file, c] of Object.entries(CASES)) {
    it(file, async () => {
      expect(await failure(c.fails())).toMatch(c.message);
    });
  }

  it('an ONNX model given as an activation file points to --model', async () => {
    const model = fixture('../mnist-mlp/mnist_small.onnx');
    expect(await failure(openFile(model))).toMatch(
      /mnist_small\.onnx: expected a \.npy, \.npz, ONNX TensorProto \(\.pb\), \.safetensors or PyTorch \(\.pt\) file, found an ONNX model \(give models with --model\)$/,
    );
  });

  it('the zip bomb is refused fast and without allocating its claimed size', async () => {
    const before = process.memoryUsage();
    const t0 = performance.now();
    await failure(loadFully(bad('bundle_bomb.npz')));
    const after = process.memoryUsage();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 << 20);
    expect(after.rss - before.rss).toBeLessThan(256 << 20);
  });
});
