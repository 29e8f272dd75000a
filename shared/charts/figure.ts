/**
 * Figures for papers (issue 16): a chart's SVG as a standalone figure, optionally with a
 * caption line under it (the canvas grows to hold it), and the file names every figure gets:
 * the run, the point on screen and the chart, with `@2x`/`@3x` for PNGs.
 */
import { chartPalette } from './palette.ts';
import { FONT, FONT_FAMILY, escapeXml, num, textWidth } from './svg.ts';

/** The PNG scales offered (the app's view is 717×478 on screen; ×2 and ×3 for print). */
export const FIGURE_SCALES = [2, 3] as const;

const CAPTION_LINE = 15;

/** The width and height a root `<svg>` declares. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('not an SVG with a width and height');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Words of `text` in lines no wider than `width` at the caption's font size. */
function lines(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, FONT.label) > width) {
      out.push(line);
      line = word;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The chart as a figure: the same SVG, with `caption` (when given) in lines under it. Returns
 * the markup and its size.
 */
export function figureSvg(
  svg: string,
  caption?: string,
): { svg: string; width: number; height: number } {
  const { width, height } = svgSize(svg);
  const text = caption?.trim();
  if (!text) return { svg, width, height };
  const rows = lines(text, width - 20);
  const extra = rows.length * CAPTION_LINE + 10;
  const h = height + extra;
  const p = chartPalette('light');
  const body = rows
    .map(
      (row, i) =>
        `<text x="10" y="${num(height + 4 + (i + 1) * CAPTION_LINE - 3)}" font-family="${FONT_FAMILY}" font-size="${FONT.label}" fill="${p.ink}">${escapeXml(row)}</text>`,
    )
    .join('');
  // The chart keeps its own box; the caption sits on a strip of the background below it.
  const inner = svg
    .replace(/^<svg/, `<svg x="0" y="0"`)
    .replace(/ role="img" aria-label="[^"]*"/, '');
  const out =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(h)}" viewBox="0 0 ${num(width)} ${num(h)}">` +
    `<rect x="0" y="0" width="${num(width)}" height="${num(h)}" fill="${p.background}"/>` +
    inner +
    body +
    '</svg>';
  return { svg: out, width, height: h };
}

/** A figure's file name: `<run>-<point>-<chart>` + `@2x` for a scaled PNG, safe on every OS. */
export function figureName(
  parts: { run?: string; point?: string; chart: string },
  ext: 'svg' | 'png' | 'csv' | 'tex',
  scale?: number,
): string {
  const stem = [parts.run, parts.point, parts.chart]
    .filter((s): s is string => !!s && s.trim() !== '')
    .map((s) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('-');
  return `${stem || 'nc-lens'}${scale && scale !== 1 ? `@${scale}x` : ''}.${ext}`;
}
