// Builds everything that ships: the Node side (CLI, engine worker, service, Electron entries)
// with esbuild into dist/, and the renderer with Vite into dist/renderer/.
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
rmSync('dist', { recursive: true, force: true });

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
  'engine-worker': 'main/engine/worker.ts',
  'service-host': 'main/service/host.ts',
};
const present = Object.fromEntries(Object.entries(esmEntries).filter(([, f]) => existsSync(f)));
await build({
  ...node,
  format: 'esm',
  // Split so that heavy optional modules (onnxruntime-node) load only when a command needs them.
  // Chunks stay in dist/ itself: workers are found with new URL('./x.js', import.meta.url).
  splitting: true,
  entryPoints: present,
  outdir: 'dist',
  outExtension: { '.js': '.js' },
});

// Electron: main and preload as CommonJS (a sandboxed preload must be one CJS bundle).
const cjsEntries = {
  'electron/main': 'main/electron/main.ts',
  'electron/preload': 'main/electron/preload.ts',
};
const cjsPresent = Object.fromEntries(Object.entries(cjsEntries).filter(([, f]) => existsSync(f)));
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
