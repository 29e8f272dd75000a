/**
 * Shards: row blocks of one dataset, as several files (`--shards 'dir/*.npz'`, or a text file
 * listing them, one a line, optionally with a row range `PATH A:B`) or row ranges of one
 * large file (`--rows A:B`). Each shard is opened as a dataset of its own (the shard's
 * arrays give features and labels, roles guessed or named) and windowed to its rows.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, readdir, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import { fileFormat, openDataset, type RoleOverrides } from '../io/index.ts';
import type { ArraySource, Dataset, Split } from '../io/types.ts';
import type { ShardRecord } from './format.ts';

/** A shard as given: a file and, optionally, a row range of it. */
export interface ShardSpec {
  file: string;
  rows?: [number, number];
}

/** `A:B` → [A, B) (B may be omitted: to the end). */
export function parseRows(text: string, where?: string): [number, number | undefined] {
  const m = /^(\d+):(\d*)$/.exec(text.trim());
  if (!m || (m[2] !== '' && Number(m[2]) <= Number(m[1]))) {
    throw badInput(where, 'a row range START:END with START < END (e.g. 0:1000000)', `'${text}'`);
  }
  return [Number(m[1]), m[2] === '' ? undefined : Number(m[2])];
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${body.replace(/\?/g, '[^/]')}$`);
}

/** Files matching a glob whose wildcards (`*`, `?`) are in its last component. */
async function globFiles(pattern: string): Promise<string[]> {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (/[*?]/.test(dir)) {
    throw badInput(pattern, 'wildcards in the file name only (dir/*.npz)', 'a wildcard folder');
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw badInput(pattern, 'a readable folder', `no folder ${dir}`);
  }
  const re = globToRegExp(base);
  return names
    .filter((n) => re.test(n))
    .sort(naturalCompare)
    .map((n) => path.join(dir, n));
}

/** shard-2 before shard-10. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * The shards `--shards` names: a glob, a list file, or a data file; several may be given
 * (comma-free: the CLI passes each positional). A list file has one shard a line (`#`
 * comments), paths relative to it, each optionally followed by a row range.
 */
export async function resolveShards(given: string[], rows?: string): Promise<ShardSpec[]> {
  const out: ShardSpec[] = [];
  for (const g of given) {
    if (/[*?]/.test(g)) {
      const files = await globFiles(g);
      if (!files.length) throw badInput(g, 'shard files matching the pattern', 'none');
      out.push(...files.map((file) => ({ file })));
      continue;
    }
    if (!existsSync(g) || !statSync(g).isFile()) throw badInput(g, 'a shard file', 'no such file');
    if (!DATA_EXT.test(g) && isText(g) && (await fileFormat(g)) !== 'npy') {
      out.push(...listFile(g));
      continue;
    }
    out.push({ file: g });
  }
  if (rows !== undefined) {
    if (out.length !== 1) {
      throw badInput(undefined, '--rows with exactly one file', `${out.length} shards`);
    }
    const [a, b] = parseRows(rows, '--rows');
    out[0].rows = [a, b ?? Number.MAX_SAFE_INTEGER];
  }
  if (!out.length) throw badInput(undefined, 'shard files', 'none');
  return out;
}

/** Extensions of data files (anything else that is text is a list of shards). */
const DATA_EXT = /\.(npy|npz|safetensors|pb|onnx|pt|pth)$/i;

/** No NUL byte in the first 4 KB, and its lines look like paths. */
function isText(file: string): boolean {
  const head = readFileSync(file).subarray(0, 4096);
  return !head.includes(0);
}

function listFile(file: string): ShardSpec[] {
  const dir = path.dirname(file);
  const specs: ShardSpec[] = [];
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(.*?)(?:\s+(\d+:\d*))?$/.exec(line)!;
    const p = path.resolve(dir, m[1]);
    if (!existsSync(p)) throw badInput(`${file}:${i + 1}`, 'a shard file', `no file ${m[1]}`);
    const spec: ShardSpec = { file: p };
    if (m[2]) {
      const [a, b] = parseRows(m[2], `${file}:${i + 1}`);
      spec.rows = [a, b ?? Number.MAX_SAFE_INTEGER];
    }
    specs.push(spec);
  }
  if (!specs.length) throw badInput(file, 'a list of shard files, one a line', 'no files');
  return specs;
}

