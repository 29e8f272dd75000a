import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNcLensError, type NcLensError } from '../../shared/errors.ts';
import type { Progress } from '../../shared/schema.ts';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openDataset, openFile } from '../../main/io/index.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { memoryArray } from '../../main/io/memory.ts';
import type { ArraySource } from '../../main/io/types.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { planInput } from '../../main/onnx/feed.ts';
import { inspectModel, openModelDataset, type ModelDatasetOptions } from '../../main/onnx/index.ts';
import { onnx } from '../../main/onnx/model.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/mnist-mlp');
const MODEL = join(FIXTURES, 'mnist_small.onnx');
const INPUTS = join(FIXTURES, 'mnist_small_test_inputs.npy');
const LABELS = join(FIXTURES, 'mnist_small_test_input_labels.npy');
const NPZ = join(FIXTURES, 'mnist_small_epoch080.npz');

let tmp: string;
let expected: Record<string, { shape: number[]; data: Float64Array }>;

async function readAll(a: ArraySource): Promise<Float64Array> {
  return a.readRows(0, a.rows);
}

/** The fixture model decoded, changed by `edit`, written under the temp dir. */
async function editedModel(
  name: string,
  edit: (m: InstanceType<typeof onnx.ModelProto>) => void,
): Promise<string> {
  const proto = onnx.ModelProto.decode(await readFile(MODEL));
  edit(proto);
  const file = join(tmp, name);
  await writeFile(file, onnx.ModelProto.encode(proto).finish());
  return file;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function failure(p: Promise<unknown>): Promise<NcLensError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw new Error(`expected an NcLensError, got ${String(e)}`);
  return e;
}

