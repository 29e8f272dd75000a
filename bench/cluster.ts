/**
 * `npm run bench -- cluster [options]`: sharded analysis (#14) against single-process
 * `analyze` of the same rows, on the bench's synthetic dumps (bench/lib/data.ts), cut into
 * safetensors shards (features F32 + labels I64, as data-parallel writers leave them).
 *
 *   --only NAME[,NAME]  imagenet (N×2048, C = 1000, --rows N in --shards shards, --on local)
 *                       c30000 (60 000×128, C = 30 000 in 6 shards, --on slurm on a one-node
 *                       cluster started by scripts/slurm-local.sh; needs root, slurm-wlm, munge)
 *   --rows N            rows of the imagenet row (default 200 000; 1 281 167 is the real shape)
 *   --shards K          shards of the imagenet row (default 20)
 *   --jobs K            worker processes for --on local (default 2)
 *
 * Each command runs under `/usr/bin/time -f %M`: the peak RSS of the largest process of its
 * tree (the run or one of its workers). Reports time, peak RSS, the statistics files' sizes
 * and the largest relative difference of any metric to single-process analyze; results go to
 * .bench/cluster-results.json and a table to .bench/cluster-results.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, ensureDump, type DumpFiles } from './lib/data.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'nc-lens.js');
const WORK = path.join(BENCH_DIR, 'cluster');
const RESULTS_JSON = path.join(BENCH_DIR, 'cluster-results.json');
const RESULTS_MD = path.join(BENCH_DIR, 'cluster-results.md');
const GNU_TIME = '/usr/bin/time';

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number | null;
  stderr: string;
}

/** A command under GNU time: wall seconds and the peak RSS of its largest process. */
function measure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const file = path.join(tmpdir(), `nclens-bench-${process.pid}-${Date.now()}.rss`);
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', file, process.execPath, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      const kb = Number(readFileSync(file, 'utf8').trim().split('\n').at(-1));
      rmSync(file, { force: true });
      resolve({ seconds, peakRssMb: kb / 1024, code, stderr });
    });
  });
}

/** Reads rows [a, b) of a C-order .npy with a 128-byte header (the bench's dumps). */
function readNpyRows(file: string, rowBytes: number, a: number, b: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const out = Buffer.alloc((b - a) * rowBytes);
    readSync(fd, out, 0, out.length, 128 + a * rowBytes);
    return out;
  } finally {
    closeSync(fd);
  }
}

