import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/metric-names.ts';
import type { AnalysisResult, MetricsResult, SplitMetrics } from '../../shared/schema.ts';
import { analyzePaths } from '../../main/plan/run.ts';
import { renderReport, type ReportOptions } from '../../main/report/index.ts';
import { expectNumber, expectRenders as rendersIn, fourDigits, SECTIONS } from './checks.ts';
import { fonts, imageCount, pdfText } from './poppler.ts';
import { syntheticSeries } from './synthetic.ts';

const FIXTURES = new URL('../../../shared/fixtures/mnist-mlp/', import.meta.url).pathname;
const EPOCHS = ['001', '005', '020', '080'];
const npz = (e: string) => join(FIXTURES, `mnist_small_epoch${e}.npz`);
const reference = (e: string): SplitMetrics =>
  JSON.parse(readFileSync(join(FIXTURES, 'reference', `mnist_small_epoch${e}.json`), 'utf8'));

const DATE = new Date('2026-03-04T00:00:00Z');
let dir: string;

function inputsOf(files: string[]): ReportOptions['inputs'] {
  return files.map((f) => {
    const bytes = readFileSync(f);
    return {
      file: f,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  });
}

async function writePdf(
  name: string,
  result: AnalysisResult,
  opts: ReportOptions,
): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, await renderReport(result, opts));
  return file;
}

/** Every page renders; poppler reports no syntax errors. */
const expectRenders = (pdf: string): number => rendersIn(pdf, dir);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nc-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report of one epoch (mnist-mlp epoch 1)', () => {
  let pdf: string;
  let text: string;
  let result: MetricsResult;

  beforeAll(async () => {
    result = (await analyzePaths([npz('001')])) as MetricsResult;
    pdf = await writePdf('one.pdf', result, {
      title: 'MNIST MLP, epoch 1',
      inputs: inputsOf([npz('001')]),
      date: DATE,
    });
    text = pdfText(pdf);
  });

  it('has a sensible page count and every page renders', () => {
    const pages = expectRenders(pdf);
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(pages).toBeLessThanOrEqual(9);
  });

  it('has the title block: title, file, size, SHA-256 prefix, N D C, version, backend, centering, date', () => {
    const sha = inputsOf([npz('001')])![0].sha256!;
    expect(text).toContain('MNIST MLP, epoch 1');
    expect(text).toContain('mnist_small_epoch001.npz');
    expect(text).toContain('1763328 bytes');
    expect(text).toContain(sha.slice(0, 16));
    expect(text).toMatch(/N = 8000 samples, D = 32 features, C = 10 classes/);
    expect(text).toMatch(/test split: N = 2000 samples/);
    expect(text).toMatch(/NC Lens version\s+\d+\.\d+\.\d+/);
    expect(text).toContain(`${result.engine!.backend} backend`);
    expect(text).toContain('class-means');
    expect(text).toContain('2026-03-04');
  });

  it('contains every section title', () => {
    for (const s of SECTIONS) expect(text).toContain(s);
    expect(text).not.toContain('Trajectories over training');
  });

  it('prints every metric of the reference at 4 significant digits', () => {
    const ref = reference('001');
    for (const def of METRICS) {
      const v = def.value(ref);
      expect(v, def.key).not.toBeNull();
      expectNumber(text, fourDigits(v!), def.key);
    }
  });

  it('prints the test split beside the training split', () => {
    expect(text).toMatch(/Metric\s+Train\s+Test\s+Meaning/);
    expectNumber(text, fourDigits(result.test!.nc1!), 'test nc1');
    expectNumber(text, fourDigits(result.test!.nc4.classifier_accuracy!), 'test accuracy');
  });

  it('embeds its fonts and draws its charts as vectors (no images)', () => {
    const list = fonts(pdf);
    expect(list.length).toBeGreaterThan(0);
    for (const f of list) {
      expect(f.name).toMatch(/DejaVu/);
      expect(f.embedded).toBe(true);
    }
    expect(imageCount(pdf)).toBe(0);
  });

  it('is deterministic: the same inputs give the same bytes', async () => {
    const opts = { title: 'MNIST MLP, epoch 1', inputs: inputsOf([npz('001')]), date: DATE };
    const a = await renderReport(result, opts);
    const b = await renderReport(result, opts);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(readFileSync(pdf))).toBe(true);
  });

  it('embeds the app’s PNG of the 3D view when given one', async () => {
    const withPng = await writePdf('png.pdf', result, { viewPng: tinyPng(), date: DATE });
    expect(imageCount(withPng)).toBe(1);
    expect(pdfText(withPng)).toContain('The 3D view as it was left in the app');
    expectRenders(withPng);
  });
});

