#!/usr/bin/env node
// Runs the built CLI (dist/cli.js); in a checkout without a build, runs the TypeScript source
// through tsx so `npm run serve` and the tests work straight after `npm ci`.
import { existsSync } from 'node:fs';

// onnxruntime's telemetry leaves files in $TMPDIR and $HOME after every model run
// (main/onnx/no-telemetry.ts); set before anything can create a session.
process.env.ORT_DISABLE_TELEMETRY ??= '1';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const source = fileURLToPath(new URL('../main/cli/index.ts', import.meta.url));
if (existsSync(built) && !process.env.NC_LENS_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
}
