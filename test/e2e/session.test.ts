/**
 * The explicit session in the browser shell (issue 11): Open replaces, Add files adds, a file
 * is listed once, Close all empties; an unusable file of a drop is listed greyed with its
 * reason; one banner per problem; stale numbers dimmed and labelled with Export disabled.
 * Numbers are checked against the fixture references.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsResult } from '../../shared/schema.ts';
import { skipReason, startApp, waitForClose, waitForValue } from './harness.ts';
import type { App } from './harness.ts';
import { FORMATS, MNIST } from '../fixtures.ts';

const reference = (epoch: string): number =>
  (
    JSON.parse(
      readFileSync(`${MNIST}/reference/mnist_small_epoch${epoch}.json`, 'utf8'),
    ) as MetricsResult
  ).nc1!;
const e = (epoch: string) => `${MNIST}/mnist_small_epoch${epoch}.npz`;

const reason = skipReason();

async function fileNames(app: App): Promise<string[]> {
  return app.page.locator('[data-testid="file-entry"] .name').allTextContents();
}

async function waitForFiles(app: App, count: number): Promise<void> {
  await app.page.waitForFunction(
    (n) =>
      (
        globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
      ).document.querySelectorAll('[data-testid="file-entry"]').length === n,
    count,
    { timeout: 30_000, polling: 50 },
  );
}

async function open(app: App, paths: string[]): Promise<void> {
  await app.page.locator('[data-testid="open-input"]').setInputFiles(paths);
}

async function add(app: App, paths: string[]): Promise<void> {
  const [chooser] = await Promise.all([
    app.page.waitForEvent('filechooser'),
    app.page.click('[data-testid="add-button"]'),
  ]);
  await chooser.setFiles(paths);
}

describe.skipIf(reason)('the session in the app', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('Open replaces, Add files adds, a file is listed once, Close all empties', async () => {
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await open(app, [`${FORMATS}/features_f4.npy`, `${FORMATS}/labels_i8.npy`]);
    await waitForFiles(app, 2);
    // Four other files replace the first set: no "2 candidates", the new numbers.
    await open(app, [e('001'), e('005')]);
    await waitForClose(app, 'nc1', reference('005'));
    expect(await fileNames(app)).toEqual(['mnist_small_epoch001.npz', 'mnist_small_epoch005.npz']);
    await add(app, [e('005'), e('020')]);
    await waitForClose(app, 'nc1', reference('020'));
    expect(await fileNames(app)).toEqual([
      'mnist_small_epoch001.npz',
      'mnist_small_epoch005.npz',
      'mnist_small_epoch020.npz',
    ]);
    await app.page.click('[data-testid="close-all"]');
    await waitForFiles(app, 0);
    await app.page.locator('[data-metric="nc1"]').waitFor({ state: 'detached' });
    expect(app.errors).toEqual([]);
  }, 120_000);

  it('a stray file of a drop is listed greyed with its reason; the rest is analysed', async () => {
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await open(app, [e('001'), e('005'), `${MNIST}/mnist_small_log.json`]);
    await waitForClose(app, 'nc1', reference('005'));
    const stray = app.page.locator('[data-testid="file-entry"]', {
      hasText: 'mnist_small_log.json',
    });
    expect(await stray.locator('[data-testid="ignored-reason"]').textContent()).toMatch(
      /^ignored: mnist_small_log\.json: expected .* found /,
    );
    expect(await stray.evaluate((el) => getComputedStyle(el).opacity)).not.toBe('1');
    expect(await app.page.locator('[data-testid="ignored-reason"]').count()).toBe(1);
  }, 120_000);

  it('one banner per problem, cleared when the demo opens', async () => {
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    const alerts = app.page.locator('[data-testid="error-alert"]');
    for (let i = 0; i < 3; i++) {
      await open(app, [`${FORMATS}/bad/truncated.npy`]);
      await alerts.first().waitFor({ state: 'visible' });
    }
    await app.page.waitForTimeout(300);
    expect(await alerts.count()).toBe(1);
    expect(await alerts.first().textContent()).toContain('truncated.npy');
    await app.page.click('[data-testid="demo-button"]');
    await alerts.first().waitFor({ state: 'detached' });
  }, 120_000);

  it('after a failed run the numbers are dimmed and labelled, and Export is disabled', async () => {
    app = await startApp();
    await waitForValue(app.page, 'nc1', { timeout: 60_000 });
    await open(app, [e('080')]);
    await waitForClose(app, 'nc1', reference('080'));
    expect(await app.page.locator('[data-testid="export-button"]').isDisabled()).toBe(false);
    await app.page.selectOption('[data-testid="role-select-labels"]', 'ignore');
    await app.page.locator('[data-testid="error-alert"]').first().waitFor({ state: 'visible' });
    const label = app.page.locator('[data-testid="stale-label"]');
    expect(await label.textContent()).toMatch(/last analysis failed/);
    expect(await app.page.locator('[data-testid="results"]').getAttribute('class')).toMatch(
      /\bstale\b/,
    );
    expect(await app.page.locator('[data-testid="export-button"]').isDisabled()).toBe(true);
    // The role back: a fresh analysis, the label and the banner gone, Export back.
    await app.page.selectOption('[data-testid="role-select-labels"]', 'labels');
    await label.waitFor({ state: 'detached' });
    await app.page.locator('[data-testid="error-alert"]').first().waitFor({ state: 'detached' });
    expect(await app.page.locator('[data-testid="export-button"]').isDisabled()).toBe(false);
  }, 120_000);
});
