/**
 * Class-name files: `classes.txt` (one name per line, line i naming label i) or a JSON array of
 * strings (or an object with a `class_names` array). Such a file holds no arrays; its names go
 * on the result (`class_names`) and show wherever a label does.
 */
import { readFile, stat } from 'node:fs/promises';
import { badInput } from '../../shared/errors.ts';
import type { Container } from './types.ts';

/** Larger than this is no list of class names (a 50 000-class vocabulary is ~1 MB). */
const MAX_BYTES = 64 * 1024 * 1024;
const EXPECTED = 'class names: one per line (.txt) or a JSON array of strings';

export function parseClassNames(file: string, text: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(trimmed)) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw badInput(file, EXPECTED, 'JSON that does not parse');
    }
    const list =
      value && typeof value === 'object' && !Array.isArray(value)
        ? (value as { class_names?: unknown }).class_names
        : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string'))
      throw badInput(file, EXPECTED, 'JSON that is not a non-empty array of strings');
    return list as string[];
  }
  const lines = trimmed.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw badInput(file, EXPECTED, 'an empty file');
  if (lines.some((l) => l.includes('\0'))) throw badInput(file, EXPECTED, 'binary content');
  return lines.map((l) => l.trim());
}

export async function readNamesFile(file: string): Promise<Container> {
  const { size } = await stat(file);
  if (size > MAX_BYTES) throw badInput(file, EXPECTED, `${size} bytes`);
  const classNames = parseClassNames(file, await readFile(file, 'utf8'));
  return { file, format: 'names', bytes: size, arrays: [], classNames, close: async () => {} };
}