/** A safetensors file of `features` (F32 m×d) and `labels` (I64 m). */
function writeShard(file: string, features: Buffer, labels: Buffer, m: number, d: number): void {
  const header = JSON.stringify({
    features: { dtype: 'F32', shape: [m, d], data_offsets: [0, features.length] },
    labels: {
      dtype: 'I64',
      shape: [m],
      data_offsets: [features.length, features.length + labels.length],
    },
  });
  const pad = (8 - (Buffer.byteLength(header) % 8)) % 8;
  const json = Buffer.from(header + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  for (const part of [len, json, features, labels]) writeSync(fd, part);
  closeSync(fd);
  spawnSync('mv', [tmp, file]);
}

/** The dump cut into `k` shards of (nearly) equal rows, written once. */
function ensureShards(dump: DumpFiles, n: number, d: number, k: number): string {
  const dir = path.join(WORK, `${dump.key}-${k}shards`);
  const done = path.join(dir, 'complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let s = 0; s < k; s++) {
    const a = Math.floor((s * n) / k);
    const b = Math.floor(((s + 1) * n) / k);
    const features = readNpyRows(dump.features, 4 * d, a, b);
    const labels = readNpyRows(dump.labels, 8, a, b);
    writeShard(
      path.join(dir, `shard-${String(s).padStart(3, '0')}.safetensors`),
      features,
      labels,
      b - a,
      d,
    );
  }
  writeFileSync(done, '');
  return dir;
}

/** Largest relative difference over every number of two results (engine/inputs left out). */
function maxRelDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    const scale = Math.max(Math.abs(a), Math.abs(b));
    return scale < 1e-12 ? Math.abs(a - b) : Math.abs(a - b) / scale;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    let m = 0;
    for (const key of Object.keys(b)) {
      if (key === 'engine' || key === 'inputs' || key === 'warnings') continue;
      m = Math.max(
        m,
        maxRelDiff((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
      );
    }
    return m;
  }
  return a === b ? 0 : Infinity;
}

function partSizes(workdir: string): Record<string, number> {
  const parts = path.join(workdir, 'parts');
  const sizes: Record<string, number> = {};
  for (const f of readdirSync(parts)) {
    const kind = f.split('-')[0];
    sizes[kind] = Math.max(sizes[kind] ?? 0, statSync(path.join(parts, f)).size);
  }
  return sizes;
}

interface Row {
  name: string;
  n: number;
  d: number;
  c: number;
  shards: number;
  engine: string;
  single: { seconds: number; peakRssMb: number };
  sharded: { seconds: number; peakRssMb: number };
  ratio: number;
  maxRelDiff: number;
  /** Largest file of each kind (pass1, means, plan, pass2, stats), bytes. */
  statsBytes: Record<string, number>;
  measured: string;
}

const mb = (x: number) => `${x.toFixed(0)} MB`;
const sizes = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} MB`)
    .join(', ');

async function single(dump: DumpFiles, out: string): Promise<Measured> {
  const m = await measure([
    'analyze',
    dump.features,
    dump.labels,
    dump.weight,
    dump.bias,
    '--json',
    out,
    '-q',
  ]);
  if (m.code !== 0) throw new Error(`single-process analyze failed: ${m.stderr}`);
  return m;
}

async function imagenet(n: number, k: number, jobs: number): Promise<Row> {
  const d = 2048;
  const c = 1000;
  const dump = ensureDump({ n, d, c }, (l) => console.log(l));
  const shards = ensureShards(dump, n, d, k);
  const run = path.join(WORK, `run-${dump.key}`);
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  console.log(`imagenet shape ${n}×${d}, C=${c}, ${k} shards: single-process analyze…`);
  const s = await single(dump, path.join(run, 'single.json'));
  console.log(
    `  ${s.seconds.toFixed(1)} s, peak RSS ${mb(s.peakRssMb)}; --on local --jobs ${jobs}…`,
  );
  const out = path.join(run, 'local.json');
  const l = await measure([
    'analyze',
    '--shards',
    path.join(shards, '*.safetensors'),
    '--weight',
    dump.weight,
    '--bias',
    dump.bias,
    '--on',
    'local',
    '--jobs',
    String(jobs),
    '--json',
    out,
    '-q',
  ]);
  if (l.code !== 0) throw new Error(`--on local failed: ${l.stderr}`);
  const diff = maxRelDiff(
    JSON.parse(readFileSync(out, 'utf8')),
    JSON.parse(readFileSync(path.join(run, 'single.json'), 'utf8')),
  );
  console.log(
    `  ${l.seconds.toFixed(1)} s (${(l.seconds / s.seconds).toFixed(2)}×), peak RSS ${mb(l.peakRssMb)}, max rel diff ${diff.toExponential(1)}`,
  );
  return {
    name: 'imagenet',
    n,
    d,
    c,
    shards: k,
    engine: `local --jobs ${jobs}`,
    single: { seconds: s.seconds, peakRssMb: s.peakRssMb },
    sharded: { seconds: l.seconds, peakRssMb: l.peakRssMb },
    ratio: l.seconds / s.seconds,
    maxRelDiff: diff,
    statsBytes: partSizes(`${out}.work`),
    measured: new Date().toISOString(),
  };
}

async function c30000(): Promise<Row> {
  const n = 60_000;
  const d = 128;
  const c = 30_000;
  const k = 6;
  const dump = ensureDump({ n, d, c }, (l) => console.log(l));
  const shards = ensureShards(dump, n, d, k);
  const run = path.join(WORK, `run-${dump.key}`);
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  console.log(`C=30000: single-process analyze…`);
  const s = await single(dump, path.join(run, 'single.json'));
  console.log(`  ${s.seconds.toFixed(1)} s; starting a one-node Slurm…`);
  const cluster = mkdtempSync(path.join(tmpdir(), 'nclens-bench-slurm-'));
  const started = spawnSync('bash', [path.join(ROOT, 'scripts/slurm-local.sh'), 'start', cluster], {
    encoding: 'utf8',
  });
  if (started.status !== 0) throw new Error(`slurm-local.sh: ${started.stderr}`);
  const conf = /SLURM_CONF=(\S+)/.exec(started.stdout)![1];
  try {
    const out = path.join(run, 'slurm.json');
    const l = await measure(
      [
        'analyze',
        '--shards',
        path.join(shards, '*.safetensors'),
        '--weight',
        dump.weight,
        '--bias',
        dump.bias,
        '--on',
        'slurm',
        '--mem',
        '2G',
        '--json',
        out,
        '-q',
      ],
      { SLURM_CONF: conf },
    );
    if (l.code !== 0) throw new Error(`--on slurm failed: ${l.stderr}`);
    const diff = maxRelDiff(
      JSON.parse(readFileSync(out, 'utf8')),
      JSON.parse(readFileSync(path.join(run, 'single.json'), 'utf8')),
    );
    console.log(`  --on slurm: ${l.seconds.toFixed(1)} s, max rel diff ${diff.toExponential(1)}`);
    return {
      name: 'c30000',
      n,
      d,
      c,
      shards: k,
      engine: 'slurm (one node, 2 CPUs)',
      single: { seconds: s.seconds, peakRssMb: s.peakRssMb },
      // the jobs run under slurmd: their RSS is not in this process tree
      sharded: { seconds: l.seconds, peakRssMb: Number.NaN },
      ratio: l.seconds / s.seconds,
      maxRelDiff: diff,
      statsBytes: partSizes(`${out}.work`),
      measured: new Date().toISOString(),
    };
  } finally {
    spawnSync('bash', [path.join(ROOT, 'scripts/slurm-local.sh'), 'stop', cluster]);
    rmSync(cluster, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: 'string' },
      rows: { type: 'string' },
      shards: { type: 'string' },
      jobs: { type: 'string' },
    },
  });
  const only = (values.only ?? 'imagenet,c30000').split(',');
  mkdirSync(WORK, { recursive: true });
  const rows: Row[] = existsSync(RESULTS_JSON)
    ? JSON.parse(readFileSync(RESULTS_JSON, 'utf8'))
    : [];
  const keep = (r: Row) => {
    const i = rows.findIndex((x) => x.name === r.name && x.n === r.n);
    if (i >= 0) rows[i] = r;
    else rows.push(r);
    writeFileSync(RESULTS_JSON, JSON.stringify(rows, null, 2) + '\n');
  };
  if (only.includes('imagenet')) {
    keep(
      await imagenet(
        Number(values.rows ?? 200_000),
        Number(values.shards ?? 20),
        Number(values.jobs ?? 2),
      ),
    );
  }
  if (only.includes('c30000')) keep(await c30000());
  const lines = [
    '| workload | shards | engine | single-process | sharded | ratio | peak RSS single / sharded (largest process) | largest stats files | max rel. diff |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.n.toLocaleString('en')} × ${r.d}, C = ${r.c.toLocaleString('en')} | ${r.shards} | ${r.engine} | ${r.single.seconds.toFixed(1)} s | ${r.sharded.seconds.toFixed(1)} s | ${r.ratio.toFixed(2)}× | ${mb(r.single.peakRssMb)} / ${Number.isFinite(r.sharded.peakRssMb) ? mb(r.sharded.peakRssMb) : 'under slurmd'} | ${sizes(r.statsBytes)} | ${r.maxRelDiff.toExponential(1)} |`,
    ),
  ];
  writeFileSync(RESULTS_MD, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}
