/** Class-name files (main/io/names.ts): text, JSON array, `class_names` object; bad ones named. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClassNames } from '../../main/io/names.ts';
import { analyzePaths } from '../../main/plan/run.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { FORMATS } from '../fixtures.ts';

describe('class names', () => {
  it('reads one name per line, a JSON array, or an object with class_names', () => {
    expect(parseClassNames('c.txt', 'cat\r\ndog \nbird\n\n')).toEqual(['cat', 'dog', 'bird']);
    expect(parseClassNames('c.json', '["a", "b c"]')).toEqual(['a', 'b c']);
    expect(parseClassNames('c.json', '{"class_names": ["x"]}')).toEqual(['x']);
    expect(parseClassNames('c.txt', '\uFEFFé\n')).toEqual(['é']);
  });

  it('refuses what is no list of names, in one line naming the file', () => {
    for (const [text, found] of [
      ['', 'an empty file'],
      ['["a", 1]', 'JSON that is not a non-empty array of strings'],
      ['["a"', 'JSON that does not parse'],
      ['{"names": ["a"]}', 'JSON that is not a non-empty array of strings'],
    ])
      expect(() => parseClassNames('/d/c.txt', text)).toThrow(
        `/d/c.txt: expected class names: one per line (.txt) or a JSON array of strings, found ${found}`,
      );
  });

  it('names the classes with or without role options (--weight F:weight)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-lens-names-'));
    try {
      const names = join(dir, 'classes.txt');
      const want = Array.from({ length: 10 }, (_, k) => `class ${k}`);
      writeFileSync(names, want.join('\n'));
      const bundle = `${FORMATS}/bundle_stored.npz`;
      for (const overrides of [{}, { weight: `${bundle}:weight`, bias: `${bundle}:bias` }]) {
        const r = (await analyzePaths([bundle, names], overrides)) as MetricsResult;
        expect(r.class_names).toEqual(want);
        expect(r.warnings.filter((w) => w.includes('classes.txt'))).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
