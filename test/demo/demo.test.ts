import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFiles, demoInfo } from '../../main/demo/index.ts';
import { encodeNpy, writeNpz } from '../../main/io/write-npz.ts';
import { MNIST as FIXTURE } from '../fixtures.ts';

interface Loaded {
  shape: number[];
  descr: string;
  data: Float64Array;
}

/**
 * A minimal .npy parse (little-endian f4/f8/i4/i8, C order), kept here so this test does not
 * depend on the app's readers: it checks what the writer produced, byte by byte.
 */
function parseNpy(npy: Uint8Array): Loaded {
  expect([...npy.subarray(0, 6)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  const header = headerOf(npy);
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((t) => t.trim())
    .map(Number);
  const body = npy.slice(10 + header.length).buffer;
  const typed = {
    '<f4': () => new Float32Array(body),
    '<f8': () => new Float64Array(body),
    '<i4': () => new Int32Array(body),
    '<i8': () => Float64Array.from(new BigInt64Array(body), Number),
  }[descr]!();
  return { shape, descr, data: Float64Array.from(typed) };
}

async function readArrays(path: string): Promise<Record<string, Loaded>> {
  const entries = unzipSync(await readFile(path));
  return Object.fromEntries(
    Object.entries(entries).map(([name, bytes]) => [name.replace(/\.npy$/, ''), parseNpy(bytes)]),
  );
}

/** Eigenvalues and eigenvectors (columns of V) of a symmetric n×n matrix: cyclic Jacobi. */
function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
}

/**
 * NC1 = Tr(Σ_W Σ_B^†)/C straight from the definition in docs/metrics.md (D×D matrices, float64),
 * independent of the engine: Tr(Σ_W Σ_B^†) = Σ_j (v_jᵀ Σ_W v_j)/λ_j over Σ_B's eigenpairs
 * above 1e-10·λ_max.
 */
function nc1(features: Float64Array, labels: Float64Array, d: number): number {
  const n = labels.length;
  const classes = [...new Set(labels)].sort((x, y) => x - y);
  const c = classes.length;
  const index = new Map(classes.map((l, k) => [l, k]));
  const means = new Float64Array(c * d);
  const counts = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    const k = index.get(labels[i])!;
    counts[k]++;
    for (let j = 0; j < d; j++) means[k * d + j] += features[i * d + j];
  }
  for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) means[k * d + j] /= counts[k];
  const global = new Float64Array(d);
  for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) global[j] += means[k * d + j] / c;
  const sw = new Float64Array(d * d);
  const r = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const k = index.get(labels[i])!;
    for (let j = 0; j < d; j++) r[j] = features[i * d + j] - means[k * d + j];
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) sw[a * d + b] += (r[a] * r[b]) / n;
  }
  const sb = new Float64Array(d * d);
  for (let k = 0; k < c; k++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        sb[a * d + b] += ((means[k * d + a] - global[a]) * (means[k * d + b] - global[b])) / c;
  const { values, vectors } = symmetricEigen(sb, d);
  const cutoff = 1e-10 * Math.max(...values);
  let trace = 0;
  for (let e = 0; e < d; e++) {
    if (values[e] <= cutoff) continue;
    let q = 0;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) q += vectors[a * d + e] * sw[a * d + b] * vectors[b * d + e];
    trace += q / values[e];
  }
  return trace / c;
}

function argmaxAccuracy(logits: Float64Array, labels: Float64Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++)
      if (logits[i * classes + k] > logits[i * classes + best]) best = k;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

function headerOf(npy: Uint8Array): string {
  const len = new DataView(npy.buffer, npy.byteOffset).getUint16(8, true);
  return new TextDecoder('latin1').decode(npy.subarray(10, 10 + len));
}

describe('encodeNpy', () => {
  const cases = [
    { data: new Float32Array([1.5, -2, 3, 4, 5, 6]), shape: [2, 3], descr: '<f4', tuple: '(2, 3)' },
    { data: new Float64Array([Math.PI]), shape: [], descr: '<f8', tuple: '()' },
    { data: BigInt64Array.from([7n, -1n, 2n ** 40n]), shape: [3], descr: '<i8', tuple: '(3,)' },
    { data: new Int32Array([1, 2, 3, 4]), shape: [2, 1, 2], descr: '<i4', tuple: '(2, 1, 2)' },
  ];
  for (const { data, shape, descr, tuple } of cases) {
    it(`writes a v1.0 header and the raw bytes for ${descr} ${tuple}`, () => {
      const npy = encodeNpy(data, shape);
      expect([...npy.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const header = headerOf(npy);
      expect(header).toBe(
        `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`.padEnd(
          header.length - 1,
        ) + '\n',
      );
      const dataStart = 10 + header.length;
      expect(dataStart % 64).toBe(0);
      expect([...npy.subarray(dataStart)]).toEqual([...new Uint8Array(data.buffer)]);
    });
  }

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/needs 6 values, got 5/);
  });
});

