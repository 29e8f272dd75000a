/**
 * Vitest global setup: the results cache and the saved-sessions folder of every process the
 * tests start (CLI runs, `serve`, the Electron-less service) live in one temporary folder,
 * removed at the end. A result cached by an earlier run (or by the user's own work in ~/.cache)
 * would otherwise answer an analysis a test means to watch and cancel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nc-lens-test-state-'));
  process.env.NC_LENS_CACHE_DIR = join(dir, 'cache');
  process.env.NC_LENS_SESSIONS_DIR = join(dir, 'sessions');
  return () => rmSync(dir, { recursive: true, force: true });
}
