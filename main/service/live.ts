/**
 * A run folder followed live by the service: its dumps opened as they land (watch.ts says
 * when one is whole), the session analysed again after each change (one analysis at a time:
 * a dump landing mid-analysis is taken by the next one, none is cancelled), with the results
 * cache (main/cache/results.ts) so each analysis computes only the new points. The UI learns
 * of changes by the revision (shared/live.ts).
 */
import path from 'node:path';
import type { LiveRun } from '../../shared/live.ts';
import {
  folderDumps,
  FolderWatcher,
  readRunLog,
  terminalEpoch,
  type RunLog,
  type WatchOptions,
} from './watch.ts';

/** What the live folder needs of the session. */
export interface LiveHost {
  /** Opens `paths` beside the open files; returns those that could not be opened, with why. */
  addFiles(paths: string[]): Promise<{ path: string; reason: string }[]>;
  /** Analyses the session (with the cache); a failure is the session's to report. */
  analyze(): Promise<void>;
}

export class LiveFolder {
  private revision = 1;
  private log: RunLog | undefined;
  private readonly waiting = new Map<string, string>();
  private watcher: FolderWatcher | undefined;
  private analyzing = false;
  private dirty = false;
  private loop: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly folder: string,
    private readonly host: LiveHost,
    private readonly opts: WatchOptions = {},
  ) {}

  /** Opens the dumps the folder holds now and starts following it; analysis runs behind. */
  async start(): Promise<void> {
    const now = await folderDumps(this.folder);
    const failed = await this.host.addFiles(now);
    this.log = await readRunLog(this.folder);
    this.watcher = new FolderWatcher(
      this.folder,
      (files) => this.landed(files),
      (log) => {
        this.log = log;
        this.bump();
      },
      this.opts,
    );
    const bad = new Set(failed.map((f) => f.path));
    await this.watcher.adopt(now.filter((f) => !bad.has(f)));
    for (const f of failed) this.waiting.set(f.path, f.reason);
    this.watcher.start();
    if (now.length > failed.length) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
  }

  /** Settles once no analysis is pending. */
  async settled(): Promise<void> {
    await this.loop;
  }

  status(): LiveRun {
    const run: LiveRun = {
      folder: this.folder,
      revision: this.revision,
      waiting: [...this.waiting].map(([f, reason]) => ({ name: path.basename(f), reason })),
      analyzing: this.analyzing || this.dirty,
    };
    if (this.log) {
      run.log = {
        file: path.basename(this.log.file),
        ...(this.log.model ? { model: this.log.model } : {}),
        ...(this.log.dataset ? { dataset: this.log.dataset } : {}),
        epochs: this.log.epochs,
      };
      const t = terminalEpoch(this.log);
      if (t !== undefined) run.terminalEpoch = t;
    }
    return run;
  }

  /** Something the UI shows changed (files, roles, result, log). */
  bump(): void {
    this.revision++;
  }

  private async landed(files: string[]): Promise<void> {
    if (this.stopped) return;
    const failed = await this.host.addFiles(files);
    const bad = new Set(failed.map((f) => f.path));
    for (const f of files) if (!bad.has(f)) this.waiting.delete(f);
    for (const f of failed) {
      // Half-written (or not a dump at all): tried again when it changes.
      this.waiting.set(f.path, f.reason);
      this.watcher?.retry(f.path);
    }
    this.bump();
    if (failed.length < files.length) this.schedule();
  }

  /** Analyses again once the analysis under way (if any) is done. */
  schedule(): void {
    this.dirty = true;
    if (this.analyzing) return;
    this.loop = (async () => {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        this.analyzing = true;
        this.bump();
        try {
          await this.host.analyze();
        } catch {
          // The session keeps its previous result; the next dump tries again.
        } finally {
          this.analyzing = false;
          this.bump();
        }
      }
    })();
  }
}
