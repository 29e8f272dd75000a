/**
 * Class labels over the 3-D view: HTML text (crisp at any zoom), placed greedily nearest-first
 * so that no two overlap. With C = 100 only the labels that fit are shown; hover names the rest.
 */
/** Screen position (CSS px, relative to the canvas) of each drawn class, for labels and hover. */
export interface ScreenPoint {
  index: number;
  x: number;
  y: number;
  depth: number;
}

export interface PlacedLabel {
  index: number;
  text: string;
  x: number;
  y: number;
}

export const LABEL_FONT_PX = 12;
const CHAR_PX = LABEL_FONT_PX * 0.62;
const PAD = 3;
/** The class-coloured dot before each label's text. */
export const DOT_PX = 9;

/** Label box: to the upper right of the point, clear of the sphere. */
function box(p: ScreenPoint, text: string): { x0: number; y0: number; x1: number; y1: number } {
  const x0 = p.x + 7;
  const y1 = p.y - 5;
  return { x0, y0: y1 - LABEL_FONT_PX - 2, x1: x0 + DOT_PX + text.length * CHAR_PX + 4, y1 };
}

/** The labels that fit without overlapping one another or leaving the view. */
export function placeLabels(
  points: ScreenPoint[],
  texts: string[],
  width: number,
  height: number,
): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  const boxes: ReturnType<typeof box>[] = [];
  const order = points.filter((p) => p.depth < 1).sort((a, b) => a.depth - b.depth);
  for (const p of order) {
    const text = texts[p.index] ?? '';
    const b = box(p, text);
    if (b.x0 < 0 || b.y0 < 0 || b.x1 > width || b.y1 > height) continue;
    const clash = boxes.some(
      (o) => b.x0 < o.x1 + PAD && o.x0 < b.x1 + PAD && b.y0 < o.y1 + PAD && o.y0 < b.y1 + PAD,
    );
    if (clash) continue;
    boxes.push(b);
    placed.push({ index: p.index, text, x: b.x0, y: b.y1 });
  }
  return placed;
}