/** SHA-256 of a file's bytes, streamed. */
async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Content digests, remembered by file identity (real path, size, mtime) in memory and, when
 * given, in a JSON cache file (a run's workdir keeps one, so reruns hash nothing again).
 */
export class Digests {
  private known = new Map<string, string>();
  private dirty = false;
  constructor(private readonly cacheFile?: string) {
    if (cacheFile && existsSync(cacheFile)) {
      try {
        const saved = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>;
        for (const [k, v] of Object.entries(saved)) this.known.set(k, v);
      } catch {
        // an unreadable cache is rebuilt
      }
    }
  }

  async of(file: string): Promise<{ real: string; bytes: number; sha256: string }> {
    const real = await realpath(file);
    const info = await stat(real);
    const key = `${real}|${info.size}|${info.mtimeMs}`;
    let sha = this.known.get(key);
    if (!sha) {
      sha = await sha256File(real);
      this.known.set(key, sha);
      this.dirty = true;
    }
    return { real, bytes: info.size, sha256: sha };
  }

  async save(): Promise<void> {
    if (!this.cacheFile || !this.dirty) return;
    // merged with what other processes saved meanwhile
    let saved: Record<string, string>;
    try {
      saved = JSON.parse(await readFile(this.cacheFile, 'utf8')) as Record<string, string>;
    } catch {
      saved = {};
    }
    const all = { ...saved, ...Object.fromEntries(this.known) };
    const tmp = `${this.cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(all, null, 1));
    await rename(tmp, this.cacheFile);
    this.dirty = false;
  }
}

/** Rows [start, start + rows) of `a`, as a source of its own. */
function windowed(a: ArraySource, start: number, rows: number): ArraySource {
  if (start === 0 && rows === a.rows) return a;
  const shape = [rows, ...a.shape.slice(1)];
  const w: ArraySource = {
    name: a.name,
    file: a.file,
    dtype: a.dtype,
    shape,
    bytes: Math.round((a.bytes / Math.max(a.rows, 1)) * rows),
    rows,
    rowSize: a.rowSize,
    readRows: (s, e, signal) => a.readRows(start + s, start + e, signal),
  };
  const features = a.readFeatures;
  if (features) w.readFeatures = (s, e, signal) => features.call(a, start + s, start + e, signal);
  return w;
}

export interface OpenShard {
  record: ShardRecord;
  dataset: Dataset;
  /** The shard's rows of the features, labels and (if any) logits. */
  features: ArraySource;
  labels: ArraySource;
  logits?: ArraySource;
  /**
   * The file's test split, whole, when this shard's row range starts at row 0 (so a file cut
   * into row ranges has its test rows counted once); see ShardRecord.test.
   */
  test?: Split;
  close(): Promise<void>;
}

/** Opens a shard: its dataset (roles guessed or overridden), windowed to its rows. */
export async function openShard(
  spec: ShardSpec,
  overrides: RoleOverrides,
  digests: Digests,
): Promise<OpenShard> {
  const opened = await openDataset([spec.file], overrides);
  try {
    const { train } = opened.dataset;
    const total = train.features.rows;
    const [a, b0] = spec.rows ?? [0, total];
    const b = Math.min(b0, total);
    if (a >= b) {
      throw badInput(spec.file, `rows ${a}:${b0} within its ${total} rows`, `${total} rows`);
    }
    const id = await digests.of(spec.file);
    const test = opened.dataset.test;
    const carried = test && a === 0 ? test : undefined;
    return {
      record: {
        file: id.real,
        start: a,
        end: b,
        bytes: id.bytes,
        sha256: id.sha256,
        test: test ? (carried ? carried.features.rows : 0) : null,
      },
      dataset: opened.dataset,
      features: windowed(train.features, a, b - a),
      labels: windowed(train.labels, a, b - a),
      logits: train.logits && windowed(train.logits, a, b - a),
      test: carried,
      close: opened.close,
    };
  } catch (e) {
    await opened.close();
    throw e;
  }
}

/** A shard spec as the stats commands take it on their command line. */
export function shardArgs(spec: ShardSpec): string[] {
  return spec.rows ? [spec.file, '--rows', `${spec.rows[0]}:${spec.rows[1]}`] : [spec.file];
}
