/**
 * The browser shell's records (shared/packed.ts): large number arrays go as float64 bytes, the
 * rest as JSON. Read back through streams cut anywhere, and from the real server after a real
 * analysis of many classes, where the class means that arrive must be the float64 means of the
 * rows written here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../main/shells/browser/http.ts';
import { createHttpClient } from '../../renderer/src/api/http-client.ts';
import {
  RECORDS_MIME,
  TYPED_FROM,
  packRecord,
  readRecords,
  typedArrays,
  type ReadRecord,
} from '../../shared/packed.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { rng } from '../engine/direct.ts';
import { worstRelative, writeManyClassDump } from './many-classes.ts';

/** `parts` as a stream whose chunks are `size` bytes (cutting headers, JSON and numbers). */
function streamOf(parts: Uint8Array[], size: number): ReadableStream<Uint8Array> {
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= all.length) return controller.close();
      controller.enqueue(all.slice(sent, sent + size));
      sent += size;
    },
  });
}

async function readAll(parts: Uint8Array[], size: number): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for await (const r of readRecords(streamOf(parts, size))) out.push(r);
  return out;
}

const numbers = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r.normal() * 1e3);
};

describe('records', () => {
  const means = numbers(TYPED_FROM + 3, 1);
  const testMeans = numbers(2 * TYPED_FROM, 2);
  const state = {
    files: [{ name: 'a.npz' }],
    result: {
      points: [
        {
          epoch: 1,
          metrics: {
            per_class: [{ label: 0, within_var: 0.5 }],
            geometry: { means, global_mean: [1, 2, 3], small: numbers(10, 3) },
            test: { geometry: { means: testMeans } },
          },
        },
      ],
    },
    /** NaN is null in JSON: an array holding one stays JSON. */
    gaps: [...numbers(TYPED_FROM, 4), null],
  };

  it('carries large arrays as float64 and the rest as JSON, whatever the chunks', async () => {
    const parts = [
      ...packRecord('progress', { fraction: 0.5, stage: 'pass 1' }),
      ...packRecord('value', state),
    ];
    // Only the two large arrays are bytes: 8 per number, after a JSON part far smaller.
    expect(parts[parts.length - 1].length).toBe(8 * (means.length + testMeans.length));
    for (const size of [3, 4096, 1 << 20]) {
      const [progress, value] = await readAll(parts, size);
      expect(progress).toMatchObject({ kind: 'progress', value: { fraction: 0.5 }, buffer: null });
      expect(value.kind).toBe('value');
      const v = value.value as typeof state;
      const g = v.result.points[0].metrics.geometry;
      expect(g.means).toBeInstanceOf(Float64Array);
      expect(Array.from(g.means)).toEqual(means);
      expect(Array.from(v.result.points[0].metrics.test.geometry.means)).toEqual(testMeans);
      expect(g.small).toEqual(state.result.points[0].metrics.geometry.small);
      expect(Array.isArray(v.gaps) && v.gaps.at(-1) === null).toBe(true);
      expect(v.files).toEqual(state.files);
      expect((g.means as unknown as Float64Array).buffer).toBe(value.buffer);
    }
    // The value packed is left as it was.
    expect(Array.isArray(state.result.points[0].metrics.geometry.means)).toBe(true);
  });

  it('refuses a body cut inside a record or holding something else', async () => {
    const parts = packRecord('value', state);
    const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
    await expect(readAll([whole.subarray(0, whole.length - 9)], 1000)).rejects.toThrow(
      /ends early/,
    );
    await expect(readAll([new TextEncoder().encode('{"ok":true,"value":1}')], 64)).rejects.toThrow(
      /not an NC Lens record/,
    );
  });

  it('gives the Electron service replies Float64Arrays, copying only the paths to them', () => {
    const typed = typedArrays(state) as typeof state;
    expect(typed.result.points[0].metrics.geometry.means).toBeInstanceOf(Float64Array);
    expect(typed.result.points[0].metrics.per_class).toBe(state.result.points[0].metrics.per_class);
    expect(typed.files).toBe(state.files);
    expect(Array.isArray(state.result.points[0].metrics.geometry.means)).toBe(true);
  });
});

describe('records from the server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nc-lens-records-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an analysis of 2 500 classes arrives with its class means as float64, as computed here', async () => {
    const dump = await writeManyClassDump(dir);
    const { c, d } = dump;

    const server = await startServer({ port: 0, staticDir: null });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const client = createHttpClient({ base, token: server.token });
      await client.openFiles([new File([readFileSync(dump.file)], 'many.npz')]);
      const progress: number[] = [];
      const state = await client.analyze((p) => progress.push(p.fraction));
      expect(progress.length).toBeGreaterThan(0);
      const m = state.result as MetricsResult;
      const means = m.geometry!.means as unknown as Float64Array;
      expect(means).toBeInstanceOf(Float64Array);
      expect(means.length).toBe(c * d);
      expect(worstRelative(means, dump.means)).toBeLessThan(1e-12);
      expect(worstRelative(m.geometry!.weights!, dump.weight)).toBe(0);
      // The state call answers with a record too, and per-class rows stay JSON.
      const res = await fetch(`${base}/api/call/state`, {
        method: 'POST',
        headers: { 'x-nc-lens-token': server.token },
        body: '{"args":[]}',
      });
      expect(res.headers.get('content-type')).toBe(RECORDS_MIME);
      const again = (await client.state()).result as MetricsResult;
      expect(again.per_class).toHaveLength(c);
      expect(Array.from(again.geometry!.means)).toEqual(Array.from(means));
    } finally {
      await server.close();
    }
  }, 120_000);
});
