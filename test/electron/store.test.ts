/** What the desktop app remembers between runs, tested on real files without Electron. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  memoryFromJson,
  saveDialogFilters,
  saveDialogPath,
  ShellStore,
  withOpened,
  withSaved,
} from '../../main/electron/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'nc-lens-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the save dialog remembers the last export folder', () => {
  it('starts in the fallback folder, then where the last export went', () => {
    const fresh = memoryFromJson('');
    expect(saveDialogPath(fresh, 'run.pdf', '/home/u/Documents')).toBe('/home/u/Documents/run.pdf');
    const after = withSaved(fresh, '/data/papers/fig/run.pdf');
    expect(saveDialogPath(after, 'nc-lens.csv', '/home/u/Documents')).toBe(
      '/data/papers/fig/nc-lens.csv',
    );
    expect(withOpened(after, ['/x/a.npz']).exportFolder).toBe('/data/papers/fig');
  });

  it('keeps the folder across restarts, beside the recent files', () => {
    const file = join(dir, 'profile', 'recent.json');
    const first = new ShellStore(file);
    first.update((m) => withOpened(m, ['/x/a.npz', '/x/b.npz']));
    first.update((m) => withSaved(m, '/data/reports/r.pdf'));
    const second = new ShellStore(file);
    expect(second.current).toEqual({
      recent: ['/x/b.npz', '/x/a.npz'],
      exportFolder: '/data/reports',
    });
    expect(JSON.parse(readFileSync(file, 'utf8')).exportFolder).toBe('/data/reports');
  });

  it('reads the older recent.json (a bare list) and ignores what it cannot use', () => {
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify(['/x/a.npz', 3, '/x/b.npz']));
    expect(new ShellStore(old).current).toEqual({
      recent: ['/x/a.npz', '/x/b.npz'],
      exportFolder: null,
    });
    expect(memoryFromJson('{"recent": "x", "exportFolder": "relative/dir"}')).toEqual({
      recent: [],
      exportFolder: null,
    });
    expect(memoryFromJson('not json').exportFolder).toBeNull();
    expect(new ShellStore(join(dir, 'missing.json')).current.recent).toEqual([]);
  });

  it("filters the dialog by the export's file type", () => {
    expect(saveDialogFilters('r.pdf')[0]).toEqual({ name: 'PDF report', extensions: ['pdf'] });
    expect(saveDialogFilters('t-per-class.csv')[0].extensions).toEqual(['csv']);
    expect(saveDialogFilters('noext')).toEqual([{ name: 'All files', extensions: ['*'] }]);
  });
});
