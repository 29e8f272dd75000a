/**
 * What Electron's main process does with each IPC call, without Electron: every path the
 * renderer hands over is re-validated here before it reaches the service process.
 */
import type { ExportFormat, FileRef } from '../../shared/api.ts';
import { badInput, toErrorValue } from '../../shared/errors.ts';
import { CALL_METHODS } from '../../shared/transport.ts';
import type { CallMethod, Envelope } from '../../shared/transport.ts';
import { normalize } from 'node:path';
import { checkedFilePath, isFolderPath } from '../service/paths.ts';
import { envelopeOf } from '../service/rpc.ts';
import type { RemoteService } from '../service/rpc.ts';
import { CHANNELS } from './channels.ts';

export interface MainDeps {
  remote: RemoteService;
  /** Asks the user where to save; null when the dialog was cancelled. */
  chooseSavePath(defaultName: string): Promise<string | null>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Paths just opened without error (for the recent-files menu). */
  opened(paths: string[]): void;
  /** A session was saved (the recent-sessions menu is rebuilt). */
  sessionsChanged?(): void;
}

export interface Sender {
  send(channel: string, payload: unknown): void;
}

type Handler = (sender: Sender, ...args: unknown[]) => Promise<Envelope<unknown>>;

/**
 * The renderer may open paths only; upload ids belong to the browser shell. One folder alone
 * is a run folder to follow (Open Folder…, a dropped folder).
 */
function checkedRefs(refs: unknown): FileRef[] {
  if (!Array.isArray(refs)) throw badInput(undefined, 'a list of files', typeof refs);
  const only = (refs[0] as { path?: unknown } | null)?.path;
  if (refs.length === 1 && isFolderPath(only)) return [{ path: normalize(only as string) }];
  return refs.map((r: unknown) => {
    const path = (r as { path?: unknown } | null)?.path;
    return { path: checkedFilePath(path) };
  });
}

export function ipcHandlers(deps: MainDeps): Record<string, Handler> {
  const { remote } = deps;
  return {
    [CHANNELS.call]: async (_sender, method, args) => {
      if (!(CALL_METHODS as readonly unknown[]).includes(method) || !Array.isArray(args)) {
        return {
          ok: false,
          error: toErrorValue(badInput(undefined, 'an API method', String(method))),
        };
      }
      if (method === 'addRun') {
        // A run's files are paths from the renderer too: re-validated like Open's.
        try {
          const name = (args[1] as { name?: unknown } | undefined)?.name;
          const opts = typeof name === 'string' ? { name } : {};
          return await remote.request('addRun', [checkedRefs(args[0]), opts]);
        } catch (e) {
          return { ok: false, error: toErrorValue(e) };
        }
      }
      if (method === 'saveSession') {
        const saved = await remote.request('saveSession', args);
        if (saved.ok) deps.sessionsChanged?.();
        return saved;
      }
      if (method !== 'open') return remote.request(method as CallMethod, args);
      let refs: FileRef[];
      try {
        refs = checkedRefs(args[0]);
      } catch (e) {
        return { ok: false, error: toErrorValue(e) };
      }
      const add = (args[1] as { add?: unknown } | undefined)?.add === true;
      const result = await remote.request('open', [refs, { add }]);
      if (result.ok) deps.opened(refs.map((r) => ('path' in r ? r.path : r.name)));
      return result;
    },
    [CHANNELS.analyze]: (sender) =>
      remote.request('analyze', [], (p) => sender.send(CHANNELS.progress, p)),
    [CHANNELS.exportResult]: (_sender, format, extra) =>
      remote.request('exportResult', [format, extra]),
    [CHANNELS.saveExport]: async (_sender, format, extra) => {
      const out = await remote.request('exportResult', [format as ExportFormat, extra]);
      if (!out.ok) return out;
      const file = out.value as { name: string; data: Uint8Array };
      return envelopeOf(async () => {
        const path = await deps.chooseSavePath(file.name);
        if (path) await deps.writeFile(path, file.data);
        return { saved: path !== null };
      });
    },
  };
}

/** The recent-files list after opening `paths`: newest first, no duplicates, at most `max`. */
export function recentFiles(previous: string[], paths: string[], max = 10): string[] {
  const fresh = [...paths].reverse();
  return [...fresh, ...previous.filter((p) => !fresh.includes(p))].slice(0, max);
}

/** Extensions of the files the app opens: its file associations and its Open dialog. */
export const FILE_EXTENSIONS = ['npy', 'npz', 'onnx', 'pb', 'safetensors', 'pt', 'pth', 'bin'];

const OPENABLE = new RegExp(`\\.(${FILE_EXTENSIONS.join('|')})$`, 'i');

/** Command-line arguments that name files to open (file associations, "Open with"). */
export function fileArguments(argv: string[]): string[] {
  return argv.filter((a) => OPENABLE.test(a) && !a.startsWith('-'));
}
