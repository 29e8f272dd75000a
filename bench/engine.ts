/**
 * `npm run bench -- engine [options]`: NC Lens against a PyTorch and a numpy two-pass baseline
 * and a limit model, side by side, on collapsing synthetic dumps (bench/lib/data.ts, cached
 * under .bench/data/). Each row prints as soon as it is measured (a markdown table line); the
 * results go to .bench/engine-results.json (merged by row with earlier runs) and a README-ready
 * table to .bench/engine-results.md.
 *
 *   --only NAME[,NAME]  rows by name (`50k-512-c10`, …) or shape (`50000x512x10`)
 *   --max-mb MB         skip rows whose features file is larger
 *   --quick             50k-512-c10 and 20k-512-c1000, one run each (a sanity run)
 *   --runs N            runs per command (median; default 3, quick 1)
 *   --tools LIST        nclens,torch,numpy (default: all)
 *   --threads N         threads for every tool and the GEMM probe (default 2)
 *   --ref GIT_REF       bundle the CLI from that commit (git archive) instead of the work tree
 *   --seed N            data seed (default 1)
 *
 * Per run, each command is a child process wrapped in `/usr/bin/time -f %M` for its peak RSS
 * (else /proc/<pid>/status is polled); commands alternate (ABC, BCA, CAB, …).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleNode } from '../scripts/build.js';
import {
  BENCH_DIR,
  DATA_DIR,
  dumpBytes,
  ensureDump,
  freeBytes,
  isCached,
  type DumpFiles,
} from './lib/data.ts';
import { measureGemm } from './lib/gemm.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(BENCH_DIR, 'engine');
const RESULTS_JSON = path.join(BENCH_DIR, 'engine-results.json');
const RESULTS_MD = path.join(BENCH_DIR, 'engine-results.md');
const PYTHON = '/usr/bin/python3';
const GNU_TIME = '/usr/bin/time';
const IMAGENET = { n: 1_281_167, d: 2048, c: 1000 };
/** Baselines are skipped where their estimated memory exceeds this. */
const BASELINE_MEMORY_LIMIT = 16e9;
/** Widest K of the GEMM probe (wider products are done in class tiles). */
const GEMM_K_CAP = 4096;

interface Workload {
  name: string;
  n: number;
  d: number;
  c: number;
  /** Only an anchor of the ImageNet projection. */
  anchor?: boolean;
}

const WORKLOADS: Workload[] = [
  { name: '50k-512-c10', n: 50_000, d: 512, c: 10 },
  { name: '100k-512-c100', n: 100_000, d: 512, c: 100 },
  { name: '1m-512-c100', n: 1_000_000, d: 512, c: 100 },
  { name: '50k-2048-c1000', n: 50_000, d: 2048, c: 1000, anchor: true },
  { name: '200k-2048-c1000', n: 200_000, d: 2048, c: 1000 },
  { name: '20k-512-c1000', n: 20_000, d: 512, c: 1000 },
  { name: '50k-256-c10000', n: 50_000, d: 256, c: 10_000 },
  { name: '60k-128-c30000', n: 60_000, d: 128, c: 30_000 },
];
const QUICK = ['50k-512-c10', '20k-512-c1000'];

type Tool = 'nclens' | 'torch' | 'numpy';
const TOOLS: Tool[] = ['nclens', 'torch', 'numpy'];
const TOOL_NAMES: Record<Tool, string> = { nclens: 'NC Lens', torch: 'PyTorch', numpy: 'numpy' };

