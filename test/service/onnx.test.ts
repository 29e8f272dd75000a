/**
 * ONNX models in the service: a model opened with its inputs and labels is analysed by running
 * it (real onnxruntime), giving what `nc-lens analyze --model` gives on the same files.
 */
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import type { MetricsResult, Progress } from '../../shared/schema.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { openFile } from '../../main/io/index.ts';
import { memoryArray } from '../../main/io/memory.ts';
import { guessModelRoles, openModel } from '../../main/service/model.ts';
import { encodeNpy, writeNpz } from '../../main/io/write-npz.ts';
import { rejection } from './rejection.ts';
import { writeNoClassifierModel } from '../onnx/models.ts';
import { MNIST } from '../fixtures.ts';

const MODEL = `${MNIST}/mnist_small.onnx`;
const INPUTS = `${MNIST}/mnist_small_test_inputs.npy`;
const LABELS = `${MNIST}/mnist_small_test_input_labels.npy`;

let tmp: string;
let cliNc1: number;

/** `nc-lens analyze --model` on the fixture, from the TypeScript source. */
async function cliResult(args: string[]): Promise<MetricsResult> {
  const { code, stdout, stderr } = await runCli(['analyze', ...args]);
  if (code !== 0) throw new Error(`nc-lens analyze exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as MetricsResult;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nc-lens-service-onnx-'));
  const r = await cliResult([
    '--model',
    MODEL,
    '--inputs',
    INPUTS,
    '--labels',
    LABELS,
    '--json',
    '-',
  ]);
  cliNc1 = r.nc1!;
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('AnalysisService: an ONNX model with its inputs and labels', () => {
  it('lists what the model offers and guesses the inputs and labels', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const state = await s.open([{ path: MODEL }, { path: INPUTS }, { path: LABELS }]);
      const [model, inputs, labels] = state.files;
      expect(model.format).toBe('onnx-model');
      expect(model.arrays).toEqual([]);
      expect(model.model).toMatchObject({
        inputs: [{ name: 'input', shape: ['n', 784], type: 'float32' }],
        classifier: {
          node: '/fc/Gemm',
          op: 'Gemm',
          weightShape: [10, 32],
          hasBias: true,
          featuresTensor: 'features',
          logitsTensor: 'logits',
        },
        featuresTensor: 'features',
      });
      expect(model.model!.candidates).toContain('features');
      // Test-named files, but the only split there is: the training split.
      expect(inputs.arrays[0].role).toBe('inputs');
      expect(labels.arrays[0].role).toBe('labels');
    } finally {
      await s.dispose();
    }
  });

  it('makes inputs of the files opened before the model', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const before = await s.open([{ path: INPUTS }, { path: LABELS }]);
      // The only split there is: its test-named labels label the features.
      expect(before.files.map((f) => f.arrays[0].role)).toEqual(['features', 'labels']);
      const after = await s.open([{ path: MODEL }], { add: true });
      expect(after.files.slice(0, 2).map((f) => f.arrays[0].role)).toEqual(['inputs', 'labels']);
      const r = (await s.analyze()).result as MetricsResult;
      expect(Math.abs(r.nc1! - cliNc1)).toBeLessThanOrEqual(1e-9 * Math.max(1, cliNc1));
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('guesses a test split from names, and its labels by length', async () => {
    const { model } = await openModel(MODEL);
    const x = (name: string, n: number) =>
      memoryArray(name, [n, 784], new Float32Array(n * 784), 'f4');
    const y = (name: string, n: number) => memoryArray(name, [n], new Float64Array(n), 'i8');
    const arrays = [x('x_test', 50), y('y_test', 50), x('x_train', 100), y('y_train', 100)];
    const roles = guessModelRoles(MODEL, model, arrays);
    expect(arrays.map((a) => roles.get(a))).toEqual([
      'test_inputs',
      'test_labels',
      'inputs',
      'labels',
    ]);
  });

  it('gives the NC1 of nc-lens analyze --model, reporting the model run as progress', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      await s.open([{ path: MODEL }, { path: INPUTS }, { path: LABELS }]);
      const phases = new Set<string>();
      const state = await s.analyze((p: Progress) => phases.add(p.phase));
      const r = state.result as MetricsResult;
      expect(r.n).toBe(2000);
      expect(r.d).toBe(32);
      expect(r.c).toBe(10);
      expect(Math.abs(r.nc1! - cliNc1)).toBeLessThanOrEqual(1e-9 * Math.max(1, cliNc1));
      expect(r.nc3?.self_duality).not.toBeNull();
      expect(phases).toContain('running the model');
      // A centring change reuses the model's output: only the engine runs again.
      await s.setCentering('samples');
      const again = new Set<string>();
      const r2 = (await s.analyze((p: Progress) => again.add(p.phase))).result as MetricsResult;
      expect(again.size).toBeGreaterThan(0);
      expect(again).not.toContain('running the model');
      expect(r2.settings.centering).toBe('samples');
      expect(r2.n).toBe(2000);
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('takes the inputs and labels from one .npz, by array name', async () => {
    const npz = join(tmp, 'batch.npz');
    const [x, y] = await Promise.all([openFile(INPUTS), openFile(LABELS)]);
    const xs = await x.arrays[0].readRows(0, x.arrays[0].rows);
    const ys = await y.arrays[0].readRows(0, y.arrays[0].rows);
    await Promise.all([x.close(), y.close()]);
    await writeNpz(npz, {
      images: { data: Float32Array.from(xs), shape: [2000, 784] },
      targets: { data: BigInt64Array.from(ys, (v) => BigInt(v)), shape: [2000] },
    });
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const opened = await s.open([{ path: MODEL }, { path: npz }]);
      const roles = Object.fromEntries(opened.files[1].arrays.map((a) => [a.name, a.role]));
      expect(roles).toEqual({ images: 'inputs', targets: 'labels' });
      const r = (await s.analyze()).result as MetricsResult;
      expect(Math.abs(r.nc1! - cliNc1)).toBeLessThanOrEqual(1e-9 * Math.max(1, cliNc1));
      // The bundle's members are read in place: no copy of them as .npy files (the run is
      // still held by the service here, so a copy would still exist).
      expect((await readdir(tmpdir())).filter((n) => n.startsWith('nc-lens-model-'))).toEqual([]);
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('analyses another features tensor picked by name, with the classifier left out', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const opened = await s.open([{ path: MODEL }, { path: INPUTS }, { path: LABELS }]);
      const id = opened.files[0].id;
      const tensor = '/body/body.2/Relu_output_0';
      const state = await s.setRole(`${id}:${tensor}`, 'features');
      expect(state.files[0].model?.featuresTensor).toBe(tensor);
      const r = (await s.analyze()).result as MetricsResult;
      expect(r.d).toBe(256);
      expect(r.warnings.join(' ')).toContain("W and b of '/fc/Gemm' not used");
      const bad = await rejection(s.setRole(`${id}:no-such-tensor`, 'features'));
      expect(bad.message).toContain('mnist_small.onnx');
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('cancels while the model runs and keeps the earlier result', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const opened = await s.open([{ path: MODEL }, { path: INPUTS }, { path: LABELS }]);
      const first = (await s.analyze()).result;
      // Another features tensor: the model has to run again.
      await s.setRole(`${opened.files[0].id}:/body/body.2/Relu_output_0`, 'features');
      const e = await rejection(
        s.analyze((p) => {
          if (p.phase === 'running the model') void s.cancel();
        }),
      );
      expect(e.code).toBe('cancelled');
      expect((await s.state()).result).toBe(first);
    } finally {
      await s.dispose();
    }
  }, 60_000);
});

describe('AnalysisService: a model with no linear classifier', () => {
  it('opens it, asks for a features tensor, then gives the NC1 of nc-lens analyze --features-tensor', async () => {
    const file = writeNoClassifierModel(tmp);
    const cli = await cliResult([
      '--model',
      file,
      '--inputs',
      INPUTS,
      '--labels',
      LABELS,
      '--features-tensor',
      'y',
      '--json',
      '-',
    ]);
    const s = new AnalysisService({ shell: 'browser' });
    try {
      await s.open([{ path: `${MNIST}/mnist_small_epoch080.npz` }]);
      const before = (await s.analyze()).result;
      const opened = await s.open([{ path: file }, { path: INPUTS }, { path: LABELS }], {
        add: true,
      });
      const model = opened.files[1];
      expect(opened.files[0].ignored).toBe(
        'its features come from running the model relu_only.onnx',
      );
      expect(model.model).toMatchObject({
        classifier: null,
        candidates: ['y'],
        featuresTensor: null,
      });
      expect(opened.files[2].arrays[0].role).toBe('inputs');
      const e = await rejection(s.analyze());
      expect(e.code).toBe('bad-input');
      expect(e.message).toBe(
        "relu_only.onnx: expected a features tensor to be picked (no linear classifier found; nearest the output: 'y'), found none",
      );
      expect((await s.state()).result).toBe(before);
      await s.closeFile(opened.files[0].id);
      const picked = await s.setRole(`${model.id}:y`, 'features');
      expect(picked.files[0].model?.featuresTensor).toBe('y');
      const r = (await s.analyze()).result as MetricsResult;
      expect(r.d).toBe(784);
      expect(Math.abs(r.nc1! - cli.nc1!)).toBeLessThanOrEqual(1e-9 * Math.max(1, cli.nc1!));
      expect(r.nc3.self_duality).toBeNull();
      expect(r.nc4.classifier_accuracy).toBeNull();
      expect(r.nc4.ncc_accuracy).not.toBeNull();
    } finally {
      await s.dispose();
    }
  }, 120_000);
});

describe('AnalysisService: models that cannot be used', () => {
  it('names the inputs file whose shape the model rejects', async () => {
    const wrong = join(tmp, 'wrong_inputs.npy');
    await writeFile(wrong, encodeNpy(new Float32Array(2000 * 700), [2000, 700]));
    const s = new AnalysisService({ shell: 'browser' });
    try {
      const opened = await s.open([{ path: MODEL }, { path: wrong }, { path: LABELS }]);
      const e1 = await rejection(s.analyze());
      expect(e1.message).toMatch(/^mnist_small\.onnx: expected an inputs file the model takes/);
      await s.setRole(opened.files[1].arrays[0].id, 'inputs');
      await s.setRole(opened.files[2].arrays[0].id, 'labels');
      const e2 = await rejection(s.analyze());
      expect(e2.message).toBe(
        "wrong_inputs.npy: expected input 'input' of shape n×784 (float32), found 2000×700 (f4)",
      );
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('takes one model at a time', async () => {
    const s = new AnalysisService({ shell: 'browser' });
    try {
      await s.open([{ path: MODEL }]);
      // The same file again is listed once; another model is refused.
      expect((await s.open([{ path: MODEL }], { add: true })).files).toHaveLength(1);
      const other = join(tmp, 'other.onnx');
      await copyFile(MODEL, other);
      const e = await rejection(s.open([{ path: other }], { add: true }));
      expect(e.message).toContain('one model at a time (close mnist_small.onnx first)');
    } finally {
      await s.dispose();
    }
  });
});
