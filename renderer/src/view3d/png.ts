/** The view as a PNG: what the user sees, fit for the PDF report. */
import { DOT_PX, LABEL_FONT_PX, type PlacedLabel } from './labels.ts';

/** The WebGL canvas with its labels and a caption drawn on an opaque background, as PNG bytes. */
export async function composePng(
  gl: HTMLCanvasElement,
  labels: PlacedLabel[],
  colors: string[],
  theme: { background: string; ink: string },
  caption: string,
): Promise<Uint8Array> {
  const scale = gl.clientWidth > 0 ? gl.width / gl.clientWidth : 1;
  const out = document.createElement('canvas');
  out.width = gl.width;
  out.height = gl.height;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context for the PNG export');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(gl, 0, 0);
  ctx.scale(scale, scale);
  ctx.font = `600 ${LABEL_FONT_PX}px system-ui, 'DejaVu Sans', sans-serif`;
  ctx.lineWidth = 3;
  ctx.strokeStyle = theme.background;
  for (const l of labels) {
    ctx.fillStyle = colors[l.index] ?? theme.ink;
    ctx.beginPath();
    ctx.arc(l.x + 3.5, l.y - 4.5, 3.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeText(l.text, l.x + DOT_PX, l.y);
    ctx.fillStyle = theme.ink;
    ctx.fillText(l.text, l.x + DOT_PX, l.y);
  }
  if (caption) {
    ctx.font = `${LABEL_FONT_PX}px system-ui, 'DejaVu Sans', sans-serif`;
    ctx.fillStyle = theme.ink;
    const lines = wrap(ctx, caption, gl.clientWidth - 20);
    lines.forEach((line, i) => {
      ctx.fillText(line, 10, gl.clientHeight - 10 - (lines.length - 1 - i) * (LABEL_FONT_PX + 4));
    });
  }
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser produced no PNG for the view');
  return new Uint8Array(await blob.arrayBuffer());
}

/** The words of `text` in lines no wider than `width` px. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}
