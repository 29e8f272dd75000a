/**
 * Frame time of the 3-D view with a 100 000-point sample cloud, in headless Chromium
 * (software WebGL through SwiftShader, so a lower bound on what a GPU machine does).
 *
 *   npm run bench -- view3d [--c 10] [--d 64] [--n 100000] [--aa 0]
 *
 * Builds renderer/src/view3d/bench/ with Vite into .bench/view3d, serves it on 127.0.0.1,
 * and prints the timings as one JSON line.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_FLAGS } from '../test/e2e/harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, '.bench/view3d');

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

/** Builds the bench page (the same Vite config as the app, another entry). */
async function buildBenchPage(): Promise<string> {
  await build({
    configFile: join(root, 'renderer/vite.config.ts'),
    root: join(root, 'renderer'),
    base: './',
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      rollupOptions: { input: join(root, 'renderer/src/view3d/bench/index.html') },
    },
  });
  return outDir;
}

/** Serves `dir` on 127.0.0.1 at a free port. */
async function serveStatic(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(dir, path.endsWith('/') ? 'index.html' : path);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) =>
        res
          .writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
          .end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/src/view3d/bench/index.html`, server };
}

interface BenchPage {
  runBench?: () => Promise<Record<string, unknown>>;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      c: { type: 'string' },
      d: { type: 'string' },
      n: { type: 'string' },
      aa: { type: 'string' },
    },
  });
  const dir = await buildBenchPage();
  const { url, server } = await serveStatic(dir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    const q = new URLSearchParams({
      mode: 'bench',
      c: values.c ?? '10',
      d: values.d ?? '64',
      n: values.n ?? '100000',
    });
    // Multisampling: on unless the GPU is software (the renderer decides), or forced by --aa.
    if (values.aa) q.set('aa', values.aa);
    await page.goto(`${url}?${q}`);
    await page.waitForFunction(
      () => typeof (globalThis as unknown as BenchPage).runBench === 'function',
    );
    const result = await page.evaluate(() => (globalThis as unknown as BenchPage).runBench!());
    console.log(JSON.stringify({ bench: 'view3d', ...result }));
  } finally {
    await browser.close();
    server.close();
  }
}
