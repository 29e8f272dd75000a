/**
 * How NcLensApi crosses a boundary, typed once for both sides: the method names, the HTTP
 * routes and token header of the browser shell, and the Electron preload bridge
 * (`window.ncLens`). The session itself is shared/api.ts.
 */
import type { ExportFormat, FileRef, NcLensApi } from './api.ts';
import type { ErrorValue } from './errors.ts';
import type { Progress } from './schema.ts';

/** Methods that are plain JSON in, JSON out (analyze and export have their own routes). */
export const CALL_METHODS = [
  'info',
  'state',
  'open',
  'openDemo',
  'closeFile',
  'closeAll',
  'setRole',
  'setCentering',
  'selectPoint',
  'cancel',
  'cosineTile',
  'runs',
  'addRun',
  'renameRun',
  'closeRun',
  'setExportView',
  'saveSession',
  'recentSessions',
  'openSession',
] as const satisfies readonly (keyof NcLensApi)[];
export type CallMethod = (typeof CALL_METHODS)[number];

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };

/** Browser shell: every API request carries the per-run token in this header. */
export const TOKEN_HEADER = 'x-nc-lens-token';
export const ROUTES = {
  call: '/api/call/',
  analyze: '/api/analyze',
  upload: '/api/upload',
  export: '/api/export',
} as const;

/** Commands from the Electron File menu to the renderer. */
export type ShellCommand =
  | { type: 'open'; refs: FileRef[] }
  | { type: 'open-demo' }
  | { type: 'export'; format: ExportFormat }
  /** Electron's File ▸ Save session and its recent sessions (renderer/src/state/saved.svelte.ts). */
  | { type: 'save-session' }
  | { type: 'open-session'; ref: { recent: string } | { path: string } };

/** What the sandboxed preload exposes as `window.ncLens`. */
export interface NcLensBridge {
  /** One API call; never rejects (failures come back as `{ ok: false }`). */
  call(method: CallMethod, args: unknown[]): Promise<Envelope<unknown>>;
  /** Starts an analysis; progress goes to the `onProgress` listeners. */
  analyze(): Promise<Envelope<unknown>>;
  onProgress(listener: (p: Progress) => void): () => void;
  exportResult(
    format: ExportFormat,
    extra?: { viewPng?: Uint8Array; title?: string },
  ): Promise<Envelope<{ name: string; mime: string; data: Uint8Array }>>;
  /** Exports and shows the save dialog; `saved` is false when the user cancelled it. */
  saveExport(
    format: ExportFormat,
    extra?: { viewPng?: Uint8Array; title?: string },
  ): Promise<Envelope<{ saved: boolean }>>;
  /** The path of a dropped or picked file (Electron's webUtils.getPathForFile). */
  pathForFile(file: File): string;
  onCommand(listener: (cmd: ShellCommand) => void): () => void;
}
