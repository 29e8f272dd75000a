/**
 * End-to-end harness: starts `nc-lens serve --port 0 --no-open` as a child process, reads its
 * URL line, and drives Debian's Chromium through playwright-core against it. Also used by
 * bench/app.ts. Screenshots go to test-results/e2e/.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { SessionState } from '../../shared/api.ts';
import { createHttpClient } from '../../renderer/src/api/http-client.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.NC_LENS_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results', 'e2e');

/** The flags that work on these machines, software WebGL included (platform-notes.md). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
];

/** Why end-to-end tests cannot run here, or null. In CI they always run (and fail loudly). */
export function skipReason(): string | null {
  if (existsSync(CHROMIUM) || process.env.CI) return null;
  return `end-to-end tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`;
}

/** Builds the renderer if it is missing, so a fresh checkout can run the tests. */
function ensureRenderer(): void {
  if (existsSync(join(ROOT, 'dist/renderer/index.html'))) return;
  const r = spawnSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0)
    throw new Error('renderer build failed (npx vite build --config renderer/vite.config.ts)');
}

export interface Served {
  url: string;
  origin: string;
  token: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `nc-lens serve` (from the TypeScript source unless told to use the build). */
export async function startServe(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<Served> {
  ensureRenderer();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/nc-lens.js'), 'serve', '--port', '0', '--no-open', ...args],
    {
      cwd: ROOT,
      env: { NC_LENS_FROM_SOURCE: '1', ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await urlLine(child, () => output);
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    port: Number(parsed.port),
    output: () => output,
    stop: () => stopChild(child),
  };
}

function urlLine(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no URL in 60 s:\n${output()}`)),
      60_000,
    );
    const check = () => {
      const m = /^NC Lens: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output()}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface App {
  served: Served;
  context: BrowserContext;
  page: Page;
  /** Browser console errors and page errors seen so far. */
  errors: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A served app and a Chromium page on it (fresh profile each time). */
export async function startApp(
  opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<App> {
  const served = await startServe(opts.args, opts.env);
  const profile = mkdtempSync(join(tmpdir(), 'nc-lens-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    await served.stop();
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(served.url);
  return {
    served,
    context,
    page,
    errors,
    async shot(name) {
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close().catch(() => undefined);
      await served.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The little of the DOM that page functions touch. They run in Chromium, but are compiled with
 * the Node tsconfig, which has no DOM types.
 */
interface PageElement {
  getAttribute(name: string): string | null;
  dispatchEvent(event: unknown): boolean;
  remove(): void;
  append(child: unknown): void;
  files?: ArrayLike<unknown> & Iterable<unknown>;
  type?: string;
  multiple?: boolean;
  id?: string;
  style?: { display: string };
}
export interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    getElementById(id: string): PageElement | null;
    createElement(tag: string): PageElement;
    body: PageElement;
  };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  DragEvent: new (type: string, init: Record<string, unknown>) => unknown;
}

/** The full-precision value shown for a metric (`data-value` of `[data-metric=key]`). */
export async function shownValue(page: Page, key: string): Promise<number | null> {
  const v = await page.locator(`[data-metric="${key}"]`).first().getAttribute('data-value');
  return v === null || v === 'null' ? null : Number(v);
}

/** Waits until the metric shows a number different from `not` (a fresh result). */
export async function waitForValue(
  page: Page,
  key: string,
  options: { not?: number | null; timeout?: number } = {},
): Promise<number> {
  const handle = await page.waitForFunction(
    ({ key, not }) => {
      const { document } = globalThis as unknown as PageGlobals;
      const v = document.querySelector(`[data-metric="${key}"]`)?.getAttribute('data-value');
      if (!v || v === 'null') return null;
      return Number(v) !== not ? Number(v) : null;
    },
    { key, not: options.not ?? null },
    { timeout: options.timeout ?? 30_000, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * Drops files from disk onto the window the way a user's drag does: real File objects (given to
 * a throw-away file input, which Chromium reads from disk) in a synthesised DataTransfer,
 * dispatched as dragenter, dragover and drop on the drop zone.
 */
export async function dropFiles(page: Page, paths: string[]): Promise<void> {
  await stageFiles(page, paths);
  await dispatchDrop(page);
}

/** Puts the files in a hidden input, ready for `dispatchDrop` (apart, so a benchmark can time the drop alone). */
export async function stageFiles(page: Page, paths: string[]): Promise<void> {
  await page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.id = 'e2e-drop-source';
    if (input.style) input.style.display = 'none';
    document.body.append(input);
  });
  await page.setInputFiles('#e2e-drop-source', paths);
}

export async function dispatchDrop(page: Page): Promise<void> {
  await page.evaluate(() => {
    const { document, DataTransfer, DragEvent } = globalThis as unknown as PageGlobals;
    const input = document.getElementById('e2e-drop-source')!;
    const transfer = new DataTransfer();
    for (const f of input.files ?? []) transfer.items.add(f);
    input.remove();
    const target = document.querySelector('[data-testid="drop-zone"]') ?? document.body;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(
        new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }),
      );
    }
  });
}
/** The session as the server holds it (the API client with the token, from Node). */
/** The session as the server holds it (an API call with the token, from Node). */
export function serverState(served: Served): Promise<SessionState> {
  return createHttpClient({ base: served.origin, token: served.token }).state();
}

/** Waits until `key` shows `expected` (relative 1e-9: thread count may reorder sums). */
export async function waitForClose(
  app: App,
  key: string,
  expected: number,
  timeout = 30_000,
): Promise<number> {
  const handle = await app.page.waitForFunction(
    ({ key, expected }) => {
      const { document } = globalThis as unknown as PageGlobals;
      const v = Number(
        document.querySelector(`[data-metric="${key}"]`)?.getAttribute('data-value'),
      );
      return Math.abs(v - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) ? v : null;
    },
    { key, expected },
    { timeout, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}
