/**
 * The 3-D view's canvas in end-to-end tests: screenshots of it, compared pixel by pixel after
 * decoding in the page, and waits until the view rests at a series point and has drawn it.
 */
import type { Page } from 'playwright-core';

export const CANVAS = '[data-testid="etf-view"]';

/** The few browser globals the page functions below use (this tsconfig has no DOM types). */
interface Browser {
  createImageBitmap(blob: Blob): Promise<{ width: number; height: number }>;
  OffscreenCanvas: new (
    width: number,
    height: number,
  ) => {
    getContext(kind: '2d'): {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    } | null;
  };
  requestAnimationFrame(callback: () => void): number;
}

export interface PixelDiff {
  /** Share of pixels that differ by more than a few levels in any channel. */
  changed: number;
  /** Share of pixels of `a` unlike its top-left pixel (the background). */
  drawn: number;
}

/** Decodes two PNG screenshots in the page and compares them pixel by pixel. */
export async function comparePngs(page: Page, a: Buffer, b: Buffer): Promise<PixelDiff> {
  return page.evaluate(
    async ([a64, b64]) => {
      const { createImageBitmap, OffscreenCanvas } = globalThis as unknown as Browser;
      const pixels = async (b64: string) => {
        // No fetch of a data: URL: the app's CSP forbids it.
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(bmp, 0, 0);
        return ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      };
      const pa = await pixels(a64);
      const pb = await pixels(b64);
      let changed = 0;
      let drawn = 0;
      const n = pa.length / 4;
      for (let i = 0; i < pa.length; i += 4) {
        let diff = 0;
        let bg = 0;
        for (let k = 0; k < 3; k++) {
          diff = Math.max(diff, Math.abs(pa[i + k] - (pb[i + k] ?? 0)));
          bg = Math.max(bg, Math.abs(pa[i + k] - pa[k]));
        }
        if (diff > 8) changed++;
        if (bg > 8) drawn++;
      }
      return { changed: changed / n, drawn: drawn / n };
    },
    [a.toString('base64'), b.toString('base64')] as const,
  );
}

/** Waits until the view rests at series position `index` and has drawn it (renders follow on the next animation frame). */
export async function viewAt(page: Page, index: number): Promise<void> {
  await page.waitForSelector(`[data-shown="${index.toFixed(3)}"]`, { timeout: 30_000 });
  await settle(page);
}

/** Two animation frames: whatever the view requested has been rendered. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const { requestAnimationFrame: raf } = globalThis as unknown as Browser;
        raf(() => raf(() => resolve()));
      }),
  );
}

/** Screenshot of the canvas alone (the HTML labels over it are not part of it). */
export function canvasShot(page: Page): Promise<Buffer> {
  return page.locator(CANVAS).screenshot();
}
