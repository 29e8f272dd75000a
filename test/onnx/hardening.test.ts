/**
 * Issue 12, ONNX models: one test per defect found by mutating the fixture model, each named
 * after it. A tiny model must not cost gigabytes or hang, and every bad model is a one-line
 * bad-input error naming it.
 */
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  closeSync,
  rmSync,
  writeSync,
  readFileSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { openFile } from '../../main/io/index.ts';
import { inspectModel, openModelDataset } from '../../main/onnx/index.ts';
import { onnx } from '../../main/onnx/model.ts';
import { MNIST } from '../fixtures.ts';

type Model = InstanceType<typeof onnx.ModelProto>;

const tmp = mkdtempSync(join(tmpdir(), 'nc-lens-onnx-hardening-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MODEL = join(MNIST, 'mnist_small.onnx');

function edited(name: string, edit: (m: Model) => void): string {
  const m = onnx.ModelProto.decode(readFileSync(MODEL));
  edit(m);
  const file = join(tmp, name);
  writeFileSync(file, onnx.ModelProto.encode(m).finish());
  return file;
}

const initializer = (m: Model, name: string) => m.graph!.initializer!.find((t) => t.name === name)!;

async function badMessage(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw e ?? new Error('expected a failure');
  expect(e.code).toBe('bad-input');
  expect(e.message).not.toContain('\n');
  return e.message;
}

/** The largest growth of ArrayBuffer memory while `work` runs (sampled every millisecond). */
async function arrayBufferGrowth(work: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  }, 1);
  try {
    await work().catch(() => undefined);
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers - before);
}

describe('tiny models that cost gigabytes or hang', () => {
  it('an initializer declared 20000×20000 with no data is refused before anything is allocated', async () => {
    const file = edited('declared_20000x20000.onnx', (m) => {
      const t = initializer(m, 'fc.weight');
      t.dims = [20000, 20000];
      t.rawData = new Uint8Array();
    });
    let msg = '';
    const growth = await arrayBufferGrowth(async () => {
      msg = await badMessage(inspectModel(file));
    });
    expect(msg).toMatch(
      /declared_20000x20000\.onnx: expected 400000000 values for initializer 'fc\.weight' \(dims \[20000, 20000\], float32\), found 0 typed values$/,
    );
    expect(growth).toBeLessThan(64 << 20);
  });

  it('external data: only the tensor’s own byte range is read, from a file over 2 GiB', async () => {
    const offset = 2.5 * 1024 ** 3;
    const original = onnx.ModelProto.decode(readFileSync(MODEL));
    const weight = initializer(original, 'fc.weight').rawData!;
    const dir = mkdtempSync(join(tmp, 'big-'));
    const bin = join(dir, 'weights.bin');
    const fd = openSync(bin, 'w');
    ftruncateSync(fd, 3 * 1024 ** 3); // sparse: costs no disk
    writeSync(fd, weight, 0, weight.length, offset);
    closeSync(fd);
    const m = onnx.ModelProto.decode(readFileSync(MODEL));
    const t = initializer(m, 'fc.weight');
    t.rawData = new Uint8Array();
    t.dataLocation = 1;
    t.externalData = [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(weight.length) },
    ];
    const file = join(dir, 'external.onnx');
    writeFileSync(file, onnx.ModelProto.encode(m).finish());
    let info: Awaited<ReturnType<typeof inspectModel>> | undefined;
    const growth = await arrayBufferGrowth(async () => {
      info = await inspectModel(file);
    });
    expect(growth).toBeLessThan(64 << 20);
    const w = info!.classifier!.weight;
    expect([w.rows, w.cols]).toEqual([10, 32]);
    const expected = new Float32Array(
      weight.buffer.slice(weight.byteOffset, weight.byteOffset + weight.length),
    );
    expect([...w.data.subarray(0, 5)]).toEqual([...expected.subarray(0, 5)].map(Number));
  });

  it('external data in a FIFO or a folder is refused at once (no hang, no EISDIR)', async () => {
    const dir = mkdtempSync(join(tmp, 'special-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    execFileSync('mkdir', [join(dir, 'folder')]);
    for (const location of ['fifo', 'folder']) {
      const m = onnx.ModelProto.decode(readFileSync(MODEL));
      const t = initializer(m, 'fc.bias');
      t.rawData = new Uint8Array();
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: location }];
      const file = join(dir, `external_${location}.onnx`);
      writeFileSync(file, onnx.ModelProto.encode(m).finish());
      expect(await badMessage(inspectModel(file))).toMatch(
        new RegExp(
          `external_${location}\\.onnx: expected external data '${location}' for 'fc\\.bias' in a regular file, found a folder or special file$`,
        ),
      );
    }
  });

  it('the classifier search through a 40-layer diamond of shape-preserving nodes is one linear walk (was a hang)', async () => {
    // After the Gemm: 40 diamonds, two Identity branches merged by a Dropout (its second
    // input is the optional ratio), every op shape-preserving; then a Relu, so no path keeps
    // the logits: a search that tries every path tries 2**40 before it says no.
    const file = edited('diamond.onnx', (m) => {
      const nodes = m.graph!.node!;
      const fc = nodes.find((n) => n.output![0] === 'logits')!;
      fc.output![0] = 'd0';
      for (let i = 0; i < 40; i++) {
        nodes.push(
          onnx.NodeProto.create({ opType: 'Identity', input: [`d${i}`], output: [`l${i}`] }),
          onnx.NodeProto.create({ opType: 'Identity', input: [`d${i}`], output: [`r${i}`] }),
          onnx.NodeProto.create({
            opType: 'Dropout',
            input: [`l${i}`, `r${i}`],
            output: [`d${i + 1}`],
          }),
        );
      }
      nodes.push(onnx.NodeProto.create({ opType: 'Relu', input: ['d40'], output: ['logits'] }));
    });
    const info = await inspectModel(file);
    expect(info.classifier).toBeNull();
    expect(info.candidates).toContain('features');
  });

  it('a graph cycle is one line naming the model (was a stack overflow, exit 1)', async () => {
    const file = edited('cycle.onnx', (m) => {
      const nodes = m.graph!.node!;
      nodes[1].input![0] = nodes[3].output![0];
    });
    expect(await badMessage(inspectModel(file))).toMatch(
      /cycle\.onnx: expected an acyclic ONNX graph, found a cycle through node '[^']+'$/,
    );
  });

  it('3 000 shape-preserving nodes after the classifier still find it (was exit 1)', async () => {
    const file = edited('long_tail.onnx', (m) => {
      const nodes = m.graph!.node!;
      const fc = nodes.find((n) => n.output![0] === 'logits')!;
      fc.output![0] = 'scores0';
      let prev = 'scores0';
      for (let i = 1; i <= 3000; i++) {
        const out = i === 3000 ? 'logits' : `scores${i}`;
        nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [prev], output: [out] }));
        prev = out;
      }
    });
    const info = await inspectModel(file);
    expect(info.classifier?.featuresTensor).toBe('features');
    expect([info.classifier?.weight.rows, info.classifier?.weight.cols]).toEqual([10, 32]);
  });

  it('a fixed batch size of 2**40 on the model input is refused before a batch is allocated (fuzz)', async () => {
    const file = edited('batch_2e40.onnx', (m) => {
      const dim = m.graph!.input![0].type!.tensorType!.shape!.dim![0];
      dim.dimParam = '';
      dim.dimValue = 2 ** 40;
    });
    const { inputs, labels } = smallInputs();
    let msg = '';
    const growth = await arrayBufferGrowth(async () => {
      msg = await badMessage(openModelDataset({ model: file, inputs, labels }));
    });
    expect(msg).toMatch(
      /batch_2e40\.onnx: expected input 'input' with a batch size of at most 8192 \(or a symbolic one\), found a fixed batch size of 1099511627776$/,
    );
    expect(growth).toBeLessThan(64 << 20);
  });
});

