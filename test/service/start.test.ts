/**
 * `npm start` where Electron's binary cannot be had (as on these machines): one line saying
 * why, then the browser shell's URL; never a stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function startOutput(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js'), '--no-open'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`no URL within 90 s:\n${out}`));
    }, 90_000);
    const collect = (c: Buffer) => {
      out += c.toString();
      if (/NC Lens: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(out)) {
        clearTimeout(timer);
        child.once('exit', () => resolve(out));
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
  });
}

describe('npm start without an Electron binary', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nc-lens-start-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('says why in one line and serves the browser shell', async () => {
    const empty = mkdtempSync(join(scratch, 'no-electron-'));
    const out = await startOutput({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    const lines = out.split('\n').filter((l) => l.startsWith('NC Lens:'));
    expect(lines.at(-2)).toMatch(
      /^NC Lens: no desktop window: ELECTRON_OVERRIDE_DIST_PATH has no Electron binary/,
    );
    expect(lines.at(-1)).toMatch(/^NC Lens: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    expect(out).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('offline: says so in words, remembers it for a day, and says how to get the window', async () => {
    const cache = mkdtempSync(join(scratch, 'cache-'));
    const offline = {
      XDG_CACHE_HOME: cache,
      DISPLAY: ':99',
      NC_LENS_BROWSER: '',
      ELECTRON_OVERRIDE_DIST_PATH: '',
      // A name that never resolves (RFC 2606): what an offline machine sees, without the wait.
      ELECTRON_MIRROR: 'http://nc-lens-offline.invalid/',
    };
    const why = (out: string) => out.split('\n').find((l) => l.startsWith('NC Lens: no desktop'));
    const first = await startOutput(offline);
    expect(first).toContain('fetching the Electron');
    expect(why(first)).toMatch(
      /could not be downloaded: nc-lens-offline\.invalid could not be found \(offline, or no DNS\); for the desktop window, run `npm start -- --retry-electron` once online/,
    );
    const marker = join(cache, 'nc-lens', 'electron-download-failed.json');
    expect(JSON.parse(readFileSync(marker, 'utf8')).reason).toMatch(/offline/);

    const second = await startOutput(offline);
    expect(second).not.toContain('fetching the Electron');
    expect(why(second)).toMatch(/Electron's download failed at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(second).not.toMatch(/\n\s+at /);

    // A day later (or with --retry-electron) it tries again.
    const stale = { ...JSON.parse(readFileSync(marker, 'utf8')), time: Date.now() - 25 * 3600_000 };
    writeFileSync(marker, JSON.stringify(stale));
    expect(await startOutput(offline)).toContain('fetching the Electron');
    expect(existsSync(marker)).toBe(true);
  }, 200_000);

  it('finds an Electron binary through ELECTRON_OVERRIDE_DIST_PATH without downloading', async () => {
    const { electronBinary } = (await import(join(ROOT, 'scripts/start.js'))) as {
      electronBinary(env: NodeJS.ProcessEnv): { binary?: string; reason?: string };
    };
    const dir = mkdtempSync(join(scratch, 'electron-'));
    writeFileSync(join(dir, 'electron'), '');
    expect(electronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dir })).toEqual({
      binary: join(dir, 'electron'),
    });
    expect(electronBinary({}).reason).toMatch(/not downloaded/);
  });
});
