/**
 * The object the sandboxed preload exposes as `window.ncLens`, built from the few Electron
 * functions it needs. Electron-free so the contract is tested in plain Node.
 */
import type { ExportFormat } from '../../shared/api.ts';
import type { Progress } from '../../shared/schema.ts';
import type { CallMethod, Envelope, NcLensBridge, ShellCommand } from '../../shared/transport.ts';
import { CHANNELS } from './channels.ts';

export interface PreloadDeps {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  /** Subscribes to a main → renderer channel; returns the unsubscribe. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
  pathForFile(file: File): string;
}

export function createBridge(deps: PreloadDeps): NcLensBridge {
  const invoke = <T>(channel: string, ...args: unknown[]) =>
    deps.invoke(channel, ...args) as Promise<Envelope<T>>;
  return {
    call: (method: CallMethod, args: unknown[]) => invoke(CHANNELS.call, method, args),
    analyze: () => invoke(CHANNELS.analyze),
    onProgress: (listener: (p: Progress) => void) =>
      deps.on(CHANNELS.progress, (p) => listener(p as Progress)),
    exportResult: (format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) =>
      invoke(CHANNELS.exportResult, format, extra),
    saveExport: (format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) =>
      invoke(CHANNELS.saveExport, format, extra),
    pathForFile: (file: File) => deps.pathForFile(file),
    onCommand: (listener: (cmd: ShellCommand) => void) =>
      deps.on(CHANNELS.command, (c) => listener(c as ShellCommand)),
  };
}