/** The first 64 test inputs and labels, written once. */
let small: { inputs: string; labels: string } | undefined;
function smallInputs(nanRow?: number): { inputs: string; labels: string } {
  if (small && nanRow === undefined) return small;
  const x = readFileSync(join(MNIST, 'mnist_small_test_inputs.npy'));
  const headerLength = x.readUInt16LE(8);
  const values = new Float32Array(64 * 784);
  for (let i = 0; i < values.length; i++) values[i] = x.readFloatLE(10 + headerLength + 4 * i);
  if (nanRow !== undefined) values[nanRow * 784 + 100] = NaN;
  const inputs = join(tmp, nanRow === undefined ? 'inputs.npy' : `inputs_nan_${nanRow}.npy`);
  writeFileSync(inputs, encodeNpy(values, [64, 784]));
  const labels = join(tmp, 'labels.npy');
  writeFileSync(
    labels,
    encodeNpy(
      BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 10)),
      [64],
    ),
  );
  const out = { inputs, labels };
  if (nanRow === undefined) small = out;
  return out;
}

describe('bad models that said internal error', () => {
  it('weight data shorter than its dims is one line naming the model (was: Offset is outside the bounds of the DataView)', async () => {
    const file = edited('short_weight.onnx', (m) => {
      const t = initializer(m, 'fc.weight');
      t.rawData = t.rawData!.subarray(0, 100);
    });
    expect(await badMessage(inspectModel(file))).toMatch(
      /short_weight\.onnx: expected 320 values for initializer 'fc\.weight' \(dims \[10, 32\], float32\), found 100 bytes of raw_data$/,
    );
  });

  it('weight data of the wrong data type is one line naming the model', async () => {
    const file = edited('double_weight.onnx', (m) => {
      initializer(m, 'fc.weight').dataType = 11; // DOUBLE over float32 bytes
    });
    expect(await badMessage(inspectModel(file))).toMatch(
      /double_weight\.onnx: expected 320 values for initializer 'fc\.weight' \(dims \[10, 32\], float64\), found 1280 bytes of raw_data$/,
    );
  });

  it('huge declared dims are one line naming the model (was: Invalid typed array length)', async () => {
    for (const dims of [
      [2 ** 31, 2 ** 31],
      [2 ** 40, 2 ** 20],
      [-1, 32],
    ]) {
      const file = edited('huge_dims.onnx', (m) => {
        initializer(m, 'fc.weight').dims = dims;
      });
      expect(await badMessage(inspectModel(file))).toMatch(/^\S*huge_dims\.onnx: expected /);
    }
  });

  it('NaN model inputs are blamed on the inputs file and row, not on the features tensor', async () => {
    const { inputs, labels } = smallInputs(7);
    const msg = await badMessage(openModelDataset({ model: MODEL, inputs, labels }));
    expect(msg).toMatch(/inputs_nan_7\.npy: expected finite model inputs, found NaN at row 7$/);
    expect(msg).not.toContain('features');
    // The inputs file itself is a good .npy: only its values are wrong.
    await (await openFile(inputs)).close();
  });
});
