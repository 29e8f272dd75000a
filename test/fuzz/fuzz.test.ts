/**
 * Issue 12's fuzz suite: seeded mutations of the shared format fixtures (and of the fixture
 * model), each run in-process through `inspect` and through the engine (readers → dataset →
 * analysis; for a model, the model run first). Every case must end in a valid result or a
 * bad-input NcLensError of one line naming a file of the case, within a memory budget and a
 * few seconds. Deterministic: the same seed gives the same cases; a failing case prints its
 * seed and mutation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { inspectFiles } from '../../main/cli/inspect.ts';
import { analyzeDataset } from '../../main/engine/index.ts';
import { openDataset, openFile } from '../../main/io/index.ts';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { openModelDataset } from '../../main/onnx/index.ts';
import { FORMATS, MNIST } from '../fixtures.ts';
import {
  Rng,
  generic,
  npyStructured,
  npzStructured,
  onnxStructured,
  pbStructured,
  safetensorsOf,
  safetensorsStructured,
  torchStructured,
  type Mutated,
} from './mutate.ts';

/** Another seed or more cases explore further: NC_LENS_FUZZ_SEED=7 NC_LENS_FUZZ_SCALE=5. */
const SEED = Number(process.env.NC_LENS_FUZZ_SEED ?? 0x5eed12);
const SCALE = Number(process.env.NC_LENS_FUZZ_SCALE ?? 1);
/** A case may hold this much more ArrayBuffer memory than before it (the fixtures are ~1 MB). */
const MEMORY_BUDGET = 64 << 20;
/** A guard, not a timing assertion: a case that hangs is reported instead of stalling CI. */
const CASE_TIMEOUT_MS = 8000;

type Outcome = 'valid' | 'clean' | 'other';

interface Format {
  name: string;
  cases: number;
  /** Seed files: the mutated file's name and bytes, and the files that go with it. */
  seeds: () => { name: string; bytes: Uint8Array; with: string[] }[];
  structured: (rng: Rng, bytes: Uint8Array) => Mutated;
  model?: boolean;
  /** The seeds cannot be made here (no torch for /usr/bin/python3). */
  skip?: boolean;
}

const F = (name: string) => join(FORMATS, name);

/** PyTorch seeds are written by Debian's python3-torch (as test/io/torch.test.ts does). */
const PYTHON = '/usr/bin/python3';
const hasTorch =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const TORCH_SEEDS = `
import os, sys, torch
out = sys.argv[1]
g = torch.Generator().manual_seed(12)
x = torch.randn(200, 8, generator=g)
y = torch.randint(0, 4, (200,), generator=g)
d = {"features": x, "labels": y, "fc.weight": torch.randn(4, 8, generator=g), "fc.bias": torch.randn(4, generator=g)}
torch.save(d, os.path.join(out, "bundle.pt"))
torch.save(d, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
torch.save({"features": x.t().contiguous().t(), "labels": y}, os.path.join(out, "strided.pt"))
`;
const fixture = (name: string) => new Uint8Array(readFileSync(F(name)));

let tmp: string;
let inputs: string;
let inputLabels: string;
let safetensorsSeed: Uint8Array;

function npyData(bytes: Uint8Array): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  return bytes.subarray(10 + len);
}

const FEATURES = [F('labels_i8.npy')];
const LABELS = [F('features_f4.npy')];
const CLASSIFIER = [F('features_f4.npy'), F('labels_i8.npy')];

