/**
 * What the desktop app remembers between runs (recent files, the folder of the last export),
 * kept in one JSON file in the user's profile. Electron-free, so it is tested in plain Node;
 * main.ts only supplies the file's path and the fallback folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { recentFiles } from './ipc.ts';

export interface ShellMemory {
  /** Recently opened files, newest first. */
  recent: string[];
  /** Where the last export was saved; the save dialog opens there next time. */
  exportFolder: string | null;
}

const EMPTY: ShellMemory = { recent: [], exportFolder: null };

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];

/** The memory stored as `text`. Earlier versions stored the recent list alone, as an array. */
export function memoryFromJson(text: string): ShellMemory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return EMPTY;
  }
  if (Array.isArray(data)) return { ...EMPTY, recent: strings(data) };
  if (typeof data !== 'object' || data === null) return EMPTY;
  const { recent, exportFolder } = data as Record<string, unknown>;
  const folder = typeof exportFolder === 'string' && isAbsolute(exportFolder) ? exportFolder : null;
  return { recent: strings(recent), exportFolder: folder };
}

/** The memory after opening `paths`. */
export function withOpened(memory: ShellMemory, paths: string[]): ShellMemory {
  return { ...memory, recent: recentFiles(memory.recent, paths) };
}

/** The memory after saving an export to `savedPath`. */
export function withSaved(memory: ShellMemory, savedPath: string): ShellMemory {
  return { ...memory, exportFolder: dirname(savedPath) };
}

/** Where the save dialog starts for `name`: the last export's folder, else `fallbackFolder`. */
export function saveDialogPath(memory: ShellMemory, name: string, fallbackFolder: string): string {
  return join(memory.exportFolder ?? fallbackFolder, name);
}

const KINDS: Record<string, string> = {
  '.pdf': 'PDF report',
  '.csv': 'CSV table',
  '.json': 'JSON result',
  '.png': 'PNG image',
};

/** The save dialog's file-type filter for `name` (its own extension, then any file). */
export function saveDialogFilters(name: string): { name: string; extensions: string[] }[] {
  const ext = extname(name).toLowerCase();
  const all = { name: 'All files', extensions: ['*'] };
  return KINDS[ext] ? [{ name: KINDS[ext], extensions: [ext.slice(1)] }, all] : [all];
}

/** The memory kept in `file`: read once, written on every change. */
export class ShellStore {
  private memory: ShellMemory;

  constructor(private readonly file: string) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      /* no file yet: a first start */
    }
    this.memory = memoryFromJson(text);
  }

  get current(): ShellMemory {
    return this.memory;
  }

  update(change: (m: ShellMemory) => ShellMemory): ShellMemory {
    this.memory = change(this.memory);
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file, JSON.stringify(this.memory, null, 2) + '\n');
    } catch {
      /* a read-only profile only loses what is remembered */
    }
    return this.memory;
  }
}
