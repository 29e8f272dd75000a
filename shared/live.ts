/**
 * A run followed live (`nc-lens serve --watch RUN_DIR`, the app's Open folder): the folder,
 * its training log, and a revision the UI polls (through `info()`) to know when to fetch the
 * session again.
 */

/** Extensions of the files a run folder's dumps may be (the folder listing, Open folder…). */
export const DUMP_EXTENSIONS = ['.npz', '.npy', '.safetensors', '.pt', '.pth', '.bin', '.pb'];

/** One epoch of a training log (run.json's `epochs`, train_log.json, a .jsonl). */
export interface LiveLogEntry {
  epoch: number;
  step?: number;
  /** Seconds since training started (`wall_time`, `time` or `elapsed`): the wall-time x axis. */
  wall_time?: number;
  train_acc?: number;
  train_loss?: number;
}

export interface LiveRun {
  /** The folder followed. */
  folder: string;
  /** Goes up whenever the files, the log or the result change. */
  revision: number;
  /** Dumps seen but not analysed yet: still being written, or unreadable (with the reason). */
  waiting: { name: string; reason: string }[];
  /** An analysis of the folder is under way. */
  analyzing: boolean;
  /** The training log beside the dumps, when there is one. */
  log?: { file: string; model?: string; dataset?: string; epochs: LiveLogEntry[] };
  /** The first epoch where the log's training accuracy reaches 100%: the terminal phase. */
  terminalEpoch?: number;
}
