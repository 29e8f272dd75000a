/**
 * `npm run bench -- engine [--quick]`: end-to-end speed and memory of `nc-lens analyze` on
 * collapsing synthetic dumps (class means plus Gaussian noise, float32 .npy, written in
 * chunks under .bench/engine/ and reused between runs). For each (N, D, C) it prints the
 * wall time of the CLI (a fresh bundle, spawned), the time to read the features file once,
 * their ratio, rows/s and the child's peak RSS. `--quick` runs only the first case.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { bundleNode } from '../scripts/build.js';
import { syntheticDump } from '../test/e2e/synthetic.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORK = path.join(ROOT, '.bench/engine');
const CASES: [number, number, number][] = [
  [50_000, 512, 10],
  [100_000, 512, 100],
  [1_000_000, 512, 100],
];

interface CaseFiles {
  features: string;
  labels: string;
  weight: string;
}

/** The synthetic dump of one case, generated once under .bench/engine. */
function generate(n: number, d: number, c: number): CaseFiles {
  const [features, labels, weight] = syntheticDump(
    path.join(WORK, `${n}x${d}x${c}`),
    n,
    d,
    c,
    'case',
    {
      weight: true,
    },
  );
  return { features, labels, weight };
}

/** Seconds to read a file once, sequentially, in 8 MB reads. */
function readOnce(file: string): number {
  const t = performance.now();
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
  return (performance.now() - t) / 1000;
}

/** Bundles the CLI and its workers with scripts/build.js's own function, into .bench/engine/dist. */
async function bundle(): Promise<string> {
  const outdir = path.join(WORK, 'dist');
  await bundleNode(outdir);
  // Writes the child's peak RSS (kB) when it exits.
  writeFileSync(
    path.join(outdir, 'rss.mjs'),
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.NC_BENCH_RSS, String(process.resourceUsage().maxRSS)));\n",
  );
  return outdir;
}

interface Run {
  seconds: number;
  rssMB: number;
  engine: { backend: string; threads: number; seconds: number };
}

function analyze(dist: string, files: CaseFiles): Promise<Run> {
  const out = path.join(WORK, 'result.json');
  const rssFile = path.join(WORK, 'rss.txt');
  const args = [
    '--import',
    path.join(dist, 'rss.mjs'),
    path.join(dist, 'cli.js'),
    'analyze',
    '--features',
    files.features,
    '--labels',
    files.labels,
    '--weight',
    files.weight,
    '--json',
    out,
    '--quiet',
  ];
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NC_BENCH_RSS: rssFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t) / 1000;
      if (code !== 0) return reject(new Error(`nc-lens analyze exited with ${code}`));
      const result = JSON.parse(readFileSync(out, 'utf8'));
      resolve({
        seconds,
        rssMB: Number(readFileSync(rssFile, 'utf8')) / 1024,
        engine: result.engine,
      });
    });
  });
}

export async function run(args: string[]): Promise<void> {
  const cases = args.includes('--quick') ? CASES.slice(0, 1) : CASES;
  mkdirSync(WORK, { recursive: true });
  const dist = await bundle();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`,
  );
  const header = [
    'N',
    'D',
    'C',
    'file MB',
    'analyze s',
    'read s',
    'ratio',
    'rows/s',
    'peak RSS MB',
    'engine',
  ];
  const rows: string[][] = [];
  for (const [n, d, c] of cases) {
    process.stderr.write(`generating ${n}×${d}×${c}…\n`);
    const files = generate(n, d, c);
    const mb = statSync(files.features).size / 1e6;
    readOnce(files.features); // warm the page cache, as the CLI run will find it
    const read = readOnce(files.features);
    process.stderr.write(`analysing ${n}×${d}×${c}…\n`);
    const r = await analyze(dist, files);
    rows.push([
      String(n),
      String(d),
      String(c),
      mb.toFixed(0),
      r.seconds.toFixed(2),
      read.toFixed(3),
      (r.seconds / read).toFixed(1),
      Math.round(n / r.seconds).toLocaleString('en-US'),
      r.rssMB.toFixed(0),
      `${r.engine.backend} ×${r.engine.threads}`,
    ]);
  }
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]) => `| ${r.map((x, j) => x.padStart(widths[j])).join(' | ')} |`;
  console.log(
    [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
      '\n',
    ),
  );
}