describe('report of the four-epoch series (mnist-mlp epochs 1, 5, 20, 80)', () => {
  let pdf: string;
  let text: string;

  beforeAll(async () => {
    const files = EPOCHS.map(npz);
    const result = await analyzePaths(files);
    expect(result.schema).toBe('nc-lens/series@1');
    pdf = await writePdf('series.pdf', result, { inputs: inputsOf(files), date: DATE });
    text = pdfText(pdf);
  });

  it('renders every page', () => {
    const pages = expectRenders(pdf);
    expect(pages).toBeGreaterThanOrEqual(8);
    expect(pages).toBeLessThanOrEqual(13);
  });

  it('contains every section title, the trajectories and the terminal phase at epoch 20', () => {
    for (const s of SECTIONS) expect(text).toContain(s);
    expect(text).toContain('Trajectories over training');
    expect(text).toContain('terminal phase of training, from epoch 20');
    expect(text).toContain('4 epochs: 1, 5, 20, 80');
  });

  it('prints first and last values of every metric at 4 significant digits', () => {
    const first = reference('001');
    const last = reference('080');
    for (const def of METRICS) {
      expectNumber(text, fourDigits(def.value(first)!), `${def.key} first`);
      expectNumber(text, fourDigits(def.value(last)!), `${def.key} last`);
    }
  });

  it('prints the fold change last / first', () => {
    const r = reference('080').nc1! / reference('001').nc1!;
    expect(text).toContain(`×${fourDigits(r)}`);
  });
});

describe('report of a 100-class, 20-epoch series', () => {
  it('stays under 10 MB, renders, and breaks the per-class table cleanly', async () => {
    const series = syntheticSeries(100, 20);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const bytes = await renderReport(series, { title: 'Synthetic C = 100', date: DATE });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // Wall time depends on what else runs on the machine; CPU time is the report's own cost.
    console.log(
      `100 classes × 20 epochs: ${(bytes.length / 1024).toFixed(0)} KB in ${seconds.toFixed(2)} s ` +
        `(${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU)`,
    );
    expect(bytes.length).toBeLessThan(10 * 1024 * 1024);
    const file = join(dir, 'big.pdf');
    writeFileSync(file, bytes);
    const pages = expectRenders(file);
    const tablePages: number[] = [];
    for (let p = 1; p <= pages; p++)
      if (/Label\s+Count\s+Mean norm/.test(pdfText(file, p))) tablePages.push(p);
    expect(tablePages.length).toBeGreaterThanOrEqual(2);
    const table = tablePages.map((p) => pdfText(file, p)).join('\n');
    for (const label of [0, 50, 99])
      expect(table).toMatch(new RegExp(`^\\s+${label}\\s+50\\s`, 'm'));
  });
});

describe('reports of edge cases', () => {
  it('renders without a classifier, saying what is missing', async () => {
    const m = syntheticSeries(4, 1, 6, false).points[0].metrics;
    m.geometry!.weights = null;
    for (const k of [
      'equinorm_weights',
      'equiangular_weights',
      'maxangle_weights',
      'etf_error_weights',
    ] as const)
      m.nc2[k] = null;
    m.nc3 = { self_duality: null, duality_cos_mean: null, duality_cos_cov: null };
    m.nc4 = { ...m.nc4, ncc_mismatch: null, classifier_accuracy: null };
    for (const r of m.per_class)
      Object.assign(r, { weight_norm: null, cos_w_mu: null, classifier_accuracy: null });
    const file = await writePdf('no-w.pdf', m, { date: DATE });
    expectRenders(file);
    const text = pdfText(file).replace(/\s+/g, ' ');
    expect(text).toContain('needs a classifier weight (W)');
    expect(text).not.toContain('classifier row (rescaled)');
  });

  it('renders two and three classes, and a result without geometry', async () => {
    for (const c of [2, 3])
      expectRenders(await writePdf(`c${c}.pdf`, syntheticSeries(c, 3, 4), { date: DATE }));
    const bare = syntheticSeries(5, 2, 8);
    for (const p of bare.points) delete p.metrics.geometry;
    const file = await writePdf('bare.pdf', bare, { date: DATE });
    expectRenders(file);
    expect(pdfText(file)).toContain('carries no class means');
  });
});

/** A 2×2 opaque PNG, built by hand so the test needs no image library. */
function tinyPng(): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}