describe('writeNpz', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nc-lens-npz-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const arrays = {
    features: { data: new Float32Array([0.25, -1, 2, 8, 16, 1e-3]), shape: [3, 2] },
    labels: { data: BigInt64Array.from([0n, 2n, 1n]), shape: [3] },
  };

  it('round-trips: names, dtypes, shapes and values', async () => {
    const path = join(dir, 'tiny.npz');
    await writeNpz(path, arrays);
    const read = await readArrays(path);
    expect(Object.keys(read).sort()).toEqual(['features', 'labels']);
    expect(read.features.descr).toBe('<f4');
    expect(read.features.shape).toEqual([3, 2]);
    expect([...read.features.data]).toEqual([...arrays.features.data]);
    expect(read.labels.descr).toBe('<i8');
    expect([...read.labels.data]).toEqual([0, 2, 1]);
  });

  it('deflates .npy entries byte-identical to encodeNpy, the same bytes every run', async () => {
    const a = join(dir, 'a.npz');
    const b = join(dir, 'b.npz');
    await writeNpz(a, arrays);
    await writeNpz(b, arrays);
    const bytes = await readFile(a);
    expect(bytes.equals(await readFile(b))).toBe(true);
    const entries = unzipSync(bytes);
    expect(Object.keys(entries).sort()).toEqual(['features.npy', 'labels.npy']);
    expect([...entries['labels.npy']]).toEqual([...encodeNpy(arrays.labels.data, [3])]);
    // Local file header: compression method 8 = deflate.
    expect(bytes.readUInt16LE(8)).toBe(8);
  });
});

describe('nc1 (test-side reference implementation)', () => {
  it('matches the fixture reference value', async () => {
    const z = await readArrays(join(FIXTURE, 'mnist_small_epoch080.npz'));
    const ref = JSON.parse(
      await readFile(join(FIXTURE, 'reference/mnist_small_epoch080.json'), 'utf8'),
    ) as { nc1: number };
    expect(nc1(z.features.data, z.labels.data, 32)).toBeCloseTo(ref.nc1, 8);
  });
});

describe('the embedded demo', () => {
  const files = demoFiles();
  const info = demoInfo();

  it('lists existing dumps in epoch order, a few MB in all', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    const epochs = files.map((f) => Number(/demo_epoch(\d+)\.npz$/.exec(basename(f))![1]));
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(epochs).toEqual(info.dumps.map((d) => d.epoch));
    const total = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(total).toBeLessThan(5 * 1024 * 1024);
  });

  it('logs every epoch and ends in the terminal phase (100% train accuracy)', () => {
    expect(info.log.map((e) => e.epoch)).toEqual(info.log.map((_, i) => i + 1));
    expect(info.log.at(-1)!.train_accuracy).toBe(1);
    expect(info.log.at(-1)!.epoch).toBe(info.dumps.at(-1)!.epoch);
    const firstPerfect = info.log.findIndex((e) => e.train_accuracy === 1);
    expect(firstPerfect).toBeGreaterThan(0);
    expect(firstPerfect).toBeLessThan(info.log.length / 4);
  });

  it('collapses: NC1 falls by at least 10× from the first dump to the last', async () => {
    const series: { epoch: number; nc1: number; train: number; test: number }[] = [];
    for (const [i, file] of files.entries()) {
      const z = await readArrays(file);
      const [n, d] = z.features.shape;
      const c = z.weight.shape[0];
      expect(z.labels.shape).toEqual([n]);
      expect(z.weight.shape).toEqual([10, d]);
      expect(z.bias.shape).toEqual([10]);
      expect(z.logits.shape).toEqual([n, c]);
      expect(z.test_features.shape[1]).toBe(d);
      const train = argmaxAccuracy(z.logits.data, z.labels.data, c);
      const test = argmaxAccuracy(z.test_logits.data, z.test_labels.data, c);
      const logged = info.log[info.dumps[i].epoch - 1];
      expect(train).toBe(logged.train_accuracy);
      expect(test).toBe(logged.test_accuracy);
      series.push({
        epoch: info.dumps[i].epoch,
        nc1: nc1(z.features.data, z.labels.data, d),
        train,
        test,
      });
    }
    console.log(series.map((s) => `epoch ${s.epoch}: nc1 ${s.nc1.toPrecision(4)}`).join('\n'));
    expect(series[0].nc1 / series.at(-1)!.nc1).toBeGreaterThanOrEqual(10);
    expect(series.at(-1)!.train).toBe(1);
  });
});
