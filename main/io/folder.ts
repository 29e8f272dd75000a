/**
 * Run folders as inputs: the dumps a folder holds (one per epoch, by name), for the plan
 * (`nc-lens analyze RUN_DIR`), `serve --watch` and the app's Open folder alike.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../shared/errors.ts';
import { DUMP_EXTENSIONS } from '../../shared/live.ts';

/** A dump's name: a known extension, not hidden (writers' temp names), not a partial download. */
export function isDumpName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~')) return false;
  return DUMP_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** A folder given as a run: an existing directory, else one line saying what it is. */
export async function checkedFolder(dir: string): Promise<string> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw badInput(dir, 'a run folder', 'no such folder');
  if (!info.isDirectory()) throw badInput(dir, 'a run folder', 'a file');
  return path.resolve(dir);
}

/** The dump files of a run folder (not its subfolders), by name. */
export async function folderDumps(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw badInput(dir, 'a readable run folder', e.code ?? 'an unreadable folder');
  });
  return entries
    .filter((e) => e.isFile() && isDumpName(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}
