import { writeFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { openFile } from '../../main/io/index.ts';
import { fixture, firstDifference, ref } from './reference.ts';
import { npyBytes, tempDir } from './tmp.ts';

const tmp = tempDir();
afterAll(tmp.remove);

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;

/** Rewrites a field in both the local and the central header of a one-entry zip. */
function patchZip(zip: Uint8Array, field: 'crc' | 'uncompressed', value: number): Buffer {
  const buf = Buffer.from(zip);
  const offsets = { crc: [14, 16], uncompressed: [22, 24] }[field];
  for (let i = 0; i + 4 <= buf.length; i++) {
    const sig = buf.readUInt32LE(i);
    if (sig === LOCAL) buf.writeUInt32LE(value >>> 0, i + offsets[0]);
    if (sig === CENTRAL) buf.writeUInt32LE(value >>> 0, i + offsets[1]);
  }
  return buf;
}

function deflatedNpz(entry: Uint8Array): Uint8Array {
  return zipSync({ 'features.npy': [entry, { level: 6 }] });
}

async function readAll(file: string, chunk: number): Promise<Float64Array[]> {
  const c = await openFile(file);
  try {
    const a = c.arrays[0];
    const parts: Float64Array[] = [];
    for (let s = 0; s < a.rows; s += chunk) parts.push(await a.readRows(s, s + chunk));
    return parts;
  } finally {
    await c.close();
  }
}

async function messageOf(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw new Error(`expected an NcLensError, got ${String(e)}`);
  return e.message;
}

describe('.npz deflated entries', () => {
  it('a CRC-32 mismatch is reported once the entry has been read to its end', async () => {
    const values = Float32Array.from({ length: 4000 }, (_, i) => i / 7);
    const entry = npyBytes('<f4', [1000, 4], new Uint8Array(values.buffer));
    const file = tmp.file('crc.npz');
    writeFileSync(file, patchZip(deflatedNpz(entry), 'crc', 0x12345678));
    expect(await messageOf(readAll(file, 300))).toMatch(
      /crc\.npz:features\.npy: expected CRC-32 0x12345678, found 0x[0-9a-f]{8} \(corrupt data\)$/,
    );
  });

  it('an entry inflating to less than its header and sizes promise fails fast, in bounded memory', async () => {
    // Header and declared sizes agree on 3.3 GB; the deflate stream holds 4 MB of zeros.
    const entry = npyBytes('<f4', [200000, 4096], new Uint8Array(4 << 20));
    const file = tmp.file('liar.npz');
    writeFileSync(
      file,
      patchZip(deflatedNpz(entry), 'uncompressed', entry.length - (4 << 20) + 3276800000),
    );
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    expect(await messageOf(readAll(file, 64))).toMatch(
      /liar\.npz:features\.npy: expected at most 1032× its 4191 deflated bytes, found 3276800128 bytes declared$/,
    );
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
  });

  it('reading one row at a time streams once instead of re-inflating per call', async () => {
    // 8000 calls: restarting the inflater each time would inflate ~4 GB and take minutes.
    const t0 = performance.now();
    const rows = await readAll(fixture('bundle_deflate.npz'), 1);
    expect(performance.now() - t0).toBeLessThan(8000);
    const joined = new Float64Array(8000 * 32);
    rows.forEach((r, i) => joined.set(r, i * 32));
    expect(firstDifference(joined, ref.features())).toBe('none');
  });
});

describe('.npz concurrent reads', () => {
  it('parallel row-range reads of one deflated array each get their own rows', async () => {
    const c = await openFile(fixture('bundle_deflate.npz'));
    try {
      const a = c.arrays[0];
      const starts = [4000, 0, 7000, 100, 2500];
      const parts = await Promise.all(starts.map((s) => a.readRows(s, s + 50)));
      const all = ref.features();
      parts.forEach((p, i) =>
        expect(firstDifference(p, all.subarray(starts[i] * 32, (starts[i] + 50) * 32))).toBe(
          'none',
        ),
      );
    } finally {
      await c.close();
    }
  });
});
