import type { ExportFormat, FileRef, NcLensApi, SessionState } from '../../../shared/api.ts';
import type { CallMethod, ShellCommand } from '../../../shared/transport.ts';

export type { ShellCommand };

export interface OpenFilesOptions {
  add?: boolean;
  signal?: AbortSignal;
  /** Share of the bytes uploaded so far, 0..1. */
  onProgress?: (fraction: number) => void;
}

/** NcLensApi plus what differs between the shells: getting files in, saving exports, the menu. */
export interface ClientApi extends NcLensApi {
  /**
   * Picked or dropped files into the session (browser: streamed upload; Electron: their paths),
   * in place of the open ones or, with `add`, beside them. The browser's upload reports the
   * share of bytes sent and stops at `signal` (a `cancelled` error; the open files stay).
   */
  openFiles(files: File[], opts?: OpenFilesOptions): Promise<SessionState>;
  /**
   * Picked or dropped files as references the service opens (browser: uploaded; Electron:
   * their paths), for calls that take files other than `openFiles` (addRun).
   */
  fileRefs(files: File[], opts?: { signal?: AbortSignal }): Promise<FileRef[]>;
  /** Exports and saves: a download in the browser, a save dialog in Electron. */
  saveExport(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }): Promise<void>;
  /** Electron File-menu commands (never fired in the browser). Returns the unsubscribe. */
  onCommand(listener: (cmd: ShellCommand) => void): () => void;
}

type PlainMethods = Pick<
  NcLensApi,
  | 'info'
  | 'state'
  | 'open'
  | 'openDemo'
  | 'closeFile'
  | 'closeAll'
  | 'setRole'
  | 'setCentering'
  | 'selectPoint'
  | 'cancel'
  | 'cosineTile'
  | 'runs'
  | 'addRun'
  | 'renameRun'
  | 'closeRun'
  | 'setExportView'
  | 'saveSession'
  | 'recentSessions'
  | 'openSession'
>;

/** The API methods that are one request and one answer, the same over every transport. */
export function plainMethods(
  call: <T>(method: CallMethod, ...args: unknown[]) => Promise<T>,
): PlainMethods {
  return {
    info: () => call('info'),
    state: () => call('state'),
    open: (files, opts) => call('open', files, opts ?? {}),
    openDemo: () => call('openDemo'),
    closeFile: (fileId) => call('closeFile', fileId),
    closeAll: () => call('closeAll'),
    setRole: (arrayId, role) => call('setRole', arrayId, role),
    setCentering: (centering) => call('setCentering', centering),
    selectPoint: (index) => call('selectPoint', index),
    cancel: () => call('cancel'),
    cosineTile: (point, rows, cols) => call('cosineTile', point, rows, cols),
    runs: () => call('runs'),
    addRun: (files, opts) => call('addRun', files, opts ?? {}),
    renameRun: (id, name) => call('renameRun', id, name),
    closeRun: (id) => call('closeRun', id),
    setExportView: (view) => call('setExportView', view),
    saveSession: (ui, opts) => call('saveSession', ui, opts ?? {}),
    recentSessions: () => call('recentSessions'),
    openSession: (ref) => call('openSession', ref),
  };
}
