/**
 * Saved sessions in the app (issue 16): the epoch and the 3D camera set from the keyboard are
 * saved (the JSON downloaded, the same one kept in the sessions folder), changed, and the
 * session reopened from the Session menu's recent list comes back to the same epoch and
 * camera and class selection (saved again: the same numbers).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SessionDoc } from '../../shared/api.ts';
import { skipReason, startApp, waitForValue, RESULTS, type App } from './harness.ts';

const reason = skipReason();
const dir = mkdtempSync(join(tmpdir(), 'nc-e2e-sessions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function saveSession(app: App): Promise<{ name: string; doc: SessionDoc }> {
  await app.page.click('[data-testid="sessions-button"]');
  const [download] = await Promise.all([
    app.page.waitForEvent('download', { timeout: 60_000 }),
    app.page.click('[data-testid="save-session"]'),
  ]);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  await app.page.locator('[data-testid="session-notice"]').waitFor();
  return { name: download.suggestedFilename(), doc: JSON.parse(readFileSync(file, 'utf8')) };
}

const label = (app: App) => app.page.locator('[data-testid="epoch-label"] strong').textContent();

describe.skipIf(reason)('saved sessions in the app', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a saved session reopens to the same epoch, camera and selection', async () => {
    app = await startApp({ env: { NC_LENS_SESSIONS_DIR: join(dir, 'sessions') } });
    const { page } = app;
    await waitForValue(page, 'nc1', { timeout: 60_000 });
    // Epoch 8 (the 4th point) from the keyboard, then the camera turned and zoomed by keys.
    const slider = page.locator('[data-testid="epoch-slider"]');
    await slider.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() =>
      (globalThis as unknown as { document: Document }).document
        .querySelector('[data-testid="epoch-label"] strong')
        ?.textContent?.includes('8'),
    );
    const before = await label(app);
    const canvas = page.locator('[data-testid="etf-view"]');
    await canvas.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('+');
    // Two classes selected (issue 16: the selection comes back too).
    await page.locator('[data-testid="per-class-table"] tr[data-label="4"]').click();
    await page
      .locator('[data-testid="per-class-table"] tr[data-label="7"]')
      .click({ modifiers: ['Shift'] });
    await page.waitForSelector('[data-testid="etf-view"][data-selected="4,7"]');

    const first = await saveSession(app);
    expect(first.doc.ui.selection?.classes).toEqual([4, 7]);
    expect(first.name).toMatch(/\.nclens-session\.json$/);
    expect(first.doc.schema).toBe('nc-lens/session@1');
    expect(first.doc.ui.point).toBe(3);
    expect(first.doc.ui.epoch).toBe(8);
    expect(first.doc.runs[0].files).toHaveLength(9);
    expect(first.doc.runs[0].files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const camera = first.doc.ui.camera!;

    // Change both, then reopen the session from the recent list.
    await slider.focus();
    await page.keyboard.press('End');
    await canvas.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('-');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="etf-view"][data-selected=""]');
    expect(await label(app)).not.toBe(before);
    await page.click('[data-testid="sessions-button"]');
    await page.locator(`[data-testid="recent-session"][data-id="${first.name}"]`).click();
    await page.waitForFunction(
      (text) =>
        (globalThis as unknown as { document: Document }).document.querySelector(
          '[data-testid="epoch-label"] strong',
        )?.textContent === text,
      before,
      { timeout: 60_000 },
    );
    await waitForValue(page, 'nc1', { timeout: 60_000 });
    await page.screenshot({ path: join(RESULTS, 'session-reopened.png') });

    await page.waitForSelector('[data-testid="etf-view"][data-selected="4,7"]');
    expect(await page.locator('[data-testid="class-panel-name"]').textContent()).toBe('7');
    const second = await saveSession(app);
    expect(second.doc.ui.selection?.classes).toEqual([4, 7]);
    expect(second.doc.ui.point).toBe(3);
    expect(second.doc.ui.epoch).toBe(8);
    for (const k of ['position', 'target', 'up'] as const)
      second.doc.ui.camera![k].forEach((v, i) => expect(v).toBeCloseTo(camera[k][i], 9));
    // The orbit moved the camera off the default one (the default looks from (0.45, 0.35, 1)).
    const p = camera.position;
    const n = Math.hypot(...p);
    expect(Math.abs(p[0] / n - 0.45 / Math.hypot(0.45, 0.35, 1))).toBeGreaterThan(0.05);
    expect(app.errors).toEqual([]);
  });
});