interface Options {
  rows: Workload[];
  runs: number;
  tools: Tool[];
  threads: number;
  ref?: string;
  seed: number;
  quick: boolean;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: 'string' },
      'max-mb': { type: 'string' },
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      tools: { type: 'string' },
      threads: { type: 'string' },
      ref: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  let rows = quick ? WORKLOADS.filter((w) => QUICK.includes(w.name)) : WORKLOADS;
  if (values.only) {
    const wanted = values.only.split(',').map((s) => s.trim().toLowerCase().replaceAll('×', 'x'));
    rows = WORKLOADS.filter(
      (w) => wanted.includes(w.name) || wanted.includes(`${w.n}x${w.d}x${w.c}`),
    );
    const unknown = wanted.filter(
      (s) => !WORKLOADS.some((w) => w.name === s || `${w.n}x${w.d}x${w.c}` === s),
    );
    if (unknown.length) {
      throw new Error(
        `unknown row ${unknown.join(', ')}; rows: ${WORKLOADS.map((w) => w.name).join(', ')}`,
      );
    }
  }
  if (values['max-mb']) {
    const max = Number(values['max-mb']) * 1e6;
    rows = rows.filter((w) => 4 * w.n * w.d <= max);
  }
  const tools = values.tools ? (values.tools.split(',') as Tool[]) : TOOLS;
  for (const t of tools) if (!TOOLS.includes(t)) throw new Error(`unknown tool ${t}`);
  return {
    rows,
    runs: Number(values.runs ?? (quick ? 1 : 3)),
    tools,
    threads: Number(values.threads ?? 2),
    ref: values.ref,
    seed: Number(values.seed ?? 1),
    quick,
  };
}

// ---------- measuring child processes ----------

interface Measured {
  seconds: number;
  rssMB: number;
  stdout: string;
}

function pollRss(pid: number, peak: { kb: number }): void {
  // Sum of the VmHWM of the process and its descendants.
  const visit = (p: number): number => {
    let kb = 0;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) kb += visit(Number(k));
    } catch {
      // gone
    }
    return kb;
  };
  peak.kb = Math.max(peak.kb, visit(pid));
}

