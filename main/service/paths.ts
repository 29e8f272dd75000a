import { statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { badInput } from '../../shared/errors.ts';

/**
 * A path a renderer handed over, re-validated where it is used: an absolute path to an
 * existing regular file. A renderer is never trusted to name devices, folders or relative
 * paths (Electron's main re-validates dropped paths with this too).
 */
export function checkedFilePath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw badInput(
      undefined,
      'a file path',
      typeof path === 'string' ? 'an invalid string' : typeof path,
    );
  }
  if (!isAbsolute(path)) throw badInput(path, 'an absolute path', 'a relative path');
  const p = normalize(path);
  let kind: string;
  try {
    const st = statSync(p);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'a folder' : 'a special file';
  } catch {
    kind = 'nothing (no such file)';
  }
  if (kind !== 'file') throw badInput(p, 'a regular file', kind);
  return p;
}

/** An absolute path to an existing folder (a run folder to follow). */
export function isFolderPath(path: unknown): boolean {
  if (typeof path !== 'string' || path.includes('\0') || !isAbsolute(path)) return false;
  try {
    return statSync(normalize(path)).isDirectory();
  } catch {
    return false;
  }
}
