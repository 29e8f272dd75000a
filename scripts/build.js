// Builds everything that ships: the Node side (CLI, service, Electron entries)
// with esbuild into dist/, and the renderer with Vite into dist/renderer/.
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
};

// ESM entries for plain Node. Worker entries are emitted beside cli.js so that
// `new URL('./<name>.js', import.meta.url)` finds them from the bundle.
const esmEntries = {
  cli: 'main/cli/index.ts',
  'service-host': 'main/service/host.ts',
};

/** The plain-Node bundles (CLI, service host) into `outdir`, as they ship. */
export async function bundleNode(outdir) {
  await build({
    ...node,
    format: 'esm',
    // Split so that heavy optional modules (onnxruntime-node) load only when a command needs
    // them. Chunks stay in outdir itself: workers are found with new URL('./x.js', import.meta.url).
    splitting: true,
    entryPoints: Object.fromEntries(
      Object.entries(esmEntries).map(([name, file]) => [name, join(root, file)]),
    ),
    outdir,
  });
}

async function buildAll() {
  process.chdir(root);
  rmSync('dist', { recursive: true, force: true });
  await bundleNode('dist');

  // Electron: main and preload as CommonJS (a sandboxed preload must be one CJS bundle).
  const cjsEntries = {
    'electron/main': 'main/electron/main.ts',
    'electron/preload': 'main/electron/preload.ts',
  };
  const cjsPresent = Object.fromEntries(
    Object.entries(cjsEntries).filter(([, f]) => existsSync(f)),
  );
  if (Object.keys(cjsPresent).length) {
    await build({
      ...node,
      format: 'cjs',
      entryPoints: cjsPresent,
      outdir: 'dist',
      outExtension: { '.js': '.cjs' },
      external: ['electron'],
    });
  }

  if (existsSync('renderer/vite.config.ts')) {
    const r = spawnSync('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts'], {
      stdio: 'inherit',
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  console.log('built dist/');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAll();
