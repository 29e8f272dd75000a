/**
 * The Electron client: NcLensApi over the sandboxed preload bridge (`window.ncLens`).
 * Failures arrive as values and are rebuilt into NcLensError here.
 */
import type { ExportFormat, FileRef, SessionState } from '../../../shared/api.ts';
import { NcLensError, fromErrorValue } from '../../../shared/errors.ts';
import type { Progress } from '../../../shared/schema.ts';
import type { CallMethod, Envelope, NcLensBridge } from '../../../shared/transport.ts';
import { plainMethods, type ClientApi, type OpenFilesOptions } from './client.ts';

function unwrap<T>(e: Envelope<unknown>): T {
  if (e.ok) return e.value as T;
  throw fromErrorValue(e.error);
}

export function createElectronClient(bridge: NcLensBridge): ClientApi {
  const call = async <T>(method: CallMethod, ...args: unknown[]): Promise<T> =>
    unwrap<T>(await bridge.call(method, args));

  const api: ClientApi = {
    ...plainMethods(call),
    async analyze(onProgress?: (p: Progress) => void): Promise<SessionState> {
      const stop = onProgress ? bridge.onProgress(onProgress) : () => {};
      try {
        return unwrap<SessionState>(await bridge.analyze());
      } finally {
        stop();
      }
    },
    async exportResult(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      return unwrap<{ name: string; mime: string; data: Uint8Array }>(
        await bridge.exportResult(format, extra),
      );
    },
    async fileRefs(files: File[]): Promise<FileRef[]> {
      return files.map((f) => {
        const path = bridge.pathForFile(f);
        if (!path)
          throw new NcLensError(
            'bad-input',
            `${f.name}: expected a file on disk, found one without a path`,
            f.name,
          );
        return { path };
      });
    },
    async openFiles(files: File[], opts?: OpenFilesOptions): Promise<SessionState> {
      const refs = await api.fileRefs(files);
      // Paths open at once: nothing to upload, so nothing to report or cancel.
      return api.open(refs, { add: opts?.add });
    },
    async saveExport(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      unwrap(await bridge.saveExport(format, extra));
    },
    onCommand: (listener) => bridge.onCommand(listener),
  };
  return api;
}
