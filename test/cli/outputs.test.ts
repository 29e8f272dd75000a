/**
 * Issue 12: `--json`/`--csv`/`--per-class-csv`/`report -o` into a missing folder or onto a
 * folder ended a finished analysis in "internal error: ENOENT" (exit 1). The output path is
 * checked before the work: one line "cannot write OUT: …", exit 2. "Before the work" is seen
 * from an unreadable input: the output's line comes first, not the input's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import { FORMATS } from '../fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nc-lens-outputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const missing = join(tmp, 'no-such-folder', 'out');
const INPUT = join(FORMATS, 'bad', 'not_npy.npy');

describe('output paths are checked before the work', () => {
  const cases: [string, string[], string, string][] = [
    [
      '--json into a missing folder',
      ['analyze', INPUT, '--json'],
      `${missing}.json`,
      'no such folder',
    ],
    [
      '--csv into a missing folder',
      ['analyze', INPUT, '--csv'],
      `${missing}.csv`,
      'no such folder',
    ],
    [
      '--per-class-csv into a missing folder',
      ['analyze', INPUT, '--per-class-csv'],
      `${missing}.csv`,
      'no such folder',
    ],
    [
      'report -o into a missing folder',
      ['report', INPUT, '-o'],
      `${missing}.pdf`,
      'no such folder',
    ],
    ['--json onto a folder', ['analyze', INPUT, '--json'], tmp, 'a folder is there'],
    ['report -o onto a folder', ['report', INPUT, '-o'], tmp, 'a folder is there'],
  ];
  for (const [name, args, out, why] of cases) {
    it(`${name}: "cannot write OUT: ${why}", exit 2`, async () => {
      const r = await runCli([...args, out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(`cannot write ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${why}$`),
        ),
      ]);
      expect(r.stderr).not.toContain('not_npy.npy');
    }, 60_000);
  }
});
