/**
 * Results cached per epoch dump, so reopening a run (a folder of 200 dumps, a watched run
 * after a restart) recomputes nothing. A point's key is a digest of what its numbers depend
 * on: each file's path, size, modification time and a digest of its first and last 64 KiB
 * (the array headers, an archive's directory), the arrays' roles, the analysis settings and
 * the NC Lens version. Entries are JSON files in the user's cache folder
 * (`$XDG_CACHE_HOME/nc-lens/results`, else `~/.cache/nc-lens/results`; `NC_LENS_CACHE_DIR`
 * overrides it), bounded in count and bytes (least recently used go first), and cleared by
 * `nc-lens cache clear`.
 */
import { createHash } from 'node:crypto';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { MetricsResult } from '../../shared/schema.ts';
import { version } from '../version.ts';

/** Bump when cached results would no longer be what the engine computes. */
const CACHE_FORMAT = 1;
const HEAD_BYTES = 64 * 1024;

export interface ResultCache {
  get(key: string): Promise<MetricsResult | undefined>;
  set(key: string, value: MetricsResult): Promise<void>;
}

/** The folder cached results live in. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NC_LENS_CACHE_DIR) return env.NC_LENS_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'nc-lens', 'results');
}

/** A file's identity for the cache: path, size, mtime and a digest of its ends. */
export async function fileDigest(file: string): Promise<string> {
  const info = await stat(file);
  const hash = createHash('sha256').update(`${path.resolve(file)}|${info.size}|${info.mtimeMs}|`);
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (info.size > HEAD_BYTES) {
      const tail = Buffer.alloc(Math.min(HEAD_BYTES, info.size - HEAD_BYTES));
      await handle.read(tail, 0, tail.length, info.size - tail.length);
      hash.update(tail);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** The key of one point: its files (with their arrays' roles) and the settings. */
export async function pointKey(
  files: { path: string; roles: [string, string][] }[],
  settings: Record<string, unknown>,
): Promise<string> {
  const digests = await Promise.all(files.map((f) => fileDigest(f.path)));
  const text = JSON.stringify({
    format: CACHE_FORMAT,
    version,
    settings,
    files: files.map((f, i) => ({ digest: digests[i], roles: f.roles })),
  });
  return createHash('sha256').update(text).digest('hex');
}

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
}

const DEFAULT_LIMITS: CacheLimits = { maxEntries: 5000, maxBytes: 512 * 1024 * 1024 };

/** Results a DiskCache keeps in memory too: a followed run reads its points after each dump. */
const MEMORY_ENTRIES = 1000;

/** Cached results as files `<key>.json` in `dir`. Failures to read or write are misses. */
export class DiskCache implements ResultCache {
  private writes = 0;
  private readonly memory = new Map<string, MetricsResult>();

  constructor(
    readonly dir: string = cacheDir(),
    private readonly limits: CacheLimits = DEFAULT_LIMITS,
  ) {}

  private file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<MetricsResult | undefined> {
    const held = this.memory.get(key);
    if (held) {
      // Its file stays the most recently used on disk too (what trim keeps).
      const now = new Date();
      await utimes(this.file(key), now, now).catch(() => undefined);
      this.remember(key, held);
      return structuredClone(held);
    }
    try {
      const file = this.file(key);
      const value = JSON.parse(await readFile(file, 'utf8')) as MetricsResult;
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      this.remember(key, value);
      return structuredClone(value);
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: MetricsResult): Promise<void> {
    this.remember(key, structuredClone(value));
    try {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file(key)}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, this.file(key));
      if (this.writes++ % 20 === 0) await this.trim();
    } catch {
      // A cache that cannot be written is a cache that misses.
    }
  }

  private remember(key: string, value: MetricsResult): void {
    this.memory.delete(key);
    this.memory.set(key, value);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Drops the least recently used entries beyond the limits. */
  async trim(): Promise<void> {
    const entries = await listEntries(this.dir);
    entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
    let bytes = 0;
    for (const [i, e] of entries.entries()) {
      bytes += e.size;
      if (i >= this.limits.maxEntries || bytes > this.limits.maxBytes) {
        await rm(e.file, { force: true });
        this.memory.delete(path.basename(e.file).slice(0, 64));
      }
    }
  }
}

async function listEntries(
  dir: string,
): Promise<{ file: string; size: number; mtimeMs: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out = [];
  for (const name of names.filter((n) => /^[0-9a-f]{64}\.json(\.\d+\.tmp)?$/.test(n))) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) out.push({ file, size: info.size, mtimeMs: info.mtimeMs });
  }
  return out;
}

/** Removes every cached result; returns how many and their bytes. */
export async function clearCache(
  dir: string = cacheDir(),
): Promise<{ entries: number; bytes: number }> {
  const entries = await listEntries(dir);
  for (const e of entries) await rm(e.file, { force: true });
  return { entries: entries.length, bytes: entries.reduce((s, e) => s + e.size, 0) };
}

/** What the cache holds. */
export async function cacheSize(
  dir: string = cacheDir(),
): Promise<{ entries: number; bytes: number }> {
  const entries = await listEntries(dir);
  return { entries: entries.length, bytes: entries.reduce((s, e) => s + e.size, 0) };
}
