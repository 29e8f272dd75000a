/**
 * Run folders: the dumps a folder holds (one per epoch), its training log, and a watcher that
 * reports dumps as they land, whole. A dump counts once its size and modification time have
 * stayed the same for `settleMs` (a file renamed into place is whole at once and passes the
 * first check after it; a file written slowly waits until the writer stops); a dump that then
 * fails to open is tried again when it changes. The CLI (`analyze RUN_DIR`), `serve --watch`
 * and the app's Open folder all list a folder through `folderDumps` (main/io/folder.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DUMP_EXTENSIONS, type LiveLogEntry } from '../../shared/live.ts';
import { folderDumps } from '../io/folder.ts';

export { DUMP_EXTENSIONS };
export { checkedFolder, folderDumps, isDumpName } from '../io/folder.ts';

/** Training logs read beside the dumps, in this order of preference. */
export const LOG_FILES = ['run.json', 'train_log.json', 'train_log.jsonl', 'log.jsonl'];

export interface RunLog {
  /** The file it was read from. */
  file: string;
  model?: string;
  dataset?: string;
  epochs: LiveLogEntry[];
}

/**
 * The training log of a run folder, when it has one: `run.json` (nc_lens's: `{model, dataset,
 * epochs: [{epoch, step, train_acc, train_loss}]}`), or `train_log.json` (an array of such
 * entries) or a `.jsonl` of them. A log that cannot be read is left out (it is not a dump).
 */
export async function readRunLog(dir: string): Promise<RunLog | undefined> {
  for (const name of LOG_FILES) {
    const file = path.join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const data: unknown = name.endsWith('.jsonl')
        ? text
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as unknown)
        : JSON.parse(text);
      const record = (v: unknown): Record<string, unknown> =>
        typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
      const rows = Array.isArray(data) ? data : record(data).epochs;
      if (!Array.isArray(rows)) continue;
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
      const epochs: LiveLogEntry[] = [];
      for (const row of rows.map(record)) {
        const epoch = num(row.epoch);
        if (epoch === undefined) continue;
        const entry: LiveLogEntry = { epoch };
        const acc = num(row.train_acc ?? row.train_accuracy);
        const loss = num(row.train_loss ?? row.loss);
        const step = num(row.step ?? row.global_step);
        const wall = num(row.wall_time ?? row.time ?? row.elapsed);
        if (wall !== undefined) entry.wall_time = wall;
        if (acc !== undefined) entry.train_acc = acc;
        if (loss !== undefined) entry.train_loss = loss;
        if (step !== undefined) entry.step = step;
        epochs.push(entry);
      }
      const meta = Array.isArray(data) ? {} : record(data);
      return {
        file,
        ...(typeof meta.model === 'string' ? { model: meta.model } : {}),
        ...(typeof meta.dataset === 'string' ? { dataset: meta.dataset } : {}),
        epochs: epochs.sort((a, b) => a.epoch - b.epoch),
      };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The epoch where training accuracy first reaches 100% in a log (the terminal phase). */
export function terminalEpoch(log: RunLog | undefined): number | undefined {
  return log?.epochs.find((e) => e.train_acc !== undefined && e.train_acc >= 1)?.epoch;
}

export interface WatchOptions {
  /** How often the folder is listed (fs events list it sooner). */
  intervalMs?: number;
  /** How long a new dump's size and mtime must stay the same. */
  settleMs?: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When it was first seen with this size and mtime. */
  since: number;
}

/**
 * Follows a run folder: `onDumps` gets the dumps that became whole since the last call,
 * `onLog` the training log when it changes. `retry(file)` forgets a dump that failed to open
 * so it is reported again once it changes.
 */
export class FolderWatcher {
  private readonly seen = new Map<string, Seen>();
  private readonly taken = new Map<string, Seen>();
  private logStamp = '';
  private timer: NodeJS.Timeout | undefined;
  private fsWatcher: FSWatcher | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly settleMs: number;

  constructor(
    readonly dir: string,
    private readonly onDumps: (files: string[]) => void | Promise<void>,
    private readonly onLog: (log: RunLog | undefined) => void | Promise<void>,
    opts: WatchOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 250;
    this.settleMs = opts.settleMs ?? 1000;
  }

  /** Marks `files` as already taken (opened when the folder was opened). */
  async adopt(files: string[]): Promise<void> {
    for (const f of files) {
      const s = await stat(f).catch(() => undefined);
      if (s) this.taken.set(f, { size: s.size, mtimeMs: s.mtimeMs, since: 0 });
    }
  }

  start(): void {
    try {
      this.fsWatcher = watch(this.dir, () => this.poke());
      this.fsWatcher.on('error', () => undefined);
    } catch {
      // Polling alone still follows the folder.
    }
    this.timer = setInterval(() => this.poke(), this.intervalMs);
    this.poke();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.fsWatcher?.close();
  }

  retry(file: string): void {
    this.taken.delete(file);
  }

  /** Lists the folder now (or once more after the listing under way). */
  poke(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch(() => undefined)
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Settles when the listing under way (if any) is done. */
  async idle(): Promise<void> {
    while (this.polling) await this.polling;
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const files = await folderDumps(this.dir).catch(() => [] as string[]);
    const ready: string[] = [];
    for (const f of files) {
      const s = await stat(f).catch(() => undefined);
      if (!s) continue;
      const took = this.taken.get(f);
      if (took && took.size === s.size && took.mtimeMs === s.mtimeMs) continue;
      const prev = this.seen.get(f);
      if (!prev || prev.size !== s.size || prev.mtimeMs !== s.mtimeMs) {
        this.seen.set(f, { size: s.size, mtimeMs: s.mtimeMs, since: now });
        continue;
      }
      if (now - prev.since >= this.settleMs && now - s.mtimeMs >= this.settleMs) {
        this.taken.set(f, prev);
        this.seen.delete(f);
        ready.push(f);
      }
    }
    for (const f of [...this.taken.keys()]) if (!files.includes(f)) this.taken.delete(f);
    const stamp = await logStamp(this.dir);
    if (stamp !== this.logStamp) {
      this.logStamp = stamp;
      if (!this.stopped) await this.onLog(await readRunLog(this.dir));
    }
    if (ready.length && !this.stopped) await this.onDumps(ready);
  }
}

async function logStamp(dir: string): Promise<string> {
  const parts = await Promise.all(
    LOG_FILES.map(async (n) => {
      const s = await stat(path.join(dir, n)).catch(() => undefined);
      return s ? `${n}:${s.size}:${s.mtimeMs}` : '';
    }),
  );
  return parts.join('|');
}