function fixtureOptions(model = MODEL): ModelDatasetOptions {
  return { model, inputs: INPUTS, labels: LABELS };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nc-lens-onnx-test-'));
  const npz = await openFile(NPZ);
  expected = {};
  for (const a of npz.arrays) expected[a.name] = { shape: a.shape, data: await readAll(a) };
  await npz.close();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('inspectModel', () => {
  it('lists inputs, outputs, initializers and finds the Gemm classifier with W and b', async () => {
    const info = await inspectModel(MODEL);
    expect(info.inputs).toEqual([{ name: 'input', shape: ['n', 784], type: 'float32' }]);
    expect(info.outputs.map((o) => o.name)).toEqual(['logits', 'features']);
    expect(info.initializers.find((t) => t.name === 'fc.weight')).toEqual({
      name: 'fc.weight',
      shape: [10, 32],
      type: 'float32',
    });
    const c = info.classifier!;
    expect(c).toMatchObject({ op: 'Gemm', featuresTensor: 'features', logitsTensor: 'logits' });
    expect([c.weight.rows, c.weight.cols]).toEqual(expected.weight.shape);
    expect(maxAbsDiff(c.weight.data, expected.weight.data)).toBe(0);
    expect(maxAbsDiff(c.bias!, expected.bias.data)).toBe(0);
    expect(info.candidates).toContain('/body/body.3/Gemm_output_0');
    expect(info.candidates.at(-2)).toBe('features');
  });

  it('finds a MatMul + Add classifier whose weight comes through a Transpose node', async () => {
    const file = await editedModel('matmul.onnx', (m) => {
      const g = m.graph!;
      const gemm = g.node!.findIndex((n) => n.name === '/fc/Gemm');
      g.node!.splice(
        gemm,
        1,
        { opType: 'Transpose', input: ['fc.weight'], output: ['wT'], name: 'T' },
        { opType: 'MatMul', input: ['features', 'wT'], output: ['mm'], name: 'fc_mm' },
        { opType: 'Add', input: ['mm', 'fc.bias'], output: ['z'], name: 'fc_add' },
        { opType: 'Softmax', input: ['z'], output: ['logits'], name: 'sm' },
      );
    });
    const c = (await inspectModel(file)).classifier!;
    expect(c).toMatchObject({ op: 'MatMul+Add', node: 'fc_mm', featuresTensor: 'features' });
    expect(c.logitsTensor).toBe('z');
    expect(maxAbsDiff(c.weight.data, expected.weight.data)).toBe(0);
    expect(maxAbsDiff(c.bias!, expected.bias.data)).toBe(0);
  });
});

describe('openModelDataset', () => {
  it('extracts features and logits equal to the dump, with W, b and labels', async () => {
    const progress: Progress[] = [];
    const { dataset, info, close } = await openModelDataset({
      ...fixtureOptions(),
      onProgress: (p) => progress.push(p),
    });
    try {
      expect(info.classifier?.featuresTensor).toBe('features');
      expect(dataset.train.features.shape).toEqual([2000, 32]);
      expect(
        maxAbsDiff(await readAll(dataset.train.features), expected.test_features.data),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(await readAll(dataset.train.logits!), expected.test_logits.data),
      ).toBeLessThan(1e-5);
      expect(maxAbsDiff(await readAll(dataset.train.labels), expected.test_labels.data)).toBe(0);
      expect(maxAbsDiff(dataset.weight!.data, expected.weight.data)).toBe(0);
      expect(maxAbsDiff(dataset.bias!, expected.bias.data)).toBe(0);
      expect(dataset.roles).toMatchObject({ features: 'features', logits: 'logits' });
      expect(progress.at(-1)).toMatchObject({ fraction: 1, rows: 2000, totalRows: 2000 });
    } finally {
      await close();
    }
  });

  it('still finds and extracts the features when they are not a graph output', async () => {
    const file = await editedModel('no-features-output.onnx', (m) => {
      m.graph!.output = m.graph!.output!.filter((o) => o.name !== 'features');
    });
    const info = await inspectModel(file);
    expect(info.outputs.map((o) => o.name)).toEqual(['logits']);
    expect(info.classifier?.featuresTensor).toBe('features');
    expect(maxAbsDiff(info.classifier!.weight.data, expected.weight.data)).toBe(0);
    const { dataset, close } = await openModelDataset(fixtureOptions(file));
    try {
      expect(
        maxAbsDiff(await readAll(dataset.train.features), expected.test_features.data),
      ).toBeLessThan(1e-5);
      expect(maxAbsDiff(dataset.bias!, expected.bias.data)).toBe(0);
    } finally {
      await close();
    }
    // The file on disk was only read.
    const again = onnx.ModelProto.decode(await readFile(file));
    expect(again.graph!.output!.map((o) => o.name)).toEqual(['logits']);
  });

  it('runs a test split and a user-picked tensor (then without W and b)', async () => {
    const { dataset, close } = await openModelDataset({
      ...fixtureOptions(),
      testInputs: INPUTS,
      testLabels: LABELS,
      featuresTensor: '/body/body.3/Gemm_output_0',
    });
    try {
      expect(dataset.test?.features.shape).toEqual([2000, 32]);
      expect(dataset.weight).toBeUndefined();
      expect(dataset.warnings.join(' ')).toMatch(/W and b of '\/fc\/Gemm' not used/);
      expect(
        maxAbsDiff(await readAll(dataset.test!.logits!), expected.test_logits.data),
      ).toBeLessThan(1e-5);
    } finally {
      await close();
    }
  });

  it('streams large results through temporary .npy files, removed on close', async () => {
    const tempDirs = async () =>
      (await readdir(tmpdir())).filter((n) => /^nc-lens-onnx-(?!test)/.test(n)).length;
    const before = await tempDirs();
    const { dataset, close } = await openModelDataset({ ...fixtureOptions(), memoryLimitBytes: 0 });
    expect(await tempDirs()).toBe(before + 1);
    expect(
      maxAbsDiff(await readAll(dataset.train.features), expected.test_features.data),
    ).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(
        await dataset.train.logits!.readRows(1990, 2000),
        expected.test_logits.data.subarray(19900),
      ),
    ).toBeLessThan(1e-5);
    await close();
    expect(await tempDirs()).toBe(before);
  });

  it('pads the last batch of a model with a fixed batch size', async () => {
    const file = await editedModel('fixed-batch.onnx', (m) => {
      const dim = m.graph!.input![0].type!.tensorType!.shape!.dim![0];
      dim.dimParam = '';
      dim.dimValue = 64;
    });
    expect((await inspectModel(file)).inputs[0].shape).toEqual([64, 784]);
    const { dataset, close } = await openModelDataset(fixtureOptions(file));
    try {
      expect(
        maxAbsDiff(await readAll(dataset.train.features), expected.test_features.data),
      ).toBeLessThan(1e-5);
    } finally {
      await close();
    }
  });
});