const FORMATS_FUZZED: Format[] = [
  {
    name: 'npy',
    cases: 110,
    seeds: () => [
      { name: 'features_f4.npy', bytes: fixture('features_f4.npy'), with: FEATURES },
      { name: 'features_fortran.npy', bytes: fixture('features_fortran.npy'), with: FEATURES },
      { name: 'features_v3.npy', bytes: fixture('features_v3.npy'), with: FEATURES },
      { name: 'features_be_f4.npy', bytes: fixture('features_be_f4.npy'), with: FEATURES },
      { name: 'features_f2.npy', bytes: fixture('features_f2.npy'), with: FEATURES },
      { name: 'labels_i8.npy', bytes: fixture('labels_i8.npy'), with: LABELS },
      { name: 'labels_u1.npy', bytes: fixture('labels_u1.npy'), with: LABELS },
      { name: 'weight.npy', bytes: fixture('weight.npy'), with: CLASSIFIER },
      { name: 'bias.npy', bytes: fixture('bias.npy'), with: [...CLASSIFIER, F('weight.npy')] },
      { name: 'logits.npy', bytes: fixture('logits.npy'), with: CLASSIFIER },
    ],
    structured: npyStructured,
  },
  {
    name: 'npz',
    cases: 80,
    seeds: () =>
      [
        'bundle_stored.npz',
        'bundle_deflate.npz',
        'bundle_zip64.npz',
        'bundle_layers.npz',
        'bundle_torchnames.npz',
      ].map((name) => ({ name, bytes: fixture(name), with: [] })),
    structured: npzStructured,
  },
  {
    name: 'safetensors',
    cases: 60,
    seeds: () => [{ name: 'bundle.safetensors', bytes: safetensorsSeed, with: [] }],
    structured: safetensorsStructured,
  },
  {
    name: 'onnx-tensor (.pb)',
    cases: 70,
    seeds: () => [
      { name: 'features.pb', bytes: fixture('features.pb'), with: [F('labels.pb')] },
      { name: 'features_f16.pb', bytes: fixture('features_f16.pb'), with: [F('labels.pb')] },
      { name: 'labels.pb', bytes: fixture('labels.pb'), with: [F('features.pb')] },
      { name: 'weight.pb', bytes: fixture('weight.pb'), with: [F('features.pb'), F('labels.pb')] },
      {
        name: 'bias.pb',
        bytes: fixture('bias.pb'),
        with: [F('features.pb'), F('labels.pb'), F('weight.pb')],
      },
    ],
    structured: pbStructured,
  },
  {
    name: 'pytorch (.pt)',
    cases: 60,
    seeds: () =>
      ['bundle.pt', 'legacy.pt', 'strided.pt'].map((name) => ({
        name,
        bytes: new Uint8Array(readFileSync(join(tmp, 'torch', name))),
        with: [],
      })),
    structured: torchStructured,
    skip: !hasTorch,
  },
  {
    name: 'onnx model (.onnx)',
    cases: 60,
    seeds: () => [
      {
        name: 'model.onnx',
        bytes: new Uint8Array(readFileSync(join(MNIST, 'mnist_small.onnx'))),
        with: [],
      },
    ],
    structured: onnxStructured,
    model: true,
  },
];

interface Record {
  format: string;
  index: number;
  what: string;
  outcome: Outcome;
  detail: string;
}

const records: Record[] = [];

/** The largest arrayBuffers seen while `work` runs, sampled on every turn of the event loop. */
async function measured<T>(work: () => Promise<T>): Promise<{ peak: number; value: T }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  };
  const timer = setInterval(sample, 1);
  try {
    const value = await work();
    sample();
    return { peak, value };
  } finally {
    clearInterval(timer);
  }
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([work, guard]).finally(() => clearTimeout(timer));
}

/** valid, clean (one-line bad input naming a file of the case), or other with why. */
function classify(e: unknown, files: string[]): { outcome: Outcome; detail: string } {
  if (e === undefined) return { outcome: 'valid', detail: '' };
  if (!isNcLensError(e)) {
    const err = e as Error;
    return { outcome: 'other', detail: `${err?.name}: ${String(err?.stack ?? e).slice(0, 600)}` };
  }
  const m = e.message;
  if (e.code !== 'bad-input') return { outcome: 'other', detail: `code ${e.code}: ${m}` };
  if (m.includes('\n')) return { outcome: 'other', detail: `several lines: ${m.slice(0, 300)}` };
  if (m.length > 1000)
    return { outcome: 'other', detail: `${m.length} characters: ${m.slice(0, 300)}` };
  if (/internal error|\s+at \S+:\d+/.test(m)) return { outcome: 'other', detail: m };
  if (!files.some((f) => m.includes(basename(f)))) {
    return { outcome: 'other', detail: `names no file of the case: ${m}` };
  }
  return { outcome: 'clean', detail: m };
}

async function settle(p: () => Promise<unknown>): Promise<unknown> {
  try {
    await p();
    return undefined;
  } catch (e) {
    return e ?? new Error('rejected with nothing');
  }
}