/** Runs `cmd args` with env overrides (undefined: unset), timing it and taking its peak RSS. */
function measure(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Measured> {
  const rssFile = path.join(WORK, `rss-${process.pid}.txt`);
  rmSync(rssFile, { force: true });
  const useTime = existsSync(GNU_TIME);
  const [exe, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) {
    if (v !== undefined) childEnv[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(exe, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = { kb: 0 };
    const timer = useTime ? undefined : setInterval(() => pollRss(child.pid!, peak), 50);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      if (timer) clearInterval(timer);
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        return reject(new Error(`${path.basename(cmd)} exited with ${code}: ${tail}`));
      }
      const kb = useTime
        ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1))
        : peak.kb;
      resolve({ seconds, rssMB: kb / 1024, stdout });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seconds to read a file once (8 MB reads), median of 3 after a warming read. */
function readSeconds(file: string): number {
  const once = () => {
    const t = performance.now();
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(8 << 20);
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
    return (performance.now() - t) / 1000;
  };
  once();
  return median([once(), once(), once()]);
}

// ---------- the tools ----------

/** The CLI bundled as it ships (scripts/build.js's bundleNode), from the work tree or a ref. */
async function bundleCli(ref: string | undefined): Promise<string> {
  const outdir = path.join(WORK, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  if (!ref) {
    await bundleNode(outdir);
    return path.join(outdir, 'cli.js');
  }
  const src = path.join(WORK, 'src');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const archive = spawnSync('sh', [
    '-c',
    `git -C "$1" archive "$2" | tar -x -C "$3"`,
    'sh',
    ROOT,
    ref,
    src,
  ]);
  if (archive.status !== 0) throw new Error(`git archive ${ref}: ${archive.stderr}`);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
  const { bundleNode: bundleAt } = (await import(path.join(src, 'scripts/build.js'))) as {
    bundleNode(out: string): Promise<void>;
  };
  await bundleAt(outdir);
  return path.join(outdir, 'cli.js');
}

interface ToolResult {
  nc1: number;
  ncc_accuracy: number | null;
  classifier_accuracy: number | null;
  /** The tool's own compute time (NC Lens: engine.seconds; baselines: after imports). */
  inner: number | null;
  info?: string;
}

function command(
  tool: Tool,
  cli: string,
  f: DumpFiles,
  threads: number,
): { cmd: string; args: string[]; env?: Record<string, string | undefined> } {
  const inputs = [
    '--features',
    f.features,
    '--labels',
    f.labels,
    '--weight',
    f.weight,
    '--bias',
    f.bias,
  ];
  if (tool === 'nclens') {
    const out = path.join(WORK, 'nclens-result.json');
    return {
      cmd: process.execPath,
      args: [cli, 'analyze', ...inputs, '--threads', String(threads), '--json', out, '--quiet'],
    };
  }
  const script = path.join(ROOT, `bench/baselines/${tool}_nc.py`);
  if (tool === 'torch') {
    return { cmd: PYTHON, args: [script, ...inputs, '--threads', String(threads)] };
  }
  return {
    cmd: PYTHON,
    args: [script, ...inputs],
    // platform-notes: these slow a current numpy; unset for this command alone.
    env: {
      OPENBLAS_CORETYPE: undefined,
      OPENBLAS_L2_SIZE: undefined,
      OPENBLAS_NUM_THREADS: String(threads),
    },
  };
}

function parseResult(tool: Tool, m: Measured): ToolResult {
  if (tool === 'nclens') {
    const r = JSON.parse(readFileSync(path.join(WORK, 'nclens-result.json'), 'utf8'));
    const metrics = r.schema === 'nc-lens/series@1' ? r.points.at(-1).metrics : r;
    return {
      nc1: metrics.nc1,
      ncc_accuracy: metrics.nc4?.ncc_accuracy ?? null,
      classifier_accuracy: metrics.nc4?.classifier_accuracy ?? null,
      inner: r.engine?.seconds ?? null,
      info: r.engine ? `${r.engine.backend} ×${r.engine.threads}` : undefined,
    };
  }
  const line = m.stdout.trim().split('\n').at(-1) ?? '';
  const r = JSON.parse(line);
  return {
    nc1: r.nc1,
    ncc_accuracy: r.ncc_accuracy,
    classifier_accuracy: r.classifier_accuracy,
    inner: r.seconds?.compute ?? null,
    info: `${r.route}, rank ${r.rank}`,
  };
}

/** Which baselines can run here: a reason to skip, or undefined. */
function baselineSkip(tool: 'torch' | 'numpy'): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} missing`;
  const mod = tool === 'torch' ? 'torch' : 'numpy';
  const r = spawnSync(PYTHON, ['-c', `import ${mod}`], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} has no ${mod}`;
}

/**
 * The BLAS that Debian's numpy and torch resolve (libblas.so.3 alternative): the reference
 * BLAS is about 50× slower than OpenBLAS (`apt-get install libopenblas0-pthread`).
 */
function blasInfo(): string {
  const r = spawnSync('readlink', ['-f', '/usr/lib/x86_64-linux-gnu/libblas.so.3'], {
    encoding: 'utf8',
  });
  const target = r.status === 0 ? r.stdout.trim() : '';
  if (!target) return 'unknown BLAS';
  return /openblas|blis|mkl/i.test(target)
    ? target
    : `${target} (reference BLAS: slow; install libopenblas0-pthread for a fair baseline)`;
}

/** The baselines' peak memory, roughly (chunk 8 192, class tiles of 2 048, float64). */
function baselineBytes(w: Workload): number {
  const chunk = Math.min(8192, w.n);
  const tile = Math.min(2048, w.c);
  const r = Math.min(w.c - 1, w.d);
  const small = w.c - 1 < w.d ? w.c * w.c + w.d * r : 3 * w.d * w.d;
  return 8 * (4 * chunk * w.d + 3 * chunk * (2 * tile + r) + 4 * w.c * w.d + 2 * small) + 300e6;
}

// ---------- the limit model ----------

interface Limit {
  seconds: number;
  flops: number;
  gemmSeconds: number;
  gflopsPass1: number;
  gflopsPass2: number;
  readSeconds: number;
  startSeconds: number;
}

const flopsOf = (n: number, d: number, c: number) => {
  const r = Math.min(c - 1, d);
  return { pass1: 2 * n * d * c, pass2: 2 * n * d * (2 * c + r) };
};

async function limitModel(
  w: Workload,
  readOnce: number,
  startSeconds: number,
  threads: number,
  reps: number,
): Promise<Limit> {
  const { pass1, pass2 } = flopsOf(w.n, w.d, w.c);
  const r = Math.min(w.c - 1, w.d);
  const g1 = await measureGemm(8192, w.d, Math.min(w.c, GEMM_K_CAP), threads, reps);
  const g2 = await measureGemm(8192, w.d, Math.min(2 * w.c + r, GEMM_K_CAP), threads, reps);
  const gemmSeconds = pass1 / (g1.gflops * 1e9) + pass2 / (g2.gflops * 1e9);
  return {
    seconds: gemmSeconds + 2 * readOnce + startSeconds,
    flops: pass1 + pass2,
    gemmSeconds,
    gflopsPass1: g1.gflops,
    gflopsPass2: g2.gflops,
    readSeconds: readOnce,
    startSeconds,
  };
}

// ---------- rows, tables, results ----------

interface ToolRow {
  skipped?: string;
  seconds?: number;
  all?: number[];
  inner?: number | null;
  rssMB?: number;
  nc1?: number;
  ncc_accuracy?: number | null;
  classifier_accuracy?: number | null;
  info?: string;
  /** Against NC Lens (or, without it, the other baseline): relative NC1 difference. */
  nc1RelDiff?: number;
  agrees?: boolean;
}

interface RowResult {
  name: string;
  n: number;
  d: number;
  c: number;
  fileMB: number;
  at: string;
  load: { before: number[]; after: number[] };
  limit: Limit;
  tools: Partial<Record<Tool, ToolRow>>;
  projected?: boolean;
  /** How the projection was made. */
  basis?: string;
}

const s2 = (x: number | undefined) =>
  x === undefined ? '—' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
const shape = (w: { n: number; d: number; c: number }) =>
  `${w.n.toLocaleString('en-US').replaceAll(',', ' ')} × ${w.d}, C = ${w.c.toLocaleString('en-US').replaceAll(',', ' ')}`;

const HEADER = [
  'workload',
  'file MB',
  'limit s (gemm + 2·read + start)',
  'GEMM GF/s p1/p2',
  'NC Lens s (engine)',
  'RSS MB',
  '× limit',
  'PyTorch s (compute)',
  'RSS MB',
  'PyTorch ÷ NC Lens',
  'numpy s (compute)',
  'RSS MB',
  'numpy ÷ NC Lens',
  'NC1 agreement',
  'load before→after',
];

function toolCells(t: ToolRow | undefined): string[] {
  if (!t) return ['not run', '—'];
  if (t.skipped) return [`skipped: ${t.skipped}`, '—'];
  const inner = t.inner == null ? '' : ` (${s2(t.inner)})`;
  return [`${s2(t.seconds)}${inner}`, t.rssMB === undefined ? '—' : t.rssMB.toFixed(0)];
}

function agreement(r: RowResult): string {
  const parts: string[] = [];
  for (const tool of ['torch', 'numpy'] as const) {
    const t = r.tools[tool];
    if (t?.nc1RelDiff === undefined) continue;
    parts.push(`${tool} ${t.agrees ? '✓' : '✗'} ${t.nc1RelDiff.toExponential(1)}`);
  }
  return parts.join(', ') || '—';
}

export function rowLine(r: RowResult): string {
  const nc = r.tools.nclens;
  const torch = r.tools.torch;
  const numpy = r.tools.numpy;
  const l = r.limit;
  const cells = [
    `${r.projected ? `projected (${r.basis}): ` : ''}${shape(r)}`,
    r.fileMB.toFixed(0),
    `${s2(l.seconds)} (${s2(l.gemmSeconds)} + ${(2 * l.readSeconds).toFixed(2)} + ${l.startSeconds.toFixed(2)})`,
    r.projected ? '—' : `${l.gflopsPass1.toFixed(0)}/${l.gflopsPass2.toFixed(0)}`,
    ...toolCells(nc),
    nc?.seconds ? `${(nc.seconds / l.seconds).toFixed(1)}×` : '—',
    ...toolCells(torch),
    ratio(torch?.seconds, nc?.seconds),
    ...toolCells(numpy),
    ratio(numpy?.seconds, nc?.seconds),
    r.projected ? '—' : agreement(r),
    r.projected
      ? '—'
      : `${r.load.before.map((x) => x.toFixed(2)).join('/')} → ${r.load.after.map((x) => x.toFixed(2)).join('/')}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const headerLines = () => [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];

/** Linear in N from the 50 000- and 200 000-row runs (fixed + slope·N), or proportional. */
export function projectImagenet(rows: RowResult[]): RowResult | undefined {
  const big = rows.find((r) => r.name === '200k-2048-c1000');
  if (!big) return undefined;
  const small = rows.find((r) => r.name === '50k-2048-c1000');
  // With one anchor: times proportional to N, memory as measured (it must not grow with N).
  const project = (
    get: (r: RowResult) => number | undefined,
    memory = false,
  ): number | undefined => {
    const y2 = get(big);
    if (y2 === undefined) return undefined;
    const y1 = small ? get(small) : undefined;
    if (y1 === undefined || !small) return memory ? y2 : (y2 * IMAGENET.n) / big.n;
    const slope = (y2 - y1) / (big.n - small.n);
    return y1 + slope * (IMAGENET.n - small.n);
  };
  const tools: Partial<Record<Tool, ToolRow>> = {};
  for (const tool of TOOLS) {
    const t = big.tools[tool];
    if (!t) continue;
    if (t.skipped) {
      tools[tool] = { skipped: t.skipped };
      continue;
    }
    tools[tool] = {
      seconds: project((r) => r.tools[tool]?.seconds),
      inner: project((r) => r.tools[tool]?.inner ?? undefined) ?? null,
      rssMB: project((r) => r.tools[tool]?.rssMB, true),
    };
  }
  const { pass1, pass2 } = flopsOf(IMAGENET.n, IMAGENET.d, IMAGENET.c);
  const l = big.limit;
  const gemmSeconds = pass1 / (l.gflopsPass1 * 1e9) + pass2 / (l.gflopsPass2 * 1e9);
  const readSeconds = (l.readSeconds * IMAGENET.n) / big.n;
  return {
    name: 'imagenet-projected',
    ...IMAGENET,
    fileMB: (4 * IMAGENET.n * IMAGENET.d) / 1e6,
    at: big.at,
    load: big.load,
    projected: true,
    basis: small ? 'fixed + slope·N from the 50 000 and 200 000 rows' : '∝ N from the 200 000 row',
    limit: {
      ...l,
      flops: pass1 + pass2,
      gemmSeconds,
      readSeconds,
      seconds: gemmSeconds + 2 * readSeconds + l.startSeconds,
    },
    tools,
  };
}

function readResults(): { rows: RowResult[] } {
  try {
    return JSON.parse(readFileSync(RESULTS_JSON, 'utf8'));
  } catch {
    return { rows: [] };
  }
}

function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

function writeResults(rows: RowResult[], meta: { blas: string } & Record<string, unknown>): void {
  const order = (r: RowResult) => WORKLOADS.findIndex((w) => w.name === r.name);
  const merged = readResults()
    .rows.filter((r) => !r.projected && !rows.some((x) => x.name === r.name))
    .concat(rows)
    .sort((a, b) => order(a) - order(b));
  const projection = projectImagenet(merged);
  const all = projection ? [...merged, projection] : merged;
  writeFileSync(
    RESULTS_JSON,
    JSON.stringify({ schema: 'nc-lens/bench-engine@1', ...meta, rows: all }, null, 2) + '\n',
  );
  const md = [
    `Machine: ${machineLine()}. Medians of the runs per command, alternating; NC1 agreement is`,
    'the relative difference of each baseline from NC Lens (✓ within 1e-6). Times are end to',
    'end (process start to exit); in parentheses, the tool’s own compute time.',
    `numpy/PyTorch BLAS: ${meta.blas}.`,
    '',
    ...headerLines(),
    ...all.map(rowLine),
    '',
  ].join('\n');
  writeFileSync(RESULTS_MD, md);
}

// ---------- the run ----------

export async function run(args: string[]): Promise<void> {
  let o: Options;
  try {
    o = options(args);
  } catch (e) {
    process.stderr.write(`bench engine: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  mkdirSync(WORK, { recursive: true });
  const log = (s: string) => process.stderr.write(`${s}\n`);

  // Where the data goes, how big.
  const toGenerate = o.rows.filter((w) => !isCached({ ...w, seed: o.seed }));
  const genBytes = toGenerate.reduce((s, w) => s + dumpBytes(w), 0);
  const cachedBytes = o.rows.reduce((s, w) => s + dumpBytes(w), 0) - genBytes;
  log(
    `data: ${DATA_DIR} — ${(cachedBytes / 1e9).toFixed(2)} GB cached, ${(genBytes / 1e9).toFixed(2)} GB to generate ` +
      `(${(freeBytes() / 1e9).toFixed(0)} GB free); kept for later runs, \`npm run bench -- clean\` removes .bench/`,
  );
  log(`results: ${RESULTS_JSON}, ${RESULTS_MD}`);

  const skips: Partial<Record<Tool, string>> = {};
  for (const t of ['torch', 'numpy'] as const) {
    if (o.tools.includes(t)) skips[t] = baselineSkip(t);
  }
  for (const [t, why] of Object.entries(skips)) if (why) log(`${t}: skipped (${why})`);
  const blas = blasInfo();
  if (!skips.numpy || !skips.torch) log(`baselines' libblas.so.3: ${blas}`);

  let cli = '';
  if (o.tools.includes('nclens')) {
    log(`bundling the CLI from ${o.ref ? `git ref ${o.ref}` : 'the work tree'} into ${WORK}/dist…`);
    try {
      cli = await bundleCli(o.ref);
    } catch (e) {
      skips.nclens = `bundle failed (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 160)}; try --ref HEAD)`;
      log(`NC Lens: skipped, ${skips.nclens}`);
    }
  }
  // Process start: the CLI's own (--version), else plain node.
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await measure(process.execPath, cli ? [cli, '--version'] : ['-e', '0']);
    starts.push(m.seconds);
  }
  const cliStart = median(starts);
  const nodeStart = median(
    await Promise.all([0, 1, 2].map(() => measure(process.execPath, ['-e', '0']))).then((ms) =>
      ms.map((m) => m.seconds),
    ),
  );
  console.log(
    `machine: ${machineLine()}; process start: CLI --version ${cliStart.toFixed(3)} s, node -e 0 ${nodeStart.toFixed(3)} s; ` +
      `${o.runs} run(s) per command, ${o.threads} threads${o.quick ? ' (quick)' : ''}`,
  );
  console.log(headerLines().join('\n'));

  const results: RowResult[] = [];
  const meta = {
    machine: machineLine(),
    cliStartSeconds: cliStart,
    nodeStartSeconds: nodeStart,
    threads: o.threads,
    ref: o.ref ?? 'work tree',
    blas,
  };
  for (const w of o.rows) {
    const files = ensureDump({ ...w, seed: o.seed }, log);
    const fileMB = (4 * w.n * w.d) / 1e6;
    const before = loadavg();
    const readOnce = readSeconds(files.features);
    const limit = await limitModel(w, readOnce, cliStart, o.threads, o.quick ? 1 : 3);
    const tools: Partial<Record<Tool, ToolRow>> = {};
    const active: Tool[] = [];
    for (const t of o.tools) {
      if (skips[t]) tools[t] = { skipped: skips[t] };
      else if (t !== 'nclens' && baselineBytes(w) > BASELINE_MEMORY_LIMIT)
        tools[t] = { skipped: `needs ~${(baselineBytes(w) / 1e9).toFixed(0)} GB` };
      else active.push(t);
    }
    const runs: Record<string, { m: Measured; r: ToolResult }[]> = {};
    const failed: Partial<Record<Tool, string>> = {};
    for (let i = 0; i < o.runs; i++) {
      // Alternate: ABC, BCA, CAB, …
      const order = active.map((_, j) => active[(i + j) % active.length]);
      for (const t of order) {
        if (failed[t]) continue;
        log(`  ${w.name}: ${TOOL_NAMES[t]} run ${i + 1}/${o.runs}…`);
        const c = command(t, cli, files, o.threads);
        try {
          const m = await measure(c.cmd, c.args, c.env);
          (runs[t] ??= []).push({ m, r: parseResult(t, m) });
        } catch (e) {
          failed[t] = (e as Error).message.slice(0, 200);
          log(`  ${TOOL_NAMES[t]} failed: ${failed[t]}`);
        }
      }
    }
    for (const t of active) {
      if (failed[t]) {
        tools[t] = { skipped: `failed: ${failed[t]}` };
        continue;
      }
      const rs = runs[t] ?? [];
      const last = rs.at(-1)!.r;
      tools[t] = {
        seconds: median(rs.map((x) => x.m.seconds)),
        all: rs.map((x) => Number(x.m.seconds.toFixed(3))),
        inner: rs.every((x) => x.r.inner != null) ? median(rs.map((x) => x.r.inner!)) : null,
        rssMB: Math.max(...rs.map((x) => x.m.rssMB)),
        nc1: last.nc1,
        ncc_accuracy: last.ncc_accuracy,
        classifier_accuracy: last.classifier_accuracy,
        info: last.info,
      };
    }
    // Agreement: each baseline against NC Lens, or against the other baseline.
    for (const t of ['torch', 'numpy'] as const) {
      const b = tools[t];
      const ref =
        tools.nclens?.nc1 !== undefined ? tools.nclens : tools[t === 'torch' ? 'numpy' : 'torch'];
      if (b?.nc1 === undefined || ref?.nc1 === undefined || ref === b) continue;
      b.nc1RelDiff = Math.abs(b.nc1 - ref.nc1) / Math.max(Math.abs(ref.nc1), 1e-300);
      const accSame =
        (b.ncc_accuracy === ref.ncc_accuracy || ref.ncc_accuracy == null) &&
        (b.classifier_accuracy === ref.classifier_accuracy || ref.classifier_accuracy == null);
      b.agrees = b.nc1RelDiff <= 1e-6 && accSame;
      if (!b.agrees) {
        log(
          `  DISAGREEMENT ${t} vs ${ref === tools.nclens ? 'NC Lens' : 'the other baseline'}: ` +
            `nc1 ${b.nc1} vs ${ref.nc1}, ncc ${b.ncc_accuracy} vs ${ref.ncc_accuracy}, ` +
            `classifier ${b.classifier_accuracy} vs ${ref.classifier_accuracy}`,
        );
      }
    }
    const row: RowResult = {
      name: w.name,
      n: w.n,
      d: w.d,
      c: w.c,
      fileMB,
      at: new Date().toISOString(),
      load: { before, after: loadavg() },
      limit,
      tools,
    };
    results.push(row);
    console.log(rowLine(row));
    writeResults(results, meta);
  }
  const projection = projectImagenet(readResults().rows.filter((r) => !r.projected));
  if (projection) console.log(rowLine(projection));
  log(`wrote ${RESULTS_JSON} and ${RESULTS_MD}`);
}
