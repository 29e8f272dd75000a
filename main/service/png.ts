/**
 * The 3D view's PNG, checked before pdfkit sees it: pdfkit's PNG decoder throws inside a zlib
 * callback on a corrupt IDAT (which no try can catch: it ends the process) and allocates
 * whatever the header declares. The view is a canvas capture: 8-bit RGB or RGBA, not
 * interlaced, so only that is accepted, and it is fully inflated here first.
 */
import { inflateSync } from 'node:zlib';
import { badInput } from '../../shared/errors.ts';

/** Largest side accepted: a 4K display at 2× is 7 680 pixels wide. */
export const MAX_VIEW_SIDE = 8192;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const EXPECTED = `a PNG of the 3D view (8-bit RGB or RGBA, at most ${MAX_VIEW_SIDE}×${MAX_VIEW_SIDE})`;

/** `png` itself when it is a well-formed view capture; else a bad-input error. */
export function checkedViewPng(png: Uint8Array): Uint8Array {
  const fail = (found: string) => badInput('viewPng', EXPECTED, found);
  if (png.length < 8 + 25 || SIGNATURE.some((b, i) => png[i] !== b)) throw fail('no PNG signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const idat: Uint8Array[] = [];
  let header: { width: number; height: number; channels: number } | undefined;
  let ended = false;
  for (let pos = 8; pos + 12 <= png.length && !ended;) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const data = pos + 8;
    if (data + length + 4 > png.length) throw fail(`a ${type} chunk past the end of the data`);
    if (!header && type !== 'IHDR') throw fail(`${type} before IHDR`);
    if (type === 'IHDR') header = ihdr(view, data, length, fail);
    else if (type === 'IDAT') idat.push(png.subarray(data, data + length));
    else if (type === 'IEND') ended = true;
    pos = data + length + 4;
  }
  if (!header || !ended) throw fail('no IEND chunk (truncated)');
  const { width, height, channels } = header;
  const rowBytes = 1 + width * channels;
  let pixels: Buffer;
  try {
    pixels = inflateSync(Buffer.concat(idat), { maxOutputLength: rowBytes * height + 1 });
  } catch (e) {
    throw fail(`corrupt image data (${(e as Error).message.split('\n')[0]})`);
  }
  if (pixels.length !== rowBytes * height) {
    throw fail(`${pixels.length} bytes of pixels for ${width}×${height}`);
  }
  for (let r = 0; r < height; r++) {
    if (pixels[r * rowBytes] > 4) throw fail(`filter type ${pixels[r * rowBytes]} in row ${r}`);
  }
  return png;
}

function ihdr(
  view: DataView,
  at: number,
  length: number,
  fail: (found: string) => Error,
): { width: number; height: number; channels: number } {
  if (length !== 13) throw fail(`an IHDR of ${length} bytes`);
  const width = view.getUint32(at);
  const height = view.getUint32(at + 4);
  const depth = view.getUint8(at + 8);
  const color = view.getUint8(at + 9);
  const interlace = view.getUint8(at + 12);
  if (width < 1 || height < 1 || width > MAX_VIEW_SIDE || height > MAX_VIEW_SIDE)
    throw fail(`${width}×${height}`);
  if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0)
    throw fail(`bit depth ${depth}, color type ${color}, interlace ${interlace}`);
  return { width, height, channels: color === 6 ? 4 : 3 };
}