async function runCase(format: Format, index: number): Promise<Record> {
  const rng = new Rng(SEED + 7919 * FORMATS_FUZZED.indexOf(format) + 104729 * index);
  const seeds = format.seeds();
  const seed = seeds[index % seeds.length];
  const m = rng.chance(0.4) ? generic(rng, seed.bytes) : format.structured(rng, seed.bytes);
  const dir = join(tmp, `${format.name.split(' ')[0]}-${index}`);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'data.bin'), new Uint8Array(64));
  const file = join(dir, seed.name);
  writeFileSync(file, m.bytes);
  const files = [file, ...seed.with, ...(format.model ? [inputs, inputLabels] : [])];
  const what = `${format.name} #${index} (${seed.name}: ${m.what})`;

  let worst: { outcome: Outcome; detail: string } = { outcome: 'valid', detail: '' };
  const note = (r: { outcome: Outcome; detail: string }, step: string) => {
    const rank = { valid: 0, clean: 1, other: 2 };
    if (rank[r.outcome] > rank[worst.outcome]) worst = { ...r, detail: `${step}: ${r.detail}` };
  };
  for (const [step, work] of [
    ['inspect', () => inspectFiles([file])],
    [
      'engine',
      format.model
        ? async () => {
            const md = await openModelDataset({ model: file, inputs, labels: inputLabels });
            try {
              await analyzeDataset(md.dataset);
            } finally {
              await md.close();
            }
          }
        : async () => {
            const opened = await openDataset([file, ...seed.with]);
            try {
              await analyzeDataset(opened.dataset);
            } finally {
              await opened.close();
            }
          },
    ],
  ] as const) {
    const { peak, value: e } = await measured(() =>
      withTimeout(settle(work), `${what} ${step}`),
    ).catch((err: unknown) => ({ peak: 0, value: err }));
    note(classify(e, files), step);
    if (peak > MEMORY_BUDGET) {
      note({ outcome: 'other', detail: `ArrayBuffers grew by ${peak >> 20} MiB` }, step);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { format: format.name, index, what, ...worst };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'nc-lens-fuzz-'));
  // The safetensors seed: the fixture's features, labels, weight and bias in one file.
  const features = npyData(fixture('features_f4.npy'));
  const labels = npyData(fixture('labels_i8.npy'));
  safetensorsSeed = safetensorsOf({
    features: { dtype: 'F32', shape: [8000, 32], data: features },
    labels: { dtype: 'I64', shape: [8000], data: labels },
    weight: { dtype: 'F32', shape: [10, 32], data: npyData(fixture('weight.npy')) },
    bias: { dtype: 'F32', shape: [10], data: npyData(fixture('bias.npy')) },
  });
  if (hasTorch) {
    mkdirSync(join(tmp, 'torch'));
    execFileSync(PYTHON, ['-c', TORCH_SEEDS, join(tmp, 'torch')], { stdio: 'pipe' });
  }
  // The model's inputs: the first 200 test inputs and their labels.
  const source = await openFile(join(MNIST, 'mnist_small_test_inputs.npy'));
  const rows = await source.arrays[0].readRows(0, 200);
  await source.close();
  const labelFile = await openFile(join(MNIST, 'mnist_small_test_input_labels.npy'));
  const y = await labelFile.arrays[0].readRows(0, 200);
  await labelFile.close();
  inputs = join(tmp, 'inputs.npy');
  inputLabels = join(tmp, 'input_labels.npy');
  writeFileSync(inputs, encodeNpy(Float32Array.from(rows), [200, 784]));
  writeFileSync(
    inputLabels,
    encodeNpy(
      BigInt64Array.from(y, (v) => BigInt(v)),
      [200],
    ),
  );
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  const count = (o: Outcome, f?: string) =>
    records.filter((r) => r.outcome === o && (!f || r.format === f)).length;
  const lines = [
    ...FORMATS_FUZZED.map(
      (f) =>
        `  ${f.name}: ${records.filter((r) => r.format === f.name).length} cases, ${count('valid', f.name)} valid, ${count('clean', f.name)} clean errors, ${count('other', f.name)} other`,
    ),
    `fuzz: ${records.length} cases, ${count('valid')} valid, ${count('clean')} clean errors, ${count('other')} other`,
  ];
  console.log(lines.join('\n'));
  mkdirSync('test-results', { recursive: true });
  writeFileSync(
    'test-results/fuzz.json',
    JSON.stringify(
      {
        seed: SEED,
        cases: records.length,
        valid: count('valid'),
        clean: count('clean'),
        other: count('other'),
        records,
      },
      null,
      1,
    ),
  );
});

describe('fuzz: mutated files through inspect and the engine', () => {
  for (const format of FORMATS_FUZZED) {
    it.skipIf(format.skip)(
      `${format.name}: ${format.cases} cases, each a valid result or a one-line error naming the file`,
      async () => {
        const mine: Record[] = [];
        for (let i = 0; i < format.cases * SCALE; i++) mine.push(await runCase(format, i));
        records.push(...mine);
        const bad = mine.filter((r) => r.outcome === 'other');
        expect(bad.map((r) => `${r.what} → ${r.detail}`)).toEqual([]);
        // The mutations reach past the first check: some cases of every format stay valid.
        expect(mine.some((r) => r.outcome === 'clean')).toBe(true);
      },
      120_000,
    );
  }
});
