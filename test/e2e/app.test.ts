/**
 * The browser shell end to end: `nc-lens serve` driven by Debian's Chromium (playwright-core).
 * Values are read from the `data-metric` / `data-value` hooks the UI renders.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MetricsResult, SeriesResult } from '../../shared/schema.ts';
import { AnalysisService } from '../../main/service/session.ts';
import {
  waitForClose,
  dropFiles,
  serverState,
  shownValue,
  skipReason,
  startApp,
  waitForValue,
} from './harness.ts';
import type { App, PageGlobals } from './harness.ts';
import { syntheticDump } from './synthetic.ts';
import { FORMATS, MNIST } from '../fixtures.ts';

const referenceNc1 = (epoch: string): number =>
  (
    JSON.parse(
      readFileSync(`${MNIST}/reference/mnist_small_epoch${epoch}.json`, 'utf8'),
    ) as MetricsResult
  ).nc1!;

const reason = skipReason();
if (reason) console.warn(reason);

/** The first start opens the demo; tests that open files wait for it so nothing races. */
async function demoShown(app: App): Promise<number> {
  return waitForValue(app.page, 'nc1', { timeout: 60_000 });
}

function fileListed(app: App, name: string): Promise<void> {
  return app.page
    .locator('[data-testid="file-list"]', { hasText: name })
    .waitFor({ state: 'visible', timeout: 10_000 });
}

async function openThroughInput(app: App, paths: string[]): Promise<void> {
  await app.page.locator('[data-testid="open-input"]').setInputFiles(paths);
}

