/**
 * The service process entry (main/service/host.ts, which Electron forks as a utility process)
 * run as a worker thread: the same message protocol, a real separate thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionState } from '../../shared/api.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { RemoteService } from '../../main/service/rpc.ts';
import { MNIST } from '../fixtures.ts';
import { worstRelative, writeManyClassDump } from './many-classes.ts';

describe('service host process', () => {
  // The TypeScript source runs through tsx, registered inside the thread before the import.
  const host = new URL('../../main/service/host.ts', import.meta.url).href;
  const worker = new Worker(
    `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(host)}); });`,
    { eval: true },
  );
  const remote = new RemoteService({
    post: (m) => worker.postMessage(m),
    listen: (cb) => worker.on('message', cb),
  });
  worker.on('error', (e) => remote.failAll(`host failed: ${e.message}`));
  afterAll(() => worker.terminate());

  it('answers calls, streams progress, and returns errors as values', async () => {
    const opened = await remote.request('open', [[{ path: `${MNIST}/mnist_small_epoch005.npz` }]]);
    expect(opened.ok).toBe(true);
    const fractions: number[] = [];
    const analysed = await remote.request('analyze', [], (p) => fractions.push(p.fraction));
    expect(analysed.ok).toBe(true);
    const state = (analysed as { value: SessionState }).value;
    expect((state.result as MetricsResult).nc1).toBeGreaterThan(0);
    expect(fractions.length).toBeGreaterThan(0);
    const bad = await remote.request('setRole', ['nope:x', 'features']);
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    const info = await remote.request('info', []);
    expect(info).toMatchObject({ ok: true, value: { shell: 'electron' } });
  });

  it('sends the large arrays of many classes as Float64Arrays, equal to the direct means', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-lens-host-'));
    try {
      const dump = await writeManyClassDump(dir);
      expect((await remote.request('open', [[{ path: dump.file }]])).ok).toBe(true);
      const analysed = await remote.request('analyze', []);
      const m = (analysed as { value: SessionState }).value.result as MetricsResult;
      const means = m.geometry!.means as unknown as Float64Array;
      expect(means).toBeInstanceOf(Float64Array);
      expect(worstRelative(means, dump.means)).toBeLessThan(1e-12);
      expect(m.per_class).toHaveLength(dump.c);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
