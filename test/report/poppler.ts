/** The real PDF tools (poppler-utils) the report tests check with; CI installs them. */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function tool(name: string, args: string[]): string {
  const r = spawnSync(name, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${name} is not installed (apt-get install -y poppler-utils)`);
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function pageCount(pdf: string): number {
  const m = /^Pages:\s+(\d+)/m.exec(tool('pdfinfo', [pdf]));
  if (!m) throw new Error('pdfinfo printed no page count');
  return Number(m[1]);
}

export function pdfText(pdf: string, page?: number): string {
  const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  return tool('pdftotext', ['-layout', ...range, pdf, '-']);
}

/** Fonts as pdffonts lists them: name and whether it is embedded. */
export function fonts(pdf: string): { name: string; embedded: boolean }[] {
  const lines = tool('pdffonts', [pdf]).split('\n').slice(2).filter(Boolean);
  return lines.map((l) => {
    const cols = l.trim().split(/\s+/);
    // name type... emb sub uni object ID: emb is the 5th column from the end.
    return { name: cols[0], embedded: cols[cols.length - 5] === 'yes' };
  });
}

export function imageCount(pdf: string): number {
  return tool('pdfimages', ['-list', pdf]).split('\n').slice(2).filter(Boolean).length;
}

/** Renders every page to PNG; returns the PNG sizes in bytes and poppler's stderr. */
export function renderPages(pdf: string, dir: string): { sizes: number[]; stderr: string } {
  const r = spawnSync('pdftoppm', ['-png', '-r', '30', pdf, join(dir, 'page')], {
    encoding: 'utf8',
  });
  if (r.error) throw new Error('pdftoppm is not installed (apt-get install -y poppler-utils)');
  if (r.status !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
  const pngs = readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
  return { sizes: pngs.map((f) => statSync(join(dir, f)).size), stderr: r.stderr };
}
