/**
 * The results cache (main/cache/results.ts): keys follow the file's content and settings,
 * the cache stays within its bounds (least recently used out), and clears.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDir, cacheSize, clearCache, DiskCache, pointKey } from '../../main/cache/results.ts';
import type { MetricsResult } from '../../shared/schema.ts';

const root = mkdtempSync(path.join(tmpdir(), 'nc-lens-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const result = (nc1: number) => ({ nc1, warnings: [] }) as unknown as MetricsResult;

describe('the results cache', () => {
  it('lives in NC_LENS_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheDir({ NC_LENS_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(cacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/nc-lens/results');
    expect(cacheDir({ HOME: '/h' })).toMatch(/\.cache\/nc-lens\/results$/);
  });

  it("a point's key changes with the file's content, its roles and the settings", async () => {
    const file = path.join(root, 'epoch_0001.npz');
    writeFileSync(file, 'A'.repeat(1000));
    const key = (roles: [string, string][], settings: Record<string, unknown>) =>
      pointKey([{ path: file, roles }], settings);
    const base = await key([['features', 'features']], { centering: 'class-means' });
    expect(await key([['features', 'features']], { centering: 'class-means' })).toBe(base);
    expect(await key([['features', 'ignore']], { centering: 'class-means' })).not.toBe(base);
    expect(await key([['features', 'features']], { centering: 'samples' })).not.toBe(base);
    // Same size and the same modification time, other bytes: the header digest tells them apart.
    const before = readdirSync(root).length;
    writeFileSync(file, 'B'.repeat(1000));
    utimesSync(file, new Date(1e12), new Date(1e12));
    const other = await key([['features', 'features']], { centering: 'class-means' });
    writeFileSync(file, 'A'.repeat(1000));
    utimesSync(file, new Date(1e12), new Date(1e12));
    expect(await key([['features', 'features']], { centering: 'class-means' })).not.toBe(other);
    expect(readdirSync(root).length).toBe(before);
  });

  it('keeps within its bounds, least recently used out, and clears', async () => {
    const dir = path.join(root, 'bounded');
    const cache = new DiskCache(dir, { maxEntries: 3, maxBytes: 1 << 20 });
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => k.repeat(64));
    for (const [i, k] of keys.entries()) {
      await cache.set(k, result(i));
      // Distinct modification times: the order of use is the order here.
      utimesSync(path.join(dir, `${k}.json`), new Date(1e12 + i * 1000), new Date(1e12 + i * 1000));
    }
    expect((await cache.get(keys[1]))?.nc1).toBe(1); // used now: the most recent
    await cache.trim();
    expect((await cacheSize(dir)).entries).toBe(3);
    expect(await cache.get(keys[0])).toBeUndefined();
    expect(await cache.get(keys[2])).toBeUndefined();
    expect((await cache.get(keys[1]))?.nc1).toBe(1);
    expect((await cache.get(keys[4]))?.nc1).toBe(4);
    // `nc-lens cache clear` runs in another process: a new one finds nothing.
    const cleared = await clearCache(dir);
    expect(cleared.entries).toBe(3);
    expect((await cacheSize(dir)).entries).toBe(0);
    expect(await new DiskCache(dir).get(keys[4])).toBeUndefined();
  });
});
