/**
 * Output paths checked before the work: a long analysis must not end in "ENOENT" because
 * `--json` named a folder that does not exist.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { NcLensError } from '../../shared/errors.ts';

function cannotWrite(out: string, why: string): NcLensError {
  return new NcLensError('bad-input', `cannot write ${out}: ${why}`, out);
}

/** Throws "cannot write OUT: no such folder" (or "a folder") unless OUT can be created. */
export function checkOutputPaths(outs: (string | undefined)[]): void {
  for (const out of outs) {
    if (out === undefined || out === '-') continue;
    const kind = (p: string) => {
      try {
        const s = statSync(p);
        return s.isDirectory() ? 'folder' : 'file';
      } catch {
        return 'none';
      }
    };
    if (kind(out) === 'folder') throw cannotWrite(out, 'a folder is there');
    if (kind(path.dirname(path.resolve(out))) !== 'folder')
      throw cannotWrite(out, 'no such folder');
  }
}
