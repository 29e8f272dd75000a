/**
 * `npm run dist` where Electron's zip cannot be had (offline, nothing cached): one line saying
 * what is needed, a non-zero exit, nothing built and no release/ left behind. Cheap: the check
 * comes before the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const cache = mkdtempSync(join(tmpdir(), 'nc-lens-dist-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

it('npm run dist offline: one line, exit 1, nothing left behind', () => {
  const hadRelease = existsSync(join(ROOT, 'release'));
  const started = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'dist'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      XDG_CACHE_HOME: cache,
      ELECTRON_CACHE: '',
      electron_config_cache: '',
      // A name that never resolves (RFC 2606): what an offline machine sees, without the wait.
      ELECTRON_MIRROR: 'http://nc-lens-offline.invalid/',
    },
  });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toEqual([
    expect.stringMatching(
      /^npm run dist: cannot package without electron-v[\d.]+-\w+-\w+\.zip \(Electron [\d.]+\): nc-lens-offline\.invalid could not be found \(offline, or no DNS\), and it is not in .*electron; run it once with internet/,
    ),
  ]);
  expect(existsSync(join(ROOT, 'release'))).toBe(hadRelease);
  expect(Date.now() - started).toBeLessThan(20_000);
});
