import type { EtfScene } from '../geometry.ts';
import { chartPalette, classColor } from './palette.ts';
import { FONT, el, num, svgRoot, text, textWidth } from './svg.ts';

/**
 * The default camera of the 3-D view, in degrees: PC1 to the right, PC2 up, PC3 towards the
 * viewer, then turned by `yaw` about the vertical axis and tilted by `pitch`, so the third
 * principal direction shows as depth instead of collapsing onto the first two.
 */
export const DEFAULT_VIEW = { yaw: -30, pitch: 20 } as const;

export interface EtfViewOptions {
  scene: Pick<EtfScene, 'means' | 'ideal' | 'weights' | 'explained' | 'fits'>;
  /** Class names in class order. */
  labels: string[];
  title?: string;
  view?: View;
  /** Extra caption line (e.g. which epoch is shown). */
  note?: string;
  width?: number;
  height?: number;
  /**
   * Many classes: the class positions whose ideal vertex, error line, classifier row and label
   * are drawn (every mean is); absent: all of them.
   */
  focus?: number[];
}

type Vec3 = [number, number, number];

/**
 * The direction the scene is seen from: yaw and pitch in degrees from DEFAULT_VIEW's frame, or
 * the screen's axes in scene coordinates (right, up, towards the viewer: the app's camera as it
 * was left, drawn orthographic).
 */
export type View = { yaw: number; pitch: number } | { axes: [Vec3, Vec3, Vec3] };

/** The app draws this scene with WebGL in its own theme; this static picture is for print. */
const AXIS = chartPalette('light').axis;

interface Camera {
  /** 3-D point → [screen x, screen y, depth (larger is nearer)]. */
  (p: number[]): Vec3;
}

function rotation(view: View): (p: number[]) => Vec3 {
  if ('axes' in view) {
    const [r, u, t] = view.axes;
    const dot = (v: Vec3, p: number[]) =>
      v[0] * (p[0] ?? 0) + v[1] * (p[1] ?? 0) + v[2] * (p[2] ?? 0);
    return (p) => [dot(r, p), dot(u, p), dot(t, p)];
  }
  const a = (view.yaw * Math.PI) / 180;
  const b = (view.pitch * Math.PI) / 180;
  return (p) => {
    const [x, y, z] = [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
    const x1 = x * Math.cos(a) + z * Math.sin(a);
    const z1 = -x * Math.sin(a) + z * Math.cos(a);
    const y2 = y * Math.cos(b) - z1 * Math.sin(b);
    const z2 = y * Math.sin(b) + z1 * Math.cos(b);
    return [x1, y2, z2];
  };
}

/** Bounding box of the rotated points on screen (before scaling). */
function extent(points: number[][], view: View) {
  const rot = rotation(view);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    const [x, y] = rot(p);
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  }
  const pad = 1e-12;
  return { x0, y0, w: Math.max(x1 - x0, pad), h: Math.max(y1 - y0, pad) };
}

/** Orthographic camera mapping the points' bounding box onto the middle of `box`. */
function fittedCamera(
  points: number[][],
  view: View,
  box: { x: number; y: number; w: number; h: number },
): Camera {
  const rot = rotation(view);
  const e = extent(points, view);
  const s = Math.min(box.w / e.w, box.h / e.h) * 0.9;
  const cx = box.x + box.w / 2 - (e.x0 + e.w / 2) * s;
  const cy = box.y + box.h / 2 + (e.y0 + e.h / 2) * s;
  return (p) => {
    const [x, y, z] = rot(p);
    return [cx + x * s, cy - y * s, z];
  };
}

interface Mark {
  depth: number;
  svg: string;
}

