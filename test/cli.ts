import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/nc-lens.js: with NC_LENS_FROM_SOURCE=1 it runs the TypeScript source, not dist/. */
const BIN = fileURLToPath(new URL('../bin/nc-lens.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * `nc-lens ARGS...` in a child process (from the source, or `cli` when given), with `env`
 * added to the environment: exit code and output.
 */
export function runCli(
  args: string[],
  cli = BIN,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: ROOT,
      env: { ...process.env, NC_LENS_FROM_SOURCE: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