describe('clear errors', () => {
  it('a model with no classifier lists candidate tensors', async () => {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ version: 13 }],
      graph: {
        name: 'no-classifier',
        input: [valueInfo('x', ['n', 4])],
        output: [valueInfo('y', ['n', 4])],
        node: [
          { opType: 'Relu', input: ['x'], output: ['h'] },
          { opType: 'Identity', input: ['h'], output: ['y'] },
        ],
      },
    });
    const file = join(tmp, 'no-classifier.onnx');
    await writeFile(file, onnx.ModelProto.encode(model).finish());
    expect((await inspectModel(file)).classifier).toBeNull();
    const e = await failure(openModelDataset(fixtureOptions(file)));
    expect(e.code).toBe('bad-input');
    expect(e.message).toBe(
      `${file}: expected a final Gemm or MatMul(+Add) classifier feeding an output; pick a features tensor among 'y', 'h', found none`,
    );
  });

  it('inputs of the wrong shape name the input and what it expects', async () => {
    const bad = join(tmp, 'wrong-shape.npy');
    await writeFile(bad, encodeNpy(new Float32Array(10 * 700), [10, 700]));
    const labels = join(tmp, 'ten-labels.npy');
    await writeFile(
      labels,
      encodeNpy(
        Int32Array.from({ length: 10 }, (_, i) => i),
        [10],
      ),
    );
    const e = await failure(openModelDataset({ model: MODEL, inputs: bad, labels }));
    expect(e.message).toBe(
      `${bad}: expected input 'input' of shape n×784 (float32), found 10×700 (f4)`,
    );
  });

  it('float inputs for an integer input are refused; a flat file fits a fixed 1×28×28 input', () => {
    const floats = memoryArray('x', [3, 4], new Float32Array(12), 'f4', 'x.npy');
    const int64 = [{ name: 'ids', shape: ['n', 4], type: 'int64' }];
    expect(() => planInput('m.onnx', int64, floats)).toThrow(
      "x.npy: expected input 'ids' of shape n×4 (int64), found 3×4 (f4)",
    );
    const image = [{ name: 'img', shape: ['n', 1, 2, 2], type: 'float32' }];
    const plan = planInput('m.onnx', image, floats);
    expect(plan.rowShape).toEqual([1, 2, 2]);
    expect(plan.warnings).toEqual(['x.npy: rows of 4 reshaped to 1×2×2']);
  });

  it('an op onnxruntime does not know is one line naming it', async () => {
    const file = await editedModel('fancy-op.onnx', (m) => {
      m.graph!.node!.find((n) => n.opType === 'Relu')!.opType = 'FancyRelu';
    });
    const e = await failure(openModelDataset(fixtureOptions(file)));
    expect(e.message).toBe(
      `${file}: expected ops onnxruntime (CPU) supports, found FancyRelu (opset 13)`,
    );
  });

  it('external data is read inside the model folder and refused outside it', async () => {
    const dir = join(tmp, 'external');
    await mkdir(dir, { recursive: true });
    const external = (location: string) => async (m: InstanceType<typeof onnx.ModelProto>) => {
      const w = m.graph!.initializer!.find((t) => t.name === 'fc.weight')!;
      await writeFile(join(tmp, 'w.bin'), w.rawData!);
      await writeFile(join(dir, 'w.bin'), w.rawData!);
      w.rawData = new Uint8Array(0);
      w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      w.externalData = [{ key: 'location', value: location }];
    };
    const write = async (name: string, location: string) => {
      const proto = onnx.ModelProto.decode(await readFile(MODEL));
      await external(location)(proto);
      const file = join(dir, name);
      await writeFile(file, onnx.ModelProto.encode(proto).finish());
      return file;
    };
    const inside = await write('inside.onnx', 'w.bin');
    const c = (await inspectModel(inside)).classifier!;
    expect(maxAbsDiff(c.weight.data, expected.weight.data)).toBe(0);
    const { dataset, close } = await openModelDataset(fixtureOptions(inside));
    expect(
      maxAbsDiff(await readAll(dataset.train.logits!), expected.test_logits.data),
    ).toBeLessThan(1e-5);
    await close();
    const outside = await write('outside.onnx', '../w.bin');
    const e = await failure(inspectModel(outside));
    expect(e.message).toBe(
      `${outside}: expected external data for 'fc.weight' inside the model's folder, found '../w.bin'`,
    );
  });
});

function valueInfo(name: string, shape: (string | number)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

describe('with the engine', () => {
  it('metrics of the extracted dataset match those of the dump within 1e-6', async () => {
    const dump = await openDataset([NPZ], {
      features: 'test_features',
      labels: 'test_labels',
      logits: 'test_logits',
    });
    const model = await openModelDataset(fixtureOptions());
    try {
      const fromDump = await analyzeDataset(dump.dataset, { threads: 1 });
      const fromModel = await analyzeDataset(model.dataset, { threads: 1 });
      const a = numbers(withoutRunInfo(fromModel));
      const b = numbers(withoutRunInfo(fromDump));
      expect(a.length).toBe(b.length);
      expect(a.length).toBeGreaterThan(100);
      const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))));
      expect(worst).toBeLessThan(1e-6);
      expect(fromModel.nc4.classifier_accuracy).toBeCloseTo(0.969, 3);
    } finally {
      await model.close();
      await dump.close();
    }
  });
});

/** The metrics alone: no timing, input list or warnings. */
function withoutRunInfo(r: MetricsResult): unknown {
  const { engine: _e, inputs: _i, warnings: _w, ...metrics } = r;
  return metrics;
}

/** Every number in a JSON value, in a fixed order (nulls as NaN so they must match too). */
function numbers(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (v === null) return [NaN];
  if (Array.isArray(v)) return v.flatMap(numbers);
  if (typeof v === 'object')
    return Object.keys(v as object)
      .sort()
      .flatMap((k) => numbers((v as Record<string, unknown>)[k]));
  return [];
}

describe('labels', () => {
  it('a labels file of the wrong length fails before the model runs', async () => {
    const labels = join(tmp, 'short-labels.npy');
    await writeFile(
      labels,
      encodeNpy(
        Int32Array.from({ length: 1999 }, (_, i) => i % 10),
        [1999],
      ),
    );
    const progress: Progress[] = [];
    const e = await failure(
      openModelDataset({ ...fixtureOptions(), labels, onProgress: (p) => progress.push(p) }),
    );
    expect(e.message).toBe(
      `${labels}: expected 2000 labels (one per row of ${INPUTS}), found 1999`,
    );
    expect(progress).toEqual([]);
  });
});
