/**
 * Cancel during upload in the browser shell (issue 11): a large file being uploaded shows its
 * progress and a Cancel button; cancelling stops the upload, says so, and leaves the files and
 * numbers that were open before (the fixture's reference value) on screen and on the server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../main/io/write-npz.ts';
import { serverState, skipReason, startApp, waitForClose } from './harness.ts';
import type { App } from './harness.ts';
import { MNIST } from '../fixtures.ts';
import type { MetricsResult } from '../../shared/schema.ts';

const reason = skipReason();
const E080 = `${MNIST}/mnist_small_epoch080.npz`;
const nc1At080 = (
  JSON.parse(readFileSync(`${MNIST}/reference/mnist_small_epoch080.json`, 'utf8')) as MetricsResult
).nc1!;

describe.skipIf(reason)('cancel during upload', () => {
  let app: App | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'nc-lens-upload-cancel-'));
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the upload progress, stops at Cancel and keeps what was open', async () => {
    // 24 MB of features: at the throttled 2 MB/s below, about 12 s of upload.
    const big = join(dir, 'big_features.npy');
    writeFileSync(big, encodeNpy(new Float32Array(6_000_000), [60_000, 100]));
    app = await startApp();
    const { page } = app;
    await page.locator('[data-testid="open-input"]').setInputFiles([E080]);
    await waitForClose(app, 'nc1', nc1At080, 60_000);
    const before = await serverState(app.served);

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 2 * 1024 * 1024,
    });
    await page.locator('[data-testid="open-input"]').setInputFiles([big]);
    const progress = page.locator('[data-testid="busy-progress"]');
    await progress.waitFor({ timeout: 10_000 });
    // Bytes are reported as they go: a fraction strictly between 0 and 1.
    await page.waitForFunction(
      () => {
        const el = (
          globalThis as unknown as {
            document: { querySelector(s: string): { getAttribute(n: string): string | null } };
          }
        ).document.querySelector('[data-testid="busy-progress"]');
        const f = Number(el?.getAttribute('data-fraction') || NaN);
        return f > 0 && f < 1;
      },
      undefined,
      { timeout: 10_000, polling: 50 },
    );
    // While it uploads, the numbers on screen are marked as the previous ones.
    await expect(page.locator('[data-testid="stale-label"]').textContent()).resolves.toMatch(
      /previous analysis/,
    );
    await page.click('[data-testid="cancel-button"]');
    await expect(
      page.locator('[data-testid="notice"]').textContent({ timeout: 10_000 }),
    ).resolves.toMatch(/Upload cancelled: the files open before are still open/);
    await progress.waitFor({ state: 'detached', timeout: 10_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    // The same file open, the same numbers: the reference value of epoch 80, not stale.
    const after = await serverState(app.served);
    expect(after.files.map((f) => f.name)).toEqual(before.files.map((f) => f.name));
    expect(after.files.map((f) => f.name)).toEqual(['mnist_small_epoch080.npz']);
    await waitForClose(app, 'nc1', nc1At080);
    expect(await page.locator('[data-testid="stale-label"]').count()).toBe(0);
    expect(app.errors).toEqual([]);
  }, 120_000);
});