function line(a: Vec3, b: Vec3, attrs: Record<string, string | number>): Mark {
  return {
    depth: (a[2] + b[2]) / 2,
    svg: el('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], ...attrs }),
  };
}

function arrow(from: Vec3, to: Vec3, color: string, k: number, light: boolean): Mark {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const len = Math.hypot(dx, dy);
  let head = '';
  if (len > 6 && !light) {
    const ux = dx / len;
    const uy = dy / len;
    const bx = to[0] - ux * 7;
    const by = to[1] - uy * 7;
    const d = `M${num(to[0])} ${num(to[1])}L${num(bx - uy * 3)} ${num(by + ux * 3)}L${num(bx + uy * 3)} ${num(by - ux * 3)}Z`;
    head = el('path', { d, fill: color });
  }
  const shaft = el('line', {
    x1: from[0],
    y1: from[1],
    x2: to[0],
    y2: to[1],
    stroke: color,
    'stroke-width': light ? 0.7 : 1.4,
    'stroke-opacity': light ? 0.55 : 0.85,
  });
  return { depth: to[2], svg: el('g', { 'data-weight': k }, shaft + head) };
}

/** The simplex wireframe is legible up to about a dozen vertices; beyond, only its vertices. */
const MAX_WIRE_VERTICES = 12;
const MAX_BOLD_ARROWS = 30;
const TRIAD_STRIP = 64;

function sceneMarks(opts: EtfViewOptions, cam: Camera): Mark[] {
  const { scene } = opts;
  const marks: Mark[] = [];
  const ideal = scene.ideal.map(cam);
  const means = scene.means.map(cam);
  const c = means.length;
  if (c <= MAX_WIRE_VERTICES)
    for (let k = 0; k < c; k++)
      for (let l = k + 1; l < c; l++)
        marks.push(line(ideal[k], ideal[l], { stroke: '#9a9a9a', 'stroke-width': 0.8 }));
  const focus = opts.focus ? new Set(opts.focus) : null;
  for (let k = 0; k < c; k++) {
    if (focus && !focus.has(k)) continue;
    marks.push({
      depth: ideal[k][2],
      svg: el('circle', {
        cx: ideal[k][0],
        cy: ideal[k][1],
        r: 2.6,
        fill: '#ffffff',
        stroke: '#7a7a7a',
        'stroke-width': 1,
      }),
    });
    marks.push(
      line(means[k], ideal[k], { stroke: '#d62728', 'stroke-width': 1, 'stroke-dasharray': '3 2' }),
    );
  }
  if (scene.weights) {
    const origin = cam([0, 0, 0]);
    // Beyond a few dozen classes arrows would bury the means: draw them as light spokes.
    const light = c > MAX_BOLD_ARROWS;
    scene.weights.forEach((w, k) => {
      if (!focus || focus.has(k)) marks.push(arrow(origin, cam(w), classColor(k), k, light));
    });
  }
  means.forEach((p, k) =>
    marks.push({
      depth: p[2] + 1e-9,
      svg: el('circle', {
        cx: p[0],
        cy: p[1],
        r: c > 1000 ? 1.6 : c > 30 ? 3.5 : 5,
        fill: classColor(k),
        stroke: c > 1000 ? 'none' : '#ffffff',
        'stroke-width': 0.8,
        'data-class': k,
      }),
    }),
  );
  return marks;
}

/** Labels for the means, skipping any that would overlap one already placed. */
function meanLabels(opts: EtfViewOptions, cam: Camera): string {
  const placed: { x: number; y: number; w: number }[] = [];
  let out = '';
  const focus = opts.focus ? new Set(opts.focus) : null;
  opts.scene.means.forEach((m, k) => {
    if (focus && !focus.has(k)) return;
    const [x, y] = cam(m);
    const label = opts.labels[k] ?? String(k);
    const w = textWidth(label, FONT.tick);
    const lx = x + 6;
    const ly = y - 6;
    if (
      placed.some(
        (p) => Math.abs(p.x - lx) < (p.w + w) / 2 + 2 && Math.abs(p.y - ly) < FONT.tick + 1,
      )
    )
      return;
    placed.push({ x: lx, y: ly, w });
    out += text(lx, ly, label, { size: FONT.tick, bold: true, fill: '#333333' });
  });
  return out;
}

function legendRow(x: number, y: number, hasWeights: boolean): string {
  const mid = y - 3.5;
  const swatchLine = (at: number, style: Record<string, string | number>) =>
    el('line', { x1: at, x2: at + 12, y1: mid, y2: mid, ...style });
  const items: [string, (at: number) => string][] = [
    ['class mean', (at) => el('circle', { cx: at + 6, cy: mid, r: 4, fill: classColor(0) })],
    [
      'ideal simplex ETF',
      (at) => el('circle', { cx: at + 6, cy: mid, r: 3, fill: '#ffffff', stroke: '#7a7a7a' }),
    ],
    [
      'mean → ideal vertex',
      (at) => swatchLine(at, { stroke: '#d62728', 'stroke-dasharray': '3 2' }),
    ],
  ];
  if (hasWeights)
    items.push([
      'classifier row (rescaled)',
      (at) => swatchLine(at, { stroke: classColor(0), 'stroke-width': 1.6 }),
    ]);
  let out = '';
  let at = x;
  for (const [label, glyph] of items) {
    out += glyph(at) + text(at + 16, y, label, { size: FONT.legend });
    at += 16 + textWidth(label, FONT.legend) + 14;
  }
  return out;
}

function axisTriad(x: number, y: number, view: View): string {
  const rot = rotation(view);
  let out = '';
  ['PC1', 'PC2', 'PC3'].forEach((name, i) => {
    const e = [0, 0, 0];
    e[i] = 1;
    const [dx, dy] = rot(e);
    const tx = x + dx * 22;
    const ty = y - dy * 22;
    out += el('line', { x1: x, y1: y, x2: tx, y2: ty, stroke: AXIS, 'stroke-width': 1 });
    out += text(tx + (dx >= 0 ? 2 : -2), ty + (dy >= 0 ? -2 : 9), name, {
      size: FONT.note,
      fill: AXIS,
      anchor: dx >= 0 ? 'start' : 'end',
    });
  });
  return out;
}

/**
 * The simplex-ETF picture as vector graphics, for the PDF (no GPU) and any place a static view
 * will do: class means coloured by class, the ideal ETF (wireframe up to 12 classes, vertices
 * beyond), a dashed line from each mean to its ideal vertex (the NC2 error made visible) and the
 * classifier rows as arrows from the origin (NC3 made visible). Painter's order by depth.
 */
export function etfView(opts: EtfViewOptions): string {
  const width = opts.width ?? 520;
  const view = opts.view ?? DEFAULT_VIEW;
  const top = opts.title ? 30 : 8;
  const all = [...opts.scene.means, ...opts.scene.ideal, ...(opts.scene.weights ?? []), [0, 0, 0]];
  // The drawing keeps the scene's aspect: as tall as it needs, up to `height`.
  const e = extent(all, view);
  const maxBox = (opts.height ?? 440) - top - 44;
  // A right-hand strip stays free for the axis triad, so it never sits on a mean.
  const box = {
    x: 10,
    y: top + 6,
    w: width - 20 - TRIAD_STRIP,
    h: Math.min(maxBox, ((width - 20 - TRIAD_STRIP) * e.h) / e.w + 24),
  };
  const height = top + 6 + box.h + 44;
  const cam = fittedCamera(all, view, box);
  let body = opts.title ? text(10, 18, opts.title, { size: FONT.title, bold: true }) : '';
  const marks = sceneMarks(opts, cam);
  // Stable order: far marks first; ties keep insertion order (wire, vertices, arrows, means).
  const order = marks
    .map((m, i) => [m.depth, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  body += order.map(([, i]) => marks[i].svg).join('');
  body += meanLabels(opts, cam);
  body += axisTriad(width - TRIAD_STRIP / 2 - 4, top + 34, view);
  const caption =
    `PCA of the centred class means to 3-D keeps ${(opts.scene.explained * 100).toFixed(1)}% of their variance` +
    (opts.scene.fits ? '.' : '; C > D + 1, so no simplex ETF fits: best projection shown.');
  body += text(10, height - 26, caption, { size: FONT.note, fill: AXIS });
  if (opts.note)
    body += text(width - 10, height - 26, opts.note, {
      size: FONT.note,
      fill: AXIS,
      anchor: 'end',
    });
  body += legendRow(10, height - 8, opts.scene.weights !== null);
  return svgRoot(width, height, body, opts.title ?? 'simplex ETF view');
}