describe.skipIf(reason)('browser shell end to end', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("opens the demo on first start with the engine's metrics", async () => {
    app = await startApp();
    await demoShown(app);
    const session = new AnalysisService({ shell: 'browser' });
    await session.openDemo();
    const series = (await session.analyze()).result as SeriesResult;
    await session.dispose();
    const last = series.points[series.points.length - 1].metrics;
    await waitForClose(app, 'nc1', last.nc1!);
    for (const [key, value] of [
      ['cdnv', last.cdnv],
      ['nc1_quotient', last.nc1_quotient],
      ['equinorm_means', last.nc2.equinorm_means],
      ['self_duality', last.nc3.self_duality],
      ['ncc_mismatch', last.nc4.ncc_mismatch],
    ] as const) {
      const shown = await shownValue(app.page, key);
      expect(shown, key).not.toBeNull();
      expect(shown!, key).toBeCloseTo(value!, 9);
    }
    await app.shot('demo');
    expect(app.errors).toEqual([]);
  }, 120_000);

  it('shows the reference NC1 of a fixture opened through the file input', async () => {
    app = await startApp();
    await demoShown(app);
    await openThroughInput(app, [`${MNIST}/mnist_small_epoch080.npz`]);
    await waitForClose(app, 'nc1', referenceNc1('080'));
    await fileListed(app, 'mnist_small_epoch080.npz');
    await app.shot('file-input');
  }, 120_000);

  it('opens files dropped on the window', async () => {
    app = await startApp();
    await demoShown(app);
    await dropFiles(app.page, [`${MNIST}/mnist_small_epoch020.npz`]);
    await waitForClose(app, 'nc1', referenceNc1('020'));
    await app.shot('drop');
  }, 120_000);

  it('re-analyses when a role changes', async () => {
    app = await startApp();
    await demoShown(app);
    await openThroughInput(app, [`${MNIST}/mnist_small_epoch080.npz`]);
    await waitForClose(app, 'nc1', referenceNc1('080'));
    expect(await shownValue(app.page, 'self_duality')).not.toBeNull();
    await app.page.locator('[data-testid="role-select-weight"]').selectOption('ignore');
    // Without a classifier, self-duality is not defined: the re-analysis shows null.
    await app.page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('[data-metric="self_duality"]')
          ?.getAttribute('data-value') === 'null',
      undefined,
      { timeout: 30_000 },
    );
    expect(await shownValue(app.page, 'nc1')).toBeCloseTo(referenceNc1('080'), 9);
    await app.shot('role-change');
  }, 120_000);

  it('names a bad file in an alert and keeps the earlier results', async () => {
    app = await startApp();
    await demoShown(app);
    await openThroughInput(app, [`${MNIST}/mnist_small_epoch080.npz`]);
    await waitForClose(app, 'nc1', referenceNc1('080'));
    await openThroughInput(app, [`${FORMATS}/bad/not_npy.npy`]);
    await app.page
      .locator('[role="alert"]', { hasText: 'not_npy.npy' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await shownValue(app.page, 'nc1')).toBeCloseTo(referenceNc1('080'), 9);
    await fileListed(app, 'mnist_small_epoch080.npz');
    await app.shot('bad-file');
  }, 120_000);

  describe('a large generated file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-lens-e2e-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('shows analysis progress, and Cancel stops it', async () => {
      const paths = syntheticDump(dir, 200_000, 512, 10);
      app = await startApp();
      const demoNc1 = await demoShown(app);
      await openThroughInput(app, paths);
      const progress = app.page.locator('[data-testid="analyze-progress"]');
      await progress.waitFor({ state: 'visible', timeout: 60_000 });
      await app.shot('progress');
      // The server answers while it analyses (the engine works off its event loop).
      const asked = performance.now();
      await serverState(app.served);
      expect(performance.now() - asked).toBeLessThan(1000);
      const clicked = Date.now();
      await app.page.locator('[data-testid="cancel-button"]').click();
      await progress.waitFor({ state: 'hidden', timeout: 10_000 });
      expect(Date.now() - clicked).toBeLessThan(10_000);
      // Cancelled, not finished: the server holds the big files but no result for them.
      const state = await serverState(app.served);
      expect(state.files.map((f) => f.name)).toEqual(paths.map((p) => p.split('/').pop()));
      expect(state.result).toBeNull();
      // The demo's numbers stay, dimmed and labelled as such, and cannot be exported as these.
      const label = app.page.locator('[data-testid="stale-label"]');
      expect(await label.textContent()).toMatch(/cancelled/);
      expect(await app.page.locator('[data-testid="export-button"]').isDisabled()).toBe(true);
      // Analyse again: the same files, analysed to the end this time.
      await app.page.click('[data-testid="analyze-again"]');
      await waitForValue(app.page, 'nc1', { not: demoNc1, timeout: 150_000 });
      await label.waitFor({ state: 'detached' });
      expect(await app.page.locator('[data-testid="export-button"]').isDisabled()).toBe(false);
    }, 240_000);
  });
});

/** A raw request, so Host and Origin can be set freely. */
function raw(port: number, path: string, headers: Record<string, string>, method = 'GET') {
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(reason)('browser shell refusals', () => {
  it('refuses requests without the token or from a foreign origin', async () => {
    const app = await startApp();
    try {
      const { port, token } = app.served;
      const host = { host: `127.0.0.1:${port}` };
      expect(await raw(port, '/', host)).toBe(401);
      expect(await raw(port, '/api/call/state', host, 'POST')).toBe(401);
      const foreign = { ...host, origin: 'http://attacker.example', 'x-nc-lens-token': token };
      expect(await raw(port, '/api/call/state', foreign, 'POST')).toBe(403);
      const rebound = { host: `attacker.example:${port}`, 'x-nc-lens-token': token };
      expect(await raw(port, '/api/call/state', rebound, 'POST')).toBe(403);
      // And from a page: a fresh browser profile without the token sees the refusal text.
      await app.context.clearCookies();
      const res = await app.page.goto(`${app.served.origin}/`);
      expect(res?.status()).toBe(401);
      expect(await app.page.textContent('body')).toMatch(/token/);
      expect(
        await raw(port, '/api/call/state', { ...host, 'x-nc-lens-token': token }, 'POST'),
      ).toBe(200);
    } finally {
      await app.close();
    }
  }, 120_000);
});
