/**
 * Figures in the app (issue 16): a chart's SVG (light theme, the optional caption line) saved
 * as SVG or as PNG at 2× or 3×, and the 3D view as PNG at 2× or 3× (or SVG, drawn as vectors by
 * shared/charts/etf-view.ts as in the report). File names carry the run and the point shown.
 */
import { figureName, figureSvg } from '../../../shared/charts/figure.ts';
import { pointName, shownPoint } from '../../../shared/points.ts';
import type { AnalysisResult } from '../../../shared/schema.ts';
import { download } from '../api/page.ts';
import { runs } from '../state/runs.svelte.ts';
import { session } from '../state/session.svelte.ts';

/** The caption line added under every exported figure (empty: none). */
export const figureState = $state({ caption: '' });

/** The run and point parts of a figure's file name, for the result a view shows. */
export function figureParts(result: AnalysisResult | null = session.result): {
  run?: string;
  point?: string;
} {
  if (!result) return {};
  const run =
    runs.compared.find((r) => r.result === result)?.name ??
    runs.list.find((r) => r.primary)?.name ??
    undefined;
  const point = pointName(result, shownPoint(result, session.selectedIndex));
  return { run, point: point || undefined };
}

/** An SVG's bytes rendered at `scale` × its size, as PNG. */
export async function svgPng(svg: string, width: number, height: number, scale: number) {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context for the PNG export');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (!blob) throw new Error('the browser produced no PNG');
    return new Uint8Array(await blob.arrayBuffer());
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a chart as a figure: SVG, or PNG at `scale`. */
export async function saveChart(
  svg: string,
  chart: string,
  format: 'svg' | 'png',
  scale = 2,
  result: AnalysisResult | null = session.result,
): Promise<void> {
  const fig = figureSvg(svg, figureState.caption);
  const parts = { ...figureParts(result), chart };
  if (format === 'svg') {
    const data = new TextEncoder().encode(fig.svg);
    download({ name: figureName(parts, 'svg'), mime: 'image/svg+xml', data });
    return;
  }
  const data = await svgPng(fig.svg, fig.width, fig.height, scale);
  download({ name: figureName(parts, 'png', scale), mime: 'image/png', data });
}

/** Saves PNG bytes made elsewhere (the 3D view's) under a figure name. */
export function savePng(
  data: Uint8Array,
  chart: string,
  scale: number,
  result: AnalysisResult | null,
) {
  download({
    name: figureName({ ...figureParts(result), chart }, 'png', scale),
    mime: 'image/png',
    data,
  });
}
