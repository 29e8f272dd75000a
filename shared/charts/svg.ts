import { chartPalette } from './palette.ts';

/**
 * Small SVG-string helpers shared by the chart builders. Everything here is pure string work:
 * the same markup goes into the app (through {@html}) and into the PDF (through svg-to-pdfkit),
 * so only features both understand are used (no CSS classes for looks, no foreignObject,
 * font-weight as the keyword `bold`, which is all svg-to-pdfkit recognises).
 */

/** Font stack for every chart; the report maps it to the embedded DejaVu Sans. */
export const FONT_FAMILY = 'DejaVu Sans, Verdana, sans-serif';

/** Font sizes (px in the app, scaled to points in the PDF) used by every chart. */
export const FONT = { title: 13, label: 11, tick: 10, legend: 10, note: 9 } as const;

/** Escapes text for element content and attribute values alike. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Rounds coordinates so the strings stay short and identical across runs. */
export function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export type Attrs = Record<string, string | number | undefined>;

function attrString(attrs: Attrs): string {
  let s = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    // Coordinates are rounded; data-* attributes keep the exact value for hover and tests.
    const value =
      typeof v === 'number' ? (k.startsWith('data-') ? String(v) : num(v)) : escapeXml(v);
    s += ` ${k}="${value}"`;
  }
  return s;
}

/** One element; `children` is already-built markup (use `text()` for plain text). */
export function el(name: string, attrs: Attrs, children?: string): string {
  const a = attrString(attrs);
  return children === undefined ? `<${name}${a}/>` : `<${name}${a}>${children}</${name}>`;
}

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  bold?: boolean;
  fill?: string;
  /** Rotation in degrees about (x, y). */
  rotate?: number;
  baseline?: 'middle' | 'hanging' | 'alphabetic';
  extra?: Attrs;
}

/** A text element in the chart font. */
export function text(x: number, y: number, content: string, o: TextOptions = {}): string {
  return el(
    'text',
    {
      x,
      y,
      'font-family': FONT_FAMILY,
      'font-size': o.size ?? FONT.tick,
      'font-weight': o.bold ? 'bold' : undefined,
      'text-anchor': o.anchor ?? 'start',
      'dominant-baseline': o.baseline,
      fill: o.fill ?? chartPalette().ink,
      transform: o.rotate ? `rotate(${num(o.rotate)} ${num(x)} ${num(y)})` : undefined,
      ...o.extra,
    },
    escapeXml(content),
  );
}

/**
 * The root element with an explicit size and viewBox, so both hosts scale it the same way, on a
 * card of colour `background`.
 */
export function svgRoot(
  width: number,
  height: number,
  body: string,
  label: string,
  background = chartPalette().background,
): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}"` +
    ` viewBox="0 0 ${num(width)} ${num(height)}" role="img" aria-label="${escapeXml(label)}">` +
    el('rect', { x: 0, y: 0, width, height, fill: background }) +
    body +
    '</svg>'
  );
}

/**
 * Rough text width for layout decisions (legend wrapping, label thinning). DejaVu Sans
 * averages about 0.6 em per character for the labels charts carry.
 */
export function textWidth(content: string, size: number): number {
  return content.length * size * 0.6;
}
